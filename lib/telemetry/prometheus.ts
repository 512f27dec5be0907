import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ServiceEndpoint } from '../core/endpoint';
import { WorkloadConstruct } from '../core/workload';
import { check } from '../core/errors';
import { Images } from '../core/images';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { NamespacedAccess } from '../core/rbac';
import { Wiring } from '../core/wiring';
import { Resources, sized, sizeQuantity } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { Release } from '../release/release';
import { dataVolume, FsGroup, MemberIdentity, TELEMETRY_IMAGES, TELEMETRY_STORAGE_CLASS, TelemetryPersistence, renderBackendDeployment } from './common';
import { PrometheusConfig, promDuration, ScrapeConfig, staticScrapeJob } from './prometheus-config';
import { ScrapeTarget } from './scrape';

/** Operator settings of the in-cluster Prometheus. */
export interface PrometheusOptions {
  /**
   * Image, pinned.
   * @default 'prom/prometheus:v2.54.1'
   */
  readonly image?: string;
  /**
   * Requests and limits.
   * @default - 200m/1 CPU, 512Mi/2Gi memory
   */
  readonly resources?: Resources;
  /**
   * TSDB volume.
   * @default - a 20Gi ReadWriteOnce claim on the stack's storage class
   */
  readonly persistence?: TelemetryPersistence;
  /**
   * How long samples are kept (`--storage.tsdb.retention.time`).
   * @default Duration.days(15)
   */
  readonly retention?: Duration;
  /**
   * Upper bound on the TSDB size (`--storage.tsdb.retention.size`): once blocks, WAL and head chunks together exceed
   * it, the oldest blocks go first, whatever `retention` says. Must stay below the claim size: on a full volume
   * Prometheus fails its writes, and after a restart it cannot even replay its WAL, so it crash-loops until someone
   * deletes data by hand. The headroom is for compaction, which writes a new block before it deletes the ones it
   * replaces.
   * @default - 85% of the claim size when the stack renders the claim (17Gi of the default 20Gi); no bound on an
   * emptyDir or an existing claim (its size is not known here; set this, and synthesis warns until you do)
   */
  readonly retentionSize?: Size;
  /**
   * Enable the admin API (`--web.enable-admin-api`: delete series, clean tombstones, snapshot). Anyone who can reach
   * Prometheus can then delete data, so keep it off in production; switch it on to drop stale series after a
   * scrape-config change.
   * @default false
   */
  readonly enableAdminApi?: boolean;
  /**
   * Default scrape interval.
   * @default Duration.seconds(15)
   */
  readonly scrapeInterval?: Duration;
  /**
   * Group owning the TSDB volume (the image runs as nobody, 65534).
   * @default FsGroup.of(65534)
   */
  readonly fsGroup?: FsGroup;
  /**
   * Where the Prometheus pod runs, relative to the release-wide placement.
   * @default - the release-wide nodeSelector, tolerations and affinity
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * More scrape jobs, appended after the stack's own.
   * @default - none
   */
  readonly extraScrapeConfigs?: readonly ScrapeConfig[];
}

/** What the stack wires into Prometheus. */
export interface PrometheusProps extends PrometheusOptions {
  /** Object name (Deployment, Service, ServiceAccount, ...). */
  readonly name: string;
  /**
   * `app.kubernetes.io/part-of`.
   * @default - none
   */
  readonly partOf?: string;
  /** Path prefix Prometheus serves under (`--web.route-prefix`). */
  readonly routePrefix: string;
  /** URL (absolute, or a path) Prometheus generates links with (`--web.external-url`). */
  readonly externalUrl: string;
  /** What the stack's Prometheus scrapes (exporter and collector pods, external exporters); each is recorded. */
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** @default 'retain-sc-telemetry' */
  readonly storageClassName?: string;
}

/**
 * Single-replica Prometheus: a Deployment with the Recreate strategy (two pods must never share the TSDB, and a
 * ReadWriteOnce volume cannot attach twice), a namespaced ServiceAccount for pod discovery, and a generated
 * `yml`. For HA, remote-write to a managed backend or add Thanos; that is out of scope here.
 */
export class Prometheus extends WorkloadConstruct {
  /** Port of the HTTP API and UI. */
  public static readonly PORT = 9090;

  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The `yml` ConfigMap. */
  public readonly configMap: k8s.KubeConfigMap;
  /** ServiceAccount, Role (get/list/watch pods, services, endpoints in the release namespace) and RoleBinding. */
  public readonly access: NamespacedAccess;
  /** The claim, when one is rendered. */
  public readonly claim?: k8s.KubePersistentVolumeClaim;
  /** The generated configuration. */
  public readonly config: PrometheusConfig;
  /** The Service's endpoint (`http`: the API and UI, under the route prefix). */
  public readonly endpoint: ServiceEndpoint;
  /** Labels selecting the Prometheus pod. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The path prefix the API and UI serve under. */
  public readonly routePrefix: string;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const ident = new MemberIdentity(this, props.name, props.partOf);
    const prefix = props.routePrefix;
    this.selector = ident.selector;
    this.routePrefix = prefix;

    this.config = new PrometheusConfig({
      scrapeInterval: props.scrapeInterval ?? Duration.seconds(15),
      scrapeTimeout: minDuration(Duration.seconds(10), props.scrapeInterval),
    });
    this.config.addScrapeConfig(staticScrapeJob({ jobName: 'prometheus', targets: [`localhost:${Prometheus.PORT}`], metricsPath: `${prefix}/metrics` }), 'scrapeConfigs[prometheus]');
    for (const target of props.scrapeTargets) this.config.addScrapeConfig(target.bind(this), `scrapeConfigs[${target.jobName}]`);
    for (const [i, job] of (props.extraScrapeConfigs ?? []).entries()) this.config.addScrapeConfig(job, `extraScrapeConfigs[${i}]`);
    const configYaml = this.config.toYaml();
    const data = { 'prometheus.yml': configYaml };

