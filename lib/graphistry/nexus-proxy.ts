import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DeploymentRollout, renderDeployment } from '../core/deployment';
import { ClusterDomain, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder, EnvMap } from '../core/env';
import { ConfigError, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { assertDnsSubdomain } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { assertExternalRefs, ExternalRef } from '../core/policy';
import { Probes, probeSeconds } from '../core/probes';
import { NamespacedAccess } from '../core/rbac';
import { Resources } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { WaitFor } from '../core/waits';
import { ConnectionKind, PodWiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { DEFAULT_GRAPHISTRY_TAG, defaultNginxResolver, graphistryImage, GraphistryRepositories, graphistryRootProfile, NGINX_DEFAULT_RESOURCES } from './defaults';
import { DATA_PATH, NEXUS_STATIC_PATH, UPLOADS_PATH, VIZ_BUILD_PATH } from './engine';
import { Tier } from './tier';
import { assertPort, assertReplicas } from '../core/validate';

/** Name of the Deployment, Service and ServiceAccount. Clients integrate against this name. */
export const NEXUS_PROXY_NAME = 'nexus-proxy';
/** The port the proxy's nginx listens on (the image's default.conf; the Service maps `httpPort` to it). */
export const NEXUS_PROXY_PORT = 80;
/** Where the nginx image expects pivot's static bundle. */
export const PIVOT_WWW_PATH = '/opt/graphistry/apps/core/pivot/www';

/** Props of NexusProxy. */
export interface NexusProxyProps {
  /**
   * Where the proxy pods run, relative to the release-wide placement.
   * @default - the release-wide nodeSelector, tolerations and affinity
   */
  readonly placement?: WorkloadPlacementOptions;
  /** Claim name of the shared data PVC (`data-mount`), mounted at /opt/graphistry/data. */
  readonly dataMountClaim: string;
  /** Claim name of nexus' media PVC (`local-media-mount`), served as nexus' static files. */
  readonly localMediaMountClaim: string;
  /**
   * The deployment tier. NexusProxy exists only at exactly the platform tier: from analytics up the engine's nginx
   * plays this role, and a second nginx in front of nexus would be redundant. Any other tier is refused.
   * @default Tier.PLATFORM
   */
  readonly tier?: Tier;
  /**
   * Graphistry release tag of the nginx image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * The image, pinned by tag or digest (still passes through the release's registry redirect).
   * @default - graphistry/streamgl-nginx:<tag>-universal, which carries the v1-to-v2 rewrites and 410 shims
   */
  readonly image?: string;
  /**
   * Port of the `nexus-proxy` Service. The container listens on 80 whatever this is.
   * @default 80
   */
  readonly httpPort?: number;
  /** The nexus Service the proxy fronts; the pod's only init container waits for it. */
  readonly nexus: ServiceEndpoint;
  /**
   * Replicas of the proxy.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Environment merged over the defaults (yours win per key); K8S_NAMESPACE_SUFFIX is owned and refused.
   * NGINX_RESOLVER is the DNS server nginx resolves service names through, by default
   * `kube-dns.kube-system.svc.<cluster domain>`. Where the cluster DNS Service has another name (RKE2
   * `rke2-coredns-rke2-coredns.kube-system.svc.cluster.local`, OpenShift `dns-default.openshift-dns.svc.cluster.local`)
   * set it, or nginx fails to start with "host not found in resolver".
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Requests and limits (the same sizing as the engine's nginx).
   * @default NGINX_DEFAULT_RESOURCES
   */
  readonly resources?: Resources;
  /**
   * Security profile of the pod.
   * @default graphistryRootProfile() - root with the six capabilities nginx needs, recorded as policy exceptions
   */
  readonly securityProfile?: SecurityProfile;
  /**
   * Objects the pod references that an operator creates (the PVCs, when they are not rendered in this release).
   * @default - none
   */
  readonly additionalExternalRefs?: readonly ExternalRef[];
}

/**
 * The platform tier's HTTP surface: Graphistry's nginx image (with the v1-to-v2 endpoint rewrites and the 410
 * deprecation shims baked in) as a Deployment and Service in front of nexus. Self-contained: it waits for nexus only,
 * and the content directories of services that do not exist at this tier (/streamgl, /pivot, /upload) are empty
 * directories, so those routes answer 404.
 */
export class NexusProxy extends WorkloadConstruct {
  /** Whether a NexusProxy belongs in a release of this tier (exactly platform). */
  public static rendersAt(tier: Tier): boolean {
    return tier.is(Tier.PLATFORM);
  }

  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The ClusterIP Service `nexus-proxy` (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The proxy's Service endpoint (v1 and v2 API paths): what Caddy and in-cluster clients connect to. */
  public readonly endpoint: ServiceEndpoint;
  /** ServiceAccount, Role and RoleBinding for the nexus wait. */
  public readonly access: NamespacedAccess;
  /** Labels selecting the proxy pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The pod's connections (the wait for nexus, the graph edge). */
  public readonly wiring: PodWiring;
  /** NGINX_RESOLVER as nginx gets it (the cluster DNS Service it resolves names through); undefined when it comes from a reference. */
  public readonly nginxResolver?: string;

  constructor(scope: Construct, id: string, props: NexusProxyProps) {
    super(scope, id);
    const release = Release.of(this);
    const tier = props.tier ?? Tier.PLATFORM;
    if (!NexusProxy.rendersAt(tier)) {
      throw new ConfigError('tier', tier.name, 'platform', 'from analytics up the engine DaemonSet\'s nginx fronts nexus; render NexusProxy only at exactly the platform tier');
    }
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    // Every prop check runs before anything is built, and all their errors are reported together.
    const errors = new ErrorCollector(this);
    const httpPort = props.httpPort ?? 80;
    errors.attempt(() => assertPort('httpPort', httpPort));
    const replicas = props.replicas ?? 1;
    errors.attempt(() => assertReplicas('replicas', replicas, 1));
    errors.check(props.nexus instanceof ServiceEndpoint, 'nexus', props.nexus, "nexus' Service endpoint (Nexus.endpoint)");
    errors.attempt(() => assertDnsSubdomain('dataMountClaim', props.dataMountClaim));
    errors.attempt(() => assertDnsSubdomain('localMediaMountClaim', props.localMediaMountClaim));
    errors.attempt(() => assertExternalRefs('additionalExternalRefs', props.additionalExternalRefs ?? []));
    errors.throwIfAny();
    const security = props.securityProfile ?? graphistryRootProfile();
    const domain = ClusterDomain.of(this);

    const identity = { name: NEXUS_PROXY_NAME, instance: release.releaseName, component: 'proxy' };
    this.selector = selectorLabels(identity);
    const labels = standardLabels({ ...identity, partOf: 'graphistry', version: tag });

    const env = new EnvBuilder('NexusProxy');
    this.wiring = new PodWiring(this);
    const client = this.wiring.container('nginx', env);
    env.own('K8S_NAMESPACE_SUFFIX', `.${domain.namespaceSuffix(release.releaseNamespace)}`);
    client.connect(props.nexus, 'http', { kind: ConnectionKind.INGRESS, purpose: 'v1 and v2 API' });
    client.addWait(WaitFor.service(props.nexus));
    env.defaults({ IS_K8S: '1', NGINX_RESOLVER: defaultNginxResolver(domain) }).user(props.env, 'env');
    const resolver = env.get('NGINX_RESOLVER');
    this.nginxResolver = typeof resolver === 'string' ? resolver : undefined;

    const healthz = { port: NEXUS_PROXY_PORT, path: '/healthz' };
    const parts = renderDeployment(this, {
      name: NEXUS_PROXY_NAME,
      prop: '',
      labels,
      containers: [
        {
          name: 'nginx',
          image: Images.of(this).resolve('image', props.image ?? graphistryImage(GraphistryRepositories.nginx, tag, 'universal')),
          ports: [{ name: 'http', port: NEXUS_PROXY_PORT }],
          env,
          resources: props.resources ?? NGINX_DEFAULT_RESOURCES,
          liveness: Probes.curl(healthz, probeSeconds(30, 30, 5)),
          readiness: Probes.curl(healthz, probeSeconds(5, 10, 5)),
          volumeMounts: [
            { name: 'data-mount', mountPath: DATA_PATH },
            { name: 'local-media-mount', mountPath: NEXUS_STATIC_PATH },
            { name: 'streamgl-empty', mountPath: VIZ_BUILD_PATH },
            { name: 'pivot-empty', mountPath: PIVOT_WWW_PATH },
            { name: 'upload-empty', mountPath: UPLOADS_PATH },
          ],
        },
      ],
      wiring: this.wiring,
      volumes: [
        { name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } },
        { name: 'local-media-mount', persistentVolumeClaim: { claimName: props.localMediaMountClaim } },
        { name: 'streamgl-empty', emptyDir: {} },
        { name: 'pivot-empty', emptyDir: {} },
        { name: 'upload-empty', emptyDir: {} },
      ],
      security,
      placement: Placement.of(this).forWorkload(props.placement, 'placement'),
      replicas,
      rollout: DeploymentRollout.rolling(),
      externalRefs: props.additionalExternalRefs,
      service: { name: NEXUS_PROXY_NAME, type: 'ClusterIP', ports: [{ name: 'http', port: httpPort, targetPort: 'http' }] },
    });
    this.deployment = parts.deployment;
    this.access = parts.access!;
    this.service = parts.service!.service;
    this.endpoint = parts.service!.endpoint;

    const ns = release.releaseNamespace;
    release.addNote(
      `nexus-proxy (platform tier) serves the v1 and v2 API paths in-cluster at ${this.endpoint.url('http', 'http')}; raw nexus (v2 only) stays on its own Service. ` +
        // Whether anything fronts the proxy (Caddy, an Ingress, the operator's own L7) is the composition's business.
        `To reach it directly for a test run (--address 0.0.0.0 lets a browser on another machine reach it; drop it to keep the forward on localhost): ` +
        `\`kubectl -n ${ns} port-forward --address 0.0.0.0 svc/${this.endpoint.name} 8080:${httpPort}\`, then open http://localhost:8080/.`,
    );
  }
}
