import { Duration } from 'cdk8s';
import { check, ConfigError } from './errors';
import { isDnsSubdomain } from './names';

/**
 * Typed validators for the values the Kubernetes API server (and the programs we configure) accept. Every construct
 * validates through these instead of its own regex or range, so one class of mistake is closed everywhere at once.
 * Each throws a ConfigError naming the prop, the value and what is allowed, and returns the value (or its parsed
 * form) so it can be used inline.
 */

/** Largest value of a Kubernetes int32 field (replicas, ports, uids, sync waves, counts). */
export const INT32_MAX = 2 ** 31 - 1;
/** Smallest value of a Kubernetes int32 field. */
export const INT32_MIN = -(2 ** 31);
/** The NodePort range of a default kube-apiserver (`--service-node-port-range`). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** Bounds of an integer range. */
export interface IntRange {
  /** @default INT32_MIN */
  readonly min?: number;
  /** @default INT32_MAX */
  readonly max?: number;
}

function rangeText(min: number, max: number): string {
  if (max === INT32_MAX && min === INT32_MIN) return 'a whole number (32-bit)';
  if (max === INT32_MAX) return `a whole number >= ${min}`;
  return `a whole number ${min}-${max}`;
}

/**
 * Throws unless `value` is a whole number in `[min, max]` (int32 bounds by default). Rejects NaN, fractions,
 * infinities and anything JavaScript would print in exponent form (`1e+21`), which YAML would carry as a float the
 * API server refuses.
 */
export function assertInt(prop: string, value: number, range: IntRange = {}, allowed?: string): number {
  const min = range.min ?? INT32_MIN;
  const max = range.max ?? INT32_MAX;
  const what = allowed ?? rangeText(min, max);
  const exponent = typeof value === 'number' && /e/i.test(String(value));
  const why = exponent ? 'it would be written in exponent form, which the API server does not read as an integer' : typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value) ? 'it is not a whole number' : undefined;
  check(typeof value === 'number' && Number.isSafeInteger(value) && !exponent, prop, value, what, why);
  check(value >= min && value <= max, prop, value, what, value > max ? `it is above ${max}` : `it is below ${min}`);
  return value;
}

/** Throws unless `value` is a TCP/UDP port, 1-65535 (or `min`-65535: 1024 for unprivileged listeners). */
export function assertPort(prop: string, value: number, options: { readonly min?: number; readonly reason?: string } = {}): number {
  const min = options.min ?? 1;
  check(typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= 65535, prop, value, `a port number ${min}-65535`, options.reason);
  return value;
}

/** Throws unless `value` is in the API server's NodePort range (30000-32767 by default). */
export function assertNodePort(prop: string, value: number, reason?: string): number {
  const { min, max } = NODE_PORT_RANGE;
  check(
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
    prop,
    value,
    `a port in the NodePort range ${min}-${max} (the API server rejects any other)`,
    reason,
  );
  return value;
}

/**
 * Throws unless `value` is a Linux user id the API server accepts for `runAsUser` (0 to 2^31-1). `nonZero` rejects
 * root, for props that only ever mean a non-root user.
 */
export function assertUid(prop: string, value: number, options: { readonly nonZero?: boolean } = {}): number {
  const min = options.nonZero ? 1 : 0;
  return assertInt(prop, value, { min, max: INT32_MAX }, `a user id ${min}-${INT32_MAX}${options.nonZero ? ' (not root)' : ''}`);
}

/** Throws unless `value` is a group id the API server accepts (`runAsGroup`, `fsGroup`: 0 to 2^31-1). */
export function assertGid(prop: string, value: number): number {
  return assertInt(prop, value, { min: 0, max: INT32_MAX }, `a group id 0-${INT32_MAX}`);
}

/** Throws unless `value` is a replica count (0 to 2^31-1, or `min` upwards). */
export function assertReplicas(prop: string, value: number, min = 0): number {
  return assertInt(prop, value, { min });
}

