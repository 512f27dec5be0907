import { ExternalEndpoint, ExternalPeer } from '../core/endpoint';
import { check } from '../core/errors';
import { ClientBinding, Connection } from '../core/wiring';
import { assertExternalPgName, assertLogin, connectPostgres, IPostgres, POSTGRES_PORT, PostgresConnectOptions, PostgresLogin, PostgresTls } from './client';

/** Props of a Postgres server outside the app. */
export interface ExternalPostgresOptions {
  /**
   * The host clients dial, exactly as they are given it: a managed database's name (`pg.corp.example`), the Service of a
   * database operator in another namespace (`app-rw.databases.svc`), or a PgBouncer / RDS Proxy in front of it.
   */
  readonly host: string;
  /**
   * The port.
   * @default 5432
   */
  readonly port?: number;
  /** The database clients use unless they name another. */
  readonly database: string;
  /**
   * The login clients use unless they name another: a user with the Secret key of its password, and/or a Secret key
   * holding the whole URL-form DSN.
   */
  readonly login: PostgresLogin;
  /**
   * TLS between clients and the server: `PostgresTls.verifyFull(ca)` for a managed database, `disable()` only behind a
   * secure transport such as the Cloud SQL Auth Proxy. There is no default: the safe mode needs the provider's CA.
   */
  readonly tls: PostgresTls;
  /**
   * Who answers at the host, for NetworkPolicy egress rules (the database subnet, or a namespace and labels).
   * @default - undeclared
   */
  readonly peer?: ExternalPeer;
  /**
   * What it is, in notes and reports.
   * @default 'external Postgres'
   */
  readonly description?: string;
}

/**
 * A Postgres server the app does not render: a managed database (RDS, Cloud SQL, Azure), a database operator's
 * cluster, a PgBouncer. Clients connect to it exactly as to a `PostgresServer`, with the TLS mode and CA bundle
 * applied to every client, and the connection recorded in the wiring graph as an external endpoint.
 */
export class ExternalPostgres implements IPostgres {
  /** Declares an external server. */
  public static of(props: ExternalPostgresOptions): ExternalPostgres {
    const port = props.port ?? POSTGRES_PORT;
    const endpoint = ExternalEndpoint.of({
      host: props.host,
      ports: [{ name: 'postgres', port }],
      peer: props.peer,
      description: props.description ?? 'external Postgres',
    });
    const database = assertExternalPgName('database', props.database);
    const login = assertLogin('login', props.login, false);
    check(props.tls instanceof PostgresTls, 'tls', props.tls, 'PostgresTls.verifyFull(ca), verifyCa(ca), require() or disable()',
      'an external server needs an explicit TLS mode: verify-full with the provider CA is the safe one');
    return new ExternalPostgres(endpoint, database, login, props.tls);
  }

  private constructor(
    /** Where clients connect (port `postgres`). */
    public readonly endpoint: ExternalEndpoint,
    /** The default database. */
    public readonly database: string,
    /** The default login. */
    public readonly login: PostgresLogin,
    /** The TLS mode and CA every client uses. */
    public readonly tls: PostgresTls,
  ) {}

  /** Wires `client` to the server (see `IPostgres.connect`); any database and login of the server may be named. */
  public connect(client: ClientBinding, options: PostgresConnectOptions = {}): Connection {
    return connectPostgres(this, client, options, (database, login) => {
      if (options.database !== undefined) assertExternalPgName('connect.database', database);
      if (options.login !== undefined) assertLogin('connect.login', login, false);
    });
  }
}
