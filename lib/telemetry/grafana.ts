import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ServiceEndpoint } from '../core/endpoint';
import { WorkloadConstruct } from '../core/workload';
import { EnvBuilder, EnvMap, EnvSource } from '../core/env';
import { check } from '../core/errors';
import { Images } from '../core/images';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { dataVolume, FsGroup, MemberIdentity, TELEMETRY_IMAGES, TELEMETRY_STORAGE_CLASS, TelemetryPersistence, renderBackendDeployment } from './common';
import { GrafanaDatasources } from './grafana-datasources';
import { emitYaml12 } from '../release/yaml';
import { assertLabelKey, assertLabelValue } from '../core/labels';
import { NamespacedAccess } from '../core/rbac';
import { Wiring } from '../core/wiring';
import { PodContainer } from '../core/pod-template';
import { GrafanaAdminSecret } from './mode';

/** Operator settings of Grafana. */
export interface GrafanaOptions {
  /**
   * Image, pinned.
   * @default 'grafana/grafana:11.2.2'
   */
  readonly image?: string;
  /**
   * Requests and limits.
   * @default - 100m/500m CPU, 128Mi/512Mi memory
   */
  readonly resources?: Resources;
  /**
   * Volume for Grafana's SQLite database (users, dashboards, sessions).
   * @default - a 2Gi ReadWriteOnce claim on the stack's storage class
   */
  readonly persistence?: TelemetryPersistence;
  /**
   * Group owning the data volume (the image runs as uid 472).
   * @default FsGroup.of(472)
   */
  readonly fsGroup?: FsGroup;
  /**
   * Let visitors browse without logging in, as Viewer (never Editor or Admin: anonymous Admin lets anyone who reaches
   * the URL edit dashboards, add datasources and query everything).
   * @default false
   */
  readonly anonymousAccess?: boolean;
  /**
   * Grafana's `root_url`: the URL users reach it at. Set it to an absolute URL
   * (`https://viz.example.com/grafana/`) only when something needs one: OAuth callbacks, share-dashboard links and
   * alert notification image URLs. Its path must be the stack's Grafana route prefix. It is never derived from the
   * stack's `publicUrl` (the seed removed that derivation): a relative root works behind any host name and scheme the
   * reverse proxy serves, while a derived absolute one breaks as soon as the site is reached under another name.
   * @default - the route prefix alone, relative (`/grafana`)
   */
  readonly rootUrl?: string;
  /**
   * Extra environment (any `GF_<SECTION>_<KEY>` setting) over the stack's defaults. Keys the stack owns (server URL,
   * admin credentials, anonymous access, paths) are rejected.
   * @default - none
   */
  readonly env?: EnvMap;
  /**
   * Where the Grafana pod runs, relative to the release-wide placement.
   * @default - the release-wide nodeSelector, tolerations and affinity
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * A dashboard sidecar (kiwigrid/k8s-sidecar) that watches ConfigMaps labelled `grafana_dashboard=1` in the pod's own
   * namespace and writes their files where Grafana's dashboard provider reads them, so teams ship dashboards as
   * ConfigMaps. Namespace-scoped only: it gets a Role (get/list/watch configmaps) in its namespace, never a
   * ClusterRole, and the pod mounts the ServiceAccount token only when the sidecar is on.
   * @default - no sidecar; dashboards only through the UI
   */
  readonly dashboardSidecar?: GrafanaDashboardSidecarOptions;
}

/** The dashboard sidecar of Grafana. */
export interface GrafanaDashboardSidecarOptions {
  /**
   * Image, pinned.
   * @default 'kiwigrid/k8s-sidecar:1.27.4'
   */
  readonly image?: string;
  /**
   * Requests and limits.
   * @default - 50m/200m CPU, 64Mi/128Mi memory
   */
  readonly resources?: Resources;
  /**
   * Label key a dashboard ConfigMap carries.
   * @default 'grafana_dashboard'
   */
  readonly label?: string;
  /**
   * Value of that label.
   * @default '1'
   */
  readonly labelValue?: string;
}

/** Image of the dashboard sidecar. */
export const GRAFANA_DASHBOARD_SIDECAR_IMAGE = 'kiwigrid/k8s-sidecar:1.27.4';

/** Where the sidecar writes dashboards and Grafana's file provider reads them (a shared emptyDir). */
const DASHBOARDS_DIR = '/var/lib/grafana-dashboards';