    this.configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: { name: `${ident.name}-config`, labels: ident.labels }, data });

    this.access = new NamespacedAccess(this, 'Access', {
      name: ident.name,
      labels: ident.labels,
      rules: [{ apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] }],
    });
    // Pod discovery (kubernetes_sd_configs) watches the API server.
    Wiring.of(this).connectToKubernetesApi(this, { container: 'prometheus', purpose: 'pod discovery (kubernetes_sd_configs)' });

    const storage = dataVolume(this, 'persistence', ident, props.persistence, { size: PROMETHEUS_CLAIM_SIZE, storageClassName: props.storageClassName ?? TELEMETRY_STORAGE_CLASS });
    this.claim = storage.claim;

    const retention = promDuration('retention', props.retention ?? Duration.days(15));
    const args = [
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      `--storage.tsdb.retention.time=${retention}`,
    ];
    const claimSize = storage.claim ? (props.persistence?.size ?? PROMETHEUS_CLAIM_SIZE) : undefined;
    const retentionSize = props.retentionSize ?? (claimSize ? defaultRetentionSize(claimSize) : undefined);
    if (props.retentionSize === undefined && claimSize) {
      check(retentionSize!.toMebibytes() > 0, 'persistence.size', sizeQuantity(claimSize), 'at least 2Mi', 'the default retentionSize is 85% of the claim in whole MiB');
    }
    if (retentionSize !== undefined) {
      const kib = retentionSize.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
      const mb = kib / 1024;
      check(Number.isInteger(mb) && mb > 0, 'retentionSize', sizeQuantity(retentionSize), 'a whole number of MiB > 0');
      if (claimSize) {
        check(kib < claimSize.toKibibytes(), 'retentionSize', sizeQuantity(retentionSize), `less than the claim size (${sizeQuantity(claimSize)})`, 'the TSDB would fill the volume before retention deletes anything');
      }
      // Prometheus reads MB as 2^20 bytes.
      args.push(`--storage.tsdb.retention.size=${mb}MB`);
    } else if (storage.externalClaim !== undefined) {
      Release.of(this).addWarning(
        `${this.node.path}: Prometheus stores its TSDB on the existing claim ${storage.externalClaim} with no size bound, and a full volume leaves ` +
          'Prometheus crash-looping; bound the TSDB at about 85% of that claim\'s size (the value below is for a 20Gi claim).',
        { scope: this, prop: 'retentionSize', value: 'Size.gibibytes(17)' },
      );
    }
    args.push(`--web.listen-address=:${Prometheus.PORT}`, `--web.route-prefix=${prefix}`, `--web.external-url=${props.externalUrl}`);
    if (props.enableAdminApi) args.push('--web.enable-admin-api');

    const security = SecurityProfile.restricted({
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: (props.fsGroup ?? FsGroup.of(65534)).gid,
      readOnlyRootFilesystem: true,
    });
    const parts = renderBackendDeployment(this, ident, {
      prop: '',
      container: {
        name: 'prometheus',
        image: Images.of(this).resolve('image', props.image ?? TELEMETRY_IMAGES.prometheus),
        args,
        ports: [{ name: 'http', port: Prometheus.PORT }],
        resources: props.resources ?? sized(200, 1000, 512, 2048),
        readiness: Probes.http(`${prefix}/-/ready`, 'http', { period: Duration.seconds(10), failureThreshold: 3 }),
        liveness: Probes.http(`${prefix}/-/healthy`, 'http', { period: Duration.seconds(15), failureThreshold: 4 }),
        // Replaying a large WAL after a restart takes minutes; liveness waits for the first successful start.
        startup: Probes.http(`${prefix}/-/ready`, 'http', { period: Duration.seconds(10), failureThreshold: 60 }),
        volumeMounts: [
          { name: 'config', mountPath: '/etc/prometheus', readOnly: true },
          { name: 'data', mountPath: '/prometheus' },
        ],
      },
      volumes: [{ name: 'config', configMap: { name: this.configMap.name } }],
      security,
      placement: Placement.of(this).forWorkload(props.placement, 'placement'),
      storage,
      config: data,
      // Pod discovery reads the API; the token is mounted explicitly, since some hardened namespaces flip the default.
      serviceAccountName: this.access.serviceAccountName,
      servicePorts: [{ name: 'http', port: Prometheus.PORT }],
    });
    this.deployment = parts.deployment;
    this.service = parts.service!.service;
    this.endpoint = parts.service!.endpoint;
  }
}

/** Size of the claim the stack renders for Prometheus unless `persistence.size` says otherwise. */
export const PROMETHEUS_CLAIM_SIZE = Size.gibibytes(20);

/** Share of the claim the default `retentionSize` takes (the rest is compaction headroom). */
export const PROMETHEUS_RETENTION_SHARE = 0.85;

/**
 * The default TSDB size bound for a claim: 85% of it, in whole MiB.
 * @internal
 */
export function defaultRetentionSize(claim: Size): Size {
  return Size.mebibytes(Math.floor((claim.toKibibytes({ rounding: SizeRoundingBehavior.FLOOR }) / 1024) * PROMETHEUS_RETENTION_SHARE));
}

function minDuration(a: Duration, b: Duration | undefined): Duration {
  return b !== undefined && b.toMilliseconds() < a.toMilliseconds() ? b : a;
}
