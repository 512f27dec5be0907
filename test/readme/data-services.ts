import { App, Size } from 'cdk8s';
import {
  ExternalPostgres, MinioServer, NatsAuth, NatsPersistence, NatsServer, ObjectStorage, PostgresServer, PostgresTls, QdrantAuth,
  QdrantServer, Release, ValkeyAuth, ValkeyServer,
} from 'cdk8s-ops-kit';

export function buildDataServices(app: App) {
  const data = new Release(app, 'data', { namespace: 'data' });

  // Postgres in the cluster: every password is an operator-created Secret; the init scripts create roles and databases.
  const postgres = new PostgresServer(data, 'Postgres', {
    superuser: { password: { name: 'pg-superuser', key: 'password' } },
    storage: { size: Size.gibibytes(100) },
  });
  const owner = postgres.addRole('app', { password: { name: 'app-db', key: 'password' }, url: { name: 'app-db', key: 'url' } });
  postgres.addDatabase('app', { owner });

  // ... or a managed one, verified against the provider's CA.
  const managed = ExternalPostgres.of({
    host: 'pg.corp.example', database: 'app',
    login: { user: 'app', password: { name: 'managed-db', key: 'password' } },
    tls: PostgresTls.verifyFull({ name: 'pg-ca', key: 'ca.crt' }),
  });

  // Valkey as a cache with a read replica; NATS as a 3-node JetStream cluster; MinIO with its buckets; Qdrant x3.
  const cache = new ValkeyServer(data, 'Cache', { auth: ValkeyAuth.password({ name: 'cache-auth', key: 'password' }), readReplicas: 1 });
  const nats = new NatsServer(data, 'Nats', {
    cluster: { replicas: 3 },
    auth: NatsAuth.token({ name: 'nats-token', key: 'token' }),
    persistence: NatsPersistence.volume({ size: Size.gibibytes(10) }),
  });
  const minio = new MinioServer(data, 'Minio', { rootCredentials: { secretName: 'minio-root' } });
  const files = ObjectStorage.minio({ bucket: minio.addBucket('files'), auth: minio.rootKeys() });
  const qdrant = new QdrantServer(data, 'Qdrant', { replicas: 3, auth: QdrantAuth.apiKey({ name: 'qdrant-key', key: 'api-key' }) });

  // A workload wires each to its container with one call before it builds it (see docs/wiring.md):
  //   postgres.connect(client, { database: 'app', login: owner, env: [PostgresEnv.url()] });  // DATABASE_URL from app-db
  //   cache.connect(client); nats.connect(client); files.connect(client); qdrant.connect(client);
  return { postgres, owner, managed, cache, nats, files, qdrant };
}
