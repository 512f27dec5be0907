import { HostForm, IConnectionTarget } from '../core/endpoint';
import { EnvValue } from '../core/env';
import { check, ConfigError } from '../core/errors';
import { assertEnvName } from '../core/env';
import { deriveName } from '../core/names';
import { assertSecretKey, SecretKey, secretKeyEnv } from '../core/secrets';
import { WaitFor } from '../core/waits';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';

/** The port Postgres listens on unless told otherwise. */
export const POSTGRES_PORT = 5432;

/** Where a client container finds the CA bundle of a server verified with TLS (one directory per CA Secret). */
export const POSTGRES_CA_DIR = '/etc/postgres-ca';

const STRICT_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const LOOSE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$@.-]{0,62}$/;

/**
 * Throws unless `name` is an identifier the library renders into SQL without quoting surprises: lowercase letters,
 * digits and '_', starting with a letter or '_', at most 63 characters (Postgres truncates longer names silently).
 * @internal
 */
export function assertPgIdentifier(prop: string, name: string): string {
  check(typeof name === 'string' && STRICT_IDENTIFIER.test(name), prop, name, "a lowercase Postgres identifier: letters, digits and '_', starting with a letter or '_', at most 63 characters");
  return name;
}

/**
 * Throws unless `name` is a role or database name a managed server may use (`app@server` on some clouds).
 * @internal
 */
export function assertExternalPgName(prop: string, name: string): string {
  check(typeof name === 'string' && LOOSE_IDENTIFIER.test(name), prop, name, "a Postgres name: letters, digits, '_', '$', '@', '.' and '-', starting with a letter or '_', at most 63 characters");
  return name;
}

/**
 * Who a client logs in as: a role name and the operator-created Secret key holding its password, and optionally a
 * Secret key holding a whole URL-form DSN (`postgresql://user:password@host:5432/db?sslmode=...`) for clients that
 * read only a URL. A credential never appears in a rendered literal.
 */
export interface PostgresLogin {
  /**
   * The role name.
   * @default - none: the login is known only through `url`
   */
  readonly user?: string;
  /**
   * The Secret key holding the role's password.
   * @default - none: the login is known only through `url`
   */
  readonly password?: SecretKey;
  /**
   * The Secret key holding a URL-form DSN with the credentials in it, for `PostgresEnv.url()`.
   * @default - none: `PostgresEnv.url()` is refused for this login
   */
  readonly url?: SecretKey;
}

/**
 * Validates a login: a user with a password, or a URL Secret key, or both.
 * @internal
 */
export function assertLogin(prop: string, login: PostgresLogin | undefined, strict: boolean): PostgresLogin {
  check(login !== undefined && login !== null && typeof login === 'object', prop, login, '{ user, password } and/or { url }: Secret keys an operator creates');
  const hasUser = login.user !== undefined;
  const hasPassword = login.password !== undefined;
  check(hasUser === hasPassword, hasUser ? `${prop}.password` : `${prop}.user`, hasUser ? login.password : login.user,
    hasUser ? 'the Secret key holding the password of the user' : 'the role name the password belongs to',
    'a user and its password come together; credentials are never defaulted');
  check(hasUser || login.url !== undefined, `${prop}.url`, login.url, 'a Secret key holding a URL-form DSN, or a user and password');
  if (hasUser) (strict ? assertPgIdentifier : assertExternalPgName)(`${prop}.user`, login.user!);
  const password = hasPassword ? assertSecretKey(`${prop}.password`, login.password) : undefined;
  const url = login.url !== undefined ? assertSecretKey(`${prop}.url`, login.url) : undefined;
  return { user: login.user, password, url };
}

/** The libpq `sslmode` a client uses, and the CA it verifies the server against. */
export class PostgresTls {
  /** No TLS (`sslmode=disable`): for a server reached over a secure transport already, such as the Cloud SQL Auth Proxy. */
  public static disable(): PostgresTls {
    return new PostgresTls('disable', undefined);
  }

  /** Encrypt, but do not verify the server (`sslmode=require`): protects against sniffing, not against impersonation. */
  public static require(): PostgresTls {
    return new PostgresTls('require', undefined);
  }

  /** Encrypt and verify the server's certificate chain against `ca` (`sslmode=verify-ca`), not its host name. */
  public static verifyCa(ca: SecretKey): PostgresTls {
    return new PostgresTls('verify-ca', assertSecretKey('tls.ca', ca));
  }

