import { Duration } from 'cdk8s';
import { check, ConfigError } from '../core/errors';
import { isDnsSubdomain } from '../core/names';
import { CaddyArg, CaddyEnvRef, CaddyQuoted } from './caddyfile';

/** The path of the terminal health handle (probes hit it; it never reaches an upstream and is not access-logged). */
export const CADDY_HEALTH_PATH = '/caddy/health/';

const HOST_PORT = /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Options for a DNS-discovered upstream pool. */
export interface CaddyDynamicUpstreamOptions {
  /**
   * DNS name whose A records are the upstreams: a headless Service's FQDN
   * (`engine-headless.<namespace>.svc.cluster.local`), so every ready pod is one upstream.
   */
  readonly name: string;
  /** Port every upstream listens on. */
  readonly port: number;
  /**
   * How often Caddy re-resolves the name (pods joining or leaving the headless Service).
   * @default Duration.seconds(10)
   */
  readonly refresh?: Duration;
  /**
   * DNS servers to ask instead of the system resolver (`udp/10.0.0.10:53` style addresses).
   * @default - the pod's resolver (cluster DNS)
   */
  readonly resolvers?: readonly string[];
}

/**
 * Where Caddy proxies: a pool discovered by DNS (`dynamic a`), which enables session routes and the sticky-cookie
 * catch-all, or one fixed upstream (a Service address), which needs neither.
 */
export class CaddyUpstream {
  /**
   * A pool of upstreams from the A records of `name`, refreshed every `refresh`.
   * @see https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#aaaaa
   */
  public static dynamicA(options: CaddyDynamicUpstreamOptions): CaddyUpstream {
    check(isDnsSubdomain(options.name) || /^\d{1,3}(\.\d{1,3}){3}$/.test(options.name), 'upstream.name', options.name, 'a DNS name such as engine-headless.ns.svc.cluster.local');
    checkPort('upstream.port', options.port);
    const refresh = options.refresh ?? Duration.seconds(10);
    const ms = refresh.toMilliseconds();
    check(Number.isInteger(ms) && ms >= 1000, 'upstream.refresh', `${ms}ms`, 'at least 1 second, whole milliseconds');
    const resolvers = options.resolvers ?? [];
    resolvers.forEach((r, i) => {
      check(/^(?:(?:udp|tcp)\/)?[A-Za-z0-9.:\[\]-]+$/.test(r), `upstream.resolvers[${i}]`, r, 'a resolver address such as 10.96.0.10:53 or udp/10.96.0.10:53');
    });
    return new CaddyUpstream({ kind: 'dynamic-a', name: options.name, port: options.port, refreshMs: ms, resolvers: [...resolvers] });
  }

  /** One fixed upstream, `host:port` (a ClusterIP Service, for example `nexus-proxy.ns.svc.cluster.local:80`). */
  public static single(address: string): CaddyUpstream {
    const m = HOST_PORT.exec(address);
    check(m !== null, 'upstream', address, 'host:port, for example nexus-proxy.ns.svc.cluster.local:80');
    checkPort('upstream', Number(m[1]));
    return new CaddyUpstream({ kind: 'single', address });
  }

  private constructor(
    /** @internal */
    public readonly spec:
      | { kind: 'dynamic-a'; name: string; port: number; refreshMs: number; resolvers: string[] }
      | { kind: 'single'; address: string },
  ) {}

  /** True for a DNS-discovered pool (load balancing and affinity apply). */
  public get isPool(): boolean {
    return this.spec.kind === 'dynamic-a';
  }
}

function checkPort(prop: string, port: number): void {
  check(Number.isInteger(port) && port >= 1 && port <= 65535, prop, port, 'a port number 1-65535');
}

/**
 * How the sticky-cookie catch-all places a browser that has no cookie yet (its first request, or its pod is gone).
 * Only the catch-all uses it; session routes always hash the session value.
 * @see https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#lb_policy
 */
