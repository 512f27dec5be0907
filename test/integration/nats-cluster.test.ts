/**
 * Three real nats-server processes (Debian's 2.9.10; the image runs 2.10) form a cluster from the config a clustered
 * NatsServer renders, with user/password authentication written by its init container from the Secret and TLS on the
 * client port and on the routes (a CA and a certificate for 127.0.0.1 made here with openssl), and a JetStream KV
 * bucket with 3 replicas works through them.
 *
 * Each server gets a directory laid out like its pod (`etc/nats/nats.conf`, `run/nats/auth.conf`), so the rendered
 * relative include resolves as it does in the pod. Changed from the rendered output, and only this: `store_dir` and the
 * three TLS file paths (temp paths), the init script's output file (the pod's /run/nats/auth.conf under the server's
 * directory), and the listeners, moved to loopback and free ports with flags nats-server applies over the file (`-a`,
 * `-p`, `-m`, `--cluster`, and `--routes` replacing the pod DNS names of the routes with 127.0.0.1 ports). POD_NAME is
 * set as the pod's fieldRef sets it.
 *
 * A second part runs one server with token authentication (a token that NATS would misparse as a `$VARIABLE` value) and
 * one with nkeys, from their rendered configs.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Size } from 'cdk8s';
import { connect, NatsConnection, nkeyAuthenticator, StringCodec } from 'nats';
import { createUser } from 'nkeys.js';
import { NatsAuth, NatsPersistence, NatsServer, NatsServerProps, NatsTls } from '../../lib/nats';
import { renderRelease } from '../../lib/release';
import { DemoWorkload, envOf, newRelease, Obj, Template } from '../support';
import { freePort, httpGet } from './support/net';
import { stopProcesses } from './support/process';
import { natsServerBinary, startNatsServer, waitNatsHealthy } from './support/nats';

const sc = StringCodec();
const PASSWORD = 'pw "with" \\ and $dollar';

function render(props: NatsServerProps): { t: Template; client: Obj } {
  const r = newRelease();
  const server = new NatsServer(r, 'Nats', props);
  new DemoWorkload(r, 'Web', { name: 'web', connect: [server] });
  const t = new Template(renderRelease(r));
  return { t, client: t.find('Deployment', 'web') };
}

/** A CA and a server certificate for 127.0.0.1 (clients and routes verify it), made with openssl. */
function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=test-ca');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('tls.key'), '-out', f('tls.csr'), '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  ssl('x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('tls.crt'), '-days', '1', '-extfile', f('ext.cnf'));
  return { ca: f('ca.crt'), cert: f('tls.crt'), key: f('tls.key') };
}

