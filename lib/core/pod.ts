import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { check, inConstruct, propPath } from './errors';
import { Images } from './images';
import { ResolvedPlacement } from './placement';
import { SecurityProfile } from './security';

/** What goes into a pod spec; placement, security and pull secrets are always applied. */
export interface PodOptions {
  /** The main containers, already built (`buildContainer`). */
  readonly containers: readonly k8s.Container[];
  /**
   * Init containers, in the order they run.
   * @default - none
   */
  readonly initContainers?: readonly k8s.Container[];
  /**
   * The pod's volumes (the security profile's hostPath volumes are added).
   * @default - none
   */
  readonly volumes?: readonly k8s.Volume[];
  /** The security profile (pod securityContext, host access). */
  readonly security: SecurityProfile;
  /** Where the pod runs, resolved against the release-wide placement. */
  readonly placement: ResolvedPlacement;
  /**
   * ServiceAccount the pod runs as.
   * @default - the namespace's default account
   */
  readonly serviceAccountName?: string;
  /**
   * Mount the ServiceAccount token. Off unless the pod talks to the API (waits, service discovery).
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /** @default - Kubernetes default (30s) */
  readonly terminationGracePeriod?: Duration;
  /**
   * Static /etc/hosts entries (loopback aliases for sibling containers).
   * @default - none
   */
  readonly hostAliases?: readonly k8s.HostAlias[];
  /** @default - the cluster default runtime */
  readonly runtimeClassName?: string;
  /** @default - Kubernetes default */
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /**
   * PriorityClass of the pod.
   * @default - the cluster default priority
   */
  readonly priorityClassName?: string;
  /**
   * Topology spread constraints.
   * @default - none
   */
  readonly topologySpreadConstraints?: readonly k8s.TopologySpreadConstraint[];
  /**
   * Names of volumes that are not in `volumes` but exist at run time: a StatefulSet's `volumeClaimTemplates`, which the
   * controller adds to each pod. Mounts of these names are accepted.
   * @default - none
   */
  readonly claimTemplateNames?: readonly string[];
}

/**
 * Renders a pod spec from its parts, validating that container names are unique and volume mounts resolve. The
 * security profile's host access (hostNetwork, hostPID, hostPaths volumes) is rendered here; its exceptions are in
 * `security.exceptions`.
 */
export function buildPodSpec(scope: IConstruct, prop: string, o: PodOptions): k8s.PodSpec {
  return inConstruct(scope, () => buildPodSpecUnattributed(scope, prop, o));
}

function buildPodSpecUnattributed(scope: IConstruct, prop: string, o: PodOptions): k8s.PodSpec {
  const names = new Set<string>();
  for (const c of [...(o.initContainers ?? []), ...o.containers]) {
    check(!names.has(c.name), propPath(prop, 'containers'), c.name, 'unique container names', `${c.name} appears twice`);
    names.add(c.name);
  }
  const ownVolumes = new Set([...(o.volumes ?? []).map((v) => v.name), ...(o.claimTemplateNames ?? [])]);
  const hostVolumes = o.security.hostPathVolumes();
  for (const v of hostVolumes) {
    check(!ownVolumes.has(v.name), propPath(prop, 'volumes'), v.name, "names distinct from the security profile's hostPaths volumes", `${v.name} is also a hostPaths volume`);
  }
  const allVolumes = [...(o.volumes ?? []), ...hostVolumes];
  const volumes = new Set([...ownVolumes, ...hostVolumes.map((v) => v.name)]);
  for (const c of [...(o.initContainers ?? []), ...o.containers]) {
    for (const m of c.volumeMounts ?? []) {
      check(volumes.has(m.name), propPath(prop, `${c.name}.volumeMounts`), m.name, `one of the pod's volumes (${[...volumes].join(', ') || 'none'})`);
    }
  }
  const grace = o.terminationGracePeriod?.toSeconds();
  return {
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: o.automountServiceAccountToken ?? false,
    securityContext: o.security.podSecurityContext(),
    nodeSelector: o.placement.nodeSelector,
    tolerations: o.placement.tolerations,
    affinity: o.placement.affinity,
    topologySpreadConstraints: o.topologySpreadConstraints?.length ? [...o.topologySpreadConstraints] : undefined,
    imagePullSecrets: Images.of(scope).pullSecrets(),
    terminationGracePeriodSeconds: grace,
    hostAliases: o.hostAliases?.length ? [...o.hostAliases] : undefined,
    runtimeClassName: o.runtimeClassName,
    restartPolicy: o.restartPolicy,
    hostNetwork: o.security.hostNetwork || undefined,
    hostPid: o.security.hostPID || undefined,
    priorityClassName: o.priorityClassName,
    initContainers: o.initContainers?.length ? [...o.initContainers] : undefined,
    containers: [...o.containers],
    volumes: allVolumes.length ? allVolumes : undefined,
  };
}

/**
 * Where each built-in workload kind keeps its pod template, as a field path from the object's root. The one table
 * every reader of rendered objects uses (verification, NetworkPolicies, Pod Security, sync ordering). A bare Pod has
 * no template: its `spec` is the pod spec.
 * @internal
 */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/**
 * The pod spec of a rendered workload object (plain JSON), or undefined when the kind runs no pods.
 * @internal
 */
export function renderedPodSpec(o: { readonly kind?: string } | undefined): any {
  if (o?.kind === 'Pod') return (o as any).spec;
  const path = o?.kind !== undefined ? POD_TEMPLATE_PATHS[o.kind] : undefined;
  if (!path) return undefined;
  return path.reduce<any>((x, k) => x?.[k], o)?.spec;
}
