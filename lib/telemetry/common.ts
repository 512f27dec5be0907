import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { check } from '../core/errors';
import { assertGid } from '../core/validate';
import { checksumAnnotations } from '../core/checksum';
import { ContainerOptions } from '../core/container';
import { PodContainer } from '../core/pod-template';
import { DaemonSetParts, renderDaemonSet } from '../core/daemonset';
import { DeploymentRollout, RenderedDeployment, renderDeployment } from '../core/deployment';
import { EndpointPortSpec, ServiceEndpoint } from '../core/endpoint';
import { isDnsSubdomain } from '../core/names';
import { ResolvedPlacement } from '../core/placement';
import { ExternalRef, PolicyException } from '../core/policy';
import { keepStateAnnotations } from '../core/retention';
import { buildService, RenderedService } from '../core/service';
import { WorkloadConstruct } from '../core/workload';
import { sizeQuantity } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { standardLabels, selectorLabels } from '../core/labels';
import { Release } from '../release/release';

/**
 * Default StorageClass of the telemetry PVCs. Deliberately separate from the application's class: an app class that
 * is NFS/RWX would otherwise land the Prometheus TSDB, Jaeger's Badger store and Grafana's SQLite on a networked
 * filesystem whose fsync and flock semantics those stores rely on.
 */
export const TELEMETRY_STORAGE_CLASS = 'retain-sc-telemetry';

/** The images the stack renders by default, pinned by tag. Every one goes through `Images.of(scope).resolve`. */
export const TELEMETRY_IMAGES = {
  collector: 'otel/opentelemetry-collector-contrib:0.116.0',
  prometheus: 'prom/prometheus:v2.54.1',
  grafana: 'grafana/grafana:11.2.2',
  jaeger: 'jaegertracing/all-in-one:1.62.0',
  dcgmExporter: 'nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04',
  nodeExporter: 'quay.io/prometheus/node-exporter:v1.8.2',
} as const;

/**
 * Value of `app.kubernetes.io/component` on every telemetry object.
 * @internal
 */
export const TELEMETRY_COMPONENT = 'telemetry';

/** Where a member keeps its data. */
export interface TelemetryPersistence {
  /**
   * Keep the data on a PersistentVolumeClaim. Without it the data lives in an emptyDir and is lost whenever the pod
   * is rescheduled or restarted on another node (Grafana dashboards and users, Jaeger traces, Prometheus history).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Requested size of the claim.
   * @default - per member: Prometheus 20Gi, Jaeger 10Gi, Grafana 2Gi
   */
  readonly size?: Size;
  /**
   * StorageClass of the claim. Use a block-storage class with a Retain reclaim policy; not NFS.
   * @default - the stack's `storageClassName` (`retain-sc-telemetry`)
   */
  readonly storageClassName?: string;
  /**
   * Use an existing claim (made by another release or by hand) instead of rendering one. The workload declares it
   * in its `refs.ops-kit.io/external` annotation.
   * @default - the member renders its own claim
   */
  readonly existingClaim?: string;
}

/**
 * The group that owns a member's data volume (`securityContext.fsGroup`). The kubelet chowns the volume to it on
 * attach, so a non-root process can write to a freshly provisioned block volume that starts out as root:root 0755.
 */
export class FsGroup {
  /** Volumes are owned by this group id. */
  public static of(gid: number): FsGroup {
    assertGid('fsGroup', gid);
    return new FsGroup(gid);
  }

  /**
   * No fsGroup: the volume keeps the ownership the storage backend gives it. For NFS exports prepared with open
   * permissions, where a recursive chown on every mount is slow or refused.
   */
  public static none(): FsGroup {
    return new FsGroup(undefined);
  }

  private constructor(
    /** The group id, or undefined for none. */
    public readonly gid: number | undefined,
  ) {}
}

/** A UI the stack serves under a path prefix, for a reverse proxy to route to. */
export interface TelemetryRoute {
  /** Which UI. */
  readonly ui: 'grafana' | 'prometheus' | 'jaeger';
  /** Path prefix, starting with '/' and without a trailing slash (`/grafana`). */
  readonly pathPrefix: string;
  /** The UI's Service: what the reverse proxy connects to. */
  readonly endpoint: ServiceEndpoint;
  /** The endpoint port (by name) serving the UI. */
  readonly port: string;
  /**
   * Whether the proxy must strip the prefix before forwarding. Always false: every backend is configured to serve
   * under its prefix itself (Prometheus `--web.route-prefix`, Jaeger `QUERY_BASE_PATH`, Grafana
   * `serve_from_sub_path`), so the proxy forwards the path unchanged.
   */
  readonly stripPrefix: false;
}

const PATH_PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Throws unless `prefix` is an absolute URL path without a trailing slash (`/grafana`, `/ops/grafana`).
 * @internal
 */
export function assertPathPrefix(prop: string, prefix: string): string {
  check(typeof prefix === 'string' && PATH_PREFIX.test(prefix), prop, prefix, "a path starting with '/', made of letters, digits and '.', '_', '~', '-' segments, without a trailing slash (for example /grafana)");
  return prefix;
}

