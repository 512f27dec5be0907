import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { buildService } from '../core/service';
import { ClientBinding, Connection } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { checksumAnnotations } from '../core/checksum';
import { buildContainer } from '../core/container';
import { EnvBuilder } from '../core/env';
import { check, ErrorCollector, inConstruct } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { keepStateAnnotations } from '../core/retention';
import { quantityOf, renderResources, Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { Release } from '../release/release';
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT, NatsConfig } from './config';
import { NatsExposure, NatsPersistence } from './exposure';
import { assertBucketName, NatsKvBucket } from './kv';
import { syncWave } from '../core/validate';

/** The NATS image used unless `image` says otherwise: the official image, 2.10 line, Alpine variant, pinned. */
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
}

function mebibytes(s: Size): number {
  return s.toKibibytes() / 1024;
}


/** How a client container is wired to NATS. */
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

/**
 * A single-node NATS server with JetStream: the low-level building block other constructs configure (the IoT fleet's
 * message bus, a cache invalidation bus). One replica in a StatefulSet, a generated config file whose checksum rolls the
 * pod, probes on the monitoring port, and a Service exposed as ClusterIP, NodePort or LoadBalancer.
 *
 * A StatefulSet rather than a Deployment because the JetStream store must never be opened by two servers at once: a
 * StatefulSet replaces its pod (old one gone before the new one starts) and gives each pod its own claim from a
 * template, where a Deployment's rolling update would start a second server on the same volume.
 */
export class NatsServer extends WorkloadConstruct {
  /** The server name (StatefulSet, ConfigMap, client Service). */
  public readonly name: string;
  /** Labels selecting the server pod. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The client Service's endpoint (`client`): what in-cluster clients connect to. */
  public readonly endpoint: ServiceEndpoint;
  /** The headless Service's endpoint (`client`, `monitor`): the StatefulSet's governing Service, for scrapers. */
  public readonly headlessEndpoint: ServiceEndpoint;
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
  /** The config ConfigMap. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The headless governing Service (construct id `Headless`). */
  public readonly headlessService: k8s.KubeService;
  private readonly _buckets = new Map<string, NatsKvBucket>();

