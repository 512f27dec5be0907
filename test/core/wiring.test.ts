import { App } from 'cdk8s';
import {
  ClientBinding, ConnectionKind, EnvBuilder, EnvSource, ExternalEndpoint, ExternalPeer, HostForm, IConnectable, PodEndpoint, PodWiring,
  WaitFor, Wiring,
} from '../../lib/core';
import { Release, renderApp } from '../../lib/release';
import { DemoWorkload, envOf, Match, newRelease, Template } from '../support';

/** A cache server with a Service, and a `connect` helper in the shape data-service components give their clients. */
class Cache implements IConnectable {
  public readonly workload: DemoWorkload;
  constructor(scope: Release, id = 'Cache') {
    this.workload = new DemoWorkload(scope, id, { name: 'cache', ports: [{ name: 'redis', port: 6379 }], service: [{ name: 'redis', port: 6379 }] });
  }

  public connect(client: ClientBinding): void {
    const c = client.connect(this.workload.endpoint!, 'redis', { purpose: 'cache and task queue' });
    client
      .setEnv('CACHE_URL', c.url('redis', { path: '/0', form: HostForm.SHORT }), c.envHint())
      .setEnv('CACHE_PASSWORD', EnvSource.secret('cache-auth', 'password'), c.envHint())
      .addWait(WaitFor.service(this.workload.endpoint!))
      .addExternalRef({ kind: 'Secret', name: 'cache-auth' });
    client.mountSecret({ volume: 'cache-ca', secretName: 'cache-ca', mountPath: '/etc/cache/ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
  }
}

describe('ClientBinding: one connect call wires a client container before it is built', () => {
  const r = newRelease({ namespace: 'shop' });
  const cache = new Cache(r);
  const web = new DemoWorkload(r, 'Web', { name: 'web', connect: [cache] });
  const t = Template.fromRelease(r);

  test('env: the URL from the connection, the credential as a Secret key reference', () => {
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({
      CACHE_URL: 'redis://cache:6379/0',
      CACHE_PASSWORD: { secretKeyRef: { name: 'cache-auth', key: 'password' } },
    });
  });

  test('the init-container wait, the mounted CA Secret and the external references', () => {
    const pod = t.podSpec('Deployment', 'web');
    expect(pod.initContainers.map((c: { name: string; args: string[] }) => [c.name, c.args])).toEqual([['wait-for-cache', ['service', 'cache']]]);
    expect(pod.volumes).toEqual([{ name: 'cache-ca', secret: { secretName: 'cache-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]);
    t.hasObject('Deployment', 'web', {
      metadata: { annotations: { 'refs.ops-kit.io/external': 'Secret/cache-auth,Secret/cache-ca' } },
      spec: { template: { spec: { containers: [Match.objectLike({ volumeMounts: [{ name: 'cache-ca', mountPath: '/etc/cache/ca', readOnly: true }] })] } } },
    });
  });

  test('the connection is in the graph and in the release records', () => {
    expect(web.wiring.connections.map((c) => [c.from.description, c.target.description, c.port.name, c.kind, c.purpose])).toEqual([
      ['r/Web (container main)', 'Service shop/cache', 'redis', ConnectionKind.CLIENT, 'cache and task queue'],
      // The wait reads the API (it has RBAC rules), so its init container's connection to the API server is recorded.
      ['r/Web (container wait-for-cache)', 'external Kubernetes API server (kubernetes.default.svc.cluster.local)', 'https', ConnectionKind.CLIENT, 'init container wait-for-cache reads the API'],
    ]);
    expect(t.connections).toEqual([
      expect.objectContaining({ kind: 'client', purpose: 'cache and task queue', to: expect.objectContaining({ type: 'service', name: 'cache' }) }),
      expect.objectContaining({ kind: 'client', to: expect.objectContaining({ type: 'external', host: 'kubernetes.default.svc.cluster.local' }) }),
    ]);
  });

  test('fails when a user overrides an env key the connection owns, naming the connection', () => {
    const r2 = newRelease();
    const c = new Cache(r2);
    const env = new EnvBuilder('DemoWorkload web');
    const client = ClientBinding.of(new DemoWorkload(r2, 'Other', { name: 'other' }), 'main', env);
    c.connect(client);
    expect(() => env.user({ CACHE_URL: 'redis://elsewhere:6379' }, 'web.env')).toThrow(
      "'web.env.CACHE_URL' is \"redis://elsewhere:6379\", but CACHE_URL is owned by DemoWorkload web (it is set to \"redis://cache:6379/0\" from the connection to Service ns/cache port redis)",
    );
  });
});

describe('PodWiring: several containers of one pod', () => {
  test('waits and volumes are kept once per pod; each container records its own connection', () => {
    const r = newRelease();
    const cache = new Cache(r);
    const w = new DemoWorkload(r, 'Multi', { name: 'multi' });
    const pod = new PodWiring(w);
    const a = pod.container('a', new EnvBuilder('a'));
    const b = pod.container('b', new EnvBuilder('b'));
    cache.connect(a);
    cache.connect(b);
    expect(pod.waits.map((x) => x.name)).toEqual(['wait-for-cache']);
    expect(pod.volumes.map((v) => v.name)).toEqual(['cache-ca']);
    // The wait (kept once) records its own container's connection to the API server.
    expect(pod.connections.map((c) => c.from.container)).toEqual(['a', 'wait-for-cache', 'b']);
    expect(pod.container('a', a.env)).toBe(a);
  });

  test('fails when two different waits share a name, or one container gets two env builders', () => {
    const r = newRelease();
    const w = new DemoWorkload(r, 'W', { name: 'w' });
    const pod = new PodWiring(w);
    pod.addWait(WaitFor.pods('cache', { app: 'a' }));
    expect(() => pod.addWait(WaitFor.pods('cache', { app: 'b' }))).toThrow("'initContainers.wait-for-cache' is [\"pod\",\"-lapp=b\"]; allowed: one wait per name (already waits with [\"pod\",\"-lapp=a\"])");
    pod.container('main', new EnvBuilder('x'));
    expect(() => pod.container('main', new EnvBuilder('y'))).toThrow("'client.main.env' is \"main\"; allowed: the same env builder for every binding of one container");
  });
});

describe('Wiring: connections across namespaces, from outside and to pods', () => {
  test('a short name is refused for a client in another namespace; the namespaced form works', () => {
    const app = new App();
    const cache = new Cache(newRelease({ id: 'data', namespace: 'data' }, app));
    const web = new DemoWorkload(newRelease({ id: 'web', namespace: 'web' }, app), 'Web', { name: 'web' });
    const c = Wiring.of(web).connect(web, cache.workload.endpoint!, 'redis');
    expect(() => c.url('redis', { form: HostForm.SHORT })).toThrow(
      "'form' is \"short\", but the client runs in namespace web and Service data/cache in data, where its short name does not resolve; allowed: HostForm.NAMESPACED or HostForm.FQDN",
    );
    expect(c.url('redis', { form: HostForm.NAMESPACED })).toBe('redis://cache.data.svc:6379');
    expect(c.hostPort()).toBe('cache.data.svc.cluster.local:6379');
  });

  test('ingress from an outside peer and scrapes of pods are recorded for the target release', () => {
    const r = newRelease({ namespace: 'shop' });
    const cache = new Cache(r);
    const prom = new DemoWorkload(r, 'Prometheus', { name: 'prometheus' });
    const wiring = Wiring.of(r);
    wiring.connectFrom(ExternalPeer.pods({ namespace: 'ingress-nginx', selector: { 'app.kubernetes.io/name': 'ingress-nginx' } }), cache.workload.endpoint!, 'redis', { kind: ConnectionKind.INGRESS });
    wiring.connect(prom, PodEndpoint.of(cache.workload, [{ name: 'redis', port: 6379 }]), undefined, { kind: ConnectionKind.SCRAPE, purpose: 'metrics' });
    const t = Template.fromRelease(r);
    expect(t.connections.map((c) => [c.kind, c.from.type, c.to.type])).toEqual([['ingress', 'external', 'service'], ['scrape', 'workload', 'pods']]);
  });

  test('connections to external endpoints record the peer and belong to the client release', () => {
    const app = new App();
    const r = newRelease({ namespace: 'shop' }, app);
    const pg = ExternalEndpoint.of({ host: 'pg.corp.example', ports: [{ name: 'postgres', port: 5432 }], peer: ExternalPeer.cidr({ cidrs: ['10.9.0.0/16'], reason: 'managed Postgres' }) });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(client) => client.setEnv('PGHOST', client.connect(pg).host())] });
    const [rendered] = renderApp(app);
    expect(rendered.connections).toEqual([expect.objectContaining({ to: expect.objectContaining({ type: 'external', host: 'pg.corp.example', peer: { type: 'cidr', cidrs: ['10.9.0.0/16'], reason: 'managed Postgres' } }) })]);
  });

  test('fails when a connection names a port the target does not have', () => {
    const r = newRelease();
    const cache = new Cache(r);
    const web = new DemoWorkload(r, 'Web', { name: 'web' });
    expect(() => Wiring.of(r).connect(web, cache.workload.endpoint!, 'http')).toThrow("'connection.port' is \"http\"; allowed: a port of Service ns/cache: redis");
    expect(() => Wiring.of(r).connect(web, cache.workload.endpoint!, 'redis', { purpose: ' ' })).toThrow("'connection.purpose' is \" \"; allowed: a non-empty description, or unset");
  });
});
