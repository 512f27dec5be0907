import { Duration } from 'cdk8s';
import { buildCaddyfile, CaddyfileProps } from '../../lib/ingress/caddy-config';
import { CaddyDirective } from '../../lib/ingress/caddyfile';
import {
  CADDY_HEALTH_PATH,
  CaddyCookieSecret,
  CaddyLbFallback,
  CaddyLogFormat,
  CaddyLogLevel,
  CaddyLogOutput,
  CaddyUpstream,
} from '../../lib/ingress/routing';
import { CaddyHsts, CaddyTls } from '../../lib/ingress/tls';
import { docsRouting, expectGolden, singleUpstreamRouting } from './fixtures';

const DOCS_SECRET = CaddyCookieSecret.fromSecret('docs-lb', 'hmac');

function render(extra: Partial<CaddyfileProps> = {}, base: CaddyfileProps = docsRouting()): string {
  return buildCaddyfile({ ...base, ...extra }).render();
}

/** The site-level directives of the main site. */
function mainSite(extra: Partial<CaddyfileProps> = {}, base: CaddyfileProps = docsRouting()): readonly CaddyDirective[] {
  return buildCaddyfile({ ...base, ...extra }).sites[0].directives;
}

const TLS_CERT = CaddyTls.self({ domains: ['docs.example.com', 'www.docs.example.com'], certificateSecret: 'docs-tls' });
const TLS_ACME = CaddyTls.self({ domains: ['docs.example.com'], acmeEmail: 'ops@example.com', acmeStorageClaim: 'caddy-data' });

describe('golden Caddyfiles', () => {
  test('ingress mode (the default)', () => expectGolden('ingress.Caddyfile', render()));
  test('external mode', () => expectGolden('external.Caddyfile', render({ tls: CaddyTls.external() })));
  test('self mode with a static certificate', () => expectGolden('self-certificate.Caddyfile', render({ tls: TLS_CERT })));
  test('self mode with ACME', () => expectGolden('self-acme.Caddyfile', render({ tls: TLS_ACME })));
  test('off mode', () => expectGolden('off.Caddyfile', render({ tls: CaddyTls.off() })));
  test('platform style: a single static upstream', () => expectGolden('single-upstream.Caddyfile', render({}, singleUpstreamRouting())));
});