/** What the stack wires into Grafana. */
export interface GrafanaProps extends GrafanaOptions {
  /** Object name of the Deployment, Service and ConfigMap. */
  readonly name: string;
  /** @default - none */
  readonly partOf?: string;
  /** Path prefix Grafana serves under (`serve_from_sub_path`). */
  readonly routePrefix: string;
  /** The admin credentials Secret. */
  readonly admin: Required<GrafanaAdminSecret>;
  /** Provisioned datasources. */
  readonly datasources: GrafanaDatasources;
  /** @default 'retain-sc-telemetry' */
  readonly storageClassName?: string;
}

/**
 * Grafana with provisioned datasources, admin credentials from an existing Secret, anonymous access off, and served
 * under its route prefix. One replica with Recreate: its SQLite database sits on a ReadWriteOnce volume.
 */
export class Grafana extends WorkloadConstruct {
  /** Port of the UI and API. */
  public static readonly PORT = 3000;

  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The datasource provisioning ConfigMap. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The claim, when one is rendered. */
  public readonly claim?: k8s.KubePersistentVolumeClaim;
  /** The Service's endpoint (`http`). */
  public readonly endpoint: ServiceEndpoint;
  /** Labels selecting the Grafana pod. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The root URL Grafana is configured with. */
  public readonly rootUrl: string;
  /** ServiceAccount, Role (get/list/watch configmaps in the release namespace) and RoleBinding, with the sidecar. */
  public readonly access?: NamespacedAccess;
  /** The dashboard provider ConfigMap, with the sidecar. */
  public readonly dashboardProvider?: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const ident = new MemberIdentity(this, props.name, props.partOf);
    this.selector = ident.selector;
    this.rootUrl = resolveRootUrl(props);

