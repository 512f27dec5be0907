import { ExternalEndpoint, ExternalPeer } from '../core/endpoint';
import { check } from '../core/errors';
import { parseServerUrl } from '../core/validate';
import { ClientBinding, Connection } from '../core/wiring';
import { connectValkey, IValkey, ValkeyAuth, ValkeyConnectOptions } from './client';
import { VALKEY_PORT } from './config';

/** Props of a Valkey or Redis server outside the app. */
export interface ExternalValkeyOptions {
  /**
   * Where the primary is, as a URL without credentials: `redis://cache.corp.example:6379` or, with TLS,
   * `rediss://master.cache.example.com:6380` (a managed service's primary endpoint).
   */
  readonly url: string;
  /**
   * Where reads go (a managed service's reader endpoint), in the same form.
   * @default - the primary
   */
  readonly readUrl?: string;
  /** How clients authenticate: a password from a Secret, or none with a reason. */
  readonly auth: ValkeyAuth;
  /**
   * Who answers at the host, for NetworkPolicy egress rules.
   * @default - undeclared
   */
  readonly peer?: ExternalPeer;
  /**
   * What it is, in notes and reports.
   * @default 'external Valkey'
   */
  readonly description?: string;
}

function parse(prop: string, url: string): { host: string; port: number; tls: boolean } {
  const u = parseServerUrl(prop, url, {
    schemes: ['redis', 'rediss'],
    schemesAllowed: 'a redis:// or rediss:// (TLS) URL',
    example: 'a URL such as redis://cache.corp.example:6379 or rediss://cache.corp.example:6380',
    credentialsFix: 'credentials in a rendered URL end up in Git and in every pod spec; give the password as auth: ValkeyAuth.password({ name, key })',
    onlyFix: 'the database is a connect option',
  });
  return { host: u.host, port: u.port ?? VALKEY_PORT, tls: u.scheme === 'rediss' };
}

/**
 * A Valkey or Redis server the app does not render (ElastiCache, Memorystore, a shared cache): clients connect to it
 * exactly as to a `ValkeyServer`, and the connections are recorded as external endpoints.
 */
export class ExternalValkey implements IValkey {
  /** Declares an external server. */
  public static of(options: ExternalValkeyOptions): ExternalValkey {
    const primary = parse('url', options.url);
    check(options.auth instanceof ValkeyAuth, 'auth', options.auth, "ValkeyAuth.password({ name, key }) of an operator-created Secret, or ValkeyAuth.none({ reason })", 'credentials are never generated or defaulted');
    const description = options.description ?? 'external Valkey';
    const endpoint = ExternalEndpoint.of({ host: primary.host, ports: [{ name: 'redis', port: primary.port }], peer: options.peer, description });
    let readEndpoint = endpoint;
    if (options.readUrl !== undefined) {
      const read = parse('readUrl', options.readUrl);
      check(read.tls === primary.tls, 'readUrl', options.readUrl, `a ${primary.tls ? 'rediss' : 'redis'}:// URL like url`, 'clients use one TLS setting for both');
      readEndpoint = ExternalEndpoint.of({ host: read.host, ports: [{ name: 'redis', port: read.port }], peer: options.peer, description: `${description} (reads)` });
    }
    return new ExternalValkey(endpoint, readEndpoint, options.auth, primary.tls);
  }

  private constructor(
    /** The primary endpoint. */
    public readonly endpoint: ExternalEndpoint,
    /** The read endpoint (the primary when none was given). */
    public readonly readEndpoint: ExternalEndpoint,
    public readonly auth: ValkeyAuth,
    /** Clients connect with TLS (`rediss://`). */
    public readonly tls: boolean,
  ) {}

  /** Wires `client` to the server (see `IValkey.connect`). */
  public connect(client: ClientBinding, options: ValkeyConnectOptions = {}): Connection {
    return connectValkey(this, client, options, 'valkey');
  }
}
