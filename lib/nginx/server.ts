import { Duration } from 'cdk8s';
import { check } from '../core/errors';
import { assertNginxVariable, block, NginxDirective, NginxVar, renderNginxArg, renderNginxValue } from './directive';
import { assertInt, assertPort, assertWholeSeconds, ipFamily } from '../core/validate';

const SERVER_NAME = /^(_|(\*\.|\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;
const HEADER = /^[A-Za-z0-9-]+$/;

function seconds(prop: string, d: Duration): string {
  return `${assertWholeSeconds(prop, d)}s`;
}

/** Options of a `listen` directive. */
export interface NginxListenOptions {
  /**
   * Make this server the one that answers requests whose Host matches no `server_name` on this address and port.
   * @default false (nginx then uses the first server defined for the address and port)
   */
  readonly defaultServer?: boolean;
}

/** A `listen` address and port. */
export class NginxListen {
  /** Listen on every address of the host. */
  public static port(port: number, options: NginxListenOptions = {}): NginxListen {
    return new NginxListen(undefined, assertPort('nginx.listen.port', port), options.defaultServer ?? false);
  }

  /** Listen on one address only (`127.0.0.1` keeps a listener inside the pod's network namespace). */
  public static address(address: string, port: number, options: NginxListenOptions = {}): NginxListen {
    const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
    check(address === 'localhost' || (bare !== address ? ipFamily(bare) === 6 : ipFamily(address) === 4), 'nginx.listen.address', address, 'an IPv4 address, a bracketed IPv6 address or localhost');
    return new NginxListen(address, assertPort('nginx.listen.port', port), options.defaultServer ?? false);
  }

  private constructor(
    /** The address, or undefined for all addresses. */
    public readonly address: string | undefined,
    public readonly port: number,
    public readonly defaultServer: boolean,
  ) {}

  /**
   * `address:port` (or `*:port`): servers with the same key compete for the same requests. The address is canonical,
   * as nginx binds it: `0.0.0.0` is `*`, `localhost` is `127.0.0.1`, IPv6 in its compressed lowercase form.
   */
  public get key(): string {
    return `${canonicalAddress(this.address)}:${this.port}`;
  }

  /** The `listen` directive. */
  public render(): NginxDirective {
    const target = this.address ? `${this.address}:${this.port}` : String(this.port);
    return this.defaultServer ? NginxDirective.of('listen', target, 'default_server') : NginxDirective.of('listen', target);
  }
}

/** The address nginx binds for a listen address (see NginxListen.key). */
function canonicalAddress(address: string | undefined): string {
  if (address === undefined || address === '0.0.0.0') return '*';
  if (address === 'localhost') return '127.0.0.1';
  if (address.startsWith('[')) return new URL(`http://${address}/`).hostname;
  return address;
}

/**
 * The host names a `server_name` entry answers for: `.example.com` is nginx's shorthand for `example.com` and
 * `*.example.com` together.
 * @internal
 */
export function serverNameCoverage(name: string): string[] {
  return name.startsWith('.') ? [name.slice(1), `*${name}`] : [name];
}

/** Options of `proxy_pass`. */
export interface NginxProxyOptions {
  /**
   * HTTP version towards the upstream. `1.1` is needed for keep-alive and WebSocket upgrades.
   * @default - nginx's default (1.0)
   */
  readonly httpVersion?: '1.0' | '1.1';
  /**
   * `proxy_set_header` entries, in order. A header may appear once (case-insensitive). A string value is literal and
   * may not contain `$`; reference a variable with `NginxVar.of('$http_host')`.
   * @default - none (nginx sends Host $proxy_host and Connection close)
   */
  readonly headers?: ReadonlyArray<readonly [string, string | NginxVar]>;
  /**
   * How long nginx waits between two reads from the upstream before closing the connection.
   * @default - nginx's default (60s)
   */
  readonly readTimeout?: Duration;
  /**
   * How long nginx waits between two writes to the upstream before closing the connection.
   * @default - nginx's default (60s)
   */
  readonly sendTimeout?: Duration;
  /**
   * Buffer upstream responses. Off streams them to the client as they arrive.
   * @default - nginx's default (on)
   */
  readonly buffering?: boolean;
  /**
   * Buffer the whole request body before contacting the upstream. Off streams it.
   * @default - nginx's default (on)
   */
  readonly requestBuffering?: boolean;
}

/** What a location does with a request. */
export class NginxAction {
  /** Proxies to `url` (`http://127.0.0.1:8200`). */
  public static proxyPass(url: string, options: NginxProxyOptions = {}): NginxAction {
    check(/^https?:\/\/[^\s;{}]+$/.test(url), 'nginx.proxy_pass', url, 'an http:// or https:// URL without spaces, ; or braces');
    const out: NginxDirective[] = [NginxDirective.of('proxy_pass', url)];
    if (options.httpVersion) out.push(NginxDirective.of('proxy_http_version', options.httpVersion));
    const seen = new Set<string>();
    for (const [name, value] of options.headers ?? []) {
      check(HEADER.test(name), 'nginx.proxy_set_header', name, 'a header name: letters, digits and -');
      check(!seen.has(name.toLowerCase()), 'nginx.proxy_set_header', name, 'each header once', `${name} is set twice and nginx would send both`);
      seen.add(name.toLowerCase());
      out.push(NginxDirective.raw('proxy_set_header', [renderNginxArg('nginx.proxy_set_header', name), renderNginxValue(`nginx.proxy_set_header.${name}`, value)]));
    }
    if (options.readTimeout) out.push(NginxDirective.of('proxy_read_timeout', seconds('nginx.proxy_read_timeout', options.readTimeout)));
    if (options.sendTimeout) out.push(NginxDirective.of('proxy_send_timeout', seconds('nginx.proxy_send_timeout', options.sendTimeout)));
    if (options.buffering !== undefined) out.push(NginxDirective.of('proxy_buffering', options.buffering ? 'on' : 'off'));
    if (options.requestBuffering !== undefined) out.push(NginxDirective.of('proxy_request_buffering', options.requestBuffering ? 'on' : 'off'));
    return new NginxAction(out, url);
  }

  /** Answers with a status code (and optional text body) without contacting any upstream. */
  public static respond(status: number, text?: string): NginxAction {
    assertInt('nginx.return', status, { min: 100, max: 599 }, 'an HTTP status code 100-599');
    return new NginxAction([text === undefined ? NginxDirective.of('return', status) : NginxDirective.raw('return', [String(status), renderNginxValue('nginx.return.text', text)])], undefined);
  }

  private constructor(
    public readonly directives: readonly NginxDirective[],
    /** The upstream URL for proxy actions. */
    public readonly upstream: string | undefined,
  ) {}
}

/** A `location` block. */
export class NginxLocation {
  /** Matches every URI that starts with `path` (the longest matching prefix wins). */
  public static prefix(path: string, action: NginxAction, directives: readonly NginxDirective[] = []): NginxLocation {
    return new NginxLocation('', NginxLocation.path(path), action, directives);
  }

  /** Matches exactly `path`. */
  public static exact(path: string, action: NginxAction, directives: readonly NginxDirective[] = []): NginxLocation {
    return new NginxLocation('=', NginxLocation.path(path), action, directives);
  }

  private static path(path: string): string {
    check(/^\/[^\s;{}"'#\\]*$/.test(path), 'nginx.location', path, 'an absolute URI path without spaces, quotes, ; # or braces');
    return path;
  }

  private constructor(
    /** `''` for prefix, `=` for exact. */
    public readonly modifier: '' | '=',
    public readonly path: string,
    public readonly action: NginxAction,
    private readonly directives: readonly NginxDirective[],
  ) {}

  /** Two locations with the same key are a duplicate nginx refuses. */
  public get key(): string {
    return `${this.modifier}${this.path}`;
  }

  /** The location block's lines. */
  public render(): string[] {
    const head = this.modifier ? `location ${this.modifier} ${this.path}` : `location ${this.path}`;
    return block(head, [...this.action.directives, ...this.directives].map((d) => d.render()));
  }
}

/** Props of NginxServer. */
export interface NginxServerProps {
  /** Addresses and ports the server listens on (at least one). */
  readonly listen: readonly NginxListen[];
  /**
   * Host names this server answers for (matched against the request's Host header, port stripped). `_` is the
   * conventional name that matches nothing, for catch-all default servers.
   * @default - none (only reachable as the default server of its listen address)
   */
  readonly serverNames?: readonly string[];
  /**
   * Server-level directives, rendered before the locations (`client_max_body_size`, `return`).
   * @default - none
   */
  readonly directives?: readonly NginxDirective[];
  /**
   * Location blocks, in order.
   * @default - none
   */
  readonly locations?: readonly NginxLocation[];
  /**
   * A one-line comment rendered above the block.
   * @default - none
   */
  readonly comment?: string;
}

/** A `server` block. */
export class NginxServer {
  /** The addresses and ports it listens on. */
  public readonly listen: readonly NginxListen[];
  /** The host names it answers for. */
  public readonly serverNames: readonly string[];
  /** Its locations, in order. */
  public readonly locations: readonly NginxLocation[];
  private readonly directives: readonly NginxDirective[];
  private readonly comment?: string;

  constructor(props: NginxServerProps) {
    check(props.listen.length > 0, 'nginx.server.listen', props.listen, 'at least one listen address');
    const keys = new Set<string>();
    for (const l of props.listen) {
      check(!keys.has(l.key), 'nginx.server.listen', l.key, 'each address and port once per server');
      keys.add(l.key);
    }
    const names = new Set<string>();
    for (const n of props.serverNames ?? []) {
      check(SERVER_NAME.test(n), 'nginx.server.serverNames', n, 'a lowercase host name, a wildcard (*.example.com) or _');
      check(!names.has(n), 'nginx.server.serverNames', n, 'each name once');
      names.add(n);
    }
    const paths = new Set<string>();
    for (const loc of props.locations ?? []) {
      check(!paths.has(loc.key), 'nginx.server.locations', loc.key, 'each location once per server', 'nginx refuses a duplicate location');
      paths.add(loc.key);
    }
    if (props.comment !== undefined) renderNginxArg('nginx.server.comment', props.comment);
    this.listen = [...props.listen];
    this.serverNames = [...(props.serverNames ?? [])];
    this.locations = [...(props.locations ?? [])];
    this.directives = [...(props.directives ?? [])];
    this.comment = props.comment;
  }

  /** The server block's lines. */
  public render(): string[] {
    const body: string[] = this.listen.map((l) => l.render().render());
    if (this.serverNames.length) body.push(NginxDirective.of('server_name', ...this.serverNames).render());
    body.push(...this.directives.map((d) => d.render()));
    for (const loc of this.locations) body.push(...loc.render());
    return [...(this.comment ? [`# ${this.comment}`] : []), ...block('server', body)];
  }
}

/** Props of NginxMap. */
export interface NginxMapProps {
  /** The variable the map reads (`$http_upgrade`). */
  readonly source: string;
  /** The variable the map defines (`$connection_upgrade`). Must be unique in the whole nginx configuration. */
  readonly variable: string;
  /** Value when no entry matches (a literal without `$`, or an NginxVar). */
  readonly defaultValue: string | NginxVar;
  /**
   * Source value to result, in order (`['', 'close']` matches an empty source). Keys are literal strings: one that
   * starts with `~` (which nginx would read as a regular expression) is escaped with a leading backslash, so it still
   * matches the text itself. Results are literals without `$`, or NginxVars.
   * @default - none
   */
  readonly entries?: ReadonlyArray<readonly [string, string | NginxVar]>;
}

/**
 * A map key as nginx reads it literally: a leading `~` would make the key a regular expression, and a leading `\`
 * is stripped by nginx, so both get one more leading backslash.
 */
function mapKey(key: string): string {
  return key.startsWith('~') || key.startsWith('\\') ? `\\${key}` : key;
}

/** A `map` block defining a variable from another. */
export class NginxMap {
  /** The variable the map defines (`$name`). */
  public readonly variable: string;
  private readonly source: string;
  private readonly defaultValue: string | NginxVar;
  private readonly entries: ReadonlyArray<readonly [string, string | NginxVar]>;

  constructor(props: NginxMapProps) {
    this.source = assertNginxVariable('nginx.map.source', props.source);
    this.variable = assertNginxVariable('nginx.map.variable', props.variable);
    const keys = new Set<string>();
    for (const [k] of props.entries ?? []) {
      check(k !== 'default' && k !== 'hostnames' && k !== 'volatile' && k !== 'include', 'nginx.map.entries', k, 'a key other than the map keywords default, hostnames, volatile and include');
      check(!keys.has(k), 'nginx.map.entries', k, 'each key once');
      keys.add(k);
    }
    this.defaultValue = props.defaultValue;
    this.entries = [...(props.entries ?? [])];
    this.render();
  }

  /** The map block's lines. */
  public render(): string[] {
    const body = [
      `default ${renderNginxValue('nginx.map.defaultValue', this.defaultValue)};`,
      ...this.entries.map(([k, v]) => `${renderNginxArg('nginx.map.entries', mapKey(k))} ${renderNginxValue(`nginx.map.entries.${k}`, v)};`),
    ];
    return block(`map ${this.source} ${this.variable}`, body);
  }
}
