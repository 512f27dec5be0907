/**
 * Hostile values through the real programs (issue 19): what the builders escape or guard is checked by the binary that
 * reads it, on loopback, with every process stopped afterwards.
 * - Caddy (Debian 2.6.2): the Prometheus/Jaeger-style proxy route with basic auth from Secret-fed environment
 *   variables answers 401 without credentials and 200 with them; forward auth the same against a loopback
 *   authentication service; a cookie secret holding `{` and `}` (literal, or through the Secret's environment
 *   variable) reaches Caddy byte for byte.
 * - nginx (Debian nginx-light): a map key starting with `~` matches literally, not as a regular expression, and a
 *   header built with NginxVar carries the variable while a literal header stays text.
 * - promtool (Debian prometheus 2.42): a relabel regex RE2 accepts passes `promtool check config`; the lookahead
 *   `assertRe2` rejects is rejected by promtool too.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'cdk8s';
import { stringify } from 'yaml';
import { buildCaddyfile, CaddyCookieSecret, CaddyRouteAuth, CaddyUpstream } from '../../lib/ingress';
import { NginxAction, NginxConfFile, NginxDirective, NginxListen, NginxLocation, NginxMainConfig, NginxMap, NginxServer, NginxVar } from '../../lib/nginx';
import { assertRe2, PrometheusConfig } from '../../lib/telemetry';
import { caddyVersion, supportsUnmodified, toCaddy262 } from './support/caddy-compat';
import { get, loopbackOnly, startCaddy, stopProcess } from './support/caddy-run';
import { freePort, Upstreams } from './support/upstreams';

const CADDY = process.env.CADDY_BIN ?? 'caddy';
const NGINX = '/usr/sbin/nginx';
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';
jest.setTimeout(60_000);

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/** Runs a Caddyfile the builder rendered (2.6.2 substitutions applied when needed) and returns it started. */
async function runCaddy(
  tmp: string,
  text: string,
  port: number,
  env: Record<string, string>,
  log: { out: string; err: string },
): Promise<ChildProcess> {
  const file = supportsUnmodified(caddyVersion(CADDY)) ? text : toCaddy262(text).text;
  const caddyFile = path.join(tmp, 'Caddyfile');
  fs.writeFileSync(caddyFile, loopbackOnly(file));
  return startCaddy({
    bin: CADDY,
    file: caddyFile,
    env: { ...process.env, HOME: tmp, XDG_DATA_HOME: path.join(tmp, 'd'), XDG_CONFIG_HOME: path.join(tmp, 'c'), ...env },
    healthPort: port,
    log,
  });
}