  /**
   * Encrypt and verify the chain against `ca` and that the certificate names the host clients dial
   * (`sslmode=verify-full`): the mode a managed database should use.
   */
  public static verifyFull(ca: SecretKey): PostgresTls {
    return new PostgresTls('verify-full', assertSecretKey('tls.ca', ca));
  }

  private constructor(
    /** The libpq sslmode. */
    public readonly mode: 'disable' | 'require' | 'verify-ca' | 'verify-full',
    /** The Secret key holding the CA bundle (PEM), for the verifying modes. */
    public readonly ca: SecretKey | undefined,
  ) {}

  /** Where a client container reads the CA bundle (verifying modes only). */
  public get caPath(): string | undefined {
    return this.ca ? `${POSTGRES_CA_DIR}/${this.ca.name}/ca.crt` : undefined;
  }

  /** The query a URL-form DSN carries for this mode (`sslmode=verify-full&sslrootcert=/etc/postgres-ca/x/ca.crt`). */
  public get urlQuery(): string {
    return this.caPath ? `sslmode=${this.mode}&sslrootcert=${this.caPath}` : `sslmode=${this.mode}`;
  }
}

/** Env names of a client that reads the connection as separate variables. */
export interface PostgresEnvNames {
  /** The host. */
  readonly host: string;
  /**
   * The port.
   * @default - not set
   */
  readonly port?: string;
  /**
   * The database.
   * @default - not set
   */
  readonly database?: string;
  /**
   * The role name.
   * @default - not set
   */
  readonly user?: string;
  /**
   * The password (a Secret key reference).
   * @default - not set
   */
  readonly password?: string;
  /**
   * The libpq sslmode (set only when the connection has a TLS mode).
   * @default - not set
   */
  readonly sslMode?: string;
  /**
   * The path of the CA bundle (set only for the verifying TLS modes).
   * @default - not set
   */
  readonly sslRootCert?: string;
}

/** What the connection looks like to one client: which env variables it reads. */
export class PostgresEnv {
  /**
   * The libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, and PGSSLMODE / PGSSLROOTCERT with TLS), which
   * psql, psycopg, libpq and most drivers read without configuration.
   * @see https://www.postgresql.org/docs/current/libpq-envars.html
   */
  public static libpq(): PostgresEnv {
    return new PostgresEnv({
      host: 'PGHOST', port: 'PGPORT', database: 'PGDATABASE', user: 'PGUSER', password: 'PGPASSWORD', sslMode: 'PGSSLMODE', sslRootCert: 'PGSSLROOTCERT',
    }, undefined);
  }

  /** The same values under the names a client reads (`POSTGRES_HOST`, ...); only the names given are set. */
  public static named(names: PostgresEnvNames): PostgresEnv {
    const seen = new Set<string>();
    for (const [k, v] of Object.entries(names)) {
      if (v === undefined) continue;
      assertEnvName(`env.${k}`, v);
      check(!seen.has(v), `env.${k}`, v, 'a name not used for another value');
      seen.add(v);
    }
    check(names.host !== undefined, 'env.host', names.host, 'the env name of the host');
    return new PostgresEnv({ ...names }, undefined);
  }

  /**
   * The whole DSN under one name (`DATABASE_URL`), read from the login's `url` Secret key: for clients that take only
   * a URL. The credentials are in the Secret, never in a rendered literal.
   */
  public static url(name = 'DATABASE_URL'): PostgresEnv {
    assertEnvName('env.url', name);
    return new PostgresEnv(undefined, name);
  }

  private constructor(
    private readonly names: PostgresEnvNames | undefined,
    private readonly urlName: string | undefined,
  ) {}

  /** @internal */
  public _apply(client: ClientBinding, c: Connection, s: PostgresSettingsForClient): void {
    const hint = c.envHint();
    if (this.urlName !== undefined) {
      if (!s.login.url) {
        throw new ConfigError(
          'login.url',
          s.login.url,
          `{ name, key } of a Secret holding the DSN, for example postgresql://${s.login.user ?? '<user>'}:<password>@${s.host}:${s.port}/${s.database}${s.tls ? `?${s.tls.urlQuery}` : ''}`,
          `PostgresEnv.url('${this.urlName}') reads the whole DSN from a Secret, and this login has none`,
        );
      }
      client.setEnv(this.urlName, secretKeyEnv(s.login.url), hint).addExternalRef({ kind: 'Secret', name: s.login.url.name });
    }
    const n = this.names;
    if (n === undefined) return;
    if (!s.login.user || !s.login.password) {
      throw new ConfigError('login.user', s.login.user, 'a login with a user and a password Secret key',
        'the client reads the connection as separate variables, and this login is known only by its URL; use PostgresEnv.url()');
    }
    const values: Array<[string | undefined, EnvValue]> = [
      [n.host, s.host],
      [n.port, String(s.port)],
      [n.database, s.database],
      [n.user, s.login.user],
      [n.password, secretKeyEnv(s.login.password)],
    ];
    if (s.tls) {
      values.push([n.sslMode, s.tls.mode]);
      if (s.tls.caPath) values.push([n.sslRootCert, s.tls.caPath]);
    }
    for (const [name, v] of values) if (name !== undefined) client.setEnv(name, v, hint);
    client.addExternalRef({ kind: 'Secret', name: s.login.password.name });
  }
}

