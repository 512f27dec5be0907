import { Duration } from 'cdk8s';
import { ExternalEndpoint, ExternalPeer, HostForm, ServiceEndpoint } from '../core/endpoint';
import { check, ConfigError } from '../core/errors';
import { isDnsSubdomain } from '../core/names';
import { assertInt, assertPort, assertResolver, assertWholeMilliseconds, ipFamily, parseHostPort } from '../core/validate';
import { ConnectionKind, Wiring } from '../core/wiring';
import { IWorkload } from '../core/workload';
import { CaddyArg, CaddyDirective, CaddyEnvRef, CaddyQuoted } from './caddyfile';

/** The path of the terminal health handle (probes hit it; it never reaches an upstream and is not access-logged). */
export const CADDY_HEALTH_PATH = '/caddy/health/';
/**
 * What the health path answers: the JSON body the Graphistry chart's Caddy returns, so a load balancer or monitor
 * that checks the body (not only the status) sees a healthy Caddy.
 */
export const CADDY_HEALTH_BODY = '{"success": true}';
/** The health answer's content type. */
export const CADDY_HEALTH_CONTENT_TYPE = 'application/json';

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
   * Who answers at `name` (the pods behind it, `ExternalPeer.pods({ namespace, selector })`, or their addresses), for
   * Caddy's NetworkPolicy egress rule.
   * @default - undeclared: synth fails while the release renders NetworkPolicies
   */
  readonly peer?: ExternalPeer;
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
  /**
   * What Caddy does when an upstream of the pool cannot be reached: retry on another upstream, and skip the failed
   * one for a while (passive health). Applies to every `reverse_proxy` that uses the pool (session routes and the
   * catch-all).
   * @default - retry for 5s, skip a failed upstream for 10s
   */
  readonly failover?: CaddyPoolFailoverOptions;
}

/**
 * Retries and passive health for a DNS-discovered pool. A pod that is terminating (a DaemonSet roll, a node drain)
 * stops listening at once, but its address stays in the pool until the next DNS refresh (`refresh`, plus the DNS
 * TTL). Without failover every request Caddy sends there in that window answers 502, and requests pinned to it (by
 * the sticky cookie or a session hash) keep failing. With it, Caddy marks the upstream down on the first refused
 * connection and tries another, so the client sees a short delay instead of an error.
 *
 * Needs Caddy >= 2.11.2 for the pinned requests: before that release Caddy dropped a `dynamic` upstream's failure
 * count after every try (passive health did not apply to a DNS pool), so a retry of a request pinned by the cookie or
 * a session hash chose the same dead upstream until `tryDuration` ran out and then failed; unpinned requests (a new
 * browser placed by the fallback policy) still moved on. Graphistry's wrapper image runs Caddy 2.11 (v2.50.6 reported
 * 2.11.2); `CaddyImage.upstream()` defaults to 2.11.2. The workload's own shutdown (a preStop pause while it still serves, so it leaves DNS before it
 * stops listening) closes the same window from the other side, on any Caddy version.
 * @see https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#load-balancing
 * @see https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#passive-health-checks
 */
export interface CaddyPoolFailoverOptions {
  /**
   * How long Caddy keeps choosing another upstream for one request whose upstream failed (`lb_try_duration`). A
   * request whose connection could not be established is retried whatever its method (nothing reached the upstream);
   * after a connection was made, only GET requests are retried. When every upstream is down, the client gets the
   * error after this long. `Duration.seconds(0)` turns retries off (a refused connection answers 502 at once).
   * @default Duration.seconds(5)
   */
  readonly tryDuration?: Duration;
  /**
   * Pause between two tries (`lb_try_interval`). Only with retries on.
   * @default - Caddy's default (250ms), not rendered
   */
  readonly tryInterval?: Duration;
  /**
   * Passive health: how long an upstream that failed a request is skipped (`fail_duration`). This is also what lets a
   * retry leave a pinned upstream: the cookie and session-hash policies pick the same upstream again until it is
   * marked down. About the DNS refresh interval is right: by then the pod has left the pool. `Duration.seconds(0)`
   * turns passive health off, which needs `tryDuration` 0 too.
   * @default Duration.seconds(10)
   */
  readonly failDuration?: Duration;
  /**
   * Failed requests within `failDuration` that mark an upstream down (`max_fails`). Only with passive health on.
   * @default - Caddy's default (1), not rendered
   */
  readonly maxFails?: number;
}