export { HostPort, parseHostPort } from '../core/validate';

/**
 * Identity of one stack member: its object name and the labels derived from it.
 * @internal
 */
export class MemberIdentity {
  /** Selector labels (name, instance, component): stable across upgrades. */
  public readonly selector: Record<string, string>;
  /** Full labels for metadata and pod templates. */
  public readonly labels: Record<string, string>;
  /** Release namespace. */
  public readonly namespace: string;

  constructor(
    scope: Construct,
    /** The member's object name (`prometheus`, or `<prefix>-prometheus`). */
    public readonly name: string,
    partOf?: string,
  ) {
    const release = Release.of(scope);
    const identity = { name, instance: release.releaseName, component: TELEMETRY_COMPONENT };
    this.selector = selectorLabels(identity);
    this.labels = standardLabels({ ...identity, partOf });
    this.namespace = release.releaseNamespace;
  }
}

/**
 * Per-member data volume: the pod volume plus, when one is rendered, the claim.
 * @internal
 */
export interface DataVolume {
  /** The pod volume named `data`. */
  readonly volume: k8s.Volume;
  /**
   * The claim, when the member renders one.
   * @default - none
   */
  readonly claim?: k8s.KubePersistentVolumeClaim;
  /**
   * The claim name when it is made outside this app.
   * @default - none
   */
  readonly externalClaim?: string;
}

/**
 * Renders a member's data volume: a ReadWriteOnce claim (or a reference to an existing one) when persistence is on,
 * an emptyDir otherwise. The claim carries the keep-state annotations (`keepStateAnnotations`), so Argo CD and Helm keep
 * it (and the data) when persistence is switched off, the member is removed or the release is deleted; deleting data is
 * an operator decision.
 * @internal
 */
export function dataVolume(
  scope: Construct,
  prop: string,
  id: MemberIdentity,
  persistence: TelemetryPersistence | undefined,
  defaults: { readonly size: Size; readonly storageClassName: string },
): DataVolume {
  const name = 'data';
  if (persistence?.enabled === false) {
    check(persistence.existingClaim === undefined, `${prop}.existingClaim`, persistence.existingClaim, 'unset when persistence is disabled');
    return { volume: { name, emptyDir: {} } };
  }
  if (persistence?.existingClaim !== undefined) {
    check(isDnsSubdomain(persistence.existingClaim), `${prop}.existingClaim`, persistence.existingClaim, 'the name of an existing PersistentVolumeClaim (DNS-1123 subdomain)');
    check(persistence.size === undefined && persistence.storageClassName === undefined, `${prop}.existingClaim`, persistence.existingClaim, 'either existingClaim or size/storageClassName, not both', 'the size and class of an existing claim are not ours to set');
    return { volume: { name, persistentVolumeClaim: { claimName: persistence.existingClaim } }, externalClaim: persistence.existingClaim };
  }
  const size = persistence?.size ?? defaults.size;
  check(size.toKibibytes() > 0, `${prop}.size`, sizeQuantity(size), 'more than 0');
  const storageClassName = persistence?.storageClassName ?? defaults.storageClassName;
  check(isDnsSubdomain(storageClassName), `${prop}.storageClassName`, storageClassName, 'a StorageClass name (DNS-1123 subdomain)');
  const claimName = `${id.name}-data`;
  const claim = new k8s.KubePersistentVolumeClaim(scope, 'Data', {
    metadata: { name: claimName, labels: id.labels, annotations: keepStateAnnotations() },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName,
      resources: { requests: { storage: k8s.Quantity.fromString(sizeQuantity(size)) } },
    },
  });
  return { volume: { name, persistentVolumeClaim: { claimName } }, claim };
}

/**
 * Throws unless `name` is a Secret name.
 * @internal
 */
export function assertSecretName(prop: string, name: string): string {
  check(typeof name === 'string' && isDnsSubdomain(name), prop, name, 'the name of an existing Secret (DNS-1123 subdomain)');
  return name;
}

/**
 * Throws unless `key` is a Secret data key.
 * @internal
 */
export function assertSecretDataKey(prop: string, key: string): string {
  check(typeof key === 'string' && /^[-._a-zA-Z0-9]+$/.test(key) && key.length <= 253, prop, key, "a Secret data key: letters, digits, '-', '_' and '.'");
  return key;
}

/**
 * Renders a member's ClusterIP Service (construct id `Service`) and its endpoint; each port targets the container
 * port of the same name. `nodeLocal` sets `internalTrafficPolicy: Local`: callers reach the pod on their own node
 * only. Per-node agents use it so OTLP stays on the node and a node-local scraper sees its own node's exporter, not a
 * random one.
 * @internal
 */