/** @internal What a client's env is rendered from. */
export interface PostgresSettingsForClient {
  /** The server host. */
  readonly host: string;
  /** The port the server listens on. */
  readonly port: number;
  /** The database. */
  readonly database: string;
  /** The role and its password Secret. */
  readonly login: PostgresLogin;
  /** TLS of the connection. */
  readonly tls: PostgresTls | undefined;
}

/** How one client connects. */
export interface PostgresConnectOptions {
  /**
   * The database to connect to.
   * @default - the server's default database
   */
  readonly database?: string;
  /**
   * Who to log in as (a role of the server, or another login of a managed server).
   * @default - the server's default login
   */
  readonly login?: PostgresLogin;
  /**
   * The env the client reads. Several are allowed (libpq variables and a DSN), as long as their names differ.
   * @default [PostgresEnv.libpq()]
   */
  readonly env?: readonly PostgresEnv[];
  /**
   * Add the `pg_isready` init-container wait, so the client starts once the server accepts connections.
   * @default true
   */
  readonly wait?: boolean;
  /**
   * The form of the host name clients get for a server the app renders.
   * @default HostForm.NAMESPACED (`<service>.<namespace>.svc`, resolvable from every namespace)
   */
  readonly hostForm?: HostForm;
  /**
   * What the connection is for (reports, notes).
   * @default - none
   */
  readonly purpose?: string;
}

/**
 * A Postgres server clients connect to, in the cluster (`PostgresServer`) or outside it (`ExternalPostgres`). Products
 * take this interface, so the operator chooses where the database runs.
 */
export interface IPostgres extends IConnectable {
  /** Where clients connect (port `postgres`). */
  readonly endpoint: IConnectionTarget;
  /** The database clients use unless they name another. */
  readonly database: string;
  /** The login clients use unless they name another. */
  readonly login: PostgresLogin;
  /** The TLS mode clients use (undefined: the libpq default, for a server without TLS). */
  readonly tls: PostgresTls | undefined;
  /**
   * Wires `client`: the graph edge to port `postgres`, the env the client reads (URLs and names from the connection,
   * the password as a Secret key reference), the `pg_isready` wait, the CA bundle mount for TLS, and the external
   * references to the Secrets. Returns the connection.
   */
  connect(client: ClientBinding, options?: PostgresConnectOptions): Connection;
}

/** @internal The one implementation of `IPostgres.connect`, shared by the in-cluster and the external server. */
export function connectPostgres(
  server: IPostgres,
  client: ClientBinding,
  options: PostgresConnectOptions,
  validate: (database: string, login: PostgresLogin) => void,
): Connection {
  const database = options.database ?? server.database;
  const login = options.login ?? server.login;
  validate(database, login);
  const c = client.connect(server.endpoint, 'postgres', { purpose: options.purpose });
  const host = c.host(options.hostForm ?? HostForm.NAMESPACED);
  const port = c.port.port;
  const envs = options.env ?? [PostgresEnv.libpq()];
  const settings: PostgresSettingsForClient = { host, port, database, login, tls: server.tls };
  for (const e of envs) e._apply(client, c, settings);
  const tls = server.tls;
  if (tls?.ca) {
    client.mountSecret({
      volume: deriveName(['postgres-ca', tls.ca.name]),
      secretName: tls.ca.name,
      mountPath: `${POSTGRES_CA_DIR}/${tls.ca.name}`,
      items: [{ key: tls.ca.key, path: 'ca.crt' }],
    });
  }
  if (options.wait ?? true) {
    client.addWait(WaitFor.postgres({ host, port, user: login.user, database }));
  }
  return c;
}
