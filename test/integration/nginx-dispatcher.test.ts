// The engine's :8080 dispatcher in a real nginx (Debian nginx-light): `nginx -t` on the exact conf.d file the
// EngineDaemonSet renders, then a live run on loopback showing each Host header reaches its own backend, request
// bodies are not size-limited, and WebSocket upgrades pass through.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { ExternalPeer } from '../../lib/core';
import { Release, renderRelease } from '../../lib/release';
import { buildDispatcherConfig, DaskScheduler, EngineDaemonSet, EngineDaemonSetProps, Postgres, Redis, Tier } from '../../lib/graphistry';
import { NginxConfFile, NginxDirective, NginxMainConfig } from '../../lib/nginx';
import { freePort } from './support/net';
import { stopProcess } from './support/process';

const NGINX = '/usr/sbin/nginx';
jest.setTimeout(30_000);

/** The conf.d file an EngineDaemonSet renders into its ConfigMap. */
function renderedDispatcher(props: Partial<EngineDaemonSetProps>): string {
  const app = new App();
  const r = new Release(app, 'graphistry', { namespace: 'gx' });
  new EngineDaemonSet(r, 'Engine', {
    tier: Tier.VIZ,
    postgres: Postgres.external({ host: 'pg', database: 'g', user: 'g', passwordSecret: { name: 'pg', key: 'password' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) }),
    dataMountClaim: 'data-mount',
    localMediaMountClaim: 'local-media-mount',
    redis: new Redis(r, 'Redis'),
    daskScheduler: new DaskScheduler(r, 'DaskScheduler'),
    ...props,
  });
  const cm = renderRelease(r).objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'engine-nginx-cfg') as unknown as { data: Record<string, string> };
  return cm.data['engine-dispatcher.conf'];
}

/** A minimal nginx.conf around http-context files, with every path nginx writes inside `dir`. */
function mainConfig(dir: string, httpText: string[], live: boolean): string {
  const main = [NginxDirective.of('pid', path.join(dir, 'nginx.pid')), NginxDirective.of('error_log', path.join(dir, 'error.log'), 'info'), NginxDirective.of('worker_processes', 1)];
  // As root the workers would otherwise switch to `nobody`, which cannot write the private temp dir.
  if (process.getuid?.() === 0) main.push(NginxDirective.of('user', 'root', 'root'));
  if (live) main.push(NginxDirective.of('daemon', 'off'));
  const temp = ['client_body_temp_path', 'proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path'];
  const conf = new NginxMainConfig({
    main,
    events: [NginxDirective.of('worker_connections', 64)],
    http: [...temp.map((d) => NginxDirective.of(d, path.join(dir, d))), NginxDirective.of('access_log', 'off')],
  }).render();
  // The dispatcher text is included verbatim, exactly as nginx would read it from conf.d.
  const files = httpText.map((t, i) => {
    const f = path.join(dir, `conf.d-${i}.conf`);
    fs.writeFileSync(f, t);
    return `    include ${f};`;
  });
  return conf.replace(/\n}\n$/, `\n${files.join('\n')}\n}\n`);
}

