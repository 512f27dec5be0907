import { k8s } from 'cdk8s-plus-28';
import { check, inConstruct, propPath } from './errors';
import { assertInt, assertReplicas } from './validate';
import { PodContainer, PodTemplateOptions, renderPodTemplate, RenderedPodTemplate } from './pod-template';
import { buildService, RenderedService, ServiceOptions } from './service';
import { WorkloadConstruct } from './workload';

/** Options of `DeploymentRollout.rolling()`. */
export interface RollingRolloutOptions {
  /**
   * Pods created above the desired count during a rollout.
   * @default 1
   */
  readonly maxSurge?: number;
  /**
   * Pods that may be unavailable during a rollout. 0 keeps every old pod serving until its replacement is ready.
   * @default 0
   */
  readonly maxUnavailable?: number;
}

/**
 * How a Deployment replaces its pods on a change. Rolling (the default) keeps the old pod serving until the new one
 * is ready; Recreate stops the old pod first, which is the safe choice when a ReadWriteOnce volume is shared by pods
 * that may land on different nodes (a surge pod on another node could never attach the volume), and for single-writer
 * stores (a TSDB, an embedded database) that two pods must never open at once.
 */
export class DeploymentRollout {
  /**
   * New pods come up (at most `maxSurge` extra) before old ones go (at most `maxUnavailable` missing); by default
   * never fewer ready pods than replicas.
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment
   */
  public static rolling(options: RollingRolloutOptions = {}): DeploymentRollout {
    const maxSurge = options.maxSurge ?? 1;
    const maxUnavailable = options.maxUnavailable ?? 0;
    assertInt('rollout.maxUnavailable', maxUnavailable, { min: 0 });
    const min = maxUnavailable === 0 ? 1 : 0;
    assertInt('rollout.maxSurge', maxSurge, { min }, min ? 'a whole number >= 1 (maxUnavailable is 0, so a rollout needs room for at least one new pod)' : 'a whole number >= 0');
    return new DeploymentRollout({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(maxSurge), maxUnavailable: k8s.IntOrString.fromNumber(maxUnavailable) },
    });
  }

  /** Old pods stop before new ones start (a short outage per change, but no two pods ever hold the volumes at once). */
  public static recreate(): DeploymentRollout {
    return new DeploymentRollout({ type: 'Recreate' });
  }

  private constructor(
    /** The Deployment strategy this renders. */
    public readonly strategy: k8s.DeploymentStrategy,
  ) {}

  /** True when old and new pods can run at once during a rollout (a rolling update with a surge). */
  public get overlaps(): boolean {
    return this.strategy.type !== 'Recreate' && this.strategy.rollingUpdate?.maxSurge?.value !== 0;
  }
}

/** A container of a Deployment, with the prop path its errors name. */
export type DeploymentContainer = PodContainer;

/** Everything the core Deployment renderer needs: the pod template's options plus the Deployment's own. */
export interface DeploymentSpec extends Omit<PodTemplateOptions, 'claimTemplateNames' | 'restartPolicy'> {
  /**
   * Replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * A HorizontalPodAutoscaler owns the replica count: the Deployment renders none (a rendered count would fight the
   * autoscaler on every sync).
   * @default false
   */
  readonly autoscaled?: boolean;
  /**
   * How pods are replaced.
   * @default DeploymentRollout.rolling()
   */
  readonly rollout?: DeploymentRollout;
  /**
   * Old ReplicaSets kept for rollback.
   * @default - Kubernetes default (10)
   */
  readonly revisionHistoryLimit?: number;
  /**
   * A Service in front of the pods (construct id `Service`), selecting them by the workload's selector.
   * @default - no Service
   */
  readonly service?: Omit<ServiceOptions, 'pods' | 'labels'> & { readonly labels?: Readonly<Record<string, string>> };
}

/** The objects the core Deployment renderer made. */
export interface RenderedDeployment extends RenderedPodTemplate {
  /** The Deployment (construct id `Resource`). */
  readonly deployment: k8s.KubeDeployment;
  /**
   * The Service and its endpoint, when `service` was given.
   * @default - none
   */
  readonly service?: RenderedService;
}

/**
 * Renders a workload construct's Deployment (id `Resource`, so `ApiObject.of(construct)` patches it): its pod template
 * through `renderPodTemplate` (containers with the pod's security profile, the connections' init waits and the RBAC
 * they need, placement and pull secrets), policy exceptions and external references on its metadata, and optionally
 * the Service in front of it. The one Deployment renderer: Graphistry's services, the telemetry backends and the
 * generic `WebService`/`Worker` blocks all render through it.
 */
export function renderDeployment(workload: WorkloadConstruct, spec: DeploymentSpec): RenderedDeployment {
  return inConstruct(workload, () => renderDeploymentUnattributed(workload, spec));
}

function renderDeploymentUnattributed(workload: WorkloadConstruct, spec: DeploymentSpec): RenderedDeployment {
  const replicas = spec.replicas ?? 1;
  assertReplicas(propPath(spec.prop, 'replicas'), replicas);
  check(!(spec.autoscaled && spec.replicas !== undefined), propPath(spec.prop, 'replicas'), spec.replicas, 'unset when an autoscaler owns the count');
  if (spec.revisionHistoryLimit !== undefined) {
    assertInt(propPath(spec.prop, 'revisionHistoryLimit'), spec.revisionHistoryLimit, { min: 0 });
  }
  const pod = renderPodTemplate(workload, spec);
  const deployment = new k8s.KubeDeployment(workload, 'Resource', {
    metadata: { name: spec.name, labels: { ...spec.labels }, annotations: pod.workloadAnnotations },
    spec: {
      replicas: spec.autoscaled ? undefined : replicas,
      revisionHistoryLimit: spec.revisionHistoryLimit,
      selector: { matchLabels: { ...workload.selector } },
      strategy: (spec.rollout ?? DeploymentRollout.rolling()).strategy,
      template: pod.template,
    },
  });
  const service = spec.service
    ? buildService(workload, 'Service', { ...spec.service, labels: spec.service.labels ?? spec.labels, pods: workload })
    : undefined;
  return { ...pod, deployment, service };
}
