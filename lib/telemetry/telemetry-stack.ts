import { Construct } from 'constructs';
import { HostForm } from '../core/endpoint';
import { buildChild, check, ErrorCollector } from '../core/errors';
import { assertLabelValue } from '../core/labels';
import { assertDnsLabel, isDnsSubdomain } from '../core/names';
import { Release } from '../release/release';
import { assertPathPrefix, TELEMETRY_STORAGE_CLASS, TelemetryRoute } from './common';
import { DcgmExporter, DcgmExporterSource } from './dcgm-exporter';
import { Grafana, GrafanaOptions } from './grafana';
import { GrafanaDatasources } from './grafana-datasources';
import { Jaeger, JaegerOptions } from './jaeger';
import { GrafanaAdminSecret, TelemetryMode } from './mode';
import { NodeExporter, NodeExporterSource } from './node-exporter';
import { OtelCollector, OtelCollectorOptions } from './otel-collector';
import { Prometheus, PrometheusOptions } from './prometheus';
import { ScrapeTarget } from './scrape';

/**
 * Path prefixes the UIs are served under. One setting feeds both sides: the backends' own sub-path flags and the
 * routes a reverse proxy builds from `TelemetryStack.routes`, so they cannot disagree.
 */
export interface TelemetryRoutePrefixes {
  /** @default '/grafana' */
  readonly grafana?: string;
  /** @default '/prometheus' */
  readonly prometheus?: string;
  /** @default '/jaeger' */
  readonly jaeger?: string;
}

/** Props of TelemetryStack. */
export interface TelemetryStackProps {
  /** Self-hosted backends or a managed OTLP endpoint. */
  readonly mode: TelemetryMode;
  /**
   * Prefix of every object name (`<prefix>-prometheus`), for a second stack in one namespace.
   * @default - no prefix (`otel-collector`, `prometheus`, `grafana`, `jaeger`, `dcgm-exporter`, `node-exporter`)
   */
  readonly namePrefix?: string;
  /**
   * `app.kubernetes.io/part-of` on every object.
   * @default - none
   */
  readonly partOf?: string;
  /**
   * Path prefixes of the UIs (self-hosted).
   * @default - /grafana, /prometheus, /jaeger
   */
  readonly routePrefixes?: TelemetryRoutePrefixes;
  /**
   * Absolute URL the reverse proxy serves the release at (`https://viz.example.com`), for Prometheus' external URL
   * (links in alerts) and the UI links in the notes. Grafana's root URL stays relative unless `grafana.rootUrl` sets an
   * absolute one.
   * @default - relative URLs (the route prefixes alone)
   */
  readonly publicUrl?: string;
  /**
   * StorageClass of every telemetry claim that does not set its own. Keep it separate from the app's class and on
   * block storage: Prometheus, Badger and SQLite need local-disk fsync and locking semantics, not NFS.
   * @default 'retain-sc-telemetry'
   */
  readonly storageClassName?: string;
  /**
   * The per-node OpenTelemetry Collector.
   * @default - see OtelCollectorOptions
   */
  readonly collector?: OtelCollectorOptions;
  /**
   * Prometheus (self-hosted only).
   * @default - see PrometheusOptions
   */
  readonly prometheus?: PrometheusOptions;
  /**
   * Grafana (self-hosted only).
   * @default - see GrafanaOptions
   */
  readonly grafana?: GrafanaOptions;
  /**
   * Jaeger (self-hosted only).
   * @default - see JaegerOptions
   */
  readonly jaeger?: JaegerOptions;
  /**
   * GPU metrics.
   * @default DcgmExporterSource.bundled()
   */
  readonly dcgmExporter?: DcgmExporterSource;
  /**
   * Host metrics.
   * @default NodeExporterSource.bundled()
   */
  readonly nodeExporter?: NodeExporterSource;
}

/**
 * Metrics, traces and dashboards for a release: a per-node OpenTelemetry Collector, GPU and host exporters, and in
 * self-hosted mode Prometheus, Jaeger and Grafana. Correct on multi-node and split-pool clusters: the collector and
 * node-exporter run on every node, dcgm-exporter on every GPU node, and Prometheus scrapes each exporter pod
 * directly so no node's metrics go missing. Every scrape, export and datasource is a connection in the wiring graph.
 */
export class TelemetryStack extends Construct {
  /** Self-hosted or cloud. */
  public readonly mode: TelemetryMode;
  /** The per-node collector; applications connect to it with `collector.connect(client, { serviceName })`. */
  public readonly collector: OtelCollector;
  /** Self-hosted only. */
  public readonly prometheus?: Prometheus;
  /** Self-hosted only. */
  public readonly grafana?: Grafana;
  /** Self-hosted only. */
  public readonly jaeger?: Jaeger;
  /** When bundled. */
  public readonly dcgmExporter?: DcgmExporter;
  /** When bundled. */
  public readonly nodeExporter?: NodeExporter;
  /**
   * The UIs a reverse proxy should route, one per UI (empty in cloud mode). Forward the path unchanged: each backend
   * serves under its prefix.
   */
  public readonly routes: readonly TelemetryRoute[];

