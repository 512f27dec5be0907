import { ExternalEndpoint, ExternalPeer, HostForm, IConnectionTarget } from '../core/endpoint';
import { assertEnvName } from '../core/env';
import { check } from '../core/errors';
import { assertSecretKey, SecretKey, secretKeyEnv } from '../core/secrets';
import { parseServerUrl } from '../core/validate';
import { WaitFor } from '../core/waits';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';

/** Qdrant's REST port. */
export const QDRANT_HTTP_PORT = 6333;
/** Qdrant's gRPC port. */
export const QDRANT_GRPC_PORT = 6334;
/** The port the servers of a cluster talk Raft and move shards on. */
export const QDRANT_P2P_PORT = 6335;

/**
 * How clients authenticate to Qdrant: an API key from an operator-created Secret (and optionally a read-only key), or
 * deliberately none, with the reason in the release notes.
 * @see https://qdrant.tech/documentation/guides/security/
 */
export class QdrantAuth {
  /** An API key (`service.api_key`) from a Secret key, and optionally a read-only key (`service.read_only_api_key`). */
  public static apiKey(key: SecretKey, options: { readonly readOnly?: SecretKey } = {}): QdrantAuth {
    const k = assertSecretKey('auth.apiKey', key);
    const ro = options.readOnly !== undefined ? assertSecretKey('auth.readOnly', options.readOnly) : undefined;
    if (ro) check(ro.name !== k.name || ro.key !== k.key, 'auth.readOnly', ro, 'a Secret key other than the API key');
    return new QdrantAuth(k, ro, undefined);
  }

  /** No API key: whoever reaches the ports reads and writes every collection. The reason is printed in the notes. */
  public static none(options: { readonly reason: string }): QdrantAuth {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'auth.none.reason', options?.reason, 'a non-empty reason why clients cannot send an API key');
    return new QdrantAuth(undefined, undefined, options.reason.trim());
  }

  private constructor(
    /** The API key (undefined without authentication). */
    public readonly apiKey: SecretKey | undefined,
    /** The read-only API key, when there is one. */
    public readonly readOnlyApiKey: SecretKey | undefined,
    /** Why there is no API key. */
    public readonly noneReason: string | undefined,
  ) {}
}

/** How one client connects. */
export interface QdrantConnectOptions {
  /**
   * Which API the client speaks: gRPC (6334, what most clients prefer) or REST (6333).
   * @default 'grpc'
   */
  readonly protocol?: 'grpc' | 'http';
  /**
   * The client gets the read-only API key instead of the full one (the server must have one).
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Env names.
   * @default - QDRANT_URL and QDRANT_API_KEY
   */
  readonly env?: { readonly url?: string; readonly apiKey?: string };
  /**
   * Add the init-container wait (a TCP connection to the port).
   * @default true
   */
  readonly wait?: boolean;
  /**
   * The form of the host name in the URL.
   * @default HostForm.NAMESPACED
   */
  readonly hostForm?: HostForm;
  /**
   * What the connection is for.
   * @default - none
   */
  readonly purpose?: string;
}

/** A Qdrant clients connect to, in the cluster (`QdrantServer`) or outside it (`ExternalQdrant`). */
export interface IQdrant extends IConnectable {
  /** Where clients connect (ports `http` and `grpc`). */
  readonly endpoint: IConnectionTarget;
  /** How clients authenticate. */
  readonly auth: QdrantAuth;
  /** The URL scheme (`https` for a server with TLS). */
  readonly scheme: 'http' | 'https';
  /**
   * Wires `client`: QDRANT_URL (gRPC by default) from the connection, QDRANT_API_KEY as a Secret key reference, the TCP
   * wait, the graph edge. Returns the connection.
   */
  connect(client: ClientBinding, options?: QdrantConnectOptions): Connection;
}

