/**
 * A real redis-server (Debian's 7.0; `ValkeyEngine.redis()` pins 7.4, Valkey 8 reads the same file) started from the
 * config a ValkeyServer renders, with the runtime file its init container writes from the password Secret, as a
 * primary and a read replica on loopback.
 *
 * Changed from the rendered output, and only this: the init script writes to a temp file instead of
 * /run/valkey/runtime.conf, and the replica's `replicaof` names 127.0.0.1 and the primary's test port instead of the
 * primary's Service; in the config file, four lines: `bind` (loopback only), `port`, `dir` and `include` (temp paths).
 * The probes run as rendered, with the port moved to the test port.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Size } from 'cdk8s';
import { renderRelease } from '../../lib/release';
import { ValkeyAuth, ValkeyEngine, ValkeyPersistence, ValkeyServer } from '../../lib/valkey';
import { newRelease, Obj, Template } from '../support';
import { freePort } from './support/net';
import { stopProcesses } from './support/process';
import { binaries, resp, until } from './support/redis';

// Quotes, a backslash, spaces, '$' and '%': everything the config file's quoting and printf must carry through.
const PASSWORD = 'p"a ss\\w$rd% x';

describe('redis-server on the rendered config and the runtime file written from the Secret', () => {
  const bin = binaries();
  const r = newRelease();
  new ValkeyServer(r, 'Cache', {
    engine: ValkeyEngine.redis(),
    auth: ValkeyAuth.password({ name: 'cache-auth', key: 'password' }),
    persistence: ValkeyPersistence.appendOnly({ size: Size.gibibytes(1) }),
    readReplicas: 1,
  });
  const t = new Template(renderRelease(r));
  const configText: string = t.find('ConfigMap', 'r-valkey').data['valkey.conf'];
  const initScript = (sts: string): string => (t.container('StatefulSet', sts, 'config').command as string[])[2];
  const server = (sts: string): Obj => t.container('StatefulSet', sts, 'valkey');

  const procs: ChildProcess[] = [];
  let dir: string;
  const ports = { primary: 0, replica: 0 };
  const runtime = { primary: '', replica: '' };

  function runInit(script: string, file: string, password: string): ReturnType<typeof spawnSync> {
    return spawnSync('sh', ['-c', script.replace('conf=/run/valkey/runtime.conf', `conf=${file}`)], { env: { PATH: process.env.PATH, VALKEY_PASSWORD: password }, encoding: 'utf8', timeout: 10_000 });
  }

  function localConfig(role: 'primary' | 'replica'): string {
    const data = path.join(dir, role);
    fs.mkdirSync(data, { recursive: true });
    const text = configText
      .replace(/^bind \* -::\*$/m, 'bind 127.0.0.1')
      .replace(/^port 6379$/m, `port ${ports[role]}`)
      .replace(/^dir \/data$/m, `dir ${data}`)
      .replace(/^include \/run\/valkey\/runtime\.conf$/m, `include ${runtime[role]}`);
    const file = path.join(dir, `${role}.conf`);
    fs.writeFileSync(file, text);
    return file;
  }

  /** Runs a rendered probe (`sh -c ...`) against a test port, with or without the CLI's password env. */
  function probe(command: string[], port: number, withAuth: boolean): number | null {
    const env: Record<string, string> = { PATH: `${path.dirname(bin.cli)}:${process.env.PATH}` };
    if (withAuth) env.REDISCLI_AUTH = PASSWORD;
    return spawnSync(command[0], [command[1], command[2].replace('-p 6379', `-p ${port}`)], { env, encoding: 'utf8', timeout: 10_000 }).status;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'valkey-it-'));
    ports.primary = await freePort();
    ports.replica = await freePort();
    runtime.primary = path.join(dir, 'primary-runtime.conf');
    runtime.replica = path.join(dir, 'replica-runtime.conf');
    for (const role of ['primary', 'replica'] as const) {
      let script = initScript(role === 'primary' ? 'r-valkey' : 'r-valkey-replica');
      if (role === 'replica') script = script.replace("'r-valkey.ns.svc 6379'", `'127.0.0.1 ${ports.primary}'`);
      const res = runInit(script, runtime[role], PASSWORD);
      if (res.status !== 0) throw new Error(`init script (${role}) failed: ${res.stderr}`);
      const p = spawn(bin.server, [localConfig(role)], { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(p);
      await until(`${role} listening`, async () => (await resp(ports[role], ['PING'])).length > 0);
    }
  }, 40_000);

  afterAll(async () => {
    await stopProcesses(procs);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  test('the runtime file holds the escaped password and, for the replica, replicaof; the ConfigMap holds no credential', () => {
    expect(fs.readFileSync(runtime.primary, 'utf8')).toBe('requirepass "p\\"a ss\\\\w$rd% x"\nmasterauth "p\\"a ss\\\\w$rd% x"\n');
    expect(fs.readFileSync(runtime.replica, 'utf8')).toMatch(new RegExp(`\\nreplicaof 127\\.0\\.0\\.1 ${ports.primary}\\n$`));
    expect(fs.statSync(runtime.primary).mode & 0o777).toBe(0o600);
    expect(configText).not.toMatch(/requirepass|masterauth/);
  });

  test('the password is never on the command line of the server', () => {
    for (const p of procs) expect(fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8')).not.toContain('ss\\w');
    for (const sts of ['r-valkey', 'r-valkey-replica']) expect(JSON.stringify(server(sts).command)).toBe(JSON.stringify(['redis-server', '/etc/valkey/valkey.conf']));
  });

  test('authentication is required, and AUTH with the Secret\'s password works (a wrong one does not)', async () => {
    expect(await resp(ports.primary, ['GET', 'k'])).toMatch(/^-NOAUTH/);
    expect(await resp(ports.primary, ['AUTH', 'wrong'])).toMatch(/^-WRONGPASS/);
    expect(await resp(ports.primary, ['AUTH', PASSWORD])).toBe('+OK');
  });

  test('the server runs with the rendered settings: append-only, maxmemory and its policy', async () => {
    const get = (key: string) => spawnSync(bin.cli, ['-p', String(ports.primary), '--no-auth-warning', 'config', 'get', key], { env: { REDISCLI_AUTH: PASSWORD }, encoding: 'utf8' }).stdout.replace(/\n$/, '').split('\n');
    expect(get('appendonly')).toEqual(['appendonly', 'yes']);
    expect(get('appendfsync')).toEqual(['appendfsync', 'everysec']);
    expect(get('maxmemory')).toEqual(['maxmemory', String(256 * 1024 * 1024)]);
    expect(get('maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(get('save')).toEqual(['save', '']);
    expect(fs.readdirSync(path.join(dir, 'primary'))).toContain('appendonlydir');
  });

  test('the rendered probes pass with the password from the env the pod sets, and fail without it', () => {
    const primary = server('r-valkey');
    expect(Object.keys(Object.fromEntries((primary.env as Obj[]).map((e) => [e.name, e])))).toEqual(['REDISCLI_AUTH']);
    for (const p of [primary.readinessProbe, primary.livenessProbe, primary.startupProbe]) expect(probe(p.exec.command, ports.primary, true)).toBe(0);
    expect(probe(primary.readinessProbe.exec.command, ports.primary, false)).not.toBe(0);
  });

  test('the replica authenticates to the primary (masterauth), replicates, refuses writes, and its readiness probe says so', async () => {
    const replica = server('r-valkey-replica');
    await until('replica link up', () => probe(replica.readinessProbe.exec.command, ports.replica, true) === 0);
    const cli = (port: number, ...args: string[]) => spawnSync(bin.cli, ['-p', String(port), ...args], { env: { REDISCLI_AUTH: PASSWORD }, encoding: 'utf8' }).stdout.trim();
    expect(cli(ports.primary, 'set', 'greeting', 'hello')).toBe('OK');
    await until('value replicated', () => cli(ports.replica, 'get', 'greeting') === 'hello');
    expect(cli(ports.replica, 'set', 'x', '1')).toMatch(/^READONLY/);
    expect(cli(ports.replica, 'info', 'replication')).toMatch(/role:slave/);
  }, 20_000);

  test('the init script refuses an empty password and one with a line break, naming the Secret', () => {
    const script = initScript('r-valkey');
    const empty = runInit(script, path.join(dir, 'x.conf'), '');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('the password (Secret cache-auth key password) is empty or missing');
    const broken = runInit(script, path.join(dir, 'y.conf'), 'a\nb');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('contains a line break');
  });
});
