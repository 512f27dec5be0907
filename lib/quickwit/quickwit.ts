import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { assertClaimOptions, claimTemplate, ClaimOptions } from '../core/claims';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder, EnvSource } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { quantityOf, Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { renderStatefulSet } from '../core/statefulset';
import { assertInt } from '../core/validate';
import { ClientBinding, Connection, PodWiring, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { ObjectStorage } from '../object-storage/storage';
import { IPostgres, PostgresEnv, PostgresLogin } from '../postgres/client';
import { Release } from '../release/release';
import { emitYaml12 } from '../release/yaml';

/** The Quickwit image, pinned (the 0.8 series the config's `version: 0.8` describes). */
export const QUICKWIT_IMAGE = 'quickwit/quickwit:v0.8.2';
/** Quickwit's REST port (search, ingest, UI, health, metrics); gossip uses the same number over UDP. */
export const QUICKWIT_REST_PORT = 7280;
/** Quickwit's gRPC port (node to node, and the OTLP gRPC ingest endpoint). */
export const QUICKWIT_GRPC_PORT = 7281;
/** uid and gid the pods run as. */
export const QUICKWIT_UID = 1000;
/** Longest server name (StatefulSet pods carry a 63-character `controller-revision-hash` label). */
export const QUICKWIT_MAX_NAME = 52;

const DATA_DIR = '/quickwit/qwdata';
const CONFIG_PATH = '/quickwit/config/quickwit.yaml';

/**
 * Where Quickwit keeps its metastore (the index list and split metadata). The file-backed metastore under the index
 * storage allows one metastore writer: it suits one node; a cluster of nodes that each run the metastore service
 * needs PostgreSQL.
 * @see https://quickwit.io/docs/configuration/metastore-config
 */
export class QuickwitMetastore {
  /** A file-backed metastore in the index storage (`<index root>/metastore`); one node only. */
  public static objectStorage(): QuickwitMetastore {
    return new QuickwitMetastore(undefined, {});
  }

  /**
   * PostgreSQL: `QW_METASTORE_URI` is the DSN from the login's `url` Secret key (the credentials stay in the Secret).
   */
  public static postgres(postgres: IPostgres, options: { readonly database?: string; readonly login?: PostgresLogin } = {}): QuickwitMetastore {
    check(postgres !== undefined && typeof postgres.connect === 'function', 'metastore.postgres', postgres, 'a PostgresServer or ExternalPostgres');
    return new QuickwitMetastore(postgres, options);
  }

  private constructor(
    /** The PostgreSQL server, when the metastore is there. */
    public readonly postgres: IPostgres | undefined,
    private readonly options: { readonly database?: string; readonly login?: PostgresLogin },
  ) {}

  /** @internal */
  public _connect(client: ClientBinding): void {
    if (!this.postgres) return;
    this.postgres.connect(client, { ...this.options, env: [PostgresEnv.url('QW_METASTORE_URI')], purpose: 'Quickwit metastore' });
  }
}

/** Props of Quickwit. */
export interface QuickwitProps {
  /**
   * Object name of the StatefulSet and Services.
   * @default - `<release name>-quickwit`
   */
  readonly name?: string;
  /**
   * Image, pinned.
   * @default QUICKWIT_IMAGE
   */
  readonly image?: string;
  /**
   * Nodes. Each runs every service (indexer, searcher, control plane, janitor, metastore); they find each other
   * through the headless Service and gossip on 7280/UDP.
   * @default 2
   */
  readonly replicas?: number;
  /** Where the indexes live: an S3 bucket (ObjectStorage.s3 or .minio); their root is `s3://<bucket>/<prefix>indexes`. */
  readonly indexStorage: ObjectStorage;
  /**
   * Where the metastore lives.
   * @default QuickwitMetastore.objectStorage() with one replica; with more there is no default (PostgreSQL)
   */
  readonly metastore?: QuickwitMetastore;
  /**
   * Each node's data directory (the ingest queue not yet indexed, the split cache): a kept claim per pod.
   * @default - 10 GiB of the cluster's default StorageClass
   */
  readonly data?: ClaimOptions;
  /**
   * Requests and limits of each node.
   * @default - cpu 500m/2000m, memory 1Gi/4Gi
   */
  readonly resources?: Resources;
  /**
   * Node selection.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Quickwit, the log and trace search engine, as a StatefulSet of nodes with indexes in object storage (S3 or MinIO,
 * wired through `ObjectStorage.connect`: `QW_S3_ENDPOINT`, keys as Secret references), REST 7280 and gRPC 7281 behind
 * a ClusterIP Service, gossip over the headless one. Senders connect with `otlpTarget` (the OTLP gRPC ingest on
 * 7281); readers with `connectRest`.
 */
export class Quickwit extends WorkloadConstruct {
  /** The object name. */
  public readonly name: string;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The client Service (ports `rest`, `grpc`). */
  public readonly endpoint: ServiceEndpoint;
  /** The headless Service (ports `rest`, `grpc`, `gossip`/UDP). */
  public readonly headlessEndpoint: ServiceEndpoint;
  /** The StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The headless Service (construct id `Headless`). */
  public readonly headlessService: k8s.KubeService;
  /** The ConfigMap with the node config (construct id `Config`). */
  public readonly configMap: k8s.KubeConfigMap;
  /** The node count. */
  public readonly replicas: number;
  /** The index root URI. */
  public readonly indexRootUri: string;
  /** The pod's wiring. */
  public readonly wiring: PodWiring;

  constructor(scope: Construct, id: string, props: QuickwitProps) {
    super(scope, id);
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined ? assertDnsLabel('name', props.name, QUICKWIT_MAX_NAME) : deriveName([release.releaseName, 'quickwit'], { maxLength: QUICKWIT_MAX_NAME });
      this.replicas = props.replicas ?? 2;
      assertInt('replicas', this.replicas, { min: 1, max: 32 });
      check(props.indexStorage instanceof ObjectStorage && props.indexStorage.kind === 's3', 'indexStorage', props.indexStorage?.description,
        'ObjectStorage.s3({...}) or ObjectStorage.minio({...})', 'every node reads and writes the same splits');
      const metastore = props.metastore ?? (this.replicas === 1 ? QuickwitMetastore.objectStorage() : undefined);
      check(metastore instanceof QuickwitMetastore, 'metastore', props.metastore, 'QuickwitMetastore.postgres(server) (or replicas: 1 with the file-backed metastore)',
        `${this.replicas} nodes each run the metastore service, and the file-backed metastore allows one writer`);
      check(this.replicas === 1 || metastore.postgres !== undefined, 'metastore', 'QuickwitMetastore.objectStorage()',
        'QuickwitMetastore.postgres(server), or replicas: 1', `${this.replicas} nodes each run the metastore service, and the file-backed metastore allows one writer`);
      const data = assertClaimOptions('data', props.data ?? { size: Size.gibibytes(10) });
      const storage = props.indexStorage;
      this.indexRootUri = `s3://${storage.bucket}/${storage.prefix ? `${storage.prefix.replace(/\/$/, '')}/` : ''}indexes`;

      const identity = { name: 'quickwit', instance: release.releaseName, component: this.name };
      this.selector = selectorLabels(identity);
      const labels = { ...assertLabels('labels', props.labels ?? {}), ...standardLabels({ ...identity, version: QUICKWIT_IMAGE.split(':')[1] }) };
      const ports = [{ name: 'rest', port: QUICKWIT_REST_PORT }, { name: 'grpc', port: QUICKWIT_GRPC_PORT }];
      const main = buildService(this, 'Service', { name: this.name, labels, pods: this, ports });
      this.endpoint = main.endpoint;
      this.service = main.service;
      const headless = buildService(this, 'Headless', {
        name: `${this.name}-headless`, labels, pods: this, headless: true, publishNotReadyAddresses: true,
        ports: [...ports, { name: 'gossip', port: QUICKWIT_REST_PORT, protocol: 'UDP' }],
      });
      this.headlessEndpoint = headless.endpoint;
      this.headlessService = headless.service;

      const config = {
        version: '0.8',
        listen_address: '0.0.0.0',
        rest: { listen_port: QUICKWIT_REST_PORT },
        grpc_listen_port: QUICKWIT_GRPC_PORT,
        data_dir: DATA_DIR,
        default_index_root_uri: this.indexRootUri,
        ...(metastore.postgres ? {} : { metastore_uri: this.indexRootUri.replace(/indexes$/, 'metastore') }),
        indexer: { enable_otlp_endpoint: true },
        storage: { s3: { force_path_style_access: true } },
      };
      const configYaml = emitYaml12(config);
      const configData = { 'quickwit.yaml': configYaml };
      this.configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: { name: `${this.name}-config`, labels }, data: configData });

      this.wiring = new PodWiring(this);
      const env = new EnvBuilder(`Quickwit ${this.name} container quickwit`);
      const client = this.wiring.container('quickwit', env);
      storage.connect(client, {
        env: { bucket: false, prefix: false, endpointUrl: 'QW_S3_ENDPOINT', forcePathStyle: false },
        purpose: 'index splits',
      });
      metastore._connect(client);
      const peers = Wiring.of(this);
      peers.connect(this, this.headlessEndpoint, 'gossip', { purpose: 'cluster membership (chitchat)' });
      peers.connect(this, this.headlessEndpoint, 'grpc', { purpose: 'node to node (search fan-out, ingest)' });
      const headlessHost = this.headlessEndpoint.hostFor(HostForm.FQDN, this.headlessEndpoint.namespace);
      env.ownAll({
        QW_CONFIG: CONFIG_PATH,
        POD_NAME: EnvSource.field('metadata.name'),
        QW_CLUSTER_ID: this.name,
        QW_NODE_ID: '$(POD_NAME)',
        QW_ADVERTISE_ADDRESS: `$(POD_NAME).${headlessHost}`,
        QW_PEER_SEEDS: Array.from({ length: this.replicas }, (_, i) => `${this.name}-${i}.${headlessHost}:${QUICKWIT_REST_PORT}`).join(','),
        QW_DISABLE_TELEMETRY: 'true',
      });

      const security = SecurityProfile.restricted({
        runAsUser: QUICKWIT_UID, runAsGroup: QUICKWIT_UID, fsGroup: QUICKWIT_UID, readOnlyRootFilesystem: true,
      });
      this.statefulSet = renderStatefulSet(this, {
        name: this.name,
        prop: '',
        labels,
        replicas: this.replicas,
        serviceName: this.headlessEndpoint.name,
        podManagementPolicy: 'Parallel',
        containers: [{
          name: 'quickwit',
          image: Images.of(this).resolve('image', props.image ?? QUICKWIT_IMAGE),
          args: ['run'],
          ports: [...ports, { name: 'gossip', port: QUICKWIT_REST_PORT, protocol: 'UDP' }],
          env,
          resources: props.resources ?? sized(500, 2000, 1024, 4096),
          startup: Probes.http('/health/livez', 'rest', { period: Duration.seconds(5), failureThreshold: 60 }),
          liveness: Probes.http('/health/livez', 'rest', { period: Duration.seconds(10), failureThreshold: 3 }),
          readiness: Probes.http('/health/readyz', 'rest', { period: Duration.seconds(5), failureThreshold: 3 }),
          volumeMounts: [
            { name: 'config', mountPath: '/quickwit/config', readOnly: true },
            { name: 'data', mountPath: DATA_DIR },
            { name: 'tmp', mountPath: '/tmp' },
            ...client.volumeMounts,
          ],
        }],
        wiring: this.wiring,
        volumes: [
          { name: 'config', configMap: { name: this.configMap.name } },
          { name: 'tmp', emptyDir: { sizeLimit: quantityOf(Size.gibibytes(1)) } },
        ],
        volumeClaimTemplates: [claimTemplate('data', data, this.selector)],
        security,
        placement: Placement.of(this).forWorkload(props.placement, 'placement'),
        podAnnotations: checksumAnnotations(configData),
        topologySpreadConstraints: this.replicas > 1
          ? [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...this.selector } } }]
          : undefined,
      }).statefulSet;
      const where = metastore.postgres ? 'in PostgreSQL' : 'file-backed next to the indexes';
      release.addNote(`Quickwit ${this.name}: ${this.replicas} node(s), indexes in ${this.indexRootUri}, metastore ${where}; ` +
        `OTLP over gRPC on ${this.endpoint.url('http', 'grpc', { form: HostForm.NAMESPACED })}, search and UI on ${this.endpoint.url('http', 'rest', { form: HostForm.NAMESPACED })}.`);
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /** The OTLP gRPC ingest (logs and traces), for a collector's exporter: port `grpc` of the client Service. */
  public get otlpTarget(): { readonly endpoint: ServiceEndpoint; readonly port: 'grpc' } {
    return { endpoint: this.endpoint, port: 'grpc' };
  }

  /**
   * Wires a reader (Grafana's Quickwit datasource, an application searching logs): `QUICKWIT_URL` (the REST API) and
   * the graph edge.
   */
  public connectRest(client: ClientBinding, options: { readonly env?: string; readonly purpose?: string } = {}): Connection {
    return inConstruct(this, () => {
      const c = client.connect(this.endpoint, 'rest', { purpose: options.purpose ?? 'search' });
      client.setEnv(options.env ?? 'QUICKWIT_URL', c.url('http', { form: HostForm.NAMESPACED }), c.envHint());
      return c;
    });
  }
}
