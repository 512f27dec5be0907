import { App, Size } from 'cdk8s';
import { sized } from '../../lib/core';
import { authConfigScript, NatsAuth, NatsConfig, NatsExposure, NatsPersistence, NatsServer, NatsServerProps, NatsTls } from '../../lib/nats';
import { notesText, Release } from '../../lib/release';
import { DemoWorkload, envOf, expectUpgradeKeepsClaims, newRelease, Obj, Template, violationsOf } from '../support';

const NKEY = 'UCE6S55GIZVLBTN5JUZPOFQELM4YD7C7U4T4I6CIONR2KKHR5NHG2GYQ';
const VOLUME = NatsPersistence.volume({ size: Size.gibibytes(10) });

function render(props: NatsServerProps = {}): { server: NatsServer; t: Template; release: Release } {
  const release = newRelease();
  const server = new NatsServer(release, 'Nats', props);
  return { server, t: Template.fromRelease(release), release };
}

describe('NatsServer cluster', () => {
  const { server, t } = render({ cluster: { replicas: 3 }, persistence: VOLUME });
  const sts = t.find('StatefulSet');
  const c = t.container('StatefulSet', 'r-nats', 'nats');
  const conf: string = t.find('ConfigMap').data['nats.conf'];

  test('snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('three servers start together (none is ready before the cluster has a JetStream leader)', () => {
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(server.replicas).toBe(3);
  });

  test('each server takes its name from its pod, and routes to every pod under the headless Service on 6222', () => {
    expect(envOf(c).POD_NAME).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(conf).toContain('server_name: $POD_NAME\n');
    expect(conf).toContain([
      'cluster {',
      '  name: "r-nats"',
      '  port: 6222',
      '  no_advertise: true',
      '  routes: [',
      '    "nats://r-nats-0.r-nats-headless.ns.svc.cluster.local:6222"',
      '    "nats://r-nats-1.r-nats-headless.ns.svc.cluster.local:6222"',
      '    "nats://r-nats-2.r-nats-headless.ns.svc.cluster.local:6222"',
      '  ]',
      '}',
    ].join('\n'));
    expect(c.ports).toContainEqual({ name: 'cluster', containerPort: 6222 });
    expect(t.find('Service', 'r-nats-headless').spec.ports.map((p: Obj) => p.name)).toEqual(['client', 'monitor', 'cluster']);
    expect(t.find('Service', 'r-nats').spec.ports.map((p: Obj) => p.name)).toEqual(['client']);
  });

  test('the routes follow the cluster domain of the release', () => {
    const r = newRelease({ clusterDomain: 'corp.k8s' });
    new NatsServer(r, 'Nats', { cluster: { replicas: 3 } });
    expect(Template.fromRelease(r).find('ConfigMap').data['nats.conf']).toContain('"nats://r-nats-0.r-nats-headless.ns.svc.corp.k8s:6222"');
  });

  test('the routes are an edge of the wiring graph, from the servers to their headless Service', () => {
    expect(t.connections).toEqual([expect.objectContaining({ purpose: 'cluster routes', to: expect.objectContaining({ name: 'r-nats-headless', port: expect.objectContaining({ name: 'cluster', port: 6222 }) }) })]);
  });

  test('a disruption budget keeps a majority up, and the servers spread over nodes', () => {
    const pdb = t.find('PodDisruptionBudget', 'r-nats');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: sts.spec.selector.matchLabels } });
    expect(sts.spec.template.spec.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: sts.spec.selector.matchLabels } }]);
  });

  test('each server keeps its store on a claim Argo CD does not prune or delete', () => {
    expect(sts.spec.volumeClaimTemplates[0].metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
  });

  test('a client gets NATS_REPLICAS equal to the cluster size, and the release verifies clean', () => {
    const app = new App();
    const r = newRelease({}, app);
    const nats = new NatsServer(r, 'Nats', { cluster: { replicas: 5 } });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [nats] });
    const x = Template.fromRelease(r);
    expect(envOf(x.container('Deployment', 'web', 'main'))).toEqual({ NATS_URL: 'nats://r-nats.ns.svc:4222', NATS_REPLICAS: '5' });
    expect(x.container('Deployment', 'web', 'wait-for-r-nats').args[0]).toBe('until nc -z -w 2 r-nats.ns.svc 4222; do echo waiting for r-nats.ns.svc:4222; sleep 2; done');
    expect(violationsOf(app)).toEqual([]);
  });

  test('connect in its earlier form ({ urlEnv }) still sets only the URL under that name, with no wait', () => {
    const r = newRelease();
    const nats = new NatsServer(r, 'Nats', { cluster: { replicas: 3 } });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => nats.connect(c, { urlEnv: 'BUS_URL', purpose: 'events' })] });
    const x = Template.fromRelease(r);
    expect(envOf(x.container('Deployment', 'web', 'main'))).toEqual({ BUS_URL: 'nats://r-nats.ns.svc:4222' });
    expect(x.podSpec('Deployment', 'web').initContainers).toBeUndefined();
  });

  test('the notes say it is a cluster', () => {
    expect(notesText(t.rendered)).toContain('a cluster of 3 servers; clients set stream replicas up to 3');
  });
});