describe('Caddy authenticates the telemetry-style proxy routes (real caddy)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caddy-auth-'));
  const log = { out: '', err: '' };
  const auth = CaddyRouteAuth.basic({ secretName: 'telemetry-auth' });
  let caddy: ChildProcess | undefined;
  let authService: http.Server | undefined;
  let backends: Upstreams;
  let port: number;

  beforeAll(async () => {
    backends = await Upstreams.start(['127.0.0.1']);
    // A loopback authentication service for forward auth: 200 (with a user header) for the right token, 401 otherwise.
    authService = http.createServer((req, res) => {
      const ok = req.headers['x-token'] === 'letmein';
      res.writeHead(ok ? 200 : 401, ok ? { 'Remote-User': 'ops' } : {});
      res.end();
    });
    await new Promise<void>((r) => authService!.listen(0, '127.0.0.1', () => r()));
    const authPort = (authService.address() as { port: number }).port;
    port = await freePort();
    const text = buildCaddyfile({
      upstream: CaddyUpstream.single(backends.dials[0]),
      proxyRoutes: [
        { name: 'prometheus', pathPrefix: '/prometheus', upstream: CaddyUpstream.single(backends.dials[0]), auth },
        { name: 'jaeger', pathPrefix: '/jaeger', upstream: CaddyUpstream.single(backends.dials[0]), auth: CaddyRouteAuth.forward({ upstream: `127.0.0.1:${authPort}`, uri: '/verify', copyHeaders: ['Remote-User'] }) },
        { name: 'grafana', pathPrefix: '/grafana', upstream: CaddyUpstream.single(backends.dials[0]) },
      ],
      httpPort: port,
    }).render();
    expect(text).toContain('basicauth {');
    // The operator's Secret holds the hash `caddy hash-password` prints (base64 bcrypt on 2.6, accepted by 2.8+ too).
    const hash = execFileSync(CADDY, ['hash-password', '--plaintext', 's3cret pass'], { encoding: 'utf8', timeout: 20_000 }).trim();
    // The Caddy container reads the account through the env the route's alternative names, one per Secret key.
    const env = Object.fromEntries(auth.secretEnv().map((e) => [e.name, e.key === 'username' ? 'ops' : hash]));
    caddy = await runCaddy(tmp, text, port, env, log);
  });

  afterAll(async () => {
    await stopProcess(caddy);
    await new Promise((r) => (authService ? authService.close(() => r(undefined)) : r(undefined)));
    await backends?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('basic auth: 401 without or with wrong credentials, 200 with the account from the Secret', async () => {
    const before = backends.hits.length;
    const anonymous = await get(port, '/prometheus/api/v1/query?query=up');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await get(port, '/prometheus/-/ready', basic('ops', 'wrong'))).status).toBe(401);
    expect(backends.hits.length).toBe(before);
    const ok = await get(port, '/prometheus/-/ready', basic('ops', 's3cret pass'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).url).toBe('/prometheus/-/ready');
  });

  test('forward auth: 401 unless the authentication service says yes, then 200', async () => {
    expect((await get(port, '/jaeger/search')).status).toBe(401);
    const ok = await get(port, '/jaeger/search', { 'x-token': 'letmein' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).url).toBe('/jaeger/search');
  });

  test('routes without auth (Grafana has its own login) and the catch-all stay open', async () => {
    expect((await get(port, '/grafana/login')).status).toBe(200);
    expect((await get(port, '/anything')).status).toBe(200);
  });
});

describe('a Caddy cookie secret with { and } reaches Caddy byte for byte (real caddy adapt)', () => {
  const adapt = (text: string, env: Record<string, string> = {}) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caddy-adapt-'));
    try {
      const file = path.join(tmp, 'Caddyfile');
      fs.writeFileSync(file, supportsUnmodified(caddyVersion(CADDY)) ? text : toCaddy262(text).text);
      const res = spawnSync(CADDY, ['adapt', '--config', file], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: tmp, ...env } });
      if (res.status !== 0) throw new Error(`caddy adapt failed: ${res.stderr}`);
      const secrets: string[] = [];
      JSON.stringify(JSON.parse(res.stdout), (k, v) => {
        if (k === 'secret') secrets.push(v);
        return v;
      });
      return secrets;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  };
  const pool = CaddyUpstream.dynamicA({ name: 'pool.test', port: 80, refresh: Duration.seconds(10) });

  test('a literal secret holding braces and a placeholder-like {x} is one quoted token', () => {
    const value = 'a{b}c {x} }{ 0f';
    const text = buildCaddyfile({ upstream: pool, stickyCookie: { secret: CaddyCookieSecret.literal(value) } }).render();
    expect(adapt(text)).toEqual([value]);
  });

  test('a Secret-fed secret holding braces survives the environment substitution', () => {
    const text = buildCaddyfile({ upstream: pool, stickyCookie: { secret: CaddyCookieSecret.fromSecret('lb', 'key') } }).render();
    expect(adapt(text, { CADDY_LB_COOKIE_SECRET: '{abc}x}y{' })).toEqual(['{abc}x}y{']);
  });

  test('fails at synth when a literal holds "{$", which Caddy would substitute', () => {
    expect(() => CaddyCookieSecret.literal('a{$HOME}b')).toThrow("'stickyCookie.secret' is \"<redacted, 9 characters>\", but Caddy would substitute an environment variable there");
  });
});

