import { ConfigError } from '../../lib/core/errors';
import { NatsServer } from '../../lib/nats';
import { MinioServer } from '../../lib/object-storage';
import { PostgresServer } from '../../lib/postgres';
import { QdrantAuth, QdrantServer } from '../../lib/qdrant';
import { ValkeyAuth, ValkeyServer } from '../../lib/valkey';
import { newRelease } from '../support';

// The data services check their props by the names their users write (no component prefix), and a ConfigError names
// the construct the user created, like every construct on main's error attribution.
function thrown(build: () => unknown): ConfigError {
  try {
    build();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('nothing was thrown');
}

describe('data services name the construct and the prop as written', () => {
  const cases: ReadonlyArray<readonly [string, () => unknown, string, unknown]> = [
    ['PostgresServer "r/Pg"', () => new PostgresServer(newRelease(), 'Pg', { superuser: { password: { name: 'pg', key: 'password' } }, database: 'Bad-Name' }), 'database', 'Bad-Name'],
    ['ValkeyServer "r/Cache"', () => new ValkeyServer(newRelease(), 'Cache', { auth: ValkeyAuth.password({ name: 'c', key: 'p' }), readReplicas: 1e21 }), 'readReplicas', 1e21],
    ['QdrantServer "r/Q"', () => new QdrantServer(newRelease(), 'Q', { auth: QdrantAuth.none({ reason: 'loopback only' }), replicas: 2 }), 'replicas', 2],
    ['MinioServer "r/M"', () => new MinioServer(newRelease(), 'M', { rootCredentials: { secretName: 'minio-root' }, replicas: 3 }), 'replicas', 3],
    ['NatsServer "r/N"', () => new NatsServer(newRelease(), 'N', { cluster: { replicas: 4 } }), 'cluster.replicas', 4],
  ];
  test.each(cases)('fails when %s gets a bad prop: the message names the construct, the prop, the value and what is allowed', (construct, build, prop, value) => {
    const e = thrown(build);
    expect(e.construct?.type).toBe(construct.split(' ')[0]);
    expect(e.message.startsWith(`${construct}: '${prop}' is ${String(value)}`) || e.message.startsWith(`${construct}: '${prop}' is "${String(value)}"`)).toBe(true);
    expect(e.message).toContain('; allowed: ');
    expect(e.prop).toBe(prop);
  });

  test('fails when a method gets a bad argument: addRole names the server and the role', () => {
    const pg = new PostgresServer(newRelease(), 'Pg', { superuser: { password: { name: 'pg', key: 'password' } } });
    const e = thrown(() => pg.addRole('App', { password: { name: 'app', key: 'password' } }));
    expect(e.message).toMatch(/^PostgresServer "r\/Pg": 'roles\.App' is "App"; allowed: a lowercase Postgres identifier/);
  });
});
