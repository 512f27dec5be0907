import { check, ConfigError } from '../core/errors';
import { assertPort } from '../core/validate';
import { IWorkload } from '../core/workload';
import { CaddyArg, CaddyDirective, Caddyfile, CaddyQuoted, CaddySite } from './caddyfile';
import {
  CADDY_HEALTH_BODY,
  CADDY_HEALTH_CONTENT_TYPE,
  CADDY_HEALTH_PATH,
  CaddyAccessLogOptions,
  CaddyCookieSecret,
  CaddyLbFallback,
  CaddyLogFormat,
  CaddyLogLevel,
  CaddyLogOutput,
  CaddyProxyRoute,
  CaddyRouteAuth,
  CaddySessionRoute,
  CaddyStickyCookieOptions,
  CaddyUpstream,
} from './routing';
import { CaddyTls, CaddyTlsMode } from './tls';

/** Everything that shapes the Caddyfile (the routing half of CaddyIngressProps). */
export interface CaddyfileProps {
  /** The pool (or single upstream) the catch-all and the session routes proxy to. */
  readonly upstream: CaddyUpstream;
  /**
   * Routes pinned by a session value in the query string. Only with a pool upstream.
   * @default []
   */
  readonly sessionRoutes?: readonly CaddySessionRoute[];
  /**
   * The sticky-cookie catch-all. Only with a pool upstream (a single upstream is proxied without affinity).
   * @default - with a pool upstream: required for its `secret`; cookie `caddy_sticky`, round-robin fallback
   */
  readonly stickyCookie?: CaddyStickyCookieOptions;
  /**
   * Path prefixes proxied to their own upstreams.
   * @default []
   */
  readonly proxyRoutes?: readonly CaddyProxyRoute[];
  /**
   * TLS mode.
   * @default CaddyTls.ingress()
   */
  readonly tls?: CaddyTls;
  /**
   * Access log.
   * @default - enabled, stdout, json, INFO
   */
  readonly accessLog?: CaddyAccessLogOptions;
  /**
   * Port Caddy listens on for plain HTTP inside the container. Unprivileged (>= 1024), so Caddy runs as non-root
   * without NET_BIND_SERVICE; the Service maps port 80 to it.
   * @default 8080
   */
  readonly httpPort?: number;
  /**
   * Port Caddy listens on for HTTPS inside the container (self mode). The Service maps port 443 to it.
   * @default 8443
   */
  readonly httpsPort?: number;
  /**
   * Enable Caddy's admin API on localhost:2019 (needed for `caddy reload` and Caddy's own metrics endpoint).
   * Off by default: a config change rolls the pods through the checksum annotation, and nothing in the pod should
   * reconfigure Caddy at runtime.
   * @default false
   */
  readonly adminApi?: boolean;
  /**
   * Whether the cluster Ingress in front of Caddy terminates TLS (decides HSTS and the external scheme in ingress mode).
   * @default false
   */
  readonly ingressTerminatesTls?: boolean;
}

/** Port of Caddy's admin API (on localhost) when `adminApi` is on. */
export const CADDY_ADMIN_PORT = 2019;

/** Paths of the static certificate inside the container (the Secret is mounted there). */
export const CADDY_TLS_MOUNT = '/etc/caddy/tls';