describe('NatsServer authentication', () => {
  test('users: the init container writes the authorization block from the Secrets, the config includes it, clients get user and password', () => {
    const app = new App();
    const r = newRelease({}, app);
    const server = new NatsServer(r, 'Nats', {
      auth: NatsAuth.users([{ user: 'api', password: { name: 'nats-api', key: 'password' } }, { user: 'worker', password: { name: 'nats-worker', key: 'password' } }]),
    });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(cl) => server.connect(cl, { user: 'worker' })] });
    const t = Template.fromRelease(r);
    const sts = t.find('StatefulSet');
    const init = t.container('StatefulSet', 'r-nats', 'auth');
    expect(t.objects).toMatchSnapshot();
    expect(init.command).toEqual(['sh', '-c', authConfigScript(server.auth, '/run/nats/auth.conf')]);
    expect(envOf(init)).toEqual({
      NATS_AUTH_PASSWORD_0: { secretKeyRef: { name: 'nats-api', key: 'password' } },
      NATS_AUTH_PASSWORD_1: { secretKeyRef: { name: 'nats-worker', key: 'password' } },
    });
    const conf: string = t.find('ConfigMap').data['nats.conf'];
    expect(conf.trim().split('\n').pop()).toBe('include "../../run/nats/auth.conf"');
    expect(conf).not.toMatch(/password|token/);
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'runtime', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(sts.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/nats-api,Secret/nats-worker');
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({
      NATS_URL: 'nats://r-nats.ns.svc:4222', NATS_REPLICAS: '1', NATS_USER: 'worker',
      NATS_PASSWORD: { secretKeyRef: { name: 'nats-worker', key: 'password' } },
    });
    expect(notesText(t.rendered)).toContain('kubectl -n ns create secret generic nats-api --from-literal=password="$(openssl rand -hex 32)"');
    expect(violationsOf(app)).toEqual([]);
  });

  test('token: clients get NATS_TOKEN as a Secret reference; an exposed server with auth gets no unauthenticated warning', () => {
    const r = newRelease();
    const server = new NatsServer(r, 'Nats', { auth: NatsAuth.token({ name: 'nats-token', key: 'token' }), exposure: NatsExposure.nodePort(30422, { reason: 'clients on the node network', sourceRanges: ['10.0.0.0/8'] }) });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [server] });
    const t = Template.fromRelease(r);
    expect(envOf(t.container('Deployment', 'web', 'main')).NATS_TOKEN).toEqual({ secretKeyRef: { name: 'nats-token', key: 'token' } });
    expect(t.container('StatefulSet', 'r-nats', 'auth').command[2]).toContain(`printf '  token: "%s"\\n' "$(esc "$NATS_AUTH_TOKEN")"`);
    expect(t.rendered.warnings).toEqual([]);
  });

  test('nkeys: public keys in the config, no init container, the client\'s seed from its own Secret', () => {
    const r = newRelease();
    const server = new NatsServer(r, 'Nats', { auth: NatsAuth.nkeys([NKEY]) });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(cl) => server.connect(cl, { nkeySeed: { name: 'web-nkey', key: 'seed' } })] });
    const t = Template.fromRelease(r);
    expect(t.find('ConfigMap').data['nats.conf']).toContain(`authorization {\n  users: [\n    {\n      nkey: "${NKEY}"\n    }\n  ]\n}`);
    expect(t.find('StatefulSet').spec.template.spec.initContainers).toBeUndefined();
    expect(envOf(t.container('Deployment', 'web', 'main')).NATS_NKEY_SEED).toEqual({ secretKeyRef: { name: 'web-nkey', key: 'seed' } });
  });

  test('fails when a client of a users server does not say which user it is, or names one that does not exist', () => {
    const r = newRelease();
    const server = new NatsServer(r, 'Nats', { auth: NatsAuth.users([{ user: 'a', password: { name: 'a', key: 'p' } }, { user: 'b', password: { name: 'b', key: 'p' } }]) });
    expect(() => new DemoWorkload(r, 'W1', { name: 'w1', connect: [server] })).toThrow("'connect.user' is undefined, but the server has several users; allowed: one of the server's users: a, b");
    expect(() => new DemoWorkload(r, 'W2', { name: 'w2', connect: [(cl) => server.connect(cl, { user: 'c' })] })).toThrow("'connect.user' is \"c\"; allowed: one of the server's users: a, b");
  });

  test('fails when an nkeys client has no seed, or a seed is given to another kind of server', () => {
    const r = newRelease();
    const nk = new NatsServer(r, 'Nk', { name: 'nk', auth: NatsAuth.nkeys([NKEY]) });
    expect(() => new DemoWorkload(r, 'W1', { name: 'w1', connect: [nk] })).toThrow("'connect.nkeySeed' is undefined, but the server authenticates clients by nkey; allowed: { name, key } of the Secret holding the client's nkey seed");
    const plain = new NatsServer(r, 'Plain', { name: 'plain' });
    expect(() => new DemoWorkload(r, 'W2', { name: 'w2', connect: [(cl) => plain.connect(cl, { nkeySeed: { name: 's', key: 'k' } })] })).toThrow(/'connect.nkeySeed' is \{"name":"s","key":"k"\}, but the server's auth is none, not nkeys; allowed: unset/);
  });

  test('fails when an auth factory gets bad input', () => {
    expect(() => NatsAuth.nkeys(['SUAJQOKANEO567NILTOWYNBDAHUD4SIAZGNJP2J7MXTIEDYSFQNUJA6XFA'])).toThrow(/'auth.nkeys\[0\]' is "SU.*"; allowed: a user's public nkey: 'U' and 55 base32 characters \(the seed, starting with 'SU', stays with the client\)/);
    expect(() => NatsAuth.users([])).toThrow("'auth.users' is []; allowed: at least one { user, password }");
    expect(() => NatsAuth.users([{ user: 'a b', password: { name: 's', key: 'k' } }])).toThrow(/'auth.users\[0\].user' is "a b"/);
    expect(() => NatsAuth.users([{ user: 'a', password: { name: 's', key: 'k' } }, { user: 'a', password: { name: 's', key: 'k' } }])).toThrow("'auth.users[1].user' is \"a\"; allowed: each user once");
    expect(() => NatsAuth.token(undefined as any)).toThrow("'auth.token' is undefined, but credentials are never generated or defaulted");
  });
});