describe('routes', () => {
  const site = mainSite();
  const handles = site.filter((d) => d.name === 'handle');

  test('the health handle is the first handle, terminal (respond 200) and never proxies', () => {
    expect(handles[0].args).toEqual([CADDY_HEALTH_PATH]);
    expect(handles[0].block!.map((d) => d.name)).toEqual(['header', 'respond']);
    expect(handles[0].block![1].args.slice(1)).toEqual([200]);
  });

  test('the health handle answers {"success": true} as JSON (the seed chart\'s body), quoted so Caddy reads one token', () => {
    const [header, respond] = handles[0].block!;
    expect(header.args).toEqual(['Content-Type', 'application/json']);
    const text = render({});
    expect(text).toContain('\t\theader Content-Type application/json\n\t\trespond "{\\"success\\": true}" 200\n');
    expect(JSON.parse(String((respond.args[0] as { value: string }).value))).toEqual({ success: true });
  });

  test('each session route is a path matcher plus a handle whose proxy hashes the query value', () => {
    const doc = site.find((d) => d.name === '@doc')!;
    expect(doc.args).toEqual(['path', '/api/doc/*']);
    const live = site.find((d) => d.name === '@live')!;
    expect(live.args).toEqual(['path', '/live/ws*', '/live/view.html*']);
    for (const [matcher, key] of [['@doc', 'doc'], ['@live', 'room']]) {
      const h = handles.find((d) => d.args[0] === matcher)!;
      const rp = h.children('reverse_proxy')[0];
      expect(rp.children('lb_policy')[0].args).toEqual(['query', key]);
      expect(rp.children('dynamic')[0].args).toEqual(['a', 'docs-headless.apps.svc.cluster.local', 9000]);
      expect(rp.children('dynamic')[0].children('refresh')[0].args).toEqual(['10s']);
    }
  });

  test('proxy routes match the prefix and everything below it, and proxy to their own upstream', () => {
    expect(site.find((d) => d.name === '@kibana')!.args).toEqual(['path', '/kibana', '/kibana/*']);
    const h = handles.find((d) => d.args[0] === '@status_page')!;
    expect(h.children('reverse_proxy')[0].args).toEqual(['statuspage.apps.svc.cluster.local:8080']);
  });

  test('the catch-all is the last handle: the sticky cookie with its secret reference and fallback', () => {
    const last = handles[handles.length - 1];
    expect(last.args).toEqual([]);
    const lb = last.children('reverse_proxy')[0].children('lb_policy')[0];
    expect(lb.args[0]).toBe('cookie');
    expect(lb.args[1]).toBe('docs_affinity');
    expect(String(lb.args[2])).toBe('{$CADDY_LB_COOKIE_SECRET}');
    expect(lb.children('fallback')[0].args).toEqual(['least_conn']);
    expect(render()).toContain('lb_policy cookie docs_affinity "{$CADDY_LB_COOKIE_SECRET}" {\n\t\t\t\tfallback least_conn\n\t\t\t}');
  });

  test('a literal secret is quoted, with quotes escaped', () => {
    const text = render({ stickyCookie: { secret: CaddyCookieSecret.literal('s3cr"et with space') } });
    expect(text).toContain('lb_policy cookie caddy_sticky "s3cr\\"et with space" {');
  });

  test('weighted round robin renders its weights', () => {
    expect(render({ stickyCookie: { secret: DOCS_SECRET, fallback: CaddyLbFallback.weightedRoundRobin([3, 1, 0]) } })).toContain('fallback weighted_round_robin 3 1 0');
  });

  test('the fallback choices render their Caddy policy names', () => {
    expect(render({ stickyCookie: { secret: DOCS_SECRET, fallback: CaddyLbFallback.roundRobin() } })).toContain('fallback round_robin');
    expect(render({ stickyCookie: { secret: DOCS_SECRET, fallback: CaddyLbFallback.random() } })).toContain('fallback random');
  });

  test('the default catch-all uses cookie caddy_sticky and round robin, with the key from the Secret', () => {
    const text = render({ stickyCookie: { secret: DOCS_SECRET } });
    expect(text).toContain('lb_policy cookie caddy_sticky "{$CADDY_LB_COOKIE_SECRET}" {');
    expect(text).toContain('fallback round_robin');
  });

  test('fails when a pool has no cookie secret (no key is ever defaulted), naming the Secret to create', () => {
    for (const stickyCookie of [undefined, { name: 'x' }]) {
      expect(() => render({ stickyCookie })).toThrow(
        `'stickyCookie.secret' is undefined, but the sticky cookie is an HMAC whose key must not be guessable, and no key is ever defaulted; create the Secret with kubectl create secret generic <secret-name> --from-literal=cookie-secret="$(openssl rand -hex 32)"; allowed: CaddyCookieSecret.fromSecret('<secret-name>', 'cookie-secret') naming an operator-created Secret`,
      );
    }
  });

  test('a single upstream proxies without any lb_policy, dynamic discovery or session route', () => {
    const text = render({}, singleUpstreamRouting());
    expect(text).toContain('\thandle {\n\t\treverse_proxy gateway.apps.svc.cluster.local:80\n\t}');
    expect(text).not.toMatch(/lb_policy|dynamic/);
  });

  test('a pool can use its own resolvers and refresh interval', () => {
    const text = render({ upstream: CaddyUpstream.dynamicA({ name: 'pool.test', port: 81, refresh: Duration.millis(1500), resolvers: ['udp/127.0.0.1:5353'] }) });
    expect(text).toContain('dynamic a pool.test 81 {\n\t\t\t\trefresh 1500ms\n\t\t\t\tresolvers udp/127.0.0.1:5353\n\t\t\t}');
  });

  test('every line holds at most one opening brace and nothing after it', () => {
    for (const mode of [CaddyTls.ingress(), CaddyTls.external(), TLS_CERT, TLS_ACME, CaddyTls.off()]) {
      for (const line of render({ tls: mode }).split('\n')) {
        expect(line).not.toMatch(/(^|\s)\{\s+\S/);
        expect(line).not.toMatch(/\S\s+\}\s*$/);
      }
    }
  });
});