  constructor(scope: Construct, id: string, props: TelemetryStackProps) {
    super(scope, id);
    this.mode = props.mode;
    const release = Release.of(this);
    const s = this.settings(props);

    // Each member's props are the stack's member props; what the stack sets itself is named as its own prop.
    const stackSet = (m: string) => ({ name: 'namePrefix', partOf: 'partOf', routePrefix: `routePrefixes.${m}`, storageClassName: 'storageClassName', mode: 'mode', externalUrl: 'publicUrl' });
    const member = <T>(id: string, prop: string, build: () => T): T => buildChild(this, id, { prefix: prop, renames: stackSet(prop) }, build);
    const dcgm = member('DcgmExporter', 'dcgmExporter', () => s.dcgmSource.bind(this, 'DcgmExporter', { name: s.name('dcgm-exporter'), partOf: props.partOf }));
    const node = member('NodeExporter', 'nodeExporter', () => s.nodeSource.bind(this, 'NodeExporter', { name: s.name('node-exporter'), partOf: props.partOf }));
    this.dcgmExporter = dcgm.exporter;
    this.nodeExporter = node.exporter;

    const admin = props.mode.grafanaAdmin;
    const selfHosted = admin !== undefined;
    if (selfHosted) {
      this.jaeger = member('Jaeger', 'jaeger', () => new Jaeger(this, 'Jaeger', {
        ...props.jaeger,
        name: s.name('jaeger'),
        partOf: props.partOf,
        routePrefix: s.routePrefixes.jaeger,
        storageClassName: s.storageClassName,
      }));
    } else {
      for (const w of [...dcgm.collectorWarnings, ...node.collectorWarnings]) release.addWarning(w);
    }
    this.collector = member('Collector', 'collector', () => new OtelCollector(this, 'Collector', {
      ...props.collector,
      name: s.name('otel-collector'),
      partOf: props.partOf,
      mode: props.mode,
      jaeger: this.jaeger,
      scrapeTargets: selfHosted ? [] : [...dcgm.collectorTargets, ...node.collectorTargets],
    }));
    if (!selfHosted) {
      this.routes = [];
      return;
    }

    this.prometheus = member('Prometheus', 'prometheus', () => new Prometheus(this, 'Prometheus', {
      ...props.prometheus,
      name: s.name('prometheus'),
      partOf: props.partOf,
      routePrefix: s.routePrefixes.prometheus,
      externalUrl: `${s.publicUrl ?? ''}${s.routePrefixes.prometheus}`,
      scrapeTargets: [
        ...dcgm.prometheusTargets,
        ...node.prometheusTargets,
        ScrapeTarget.pods('otel-collector', this.collector.metricsPods, 'metrics'),
        ScrapeTarget.pods('otel-collector-self', this.collector.metricsPods, 'self-metrics'),
      ],
      storageClassName: s.storageClassName,
    }));
    // The collector starts once both backends it feeds are up (it already waits for Jaeger, its trace exporter).
    this.collector.waitFor(this.prometheus.endpoint);
    const jaeger = this.jaeger!;
    this.grafana = this.renderGrafana(props, s, admin, this.prometheus, jaeger);
    this.routes = [
      { ui: 'grafana', pathPrefix: s.routePrefixes.grafana, endpoint: this.grafana.endpoint, port: 'http', stripPrefix: false },
      { ui: 'prometheus', pathPrefix: s.routePrefixes.prometheus, endpoint: this.prometheus.endpoint, port: 'http', stripPrefix: false },
      { ui: 'jaeger', pathPrefix: s.routePrefixes.jaeger, endpoint: jaeger.endpoint, port: 'http-query', stripPrefix: false },
    ];
    this.addNote(release, props, s, admin);
  }