export function renderService(
  member: WorkloadConstruct,
  id: MemberIdentity,
  ports: readonly EndpointPortSpec[],
  nodeLocal: boolean,
): RenderedService {
  return buildService(member, 'Service', {
    name: id.name,
    labels: id.labels,
    pods: member,
    type: 'ClusterIP',
    internalTrafficPolicy: nodeLocal ? 'Local' : undefined,
    ports,
  });
}

/**
 * The `checksum/config` annotation of a member configured through its container's env and args rather than a
 * mounted file (Jaeger, the exporters): every telemetry pod template carries one, so a reviewer (and the seed's
 * rollout check) finds the same marker on each, and it changes exactly when the settings do.
 * @internal
 */
export function settingsChecksum(container: { readonly args?: readonly string[]; readonly env?: readonly k8s.EnvVar[] }): Record<string, string> {
  return checksumAnnotations({ args: container.args ?? [], env: container.env ?? [] });
}

/**
 * Workload-metadata annotations: policy exceptions and external references (undefined when there are none).
 * @internal
 */
export function workloadAnnotations(...maps: ReadonlyArray<Record<string, string>>): Record<string, string> | undefined {
  const out = Object.assign({}, ...maps) as Record<string, string>;
  return Object.keys(out).length ? out : undefined;
}

/**
 * The DaemonSet (construct id `Resource`) of a per-node member (the collector, the exporters), named and labelled by
 * its identity.
 * @internal
 */
export function renderMemberDaemonSet(member: WorkloadConstruct, id: MemberIdentity, parts: Omit<DaemonSetParts, 'name' | 'labels' | 'selector'>): k8s.KubeDaemonSet {
  return renderDaemonSet(member, { name: id.name, labels: id.labels, selector: id.selector, ...parts });
}

/**
 * What a stateful backend's Deployment is made of.
 * @internal
 */
export interface BackendDeploymentParts {
  /** Prop path prefix of error messages (`prometheus`). */
  readonly prop: string;
  /** The backend's main container. */
  readonly container: ContainerOptions;
  /**
   * Containers beside the main one (Grafana's dashboard sidecar).
   * @default - none
   */
  readonly sidecars?: readonly PodContainer[];
  /**
   * Policy exceptions of the workload beyond the security profile's (a sidecar with nothing to probe).
   * @default - none
   */
  readonly policyExceptions?: readonly PolicyException[];
  /**
   * The pod's volumes other than the data volume (which follows them).
   * @default - none
   */
  readonly volumes?: readonly k8s.Volume[];
  /** The pod's security profile. */
  readonly security: SecurityProfile;
  /** Where the pod runs. */
  readonly placement: ResolvedPlacement;
  /** The data volume: an existing claim it names is declared external. */
  readonly storage: DataVolume;
  /**
   * Other objects the pod needs that the app does not render (an admin Secret).
   * @default - none
   */
  readonly externalRefs?: readonly ExternalRef[];
  /**
   * The generated config the pod mounts, or (for a member configured through env and args) those settings; its
   * checksum is the pod template's `checksum/config`.
   * @default - the container's env and args
   */
  readonly config?: Record<string, string>;
  /**
   * A ServiceAccount the member renders (Prometheus' discovery account).
   * @default - none
   */
  readonly serviceAccountName?: string;
  /** The Service's ports (each to the container port of the same name). */
  readonly servicePorts: readonly EndpointPortSpec[];
}

/**
 * The Deployment and Service of a stateful telemetry backend (Prometheus, Grafana, Jaeger), through the core renderer:
 * one replica with the Recreate strategy, because each holds a ReadWriteOnce data volume that two pods of a rolling
 * update could not both mount. Policy exceptions and external references go on the Deployment's metadata.
 * @internal
 */
export function renderBackendDeployment(member: WorkloadConstruct, id: MemberIdentity, parts: BackendDeploymentParts): RenderedDeployment {
  const refs: ExternalRef[] = [...(parts.externalRefs ?? [])];
  if (parts.storage.externalClaim) refs.push({ kind: 'PersistentVolumeClaim', name: parts.storage.externalClaim });
  return renderDeployment(member, {
    name: id.name,
    prop: parts.prop,
    labels: id.labels,
    containers: [parts.container, ...(parts.sidecars ?? [])],
    volumes: [...(parts.volumes ?? []), parts.storage.volume],
    security: parts.security,
    placement: parts.placement,
    replicas: 1,
    rollout: DeploymentRollout.recreate(),
    externalRefs: refs,
    policyExceptions: parts.policyExceptions,
    podAnnotations: parts.config
      ? checksumAnnotations(parts.config)
      : settingsChecksum({ args: parts.container.args, env: parts.container.env?.build() }),
    serviceAccountName: parts.serviceAccountName,
    service: { name: id.name, labels: id.labels, type: 'ClusterIP', ports: parts.servicePorts },
  });
}

/**
 * A Go duration string (`72h`, `90m`, `45s`) for settings parsed with Go's time.ParseDuration.
 * @internal
 */
export function goDuration(prop: string, seconds: number): string {
  check(Number.isSafeInteger(seconds) && seconds > 0, prop, `${seconds}s`, 'a positive whole number of seconds');
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