describe('NatsServer TLS', () => {
  const r = newRelease();
  const server = new NatsServer(r, 'Nats', { cluster: { replicas: 3 }, tls: NatsTls.fromSecret({ secretName: 'nats-tls' }) });
  new DemoWorkload(r, 'Web', { name: 'web', connect: [server] });
  const t = Template.fromRelease(r);
  const conf: string = t.find('ConfigMap').data['nats.conf'];

  test('the Secret is mounted read-only; the client listener and the routes use it, routes verifying each other', () => {
    const sts = t.find('StatefulSet');
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'nats-tls', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }, { key: 'ca.crt', path: 'ca.crt' }] } });
    expect(t.container('StatefulSet', 'r-nats', 'nats').volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/nats-tls', readOnly: true });
    expect(conf).toContain('tls {\n  cert_file: "/etc/nats-tls/tls.crt"\n  key_file: "/etc/nats-tls/tls.key"\n  ca_file: "/etc/nats-tls/ca.crt"\n}');
    expect(conf).toContain('  tls {\n    cert_file: "/etc/nats-tls/tls.crt"\n    key_file: "/etc/nats-tls/tls.key"\n    ca_file: "/etc/nats-tls/ca.crt"\n    verify: true\n  }\n}');
    expect(sts.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/nats-tls');
  });

  test('clients get a tls:// URL and the CA mounted where NATS_CA_FILE points; probes stay on plain HTTP', () => {
    const c = t.container('Deployment', 'web', 'main');
    expect(envOf(c)).toMatchObject({ NATS_URL: 'tls://r-nats.ns.svc:4222', NATS_CA_FILE: '/etc/nats-ca/nats-tls/ca.crt' });
    expect(c.volumeMounts).toEqual([{ name: 'nats-ca-nats-tls', mountPath: '/etc/nats-ca/nats-tls', readOnly: true }]);
    expect(t.container('StatefulSet', 'r-nats', 'nats').readinessProbe.httpGet.scheme).toBeUndefined();
  });

  test('the notes list the names the certificate must carry', () => {
    expect(notesText(t.rendered)).toContain('its certificate must name r-nats.ns.svc, r-nats.ns.svc.cluster.local, *.r-nats-headless.ns.svc.cluster.local');
    expect(notesText(t.rendered)).toContain('in-cluster clients connect to tls://r-nats.ns.svc:4222');
  });

  test('fails when a cluster has TLS without a CA to verify its servers against', () => {
    expect(() => render({ cluster: { replicas: 3 }, tls: NatsTls.fromSecret({ secretName: 't', caKey: false }) })).toThrow(
      "'tls.caKey' is false, but the servers of a cluster verify each other against the CA; allowed: the CA's key in the Secret",
    );
  });
});

