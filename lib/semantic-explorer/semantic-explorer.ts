import { Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { ClaimOptions } from '../core/claims';
import { DeploymentRollout } from '../core/deployment';
import { EnvMap, EnvSource } from '../core/env';
import { buildChild, check, ConfigError, inConstruct } from '../core/errors';
import { Gpu } from '../core/gpu';
import { Toleration } from '../core/placement';
import { Probes, probeSeconds } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { assertSecretKey, SecretKey } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { assertWholeSeconds } from '../core/validate';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';
import { INats } from '../nats/client';
import { ObjectStorage } from '../object-storage/storage';
import { IPostgres, PostgresEnv, PostgresLogin } from '../postgres/client';
import { IQdrant } from '../qdrant/client';
import { Release } from '../release/release';
import { OtelClientOptions } from '../telemetry/otel-collector';
import { IValkey } from '../valkey/client';
import { DisruptionBudget } from '../workload/disruption';
import { WorkloadIngressOptions } from '../workload/ingress';
import { PreStop } from '../workload/lifecycle';
import { Mount, PodVolume } from '../workload/volumes';
import { Scaling } from '../workload/scaling';
import { Spread } from '../workload/spread';
import { WebService } from '../workload/web-service';
import { Worker, WorkerProps, WorkloadKind } from '../workload/worker';
import { semanticExplorerImage, SemanticExplorerImages, SemanticExplorerService } from './images';

/** The API's HTTP port. */
export const SEMANTIC_EXPLORER_API_PORT = 8080;
/** The health port of the collections and datasets workers. */
export const SEMANTIC_EXPLORER_WORKER_HEALTH_PORT = 8080;
/** The health port of the visualizations worker. */
export const SEMANTIC_EXPLORER_VISUALIZATIONS_HEALTH_PORT = 8081;
/** The embedding inference API's port. */
export const SEMANTIC_EXPLORER_EMBEDDING_PORT = 8090;
/** The LLM inference API's port. */
export const SEMANTIC_EXPLORER_LLM_PORT = 8091;
/** The uid the inference images run as (their `appuser`). */
export const SEMANTIC_EXPLORER_INFERENCE_UID = 1000;
/** Where the inference APIs keep their models (and `HF_HOME` points). */
export const SEMANTIC_EXPLORER_MODELS_DIR = '/models';
/** Where the embedding API keeps its TensorRT engine cache, when it has a claim. */
export const SEMANTIC_EXPLORER_TENSORRT_DIR = '/tensorrt-cache';
/** The env keys every application container must get from a connection (the contract the chart broke). */
export const SEMANTIC_EXPLORER_OIDC_ENV = ['OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const;

/**
 * Where the services send OTLP: an `OtelGateway` (the collector as a Deployment) or the per-node `OtelCollector`;
 * its `connect` sets OTEL_EXPORTER_OTLP_ENDPOINT, the protocol and OTEL_SERVICE_NAME.
 */
export interface SemanticExplorerTelemetry {
  /** Wires one service's container to the collector. */
  connect(client: ClientBinding, options: OtelClientOptions): Connection;
}

/** A database and login of the Postgres server for the application. */
export interface SemanticExplorerDatabase {
  /** The database. */
  readonly name: string;
  /** The login: it must carry a `url` Secret key (DATABASE_URL is read whole from it). */
  readonly login: PostgresLogin;
}

/** The data services the application connects to; each is in the cluster or outside it, by the operator's choice. */
export interface SemanticExplorerInfrastructure {
  /** Postgres (`PostgresServer` or `ExternalPostgres`): DATABASE_URL. */
  readonly postgres: IPostgres;
  /**
   * The database and login.
   * @default - the server's default database and login
   */
  readonly database?: SemanticExplorerDatabase;
  /** NATS with JetStream (`NatsServer` with a cluster, or `ExternalNats`): NATS_URL, NATS_REPLICAS. */
  readonly nats: INats;
  /** Qdrant (`QdrantServer` or `ExternalQdrant`): QDRANT_URL over gRPC, QDRANT_API_KEY. */
  readonly qdrant: IQdrant;
  /** The files bucket (`ObjectStorage.minio(...)` or `.s3(...)`): AWS_* and S3_*. */
  readonly storage: ObjectStorage;
  /** The cache (`ValkeyServer` or `ExternalValkey`): VALKEY_URL, VALKEY_READ_URL, VALKEY_PASSWORD. */
  readonly cache: IValkey;
}

/** The API service. */
export interface SemanticExplorerApiOptions {
  /** The Ingress in front of the API (hosts, class, TLS). */
  readonly ingress: WorkloadIngressOptions;
  /**
   * Autoscaler bounds (CPU 70 %, memory 80 %).
   * @default { min: 3, max: 10 }
   */
  readonly replicas?: { readonly min: number; readonly max: number };
  /**
   * Time between SIGTERM and SIGKILL: in-flight requests finish after the 5 s preStop sleep.
   * @default Duration.seconds(45)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Requests and limits.
   * @default - cpu 500m/2000m, memory 512Mi/2Gi
   */
  readonly resources?: Resources;
  /**
   * Application settings (`VALKEY_POOL_SIZE`, `CORS_ALLOWED_ORIGINS`); keys a connection sets are refused.
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Further servers the API dials, as connections (recorded in the graph, so its NetworkPolicy allows them): the OIDC
   * issuer's public address, which the API reaches through the ingress controller for discovery and token exchange.
   * @default []
   */
  readonly connections?: readonly IConnectable[];
}

/** A worker service. */
export interface SemanticExplorerWorkerOptions {
  /**
   * Autoscaler bounds (CPU 70 %, memory 80 %).
   * @default - collections 2-10, datasets 2-8, visualizations 2-6
   */
  readonly replicas?: { readonly min: number; readonly max: number };
  /**
   * Requests and limits.
   * @default - collections and datasets cpu 250m/2000m, memory 512Mi/2Gi; visualizations cpu 1000m/4000m, memory 2Gi/8Gi
   */
  readonly resources?: Resources;
  /**
   * Application settings; keys a connection sets are refused.
   * @default {}
   */
  readonly env?: EnvMap;
}

/** Where the GPU inference pods run. */
export interface SemanticExplorerGpuOptions {
  /**
   * Labels of the GPU nodes.
   * @default { 'nvidia.com/gpu.present': 'true' } (NVIDIA GPU feature discovery)
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Tolerations of the GPU nodes' taints.
   * @default [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * RuntimeClass exposing the GPUs (`nvidia` with the GPU Operator or on k3s).
   * @default - the node's default runtime
   */
  readonly runtimeClassName?: string;
}

/** One GPU inference API. */
export interface SemanticExplorerInferenceOptions {
  /**
   * The model claim mounted at /models (`HF_HOME`): models download once, not on every restart.
   * @default - 50 GiB (embedding) or 100 GiB (LLM) of the default StorageClass
   */
  readonly models?: ClaimOptions;
  /**
   * Requests and limits (one GPU is added).
   * @default - cpu 1000m/4000m, memory 4Gi/16Gi
   */
  readonly resources?: Resources;
  /**
   * Application settings (`INFERENCE_ALLOWED_EMBEDDING_MODELS`, `LLM_ALLOWED_MODELS`); keys a connection sets are refused.
   * @default {}
   */
  readonly env?: EnvMap;
}

/** The embedding inference API. */
export interface SemanticExplorerEmbeddingOptions extends SemanticExplorerInferenceOptions {
  /**
   * A claim for the TensorRT engine cache at /tensorrt-cache: engines build once instead of at every start.
   * @default - none (engines are rebuilt in the container)
   */
  readonly tensorrtCache?: ClaimOptions;
}

/** Props of SemanticExplorer. */
export interface SemanticExplorerProps {
  /** The application's images (pinned tags; there is no default). */
  readonly images: SemanticExplorerImages;
  /** Postgres, NATS, Qdrant, object storage and the cache. */
  readonly infrastructure: SemanticExplorerInfrastructure;
  /**
   * The OIDC issuer the API logs users in with: a connectable whose `connect` sets OIDC_ISSUER_URL, OIDC_CLIENT_ID and
   * OIDC_CLIENT_SECRET (the release's Dex, or an external issuer), so the issuer the API trusts is the one that
   * answers.
   */
  readonly oidc: IConnectable;
  /**
   * The Secret key holding ENCRYPTION_MASTER_KEY (the key every service encrypts stored credentials with). Never
   * generated: a generated key changes on every render and makes the stored data unreadable.
   */
  readonly encryptionKey: SecretKey;
  /**
   * The OpenTelemetry collector every service exports to (OTEL_EXPORTER_OTLP_ENDPOINT from its `connect`).
   * @default - no OTLP export
   */
  readonly telemetry?: SemanticExplorerTelemetry;
  /** The API. */
  readonly api: SemanticExplorerApiOptions;
  /**
   * The collections worker.
   * @default - see SemanticExplorerWorkerOptions
   */
  readonly collections?: SemanticExplorerWorkerOptions;
  /**
   * The datasets worker.
   * @default - see SemanticExplorerWorkerOptions
   */
  readonly datasets?: SemanticExplorerWorkerOptions;
  /**
   * The visualizations worker.
   * @default - see SemanticExplorerWorkerOptions
   */
  readonly visualizations?: SemanticExplorerWorkerOptions;
  /**
   * The GPU nodes the inference APIs run on.
   * @default - see SemanticExplorerGpuOptions
   */
  readonly gpu?: SemanticExplorerGpuOptions;
  /**
   * The embedding inference API.
   * @default - see SemanticExplorerEmbeddingOptions
   */
  readonly embedding?: SemanticExplorerEmbeddingOptions;
  /**
   * The LLM inference API.
   * @default - see SemanticExplorerInferenceOptions
   */
  readonly llm?: SemanticExplorerInferenceOptions;
  /**
   * How long the API and the datasets worker wait for an inference response (`*_INFERENCE_API_TIMEOUT_SECS`).
   * @default Duration.seconds(120)
   */
  readonly inferenceTimeout?: Duration;
}

/** `app.kubernetes.io/part-of` of every application object. */
const PART_OF = 'semantic-explorer';

/**
 * The semantic-explorer application on the generic workload blocks: the API (autoscaled, spread, behind an Ingress),
 * the collections, datasets and visualizations workers, and the two GPU inference APIs. Every URL, credential and wait
 * an application container gets comes from a component's `connect` (Postgres, NATS, Qdrant, object storage, Valkey,
 * the OIDC issuer, the collector, the inference APIs' own Services), so each is an edge of the wiring graph that the
 * NetworkPolicies, the waits and the verification read.
 */
export class SemanticExplorer extends Construct {
  /** The API (Deployment, Service, Ingress, autoscaler, disruption budget). */
  public readonly api: WebService;
  /** The collections worker. */
  public readonly collections: Worker;
  /** The datasets worker. */
  public readonly datasets: Worker;
  /** The visualizations worker. */
  public readonly visualizations: Worker;
  /** The embedding inference API. */
  public readonly embedding: WebService;
  /** The LLM inference API. */
  public readonly llm: WebService;

  constructor(scope: Construct, id: string, props: SemanticExplorerProps) {
    super(scope, id);
    const settings = inConstruct(this, () => this.settings(props));
    this.embedding = this.embeddingApi(props, settings);
    this.llm = this.llmApi(props, settings);
    this.api = this.apiService(props, settings);
    this.collections = this.worker('Collections', 'collections', props.collections, settings, {
      name: SemanticExplorerService.WORKER_COLLECTIONS, replicas: { min: 2, max: 10 }, resources: sized(250, 2000, 512, 2048),
      port: SEMANTIC_EXPLORER_WORKER_HEALTH_PORT, live: '/healthz', ready: '/readyz',
      connections: [this.nats(settings), this.storage(settings, true)],
    });
    this.datasets = this.worker('Datasets', 'datasets', props.datasets, settings, {
      name: SemanticExplorerService.WORKER_DATASETS, replicas: { min: 2, max: 8 }, resources: sized(250, 2000, 512, 2048),
      port: SEMANTIC_EXPLORER_WORKER_HEALTH_PORT, live: '/healthz', ready: '/readyz',
      connections: [this.nats(settings), this.qdrant(settings, true), this.storage(settings, false), this.inference(this.embedding, 'EMBEDDING', settings, true)],
    });
    this.visualizations = this.worker('Visualizations', 'visualizations', props.visualizations, settings, {
      name: SemanticExplorerService.WORKER_VISUALIZATIONS, replicas: { min: 2, max: 6 }, resources: sized(1000, 4000, 2048, 8192),
      port: SEMANTIC_EXPLORER_VISUALIZATIONS_HEALTH_PORT, live: '/health/live', ready: '/health/ready',
      // Jobs run up to an hour; five minutes let the current one checkpoint before SIGKILL.
      grace: Duration.seconds(300),
      tmp: true,
      connections: [this.nats(settings), this.qdrant(settings, true), this.storage(settings, true), this.inference(this.llm, 'LLM', settings, false)],
    });
    inConstruct(this, () => this.checkOidcContract());
    Release.of(this).addNote(
      `semantic-explorer: the API is served at ${props.api.ingress.hosts.map((h) => `${props.api.ingress.tls ? 'https' : 'http'}://${h}`).join(', ')}; ` +
        `create Secret ${settings.encryptionKey.name} (key ${settings.encryptionKey.key}: 64 hex characters, openssl rand -hex 32) before the first sync, and keep it: ` +
        'every stored credential is encrypted with it.',
    );
  }

  /** The API logs users in only if the issuer's connection set every OIDC variable it reads. */
  private checkOidcContract(): void {
    const names = new Set((this.api.container.env ?? []).map((e) => e.name));
    const missing = SEMANTIC_EXPLORER_OIDC_ENV.filter((n) => !names.has(n));
    if (missing.length) {
      throw new ConfigError('oidc', missing, `an issuer whose connect sets ${SEMANTIC_EXPLORER_OIDC_ENV.join(', ')} (Dex's does)`,
        `the API would start with ${missing.join(', ')} unset and reject every login`);
    }
  }

  /** Validates the props every service shares. */
  private settings(props: SemanticExplorerProps): Settings {
    check(props !== undefined && typeof props === 'object', 'props', props, 'the SemanticExplorer props');
    check(props.images !== undefined && typeof props.images === 'object', 'images', props.images, '{ tag, inferenceTag }: pinned release tags');
    const infra = props.infrastructure;
    check(infra !== undefined && typeof infra === 'object', 'infrastructure', infra, '{ postgres, nats, qdrant, storage, cache }');
    const connectable = (prop: string, v: unknown, allowed: string) =>
      check(v !== null && typeof v === 'object' && typeof (v as IConnectable).connect === 'function', prop, v, allowed);
    connectable('infrastructure.postgres', infra.postgres, 'a PostgresServer or ExternalPostgres.of({...})');
    connectable('infrastructure.nats', infra.nats, 'a NatsServer or ExternalNats.of({...})');
    connectable('infrastructure.qdrant', infra.qdrant, 'a QdrantServer or ExternalQdrant.of({...})');
    check(infra.storage instanceof ObjectStorage, 'infrastructure.storage', infra.storage, 'ObjectStorage.minio({...}) or ObjectStorage.s3({...})');
    check(infra.storage.kind === 's3', 'infrastructure.storage', infra.storage.description, 'an S3 bucket (ObjectStorage.minio or .s3)', 'the services read AWS_* and S3_BUCKET_NAME');
    connectable('infrastructure.cache', infra.cache, 'a ValkeyServer or ExternalValkey.of({...})');
    connectable('oidc', props.oidc, "the OIDC issuer (a Dex the release renders, or a connectable setting OIDC_*)");
    if (props.telemetry !== undefined) connectable('telemetry', props.telemetry, 'an OtelGateway or OtelCollector');
    const encryptionKey = assertSecretKey('encryptionKey', props.encryptionKey);
    const timeout = props.inferenceTimeout ?? Duration.seconds(120);
    assertWholeSeconds('inferenceTimeout', timeout, { min: 1 });
    const gpu = props.gpu ?? {};
    // Gpu.nvidia names its options `gpu.*`, as this construct's props do.
    const gpuOption = Gpu.nvidia(1, { nodeSelector: gpu.nodeSelector, tolerations: gpu.tolerations, runtimeClassName: gpu.runtimeClassName });
    return { images: props.images, infra, encryptionKey, timeout, gpu: gpuOption, telemetry: props.telemetry, oidc: props.oidc };
  }

  private apiService(props: SemanticExplorerProps, s: Settings): WebService {
    const api = props.api;
    const grace = inConstruct(this, () => {
      check(api !== undefined && typeof api === 'object', 'api', api, '{ ingress: { hosts, ... } }');
      const g = api.terminationGracePeriod ?? Duration.seconds(45);
      const seconds = assertWholeSeconds('api.terminationGracePeriod', g, { min: 1 });
      check(seconds > API_PRESTOP_SECONDS, 'api.terminationGracePeriod', `${seconds}s`, `more than the ${API_PRESTOP_SECONDS}s preStop sleep (45s leaves in-flight requests 40s)`,
        'SIGKILL comes that long after the pod starts stopping, preStop included: the API would never see SIGTERM');
      return g;
    });
    const replicas = api.replicas ?? { min: 3, max: 10 };
    const d = s.infra.database;
    return buildChild(this, 'Api', { prefix: 'api', renames: { 'container.env': 'api.env', 'container.resources': 'api.resources', 'scaling.minReplicas': 'api.replicas.min', 'scaling.maxReplicas': 'api.replicas.max' } }, () => new WebService(this, 'Api', {
      name: 'api',
      identity: { name: 'api', partOf: PART_OF },
      container: {
        image: semanticExplorerImage(s.images, SemanticExplorerService.API),
        ports: [{ name: 'http', port: SEMANTIC_EXPLORER_API_PORT }],
        env: { ...common(SemanticExplorerService.API), ...(api.env ?? {}) },
        resources: api.resources ?? sized(500, 2000, 512, 2048),
        startupProbe: Probes.http('/health/live', 'http', probeSeconds(0, 5, 3, 30)),
        livenessProbe: Probes.http('/health/live', 'http', probeSeconds(0, 10, 5)),
        readinessProbe: Probes.http('/health/ready', 'http', probeSeconds(0, 5, 3)),
        preStop: PreStop.sleep(Duration.seconds(API_PRESTOP_SECONDS)),
        mounts: [{ volume: PodVolume.emptyDir('tmp', { sizeLimit: Size.gibibytes(1) }), path: '/tmp' }],
      },
      connections: [
        this.tracked((client) => {
          s.infra.postgres.connect(client, { env: [PostgresEnv.url('DATABASE_URL')], database: d?.name, login: d?.login, purpose: 'application data' });
        }),
        this.nats(s),
        this.qdrant(s, true),
        this.tracked((client) => {
          s.infra.cache.connect(client, { wait: false, purpose: 'cache' });
        }),
        this.storage(s, false),
        s.oidc,
        this.inference(this.embedding, 'EMBEDDING', s, true),
        this.inference(this.llm, 'LLM', s, true),
        ...this.otel(s, SemanticExplorerService.API),
        this.encryption(s),
        ...(api.connections ?? []),
      ],
      scaling: Scaling.autoscale({ minReplicas: replicas.min, maxReplicas: replicas.max, cpuUtilization: 70, memoryUtilization: 80 }),
      disruptionBudget: DisruptionBudget.minAvailable(1),
      spread: [Spread.acrossNodes()],
      terminationGracePeriod: grace,
      ingress: api.ingress,
    }));
  }

  private worker(id: string, prop: string, o: SemanticExplorerWorkerOptions | undefined, s: Settings, w: WorkerShape): Worker {
    const replicas = o?.replicas ?? w.replicas;
    const props: WorkerProps = {
      name: w.name,
      identity: { name: w.name, partOf: PART_OF },
      container: {
        image: semanticExplorerImage(s.images, w.name),
        ports: [{ name: 'health', port: w.port }],
        env: { ...common(w.name), HEALTH_CHECK_PORT: String(w.port), ...(o?.env ?? {}) },
        resources: o?.resources ?? w.resources,
        livenessProbe: Probes.http(w.live, 'health', probeSeconds(30, 10, 5)),
        readinessProbe: Probes.http(w.ready, 'health', probeSeconds(15, 5, 3)),
        mounts: w.tmp ? [{ volume: PodVolume.emptyDir('tmp', { sizeLimit: Size.gibibytes(10) }), path: '/tmp' }] : [],
      },
      connections: [...w.connections, ...this.otel(s, w.name), this.encryption(s)],
      scaling: Scaling.autoscale({ minReplicas: replicas.min, maxReplicas: replicas.max, cpuUtilization: 70, memoryUtilization: 80 }),
      disruptionBudget: DisruptionBudget.minAvailable(1),
      spread: [Spread.acrossNodes()],
      terminationGracePeriod: w.grace,
    };
    return buildChild(this, id, { prefix: prop, renames: { 'container.env': `${prop}.env`, 'container.resources': `${prop}.resources`, 'scaling.minReplicas': `${prop}.replicas.min`, 'scaling.maxReplicas': `${prop}.replicas.max` } },
      () => new Worker(this, id, props));
  }

  private embeddingApi(props: SemanticExplorerProps, s: Settings): WebService {
    const o = props.embedding ?? {};
    const cache: Mount[] = o.tensorrtCache ? [{ volume: PodVolume.claim('tensorrt-cache', { ...o.tensorrtCache }), path: SEMANTIC_EXPLORER_TENSORRT_DIR }] : [];
    return this.inferenceApi('Embedding', 'embedding', o, s, {
      name: SemanticExplorerService.EMBEDDING_INFERENCE,
      port: SEMANTIC_EXPLORER_EMBEDDING_PORT,
      models: o.models ?? { size: Size.gibibytes(50) },
      env: { INFERENCE_HOSTNAME: '0.0.0.0', INFERENCE_PORT: String(SEMANTIC_EXPLORER_EMBEDDING_PORT) },
      mounts: cache,
    });
  }

  private llmApi(props: SemanticExplorerProps, s: Settings): WebService {
    const o = props.llm ?? {};
    return this.inferenceApi('Llm', 'llm', o, s, {
      name: SemanticExplorerService.LLM_INFERENCE,
      port: SEMANTIC_EXPLORER_LLM_PORT,
      models: o.models ?? { size: Size.gibibytes(100) },
      env: { LLM_INFERENCE_HOSTNAME: '0.0.0.0', LLM_INFERENCE_PORT: String(SEMANTIC_EXPLORER_LLM_PORT) },
      // mistral.rs keeps its Hugging Face cache under the user's home; it is rebuilt from /models on a restart.
      mounts: [{ volume: PodVolume.emptyDir('hf-cache', { sizeLimit: Size.gibibytes(1) }), path: '/home/appuser/.cache' }],
    });
  }

  /**
   * A GPU inference API: one GPU on a GPU node (selector and toleration merged into the placement), the model claim at
   * /models, uid 1000 without added capabilities, a slow startup allowance for model loading, and a Recreate rollout
   * (the claim attaches to one node, and a second pod would need a second GPU).
   */
  private inferenceApi(id: string, prop: string, o: SemanticExplorerInferenceOptions, s: Settings, shape: InferenceShape): WebService {
    return buildChild(this, id, { prefix: prop, renames: { 'container.env': `${prop}.env`, 'container.resources': `${prop}.resources`, 'container.mounts[0].volume': `${prop}.models` } }, () => new WebService(this, id, {
      name: shape.name,
      identity: { name: shape.name, partOf: PART_OF },
      kind: WorkloadKind.deployment({ rollout: DeploymentRollout.recreate() }),
      container: {
        image: semanticExplorerImage(s.images, shape.name),
        ports: [{ name: 'http', port: shape.port }],
        env: { ...common(shape.name), ...shape.env, HF_HOME: SEMANTIC_EXPLORER_MODELS_DIR, ...(o.env ?? {}) },
        resources: o.resources ?? sized(1000, 4000, 4096, 16384),
        // Model loading takes minutes: 30 x 10 s before liveness takes over.
        startupProbe: Probes.http('/health/live', 'http', probeSeconds(0, 10, 5, 30)),
        livenessProbe: Probes.http('/health/live', 'http', probeSeconds(0, 10, 5)),
        readinessProbe: Probes.http('/health/ready', 'http', probeSeconds(0, 5, 3)),
        mounts: [
          { volume: PodVolume.claim('models', { ...shape.models }), path: SEMANTIC_EXPLORER_MODELS_DIR },
          { volume: PodVolume.emptyDir('tmp', { sizeLimit: Size.gibibytes(2) }), path: '/tmp' },
          ...shape.mounts,
        ],
      },
      connections: this.otel(s, shape.name),
      // The images' appuser (uid 1000), no added capabilities: GPU access comes from the device plugin, not SYS_ADMIN.
      security: SecurityProfile.restricted({ runAsUser: INFERENCE_UID, runAsGroup: INFERENCE_UID, fsGroup: INFERENCE_UID }),
      gpu: s.gpu,
      scaling: Scaling.fixed(1),
    }));
  }

  /** ENCRYPTION_MASTER_KEY from the operator's Secret (the one env key that is a credential, not a connection). */
  private encryption(s: Settings): IConnectable {
    return {
      connect: (client: ClientBinding) => {
        client.setEnv('ENCRYPTION_MASTER_KEY', EnvSource.secret(s.encryptionKey.name, s.encryptionKey.key), { controlledBy: "SemanticExplorer's encryptionKey" });
        client.addExternalRef({ kind: 'Secret', name: s.encryptionKey.name });
      },
    };
  }

  private nats(s: Settings): IConnectable {
    return this.tracked((client) => void s.infra.nats.connect(client, { purpose: 'job queues (JetStream)' }));
  }

  private qdrant(s: Settings, wait: boolean): IConnectable {
    return this.tracked((client) => void s.infra.qdrant.connect(client, { protocol: 'grpc', wait, purpose: 'vectors' }));
  }

  private storage(s: Settings, wait: boolean): IConnectable {
    return this.tracked((client) => void s.infra.storage.connect(client, { wait, purpose: 'files' }));
  }

  private inference(api: WebService, prefix: 'EMBEDDING' | 'LLM', s: Settings, wait: boolean): IConnectable {
    return api.httpClient({
      urlEnv: `${prefix}_INFERENCE_API_URL`,
      timeout: s.timeout,
      timeoutEnv: `${prefix}_INFERENCE_API_TIMEOUT_SECS`,
      wait,
      purpose: prefix === 'EMBEDDING' ? 'embeddings and reranking' : 'text generation',
    });
  }

  private otel(s: Settings, serviceName: string): IConnectable[] {
    const collector = s.telemetry;
    if (!collector) return [];
    return [this.tracked((client) => void collector.connect(client, { serviceName }))];
  }

  private tracked(fn: (client: ClientBinding) => void): IConnectable {
    return { connect: fn };
  }
}

const INFERENCE_UID = SEMANTIC_EXPLORER_INFERENCE_UID;
/** The API's preStop sleep: load balancers drop the pod before it stops accepting. */
const API_PRESTOP_SECONDS = 5;

/** Env every application service reads that no connection sets: its name in logs and traces, and JSON logs. */
function common(service: SemanticExplorerService): EnvMap {
  return { LOG_FORMAT: 'json', SERVICE_NAME: service };
}

interface Settings {
  readonly images: SemanticExplorerImages;
  readonly infra: SemanticExplorerInfrastructure;
  readonly encryptionKey: SecretKey;
  readonly timeout: Duration;
  readonly gpu: Gpu;
  readonly telemetry: SemanticExplorerTelemetry | undefined;
  readonly oidc: IConnectable;
}

interface WorkerShape {
  readonly name: SemanticExplorerService;
  readonly replicas: { readonly min: number; readonly max: number };
  readonly resources: Resources;
  readonly port: number;
  readonly live: string;
  readonly ready: string;
  readonly grace?: Duration;
  readonly tmp?: boolean;
  readonly connections: readonly IConnectable[];
}

interface InferenceShape {
  readonly name: SemanticExplorerService;
  readonly port: number;
  readonly models: ClaimOptions;
  readonly env: EnvMap;
  readonly mounts: readonly Mount[];
}
