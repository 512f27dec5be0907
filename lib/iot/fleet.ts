import { Construct } from 'constructs';
import { check, ConfigError, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { assertDnsLabel } from '../core/names';
import { forwardChildProps } from '../core/props';
import { NatsServer, NatsServerProps } from '../nats/server';
import { Duration, Size } from 'cdk8s';
import { NatsKvBucket, NatsKvBucketSettings, NatsKvTtl } from '../nats/kv';
import { assertInt } from '../core/validate';
import { Release } from '../release/release';
import { IOT_BUCKET_LIMITS, IotDeploymentCrd } from './crd';
import { FleetDeployment, FleetDeploymentOptions } from './deployment';
import { IOT_OPERATOR_RULES, IotOperator, IotOperatorProps, natsUrlWithCredentials } from './operator';
import { k8s } from 'cdk8s-plus-28';
import { MANAGED_BY } from '../core/labels';
import { externalRefsAnnotation } from '../core/policy';
import { FleetHostPorts } from './host-ports';

/** Default KV bucket names (the names the operator and the device agents were built with). */
export const IOT_DESIRED_STATE_BUCKET = 'desired-state';
export const IOT_AGENT_STATUS_BUCKET = 'agent-status';

/**
 * Argo CD sync wave of the fleet's NATS objects: with the CRD (-1), before the operator (0, no annotation) and the CRs
 * (1). The operator exits when NATS is not reachable at start-up ("expected INFO, got nothing" in the seed), so Argo CD
 * starts it only once the NATS StatefulSet is ready.
 */
export const IOT_NATS_SYNC_WAVE = -1;

/**
 * NATS settings for the fleet's server. JetStream is always on (the fleet's state lives in KV buckets) and the sync
 * wave is the fleet's (IOT_NATS_SYNC_WAVE).
 */
export type IotFleetNatsOptions = Omit<NatsServerProps, 'jetstream' | 'syncWave'>;

/** Operator settings; the NATS wiring is supplied by the fleet. */
export type IotFleetOperatorOptions = Omit<IotOperatorProps, 'nats' | 'desiredStateBucket' | 'agentStatusBucket'>;

/** Names of the fleet's JetStream KV buckets. */
export interface IotFleetBuckets {
  /**
   * Bucket the operator writes each device's desired state to.
   * @default 'desired-state'
   */
  readonly desiredState?: string;
  /**
   * Bucket the device agents publish status and heartbeats to.
   * @default 'agent-status'
   */
  readonly agentStatus?: string;
}

/** How big the fleet is designed to grow: the KV buckets' sizes follow from it. */
export interface IotFleetCapacity {
  /**
   * Devices the fleet holds at most. Each gets one agent-status key (at most 128 KiB) and its desired-state keys.
   * @default 1000
   */
  readonly devices?: number;
  /**
   * Fleet deployments one device runs at most (its desired-state keys, each at most 16 KiB, 5 revisions kept).
   * @default 4
   */
  readonly deploymentsPerDevice?: number;
}

/**
 * The settings the fleet's buckets are created with, for a capacity: the limits of IOT_BUCKET_LIMITS, and bucket sizes
 * that hold every device's keys at their largest (desired state: devices x deployments per device x 5 revisions x
 * 16 KiB; agent status: devices x 128 KiB). Replicas: 1 on a single server, 3 in a cluster.
 */
export function iotFleetBucketSettings(capacity: IotFleetCapacity = {}): {
  readonly desiredState: NatsKvBucketSettings;
  readonly agentStatus: NatsKvBucketSettings;
} {
  const devices = capacity.devices ?? 1000;
  const perDevice = capacity.deploymentsPerDevice ?? 4;
  assertInt('capacity.devices', devices, { min: 1, max: 1_000_000 }, 'a whole number of devices, 1 to 1,000,000');
  assertInt('capacity.deploymentsPerDevice', perDevice, { min: 1, max: 256 }, 'a whole number of deployments per device, 1 to 256');
  const d = IOT_BUCKET_LIMITS.desiredState;
  const a = IOT_BUCKET_LIMITS.agentStatus;
  return {
    desiredState: {
      history: d.history,
      ttl: NatsKvTtl.none({ reason: 'desired state must never expire: an expired key would make the agent remove the deployment from its device' }),
      maxValueSize: Size.kibibytes(d.maxValueKiB),
      maxBucketSize: Size.kibibytes(devices * perDevice * d.history * d.maxValueKiB),
    },
    agentStatus: {
      history: a.history,
      ttl: NatsKvTtl.after(Duration.hours(a.ttlHours)),
      maxValueSize: Size.kibibytes(a.maxValueKiB),
      maxBucketSize: Size.kibibytes(devices * a.history * a.maxValueKiB),
    },
  };
}

/** Props of IotFleet. */
export interface IotFleetProps {
  /**
   * Fleet name: prefix of the NATS server and operator names, and `app.kubernetes.io/part-of` of the CRs.
   * @default - the release name
   */
  readonly name?: string;
  /**
   * The NATS server (ClusterIP, ephemeral store unless set).
   * @default - NatsServer defaults, named `<fleet>-nats`
   */
  readonly nats?: IotFleetNatsOptions;
  /**
   * The operator.
   * @default - IotOperator defaults, named `<fleet>-operator`
   */
  readonly operator?: IotFleetOperatorOptions;
  /**
   * KV bucket names; they must match what the device agents were configured with.
   * @default - `desired-state` and `agent-status`
   */
  readonly buckets?: IotFleetBuckets;
  /**
   * How big the fleet is designed to grow; the KV buckets are sized for it (and must fit the NATS store together).
   * @default - 1000 devices, 4 deployments per device
   */
  readonly capacity?: IotFleetCapacity;
  /**
   * Render the CustomResourceDefinition. The CRD is cluster-wide: exactly one release per cluster should own it. Without
   * it, the CRs carry `SkipDryRunOnMissingResource=true`, so Argo CD's dry run does not fail the whole sync while the
   * owning release has not applied the CRD yet.
   * @default true
   */
  readonly installCrd?: boolean;
}

/** Longest fleet name, so `<fleet>-operator` and `<fleet>-nats-headless` stay valid names. */
const MAX_FLEET_NAME = 40;
/** How many names a fleet-wide warning lists before summarizing. */
const WARN_LIST = 5;

function listNames(items: readonly string[]): string {
  return items.length <= WARN_LIST ? items.join(', ') : `${items.slice(0, WARN_LIST).join(', ')} and ${items.length - WARN_LIST} more`;
}

/**
 * An IoT fleet: the fleet-deployment CRD, a NATS JetStream server, the operator wired to it, and the fleet
 * deployments added with `addDeployment`. Devices run an agent that connects to the same NATS server (through the
 * server's exposure), publishes its labels in heartbeats, and runs with Podman whatever the operator's desired
 * state says for it.
 */
export class IotFleet extends Construct {
  /** The fleet name (prefix of the NATS server and operator names). */
  public readonly name: string;
  /** The CustomResourceDefinition, when the fleet renders it. */
  public readonly crd?: IotDeploymentCrd;
  /** The fleet's NATS server. */
  public readonly nats: NatsServer;
  /** The KV bucket the operator writes desired state to. */
  public readonly desiredStateBucket: NatsKvBucket;
  /** The KV bucket device agents publish status to. */
  public readonly agentStatusBucket: NatsKvBucket;
  /** The operator. */
  public readonly operator: IotOperator;
  /** The capacity the buckets are sized for. */
  public readonly capacity: Required<IotFleetCapacity>;
  private readonly _deployments = new Map<string, FleetDeployment>();
  private readonly hostPorts: FleetHostPorts;
  private readonly release: Release;

  constructor(scope: Construct, id: string, props: IotFleetProps = {}) {
    super(scope, id);
    this.release = Release.of(this);
    // The fleet's own checks and those of the NATS server and operator it builds are reported together.
    const errors = new ErrorCollector(this);
    this.name = errors.attempt(() => assertDnsLabel('name', props.name ?? this.release.releaseName, MAX_FLEET_NAME), 'fleet');
    errors.check((props.nats as NatsServerProps | undefined)?.jetstream !== false, 'nats.jetstream', false, 'true (or unset)',
      'the fleet keeps desired state and agent status in JetStream KV buckets');
    if (props.installCrd ?? true) this.crd = new IotDeploymentCrd(this, 'Crd');
    // The server's and the operator's props are the fleet's nats and operator props (declared before they are built,
    // so their errors name them as the fleet's user wrote them).
    forwardChildProps(this, 'Nats', { prefix: 'nats' });
    forwardChildProps(this, 'Operator', { prefix: 'operator' });
    this.capacity = { devices: props.capacity?.devices ?? 1000, deploymentsPerDevice: props.capacity?.deploymentsPerDevice ?? 4 };
    const settings = errors.attempt(() => iotFleetBucketSettings(props.capacity));
    // The bucket Job connects as the operator does: with its NATS URL Secret when the server authenticates clients.
    const natsUrlSecret = props.operator?.natsUrlSecret;
    const nats = errors.attempt(() => new NatsServer(this, 'Nats', {
      name: `${this.name}-nats`,
      ...props.nats,
      jetstream: true,
      syncWave: IOT_NATS_SYNC_WAVE,
      kvJob: { ...props.nats?.kvJob, urlSecret: props.nats?.auth?.kind === 'token' || props.nats?.auth?.kind === 'users' ? natsUrlSecret : undefined },
    }));
    // The buckets and the operator are built on the server: without it there is nothing more to check.
    if (!nats || !settings) errors.throwIfAny();
    this.nats = nats!;
    const before = errors.errors.length;
    errors.check(this.nats.auth.kind !== 'nkeys', 'nats.auth', 'NatsAuth.nkeys(...)', 'NatsAuth.none(), .token(...) or .users([...])',
      'the operator reads only NATS_URL, and a URL cannot carry an nkey signature');
    const bucket = (name: string, description: string, s: NatsKvBucketSettings): NatsKvBucket =>
      errors.attempt(() => this.nats.addKeyValueBucket(name, description, s), { name, description });
    this.desiredStateBucket = bucket(
      props.buckets?.desiredState ?? IOT_DESIRED_STATE_BUCKET,
      'desired state per device and deployment (key <device>.<deployment>), written by the operator, read by agents',
      settings!.desiredState,
    );
    this.agentStatusBucket = bucket(
      props.buckets?.agentStatus ?? IOT_AGENT_STATUS_BUCKET,
      'agent heartbeats, labels and per-deployment phase (key status.<device>), written by agents, read by the operator',
      settings!.agentStatus,
    );
    // The operator checks its buckets against the server's: after a bucket error it would only repeat it.
    if (errors.errors.length > before) errors.throwIfAny();
    const operator = errors.attempt(() => new IotOperator(this, 'Operator', {
      name: `${this.name}-operator`,
      ...props.operator,
      nats: this.nats,
      desiredStateBucket: this.desiredStateBucket,
      agentStatusBucket: this.agentStatusBucket,
    }));
    errors.throwIfAny();
    this.operator = operator!;
    this.hostPorts = new FleetHostPorts(this.operator.selectorSupport.matchExpressions);
    if (this.nats.exposure.external && this.nats.auth.kind === 'none') {
      // The NATS server's own warning says the port is unauthenticated; for a fleet that means more than data access.
      this.release.addWarning(
        `fleet ${this.name}: the ${this.desiredStateBucket.name} KV bucket decides which image every device runs, and NATS ${this.nats.name} ` +
          'has no client authentication: whoever can reach its client port can run any container on every device of the fleet. ' +
          'Keep the exposure limited to the device network until per-device authentication is in place.',
      );
    }
    this.release.addNote(
      `IoT fleet ${this.name}: list deployments with \`kubectl -n ${this.release.releaseNamespace} get iotdeploy\` ` +
        `(plain \`get deployments\` lists apps/v1). Device agents connect to the NATS server ${this.nats.name} and use the KV buckets ` +
        `${this.desiredStateBucket.name} and ${this.agentStatusBucket.name}, sized for ${this.capacity.devices} devices with up to ${this.capacity.deploymentsPerDevice} deployments each ` +
        '(capacity): a device silent for a day ages out of the status bucket, and a fleet larger than the capacity finds the buckets full (puts refused). ' +
        'The operator waits for both buckets in an init container (on every apply path); it and the agents must open them, not create them with settings of their own.',
    );
    this.addAuthNote();
    this.addDevicePullNote();
    this.node.addValidation({ validate: () => this.collectWarnings() });
  }

  /**
   * NATS client authentication is an option, not the default: seed 003 defers device authentication to its Chapter 4
   * (Zitadel, OpenBao and per-device credentials) and its operator reads only NATS_URL. The note says which it is.
   */
  private addAuthNote(): void {
    const auth = this.nats.auth;
    const namespace = this.release.releaseNamespace;
    if (auth.kind === 'none') {
      this.release.addNote(
        `IoT fleet ${this.name}, NATS authentication: off. Seed 003 defers device authentication to its Chapter 4 (per-device credentials) ` +
          'and the operator reads only NATS_URL, so the fleet does not turn it on by default. To turn it on: nats.auth NatsAuth.token(...) or ' +
          'NatsAuth.users([...]) with operator.natsUrlSecret, an operator-created Secret holding NATS_URL with the credentials; every device agent then needs them too.',
      );
      return;
    }
    const url = this.operator.natsUrlSecret!;
    const form = natsUrlWithCredentials(this.nats);
    this.release.addNote(
      `IoT fleet ${this.name}, NATS authentication: ${auth.kind} (NATS server ${this.nats.name}). The operator reads only NATS_URL, from key ${url.key} of Secret ${url.name}: ` +
        `before syncing, \`kubectl -n ${namespace} create secret generic ${url.name} --from-literal=${url.key}='${form}'\` with the same credentials as the server's Secret ` +
        '(URL-encode reserved characters). Every device agent must connect with credentials the server accepts (in its own NATS URL), or it is refused.',
    );
  }

  /**
   * With a registry redirect, the CRs name the mirror, and the devices pull from it with rootless Podman: the
   * release's pull secrets are Kubernetes Secrets and never reach a device, so the note says exactly what each
   * device's agent user needs.
   */
  private addDevicePullNote(): void {
    const images = Images.of(this).settings;
    if (images.registry === undefined) return;
    const host = images.registry.split('/')[0];
    const secrets = images.pullSecrets ?? [];
    this.release.addNote(
      `IoT fleet ${this.name}, device pulls: every deployment's image is rewritten to ${images.registry}/..., and each device pulls it itself with rootless Podman. ` +
        (secrets.length ? `The release's pull secrets (${secrets.join(', ')}) are Kubernetes Secrets: they reach the operator's pod, never a device. ` : '') +
        `On every device, as the user the agent runs as: podman login --authfile ~/.config/containers/auth.json ${host} ` +
        '(Podman reads that file when the per-session one under $XDG_RUNTIME_DIR is absent, so the login survives a reboot); ' +
        `if the mirror's certificate comes from a private CA, install it as /etc/containers/certs.d/${host}/ca.crt. ` +
        'Without them every pull fails ("unauthorized" or "x509: certificate signed by unknown authority") and the deployment reports failed devices in status.aggregate.lastError.',
    );
  }

  /**
   * Adds a fleet deployment: a typed CR targeting devices by label. Re-using a name is an error; to upgrade, change the
   * image of the existing call (same name, new image).
   */
  public addDeployment(name: string, options: FleetDeploymentOptions): FleetDeployment {
    return this.addDeploymentIn(this, this.release, name, options);
  }

  /**
   * The fleet's custom resources in another release's namespace, which the operator must watch
   * (`operator.scope: OperatorScope.namespaces([...])`): the returned construct, built in `release`, renders the
   * operator's Role and RoleBinding there (the subject is the operator's ServiceAccount in the fleet's namespace) and
   * adds deployments with `addDeployment`. Deployment names stay unique across the whole fleet (they are NATS KV key
   * tokens). Once per release.
   */
  public namespace(release: Release): FleetNamespace {
    return new FleetNamespace(release, `IotFleet-${this.name}`, this);
  }

  /** @internal */
  public addDeploymentIn(scope: Construct, release: Release, name: string, options: FleetDeploymentOptions): FleetDeployment {
    const namespace = release.releaseNamespace;
    const watched = this.operator.watchedNamespaces;
    check(watched === undefined || watched.includes(namespace), `deployments.${name}`, name,
      `a deployment in a namespace operator ${this.operator.name} watches (${(watched ?? []).join(', ')})`,
      `it would land in namespace ${namespace}, which the operator does not watch: nothing would ever reconcile it; add ${namespace} to operator.scope OperatorScope.namespaces([...])`);
    if (this._deployments.has(name)) {
      throw new ConfigError(`deployments.${name}`, name, 'a name not used by another deployment of this fleet', 'the name is already added; to upgrade, change the image of the existing deployment');
    }
    // Both kinds are called Deployment: one name for two different objects in one namespace misleads whoever debugs it.
    check(name !== this.operator.name, `deployments.${name}`, name, `a name other than the operator's Deployment (${this.operator.name})`,
      `kubectl, events and Argo CD show both as "Deployment ${name}" in the same namespace`);
    const d = new FleetDeployment(scope, name, options, {
      instance: release.releaseName,
      fleet: this.name,
      crdElsewhere: this.crd === undefined,
      selectorSupport: this.operator.selectorSupport,
    });
    this.hostPorts.claim(`deployments.${name}`, name, options.targetSelector, d.ports, options.ports ?? []);
    this._deployments.set(name, d);
    return d;
  }

  /** The fleet deployments, in the order they were added. */
  public get deployments(): readonly FleetDeployment[] {
    return [...this._deployments.values()];
  }

  /** Folds per-deployment findings into one warning each (so 10,000 deployments do not make 10,000 warnings). */
  private collectWarnings(): string[] {
    const lowPorts: string[] = [];
    const secretEnv: string[] = [];
    const expressions: string[] = [];
    for (const d of this._deployments.values()) {
      if (d.findings.privilegedHostPorts.length) lowPorts.push(`${d.name} (${d.findings.privilegedHostPorts.join(', ')})`);
      if (d.findings.secretLikeEnv.length) secretEnv.push(`${d.name} (${d.findings.secretLikeEnv.join(', ')})`);
      if (d.findings.usesMatchExpressions) expressions.push(d.name);
    }
    if (expressions.length) {
      this.release.addWarning(
        `fleet ${this.name}: ${listNames(expressions)} select devices with matchExpressions (operator.supports.matchExpressions is set): ` +
          'an operator without matchExpressions support (the seed\'s v0 reads matchLabels only) ignores them and runs these deployments on every device ' +
          'matching their matchLabels. Pin an operator image that evaluates matchExpressions.',
        { scope: this, prop: 'operator.image', value: "'registry.example.com/iot-operator:<a version that evaluates matchExpressions>'" },
      );
    }
    if (lowPorts.length) {
      this.release.addWarning(
        `fleet ${this.name}: host ports below 1024 in ${listNames(lowPorts)}: device agents run rootless Podman, which cannot bind them ` +
          'unless the device sets net.ipv4.ip_unprivileged_port_start; map a port >= 1024 instead.',
      );
    }
    if (secretEnv.length) {
      this.release.addWarning(
        `fleet ${this.name}: env names that look like credentials in ${listNames(secretEnv)}: fleet env values are plain text in the CR, ` +
          'in git and in NATS KV.',
      );
    }
    return [];
  }
}

/**
 * The fleet's custom resources in one more namespace (`IotFleet.namespace(release)`): the operator's Role and
 * RoleBinding in the release's namespace, and the deployments added there.
 */
export class FleetNamespace extends Construct {
  /** The namespace (the release's). */
  public readonly namespace: string;
  /** The operator's Role in this namespace. */
  public readonly role: k8s.KubeRole;
  /** Its RoleBinding to the operator's ServiceAccount (in the fleet's namespace). */
  public readonly roleBinding: k8s.KubeRoleBinding;
  private readonly release: Release;

  /** @internal */
  constructor(release: Release, id: string, private readonly fleet: IotFleet) {
    const namespace = release.releaseNamespace;
    const fleetNamespace = Release.of(fleet).releaseNamespace;
    const watched = fleet.operator.watchedNamespaces;
    check(namespace !== fleetNamespace, 'namespace', namespace, `a release in another namespace than the fleet's (${fleetNamespace})`, 'in its own namespace, add deployments with fleet.addDeployment');
    check(watched !== undefined, 'namespace', namespace, 'a namespace listed in operator.scope OperatorScope.namespaces([...])',
      `operator ${fleet.operator.name} is cluster-scoped: its ClusterRole already covers ${namespace}, so add no Role; render these deployments with OperatorScope.namespaces([...]) instead, or in the fleet's release`);
    check(watched.includes(namespace), 'namespace', namespace, `a namespace operator ${fleet.operator.name} watches (${watched.join(', ')})`,
      `add ${namespace} to operator.scope OperatorScope.namespaces([...]), or nothing reconciles its deployments`);
    super(release, id);
    this.release = release;
    this.namespace = namespace;
    const name = fleet.operator.name;
    const labels = { ...fleet.operator.selector, 'app.kubernetes.io/part-of': 'iot-platform', 'app.kubernetes.io/managed-by': MANAGED_BY };
    this.role = new k8s.KubeRole(this, 'Role', { metadata: { name, labels }, rules: IOT_OPERATOR_RULES.map((r) => ({ ...r })) });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'RoleBinding', {
      // The ServiceAccount is the fleet release's (a dependency this release syncs after).
      metadata: { name, labels, annotations: externalRefsAnnotation([{ kind: 'ServiceAccount', name, namespace: fleetNamespace }]) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: fleetNamespace }],
    });
    release.addNote(`IoT fleet ${fleet.name}: namespace ${namespace} holds fleet deployments; operator ${name} (namespace ${fleetNamespace}) watches it through Role and RoleBinding ${name} here; ServiceAccount ${name} is release ${Release.of(fleet).releaseName}'s, which syncs first.`);
  }

  /** Adds a fleet deployment in this namespace (as `IotFleet.addDeployment`, names unique across the fleet). */
  public addDeployment(name: string, options: FleetDeploymentOptions): FleetDeployment {
    return this.fleet.addDeploymentIn(this, this.release, name, options);
  }
}