/**
 * Throws unless `host` is a DNS host name: a lowercase DNS-1123 subdomain (what the API server accepts for Ingress
 * hosts and what TLS certificates name). No upper case, no '_', no spaces, not empty.
 */
export function assertHostname(prop: string, host: string): string {
  const allowed = "a lowercase DNS name such as app.example.com (letters, digits, '-' and '.')";
  check(typeof host === 'string' && host.length > 0, prop, host, allowed, 'it is empty');
  check(isDnsSubdomain(host), prop, host, allowed);
  return host;
}

/** Throws unless `host` is a DNS host name or a wildcard `*.` followed by one (Ingress hosts, TLS SANs). */
export function assertWildcardHost(prop: string, host: string): string {
  const allowed = "a lowercase DNS name such as app.example.com, or a wildcard such as *.example.com (one leading '*.' only)";
  check(typeof host === 'string' && host.length > 0, prop, host, allowed, 'it is empty');
  const bare = host.startsWith('*.') ? host.slice(2) : host;
  check(isDnsSubdomain(bare), prop, host, allowed);
  return host;
}

/** True when `value` is an IPv4 address in dotted-decimal form without leading zeros, or an IPv6 address. */
export function isIp(value: string): boolean {
  return typeof value === 'string' && (isStrictIPv4(value) || isIPv6Literal(value));
}

function isStrictIPv4(value: string): boolean {
  return typeof value === 'string' && isIPv4Text(value, 0, value.length);
}

/**
 * True when `text[from, to)` is a dotted-decimal IPv4 address as node's `net.isIPv4` accepts it: four decimal octets
 * 0-255, none with a leading zero ('01' is refused). Read character by character: node's pattern costs a compilation
 * on its first use and its module loads node's streams.
 */
function isIPv4Text(text: string, from: number, to: number): boolean {
  let octets = 0;
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 46 /* . */) continue;
    if (!isOctet(text, start, i) || ++octets > 4) return false;
    start = i + 1;
  }
  return octets === 4;
}

/** True when `text[from, to)` is a decimal 0-255 without a leading zero. */
function isOctet(text: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > 3 || (n > 1 && text.charCodeAt(from) === 48)) return false;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    v = v * 10 + d;
  }
  return v <= 255;
}

/** True when `text[from, to)` is one to four hexadecimal digits (an IPv6 group). */
function isHexGroup(text: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > 4) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** An IPv6 zone as node's pattern allows it after '%': letters, digits, '-', '.' and ':'. */
const IPV6_ZONE = /^[0-9a-zA-Z.:-]+$/;

/**
 * `net.isIPv6(value)` without node's pattern (about 15 ms of CPU to compile on its first use, and its module loads
 * node's streams): groups of one to four hex digits separated by ':', at most one '::' standing for one or more zero
 * groups, an optional dotted IPv4 address as the last two groups, an optional zone after '%'. Eight groups without
 * '::', at most seven with it. test/core/validate.test.ts compares it with `net.isIPv6` on generated text.
 * @internal
 */
export function isIPv6Literal(value: string): boolean {
  if (typeof value !== 'string') return false;
  const percent = value.indexOf('%');
  const end = percent < 0 ? value.length : percent;
  if (percent >= 0 && !IPV6_ZONE.test(value.slice(percent + 1))) return false;
  const gap = value.indexOf('::');
  if (gap < 0 || gap >= end) return ipv6GroupCount(value, 0, end) === 8;
  const second = value.indexOf('::', gap + 1);
  if (second >= 0 && second < end) return false;
  // A dotted IPv4 address may only end the address, so not the part before '::'.
  const head = gap === 0 ? 0 : ipv6GroupCount(value, 0, gap, false);
  const tail = gap + 2 === end ? 0 : ipv6GroupCount(value, gap + 2, end);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

/**
 * The number of IPv6 groups `text[from, to)` holds (':'-separated hex groups, the last one may be a dotted IPv4
 * address, counting two, when `v4Tail`), or -1 when it is not such a list.
 */
function ipv6GroupCount(text: string, from: number, to: number, v4Tail = true): number {
  let groups = 0;
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 58 /* : */) continue;
    if (isHexGroup(text, start, i)) groups++;
    else if (v4Tail && i === to && isIPv4Text(text, start, i)) groups += 2;
    else return -1;
    start = i + 1;
  }
  return groups;
}