describe('pool failover (retries and passive health)', () => {
  /** The reverse_proxy of every handle, keyed by the handle's matcher ('' for the catch-all). */
  function proxies(extra: Partial<CaddyfileProps> = {}): Map<string, CaddyDirective> {
    const handles = mainSite(extra).filter((d) => d.name === 'handle' && d.args[0] !== CADDY_HEALTH_PATH);
    return new Map(handles.map((h) => [String(h.args[0] ?? ''), h.children('reverse_proxy')[0]]));
  }
  const args = (rp: CaddyDirective, name: string) => rp.children(name).map((d) => d.args);

  test('by default every reverse_proxy over the pool (session routes and the catch-all) retries for 5s and skips a failed upstream for 10s', () => {
    const pool = [...proxies()].filter(([m]) => m === '@doc' || m === '@live' || m === '');
    expect(pool).toHaveLength(3);
    for (const [, rp] of pool) {
      expect(args(rp, 'lb_try_duration')).toEqual([['5s']]);
      expect(args(rp, 'fail_duration')).toEqual([['10s']]);
      // Caddy's own defaults (250ms between tries, 1 failure marks an upstream down) are not repeated.
      expect(rp.children('lb_try_interval')).toEqual([]);
      expect(rp.children('max_fails')).toEqual([]);
    }
    expect(render()).toContain(
      '\t\t\tlb_policy query doc\n' +
        '\t\t\t# Failover: an upstream that fails (a terminating pod still in DNS) is skipped for 10s and the request tries another for up to 5s.\n' +
        '\t\t\tlb_try_duration 5s\n\t\t\tfail_duration 10s\n\t\t}',
    );
  });

  test('routes to a fixed upstream (extra proxy routes, a single-upstream catch-all) have no failover: there is nothing to fail over to', () => {
    const fixed = [...proxies()].filter(([m]) => m === '@kibana' || m === '@status_page');
    expect(fixed).toHaveLength(2);
    for (const [, rp] of fixed) expect(rp.block).toBeUndefined();
    expect(render({}, singleUpstreamRouting())).not.toMatch(/lb_try|fail_duration|max_fails/);
  });

  test('the windows, the pause between tries and the failure count are configurable', () => {
    const upstream = CaddyUpstream.dynamicA({
      name: 'pool.test',
      port: 80,
      failover: { tryDuration: Duration.seconds(2), tryInterval: Duration.millis(100), failDuration: Duration.seconds(30), maxFails: 2 },
    });
    for (const [, rp] of proxies({ upstream })) {
      if (rp.block === undefined) continue;
      expect(rp.block.slice(2).map((d) => [d.name, ...d.args])).toEqual([
        ['lb_try_duration', '2s'],
        ['lb_try_interval', '100ms'],
        ['fail_duration', '30s'],
        ['max_fails', 2],
      ]);
    }
  });

  test('retries and passive health can be turned off (0), together or passive health alone', () => {
    const off = CaddyUpstream.dynamicA({ name: 'pool.test', port: 80, failover: { tryDuration: Duration.seconds(0), failDuration: Duration.seconds(0) } });
    expect(render({ upstream: off })).not.toMatch(/lb_try|fail_duration|max_fails|Failover/);
    const passiveOnly = CaddyUpstream.dynamicA({ name: 'pool.test', port: 80, failover: { tryDuration: Duration.seconds(0) } });
    const text = render({ upstream: passiveOnly });
    expect(text).not.toContain('lb_try_duration');
    expect(text).toContain('# Failover: an upstream that fails (a terminating pod still in DNS) is skipped for 10s.\n\t\t\tfail_duration 10s');
  });
});

describe('access log', () => {
  test('is on by default: stdout, json, INFO, and skips the health path', () => {
    const site = mainSite();
    const log = site.find((d) => d.name === 'log')!;
    expect(log.block!.map((d) => [d.name, ...d.args])).toEqual([['output', 'stdout'], ['format', 'json'], ['level', 'INFO']]);
    expect(site.find((d) => d.name === 'log_skip')!.args).toEqual([CADDY_HEALTH_PATH]);
  });

  test('renders the chosen output, format and level', () => {
    const log = mainSite({ accessLog: { output: CaddyLogOutput.STDERR, format: CaddyLogFormat.CONSOLE, level: CaddyLogLevel.ERROR } }).find((d) => d.name === 'log')!;
    expect(log.block!.map((d) => d.args[0])).toEqual(['stderr', 'console', 'ERROR']);
  });

  test('disabled: neither log nor log_skip', () => {
    const text = render({ accessLog: { enabled: false } });
    expect(text).not.toMatch(/^\s*log\b|log_skip/m);
  });
});

