/**
 * Graphistry's Redis with `auth` on, on a real redis-server (Debian's 7.0; the image pins 7.2): the init script writes
 * the runtime config from the password Secret, the server starts with that file (the rendered command), the probes run
 * as rendered with REDISCLI_AUTH, and nexus' REDIS_URL, with Kubernetes' `$(REDIS_PASSWORD)` expansion applied, logs in.
 *
 * Changed from the rendered output, and only this: the init script writes to a temp file instead of
 * /run/valkey/runtime.conf; the server gets `--port`, `--bind 127.0.0.1` and `--dir` after the file (the image's
 * defaults are 6379, every address and its WORKDIR /data); the probes and the URL get the test port.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ExternalPeer } from '../../lib/core';
import { Nexus, Postgres, Redis } from '../../lib/graphistry';
import { renderRelease } from '../../lib/release';
import { ValkeyAuth } from '../../lib/valkey';
import { newRelease, Obj, Template } from '../support';
import { freePort } from './support/net';
import { stopProcess } from './support/process';
import { binaries, resp, until } from './support/redis';

// URL-safe, as the notes' command creates it (hex), since it goes into REDIS_URL as it is.
const PASSWORD = '5f0c9a7e1b2d4c6e8f0a1b2c3d4e5f60';

describe('Graphistry Redis with auth: redis-server on the runtime file its init container writes', () => {
  const bin = binaries();
  const r = newRelease({ id: 'gx', namespace: 'gx' });
  const redis = new Redis(r, 'Redis', { auth: ValkeyAuth.password({ name: 'graphistry-redis', key: 'password' }) });
  new Nexus(r, 'Nexus', {
    postgres: Postgres.external({ host: 'pg.db.svc.cluster.local', database: 'graphistry', user: 'graphistry', passwordSecret: { name: 'pg', key: 'password' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) }),
    jwtSecret: 'graphistry-jwt',
    requiredSecret: 'graphistry-nexus',
    externalScheme: 'https',
    dataMountClaim: 'data-mount',
    localMediaMountClaim: 'local-media-mount',
    redis,
  });
  const t = new Template(renderRelease(r));
  const deployment = t.find('Deployment', 'redis');
  const init: Obj = deployment.spec.template.spec.initContainers.find((c: Obj) => c.name === 'config');
  const server: Obj = t.container('Deployment', 'redis', 'redis');
  const nexusEnv = (t.container('Deployment', 'nexus', 'nexus').env as Obj[]);

  let proc: ChildProcess | undefined;
  let dir: string;
  let runtime: string;
  let port = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graphistry-redis-it-'));
    port = await freePort();
    runtime = path.join(dir, 'runtime.conf');
    const script = (init.command as string[])[2].replace('conf=/run/valkey/runtime.conf', `conf=${runtime}`);
    const res = spawnSync('sh', ['-c', script], { env: { PATH: process.env.PATH, VALKEY_PASSWORD: PASSWORD }, encoding: 'utf8', timeout: 10_000 });
    if (res.status !== 0) throw new Error(`init script failed: ${res.stderr}`);
    const command = server.command as string[];
    expect(command).toEqual(['redis-server', '/run/valkey/runtime.conf']);
    proc = spawn(bin.server, [runtime, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    await until('redis listening', async () => (await resp(port, ['PING'])).length > 0);
  }, 30_000);

  afterAll(async () => {
    await stopProcess(proc);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  test('authentication is required, and AUTH with the Secret\'s password works (a wrong one does not)', async () => {
    expect(fs.readFileSync(runtime, 'utf8')).toBe(`requirepass "${PASSWORD}"\nmasterauth "${PASSWORD}"\n`);
    expect(await resp(port, ['GET', 'k'])).toMatch(/^-NOAUTH/);
    expect(await resp(port, ['AUTH', 'wrong'])).toMatch(/^-WRONGPASS/);
    expect(await resp(port, ['AUTH', PASSWORD])).toBe('+OK');
  });

  test('the password is on no command line', () => {
    expect(fs.readFileSync(`/proc/${proc!.pid}/cmdline`, 'utf8')).not.toContain(PASSWORD);
    expect(JSON.stringify([server.command, server.args, init.args])).not.toContain('password');
  });

  test('the rendered probes pass with the REDISCLI_AUTH the container gets, and are refused without it', () => {
    expect((server.env as Obj[]).find((e) => e.name === 'REDISCLI_AUTH')?.valueFrom).toEqual({ secretKeyRef: { name: 'graphistry-redis', key: 'password' } });
    const run = (withAuth: boolean) => {
      const cmd = server.readinessProbe.exec.command as string[];
      const env: Record<string, string> = { PATH: `${path.dirname(bin.cli)}:${process.env.PATH}` };
      if (withAuth) env.REDISCLI_AUTH = PASSWORD;
      return spawnSync(cmd[0], ['-p', String(port), ...cmd.slice(1)], { env, encoding: 'utf8', timeout: 10_000 }).stdout.trim();
    };
    expect(server.livenessProbe.exec.command).toEqual(server.readinessProbe.exec.command);
    expect(run(true)).toBe('PONG');
    expect(run(false)).toMatch(/NOAUTH/);
  });

  test('nexus\' REDIS_URL, expanded as Kubernetes does, logs in and reaches database 0', () => {
    const names = nexusEnv.map((e) => e.name);
    expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('REDIS_URL'));
    const url = nexusEnv.find((e) => e.name === 'REDIS_URL')?.value as string;
    expect(url).toBe('redis://:$(REDIS_PASSWORD)@redis:6379/0');
    const expanded = new URL(url.replace('$(REDIS_PASSWORD)', PASSWORD));
    // Read the way redis-py (nexus, the engine's Python) reads it: an empty user name means AUTH <password> (Debian's
    // redis-cli 7.0 `-u` would send AUTH "" <password> instead, so the test splits the URL itself).
    expect([expanded.username, expanded.hostname, expanded.port, expanded.pathname]).toEqual(['', 'redis', '6379', '/0']);
    const env = { REDISCLI_AUTH: decodeURIComponent(expanded.password) };
    const cli = (...args: string[]) => spawnSync(bin.cli, ['-h', '127.0.0.1', '-p', String(port), '-n', expanded.pathname.slice(1), ...args], { env, encoding: 'utf8', timeout: 10_000 }).stdout.trim();
    expect(cli('set', 'graphistry', 'ok')).toBe('OK');
    expect(cli('get', 'graphistry')).toBe('ok');
  });
});
