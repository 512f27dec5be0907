import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { buildContainer, buildWaitContainer, ContainerOptions } from './container';
import { check, ConfigError, inConstruct, propPath } from './errors';
import { buildPodSpec } from './pod';
import { ExternalRef, externalRefsAnnotation, PolicyException, policyExceptionAnnotations } from './policy';
import { ResolvedPlacement } from './placement';
import { NamespacedAccess } from './rbac';
import { SecurityProfile } from './security';
import { assertInt, assertReplicas } from './validate';
import { buildService, RenderedService, ServiceOptions } from './service';
import { PodWiring } from './wiring';
import { WorkloadConstruct } from './workload';

/**
 * How a Deployment replaces its pods on a change. Rolling (the default) keeps the old pod serving until the new one
 * is ready; Recreate stops the old pod first, which is the safe choice when a ReadWriteOnce volume is shared by pods
 * that may land on different nodes (a surge pod on another node could never attach the volume), and for single-writer
 * stores (a TSDB, an embedded database) that two pods must never open at once.
 */
export class DeploymentRollout {
  /**
   * New pods come up (at most `maxSurge` extra) before old ones go; never fewer ready pods than replicas.
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment
   */
  public static rolling(options: { readonly maxSurge?: number } = {}): DeploymentRollout {
    const maxSurge = options.maxSurge ?? 1;
    assertInt('rollout.maxSurge', maxSurge, { min: 1 }, 'a whole number >= 1 (maxUnavailable is 0, so a rollout needs room for at least one new pod)');
    return new DeploymentRollout({ type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(maxSurge), maxUnavailable: k8s.IntOrString.fromNumber(0) } });
  }

  /** Old pods stop before new ones start (a short outage per change, but no two pods ever hold the volumes at once). */
  public static recreate(): DeploymentRollout {
    return new DeploymentRollout({ type: 'Recreate' });
  }

  private constructor(
    /** The Deployment strategy this renders. */
    public readonly strategy: k8s.DeploymentStrategy,
  ) {}
}

/** A container of a Deployment, with the prop path its errors name. */
export interface DeploymentContainer extends ContainerOptions {
  /**
   * Prop path prefix of the container's error messages.
   * @default - the Deployment's `prop`
   */
  readonly prop?: string;
}

/** Everything the core Deployment renderer needs. */
export interface DeploymentSpec {
  /** Name of the Deployment (and of the ServiceAccount, Role and RoleBinding when init waits read the API). */
  readonly name: string;
  /**
   * Where the pod's settings sit in the workload construct's own props: `''` when they are the construct's props
   * (`image`, `env`, `replicas`), a path when they are nested. Errors are attributed to the workload, so its creator's
   * forwarding names them as the user wrote them (`nexus.replicas` in a GraphistryStack); never write the creator's
   * prefix here.
   */
  readonly prop: string;
  /** Labels of the Deployment and its pod template (a superset of the workload's selector). */
  readonly labels: Readonly<Record<string, string>>;
  /** The main containers, in order; each is rendered with the pod's security profile. */
  readonly containers: readonly DeploymentContainer[];
  /**
   * What the pod's connections gathered: init waits (first among the init containers), volumes and external
   * references. RBAC is rendered when a wait reads the API.
   * @default - no connections
   */
  readonly wiring?: PodWiring;
  /**
   * More init containers, after the waits (copying bundled files into a volume).
   * @default - none
   */
  readonly initContainers?: readonly DeploymentContainer[];
  /**
   * The pod's own volumes (the connections' volumes follow them).
   * @default - none
   */
  readonly volumes?: readonly k8s.Volume[];
  /** The pod's security profile; init containers get `security.forInitContainers()`. */
  readonly security: SecurityProfile;
  /** Where the pods run (resolved against the release-wide placement). */
  readonly placement: ResolvedPlacement;
  /**
   * Replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * How pods are replaced.
   * @default DeploymentRollout.rolling()
   */
  readonly rollout?: DeploymentRollout;
  /**
   * Objects the pod references that an operator creates (beyond the connections' own).
   * @default - none
   */
  readonly externalRefs?: readonly ExternalRef[];
  /**
   * Policy exceptions beyond the security profile's (a `probes` exception).
   * @default - none
   */
  readonly policyExceptions?: readonly PolicyException[];
  /**
   * Pod-template annotations (config checksums).
   * @default - none
   */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /**
   * A ServiceAccount the construct renders itself (the pod talks to the API), mounted with its token. Exclusive with
   * waits that read the API, which render their own.
   * @default - the waits' account when they need one, else the namespace default without a token
   */
  readonly serviceAccountName?: string;
  /** @default - the cluster default runtime */
  readonly runtimeClassName?: string;
  /** @default - Kubernetes default (30s) */
  readonly terminationGracePeriod?: Duration;
  /** @default - none */
  readonly topologySpreadConstraints?: readonly k8s.TopologySpreadConstraint[];
  /**
   * A Service in front of the pods (construct id `Service`), selecting them by the workload's selector.
   * @default - no Service
   */
  readonly service?: Omit<ServiceOptions, 'pods' | 'labels'> & { readonly labels?: Readonly<Record<string, string>> };
}

