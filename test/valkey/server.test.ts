import { ApiObject, App, JsonPatch, Size } from 'cdk8s';
import { configChecksum, HostForm, sized } from '../../lib/core';
import { notesText, Release } from '../../lib/release';
import { ExternalValkey, runtimeConfigScript, ValkeyAuth, ValkeyEngine, ValkeyPersistence, ValkeyServer, ValkeyServerProps } from '../../lib/valkey';
import { DemoWorkload, envOf, expectUpgradeKeepsClaims, newRelease, Obj, Template, violationsOf } from '../support';
import { ExternalPeer } from '../../lib/core';
const PEER = ExternalPeer.cidr({ cidrs: ['10.20.0.0/16'], reason: 'the provider network' });

const AUTH = ValkeyAuth.password({ name: 'cache-auth', key: 'password' });

function render(props: Partial<ValkeyServerProps> = {}): { server: ValkeyServer; t: Template; release: Release } {
  const release = newRelease();
  const server = new ValkeyServer(release, 'Cache', { auth: AUTH, ...props });
  return { server, t: Template.fromRelease(release), release };
}

/** Every literal string value anywhere in the rendered objects. */
function literals(o: unknown): string[] {
  if (typeof o === 'string') return [o];
  if (Array.isArray(o)) return o.flatMap(literals);
  if (o && typeof o === 'object') return Object.values(o).flatMap(literals);
  return [];
}

