import { App, Size } from 'cdk8s';
import { ExternalEndpoint, ExternalPeer, NetworkPolicies } from '../lib/core';
import { Dex, DexConnector } from '../lib/dex';
import { DeliveryTarget } from '../lib/gitops';
import { ExternalNats, INats, NatsAuth, NatsPersistence, NatsServer } from '../lib/nats';
import { MinioServer, ObjectStorage, S3Auth } from '../lib/object-storage';
import { ExternalPostgres, IPostgres, PostgresExporter, PostgresLogin, PostgresServer, PostgresTls } from '../lib/postgres';
import { ExternalQdrant, IQdrant, QdrantAuth, QdrantServer } from '../lib/qdrant';
import { Quickwit, QuickwitMetastore } from '../lib/quickwit';
import { Release } from '../lib/release';
import { SemanticExplorer, SemanticExplorerDatabase } from '../lib/semantic-explorer';
import { Grafana, GrafanaDatasources, OtelGateway, Prometheus, ScrapeTarget } from '../lib/telemetry';
import { ExternalValkey, IValkey, ValkeyAuth, ValkeyServer } from '../lib/valkey';
import { IngressTls, renderIngress } from '../lib/workload';
import { semanticExplorerDelivery } from './delivery';
import type { ExampleApp } from './registry';

/** The application release the examples run (API and workers). */
export const SEMANTIC_EXPLORER_TAG = '0.4.1';
/** The inference images' build: CUDA 12, compute capability 8.9 (L4, L40S, RTX 40xx). */
export const SEMANTIC_EXPLORER_INFERENCE_TAG = '0.4.1-cuda12-sm89';
/** The public host of the API. */
export const SEMANTIC_EXPLORER_HOST = 'semantic-explorer.example.com';
/** The public host of Dex (the OIDC issuer browsers are sent to). */
export const SEMANTIC_EXPLORER_AUTH_HOST = 'auth.semantic-explorer.example.com';

/** The operator-created Secrets both releases read (names only; the values never appear in Git). */
export const SEMANTIC_EXPLORER_SECRETS = {
  /** ENCRYPTION_MASTER_KEY (key `master-key`). */
  encryption: 'semantic-explorer-encryption',
  /** The application's database login: `password` and `url` (the whole DSN DATABASE_URL reads). */
  database: 'semantic-explorer-db',
  /** Dex's static client secret for the API (key `client-secret`). */
  oidcClient: 'semantic-explorer-oidc',
  /** The GitHub OAuth app Dex logs users in with (`client-id`, `client-secret`). */
  github: 'semantic-explorer-github',
  /** The postgres-exporter role's password (key `password`); its role is a member of `pg_monitor`. */
  postgresExporter: 'semantic-explorer-pg-exporter',
  /** Object storage keys (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`). */
  storage: 'semantic-explorer-s3',
  /** NATS token (key `token`). */
  nats: 'semantic-explorer-nats',
  /** Qdrant API key (key `api-key`). */
  qdrant: 'semantic-explorer-qdrant',
  /** Valkey password (key `password`). */
  valkey: 'semantic-explorer-valkey',
  /** Grafana's admin login (`admin-user`, `admin-password`), read when its database is first created. */
  grafanaAdmin: 'semantic-explorer-grafana-admin',
} as const;

/** The managed services' network (an example RFC 1918 range; set yours). */
export const SEMANTIC_EXPLORER_MANAGED_NETWORK = '10.60.0.0/20';

/** Whether the data services run in the release or outside it. */
export enum SemanticExplorerInfra {
  /** Postgres, NATS, Qdrant, object storage and Valkey are managed endpoints with operator-created Secrets. */
  EXTERNAL = 'external',
  /** Everything runs in the release. */
  INTERNAL = 'internal',
}