/**
 * The failover settings validated, in milliseconds (0 = off).
 * @internal
 */
export interface ResolvedCaddyFailover {
  /** Retry window in ms (0: no retries). */
  readonly tryMs: number;
  /**
   * Pause between tries in ms.
   * @default - Caddy's default
   */
  readonly tryIntervalMs?: number;
  /** How long a failed upstream is skipped, in ms (0: no passive health). */
  readonly failMs: number;
  /**
   * Failures that mark an upstream down.
   * @default - Caddy's default (1)
   */
  readonly maxFails?: number;
}

function wholeMs(prop: string, d: Duration, allowZero: boolean): number {
  return assertWholeMilliseconds(prop, d, { min: allowZero ? 0 : 1 });
}

function resolveFailover(o: CaddyPoolFailoverOptions): ResolvedCaddyFailover {
  const tryMs = wholeMs('upstream.failover.tryDuration', o.tryDuration ?? Duration.seconds(5), true);
  const failMs = wholeMs('upstream.failover.failDuration', o.failDuration ?? Duration.seconds(10), true);
  if (tryMs > 0 && failMs === 0) {
    throw new ConfigError(
      'upstream.failover.failDuration',
      '0ms',
      `more than 0 while tryDuration is on (${tryMs}ms), or tryDuration 0 too`,
      'without passive health the cookie and session-hash policies pick the failed upstream again on every retry, so retries only add delay',
    );
  }
  let tryIntervalMs: number | undefined;
  if (o.tryInterval !== undefined) {
    tryIntervalMs = wholeMs('upstream.failover.tryInterval', o.tryInterval, false);
    check(tryMs > 0, 'upstream.failover.tryInterval', `${tryIntervalMs}ms`, 'unset while tryDuration is 0', 'there are no retries to pause between');
    check(tryIntervalMs < tryMs, 'upstream.failover.tryInterval', `${tryIntervalMs}ms`, `less than tryDuration (${tryMs}ms)`, 'otherwise no second try fits in the retry window');
  }
  if (o.maxFails !== undefined) {
    assertInt('upstream.failover.maxFails', o.maxFails, { min: 1 });
    check(failMs > 0, 'upstream.failover.maxFails', o.maxFails, 'unset while failDuration is 0', 'failures are only counted with passive health on');
  }
  return { tryMs, tryIntervalMs, failMs, maxFails: o.maxFails };
}

/** Options of a pool from a headless Service's endpoint (the name and port come from the endpoint). */
export interface CaddyEndpointPoolOptions extends Omit<CaddyDynamicUpstreamOptions, 'name' | 'port'> {
  /**
   * The endpoint port every upstream listens on.
   * @default - the endpoint's only port
   */
  readonly port?: string;
}

