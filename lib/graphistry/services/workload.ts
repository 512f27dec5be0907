import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { buildContainer, buildWaitContainer, ContainerPortSpec } from '../../core/container';
import { EnvBuilder, EnvMap } from '../../core/env';
import { check } from '../../core/errors';
import { selectorLabels, standardLabels } from '../../core/labels';
import { NodeSelection, Placement, Toleration } from '../../core/placement';
import { buildPodSpec } from '../../core/pod';
import { ExternalRef, externalRefsAnnotation, policyExceptionAnnotations } from '../../core/policy';
import { NamespacedAccess } from '../../core/rbac';
import { Resources } from '../../core/resources';
import { SecurityProfile } from '../../core/security';
import { InitWait, waitRules } from '../../core/waits';
import { Release } from '../../release/release';
import { initContainerProfile } from '../defaults';
import { assertInt, assertReplicas } from '../../core/validate';

/**
 * How a CPU-side Deployment replaces its pods on a change. Rolling (the default) keeps the old pod serving until the
 * new one is ready; Recreate stops the old pod first, which is the safe choice when a ReadWriteOnce volume is shared
 * by pods that may land on different nodes (a surge pod on another node could never attach the volume).
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

/** What an operator may change on one CPU-side service. */
export interface GraphistryServiceOptions {
  /**
   * The image, pinned by tag or digest. It still passes through the release's registry redirect.
   * @default - the Graphistry image of the service at the stack's tag
   */
  readonly image?: string;
  /**
   * Environment merged over the service's defaults (yours win per key). Keys the construct owns (connection wiring
   * such as POSTGRES_*) are refused with a message naming the prop that sets them.
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Requests and limits.
   * @default - sized for the service
   */
  readonly resources?: Resources;
}

/** Placement and rollout shared by every CPU-side service. */
export interface ServiceCommonProps {
  /**
   * How pods are replaced on a change.
   * @default DeploymentRollout.rolling()
   */
  readonly rollout?: DeploymentRollout;
  /**
   * Security profile of the pod.
   * @default - per service (Graphistry images: root with the capabilities they need, recorded as policy exceptions)
   */
  readonly securityProfile?: SecurityProfile;
  /**
   * Tolerations in addition to the release-wide ones.
   * @default []
   */
  readonly tolerations?: readonly Toleration[];
}

/** Everything the shared Deployment + Service renderer needs. */
export interface ServiceWorkloadSpec {
  /** Name of the Deployment and the Service (and of the ServiceAccount, when waits need one). */
  readonly name: string;
  /** Prop path prefix for error messages. */
  readonly prop: string;
  /** `app.kubernetes.io/component`. */
  readonly component: string;
  /** `app.kubernetes.io/version` (metadata only, never in selectors). */
  readonly version: string;
  /** Name of the main container. */
  readonly containerName: string;
  /** The resolved image. */
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Container ports; every one must be named (Services and probes refer to names). */
  readonly ports: readonly ContainerPortSpec[];
  /** Service ports: the port clients dial and the container port name it forwards to. */
  readonly servicePorts: ReadonlyArray<{ readonly name: string; readonly port: number; readonly targetPort: string }>;
  readonly env: EnvBuilder;
  readonly resources: Resources;
  readonly liveness: k8s.Probe;
  readonly readiness: k8s.Probe;
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  readonly volumes?: readonly k8s.Volume[];
  /** Init waits (Services, pods, Postgres); RBAC for them is rendered when they read the API. */
  readonly waits?: readonly InitWait[];
  /** More init containers after the waits (copying bundled files into a volume). */
  readonly initContainers?: ReadonlyArray<{ readonly name: string; readonly image: string; readonly command: readonly string[]; readonly resources: Resources; readonly volumeMounts: readonly k8s.VolumeMount[] }>;
  readonly security: SecurityProfile;
  readonly nodeSelection: NodeSelection;
  readonly tolerations?: readonly Toleration[];
  readonly replicas?: number;
  readonly rollout?: DeploymentRollout;
  /** Objects the pod references that an operator creates (Secrets, PVCs from elsewhere). */
  readonly externalRefs?: readonly ExternalRef[];
  readonly podAnnotations?: Readonly<Record<string, string>>;
  readonly runtimeClassName?: string;
  readonly terminationGracePeriod?: Duration;
}