/** The address family of an IP literal, or undefined. */
export function ipFamily(value: string): 4 | 6 | undefined {
  if (isStrictIPv4(value)) return 4;
  if (isIPv6Literal(value)) return 6;
  return undefined;
}

/** Throws unless `value` is an IPv4 or IPv6 address (no brackets, no port). */
export function assertIp(prop: string, value: string, family?: 4 | 6): string {
  const allowed = family === 4 ? 'an IPv4 address such as 10.0.0.5' : family === 6 ? 'an IPv6 address such as fd00::5' : 'an IPv4 or IPv6 address such as 10.0.0.5 or fd00::5';
  const f = ipFamily(value);
  check(f !== undefined && (family === undefined || f === family), prop, value, allowed);
  return value;
}

/** A parsed CIDR: its family, prefix length and the first and last address as integers. */
export interface Cidr {
  /** The address family. */
  readonly family: 4 | 6;
  /** The prefix length. */
  readonly prefix: number;
  /** The first address of the range, as an integer. */
  readonly first: bigint;
  /** The last address of the range, as an integer. */
  readonly last: bigint;
}

function ipToBigInt(ip: string, family: 4 | 6): bigint {
  if (family === 4) return ip.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n);
  // Expand `::` and an embedded IPv4 tail.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigInt(v4[1], 4);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/**
 * Parses a CIDR the way Kubernetes does (`net.ParseCIDR`: address/prefix, IPv4 prefix 0-32, IPv6 0-128); undefined
 * when malformed. The address need not be the network address (`10.1.2.3/8` means 10.0.0.0/8).
 */
export function parseCidr(value: string): Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(value);
  if (!m) return undefined;
  const family = ipFamily(m[1]);
  const prefix = Number(m[2]);
  if (family === undefined || prefix > (family === 4 ? 32 : 128)) return undefined;
  const bits = BigInt(family === 4 ? 32 : 128);
  const hostBits = bits - BigInt(prefix);
  const addr = ipToBigInt(m[1], family);
  const first = (addr >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return { family, prefix, first, last };
}

/** Throws unless `value` is an IPv4 or IPv6 CIDR (`10.0.0.0/8`, `fd00::/8`). Returns it parsed. */
export function assertCidr(prop: string, value: string): Cidr {
  const c = parseCidr(value);
  if (!c) throw new ConfigError(prop, value, 'an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or 2001:db8::/32 (address/prefix, IPv4 prefix at most 32, IPv6 at most 128)');
  return c;
}

/** Throws unless `value` is an IP address or a CIDR (trusted proxies, allow lists). */
export function assertIpOrCidr(prop: string, value: string): string {
  check(ipFamily(value) !== undefined || parseCidr(value) !== undefined, prop, value, 'an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8, 192.168.1.10 or fd00::/8');
  return value;
}

/**
 * The address families whose every address is covered by the union of `cidrs` (for example `0.0.0.0/1` and
 * `128.0.0.0/1` together cover all of IPv4). Malformed entries are ignored.
 */
export function familiesFullyCovered(cidrs: readonly string[]): Array<4 | 6> {
  const out: Array<4 | 6> = [];
  for (const family of [4, 6] as const) {
    const ranges = cidrs
      .map(parseCidr)
      .filter((c): c is Cidr => c !== undefined && c.family === family)
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    const end = (1n << BigInt(family === 4 ? 32 : 128)) - 1n;
    let next = 0n;
    for (const r of ranges) {
      if (r.first > next) break;
      if (r.last + 1n > next) next = r.last + 1n;
    }
    if (ranges.length && next > end) out.push(family);
  }
  return out;
}

