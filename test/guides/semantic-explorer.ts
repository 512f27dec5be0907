import { App, Size } from 'cdk8s';
import {
  Dex, DexConnector, ExternalNats, ExternalPeer, IngressTls, MinioServer, NatsAuth, ObjectStorage, PostgresServer, QdrantAuth, QdrantServer,
  Release, SemanticExplorer, ValkeyAuth, ValkeyServer,
} from 'cdk8s-ops-kit';

/** semantic-explorer with its data services in the release, except NATS: the company's shared JetStream cluster. */
export function buildSemanticExplorer(app: App): SemanticExplorer {
  const release = new Release(app, 'semantic-explorer', { namespace: 'semantic-explorer' });

  // Postgres with a role and database of the application's; DATABASE_URL is read whole from the role's `url` key.
  const postgres = new PostgresServer(release, 'Postgres', {
    superuser: { password: { name: 'se-pg-superuser', key: 'password' } },
    storage: { size: Size.gibibytes(100) },
  });
  const login = postgres.addRole('semantic_explorer', {
    password: { name: 'se-db', key: 'password' },
    url: { name: 'se-db', key: 'url' },
  });
  postgres.addDatabase('semantic_explorer', { owner: login });

  // NATS outside the release: NATS_REPLICAS comes from `replicas`, the cluster's size, for every client.
  const nats = ExternalNats.of({
    url: 'nats://nats.messaging.corp.example:4222',
    replicas: 3,
    auth: NatsAuth.token({ name: 'se-nats', key: 'token' }),
    peer: ExternalPeer.cidr({ cidrs: ['10.70.0.0/24'], reason: 'the shared NATS cluster' }),
  });
  const qdrant = new QdrantServer(release, 'Qdrant', { replicas: 3, auth: QdrantAuth.apiKey({ name: 'se-qdrant', key: 'api-key' }) });

  // One bucket Job creates every bucket the server knows, once.
  const minio = new MinioServer(release, 'Minio', { replicas: 4, rootCredentials: { secretName: 'se-minio-root' } });
  const files = ObjectStorage.minio({ bucket: minio.addBucket('semantic-explorer-files'), auth: minio.rootKeys() });

  // With a read replica, VALKEY_READ_URL names its Service; without one, the primary's.
  const cache = new ValkeyServer(release, 'Valkey', { auth: ValkeyAuth.password({ name: 'se-valkey', key: 'password' }), readReplicas: 1 });

  // The issuer the API is given is the one Dex serves, and the client secret is the Secret key Dex reads.
  const dex = new Dex(release, 'Dex', {
    issuer: 'https://auth.semantic-explorer.example.com',
    connectors: [DexConnector.github({ clientId: { name: 'se-github', key: 'client-id' }, clientSecret: { name: 'se-github', key: 'client-secret' } })],
    staticClients: [{
      id: 'semantic-explorer',
      secret: { name: 'se-oidc', key: 'client-secret' },
      redirectUris: ['https://semantic-explorer.example.com/auth/callback'],
    }],
  });

  return new SemanticExplorer(release, 'SemanticExplorer', {
    // Required, never `latest`: the API and workers, and the CUDA build of the inference APIs.
    images: { tag: '0.4.1', inferenceTag: '0.4.1-cuda12-sm89' },
    infrastructure: { postgres, database: { name: 'semantic_explorer', login }, nats, qdrant, storage: files, cache },
    oidc: dex.client('semantic-explorer'),
    encryptionKey: { name: 'se-encryption', key: 'master-key' },
    api: {
      ingress: { hosts: ['semantic-explorer.example.com'], className: 'nginx', tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' }) },
    },
    // The GPU pool's label and taint, and the RuntimeClass of the GPU Operator.
    gpu: {
      nodeSelector: { 'cloud.example.com/pool': 'l4' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      runtimeClassName: 'nvidia',
    },
    embedding: { tensorrtCache: { size: Size.gibibytes(10) } },
  });
}
