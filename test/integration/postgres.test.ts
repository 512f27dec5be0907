/**
 * A real PostgreSQL (Debian's 15; the image runs 16) initialized the way the official image's entrypoint does it, with
 * the init scripts and server settings a PostgresServer renders, on loopback.
 *
 * What the entrypoint does, and what this test does instead: it runs `initdb --username=$POSTGRES_USER
 * --pwfile=<password>` (local trust, host scram-sha-256), starts a temporary server listening only on its Unix socket,
 * creates POSTGRES_DB, runs every `/docker-entrypoint-initdb.d/*.sh` in name order with the container's env, stops the
 * temporary server and starts the real one with the rendered `args`. The test does the same as the `postgres` user
 * (initdb refuses to run as root), with two differences it states: the socket lives in a temp directory (PGHOST points
 * the scripts' psql at it; the image uses /var/run/postgresql), and the real server listens on 127.0.0.1 and a free
 * port (`-c listen_addresses`, `-c port` appended after the rendered settings).
 */
import { App } from 'cdk8s';
import { PostgresEnv, PostgresServer } from '../../lib/postgres';
import { renderRelease } from '../../lib/release';
import { DemoWorkload, envOf, newRelease, Obj, Template } from '../support';
import { EntrypointPostgres, ok, pgBin } from './support/postgres';

const PASSWORDS = { superuser: 'su-7f1c0a9e', app: 'app-3b9d2c44', reader: 'rd-a1b2c3d4', exporter: 'ex-0f9e8d7c' };

/** The release under test: EDEN-like superuser and default database, a second database, an owner role and a reader. */
function build(): { t: Template; server: PostgresServer; client: Obj } {
  const r = newRelease({ id: 'eden', namespace: 'eden' }, new App());
  const server = new PostgresServer(r, 'Pg', {
    superuser: { user: 'eden', password: { name: 'eden-pg', key: 'password' } },
    database: 'eden',
    exporter: { password: { name: 'pg-exporter', key: 'password' } },
  });
  const app = server.addRole('app', { password: { name: 'app-db', key: 'password' } });
  const reader = server.addRole('reader', { password: { name: 'reader-db', key: 'password' } });
  server.addDatabase('eden_control_plane');
  server.addDatabase('app_data', { owner: app, connect: [reader] });
  new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => server.connect(c, { database: 'app_data', login: app, env: [PostgresEnv.libpq()] })] });
  const t = new Template(renderRelease(r));
  return { t, server, client: t.find('Deployment', 'web') };
}

