import { HostForm, IConnectionTarget } from '../core/endpoint';
import { assertEnvName } from '../core/env';
import { check } from '../core/errors';
import { assertSecretKey, SecretKey, secretKeyEnv } from '../core/secrets';
import { WaitFor } from '../core/waits';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';
import { assertInt } from '../core/validate';

/**
 * How clients authenticate: a password from an operator-created Secret (`requirepass`), or deliberately none, with the
 * reason recorded in the release notes (clients that read only a URL without credentials, such as Graphistry's images).
 */
export class ValkeyAuth {
  /** A password (the `default` user's `requirepass`) from a Secret key. Never generated: an operator creates it. */
  public static password(secret: SecretKey): ValkeyAuth {
    return new ValkeyAuth(assertSecretKey('auth.password', secret), undefined);
  }

  /**
   * No authentication: whoever reaches the port reads and writes every key. Only for clients that cannot send a
   * password; the reason is printed in the release notes.
   */
  public static none(options: { readonly reason: string }): ValkeyAuth {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'auth.none.reason', options?.reason, 'a non-empty reason why clients cannot authenticate');
    return new ValkeyAuth(undefined, options.reason.trim());
  }

  private constructor(
    /** The Secret key holding the password (undefined without authentication). */
    public readonly password: SecretKey | undefined,
    /** Why there is no authentication (undefined with a password). */
    public readonly noneReason: string | undefined,
  ) {}
}

/** The env names a client reads. */
export interface ValkeyEnvNames {
  /**
   * The URL of the primary (reads and writes), without credentials.
   * @default 'VALKEY_URL'
   */
  readonly url?: string;
  /**
   * The URL for reads: the read replicas' Service when there are replicas, else the primary, so it always names a
   * Service that exists. `false` leaves it out.
   * @default 'VALKEY_READ_URL'
   */
  readonly readUrl?: string | false;
  /**
   * The password, as a Secret key reference (only with `ValkeyAuth.password`). `false` leaves it out.
   * @default 'VALKEY_PASSWORD'
   */
  readonly password?: string | false;
}

/** How one client connects. */
export interface ValkeyConnectOptions {
  /**
   * The env names the client reads.
   * @default - VALKEY_URL, VALKEY_READ_URL and VALKEY_PASSWORD
   */
  readonly env?: ValkeyEnvNames;
  /**
   * The logical database (0-15), the URL's path.
   * @default - none in the URL (database 0)
   */
  readonly database?: number;
  /**
   * Add the init-container wait (a TCP connection to the primary), so the client starts once the server is ready.
   * @default true
   */
  readonly wait?: boolean;
  /**
   * The form of the host name clients get for a server the app renders.
   * @default HostForm.NAMESPACED
   */
  readonly hostForm?: HostForm;
  /**
   * What the connection is for (reports, notes).
   * @default - none
   */
  readonly purpose?: string;
}

/**
 * A Valkey or Redis server clients connect to, in the cluster (`ValkeyServer`) or outside it (`ExternalValkey`).
 * Products take this interface, so the operator chooses where the cache runs.
 */
export interface IValkey extends IConnectable {
  /** The primary (reads and writes), port `redis`. */
  readonly endpoint: IConnectionTarget;
  /** Where reads go: the read replicas, or the primary when there are none. */
  readonly readEndpoint: IConnectionTarget;
  /** How clients authenticate. */
  readonly auth: ValkeyAuth;
  /** Clients connect with TLS (`rediss://`). */
  readonly tls: boolean;
  /**
   * Wires `client`: the graph edges (primary, and read endpoint when it differs), the URLs from the connections, the
   * password as a Secret key reference (never inside the URL), the wait, and the external reference to the Secret.
   * Returns the connection to the primary.
   */
  connect(client: ClientBinding, options?: ValkeyConnectOptions): Connection;
}

/** @internal The one implementation of `IValkey.connect`. */
export function connectValkey(server: IValkey, client: ClientBinding, options: ValkeyConnectOptions, waitName: string): Connection {
  const names = { url: 'VALKEY_URL', readUrl: 'VALKEY_READ_URL', password: 'VALKEY_PASSWORD', ...(options.env ?? {}) } as Required<ValkeyEnvNames>;
  assertEnvName('env.url', names.url);
  if (names.readUrl !== false) assertEnvName('env.readUrl', names.readUrl);
  if (names.password !== false) assertEnvName('env.password', names.password);
  if (options.database !== undefined) assertInt('connect.database', options.database, { min: 0, max: 15 }, 'a database number 0-15');
  const form = options.hostForm ?? HostForm.NAMESPACED;
  const path = options.database !== undefined ? `/${options.database}` : undefined;
  const scheme = server.tls ? 'rediss' : 'redis';
  const c = client.connect(server.endpoint, 'redis', { purpose: options.purpose });
  client.setEnv(names.url, c.url(scheme, { path, form }), c.envHint());
  if (names.readUrl !== false) {
    const read = server.readEndpoint === server.endpoint ? c : client.connect(server.readEndpoint, 'redis', { purpose: options.purpose ? `${options.purpose} (reads)` : 'reads' });
    client.setEnv(names.readUrl, read.url(scheme, { path, form }), read.envHint());
  }
  const secret = server.auth.password;
  if (secret && names.password !== false) {
    client.setEnv(names.password, secretKeyEnv(secret), c.envHint()).addExternalRef({ kind: 'Secret', name: secret.name });
  }
  if (options.wait ?? true) client.addWait(WaitFor.tcp({ name: waitName, host: c.host(form), port: c.port.port }));
  return c;
}
