import { ApiObject, App, Duration, JsonPatch, Size } from 'cdk8s';
import { configChecksum, ConnectionKind, HostForm, sized, Wiring } from '../../lib/core';
import { ExternalPostgres, PostgresEnv, PostgresServer, PostgresServerProps, PostgresTls, POSTGRES_PGDATA } from '../../lib/postgres';
import { notesText, Release } from '../../lib/release';
import { DemoWorkload, envOf, expectUpgradeKeepsClaims, newRelease, Template, violationsOf } from '../support';
import { ExternalPeer } from '../../lib/core';
const PEER = ExternalPeer.cidr({ cidrs: ['10.20.0.0/16'], reason: 'the provider network' });

const SUPERUSER = { password: { name: 'pg-superuser', key: 'password' } };

type Rendered = { pg: PostgresServer; t: Template; release: Release };

function render(props: Partial<PostgresServerProps> = {}, build?: (pg: PostgresServer, r: Release) => void): Rendered {
  const release = newRelease();
  const pg = new PostgresServer(release, 'Pg', { superuser: SUPERUSER, ...props });
  build?.(pg, release);
  return { pg, t: Template.fromRelease(release), release };
}

describe('PostgresServer defaults', () => {
  const { pg, t, release } = render();
  const sts = t.find('StatefulSet');
  const pod = sts.spec.template.spec;
  const c = t.container('StatefulSet', 'r-postgres', 'postgres');

  test('snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('renders the init-script ConfigMap, a ClusterIP Service, the governing headless Service and a one-pod StatefulSet', () => {
    expect(t.ids()).toEqual(['ConfigMap/r-postgres-initdb', 'NetworkPolicy/r-default-deny', 'NetworkPolicy/r-postgres', 'Service/r-postgres', 'Service/r-postgres-headless', 'StatefulSet/r-postgres']);
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('r-postgres-headless');
    expect(t.find('Service', 'r-postgres-headless').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(t.find('Service', 'r-postgres').spec.clusterIP).toBeUndefined();
  });

  test('the StatefulSet is the Resource child, and a JSON patch on it reaches the output', () => {
    expect(pg.node.findChild('Resource')).toBe(pg.statefulSet);
    const r = newRelease();
    const patched = new PostgresServer(r, 'Pg', { superuser: SUPERUSER });
    ApiObject.of(patched.node.findChild('Resource')).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 10));
    expect(Template.fromRelease(r).find('StatefulSet').spec.minReadySeconds).toBe(10);
  });

  test('runs the pinned postgres 16 Alpine image as uid 70, non-root, on a read-only root filesystem', () => {
    expect(c.image).toMatch(/^postgres:16\.\d+-alpine$/);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, fsGroup: 70 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // every path Postgres writes is a volume
    expect(c.volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/dev/shm', '/docker-entrypoint-initdb.d', '/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
  });

  test('PGDATA is a subdirectory of the data volume, so lost+found at the volume root never breaks initdb', () => {
    const data = c.volumeMounts.find((m: any) => m.name === 'data');
    expect(envOf(c).PGDATA).toBe(POSTGRES_PGDATA);
    expect(POSTGRES_PGDATA.startsWith(`${data.mountPath}/`)).toBe(true);
    expect(POSTGRES_PGDATA).not.toBe(data.mountPath);
  });

  test('the superuser password is a Secret key reference; POSTGRES_USER and POSTGRES_DB are literals', () => {
    expect(envOf(c)).toMatchObject({
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: { secretKeyRef: { name: 'pg-superuser', key: 'password' } },
      POSTGRES_DB: 'postgres',
    });
    expect(sts.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/pg-superuser');
  });

  test('probes run pg_isready over TCP against the container port, the database and user clients use', () => {
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      expect(probe.exec.command).toEqual(['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-d', 'postgres']);
    }
    expect(c.ports).toEqual([{ name: 'postgres', containerPort: 5432 }]);
    // the startup budget (10 minutes) covers initdb and a long crash recovery before liveness starts
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(600);
  });

  test('the data claim template is 10Gi ReadWriteOnce and kept by Argo CD when the release goes', () => {
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data', labels: sts.spec.selector.matchLabels, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    }]);
  });

  test('the init scripts are mounted executable at /docker-entrypoint-initdb.d, and their checksum rolls the pod', () => {
    const cm = t.find('ConfigMap', 'r-postgres-initdb');
    expect(Object.keys(cm.data)).toEqual(['10-roles.sh']);
    expect(pod.volumes).toContainEqual({ name: 'initdb', configMap: { name: 'r-postgres-initdb', defaultMode: 0o555 } });
    expect(sts.spec.template.metadata.annotations['checksum/config']).toBe(configChecksum(cm.data, pg.settings));
  });

  test('memory settings follow the memory limit (1Gi): shared_buffers a quarter, effective_cache_size three quarters', () => {
    expect(c.args).toEqual([
      'postgres',
      '-c', 'password_encryption=scram-sha-256',
      '-c', 'max_connections=100',
      '-c', 'shared_buffers=256MB',
      '-c', 'effective_cache_size=768MB',
      '-c', 'work_mem=4MB',
      '-c', 'maintenance_work_mem=64MB',
    ]);
    expect(pod.volumes).toContainEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } });
  });

  test('the Service routes port postgres to the container port of the same name', () => {
    const svc = t.find('Service', 'r-postgres');
    expect(svc.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(pg.endpoint.hostPort('postgres', HostForm.NAMESPACED)).toBe('r-postgres.ns.svc:5432');
  });

  test('the notes print the command creating the Secret and say what a password change against a kept claim needs', () => {
    const notes = notesText(Template.fromRelease(release).rendered);
    expect(notes).toContain('kubectl -n ns create secret generic pg-superuser --from-literal=password="$PG_POSTGRES_PASSWORD"');
    expect(notes).toContain('PG_POSTGRES_PASSWORD="$(openssl rand -hex 32)"');
    expect(notes).toMatch(/A new password in a Secret against a kept claim locks clients out/);
    expect(notes).toContain('kubectl -n ns exec r-postgres-0 -- /docker-entrypoint-initdb.d/10-roles.sh');
  });
});