describe('nginx reads the escaped map key and the typed header values as intended (real nginx)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-hostile-'));
  let nginx: ChildProcess | undefined;
  let backend: http.Server | undefined;
  let seen: http.IncomingHttpHeaders[] = [];
  let port: number;

  beforeAll(async () => {
    if (!fs.existsSync(NGINX)) throw new Error(`nginx not found at ${NGINX}; install the Debian package nginx-light`);
    backend = http.createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', () => r()));
    const backendPort = (backend.address() as { port: number }).port;
    port = await freePort();
    const file = new NginxConfFile()
      .addMap(new NginxMap({ source: '$http_x_key', variable: '$mapped', defaultValue: 'none', entries: [['~a.c', 'literal-tilde']] }))
      .addServer(new NginxServer({
        listen: [NginxListen.address('127.0.0.1', port)],
        locations: [NginxLocation.prefix('/', NginxAction.proxyPass(`http://127.0.0.1:${backendPort}`, { headers: [['X-Mapped', NginxVar.of('$mapped')], ['X-Literal', 'plain text; "quoted" {braces}']] }))],
      }));
    const main = [NginxDirective.of('pid', path.join(dir, 'nginx.pid')), NginxDirective.of('error_log', path.join(dir, 'error.log'), 'info'), NginxDirective.of('worker_processes', 1), NginxDirective.of('daemon', 'off')];
    if (process.getuid?.() === 0) main.push(NginxDirective.of('user', 'root', 'root'));
    const temp = ['client_body_temp_path', 'proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path'];
    const conf = new NginxMainConfig({
      main,
      events: [NginxDirective.of('worker_connections', 64)],
      http: [...temp.map((d) => NginxDirective.of(d, path.join(dir, d))), NginxDirective.of('access_log', 'off')],
      files: [file],
    }).render();
    const confFile = path.join(dir, 'nginx.conf');
    fs.writeFileSync(confFile, conf);
    const t = spawnSync(NGINX, ['-t', '-c', confFile, '-p', `${dir}/`, '-e', path.join(dir, 'error.log')], { encoding: 'utf8', timeout: 10_000 });
    expect({ status: t.status, output: t.stderr }).toEqual({ status: 0, output: expect.stringContaining('test is successful') });
    nginx = spawn(NGINX, ['-c', confFile, '-p', `${dir}/`, '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if ((await get(port, '/').catch(() => undefined))?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`nginx did not answer within 10s: ${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    seen = [];
  });

  afterAll(async () => {
    await stopProcess(nginx);
    await new Promise((r) => (backend ? backend.close(() => r(undefined)) : r(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the key "~a.c" matches the text ~a.c only, not the regular expression a.c', async () => {
    await get(port, '/', { 'x-key': '~a.c' });
    await get(port, '/', { 'x-key': 'abc' });
    await get(port, '/', { 'x-key': '~abc' });
    expect(seen.map((h) => h['x-mapped'])).toEqual(['literal-tilde', 'none', 'none']);
  });

  test('NginxVar headers carry the variable; literal header text arrives unchanged', async () => {
    seen = [];
    await get(port, '/');
    expect(seen[0]['x-literal']).toBe('plain text; "quoted" {braces}');
    expect(seen[0]['x-mapped']).toBe('none');
  });
});

describe('promtool agrees with the RE2 check of relabel regexes (real promtool)', () => {
  const check = (yamlText: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-re2-'));
    try {
      const file = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(file, yamlText);
      return spawnSync(PROMTOOL, ['check', 'config', file], { encoding: 'utf8', timeout: 20_000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const job = (regex: string) => ({ jobName: 'x', staticConfigs: [{ targets: ['a.example:9100'] }], relabelConfigs: [{ sourceLabels: ['__address__'], regex, action: 'keep' as const }] });

  test('a regex RE2 accepts (POSIX classes, named groups) passes promtool as rendered', () => {
    const regex = '[[:alpha:]]+(?P<port>:[0-9]+)?|b\\.example';
    const text = new PrometheusConfig().addScrapeConfig(job(assertRe2('regex', regex))).toYaml();
    const r = check(text);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });

  test('the lookahead the builder rejects is rejected by promtool too', () => {
    expect(() => new PrometheusConfig().addScrapeConfig(job('(?=x)a'))).toThrow(/allowed: an RE2 regular expression/);
    const raw = stringify({ scrape_configs: [{ job_name: 'x', static_configs: [{ targets: ['a.example:9100'] }], relabel_configs: [{ source_labels: ['__address__'], regex: '(?=x)a', action: 'keep' }] }] });
    const r = check(raw);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/invalid or unsupported Perl syntax/);
  });
});
