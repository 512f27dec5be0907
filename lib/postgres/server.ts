import { Duration, Lazy, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { assertClaimOptions, claimTemplate, ClaimOptions } from '../core/claims';
import { buildContainer } from '../core/container';
import { HostForm, PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { ImageRef, Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { NodeSelection, Placement, ResolvedPlacement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { externalRefsAnnotation } from '../core/policy';
import { Probes } from '../core/probes';
import { quantityOf, renderResources, Resources, sized } from '../core/resources';
import { assertSecretKey, SecretCommands, SecretKey, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { ClientBinding, Connection } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import {
  assertPgIdentifier, connectPostgres, IPostgres, POSTGRES_PORT, PostgresConnectOptions, PostgresLogin, PostgresTls,
} from './client';
import { DATABASES_SCRIPT, databasesScript, InitDatabase, InitRole, ROLES_SCRIPT, rolesScript } from './initdb';
import { PostgresSettings, renderSettings } from './settings';

/**
 * The Postgres image used unless `image` says otherwise: the official image, 16 line, Alpine variant, pinned. Tag
 * choice: PostgreSQL 16.6 is the November 2024 minor release, and the official image publishes `<major>.<minor>-alpine`
 * for every minor release (no registry was reachable when it was chosen; a wrong tag fails at the first pull, not at synth).
 */
export const POSTGRES_IMAGE = 'postgres:16.6-alpine';
/** uid and gid of the `postgres` user in the official Alpine image. */
export const POSTGRES_UID = 70;
/** Longest server name: the StatefulSet's pods carry `controller-revision-hash: <name>-<10 chars>`, a 63-char label. */
export const POSTGRES_MAX_NAME = 52;

/** Where the data volume is mounted. */
const DATA_MOUNT = '/var/lib/postgresql/data';
/**
 * PGDATA, a subdirectory of the volume: a fresh volume's root can hold `lost+found` (and is owned by root), and
 * initdb refuses a non-empty directory it does not own.
 */
export const POSTGRES_PGDATA = `${DATA_MOUNT}/pgdata`;
/** Where the official image looks for init scripts. */
export const POSTGRES_INITDB_DIR = '/docker-entrypoint-initdb.d';

/** The superuser the image creates on an empty data directory (POSTGRES_USER / POSTGRES_PASSWORD). */
export interface PostgresSuperuser {
  /**
   * The role name.
   * @default 'postgres'
   */
  readonly user?: string;
  /** The Secret key holding its password (POSTGRES_PASSWORD). Never generated: an operator creates it. */
  readonly password: SecretKey;
  /**
   * A Secret key holding a URL-form DSN for this login, for clients that read only a URL (`PostgresEnv.url()`).
   * @default - none
   */
  readonly url?: SecretKey;
}

/** Props of a PostgresServer. */
export interface PostgresServerProps {
  /**
   * Name of the StatefulSet, Services and ConfigMap (the Service name is the host clients use).
   * @default - `<release name>-postgres`
   */
  readonly name?: string;
  /**
   * Server image, pinned (tag or digest) and redirected like every image in the release. An image of another major
   * version cannot open an existing data directory: upgrading 16 to 17 is a dump and restore (or pg_upgrade), not an
   * image change.
   * @default POSTGRES_IMAGE
   */
  readonly image?: string;
  /** The superuser the image creates when it initializes the data directory. */
  readonly superuser: PostgresSuperuser;
  /**
   * The database the image creates (POSTGRES_DB), which clients use unless they name another.
   * @default - the superuser's name
   */
  readonly database?: string;
  /**
   * The data volume (one claim, `data-<name>-0`, kept when the release is deleted).
   * @default - 10 GiB of the cluster's default StorageClass
   */
  readonly storage?: ClaimOptions;
  /**
   * Requests and limits of the server container. Memory settings follow the memory limit.
   * @default - cpu 250m/2000m, memory 1Gi/1Gi
   */
  readonly resources?: Resources;
  /**
   * Server settings.
   * @default - derived from the memory limit (see PostgresSettings)
   */
  readonly settings?: PostgresSettings;
  /**
   * Node selection for the server pod.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * A postgres-exporter sidecar serving Prometheus metrics on port 9187 (`metricsEndpoint`), logged in as its own
   * role in `pg_monitor`.
   * @default - no exporter
   */
  readonly exporter?: PostgresExporterOptions;
}

/** The postgres-exporter sidecar. */
export interface PostgresExporterOptions {
  /** The Secret key holding the exporter role's password. Never generated: an operator creates it. */
  readonly password: SecretKey;
  /**
   * The exporter's role (created by the roles script, member of `pg_monitor`).
   * @default 'postgres_exporter'
   */
  readonly user?: string;
  /**
   * The exporter image, pinned.
   * @default POSTGRES_EXPORTER_IMAGE
   */
  readonly image?: string;
}

/** The postgres-exporter image, pinned. */
export const POSTGRES_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.16.0';
/** The port postgres-exporter serves metrics on. */
export const POSTGRES_EXPORTER_PORT = 9187;

/** Options of a role. */
export interface PostgresRoleOptions {
  /** The Secret key holding the role's password. Never generated: an operator creates it. */
  readonly password: SecretKey;
  /**
   * A Secret key holding a URL-form DSN for this role, for clients that read only a URL.
   * @default - none
   */
  readonly url?: SecretKey;
  /**
   * The role may create databases.
   * @default false
   */
  readonly createDb?: boolean;
  /**
   * The role is a member of `pg_monitor` (reads the statistics views monitoring tools need).
   * @default false
   */
  readonly monitor?: boolean;
}

/** Options of a database. */
export interface PostgresDatabaseOptions {
  /**
   * The role that owns the database (and, from Postgres 15, its `public` schema).
   * @default - the superuser
   */
  readonly owner?: PostgresRole;
  /**
   * Further roles allowed to connect. CONNECT is revoked from PUBLIC, so only the owner, the superuser and these may.
   * @default - none
   */
  readonly connect?: readonly PostgresRole[];
}

/** A login role of a PostgresServer (the superuser, or one from `addRole`). */
export class PostgresRole implements PostgresLogin {
  /** @internal */
  constructor(
    /** The role name. */
    public readonly user: string,
    /** The Secret key holding its password. */
    public readonly password: SecretKey,
    /** The Secret key holding a URL-form DSN, when there is one. */
    public readonly url: SecretKey | undefined,
    /** May create databases. */
    public readonly createDb: boolean,
    /** The superuser of the server. */
    public readonly superuser: boolean,
    /** A member of `pg_monitor`. */
    public readonly monitor: boolean = false,
  ) {}
}

/** A database of a PostgresServer (from `addDatabase`). */
export class PostgresDatabase {
  /** @internal */
  constructor(
    /** The database name. */
    public readonly name: string,
    /** The owning role. */
    public readonly owner: PostgresRole,
    /** Further roles allowed to connect. */
    public readonly connectRoles: readonly PostgresRole[],
  ) {}

  /** True when `user` may connect (the owner, a granted role; the superuser always may). */
  public allows(user: string | undefined): boolean {
    return user === this.owner.user || this.connectRoles.some((r) => r.user === user);
  }
}

/**
 * PostgreSQL in the cluster: one server in a StatefulSet with its data on a kept claim, roles and databases created by
 * init scripts the official image runs on an empty data directory, and a ClusterIP Service clients connect to through
 * `connect`. Every password comes from an operator-created Secret; the release notes print the commands that create
 * them.
 *
 * A single server: there is no replication or failover. For high availability use a managed database or an operator
 * (CloudNativePG, Crunchy PGO) and connect to it with `ExternalPostgres`.
 */
export class PostgresServer extends WorkloadConstruct implements IPostgres {
  /** The server name (StatefulSet, Services, ConfigMap prefix). */
  public readonly name: string;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The ClusterIP Service clients connect to (port `postgres`). */
  public readonly endpoint: ServiceEndpoint;
  /** The headless Service governing the StatefulSet. */
  public readonly headlessEndpoint: ServiceEndpoint;
  /** The default database (POSTGRES_DB). */
  public readonly database: string;
  /** The superuser. */
  public readonly superuser: PostgresRole;
  /** The TLS mode clients use: none (the in-cluster server does not serve TLS). */
  public readonly tls: PostgresTls | undefined = undefined;
  /** The StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The ClusterIP Service. */
  public readonly service: k8s.KubeService;
  /** The headless Service. */
  public readonly headlessService: k8s.KubeService;
  /** The ConfigMap of init scripts. */
  public readonly initConfigMap: k8s.KubeConfigMap;
  /** The exporter's metrics port on the server pods (what Prometheus scrapes), when there is an exporter. */
  public readonly metricsEndpoint?: PodEndpoint;
  /** The exporter's role, when there is an exporter. */
  public readonly exporterRole?: PostgresRole;
  /** The server settings as rendered, in order. */
  public readonly settings: ReadonlyArray<readonly [string, string]>;
  private readonly roles = new Map<string, PostgresRole>();
  private readonly databases = new Map<string, PostgresDatabase>();
  private readonly labels: Record<string, string>;
  private readonly claim: ClaimOptions;
  private readonly placement: ResolvedPlacement;
  private readonly exporterImage?: string;

  constructor(scope: Construct, id: string, props: PostgresServerProps) {
    super(scope, id);
    // A ConfigError names this construct and the prop as its user wrote it.
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined
        ? assertDnsLabel('name', props.name, POSTGRES_MAX_NAME)
        : deriveName([release.releaseName, 'postgres'], { maxLength: POSTGRES_MAX_NAME });
      check(props.superuser !== undefined, 'superuser', props.superuser, '{ password: { name, key } } of an operator-created Secret', 'credentials are never generated or defaulted');
      const superuser = props.superuser;
      const user = assertPgIdentifier('superuser.user', superuser.user ?? 'postgres');
      this.superuser = new PostgresRole(
        user,
        assertSecretKey('superuser.password', superuser.password),
        superuser.url !== undefined ? assertSecretKey('superuser.url', superuser.url) : undefined,
        true,
        true,
      );
      this.roles.set(user, this.superuser);
      this.database = assertPgIdentifier('database', props.database ?? user);
      this.claim = assertClaimOptions('storage', props.storage ?? { size: Size.gibibytes(10) });

      const identity = { name: 'postgres', instance: release.releaseName, component: this.name };
      this.selector = selectorLabels(identity);
      const imageRef = props.image ?? POSTGRES_IMAGE;
      const image = Images.of(this).resolve('image', imageRef);
      const tag = ImageRef.parse(imageRef, 'image').tag;
      const version = tag && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(tag) && tag.length <= 63 ? tag : undefined;
      this.labels = { ...assertLabels('labels', props.labels ?? {}), ...standardLabels({ ...identity, version }) };

      const resources = props.resources ?? { ...sized(250, 2000, 1024, 1024) };
      renderResources('resources', resources);
      this.settings = renderSettings(props.settings ?? {}, resources.memory.limit);

      if (props.exporter) {
        check(typeof props.exporter === 'object', 'exporter', props.exporter, '{ password: { name, key } }');
        this.exporterRole = this.addRole(props.exporter.user ?? 'postgres_exporter', { password: props.exporter.password, monitor: true });
        this.exporterImage = Images.of(this).resolve('exporter.image', props.exporter.image ?? POSTGRES_EXPORTER_IMAGE);
        this.metricsEndpoint = PodEndpoint.of(this, [{ name: 'metrics', port: POSTGRES_EXPORTER_PORT }]);
      }

      const services = this.renderServices();
      this.endpoint = services.endpoint;
      this.headlessEndpoint = services.headlessEndpoint;
      this.service = services.service;
      this.headlessService = services.headlessService;

      // Roles and databases may be added after the constructor: the scripts, the env the roles script reads and the
      // pod template (with the scripts' checksum) are produced when the app is synthesized.
      this.initConfigMap = new k8s.KubeConfigMap(this, 'Init', {
        metadata: { name: `${this.name}-initdb`, labels: this.labels },
        data: Lazy.any({ produce: () => this.initScripts() }),
      });
      this.placement = Placement.of(this).forWorkload(props.placement ?? { nodeSelection: NodeSelection.inherit() }, 'placement');
      this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
        metadata: { name: this.name, labels: this.labels },
        spec: Lazy.any({ produce: () => this.statefulSetSpec(image, resources) }),
      });
      this.declareSecrets();
      release.addLazyNote(() => this.notes(release.releaseNamespace));
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /** The default login: the superuser. */
  public get login(): PostgresLogin {
    return this.superuser;
  }

  /**
   * Adds a login role, created by the init script with its password from `options.password`. On a server whose data
   * directory already exists, run the roles script again (the notes say how).
   */
  public addRole(name: string, options: PostgresRoleOptions): PostgresRole {
    return inConstruct(this, () => {
      const prop = `roles.${name}`;
      assertPgIdentifier(prop, name);
      check(!name.startsWith('pg_'), prop, name, "a name not starting with 'pg_'", 'Postgres reserves pg_ role names');
      check(!this.roles.has(name), prop, name, 'a role name not used twice on one server (the superuser included)');
      const role = new PostgresRole(
        name,
        assertSecretKey(`${prop}.password`, options.password),
        options.url !== undefined ? assertSecretKey(`${prop}.url`, options.url) : undefined,
        options.createDb ?? false,
        false,
        options.monitor ?? false,
      );
      this.roles.set(name, role);
      this.declareSecrets();
      return role;
    });
  }

  /**
   * Adds a database, created by the init script and owned by `options.owner`; only the owner, the superuser and the
   * roles in `options.connect` may connect to it.
   */
  public addDatabase(name: string, options: PostgresDatabaseOptions = {}): PostgresDatabase {
    return inConstruct(this, () => {
      const prop = `databases.${name}`;
      assertPgIdentifier(prop, name);
      check(!['postgres', 'template0', 'template1'].includes(name), prop, name, 'a name other than postgres, template0 and template1');
      check(name !== this.database && !this.databases.has(name), prop, name, `a database name not used twice on one server (${this.database} is the default database)`);
      const owner = options.owner ?? this.superuser;
      this.assertOwnRole(`${prop}.owner`, owner);
      const connect = [...(options.connect ?? [])];
      connect.forEach((r, i) => this.assertOwnRole(`${prop}.connect[${i}]`, r));
      const db = new PostgresDatabase(name, owner, connect);
      this.databases.set(name, db);
      return db;
    });
  }

  /** The roles, the superuser first. */
  public get allRoles(): readonly PostgresRole[] {
    return [...this.roles.values()];
  }

  /** The databases added with `addDatabase` (the default database is not among them). */
  public get allDatabases(): readonly PostgresDatabase[] {
    return [...this.databases.values()];
  }

  /**
   * Wires `client` to this server (see `IPostgres.connect`). A database must be the default one or one added here, the
   * login one of this server's roles, and a role may connect only to a database it owns or was granted.
   */
  public connect(client: ClientBinding, options: PostgresConnectOptions = {}): Connection {
    return inConstruct(this, () => {
      return connectPostgres(this, client, options, (database, login) => {
        const same = (r: PostgresRole) => r.user === login.user && r.password.name === login.password?.name && r.password.key === login.password?.key;
        const role = [...this.roles.values()].find((r) => r === login || same(r));
        if (!role) {
          throw new ConfigError('connect.login', login.user, `a role of ${this.name}: ${[...this.roles.keys()].join(', ')}`, 'add it with addRole() first, so the init script creates it');
        }
        if (database === this.database) return;
        const db = this.databases.get(database);
        if (!db) {
          throw new ConfigError('connect.database', database, `a database of ${this.name}: ${[this.database, ...this.databases.keys()].join(', ')}`, 'add it with addDatabase() first, so the init script creates it');
        }
        check(role.superuser || db.allows(role.user), 'connect.login', role.user, `the owner of ${database} (${db.owner.user}), a role granted CONNECT on it, or the superuser`,
          `CONNECT on ${database} is revoked from PUBLIC; grant it with addDatabase('${database}', { connect: [role] })`);
      });
    });
  }

  /** Declares the password Secrets the server container reads as external references (an operator creates them). */
  private declareSecrets(): void {
    // The constructor declares them once the StatefulSet exists (the exporter's role is added before).
    if (!this.statefulSet) return;
    const refs = [...this.roles.values()].map((r) => ({ kind: 'Secret' as const, name: r.password.name }));
    for (const [k, v] of Object.entries(externalRefsAnnotation(refs))) this.statefulSet.metadata.addAnnotation(k, v);
  }

  private assertOwnRole(prop: string, role: PostgresRole): void {
    check(role instanceof PostgresRole && this.roles.get(role.user) === role, prop, role?.user, `a role of ${this.name} (from addRole, or the superuser)`);
  }

  private renderServices(): {
    endpoint: ServiceEndpoint;
    headlessEndpoint: ServiceEndpoint;
    service: k8s.KubeService;
    headlessService: k8s.KubeService;
  } {
    const port = { name: 'postgres', port: POSTGRES_PORT };
    const main = buildService(this, 'Service', { name: this.name, labels: this.labels, pods: this, ports: [port] });
    const headless = buildService(this, 'Headless', {
      name: `${this.name}-headless`,
      labels: this.labels,
      pods: this,
      ports: [port],
      headless: true,
      // The governing Service resolves the pod before it is ready, so a server stuck in recovery can still be reached.
      publishNotReadyAddresses: true,
    });
    return { endpoint: main.endpoint, headlessEndpoint: headless.endpoint, service: main.service, headlessService: headless.service };
  }

  /** The init scripts by file name: the roles script always (it keeps the superuser's password in line), databases when added. */
  private initScripts(): Record<string, string> {
    const roles: InitRole[] = [...this.roles.values()].map((r) => ({
      name: r.user,
      passwordEnv: r.superuser ? 'POSTGRES_PASSWORD' : roleEnv(r.user),
      passwordSource: `Secret ${r.password.name} key ${r.password.key}`,
      createDb: r.createDb,
      monitor: r.monitor,
      superuser: r.superuser,
    }));
    const scripts: Record<string, string> = { [ROLES_SCRIPT]: rolesScript(this.name, roles) };
    const dbs: InitDatabase[] = [...this.databases.values()].map((d) => ({
      name: d.name,
      owner: d.owner.user,
      connect: d.connectRoles.map((r) => r.user),
    }));
    if (dbs.length) scripts[DATABASES_SCRIPT] = databasesScript(this.name, dbs);
    return scripts;
  }

  private statefulSetSpec(image: string, resources: Resources): k8s.StatefulSetSpec {
    const security = SecurityProfile.restricted({
      runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID, fsGroup: POSTGRES_UID, readOnlyRootFilesystem: true,
    });
    const env = new EnvBuilder(`PostgresServer ${this.name} container postgres`).ownAll({
      POSTGRES_USER: this.superuser.user,
      POSTGRES_PASSWORD: secretKeyEnv(this.superuser.password),
      POSTGRES_DB: this.database,
      PGDATA: POSTGRES_PGDATA,
    });
    for (const r of this.roles.values()) if (!r.superuser) env.own(roleEnv(r.user), secretKeyEnv(r.password));
    // Postgres' parallel queries use POSIX shared memory in /dev/shm, which is 64Mi in a pod unless a memory-backed
    // emptyDir replaces it ("could not resize shared memory segment"); it counts against the memory limit.
    const shm = Size.kibibytes(Math.max(64 * 1024, Math.floor(resources.memory.limit.toKibibytes() / 4)));
    const isReady = ['pg_isready', '-h', '127.0.0.1', '-p', String(POSTGRES_PORT), '-U', this.superuser.user, '-d', this.database];
    const container = buildContainer(
      '',
      {
        name: 'postgres',
        image,
        args: ['postgres', ...this.settings.flatMap(([k, v]) => ['-c', `${k}=${v}`])],
        ports: [{ name: 'postgres', port: POSTGRES_PORT }],
        env,
        resources,
        // pg_isready over TCP: during initdb the image's temporary server listens only on its socket, so the pod is
        // neither ready nor restarted until initialization has finished; the startup budget covers a long crash recovery.
        startup: Probes.exec(isReady, { period: Duration.seconds(5), timeout: Duration.seconds(5), failureThreshold: 120 }),
        readiness: Probes.exec(isReady, { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
        liveness: Probes.exec(isReady, { period: Duration.seconds(20), timeout: Duration.seconds(5), failureThreshold: 6 }),
        volumeMounts: [
          { name: 'data', mountPath: DATA_MOUNT },
          { name: 'initdb', mountPath: POSTGRES_INITDB_DIR, readOnly: true },
          { name: 'run', mountPath: '/var/run/postgresql' },
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'shm', mountPath: '/dev/shm' },
        ],
      },
      security,
    );
    const pod = buildPodSpec(this, '', {
      containers: [container, ...this.exporterContainer(security)],
      volumes: [
        { name: 'initdb', configMap: { name: `${this.name}-initdb`, defaultMode: 0o555 } },
        { name: 'run', emptyDir: { sizeLimit: quantityOf(Size.mebibytes(16)) } },
        { name: 'tmp', emptyDir: { sizeLimit: quantityOf(Size.gibibytes(1)) } },
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: quantityOf(shm) } },
      ],
      security,
      placement: this.placement,
      claimTemplateNames: ['data'],
      // The image stops Postgres with SIGINT (fast shutdown): open transactions are rolled back and a checkpoint written.
      terminationGracePeriod: Duration.seconds(60),
    });
    return {
      replicas: 1,
      serviceName: this.headlessEndpoint.name,
      selector: { matchLabels: { ...this.selector } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels: this.labels, annotations: checksumAnnotations(this.initScripts(), this.settings) },
        spec: pod,
      },
      volumeClaimTemplates: [claimTemplate('data', this.claim, this.selector)],
    };
  }

  /** The postgres-exporter sidecar: its own role over loopback, metrics on 9187. */
  private exporterContainer(security: SecurityProfile): k8s.Container[] {
    const role = this.exporterRole;
    if (!role || !this.exporterImage) return [];
    const env = new EnvBuilder(`PostgresServer ${this.name} container exporter`).ownAll({
      // The server is in the same pod: loopback, no TLS (the server serves none).
      DATA_SOURCE_URI: `127.0.0.1:${POSTGRES_PORT}/${this.database}?sslmode=disable`,
      DATA_SOURCE_USER: role.user,
      DATA_SOURCE_PASS: secretKeyEnv(role.password),
    });
    return [buildContainer('exporter', {
      name: 'exporter',
      image: this.exporterImage,
      ports: [{ name: 'metrics', port: POSTGRES_EXPORTER_PORT }],
      env,
      resources: sized(50, 250, 64, 128),
      liveness: Probes.http('/', 'metrics', { period: Duration.seconds(20), timeout: Duration.seconds(5), failureThreshold: 3 }),
      readiness: Probes.http('/', 'metrics', { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
    }, security)];
  }

  /** The operator notes: where clients connect, the Secrets to create, and how init scripts and passwords behave. */
  private notes(namespace: string): string {
    const host = this.endpoint.host(HostForm.NAMESPACED);
    const commands = new SecretCommands();
    // A role's URL names the first database it owns (the superuser's, the default database).
    const owned = (r: PostgresRole) => (r.superuser ? undefined : [...this.databases.values()].find((d) => d.owner === r)?.name) ?? this.database;
    for (const r of this.roles.values()) {
      const v = `PG_${r.user.toUpperCase()}_PASSWORD`;
      commands.variable(v, '"$(openssl rand -hex 32)"').literal(r.password, `"$${v}"`);
      if (r.url) commands.literal(r.url, `"postgresql://${r.user}:$${v}@${host}:${POSTGRES_PORT}/${owned(r)}"`);
    }
    const roles = [...this.roles.values()].map((r) => `${r.user}${r.superuser ? ' (superuser)' : ''}`).join(', ');
    const dbs = [this.database, ...this.databases.keys()].join(', ');
    return [
      `PostgreSQL ${this.name}: clients connect to ${host}:${POSTGRES_PORT} (databases ${dbs}; roles ${roles}). ` +
        `The data is on the claim data-${this.name}-0, which deleting the release keeps.`,
      `Before the first sync, create the password Secrets (hex passwords need no escaping in a URL):\n${commands.render(namespace).map((l) => `  ${l}`).join('\n')}`,
      `The init scripts in ConfigMap ${this.name}-initdb run once, when the data directory is empty; POSTGRES_PASSWORD and ` +
        'the role passwords are read then and never again. A new password in a Secret against a kept claim locks clients out ' +
        'until the database agrees: restart the pod (it reads the Secrets at start) and run the roles script, which sets every ' +
        `password from them: kubectl -n ${namespace} exec ${this.name}-0 -- ${POSTGRES_INITDB_DIR}/${ROLES_SCRIPT}. ` +
        `Roles and databases added to an initialized server are created the same way (${DATABASES_SCRIPT} for databases).`,
    ].join('\n\n');
  }
}

/**
 * The server container's env variable holding a role's password.
 * @internal
 */
export function roleEnv(role: string): string {
  return `PG_ROLE_PASSWORD_${role}`;
}
