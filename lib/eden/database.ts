import { check, ConfigError } from '../core/errors';
import { ClaimOptions } from '../core/claims';
import { ExternalPeer } from '../core/endpoint';
import { assertDnsSubdomain } from '../core/names';
import { Resources } from '../core/resources';
import { assertSecretKey, SecretKey } from '../core/secrets';
import { ExternalPostgres, PostgresTls } from '../postgres';

/** The database the control plane keeps its leases in (lease mode), created by the in-cluster server's init scripts. */
export const EDEN_CONTROL_PLANE_DATABASE = 'eden_control_plane';

/** Keys of the in-cluster database's Secret (`EdenDatabase.inCluster({ secretName })`). */
export const EDEN_POSTGRES_KEYS = {
  /** The `eden` superuser's password (POSTGRES_PASSWORD: read once, when the data directory is initialized). */
  password: 'POSTGRES_PASSWORD',
  /** The task store's DSN: `postgresql://eden:<password>@<host>:5432/eden`. */
  storeUrl: 'EDEN_STORE_URL',
  /** The control plane role's password. */
  controlPlanePassword: 'CONTROL_PLANE_PASSWORD',
  /** The control plane's DSN: `postgresql://eden_control_plane:<password>@<host>:5432/eden_control_plane`. */
  controlPlaneUrl: 'EDEN_CONTROL_PLANE_STORE_URL',
} as const;

/** Options of `EdenDatabase.inCluster()`. */
export interface EdenInClusterDatabaseOptions {
  /**
   * The operator-created Secret with the passwords and DSNs (keys in EDEN_POSTGRES_KEYS). Never generated: a password
   * regenerated against the kept data claim locks every client out (the chart's incident).
   */
  readonly secretName: string;
  /**
   * The data claim.
   * @default - 10 GiB of the cluster's default StorageClass
   */
  readonly storage?: ClaimOptions;
  /**
   * The Postgres image, pinned.
   * @default POSTGRES_IMAGE
   */
  readonly image?: string;
  /**
   * Requests and limits of the server.
   * @default - PostgresServer's
   */
  readonly resources?: Resources;
}

/** Options of `EdenDatabase.external()`. */
export interface EdenExternalDatabaseOptions {
  /** The host the task store dials (a managed database's name, a PgBouncer). */
  readonly host: string;
  /**
   * The port.
   * @default 5432
   */
  readonly port?: number;
  /** The database the task store uses (created by the operator). */
  readonly database: string;
  /**
   * The Secret key holding the task store's URL-form DSN, with the TLS query in it (the notes print the form):
   * `postgresql://<user>:<password>@<host>:5432/<db>?sslmode=verify-full&sslrootcert=...`.
   */
  readonly url: SecretKey;
  /** TLS to the server: `PostgresTls.verifyFull(ca)` or `verifyCa(ca)`, with the provider's CA from a Secret. */
  readonly tls: PostgresTls;
  /**
   * Who answers at the host, for the NetworkPolicy egress rule (the database subnet).
   * @default - undeclared
   */
  readonly peer?: ExternalPeer;
}

/**
 * Where the task store keeps its events: an in-cluster PostgresServer whose init scripts create the `eden` and
 * `eden_control_plane` databases, or a managed server reached over verified TLS.
 */
export class EdenDatabase {
  /** PostgreSQL in the cluster (no TLS: the server serves none). */
  public static inCluster(options: EdenInClusterDatabaseOptions): EdenDatabase {
    check(options !== undefined && typeof options === 'object', 'database', options, '{ secretName, storage?, image?, resources? }');
    const o = options as EdenInClusterDatabaseOptions & { tls?: unknown };
    if (o.tls !== undefined) {
      throw new ConfigError('database.tls', o.tls instanceof PostgresTls ? o.tls.mode : o.tls, 'no TLS for the in-cluster database (TLS is for EdenDatabase.external({ tls }))',
        'the in-cluster server runs stock Postgres without server-side TLS, so a client asking for it never connects');
    }
    assertDnsSubdomain('database.secretName', options.secretName);
    return new EdenDatabase(options, undefined);
  }

  /** A managed PostgreSQL, verified against its CA (verify-ca or verify-full). */
  public static external(options: EdenExternalDatabaseOptions): EdenDatabase {
    check(options !== undefined && typeof options === 'object', 'database', options, '{ host, database, url, tls }');
    check(options.tls instanceof PostgresTls && (options.tls.mode === 'verify-full' || options.tls.mode === 'verify-ca'), 'database.tls',
      options.tls instanceof PostgresTls ? options.tls.mode : options.tls, 'PostgresTls.verifyFull(ca) or PostgresTls.verifyCa(ca) (a CA Secret)',
      'a managed database is reached over the network: an unverified connection can be intercepted');
    const url = assertSecretKey('database.url', options.url);
    const server = ExternalPostgres.of({
      host: options.host, port: options.port, database: options.database, login: { url }, tls: options.tls, peer: options.peer, description: 'EDEN Postgres',
    });
    return new EdenDatabase(undefined, server);
  }

  private constructor(
    /** The in-cluster options. */
    public readonly inClusterOptions: EdenInClusterDatabaseOptions | undefined,
    /** The external server. */
    public readonly external: ExternalPostgres | undefined,
  ) {}
}
