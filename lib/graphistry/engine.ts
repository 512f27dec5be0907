import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { renderDaemonSet } from '../core/daemonset';
import { buildContainer, buildWaitContainer, ContainerOptions } from '../core/container';
import { ClusterDomain, HostForm, LINUX_EPHEMERAL_PORTS, PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder, EnvFrom, EnvMap } from '../core/env';
import { ConfigError, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { assertDnsSubdomain } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { assertExternalRefs, ExternalRef, externalRefsAnnotation, policyExceptionAnnotations } from '../core/policy';
import { Probes, probeSeconds } from '../core/probes';
import { NamespacedAccess } from '../core/rbac';
import { quantityOf, Resources, sized, sizeQuantity } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { ClientBinding, ConnectionKind, IConnectable, PodWiring, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import {
  DEFAULT_CUDA_VARIANT,
  DEFAULT_GRAPHISTRY_TAG,
  graphistryImage,
  GraphistryRepositories,
  graphistryRootProfile,
  defaultNginxResolver,
  NGINX_DEFAULT_RESOURCES,
} from './defaults';
import { ENGINE_DISPATCHER_FILE, engineDispatcherConfig } from './engine-dispatcher';
import { EnginePortPlan } from './ports';
import { Postgres } from './postgres';
import { DaskScheduler } from './services/dask-scheduler';
import { GRAPHISTRY_REDIS_DATABASE } from './services/defaults';
import { Redis } from './services/redis';
import { Tier } from './tier';
import { assertPort } from '../core/validate';

/** Names of the engine pod's containers, in the order they are rendered. */
export const EngineContainers = {
  NGINX: 'nginx',
  FORGE_ETL_PYTHON: 'forge-etl-python',
  DASK_CUDA_WORKER: 'dask-cuda-worker',
  STREAMGL_VIZ: 'streamgl-viz',
  STREAMGL_SESSIONS: 'streamgl-sessions',
  STREAMGL_GPU: 'streamgl-gpu',
} as const;

/** Names of the engine pod's container ports; unique across the pod, so a Service's named targetPort is unambiguous. */
export const EnginePortNames = {
  NGINX: 'http',
  FORGE_ETL_PYTHON: 'fep',
  DASK_DASHBOARD: 'dask-dashboard',
  STREAMGL_VIZ: 'viz',
  STREAMGL_VIZ_SECONDARY: 'viz-aux',
  STREAMGL_SESSIONS: 'sessions',
  STREAMGL_GPU: 'gpu',
  STREAMGL_GPU_LIST_SERVER: 'gpu-list',
} as const;

/** The fixed object names. Graphistry's nginx config, app env and Caddy's upstream refer to these names. */
export const EngineNames = {
  DAEMON_SET: 'engine',
  SERVICE_ACCOUNT: 'engine',
  HEADLESS_SERVICE: 'engine-headless',
  NGINX_SERVICE: 'nginx',
  DISPATCHER_CONFIG_MAP: 'engine-nginx-cfg',
  SHIM_SERVICES: ['forge-etl-python', 'streamgl-gpu', 'streamgl-sessions', 'streamgl-viz'] as readonly string[],
} as const;

/** Where nginx serves the viz static bundle from; the init container fills it from the streamgl-viz image. */
export const VIZ_BUILD_PATH = '/opt/graphistry/apps/core/viz/build';
/** The data-mount volume's path in every container that uses it. */
export const DATA_PATH = '/opt/graphistry/data';
/** Upload scratch: nginx writes request bodies here and forge-etl-python reads them back, on the same node. */
export const UPLOADS_PATH = '/opt/graphistry/data/uploads';
/** Where nginx serves nexus' static and media files from (the local-media-mount volume). */
export const NEXUS_STATIC_PATH = '/opt/graphistry/apps/core/nexus/staticfiles';

/** Sized defaults per container. */
export const ENGINE_DEFAULT_RESOURCES: Readonly<Record<string, Resources>> = {
  [EngineContainers.NGINX]: NGINX_DEFAULT_RESOURCES,
  [EngineContainers.FORGE_ETL_PYTHON]: sized(1000, 8000, 4096, 32768),
  [EngineContainers.DASK_CUDA_WORKER]: sized(1000, 8000, 4096, 32768),
  [EngineContainers.STREAMGL_VIZ]: sized(500, 4000, 1024, 8192),
  [EngineContainers.STREAMGL_SESSIONS]: sized(250, 2000, 512, 2048),
  [EngineContainers.STREAMGL_GPU]: sized(1000, 8000, 4096, 32768),
};

const COPY_VIZ_RESOURCES = sized(100, 1000, 64, 256);
const VIZ_BUILD_CACHE_LIMIT = Size.mebibytes(512);

/** Settings of one engine container. */
export interface EngineContainerOptions {
  /**
   * The image, pinned by tag or digest. Still passes through the release's registry redirect.
   * @default - the Graphistry image for the container at `tag` (and `cudaVariant` for GPU images)
   */
  readonly image?: string;
  /**
   * Environment for this container only, merged over the construct's defaults (yours win per key). Keys the
   * construct owns (PORT and the wiring between containers) are refused with a message naming the prop to use.
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Requests and limits.
   * @default - sized for the service (see ENGINE_DEFAULT_RESOURCES)
   */
  readonly resources?: Resources;
  /**
   * More servers this container connects to (an OpenTelemetry collector): each `connect` sets the env, waits and
   * mounts it needs and records the connection, before the container is built.
   * @default - none
   */
  readonly connections?: readonly IConnectable[];
}

/** Settings of the streamgl-gpu container. */
export interface StreamglGpuOptions extends EngineContainerOptions {
  /**
   * STREAMGL_NUM_WORKERS: GPU worker processes per pod. Each binds a port above the router's, and the list-server
   * sits after the last one, so at most 108 fit below forge-etl-python's port.
   * @default 4
   */
  readonly workers?: number;
}

/** Props of EngineDaemonSet. */
export interface EngineDaemonSetProps {
  /** The deployment tier: analytics renders 3 containers, viz and full render 6. The platform tier has no engine. */
  readonly tier: Tier;
  /** The Postgres server: connection env for the services that use it and the `pg_isready` init wait. */
  readonly postgres: Postgres;
  /** Claim name of the shared data PVC (`data-mount`), mounted at /opt/graphistry/data. */
  readonly dataMountClaim: string;
  /** Claim name of nexus' media PVC (`local-media-mount`), served by nginx. */
  readonly localMediaMountClaim: string;
  /**
   * Graphistry release tag of every engine image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * CUDA variant suffix of the GPU images (`etl-server-python:<tag>-<variant>`).
   * @default '13'
   */
  readonly cudaVariant?: string;
  /**
   * Name of the operator-created Secret holding DJANGO_SECRET_KEY, loaded with envFrom into the three streamgl
   * containers to verify nexus' JWTs (viz and above).
   * @default 'graphistry-jwt'
   */
  readonly jwtSecret?: string;
  /**
   * Where the engine pods run, relative to the release-wide placement (on split pools, `{ nodeSelection:
   * NodeSelection.fallback({ 'graphistry.io/role': 'gpu' }) }` puts them on the GPU pool).
   * @default - the release-wide nodeSelector, tolerations and affinity
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * RuntimeClass for the pod, such as `nvidia` when the NVIDIA container runtime is not the node default.
   * @default - the cluster's default runtime
   */
  readonly runtimeClassName?: string;
  /**
   * Security profile of every container in the pod.
   * @default graphistryRootProfile() - root with CHOWN, DAC_OVERRIDE, FOWNER, NET_BIND_SERVICE, SETGID and SETUID,
   * recorded as policy exceptions on the DaemonSet
   */
  readonly securityProfile?: SecurityProfile;
  /**
   * How long every main container of a terminating engine pod keeps serving before it gets SIGTERM (a preStop
   * `sleep`). Caddy finds the engine pods with a `dynamic a` lookup refreshed every 10 s, on top of the DNS TTL, so it
   * keeps sending requests (and pinned sessions) to a pod for a while after the pod starts terminating; the delay
   * lets it drop the pod first. It applies to all six containers, not only nginx: a container without a hook is
   * signalled at once, and nginx would then answer 502 for the siblings it forwards to. It counts against the pod's
   * 60 s termination grace period. `Duration.seconds(0)` renders no hook. An image without `sh` fails the hook
   * (a FailedPreStopHook event) and stops at once, as without it.
   * @default Duration.seconds(15)
   */
  readonly preStopDelay?: Duration;
  /**
   * Size limit of the per-pod upload scratch emptyDir (nginx writes request bodies, forge-etl-python reads them).
   * A pod exceeding it is evicted. nginx requests the same amount of ephemeral storage (request only, no limit), so
   * the scheduler only places the pod where that disk is free, unless `nginx.resources.requestsOnly` sets its own.
   * @default 20 GiB
   */
  readonly uploadsScratchSizeLimit?: Size;
  /**
   * `GRAPHISTRY_CPU_MODE` of forge-etl-python and dask-cuda-worker: run Graphistry's Python code without a GPU (the
   * seed mirrors it in both containers; GraphistryStack sets nexus' from the same prop).
   * @default false
   */
  readonly cpuMode?: boolean;
  /** Redis: the pods wait for it before starting (the services keep queues and caches in it). */
  readonly redis: Redis;
  /** The dask scheduler dask-cuda-worker registers with and forge-etl-python submits to; the pods wait for it. */
  readonly daskScheduler: DaskScheduler;
  /**
   * The Services the engine's nginx proxies to by name (its image's routes: nexus for the API; pivot, the notebook
   * and graph-app-kit at the full tier). Recorded in the wiring graph, so NetworkPolicies allow that traffic.
   * @default - none recorded
   */
  readonly proxied?: readonly ServiceEndpoint[];
  /**
   * Port of the `nginx` Service (the off-pod fallback). The container port stays 80.
   * @default 80
   */
  readonly httpPort?: number;
  /**
   * The nginx container. Its `env.NGINX_RESOLVER` is the DNS server nginx resolves service names through, by default
   * `kube-dns.kube-system.svc.<cluster domain>`. Where the cluster DNS Service has another name (RKE2
   * `rke2-coredns-rke2-coredns.kube-system.svc.cluster.local`, OpenShift `dns-default.openshift-dns.svc.cluster.local`)
   * set it, or nginx fails to start with "host not found in resolver".
   * @default - defaults
   */
  readonly nginx?: EngineContainerOptions;
  /** @default - defaults */
  readonly forgeEtlPython?: EngineContainerOptions;
  /** @default - defaults */
  readonly daskCudaWorker?: EngineContainerOptions;
  /** @default - defaults (viz and above only) */
  readonly streamglViz?: EngineContainerOptions;
  /** @default - defaults (viz and above only) */
  readonly streamglSessions?: EngineContainerOptions;
  /** @default - defaults (viz and above only) */
  readonly streamglGpu?: StreamglGpuOptions;
  /**
   * More objects the pods reference that an operator creates (the PVCs, when they are not rendered in this release).
   * @default - only the Postgres and JWT Secrets are declared external
   */
  readonly additionalExternalRefs?: readonly ExternalRef[];
}

/** Why a key is owned and where its value comes from, for the message when user env tries to set it. */
const OWNED_KEY_SOURCES: Readonly<Record<string, string>> = {
  PORT: 'the engine port plan (each container has its own fixed port)',
  STREAMGL_NUM_WORKERS: "the 'streamglGpu.workers' prop (it also sets the list-server probe port and the port guard)",
  K8S_NAMESPACE_SUFFIX: 'the release namespace and the cluster domain',
  GRAPHISTRY_CPU_MODE: "the 'cpuMode' prop (forge-etl-python, dask-cuda-worker and nexus get the same value)",
  REDIS_DB: `the Redis database Graphistry's services share (${GRAPHISTRY_REDIS_DATABASE}, nexus' REDIS_URL path)`,
};

/** The env the seed mirrors in forge-etl-python and dask-cuda-worker, so the two Python containers cannot disagree. */
const pythonSharedEnv = (ctx: EngineContext): Record<string, string> => ({
  GRAPHISTRY_CPU_MODE: ctx.props.cpuMode ? '1' : '0',
  REDIS_DB: String(GRAPHISTRY_REDIS_DATABASE),
});

/** The engine pod's termination grace period: the preStop delay, then the containers' own shutdown. */
export const ENGINE_TERMINATION_GRACE = Duration.seconds(60);
/** Default preStop delay: Caddy's 10 s `dynamic a` refresh plus CoreDNS' default 5 s TTL. */
export const ENGINE_DEFAULT_PRESTOP_DELAY = Duration.seconds(15);

/**
 * nginx writes the upload scratch emptyDir, so it requests ephemeral storage equal to the scratch sizeLimit: the
 * scheduler reserves that disk on the node, while the emptyDir's own sizeLimit stays the cap (no container-wide
 * ephemeral-storage limit, which would also count logs and the writable layer). A request the user set wins.
 */
function withScratchRequest(r: Resources, scratch: Size): Resources {
  if (r.requestsOnly?.['ephemeral-storage'] !== undefined) return r;
  return { ...r, requestsOnly: { ...r.requestsOnly, 'ephemeral-storage': scratch } };
}

/** The props key of each container's options. */
type ContainerProp = 'nginx' | 'forgeEtlPython' | 'daskCudaWorker' | 'streamglViz' | 'streamglSessions' | 'streamglGpu';

/** What every container recipe reads: the validated settings of one engine. */
interface EngineContext {
  readonly props: EngineDaemonSetProps;
  readonly plan: EnginePortPlan;
  readonly viz: boolean;
  readonly tag: string;
  readonly cuda: string;
  readonly jwtSecret: string;
  readonly scratchLimit: Size;
  /** `<namespace>.svc.<cluster domain>`, the suffix nginx appends to service names. */
  readonly namespaceSuffix: string;
  readonly domain: ClusterDomain;
  /** The main containers' preStop sleep (none for a zero delay). */
  readonly preStop: k8s.Lifecycle | undefined;
}

/** How one container of the engine pod is built: its image, ports, owned env and connections, probes and mounts. */
interface ContainerRecipe {
  readonly name: string;
  readonly prop: ContainerProp;
  readonly repository: string;
  /** Built per CUDA variant (GPU images) rather than `universal`. */
  readonly gpu: boolean;
  /** Runs at viz and above only. */
  readonly vizOnly: boolean;
  /** Loads the JWT Secret with envFrom (the streamgl containers verify nexus' tokens). */
  readonly jwt: boolean;
  /** Sets the container's owned env and connections on its binding, in the order they render; returns the rest. */
  build(ctx: EngineContext, client: ClientBinding): Omit<ContainerOptions, 'name' | 'image' | 'env' | 'resources' | 'lifecycle'>;
}

const DATA_MOUNT: k8s.VolumeMount = { name: 'data-mount', mountPath: DATA_PATH };
const UPLOADS_MOUNT: k8s.VolumeMount = { name: 'uploads-scratch', mountPath: UPLOADS_PATH };
const own = (client: ClientBinding, values: Readonly<Record<string, string>>) => {
  for (const [k, v] of Object.entries(values)) client.setEnv(k, v, OWNED_KEY_SOURCES[k] ? { controlledBy: OWNED_KEY_SOURCES[k] } : undefined);
};

/** The six containers, in the order the pod renders them. */
const CONTAINER_RECIPES: readonly ContainerRecipe[] = [
  {
    name: EngineContainers.NGINX,
    prop: 'nginx',
    repository: GraphistryRepositories.nginx,
    gpu: false,
    vizOnly: false,
    jwt: false,
    build: (ctx, client) => {
      own(client, { PORT: String(ctx.plan.nginx), K8S_NAMESPACE_SUFFIX: `.${ctx.namespaceSuffix}` });
      // The image's routes reach these Services by name (with the suffix above).
      for (const e of ctx.props.proxied ?? []) client.connect(e, undefined, { kind: ConnectionKind.INGRESS, purpose: 'nginx route' });
      client.defaultEnv({ IS_K8S: '1', NGINX_RESOLVER: defaultNginxResolver(ctx.domain) });
      const healthz = { port: ctx.plan.nginx, path: '/healthz' };
      return {
        ports: [{ name: EnginePortNames.NGINX, port: ctx.plan.nginx }],
        // Readiness gates endpoint membership: Caddy's resolver adds a pod as soon as it is Ready, so without it a
        // rolling update sends browsers to a pod whose nginx is not bound yet.
        liveness: Probes.curl(healthz, probeSeconds(30, 30, 5)),
        readiness: Probes.curl(healthz, probeSeconds(8, 10, 5)),
        volumeMounts: [
          { name: 'dispatcher-config', mountPath: `/etc/nginx/conf.d/${ENGINE_DISPATCHER_FILE}`, subPath: ENGINE_DISPATCHER_FILE, readOnly: true },
          DATA_MOUNT,
          UPLOADS_MOUNT,
          { name: 'local-media-mount', mountPath: NEXUS_STATIC_PATH },
          ...(ctx.viz ? [{ name: 'viz-build-cache', mountPath: VIZ_BUILD_PATH, readOnly: true }] : []),
        ],
      };
    },
  },
  {
    name: EngineContainers.FORGE_ETL_PYTHON,
    prop: 'forgeEtlPython',
    repository: GraphistryRepositories.etlServerPython,
    gpu: true,
    vizOnly: false,
    jwt: false,
    build: (ctx, client) => {
      // The affinity hint pins each submission's persist/compute to the dask worker in this pod (soft: the scheduler
      // still falls back to a remote worker), so partitions do not cross the node network.
      own(client, { PORT: String(ctx.plan.forgeEtlPython), GRAPHISTRY_DASK_LOCAL_AFFINITY: '1', ...pythonSharedEnv(ctx) });
      ctx.props.daskScheduler.connect(client, { addressEnv: 'REMOTE_DASK' });
      ctx.props.postgres.connect(client);
      const health = { port: ctx.plan.forgeEtlPython, path: '/health' };
      return {
        ports: [{ name: EnginePortNames.FORGE_ETL_PYTHON, port: ctx.plan.forgeEtlPython }],
        liveness: Probes.curl(health, probeSeconds(60, 30, 10)),
        readiness: Probes.curl(health, probeSeconds(10, 10, 5)),
        volumeMounts: [DATA_MOUNT, UPLOADS_MOUNT],
      };
    },
  },
  {
    name: EngineContainers.DASK_CUDA_WORKER,
    prop: 'daskCudaWorker',
    repository: GraphistryRepositories.etlServerPython,
    gpu: true,
    vizOnly: false,
    jwt: false,
    build: (ctx, client) => {
      own(client, pythonSharedEnv(ctx));
      const scheduler = ctx.props.daskScheduler.connect(client);
      return {
        ports: [{ name: EnginePortNames.DASK_DASHBOARD, port: ctx.plan.daskDashboard }],
        command: ['/entrypoints/rapids-entrypoint.sh'],
        args: ['dask-cuda-worker', '--interface', 'eth0', '--dashboard-address', `localhost:${ctx.plan.daskDashboard}`, scheduler.hostPort(HostForm.SHORT)],
        // forge-etl-python's /workerhealth checks the dask cluster through fep; it is called directly on fep's port,
        // not through the nginx dispatcher, so an nginx restart cannot cascade into killing the worker mid-batch.
        liveness: Probes.curl(
          [{ port: ctx.plan.daskDashboard, path: '/health' }, { port: ctx.plan.forgeEtlPython, path: '/workerhealth' }],
          probeSeconds(180, 120, 30),
        ),
        readiness: Probes.curl({ port: ctx.plan.daskDashboard, path: '/health' }, probeSeconds(30, 10, 5)),
        volumeMounts: [DATA_MOUNT],
      };
    },
  },
  {
    name: EngineContainers.STREAMGL_VIZ,
    prop: 'streamglViz',
    repository: GraphistryRepositories.streamglViz,
    gpu: true,
    vizOnly: true,
    jwt: true,
    build: (ctx, client) => {
      // ETL submissions go to the same pod's nginx (the hostAliases pin its container name to 127.0.0.1), which
      // forwards to the same pod's forge-etl-python: a loopback alias, not the `nginx` Service.
      own(client, { PORT: String(ctx.plan.streamglViz), FORGE_ETL_HOSTNAME: EngineContainers.NGINX, FORGE_ETL_PORT: String(ctx.plan.nginx) });
      ctx.props.postgres.connect(client);
      return {
        ports: [
          { name: EnginePortNames.STREAMGL_VIZ, port: ctx.plan.streamglViz },
          { name: EnginePortNames.STREAMGL_VIZ_SECONDARY, port: ctx.plan.streamglVizSecondary },
        ],
        liveness: Probes.tcp(EnginePortNames.STREAMGL_VIZ, probeSeconds(60, 30, 5)),
        readiness: Probes.tcp(EnginePortNames.STREAMGL_VIZ, probeSeconds(10, 10, 5)),
        volumeMounts: [DATA_MOUNT],
      };
    },
  },
  {
    name: EngineContainers.STREAMGL_SESSIONS,
    prop: 'streamglSessions',
    repository: GraphistryRepositories.streamglSessions,
    gpu: true,
    vizOnly: true,
    jwt: true,
    build: (ctx, client) => {
      own(client, { PORT: String(ctx.plan.streamglSessions), NGINX_HOST: EngineContainers.NGINX });
      ctx.props.postgres.connect(client);
      return {
        ports: [{ name: EnginePortNames.STREAMGL_SESSIONS, port: ctx.plan.streamglSessions }],
        liveness: Probes.tcp(EnginePortNames.STREAMGL_SESSIONS, probeSeconds(60, 30, 5)),
        readiness: Probes.tcp(EnginePortNames.STREAMGL_SESSIONS, probeSeconds(10, 10, 5)),
        volumeMounts: [DATA_MOUNT],
      };
    },
  },
  {
    name: EngineContainers.STREAMGL_GPU,
    prop: 'streamglGpu',
    repository: GraphistryRepositories.streamglGpu,
    gpu: true,
    vizOnly: true,
    jwt: true,
    build: (ctx, client) => {
      own(client, { PORT: String(ctx.plan.streamglGpu), STREAMGL_NUM_WORKERS: String(ctx.plan.streamglWorkers) });
      ctx.props.postgres.connect(client);
      // The list-server port is computed from the same N as STREAMGL_NUM_WORKERS, so probe and router agree.
      const check = { port: ctx.plan.listServer, path: '/check-workers' };
      return {
        ports: [
          { name: EnginePortNames.STREAMGL_GPU, port: ctx.plan.streamglGpu },
          { name: EnginePortNames.STREAMGL_GPU_LIST_SERVER, port: ctx.plan.listServer },
        ],
        liveness: Probes.curl(check, probeSeconds(60, 30, 10)),
        readiness: Probes.curl(check, probeSeconds(20, 10, 5)),
        volumeMounts: [DATA_MOUNT],
      };
    },
  },
];

/** The node-local shim Services (viz and above): each name the dispatcher answers for, and its ports. */
const SHIMS: ReadonlyArray<{
  readonly id: string;
  readonly name: string;
  readonly ports: (plan: EnginePortPlan) => Array<{ name: string; port: number; targetPort: string }>;
}> = [
  {
    id: 'ForgeEtlPythonService',
    name: 'forge-etl-python',
    ports: (p) => [{ name: 'http', port: p.dispatcher, targetPort: EnginePortNames.FORGE_ETL_PYTHON }],
  },
  { id: 'StreamglGpuService', name: 'streamgl-gpu', ports: (p) => [{ name: 'http', port: p.dispatcher, targetPort: EnginePortNames.STREAMGL_GPU }] },
  {
    id: 'StreamglSessionsService',
    name: 'streamgl-sessions',
    ports: (p) => [{ name: 'http', port: p.dispatcher, targetPort: EnginePortNames.STREAMGL_SESSIONS }],
  },
  {
    id: 'StreamglVizService',
    name: 'streamgl-viz',
    ports: (p) => [
      { name: 'http', port: p.dispatcher, targetPort: EnginePortNames.STREAMGL_VIZ },
      { name: 'aux', port: p.streamglVizSecondary, targetPort: EnginePortNames.STREAMGL_VIZ_SECONDARY },
    ],
  },
];

/**
 * The Graphistry engine: one pod per GPU node bundling the GPU-bound services as sibling containers, so every
 * intra-stack hop is localhost (nginx, forge-etl-python and dask-cuda-worker; plus streamgl-viz, streamgl-sessions
 * and streamgl-gpu at viz and above). Renders the DaemonSet, the `engine-headless` Service Caddy balances across,
 * the shim Services that keep nginx's FQDN lookups on the same node, the `nginx` fallback Service, the :8080
 * dispatcher ConfigMap and the RBAC its init waits need.
 */
export class EngineDaemonSet extends WorkloadConstruct {
  /** Whether a release of this tier has an engine (analytics and above). */
  public static rendersAt(tier: Tier): boolean {
    return tier.atLeast(Tier.ANALYTICS);
  }

  /** The DaemonSet (construct id `Resource`). */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** `engine-headless`: every engine pod's IP, for Caddy's dynamic upstreams. */
  public readonly headlessService: k8s.KubeService;
  /** The headless Service's endpoint: Caddy's pool. */
  public readonly headlessEndpoint: ServiceEndpoint;
  /** `nginx`: Cluster-policy fallback for callers outside the engine pods. */
  public readonly nginxService: k8s.KubeService;
  /** The `nginx` Service's endpoint: the Graphistry API for in-cluster callers (graph-app-kit). */
  public readonly nginxEndpoint: ServiceEndpoint;
  /** Node-local shim Services by name (viz and above; empty at analytics). */
  public readonly shimServices: Readonly<Record<string, k8s.KubeService>>;
  /** The shim Services' endpoints by name. */
  public readonly shimEndpoints: Readonly<Record<string, ServiceEndpoint>>;
  /** `engine-nginx-cfg`: the :8080 dispatcher conf.d file. */
  public readonly dispatcherConfigMap: k8s.KubeConfigMap;
  /** ServiceAccount, Role and RoleBinding for the init waits. */
  public readonly access: NamespacedAccess;
  /** The port plan every port in the pod comes from. */
  public readonly ports: EnginePortPlan;
  /** The tier the engine renders (its containers and Services follow it). */
  public readonly tier: Tier;
  /** Labels selecting the engine pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The pod's connections (waits, graph edges) per container. */
  public readonly wiring: PodWiring;
  /** The dispatcher file's text, as mounted into nginx. */
  public readonly dispatcherConfig: string;
  /** Names of the main containers, in order. */
  public readonly containerNames: readonly string[];
  /** NGINX_RESOLVER as nginx gets it (the cluster DNS Service it resolves names through); undefined when it comes from a reference. */
  public readonly nginxResolver?: string;
  /**
   * The dask workers and nannies dask-cuda-worker starts in every engine pod, reached directly: each binds a port the
   * kernel picks from the ephemeral range (dask-cuda-worker has no option to fix it), and the scheduler calls them
   * back on it, as do the dask clients and the workers of other engine pods fetching data.
   */
  public readonly daskWorkers: PodEndpoint;
  /** The per-pod upload scratch size: the largest request body an upload can land (the notes' body-size limit). */
  public readonly uploadsScratchSizeLimit: Size;

  constructor(scope: Construct, id: string, props: EngineDaemonSetProps) {
    super(scope, id);
    const ctx = this.settings(props);
    this.tier = props.tier;
    this.ports = ctx.plan;
    this.uploadsScratchSizeLimit = ctx.scratchLimit;
    const release = Release.of(this);
    const identity = { name: 'engine', instance: release.releaseName, component: 'gpu-engine' };
    this.selector = selectorLabels(identity);
    const labels = standardLabels({ ...identity, partOf: 'graphistry', version: ctx.tag });
    const security = props.securityProfile ?? graphistryRootProfile();

    this.wiring = new PodWiring(this);
    this.waitForServers(props);
    const containers = this.buildContainers(ctx, security);
    this.containerNames = containers.map((c) => c.name);
    const resolver = containers[0].env?.find((e) => e.name === 'NGINX_RESOLVER');
    this.nginxResolver = resolver?.value;

    this.dispatcherConfig = engineDispatcherConfig(ctx.plan);
    this.dispatcherConfigMap = new k8s.KubeConfigMap(this, 'DispatcherConfig', {
      metadata: { name: EngineNames.DISPATCHER_CONFIG_MAP, labels },
      data: { [ENGINE_DISPATCHER_FILE]: this.dispatcherConfig },
    });
    this.access = new NamespacedAccess(this, 'Access', { name: EngineNames.SERVICE_ACCOUNT, labels, rules: this.wiring.waitRules() });
    this.daemonSet = this.renderDaemonSet(ctx, labels, security, containers);

    this.daskWorkers = PodEndpoint.of(this, [{ name: 'dask-worker', port: LINUX_EPHEMERAL_PORTS.first, endPort: LINUX_EPHEMERAL_PORTS.last }]);
    this.wireDaskCallbacks(props.daskScheduler);

    const services = this.renderServices(ctx, labels);
    this.headlessService = services.headless.service;
    this.headlessEndpoint = services.headless.endpoint;
    this.nginxService = services.nginx.service;
    this.nginxEndpoint = services.nginx.endpoint;
    this.shimServices = Object.fromEntries(Object.entries(services.shims).map(([k, v]) => [k, v.service]));
    this.shimEndpoints = Object.fromEntries(Object.entries(services.shims).map(([k, v]) => [k, v.endpoint]));
  }

  /**
   * The dask traffic that runs against the direction of the scheduler connection: the scheduler calls the workers
   * and nannies back, and clients (forge-etl-python) and workers of every engine pod fetch results from the workers.
   */
  private wireDaskCallbacks(scheduler: DaskScheduler): void {
    const wiring = Wiring.of(this);
    wiring.connect(scheduler, this.daskWorkers, 'dask-worker', { purpose: 'the scheduler calls dask workers and nannies back' });
    wiring.connect(this, this.daskWorkers, 'dask-worker', { purpose: 'dask clients and workers fetch data from the workers of every engine pod' });
  }

  /**
   * Validates the props into the settings every part of the pod is built from; every prop check runs before anything
   * is built, and all their errors are reported together.
   */
  private settings(props: EngineDaemonSetProps): EngineContext {
    const tier = props.tier;
    if (!EngineDaemonSet.rendersAt(tier)) {
      throw new ConfigError(
        'tier',
        tier.name,
        Tier.ALL.filter((t) => EngineDaemonSet.rendersAt(t)).join(', '),
        'the platform tier renders no engine; it uses NexusProxy in front of nexus',
      );
    }
    const errors = new ErrorCollector(this);
    const plan = errors.attempt(() => EnginePortPlan.forTier(tier, { streamglWorkers: props.streamglGpu?.workers }));
    const jwtSecret = errors.attempt(() => assertDnsSubdomain('jwtSecret', props.jwtSecret ?? 'graphistry-jwt'), '');
    errors.check(props.redis instanceof Redis, 'redis', props.redis, 'the Redis service (GraphistryStack passes its own)');
    errors.check(
      props.daskScheduler instanceof DaskScheduler,
      'daskScheduler',
      props.daskScheduler,
      'the dask scheduler service (GraphistryStack passes its own)',
    );
    const httpPort = props.httpPort ?? 80;
    errors.attempt(() => assertPort('httpPort', httpPort));
    errors.attempt(() => assertDnsSubdomain('dataMountClaim', props.dataMountClaim));
    errors.attempt(() => assertDnsSubdomain('localMediaMountClaim', props.localMediaMountClaim));
    if (props.runtimeClassName !== undefined) errors.attempt(() => assertDnsSubdomain('runtimeClassName', props.runtimeClassName!));
    errors.attempt(() => assertExternalRefs('additionalExternalRefs', props.additionalExternalRefs ?? []));
    const scratchLimit = props.uploadsScratchSizeLimit ?? Size.gibibytes(20);
    errors.check(
      scratchLimit.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) >= 1024,
      'uploadsScratchSizeLimit',
      sizeQuantity(scratchLimit),
      'at least 1 MiB',
    );
    const preStopMs = (props.preStopDelay ?? ENGINE_DEFAULT_PRESTOP_DELAY).toMilliseconds();
    const graceSeconds = ENGINE_TERMINATION_GRACE.toSeconds();
    errors.check(
      Number.isInteger(preStopMs / 1000) && preStopMs >= 0 && preStopMs / 1000 < graceSeconds,
      'preStopDelay',
      `${preStopMs / 1000}s`,
      `whole seconds from 0 to ${graceSeconds - 1}`,
      `it counts against the pod's ${graceSeconds}s termination grace period, which must leave the containers time to stop`,
    );
    errors.throwIfAny();
    const domain = ClusterDomain.of(this);
    return {
      props,
      plan: plan!,
      viz: tier.atLeast(Tier.VIZ),
      tag: props.tag ?? DEFAULT_GRAPHISTRY_TAG,
      cuda: props.cudaVariant ?? DEFAULT_CUDA_VARIANT,
      jwtSecret,
      scratchLimit,
      namespaceSuffix: domain.namespaceSuffix(Release.of(this).releaseNamespace),
      domain,
      // Every main container sleeps preStopDelay before SIGTERM, so Caddy's `dynamic a` refresh drops a terminating
      // pod before nginx and its siblings stop (see preStopDelay).
      preStop: preStopMs > 0 ? { preStop: { exec: { command: ['sh', '-c', `sleep ${preStopMs / 1000}`] } } } : undefined,
    };
  }

  /** The pod waits for the servers its containers need (Redis and the dask scheduler; Postgres through its clients). */
  private waitForServers(props: EngineDaemonSetProps): void {
    const pod = this.wiring.pod();
    props.redis.connect(pod, { wait: true });
    props.daskScheduler.connect(pod, { wait: true });
  }

  /**
   * Builds the main containers from the recipe table. Each container gets its own env builder, so no container
   * inherits another's map (dask-cuda-worker once received forge-etl-python's env this way).
   */
  private buildContainers(ctx: EngineContext, security: SecurityProfile): k8s.Container[] {
    const images = Images.of(this);
    return CONTAINER_RECIPES.filter((r) => ctx.viz || !r.vizOnly).map((r) => {
      const o = ctx.props[r.prop];
      const env = new EnvBuilder(`EngineDaemonSet container ${r.name}`);
      const client = this.wiring.container(r.name, env);
      const built = r.build(ctx, client);
      // With a Redis password every container that talks to Redis reads it through REDIS_URL (nginx does not talk to it).
      if (ctx.props.redis.auth.password && r.name !== EngineContainers.NGINX) {
        ctx.props.redis.connect(client, { urlEnv: 'REDIS_URL', database: GRAPHISTRY_REDIS_DATABASE });
      }
      for (const c of o?.connections ?? []) c.connect(client);
      env.user(o?.env, `${r.prop}.env`);
      if (r.jwt) env.envFrom(EnvFrom.secret(ctx.jwtSecret));
      const defaultResources = ENGINE_DEFAULT_RESOURCES[r.name];
      const resources =
        r.name === EngineContainers.NGINX
          ? withScratchRequest(o?.resources ?? defaultResources, ctx.scratchLimit)
          : (o?.resources ?? defaultResources);
      return buildContainer(
        r.prop,
        {
          ...built,
          name: r.name,
          image: images.resolve(`${r.prop}.image`, o?.image ?? graphistryImage(r.repository, ctx.tag, r.gpu ? ctx.cuda : 'universal')),
          env,
          resources,
          volumeMounts: [...(built.volumeMounts ?? []), ...client.volumeMounts],
          lifecycle: ctx.preStop,
        },
        security,
      );
    });
  }

  /**
   * The DaemonSet: init waits, then the viz bundle copied into the pod's own emptyDir (a shared PVC subPath raced
   * when several pods rewrote the same files during a rollout), the volumes, the hostAliases that keep every
   * intra-stack call by service name on this pod, and the policy and external-reference annotations.
   */
  private renderDaemonSet(
    ctx: EngineContext,
    labels: Record<string, string>,
    security: SecurityProfile,
    containers: k8s.Container[],
  ): k8s.KubeDaemonSet {
    const props = ctx.props;
    const initSecurity = security.forInitContainers();
    const initContainers = this.wiring.waits.map((w) => buildWaitContainer(this, w, initSecurity));
    if (ctx.viz) {
      initContainers.push(
        buildContainer(
          'initContainers.copy-viz-static',
          {
            name: 'copy-viz-static',
            image: containers.find((c) => c.name === EngineContainers.STREAMGL_VIZ)!.image!,
            command: ['sh', '-c', `cp -r ${VIZ_BUILD_PATH}/. /viz-build-cache/`],
            resources: COPY_VIZ_RESOURCES,
            volumeMounts: [{ name: 'viz-build-cache', mountPath: '/viz-build-cache' }],
          },
          initSecurity,
        ),
      );
    }
    const volumes: k8s.Volume[] = [
      { name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } },
      { name: 'local-media-mount', persistentVolumeClaim: { claimName: props.localMediaMountClaim } },
      { name: 'uploads-scratch', emptyDir: { sizeLimit: quantityOf(ctx.scratchLimit) } },
      { name: 'dispatcher-config', configMap: { name: EngineNames.DISPATCHER_CONFIG_MAP } },
    ];
    if (ctx.viz) volumes.push({ name: 'viz-build-cache', emptyDir: { sizeLimit: quantityOf(VIZ_BUILD_CACHE_LIMIT) } });

    // Every intra-stack call by service name stays on this pod: the container names resolve to loopback, where nginx
    // :80 or the :8080 dispatcher (or the service's own port) answers.
    const hostAliases: k8s.HostAlias[] = [{ ip: '127.0.0.1', hostnames: containers.map((c) => c.name) }];
    const podSpec = buildPodSpec(this, '', {
      containers,
      initContainers,
      volumes: [...volumes, ...this.wiring.volumes],
      security,
      placement: Placement.of(this).forWorkload(props.placement),
      serviceAccountName: this.access.serviceAccountName,
      // The k8s-wait-for init containers read Services and pods from the API; set explicitly because hardened
      // namespaces flip the default off.
      automountServiceAccountToken: true,
      terminationGracePeriod: ENGINE_TERMINATION_GRACE,
      hostAliases,
      runtimeClassName: props.runtimeClassName,
    });

    const external: ExternalRef[] = [
      ...this.wiring.externalRefs,
      ...(ctx.viz ? [{ kind: 'Secret' as const, name: ctx.jwtSecret }] : []),
      ...(props.additionalExternalRefs ?? []),
    ];
    const annotations = { ...policyExceptionAnnotations(security.exceptions), ...externalRefsAnnotation(external) };
    return renderDaemonSet(this, {
      name: EngineNames.DAEMON_SET,
      labels,
      selector: this.selector,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      podAnnotations: checksumAnnotations(this.dispatcherConfig),
      spec: podSpec,
    });
  }

  /**
   * The Services over the engine pods: `engine-headless` (Caddy's pool), `nginx` (the Cluster-policy fallback), and
   * at viz and above the shims, which keep nginx's FQDN lookups (`<service>.<ns>.svc...:8080`) on this node: Local
   * policy only routes to the engine pod on the caller's node, which is also where the upload the caller just wrote
   * lives.
   */
  private renderServices(ctx: EngineContext, labels: Record<string, string>) {
    const httpPort = ctx.props.httpPort ?? 80;
    const headless = buildService(this, 'HeadlessService', {
      name: EngineNames.HEADLESS_SERVICE,
      labels,
      pods: this,
      headless: true,
      ports: [{ name: 'http', port: ctx.plan.nginx, targetPort: EnginePortNames.NGINX }],
    });
    const nginx = buildService(this, 'NginxService', {
      name: EngineNames.NGINX_SERVICE,
      labels,
      pods: this,
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      ports: [{ name: 'http', port: httpPort, targetPort: EnginePortNames.NGINX }],
    });
    const shims: Record<string, ReturnType<typeof buildService>> = {};
    if (ctx.viz) {
      for (const shim of SHIMS) {
        shims[shim.name] = buildService(this, shim.id, {
          name: shim.name,
          labels,
          pods: this,
          type: 'ClusterIP',
          internalTrafficPolicy: 'Local',
          ports: shim.ports(ctx.plan),
        });
      }
    }
    return { headless, nginx, shims };
  }
}
