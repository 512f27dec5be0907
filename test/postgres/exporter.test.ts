import { App } from 'cdk8s';
import { ExternalPeer } from '../../lib/core';
import { ExternalPostgres, PostgresExporter, PostgresExporterProps, PostgresServer, PostgresTls } from '../../lib/postgres';
import { envOf, newRelease, Obj, Template, violationsOf } from '../support';

const PEER = ExternalPeer.cidr({ cidrs: ['10.20.0.0/16'], reason: 'the provider network' });
const MONITOR = { user: 'monitor', password: { name: 'pg-monitor', key: 'password' } };

function external(tls?: PostgresTls, props: Partial<PostgresExporterProps> = {}) {
  const app = new App();
  const r = newRelease({}, app);
  const pg = ExternalPostgres.of({
    peer: PEER, host: 'pg.corp.example', database: 'semantic', tls: tls ?? PostgresTls.require(),
    login: { user: 'app', password: { name: 'pg-login', key: 'password' } },
  });
  const exporter = new PostgresExporter(r, 'Exporter', { postgres: pg, login: MONITOR, ...props });
  return { app, r, exporter, t: Template.fromRelease(r) };
}

describe('PostgresExporter (a managed database)', () => {
  const { exporter, t, app } = external(PostgresTls.verifyFull({ name: 'pg-ca', key: 'ca.crt' }));
  const c = t.container('Deployment', 'r-postgres-exporter', 'exporter');

  test('snapshot', () => {
    expect(t.objectsOf(exporter)).toMatchSnapshot();
  });

  test('pinned image; the DSN is the connection\'s host, port, database and TLS; user and password from the login', () => {
    expect(c.image).toBe('quay.io/prometheuscommunity/postgres-exporter:v0.16.0');
    const env = envOf(c);
    expect(env.DATA_SOURCE_URI).toBe('pg.corp.example:5432/semantic?sslmode=verify-full&sslrootcert=/etc/postgres-ca/pg-ca/ca.crt');
    expect(env.DATA_SOURCE_USER).toBe('monitor');
    expect(env.DATA_SOURCE_PASS).toEqual({ secretKeyRef: { name: 'pg-monitor', key: 'password' } });
    expect(c.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/etc/postgres-ca/pg-ca', readOnly: true }));
    expect(t.find('Deployment').metadata.annotations['refs.ops-kit.io/external']).toContain('Secret/pg-monitor');
    expect(t.connections.map((x) => [x.to.type, x.to.port.port])).toContainEqual(['external', 5432]);
    expect(violationsOf(app)).toEqual([]);
  });

  test('a scrape target Prometheus binds to the pods\' metrics port', () => {
    expect(exporter.scrapeTarget().jobName).toBe('postgres-exporter');
    expect(exporter.metricsPods.ports.map((p) => [p.name, p.port])).toEqual([['metrics', 9187]]);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9187 }]);
  });

  test('without TLS the URI says sslmode=disable (lib/pq would default to require)', () => {
    const r = newRelease();
    const pg = ExternalPostgres.of({ peer: PEER, host: 'pg.corp.example', database: 'semantic', tls: PostgresTls.disable(), login: { user: 'app', password: { name: 'p', key: 'k' } } });
    new PostgresExporter(r, 'E', { postgres: pg, login: MONITOR });
    expect(envOf(Template.fromRelease(r).container('Deployment', 'r-postgres-exporter', 'exporter')).DATA_SOURCE_URI).toBe('pg.corp.example:5432/semantic?sslmode=disable');
  });

  test('an in-cluster server: the DSN names its Service', () => {
    const r = newRelease();
    const pg = new PostgresServer(r, 'Pg', { superuser: { password: { name: 'pg-superuser', key: 'password' } } });
    pg.addRole('monitor', { password: MONITOR.password, monitor: true });
    new PostgresExporter(r, 'E', { postgres: pg, login: MONITOR });
    const t = Template.fromRelease(r);
    expect(envOf(t.container('Deployment', 'r-postgres-exporter', 'exporter')).DATA_SOURCE_URI).toBe('r-postgres.ns.svc:5432/postgres?sslmode=disable');
    expect(t.find('Service', 'r-postgres').spec.ports.map((p: Obj) => p.port)).toContain(5432);
  });
});

describe('PostgresExporter fails', () => {
  test('fails when the login is the server\'s default login', () => {
    expect(() => external(undefined, { login: { user: 'app', password: { name: 'pg-login', key: 'password' } } })).toThrow(/'login.user' is "app".*pg_monitor other than the server's default login \(app\)/s);
  });
  test('fails when there is no login', () => {
    expect(() => external(undefined, { login: undefined as never })).toThrow(/'login' is undefined/);
  });
});