function nginxTest(files: string[]): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-t-'));
  try {
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, mainConfig(dir, files, false));
    const res = spawnSync(NGINX, ['-t', '-c', conf, '-p', `${dir}/`, '-e', path.join(dir, 'error.log')], { encoding: 'utf8', timeout: 10_000 });
    return { status: res.status, output: `${res.stdout}${res.stderr}${res.error ? String(res.error) : ''}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}


describe('nginx -t on the rendered dispatcher', () => {
  test('the nginx binary is installed (Debian nginx-light)', () => {
    expect(fs.existsSync(NGINX)).toBe(true);
  });

  test.each([
    ['analytics', { tier: Tier.ANALYTICS }],
    ['viz', { tier: Tier.VIZ }],
    ['full with 108 workers', { tier: Tier.FULL, streamglGpu: { workers: 108 } }],
  ])('the %s dispatcher passes nginx -t', (_name, props) => {
    const res = nginxTest([renderedDispatcher(props as Partial<EngineDaemonSetProps>)]);
    expect(res.output).toContain('test is successful');
    expect(res.status).toBe(0);
  });

  test('the harness really validates: the same file loaded twice is refused (duplicate map variable)', () => {
    const text = renderedDispatcher({ tier: Tier.VIZ });
    const res = nginxTest([text, text]);
    expect(res.status).not.toBe(0);
    expect(res.output).toMatch(/duplicate "engine_dispatch_connection" variable|duplicate/);
  });
});

describe('live Host-header dispatch on loopback', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-live-'));
  const backends: http.Server[] = [];
  const upgraded: Array<{ destroy(): void }> = [];
  let nginx: ChildProcess | undefined;
  let dispatcherPort = 0;
  // The real routes of a viz-tier plan; each real port is remapped to a free loopback port for the test.
  const app = new App();
  const rel = new Release(app, 'graphistry', { namespace: 'gx' });
  const engine = new EngineDaemonSet(rel, 'Engine', {
    tier: Tier.VIZ,
    postgres: Postgres.external({ host: 'pg', database: 'g', user: 'g', passwordSecret: { name: 'pg', key: 'password' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) }),
    dataMountClaim: 'data-mount',
    localMediaMountClaim: 'local-media-mount',
    redis: new Redis(rel, 'Redis'),
    daskScheduler: new DaskScheduler(rel, 'DaskScheduler'),
  });
  const routes = engine.ports.dispatchRoutes();

  beforeAll(async () => {
    expect(fs.existsSync(NGINX)).toBe(true);
    const mapped = [];
    for (const r of routes) {
      const server = http.createServer((req, res) => {
        let size = 0;
        req.on('data', (c: Buffer) => (size += c.length));
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ backend: r.host, planPort: r.port, host: req.headers.host, bodyBytes: size }));
        });
      });
      server.on('upgrade', (_req, socket) => {
        upgraded.push(socket);
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Backend: ${r.host}\r\n\r\n`);
        socket.on('data', (d: Buffer) => socket.write(`${r.host}:${d.toString()}`));
      });
      const port = await freePort();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      backends.push(server);
      mapped.push({ host: r.host, port });
    }
    dispatcherPort = await freePort();
    const file: NginxConfFile = buildDispatcherConfig(mapped, { port: dispatcherPort });
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, mainConfig(dir, [file.render()], true));
    nginx = spawn(NGINX, ['-c', conf, '-p', `${dir}/`, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    nginx.stderr!.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(dispatcherPort, '127.0.0.1', () => {
          s.end();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (up) break;
      if (Date.now() > deadline || nginx.exitCode !== null) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await stopProcess(nginx);
    for (const s of upgraded) s.destroy();
    await Promise.all(
      backends.map((b) => {
        const closed = new Promise((resolve) => b.close(resolve));
        b.closeAllConnections();
        return closed;
      }),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function request(host: string, body?: Buffer): Promise<{ status: number; json?: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: dispatcherPort, method: body ? 'POST' : 'GET', path: '/x', headers: { Host: host }, timeout: 5_000 }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end(body);
    });
  }

  test('each service name reaches the container the port plan assigns it', async () => {
    expect(routes.map((r) => r.host)).toEqual(['forge-etl-python', 'streamgl-gpu', 'streamgl-sessions', 'streamgl-viz']);
    for (const r of routes) {
      const res = await request(`${r.host}:8080`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ backend: r.host, planPort: r.port, host: `${r.host}:8080` });
    }
  });

  test('an unknown Host is refused with 421 instead of reaching some backend', async () => {
    expect((await request('nexus:8080')).status).toBe(421);
    expect((await request('127.0.0.1')).status).toBe(421);
  });

  test('request bodies above nginx\'s 1 MiB default pass (ETL uploads)', async () => {
    const res = await request('forge-etl-python:8080', Buffer.alloc(3 * 1024 * 1024, 1));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ backend: 'forge-etl-python', bodyBytes: 3 * 1024 * 1024 });
  });

  test('WebSocket upgrades pass through to the right backend', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: dispatcherPort,
        path: '/socket.io/',
        headers: { Host: 'streamgl-viz:8080', Connection: 'Upgrade', Upgrade: 'websocket' },
        timeout: 5_000,
      });
      req.on('upgrade', (res, socket) => {
        expect(res.statusCode).toBe(101);
        expect(res.headers['x-backend']).toBe('streamgl-viz');
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.toString());
        });
        socket.write('ping');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
    expect(echoed).toBe('streamgl-viz:ping');
  });
});
