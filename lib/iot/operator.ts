import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ContainerPortSpec } from '../core/container';
import { DeploymentRollout, renderDeployment } from '../core/deployment';
import { EnvBuilder, EnvMap } from '../core/env';
import { check, ErrorCollector } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { PolicyException, policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { buildServiceAccount, NamespacedAccess } from '../core/rbac';
import { Resources, sized } from '../core/resources';
import { SecretKey } from '../core/secrets';
import { HostForm } from '../core/endpoint';
import { SecurityProfile } from '../core/security';
import { NatsKvBucket } from '../nats/kv';
import { kvBucketWaitContainer } from '../nats/kv-job';
import { PodContainer } from '../core/pod-template';
import { NatsServer } from '../nats/server';
import { PodWiring, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { IOT_DEPLOYMENT_PLURAL, IOT_GROUP } from './crd';
import { DeviceSelectorSupport } from './deployment';
import { assertPort } from '../core/validate';

/**
 * The operator's runtime contract, and where each part comes from.
 *
 * From the seed (003, the IoT platform's `iot-operator-v0` pull request):
 * - the custom resource it reconciles: `deployments.iot.nationtech.io/v1alpha1`, `spec.targetSelector` with
 *   matchLabels only ("matchExpressions deferred"), the `PodmanV0` score, rollout, and `.status.aggregate`
 *   (lib/iot/crd.ts);
 * - it talks to NATS JetStream: desired state under `<device>.<deployment>`, agent heartbeats read from the
 *   `agent-status` bucket under `status.<device>`; it opens both KV buckets at start-up and exits when NATS is not
 *   reachable yet ("expected INFO, got nothing"), which is why the fleet's NATS objects sync in an earlier wave;
 *   the buckets are created by the NATS server's bucket Job with explicit limits, and the operator's pod waits until
 *   they exist, so this library assumes the operator opens them rather than creating them with settings of its own;
 * - it is a Rust kube-rs controller with a 5-second status aggregator, one process, no leader election;
 * - its chart was to be published on hub.nationtech.io, whose operator image "hasn't been published yet", and that
 *   chart shipped a ClusterRole. The seed ran the operator host-side against `nats://localhost:4222`.
 *
 * This library's assumptions, not in the seed (check them against the image you pin before syncing):
 * - the image reference IOT_OPERATOR_IMAGE (repository path and tag) and that it runs as a non-root uid with a
 *   read-only root filesystem;
 * - the environment variable names in IOT_OPERATOR_ENV (`NATS_URL`, `IOT_DESIRED_STATE_BUCKET`,
 *   `IOT_AGENT_STATUS_BUCKET`, `WATCH_NAMESPACE`, `HEALTH_ADDR`; `RUST_LOG` is the Rust logging convention) and the
 *   `desired-state` bucket name;
 * - that it honours `WATCH_NAMESPACE` and so works with a namespaced Role; if it lists deployments in every namespace,
 *   the Role gets 403s: use `OperatorScope.cluster(...)`;
 * - an HTTP health server with `/healthz` and `/readyz` on `HEALTH_ADDR`: choose `OperatorProbes.tcp(port)` or
 *   `OperatorProbes.none({ reason })` for an image without one.
 * A private registry needs no option here: name a docker-registry Secret in `Release({ images: { pullSecrets } })` and
 * every pod of the release, the operator included, pulls with it (the notes say which Secret to create).
 */

/**
 * Default operator image. The operator is built by the IoT platform project and meant to be published on
 * hub.nationtech.io; the repository path and tag are this library's assumption (see the contract above): pin the
 * release you run with `image`.
 */
export const IOT_OPERATOR_IMAGE = 'hub.nationtech.io/nationtech/iot-operator-v0:0.1.0';

/**
 * The environment contract between this construct and the operator image: the variables the construct sets. The names
 * are this library's assumption (the seed does not name them). The values come from the NatsServer object, so the URL
 * and bucket names can never disagree with the server.
 */
export const IOT_OPERATOR_ENV = {
  /** NATS client URL, `nats://<service>.<namespace>.svc:4222`. */
  natsUrl: 'NATS_URL',
  /** KV bucket the operator writes desired state to (key `<device>.<deployment>`). */
  desiredStateBucket: 'IOT_DESIRED_STATE_BUCKET',
  /** KV bucket device agents publish heartbeats and status to (key `status.<device>`). */
  agentStatusBucket: 'IOT_AGENT_STATUS_BUCKET',
  /** Namespace the operator watches; unset means every namespace (cluster scope). */
  watchNamespace: 'WATCH_NAMESPACE',
  /** `host:port` the operator serves its HTTP health endpoints on (set with `OperatorProbes.http()` only). */
  healthAddr: 'HEALTH_ADDR',
  /** Log filter (the operator is a Rust binary: `info`, `iot_operator=debug,kube=info`). */
  logLevel: 'RUST_LOG',
} as const;

/**
 * What the operator may see: its own namespace (default), a list of namespaces (each with its own Role and
 * RoleBinding), or every namespace.
 */
export class OperatorScope {
  /** A namespaced Role: the operator reconciles deployments in its own namespace only. */
  public static namespace(): OperatorScope {
    return new OperatorScope(false, undefined, undefined);
  }

  /**
   * The operator reconciles deployments in these namespaces only (`WATCH_NAMESPACE` is their comma-separated list, an
   * assumption about the image like the variable itself). Each namespace gets its own Role and RoleBinding: the
   * operator's own namespace from the fleet's release, any other from the release that holds its custom resources
   * (`IotFleet.namespace(release)`), so every release's objects stay in its namespace.
   */
  public static namespaces(names: readonly string[]): OperatorScope {
    check(Array.isArray(names) && names.length > 0, 'scope.namespaces', names, 'at least one namespace');
    names.forEach((n, i) => assertDnsLabel(`scope.namespaces[${i}]`, n));
    check(new Set(names).size === names.length, 'scope.namespaces', names, 'each namespace once');
    return new OperatorScope(false, undefined, [...names]);
  }

  /**
   * A ClusterRole: the operator reconciles deployments in every namespace. A policy exception: say why.
   */
  public static cluster(options: { readonly reason: string }): OperatorScope {
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'scope.cluster.reason', options.reason, 'a non-empty reason (recorded as the cluster-scope policy exception)');
    return new OperatorScope(true, options.reason, undefined);
  }

  private constructor(
    /** True for cluster scope. */
    public readonly cluster: boolean,
    /** The cluster-scope reason. */
    public readonly reason: string | undefined,
    /** The watched namespaces (`namespaces(...)`); undefined for the own namespace or cluster scope. */
    public readonly namespaces: readonly string[] | undefined,
  ) {}
}

/** Options of the operator's HTTP health endpoints. */
export interface OperatorHttpProbeOptions {
  /**
   * Port the operator serves its health endpoints on; the construct passes `0.0.0.0:<port>` in `HEALTH_ADDR`.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Liveness path: failing answers restart the container.
   * @default '/healthz'
   */
  readonly livenessPath?: string;
  /**
   * Readiness path.
   * @default '/readyz'
   */
  readonly readinessPath?: string;
}

/**
 * What a probe alternative adds to the operator's container and Deployment.
 * @internal
 */
export interface OperatorProbeParts {
  /**
   * The probed port, declared on the container as `health`.
   * @default - none (no probes)
   */
  readonly ports?: readonly ContainerPortSpec[];
  /**
   * Liveness probe.
   * @default - none
   */
  readonly liveness?: k8s.Probe;
  /**
   * Readiness probe.
   * @default - none
   */
  readonly readiness?: k8s.Probe;
  /** Policy exceptions the choice needs (no probes at all). */
  readonly exceptions: readonly PolicyException[];
}

const LIVENESS_TIMING = { initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(3), failureThreshold: 3 };
const READINESS_TIMING = { period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 3 };

/**
 * How Kubernetes checks the operator: HTTP endpoints (the default, an assumption about the image), a TCP connect to a
 * port the image listens on, or no probes at all (a recorded policy exception) for an image that serves nothing. Each
 * alternative renders its own probes (and the env the HTTP health server needs).
 */
export abstract class OperatorProbes {
  /** HTTP liveness and readiness probes on the operator's health server (`HEALTH_ADDR`). */
  public static http(options: OperatorHttpProbeOptions = {}): OperatorProbes {
    const port = options.port ?? 8080;
    assertPort('probes.http.port', port);
    const liveness = options.livenessPath ?? '/healthz';
    const readiness = options.readinessPath ?? '/readyz';
    check(typeof liveness === 'string' && liveness.startsWith('/'), 'probes.http.livenessPath', liveness, 'an absolute path starting with /');
    check(typeof readiness === 'string' && readiness.startsWith('/'), 'probes.http.readinessPath', readiness, 'an absolute path starting with /');
    return new HttpOperatorProbes(port, liveness, readiness);
  }

  /**
   * TCP connect probes on a port the operator image listens on (a metrics or webhook port). The construct sets no
   * `HEALTH_ADDR`: the port is the image's own.
   */
  public static tcp(port: number): OperatorProbes {
    assertPort('probes.tcp', port, { reason: undefined });
    return new TcpOperatorProbes(port);
  }

  /**
   * No probes, for an image that serves no health endpoint and listens on no port. Kubernetes then restarts the
   * operator only when its process exits (the seed's operator exits on fatal controller or NATS errors). Recorded as
   * the `probes` policy exception on the Deployment, with the reason.
   */
  public static none(options: { readonly reason: string }): OperatorProbes {
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'probes.none.reason', options.reason, 'a non-empty reason (recorded as the probes policy exception)');
    return new NoOperatorProbes(options.reason);
  }

  /**
   * Sets the env the probes need (the HTTP health address) and returns what they add to the container and the
   * Deployment.
   * @internal
   */
  public abstract bind(env: EnvBuilder): OperatorProbeParts;
}

