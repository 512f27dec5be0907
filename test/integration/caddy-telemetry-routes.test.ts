/**
 * The telemetry route prefixes are one setting: a reverse proxy built from `TelemetryStack.routes` and the backends'
 * own sub-path settings must agree. Shown here with real binaries on loopback: the Caddyfile CaddyIngress renders
 * from the stack's routes (custom prefixes), a real Prometheus (Debian's 2.42) started with the arguments the stack
 * renders, and stand-ins for Grafana and Jaeger (not installable here) that record the paths they receive, compared
 * with the sub-path settings the stack gives the real ones.
 *
 * Changed from the rendered objects, test-locally: upstream hosts are loopback addresses instead of Service names;
 * Prometheus' config path, TSDB path and listen address; Kubernetes SD projected onto file SD (Debian's build lacks
 * it, see test/telemetry/sd-projection.ts); Caddy binds 127.0.0.1 only and, on Caddy < 2.8, gets the documented 2.6.2
 * substitutions (support/caddy-compat.ts).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { buildCaddyfile } from '../../lib/ingress/caddy-config';
import { CaddyUpstream } from '../../lib/ingress/routing';
import { find, prometheusYaml, render } from '../telemetry/helpers';
import { projectToFileSd } from '../telemetry/sd-projection';
import { caddyVersion, supportsUnmodified, toCaddy262 } from './support/caddy-compat';
import { get, loopbackOnly, startCaddy, stopProcess } from './support/caddy-run';
import { freePort, Upstreams } from './support/upstreams';

const CADDY = process.env.CADDY_BIN ?? 'caddy';
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
jest.setTimeout(60_000);

const PREFIXES = { grafana: '/ops/grafana', prometheus: '/ops/prom', jaeger: '/ops/traces' };

describe('Caddy routes and the telemetry backends agree on the route prefixes', () => {
  const { stack, objects } = render({ routePrefixes: PREFIXES });
  const envOf = (name: string) =>
    Object.fromEntries(find(objects, 'Deployment', name).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caddy-telemetry-'));
  const caddyLog = { out: '', err: '' };
  let promOutput = '';
  let prometheus: ChildProcess | undefined;
  let caddy: ChildProcess | undefined;
  let grafana: Upstreams;
  let jaeger: Upstreams;
  let app: Upstreams;
  let port: number;

  beforeAll(async () => {
    // Fail, never skip: missing binaries mean the CI install step is broken.
    if (!fs.existsSync(PROMETHEUS)) throw new Error(`prometheus not found at ${PROMETHEUS}; install the Debian package prometheus`);
    const version = caddyVersion(CADDY);

    const promPort = await freePort();
    const configFile = path.join(tmp, 'prometheus.yml');
    fs.writeFileSync(configFile, stringify(projectToFileSd(prometheusYaml(objects), [], tmp)));
    const rendered: string[] = find(objects, 'Deployment', 'prometheus').spec.template.spec.containers[0].args;
    const args = rendered.map((a) => {
      if (a.startsWith('--config.file=')) return `--config.file=${configFile}`;
      if (a.startsWith('--storage.tsdb.path=')) return `--storage.tsdb.path=${path.join(tmp, 'data')}`;
      if (a.startsWith('--web.listen-address=')) return `--web.listen-address=127.0.0.1:${promPort}`;
      return a;
    });
    expect(args.filter((a, i) => a !== rendered[i])).toHaveLength(3);
    prometheus = spawn(PROMETHEUS, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d) => (promOutput += d));
    prometheus.stderr!.on('data', (d) => (promOutput += d));

    [grafana, jaeger, app] = await Promise.all([Upstreams.start(['127.0.0.1']), Upstreams.start(['127.0.0.1']), Upstreams.start(['127.0.0.1'])]);
    const hostPort: Record<string, string> = { grafana: grafana.dials[0], prometheus: `127.0.0.1:${promPort}`, jaeger: jaeger.dials[0] };
    port = await freePort();
    // The mapping an app writes (GraphistryStack does the same with Service DNS names): the prefix is passed through.
    const text = buildCaddyfile({
      upstream: CaddyUpstream.single(app.dials[0]),
      proxyRoutes: stack.routes.map((r) => ({ name: r.ui, pathPrefix: r.pathPrefix, upstream: CaddyUpstream.single(hostPort[r.ui]) })),
      httpPort: port,
    }).render();
    let file = text;
    if (!supportsUnmodified(version)) {
      const compat = toCaddy262(text);
      expect(compat.counts).toEqual({ queryPolicies: 0, cookieFallbacks: 0, logSkips: 1, trustedProxies: 1 });
      file = compat.text;
    }
    const caddyFile = path.join(tmp, 'Caddyfile');
    fs.writeFileSync(caddyFile, loopbackOnly(file));
    const env = { ...process.env, HOME: tmp, XDG_DATA_HOME: path.join(tmp, 'xdg-data'), XDG_CONFIG_HOME: path.join(tmp, 'xdg-config') };
    caddy = await startCaddy({ bin: CADDY, file: caddyFile, env, healthPort: port, log: caddyLog });

    // Prometheus is ready (through Caddy, under its prefix) within 30 s.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}:\n${promOutput}`);
      const r = await get(port, `${PREFIXES.prometheus}/-/ready`).catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`prometheus was not ready through Caddy within 30s:\n${promOutput}\n${caddyLog.err}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  });

  afterAll(async () => {
    await stopProcess(caddy);
    await stopProcess(prometheus);
    await Promise.all([grafana?.close(), jaeger?.close(), app?.close()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the stack publishes the configured prefixes, to be forwarded unchanged', () => {
    expect(stack.routes.map((r) => [r.ui, r.pathPrefix, r.stripPrefix])).toEqual([
      ['grafana', '/ops/grafana', false],
      ['prometheus', '/ops/prom', false],
      ['jaeger', '/ops/traces', false],
    ]);
  });

  test('the real Prometheus answers through Caddy under its prefix, and its links stay under it', async () => {
    const ready = await get(port, '/ops/prom/-/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatch(/Prometheus.*Ready/);
    const status = await get(port, '/ops/prom/api/v1/status/buildinfo');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body).status).toBe('success');
    const landing = await get(port, '/ops/prom');
    expect([301, 302, 307, 308]).toContain(landing.status);
    expect(landing.headers.location).toMatch(/^\/ops\/prom\//);
    // Outside the prefix the request is the app's, not Prometheus'.
    const before = app.hits.length;
    expect(JSON.parse((await get(port, '/-/ready')).body).upstream).toBe(app.dials[0]);
    expect(app.hits.length).toBe(before + 1);
  });

  test("Grafana receives its requests under the sub-path it is configured to serve from", async () => {
    const e = envOf('grafana');
    expect(e.GF_SERVER_SERVE_FROM_SUB_PATH).toBe('true');
    expect(e.GF_SERVER_ROOT_URL).toBe(PREFIXES.grafana);
    await get(port, '/ops/grafana/login');
    await get(port, '/ops/grafana');
    expect(grafana.hits.map((h) => h.url)).toEqual(['/ops/grafana/login', '/ops/grafana']);
  });

  test('Jaeger receives its requests under its base path', async () => {
    expect(envOf('jaeger').QUERY_BASE_PATH).toBe(PREFIXES.jaeger);
    await get(port, '/ops/traces/search?service=x');
    expect(jaeger.hits.map((h) => h.url)).toEqual(['/ops/traces/search?service=x']);
  });
});