/** A parsed `host:port`. */
export interface HostPort {
  /** The host (a DNS name, an IPv4 address or a bracketed IPv6 address). */
  readonly host: string;
  /** The port. */
  readonly port: number;
}

/**
 * Parses and validates `host:port` with no scheme and no path: a lowercase DNS name, an IPv4 address or a bracketed
 * IPv6 address, and a port 1-65535. Upstreams, scrape targets and resolvers take the value verbatim, so anything else
 * would fail (or go somewhere else) at run time.
 */
export function parseHostPort(prop: string, endpoint: string): HostPort {
  const allowed = 'host:port with no scheme or path, for example dcgm-exporter.gpu-operator.svc:9400, 10.0.0.5:9100 or [fd00::5]:9100';
  check(typeof endpoint === 'string' && endpoint.length > 0, prop, endpoint, allowed, 'it is empty');
  check(!endpoint.includes('://'), prop, endpoint, allowed, 'it has a scheme');
  const m = /^(\[[^\]]*\]|[^:/\s[\]]+):(\d{1,5})$/.exec(endpoint);
  if (!m) throw new ConfigError(prop, endpoint, allowed);
  const host = m[1];
  const port = Number(m[2]);
  check(port >= 1 && port <= 65535, prop, endpoint, allowed, `port ${port} is out of range`);
  if (host.startsWith('[')) {
    check(ipFamily(host.slice(1, -1)) === 6, prop, endpoint, allowed, `${host} is not a bracketed IPv6 address`);
  } else if (/^[0-9.]+$/.test(host)) {
    check(ipFamily(host) === 4, prop, endpoint, allowed, `"${host}" is not an IPv4 address`);
  } else {
    check(isDnsSubdomain(host), prop, endpoint, allowed, `"${host}" is not a lowercase DNS name or IPv4 address`);
  }
  return { host, port };
}

/** What a server URL prop accepts (see parseServerUrl). */
export interface ServerUrlRules {
  /** The schemes allowed, without `://` (`['redis', 'rediss']`). */
  readonly schemes: readonly string[];
  /** The schemes in words, for the message (`a redis:// or rediss:// (TLS) URL`). */
  readonly schemesAllowed: string;
  /** A URL to show when the value does not parse (`a URL such as redis://cache.corp.example:6379`). */
  readonly example: string;
  /** Where credentials go instead of the URL (the fix printed when the URL holds some). */
  readonly credentialsFix: string;
  /**
   * Whether the URL may name a port.
   * @default true
   */
  readonly port?: boolean;
  /**
   * The fix printed when the URL holds more than scheme, host (and port): a path, a query or a fragment.
   * @default - none
   */
  readonly onlyFix?: string;
}

/** A server URL's parts. */
export interface ServerUrl {
  /** The scheme, without `://`. */
  readonly scheme: string;
  /** The host name or IP address (an IPv6 address without its brackets). */
  readonly host: string;
  /**
   * The port the URL names.
   * @default - none: the caller applies its protocol's port
   */
  readonly port?: number;
}

/**
 * Parses the URL of a server the app does not render (an external cache, message bus, vector store or object store)
 * and refuses credentials in it (a rendered URL ends up in Git and in every pod spec), a path, a query and a fragment.
 * Every external server's `url` goes through it, so the credential check has one form.
 */
export function parseServerUrl(prop: string, url: string, rules: ServerUrlRules): ServerUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(prop, url, rules.example);
  }
  check(rules.schemes.some((sc) => u.protocol === `${sc}:`), prop, url, rules.schemesAllowed);
  check(u.username === '' && u.password === '', prop, url.replace(/\/\/[^@]*@/, '//<credentials>@'), 'a URL without credentials', rules.credentialsFix);
  const withPort = rules.port ?? true;
  check((withPort || u.port === '') && (u.pathname === '' || u.pathname === '/') && u.search === '' && u.hash === '', prop, url,
    withPort ? 'scheme, host and port only' : 'scheme and host only', rules.onlyFix);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { scheme: u.protocol.slice(0, -1), host, ...(u.port ? { port: Number(u.port) } : {}) };
}

