import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { assertClaimOptions, claimTemplate, ClaimOptions } from '../core/claims';
import { buildContainer } from '../core/container';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { NodeSelection, Placement, ResolvedPlacement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { externalRefsAnnotation } from '../core/policy';
import { Probes } from '../core/probes';
import { quantityOf, renderResources, Resources, sized } from '../core/resources';
import { SecretCommands, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { WAIT_RESOURCES } from '../core/waits';
import { ClientBinding, Connection, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { connectValkey, IValkey, ValkeyAuth, ValkeyConnectOptions } from './client';
import { VALKEY_PORT, ValkeyConfig, ValkeyEvictionPolicy } from './config';
import { ValkeyEngine } from './engine';
import { assertInt } from '../core/validate';

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

/** Props of a ValkeyServer. */
export interface ValkeyServerProps {
  /**
   * Name of the StatefulSets, Services and ConfigMap (the Service name is the host clients use).
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
   * `maxmemory`: the dataset's ceiling.
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
}

/** Everything the pods of both StatefulSets are rendered from. */
interface PodPlan {
  readonly engine: ValkeyEngine;
  readonly image: string;
  readonly auth: ValkeyAuth;
  readonly persistence: ValkeyPersistence;
  readonly resources: Resources;
  readonly placement: ResolvedPlacement;
  readonly config: string;
  readonly configMapName: string;
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
    this.statefulSet = renderStatefulSet(this, name, replicas, labels, selector, plan, `${primaryHost} ${VALKEY_PORT}`);
    // Each replica syncs from the primary (replicaof): an edge of the graph like any client's, so the release's
    // NetworkPolicies admit it.
    Wiring.of(this).connect(this, scope.endpoint, 'redis', { purpose: 'replication from the primary' });
  }
}

function renderStatefulSet(
  scope: Construct,
  name: string,
  replicas: number,
  labels: Record<string, string>,
  selector: Record<string, string>,
  plan: PodPlan,
  replicaOf: string | undefined,
): k8s.KubeStatefulSet {
  const security = SecurityProfile.restricted({ runAsUser: VALKEY_UID, runAsGroup: VALKEY_UID, fsGroup: VALKEY_UID, readOnlyRootFilesystem: true });
  const secret = plan.auth.password;
  const script = runtimeConfigScript({ passwordSource: secret ? `Secret ${secret.name} key ${secret.key}` : undefined, replicaOf });
  const initEnv = new EnvBuilder(`ValkeyServer ${name} container config`);
  const serverEnv = new EnvBuilder(`ValkeyServer ${name} container valkey`);
  if (secret) {
    initEnv.own('VALKEY_PASSWORD', secretKeyEnv(secret));
    // The CLI of the probes reads the password from the env, so it never appears in a command line.
    serverEnv.own(plan.engine.cliAuthEnv, secretKeyEnv(secret));
  }
  const init = buildContainer('config', {
    name: 'config',
    image: plan.image,
    command: ['sh', '-c', script],
    env: initEnv,
    resources: WAIT_RESOURCES,
    volumeMounts: [{ name: 'runtime', mountPath: RUNTIME_DIR }],
  }, security);
  const cli = `${plan.engine.cli} -p ${VALKEY_PORT}`;
  // A replica is ready once its link to the primary is up: before its first sync it would answer reads with nothing.
  const ready = replicaOf === undefined ? `${cli} ping | grep -q PONG` : `${cli} info replication | grep -q '^master_link_status:up'`;
  // Loading a large append-only file answers LOADING: alive, not ready.
  const alive = `${cli} ping | grep -qE 'PONG|LOADING'`;
  const container = buildContainer('', {
    name: 'valkey',
    image: plan.image,
    command: [plan.engine.server, `${CONFIG_DIR}/${CONFIG_FILE}`],
    ports: [{ name: 'redis', port: VALKEY_PORT }],
    env: serverEnv,
    resources: plan.resources,
    startup: Probes.exec(['sh', '-c', alive], { period: Duration.seconds(5), timeout: Duration.seconds(5), failureThreshold: 120 }),
    liveness: Probes.exec(['sh', '-c', alive], { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 6 }),
    readiness: Probes.exec(['sh', '-c', ready], { period: Duration.seconds(5), timeout: Duration.seconds(5), failureThreshold: 3 }),
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'runtime', mountPath: RUNTIME_DIR, readOnly: true },
      { name: 'data', mountPath: DATA_DIR },
    ],
  }, security);
  const claim = plan.persistence.claim;
  const volumes: k8s.Volume[] = [
    { name: 'config', configMap: { name: plan.configMapName, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } },
    // Memory-backed: the password file never touches the node's disk.
    { name: 'runtime', emptyDir: { medium: 'Memory', sizeLimit: quantityOf(Size.mebibytes(1)) } },
  ];
  // Without persistence the data directory only receives a replica's initial sync, at most the dataset's size.
  if (!claim) volumes.push({ name: 'data', emptyDir: { sizeLimit: quantityOf(plan.resources.memory.limit) } });
  const pod = buildPodSpec(scope, '', {
    containers: [container],
    initContainers: [init],
    volumes,
    security,
    placement: plan.placement,
    claimTemplateNames: claim ? ['data'] : undefined,
    terminationGracePeriod: Duration.seconds(30),
  });
  const refs = secret ? externalRefsAnnotation([{ kind: 'Secret', name: secret.name }]) : {};
  return new k8s.KubeStatefulSet(scope, 'Resource', {
    metadata: { name, labels, annotations: Object.keys(refs).length ? refs : undefined },
    spec: {
      replicas,
      serviceName: `${name}-headless`,
      selector: { matchLabels: { ...selector } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      template: { metadata: { labels, annotations: checksumAnnotations(plan.config, script) }, spec: pod },
      volumeClaimTemplates: claim ? [claimTemplate('data', claim, selector)] : undefined,
    },
  });
}

/**
 * Valkey (or Redis 7) in the cluster: a primary StatefulSet behind a ClusterIP Service, optional read replicas behind a
 * read Service, a typed config file, the password from an operator-created Secret written to a memory-backed runtime
 * file at start (never argv, never the ConfigMap), optional append-only persistence on kept claims. Clients connect
 * with `connect`, which sets VALKEY_URL, VALKEY_READ_URL and VALKEY_PASSWORD.
 */
export class ValkeyServer extends WorkloadConstruct implements IValkey {
  /** The server name (primary StatefulSet, Service, ConfigMap). */
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
  /** The typed configuration the ConfigMap holds. */
  public readonly config: ValkeyConfig;
  /** The config ConfigMap. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The primary's StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The headless governing Service (construct id `Headless`). */
  public readonly headlessService: k8s.KubeService;
  /** The replicas' StatefulSet, when there are replicas. */
  public readonly replicaStatefulSet?: k8s.KubeStatefulSet;
  /** The read Service, when there are replicas. */
  public readonly readService?: k8s.KubeService;

  constructor(scope: Construct, id: string, props: ValkeyServerProps) {
    super(scope, id);
    // A ConfigError names this construct and the prop as its user wrote it.
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined ? assertDnsLabel('name', props.name, VALKEY_MAX_NAME) : deriveName([release.releaseName, 'valkey'], { maxLength: VALKEY_MAX_NAME });
      check(props.auth instanceof ValkeyAuth, 'auth', props.auth, "ValkeyAuth.password({ name, key }) of an operator-created Secret, or ValkeyAuth.none({ reason })", 'credentials are never generated or defaulted');
      this.auth = props.auth;
      this.engine = props.engine ?? ValkeyEngine.valkey();
      this.persistence = props.persistence ?? ValkeyPersistence.none();
      this.readReplicas = props.readReplicas ?? 0;
      assertInt('readReplicas', this.readReplicas, { min: 0, max: 16 });
      const resources = props.resources ?? sized(100, 1000, 512, 512);
      renderResources('resources', resources);

      const identity = { name: 'valkey', instance: release.releaseName, component: this.name };
      this.selector = selectorLabels(identity);
      const image = Images.of(this).resolve('engine.image', this.engine.image);
      const tag = ImageRef.parse(this.engine.image, 'engine.image').tag;
      const version = tag && tag.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
      const extra = assertLabels('labels', props.labels ?? {});
      const labels = { ...extra, ...standardLabels({ ...identity, version }) };

      this.config = new ValkeyConfig({
        name: this.name,
        dir: DATA_DIR,
        appendOnly: this.persistence.claim !== undefined,
        appendFsync: this.persistence.fsync,
        maxMemoryBytes: this.maxMemoryBytes(props.maxMemory, resources.memory.limit),
        maxMemoryPolicy: props.maxMemoryPolicy ?? 'noeviction',
        include: VALKEY_RUNTIME_CONFIG,
      });
      const configText = this.config.render();
      this.configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: { name: this.name, labels }, data: { [CONFIG_FILE]: configText } });

      const main = buildService(this, 'Service', { name: this.name, labels, pods: this, ports: [{ name: 'redis', port: VALKEY_PORT }] });
      this.endpoint = main.endpoint;
      this.service = main.service;
      const headless = buildService(this, 'Headless', { name: `${this.name}-headless`, labels, pods: this, ports: [{ name: 'redis', port: VALKEY_PORT }], headless: true, publishNotReadyAddresses: true });
      this.headlessService = headless.service;

      const plan: PodPlan = {
        engine: this.engine,
        image,
        auth: this.auth,
        persistence: this.persistence,
        resources,
        placement: Placement.of(this).forWorkload(props.placement ?? { nodeSelection: NodeSelection.inherit() }, 'placement'),
        config: configText,
        configMapName: this.name,
      };
      this.statefulSet = renderStatefulSet(this, this.name, 1, labels, { ...this.selector }, plan, undefined);
      if (this.readReplicas > 0) {
        const replicaIdentity = { ...identity, component: `${this.name}-replica` };
        const replicas = new ValkeyReplicas(
          this, 'Replicas', `${this.name}-replica`, this.readReplicas,
          { ...extra, ...standardLabels({ ...replicaIdentity, version }) }, selectorLabels(replicaIdentity), plan,
          this.endpoint.host(HostForm.NAMESPACED),
        );
        this.readEndpoint = replicas.readEndpoint;
        this.replicaStatefulSet = replicas.statefulSet;
        this.readService = replicas.readService;
      } else {
        this.readEndpoint = this.endpoint;
      }
      release.addNote(this.notes(release.releaseNamespace));
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /** Wires `client` to this server (see `IValkey.connect`). */
  public connect(client: ClientBinding, options: ValkeyConnectOptions = {}): Connection {
    return inConstruct(this, () => {
      return connectValkey(this, client, options, this.name);
    });
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
    const parts = [
      `${this.engine.kind === 'valkey' ? 'Valkey' : 'Redis'} ${this.name}: clients connect to ${url(this.endpoint)}` +
        (this.readReplicas > 0 ? `, reads to ${url(this.readEndpoint)} (${this.readReplicas} read-only replica(s), eventually consistent; there is no failover)` : '') +
        `. Data: ${this.persistence.claim ? `an append-only file on the claim data-${this.name}-0 (kept when the release is deleted)` : 'in memory only, lost when a pod restarts'}; ` +
        `maxmemory ${this.config.props.maxMemoryBytes} bytes, policy ${this.config.props.maxMemoryPolicy}.`,
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