describe('ValkeyServer defaults', () => {
  const { server, t } = render();
  const sts = t.find('StatefulSet');
  const pod = sts.spec.template.spec;
  const c = t.container('StatefulSet', 'r-valkey', 'valkey');
  const init = t.container('StatefulSet', 'r-valkey', 'config');
  const conf: string = t.find('ConfigMap', 'r-valkey').data['valkey.conf'];

  test('snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('renders the config, a ClusterIP Service, the governing headless Service and a one-pod primary StatefulSet', () => {
    expect(t.ids()).toEqual(['ConfigMap/r-valkey', 'NetworkPolicy/r-default-deny', 'NetworkPolicy/r-valkey', 'Service/r-valkey', 'Service/r-valkey-headless', 'StatefulSet/r-valkey']);
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('r-valkey-headless');
    expect(server.readEndpoint).toBe(server.endpoint);
  });

  test('the StatefulSet is the Resource child, and a JSON patch on it reaches the output', () => {
    expect(server.node.findChild('Resource')).toBe(server.statefulSet);
    const r = newRelease();
    const patched = new ValkeyServer(r, 'Cache', { auth: AUTH });
    ApiObject.of(patched.node.findChild('Resource')).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 5));
    expect(Template.fromRelease(r).find('StatefulSet').spec.minReadySeconds).toBe(5);
  });

  test('runs pinned Valkey 8 (Alpine) as uid 999 on a read-only root, the config file as its only argument', () => {
    expect(c.image).toMatch(/^valkey\/valkey:8\.\d+\.\d+-alpine$/);
    expect(c.command).toEqual(['valkey-server', '/etc/valkey/valkey.conf']);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    for (const x of [c, init]) expect(x.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  test('the config holds no credential; the init container writes the password from the Secret into a memory-backed runtime file the config includes', () => {
    expect(conf).toContain('include /run/valkey/runtime.conf');
    expect(conf).not.toMatch(/requirepass|masterauth/);
    expect(envOf(init)).toEqual({ VALKEY_PASSWORD: { secretKeyRef: { name: 'cache-auth', key: 'password' } } });
    expect(init.command).toEqual(['sh', '-c', runtimeConfigScript({ passwordSource: 'Secret cache-auth key password' })]);
    expect(init.image).toBe(c.image);
    expect(pod.volumes).toContainEqual({ name: 'runtime', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(init.volumeMounts).toEqual([{ name: 'runtime', mountPath: '/run/valkey' }]);
    expect(c.volumeMounts).toContainEqual({ name: 'runtime', mountPath: '/run/valkey', readOnly: true });
    // no password in any literal anywhere: only the Secret reference
    expect(literals(t.objects).filter((s) => /requirepass "[^%]/.test(s))).toEqual([]);
    expect(sts.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/cache-auth');
  });

  test('the probes authenticate through the CLI\'s env variable, never its command line', () => {
    expect(envOf(c)).toEqual({ VALKEYCLI_AUTH: { secretKeyRef: { name: 'cache-auth', key: 'password' } } });
    expect(c.readinessProbe.exec.command).toEqual(['sh', '-c', 'valkey-cli -p 6379 ping | grep -q PONG']);
    expect(c.livenessProbe.exec.command).toEqual(['sh', '-c', "valkey-cli -p 6379 ping | grep -qE 'PONG|LOADING'"]);
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(p.exec.command.join(' ')).not.toMatch(/ -a |--pass|--user/);
  });

  test('without persistence: no AOF, no snapshots, no claim; maxmemory three quarters of the limit, noeviction', () => {
    expect(conf).toContain('appendonly no');
    expect(conf).toContain('save ""');
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
    expect(pod.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '512Mi' } });
    expect(conf).toContain(`maxmemory ${384 * 1024 * 1024}\nmaxmemory-policy noeviction`);
  });

  test('the config and the init script checksum roll the pods', () => {
    expect(sts.spec.template.metadata.annotations['checksum/config']).toBe(configChecksum(conf, init.command[2]));
  });

  test('the Service routes port redis to the container port of the same name', () => {
    const svc = t.find('Service', 'r-valkey');
    expect(svc.spec.ports).toEqual([{ name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' }]);
    expect(c.ports).toEqual([{ name: 'redis', containerPort: 6379 }]);
    expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
  });

  test('the notes print the command creating the password Secret', () => {
    const notes = notesText(t.rendered);
    expect(notes).toContain('kubectl -n ns create secret generic cache-auth --from-literal=password="$(openssl rand -hex 32)"');
    expect(notes).toContain('clients connect to redis://r-valkey.ns.svc:6379');
    expect(notes).toContain('in memory only, lost when a pod restarts');
  });
});

describe('ValkeyServer with Redis, append-only persistence and read replicas', () => {
  const { server, t } = render({
    engine: ValkeyEngine.redis(),
    persistence: ValkeyPersistence.appendOnly({ size: Size.gibibytes(5), storageClassName: 'fast' }),
    readReplicas: 2,
    maxMemoryPolicy: 'allkeys-lru',
  });
  const primary = t.find('StatefulSet', 'r-valkey');
  const replicas = t.find('StatefulSet', 'r-valkey-replica');

  test('custom snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('the primary and the replicas are two StatefulSets; the read Service selects only the replicas', () => {
    expect(t.ids()).toEqual([
      'ConfigMap/r-valkey', 'NetworkPolicy/r-default-deny', 'NetworkPolicy/r-valkey', 'NetworkPolicy/r-valkey-replica',
      'Service/r-valkey', 'Service/r-valkey-headless', 'Service/r-valkey-read', 'Service/r-valkey-replica-headless',
      'StatefulSet/r-valkey', 'StatefulSet/r-valkey-replica',
    ]);
    expect(replicas.spec.replicas).toBe(2);
    expect(t.find('Service', 'r-valkey-read').spec.selector).toEqual(replicas.spec.selector.matchLabels);
    expect(t.find('Service', 'r-valkey').spec.selector).toEqual(primary.spec.selector.matchLabels);
    expect(replicas.spec.selector.matchLabels).not.toEqual(primary.spec.selector.matchLabels);
    expect(server.readEndpoint.name).toBe('r-valkey-read');
  });

  test('replicas replicate from the primary\'s Service, and are ready only once their link to it is up', () => {
    const init = t.container('StatefulSet', 'r-valkey-replica', 'config');
    expect(init.command[2]).toContain("printf 'replicaof %s\\n' 'r-valkey.ns.svc 6379' >> \"$conf\"");
    expect(t.container('StatefulSet', 'r-valkey', 'config').command[2]).not.toContain('replicaof');
    expect(t.container('StatefulSet', 'r-valkey-replica', 'valkey').readinessProbe.exec.command[2]).toBe("redis-cli -p 6379 info replication | grep -q '^master_link_status:up'");
  });

  test('Redis: its image, binaries and CLI password variable', () => {
    const c = t.container('StatefulSet', 'r-valkey', 'valkey');
    expect(c.image).toMatch(/^redis:7\.\d+\.\d+-alpine$/);
    expect(c.command).toEqual(['redis-server', '/etc/valkey/valkey.conf']);
    expect(Object.keys(envOf(c))).toEqual(['REDISCLI_AUTH']);
  });

  test('append-only on a kept claim per pod; maxmemory half the limit (an AOF rewrite forks)', () => {
    const conf: string = t.find('ConfigMap', 'r-valkey').data['valkey.conf'];
    expect(conf).toContain('appendonly yes\nappendfsync everysec');
    expect(conf).toContain(`maxmemory ${256 * 1024 * 1024}\nmaxmemory-policy allkeys-lru`);
    for (const sts of [primary, replicas]) {
      expect(sts.spec.volumeClaimTemplates).toEqual([expect.objectContaining({
        metadata: expect.objectContaining({ name: 'data', annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } }),
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } },
      })]);
      expect(sts.spec.template.spec.volumes.map((v: Obj) => v.name)).toEqual(['config', 'runtime']);
    }
  });
});

describe('ValkeyServer.connect', () => {
  function wired(props: Partial<ValkeyServerProps>, connect: (v: ValkeyServer, c: Parameters<ValkeyServer['connect']>[0]) => void) {
    const app = new App();
    const r = newRelease({}, app);
    const v = new ValkeyServer(r, 'Cache', { auth: AUTH, ...props });
    const web = new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => connect(v, c)] });
    return { app, web, t: Template.fromRelease(r) };
  }

  test('one call: VALKEY_URL and VALKEY_READ_URL from the connection (the primary when there are no replicas), the password as a Secret reference, a TCP wait', () => {
    const { t, app, web } = wired({}, (v, c) => v.connect(c, { purpose: 'sessions' }));
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({
      VALKEY_URL: 'redis://r-valkey.ns.svc:6379',
      VALKEY_READ_URL: 'redis://r-valkey.ns.svc:6379',
      VALKEY_PASSWORD: { secretKeyRef: { name: 'cache-auth', key: 'password' } },
    });
    expect(t.container('Deployment', 'web', 'wait-for-r-valkey').args).toEqual(['until nc -z -w 2 r-valkey.ns.svc 6379; do echo waiting for r-valkey.ns.svc:6379; sleep 2; done']);
    expect(web.wiring.connections.map((x) => x.target.description)).toEqual(['Service ns/r-valkey']);
    expect(violationsOf(app)).toEqual([]);
  });

  test('with replicas, reads go to the read Service, and both edges are in the graph', () => {
    const { t, app, web } = wired({ readReplicas: 1 }, (v, c) => v.connect(c, { database: 2 }));
    expect(envOf(t.container('Deployment', 'web', 'main'))).toMatchObject({ VALKEY_URL: 'redis://r-valkey.ns.svc:6379/2', VALKEY_READ_URL: 'redis://r-valkey-read.ns.svc:6379/2' });
    expect(web.wiring.connections.map((x) => [x.target.description, x.purpose])).toEqual([['Service ns/r-valkey', undefined], ['Service ns/r-valkey-read', 'reads']]);
    expect(violationsOf(app)).toEqual([]);
  });

  test('custom env names, no read URL, and no password for a server without authentication', () => {
    const { t } = wired({ auth: ValkeyAuth.none({ reason: 'the images read only REDIS_URL' }) }, (v, c) => v.connect(c, { env: { url: 'REDIS_URL', readUrl: false }, hostForm: HostForm.SHORT }));
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({ REDIS_URL: 'redis://r-valkey:6379' });
    expect(t.find('Deployment', 'web').metadata.annotations).toBeUndefined();
  });

  test('a server without authentication says why in the notes and has no password anywhere', () => {
    const { t } = render({ auth: ValkeyAuth.none({ reason: 'the images read only REDIS_URL' }) });
    expect(notesText(t.rendered)).toContain('r-valkey has no password (the images read only REDIS_URL)');
    expect(t.container('StatefulSet', 'r-valkey', 'valkey').env).toBeUndefined();
    expect(t.container('StatefulSet', 'r-valkey', 'config').command[2]).not.toContain('requirepass');
  });

  test('fails when the database is out of range', () => {
    expect(() => wired({}, (v, c) => v.connect(c, { database: 16 }))).toThrow("'connect.database' is 16, but it is above 15; allowed: a database number 0-15");
  });
});