  constructor(scope: Construct, id: string, props: NatsServerProps = {}) {
    super(scope, id);
    const release = Release.of(this);
    // Every prop check runs before anything is built, and all their errors are reported together.
    const errors = new ErrorCollector(this);
    this.name = props.name !== undefined
      ? errors.attempt(() => assertDnsLabel('name', props.name!, NATS_MAX_NAME), 'invalid')
      : deriveName([release.releaseName, 'nats'], { maxLength: NATS_MAX_NAME });
    const headlessName = `${this.name}-headless`;
    this.exposure = props.exposure ?? NatsExposure.clusterIp();
    this.persistence = props.persistence ?? NatsPersistence.ephemeral();
    this.jetstream = props.jetstream ?? true;
    const resources = props.resources ?? sized(100, 1000, 256, 512);
    errors.attempt(() => renderResources('resources', resources));
    const memoryLimitMi = mebibytes(resources.memory.limit);

    const imageRef = props.image ?? NATS_IMAGE;
    const resolved = errors.attempt(() => Images.of(this).resolve('image', imageRef));
    const image = resolved ?? imageRef;
    const version = resolved !== undefined ? ImageRef.parse(imageRef, 'image').tag : undefined;

    errors.check(this.jetstream || !props.jetstreamLimits, 'jetstreamLimits', props.jetstreamLimits, 'no limits when jetstream is false', 'JetStream is off, so the limits would have no effect');
    let jsSettings: ConstructorParameters<typeof NatsConfig>[0]['jetstream'];
    if (this.jetstream) {
      const volumeMi = mebibytes(this.persistence.size);
      const maxMemoryStore = props.jetstreamLimits?.maxMemoryStore ?? Size.mebibytes(Math.max(1, Math.floor(memoryLimitMi / 4)));
      const maxFileStore = props.jetstreamLimits?.maxFileStore ?? Size.mebibytes(Math.max(1, Math.floor(volumeMi * 0.9)));
      errors.check(
        mebibytes(maxMemoryStore) < memoryLimitMi,
        'jetstreamLimits.maxMemoryStore',
        `${mebibytes(maxMemoryStore)}Mi`,
        `less than the memory limit (${memoryLimitMi}Mi)`,
        'memory streams at this size would get the server OOM-killed',
      );
      errors.check(
        mebibytes(maxFileStore) <= volumeMi,
        'jetstreamLimits.maxFileStore',
        `${mebibytes(maxFileStore)}Mi`,
        `at most the store volume's size (${volumeMi}Mi)`,
        'the server would accept writes the volume cannot hold',
      );
      jsSettings = { storeDir: STORE_DIR, maxMemoryStore, maxFileStore };
    }
    const config = errors.attempt(() => new NatsConfig({ serverName: this.name, jetstream: jsSettings, maxPayload: props.maxPayload }));
    const extra = errors.attempt(() => assertLabels('labels', props.labels ?? {}), {});
    const waveValue = props.syncWave !== undefined ? errors.attempt(() => syncWave('syncWave', props.syncWave!)) : undefined;
    const placement = errors.attempt(() => Placement.of(this).forWorkload(props.placement, 'placement'));
    errors.throwIfAny();

    this.config = config!;
    this.configText = this.config.render();

    const identity = { name: 'nats', instance: release.releaseName, component: this.name };
    const selector = selectorLabels(identity);
    this.selector = selector;
    // The tag doubles as the version label when it is a valid label value (a digest-only reference has none).
    const versionLabel = version && version.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(version) ? version : undefined;
    const labels = { ...extra, ...standardLabels({ ...identity, version: versionLabel }) };

    const wave: Record<string, string> = waveValue !== undefined ? { 'argocd.argoproj.io/sync-wave': waveValue } : {};
    const annotations = (a: Record<string, string>): Record<string, string> | undefined =>
      Object.keys({ ...a, ...wave }).length ? { ...a, ...wave } : undefined;

    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: this.name, labels, annotations: annotations({}) },
      data: { [CONFIG_FILE]: this.configText },
    });

    const security = SecurityProfile.restricted({ runAsUser: NATS_UID, runAsGroup: NATS_UID, fsGroup: NATS_UID, readOnlyRootFilesystem: true });
    // GOMEMLIMIT lets the Go runtime collect garbage before the cgroup limit OOM-kills the server.
    const env = new EnvBuilder('NatsServer container nats').own('GOMEMLIMIT', `${Math.floor(memoryLimitMi * 0.9)}MiB`);
    const mounts: k8s.VolumeMount[] = [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }];
    if (this.jetstream) mounts.push({ name: 'data', mountPath: STORE_DIR });
    const container = buildContainer(
      '',
      {
        name: 'nats',
        image,
        command: ['nats-server'],
        args: ['--config', `${CONFIG_DIR}/${CONFIG_FILE}`],
        ports: [
          { name: 'client', port: NATS_CLIENT_PORT },
          { name: 'monitor', port: NATS_MONITOR_PORT },
        ],
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

    const volumes: k8s.Volume[] = [{ name: 'config', configMap: { name: this.name, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } }];
    let claimTemplates: k8s.KubePersistentVolumeClaimProps[] | undefined;
    if (this.jetstream) {
      if (this.persistence.persistent) {
        claimTemplates = [
          {
            // copied onto each claim the StatefulSet creates, so Argo CD never prunes or deletes the JetStream store
            metadata: { name: 'data', labels: selector, annotations: keepStateAnnotations({ helm: false }) },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: this.persistence.storageClassName,
              resources: { requests: { storage: quantityOf(this.persistence.size) } },
            },
          },
        ];
      } else {
        volumes.push({ name: 'data', emptyDir: { sizeLimit: quantityOf(this.persistence.size) } });
      }
    }

    const podSpec = buildPodSpec(this, '', {
      containers: [container],
      volumes,
      security,
      placement: placement!,
      claimTemplateNames: claimTemplates ? ['data'] : undefined,
      terminationGracePeriod: Duration.seconds(60),
    });

    this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: this.name, labels, annotations: annotations(policyExceptionAnnotations(security.exceptions)) },
      spec: {
        replicas: 1,
        serviceName: headlessName,
        selector: { matchLabels: selector },
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels, annotations: checksumAnnotations(this.configText) },
          spec: podSpec,
        },
        volumeClaimTemplates: claimTemplates,
      },
    });

    const lbExceptions = this.exposure.serviceType === 'LoadBalancer' ? [{ rule: 'load-balancer', reason: this.exposure.reason! }] : this.exposure.serviceType === 'NodePort' ? [{ rule: 'node-port', reason: this.exposure.reason! }] : [];
    if (this.exposure.openToAllSourcesReason !== undefined) {
      lbExceptions.push({ rule: 'load-balancer', reason: `open to every source address: ${this.exposure.openToAllSourcesReason}` });
    }
    const lbAnnotations = this.exposure.serviceType !== 'ClusterIP' ? { ...this.exposure.annotations, ...policyExceptionAnnotations(lbExceptions) } : {};
    const client = buildService(this, 'Service', {
      name: this.name,
      labels,
      annotations: annotations(lbAnnotations),
      pods: this,
      type: this.exposure.serviceType,
      loadBalancerSourceRanges: this.exposure.serviceType === 'LoadBalancer' ? this.exposure.sourceRanges : undefined,
      externalClients: this.exposure.clients,
      ports: [{ name: 'client', port: NATS_CLIENT_PORT, nodePort: this.exposure.nodePort }],
    });
    this.service = client.service;
    this.endpoint = client.endpoint;
    const headless = buildService(this, 'Headless', {
      name: headlessName,
      labels,
      annotations: annotations({}),
      pods: this,
      headless: true,
      // The governing Service must resolve the pod before it is ready, or a server stuck in JetStream recovery
      // cannot even be reached by name for debugging.
      publishNotReadyAddresses: true,
      ports: [
        { name: 'client', port: NATS_CLIENT_PORT },
        { name: 'monitor', port: NATS_MONITOR_PORT },
      ],
    });
    this.headlessService = headless.service;
    this.headlessEndpoint = headless.endpoint;

    const unauthenticated = this.unauthenticatedExposureWarning();
    if (unauthenticated) {
      // An open load balancer is fixed in the app: restrict it to the clients' networks.
      const fix = this.exposure.serviceType === 'LoadBalancer' && this.exposure.openToAllSourcesReason !== undefined
        ? { scope: this, prop: 'exposure', value: `NatsExposure.loadBalancer({ reason: ${JSON.stringify(this.exposure.reason ?? 'clients outside the cluster')}, sourceRanges: ['10.0.0.0/8'] })` }
        : undefined;
      release.addWarning(unauthenticated, fix);
    }
    release.addNote(
      `NATS ${this.name}: in-cluster clients connect to ${this.endpoint.url('nats', 'client', { form: HostForm.NAMESPACED })}` +
        (this.exposure.serviceType === 'NodePort' ? `; off-cluster clients to nats://<node address>:${this.exposure.nodePort}` : '') +
        (this.exposure.serviceType === 'LoadBalancer' ? `; off-cluster clients to nats://<load balancer address>:${NATS_CLIENT_PORT}` : '') +
        `. JetStream is ${this.jetstream ? `on, store ${this.persistence.persistent ? 'on a PersistentVolumeClaim' : 'in an emptyDir (lost when the pod is deleted)'}` : 'off'}.`,
    );
  }

  /**
   * Wires a client container to the server: the graph edge and the client URL env (namespaced form, so a client in
   * another namespace resolves it too).
   */
  public connect(client: ClientBinding, options: NatsClientOptions): Connection {
    const c = client.connect(this.endpoint, 'client', { purpose: options.purpose ?? 'messaging' });
    client.setEnv(options.urlEnv, c.url('nats', { form: HostForm.NAMESPACED }), c.envHint());
    return c;
  }

  /** The warning an externally reachable server gets: who can reach the unauthenticated client port, and how. */
  private unauthenticatedExposureWarning(): string | undefined {
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
   * Declares a JetStream KV bucket clients of this server use. The name is validated and must be unique on the server;
   * the bucket itself is created by the first client that opens it.
   */
  public addKeyValueBucket(name: string, description: string): NatsKvBucket {
    return inConstruct(this, () => {
      check(this.jetstream, 'jetstream', false, 'true when KV buckets are used', `bucket ${JSON.stringify(name)} needs JetStream`);
      assertBucketName(`buckets.${name}`, name);
      check(!this._buckets.has(name), `buckets.${name}`, name, 'a bucket name not declared twice on one server');
      const bucket: NatsKvBucket = { name, description };
      this._buckets.set(name, bucket);
      return bucket;
    });
  }

  /** The declared KV buckets, in declaration order. */
  public get buckets(): readonly NatsKvBucket[] {
    return [...this._buckets.values()];
  }
}
