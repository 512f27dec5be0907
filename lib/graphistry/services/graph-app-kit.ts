import { Construct } from 'constructs';
import { HostForm, ServiceEndpoint } from '../../core/endpoint';
import { EnvSource } from '../../core/env';
import { check, ConfigError } from '../../core/errors';
import { Images } from '../../core/images';
import { assertDnsSubdomain, isDnsSubdomain } from '../../core/names';
import { Probes, probeSeconds } from '../../core/probes';
import { sized } from '../../core/resources';
import { Release } from '../../release/release';
import { DEFAULT_CUDA_VARIANT, DEFAULT_GRAPHISTRY_TAG, graphistryImage } from '../defaults';
import { GraphistryServiceRepositories, SERVICE_DEFAULT_RESOURCES, graphistryServiceProfile, ServiceNames, ServicePorts } from './defaults';
import { GraphistryService, GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** The two graph-app-kit deployments: the same Streamlit image serving different views under different paths. */
export class GraphAppKitVariant {
  /** Dashboards anyone who reaches the site may open, under /public/dash/. */
  public static readonly PUBLIC = new GraphAppKitVariant('public', ServiceNames.GRAPH_APP_KIT_PUBLIC, 'gak-public', 'public/dash/');
  /** Dashboards behind the Graphistry login, under /private/dash/. */
  public static readonly PRIVATE = new GraphAppKitVariant('private', ServiceNames.GRAPH_APP_KIT_PRIVATE, 'gak-private', 'private/dash/');

  private constructor(
    /** `public` or `private`. */
    public readonly name: string,
    /** Deployment and Service name. */
    public readonly serviceName: string,
    /** The conventional name of the variant's views PVC. */
    public readonly claimName: string,
    /** Streamlit's base path (BASE_PATH), which the nginx routes expect. */
    public readonly basePath: string,
  ) {}
}

/** The view directories the image ships and an operator edits on the volume. */
export const GAK_VIEW_DIRECTORIES: readonly string[] = ['views', 'css', 'util'];
/** Where the image keeps its bundled views. */
export const GAK_APPS_PATH = '/apps';

/** A Secret holding the Graphistry account the dashboards log in with. */
export interface GraphAppKitCredentials {
  /** Name of the operator-created Secret. */
  readonly secretName: string;
  /**
   * Key of the account's user name.
   * @default 'username'
   */
  readonly usernameKey?: string;
  /**
   * Key of the account's password.
   * @default 'password'
   */
  readonly passwordKey?: string;
}

/** Props of GraphAppKit. */
export interface GraphAppKitProps extends ServiceCommonProps, GraphistryServiceOptions {
  /** Which of the two deployments this is. */
  readonly variant: GraphAppKitVariant;
  /** The variant's views PVC (seeded from the image on first start, then edited in place). */
  readonly claimName: string;
  /** The Graphistry account the dashboards upload with. Never defaulted. */
  readonly credentials: GraphAppKitCredentials;
  /**
   * RuntimeClass for the pod (`nvidia` when the NVIDIA container runtime is not the node default).
   * @default - the cluster's default runtime
   */
  readonly runtimeClassName?: string;
  /**
   * The Graphistry API the dashboards log in to and upload through (the engine's `nginx` Service): the connection
   * gives GRAPHISTRY_SERVER and GRAPHISTRY_PROTOCOL their defaults.
   */
  readonly graphistry: ServiceEndpoint;
  /**
   * Graphistry release tag of the image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * CUDA variant suffix of the image.
   * @default '13'
   */
  readonly cudaVariant?: string;
}

/**
 * Checks the credentials Secret of graph-app-kit; a missing one fails with the command that creates it.
 * @internal
 */
export function assertGakCredentials(prop: string, c: GraphAppKitCredentials | undefined, namespace: string): Required<GraphAppKitCredentials> {
  if (!c || !c.secretName || c.secretName.trim() === '') {
    throw new ConfigError(
      `${prop}.secretName`,
      c?.secretName,
      'the name of an existing Secret (DNS-1123 subdomain)',
      'graph-app-kit logs in to Graphistry with an account whose credentials the library never generates; create a Graphistry user for the dashboards, then ' +
        `\`kubectl -n ${namespace} create secret generic graph-app-kit-credentials --from-literal=username=<user> --from-literal=password=<password>\``,
    );
  }
  check(isDnsSubdomain(c.secretName), `${prop}.secretName`, c.secretName, 'the name of an existing Secret (DNS-1123 subdomain)');
  const usernameKey = c.usernameKey ?? 'username';
  const passwordKey = c.passwordKey ?? 'password';
  for (const [k, v] of [['usernameKey', usernameKey], ['passwordKey', passwordKey]] as const) {
    check(/^[-._a-zA-Z0-9]+$/.test(v), `${prop}.${k}`, v, "a Secret key: letters, digits, '-', '_' and '.'");
  }
  return { secretName: c.secretName, usernameKey, passwordKey };
}

/**
 * graph-app-kit: Streamlit dashboards on Graphistry (port 8501). The views live on the variant's PVC, seeded from the
 * image on first start and never overwritten, so edits made through the notebook survive restarts and upgrades.
 * GPU-bound: its own nodeSelector falls back to the release-wide one.
 */
export class GraphAppKit extends GraphistryService {
  /** Which of the two deployments this is. */
  public readonly variant: GraphAppKitVariant;

  constructor(scope: Construct, id: string, props: GraphAppKitProps) {
    const v = props.variant;
    check(v instanceof GraphAppKitVariant, 'variant', v, 'GraphAppKitVariant.PUBLIC or GraphAppKitVariant.PRIVATE');
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    super(scope, id, { name: v.serviceName, component: `dashboards-${v.name}`, version: tag, container: 'graph-app-kit' }, `GraphAppKit ${v.name}`);
    this.variant = v;
    const ns = Release.of(this).releaseNamespace;
    assertDnsSubdomain('claimName', props.claimName);
    const creds = assertGakCredentials('credentials', props.credentials, ns);
    if (props.runtimeClassName !== undefined) assertDnsSubdomain('runtimeClassName', props.runtimeClassName);
    const cuda = props.cudaVariant ?? DEFAULT_CUDA_VARIANT;
    const image = Images.of(this).resolve('image', props.image ?? graphistryImage(GraphistryServiceRepositories.graphAppKit, tag, cuda));

    this.env
      .own('BASE_PATH', v.basePath)
      .own('GRAPHISTRY_USERNAME', EnvSource.secret(creds.secretName, creds.usernameKey))
      .own('GRAPHISTRY_PASSWORD', EnvSource.secret(creds.secretName, creds.passwordKey));
    // Defaults, not owned: an operator may point the dashboards at the public URL instead.
    const api = this.client.connect(props.graphistry, 'http', { purpose: 'Graphistry API' });
    this.client.defaultEnv({ GRAPHISTRY_PROTOCOL: 'http', GRAPHISTRY_SERVER: api.host(HostForm.SHORT) });
    this.connectAll(props.connections);
    this.env.defaults({ LOG_LEVEL: 'INFO' }).user(props.env, 'env');

    // Seed each view directory from the image only when it is missing, so operator edits are never overwritten.
    const seed = GAK_VIEW_DIRECTORIES.map((d) => `if [ ! -d /gak/${d} ]; then cp -r ${GAK_APPS_PATH}/${d} /gak/${d}; fi`).join(' && ');
    const tcp = (t: Parameters<typeof Probes.tcp>[1]) => Probes.tcp('http', t);
    this.render({
      image,
      ports: [{ name: 'http', port: ServicePorts.GRAPH_APP_KIT }],
      servicePorts: [{ name: 'http', port: ServicePorts.GRAPH_APP_KIT, targetPort: 'http' }],
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[v.serviceName],
      // TCP: Streamlit's health path moves with its base path and version; the listener does not.
      liveness: tcp(probeSeconds(30, 30, 5)),
      readiness: tcp(probeSeconds(5, 10, 5)),
      volumeMounts: GAK_VIEW_DIRECTORIES.map((d) => ({ name: 'views', mountPath: `${GAK_APPS_PATH}/${d}`, subPath: d })),
      volumes: [{ name: 'views', persistentVolumeClaim: { claimName: props.claimName } }],
      initContainers: [{ name: 'seed-views', image, command: ['sh', '-c', seed], resources: sized(50, 500, 64, 256), volumeMounts: [{ name: 'views', mountPath: '/gak' }] }],
      security: props.securityProfile ?? graphistryServiceProfile(),
      // Its RAPIDS runtime needs a GPU node: on split GPU/CPU pools `placement` points it at the GPU pool.
      placement: props.placement,
      rollout: props.rollout,
      runtimeClassName: props.runtimeClassName,
      externalRefs: [{ kind: 'Secret', name: creds.secretName }],
    });
  }
}