describe('PostgresServer roles and databases', () => {
  const { pg, t } = render({ superuser: { user: 'eden', password: { name: 'eden-pg', key: 'password' }, url: { name: 'eden-pg', key: 'url' } }, database: 'eden' }, (s) => {
    const app = s.addRole('app', { password: { name: 'app-db', key: 'pw' }, createDb: true });
    const ro = s.addRole('reader', { password: { name: 'reader-db', key: 'password' } });
    s.addDatabase('eden_control_plane');
    s.addDatabase('app_data', { owner: app, connect: [ro] });
  });
  const cm = t.find('ConfigMap', 'r-postgres-initdb');
  const c = t.container('StatefulSet', 'r-postgres', 'postgres');

  test('custom snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('each role password reaches the server container as a Secret key reference the roles script reads', () => {
    expect(envOf(c)).toMatchObject({
      PG_ROLE_PASSWORD_app: { secretKeyRef: { name: 'app-db', key: 'pw' } },
      PG_ROLE_PASSWORD_reader: { secretKeyRef: { name: 'reader-db', key: 'password' } },
    });
    const script: string = cm.data['10-roles.sh'];
    expect(script).toContain('-v password_app="$PG_ROLE_PASSWORD_app"');
    expect(script).toContain(`ALTER ROLE "app" WITH LOGIN NOSUPERUSER NOCREATEROLE CREATEDB PASSWORD :'password_app';`);
    expect(script).toContain(`ALTER ROLE "reader" WITH LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'password_reader';`);
    // the superuser's password is kept in line with its Secret, never re-created
    expect(script).toContain(`ALTER ROLE "eden" WITH PASSWORD :'password_eden';`);
    expect(script).not.toContain(`CREATE ROLE %I', 'eden'`);
    // no password ever appears in the rendered scripts
    expect(script).not.toMatch(/PASSWORD '[^:]/);
    expect(t.find('StatefulSet').metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/app-db,Secret/eden-pg,Secret/reader-db');
  });

  test('databases are created owned by their role, with CONNECT revoked from PUBLIC and granted to the roles named', () => {
    const script: string = cm.data['20-databases.sh'];
    expect(script).toContain(`SELECT format('CREATE DATABASE %I OWNER %I', 'eden_control_plane', 'eden') WHERE NOT EXISTS`);
    expect(script).toContain(`SELECT format('CREATE DATABASE %I OWNER %I', 'app_data', 'app') WHERE NOT EXISTS`);
    expect(script).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE "app_data" FROM PUBLIC;');
    expect(script).toContain('GRANT CONNECT, TEMPORARY ON DATABASE "app_data" TO "reader";');
    expect(Object.keys(cm.data)).toEqual(['10-roles.sh', '20-databases.sh']);
  });

  test('the scripts are idempotent: every create is guarded and the rest are ALTER/REVOKE/GRANT', () => {
    for (const script of Object.values(cm.data) as string[]) {
      const sql = script.slice(script.indexOf("<<'EOSQL'") + 9, script.lastIndexOf('EOSQL')).trim().split('\n');
      for (const line of sql) expect(line).toMatch(/^(SELECT format\('CREATE (ROLE|DATABASE) .* WHERE NOT EXISTS .*\\gexec|ALTER (ROLE|DATABASE) |REVOKE |GRANT )/);
    }
  });

  test('adding a role or database after the constructor changes the scripts, the env and the pod checksum', () => {
    const before = render();
    const after = render({}, (s) => s.addDatabase('extra'));
    const sum = (x: Template) => x.find('StatefulSet').spec.template.metadata.annotations['checksum/config'];
    expect(sum(after.t)).not.toBe(sum(before.t));
    expect(after.pg.allDatabases.map((d) => d.name)).toEqual(['extra']);
  });

  test('the notes generate each password once and build the URL Secret from it', () => {
    const notes = notesText(t.rendered);
    expect(notes).toContain('kubectl -n ns create secret generic eden-pg --from-literal=password="$PG_EDEN_PASSWORD" --from-literal=url="postgresql://eden:$PG_EDEN_PASSWORD@r-postgres.ns.svc:5432/eden"');
    expect(notes).toContain('kubectl -n ns create secret generic app-db --from-literal=pw="$PG_APP_PASSWORD"');
    expect(notes).toContain('databases eden, eden_control_plane, app_data; roles eden (superuser), app, reader');
    expect(pg.allRoles.map((r) => r.user)).toEqual(['eden', 'app', 'reader']);
  });

  test('custom storage, resources and settings', () => {
    const { t: x } = render({
      storage: { size: Size.gibibytes(100), storageClassName: 'fast-ssd' },
      resources: sized(500, 4000, 4096, 4096),
      settings: { maxConnections: 300, sharedBuffers: Size.gibibytes(1), logMinDurationStatement: Duration.seconds(2), extra: { wal_compression: 'on', 'auto_explain.log_min_duration': '5s' } },
    });
    const sts = x.find('StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '100Gi' } } });
    const args: string[] = x.container('StatefulSet', undefined, 'postgres').args;
    expect(args.filter((_, i) => args[i - 1] === '-c')).toEqual([
      'password_encryption=scram-sha-256', 'max_connections=300', 'shared_buffers=1024MB', 'effective_cache_size=3072MB', 'work_mem=4MB',
      'maintenance_work_mem=64MB', 'log_min_duration_statement=2000ms', 'auto_explain.log_min_duration=5s', 'wal_compression=on',
    ]);
  });
});

describe('PostgresServer exporter', () => {
  const app = new App();
  const r = newRelease({}, app);
  const pg = new PostgresServer(r, 'Pg', { superuser: SUPERUSER, exporter: { password: { name: 'pg-exporter', key: 'password' } } });
  const scraper = new DemoWorkload(r, 'Prom', { name: 'prom' });
  Wiring.of(scraper).connect(scraper, pg.metricsEndpoint!, 'metrics', { kind: ConnectionKind.SCRAPE });
  const t = Template.fromRelease(r);
  const exporter = t.container('StatefulSet', 'r-postgres', 'exporter');

  test('a postgres-exporter sidecar logs in over loopback as its own pg_monitor role and serves metrics on 9187', () => {
    expect(exporter.image).toBe('quay.io/prometheuscommunity/postgres-exporter:v0.16.0');
    expect(envOf(exporter)).toEqual({
      DATA_SOURCE_URI: '127.0.0.1:5432/postgres?sslmode=disable',
      DATA_SOURCE_USER: 'postgres_exporter',
      DATA_SOURCE_PASS: { secretKeyRef: { name: 'pg-exporter', key: 'password' } },
    });
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9187 }]);
    expect(exporter.resources.limits).toEqual({ cpu: '250m', memory: '128Mi' });
    const roles: string = t.find('ConfigMap').data['10-roles.sh'];
    expect(roles).toContain('GRANT pg_monitor TO "postgres_exporter";');
    expect(pg.exporterRole!.user).toBe('postgres_exporter');
    expect(t.find('StatefulSet').metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/pg-exporter,Secret/pg-superuser');
  });

  test('Prometheus scrapes the pods directly: the scrape edge verifies against the sidecar\'s port', () => {
    expect(t.connections.map((c) => [c.kind, c.to.type, c.to.port.name])).toEqual([['scrape', 'pods', 'metrics']]);
    expect(violationsOf(app)).toEqual([]);
  });
});

describe('PostgresServer.connect', () => {
  function wired(connect: (pg: PostgresServer, client: Parameters<PostgresServer['connect']>[0]) => void) {
    const app = new App();
    const r = newRelease({}, app);
    const pg = new PostgresServer(r, 'Pg', { superuser: { ...SUPERUSER, url: { name: 'pg-superuser', key: 'url' } } });
    const web = new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => connect(pg, c)] });
    return { app, pg, web, t: Template.fromRelease(r) };
  }

  test('one call sets the libpq env, the pg_isready wait, the Secret reference and the graph edge', () => {
    const { t, app, web } = wired((pg, c) => pg.connect(c, { purpose: 'store' }));
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({
      PGHOST: 'r-postgres.ns.svc',
      PGPORT: '5432',
      PGDATABASE: 'postgres',
      PGUSER: 'postgres',
      PGPASSWORD: { secretKeyRef: { name: 'pg-superuser', key: 'password' } },
    });
    const wait = t.container('Deployment', 'web', 'wait-for-postgres');
    expect(wait.args[0]).toContain("pg_isready '-h' 'r-postgres.ns.svc' '-p' '5432' '-U' 'postgres' '-d' 'postgres'");
    expect(t.find('Deployment', 'web').metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/pg-superuser');
    expect(web.wiring.connections.map((x) => [x.target.description, x.port.name, x.purpose])).toEqual([['Service ns/r-postgres', 'postgres', 'store']]);
    expect(violationsOf(app)).toEqual([]);
  });

  test('a URL client gets the whole DSN as a Secret key reference, never a literal with credentials', () => {
    const { t } = wired((pg, c) => pg.connect(c, { env: [PostgresEnv.url('EDEN_STORE_URL')], wait: false }));
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({ EDEN_STORE_URL: { secretKeyRef: { name: 'pg-superuser', key: 'url' } } });
    expect(t.podSpec('Deployment', 'web').initContainers).toBeUndefined();
  });

  test('named env for clients with their own variable names, for a role and the database it owns', () => {
    const { t, app } = wired((pg, c) => {
      const role = pg.addRole('app', { password: { name: 'app-db', key: 'password' } });
      pg.addDatabase('app', { owner: role });
      pg.connect(c, { database: 'app', login: role, env: [PostgresEnv.named({ host: 'POSTGRES_HOST', port: 'POSTGRES_PORT', database: 'POSTGRES_DB', user: 'POSTGRES_USER', password: 'POSTGRES_PASSWORD' })] });
    });
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({
      POSTGRES_HOST: 'r-postgres.ns.svc', POSTGRES_PORT: '5432', POSTGRES_DB: 'app', POSTGRES_USER: 'app',
      POSTGRES_PASSWORD: { secretKeyRef: { name: 'app-db', key: 'password' } },
    });
    expect(violationsOf(app)).toEqual([]);
  });

  test('a client in another release and namespace gets a name that resolves from there, and the edge crosses releases', () => {
    const app = new App();
    const db = newRelease({ id: 'db', namespace: 'data' }, app);
    const pg = new PostgresServer(db, 'Pg', { superuser: SUPERUSER });
    const web = newRelease({ id: 'web', namespace: 'web' }, app);
    new DemoWorkload(web, 'Web', { name: 'web', connect: [(c) => pg.connect(c)] });
    const t = Template.fromRelease(web);
    expect(envOf(t.container('Deployment', 'web', 'main')).PGHOST).toBe('db-postgres.data.svc');
    expect(t.connections).toEqual([expect.objectContaining({ from: expect.objectContaining({ release: 'web' }), to: expect.objectContaining({ release: 'db', name: 'db-postgres' }) })]);
    expect(violationsOf(app)).toEqual([]);
  });

  test('fails when the database is not one the server creates', () => {
    expect(() => wired((pg, c) => pg.connect(c, { database: 'nope' }))).toThrow("'connect.database' is \"nope\", but add it with addDatabase() first, so the init script creates it; allowed: a database of r-postgres: postgres");
  });

  test('fails when the login is not a role of the server', () => {
    expect(() => wired((pg, c) => pg.connect(c, { login: { user: 'ghost', password: { name: 's', key: 'k' } } }))).toThrow(
      "'connect.login' is \"ghost\", but add it with addRole() first, so the init script creates it; allowed: a role of r-postgres: postgres",
    );
  });

  test('fails when a role connects to a database whose CONNECT it was not granted', () => {
    expect(() => wired((pg, c) => {
      const a = pg.addRole('a', { password: { name: 'a', key: 'p' } });
      const b = pg.addRole('b', { password: { name: 'b', key: 'p' } });
      pg.addDatabase('adb', { owner: a });
      pg.connect(c, { database: 'adb', login: b });
    })).toThrow("'connect.login' is \"b\", but CONNECT on adb is revoked from PUBLIC; grant it with addDatabase('adb', { connect: [role] }); allowed: the owner of adb (a), a role granted CONNECT on it, or the superuser");
  });

  test('fails when a URL client is wired with a login that has no URL Secret key, showing the DSN to store', () => {
    expect(() => wired((pg, c) => {
      const a = pg.addRole('a', { password: { name: 'a', key: 'p' } });
      pg.connect(c, { login: a, env: [PostgresEnv.url()] });
    })).toThrow("'login.url' is undefined, but PostgresEnv.url('DATABASE_URL') reads the whole DSN from a Secret, and this login has none; allowed: { name, key } of a Secret holding the DSN, for example postgresql://a:<password>@r-postgres.ns.svc:5432/postgres");
  });
});

describe('ExternalPostgres', () => {
  const CA = { name: 'pg-ca', key: 'ca.crt' };
  function external(tls: PostgresTls, connect?: (pg: ExternalPostgres, c: Parameters<PostgresServer['connect']>[0]) => void) {
    const app = new App();
    const r = newRelease({}, app);
    const pg = ExternalPostgres.of({ peer: PEER,
      host: 'pg.corp.example', database: 'graphistry', tls,
      login: { user: 'graphistry', password: { name: 'pg-login', key: 'password' }, url: { name: 'pg-login', key: 'dsn' } },
    });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => (connect ? connect(pg, c) : pg.connect(c, { env: [PostgresEnv.libpq(), PostgresEnv.url()] }))] });
    return { app, t: Template.fromRelease(r) };
  }

  test('verify-full: libpq env with sslmode and the CA path, the CA Secret mounted where PGSSLROOTCERT points', () => {
    const { t, app } = external(PostgresTls.verifyFull(CA));
    const c = t.container('Deployment', 'web', 'main');
    expect(envOf(c)).toEqual({
      PGHOST: 'pg.corp.example', PGPORT: '5432', PGDATABASE: 'graphistry', PGUSER: 'graphistry',
      PGPASSWORD: { secretKeyRef: { name: 'pg-login', key: 'password' } },
      PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/postgres-ca/pg-ca/ca.crt',
      DATABASE_URL: { secretKeyRef: { name: 'pg-login', key: 'dsn' } },
    });
    expect(c.volumeMounts).toEqual([{ name: 'postgres-ca-pg-ca', mountPath: '/etc/postgres-ca/pg-ca', readOnly: true }]);
    expect(t.podSpec('Deployment', 'web').volumes).toEqual([{ name: 'postgres-ca-pg-ca', secret: { secretName: 'pg-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]);
    expect(t.find('Deployment', 'web').metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/pg-ca,Secret/pg-login');
    expect(t.connections[0].to).toMatchObject({ type: 'external', host: 'pg.corp.example', port: { name: 'postgres', port: 5432 } });
    expect(violationsOf(app)).toEqual([]);
  });

  test('require and disable set sslmode without a CA; the URL query a DSN must carry is available for the notes', () => {
    expect(envOf(external(PostgresTls.require()).t.container('Deployment', 'web', 'main'))).toMatchObject({ PGSSLMODE: 'require' });
    expect(envOf(external(PostgresTls.disable()).t.container('Deployment', 'web', 'main')).PGSSLROOTCERT).toBeUndefined();
    expect(PostgresTls.verifyCa(CA).urlQuery).toBe('sslmode=verify-ca&sslrootcert=/etc/postgres-ca/pg-ca/ca.crt');
  });

  test('a URL-only login works for URL clients and is refused for libpq env', () => {
    const pg = ExternalPostgres.of({ peer: PEER, host: '10.0.0.5', port: 6432, database: 'app', login: { url: { name: 'dsn', key: 'url' } }, tls: PostgresTls.require() });
    expect(pg.endpoint.hostPort()).toBe('10.0.0.5:6432');
    expect(() => external(PostgresTls.require(), (_p, c) => pg.connect(c))).toThrow(/'login.user' is undefined, but the client reads the connection as separate variables/);
  });

  test('fails when the TLS mode is missing', () => {
    expect(() => ExternalPostgres.of({ peer: PEER, host: 'pg', database: 'd', login: { url: { name: 'a', key: 'b' } } } as any)).toThrow(
      "'tls' is undefined, but an external server needs an explicit TLS mode: verify-full with the provider CA is the safe one; allowed: PostgresTls.verifyFull(ca), verifyCa(ca), require() or disable()",
    );
  });

  test('fails when a user comes without its password, or the host has a scheme', () => {
    expect(() => ExternalPostgres.of({ peer: PEER, host: 'pg', database: 'd', login: { user: 'u' }, tls: PostgresTls.require() })).toThrow(
      "'login.password' is undefined, but a user and its password come together; credentials are never defaulted; allowed: the Secret key holding the password of the user",
    );
    expect(() => ExternalPostgres.of({ peer: PEER, host: 'postgres://pg', database: 'd', login: { url: { name: 'a', key: 'b' } }, tls: PostgresTls.require() })).toThrow(/'endpoint.host' is "postgres:\/\/pg"/);
  });

  test('fails when a verifying mode has no CA Secret key', () => {
    expect(() => PostgresTls.verifyFull(undefined as any)).toThrow("'tls.ca' is undefined, but credentials are never generated or defaulted; allowed: { name, key } of a Secret an operator creates");
  });
});

describe('PostgresServer fails when', () => {
  test('fails when the superuser is missing: credentials are never generated', () => {
    expect(() => new PostgresServer(newRelease(), 'Pg', {} as any)).toThrow("'superuser' is undefined, but credentials are never generated or defaulted");
    expect(() => new PostgresServer(newRelease(), 'Pg', { superuser: { password: { name: 'Bad_Name', key: 'p' } } })).toThrow(/'superuser.password.name' is "Bad_Name"/);
  });

  test('fails when a role or database name is not a plain lowercase identifier, reserved, or used twice', () => {
    const pg = new PostgresServer(newRelease(), 'Pg', { superuser: SUPERUSER });
    expect(() => pg.addRole('App', { password: { name: 'a', key: 'b' } })).toThrow("'roles.App' is \"App\"; allowed: a lowercase Postgres identifier");
    expect(() => pg.addRole('pg_monitor', { password: { name: 'a', key: 'b' } })).toThrow("'roles.pg_monitor' is \"pg_monitor\", but Postgres reserves pg_ role names");
    expect(() => pg.addRole('postgres', { password: { name: 'a', key: 'b' } })).toThrow(/a role name not used twice on one server/);
    expect(() => pg.addDatabase('template1')).toThrow(/a name other than postgres, template0 and template1/);
    pg.addDatabase('x');
    expect(() => pg.addDatabase('x')).toThrow(/a database name not used twice on one server/);
    expect(() => pg.addRole('r', {} as any)).toThrow("'roles.r.password' is undefined, but credentials are never generated or defaulted");
  });

  test('fails when a database is owned by a role of another server', () => {
    const r = newRelease();
    const a = new PostgresServer(r, 'A', { name: 'a', superuser: SUPERUSER });
    const b = new PostgresServer(r, 'B', { name: 'b', superuser: SUPERUSER });
    const role = a.addRole('app', { password: { name: 'a', key: 'b' } });
    expect(() => b.addDatabase('x', { owner: role })).toThrow("'databases.x.owner' is \"app\"; allowed: a role of b (from addRole, or the superuser)");
  });

  test('fails when shared_buffers would take more than half the memory limit', () => {
    expect(() => render({ settings: { sharedBuffers: Size.mebibytes(600) } })).toThrow(
      "'settings.sharedBuffers' is \"600MB\", but the rest serves connections, sorts and the page cache; above half, the server is OOM-killed under load; allowed: at most half the memory limit (1024MB)",
    );
  });

  test('fails when an extra setting is owned by the construct, has a typed prop, or a value that needs quoting', () => {
    expect(() => render({ settings: { extra: { port: 5433 } } })).toThrow(/'settings.extra.port' is 5433, but port is set by the server construct/);
    expect(() => render({ settings: { extra: { max_connections: 5 } } })).toThrow("'settings.extra.max_connections' is 5, but max_connections has a typed prop; allowed: the typed prop settings.maxConnections");
    expect(() => render({ settings: { extra: { search_path: "'$user', public" } } })).toThrow(/'settings.extra.search_path' is "'\$user', public"; allowed: a value of letters/);
    expect(() => render({ settings: { maxConnections: 2 } })).toThrow("'settings.maxConnections' is 2, but it is below 5; allowed: a whole number 5-10000");
  });

  test('fails when the claim is smaller than 1Mi, the image is unpinned, or the name is too long', () => {
    expect(() => render({ storage: { size: Size.kibibytes(10) } })).toThrow("'storage.size' is \"10Ki\"; allowed: at least 1Mi");
    expect(() => render({ image: 'postgres:latest' })).toThrow(/'image' is "postgres:latest"/);
    expect(() => render({ name: 'p'.repeat(53) })).toThrow(/'name' is "p{53}", but it is 53 characters long/);
  });
});

describe('PostgresServer upgrade matrix', () => {
  test('changing image, resources or settings leaves the claim untouched and applies without a breaking change', () => {
    const base = render().t.objects;
    const checked = expectUpgradeKeepsClaims(base, [
      ['image', render({ image: 'postgres:16.8-alpine' }).t.objects],
      ['resources', render({ resources: sized(500, 4000, 2048, 2048) }).t.objects],
      ['settings', render({ settings: { maxConnections: 200 } }).t.objects],
    ]);
    expect(checked).toEqual(['image', 'resources', 'settings']);
  });
});
