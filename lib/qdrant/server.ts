import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { assertClaimOptions, claimTemplate, ClaimOptions } from '../core/claims';
import { buildContainer } from '../core/container';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder, EnvSource } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, assertDnsSubdomain, deriveName } from '../core/names';
import { NodeSelection, Placement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { externalRefsAnnotation } from '../core/policy';
import { Probes } from '../core/probes';
import { quantityOf, renderResources, Resources, sized } from '../core/resources';
import { SecretCommands, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { ClientBinding, Connection, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { connectQdrant, IQdrant, QDRANT_GRPC_PORT, QDRANT_HTTP_PORT, QDRANT_P2P_PORT, QdrantAuth, QdrantConnectOptions } from './client';
import { assertInt } from '../core/validate';

/**
 * The Qdrant image, pinned. Tag choice: Qdrant v1.13.6 (2025) on Docker Hub's `qdrant/qdrant`, whose tags are the
 * release names with their `v`.
 */
export const QDRANT_IMAGE = 'qdrant/qdrant:v1.13.6';
/** The GPU (NVIDIA) variant of the same version, for GPU-accelerated indexing (published as `v<version>-gpu-nvidia` since v1.13.0). */
export const QDRANT_GPU_IMAGE = 'qdrant/qdrant:v1.13.6-gpu-nvidia';
/** uid and gid Qdrant runs as. */
export const QDRANT_UID = 1000;
/** Longest server name: StatefulSet pods carry `controller-revision-hash: <name>-<10 chars>`, a 63-character label. */
export const QDRANT_MAX_NAME = 52;

const WORKDIR = '/qdrant';
const STORAGE_DIR = `${WORKDIR}/storage`;
const SNAPSHOTS_DIR = `${WORKDIR}/snapshots`;
const INIT_DIR = `${WORKDIR}/init`;

/** GPU indexing. */
export interface QdrantGpuOptions {
  /**
   * The GPU image variant.
   * @default QDRANT_GPU_IMAGE
   */
  readonly image?: string;
  /**
   * GPUs per server (`nvidia.com/gpu`).
   * @default 1
   */
  readonly count?: number;
  /**
   * The RuntimeClass that exposes GPUs to containers (`nvidia` on clusters where it is not the default runtime).
   * @default - the cluster's default runtime
   */
  readonly runtimeClassName?: string;
}

/** Props of a QdrantServer. */
export interface QdrantServerProps {
  /**
   * Name of the StatefulSet and Services (the Service name is the host clients use).
   * @default - `<release name>-qdrant`
   */
  readonly name?: string;
  /**
   * Image, pinned.
   * @default QDRANT_IMAGE (QDRANT_GPU_IMAGE with `gpu`)
   */
  readonly image?: string;
  /**
   * Servers: 1, or an odd number from 3 (cluster mode: Raft consensus over p2p port 6335, collections sharded and
   * replicated as clients create them).
   * @default 1
   */
  readonly replicas?: number;
  /** How clients authenticate. There is no default: an API key needs a Secret, no key needs a reason. */
  readonly auth: QdrantAuth;
  /**
   * Each server's storage (a kept claim per pod).
   * @default - 10 GiB of the cluster's default StorageClass
   */
  readonly storage?: ClaimOptions;
  /**
   * Each server's snapshots directory on a kept claim; without it, an emptyDir as big as the storage (snapshots taken
   * for backups must then be downloaded before the pod goes).
   * @default - an emptyDir
   */
  readonly snapshots?: ClaimOptions;
  /**
   * GPU-accelerated indexing: the GPU image variant, GPUs in the resources, optionally a RuntimeClass. Place the
   * servers on GPU nodes with `placement`.
   * @default - CPU only
   */
  readonly gpu?: QdrantGpuOptions;
  /**
   * Send Qdrant's anonymous usage telemetry (to telemetry.qdrant.io).
   * @default false
   */
  readonly telemetry?: boolean;
  /**
   * Requests and limits of each server.
   * @default - cpu 500m/2000m, memory 2Gi/2Gi
   */
  readonly resources?: Resources;
  /**
   * Node selection for the servers.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The start script of a cluster's server: the first pod starts the cluster, every other one bootstraps from it; each
 * announces its own p2p URL under the headless Service.
 * @see https://qdrant.tech/documentation/guides/distributed_deployment/
 * @internal
 */
export function qdrantStartScript(headless: ServiceEndpoint, first: string): string {
  return [
    'set -eu',
    // Each pod's own p2p URL: the first pod's, with the pod name the shell takes from POD_NAME.
    `self="${headless.podUrl(first, 'http', 'p2p').replace(`//${first}.`, '//${POD_NAME}.')}"`,
    `if [ "\${POD_NAME##*-}" = 0 ]; then exec ./entrypoint.sh --uri "$self"; fi`,
    `exec ./entrypoint.sh --bootstrap "${headless.podUrl(first, 'http', 'p2p')}" --uri "$self"`,
    '',
  ].join('\n');
}

/**
 * Qdrant in the cluster: one server, or a Raft cluster of 3 or more, in a StatefulSet with a kept storage claim per
 * pod, configured through Qdrant's `QDRANT__` env overrides (the API key from an operator-created Secret, never a file
 * in a ConfigMap), REST 6333 and gRPC 6334 behind a ClusterIP Service, p2p 6335 on the headless one. Optional GPU
 * indexing with the GPU image variant. Clients connect with `connect` (QDRANT_URL on gRPC, QDRANT_API_KEY).
 */
export class QdrantServer extends WorkloadConstruct implements IQdrant {
  /** The server name. */
  public readonly name: string;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The client Service (ports `http` and `grpc`). */
  public readonly endpoint: ServiceEndpoint;
  /** The headless Service (ports `http`, `grpc` and, in a cluster, `p2p`). */
  public readonly headlessEndpoint: ServiceEndpoint;
  /** How clients authenticate. */
  public readonly auth: QdrantAuth;
  /** The in-cluster server serves plain HTTP and gRPC. */
  public readonly scheme = 'http' as const;
  /** The number of servers. */
  public readonly replicas: number;
  /** The StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The headless governing Service (construct id `Headless`). */
  public readonly headlessService: k8s.KubeService;
  /** The cluster's disruption budget (one server down at a time). */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: QdrantServerProps) {
    super(scope, id);
    // A ConfigError names this construct and the prop as its user wrote it.
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined ? assertDnsLabel('name', props.name, QDRANT_MAX_NAME) : deriveName([release.releaseName, 'qdrant'], { maxLength: QDRANT_MAX_NAME });
      check(props.auth instanceof QdrantAuth, 'auth', props.auth, 'QdrantAuth.apiKey({ name, key }) of an operator-created Secret, or QdrantAuth.none({ reason })', 'credentials are never generated or defaulted');
      this.auth = props.auth;
      this.replicas = props.replicas ?? 1;
      assertInt('replicas', this.replicas, { min: 1, max: 15 }, '1, or an odd number from 3 to 15');
      check(this.replicas === 1 || this.replicas % 2 === 1, 'replicas', this.replicas,
        '1, or an odd number from 3 to 15', 'a cluster agrees through Raft: an even count tolerates no more failures than the odd one below it');
      const storage = assertClaimOptions('storage', props.storage ?? { size: Size.gibibytes(10) });
      const snapshots = props.snapshots !== undefined ? assertClaimOptions('snapshots', props.snapshots) : undefined;
      const gpu = props.gpu;
      if (gpu?.count !== undefined) assertInt('gpu.count', gpu.count, { min: 1, max: 8 });
      if (gpu?.runtimeClassName !== undefined) assertDnsSubdomain('gpu.runtimeClassName', gpu.runtimeClassName);
      const base = props.resources ?? sized(500, 2000, 2048, 2048);
      const resources: Resources = gpu ? { ...base, extended: { ...(base.extended ?? {}), 'nvidia.com/gpu': gpu.count ?? 1 } } : base;
      renderResources('resources', resources);

      const identity = { name: 'qdrant', instance: release.releaseName, component: this.name };
      this.selector = selectorLabels(identity);
      const imageRef = props.image ?? gpu?.image ?? (gpu ? QDRANT_GPU_IMAGE : QDRANT_IMAGE);
      const image = Images.of(this).resolve(props.image !== undefined ? 'image' : 'gpu.image', imageRef);
      const tag = ImageRef.parse(imageRef, 'image').tag;
      const version = tag && tag.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
      const labels = { ...assertLabels('labels', props.labels ?? {}), ...standardLabels({ ...identity, version }) };
      const clustered = this.replicas > 1;

      const ports = [{ name: 'http', port: QDRANT_HTTP_PORT }, { name: 'grpc', port: QDRANT_GRPC_PORT }];
      const main = buildService(this, 'Service', { name: this.name, labels, pods: this, ports });
      this.endpoint = main.endpoint;
      this.service = main.service;
      const headless = buildService(this, 'Headless', {
        name: `${this.name}-headless`, labels, pods: this, headless: true,
        // The servers find each other before any is ready: none is ready before the cluster has agreed.
        publishNotReadyAddresses: true,
        ports: clustered ? [...ports, { name: 'p2p', port: QDRANT_P2P_PORT }] : ports,
      });
      this.headlessEndpoint = headless.endpoint;
      this.headlessService = headless.service;

      const security = SecurityProfile.restricted({
        runAsUser: QDRANT_UID, runAsGroup: QDRANT_UID, fsGroup: QDRANT_UID, readOnlyRootFilesystem: true,
      });
      const env = new EnvBuilder(`QdrantServer ${this.name} container qdrant`).ownAll({
        QDRANT__SERVICE__HTTP_PORT: String(QDRANT_HTTP_PORT),
        QDRANT__SERVICE__GRPC_PORT: String(QDRANT_GRPC_PORT),
        QDRANT__STORAGE__STORAGE_PATH: STORAGE_DIR,
        QDRANT__STORAGE__SNAPSHOTS_PATH: SNAPSHOTS_DIR,
        // The marker of a finished initialization; the image writes it into its working directory unless told otherwise.
        QDRANT_INIT_FILE_PATH: `${INIT_DIR}/.qdrant-initialized`,
        QDRANT__TELEMETRY_DISABLED: String(!(props.telemetry ?? false)),
      });
      if (clustered) {
        env.ownAll({ QDRANT__CLUSTER__ENABLED: 'true', QDRANT__CLUSTER__P2P__PORT: String(QDRANT_P2P_PORT), POD_NAME: EnvSource.field('metadata.name') });
      }
      if (gpu) env.own('QDRANT__GPU__INDEXING', 'true');
      const refs: Array<{ kind: 'Secret'; name: string }> = [];
      if (this.auth.apiKey) {
        env.own('QDRANT__SERVICE__API_KEY', secretKeyEnv(this.auth.apiKey));
        refs.push({ kind: 'Secret', name: this.auth.apiKey.name });
      }
      if (this.auth.readOnlyApiKey) {
        env.own('QDRANT__SERVICE__READ_ONLY_API_KEY', secretKeyEnv(this.auth.readOnlyApiKey));
        refs.push({ kind: 'Secret', name: this.auth.readOnlyApiKey.name });
      }
      const start = clustered ? qdrantStartScript(this.headlessEndpoint, `${this.name}-0`) : undefined;
      const container = buildContainer('', {
        name: 'qdrant',
        image,
        workingDir: WORKDIR,
        command: start ? ['sh', '-c', start] : ['./entrypoint.sh'],
        ports: clustered ? [...ports, { name: 'p2p', port: QDRANT_P2P_PORT }] : ports,
        env,
        resources,
        // The health endpoints answer without the API key.
        startup: Probes.http('/livez', 'http', { period: Duration.seconds(5), failureThreshold: 120 }),
        liveness: Probes.http('/livez', 'http', { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 6 }),
        // /readyz: every shard loaded, and in a cluster the consensus caught up.
        readiness: Probes.http('/readyz', 'http', { period: Duration.seconds(5), timeout: Duration.seconds(5), failureThreshold: 6 }),
        volumeMounts: [
          { name: 'storage', mountPath: STORAGE_DIR },
          { name: 'snapshots', mountPath: SNAPSHOTS_DIR },
          { name: 'init', mountPath: INIT_DIR },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      }, security);
      const volumes: k8s.Volume[] = [
        { name: 'init', emptyDir: { sizeLimit: quantityOf(Size.mebibytes(1)) } },
        { name: 'tmp', emptyDir: { sizeLimit: quantityOf(Size.gibibytes(1)) } },
      ];
      if (!snapshots) volumes.push({ name: 'snapshots', emptyDir: { sizeLimit: quantityOf(storage.size) } });
      const placement = Placement.of(this).forWorkload(props.placement ?? { nodeSelection: NodeSelection.inherit() }, 'placement');
      const pod = buildPodSpec(this, '', {
        containers: [container],
        volumes,
        security,
        placement,
        runtimeClassName: gpu?.runtimeClassName,
        claimTemplateNames: snapshots ? ['storage', 'snapshots'] : ['storage'],
        topologySpreadConstraints: clustered
          ? [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...this.selector } } }]
          : undefined,
      });
      this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
        metadata: { name: this.name, labels, annotations: refs.length ? externalRefsAnnotation(refs) : undefined },
        spec: {
          replicas: this.replicas,
          serviceName: this.headlessEndpoint.name,
          selector: { matchLabels: { ...this.selector } },
          podManagementPolicy: clustered ? 'Parallel' : 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate' },
          template: { metadata: { labels, annotations: start ? checksumAnnotations(start) : undefined }, spec: pod },
          volumeClaimTemplates: [
            claimTemplate('storage', storage, this.selector),
            ...(snapshots ? [claimTemplate('snapshots', snapshots, this.selector)] : []),
          ],
        },
      });
      if (clustered) {
        Wiring.of(this).connect(this, this.headlessEndpoint, 'p2p', { purpose: 'Raft consensus and shard transfer' });
        this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'Disruption', {
          metadata: { name: this.name, labels },
          spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selector } } },
        });
      }
      release.addNote(this.notes(release.releaseNamespace));
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /** Wires `client` to this server (see `IQdrant.connect`). */
  public connect(client: ClientBinding, options: QdrantConnectOptions = {}): Connection {
    return inConstruct(this, () => {
      return connectQdrant(this, client, options, this.name);
    });
  }

  private notes(namespace: string): string {
    const parts = [
      `Qdrant ${this.name}: ${this.replicas === 1 ? 'one server' : `a cluster of ${this.replicas} servers (create collections with replication_factor up to ${this.replicas})`}; ` +
        `clients connect to ${this.endpoint.url('http', 'grpc', { form: HostForm.NAMESPACED })} (gRPC) or ${this.endpoint.url('http', 'http', { form: HostForm.NAMESPACED })} (REST). ` +
        "Each server's storage is a claim kept when the release is deleted.",
    ];
    const keys = [this.auth.apiKey, this.auth.readOnlyApiKey].filter((k): k is NonNullable<typeof k> => k !== undefined);
    if (keys.length) {
      const commands = new SecretCommands();
      for (const k of keys) commands.literal(k, '"$(openssl rand -hex 32)"');
      parts.push(`Before the first sync, create the API key Secret(s):\n${commands.render(namespace).map((l) => `  ${l}`).join('\n')}`);
    } else {
      parts.push(`${this.name} has no API key (${this.auth.noneReason}): whoever reaches its ports reads and writes every collection.`);
    }
    return parts.join('\n\n');
  }
}