describe('TLS modes', () => {
  test('ingress: plain HTTP on :8080, trusts forwarded headers from private ranges, no HSTS unless the Ingress terminates TLS', () => {
    const text = render();
    expect(text).toContain('http://:8080 {');
    expect(text).toContain('trusted_proxies static private_ranges');
    expect(text).not.toContain('Strict-Transport-Security');
    expect(text).not.toContain('https_port');
    expect(render({ ingressTerminatesTls: true })).toContain('header Strict-Transport-Security max-age=31536000');
  });

  test('ingress: trustedProxies narrows the peers whose X-Forwarded-* Caddy believes (private_ranges would include every pod)', () => {
    const text = render({ tls: CaddyTls.ingress({ trustedProxies: ['10.42.7.0/24', 'fd00:42::/64'] }) });
    expect(text).toContain('trusted_proxies static 10.42.7.0/24 fd00:42::/64');
    expect(text).not.toContain('private_ranges');
    expect(CaddyTls.ingress().trustedProxies).toEqual(['private_ranges']);
  });

  test('external: trusts the configured proxies and sends HSTS', () => {
    const text = render({ tls: CaddyTls.external({ trustedProxies: ['10.0.0.0/8', '192.168.0.0/16'], hsts: CaddyHsts.enabled({ maxAge: Duration.days(30), includeSubDomains: true }) }) });
    expect(text).toContain('trusted_proxies static 10.0.0.0/8 192.168.0.0/16');
    expect(text).toContain('header Strict-Transport-Security "max-age=2592000; includeSubDomains"');
    expect(render({ tls: CaddyTls.external({ hsts: CaddyHsts.disabled() }) })).not.toContain('Strict-Transport-Security');
  });

  test('self with a certificate: the domains are the site, the mounted certificate is used, no ACME email', () => {
    const withBoth = CaddyTls.self({ domains: ['docs.example.com'], certificateSecret: 'docs-tls', acmeEmail: 'ops@example.com' });
    const text = render({ tls: withBoth });
    expect(text).toContain('docs.example.com {\n\ttls /etc/caddy/tls/tls.crt /etc/caddy/tls/tls.key');
    expect(text).not.toContain('ops@example.com');
    expect(text).toContain('https_port 8443');
    expect(text).toContain('header Strict-Transport-Security max-age=31536000');
  });

  test('self with ACME: the email renders in the tls directive', () => {
    expect(render({ tls: TLS_ACME })).toContain('docs.example.com {\n\ttls ops@example.com');
  });

  test('self: a plain-HTTP site answers health and redirects everything else to HTTPS', () => {
    const file = buildCaddyfile({ ...docsRouting(), tls: TLS_CERT });
    const http = file.sites[1];
    expect(http.addresses).toEqual(['http://:8080']);
    expect(http.directives.map((d) => [d.name, ...d.args])).toEqual([['handle', CADDY_HEALTH_PATH], ['handle']]);
    expect(http.directives[1].children('redir')[0].args).toEqual(['https://{host}{uri}', 308]);
  });

  test('off: plain HTTP, no trusted proxies, no HSTS, no TLS', () => {
    const text = render({ tls: CaddyTls.off() });
    expect(text).not.toMatch(/trusted_proxies|Strict-Transport-Security|\btls\b|https_port/);
  });

  test('ports are configurable', () => {
    const text = render({ tls: TLS_CERT, httpPort: 18080, httpsPort: 18443 });
    expect(text).toContain('http_port 18080');
    expect(text).toContain('https_port 18443');
    expect(text).toContain('http://:18080 {');
  });

  test('the admin API is off unless asked for, then on localhost only', () => {
    expect(render()).toContain('\tadmin off\n');
    expect(render({ adminApi: true })).toContain('\tadmin localhost:2019\n');
  });

  test('the external scheme follows the mode', () => {
    expect(CaddyTls.ingress().externalScheme(false)).toBe('http');
    expect(CaddyTls.ingress().externalScheme(true)).toBe('https');
    expect(CaddyTls.external().externalScheme(false)).toBe('https');
    expect(TLS_CERT.externalScheme(false)).toBe('https');
    expect(CaddyTls.off().externalScheme(true)).toBe('http');
  });
});