export class CaddyLbFallback {
  /** Each new browser goes to the next upstream in turn (the default). */
  public static roundRobin(): CaddyLbFallback {
    return new CaddyLbFallback('round_robin', []);
  }

  /** Each new browser goes to the upstream with the fewest requests in flight. */
  public static leastConn(): CaddyLbFallback {
    return new CaddyLbFallback('least_conn', []);
  }

  /** Each new browser goes to a random upstream. */
  public static random(): CaddyLbFallback {
    return new CaddyLbFallback('random', []);
  }

  /**
   * Round robin with one weight per upstream, in the order the pool lists them (for a DNS pool, the order of the A
   * records). A weight of 0 takes an upstream out of new assignments.
   */
  public static weightedRoundRobin(weights: readonly number[]): CaddyLbFallback {
    check(weights.length >= 1, 'stickyCookie.fallback.weights', weights, 'at least one weight');
    weights.forEach((w, i) => check(Number.isInteger(w) && w >= 0, `stickyCookie.fallback.weights[${i}]`, w, 'a whole number >= 0'));
    check(weights.some((w) => w > 0), 'stickyCookie.fallback.weights', weights, 'at least one weight above 0');
    return new CaddyLbFallback('weighted_round_robin', [...weights]);
  }

  private constructor(
    /** Caddy's policy name. */
    public readonly policy: 'round_robin' | 'least_conn' | 'random' | 'weighted_round_robin',
    /** Policy arguments (weights). */
    public readonly args: readonly number[],
  ) {}
}

/** Literal value used when no cookie secret is given. Synthesis warns about it. */
export const CADDY_PLACEHOLDER_COOKIE_SECRET = 'change-me-insecure-placeholder-cookie-secret';

/** The environment variable a Secret-backed cookie secret reaches Caddy through. */
export const CADDY_COOKIE_SECRET_ENV = 'CADDY_LB_COOKIE_SECRET';

/**
 * The HMAC key Caddy signs the sticky cookie with. Every Caddy replica needs the same key (the cookie holds
 * HMAC-SHA256(key, upstream address), no shared state), and changing it re-places every browser once.
 * The cookie only pins a browser to an upstream; it authenticates nothing.
 */
export class CaddyCookieSecret {
  /**
   * Read the key from an existing Secret (recommended): it reaches Caddy as an environment variable that Caddy
   * substitutes when it loads the Caddyfile, so the key is never in the ConfigMap or in Git. The value must be a
   * single token without quotes, backslashes or newlines (`openssl rand -hex 32` is fine). Changing the Secret's
   * content does not roll the pods by itself: restart Caddy, or point at a new Secret name.
   */
  public static fromSecret(secretName: string, key: string): CaddyCookieSecret {
    check(isDnsSubdomain(secretName), 'stickyCookie.secret.secretName', secretName, 'the name of an existing Secret (DNS-1123 subdomain)');
    check(/^[-._a-zA-Z0-9]+$/.test(key), 'stickyCookie.secret.key', key, "a Secret key: letters, digits, '-', '_' and '.'");
    return new CaddyCookieSecret({ secretName, key }, undefined);
  }