/** What the tests vary. */
export interface SemanticExplorerAppOptions {
  /** Where the data services run. */
  readonly infrastructure: SemanticExplorerInfra;
  /**
   * Release name.
   * @default 'semantic-explorer' (external) or 'semantic-explorer-internal' (internal)
   */
  readonly name?: string;
  /**
   * Namespace.
   * @default - the release name
   */
  readonly namespace?: string;
  /** @default - no Argo CD objects */
  readonly delivery?: DeliveryTarget;
}

const DATABASE = 'semantic_explorer';
const LOGIN: PostgresLogin = {
  user: DATABASE,
  password: { name: SEMANTIC_EXPLORER_SECRETS.database, key: 'password' },
  url: { name: SEMANTIC_EXPLORER_SECRETS.database, key: 'url' },
};

interface Infra {
  readonly postgres: IPostgres;
  readonly database: SemanticExplorerDatabase;
  readonly nats: INats;
  readonly qdrant: IQdrant;
  readonly files: ObjectStorage;
  readonly quickwitIndexes: ObjectStorage;
  readonly cache: IValkey;
}

/** Managed services: every endpoint is declared with its network, every credential is an operator's Secret. */
function externalInfra(): Infra {
  const peer = (what: string) => ExternalPeer.cidr({ cidrs: [SEMANTIC_EXPLORER_MANAGED_NETWORK], reason: `the managed ${what}` });
  const keys = S3Auth.keys({ secretName: SEMANTIC_EXPLORER_SECRETS.storage });
  const s3 = (bucket: string) => ObjectStorage.s3({ bucket, region: 'eu-central-1', endpointUrl: 'https://s3.storage.example.internal', auth: keys, peer: peer('object storage') });
  return {
    postgres: ExternalPostgres.of({
      host: 'pg.data.example.internal',
      database: DATABASE,
      login: LOGIN,
      tls: PostgresTls.verifyFull({ name: 'semantic-explorer-pg-ca', key: 'ca.crt' }),
      peer: peer('Postgres'),
    }),
    database: { name: DATABASE, login: LOGIN },
    nats: ExternalNats.of({ url: 'nats://nats.data.example.internal:4222', replicas: 3, auth: NatsAuth.token({ name: SEMANTIC_EXPLORER_SECRETS.nats, key: 'token' }), peer: peer('NATS cluster') }),
    qdrant: ExternalQdrant.of({ url: 'https://qdrant.data.example.internal', auth: QdrantAuth.apiKey({ name: SEMANTIC_EXPLORER_SECRETS.qdrant, key: 'api-key' }), peer: peer('Qdrant cluster') }),
    files: s3('semantic-explorer-files'),
    quickwitIndexes: s3('quickwit'),
    cache: ExternalValkey.of({
      url: 'rediss://primary.cache.data.example.internal:6380',
      readUrl: 'rediss://reader.cache.data.example.internal:6380',
      auth: ValkeyAuth.password({ name: SEMANTIC_EXPLORER_SECRETS.valkey, key: 'password' }),
      peer: peer('Valkey'),
    }),
  };
}