describe('PostgreSQL initialized from the rendered init scripts and started with the rendered settings', () => {
  const bin = pgBin();
  const { t, client } = build();
  const sts = t.find('StatefulSet');
  const container = t.container('StatefulSet', undefined, 'postgres');
  const env = envOf(container) as Record<string, unknown>;
  const scripts: Record<string, string> = t.find('ConfigMap', 'eden-postgres-initdb').data;
  const settings: string[] = container.args.slice(1);

  let pg: EntrypointPostgres;
  // The server container's env with the Secrets' values filled in (what the init scripts read).
  const roleEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
    PG_ROLE_PASSWORD_app: PASSWORDS.app,
    PG_ROLE_PASSWORD_reader: PASSWORDS.reader,
    PG_ROLE_PASSWORD_postgres_exporter: PASSWORDS.exporter,
    ...overrides,
  });

  beforeAll(async () => {
    pg = await EntrypointPostgres.start({
      user: env.POSTGRES_USER as string, database: env.POSTGRES_DB as string, password: PASSWORDS.superuser, scripts, env: roleEnv(), settings,
    });
  }, 90_000);

  afterAll(() => pg?.stop(), 30_000);

  const asPostgres = (cmd: string, args: string[], vars: Record<string, string> = {}, timeout = 30_000) => pg.asPostgres(cmd, args, vars, timeout);
  const psqlTcp = (user: string, password: string, database: string, sql: string) => pg.psql(user, password, database, sql);

  test('the rendered settings contain no space or quote, so they pass through argv unchanged', () => {
    expect(settings.length % 2).toBe(0);
    for (let i = 0; i < settings.length; i += 2) {
      expect(settings[i]).toBe('-c');
      expect(settings[i + 1]).toMatch(/^[a-z_.]+=[A-Za-z0-9_.:,/+-]+$/);
    }
  });

  test('pg_isready, exactly as the probes run it (the port moved to the test port), says the server accepts connections', () => {
    const probe: string[] = container.readinessProbe.exec.command;
    expect(probe).toEqual(['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', 'eden', '-d', 'eden']);
    const args = probe.slice(1).map((a, i, all) => (all[i - 1] === '-p' ? String(pg.port) : a));
    expect(asPostgres(`${bin}/pg_isready`, args).status).toBe(0);
  });

  test('the client\'s wait init container, pointed at the test server, returns', () => {
    const wait = (client.spec.template.spec.initContainers as Obj[]).find((c) => c.name === 'wait-for-postgres')!;
    const script: string = wait.args[0];
    expect(script).toContain("'-h' 'eden-postgres.eden.svc' '-p' '5432'");
    const local = script.replace("'eden-postgres.eden.svc'", "'127.0.0.1'").replace("'-p' '5432'", `'-p' '${pg.port}'`);
    expect(ok(asPostgres('sh', ['-c', local], {}, 15_000))).not.toContain('waiting');
  });

  test('the server runs with the rendered settings', () => {
    for (const [name, expected] of [['shared_buffers', '256MB'], ['max_connections', '100'], ['password_encryption', 'scram-sha-256'], ['work_mem', '4MB'], ['effective_cache_size', '768MB']]) {
      expect([name, ok(psqlTcp('eden', PASSWORDS.superuser, 'eden', `SHOW ${name}`)).trim()]).toEqual([name, expected]);
    }
    expect(sts.spec.template.spec.containers[0].args).toContain('shared_buffers=256MB');
  });

  test('the roles and databases exist, each database owned by its role', () => {
    const roles = ok(psqlTcp('eden', PASSWORDS.superuser, 'eden', "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb FROM pg_roles WHERE rolname IN ('eden', 'app', 'reader') ORDER BY rolname"));
    expect(roles.trim().split('\n')).toEqual(['app|t|f|f', 'eden|t|t|t', 'reader|t|f|f']);
    const dbs = ok(psqlTcp('eden', PASSWORDS.superuser, 'eden', "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname IN ('eden', 'eden_control_plane', 'app_data') ORDER BY datname"));
    expect(dbs.trim().split('\n')).toEqual(['app_data|app', 'eden|eden', 'eden_control_plane|eden']);
  });

  test('each role logs in over TCP with its password (scram) to the databases it may reach, and no further', () => {
    expect(ok(psqlTcp('app', PASSWORDS.app, 'app_data', 'SELECT current_user')).trim()).toBe('app');
    expect(ok(psqlTcp('reader', PASSWORDS.reader, 'app_data', 'SELECT current_user')).trim()).toBe('reader');
    expect(ok(psqlTcp('eden', PASSWORDS.superuser, 'eden_control_plane', 'SELECT current_database()')).trim()).toBe('eden_control_plane');
    // CONNECT was revoked from PUBLIC on the databases the server creates
    expect(psqlTcp('app', PASSWORDS.app, 'eden_control_plane', 'SELECT 1').stderr).toMatch(/permission denied for database "eden_control_plane"/);
    expect(psqlTcp('app', 'wrong', 'app_data', 'SELECT 1').stderr).toMatch(/password authentication failed for user "app"/);
    // the owner of a Postgres 15+ database owns its public schema, so it can create tables without grants
    expect(ok(psqlTcp('app', PASSWORDS.app, 'app_data', 'CREATE TABLE t (id int)')).trim()).toBe('CREATE TABLE');
  });

  test('the exporter\'s role logs in to the default database and reads the statistics views through pg_monitor', () => {
    const exporter = t.container('StatefulSet', undefined, 'exporter');
    const uri: string = (envOf(exporter) as Record<string, string>).DATA_SOURCE_URI;
    expect(uri).toBe('127.0.0.1:5432/eden?sslmode=disable');
    const member = ok(psqlTcp('postgres_exporter', PASSWORDS.exporter, 'eden', "SELECT pg_has_role(current_user, 'pg_monitor', 'member')")).trim();
    expect(member).toBe('t');
    // pg_monitor reads every backend's query text, which a plain role sees as <insufficient privilege>
    expect(ok(psqlTcp('postgres_exporter', PASSWORDS.exporter, 'eden', "SELECT count(*) FROM pg_stat_activity WHERE query = '<insufficient privilege>'")).trim()).toBe('0');
  });

  test('the scripts run again on the running server without error, and bring a changed password in line with the env', () => {
    pg.runScripts({ PG_ROLE_PASSWORD_reader: 'rotated-5e6f' });
    expect(ok(psqlTcp('reader', 'rotated-5e6f', 'app_data', 'SELECT 1')).trim()).toBe('1');
    expect(psqlTcp('reader', PASSWORDS.reader, 'app_data', 'SELECT 1').status).not.toBe(0);
    pg.runScripts();
    expect(ok(psqlTcp('reader', PASSWORDS.reader, 'app_data', 'SELECT 1')).trim()).toBe('1');
  });

  test('an empty role password stops the roles script before any SQL runs', () => {
    const r = pg.runScript('10-roles.sh', { PG_ROLE_PASSWORD_app: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('role app: the password (Secret app-db key password) is empty or missing');
    expect(ok(psqlTcp('app', PASSWORDS.app, 'app_data', 'SELECT 1')).trim()).toBe('1');
  });
});
