import { ExternalEndpoint, ExternalPeer, HostForm, IConnectionTarget } from '../core/endpoint';
import { namespaceOf } from '../core/workload';
import { check } from '../core/errors';
import { EnvSource, EnvValue } from '../core/env';
import { assertDnsLabel, assertDnsSubdomain } from '../core/names';
import { ExternalRef } from '../core/policy';
import { InitWait, WaitFor } from '../core/waits';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';
import { assertPort } from '../core/validate';
import { secretKeyEnv } from '../core/secrets';
import { IPostgres, PostgresEnv, PostgresLogin } from '../postgres/client';

/** A key in an existing Secret. */
export interface SecretKeyRef {
  /** Name of the Secret (created by an operator or a secret manager, never by this library). */
  readonly name: string;
  /** Key inside the Secret. */
  readonly key: string;
}

/** Props of `Postgres.external`. */
export interface ExternalPostgresProps {
  /** Host name of the server (`pg.corp.example`, `graphistry-primary.db.svc`). */
  readonly host: string;
  /**
   * Port the server (or the PgBouncer / RDS Proxy in front of it) listens on.
   * @default 5432
   */
  readonly port?: number;
  /** Database name. */
  readonly database: string;
  /** User name. */
  readonly user: string;
  /** Where the password is: a key in an existing Secret. */
  readonly passwordSecret: SecretKeyRef;
  /**
   * Who answers at `host`, for the NetworkPolicy egress rule of every client: the database's pods
   * (`ExternalPeer.pods({ namespace, selector, ports })`, for a Crunchy PGO cluster in another namespace
   * `{ 'postgres-operator.crunchydata.com/cluster': '<cluster>', 'postgres-operator.crunchydata.com/role': 'master' }`)
   * or its addresses (`ExternalPeer.cidr({ cidrs, reason })`, a managed database).
   * @default - undeclared: synth fails while the release renders NetworkPolicies
   */
  readonly peer?: ExternalPeer;
}

/** Props of `Postgres.crunchy`. */
export interface CrunchyPostgresProps {
  /** Name of the Crunchy PGO `PostgresCluster` (its primary Service is `<cluster>-primary`). */
  readonly cluster: string;
  /** The PGO user whose Secret `<cluster>-pguser-<user>` holds host, port, dbname, user and password. */
  readonly user: string;
  /**
   * Port the init-container wait probes (the connection env itself comes from the Secret).
   * @default 5432
   */
  readonly port?: number;
}

/** Props of `Postgres.server`. */
export interface ServerPostgresProps {
  /**
   * The database Graphistry uses (`PostgresServer.addDatabase`, owned by `login`'s role so nexus' migrations can
   * create its tables).
   * @default - the server's default database
   */
  readonly database?: string;
  /**
   * The role Graphistry logs in as (`PostgresServer.addRole`): a user and its password Secret key. Required: the
   * superuser is never handed to an application by default.
   */
  readonly login: PostgresLogin;
}

/**
 * The env names Graphistry's images read the connection from, as a data-services client env.
 * @internal
 */
export const GRAPHISTRY_POSTGRES_ENV = PostgresEnv.named({
  host: 'POSTGRES_HOST',
  port: 'POSTGRES_PORT',
  database: 'POSTGRES_DB',
  user: 'POSTGRES_USER',
  password: 'POSTGRES_PASSWORD',
});

/** A data-services Postgres (lib/postgres) and how Graphistry logs in to it. */
interface ServerDelegate {
  readonly server: IPostgres;
  readonly database: string;
  readonly login: PostgresLogin;
}

/** How a client container is wired to Postgres. */
export interface PostgresClientOptions {
  /**
   * Set the connection env (POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD), owned by the
   * connection.
   * @default true
   */
  readonly env?: boolean;
  /**
   * Wait in an init container until `pg_isready` answers on the same host and port.
   * @default true
   */
  readonly wait?: boolean;
}

/**
 * How Graphistry's services reach Postgres. The connection env (POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB,
 * POSTGRES_USER, POSTGRES_PASSWORD) and the `pg_isready` init wait both come from here, so they cannot disagree.
 * The password is always read from a Secret; there is no default credential.
 */
