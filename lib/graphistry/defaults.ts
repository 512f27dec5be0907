import { ClusterDomain } from '../core/endpoint';
import { check } from '../core/errors';
import { assertPinnedTag } from '../core/images';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';

/** The Graphistry release these constructs deploy by default (the seed chart's `global.tag`). */
export const DEFAULT_GRAPHISTRY_TAG = 'v2.50.7';

/**
 * The CUDA variant suffix of the GPU images (`etl-server-python:<tag>-<variant>`), matching the build the seed
 * verified (`graphistry/etl-server-python:v2.50.6-13`). It must match what the nodes' NVIDIA driver supports.
 */
export const DEFAULT_CUDA_VARIANT = '13';

/** Docker Hub organisation of the Graphistry images. */
export const GRAPHISTRY_REGISTRY_PATH = 'graphistry';

/** Image repositories of the services, as Graphistry publishes them. */
export const GraphistryRepositories = {
  /** The nginx image carrying Graphistry's default.conf (routes, v1-to-v2 rewrites, 410 shims). CPU-only. */
  nginx: 'streamgl-nginx',
  /** forge-etl-python; dask-cuda-worker runs the same image with another command. */
  etlServerPython: 'etl-server-python',
  streamglViz: 'streamgl-viz',
  streamglSessions: 'streamgl-sessions',
  streamglGpu: 'streamgl-gpu',
  /** nexus (Django); published per CUDA variant. dask-scheduler runs etlServerPython. */
  nexus: 'graphistry-nexus',
  /** Graphistry's Caddy build; CPU-only (`universal`). */
  caddy: 'caddy',
  /** pivot; published per CUDA variant. */
  pivot: 'graphistry-pivot',
  /** The Jupyter notebook with RAPIDS kernels; published per CUDA variant. */
  notebook: 'jupyter-notebook',
} as const;

/**
 * A Graphistry image reference: `graphistry/<repository>:<tag>-<variant>`, where the variant is `universal` for
 * CPU-only images and the CUDA version for GPU images.
 */
export function graphistryImage(repository: string, tag: string, variant: string): string {
  assertPinnedTag('tag', tag, { example: 'v2.50.7', maxLength: 101 });
  check(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/.test(variant), 'cudaVariant', variant, 'a CUDA variant such as 12.8, or universal');
  return `${GRAPHISTRY_REGISTRY_PATH}/${repository}:${tag}-${variant}`;
}

/** Requests and limits of a Graphistry nginx container (engine pod and nexus-proxy). */
export const NGINX_DEFAULT_RESOURCES: Resources = sized(100, 1000, 128, 1024);

/**
 * Why the Graphistry images run as uid 0. Recorded in the workload's `policy.ops-kit.io/non-root` annotation.
 * @internal
 */
export const GRAPHISTRY_ROOT_REASON =
  'the Graphistry images start as root: nginx binds :80 and switches to its worker user, and the services write to the data-mount volume, which NFS exports with no_root_squash own as root';

/**
 * Why the root containers keep a few capabilities. Recorded in `policy.ops-kit.io/capabilities-dropped`.
 * @internal
 */
export const GRAPHISTRY_CAPABILITIES_REASON =
  'a root nginx master needs SETUID/SETGID to drop to its worker user, CHOWN for its temp paths and NET_BIND_SERVICE for :80; DAC_OVERRIDE and FOWNER let root write volume files owned by other users';

/** The capabilities the Graphistry images need when they run as root (Docker's defaults minus the rest). */
export const GRAPHISTRY_ROOT_CAPABILITIES: readonly string[] = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'NET_BIND_SERVICE', 'SETGID', 'SETUID'];

/**
 * The security profile Graphistry's own images need: restricted (no privilege escalation, seccomp RuntimeDefault,
 * every other capability dropped) except that they run as root with six capabilities, each exception named and
 * recorded as a policy annotation on the workload. Pass `SecurityProfile.restricted({ runAsUser, fsGroup })`
 * instead when your images and volumes are prepared for a non-root uid.
 */
export function graphistryRootProfile(): SecurityProfile {
  return SecurityProfile.restricted({
    runAsRoot: { reason: GRAPHISTRY_ROOT_REASON },
    addCapabilities: { capabilities: GRAPHISTRY_ROOT_CAPABILITIES, reason: GRAPHISTRY_CAPABILITIES_REASON },
  });
}

/**
 * The profile for init containers of a pod running `main`: when the pod runs as root (the pod-level uid applies to
 * every container), they run as root too, but without any capability added back, which a wait or a copy never needs.
 * @internal
 */
export function initContainerProfile(main: SecurityProfile): SecurityProfile {
  const root = main.exceptions.find((e) => e.rule === 'non-root');
  return root ? SecurityProfile.restricted({ runAsRoot: { reason: root.reason } }) : main;
}

/**
 * The DNS server Graphistry's nginx image resolves service names through (its `NGINX_RESOLVER` env, a `defaults()`
 * key, so `env.NGINX_RESOLVER` overrides it): the cluster DNS Service by its usual name, `kube-dns` in `kube-system`.
 * Clusters name it differently (RKE2 `rke2-coredns-rke2-coredns.kube-system`, OpenShift `dns-default.openshift-dns`);
 * there nginx fails to start with "host not found in resolver" until the env names the real Service.
 */
export function defaultNginxResolver(domain: ClusterDomain): string {
  return domain.fqdn('kube-dns', 'kube-system');
}