/** The objects the core Deployment renderer made. */
export interface RenderedDeployment {
  /** The Deployment (construct id `Resource`). */
  readonly deployment: k8s.KubeDeployment;
  /**
   * ServiceAccount, Role and RoleBinding, when an init wait reads the API.
   * @default - none (no wait reads the API)
   */
  readonly access?: NamespacedAccess;
  /**
   * The Service and its endpoint, when `service` was given.
   * @default - none
   */
  readonly service?: RenderedService;
}

function nonEmpty(a: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(a).length ? a : undefined;
}

/**
 * Renders a workload construct's Deployment (id `Resource`, so `ApiObject.of(construct)` patches it): the containers
 * with the pod's security profile, the connections' init waits and the RBAC they need, the pod spec with placement and
 * pull secrets, policy exceptions and external references on its metadata, and optionally the Service in front of it.
 * The one Deployment renderer; generic workload blocks build on it.
 */
export function renderDeployment(workload: WorkloadConstruct, spec: DeploymentSpec): RenderedDeployment {
  return inConstruct(workload, () => renderDeploymentUnattributed(workload, spec));
}

function renderDeploymentUnattributed(workload: WorkloadConstruct, spec: DeploymentSpec): RenderedDeployment {
  const replicas = spec.replicas ?? 1;
  assertReplicas(propPath(spec.prop, 'replicas'), replicas);
  check(spec.containers.length > 0, propPath(spec.prop, 'containers'), spec.containers, 'at least one container');
  const wiring = spec.wiring;
  const waits = wiring?.waits ?? [];
  const initSecurity = spec.security.forInitContainers();
  const containers = spec.containers.map((c) => buildContainer(c.prop ?? spec.prop, c, spec.security));
  const initContainers = [
    ...waits.map((w) => buildWaitContainer(workload, w, initSecurity)),
    ...(spec.initContainers ?? []).map((c) => buildContainer(c.prop ?? propPath(spec.prop, `initContainers.${c.name}`), c, initSecurity)),
  ];
  const rules = wiring?.waitRules() ?? [];
  if (rules.length && spec.serviceAccountName !== undefined) {
    throw new ConfigError(propPath(spec.prop, 'serviceAccountName'), spec.serviceAccountName, 'unset while init waits read the API', 'the waits render a ServiceAccount of their own');
  }
  const access = rules.length ? new NamespacedAccess(workload, 'Access', { name: spec.name, labels: spec.labels, rules }) : undefined;
  const serviceAccountName = access?.serviceAccountName ?? spec.serviceAccountName;

  const podSpec = buildPodSpec(workload, spec.prop, {
    containers,
    initContainers,
    volumes: [...(spec.volumes ?? []), ...(wiring?.volumes ?? [])],
    security: spec.security,
    placement: spec.placement,
    serviceAccountName,
    // Only pods that talk to the API (waits, discovery) get a token.
    automountServiceAccountToken: serviceAccountName !== undefined,
    runtimeClassName: spec.runtimeClassName,
    terminationGracePeriod: spec.terminationGracePeriod,
    topologySpreadConstraints: spec.topologySpreadConstraints,
  });

  const annotations = nonEmpty({
    ...policyExceptionAnnotations([...spec.security.exceptions, ...(spec.policyExceptions ?? [])]),
    ...externalRefsAnnotation([...(spec.externalRefs ?? []), ...(wiring?.externalRefs ?? [])]),
  });
  const deployment = new k8s.KubeDeployment(workload, 'Resource', {
    metadata: { name: spec.name, labels: { ...spec.labels }, annotations },
    spec: {
      replicas,
      selector: { matchLabels: { ...workload.selector } },
      strategy: (spec.rollout ?? DeploymentRollout.rolling()).strategy,
      template: { metadata: { labels: { ...spec.labels }, annotations: nonEmpty({ ...spec.podAnnotations }) }, spec: podSpec },
    },
  });
  const service = spec.service
    ? buildService(workload, 'Service', { ...spec.service, labels: spec.service.labels ?? spec.labels, pods: workload })
    : undefined;
  return { deployment, access, service };
}
