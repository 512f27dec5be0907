import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { renderDeployment } from '../core/deployment';
import { HostForm, PodEndpoint } from '../core/endpoint';
import { EnvBuilder } from '../core/env';
import { check, ConfigError } from '../core/errors';
import { Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { PodWiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { ScrapeTarget } from '../telemetry/scrape';
import { assertLogin, IPostgres, PostgresEnv, PostgresLogin } from './client';
import { POSTGRES_EXPORTER_IMAGE, POSTGRES_EXPORTER_PORT } from './server';

/** Props of a standalone postgres-exporter. */
export interface PostgresExporterProps {
  /** The server to watch: a `PostgresServer` or an `ExternalPostgres` (a managed database). */
  readonly postgres: IPostgres;
  /**
   * The login the exporter uses: a role in `pg_monitor` (never the superuser), its password from an operator Secret.
   */
  readonly login: PostgresLogin;
  /**
   * The database it connects to.
   * @default - the server's default database
   */
  readonly database?: string;
  /**
   * Object name of the Deployment.
   * @default - `<release name>-postgres-exporter`
   */
  readonly name?: string;
  /**
   * Image, pinned.
   * @default POSTGRES_EXPORTER_IMAGE
   */
  readonly image?: string;
  /**
   * Requests and limits.
   * @default - cpu 50m/250m, memory 64Mi/128Mi
   */
  readonly resources?: Resources;
  /**
   * Node selection.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * postgres-exporter as its own Deployment, for a server whose pod cannot take the sidecar (`PostgresServer`'s
 * `exporter` prop): a managed database, or one in another release. Its DSN comes from the Postgres connection (host,
 * port, database and TLS mode as literals, the user and password as the login's Secret references), so it names the
 * server clients use; Prometheus scrapes it through `scrapeTarget()`.
 */
export class PostgresExporter extends WorkloadConstruct {
  /** The object name. */
  public readonly name: string;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The exporter pods on port `metrics` (9187), for pod scrapes. */
  public readonly metricsPods: PodEndpoint;
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The pod's wiring (the connection to Postgres). */
  public readonly wiring: PodWiring;

  constructor(scope: Construct, id: string, props: PostgresExporterProps) {
    super(scope, id);
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined ? assertDnsLabel('name', props.name) : deriveName([release.releaseName, 'postgres-exporter']);
      check(props.postgres !== undefined && typeof props.postgres?.connect === 'function', 'postgres', props.postgres, 'a PostgresServer or ExternalPostgres');
      const login = assertLogin('login', props.login, true);
      check(login.user !== undefined && login.user !== props.postgres.login.user, 'login.user', login.user,
        `a role in pg_monitor other than the server's default login (${props.postgres.login.user})`, 'the exporter needs read access to statistics, not ownership');
      const identity = { name: 'postgres-exporter', instance: release.releaseName, component: this.name };
      this.selector = selectorLabels(identity);
      const labels = { ...assertLabels('labels', props.labels ?? {}), ...standardLabels({ ...identity, version: POSTGRES_EXPORTER_IMAGE.split(':')[1] }) };
      this.metricsPods = PodEndpoint.of(this, [{ name: 'metrics', port: POSTGRES_EXPORTER_PORT }]);

      this.wiring = new PodWiring(this);
      const env = new EnvBuilder(`PostgresExporter ${this.name} container exporter`);
      const client = this.wiring.container('exporter', env);
      const c = props.postgres.connect(client, {
        login,
        database: props.database,
        env: [PostgresEnv.named({ host: 'PGHOST', user: 'DATA_SOURCE_USER', password: 'DATA_SOURCE_PASS' })],
        purpose: 'metrics (pg_stat_*)',
      });
      const database = props.database ?? props.postgres.database;
      // postgres-exporter joins DATA_SOURCE_USER/PASS with this URI; lib/pq's default sslmode would be `require`.
      const tls = props.postgres.tls;
      env.own('DATA_SOURCE_URI', `${c.hostPort(HostForm.NAMESPACED)}/${database}?${tls ? tls.urlQuery : 'sslmode=disable'}`, c.envHint());

      const security = SecurityProfile.restricted({ runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true });
      this.deployment = renderDeployment(this, {
        name: this.name,
        prop: '',
        labels,
        containers: [{
          name: 'exporter',
          image: Images.of(this).resolve('image', props.image ?? POSTGRES_EXPORTER_IMAGE),
          ports: [{ name: 'metrics', port: POSTGRES_EXPORTER_PORT }],
          env,
          resources: props.resources ?? sized(50, 250, 64, 128),
          liveness: Probes.http('/', 'metrics', { period: Duration.seconds(20), timeout: Duration.seconds(5) }),
          readiness: Probes.http('/', 'metrics', { period: Duration.seconds(10), timeout: Duration.seconds(5) }),
          volumeMounts: client.volumeMounts,
        }],
        wiring: this.wiring,
        security,
        placement: Placement.of(this).forWorkload(props.placement, 'placement'),
        replicas: 1,
      }).deployment;
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /** The Prometheus scrape target of the exporter pods (job `postgres-exporter` unless named). */
  public scrapeTarget(jobName = 'postgres-exporter'): ScrapeTarget {
    return ScrapeTarget.pods(jobName, this.metricsPods, 'metrics');
  }
}