function durationArg(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The pool settings validated (refresh, resolvers, failover). */
interface PoolSettings {
  readonly refreshMs: number;
  readonly resolvers: readonly string[];
  readonly failover: ResolvedCaddyFailover;
}

function poolSettings(options: Omit<CaddyDynamicUpstreamOptions, 'name' | 'port'>): PoolSettings {
  const refresh = options.refresh ?? Duration.seconds(10);
  const ms = refresh.toMilliseconds();
  check(Number.isSafeInteger(ms) && ms >= 1000, 'upstream.refresh', `${ms}ms`, 'at least 1 second, whole milliseconds');
  const resolvers = options.resolvers ?? [];
  resolvers.forEach((r, i) => assertResolver(`upstream.resolvers[${i}]`, r));
  return { refreshMs: ms, resolvers: [...resolvers], failover: resolveFailover(options.failover ?? {}) };
}

/**
 * Where Caddy proxies: a pool discovered by DNS (`dynamic a`), which enables session routes and the sticky-cookie
 * catch-all, or one fixed upstream, which needs neither. Inside an app, take both from Service endpoints
 * (`pool(engine.headlessEndpoint)`, `service(proxy.endpoint)`): CaddyIngress then records its connections in the wiring
 * graph. Each alternative renders its own `reverse_proxy`.
 */
export abstract class CaddyUpstream {
  /**
   * A pool of upstreams from the A records of `name`, refreshed every `refresh` (a DNS name outside the app, or a
   * test's; inside an app use `pool(endpoint)`).
   * @see https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#aaaaa
   */
  public static dynamicA(options: CaddyDynamicUpstreamOptions): CaddyUpstream {
    check(isDnsSubdomain(options.name) || ipFamily(options.name) === 4, 'upstream.name', options.name, 'a lowercase DNS name such as engine-headless.ns.svc.cluster.local');
    checkPort('upstream.port', options.port);
    const peer = checkPeer(options.peer);
    return new DnsPoolUpstream(options.name, options.port, poolSettings(options), peer);
  }

  /**
   * A pool of every ready pod behind a headless Service the app renders (its FQDN's A records). CaddyIngress records
   * the connection.
   */
  public static pool(endpoint: ServiceEndpoint, options: CaddyEndpointPoolOptions = {}): CaddyUpstream {
    check(endpoint instanceof ServiceEndpoint, 'upstream', endpoint, 'a Service endpoint');
    check(endpoint.headless, 'upstream', endpoint.description, 'a headless Service endpoint (clusterIP: None)', "the A record of a ClusterIP Service is its one virtual IP, so Caddy would see a pool of one and pin nothing");
    const port = endpoint.port(options.port, 'upstream.port');
    return new EndpointPoolUpstream(endpoint, port.name, poolSettings(options));
  }

  /** One fixed upstream, `host:port` (outside the app, or a test's; inside an app use `service(endpoint)`). */
  public static single(address: string, options: CaddySingleUpstreamOptions = {}): CaddyUpstream {
    parseHostPort('upstream', address);
    return new AddressUpstream(address, checkPeer(options.peer));
  }

  /** One Service the app renders, at its FQDN and port. CaddyIngress records the connection. */
  public static service(endpoint: ServiceEndpoint, port?: string): CaddyUpstream {
    check(endpoint instanceof ServiceEndpoint, 'upstream', endpoint, 'a Service endpoint');
    return new EndpointUpstream(endpoint, endpoint.port(port, 'upstream.port').name);
  }

  /** True for a DNS-discovered pool (load balancing and affinity apply). */
  public abstract get isPool(): boolean;

  /** What Caddy dials: `host:port`, or the pool's DNS name and port. */
  public abstract get address(): string;

  /**
   * The upstream as `caddy` dials it: an endpoint upstream records Caddy's connection in the wiring graph and takes
   * its address from it; an address upstream records a connection to an external endpoint with its declared peer and
   * is returned as it is. Without `caddy` (a Caddyfile built on its own), the endpoint's FQDN is used and nothing is
   * recorded.
   */
  public abstract bind(caddy?: IWorkload, purpose?: string): CaddyUpstream;

  /** The `reverse_proxy` directive to this upstream (with an lb_policy, for pools). @internal */
  public abstract reverseProxy(lbPolicy?: CaddyDirective): CaddyDirective;
}

/** Options of a single upstream outside the app. */
export interface CaddySingleUpstreamOptions {
  /**
   * Who answers at the address (`ExternalPeer.pods({ namespace, selector })` or `ExternalPeer.cidr({ cidrs, reason })`),
   * for Caddy's NetworkPolicy egress rule.
   * @default - undeclared: synth fails while the release renders NetworkPolicies
   */
  readonly peer?: ExternalPeer;
}

function checkPeer(peer: ExternalPeer | undefined): ExternalPeer | undefined {
  if (peer !== undefined) check(peer instanceof ExternalPeer, 'upstream.peer', peer, 'ExternalPeer.pods({...}), ExternalPeer.cidr({...}) or ExternalPeer.anywhere({...})');
  return peer;
}

/**
 * Records Caddy's connection to an upstream outside the app (an address, not a Service endpoint), so its NetworkPolicy
 * allows it: without a declared peer, a release that renders NetworkPolicies fails synth naming `upstream.peer`.
 */
function recordAddress(caddy: IWorkload, host: string, port: number, peer: ExternalPeer | undefined, purpose?: string): void {
  const endpoint = ExternalEndpoint.of({
    host: host.replace(/^\[|\]$/g, ''),
    ports: [{ name: 'upstream', port }],
    peer,
    peerProp: 'upstream.peer',
    description: 'Caddy upstream',
  });
  Wiring.of(caddy).connect(caddy, endpoint, 'upstream', { kind: ConnectionKind.INGRESS, purpose });
}

class DnsPoolUpstream extends CaddyUpstream {
  constructor(
    private readonly name: string,
    private readonly port: number,
    private readonly settings: PoolSettings,
    private readonly peer?: ExternalPeer,
  ) {
    super();
  }

  public get isPool(): boolean {
    return true;
  }

  public get address(): string {
    return `${this.name}:${this.port}`;
  }

  public bind(caddy?: IWorkload, purpose?: string): CaddyUpstream {
    if (caddy) recordAddress(caddy, this.name, this.port, this.peer, purpose);
    return this;
  }

  public reverseProxy(lbPolicy?: CaddyDirective): CaddyDirective {
    const s = this.settings;
    const discovery = [CaddyDirective.of('refresh', [durationArg(s.refreshMs)])];
    if (s.resolvers.length) discovery.push(CaddyDirective.of('resolvers', s.resolvers));
    const body = [CaddyDirective.block('dynamic', ['a', this.name, this.port], discovery)];
    if (lbPolicy) body.push(lbPolicy);
    // Failover (see CaddyPoolFailoverOptions): one comment above the first failover line says what the lines do.
    const f = s.failover;
    const failover: CaddyDirective[] = [];
    if (f.tryMs > 0) failover.push(CaddyDirective.of('lb_try_duration', [durationArg(f.tryMs)]));
    if (f.tryIntervalMs !== undefined) failover.push(CaddyDirective.of('lb_try_interval', [durationArg(f.tryIntervalMs)]));
    if (f.failMs > 0) failover.push(CaddyDirective.of('fail_duration', [durationArg(f.failMs)]));
    if (f.maxFails !== undefined) failover.push(CaddyDirective.of('max_fails', [f.maxFails]));
    if (failover.length) {
      const what = [
        f.failMs > 0 ? `an upstream that fails (a terminating pod still in DNS) is skipped for ${durationArg(f.failMs)}` : undefined,
        f.tryMs > 0 ? `the request tries another for up to ${durationArg(f.tryMs)}` : undefined,
      ].filter((x) => x !== undefined).join(' and ');
      const first = failover[0];
      failover[0] = CaddyDirective.of(first.name, first.args, { comment: `Failover: ${what}.` });
      body.push(...failover);
    }
    return CaddyDirective.block('reverse_proxy', [], body);
  }
}

class EndpointPoolUpstream extends CaddyUpstream {
  constructor(private readonly endpoint: ServiceEndpoint, private readonly portName: string, private readonly settings: PoolSettings) {
    super();
  }

  public get isPool(): boolean {
    return true;
  }

  public get address(): string {
    return this.endpoint.hostPort(this.portName);
  }

  public bind(caddy?: IWorkload, purpose?: string): CaddyUpstream {
    const port = this.endpoint.port(this.portName);
    if (!caddy) return new DnsPoolUpstream(this.endpoint.fqdn(), port.port, this.settings);
    const c = Wiring.of(caddy).connect(caddy, this.endpoint, this.portName, { kind: ConnectionKind.INGRESS, purpose });
    return new DnsPoolUpstream(c.host(HostForm.FQDN), port.port, this.settings);
  }

  public reverseProxy(lbPolicy?: CaddyDirective): CaddyDirective {
    return this.bind().reverseProxy(lbPolicy);
  }
}

class AddressUpstream extends CaddyUpstream {
  constructor(private readonly hostPort: string, private readonly peer?: ExternalPeer) {
    super();
  }

  public get isPool(): boolean {
    return false;
  }

  public get address(): string {
    return this.hostPort;
  }

  public bind(caddy?: IWorkload, purpose?: string): CaddyUpstream {
    if (caddy) {
      const { host, port } = parseHostPort('upstream', this.hostPort);
      recordAddress(caddy, host, port, this.peer, purpose);
    }
    return this;
  }

  public reverseProxy(): CaddyDirective {
    return CaddyDirective.of('reverse_proxy', [this.hostPort]);
  }
}

class EndpointUpstream extends CaddyUpstream {
  constructor(private readonly endpoint: ServiceEndpoint, private readonly portName: string) {
    super();
  }

  public get isPool(): boolean {
    return false;
  }

  public get address(): string {
    return this.endpoint.hostPort(this.portName);
  }

  public bind(caddy?: IWorkload, purpose?: string): CaddyUpstream {
    if (!caddy) return new AddressUpstream(this.endpoint.hostPort(this.portName));
    return new AddressUpstream(
      Wiring.of(caddy).connect(caddy, this.endpoint, this.portName, { kind: ConnectionKind.INGRESS, purpose }).hostPort(HostForm.FQDN),
    );
  }

  public reverseProxy(): CaddyDirective {
    return this.bind().reverseProxy();
  }
}

function checkPort(prop: string, port: number): void {
  assertPort(prop, port);
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
    weights.forEach((w, i) => assertInt(`stickyCookie.fallback.weights[${i}]`, w, { min: 0 }));
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
   * single token without quotes, backslashes or newlines (`openssl rand -hex 32` is fine).
   *
   * Rotation under GitOps: Caddy reads the key only at start, and a Secret's content is not in Git, so changing it
   * rolls nothing by itself. Replace the Secret's content, then bump `options.version` and sync: the version enters
   * the pod template's `checksum/config`, so Caddy rolls and loads the new key. (Pointing at a new Secret name rolls
   * Caddy too.) Every browser's sticky cookie then fails verification once and is reassigned by the fallback policy.
   */
  public static fromSecret(secretName: string, key: string, options: CaddyCookieSecretOptions = {}): CaddyCookieSecret {
    check(isDnsSubdomain(secretName), 'stickyCookie.secret.secretName', secretName, 'the name of an existing Secret (DNS-1123 subdomain)');
    check(/^[-._a-zA-Z0-9]+$/.test(key), 'stickyCookie.secret.key', key, "a Secret key: letters, digits, '-', '_' and '.'");
    if (options.version !== undefined) {
      check(
        typeof options.version === 'string' && /^[-._a-zA-Z0-9]{1,63}$/.test(options.version),
        'stickyCookie.secret.version',
        options.version,
        "1 to 63 letters, digits, '-', '_' or '.' (for example a date: 2026-11-29)",
      );
    }
    return new CaddyCookieSecret({ secretName, key }, undefined, options.version);
  }

  /**
   * The key as a literal, rendered (quoted) into the Caddyfile ConfigMap. Anyone who can read the ConfigMap or the
   * rendered manifests can forge cookies that pick an upstream; prefer `fromSecret`.
   */
  public static literal(value: string): CaddyCookieSecret {
    const redacted = `<redacted, ${typeof value === 'string' ? value.length : 0} characters>`;
    check(typeof value === 'string' && value.length > 0, 'stickyCookie.secret', redacted, 'a non-empty string');
    if (/[\r\n]/.test(value)) {
      throw new ConfigError('stickyCookie.secret', redacted, 'a value without newlines', 'a newline would end the lb_policy directive in the Caddyfile');
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new ConfigError('stickyCookie.secret', redacted, 'a value without control characters');
    if (value.includes('{$')) throw new ConfigError('stickyCookie.secret', redacted, 'a value without "{$"', 'Caddy would substitute an environment variable there');
    if (/\\"/.test(value) || value.endsWith('\\')) {
      throw new ConfigError('stickyCookie.secret', redacted, 'a value without a backslash before a quote or at its end', 'inside the quoted Caddyfile token that backslash would escape the quote');
    }
    return new CaddyCookieSecret(undefined, value, undefined);
  }

  private constructor(
    /** The Secret holding the key, when read by reference. */
    public readonly secretRef: { readonly secretName: string; readonly key: string } | undefined,
    private readonly value: string | undefined,
    /** The Secret content's version (`fromSecret` options), hashed into Caddy's pod template; undefined when unset. */
    public readonly version: string | undefined,
  ) {}

  /** The Caddyfile argument: the quoted literal, or the environment reference. */
  public get caddyArg(): CaddyArg {
    return this.secretRef ? CaddyEnvRef.of(CADDY_COOKIE_SECRET_ENV) : CaddyQuoted.of(this.value!);
  }
}

/** Options of `CaddyCookieSecret.fromSecret`. */
export interface CaddyCookieSecretOptions {
  /**
   * The version of the Secret's content, bumped whenever the key is rotated: it enters Caddy's `checksum/config`, so
   * the change reaches Git and Caddy rolls to load the new key (a Secret's content never reaches the pod template).
   * Any label the operator tracks rotations by: a date, a counter, the secret manager's version id.
   * @default - none: rotating the content needs a Caddy restart or a new Secret name
   */
  readonly version?: string;
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

/** Options of `CaddyRouteAuth.basic`. */
export interface CaddyBasicAuthOptions {
  /** Name of the operator-created Secret holding the account. */
  readonly secretName: string;
  /**
   * Key holding the user name.
   * @default 'username'
   */
  readonly usernameKey?: string;
  /**
   * Key holding the bcrypt hash of the password, as `caddy hash-password --plaintext '<password>'` prints it. Caddy
   * 2.6 and 2.7 print (and need) the base64-encoded form, which later releases still accept.
   * @default 'password-hash'
   */
  readonly passwordHashKey?: string;
}

/** Options of `CaddyRouteAuth.forward`. */
export interface CaddyForwardAuthOptions {
  /** `host:port` of the authentication service (oauth2-proxy, Authelia, an SSO gateway). */
  readonly upstream: string;
  /** Path Caddy asks for every request; a 2xx lets it through, anything else is answered to the client. */
  readonly uri: string;
  /**
   * Response headers of the authentication service copied onto the proxied request (`Remote-User`).
   * @default - none
   */
  readonly copyHeaders?: readonly string[];
}

/**
 * Who may use a proxy route. Credentials never live in the Caddyfile: basic auth reads the account from an
 * operator-created Secret (environment variables Caddy substitutes when it loads the file), and forward auth asks
 * another service. Turning authentication off takes a reason.
 */
export abstract class CaddyRouteAuth {
  /**
   * HTTP basic auth (Caddy's `basicauth`, spelled so that Caddy 2.6 reads it and 2.8+ still accepts it) with the
   * account from a Secret.
   * @see https://caddyserver.com/docs/caddyfile/directives/basic_auth
   */
  public static basic(options: CaddyBasicAuthOptions): CaddyRouteAuth {
    check(isDnsSubdomain(options?.secretName ?? ''), 'auth.basic.secretName', options?.secretName, 'the name of an operator-created Secret (DNS-1123 subdomain)');
    const usernameKey = options.usernameKey ?? 'username';
    const passwordHashKey = options.passwordHashKey ?? 'password-hash';
    for (const [prop, k] of [['usernameKey', usernameKey], ['passwordHashKey', passwordHashKey]] as const) {
      check(/^[-._a-zA-Z0-9]+$/.test(k), `auth.basic.${prop}`, k, "a Secret key: letters, digits, '-', '_' and '.'");
    }
    check(usernameKey !== passwordHashKey, 'auth.basic.passwordHashKey', passwordHashKey, `a key other than usernameKey (${usernameKey})`);
    return new BasicRouteAuth({ secretName: options.secretName, usernameKey, passwordHashKey });
  }

  /**
   * Forward auth (Caddy's `forward_auth`, 2.5.1+): every request is first sent to `uri` on the authentication service.
   * @see https://caddyserver.com/docs/caddyfile/directives/forward_auth
   */
  public static forward(options: CaddyForwardAuthOptions): CaddyRouteAuth {
    parseHostPort('auth.forward.upstream', options?.upstream);
    check(typeof options.uri === 'string' && /^\/[A-Za-z0-9._~%!$&'()*+,;=:@\/?-]*$/.test(options.uri), 'auth.forward.uri', options.uri, "an absolute path such as /oauth2/auth (no spaces or braces)");
    (options.copyHeaders ?? []).forEach((h, i) => check(/^[A-Za-z0-9-]+$/.test(h), `auth.forward.copyHeaders[${i}]`, h, 'a header name: letters, digits and -'));
    return new ForwardRouteAuth(options.upstream, options.uri, [...(options.copyHeaders ?? [])]);
  }

  /** No authentication, with the reason (recorded in the operator notes). */
  public static none(options: { readonly reason: string }): CaddyRouteAuth {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'auth.none.reason', options?.reason, 'a non-empty reason why the route needs no authentication');
    return new NoRouteAuth(options.reason.trim());
  }

  /** True when Caddy checks every request of the route (false for `none`). */
  public abstract readonly authenticates: boolean;

  /**
   * The reason authentication was turned off (`none`).
   * @default - undefined for the alternatives that authenticate
   */
  public readonly disabledReason?: string;

  /**
   * The operator-created Secret holding a basic-auth account, with its keys (`basic`).
   * @default - undefined for the alternatives that read no Secret
   */
  public readonly account?: CaddyBasicAuthAccount;

  /**
   * The directives that authenticate the route (Caddy runs them before `reverse_proxy` whatever the order).
   * @internal
   */
  public abstract directives(): CaddyDirective[];

  /**
   * The environment variables Caddy reads the credentials through, each from a Secret key.
   * @internal
   */
  public abstract secretEnv(): ReadonlyArray<CaddyAuthSecretEnv>;

  /**
   * How Caddy asks for credentials, for the operator notes.
   * @internal
   */
  public abstract describe(): string;
}

/** A basic-auth account in an operator-created Secret. */
export interface CaddyBasicAuthAccount {
  /** The Secret's name. */
  readonly secretName: string;
  /** The key holding the user name. */
  readonly usernameKey: string;
  /** The key holding the bcrypt hash of the password. */
  readonly passwordHashKey: string;
}

/** An environment variable of the Caddy container read from a Secret key (a route's credentials). */
export interface CaddyAuthSecretEnv {
  /** The variable's name. */
  readonly name: string;
  /** The Secret it is read from. */
  readonly secretName: string;
  /** The Secret key. */
  readonly key: string;
}

class BasicRouteAuth extends CaddyRouteAuth {
  public readonly authenticates = true;
  private readonly envBase: string;

  constructor(public readonly account: CaddyBasicAuthAccount) {
    super();
    this.envBase = `CADDY_AUTH_${account.secretName.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
  }

  public directives(): CaddyDirective[] {
    const a = this.account;
    const line = CaddyDirective.line([CaddyEnvRef.of(`${this.envBase}_USER`), CaddyEnvRef.of(`${this.envBase}_HASH`)]);
    return [CaddyDirective.block('basicauth', [], [line], `Basic auth: the account comes from Secret ${a.secretName} (keys ${a.usernameKey}, ${a.passwordHashKey}).`)];
  }

  public secretEnv(): ReadonlyArray<CaddyAuthSecretEnv> {
    const a = this.account;
    return [
      { name: `${this.envBase}_USER`, secretName: a.secretName, key: a.usernameKey },
      { name: `${this.envBase}_HASH`, secretName: a.secretName, key: a.passwordHashKey },
    ];
  }

  public describe(): string {
    return `Caddy asks for the basic-auth account in Secret ${this.account.secretName} (rotate: recreate the Secret, then restart Caddy)`;
  }
}

class ForwardRouteAuth extends CaddyRouteAuth {
  public readonly authenticates = true;

  constructor(private readonly upstream: string, private readonly uri: string, private readonly copyHeaders: readonly string[]) {
    super();
  }

  public directives(): CaddyDirective[] {
    const body = [CaddyDirective.of('uri', [this.uri])];
    if (this.copyHeaders.length) body.push(CaddyDirective.of('copy_headers', [...this.copyHeaders]));
    return [CaddyDirective.block('forward_auth', [this.upstream], body, 'Forward auth: every request is checked by the authentication service first.')];
  }

  public secretEnv(): ReadonlyArray<CaddyAuthSecretEnv> {
    return [];
  }

  public describe(): string {
    return `Caddy asks ${this.upstream} (forward auth) before every request`;
  }
}

class NoRouteAuth extends CaddyRouteAuth {
  public readonly authenticates = false;

  constructor(public readonly disabledReason: string) {
    super();
  }

  public directives(): CaddyDirective[] {
    return [];
  }

  public secretEnv(): ReadonlyArray<CaddyAuthSecretEnv> {
    return [];
  }

  public describe(): string {
    return `no authentication (turned off: ${this.disabledReason})`;
  }
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
  /**
   * Where the prefix goes (`CaddyUpstream.service(grafana.endpoint)` inside an app). The path is passed on unchanged,
   * so the backend must serve under the prefix.
   */
  readonly upstream: CaddyUpstream;
  /**
   * Authentication in front of the upstream.
   * @default - none (the upstream is reached by whoever reaches Caddy)
   */
  readonly auth?: CaddyRouteAuth;
}

/** The sticky-cookie catch-all: every request no other route takes. */
export interface CaddyStickyCookieOptions {
  /**
   * Cookie name.
   * @default 'caddy_sticky'
   */
  readonly name?: string;
  /**
   * The HMAC key, normally `CaddyCookieSecret.fromSecret(name, key)` (an operator-created Secret). Required with a
   * pool upstream: there is no default key, because a key anyone can read lets anyone forge the cookie.
   * @default - none; required with a pool upstream
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