/**
 * Throws unless `value` is a DNS resolver address: an IP with an optional port and an optional `udp/` or `tcp/`
 * network prefix (`10.96.0.10`, `10.96.0.10:53`, `udp/[fd00::a]:53`).
 */
export function assertResolver(prop: string, value: string): string {
  const allowed = 'a resolver IP address with an optional port and udp/ or tcp/ prefix, for example 10.96.0.10:53 or udp/10.96.0.10:53';
  const m = /^(?:(?:udp|tcp)\/)?(.+)$/.exec(typeof value === 'string' ? value : '');
  check(m !== null, prop, value, allowed);
  const rest = m[1];
  if (ipFamily(rest) !== undefined) return value;
  const hp = /^(\[[^\]]+\]|[0-9.]+):(\d{1,5})$/.exec(rest);
  check(hp !== null, prop, value, allowed);
  const host = hp[1].startsWith('[') ? hp[1].slice(1, -1) : hp[1];
  check(ipFamily(host) !== undefined && (hp[1].startsWith('[') ? ipFamily(host) === 6 : ipFamily(host) === 4), prop, value, allowed);
  check(Number(hp[2]) >= 1 && Number(hp[2]) <= 65535, prop, value, allowed, `port ${hp[2]} is out of range`);
  return value;
}

/** Bounds of a duration check. */
export interface DurationBounds {
  /**
   * Smallest allowed value, in the unit checked.
   * @default 1
   */
  readonly min?: number;
  /**
   * Largest allowed value, in the unit checked.
   * @default INT32_MAX
   */
  readonly max?: number;
}

/** Throws unless `d` is a whole number of seconds within bounds (probe timings, grace periods). Returns the seconds. */
export function assertWholeSeconds(prop: string, d: Duration, bounds: DurationBounds = {}): number {
  const min = bounds.min ?? 1;
  const max = bounds.max ?? INT32_MAX;
  const s = d.toMilliseconds({ integral: false }) / 1000;
  check(Number.isSafeInteger(s) && s >= min && s <= max, prop, `${s}s`, max === INT32_MAX ? `a whole number of seconds >= ${min}` : `a whole number of seconds ${min}-${max}`);
  return s;
}

/** Throws unless `d` is a whole number of milliseconds within bounds. Returns the milliseconds. */
export function assertWholeMilliseconds(prop: string, d: Duration, bounds: DurationBounds = {}): number {
  const min = bounds.min ?? 1;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const ms = d.toMilliseconds({ integral: false });
  check(Number.isSafeInteger(ms) && ms >= min && ms <= max, prop, `${ms}ms`, `a whole number of milliseconds >= ${min}${min === 0 ? ' (0 turns it off)' : ''}`);
  return ms;
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

/**
 * Throws unless `value` is a Kubernetes resource quantity (`500m`, `1Gi`, `2`, `1.5G`), as the API server parses it.
 * Negative quantities are rejected unless `allowNegative`.
 */
export function assertQuantity(prop: string, value: string, options: { readonly allowNegative?: boolean } = {}): string {
  const allowed = "a Kubernetes quantity: a number with an optional suffix (n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei), for example 500m or 10Gi";
  check(typeof value === 'string' && QUANTITY.test(value), prop, value, allowed);
  if (!options.allowNegative) check(!value.startsWith('-'), prop, value, `${allowed}, not negative`);
  return value;
}

/**
 * Throws unless `value` is an Argo CD sync wave (a whole int32, negative first) and returns it as the annotation
 * string. `String(1e21)` is `1e+21`, which Argo CD cannot parse: this is where that is caught.
 */
export function syncWave(prop: string, value: number): string {
  return String(assertInt(prop, value, {}, 'a whole number (32-bit; negative waves come first)'));
}
