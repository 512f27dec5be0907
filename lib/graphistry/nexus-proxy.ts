import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { buildContainer, buildWaitContainer } from '../core/container';
import { EnvBuilder, EnvMap } from '../core/env';
import { ConfigError, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, assertDnsSubdomain } from '../core/names';
import { NodeSelection, Placement } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { ExternalRef, externalRefsAnnotation, policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { NamespacedAccess } from '../core/rbac';
import { Resources } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { WaitFor, waitRules } from '../core/waits';
import { Release } from '../release/release';
import { DEFAULT_GRAPHISTRY_TAG, defaultNginxResolver, graphistryImage, GraphistryRepositories, graphistryRootProfile, initContainerProfile, NGINX_DEFAULT_RESOURCES } from './defaults';
import { DATA_PATH, NEXUS_STATIC_PATH, UPLOADS_PATH, VIZ_BUILD_PATH } from './engine';
import { Tier } from './tier';
import { assertPort, assertReplicas } from '../core/validate';

/** Name of the Deployment, Service and ServiceAccount. Clients integrate against this name. */
export const NEXUS_PROXY_NAME = 'nexus-proxy';
/** The port the proxy's nginx listens on (the image's default.conf; the Service maps `httpPort` to it). */
export const NEXUS_PROXY_PORT = 80;
/** Where the nginx image expects pivot's static bundle. */
export const PIVOT_WWW_PATH = '/opt/graphistry/apps/core/pivot/www';

export interface NexusProxyProps {
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
  /**
   * The nexus Service the proxy fronts; the pod's only init container waits for it.
   * @default 'nexus'
   */
  readonly nexusService?: string;
  /**
   * Replicas of the proxy.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Environment merged over the defaults (yours win per key); K8S_NAMESPACE_SUFFIX is owned and refused.
   * NGINX_RESOLVER is the DNS server nginx resolves service names through, by default
   * `kube-dns.kube-system.svc.<clusterDomain>`. Where the cluster DNS Service has another name (RKE2
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
   * The cluster's DNS domain, for the FQDN suffix nginx appends to service names and for `url`.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
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
export class NexusProxy extends Construct {
  /** Whether a NexusProxy belongs in a release of this tier (exactly platform). */
  public static rendersAt(tier: Tier): boolean {
    return tier.is(Tier.PLATFORM);
  }

  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  /** ServiceAccount, Role and RoleBinding for the nexus wait. */
  public readonly access: NamespacedAccess;
  /** Labels selecting the proxy pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The in-cluster URL serving both v1 and v2 paths. */
  public readonly url: string;
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
    const errors = new ErrorCollector();
    const httpPort = props.httpPort ?? 80;
    errors.attempt(() => assertPort('httpPort', httpPort));
    const replicas = props.replicas ?? 1;
    errors.attempt(() => assertReplicas('replicas', replicas, 1));
    const nexus = errors.attempt(() => assertDnsLabel('nexusService', props.nexusService ?? 'nexus'), '');
    const clusterDomain = errors.attempt(() => assertDnsSubdomain('clusterDomain', props.clusterDomain ?? 'cluster.local'), '');
    errors.attempt(() => assertDnsSubdomain('dataMountClaim', props.dataMountClaim));
    errors.attempt(() => assertDnsSubdomain('localMediaMountClaim', props.localMediaMountClaim));
    errors.throwIfAny();
    const security = props.securityProfile ?? graphistryRootProfile();
    const namespace = release.releaseNamespace;

    const identity = { name: NEXUS_PROXY_NAME, instance: release.releaseName, component: 'proxy' };
    this.selector = selectorLabels(identity);
    const labels = standardLabels({ ...identity, partOf: 'graphistry', version: tag });

    const env = new EnvBuilder('NexusProxy')
      .own('K8S_NAMESPACE_SUFFIX', `.${namespace}.svc.${clusterDomain}`)
      .defaults({ IS_K8S: '1', NGINX_RESOLVER: defaultNginxResolver(clusterDomain) })
      .user(props.env, 'env');
    const resolver = env.get('NGINX_RESOLVER');
    this.nginxResolver = typeof resolver === 'string' ? resolver : undefined;
    const healthz = { port: NEXUS_PROXY_PORT, path: '/healthz' };
    const container = buildContainer(
      'nexusProxy',
      {
        name: 'nginx',
        image: Images.of(this).resolve('image', props.image ?? graphistryImage(GraphistryRepositories.nginx, tag, 'universal')),
        ports: [{ name: 'http', port: NEXUS_PROXY_PORT }],
        env,
        resources: props.resources ?? NGINX_DEFAULT_RESOURCES,
        liveness: Probes.curl(healthz, { initialDelay: Duration.seconds(30), period: Duration.seconds(30), timeout: Duration.seconds(5), failureThreshold: 3 }),
        readiness: Probes.curl(healthz, { initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
        volumeMounts: [
          { name: 'data-mount', mountPath: DATA_PATH },
          { name: 'local-media-mount', mountPath: NEXUS_STATIC_PATH },
          { name: 'streamgl-empty', mountPath: VIZ_BUILD_PATH },
          { name: 'pivot-empty', mountPath: PIVOT_WWW_PATH },
          { name: 'upload-empty', mountPath: UPLOADS_PATH },
        ],
      },
      security,
    );

    const wait = WaitFor.service(nexus);
    this.access = new NamespacedAccess(this, 'Access', { name: NEXUS_PROXY_NAME, labels, rules: waitRules([wait]) });
    const podSpec = buildPodSpec(this, 'nexusProxy', {
      containers: [container],
      initContainers: [buildWaitContainer(this, wait, initContainerProfile(security))],
      volumes: [
        { name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } },
        { name: 'local-media-mount', persistentVolumeClaim: { claimName: props.localMediaMountClaim } },
        { name: 'streamgl-empty', emptyDir: {} },
        { name: 'pivot-empty', emptyDir: {} },
        { name: 'upload-empty', emptyDir: {} },
      ],
      security,
      placement: Placement.of(this).forWorkload({ nodeSelection: NodeSelection.inherit() }, 'nexusProxy'),
      serviceAccountName: this.access.serviceAccountName,
      automountServiceAccountToken: true,
    });

    const annotations = { ...policyExceptionAnnotations(security.exceptions), ...externalRefsAnnotation(props.additionalExternalRefs ?? [], 'additionalExternalRefs') };
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: NEXUS_PROXY_NAME, labels, annotations: Object.keys(annotations).length ? annotations : undefined },
      spec: {
        replicas,
        selector: { matchLabels: { ...this.selector } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: { metadata: { labels }, spec: podSpec },
      },
    });
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: { name: NEXUS_PROXY_NAME, labels },
      spec: {
        type: 'ClusterIP',
        selector: { ...this.selector },
        ports: [{ name: 'http', port: httpPort, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
      },
    });

    this.url = `http://${NEXUS_PROXY_NAME}.${namespace}.svc.${clusterDomain}${httpPort === 80 ? '' : `:${httpPort}`}`;
    release.addNote(
      `nexus-proxy (platform tier) serves the v1 and v2 API paths in-cluster at ${this.url}; raw nexus (v2 only) stays on its own Service. ` +
        // Whether anything fronts the proxy (Caddy, an Ingress, the operator's own L7) is the composition's business.
        `To reach it directly for a test run (--address 0.0.0.0 lets a browser on another machine reach it; drop it to keep the forward on localhost): ` +
        `\`kubectl -n ${namespace} port-forward --address 0.0.0.0 svc/${NEXUS_PROXY_NAME} 8080:${httpPort}\`, then open http://localhost:8080/.`,
    );
  }
}