/** @internal The one implementation of `IQdrant.connect`. */
export function connectQdrant(server: IQdrant, client: ClientBinding, options: QdrantConnectOptions, waitName: string): Connection {
  const protocol = options.protocol ?? 'grpc';
  check(protocol === 'grpc' || protocol === 'http', 'connect.protocol', protocol, "'grpc' or 'http'");
  const names = { url: 'QDRANT_URL', apiKey: 'QDRANT_API_KEY', ...(options.env ?? {}) };
  assertEnvName('env.url', names.url);
  assertEnvName('env.apiKey', names.apiKey);
  const form = options.hostForm ?? HostForm.NAMESPACED;
  const c = client.connect(server.endpoint, protocol, { purpose: options.purpose });
  // gRPC runs over HTTP/2: the URL scheme is http (or https), the port says which API.
  client.setEnv(names.url, c.url(server.scheme, { form }), c.envHint());
  const key = options.readOnly ? server.auth.readOnlyApiKey : server.auth.apiKey;
  if (options.readOnly) check(key !== undefined, 'connect.readOnly', true, 'false, or a server with QdrantAuth.apiKey(key, { readOnly })', 'the server has no read-only API key');
  if (key) client.setEnv(names.apiKey, secretKeyEnv(key), c.envHint()).addExternalRef({ kind: 'Secret', name: key.name });
  if (options.wait ?? true) client.addWait(WaitFor.tcp({ name: waitName, host: c.host(form), port: c.port.port }));
  return c;
}

/** Options of a Qdrant outside the app. */
export interface ExternalQdrantOptions {
  /**
   * The server, without credentials: `https://xyz.eu-central.aws.cloud.qdrant.io` (Qdrant Cloud) or
   * `http://qdrant.search.svc`. Its REST and gRPC ports follow.
   */
  readonly url: string;
  /**
   * The REST port.
   * @default 6333
   */
  readonly httpPort?: number;
  /**
   * The gRPC port.
   * @default 6334
   */
  readonly grpcPort?: number;
  /** How clients authenticate. */
  readonly auth: QdrantAuth;
  /**
   * Who answers at the host, for NetworkPolicy egress rules.
   * @default - undeclared
   */
  readonly peer?: ExternalPeer;
}

/** A Qdrant the app does not render (Qdrant Cloud, a shared cluster). */
export class ExternalQdrant implements IQdrant {
  /** Declares an external Qdrant. */
  public static of(options: ExternalQdrantOptions): ExternalQdrant {
    const u = parseServerUrl('url', options.url, {
      schemes: ['http', 'https'],
      schemesAllowed: 'an http:// or https:// URL',
      example: 'a URL such as https://xyz.cloud.qdrant.io',
      credentialsFix: 'the API key belongs in auth: QdrantAuth.apiKey({ name, key })',
      port: false,
      onlyFix: 'the ports are httpPort and grpcPort',
    });
    check(options.auth instanceof QdrantAuth, 'auth', options.auth, 'QdrantAuth.apiKey({ name, key }) or QdrantAuth.none({ reason })', 'credentials are never generated or defaulted');
    const endpoint = ExternalEndpoint.of({
      host: u.host,
      ports: [{ name: 'http', port: options.httpPort ?? QDRANT_HTTP_PORT }, { name: 'grpc', port: options.grpcPort ?? QDRANT_GRPC_PORT }],
      peer: options.peer,
      description: 'external Qdrant',
    });
    return new ExternalQdrant(endpoint, options.auth, u.scheme === 'https' ? 'https' : 'http');
  }

  private constructor(
    /** The endpoint (ports `http` and `grpc`). */
    public readonly endpoint: ExternalEndpoint,
    public readonly auth: QdrantAuth,
    public readonly scheme: 'http' | 'https',
  ) {}

  /** Wires `client` to the server (see `IQdrant.connect`). */
  public connect(client: ClientBinding, options: QdrantConnectOptions = {}): Connection {
    return connectQdrant(this, client, options, 'qdrant');
  }
}