    const data = { 'datasources.yaml': props.datasources.bind(this).toYaml() };
    this.configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: { name: `${ident.name}-datasources`, labels: ident.labels }, data });
    const storage = dataVolume(this, 'persistence', ident, props.persistence, { size: Size.gibibytes(2), storageClassName: props.storageClassName ?? TELEMETRY_STORAGE_CLASS });
    this.claim = storage.claim;

    const anonymous = props.anonymousAccess ?? false;
    const env = new EnvBuilder('Grafana')
      .own('GF_SERVER_HTTP_PORT', String(Grafana.PORT))
      .own('GF_SERVER_ROOT_URL', this.rootUrl)
      .own('GF_SERVER_SERVE_FROM_SUB_PATH', 'true')
      // Read on first start only (when the database is created); later rotations go through `grafana cli admin
      // reset-admin-password`.
      .own('GF_SECURITY_ADMIN_USER', EnvSource.secret(props.admin.secretName, props.admin.userKey))
      .own('GF_SECURITY_ADMIN_PASSWORD', EnvSource.secret(props.admin.secretName, props.admin.passwordKey))
      .own('GF_AUTH_ANONYMOUS_ENABLED', String(anonymous))
      .own('GF_AUTH_ANONYMOUS_ORG_ROLE', 'Viewer')
      .own('GF_PATHS_DATA', '/var/lib/grafana')
      .own('GF_PATHS_PROVISIONING', '/etc/grafana/provisioning')
      .defaults({
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
        GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
        GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: 'false',
        GF_USERS_ALLOW_SIGN_UP: 'false',
        GF_LOG_MODE: 'console',
      })
      .user(props.env, 'env');

    const sidecar = props.dashboardSidecar ? this.dashboardSidecar(ident, props.dashboardSidecar) : undefined;
    if (sidecar) {
      this.access = sidecar.access;
      this.dashboardProvider = sidecar.provider;
    }

    const security = SecurityProfile.restricted({ runAsUser: 472, runAsGroup: 472, fsGroup: (props.fsGroup ?? FsGroup.of(472)).gid });
    const parts = renderBackendDeployment(this, ident, {
      prop: '',
      container: {
        name: 'grafana',
        image: Images.of(this).resolve('image', props.image ?? TELEMETRY_IMAGES.grafana),
        ports: [{ name: 'http', port: Grafana.PORT }],
        env,
        resources: props.resources ?? sized(100, 500, 128, 512),
        // /api/health answers with and without the sub-path prefix, and needs no login.
        readiness: Probes.http('/api/health', 'http', { period: Duration.seconds(10) }),
        liveness: Probes.http('/api/health', 'http', { initialDelay: Duration.seconds(30), period: Duration.seconds(15), failureThreshold: 6 }),
        volumeMounts: [
          { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
          { name: 'data', mountPath: '/var/lib/grafana' },
          ...(sidecar?.grafanaMounts ?? []),
        ],
      },
      sidecars: sidecar ? [sidecar.container] : undefined,
      policyExceptions: sidecar?.exceptions,
      volumes: [{ name: 'datasources', configMap: { name: this.configMap.name } }, ...(sidecar?.volumes ?? [])],
      security,
      placement: Placement.of(this).forWorkload(props.placement, 'placement'),
      storage,
      externalRefs: [{ kind: 'Secret', name: props.admin.secretName }],
      config: sidecar ? { ...data, ...sidecar.config } : data,
      serviceAccountName: sidecar?.access.serviceAccountName,
      servicePorts: [{ name: 'http', port: Grafana.PORT }],
    });
    this.deployment = parts.deployment;
    this.service = parts.service!.service;
    this.endpoint = parts.service!.endpoint;
  }

  private dashboardSidecar(ident: MemberIdentity, o: GrafanaDashboardSidecarOptions) {
    const label = assertLabelKey('dashboardSidecar.label', o.label ?? 'grafana_dashboard');
    const labelValue = assertLabelValue('dashboardSidecar.labelValue', o.labelValue ?? '1');
    const config = {
      'dashboards.yaml': emitYaml12({
        apiVersion: 1,
        providers: [{
          name: 'sidecar',
          orgId: 1,
          type: 'file',
          disableDeletion: false,
          allowUiUpdates: false,
          updateIntervalSeconds: 30,
          options: { path: DASHBOARDS_DIR, foldersFromFilesStructure: true },
        }],
      }),
    };
    const provider = new k8s.KubeConfigMap(this, 'DashboardProvider', { metadata: { name: `${ident.name}-dashboard-provider`, labels: ident.labels }, data: config });
    const access = new NamespacedAccess(this, 'Access', {
      name: ident.name,
      labels: ident.labels,
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    });
    // The sidecar watches ConfigMaps through the API server.
    Wiring.of(this).connectToKubernetesApi(this, { container: 'dashboards', purpose: 'dashboard sidecar watches ConfigMaps' });
    const env = new EnvBuilder('Grafana dashboard sidecar')
      .own('LABEL', label)
      .own('LABEL_VALUE', labelValue)
      .own('FOLDER', DASHBOARDS_DIR)
      .own('RESOURCE', 'configmap')
      // Its own namespace only (the downward API): a Role, never a ClusterRole, covers it.
      .own('NAMESPACE', EnvSource.field('metadata.namespace'))
      .own('METHOD', 'WATCH')
      .own('UNIQUE_FILENAMES', 'false');
    const container: PodContainer = {
      name: 'dashboards',
      prop: 'dashboardSidecar',
      image: Images.of(this).resolve('dashboardSidecar.image', o.image ?? GRAFANA_DASHBOARD_SIDECAR_IMAGE),
      env,
      resources: o.resources ?? sized(50, 200, 64, 128),
      volumeMounts: [{ name: 'dashboards', mountPath: DASHBOARDS_DIR }],
    };
    return {
      access,
      provider,
      exceptions: [{
        rule: 'probes',
        reason: 'the dashboard sidecar (k8s-sidecar) serves no port to probe: it watches ConfigMaps and exits when the watch fails, which the kubelet restarts; the grafana container is probed',
      }],
      config,
      container,
      volumes: [
        { name: 'dashboards', emptyDir: {} },
        { name: 'dashboard-provider', configMap: { name: provider.name } },
      ] as k8s.Volume[],
      grafanaMounts: [
        { name: 'dashboard-provider', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
        { name: 'dashboards', mountPath: DASHBOARDS_DIR, readOnly: true },
      ],
    };
  }
}

/** The path part of a root URL (Grafana also accepts `%(protocol)s://%(domain)s:%(http_port)s/...` templates). */
function rootUrlPath(url: string): string | undefined {
  const m = /^(?:(?:https?|%\(protocol\)s):\/\/[^/\s]+)?(\/[^\s?#]*)?$/.exec(url);
  if (!m) return undefined;
  return (m[1] ?? '/').replace(/\/+$/, '') || '/';
}

function resolveRootUrl(props: GrafanaProps): string {
  const prefix = props.routePrefix;
  if (props.rootUrl === undefined) return prefix;
  const path = rootUrlPath(props.rootUrl);
  check(path !== undefined, 'rootUrl', props.rootUrl, 'an http(s) URL or an absolute path, without query or fragment');
  check(
    path === prefix,
    'rootUrl',
    props.rootUrl,
    `a URL whose path is the Grafana route prefix ${prefix}`,
    `its path ${path} differs from the route prefix, so the reverse proxy and Grafana would disagree on where Grafana lives`,
  );
  return props.rootUrl;
}
