import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { buildContainer } from '../core/container';
import { EnvBuilder, EnvMap } from '../core/env';
import { check } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { NodeSelection, Placement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { NamespacedAccess } from '../core/rbac';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { NatsKvBucket } from '../nats/kv';
import { NatsServer } from '../nats/server';
import { Release } from '../release/release';
import { IOT_DEPLOYMENT_PLURAL, IOT_GROUP } from './crd';

/**
 * Default operator image. The operator is built and published by the IoT platform project (hub.nationtech.io); pin
 * the release you run with `image`.
 */
export const IOT_OPERATOR_IMAGE = 'hub.nationtech.io/nationtech/iot-operator-v0:0.1.0';

/**
 * The environment contract between this construct and the operator image: the variables the operator reads.
 * The values come from the NatsServer object, so the URL and bucket names can never disagree with the server.
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
  /** `host:port` the operator serves `/healthz` and `/readyz` on. */
  healthAddr: 'HEALTH_ADDR',
  /** Log filter (the operator is a Rust binary: `info`, `iot_operator=debug,kube=info`). */
  logLevel: 'RUST_LOG',
} as const;

/** What the operator may see: its own namespace (default) or every namespace. */
export class OperatorScope {
  /** A namespaced Role: the operator reconciles deployments in its own namespace only. */
  public static namespace(): OperatorScope {
    return new OperatorScope(false, undefined);
  }

  /**
   * A ClusterRole: the operator reconciles deployments in every namespace. A policy exception: say why.
   */
  public static cluster(options: { readonly reason: string }): OperatorScope {
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'operator.scope.cluster.reason', options.reason, 'a non-empty reason (recorded as the cluster-scope policy exception)');
    return new OperatorScope(true, options.reason);
  }

  private constructor(
    /** True for cluster scope. */
    public readonly cluster: boolean,
    /** The cluster-scope reason. */
    public readonly reason: string | undefined,
  ) {}
}

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
   * Port the operator serves `/healthz` (liveness) and `/readyz` (readiness) on.
   * @default 8080
   */
  readonly healthPort?: number;
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
 * leader election, so two instances must never run at once (both would write the same status).
 */
export class IotOperator extends Construct {
  public readonly name: string;
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Role (namespace scope) or ClusterRole (cluster scope). */
  public readonly role: k8s.KubeRole | k8s.KubeClusterRole;
  public readonly roleBinding: k8s.KubeRoleBinding | k8s.KubeClusterRoleBinding;
  /** The env the operator gets (for tests and wiring checks). */
  public readonly env: EnvBuilder;

  constructor(scope: Construct, id: string, props: IotOperatorProps) {
    super(scope, id);
    const release = Release.of(this);
    const namespace = release.releaseNamespace;
    this.name = props.name !== undefined ? assertDnsLabel('operator.name', props.name) : deriveName([release.releaseName, 'iot-operator']);
    const opScope = props.scope ?? OperatorScope.namespace();

    check(props.nats.jetstream, 'operator.nats.jetstream', false, 'true', 'the operator keeps desired state and agent status in JetStream KV buckets');
    for (const [prop, bucket] of [['desiredStateBucket', props.desiredStateBucket], ['agentStatusBucket', props.agentStatusBucket]] as const) {
      check(props.nats.buckets.includes(bucket), `operator.${prop}`, bucket.name, `a bucket declared on NATS server ${props.nats.name} (${props.nats.buckets.map((b) => b.name).join(', ') || 'none'})`);
    }
    check(props.desiredStateBucket !== props.agentStatusBucket, 'operator.agentStatusBucket', props.agentStatusBucket.name, 'a bucket other than the desired-state bucket');

    const imageRef = props.image ?? IOT_OPERATOR_IMAGE;
    const image = Images.of(this).resolve('operator.image', imageRef);
    const tag = ImageRef.parse(imageRef, 'operator.image').tag;
    const identity = { name: 'iot-operator', instance: release.releaseName, component: 'operator' };
    const selector = selectorLabels(identity);
    const labels = standardLabels({ ...identity, partOf: 'iot-platform', version: tag && /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(tag) ? tag : undefined });

    const healthPort = props.healthPort ?? 8080;
    const logLevel = props.logLevel ?? 'info';
    check(/^[A-Za-z0-9_:=,.-]+$/.test(logLevel), 'operator.logLevel', logLevel, 'a RUST_LOG filter such as info or iot_operator=debug,kube=info');
    this.env = new EnvBuilder('IotOperator container operator')
      .own(IOT_OPERATOR_ENV.natsUrl, props.nats.clientUrl)
      .own(IOT_OPERATOR_ENV.desiredStateBucket, props.desiredStateBucket.name)
      .own(IOT_OPERATOR_ENV.agentStatusBucket, props.agentStatusBucket.name);
    if (!opScope.cluster) this.env.own(IOT_OPERATOR_ENV.watchNamespace, namespace);
    this.env.own(IOT_OPERATOR_ENV.healthAddr, `0.0.0.0:${healthPort}`);
    this.env.defaults({ [IOT_OPERATOR_ENV.logLevel]: logLevel }).user(props.env, 'operator.env');

    const security = SecurityProfile.restricted({ runAsUser: props.runAsUser ?? 65532, runAsGroup: props.runAsUser ?? 65532, readOnlyRootFilesystem: true });
    const container = buildContainer(
      'operator',
      {
        name: 'operator',
        image,
        ports: [{ name: 'health', port: healthPort }],
        env: this.env,
        resources: props.resources ?? sized(50, 500, 64, 256),
        liveness: Probes.http('/healthz', 'health', { initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(3), failureThreshold: 3 }),
        readiness: Probes.http('/readyz', 'health', { period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 3 }),
      },
      security,
    );

    if (opScope.cluster) {
      const annotations = policyExceptionAnnotations([{ rule: 'cluster-scope', reason: opScope.reason! }]);
      // Cluster objects share one namespace-less name space: prefix with the namespace so two installs never collide.
      const clusterName = deriveName([namespace, this.name]);
      this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: this.name, labels } });
      this.role = new k8s.KubeClusterRole(this, 'ClusterRole', { metadata: { name: clusterName, labels, annotations }, rules: IOT_OPERATOR_RULES.map((r) => ({ ...r })) });
      this.roleBinding = new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
        metadata: { name: clusterName, labels, annotations },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
        subjects: [{ kind: 'ServiceAccount', name: this.name, namespace }],
      });
    } else {
      const access = new NamespacedAccess(this, 'Access', { name: this.name, labels, rules: IOT_OPERATOR_RULES });
      this.serviceAccount = access.serviceAccount;
      this.role = access.role;
      this.roleBinding = access.roleBinding;
    }

    const placement = Placement.of(this).forWorkload(props.placement ?? { nodeSelection: NodeSelection.inherit() }, 'operator.placement');
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: this.name, labels, annotations: policyExceptionAnnotations(security.exceptions) },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: buildPodSpec(this, 'operator', {
            containers: [container],
            security,
            placement,
            serviceAccountName: this.name,
            // The operator talks to the Kubernetes API.
            automountServiceAccountToken: true,
          }),
        },
      },
    });
  }
}
