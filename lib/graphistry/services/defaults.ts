import { SecurityProfile } from '../../core/security';
import { Resources, sized } from '../../core/resources';
import { VALKEY_PORT } from '../../valkey/config';

/** Image repositories of the CPU-side services under Docker Hub's `graphistry/` organisation. */
export const GraphistryServiceRepositories = {
  nexus: 'graphistry-nexus',
  pivot: 'graphistry-pivot',
  notebook: 'jupyter-notebook',
  graphAppKit: 'graph-app-kit-st',
  /** dask-scheduler runs the forge-etl-python image with another command. */
  daskScheduler: 'etl-server-python',
} as const;

/**
 * Redis image (third-party, pinned; redirected like every other image): the tag the Graphistry stack has rendered
 * since it was built, kept so its output does not change (the Valkey component's `ValkeyEngine.redis()` default is the
 * newer 7.4.1).
 */
export const REDIS_IMAGE = 'redis:7.2.5-alpine3.20';

/**
 * The Redis logical database Graphistry's services share: nexus' `REDIS_URL` path, and `REDIS_DB` of the engine's
 * forge-etl-python and dask-cuda-worker (the seed mirrors it in both blocks, so the two cannot drift apart).
 */
export const GRAPHISTRY_REDIS_DATABASE = 0;

/** The names clients dial. Graphistry's own config and env refer to these, so they are fixed. */
export const ServiceNames = {
  NEXUS: 'nexus',
  REDIS: 'redis',
  DASK_SCHEDULER: 'dask-scheduler',
  PIVOT: 'pivot',
  NOTEBOOK: 'notebook',
  GRAPH_APP_KIT_PUBLIC: 'graph-app-kit-public',
  GRAPH_APP_KIT_PRIVATE: 'graph-app-kit-private',
} as const;

/** Ports the services listen on. */
export const ServicePorts = {
  NEXUS: 8000,
  REDIS: VALKEY_PORT,
  DASK_SCHEDULER: 8786,
  DASK_DASHBOARD: 8787,
  PIVOT: 8080,
  NOTEBOOK: 8888,
  GRAPH_APP_KIT: 8501,
} as const;

/** Sized defaults per service. */
export const SERVICE_DEFAULT_RESOURCES: Readonly<Record<string, Resources>> = {
  [ServiceNames.NEXUS]: sized(250, 2000, 512, 2048),
  [ServiceNames.REDIS]: sized(100, 1000, 128, 1024),
  [ServiceNames.DASK_SCHEDULER]: sized(250, 2000, 512, 4096),
  [ServiceNames.PIVOT]: sized(100, 1000, 256, 2048),
  [ServiceNames.NOTEBOOK]: sized(500, 4000, 1024, 16384),
  [ServiceNames.GRAPH_APP_KIT_PUBLIC]: sized(250, 2000, 512, 4096),
  [ServiceNames.GRAPH_APP_KIT_PRIVATE]: sized(250, 2000, 512, 4096),
};

/**
 * Why the CPU-side Graphistry images run as uid 0. Recorded in the workload's `policy.ops-kit.io/non-root` annotation.
 * @internal
 */
export const GRAPHISTRY_SERVICE_ROOT_REASON =
  'the Graphistry service images start as root and write to the data-mount volume, which NFS exports with no_root_squash own as root';

/**
 * Why they keep five capabilities. Recorded in `policy.ops-kit.io/capabilities-dropped`.
 * @internal
 */
export const GRAPHISTRY_SERVICE_CAPABILITIES_REASON =
  'as root they manage files on the shared volumes that other containers own (CHOWN, DAC_OVERRIDE, FOWNER) and their entrypoints may switch to the app user (SETUID, SETGID); they listen above 1024, so NET_BIND_SERVICE and the rest of the default set are dropped';

/** The capabilities the CPU-side Graphistry images keep. */
export const GRAPHISTRY_SERVICE_CAPABILITIES: readonly string[] = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];

/**
 * The security profile of the CPU-side Graphistry services (nexus, dask-scheduler, pivot, notebook, graph-app-kit):
 * restricted except root with five capabilities, each exception named and recorded on the workload. Pass
 * `SecurityProfile.restricted({ runAsUser, fsGroup })` instead when your images and volumes are prepared for a
 * non-root uid.
 */
export function graphistryServiceProfile(): SecurityProfile {
  return SecurityProfile.restricted({
    runAsRoot: { reason: GRAPHISTRY_SERVICE_ROOT_REASON },
    addCapabilities: { capabilities: GRAPHISTRY_SERVICE_CAPABILITIES, reason: GRAPHISTRY_SERVICE_CAPABILITIES_REASON },
  });
}