const MATCHER_NAME = /^[A-Za-z0-9_-]+$/;
const PATH_PATTERN = /^\/[A-Za-z0-9._~%!$&'()+,;=:@\/-]*\*?$/;
const PREFIX = /^(\/[A-Za-z0-9._~%!$&'()+,;=:@-]+)+$/;
const QUERY_KEY = /^[A-Za-z0-9._~-]+$/;
const COOKIE_NAME = /^[A-Za-z0-9_.-]+$/;
const RESERVED_MATCHERS = new Set(['health']);

/** A path pattern reduced to what overlap checks need: a literal, or a literal prefix. */
interface Pattern {
  readonly prop: string;
  readonly text: string;
  readonly literal: string;
  readonly prefix: boolean;
}

function toPattern(prop: string, text: string): Pattern {
  const prefix = text.endsWith('*');
  // Caddy's path matcher is case-insensitive: /API and /api are the same route, so overlaps compare lower case.
  const literal = (prefix ? text.slice(0, -1) : text).toLowerCase();
  return { prop, text, literal, prefix };
}

/** True when some request path matches both patterns. */
function overlaps(a: Pattern, b: Pattern): boolean {
  if (a.prefix && b.prefix) return a.literal.startsWith(b.literal) || b.literal.startsWith(a.literal);
  if (a.prefix) return b.literal.startsWith(a.literal);
  if (b.prefix) return a.literal.startsWith(b.literal);
  return a.literal === b.literal;
}

/**
 * The routing props validated and defaulted (what the Caddyfile and the construct are built from).
 * @internal
 */
export interface ResolvedCaddyfileProps {
  /** The upstream the catch-all and the session routes proxy to (bound: its address resolved). */
  readonly upstream: CaddyUpstream;
  /** Session routes, in order. */
  readonly sessionRoutes: readonly CaddySessionRoute[];
  /** Proxy routes with their matcher names, in order. */
  readonly proxyRoutes: ReadonlyArray<Required<Omit<CaddyProxyRoute, 'auth'>> & { readonly auth?: CaddyRouteAuth }>;
  /**
   * The sticky-cookie catch-all (pool upstreams only).
   * @default - none (a single upstream)
   */
  readonly cookie?: { readonly name: string; readonly secret: CaddyCookieSecret; readonly fallback: CaddyLbFallback };
  /** The TLS mode. */
  readonly tls: CaddyTls;
  /**
   * The access log.
   * @default - none (disabled)
   */
  readonly log?: { readonly output: CaddyLogOutput; readonly format: CaddyLogFormat; readonly level: CaddyLogLevel };
  /** Port of the plain-HTTP listener. */
  readonly httpPort: number;
  /** Port of the HTTPS listener (self mode). */
  readonly httpsPort: number;
  /** Whether the admin API listens on localhost:2019. */
  readonly adminApi: boolean;
  /**
   * The Strict-Transport-Security header value.
   * @default - none (no HSTS)
   */
  readonly hsts?: string;
}

/**
 * Validates the routing props and fills in defaults. Throws ConfigError naming the prop. With `caddy` (the workload
 * that runs the Caddyfile), upstreams taken from Service endpoints record Caddy's connections in the wiring graph.
 * @internal
 */
export function resolveCaddyfileProps(props: CaddyfileProps, caddy?: IWorkload): ResolvedCaddyfileProps {
  const httpPort = props.httpPort ?? 8080;
  const httpsPort = props.httpsPort ?? 8443;
  for (const [prop, p] of [['httpPort', httpPort], ['httpsPort', httpsPort]] as const) {
    assertPort(prop, p, { min: 1024, reason: Number.isSafeInteger(p) && p >= 1 && p < 1024 ? 'ports below 1024 need NET_BIND_SERVICE, which a non-root process under no_new_privs cannot use; the Service maps 80/443 to these ports' : undefined });
  }
  check(httpPort !== httpsPort, 'httpsPort', httpsPort, `a port other than httpPort (${httpPort})`);
  if (props.adminApi) {
    for (const [prop, p] of [['httpPort', httpPort], ['httpsPort', httpsPort]] as const) {
      check(p !== CADDY_ADMIN_PORT, prop, p, `a port other than ${CADDY_ADMIN_PORT} while adminApi is on`, `Caddy's admin API listens on localhost:${CADDY_ADMIN_PORT}, and the site could not bind it`);
    }
  }
  const tls = props.tls ?? CaddyTls.ingress();
  check(props.upstream instanceof CaddyUpstream, 'upstream', props.upstream, 'CaddyUpstream.pool(endpoint), .service(endpoint), .dynamicA({...}) or .single(...)');
  const upstream = props.upstream.bind(caddy, 'the site');

  const sessionRoutes = props.sessionRoutes ?? [];
  if (sessionRoutes.length && !upstream.isPool) {
    throw new ConfigError('sessionRoutes', sessionRoutes.map((r) => r.name), 'no session routes with a single upstream', 'session affinity chooses among the upstreams of a pool (CaddyUpstream.dynamicA)');
  }
  if (props.stickyCookie !== undefined && !upstream.isPool) {
    throw new ConfigError('stickyCookie', props.stickyCookie.name ?? 'caddy_sticky', 'no sticky cookie with a single upstream', 'a cookie pins a browser to one upstream of a pool (CaddyUpstream.dynamicA)');
  }

  const names = new Set<string>();
  const claimName = (prop: string, name: string) => {
    check(MATCHER_NAME.test(name), prop, name, "a matcher name: letters, digits, '_' and '-'");
    check(!RESERVED_MATCHERS.has(name), prop, name, `a name other than ${[...RESERVED_MATCHERS].join(', ')}`);
    check(!names.has(name), prop, name, 'a name not used by another route');
    names.add(name);
  };
  const patterns: Pattern[] = [toPattern('health', CADDY_HEALTH_PATH)];
  const claimPattern = (p: Pattern) => {
    for (const other of patterns) {
      if (overlaps(p, other)) {
        const what = other.prop === 'health' ? `the health path ${CADDY_HEALTH_PATH}` : `${other.prop} (${other.text})`;
        const caseOnly = p.text !== other.text && p.text.toLowerCase() === other.text.toLowerCase();
        throw new ConfigError(
          p.prop,
          p.text,
          'a path no other route matches (Caddy matches paths case-insensitively)',
          caseOnly
            ? `it differs from ${what} only in case, and Caddy matches paths case-insensitively, so one of the two routes is unreachable`
            : `it overlaps ${what}, and Caddy would pick one route by matcher specificity rather than by the order written`,
        );
      }
    }
    patterns.push(p);
  };

  sessionRoutes.forEach((r, i) => {
    const prop = `sessionRoutes[${i}]`;
    claimName(`${prop}.name`, r.name);
    check(r.paths.length > 0, `${prop}.paths`, r.paths, 'at least one path pattern');
    check(QUERY_KEY.test(r.queryKey), `${prop}.queryKey`, r.queryKey, "a query parameter name: letters, digits, '.', '_', '~' and '-'");
    const own: Pattern[] = [];
    r.paths.forEach((p, j) => {
      check(PATH_PATTERN.test(p), `${prop}.paths[${j}]`, p, "a path pattern starting with '/', optionally ending in one '*' (e.g. /streamgl/* or /graph/socket.io*)");
      const pat = toPattern(`${prop}.paths[${j}]`, p);
      for (const o of own) check(!overlaps(pat, o), pat.prop, p, 'a pattern not already covered by this route', `it overlaps ${o.text}`);
      own.push(pat);
    });
    own.forEach(claimPattern);
  });

  const proxyRoutes = (props.proxyRoutes ?? []).map((r, i) => {
    const prop = `proxyRoutes[${i}]`;
    check(PREFIX.test(r.pathPrefix), `${prop}.pathPrefix`, r.pathPrefix, "a path prefix such as /grafana: starts with '/', no trailing '/', no '*'");
    check(r.upstream instanceof CaddyUpstream, `${prop}.upstream`, r.upstream, 'CaddyUpstream.service(endpoint) or CaddyUpstream.single(host:port)');
    const name = r.name ?? r.pathPrefix.slice(1).replace(/[^A-Za-z0-9_-]+/g, '_');
    claimName(r.name !== undefined ? `${prop}.name` : `${prop}.pathPrefix`, name);
    claimPattern(toPattern(`${prop}.pathPrefix`, r.pathPrefix));
    claimPattern(toPattern(`${prop}.pathPrefix`, `${r.pathPrefix}/*`));
    if (r.auth !== undefined) check(r.auth instanceof CaddyRouteAuth, `${prop}.auth`, r.auth, 'CaddyRouteAuth.basic({...}), .forward({...}) or .none({ reason })');
    return { name, pathPrefix: r.pathPrefix, upstream: r.upstream.bind(caddy, `the ${r.pathPrefix} route`), auth: r.auth };
  });

  let cookie: ResolvedCaddyfileProps['cookie'];
  if (upstream.isPool) {
    const c = props.stickyCookie ?? {};
    const name = c.name ?? 'caddy_sticky';
    check(COOKIE_NAME.test(name), 'stickyCookie.name', name, "a cookie name: letters, digits, '_', '.' and '-'");
    if (c.secret === undefined) {
      throw new ConfigError(
        'stickyCookie.secret',
        undefined,
        "CaddyCookieSecret.fromSecret('<secret-name>', 'cookie-secret') naming an operator-created Secret",
        'the sticky cookie is an HMAC whose key must not be guessable, and no key is ever defaulted; create the Secret with ' +
          'kubectl create secret generic <secret-name> --from-literal=cookie-secret="$(openssl rand -hex 32)"',
      );
    }
    cookie = { name, secret: c.secret, fallback: c.fallback ?? CaddyLbFallback.roundRobin() };
  }

  const log = props.accessLog ?? {};
  const enumCheck = <T extends string>(prop: string, v: T | undefined, e: Record<string, T>) => {
    if (v !== undefined) check(Object.values(e).includes(v), prop, v, Object.values(e).join(', '));
  };
  enumCheck('accessLog.output', log.output, CaddyLogOutput);
  enumCheck('accessLog.format', log.format, CaddyLogFormat);
  enumCheck('accessLog.level', log.level, CaddyLogLevel);

  return {
    upstream,
    sessionRoutes,
    proxyRoutes,
    cookie,
    tls,
    log:
      log.enabled === false
        ? undefined
        : { output: log.output ?? CaddyLogOutput.STDOUT, format: log.format ?? CaddyLogFormat.JSON, level: log.level ?? CaddyLogLevel.INFO },
    httpPort,
    httpsPort,
    adminApi: props.adminApi ?? false,
    hsts: tls.hstsHeader(props.ingressTerminatesTls ?? false),
  };
}

function healthHandle(): CaddyDirective {
  return CaddyDirective.block(
    'handle',
    [CADDY_HEALTH_PATH],
    [
      CaddyDirective.of('header', ['Content-Type', CADDY_HEALTH_CONTENT_TYPE]),
      CaddyDirective.of('respond', [CaddyQuoted.of(CADDY_HEALTH_BODY), 200]),
    ],
    'Terminal: answers probes (and load balancer health checks) with a JSON body, without touching an upstream.',
  );
}

function cookiePolicy(c: NonNullable<ResolvedCaddyfileProps['cookie']>): CaddyDirective {
  const args: CaddyArg[] = ['cookie', c.name, c.secret.caddyArg];
  return CaddyDirective.block('lb_policy', args, [CaddyDirective.of('fallback', [c.fallback.policy, ...c.fallback.args])]);
}

/**
 * Builds the Caddyfile: global options, the main site (TLS, HSTS, access log, the terminal health handle, session
 * routes, extra proxy routes, the catch-all) and, in self mode, a plain-HTTP site for probes and redirects.
 */
export function buildCaddyfile(props: CaddyfileProps): Caddyfile {
  return buildResolvedCaddyfile(resolveCaddyfileProps(props));
}

/**
 * Builds the Caddyfile from props `resolveCaddyfileProps` already validated (and bound).
 * @internal
 */
export function buildResolvedCaddyfile(r: ResolvedCaddyfileProps): Caddyfile {
  const global: CaddyDirective[] = [r.adminApi ? CaddyDirective.of('admin', [`localhost:${CADDY_ADMIN_PORT}`]) : CaddyDirective.of('admin', ['off'])];
  global.push(CaddyDirective.of('http_port', [r.httpPort]));
  if (r.tls.servesHttps) global.push(CaddyDirective.of('https_port', [r.httpsPort]));
  if (r.tls.trustedProxies.length) {
    global.push(
      CaddyDirective.block('servers', [], [CaddyDirective.of('trusted_proxies', ['static', ...r.tls.trustedProxies])], 'Trust X-Forwarded-* (Proto, For) from the proxy in front, so the sticky cookie stays Secure behind a TLS terminator.'),
    );
  }

  const site: CaddyDirective[] = [];
  if (r.tls.mode === CaddyTlsMode.SELF) {
    site.push(
      r.tls.certificateSecret !== undefined
        ? CaddyDirective.of('tls', [`${CADDY_TLS_MOUNT}/tls.crt`, `${CADDY_TLS_MOUNT}/tls.key`])
        : CaddyDirective.of('tls', [r.tls.acmeEmail!]),
    );
  }
  if (r.hsts) site.push(CaddyDirective.of('header', ['Strict-Transport-Security', r.hsts]));
  if (r.log) {
    site.push(
      CaddyDirective.block('log', [], [
        CaddyDirective.of('output', [r.log.output]),
        CaddyDirective.of('format', [r.log.format]),
        CaddyDirective.of('level', [r.log.level]),
      ]),
    );
    site.push(CaddyDirective.of('log_skip', [CADDY_HEALTH_PATH]));
  }
  site.push(healthHandle());
  for (const s of r.sessionRoutes) {
    site.push(CaddyDirective.of(`@${s.name}`, ['path', ...s.paths], { comment: `Session route: pinned by the value of ?${s.queryKey}= (hash of the value, so every client of a session reaches one upstream).` }));
    site.push(CaddyDirective.block('handle', [`@${s.name}`], [r.upstream.reverseProxy(CaddyDirective.of('lb_policy', ['query', s.queryKey]))]));
  }
  for (const p of r.proxyRoutes) {
    site.push(CaddyDirective.of(`@${p.name}`, ['path', p.pathPrefix, `${p.pathPrefix}/*`]));
    site.push(CaddyDirective.block('handle', [`@${p.name}`], [...(p.auth?.directives() ?? []), p.upstream.reverseProxy()]));
  }
  site.push(
    CaddyDirective.block(
      'handle',
      [],
      [r.upstream.reverseProxy(r.cookie ? cookiePolicy(r.cookie) : undefined)],
      r.cookie ? `Catch-all: a browser is pinned by the ${r.cookie.name} cookie; its first request is placed by ${r.cookie.fallback.policy}.` : 'Catch-all.',
    ),
  );

  const sites: CaddySite[] = [];
  if (r.tls.mode === CaddyTlsMode.SELF) {
    sites.push(new CaddySite(r.tls.domains, site));
    sites.push(
      new CaddySite(
        [`http://:${r.httpPort}`],
        [healthHandle(), CaddyDirective.block('handle', [], [CaddyDirective.of('redir', ['https://{host}{uri}', 308])])],
        'Plain HTTP: probes (kubelet dials the pod IP) get the health answer; everything else is redirected to HTTPS.',
      ),
    );
  } else {
    sites.push(new CaddySite([`http://:${r.httpPort}`], site));
  }
  return new Caddyfile(global, sites, 'Rendered by cdk8s-ops-kit CaddyIngress. Change the construct props, not this file.');
}
