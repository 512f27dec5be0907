import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { buildContainer, buildWaitContainer, ContainerPortSpec } from '../core/container';
import { EnvBuilder, EnvFrom, EnvMap, EnvValue } from '../core/env';
import { ConfigError, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, assertDnsSubdomain } from '../core/names';
import { NodeSelection, Placement, Toleration } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { assertExternalRefs, ExternalRef, externalRefsAnnotation, policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { NamespacedAccess } from '../core/rbac';
import { quantityOf, Resources, sized, sizeQuantity } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { InitWait, WaitFor, waitRules } from '../core/waits';
import { Release } from '../release/release';
import {
  DEFAULT_CUDA_VARIANT,
  DEFAULT_GRAPHISTRY_TAG,
  graphistryImage,
  GraphistryRepositories,
  graphistryRootProfile,
  initContainerProfile,
  defaultNginxResolver,
  NGINX_DEFAULT_RESOURCES,
} from './defaults';
import { ENGINE_DISPATCHER_FILE, engineDispatcherConfig } from './engine-dispatcher';
import { EnginePortPlan } from './ports';
import { Postgres } from './postgres';
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
   * Node labels the engine pods need. When empty, the release-wide nodeSelector applies (GPU pool vs CPU pool).
   * @default {}
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Tolerations in addition to the release-wide ones.
   * @default []
   */
  readonly tolerations?: readonly Toleration[];
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
   * Service the pods wait for before starting (and that the services use for queues and caches).
   * @default 'redis'
   */
  readonly redisService?: string;
  /**
   * Service of the dask scheduler dask-cuda-worker registers with (port 8786).
   * @default 'dask-scheduler'
   */
  readonly daskSchedulerService?: string;
  /**
   * Port of the `nginx` Service (the off-pod fallback). The container port stays 80.
   * @default 80
   */
  readonly httpPort?: number;
  /**
   * The cluster's DNS domain, for the FQDN suffix nginx appends to service names.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * The nginx container. Its `env.NGINX_RESOLVER` is the DNS server nginx resolves service names through, by default
   * `kube-dns.kube-system.svc.<clusterDomain>`. Where the cluster DNS Service has another name (RKE2
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
  POSTGRES_HOST: "the 'postgres' prop",
  POSTGRES_PORT: "the 'postgres' prop",
  POSTGRES_DB: "the 'postgres' prop",
  POSTGRES_USER: "the 'postgres' prop",
  POSTGRES_PASSWORD: "the 'postgres' prop",
  K8S_NAMESPACE_SUFFIX: "the release namespace and the 'clusterDomain' prop",
  REMOTE_DASK: "the 'daskSchedulerService' prop",
};

interface ContainerPlan {
  readonly name: string;
  readonly prop: string;
  readonly image: string;
  readonly ports: ContainerPortSpec[];
  readonly env: EnvBuilder;
  readonly resources: Resources;
  readonly liveness: k8s.Probe;
  readonly readiness: k8s.Probe;
  readonly mounts: k8s.VolumeMount[];
  readonly command?: string[];
  readonly args?: string[];
}

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

/**
 * The Graphistry engine: one pod per GPU node bundling the GPU-bound services as sibling containers, so every
 * intra-stack hop is localhost (nginx, forge-etl-python and dask-cuda-worker; plus streamgl-viz, streamgl-sessions
 * and streamgl-gpu at viz and above). Renders the DaemonSet, the `engine-headless` Service Caddy balances across,
 * the shim Services that keep nginx's FQDN lookups on the same node, the `nginx` fallback Service, the :8080
 * dispatcher ConfigMap and the RBAC its init waits need.
 */
export class EngineDaemonSet extends Construct {
  /** Whether a release of this tier has an engine (analytics and above). */
  public static rendersAt(tier: Tier): boolean {
    return tier.atLeast(Tier.ANALYTICS);
  }

  /** The DaemonSet (construct id `Resource`). */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** `engine-headless`: every engine pod's IP, for Caddy's dynamic upstreams. */
  public readonly headlessService: k8s.KubeService;
  /** `nginx`: Cluster-policy fallback for callers outside the engine pods. */
  public readonly nginxService: k8s.KubeService;
  /** Node-local shim Services by name (viz and above; empty at analytics). */
  public readonly shimServices: Readonly<Record<string, k8s.KubeService>>;
  /** `engine-nginx-cfg`: the :8080 dispatcher conf.d file. */
  public readonly dispatcherConfigMap: k8s.KubeConfigMap;
  /** ServiceAccount, Role and RoleBinding for the init waits. */
  public readonly access: NamespacedAccess;
  /** The port plan every port in the pod comes from. */
  public readonly ports: EnginePortPlan;
  public readonly tier: Tier;
  /** Labels selecting the engine pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The dispatcher file's text, as mounted into nginx. */
  public readonly dispatcherConfig: string;
  /** Names of the main containers, in order. */
  public readonly containerNames: readonly string[];
  /** NGINX_RESOLVER as nginx gets it (the cluster DNS Service it resolves names through); undefined when it comes from a reference. */
  public readonly nginxResolver?: string;

  constructor(scope: Construct, id: string, props: EngineDaemonSetProps) {
    super(scope, id);
    const release = Release.of(this);
    const namespace = release.releaseNamespace;
    const tier = props.tier;
    if (!EngineDaemonSet.rendersAt(tier)) {
      throw new ConfigError('tier', tier.name, Tier.ALL.filter((t) => EngineDaemonSet.rendersAt(t)).join(', '), 'the platform tier renders no engine; it uses NexusProxy in front of nexus');
    }
    this.tier = tier;
    const viz = tier.atLeast(Tier.VIZ);
    // Every prop check runs before anything is built, and all their errors are reported together.
    const errors = new ErrorCollector();
    const planned = errors.attempt(() => EnginePortPlan.forTier(tier, { streamglWorkers: props.streamglGpu?.workers }));

    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    const cuda = props.cudaVariant ?? DEFAULT_CUDA_VARIANT;
    const jwtSecret = errors.attempt(() => assertDnsSubdomain('jwtSecret', props.jwtSecret ?? 'graphistry-jwt'), '');
    const redis = errors.attempt(() => assertDnsLabel('redisService', props.redisService ?? 'redis'), '');
    const daskScheduler = errors.attempt(() => assertDnsLabel('daskSchedulerService', props.daskSchedulerService ?? 'dask-scheduler'), '');
    const clusterDomain = errors.attempt(() => assertDnsSubdomain('clusterDomain', props.clusterDomain ?? 'cluster.local'), '');
    const httpPort = props.httpPort ?? 80;
    errors.attempt(() => assertPort('httpPort', httpPort));
    errors.attempt(() => assertDnsSubdomain('dataMountClaim', props.dataMountClaim));
    errors.attempt(() => assertDnsSubdomain('localMediaMountClaim', props.localMediaMountClaim));
    if (props.runtimeClassName !== undefined) errors.attempt(() => assertDnsSubdomain('runtimeClassName', props.runtimeClassName!));
    const scratchLimit = props.uploadsScratchSizeLimit ?? Size.gibibytes(20);
    errors.check(scratchLimit.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) >= 1024, 'uploadsScratchSizeLimit', sizeQuantity(scratchLimit), 'at least 1 MiB');
    const security = props.securityProfile ?? graphistryRootProfile();
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
    const plan = planned!;
    this.ports = plan;
    const lifecycle: k8s.Lifecycle | undefined = preStopMs > 0 ? { preStop: { exec: { command: ['sh', '-c', `sleep ${preStopMs / 1000}`] } } } : undefined;

    const identity = { name: 'engine', instance: release.releaseName, component: 'gpu-engine' };
    this.selector = selectorLabels(identity);
    const labels = standardLabels({ ...identity, partOf: 'graphistry', version: tag });
    const images = Images.of(this);
    const image = (prop: string, override: string | undefined, repository: string, variant: string) =>
      images.resolve(`${prop}.image`, override ?? graphistryImage(repository, tag, variant));

    // Env: each container gets its own builder, so no container inherits another's map (dask-cuda-worker once
    // received forge-etl-python's env this way).
    const envFor = (container: string, prop: string, owned: Record<string, EnvValue>, defaults: EnvMap, user: EnvMap | undefined) => {
      const hints = Object.fromEntries(Object.keys(owned).filter((k) => k in OWNED_KEY_SOURCES).map((k) => [k, { controlledBy: OWNED_KEY_SOURCES[k] }]));
      return new EnvBuilder(`EngineDaemonSet container ${container}`).ownAll(owned, hints).defaults(defaults).user(user, `${prop}.env`);
    };
    const pg = props.postgres.env();

    const dataMount: k8s.VolumeMount = { name: 'data-mount', mountPath: DATA_PATH };
    const uploadsMount: k8s.VolumeMount = { name: 'uploads-scratch', mountPath: UPLOADS_PATH };

    const plans: ContainerPlan[] = [];
    plans.push({
      name: EngineContainers.NGINX,
      prop: 'nginx',
      image: image('nginx', props.nginx?.image, GraphistryRepositories.nginx, 'universal'),
      ports: [{ name: EnginePortNames.NGINX, port: plan.nginx }],
      env: envFor(
        EngineContainers.NGINX,
        'nginx',
        { PORT: String(plan.nginx), K8S_NAMESPACE_SUFFIX: `.${namespace}.svc.${clusterDomain}` },
        { IS_K8S: '1', NGINX_RESOLVER: defaultNginxResolver(clusterDomain) },
        props.nginx?.env,
      ),
      resources: withScratchRequest(props.nginx?.resources ?? ENGINE_DEFAULT_RESOURCES[EngineContainers.NGINX], scratchLimit),
      // Readiness gates endpoint membership: Caddy's resolver adds a pod as soon as it is Ready, so without it a
      // rolling update sends browsers to a pod whose nginx is not bound yet.
      liveness: Probes.curl({ port: plan.nginx, path: '/healthz' }, { initialDelay: Duration.seconds(30), period: Duration.seconds(30), timeout: Duration.seconds(5), failureThreshold: 3 }),
      readiness: Probes.curl({ port: plan.nginx, path: '/healthz' }, { initialDelay: Duration.seconds(8), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
      mounts: [
        { name: 'dispatcher-config', mountPath: `/etc/nginx/conf.d/${ENGINE_DISPATCHER_FILE}`, subPath: ENGINE_DISPATCHER_FILE, readOnly: true },
        dataMount,
        uploadsMount,
        { name: 'local-media-mount', mountPath: NEXUS_STATIC_PATH },
        ...(viz ? [{ name: 'viz-build-cache', mountPath: VIZ_BUILD_PATH, readOnly: true }] : []),
      ],
    });
    plans.push({
      name: EngineContainers.FORGE_ETL_PYTHON,
      prop: 'forgeEtlPython',
      image: image('forgeEtlPython', props.forgeEtlPython?.image, GraphistryRepositories.etlServerPython, cuda),
      ports: [{ name: EnginePortNames.FORGE_ETL_PYTHON, port: plan.forgeEtlPython }],
      env: envFor(
        EngineContainers.FORGE_ETL_PYTHON,
        'forgeEtlPython',
        // The affinity hint pins each submission's persist/compute to the dask worker in this pod (soft: the
        // scheduler still falls back to a remote worker), so partitions do not cross the node network.
        { PORT: String(plan.forgeEtlPython), GRAPHISTRY_DASK_LOCAL_AFFINITY: '1', REMOTE_DASK: `${daskScheduler}:8786`, ...pg },
        {},
        props.forgeEtlPython?.env,
      ),
      resources: props.forgeEtlPython?.resources ?? ENGINE_DEFAULT_RESOURCES[EngineContainers.FORGE_ETL_PYTHON],
      liveness: Probes.curl({ port: plan.forgeEtlPython, path: '/health' }, { initialDelay: Duration.seconds(60), period: Duration.seconds(30), timeout: Duration.seconds(10), failureThreshold: 3 }),
      readiness: Probes.curl({ port: plan.forgeEtlPython, path: '/health' }, { initialDelay: Duration.seconds(10), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
      mounts: [dataMount, uploadsMount],
    });
    plans.push({
      name: EngineContainers.DASK_CUDA_WORKER,
      prop: 'daskCudaWorker',
      image: image('daskCudaWorker', props.daskCudaWorker?.image, GraphistryRepositories.etlServerPython, cuda),
      ports: [{ name: EnginePortNames.DASK_DASHBOARD, port: plan.daskDashboard }],
      command: ['/entrypoints/rapids-entrypoint.sh'],
      args: ['dask-cuda-worker', '--interface', 'eth0', '--dashboard-address', `localhost:${plan.daskDashboard}`, `${daskScheduler}:8786`],
      env: envFor(EngineContainers.DASK_CUDA_WORKER, 'daskCudaWorker', {}, {}, props.daskCudaWorker?.env),
      resources: props.daskCudaWorker?.resources ?? ENGINE_DEFAULT_RESOURCES[EngineContainers.DASK_CUDA_WORKER],
      // forge-etl-python's /workerhealth checks the dask cluster through fep; it is called directly on fep's port,
      // not through the nginx dispatcher, so an nginx restart cannot cascade into killing the worker mid-batch.
      liveness: Probes.curl(
        [{ port: plan.daskDashboard, path: '/health' }, { port: plan.forgeEtlPython, path: '/workerhealth' }],
        { initialDelay: Duration.seconds(180), period: Duration.seconds(120), timeout: Duration.seconds(30), failureThreshold: 3 },
      ),
      readiness: Probes.curl({ port: plan.daskDashboard, path: '/health' }, { initialDelay: Duration.seconds(30), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
      mounts: [dataMount],
    });
    if (viz) {
      const jwt = EnvFrom.secret(jwtSecret);
      plans.push({
        name: EngineContainers.STREAMGL_VIZ,
        prop: 'streamglViz',
        image: image('streamglViz', props.streamglViz?.image, GraphistryRepositories.streamglViz, cuda),
        ports: [
          { name: EnginePortNames.STREAMGL_VIZ, port: plan.streamglViz },
          { name: EnginePortNames.STREAMGL_VIZ_SECONDARY, port: plan.streamglVizSecondary },
        ],
        env: envFor(
          EngineContainers.STREAMGL_VIZ,
          'streamglViz',
          // ETL submissions go to the same pod's nginx (hostAliases pin `nginx` to 127.0.0.1), which forwards to
          // the same pod's forge-etl-python.
          { PORT: String(plan.streamglViz), FORGE_ETL_HOSTNAME: 'nginx', FORGE_ETL_PORT: String(plan.nginx), ...pg },
          {},
          props.streamglViz?.env,
        ).envFrom(jwt),
        resources: props.streamglViz?.resources ?? ENGINE_DEFAULT_RESOURCES[EngineContainers.STREAMGL_VIZ],
        liveness: Probes.tcp(EnginePortNames.STREAMGL_VIZ, { initialDelay: Duration.seconds(60), period: Duration.seconds(30), timeout: Duration.seconds(5), failureThreshold: 3 }),
        readiness: Probes.tcp(EnginePortNames.STREAMGL_VIZ, { initialDelay: Duration.seconds(10), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
        mounts: [dataMount],
      });
      plans.push({
        name: EngineContainers.STREAMGL_SESSIONS,
        prop: 'streamglSessions',
        image: image('streamglSessions', props.streamglSessions?.image, GraphistryRepositories.streamglSessions, cuda),
        ports: [{ name: EnginePortNames.STREAMGL_SESSIONS, port: plan.streamglSessions }],
        env: envFor(
          EngineContainers.STREAMGL_SESSIONS,
          'streamglSessions',
          { PORT: String(plan.streamglSessions), NGINX_HOST: 'nginx', ...pg },
          {},
          props.streamglSessions?.env,
        ).envFrom(jwt),
        resources: props.streamglSessions?.resources ?? ENGINE_DEFAULT_RESOURCES[EngineContainers.STREAMGL_SESSIONS],
        liveness: Probes.tcp(EnginePortNames.STREAMGL_SESSIONS, { initialDelay: Duration.seconds(60), period: Duration.seconds(30), timeout: Duration.seconds(5), failureThreshold: 3 }),
        readiness: Probes.tcp(EnginePortNames.STREAMGL_SESSIONS, { initialDelay: Duration.seconds(10), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
        mounts: [dataMount],
      });
      plans.push({
        name: EngineContainers.STREAMGL_GPU,
        prop: 'streamglGpu',
        image: image('streamglGpu', props.streamglGpu?.image, GraphistryRepositories.streamglGpu, cuda),
        ports: [
          { name: EnginePortNames.STREAMGL_GPU, port: plan.streamglGpu },
          { name: EnginePortNames.STREAMGL_GPU_LIST_SERVER, port: plan.listServer },
        ],
        env: envFor(
          EngineContainers.STREAMGL_GPU,
          'streamglGpu',
          { PORT: String(plan.streamglGpu), STREAMGL_NUM_WORKERS: String(plan.streamglWorkers), ...pg },
          {},
          props.streamglGpu?.env,
        ).envFrom(jwt),
        resources: props.streamglGpu?.resources ?? ENGINE_DEFAULT_RESOURCES[EngineContainers.STREAMGL_GPU],
        // The list-server port is computed from the same N as STREAMGL_NUM_WORKERS, so probe and router agree.
        liveness: Probes.curl({ port: plan.listServer, path: '/check-workers' }, { initialDelay: Duration.seconds(60), period: Duration.seconds(30), timeout: Duration.seconds(10), failureThreshold: 3 }),
        readiness: Probes.curl({ port: plan.listServer, path: '/check-workers' }, { initialDelay: Duration.seconds(20), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
        mounts: [dataMount],
      });
    }
    this.containerNames = plans.map((p) => p.name);
    const resolver = plans[0].env.get('NGINX_RESOLVER');
    this.nginxResolver = typeof resolver === 'string' ? resolver : undefined;

    const containers = plans.map((p) =>
      buildContainer(
        p.prop,
        { name: p.name, image: p.image, command: p.command, args: p.args, ports: p.ports, env: p.env, resources: p.resources, liveness: p.liveness, readiness: p.readiness, volumeMounts: p.mounts, lifecycle },
        security,
      ),
    );

    // Init: the services the engine needs must answer before it starts, then the viz bundle is copied into the
    // pod's own emptyDir (a shared PVC subPath raced when several pods rewrote the same files during a rollout).
    const waits: InitWait[] = [WaitFor.service(redis), WaitFor.service(daskScheduler), props.postgres.wait()];
    const initSecurity = initContainerProfile(security);
    const initContainers = waits.map((w) => buildWaitContainer(this, w, initSecurity));
    if (viz) {
      initContainers.push(
        buildContainer(
          'initContainers.copy-viz-static',
          {
            name: 'copy-viz-static',
            image: plans.find((p) => p.name === EngineContainers.STREAMGL_VIZ)!.image,
            command: ['sh', '-c', `cp -r ${VIZ_BUILD_PATH}/. /viz-build-cache/`],
            resources: COPY_VIZ_RESOURCES,
            volumeMounts: [{ name: 'viz-build-cache', mountPath: '/viz-build-cache' }],
          },
          initSecurity,
        ),
      );
    }

    this.dispatcherConfig = engineDispatcherConfig(plan);
    this.dispatcherConfigMap = new k8s.KubeConfigMap(this, 'DispatcherConfig', {
      metadata: { name: EngineNames.DISPATCHER_CONFIG_MAP, labels },
      data: { [ENGINE_DISPATCHER_FILE]: this.dispatcherConfig },
    });

    this.access = new NamespacedAccess(this, 'Access', { name: EngineNames.SERVICE_ACCOUNT, labels, rules: waitRules(waits) });

    const volumes: k8s.Volume[] = [
      { name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } },
      { name: 'local-media-mount', persistentVolumeClaim: { claimName: props.localMediaMountClaim } },
      { name: 'uploads-scratch', emptyDir: { sizeLimit: quantityOf(scratchLimit) } },
      { name: 'dispatcher-config', configMap: { name: EngineNames.DISPATCHER_CONFIG_MAP } },
    ];
    if (viz) volumes.push({ name: 'viz-build-cache', emptyDir: { sizeLimit: quantityOf(VIZ_BUILD_CACHE_LIMIT) } });

    // Every intra-stack call by service name stays on this pod: the names resolve to loopback, where nginx :80 or
    // the :8080 dispatcher (or the service's own port) answers.
    const aliased = [EngineContainers.NGINX, EngineContainers.FORGE_ETL_PYTHON, EngineContainers.DASK_CUDA_WORKER] as string[];
    if (viz) aliased.push(EngineContainers.STREAMGL_VIZ, EngineContainers.STREAMGL_SESSIONS, EngineContainers.STREAMGL_GPU);
    const hostAliases: k8s.HostAlias[] = [{ ip: '127.0.0.1', hostnames: aliased }];

    const podSpec = buildPodSpec(this, 'engine', {
      containers,
      initContainers,
      volumes,
      security,
      placement: Placement.of(this).forWorkload({ nodeSelection: NodeSelection.fallback(props.nodeSelector, 'nodeSelector'), tolerations: props.tolerations }, 'engine'),
      serviceAccountName: this.access.serviceAccountName,
      // The k8s-wait-for init containers read Services and pods from the API; set explicitly because hardened
      // namespaces flip the default off.
      automountServiceAccountToken: true,
      terminationGracePeriod: ENGINE_TERMINATION_GRACE,
      hostAliases,
      runtimeClassName: props.runtimeClassName,
    });

    const external: ExternalRef[] = [...props.postgres.externalRefs(), ...(viz ? [{ kind: 'Secret' as const, name: jwtSecret }] : []), ...assertExternalRefs('additionalExternalRefs', props.additionalExternalRefs ?? [])];
    const annotations = { ...policyExceptionAnnotations(security.exceptions), ...externalRefsAnnotation(external) };
    this.daemonSet = new k8s.KubeDaemonSet(this, 'Resource', {
      metadata: { name: EngineNames.DAEMON_SET, labels, annotations: Object.keys(annotations).length ? annotations : undefined },
      spec: {
        selector: { matchLabels: { ...this.selector } },
        // One node at a time; each node has exactly one engine pod, so surge is impossible.
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels, annotations: checksumAnnotations(this.dispatcherConfig) },
          spec: podSpec,
        },
      },
    });

    const service = (id: string, name: string, spec: Omit<k8s.ServiceSpec, 'selector'>) =>
      new k8s.KubeService(this, id, { metadata: { name, labels }, spec: { ...spec, selector: { ...this.selector } } });
    const port = (name: string, servicePort: number, target: string): k8s.ServicePort => ({ name, port: servicePort, targetPort: k8s.IntOrString.fromString(target), protocol: 'TCP' });

    this.headlessService = service('HeadlessService', EngineNames.HEADLESS_SERVICE, {
      clusterIp: 'None',
      ports: [port('http', plan.nginx, EnginePortNames.NGINX)],
    });
    this.nginxService = service('NginxService', EngineNames.NGINX_SERVICE, {
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      ports: [port('http', httpPort, EnginePortNames.NGINX)],
    });
    // Shims keep nginx's FQDN lookups (`<service>.<ns>.svc...:8080`) on this node: Local policy only routes to the
    // engine pod on the caller's node, which is also where the upload the caller just wrote lives.
    const shims: Record<string, k8s.KubeService> = {};
    if (viz) {
      const local = (id: string, name: string, ports: k8s.ServicePort[]) => {
        shims[name] = service(id, name, { type: 'ClusterIP', internalTrafficPolicy: 'Local', ports });
      };
      local('ForgeEtlPythonService', 'forge-etl-python', [port('http', plan.dispatcher, EnginePortNames.FORGE_ETL_PYTHON)]);
      local('StreamglGpuService', 'streamgl-gpu', [port('http', plan.dispatcher, EnginePortNames.STREAMGL_GPU)]);
      local('StreamglSessionsService', 'streamgl-sessions', [port('http', plan.dispatcher, EnginePortNames.STREAMGL_SESSIONS)]);
      local('StreamglVizService', 'streamgl-viz', [
        port('http', plan.dispatcher, EnginePortNames.STREAMGL_VIZ),
        port('aux', plan.streamglVizSecondary, EnginePortNames.STREAMGL_VIZ_SECONDARY),
      ]);
    }
    this.shimServices = shims;
  }

  /** Name of the headless Service Caddy resolves for its upstream pool. */
  public get headlessServiceName(): string {
    return EngineNames.HEADLESS_SERVICE;
  }

  /** The port Caddy dials on each engine pod (nginx). */
  public get upstreamPort(): number {
    return this.ports.nginx;
  }
}