export class Postgres implements IConnectable {
  /** A server outside the release: managed Postgres, RDS, a PgBouncer, or a cluster another team runs. */
  public static external(props: ExternalPostgresProps): Postgres {
    assertDnsSubdomain('postgres.host', props.host);
    const port = props.port ?? 5432;
    assertPort('postgres.port', port);
    check(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(props.database), 'postgres.database', props.database, 'a Postgres identifier of at most 63 characters');
    check(/^[A-Za-z_][A-Za-z0-9_$@.-]{0,62}$/.test(props.user), 'postgres.user', props.user, 'a Postgres role name of at most 63 characters');
    assertDnsSubdomain('postgres.passwordSecret.name', props.passwordSecret.name);
    check(/^[-._a-zA-Z0-9]+$/.test(props.passwordSecret.key), 'postgres.passwordSecret.key', props.passwordSecret.key, "a Secret key: letters, digits, '-', '_' and '.'");
    return new Postgres(
      ExternalEndpoint.of({ host: props.host, ports: [{ name: 'postgres', port }], description: 'Postgres', peer: props.peer, peerProp: 'postgres.peer' }),
      {
        POSTGRES_HOST: props.host,
        POSTGRES_PORT: String(port),
        POSTGRES_DB: props.database,
        POSTGRES_USER: props.user,
        POSTGRES_PASSWORD: EnvSource.secret(props.passwordSecret.name, props.passwordSecret.key),
      },
      props.passwordSecret.name,
      { user: props.user, database: props.database },
    );
  }

  /**
   * A Postgres of the data-services component: a `PostgresServer` the app renders (typically its own release, for
   * example in another namespace: the wiring graph then orders the releases' Argo CD sync waves and the default-deny
   * NetworkPolicies of both namespaces admit exactly Graphistry's clients), or an `ExternalPostgres`. Every client
   * gets POSTGRES_HOST (`<service>.<namespace>.svc`), POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD
   * (a Secret key reference: the Secret must exist in Graphistry's namespace) and the `pg_isready` wait, through the
   * server's own `connect`, which checks that the database exists and the role may connect to it.
   */
  public static server(server: IPostgres, props: ServerPostgresProps): Postgres {
    check(server !== undefined && server !== null && typeof (server as IPostgres).connect === 'function' && (server as IPostgres).endpoint !== undefined,
      'postgres.server', server, 'a PostgresServer or ExternalPostgres (lib/postgres)');
    check(props?.login?.user !== undefined && props.login.password !== undefined, 'postgres.login', props?.login,
      'a role with a user and a password Secret key (PostgresServer.addRole): Graphistry reads POSTGRES_USER and POSTGRES_PASSWORD', 'credentials are never defaulted');
    const database = props.database ?? server.database;
    const delegate: ServerDelegate = { server, database, login: props.login };
    const host = server.endpoint.hostFor(HostForm.NAMESPACED, undefined);
    const port = server.endpoint.port('postgres', 'postgres.server').port;
    return new Postgres(
      server.endpoint,
      {
        POSTGRES_HOST: host,
        POSTGRES_PORT: String(port),
        POSTGRES_DB: database,
        POSTGRES_USER: props.login.user!,
        POSTGRES_PASSWORD: secretKeyEnv(props.login.password!),
      },
      props.login.password!.name,
      { user: props.login.user, database },
      undefined,
      undefined,
      delegate,
    );
  }

  /**
   * A Crunchy PGO cluster in the same namespace: every connection value is read from the user Secret PGO maintains
   * (`<cluster>-pguser-<user>`), so a password rotation by PGO needs no change here.
   */
  public static crunchy(props: CrunchyPostgresProps): Postgres {
    assertDnsLabel('postgres.cluster', props.cluster, 63 - '-primary'.length);
    assertDnsLabel('postgres.user', props.user);
    const port = props.port ?? 5432;
    assertPort('postgres.port', port);
    const secret = `${props.cluster}-pguser-${props.user}`;
    assertDnsSubdomain('postgres.secret', secret);
    return new Postgres(
      // PGO names the primary's Service `<cluster>-primary` in the cluster's namespace (this release's).
      ExternalEndpoint.of({ host: `${props.cluster}-primary`, ports: [{ name: 'postgres', port }], description: `Crunchy PGO cluster ${props.cluster} primary` }),
      {
        POSTGRES_HOST: EnvSource.secret(secret, 'host'),
        POSTGRES_PORT: EnvSource.secret(secret, 'port'),
        POSTGRES_DB: EnvSource.secret(secret, 'dbname'),
        POSTGRES_USER: EnvSource.secret(secret, 'user'),
        POSTGRES_PASSWORD: EnvSource.secret(secret, 'password'),
      },
      secret,
      {},
      `${props.cluster}-primary`,
      // PGO labels the primary's pod with its cluster and role `master` (the Service's endpoints follow it).
      { 'postgres-operator.crunchydata.com/cluster': props.cluster, 'postgres-operator.crunchydata.com/role': 'master' },
    );
  }