/** The objects one service renders. */
export interface ServiceWorkloadParts {
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  /** ServiceAccount, Role and RoleBinding, when the init waits read the API. */
  readonly access?: NamespacedAccess;
  /** Labels selecting the service's pods. */
  readonly selector: Readonly<Record<string, string>>;
}

/**
 * Renders a CPU-side service on `scope`: a Deployment (id `Resource`) and a ClusterIP Service (id `Service`) that
 * selects it by its stable labels and forwards by port name, with the release-wide placement (or the workload's
 * override), pull secrets, security profile and policy annotations applied.
 */
export function renderServiceWorkload(scope: Construct, spec: ServiceWorkloadSpec): ServiceWorkloadParts {
  const release = Release.of(scope);
  const identity = { name: spec.name, instance: release.releaseName, component: spec.component };
  const selector = selectorLabels(identity);
  const labels = standardLabels({ ...identity, partOf: 'graphistry', version: spec.version });
  const replicas = spec.replicas ?? 1;
  assertReplicas(`${spec.prop}.replicas`, replicas);
  for (const p of spec.ports) check(p.name !== undefined, `${spec.prop}.ports`, p.port, 'a named port (Services and probes refer to ports by name)');
  for (const sp of spec.servicePorts) {
    check(spec.ports.some((p) => p.name === sp.targetPort), `${spec.prop}.servicePorts.${sp.name}`, sp.targetPort, `a container port name (${spec.ports.map((p) => p.name).join(', ')})`);
  }

  const container = buildContainer(
    spec.prop,
    {
      name: spec.containerName,
      image: spec.image,
      command: spec.command,
      args: spec.args,
      ports: spec.ports,
      env: spec.env,
      resources: spec.resources,
      liveness: spec.liveness,
      readiness: spec.readiness,
      volumeMounts: spec.volumeMounts,
    },
    spec.security,
  );
  const waits = spec.waits ?? [];
  const initSecurity = initContainerProfile(spec.security);
  const initContainers = [
    ...waits.map((w) => buildWaitContainer(scope, w, initSecurity)),
    ...(spec.initContainers ?? []).map((c) =>
      buildContainer(`${spec.prop}.initContainers.${c.name}`, { name: c.name, image: c.image, command: c.command, resources: c.resources, volumeMounts: c.volumeMounts }, initSecurity),
    ),
  ];
  const rules = waitRules(waits);
  const access = rules.length ? new NamespacedAccess(scope, 'Access', { name: spec.name, labels, rules }) : undefined;

  const podSpec = buildPodSpec(scope, spec.prop, {
    containers: [container],
    initContainers,
    volumes: spec.volumes,
    security: spec.security,
    placement: Placement.of(scope).forWorkload({ nodeSelection: spec.nodeSelection, tolerations: spec.tolerations }, spec.prop),
    serviceAccountName: access?.serviceAccountName,
    // Only the k8s-wait-for init containers read the API; everything else runs without a token.
    automountServiceAccountToken: access !== undefined,
    runtimeClassName: spec.runtimeClassName,
    terminationGracePeriod: spec.terminationGracePeriod,
  });

  const annotations = { ...policyExceptionAnnotations(spec.security.exceptions), ...externalRefsAnnotation(spec.externalRefs ?? []) };
  const podAnnotations = spec.podAnnotations && Object.keys(spec.podAnnotations).length ? { ...spec.podAnnotations } : undefined;
  const deployment = new k8s.KubeDeployment(scope, 'Resource', {
    metadata: { name: spec.name, labels, annotations: Object.keys(annotations).length ? annotations : undefined },
    spec: {
      replicas,
      selector: { matchLabels: { ...selector } },
      strategy: (spec.rollout ?? DeploymentRollout.rolling()).strategy,
      template: { metadata: { labels, annotations: podAnnotations }, spec: podSpec },
    },
  });
  const service = new k8s.KubeService(scope, 'Service', {
    metadata: { name: spec.name, labels },
    spec: {
      type: 'ClusterIP',
      selector: { ...selector },
      ports: spec.servicePorts.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.targetPort), protocol: 'TCP' })),
    },
  });
  return { deployment, service, access, selector };
}