describe('ExternalValkey', () => {
  function wired(v: ExternalValkey) {
    const r = newRelease();
    new DemoWorkload(r, 'Web', { name: 'web', connect: [v] });
    return Template.fromRelease(r);
  }

  test('a rediss:// URL: TLS URLs for clients, built from the declared endpoint; a reader endpoint for reads', () => {
    const v = ExternalValkey.of({ peer: PEER, url: 'rediss://master.cache.example.com:6380', readUrl: 'rediss://replica.cache.example.com:6380', auth: AUTH });
    const t = wired(v);
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({
      VALKEY_URL: 'rediss://master.cache.example.com:6380',
      VALKEY_READ_URL: 'rediss://replica.cache.example.com:6380',
      VALKEY_PASSWORD: { secretKeyRef: { name: 'cache-auth', key: 'password' } },
    });
    expect(t.connections.map((c) => c.to)).toEqual([
      expect.objectContaining({ type: 'external', host: 'master.cache.example.com', port: expect.objectContaining({ port: 6380 }) }),
      expect.objectContaining({ type: 'external', host: 'replica.cache.example.com' }),
    ]);
  });

  test('the port defaults to 6379', () => {
    expect(ExternalValkey.of({ peer: PEER, url: 'redis://cache.corp', auth: AUTH }).endpoint.hostPort()).toBe('cache.corp:6379');
  });

  test('fails when the URL carries credentials, a path, or another scheme', () => {
    expect(() => ExternalValkey.of({ peer: PEER, url: 'redis://:hunter2@cache.corp:6379', auth: AUTH })).toThrow(
      "'url' is \"redis://<credentials>@cache.corp:6379\", but credentials in a rendered URL end up in Git and in every pod spec; give the password as auth: ValkeyAuth.password({ name, key }); allowed: a URL without credentials",
    );
    expect(() => ExternalValkey.of({ peer: PEER, url: 'redis://cache.corp/3', auth: AUTH })).toThrow("'url' is \"redis://cache.corp/3\", but the database is a connect option; allowed: scheme, host and port only");
    expect(() => ExternalValkey.of({ peer: PEER, url: 'http://cache.corp', auth: AUTH })).toThrow("'url' is \"http://cache.corp\"; allowed: a redis:// or rediss:// (TLS) URL");
    expect(() => ExternalValkey.of({ peer: PEER, url: 'rediss://a.corp', readUrl: 'redis://b.corp', auth: AUTH })).toThrow(/'readUrl' is "redis:\/\/b.corp", but clients use one TLS setting for both/);
  });
});