describe('NatsServer cluster fails when', () => {
  test('fails when the cluster size is even, below 3 or above 9', () => {
    for (const n of [1, 2, 4]) {
      expect(() => render({ cluster: { replicas: n } })).toThrow(`'cluster.replicas' is ${n}, but JetStream replicates with Raft: an even count tolerates no more failures than the odd one below it; allowed: an odd number from 3 to 9`);
    }
    expect(() => render({ cluster: { replicas: 11 } })).toThrow("'cluster.replicas' is 11, but it is above 9; allowed: an odd number from 3 to 9");
    expect(() => render({ cluster: { replicas: 3.5 } })).toThrow("'cluster.replicas' is 3.5, but it is not a whole number; allowed: an odd number from 3 to 9");
  });

  test('fails when a cluster runs without JetStream, or its name starts with a digit', () => {
    expect(() => render({ cluster: { replicas: 3 }, jetstream: false })).toThrow(/'jetstream' is false, but a cluster without JetStream has no state to replicate/);
    expect(() => render({ cluster: { replicas: 3 }, name: '1bus' })).toThrow(/'name' is "1bus", but each server's name comes from its pod name/);
  });
});

describe('NatsServer cluster upgrade matrix', () => {
  test('changing the cluster size, image or resources leaves the claims untouched and applies without a breaking change', () => {
    const base = render({ cluster: { replicas: 3 }, persistence: VOLUME }).t.objects;
    expect(expectUpgradeKeepsClaims(base, [
      ['replicas', render({ cluster: { replicas: 5 }, persistence: VOLUME }).t.objects],
      ['image', render({ cluster: { replicas: 3 }, persistence: VOLUME, image: 'nats:2.10.24-alpine' }).t.objects],
      ['resources', render({ cluster: { replicas: 3 }, persistence: VOLUME, resources: sized(200, 2000, 512, 1024) }).t.objects],
    ])).toEqual(['replicas', 'image', 'resources']);
  });
});

describe('NatsConfig cluster, TLS and auth blocks', () => {
  const base = { serverName: 'bus' };

  test('lists render one item per line, blocks inside lists in braces, variables unquoted', () => {
    const text = new NatsConfig({ ...base, serverNameEnv: 'POD_NAME', cluster: { name: 'c', routes: ['nats://a:6222', 'nats://b:6222'] }, nkeyUsers: [NKEY] }).render();
    expect(text).toContain('server_name: $POD_NAME\n');
    expect(text).toContain('  routes: [\n    "nats://a:6222"\n    "nats://b:6222"\n  ]\n');
    expect(text).toContain(`authorization {\n  users: [\n    {\n      nkey: "${NKEY}"\n    }\n  ]\n}\n`);
  });

  test('fails when a route, a TLS path, the include or the cluster port is wrong', () => {
    expect(() => new NatsConfig({ ...base, cluster: { name: 'c', routes: ['tls://a:1'] } })).toThrow("'cluster.routes[0]' is \"tls://a:1\"; allowed: nats://host:port");
    expect(() => new NatsConfig({ ...base, cluster: { name: 'c', port: 4222, routes: ['nats://a:1'] } })).toThrow(/'cluster.port' is 4222; allowed: a port other than the client \(4222\) and monitoring \(8222\) ports/);
    expect(() => new NatsConfig({ ...base, tls: { certFile: 'tls.crt', keyFile: '/k' } })).toThrow("'tls.certFile' is \"tls.crt\"; allowed: an absolute path without spaces or quotes");
    expect(() => new NatsConfig({ ...base, tls: { certFile: '/c', keyFile: '/k', verify: true } })).toThrow("'tls.verify' is true; allowed: verify only with a caFile to verify peers against");
    expect(() => new NatsConfig({ ...base, include: '/run/nats/auth.conf' })).toThrow("'include' is \"/run/nats/auth.conf\"; allowed: a relative path: NATS resolves includes against the including file's directory");
    expect(() => new NatsConfig({ ...base, serverNameEnv: 'pod-name' })).toThrow("'serverNameEnv' is \"pod-name\"; allowed: an upper-case environment variable name");
  });
});