describe('fails when', () => {
  const single = singleUpstreamRouting();

  test('session routes are given with a single upstream', () => {
    expect(() => render({ sessionRoutes: [{ name: 'a', paths: ['/a*'], queryKey: 'id' }] }, single)).toThrow(/'sessionRoutes' is \["a"\], but session affinity chooses among the upstreams of a pool/);
  });

  test('a sticky cookie is given with a single upstream', () => {
    expect(() => render({ stickyCookie: { name: 'x' } }, single)).toThrow(/'stickyCookie' is "x"/);
  });

  test('two routes share a name, or a route is named health', () => {
    expect(() => render({ proxyRoutes: [{ name: 'doc', pathPrefix: '/x', upstream: CaddyUpstream.single('x:1') }] })).toThrow(/'proxyRoutes\[0\].name' is "doc"; allowed: a name not used by another route/);
    expect(() => render({ sessionRoutes: [{ name: 'health', paths: ['/h*'], queryKey: 'id' }] })).toThrow(/'sessionRoutes\[0\].name' is "health"/);
    expect(() => render({ sessionRoutes: [{ name: 'bad name', paths: ['/h*'], queryKey: 'id' }] })).toThrow(/matcher name/);
  });

  test('a route would match the health path', () => {
    expect(() => render({ sessionRoutes: [{ name: 'c', paths: ['/caddy/*'], queryKey: 'id' }] })).toThrow(/'sessionRoutes\[0\].paths\[0\]' is "\/caddy\/\*", but it overlaps the health path/);
    expect(() => render({ proxyRoutes: [{ pathPrefix: '/caddy', upstream: CaddyUpstream.single('x:1') }] })).toThrow(/overlaps the health path/);
  });

  test('two routes overlap (Caddy would not respect the written order)', () => {
    expect(() => render({ proxyRoutes: [{ pathPrefix: '/api', upstream: CaddyUpstream.single('x:1') }] })).toThrow(/'proxyRoutes\[0\].pathPrefix' is "\/api\/\*", but it overlaps sessionRoutes\[0\].paths\[0\] \(\/api\/doc\/\*\)/);
    expect(() => render({ proxyRoutes: [{ pathPrefix: '/a', upstream: CaddyUpstream.single('x:1') }, { pathPrefix: '/a/b', upstream: CaddyUpstream.single('y:1') }] }, single)).toThrow(/'proxyRoutes\[1\].pathPrefix' is "\/a\/b"/);
    expect(() => render({ sessionRoutes: [{ name: 's', paths: ['/x*', '/x/y'], queryKey: 'id' }] })).toThrow(/'sessionRoutes\[0\].paths\[1\]' is "\/x\/y"/);
  });

  test('a path pattern, query key, prefix or upstream is malformed', () => {
    expect(() => render({ sessionRoutes: [{ name: 's', paths: ['/a*/b'], queryKey: 'id' }] })).toThrow(/'sessionRoutes\[0\].paths\[0\]' is "\/a\*\/b"/);
    expect(() => render({ sessionRoutes: [{ name: 's', paths: ['a'], queryKey: 'id' }] })).toThrow(/starting with '\/'/);
    expect(() => render({ sessionRoutes: [{ name: 's', paths: [], queryKey: 'id' }] })).toThrow(/at least one path pattern/);
    expect(() => render({ sessionRoutes: [{ name: 's', paths: ['/s*'], queryKey: 'i d' }] })).toThrow(/'sessionRoutes\[0\].queryKey' is "i d"/);
    expect(() => render({ proxyRoutes: [{ pathPrefix: '/grafana/', upstream: CaddyUpstream.single('g:1') }] })).toThrow(/'proxyRoutes\[0\].pathPrefix' is "\/grafana\/"/);
    expect(() => render({ proxyRoutes: [{ pathPrefix: '/', upstream: CaddyUpstream.single('g:1') }] })).toThrow(/'proxyRoutes\[0\].pathPrefix' is "\/"/);
    expect(() => render({ proxyRoutes: [{ pathPrefix: '/g', upstream: 'http://g' as never }] })).toThrow(/'proxyRoutes\[0\].upstream' is "http:\/\/g"; allowed: CaddyUpstream.service\(endpoint\) or CaddyUpstream.single\(host:port\)/);
  });

  test('the cookie name is not a token', () => {
    expect(() => render({ stickyCookie: { name: 'my cookie', secret: DOCS_SECRET } })).toThrow(/'stickyCookie.name' is "my cookie"/);
  });

  test('a literal secret contains a newline (and the message does not show the secret)', () => {
    let message = '';
    try {
      CaddyCookieSecret.literal('top\nsecret');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/'stickyCookie.secret' is "<redacted, 10 characters>", but a newline would end the lb_policy directive/);
    expect(message).not.toContain('top');
  });

  test('a literal secret is empty, holds {$ or a backslash before a quote', () => {
    expect(() => CaddyCookieSecret.literal('')).toThrow(/non-empty/);
    expect(() => CaddyCookieSecret.literal('a{$B}')).toThrow(/environment variable/);
    expect(() => CaddyCookieSecret.literal('a\\"b')).toThrow(/backslash/);
    expect(() => CaddyCookieSecret.literal('a\u0001')).toThrow(/control characters/);
  });

  test('a Secret reference is malformed', () => {
    expect(() => CaddyCookieSecret.fromSecret('Bad_Name', 'k')).toThrow(/'stickyCookie.secret.secretName' is "Bad_Name"/);
    expect(() => CaddyCookieSecret.fromSecret('ok', 'bad key')).toThrow(/'stickyCookie.secret.key' is "bad key"/);
  });

  test('weights are missing, negative, fractional or all zero', () => {
    expect(() => CaddyLbFallback.weightedRoundRobin([])).toThrow(/at least one weight/);
    expect(() => CaddyLbFallback.weightedRoundRobin([1, -1])).toThrow(/'stickyCookie.fallback.weights\[1\]' is -1/);
    expect(() => CaddyLbFallback.weightedRoundRobin([1.5])).toThrow(/'stickyCookie.fallback.weights\[0\]' is 1.5/);
    expect(() => CaddyLbFallback.weightedRoundRobin([0, 0])).toThrow(/at least one weight above 0/);
  });

  test('an access log setting is not one Caddy knows', () => {
    expect(() => render({ accessLog: { output: 'file' as CaddyLogOutput } })).toThrow(/'accessLog.output' is "file"; allowed: stdout, stderr, discard/);
    expect(() => render({ accessLog: { level: 'info' as CaddyLogLevel } })).toThrow(/'accessLog.level' is "info"/);
    expect(() => render({ accessLog: { format: 'xml' as CaddyLogFormat } })).toThrow(/'accessLog.format' is "xml"/);
  });

  test('a port is privileged or the two ports collide', () => {
    expect(() => render({ httpPort: 80 })).toThrow(/'httpPort' is 80, but ports below 1024 need NET_BIND_SERVICE/);
    expect(() => render({ httpsPort: 8080 })).toThrow(/'httpsPort' is 8080; allowed: a port other than httpPort/);
  });

  test('the upstream is malformed', () => {
    expect(() => CaddyUpstream.dynamicA({ name: 'Bad Name', port: 80 })).toThrow(/'upstream.name' is "Bad Name"/);
    expect(() => CaddyUpstream.dynamicA({ name: 'a.b', port: 0 })).toThrow(/'upstream.port' is 0/);
    expect(() => CaddyUpstream.dynamicA({ name: 'a.b', port: 80, refresh: Duration.millis(100) })).toThrow(/'upstream.refresh' is "100ms"/);
    expect(() => CaddyUpstream.dynamicA({ name: 'a.b', port: 80, resolvers: ['a b'] })).toThrow(/'upstream.resolvers\[0\]'/);
    expect(() => CaddyUpstream.single('gateway')).toThrow(/'upstream' is "gateway"; allowed: host:port/);
    expect(() => CaddyUpstream.single('gateway:99999')).toThrow(/'upstream' is "gateway:99999", but port 99999 is out of range/);
    expect(() => render({ upstream: 'x:1' as unknown as CaddyUpstream })).toThrow(/'upstream' is "x:1"/);
  });

  test('pool failover retries without passive health, or has settings that cannot take effect', () => {
    const pool = (failover: object) => () => CaddyUpstream.dynamicA({ name: 'a.b', port: 80, failover });
    expect(pool({ failDuration: Duration.seconds(0) })).toThrow(
      /'upstream.failover.failDuration' is "0ms", but without passive health the cookie and session-hash policies pick the failed upstream again on every retry.*allowed: more than 0 while tryDuration is on \(5000ms\), or tryDuration 0 too/,
    );
    expect(pool({ tryDuration: Duration.millis(1.5) })).toThrow(/'upstream.failover.tryDuration' is "1.5ms"; allowed: a whole number of milliseconds >= 0/);
    expect(pool({ tryInterval: Duration.seconds(5) })).toThrow(/'upstream.failover.tryInterval' is "5000ms".*allowed: less than tryDuration \(5000ms\)/);
    expect(pool({ tryDuration: Duration.seconds(0), tryInterval: Duration.millis(100) })).toThrow(/'upstream.failover.tryInterval' is "100ms", but there are no retries to pause between/);
    expect(pool({ tryInterval: Duration.seconds(0) })).toThrow(/'upstream.failover.tryInterval' is "0ms"; allowed: a whole number of milliseconds >= 1/);
    expect(pool({ maxFails: 0 })).toThrow(/'upstream.failover.maxFails' is 0, but it is below 1; allowed: a whole number >= 1/);
    expect(pool({ tryDuration: Duration.seconds(0), failDuration: Duration.seconds(0), maxFails: 3 })).toThrow(/'upstream.failover.maxFails' is 3, but failures are only counted with passive health on/);
  });

  test('self mode lacks domains or a certificate source, or mixes ACME-only settings with a certificate', () => {
    expect(() => CaddyTls.self({ domains: [], certificateSecret: 'x' })).toThrow(/'tls.domains' is \[\]/);
    expect(() => CaddyTls.self({ domains: ['a.example.com'] })).toThrow(/'tls.acmeEmail' is undefined, but self mode needs a certificate source/);
    expect(() => CaddyTls.self({ domains: ['*.example.com'], acmeEmail: 'a@example.com' })).toThrow(/'tls.domains\[0\]' is "\*.example.com", but ACME issues wildcard certificates only through the DNS challenge/);
    expect(() => CaddyTls.self({ domains: ['a.example.com'], acmeEmail: 'not-an-email' })).toThrow(/'tls.acmeEmail' is "not-an-email"/);
    expect(() => CaddyTls.self({ domains: ['a.example.com'], certificateSecret: 'c', acmeStorageClaim: 'p' })).toThrow(/'tls.acmeStorageClaim' is "p"/);
    expect(() => CaddyTls.self({ domains: ['a.example.com', 'a.example.com'], certificateSecret: 'c' })).toThrow(/'tls.domains\[1\]'.*each domain once/);
    expect(() => CaddyTls.self({ domains: ['Not A Domain'], certificateSecret: 'c' })).toThrow(/'tls.domains\[0\]'/);
    expect(() => CaddyTls.self({ domains: ['a.example.com'], certificateSecret: 'Bad' })).toThrow(/'tls.certificateSecret' is "Bad"/);
  });

  test('external or ingress trusted proxies are empty or not ranges', () => {
    for (const mode of [CaddyTls.external, CaddyTls.ingress]) {
      expect(() => mode({ trustedProxies: [] })).toThrow(/'tls.trustedProxies' is \[\]/);
      expect(() => mode({ trustedProxies: ['everyone'] })).toThrow(/'tls.trustedProxies\[0\]' is "everyone"; allowed: 'private_ranges', an IP address or an IP range in CIDR form/);
    }
  });

  test('HSTS preload lacks includeSubDomains or a year', () => {
    expect(() => CaddyHsts.enabled({ preload: true })).toThrow(/'tls.hsts.preload' is true/);
    expect(() => CaddyHsts.enabled({ preload: true, includeSubDomains: true, maxAge: Duration.days(30) })).toThrow(/'tls.hsts.maxAge' is "2592000s"/);
  });
});