class HttpOperatorProbes extends OperatorProbes {
  constructor(private readonly port: number, private readonly livenessPath: string, private readonly readinessPath: string) {
    super();
  }

  public bind(env: EnvBuilder): OperatorProbeParts {
    env.own(IOT_OPERATOR_ENV.healthAddr, `0.0.0.0:${this.port}`);
    return {
      ports: [{ name: 'health', port: this.port }],
      liveness: Probes.http(this.livenessPath, 'health', LIVENESS_TIMING),
      readiness: Probes.http(this.readinessPath, 'health', READINESS_TIMING),
      exceptions: [],
    };
  }
}

class TcpOperatorProbes extends OperatorProbes {
  constructor(private readonly port: number) {
    super();
  }

  public bind(): OperatorProbeParts {
    return { ports: [{ name: 'health', port: this.port }], liveness: Probes.tcp('health', LIVENESS_TIMING), readiness: Probes.tcp('health', READINESS_TIMING), exceptions: [] };
  }
}

class NoOperatorProbes extends OperatorProbes {
  constructor(private readonly reason: string) {
    super();
  }

  public bind(): OperatorProbeParts {
    return { exceptions: [{ rule: 'probes', reason: this.reason }] };
  }
}

/**
 * The form of a NATS URL with credentials for `nats` (placeholders for the credentials), as the operator reads it.
 * @internal
 */
