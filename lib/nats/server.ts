import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { claimTemplate } from '../core/claims';
import { checksumAnnotations } from '../core/checksum';
import { buildContainer } from '../core/container';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder, EnvSource } from '../core/env';
import { check, ErrorCollector, inConstruct } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { Placement, ResolvedPlacement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { externalRefsAnnotation, policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { quantityOf, renderResources, Resources, sized } from '../core/resources';
import { SecretCommands, SecretKey, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { WAIT_RESOURCES } from '../core/waits';
import { ClientBinding, Connection, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { NatsAuth, NatsTls, authConfigScript } from './auth';
import { connectNats, INats } from './client';
import { NATS_CLIENT_PORT, NATS_CLUSTER_PORT, NATS_MONITOR_PORT, NatsConfig, NatsTlsSettings } from './config';
import { NatsExposure, NatsPersistence } from './exposure';
import { assertBucketName, formatBytes, NatsKvBucket, NatsKvBucketSettings, NatsKvStorage, resolveKvSettings } from './kv';
import { NATS_BOX_IMAGE, NatsKvBucketJob, NatsKvJobOptions } from './kv-job';
import { assertInt, syncWave } from '../core/validate';

/**
 * The NATS image used unless `image` says otherwise: the official image, 2.10 line, Alpine variant, pinned. Tag
 * choice: NATS server 2.10.22 (October 2024) on Docker Hub's official `nats`, which publishes `<version>-alpine`.
 */
export const NATS_IMAGE = 'nats:2.10.22-alpine';

/** Longest server name: the StatefulSet's pods carry `controller-revision-hash: <name>-<10 chars>`, a 63-char label. */
export const NATS_MAX_NAME = 52;

/** Where the config file is mounted. */
const CONFIG_DIR = '/etc/nats';
const CONFIG_FILE = 'nats.conf';
/** Where the JetStream store volume is mounted (NATS writes `<dir>/jetstream`). */
const STORE_DIR = '/data';
/** uid/gid the server runs as: the official image has no non-root user, so we pick one and own the volume with it. */
const NATS_UID = 1000;
/** Where the init container writes the `authorization` block (memory-backed). */
const RUNTIME_DIR = '/run/nats';
const AUTH_FILE = 'auth.conf';
/** Where the TLS Secret is mounted in the server. */
const TLS_DIR = '/etc/nats-tls';

/** The env names a client reads. */
export interface NatsEnvNames {
  /**
   * The client URL (`nats://` or, with TLS, `tls://`), without credentials.
   * @default 'NATS_URL'
   */
  readonly url?: string;
  /**
   * The number of servers (1, or the cluster size), for clients that choose stream replicas. `false` leaves it out.
   * @default 'NATS_REPLICAS'
   */
  readonly replicas?: string | false;
  /**
   * The token (token auth), as a Secret key reference.
   * @default 'NATS_TOKEN'
   */
  readonly token?: string;
  /**
   * The user name (users auth).
   * @default 'NATS_USER'
   */
  readonly user?: string;
  /**
   * The password (users auth), as a Secret key reference.
   * @default 'NATS_PASSWORD'
   */
  readonly password?: string;
  /**
   * The nkey seed (nkeys auth), as a Secret key reference.
   * @default 'NATS_NKEY_SEED'
   */
  readonly nkeySeed?: string;
  /**
   * The path of the CA bundle (TLS with a CA).
   * @default 'NATS_CA_FILE'
   */
  readonly caFile?: string;
}

/**
 * How a client container is wired to NATS, in the form `connect` took before it grew `NatsConnectOptions`: the URL
 * under one env name, nothing else (no NATS_REPLICAS, no wait). Credentials of an authenticating server are still
 * set, under their default names.
 */
export interface NatsClientOptions {
  /**
   * Env variable that receives the client URL (`nats://<service>.<namespace>.svc:4222`, resolvable from any
   * namespace), owned by the connection.
   */
  readonly urlEnv: string;
  /**
   * What the client uses NATS for (the graph's purpose).
   * @default 'messaging'
   */
  readonly purpose?: string;
}

/** How one client connects to a NatsServer. */
export interface NatsConnectOptions {
  /**
   * The env names the client reads.
   * @default - NATS_URL, NATS_REPLICAS and the credential variables of the auth kind
   */
  readonly env?: NatsEnvNames;
  /**
   * Which user the client is (users auth).
   * @default - the only user (required when there are several)
   */
  readonly user?: string;
  /**
   * The Secret key holding the client's nkey seed (nkeys auth; required there).
   * @default - none
   */
  readonly nkeySeed?: SecretKey;
  /**
   * Add the init-container wait (a TCP connection to the client Service), so the client starts once a server is ready.
   * @default true
   */
  readonly wait?: boolean;
  /**
   * The form of the host name in the URL.
   * @default HostForm.NAMESPACED
   */
  readonly hostForm?: HostForm;
  /**
   * What the connection is for (reports, notes).
   * @default 'messaging'
   */
  readonly purpose?: string;
  /**
   * For a client that reads its credentials only inside its URL (`nats://<user>:<password>@<host>:4222`): the URL
   * env variable comes from this key of an operator-created Secret, which holds the whole URL with the credentials,
   * and no separate credential variable is set. Only with token or users authentication (a URL cannot carry an nkey
   * signature); the URL stays out of the manifests, as every credential does.
   * @default - the URL without credentials, and the credentials in their own variables
   */
  readonly urlSecret?: SecretKey;
}

/** JetStream limits; defaults are derived from the container's memory limit and the store volume's size. */
export interface NatsJetStreamLimits {
  /**
   * Memory-backed streams at most this big. Must be below the container's memory limit.
   * @default - a quarter of the memory limit
   */
  readonly maxMemoryStore?: Size;
  /**
   * File-backed streams at most this big. Must fit the store volume.
   * @default - 90% of the store volume (claim size or emptyDir limit)
   */
  readonly maxFileStore?: Size;
}

/** Props of NatsServer. */
export interface NatsServerProps {
  /**
   * Name of the StatefulSet, Services and ConfigMap (the Service name is the host clients use).
   * @default - `<release name>-nats`
   */
  readonly name?: string;
  /**
   * Server image, pinned (tag or digest) and redirected like every image in the release.
   * @default NATS_IMAGE (`nats:2.10.22-alpine`)
   */
  readonly image?: string;
  /**
   * How clients reach the client port.
   * @default NatsExposure.clusterIp()
   */
  readonly exposure?: NatsExposure;
  /**
   * Run JetStream (streams, KV buckets, object store).
   * @default true
   */
  readonly jetstream?: boolean;
  /**
   * JetStream store limits.
   * @default - derived from resources and persistence
   */
  readonly jetstreamLimits?: NatsJetStreamLimits;
  /**
   * Where the JetStream store lives.
   * @default NatsPersistence.ephemeral() (an emptyDir of 1 GiB)
   */
  readonly persistence?: NatsPersistence;
  /**
   * Requests and limits of the server container.
   * @default - cpu 100m/1000m, memory 256Mi/512Mi
   */
  readonly resources?: Resources;
  /**
   * Largest message payload.
   * @default 1 MiB
   */
  readonly maxPayload?: Size;
  /**
   * Node selection for the server pod.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Argo CD sync wave of every object of the server (`argocd.argoproj.io/sync-wave`). Argo CD applies a wave and waits
   * until it is healthy (the StatefulSet ready, a LoadBalancer Service with an address) before the next, so a lower
   * wave than the server's clients makes them start against a running server.
   * @default - no annotation (wave 0)
   */
  readonly syncWave?: number;
  /**
   * Run a cluster of servers instead of one: routes on 6222 between the pods of the StatefulSet (through its headless
   * Service), JetStream replicating streams and KV buckets across them.
   * @default - a single server
   */
  readonly cluster?: NatsClusterOptions;
  /**
   * How clients authenticate. Token and user passwords come from operator-created Secrets (an init container writes
   * them into a memory-backed file the config includes, so the image must have a shell: the Alpine variant does).
   * @default NatsAuth.none()
   */
  readonly auth?: NatsAuth;
  /**
   * TLS on the client port (and on the routes of a cluster) from a Secret.
   * @default - none
   */
  readonly tls?: NatsTls;
  /**
   * How the Job that creates the KV buckets declared with settings (`addKeyValueBucket(name, description, settings)`)
   * connects and runs. The Job is rendered with the first such bucket.
   * @default - NATS_BOX_IMAGE, connecting as any other client (the only user of users auth)
   */
  readonly kvJob?: NatsKvJobOptions;
}

/** Clustering of a NatsServer. */
export interface NatsClusterOptions {
  /**
   * The number of servers: odd and at least 3, so JetStream's Raft groups keep a majority when one server is down.
   * Streams and KV buckets are replicated on up to this many servers (clients choose per stream; `NATS_REPLICAS`
   * tells them the cluster size).
   */
  readonly replicas: number;
  /**
   * `cluster.name`.
   * @default - the server name
   */
  readonly name?: string;
}

function bytesOf(s: Size): number {
  return Math.round(s.toKibibytes() * 1024);
}

function mebibytes(s: Size): number {
  return s.toKibibytes() / 1024;
}


/**
 * A NATS server with JetStream: the building block other constructs configure (the IoT fleet's message bus,
 * semantic-explorer's work queues). One server, or a cluster of three or more (`cluster`), in a StatefulSet with a
 * generated config file whose checksum rolls the pods, probes on the monitoring port, and a Service exposed as
 * ClusterIP, NodePort or LoadBalancer. Clients are wired with `connect`, which sets NATS_URL (and the credentials of the
 * auth kind as Secret key references).
 *
 * A StatefulSet rather than a Deployment because the JetStream store must never be opened by two servers at once: a
 * StatefulSet replaces its pod (old one gone before the new one starts) and gives each pod its own claim from a
 * template, where a Deployment's rolling update would start a second server on the same volume.
 */
export class NatsServer extends WorkloadConstruct implements INats {
  /** The server name (StatefulSet, ConfigMap, client Service). */
  public readonly name: string;
  /** The client port. */
  public readonly clientPort = NATS_CLIENT_PORT;
  /** The monitoring port. */
  public readonly monitorPort = NATS_MONITOR_PORT;
  /** Whether JetStream runs. */
  public readonly jetstream: boolean;
  /** The typed configuration the ConfigMap holds. */
  public readonly config: NatsConfig;
  /** The rendered config file. */
  public readonly configText: string;
  /** How the client port is reachable. */
  public readonly exposure: NatsExposure;
  /** Where the JetStream store lives. */
  public readonly persistence: NatsPersistence;
  /** The number of servers (1 without `cluster`). */
  public readonly replicas: number;
  /** How clients authenticate. */
  public readonly auth: NatsAuth;
  /** TLS, when on. */
  public readonly tls?: NatsTls;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The client Service (port `client`). */
  public readonly endpoint: ServiceEndpoint;
  /** The headless Service (ports `client`, `monitor`, and `cluster` in a cluster). */
  public readonly headlessEndpoint: ServiceEndpoint;
  /** The config ConfigMap. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The headless governing Service (construct id `Headless`). */
  public readonly headlessService: k8s.KubeService;
  /** The PodDisruptionBudget of a cluster (at most one server down at a time). */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  private readonly _buckets = new Map<string, NatsKvBucket>();
  private readonly kvJobOptions: NatsKvJobOptions;
  private readonly waveAnnotations: Record<string, string>;
  private kvJob?: NatsKvBucketJob;
  private readonly syncWave?: string;

  /** The URL scheme clients dial (`tls` with TLS). */
  public get scheme(): 'nats' | 'tls' {
    return this.tls ? 'tls' : 'nats';
  }

  /** The CA bundle clients verify a TLS server against, when the TLS Secret carries one. */
  public get ca(): SecretKey | undefined {
    return this.tls?.caKey ? { name: this.tls.secretName, key: this.tls.caKey } : undefined;
  }

  constructor(scope: Construct, id: string, props: NatsServerProps = {}) {
    super(scope, id);
    const release = Release.of(this);
    const namespace = release.releaseNamespace;
    // Every prop check runs before anything is built, and all their errors are reported together.
    const errors = new ErrorCollector(this);
    this.name = props.name !== undefined
      ? errors.attempt(() => assertDnsLabel('name', props.name!, NATS_MAX_NAME), 'invalid')
      : deriveName([release.releaseName, 'nats'], { maxLength: NATS_MAX_NAME });
    this.exposure = props.exposure ?? NatsExposure.clusterIp();
    this.persistence = props.persistence ?? NatsPersistence.ephemeral();
    this.jetstream = props.jetstream ?? true;
    this.auth = props.auth ?? NatsAuth.none();
    errors.check(this.auth instanceof NatsAuth, 'auth', props.auth, 'NatsAuth.none(), token(...), users([...]) or nkeys([...])');
    if (props.tls !== undefined) errors.check(props.tls instanceof NatsTls, 'tls', props.tls, 'NatsTls.fromSecret({ secretName })');
    this.tls = props.tls;
    this.replicas = errors.attempt(() => this.clusterReplicas(props.cluster), 1);
    const resources = props.resources ?? sized(100, 1000, 256, 512);
    errors.attempt(() => renderResources('resources', resources));
    const memoryLimitMi = mebibytes(resources.memory.limit);

    const imageRef = props.image ?? NATS_IMAGE;
    const resolved = errors.attempt(() => Images.of(this).resolve('image', imageRef));
    const image = resolved ?? imageRef;
    const version = resolved !== undefined ? ImageRef.parse(imageRef, 'image').tag : undefined;
    const jetstream = errors.attempt(() => this.jetstreamSettings(props, memoryLimitMi));
    const extra = errors.attempt(() => assertLabels('labels', props.labels ?? {}), {});
    const waveValue = props.syncWave !== undefined ? errors.attempt(() => syncWave('syncWave', props.syncWave!)) : undefined;
    const placement = errors.attempt(() => Placement.of(this).forWorkload(props.placement, 'placement'));
    errors.throwIfAny();

    const identity = { name: 'nats', instance: release.releaseName, component: this.name };
    this.selector = selectorLabels(identity);
    const selector = { ...this.selector };
    // The tag doubles as the version label when it is a valid label value (a digest-only reference has none).
    const versionLabel = version && version.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(version) ? version : undefined;
    const labels = { ...extra, ...standardLabels({ ...identity, version: versionLabel }) };

    const wave: Record<string, string> = waveValue !== undefined ? { 'argocd.argoproj.io/sync-wave': waveValue } : {};
    this.waveAnnotations = wave;
    this.syncWave = waveValue;
    this.kvJobOptions = props.kvJob ?? {};
    const annotations = (a: Record<string, string>): Record<string, string> | undefined =>
      Object.keys({ ...a, ...wave }).length ? { ...a, ...wave } : undefined;

    // The cluster's routes name the pods under the headless Service, which is rendered after the StatefulSet (object
    // order is part of the output); its endpoint is the same spec either way.
    const headlessName = ServiceEndpoint.forService(this, { name: `${this.name}-headless`, ports: this.headlessPorts(), pods: this, headless: true });

    this.config = inConstruct(this, () => new NatsConfig({
      serverName: this.name,
      serverNameEnv: props.cluster ? 'POD_NAME' : undefined,
      jetstream,
      maxPayload: props.maxPayload,
      tls: this.tls ? this.tlsSettings(false) : undefined,
      cluster: props.cluster ? {
        name: props.cluster.name ?? this.name,
        routes: Array.from({ length: this.replicas }, (_, i) => headlessName.podUrl(`${this.name}-${i}`, 'nats', 'cluster')),
        tls: this.tls ? this.tlsSettings(true) : undefined,
      } : undefined,
      nkeyUsers: this.auth.kind === 'nkeys' ? this.auth.nkeys : undefined,
      // NATS resolves an include against the config file's directory, even a path that starts with '/'.
      include: this.auth.secretEnv.length ? `../..${RUNTIME_DIR}/${AUTH_FILE}` : undefined,
    }));
    this.configText = this.config.render();

    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: this.name, labels, annotations: annotations({}) },
      data: { [CONFIG_FILE]: this.configText },
    });

    this.statefulSet = this.renderStatefulSet(image, resources, memoryLimitMi, labels, selector, annotations, placement!);
    const services = this.renderServices(labels, annotations);
    this.endpoint = services.endpoint;
    this.headlessEndpoint = services.headlessEndpoint;
    this.service = services.service;
    this.headlessService = services.headlessService;
    if (props.cluster) {
      // Every server dials every other on the routes port: an edge of the graph like any client's.
      Wiring.of(this).connect(this, this.headlessEndpoint, 'cluster', { purpose: 'cluster routes' });
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'Disruption', {
        metadata: { name: this.name, labels, annotations: annotations({}) },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
      });
    }

    const unauthenticated = this.unauthenticatedExposureWarning();
    if (unauthenticated) {
      // An open load balancer is fixed in the app: restrict it to the clients' networks.
      const fix = this.exposure.serviceType === 'LoadBalancer' && this.exposure.openToAllSourcesReason !== undefined
        ? { scope: this, prop: 'exposure', value: `NatsExposure.loadBalancer({ reason: ${JSON.stringify(this.exposure.reason ?? 'clients outside the cluster')}, sourceRanges: ['10.0.0.0/8'] })` }
        : undefined;
      release.addWarning(unauthenticated, fix);
    }
    release.addNote(
      `NATS ${this.name}: in-cluster clients connect to ${this.endpoint.url(this.tls ? 'tls' : 'nats', 'client', { form: HostForm.NAMESPACED })}` +
        (this.replicas > 1 ? ` (a cluster of ${this.replicas} servers; clients set stream replicas up to ${this.replicas})` : '') +
        (this.exposure.serviceType === 'NodePort' ? `; off-cluster clients to nats://<node address>:${this.exposure.nodePort}` : '') +
        (this.exposure.serviceType === 'LoadBalancer' ? `; off-cluster clients to nats://<load balancer address>:${NATS_CLIENT_PORT}` : '') +
        `. JetStream is ${this.jetstream ? `on, store ${this.persistence.persistent ? 'on a PersistentVolumeClaim' : 'in an emptyDir (lost when the pod is deleted)'}` : 'off'}.`,
    );
    const more = this.securityNotes(namespace);
    if (more) release.addNote(more);
    release.addLazyNote(() => this.bucketNote());
  }

  /** The note on the buckets the Job creates: their limits, and what clients must do. */
  private bucketNote(): string {
    const declared = this.buckets.filter((b) => b.limits);
    if (!this.kvJob || !declared.length) return '';
    const list = declared.map((b) => {
      const l = b.limits!;
      return `${b.name} (history ${l.history}, TTL ${l.ttl}, values up to ${formatBytes(l.maxValueBytes)}, bucket up to ${formatBytes(l.maxBucketBytes)}, ` +
        `${l.replicas} replica${l.replicas > 1 ? 's' : ''}, ${l.storage} storage)`;
    });
    return `NATS ${this.name}: Job ${this.kvJob.jobName()} creates the KV buckets ${list.join('; ')} once the server accepts connections, ` +
      'and brings a bucket that exists with other settings to these (a storage type change fails the Job with JetStream\'s answer; nothing is deleted). ' +
      'Re-syncing the same settings changes nothing; changed settings render a new Job. Clients must open these buckets, not create them: ' +
      'a client that creates one with its own settings gets "stream name already in use with a different configuration". ' +
      (this.syncWave !== undefined ? `Argo CD runs the Job in the server's sync wave (${this.syncWave}), so clients in later waves start once the buckets exist; ` +
        'applied another way (kubectl apply), a client may start first and must retry until they do.' : 'A client that starts before the Job has run must retry until the buckets exist.');
  }

  /**
   * Wires `client` to the server: the graph edge to the client port, NATS_URL from the connection (`tls://` with TLS),
   * NATS_REPLICAS, the credentials of the auth kind as Secret key references (never inside the URL), the CA bundle
   * mount for TLS, the TCP wait, and the external references to the Secrets. Returns the connection.
   */
  public connect(client: ClientBinding, options?: NatsConnectOptions): Connection;
  /** Wires `client` in the earlier form: the URL under `options.urlEnv` only (no NATS_REPLICAS, no wait). */
  public connect(client: ClientBinding, options: NatsClientOptions): Connection;
  /** The implementation of both forms. */
  public connect(client: ClientBinding, options: NatsConnectOptions | NatsClientOptions = {}): Connection {
    const o: NatsConnectOptions = 'urlEnv' in options
      ? { env: { url: options.urlEnv, replicas: false }, wait: false, purpose: options.purpose }
      : options;
    return inConstruct(this, () => connectNats(this, client, o, this.name, `NATS server ${this.name}`));
  }

  private clusterReplicas(cluster: NatsClusterOptions | undefined): number {
    if (!cluster) return 1;
    const n = cluster.replicas;
    assertInt('cluster.replicas', n, { min: 1, max: 9 }, 'an odd number from 3 to 9');
    check(n >= 3 && n % 2 === 1, 'cluster.replicas', n, 'an odd number from 3 to 9',
      'JetStream replicates with Raft: an even count tolerates no more failures than the odd one below it');
    // The config reads server_name from the pod name, and NATS parses an environment value as config syntax.
    check(/^[a-z]/.test(this.name), 'name', this.name, 'a name starting with a letter in a cluster', "each server's name comes from its pod name through the environment, which NATS parses as a config value");
    check(this.jetstream, 'jetstream', false, 'true in a cluster', 'a cluster without JetStream has no state to replicate; run single servers behind one Service instead');
    return n;
  }

  private jetstreamSettings(props: NatsServerProps, memoryLimitMi: number): ConstructorParameters<typeof NatsConfig>[0]['jetstream'] {
    if (!this.jetstream) {
      check(!props.jetstreamLimits, 'jetstreamLimits', props.jetstreamLimits, 'no limits when jetstream is false', 'JetStream is off, so the limits would have no effect');
      return undefined;
    }
    const volumeMi = mebibytes(this.persistence.size);
    const maxMemoryStore = props.jetstreamLimits?.maxMemoryStore ?? Size.mebibytes(Math.max(1, Math.floor(memoryLimitMi / 4)));
    const maxFileStore = props.jetstreamLimits?.maxFileStore ?? Size.mebibytes(Math.max(1, Math.floor(volumeMi * 0.9)));
    check(
      mebibytes(maxMemoryStore) < memoryLimitMi,
      'jetstreamLimits.maxMemoryStore',
      `${mebibytes(maxMemoryStore)}Mi`,
      `less than the memory limit (${memoryLimitMi}Mi)`,
      'memory streams at this size would get the server OOM-killed',
    );
    check(
      mebibytes(maxFileStore) <= volumeMi,
      'jetstreamLimits.maxFileStore',
      `${mebibytes(maxFileStore)}Mi`,
      `at most the store volume's size (${volumeMi}Mi)`,
      'the server would accept writes the volume cannot hold',
    );
    return { storeDir: STORE_DIR, maxMemoryStore, maxFileStore };
  }

  private tlsSettings(routes: boolean): NatsTlsSettings {
    const t = this.tls!;
    if (routes) check(t.caKey !== undefined, 'tls.caKey', false, "the CA's key in the Secret", 'the servers of a cluster verify each other against the CA');
    return {
      certFile: `${TLS_DIR}/tls.crt`,
      keyFile: `${TLS_DIR}/tls.key`,
      caFile: t.caKey ? `${TLS_DIR}/ca.crt` : undefined,
      // Routes are mutual: each server presents the certificate and verifies its peer's.
      verify: routes ? true : undefined,
    };
  }

  private renderServices(labels: Record<string, string>, annotations: (a: Record<string, string>) => Record<string, string> | undefined) {
    const lbExceptions = this.exposure.serviceType === 'LoadBalancer'
      ? [{ rule: 'load-balancer', reason: this.exposure.reason! }]
      : this.exposure.serviceType === 'NodePort' ? [{ rule: 'node-port', reason: this.exposure.reason! }] : [];
    if (this.exposure.openToAllSourcesReason !== undefined) {
      lbExceptions.push({ rule: 'load-balancer', reason: `open to every source address: ${this.exposure.openToAllSourcesReason}` });
    }
    const lbAnnotations = this.exposure.serviceType !== 'ClusterIP' ? { ...this.exposure.annotations, ...policyExceptionAnnotations(lbExceptions) } : {};
    const main = buildService(this, 'Service', {
      name: this.name,
      labels,
      annotations: annotations(lbAnnotations),
      pods: this,
      type: this.exposure.serviceType,
      loadBalancerSourceRanges: this.exposure.serviceType === 'LoadBalancer' ? this.exposure.sourceRanges : undefined,
      externalClients: this.exposure.clients,
      ports: [{ name: 'client', port: NATS_CLIENT_PORT, nodePort: this.exposure.nodePort }],
    });
    const headless = buildService(this, 'Headless', {
      name: `${this.name}-headless`,
      labels,
      annotations: annotations({}),
      pods: this,
      headless: true,
      // The governing Service must resolve the pod before it is ready, or a server stuck in JetStream recovery
      // cannot even be reached by name for debugging (and the servers of a cluster could not find each other).
      publishNotReadyAddresses: true,
      ports: this.headlessPorts(),
    });
    return { endpoint: main.endpoint, headlessEndpoint: headless.endpoint, service: main.service, headlessService: headless.service };
  }

  /** The headless Service's ports: client and monitoring, and the routes port in a cluster. */
  private headlessPorts(): Array<{ name: string; port: number }> {
    return [
      { name: 'client', port: NATS_CLIENT_PORT },
      { name: 'monitor', port: NATS_MONITOR_PORT },
      ...(this.replicas > 1 ? [{ name: 'cluster', port: NATS_CLUSTER_PORT }] : []),
    ];
  }

  private renderStatefulSet(
    image: string,
    resources: Resources,
    memoryLimitMi: number,
    labels: Record<string, string>,
    selector: Record<string, string>,
    annotations: (a: Record<string, string>) => Record<string, string> | undefined,
    placement: ResolvedPlacement,
  ): k8s.KubeStatefulSet {
    const clustered = this.replicas > 1;
    const security = SecurityProfile.restricted({ runAsUser: NATS_UID, runAsGroup: NATS_UID, fsGroup: NATS_UID, readOnlyRootFilesystem: true });
    // GOMEMLIMIT lets the Go runtime collect garbage before the cgroup limit OOM-kills the server.
    const env = new EnvBuilder('NatsServer container nats').own('GOMEMLIMIT', `${Math.floor(memoryLimitMi * 0.9)}MiB`);
    if (clustered) env.own('POD_NAME', EnvSource.field('metadata.name'));
    const mounts: k8s.VolumeMount[] = [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }];
    if (this.jetstream) mounts.push({ name: 'data', mountPath: STORE_DIR });
    const volumes: k8s.Volume[] = [{ name: 'config', configMap: { name: this.name, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } }];
    const initContainers: k8s.Container[] = [];
    const refs: Array<{ kind: 'Secret'; name: string }> = [];
    let authScript: string | undefined;
    if (this.auth.secretEnv.length) {
      authScript = authConfigScript(this.auth, `${RUNTIME_DIR}/${AUTH_FILE}`);
      const initEnv = new EnvBuilder('NatsServer container auth');
      for (const [name, key] of this.auth.secretEnv) {
        initEnv.own(name, secretKeyEnv(key));
        refs.push({ kind: 'Secret', name: key.name });
      }
      initContainers.push(buildContainer('', {
        name: 'auth', image, command: ['sh', '-c', authScript], env: initEnv, resources: WAIT_RESOURCES,
        volumeMounts: [{ name: 'runtime', mountPath: RUNTIME_DIR }],
      }, security));
      // Memory-backed: the credentials never touch the node's disk.
      volumes.push({ name: 'runtime', emptyDir: { medium: 'Memory', sizeLimit: quantityOf(Size.mebibytes(1)) } });
      mounts.push({ name: 'runtime', mountPath: RUNTIME_DIR, readOnly: true });
    }
    if (this.tls) {
      const items = [{ key: this.tls.certKey, path: 'tls.crt' }, { key: this.tls.keyKey, path: 'tls.key' }];
      if (this.tls.caKey) items.push({ key: this.tls.caKey, path: 'ca.crt' });
      volumes.push({ name: 'tls', secret: { secretName: this.tls.secretName, items } });
      mounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
      refs.push({ kind: 'Secret', name: this.tls.secretName });
    }
    const ports = [
      { name: 'client', port: NATS_CLIENT_PORT },
      { name: 'monitor', port: NATS_MONITOR_PORT },
      ...(clustered ? [{ name: 'cluster', port: NATS_CLUSTER_PORT }] : []),
    ];
    const container = buildContainer(
      '',
      {
        name: 'nats',
        image,
        command: ['nats-server'],
        args: ['--config', `${CONFIG_DIR}/${CONFIG_FILE}`],
        ports,
        env,
        resources,
        // /healthz answers 200 once the server (and JetStream, when on) is ready; a slow JetStream recovery of a large
        // store is covered by the startup probe's budget rather than by a long liveness delay.
        startup: Probes.http('/healthz', 'monitor', { period: Duration.seconds(2), failureThreshold: 90 }),
        liveness: Probes.http(this.jetstream ? '/healthz?js-enabled-only=true' : '/healthz', 'monitor', { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
        readiness: Probes.http('/healthz', 'monitor', { period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 3 }),
        volumeMounts: mounts,
      },
      security,
    );

    let claimTemplates: k8s.KubePersistentVolumeClaimProps[] | undefined;
    if (this.jetstream) {
      if (this.persistence.persistent) {
        // The keep-state annotations are copied onto each claim, so Argo CD never prunes or deletes a JetStream store.
        claimTemplates = [claimTemplate('data', { size: this.persistence.size, storageClassName: this.persistence.storageClassName }, selector)];
      } else {
        volumes.push({ name: 'data', emptyDir: { sizeLimit: quantityOf(this.persistence.size) } });
      }
    }

    const podSpec = buildPodSpec(this, '', {
      containers: [container],
      initContainers,
      volumes,
      security,
      placement,
      claimTemplateNames: claimTemplates ? ['data'] : undefined,
      terminationGracePeriod: Duration.seconds(60),
      // Spread the servers of a cluster over nodes, so one node going down takes one server, not the majority.
      topologySpreadConstraints: clustered
        ? [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } }]
        : undefined,
    });

    return new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: {
        name: this.name,
        labels,
        annotations: annotations({ ...policyExceptionAnnotations(security.exceptions), ...externalRefsAnnotation(refs) }),
      },
      spec: {
        replicas: this.replicas,
        serviceName: `${this.name}-headless`,
        selector: { matchLabels: selector },
        // The servers of a cluster start together: none is ready before the cluster has a JetStream leader.
        podManagementPolicy: clustered ? 'Parallel' : 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels, annotations: checksumAnnotations(...(authScript ? [this.configText, authScript] : [this.configText])) },
          spec: podSpec,
        },
        volumeClaimTemplates: claimTemplates,
      },
    });
  }

  /** Notes for authentication and TLS: the Secrets to create and the names the certificate must carry. */
  private securityNotes(namespace: string): string | undefined {
    const parts: string[] = [];
    if (this.auth.secretEnv.length) {
      const commands = new SecretCommands();
      for (const [, key] of this.auth.secretEnv) commands.literal(key, '"$(openssl rand -hex 32)"');
      parts.push(`NATS ${this.name} authenticates clients (${this.auth.kind}). Before the first sync, create:\n${commands.render(namespace).map((l) => `  ${l}`).join('\n')}\n` +
        'The servers read the Secrets at start: after changing one, restart the servers, then the clients.');
    }
    if (this.auth.kind === 'nkeys') parts.push(`NATS ${this.name} authenticates clients by nkey (${this.auth.nkeys.length} public key(s) in the config); each client's seed is in its own Secret.`);
    if (this.tls) {
      const sans = [this.endpoint.host(HostForm.NAMESPACED), this.endpoint.fqdn()];
      if (this.replicas > 1) sans.push(`*.${this.headlessEndpoint.fqdn()}`);
      parts.push(`NATS ${this.name} serves TLS from Secret ${this.tls.secretName}; its certificate must name ${sans.join(', ')}` +
        (this.exposure.external ? ' and the address off-cluster clients use' : '') + '.');
    }
    return parts.length ? parts.join('\n\n') : undefined;
  }

  /** The warning an externally reachable server gets: who can reach the unauthenticated client port, and how. */
  private unauthenticatedExposureWarning(): string | undefined {
    if (this.auth.kind !== 'none') return undefined;
    const e = this.exposure;
    const risk = 'without client authentication: whoever reaches the port can read and write every subject and KV bucket.';
    if (e.serviceType === 'NodePort') {
      if (e.openToAllSourcesReason !== undefined) {
        return `NATS server ${this.name} is reachable on port ${e.nodePort} of every node (NodePort) from every source address (acknowledged: ` +
          `${e.openToAllSourcesReason}) ${risk} Restrict it to the clients' networks (sourceRanges) until client authentication is configured.`;
      }
      return `NATS server ${this.name} is reachable on port ${e.nodePort} of every node (NodePort); its NetworkPolicy admits only ${e.sourceRanges!.join(', ')} ` +
        `(and the nodes' addresses, from which kube-proxy forwards), still ${risk} A NodePort Service has no source ranges of its own, so on a cluster ` +
        'whose CNI does not enforce NetworkPolicy a firewall in front of the nodes is the only filter.';
    }
    if (e.serviceType !== 'LoadBalancer') return undefined;
    if (e.openToAllSourcesReason !== undefined) {
      return `NATS server ${this.name} is published by a LoadBalancer open to every source address (acknowledged: ${e.openToAllSourcesReason}) ${risk} ` +
        'Restrict it to the clients\' networks, or put a firewall in front of the load balancer, until client authentication is configured.';
    }
    return `NATS server ${this.name} is published by a LoadBalancer that admits only ${e.sourceRanges!.join(', ')} (loadBalancerSourceRanges), still ${risk} ` +
      'Every host in those ranges is trusted; the cloud load balancer or kube-proxy enforces the ranges, so check that your load-balancer implementation honours loadBalancerSourceRanges.';
  }

  /**
   * Declares a JetStream KV bucket clients of this server use. The name is validated and must be unique on the server.
   * With `settings`, the bucket is created by the server's bucket Job with exactly those limits (history, TTL, value
   * and bucket size, replicas, storage), and an existing bucket is brought to them; the buckets' sizes must fit the
   * JetStream store together. Without, the first client that opens the bucket creates it with its own defaults.
   */
  public addKeyValueBucket(name: string, description: string, settings?: NatsKvBucketSettings): NatsKvBucket {
    return inConstruct(this, () => {
      check(this.jetstream, 'jetstream', false, 'true when KV buckets are used', `bucket ${JSON.stringify(name)} needs JetStream`);
      assertBucketName(`buckets.${name}`, name);
      check(!this._buckets.has(name), `buckets.${name}`, name, 'a bucket name not declared twice on one server');
      check(typeof description === 'string' && description.trim().length > 0 && description.length <= 1024, `buckets.${name}.description`, description, 'a non-empty description of at most 1024 characters');
      const limits = settings !== undefined
        ? resolveKvSettings(`buckets.${name}`, settings, { replicas: this.replicas, maxPayloadBytes: bytesOf(this.config.maxPayload) })
        : undefined;
      if (limits) this.checkStore(name, limits.storage, limits.maxBucketBytes);
      const bucket: NatsKvBucket = { name, description, limits };
      this._buckets.set(name, bucket);
      if (limits && !this.kvJob) this.kvJob = new NatsKvBucketJob(this, 'KvJob', this.kvJobOptions, this.waveAnnotations);
      return bucket;
    });
  }

  /** The buckets of one storage type must fit that store together: JetStream reserves each bucket's size at creation. */
  private checkStore(name: string, storage: NatsKvStorage, size: number): void {
    const js = this.config.jetstream!;
    const store = bytesOf(storage === NatsKvStorage.MEMORY ? js.maxMemoryStore : js.maxFileStore);
    const others = [...this._buckets.values()].filter((b) => b.limits?.storage === storage);
    const used = others.reduce((n, b) => n + b.limits!.maxBucketBytes, 0);
    const what = storage === NatsKvStorage.MEMORY ? 'jetstreamLimits.maxMemoryStore' : 'jetstreamLimits.maxFileStore (or a bigger persistence size)';
    check(used + size <= store, `buckets.${name}.maxBucketSize`, formatBytes(size),
      `at most ${formatBytes(Math.max(0, store - used))}: the ${storage} store holds ${formatBytes(store)}` + (others.length ? `, of which ${others.map((b) => `${b.name} reserves ${formatBytes(b.limits!.maxBucketBytes)}`).join(', ')}` : ''),
      `JetStream reserves each bucket's size when it creates it and refuses a bucket that does not fit ("insufficient storage resources"); raise ${what}`);
  }

  /** The image (resolved) of the bucket Job and of the clients' bucket waits: `kvJob.image` or NATS_BOX_IMAGE. */
  public get kvToolImage(): string {
    return Images.of(this).resolve('kvJob.image', this.kvJobOptions.image ?? NATS_BOX_IMAGE);
  }

  /** The bucket Job, once a bucket is declared with settings. */
  public get kvBucketJob(): k8s.KubeJob | undefined {
    return this.kvJob?.job;
  }

  /** The bucket Job's script ConfigMap, once a bucket is declared with settings. */
  public get kvBucketScript(): k8s.KubeConfigMap | undefined {
    return this.kvJob?.configMap;
  }

  /** The bucket Job's name (it changes with the buckets' settings), once a bucket is declared with settings. */
  public get kvBucketJobName(): string | undefined {
    return this.kvJob?.jobName();
  }

  /** The declared KV buckets, in declaration order. */
  public get buckets(): readonly NatsKvBucket[] {
    return [...this._buckets.values()];
  }
}