/** Everything in the release: Postgres 100Gi, NATS 3-node JetStream, Qdrant x3, MinIO x4 with both buckets, Valkey. */
function internalInfra(release: Release): Infra {
  const postgres = new PostgresServer(release, 'Postgres', {
    superuser: { password: { name: 'semantic-explorer-pg-superuser', key: 'password' } },
    storage: { size: Size.gibibytes(100) },
    exporter: { password: { name: SEMANTIC_EXPLORER_SECRETS.postgresExporter, key: 'password' } },
  });
  const role = postgres.addRole(DATABASE, { password: LOGIN.password!, url: LOGIN.url });
  postgres.addDatabase(DATABASE, { owner: role });
  const nats = new NatsServer(release, 'Nats', {
    cluster: { replicas: 3 },
    persistence: NatsPersistence.volume({ size: Size.gibibytes(10) }),
    auth: NatsAuth.token({ name: SEMANTIC_EXPLORER_SECRETS.nats, key: 'token' }),
  });
  const qdrant = new QdrantServer(release, 'Qdrant', {
    replicas: 3,
    auth: QdrantAuth.apiKey({ name: SEMANTIC_EXPLORER_SECRETS.qdrant, key: 'api-key' }),
    storage: { size: Size.gibibytes(50) },
  });
  const minio = new MinioServer(release, 'Minio', { replicas: 4, rootCredentials: { secretName: 'semantic-explorer-minio-root' }, storage: { size: Size.gibibytes(100) } });
  // One bucket Job creates both buckets, once: the chart ran the subchart's provisioning and its own hook Job.
  const files = ObjectStorage.minio({ bucket: minio.addBucket('semantic-explorer-files'), auth: minio.rootKeys() });
  const quickwitIndexes = ObjectStorage.minio({ bucket: minio.addBucket('quickwit'), auth: minio.rootKeys() });
  const cache = new ValkeyServer(release, 'Valkey', {
    auth: ValkeyAuth.password({ name: SEMANTIC_EXPLORER_SECRETS.valkey, key: 'password' }),
    readReplicas: 1,
    maxMemoryPolicy: 'allkeys-lru',
  });
  return { postgres, database: { name: DATABASE, login: LOGIN }, nats, qdrant, files, quickwitIndexes, cache };
}

/**
 * One semantic-explorer release: the application services, Dex, Quickwit, and the data services in the release or
 * outside it.
 */