  private constructor(
    /** The server's address: what clients and the init wait dial, and what the wiring graph records. */
    public readonly endpoint: IConnectionTarget,
    private readonly envMap: Readonly<Record<string, EnvValue>>,
    /** The Secret holding the password (and, for PGO, everything else). */
    public readonly secretName: string,
    private readonly waitIdentity: { user?: string; database?: string },
    /** A Service in the release namespace that another release (PGO) creates, which the wait resolves. */
    private readonly namespaceService?: string,
    /** Labels of the server's pods in the client's namespace (PGO), for the NetworkPolicy peer. */
    private readonly namespacePods?: Readonly<Record<string, string>>,
    /** The data-services server clients connect through (`Postgres.server`). */
    private readonly delegate?: ServerDelegate,
  ) {}

  private readonly byNamespace = new Map<string, ExternalEndpoint>();

  /**
   * The endpoint a client in `namespace` connects to: for a PGO cluster, whose pods run in the client's own namespace,
   * the same address with those pods as its peer.
   */
  private endpointFor(namespace: string | undefined): IConnectionTarget {
    if (!this.namespacePods || namespace === undefined || !(this.endpoint instanceof ExternalEndpoint)) return this.endpoint;
    let e = this.byNamespace.get(namespace);
    if (!e) {
      const peer = ExternalPeer.pods({ namespace, selector: this.namespacePods, ports: [this.port] });
      e = ExternalEndpoint.of({ host: this.endpoint.host, ports: [{ name: 'postgres', port: this.port }], description: this.endpoint.label, peer });
      this.byNamespace.set(namespace, e);
    }
    return e;
  }

  /** Host the init wait probes. */
  public get host(): string {
    return this.endpoint.hostFor(HostForm.NAMESPACED, undefined);
  }

  /** Port the init wait probes. */
  public get port(): number {
    return this.endpoint.port('postgres').port;
  }

  /** The data-services server behind this connection (`Postgres.server`), else undefined. */
  public get server(): IPostgres | undefined {
    return this.delegate?.server;
  }

  /** POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD. */
  public env(): Record<string, EnvValue> {
    return { ...this.envMap };
  }

  /** The `pg_isready` init wait against this server. */
  public wait(): InitWait {
    return WaitFor.postgres({ host: this.host, port: this.port, ...this.waitIdentity });
  }

  /**
   * Wires a client container: the graph edge, the connection env (credentials as Secret key references), the
   * `pg_isready` wait and the Secret (and, for PGO, the Service) as external references.
   */
  public connect(client: ClientBinding, options: PostgresClientOptions = {}): Connection {
    const d = this.delegate;
    if (d) {
      // The component's own connect: graph edge, env under Graphistry's names, pg_isready wait, Secret reference.
      return d.server.connect(client, {
        database: d.database,
        login: d.login,
        env: (options.env ?? true) ? [GRAPHISTRY_POSTGRES_ENV] : [],
        wait: options.wait ?? true,
        hostForm: HostForm.NAMESPACED,
        purpose: 'database',
      });
    }
    const c = client.connect(this.endpointFor(namespaceOf(client.workload, 'the Postgres client')), 'postgres', { purpose: 'database' });
    if (options.env ?? true) for (const [k, v] of Object.entries(this.envMap)) client.setEnv(k, v, c.envHint());
    if (options.wait ?? true) client.addWait(this.wait());
    for (const r of this.externalRefs()) client.addExternalRef(r);
    return c;
  }

  /** The Secret a pod using this connection references. */
  public externalRefs(): ExternalRef[] {
    const refs: ExternalRef[] = [{ kind: 'Secret', name: this.secretName }];
    if (this.namespaceService) refs.push({ kind: 'Service', name: this.namespaceService });
    return refs;
  }
}