export function natsUrlWithCredentials(nats: NatsServer): string {
  const url = nats.endpoint.url(nats.tls ? 'tls' : 'nats', 'client', { form: HostForm.NAMESPACED });
  return url.replace('://', nats.auth.kind === 'token' ? '://<token>@' : '://<user>:<password>@');
}

/** Props of IotOperator. */
export interface IotOperatorProps {
  /** The NATS server the operator and the device agents share. JetStream must be on. */
  readonly nats: NatsServer;
  /** The bucket holding desired state; declared on `nats`. */
  readonly desiredStateBucket: NatsKvBucket;
  /** The bucket holding agent status; declared on `nats`. */
  readonly agentStatusBucket: NatsKvBucket;
  /**
   * Name of the Deployment, ServiceAccount and RBAC objects.
   * @default - `<release name>-iot-operator`
   */
  readonly name?: string;
  /**
   * Operator image, pinned.
   * @default IOT_OPERATOR_IMAGE
   */
  readonly image?: string;
  /**
   * Namespaced (default) or cluster-wide.
   * @default OperatorScope.namespace()
   */
  readonly scope?: OperatorScope;
  /**
   * What the operator image supports beyond the seed's contract. Fleet deployments may select devices with
   * `matchExpressions` only when `matchExpressions: true`: the seed's operator (v0) reads matchLabels only and ignores
   * expressions, so a deployment would run on every device matching its matchLabels.
   * @default - matchLabels only
   */
  readonly supports?: DeviceSelectorSupport;
  /**
   * Requests and limits.
   * @default - cpu 50m/500m, memory 64Mi/256Mi
   */
  readonly resources?: Resources;
  /**
   * `RUST_LOG` filter.
   * @default 'info'
   */
  readonly logLevel?: string;
  /**
   * How Kubernetes checks the operator. The default assumes an HTTP health server the seed does not show: pick
   * `OperatorProbes.tcp(port)` or `OperatorProbes.none({ reason })` for an image without `/healthz`.
   * @default OperatorProbes.http() (`/healthz` and `/readyz` on 8080, `HEALTH_ADDR=0.0.0.0:8080`)
   */
  readonly probes?: OperatorProbes;
  /**
   * The operator reads only NATS_URL (seed 003), so when its NATS server authenticates clients (`NatsAuth.token` or
   * `NatsAuth.users` on the server) the credentials must travel inside that URL: this key of an operator-created
   * Secret holds the whole URL, `nats://<user>:<password>@<host>:4222` or `nats://<token>@<host>:4222`, and NATS_URL
   * is read from it (never a literal in the manifests). Required when the server authenticates clients, refused when
   * it does not.
   * @default - none (the server authenticates no client)
   */
  readonly natsUrlSecret?: SecretKey;
  /**
   * Extra environment variables. The wiring variables (IOT_OPERATOR_ENV) are owned by the construct.
   * @default - none
   */
  readonly env?: EnvMap;
  /**
   * uid the operator runs as (the image must not need root).
   * @default 65532
   */
  readonly runAsUser?: number;
  /**
   * Node selection.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
}

/** RBAC rules of the operator: the fleet CRs, their status and finalizers, and events. Nothing else. */
export const IOT_OPERATOR_RULES: readonly k8s.PolicyRule[] = [
  // patch for finalizers: the operator removes a deployment from NATS KV before the CR goes away.
  { apiGroups: [IOT_GROUP], resources: [IOT_DEPLOYMENT_PLURAL], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: [IOT_GROUP], resources: [`${IOT_DEPLOYMENT_PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];

/**
 * The IoT operator: watches fleet deployment CRs, publishes each matching device's desired state to NATS KV and folds
 * the agents' status back into the CRs' `.status.aggregate`. One replica with the Recreate strategy: it has no
 * leader election, so two instances must never run at once (both would write the same status). What the construct
 * takes from the seed and what it assumes about the image is listed at the top of this file.
 */
export class IotOperator extends WorkloadConstruct {
  /** Name of the Deployment, ServiceAccount and RBAC objects. */
  public readonly name: string;
  /** Labels selecting the operator pod. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The operator's ServiceAccount. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /**
   * The Role in the operator's namespace (namespace scope, or a namespace list that includes it) or the ClusterRole
   * (cluster scope); undefined when the operator watches only other namespaces.
   */
  public readonly role: k8s.KubeRole | k8s.KubeClusterRole | undefined;
  /** The namespaces the operator watches; undefined for every namespace (cluster scope). */
  public readonly watchedNamespaces: readonly string[] | undefined;
  /** The RoleBinding (namespace scope) or ClusterRoleBinding (cluster scope). */
  public readonly roleBinding: k8s.KubeRoleBinding | k8s.KubeClusterRoleBinding | undefined;
  /** The env the operator gets (for tests and wiring checks). */
  public readonly env: EnvBuilder;
  /** The pod's connections (NATS). */
  public readonly wiring: PodWiring;
  /** The Secret key NATS_URL is read from, when the NATS server authenticates clients (`props.natsUrlSecret`). */
  public readonly natsUrlSecret: SecretKey | undefined;
  /** What the operator's selector evaluation supports (`props.supports`). */
  public readonly selectorSupport: Required<DeviceSelectorSupport>;

  constructor(scope: Construct, id: string, props: IotOperatorProps) {
    super(scope, id);
    const release = Release.of(this);
    const namespace = release.releaseNamespace;
    // Every prop check runs before anything is built, and all their errors are reported together.
    const errors = new ErrorCollector(this);
    this.name = props.name !== undefined ? errors.attempt(() => assertDnsLabel('name', props.name!), 'operator') : deriveName([release.releaseName, 'iot-operator']);
    const opScope = props.scope ?? OperatorScope.namespace();
    this.selectorSupport = { matchExpressions: props.supports?.matchExpressions === true };
    this.natsUrlSecret = props.natsUrlSecret;
    this.checkBuckets(props, errors);

    const imageRef = props.image ?? IOT_OPERATOR_IMAGE;
    const resolved = errors.attempt(() => Images.of(this).resolve('image', imageRef));
    const image = resolved ?? imageRef;
    const tag = resolved !== undefined ? ImageRef.parse(imageRef, 'image').tag : undefined;
    const identity = { name: 'iot-operator', instance: release.releaseName, component: 'operator' };
    this.selector = selectorLabels(identity);
    const labels = standardLabels({ ...identity, partOf: 'iot-platform', version: tag && /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(tag) ? tag : undefined });

    const probes = props.probes ?? OperatorProbes.http();
    errors.check(probes instanceof OperatorProbes, 'probes', probes, 'OperatorProbes.http({...}), .tcp(port) or .none({ reason })');
    const logLevel = props.logLevel ?? 'info';
    errors.check(/^[A-Za-z0-9_:=,.-]+$/.test(logLevel), 'logLevel', logLevel, 'a RUST_LOG filter such as info or iot_operator=debug,kube=info');
    this.env = new EnvBuilder('IotOperator container operator');
    this.wiring = new PodWiring(this);
    const initContainers: PodContainer[] = [];
    // The operator opens both KV buckets at start and exits when NATS is not there ("expected INFO, got nothing"): its
    // pod waits for the client port itself (an init wait, no API access), so the order holds under kubectl and Helm
    // too, not only under Argo CD's sync waves.
    const authenticates = props.nats.auth.kind !== 'none';
    errors.check(props.nats.auth.kind !== 'nkeys', 'nats.auth', 'NatsAuth.nkeys(...)', 'NatsAuth.none(), .token(...) or .users([...])',
      'the operator reads only NATS_URL, and a URL cannot carry an nkey signature');
    errors.check(!authenticates || props.natsUrlSecret !== undefined, 'natsUrlSecret', props.natsUrlSecret,
      `{ name, key } of an operator-created Secret holding NATS_URL with credentials (${natsUrlWithCredentials(props.nats)})`,
      `NATS server ${props.nats.name} authenticates clients (${props.nats.auth.kind}) and the operator reads only NATS_URL`);
    errors.check(authenticates || props.natsUrlSecret === undefined, 'natsUrlSecret', props.natsUrlSecret, 'unset',
      `NATS server ${props.nats.name} authenticates no client (NatsAuth.none()): there are no credentials to put in the URL`);
    if (props.nats.auth.kind !== 'nkeys' && authenticates === (props.natsUrlSecret !== undefined)) {
      errors.attempt(() => props.nats.connect(this.wiring.container('operator', this.env), {
        env: { url: IOT_OPERATOR_ENV.natsUrl, replicas: false },
        wait: true,
        purpose: 'desired state and agent status (KV)',
        urlSecret: props.natsUrlSecret,
      }));
      // Buckets the server's Job creates: the operator opens them at start-up, so it waits until they exist (on every
      // apply path, not only under Argo CD's waves) and never creates one with defaults of its own.
      const created = [props.desiredStateBucket, props.agentStatusBucket].filter((b) => b.limits !== undefined);
      if (created.length) {
        const wait = errors.attempt(() => kvBucketWaitContainer(props.nats, this.wiring, created, { urlSecret: props.natsUrlSecret }));
        if (wait) initContainers.push(wait);
      }
    }
    // The operator watches its custom resources and writes their status through the API server.
    Wiring.of(this).connectToKubernetesApi(this, { container: 'operator', purpose: 'watches fleet deployments and writes their status' });
    this.env
      .own(IOT_OPERATOR_ENV.desiredStateBucket, props.desiredStateBucket.name)
      .own(IOT_OPERATOR_ENV.agentStatusBucket, props.agentStatusBucket.name);
    this.watchedNamespaces = opScope.cluster ? undefined : opScope.namespaces ?? [namespace];
    if (this.watchedNamespaces) this.env.own(IOT_OPERATOR_ENV.watchNamespace, this.watchedNamespaces.join(','));
    const probeParts = probes instanceof OperatorProbes ? probes.bind(this.env) : undefined;
    errors.attempt(() => this.env.defaults({ [IOT_OPERATOR_ENV.logLevel]: logLevel }).user(props.env, 'env'));
    const placement = errors.attempt(() => Placement.of(this).forWorkload(props.placement, 'placement'));
    errors.throwIfAny();

    const access = this.renderAccess(opScope, namespace, labels);
    this.serviceAccount = access.serviceAccount;
    this.role = access.role;
    this.roleBinding = access.roleBinding;

    const security = SecurityProfile.restricted({
      runAsUser: props.runAsUser ?? 65532,
      runAsGroup: props.runAsUser ?? 65532,
      readOnlyRootFilesystem: true,
    });
    this.deployment = renderDeployment(this, {
      name: this.name,
      prop: '',
      labels,
      containers: [
        {
          name: 'operator',
          image,
          ports: probeParts!.ports,
          env: this.env,
          resources: props.resources ?? sized(50, 500, 64, 256),
          liveness: probeParts!.liveness,
          readiness: probeParts!.readiness,
        },
      ],
      wiring: this.wiring,
      initContainers,
      security,
      placement: placement!,
      replicas: 1,
      // No leader election: two instances must never run at once (both would write the same status).
      rollout: DeploymentRollout.recreate(),
      policyExceptions: probeParts!.exceptions,
      // The operator talks to the Kubernetes API.
      serviceAccountName: this.name,
    }).deployment;
    this.addPullNote(release, image);
  }

  /** The buckets must be declared on the operator's NATS server, which must run JetStream. */
  private checkBuckets(props: IotOperatorProps, errors: ErrorCollector): void {
    errors.check(props.nats.jetstream, 'nats.jetstream', false, 'true', 'the operator keeps desired state and agent status in JetStream KV buckets');
    for (const [prop, bucket] of [['desiredStateBucket', props.desiredStateBucket], ['agentStatusBucket', props.agentStatusBucket]] as const) {
      errors.check(props.nats.buckets.includes(bucket), `${prop}`, bucket.name, `a bucket declared on NATS server ${props.nats.name} (${props.nats.buckets.map((b) => b.name).join(', ') || 'none'})`);
    }
    errors.check(props.desiredStateBucket !== props.agentStatusBucket, 'agentStatusBucket', props.agentStatusBucket.name, 'a bucket other than the desired-state bucket');
  }

  /** The ServiceAccount and its RBAC: a namespaced Role, or a ClusterRole (a recorded exception) for cluster scope. */
  private renderAccess(opScope: OperatorScope, namespace: string, labels: Record<string, string>) {
    if (!opScope.cluster && !this.watchedNamespaces!.includes(namespace)) {
      // Every watched namespace is another release's: its Role comes with it (IotFleet.namespace).
      return { serviceAccount: buildServiceAccount(this, 'ServiceAccount', { name: this.name, labels }), role: undefined, roleBinding: undefined };
    }
    if (!opScope.cluster) {
      const access = new NamespacedAccess(this, 'Access', { name: this.name, labels, rules: IOT_OPERATOR_RULES });
      return {
        serviceAccount: access.serviceAccount,
        role: access.role as k8s.KubeRole | k8s.KubeClusterRole,
        roleBinding: access.roleBinding as k8s.KubeRoleBinding | k8s.KubeClusterRoleBinding,
      };
    }
    const annotations = policyExceptionAnnotations([{ rule: 'cluster-scope', reason: opScope.reason! }]);
    // Cluster objects share one namespace-less name space: prefix with the namespace so two installs never collide.
    const clusterName = deriveName([namespace, this.name]);
    return {
      serviceAccount: new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: this.name, labels } }),
      role: new k8s.KubeClusterRole(this, 'ClusterRole', { metadata: { name: clusterName, labels, annotations }, rules: IOT_OPERATOR_RULES.map((r) => ({ ...r })) }),
      roleBinding: new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
        metadata: { name: clusterName, labels, annotations },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
        subjects: [{ kind: 'ServiceAccount', name: this.name, namespace }],
      }),
    };
  }

  /** The note on pulling the operator image (the seed's registry was not public yet). */
  private addPullNote(release: Release, image: string): void {
    const namespace = release.releaseNamespace;
    const pullSecrets = Images.of(this).settings.pullSecrets ?? [];
    const registry = ImageRef.parse(image, 'image').registry ?? 'docker.io';
    release.addNote(
      pullSecrets.length
        ? `IoT operator ${this.name}: the image ${image} is pulled with the release's pull secrets (${pullSecrets.join(', ')}); before syncing, create each in ` +
            `${namespace}: \`kubectl -n ${namespace} create secret docker-registry <name> --docker-server=${registry} --docker-username=... --docker-password=...\`.`
        : `IoT operator ${this.name}: the image ${image} is pulled without credentials. If ${registry} requires them, create a docker-registry Secret in ` +
            `${namespace} and name it in Release({ images: { pullSecrets: [...] } }): every pod of the release then pulls with it, and verification lists it as an external Secret. ` +
            `Before syncing, check the image against the operator contract this library assumes: it reads ${Object.values(IOT_OPERATOR_ENV).join(', ')}, ` +
            'honours WATCH_NAMESPACE, and serves the health endpoints the probes prop names (IOT_OPERATOR_ENV and IotOperatorProps document each).',
    );
  }
}