describe('ValkeyServer fails when', () => {
  test('fails when auth is missing: neither a password Secret nor a reason for none', () => {
    expect(() => new ValkeyServer(newRelease(), 'C', {} as any)).toThrow("'auth' is undefined, but credentials are never generated or defaulted; allowed: ValkeyAuth.password({ name, key }) of an operator-created Secret, or ValkeyAuth.none({ reason })");
    expect(() => ValkeyAuth.none({ reason: ' ' })).toThrow("'auth.none.reason' is \" \"; allowed: a non-empty reason why clients cannot authenticate");
    expect(() => ValkeyAuth.password({ name: 'x' } as any)).toThrow(/'auth.password.key' is undefined/);
  });

  test('fails when maxMemory reaches the memory limit', () => {
    expect(() => render({ maxMemory: Size.mebibytes(512) })).toThrow(
      "'maxMemory' is \"536870912 bytes\", but at the limit the container is OOM-killed before the server evicts or refuses writes; allowed: 1 MiB up to below the memory limit (536870912 bytes)",
    );
  });

  test('fails when the replica count, name, image or claim are out of range', () => {
    expect(() => render({ readReplicas: -1 })).toThrow("'readReplicas' is -1, but it is below 0; allowed: a whole number 0-16");
    expect(() => render({ name: 'v'.repeat(45) })).toThrow(/'name' is "v{45}", but it is 45 characters long/);
    expect(() => render({ engine: ValkeyEngine.valkey('valkey/valkey:latest') })).toThrow(/'engine.image' is "valkey\/valkey:latest"/);
    expect(() => ValkeyPersistence.appendOnly({ size: Size.kibibytes(1) })).toThrow("'persistence.size' is \"1Ki\"; allowed: at least 1Mi");
  });
});

describe('ValkeyServer upgrade matrix', () => {
  test('changing replicas, image or resources leaves every claim untouched and applies without a breaking change', () => {
    const persistence = ValkeyPersistence.appendOnly({ size: Size.gibibytes(2) });
    const base = render({ persistence, readReplicas: 1 }).t.objects;
    expect(expectUpgradeKeepsClaims(base, [
      ['replicas', render({ persistence, readReplicas: 3 }).t.objects],
      ['image', render({ persistence, readReplicas: 1, engine: ValkeyEngine.valkey('valkey/valkey:8.0.2-alpine') }).t.objects],
      ['resources', render({ persistence, readReplicas: 1, resources: sized(200, 2000, 1024, 1024) }).t.objects],
    ])).toEqual(['replicas', 'image', 'resources']);
  });

  test('switching the engine from Redis to Valkey keeps the selectors (an image change, not a new workload)', () => {
    const persistence = ValkeyPersistence.appendOnly({ size: Size.gibibytes(2) });
    expect(expectUpgradeKeepsClaims(render({ persistence, engine: ValkeyEngine.redis() }).t.objects, [['engine', render({ persistence }).t.objects]])).toEqual(['engine']);
  });
});