  /**
   * Validates the stack-wide props (mode, names, storage class, mode-specific members, route prefixes, public URL)
   * before any member is built, reporting every mistake together.
   */
  private settings(props: TelemetryStackProps) {
    const errors = new ErrorCollector(this);
    errors.check(props.mode instanceof TelemetryMode, 'mode', props.mode, 'TelemetryMode.selfHosted({...}) or TelemetryMode.cloud({...})');
    const prefix = props.namePrefix;
    if (prefix !== undefined) errors.attempt(() => assertDnsLabel('namePrefix', prefix, 30));
    if (props.partOf !== undefined) errors.attempt(() => assertLabelValue('partOf', props.partOf!));
    const storageClassName = props.storageClassName ?? TELEMETRY_STORAGE_CLASS;
    errors.check(isDnsSubdomain(storageClassName), 'storageClassName', storageClassName, 'a StorageClass name (DNS-1123 subdomain)');
    if (props.mode instanceof TelemetryMode && !props.mode.selfHosted) {
      for (const member of ['prometheus', 'grafana', 'jaeger'] as const) {
        errors.check(props[member] === undefined, member, props[member], 'unset in cloud mode', `cloud mode renders no ${member}; its settings would be ignored`);
      }
    }
    const prefixes = errors.attempt(() => resolveRoutePrefixes(props.routePrefixes));
    const publicUrl = errors.attempt(() => resolvePublicUrl(props.publicUrl));
    const dcgmSource = props.dcgmExporter ?? DcgmExporterSource.bundled();
    const nodeSource = props.nodeExporter ?? NodeExporterSource.bundled();
    errors.check(dcgmSource instanceof DcgmExporterSource, 'dcgmExporter', dcgmSource, 'DcgmExporterSource.bundled(...), .external(...) or .none()');
    errors.check(nodeSource instanceof NodeExporterSource, 'nodeExporter', nodeSource, 'NodeExporterSource.bundled(...), .external(...) or .none()');
    errors.throwIfAny();
    const name = (member: string) => (prefix ? `${prefix}-${member}` : member);
    return { name, storageClassName, routePrefixes: prefixes!, publicUrl, dcgmSource, nodeSource };
  }

  /** Grafana with Prometheus (the default) and Jaeger as datasources, reached through its connections to them. */
  private renderGrafana(props: TelemetryStackProps, s: ReturnType<TelemetryStack['settings']>, admin: Required<GrafanaAdminSecret>, prometheus: Prometheus, jaeger: Jaeger): Grafana {
    const datasources = new GrafanaDatasources()
      .addService({ name: 'Prometheus', type: 'prometheus', uid: 'prometheus', endpoint: prometheus.endpoint, path: prometheus.routePrefix, isDefault: true, jsonData: { httpMethod: 'POST' } })
      .addService({ name: 'Jaeger', type: 'jaeger', uid: 'jaeger', endpoint: jaeger.endpoint, port: 'http-query', path: jaeger.routePrefix });
    const renames = { name: 'namePrefix', partOf: 'partOf', routePrefix: 'routePrefixes.grafana', storageClassName: 'storageClassName', admin: 'mode' };
    return buildChild(this, 'Grafana', { prefix: 'grafana', renames }, () => new Grafana(this, 'Grafana', {
      ...props.grafana,
      name: s.name('grafana'),
      partOf: props.partOf,
      routePrefix: s.routePrefixes.grafana,
      admin,
      datasources,
      storageClassName: s.storageClassName,
    }));
  }

  /** The release note: the UIs, what to create first, and where applications send OTLP. */
  private addNote(release: Release, props: TelemetryStackProps, s: ReturnType<TelemetryStack['settings']>, admin: Required<GrafanaAdminSecret>): void {
    const classes = [...new Set(
      [props.prometheus?.persistence, props.grafana?.persistence, props.jaeger?.persistence]
        .filter((p) => p?.enabled !== false && p?.existingClaim === undefined)
        .map((p) => p?.storageClassName ?? s.storageClassName),
    )].sort();
    const otlp = this.collector.endpoint;
    release.addNote(
      [
        'Telemetry (self-hosted):',
        `- UIs: ${this.routes.map((r) => `${s.publicUrl ?? ''}${r.pathPrefix}/`).join(', ')} (through the release's reverse proxy).`,
        `- Create before syncing: Secret ${admin.secretName} with keys ${admin.userKey} and ${admin.passwordKey} (Grafana admin, read on first start only)` +
          (classes.length ? `, and StorageClass ${classes.join(', ')} (block storage, reclaim policy Retain).` : '.'),
        `- Applications send OTLP to ${otlp.url('http', 'otlp-grpc', { form: HostForm.SHORT })} (gRPC) or ${otlp.url('http', 'otlp-http', { form: HostForm.SHORT })} (HTTP); the Service is node-local.`,
      ].join('\n'),
    );
  }
}

function resolveRoutePrefixes(p: TelemetryRoutePrefixes | undefined): Required<TelemetryRoutePrefixes> {
  const out = {
    grafana: assertPathPrefix('routePrefixes.grafana', p?.grafana ?? '/grafana'),
    prometheus: assertPathPrefix('routePrefixes.prometheus', p?.prometheus ?? '/prometheus'),
    jaeger: assertPathPrefix('routePrefixes.jaeger', p?.jaeger ?? '/jaeger'),
  };
  const entries = Object.entries(out);
  for (const [a, pa] of entries) {
    for (const [b, pb] of entries) {
      if (a < b && (pa === pb || pa.startsWith(`${pb}/`) || pb.startsWith(`${pa}/`))) {
        check(false, `routePrefixes.${b}`, pb, `a prefix that neither equals nor nests inside routePrefixes.${a} (${pa})`, 'a proxy matching by prefix could not tell the two UIs apart');
      }
    }
  }
  return out;
}

function resolvePublicUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  check(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(url), 'publicUrl', url, 'an absolute http(s) URL without query or fragment, for example https://viz.example.com');
  return url.replace(/\/+$/, '');
}
