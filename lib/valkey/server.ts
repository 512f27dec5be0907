import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { assertClaimOptions, claimTemplate, ClaimOptions } from '../core/claims';
import { renderDeployment } from '../core/deployment';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder, EnvMap } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { assertLabels, assertLabelValue, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { NodeSelection, Placement, ResolvedPlacement, WorkloadPlacementOptions } from '../core/placement';
import { PodContainer, PodTemplateOptions } from '../core/pod-template';
import { Probes, ProbeTiming } from '../core/probes';
import { NamespacedAccess } from '../core/rbac';
import { quantityOf, renderResources, Resources, sized } from '../core/resources';
import { SecretCommands, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { renderStatefulSet, RenderedStatefulSet } from '../core/statefulset';
import { assertInt } from '../core/validate';
import { WAIT_RESOURCES } from '../core/waits';
import { ClientBinding, Connection, IConnectable, PodWiring, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { WorkloadKind } from '../workload/worker';
import { connectValkey, IValkey, ValkeyAuth, ValkeyConnectOptions } from './client';
import { VALKEY_PORT, ValkeyConfig, ValkeyEvictionPolicy } from './config';
import { ValkeyEngine } from './engine';

/** uid and gid the server runs as (the `valkey` / `redis` user of the official images). */
export const VALKEY_UID = 999;
/**
 * Longest server name: the replicas' StatefulSet `<name>-replica` carries `controller-revision-hash: <sts>-<10 chars>`
 * (a 63-character label), so `<name>-replica` stays within 52.
 */
export const VALKEY_MAX_NAME = 44;

const CONFIG_DIR = '/etc/valkey';
const CONFIG_FILE = 'valkey.conf';
/** Where the init container writes the settings that come from Secrets and from the pod's role. */
const RUNTIME_DIR = '/run/valkey';
export const VALKEY_RUNTIME_CONFIG = `${RUNTIME_DIR}/runtime.conf`;
const DATA_DIR = '/data';

/** Where the data lives. */
export class ValkeyPersistence {
  /**
   * In memory only: a cache whose content is rebuilt after a restart (nothing is written to disk; a restarted pod
   * starts empty, and a replica resyncs from the primary).
   */
  public static none(): ValkeyPersistence {
    return new ValkeyPersistence(undefined, undefined);
  }

  /**
   * An append-only file (AOF) on a kept claim per pod: writes survive restarts, up to the last second with the default
   * `everysec` fsync.
   */
  public static appendOnly(options: ClaimOptions & { readonly fsync?: 'always' | 'everysec' | 'no' }): ValkeyPersistence {
    assertClaimOptions('persistence', options);
    if (options.fsync !== undefined) check(['always', 'everysec', 'no'].includes(options.fsync), 'persistence.fsync', options.fsync, 'always, everysec or no');
    return new ValkeyPersistence({ size: options.size, storageClassName: options.storageClassName }, options.fsync ?? 'everysec');
  }

  private constructor(
    /** The claim of each pod (append-only only). */
    public readonly claim: ClaimOptions | undefined,
    /** The AOF fsync policy (append-only only). */
    public readonly fsync: 'always' | 'everysec' | 'no' | undefined,
  ) {}
}

/**
 * Which settings the server starts with: a config file rendered from the props (the component's own choice) or the
 * image's built-in defaults.
 */
export class ValkeyConfigSource {
  /**
   * A config file rendered from the typed props into the ConfigMap `<name>`: no RDB snapshots, an append-only file
   * when `persistence` asks for one, `maxmemory` and its policy, and the runtime file (password, `replicaof`) included
   * last. The init container always writes the runtime file, and the checksums of both roll the pods.
   */
  public static rendered(): ValkeyConfigSource {
    return new ValkeyConfigSource('rendered');
  }

  /**
   * The image's built-in defaults, with no config file and no ConfigMap: RDB snapshots into the data directory and no
   * `maxmemory`, so the dataset grows up to the container's memory limit. For a product whose clients rely on those
   * defaults (Graphistry's Redis). With a password, or as a replica, an init container writes the runtime file
   * (`requirepass`, `replicaof`) and the server starts with that file alone; otherwise the image's entrypoint starts it
   * unchanged. `maxMemory`, `maxMemoryPolicy` and append-only persistence are settings of the rendered file, so they
   * are refused here.
   */
  public static imageDefaults(): ValkeyConfigSource {
    return new ValkeyConfigSource('image-defaults');
  }

  private constructor(
    /** `rendered` or `image-defaults`. */
    public readonly mode: 'rendered' | 'image-defaults',
  ) {}
}

/** How Kubernetes checks the server. Either way the CLI reads the password from its env variable, never argv. */
export class ValkeyProbes {
  /**
   * A startup probe that gives a large append-only file ten minutes to load, a liveness probe that accepts `LOADING`,
   * and a readiness probe that answers `PONG` on the primary and, on a replica, holds the pod out of the read Service
   * until its link to the primary is up (each a `sh -c` pipeline through grep).
   */
  public static replicationAware(): ValkeyProbes {
    return new ValkeyProbes('replication-aware', {});
  }

  /**
   * `<cli> ping` as both the liveness and the readiness probe, with `timing` and no startup probe: the CLI's exit
   * status alone, for a server with little to load (a cache without persistence or replicas). A replica probed this
   * way joins the read Service before its first sync completes.
   * @param timing the probes' timing @default - Kubernetes' defaults
   */
  public static ping(timing: ProbeTiming = {}): ValkeyProbes {
    try {
      // Validated here, so the message names the factory's option.
      Probes.exec(['ping'], timing);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(e.prop.replace(/^probe\./, 'probes.ping.'), e.value, e.allowed, e.reason);
      throw e;
    }
    return new ValkeyProbes('ping', { ...timing });
  }

  private constructor(
    /** `replication-aware` or `ping`. */
    public readonly style: 'replication-aware' | 'ping',
    /** The timing of the `ping` probes. */
    public readonly timing: ProbeTiming,
  ) {}
}

/**
 * The `app.kubernetes.io` identity a product gives its server. The name and component are in every selector, which
 * Kubernetes never lets change on a workload, so a product that had its own cache keeps its selector by giving it here.
 */
export interface ValkeyIdentity {
  /** `app.kubernetes.io/name` (`redis`). */
  readonly name: string;
  /** `app.kubernetes.io/component` (`cache`); the replicas get `<component>-replica`. */
  readonly component: string;
  /**
   * `app.kubernetes.io/part-of` (`graphistry`), on metadata only.
   * @default - no part-of label
   */
  readonly partOf?: string;
}

/** Props of a ValkeyServer. */
export interface ValkeyServerProps {
  /**
   * Name of the StatefulSets (or the Deployment), Services and ConfigMap (the Service name is the host clients use).
   * @default - `<release name>-valkey`
   */
  readonly name?: string;
  /**
   * Valkey or Redis, and the image (pinned and redirected like every image in the release).
   * @default ValkeyEngine.valkey()
   */
  readonly engine?: ValkeyEngine;
  /**
   * How clients authenticate. There is no default: a password needs an operator-created Secret, and no password
   * needs a reason.
   */
  readonly auth: ValkeyAuth;
  /**
   * Where the data lives.
   * @default ValkeyPersistence.none()
   */
  readonly persistence?: ValkeyPersistence;
  /**
   * Read replicas: a second StatefulSet replicating from the primary, behind its own read Service. Replicas are
   * read-only and eventually consistent; there is no failover (the primary is a single pod).
   * @default 0
   */
  readonly readReplicas?: number;
  /**
   * `maxmemory`: the dataset's ceiling (a setting of the rendered config).
   * @default - three quarters of the memory limit without persistence, half with it (an AOF rewrite forks the
   * server, and copy-on-write can double its memory)
   */
  readonly maxMemory?: Size;
  /**
   * What happens at `maxMemory`: `noeviction` refuses writes (safe for queues and state), `allkeys-lru` evicts (a cache).
   * @default 'noeviction'
   */
  readonly maxMemoryPolicy?: ValkeyEvictionPolicy;
  /**
   * Requests and limits of each server container.
   * @default - cpu 100m/1000m, memory 512Mi/512Mi
   */
  readonly resources?: Resources;
  /**
   * Node selection for the server pods.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The controller of the primary: a StatefulSet with a governing headless Service `<name>-headless` (claims, read
   * replicas), or a Deployment with its rollout (`WorkloadKind.deployment({ rollout })`) for a single cache pod without
   * persistence or replicas, whose Service states `type: ClusterIP`.
   * @default WorkloadKind.statefulSet() (podManagementPolicy OrderedReady, updateStrategy RollingUpdate)
   */
  readonly workload?: WorkloadKind;
  /**
   * The identity labels (and selector) of the server's objects, for a product that gives its cache its own.
   * @default - name `valkey`, component the server's name, no part-of
   */
  readonly identity?: ValkeyIdentity;
  /**
   * Name of the server container (probes, env errors and the wiring graph name it).
   * @default 'valkey'
   */
  readonly containerName?: string;
  /**
   * Which settings the server starts with.
   * @default ValkeyConfigSource.rendered()
   */
  readonly config?: ValkeyConfigSource;
  /**
   * How Kubernetes checks the server.
   * @default ValkeyProbes.replicationAware()
   */
  readonly probes?: ValkeyProbes;
  /**
   * Size limit of the data directory's emptyDir (without append-only persistence: a replica's initial sync, or the
   * image's RDB snapshots).
   * @default - the memory limit (at most the dataset's size)
   */
  readonly dataSizeLimit?: Size;
  /**
   * Security profile of the server pods.
   * @default - restricted, as the images' uid and gid 999, with a read-only root filesystem
   */
  readonly securityProfile?: SecurityProfile;
  /**
   * Environment of the server container, after the keys the component owns (the CLI's password variable).
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Servers the server container connects to: each `connect` sets the env, waits and mounts it needs and records the
   * connection (for the primary and the replicas alike).
   * @default - none
   */
  readonly connections?: readonly IConnectable[];
  /**
   * Add the component's note (URLs, data, the password Secret's command) to the release notes. `false` for a product
   * that writes its own note about the server.
   * @default true
   */
  readonly notes?: boolean;
}
/**
 * The script of the init container that writes the runtime config: the password (`requirepass`, and `masterauth` so
 * replicas authenticate to the primary) escaped for the config file's double-quoted strings, and `replicaof` for a
 * replica. It refuses an empty password and one with a line break, which a config file line cannot hold.
 * @internal
 */
export function runtimeConfigScript(options: { readonly passwordSource?: string; readonly replicaOf?: string }): string {
  const lines = [
    'set -eu',
    'umask 077',
    `conf=${VALKEY_RUNTIME_CONFIG}`,
    ': > "$conf"',
  ];
  if (options.passwordSource !== undefined) {
    lines.push(
      'pw="${VALKEY_PASSWORD:-}"',
      "nl='",
      "'",
      'case "$pw" in',
      `  '') echo "the password (${options.passwordSource}) is empty or missing" >&2; exit 1 ;;`,
      `  *"$nl"*) echo "the password (${options.passwordSource}) contains a line break, which a config file cannot hold" >&2; exit 1 ;;`,
      'esac',
      String.raw`esc=$(printf '%s' "$pw" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')`,
      String.raw`printf 'requirepass "%s"\nmasterauth "%s"\n' "$esc" "$esc" >> "$conf"`,
    );
  }
  if (options.replicaOf !== undefined) lines.push(String.raw`printf 'replicaof %s\n' '${options.replicaOf}' >> "$conf"`);
  return `${lines.join('\n')}\n`;
}

/** Everything the pods of the primary and the replicas are rendered from. */
interface PodPlan {
  readonly engine: ValkeyEngine;
  readonly image: string;
  readonly auth: ValkeyAuth;
  readonly persistence: ValkeyPersistence;
  readonly resources: Resources;
  readonly placement: ResolvedPlacement;
  readonly security: SecurityProfile;
  readonly probes: ValkeyProbes;
  readonly containerName: string;
  /** The rendered config file (ValkeyConfigSource.rendered()), else undefined. */
  readonly configText: string | undefined;
  readonly configMapName: string;
  readonly dataSizeLimit: Size;
  readonly env: EnvMap | undefined;
  readonly connections: readonly IConnectable[];
  readonly kind: WorkloadKind;
}

/**
 * The pod template of one server workload (the primary, or the replicas with `replicaOf`): the server container on
 * `wiring` (the connections first, then the CLI's password variable, then the user's env), the init container that
 * writes the runtime file when there is one, the volumes, and the Secret reference.
 */
function serverPod(
  workload: WorkloadConstruct,
  wiring: PodWiring,
  name: string,
  labels: Record<string, string>,
  plan: PodPlan,
  replicaOf: string | undefined,
): PodTemplateOptions {
  const secret = plan.auth.password;
  const rendered = plan.configText !== undefined;
  // With a rendered config the file always includes the runtime file; with the image's defaults there is one only
  // when something must go into it.
  const script = rendered || secret || replicaOf !== undefined
    ? runtimeConfigScript({ passwordSource: secret ? `Secret ${secret.name} key ${secret.key}` : undefined, replicaOf })
    : undefined;
  const serverEnv = new EnvBuilder(`${workload.constructor.name} ${name} container ${plan.containerName}`);
  const client = wiring.container(plan.containerName, serverEnv);
  for (const c of plan.connections) c.connect(client);
  if (secret) {
    // The CLI of the probes reads the password from the env, so it never appears in a command line.
    serverEnv.own(plan.engine.cliAuthEnv, secretKeyEnv(secret), { controlledBy: "the 'auth' prop (the probes' CLI reads the password from it)" });
  }
  serverEnv.user(plan.env, 'env');
  const runtimeMount: k8s.VolumeMount = { name: 'runtime', mountPath: RUNTIME_DIR, readOnly: true };
  const dataMount: k8s.VolumeMount = { name: 'data', mountPath: DATA_DIR };
  // Memory-backed: the password file never touches the node's disk.
  const runtimeVolume: k8s.Volume = { name: 'runtime', emptyDir: { medium: 'Memory', sizeLimit: quantityOf(Size.mebibytes(1)) } };
  const claim = plan.persistence.claim;
  // Without persistence the data directory receives a replica's initial sync or the image's snapshots.
  const dataVolume: k8s.Volume[] = claim ? [] : [{ name: 'data', emptyDir: { sizeLimit: quantityOf(plan.dataSizeLimit) } }];
  const initContainers: PodContainer[] = [];
  if (script !== undefined) {
    const initEnv = new EnvBuilder(`${workload.constructor.name} ${name} container config`);
    if (secret) initEnv.own('VALKEY_PASSWORD', secretKeyEnv(secret));
    initContainers.push({ name: 'config', image: plan.image, command: ['sh', '-c', script], env: initEnv, resources: WAIT_RESOURCES, volumeMounts: [{ name: 'runtime', mountPath: RUNTIME_DIR }] });
  }
  const container: PodContainer = {
    name: plan.containerName,
    image: plan.image,
    command: rendered ? [plan.engine.server, `${CONFIG_DIR}/${CONFIG_FILE}`] : script !== undefined ? [plan.engine.server, VALKEY_RUNTIME_CONFIG] : undefined,
    ports: [{ name: 'redis', port: VALKEY_PORT }],
    env: serverEnv,
    resources: plan.resources,
    ...serverProbes(plan, replicaOf),
    volumeMounts: rendered
      ? [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }, runtimeMount, dataMount]
      : [dataMount, ...(script !== undefined ? [runtimeMount] : [])],
  };
  const volumes: k8s.Volume[] = rendered
    ? [{ name: 'config', configMap: { name: plan.configMapName, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } }, runtimeVolume, ...dataVolume]
    : [...dataVolume, ...(script !== undefined ? [runtimeVolume] : [])];
  return {
    name,
    prop: '',
    labels,
    containers: [container],
    wiring,
    initContainers,
    volumes,
    security: plan.security,
    placement: plan.placement,
    externalRefs: secret ? [{ kind: 'Secret', name: secret.name }] : undefined,
    // The checksums roll the pods when the config or the script changes. The image's defaults have no file, and their
    // script changes only with the Secret's name or key, which the pod's env names anyway.
    podAnnotations: rendered ? checksumAnnotations(plan.configText!, script!) : undefined,
    terminationGracePeriod: plan.kind.kind === 'StatefulSet' ? Duration.seconds(30) : undefined,
  };
}

/** The server container's probes, in the chosen style. */
function serverProbes(plan: PodPlan, replicaOf: string | undefined): Pick<PodContainer, 'startup' | 'liveness' | 'readiness'> {
  if (plan.probes.style === 'ping') {
    const ping = Probes.exec([plan.engine.cli, 'ping'], plan.probes.timing);
    return { liveness: ping, readiness: ping };
  }
  const cli = `${plan.engine.cli} -p ${VALKEY_PORT}`;
  // A replica is ready once its link to the primary is up: before its first sync it would answer reads with nothing.
  const ready = replicaOf === undefined ? `${cli} ping | grep -q PONG` : `${cli} info replication | grep -q '^master_link_status:up'`;
  // Loading a large append-only file answers LOADING: alive, not ready.
  const alive = `${cli} ping | grep -qE 'PONG|LOADING'`;
  return {
    startup: Probes.exec(['sh', '-c', alive], { period: Duration.seconds(5), timeout: Duration.seconds(5), failureThreshold: 120 }),
    liveness: Probes.exec(['sh', '-c', alive], { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 6 }),
    readiness: Probes.exec(['sh', '-c', ready], { period: Duration.seconds(5), timeout: Duration.seconds(5), failureThreshold: 3 }),
  };
}

/** A server StatefulSet (the primary's or the replicas'), on the core renderer. */
function serverStatefulSet(
  workload: WorkloadConstruct,
  pod: PodTemplateOptions,
  replicas: number,
  plan: PodPlan,
  selector: Record<string, string>,
): RenderedStatefulSet {
  const claim = plan.persistence.claim;
  return renderStatefulSet(workload, {
    ...pod,
    replicas,
    serviceName: `${pod.name}-headless`,
    podManagementPolicy: plan.kind.statefulSetOptions.podManagementPolicy ?? 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate' },
    volumeClaimTemplates: claim ? [claimTemplate('data', claim, selector)] : undefined,
  });
}

/** The replicas: a second StatefulSet replicating from the primary, with the read Service in front. */
class ValkeyReplicas extends WorkloadConstruct {
  public readonly selector: Readonly<Record<string, string>>;
  public readonly statefulSet: k8s.KubeStatefulSet;
  public readonly readEndpoint: ServiceEndpoint;
  public readonly readService: k8s.KubeService;
  public readonly headlessService: k8s.KubeService;

  constructor(
    scope: ValkeyServer,
    id: string,
    name: string,
    replicas: number,
    labels: Record<string, string>,
    selector: Record<string, string>,
    plan: PodPlan,
    primaryHost: string,
  ) {
    super(scope, id);
    this.selector = selector;
    const headless = buildService(this, 'Headless', { name: `${name}-headless`, labels, pods: this, ports: [{ name: 'redis', port: VALKEY_PORT }], headless: true, publishNotReadyAddresses: true });
    this.headlessService = headless.service;
    const read = buildService(this, 'ReadService', { name: `${scope.name}-read`, labels, pods: this, ports: [{ name: 'redis', port: VALKEY_PORT }] });
    this.readService = read.service;
    this.readEndpoint = read.endpoint;
    const pod = serverPod(this, new PodWiring(this), name, labels, plan, `${primaryHost} ${VALKEY_PORT}`);
    this.statefulSet = serverStatefulSet(this, pod, replicas, plan, selector).statefulSet;
    // Each replica syncs from the primary (replicaof): an edge of the graph like any client's, so the release's
    // NetworkPolicies admit it.
    Wiring.of(this).connect(this, scope.endpoint, 'redis', { purpose: 'replication from the primary' });
  }
}

/** The objects of one server, by shape. */
interface ServerObjects {
  readonly statefulSet?: k8s.KubeStatefulSet;
  readonly deployment?: k8s.KubeDeployment;
  readonly headlessService?: k8s.KubeService;
  readonly configMap?: k8s.KubeConfigMap;
  readonly config?: ValkeyConfig;
}

/**
 * Valkey (or Redis 7) in the cluster: by default a primary StatefulSet behind a ClusterIP Service, optional read
 * replicas behind a read Service, a typed config file, the password from an operator-created Secret written to a
 * memory-backed runtime file at start (never argv, never the ConfigMap), optional append-only persistence on kept
 * claims. Products shape it with `workload` (a Deployment for a cache), `identity`, `config` (the image's defaults),
 * `probes` and `securityProfile`. Clients connect with `connect`, which sets VALKEY_URL, VALKEY_READ_URL and
 * VALKEY_PASSWORD.
 */
export class ValkeyServer extends WorkloadConstruct implements IValkey {
  /** The server name (primary workload, Service, ConfigMap). */
  public readonly name: string;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The primary's ClusterIP Service (port `redis`). */
  public readonly endpoint: ServiceEndpoint;
  /** The read replicas' Service, or the primary's when there are none. */
  public readonly readEndpoint: ServiceEndpoint;
  /** How clients authenticate. */
  public readonly auth: ValkeyAuth;
  /** The in-cluster server does not serve TLS. */
  public readonly tls = false;
  /** The server program and its pinned image. */
  public readonly engine: ValkeyEngine;
  /** Where the data lives. */
  public readonly persistence: ValkeyPersistence;
  /** The number of read replicas. */
  public readonly readReplicas: number;
  /** The controller of the primary. */
  public readonly workload: WorkloadKind;
  /** Which settings the server starts with. */
  public readonly configSource: ValkeyConfigSource;
  /** The client Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The primary's pod-level connections (waits, volumes, external references, graph edges). */
  public readonly wiring: PodWiring;
  /** ServiceAccount and RBAC of the primary, when a connection's init wait reads the API. */
  public readonly access?: NamespacedAccess;
  /** The replicas' StatefulSet, when there are replicas. */
  public readonly replicaStatefulSet?: k8s.KubeStatefulSet;
  /** The read Service, when there are replicas. */
  public readonly readService?: k8s.KubeService;
  private readonly objects: ServerObjects;

  constructor(scope: Construct, id: string, props: ValkeyServerProps) {
    super(scope, id);
    // A ConfigError names this construct and the prop as its user wrote it.
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined ? assertDnsLabel('name', props.name, VALKEY_MAX_NAME) : deriveName([release.releaseName, 'valkey'], { maxLength: VALKEY_MAX_NAME });
      check(props.auth instanceof ValkeyAuth, 'auth', props.auth, "ValkeyAuth.password({ name, key }) of an operator-created Secret, or ValkeyAuth.none({ reason })", 'credentials are never generated or defaulted');
      check(props.engine === undefined || props.engine instanceof ValkeyEngine, 'engine', props.engine, 'ValkeyEngine.valkey(image) or ValkeyEngine.redis(image)');
      check(props.workload === undefined || props.workload instanceof WorkloadKind, 'workload', props.workload, 'WorkloadKind.statefulSet({...}) or WorkloadKind.deployment({...})');
      check(props.config === undefined || props.config instanceof ValkeyConfigSource, 'config', props.config, 'ValkeyConfigSource.rendered() or ValkeyConfigSource.imageDefaults()');
      check(props.probes === undefined || props.probes instanceof ValkeyProbes, 'probes', props.probes, 'ValkeyProbes.replicationAware() or ValkeyProbes.ping({...})');
      check(props.securityProfile === undefined || props.securityProfile instanceof SecurityProfile, 'securityProfile', props.securityProfile, 'SecurityProfile.restricted({...}) or another SecurityProfile');
      this.auth = props.auth;
      this.engine = props.engine ?? ValkeyEngine.valkey();
      this.persistence = props.persistence ?? ValkeyPersistence.none();
      this.readReplicas = props.readReplicas ?? 0;
      this.workload = props.workload ?? WorkloadKind.statefulSet();
      this.configSource = props.config ?? ValkeyConfigSource.rendered();
      assertInt('readReplicas', this.readReplicas, { min: 0, max: 16 });
      const deployment = this.workload.kind === 'Deployment';
      const rendered = this.configSource.mode === 'rendered';
      if (deployment) {
        check(!this.persistence.claim, 'persistence', 'ValkeyPersistence.appendOnly(...)', 'ValkeyPersistence.none() with workload WorkloadKind.deployment()', 'a Deployment has no claim per pod: append-only persistence needs WorkloadKind.statefulSet()');
        check(this.readReplicas === 0, 'readReplicas', this.readReplicas, '0 with workload WorkloadKind.deployment()', 'read replicas run beside a StatefulSet primary: use WorkloadKind.statefulSet()');
      }
      if (!rendered) {
        const why = 'the image\'s defaults (config ValkeyConfigSource.imageDefaults()) have no config file to hold it';
        check(props.maxMemory === undefined, 'maxMemory', props.maxMemory && quantityOf(props.maxMemory).value, 'unset with ValkeyConfigSource.imageDefaults()', why);
        check(props.maxMemoryPolicy === undefined, 'maxMemoryPolicy', props.maxMemoryPolicy, 'unset with ValkeyConfigSource.imageDefaults()', why);
        check(!this.persistence.claim, 'persistence', 'ValkeyPersistence.appendOnly(...)', 'ValkeyPersistence.none() with ValkeyConfigSource.imageDefaults()', why);
      }
      if (props.dataSizeLimit !== undefined) {
        check(!this.persistence.claim, 'dataSizeLimit', quantityOf(props.dataSizeLimit).value, 'unset with append-only persistence', 'the data directory is the claim');
        const mib = props.dataSizeLimit.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
        check(mib >= 1, 'dataSizeLimit', quantityOf(props.dataSizeLimit).value, 'at least 1Mi');
      }
      const resources = props.resources ?? sized(100, 1000, 512, 512);
      renderResources('resources', resources);

      const identity = this.identity(props.identity, release.releaseName);
      this.selector = selectorLabels(identity);
      const image = Images.of(this).resolve('engine.image', this.engine.image);
      const tag = ImageRef.parse(this.engine.image, 'engine.image').tag;
      const version = tag && tag.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
      const extra = assertLabels('labels', props.labels ?? {});
      const partOf = props.identity?.partOf;
      const labels = { ...extra, ...standardLabels({ ...identity, partOf, version }) };
      const containerName = assertDnsLabel('containerName', props.containerName ?? 'valkey');

      let config: ValkeyConfig | undefined;
      let configMap: k8s.KubeConfigMap | undefined;
      let configText: string | undefined;
      if (rendered) {
        config = new ValkeyConfig({
          name: this.name,
          dir: DATA_DIR,
          appendOnly: this.persistence.claim !== undefined,
          appendFsync: this.persistence.fsync,
          maxMemoryBytes: this.maxMemoryBytes(props.maxMemory, resources.memory.limit),
          maxMemoryPolicy: props.maxMemoryPolicy ?? 'noeviction',
          include: VALKEY_RUNTIME_CONFIG,
        });
        configText = config.render();
        configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: { name: this.name, labels }, data: { [CONFIG_FILE]: configText } });
      }

      const plan: PodPlan = {
        engine: this.engine,
        image,
        auth: this.auth,
        persistence: this.persistence,
        resources,
        placement: Placement.of(this).forWorkload(props.placement ?? { nodeSelection: NodeSelection.inherit() }, 'placement'),
        security: props.securityProfile
          ?? SecurityProfile.restricted({ runAsUser: VALKEY_UID, runAsGroup: VALKEY_UID, fsGroup: VALKEY_UID, readOnlyRootFilesystem: true }),
        probes: props.probes ?? ValkeyProbes.replicationAware(),
        containerName,
        configText,
        configMapName: this.name,
        dataSizeLimit: props.dataSizeLimit ?? resources.memory.limit,
        env: props.env,
        connections: props.connections ?? [],
        kind: this.workload,
      };
      this.wiring = new PodWiring(this);
      if (deployment) {
        const options = this.workload.deploymentOptions;
        const parts = renderDeployment(this, {
          ...serverPod(this, this.wiring, this.name, labels, plan, undefined),
          rollout: options.rollout,
          revisionHistoryLimit: options.revisionHistoryLimit,
          service: { name: this.name, type: 'ClusterIP', ports: [{ name: 'redis', port: VALKEY_PORT, targetPort: 'redis' }] },
        });
        this.endpoint = parts.service!.endpoint;
        this.service = parts.service!.service;
        this.access = parts.access;
        this.objects = { deployment: parts.deployment, configMap, config };
      } else {
        const main = buildService(this, 'Service', { name: this.name, labels, pods: this, ports: [{ name: 'redis', port: VALKEY_PORT }] });
        this.endpoint = main.endpoint;
        this.service = main.service;
        const headless = buildService(this, 'Headless', { name: `${this.name}-headless`, labels, pods: this, ports: [{ name: 'redis', port: VALKEY_PORT }], headless: true, publishNotReadyAddresses: true });
        const sts = serverStatefulSet(this, serverPod(this, this.wiring, this.name, labels, plan, undefined), 1, plan, { ...this.selector });
        this.access = sts.access;
        this.objects = { statefulSet: sts.statefulSet, headlessService: headless.service, configMap, config };
      }
      if (this.readReplicas > 0) {
        const replicaIdentity = { ...identity, component: assertLabelValue('identity.component', `${identity.component}-replica`) };
        const replicas = new ValkeyReplicas(
          this, 'Replicas', `${this.name}-replica`, this.readReplicas,
          { ...extra, ...standardLabels({ ...replicaIdentity, partOf, version }) }, selectorLabels(replicaIdentity), plan,
          this.endpoint.host(HostForm.NAMESPACED),
        );
        this.readEndpoint = replicas.readEndpoint;
        this.replicaStatefulSet = replicas.statefulSet;
        this.readService = replicas.readService;
      } else {
        this.readEndpoint = this.endpoint;
      }
      if (props.notes ?? true) release.addNote(this.notes(release.releaseNamespace));
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /** The primary's StatefulSet (construct id `Resource`); an error for a Deployment-shaped server. */
  public get statefulSet(): k8s.KubeStatefulSet {
    return this.part('statefulSet', 'StatefulSet', "workload WorkloadKind.deployment() renders a Deployment: read 'deployment'");
  }

  /** The primary's Deployment (construct id `Resource`); an error for a StatefulSet-shaped server. */
  public get deployment(): k8s.KubeDeployment {
    return this.part('deployment', 'Deployment', "workload WorkloadKind.statefulSet() renders a StatefulSet: read 'statefulSet'");
  }

  /** The headless governing Service (construct id `Headless`); an error for a Deployment-shaped server. */
  public get headlessService(): k8s.KubeService {
    return this.part('headlessService', 'headless Service', 'only a StatefulSet has a governing headless Service');
  }

  /** The config ConfigMap; an error with the image's defaults. */
  public get configMap(): k8s.KubeConfigMap {
    return this.part('configMap', 'ConfigMap', 'ValkeyConfigSource.imageDefaults() renders no config file');
  }

  /** The typed configuration the ConfigMap holds; an error with the image's defaults. */
  public get config(): ValkeyConfig {
    return this.part('config', 'config file', 'ValkeyConfigSource.imageDefaults() renders no config file');
  }

  /** Wires `client` to this server (see `IValkey.connect`). */
  public connect(client: ClientBinding, options: ValkeyConnectOptions = {}): Connection {
    return inConstruct(this, () => {
      return connectValkey(this, client, options, this.name);
    });
  }

  private part<K extends keyof ServerObjects>(key: K, what: string, why: string): NonNullable<ServerObjects[K]> {
    const o = this.objects[key];
    if (o === undefined) throw new Error(`${this.constructor.name} ${this.node.path} has no ${what} (${why})`);
    return o as NonNullable<ServerObjects[K]>;
  }

  /** The identity labels: the product's, or the component's own. */
  private identity(given: ValkeyIdentity | undefined, instance: string): { name: string; instance: string; component: string } {
    if (given === undefined) return { name: 'valkey', instance, component: this.name };
    check(typeof given === 'object' && given !== null, 'identity', given, '{ name, component, partOf? }');
    assertLabelValue('identity.name', given.name);
    assertLabelValue('identity.component', given.component);
    if (given.partOf !== undefined) assertLabelValue('identity.partOf', given.partOf);
    return { name: given.name, instance, component: given.component };
  }

  private maxMemoryBytes(maxMemory: Size | undefined, limit: Size): number {
    const limitBytes = Math.floor(limit.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024);
    const fraction = this.persistence.claim ? 0.5 : 0.75;
    const bytes = maxMemory !== undefined
      ? Math.floor(maxMemory.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024)
      : Math.floor((limitBytes * fraction) / 1024 / 1024) * 1024 * 1024;
    check(bytes >= 1024 * 1024 && bytes < limitBytes, 'maxMemory', `${bytes} bytes`, `1 MiB up to below the memory limit (${limitBytes} bytes)`,
      'at the limit the container is OOM-killed before the server evicts or refuses writes');
    return bytes;
  }

  private notes(namespace: string): string {
    const url = (e: ServiceEndpoint) => e.url('redis', 'redis', { form: HostForm.NAMESPACED });
    const config = this.objects.config;
    const data = this.persistence.claim
      ? `an append-only file on the claim data-${this.name}-0 (kept when the release is deleted)`
      : config ? 'in memory only, lost when a pod restarts' : "the image's default RDB snapshots on an emptyDir, lost with the pod";
    const memory = config ? `maxmemory ${config.props.maxMemoryBytes} bytes, policy ${config.props.maxMemoryPolicy}` : 'no maxmemory (the image\'s defaults): the memory limit is the ceiling';
    const parts = [
      `${this.engine.kind === 'valkey' ? 'Valkey' : 'Redis'} ${this.name}: clients connect to ${url(this.endpoint)}` +
        (this.readReplicas > 0 ? `, reads to ${url(this.readEndpoint)} (${this.readReplicas} read-only replica(s), eventually consistent; there is no failover)` : '') +
        `. Data: ${data}; ${memory}.`,
    ];
    const secret = this.auth.password;
    if (secret) {
      const commands = new SecretCommands().literal(secret, '"$(openssl rand -hex 32)"');
      parts.push(`Before the first sync, create the password Secret:\n${commands.render(namespace).map((l) => `  ${l}`).join('\n')}\n` +
        'The pods read it at start: after changing it, restart the pods (primary first) and then the clients.');
    } else {
      parts.push(`${this.name} has no password (${this.auth.noneReason}): whoever reaches port ${VALKEY_PORT} reads and writes every key, so keep it off any exposed Service.`);
    }
    return parts.join('\n\n');
  }
}