  /**
   * The key as a literal, rendered (quoted) into the Caddyfile ConfigMap. Anyone who can read the ConfigMap or the
   * rendered manifests can forge cookies that pick an upstream; prefer `fromSecret`.
   */
  public static literal(value: string): CaddyCookieSecret {
    const redacted = `<redacted, ${typeof value === 'string' ? value.length : 0} characters>`;
    check(typeof value === 'string' && value.length > 0, 'stickyCookie.secret', redacted, 'a non-empty string');
    // eslint-disable-next-line no-control-regex
    if (/[\r\n]/.test(value)) {
      throw new ConfigError('stickyCookie.secret', redacted, 'a value without newlines', 'a newline would end the lb_policy directive in the Caddyfile');
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new ConfigError('stickyCookie.secret', redacted, 'a value without control characters');
    if (value.includes('{$')) throw new ConfigError('stickyCookie.secret', redacted, 'a value without "{$"', 'Caddy would substitute an environment variable there');
    if (/\\"/.test(value) || value.endsWith('\\')) {
      throw new ConfigError('stickyCookie.secret', redacted, 'a value without a backslash before a quote or at its end', 'inside the quoted Caddyfile token that backslash would escape the quote');
    }
    return new CaddyCookieSecret(undefined, value);
  }

  private constructor(
    /** The Secret holding the key, when read by reference. */
    public readonly secretRef: { readonly secretName: string; readonly key: string } | undefined,
    private readonly value: string | undefined,
  ) {}

  /** True for the built-in placeholder (synthesis warns). */
  public get isPlaceholder(): boolean {
    return this.value === CADDY_PLACEHOLDER_COOKIE_SECRET;
  }

  /** The Caddyfile argument: the quoted literal, or the environment reference. */
  public get caddyArg(): CaddyArg {
    return this.secretRef ? CaddyEnvRef.of(CADDY_COOKIE_SECRET_ENV) : CaddyQuoted.of(this.value!);
  }
}

/**
 * Requests pinned by a session value in the query string: every request whose path matches goes to the upstream
 * that the value of `queryKey` hashes to (Caddy's `lb_policy query`, highest-random-weight hashing). The hash uses the
 * value only, so two routes with different keys (`id=S`, `session=S`) send session S to the same upstream, and every
 * client of one session converges on one upstream. Requests without the key go to a random upstream.
 */
export interface CaddySessionRoute {
  /** Name of the route's named matcher (`@name` in the Caddyfile): letters, digits, `_` and `-`. */
  readonly name: string;
  /** Path patterns: `/literal` or `/prefix*` (a single trailing `*`). */
  readonly paths: readonly string[];
  /** The query parameter carrying the session value. */
  readonly queryKey: string;
}

/** A path prefix proxied to its own upstream instead of the pool (for example `/grafana` to the Grafana Service). */
export interface CaddyProxyRoute {
  /**
   * Name of the route's named matcher.
   * @default - derived from the prefix (`/grafana` -> `grafana`)
   */
  readonly name?: string;
  /** Path prefix without a trailing slash (`/grafana`): matches the prefix itself and everything below it. */
  readonly pathPrefix: string;
  /** Upstream `host:port`. The path is passed on unchanged, so the backend must serve under the prefix. */
  readonly upstream: string;
}

/** The sticky-cookie catch-all: every request no other route takes. */
export interface CaddyStickyCookieOptions {
  /**
   * Cookie name.
   * @default 'caddy_sticky'
   */
  readonly name?: string;
  /**
   * The HMAC key.
   * @default - a placeholder literal; synthesis adds a warning
   */
  readonly secret?: CaddyCookieSecret;
  /**
   * How a browser without a (valid) cookie is placed.
   * @default CaddyLbFallback.roundRobin()
   */
  readonly fallback?: CaddyLbFallback;
}

/** Where access log lines go. */
export enum CaddyLogOutput {
  STDOUT = 'stdout',
  STDERR = 'stderr',
  DISCARD = 'discard',
}

/** Access log line format. */
export enum CaddyLogFormat {
  JSON = 'json',
  CONSOLE = 'console',
}

/** Minimum level of access log entries (Caddy's access log emits INFO and ERROR). */
export enum CaddyLogLevel {
  DEBUG = 'DEBUG',
  INFO = 'INFO',
  WARN = 'WARN',
  ERROR = 'ERROR',
}

/** Caddy's access log: one structured line per request. The health path is never logged. */
export interface CaddyAccessLogOptions {
  /**
   * Log requests. On by default so every topology has request logs at its entry point; turn off behind an ingress
   * that already logs, or to cut volume.
   * @default true
   */
  readonly enabled?: boolean;
  /** @default CaddyLogOutput.STDOUT */
  readonly output?: CaddyLogOutput;
  /** @default CaddyLogFormat.JSON */
  readonly format?: CaddyLogFormat;
  /** @default CaddyLogLevel.INFO */
  readonly level?: CaddyLogLevel;
}