export function buildSemanticExplorer(app: App, options: SemanticExplorerAppOptions): SemanticExplorer {
  const internal = options.infrastructure === SemanticExplorerInfra.INTERNAL;
  const name = options.name ?? (internal ? 'semantic-explorer-internal' : 'semantic-explorer');
  const release = new Release(app, name, {
    namespace: options.namespace ?? name,
    delivery: options.delivery,
    networkPolicy: NetworkPolicies.defaultDeny({
      apiServer: ExternalPeer.cidr({ cidrs: ['10.50.0.10/32', '10.50.0.11/32', '10.50.0.12/32'], ports: [6443], reason: 'the control-plane nodes (kube-apiserver on 6443)' }),
      nodes: ExternalPeer.cidr({ cidrs: ['10.50.0.0/22'], reason: 'the node network' }),
    }),
  });
  const infra = internal ? internalInfra(release) : externalInfra();
  const postgresMetrics: ScrapeTarget[] = [];
  if (!internal) {
    // The managed database's pod takes no sidecar: its exporter runs beside the application, as its own monitor role.
    const exporter = new PostgresExporter(release, 'PostgresExporter', {
      postgres: infra.postgres,
      login: { user: 'postgres_exporter', password: { name: SEMANTIC_EXPLORER_SECRETS.postgresExporter, key: 'password' } },
      database: DATABASE,
    });
    postgresMetrics.push(exporter.scrapeTarget());
  } else if (infra.postgres instanceof PostgresServer && infra.postgres.metricsEndpoint) {
    postgresMetrics.push(ScrapeTarget.pods('postgres-exporter', infra.postgres.metricsEndpoint, 'metrics'));
  }

  const issuer = `https://${SEMANTIC_EXPLORER_AUTH_HOST}`;
  const dex = new Dex(release, 'Dex', {
    issuer,
    connectors: [DexConnector.github({
      clientId: { name: SEMANTIC_EXPLORER_SECRETS.github, key: 'client-id' },
      clientSecret: { name: SEMANTIC_EXPLORER_SECRETS.github, key: 'client-secret' },
    })],
    staticClients: [{
      id: 'semantic-explorer',
      name: 'Semantic Explorer',
      secret: { name: SEMANTIC_EXPLORER_SECRETS.oidcClient, key: 'client-secret' },
      redirectUris: [`https://${SEMANTIC_EXPLORER_HOST}/auth/callback`],
    }],
  });
  const tls = IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' });
  renderIngress(release, 'DexIngress', dex.endpoint, dex.selector, {
    hosts: [SEMANTIC_EXPLORER_AUTH_HOST], className: 'nginx', tls, port: 'http',
  });

  const quickwit = new Quickwit(release, 'Quickwit', {
    indexStorage: infra.quickwitIndexes,
    metastore: QuickwitMetastore.postgres(infra.postgres, { database: DATABASE, login: LOGIN }),
  });

  // Telemetry: the collector as a Deployment, logs and traces to Quickwit, metrics to Prometheus (a namespaced Role
  // bound to the account its pod runs as, discovery in its own namespace), Grafana on Prometheus with a dashboard
  // sidecar that loads ConfigMaps labelled grafana_dashboard=1 from this namespace only (a configmaps-only Role).
  const otel = new OtelGateway(release, 'Otel', { name: 'otel-collector', logsAndTraces: quickwit.otlpTarget });
  const prometheus = new Prometheus(release, 'Prometheus', {
    name: 'prometheus',
    routePrefix: '',
    externalUrl: '/',
    scrapeTargets: [...otel.scrapeTargets(), ...postgresMetrics],
    persistence: { size: Size.gibibytes(50) },
  });
  new Grafana(release, 'Grafana', {
    name: 'grafana',
    routePrefix: '/grafana',
    admin: { secretName: SEMANTIC_EXPLORER_SECRETS.grafanaAdmin, userKey: 'admin-user', passwordKey: 'admin-password' },
    datasources: new GrafanaDatasources().addService({
      name: 'Prometheus', type: 'prometheus', uid: 'prometheus', endpoint: prometheus.endpoint, ...(prometheus.routePrefix ? { path: prometheus.routePrefix } : {}), isDefault: true, jsonData: { httpMethod: 'POST' },
    }),
    dashboardSidecar: {},
  });

  // The API fetches the issuer's discovery document and keys at the issuer URL, the public host: inside the cluster
  // that traffic reaches the ingress controller's pods (kube-proxy forwards the load balancer's address to them), so
  // the API's egress to them on 443 is a connection of its own, or the default deny drops every login.
  const publicIssuer = ExternalEndpoint.of({
    host: SEMANTIC_EXPLORER_AUTH_HOST,
    ports: [{ name: 'https', port: 443 }],
    peer: NetworkPolicies.of(release).ingressController,
    description: 'the OIDC issuer through the ingress controller',
  });

  return new SemanticExplorer(release, 'SemanticExplorer', {
    images: { tag: SEMANTIC_EXPLORER_TAG, inferenceTag: SEMANTIC_EXPLORER_INFERENCE_TAG },
    infrastructure: {
      postgres: infra.postgres, database: infra.database, nats: infra.nats, qdrant: infra.qdrant, storage: infra.files, cache: infra.cache,
    },
    oidc: dex.client('semantic-explorer'),
    encryptionKey: { name: SEMANTIC_EXPLORER_SECRETS.encryption, key: 'master-key' },
    api: {
      ingress: { hosts: [SEMANTIC_EXPLORER_HOST], className: 'nginx', tls },
      connections: [{ connect: (client) => void client.connect(publicIssuer, 'https', { purpose: 'OIDC discovery and token exchange at the public issuer' }) }],
    },
    embedding: { tensorrtCache: { size: Size.gibibytes(10) } },
    telemetry: otel,
  });
}

export const semanticExplorerApp: ExampleApp = {
  name: 'semantic-explorer',
  description: 'semantic-explorer: API, workers and GPU inference APIs with Dex and Quickwit, on managed or in-cluster data services',
  build: (app) => {
    const delivery = semanticExplorerDelivery();
    buildSemanticExplorer(app, { infrastructure: SemanticExplorerInfra.EXTERNAL, delivery });
    buildSemanticExplorer(app, { infrastructure: SemanticExplorerInfra.INTERNAL, delivery });
  },
};