describe('three nats-server processes form a cluster from the rendered config (users auth, TLS on clients and routes)', () => {
  const bin = natsServerBinary();
  const { t, client } = render({
    cluster: { replicas: 3 },
    auth: NatsAuth.users([{ user: 'app', password: { name: 'nats-app', key: 'password' } }]),
    tls: NatsTls.fromSecret({ secretName: 'nats-tls' }),
    persistence: NatsPersistence.volume({ size: Size.gibibytes(1) }),
  });
  const configText: string = t.find('ConfigMap', 'r-nats').data['nats.conf'];
  const sts = t.find('StatefulSet', 'r-nats');
  const initScript: string = t.container('StatefulSet', 'r-nats', 'auth').command[2];
  const clientEnv = envOf(t.container('Deployment', 'web', 'main'));

  const procs: ChildProcess[] = [];
  const logs: string[] = ['', '', ''];
  const ports = { client: [0, 0, 0], monitor: [0, 0, 0], route: [0, 0, 0] };
  let dir: string;
  let certs: { ca: string; cert: string; key: string };
  let configs: string[] = [];
  let nc: NatsConnection;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-cluster-it-'));
    certs = makeCerts(dir);
    for (const k of ['client', 'monitor', 'route'] as const) for (let i = 0; i < 3; i++) ports[k][i] = await freePort();
    for (let i = 0; i < 3; i++) {
      const root = path.join(dir, `r-nats-${i}`);
      for (const d of ['etc/nats', 'run/nats', 'data']) fs.mkdirSync(path.join(root, d), { recursive: true });
      const init = spawnSync('sh', ['-c', initScript.replace('> /run/nats/auth.conf', `> ${root}/run/nats/auth.conf`)], { env: { PATH: process.env.PATH, NATS_AUTH_PASSWORD_0: PASSWORD }, encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`init script failed: ${init.stderr}`);
      const text = configText
        .replace('store_dir: "/data"', `store_dir: "${root}/data"`)
        .replace(/"\/etc\/nats-tls\/tls\.crt"/g, `"${certs.cert}"`)
        .replace(/"\/etc\/nats-tls\/tls\.key"/g, `"${certs.key}"`)
        .replace(/"\/etc\/nats-tls\/ca\.crt"/g, `"${certs.ca}"`);
      const file = path.join(root, 'etc/nats/nats.conf');
      fs.writeFileSync(file, text);
      configs.push(file);
    }
    const routes = ports.route.map((p) => `nats://127.0.0.1:${p}`).join(',');
    for (let i = 0; i < 3; i++) {
      const p = spawn(bin, ['-c', configs[i], '-a', '127.0.0.1', '-p', String(ports.client[i]), '-m', String(ports.monitor[i]), '--cluster', `nats://127.0.0.1:${ports.route[i]}`, '--routes', routes], {
        env: { ...process.env, POD_NAME: `r-nats-${i}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      p.stdout!.on('data', (d) => (logs[i] += d));
      p.stderr!.on('data', (d) => (logs[i] += d));
      procs.push(p);
    }
    // /healthz is 200 only once JetStream has a meta leader: the cluster has formed.
    await Promise.all([0, 1, 2].map((i) => waitNatsHealthy(`http://127.0.0.1:${ports.monitor[i]}/healthz`, procs[i], () => logs[i], 45_000)));
    nc = await connect({
      servers: ports.client.map((p) => `tls://127.0.0.1:${p}`),
      user: clientEnv.NATS_USER as string,
      pass: PASSWORD,
      tls: { caFile: certs.ca },
      timeout: 5000,
    });
  }, 90_000);

  afterAll(async () => {
    if (nc) await nc.close();
    await stopProcesses(procs);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test('the test configs differ from the rendered ConfigMap only in store_dir and the TLS paths; nats-server -t accepts them', () => {
    const rendered = configText.split('\n');
    const local = fs.readFileSync(configs[0], 'utf8').split('\n');
    const changed = rendered.map((line, i) => [line.trim(), local[i].trim()]).filter(([a, b]) => a !== b).map(([a]) => a);
    expect(changed).toEqual([
      'store_dir: "/data"',
      'cert_file: "/etc/nats-tls/tls.crt"', 'key_file: "/etc/nats-tls/tls.key"', 'ca_file: "/etc/nats-tls/ca.crt"',
      'cert_file: "/etc/nats-tls/tls.crt"', 'key_file: "/etc/nats-tls/tls.key"', 'ca_file: "/etc/nats-tls/ca.crt"',
    ]);
    expect(configText).toContain('include "../../run/nats/auth.conf"');
    const r = spawnSync(bin, ['-t', '-c', configs[0]], { env: { ...process.env, POD_NAME: 'r-nats-0' }, encoding: 'utf8' });
    expect([r.status, r.stderr.trim()]).toEqual([0, `nats-server: configuration file ${configs[0]} is valid`]);
  });

  test('each server is named after its pod and routes to the two others', async () => {
    for (let i = 0; i < 3; i++) {
      const varz = JSON.parse((await httpGet(`http://127.0.0.1:${ports.monitor[i]}/varz`)).body);
      expect(varz.server_name).toBe(`r-nats-${i}`);
      expect(varz.cluster.name).toBe('r-nats');
      const routez = JSON.parse((await httpGet(`http://127.0.0.1:${ports.monitor[i]}/routez`)).body);
      expect(routez.num_routes).toBeGreaterThanOrEqual(2);
    }
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
  });

  test('every probe path answers 200 on every server', async () => {
    const c = t.container('StatefulSet', 'r-nats', 'nats');
    for (let i = 0; i < 3; i++) {
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
        expect([i, probe.httpGet.path, (await httpGet(`http://127.0.0.1:${ports.monitor[i]}${probe.httpGet.path}`)).status]).toEqual([i, probe.httpGet.path, 200]);
      }
    }
  });

  test('the client env is what the test connected with: a tls:// URL without credentials, the user, the replica count', () => {
    expect(clientEnv).toMatchObject({
      NATS_URL: 'tls://r-nats.ns.svc:4222', NATS_REPLICAS: '3', NATS_USER: 'app',
      NATS_PASSWORD: { secretKeyRef: { name: 'nats-app', key: 'password' } }, NATS_CA_FILE: '/etc/nats-ca/nats-tls/ca.crt',
    });
    expect(client.spec.template.spec.volumes).toEqual([{ name: 'nats-ca-nats-tls', secret: { secretName: 'nats-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]);
  });

  test('a JetStream KV bucket with 3 replicas works through the cluster', async () => {
    const js = nc.jetstream();
    const kv = await js.views.kv('orders', { replicas: Number(clientEnv.NATS_REPLICAS), history: 1 });
    await kv.put('order.1', sc.encode('paid'));
    expect(sc.decode((await kv.get('order.1'))!.value)).toBe('paid');
    const info = await (await nc.jetstreamManager()).streams.info('KV_orders');
    expect(info.config.num_replicas).toBe(3);
    expect(1 + (info.cluster?.replicas?.length ?? 0)).toBe(3);
    // Read through another server of the cluster.
    const other = await connect({ servers: `tls://127.0.0.1:${ports.client[2]}`, user: 'app', pass: PASSWORD, tls: { caFile: certs.ca }, timeout: 5000 });
    try {
      const kv2 = await other.jetstream().views.kv('orders');
      expect(sc.decode((await kv2.get('order.1'))!.value)).toBe('paid');
    } finally {
      await other.close();
    }
  }, 30_000);

  test('a client without the password, or without TLS, is refused', async () => {
    await expect(connect({ servers: `tls://127.0.0.1:${ports.client[0]}`, user: 'app', pass: 'wrong', tls: { caFile: certs.ca }, timeout: 3000, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation|AUTHORIZATION_VIOLATION/i);
    await expect(connect({ servers: `nats://127.0.0.1:${ports.client[0]}`, user: 'app', pass: PASSWORD, timeout: 3000, maxReconnectAttempts: 0, tls: null })).rejects.toThrow();
  }, 15_000);
});

describe('nats-server with token and nkey authentication from the rendered configs', () => {
  const bin = natsServerBinary();
  const procs: ChildProcess[] = [];
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-auth-it-'));
  });

  afterAll(async () => {
    await stopProcesses(procs);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  async function start(name: string, t: Template, secretEnv: Record<string, string>): Promise<number> {
    const root = path.join(dir, name);
    for (const d of ['etc/nats', 'run/nats', 'data']) fs.mkdirSync(path.join(root, d), { recursive: true });
    const sts = t.find('StatefulSet');
    const auth = (sts.spec.template.spec.initContainers ?? []).find((c: Obj) => c.name === 'auth');
    if (auth) {
      const init = spawnSync('sh', ['-c', auth.command[2].replace('> /run/nats/auth.conf', `> ${root}/run/nats/auth.conf`)], { env: { PATH: process.env.PATH, ...secretEnv }, encoding: 'utf8' });
      if (init.status !== 0) throw new Error(init.stderr);
    }
    // The pod's layout, so the config's relative include of run/nats/auth.conf resolves as in the pod.
    const server = await startNatsServer(bin, t.find('ConfigMap').data['nats.conf'] as string, root, { configFile: 'etc/nats/nats.conf', storeDir: path.join(root, 'data') });
    procs.push(server.proc);
    return server.clientPort;
  }

  test('token: a token NATS would misparse as a variable value works, because the init script quotes it', async () => {
    const token = '12345 "x" \\y';
    const { t, client } = render({ auth: NatsAuth.token({ name: 'nats-token', key: 'token' }) });
    expect(envOf(client.spec.template.spec.containers[0]).NATS_TOKEN).toEqual({ secretKeyRef: { name: 'nats-token', key: 'token' } });
    const port = await start('token', t, { NATS_AUTH_TOKEN: token });
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, token, timeout: 3000 });
    await nc.flush();
    await nc.close();
    await expect(connect({ servers: `nats://127.0.0.1:${port}`, token: 'nope', timeout: 3000, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation|AUTHORIZATION_VIOLATION/i);
  }, 30_000);

  test('nkeys: the public key in the config admits the client holding the seed, and no one else', async () => {
    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const r = newRelease();
    const server = new NatsServer(r, 'Nats', { auth: NatsAuth.nkeys([user.getPublicKey()]) });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => server.connect(c, { nkeySeed: { name: 'web-nkey', key: 'seed' } })] });
    const t = new Template(renderRelease(r));
    expect(t.find('StatefulSet').spec.template.spec.initContainers).toBeUndefined();
    expect(envOf(t.container('Deployment', 'web', 'main')).NATS_NKEY_SEED).toEqual({ secretKeyRef: { name: 'web-nkey', key: 'seed' } });
    const port = await start('nkeys', t, {});
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), timeout: 3000 });
    await nc.close();
    const stranger = new TextDecoder().decode(createUser().getSeed());
    await expect(connect({ servers: `nats://127.0.0.1:${port}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(stranger)), timeout: 3000, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation|AUTHORIZATION_VIOLATION/i);
  }, 30_000);
});
