import { Construct } from 'constructs';
import { check, ErrorCollector } from '../core/errors';
import { forwardProps } from '../core/props';
import { assertLabelValue } from '../core/labels';
import { assertDnsLabel, isDnsSubdomain } from '../core/names';
import { Release } from '../release/release';
import { assertPathPrefix, TELEMETRY_STORAGE_CLASS, TelemetryRoute } from './common';
import { DcgmExporter, DcgmExporterSource } from './dcgm-exporter';
import { Grafana, GrafanaOptions } from './grafana';
import { GrafanaDatasources } from './grafana-datasources';
import { Jaeger, JaegerOptions } from './jaeger';
import { TelemetryMode } from './mode';
import { NodeExporter, NodeExporterSource } from './node-exporter';
import { CollectorScrapeTarget, OtelCollector, OtelCollectorOptions } from './otel-collector';
import { Prometheus, PrometheusOptions } from './prometheus';
import { podScrapeJob, ScrapeConfig, staticScrapeJob } from './prometheus-config';

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
   * Absolute URL the reverse proxy serves the release at (`https://viz.example.com`), for Grafana's root URL and
   * Prometheus' external URL (links in alerts, OAuth callbacks, share links).
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
 * directly so no node's metrics go missing.
 */
export class TelemetryStack extends Construct {
  public readonly mode: TelemetryMode;
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
  /** OTLP/gRPC endpoint for applications in the namespace (`http://otel-collector:4317`); node-local. */
  public readonly otlpGrpcEndpoint: string;
  /** OTLP/HTTP endpoint for applications in the namespace (`http://otel-collector:4318`); node-local. */
  public readonly otlpHttpEndpoint: string;

  constructor(scope: Construct, id: string, props: TelemetryStackProps) {
    super(scope, id);
    // Every prop check runs before any member is built, and all their errors are reported together.
    const errors = new ErrorCollector();
    errors.check(props.mode instanceof TelemetryMode, 'mode', props.mode, 'TelemetryMode.selfHosted({...}) or TelemetryMode.cloud({...})');
    this.mode = props.mode;
    const release = Release.of(this);
    const prefix = props.namePrefix;
    if (prefix !== undefined) errors.attempt(() => assertDnsLabel('namePrefix', prefix, 30));
    if (props.partOf !== undefined) errors.attempt(() => assertLabelValue('partOf', props.partOf!));
    const name = (member: string) => (prefix ? `${prefix}-${member}` : member);
    const storageClassName = props.storageClassName ?? TELEMETRY_STORAGE_CLASS;
    errors.check(isDnsSubdomain(storageClassName), 'storageClassName', storageClassName, 'a StorageClass name (DNS-1123 subdomain)');
    const selfHosted = props.mode instanceof TelemetryMode && props.mode.selfHosted;
    if (props.mode instanceof TelemetryMode && !selfHosted) {
      for (const member of ['prometheus', 'grafana', 'jaeger'] as const) {
        errors.check(props[member] === undefined, member, props[member], 'unset in cloud mode', `cloud mode renders no ${member}; its settings would be ignored`);
      }
    }
    const prefixes = errors.attempt(() => resolveRoutePrefixes(props.routePrefixes));
    const url = errors.attempt(() => resolvePublicUrl(props.publicUrl));

    const dcgmSource = props.dcgmExporter ?? DcgmExporterSource.bundled();
    const nodeSource = props.nodeExporter ?? NodeExporterSource.bundled();
    errors.check(dcgmSource instanceof DcgmExporterSource, 'dcgmExporter', dcgmSource, 'DcgmExporterSource.bundled(...), .external(...) or .none()');
    errors.check(nodeSource instanceof NodeExporterSource, 'nodeExporter', nodeSource, 'NodeExporterSource.bundled(...), .external(...) or .none()');
    errors.throwIfAny();
    const routePrefixes = prefixes!;
    const publicUrl = url;
    if (dcgmSource.kind === 'bundled') {
      this.dcgmExporter = new DcgmExporter(this, 'DcgmExporter', { ...dcgmSource.options, name: name('dcgm-exporter'), partOf: props.partOf });
    }
    if (nodeSource.kind === 'bundled') {
      this.nodeExporter = new NodeExporter(this, 'NodeExporter', { ...nodeSource.options, name: name('node-exporter'), partOf: props.partOf });
    }

    if (selfHosted) {
      this.jaeger = new Jaeger(this, 'Jaeger', { ...props.jaeger, name: name('jaeger'), partOf: props.partOf, routePrefix: routePrefixes.jaeger, storageClassName });
    }
    const scrapeTargets: CollectorScrapeTarget[] = [];
    if (!selfHosted) {
      for (const [job, source, bundled, port] of [
        ['dcgm-exporter', dcgmSource, this.dcgmExporter, DcgmExporter.PORT],
        ['node-exporter', nodeSource, this.nodeExporter, NodeExporter.PORT],
      ] as const) {
        if (bundled) scrapeTargets.push({ jobName: job, target: `${bundled.serviceName}:${port}` });
        if (source.endpoint) {
          const target = `${source.endpoint.host}:${source.endpoint.port}`;
          scrapeTargets.push({ jobName: job, target });
          release.addWarning(
            `${job} is external (${target}) in cloud mode: every per-node collector scrapes it, so unless that endpoint is node-local (internalTrafficPolicy: Local) its series are sent once per node`,
          );
        }
      }
    }
    this.collector = new OtelCollector(this, 'Collector', {
      ...props.collector,
      name: name('otel-collector'),
      partOf: props.partOf,
      mode: props.mode,
      jaegerEndpoint: this.jaeger?.otlpGrpcEndpoint,
      scrapeTargets,
    });
    this.otlpGrpcEndpoint = `http://${this.collector.serviceName}:${OtelCollector.OTLP_GRPC_PORT}`;
    this.otlpHttpEndpoint = `http://${this.collector.serviceName}:${OtelCollector.OTLP_HTTP_PORT}`;

    if (!selfHosted) {
      this.routes = [];
      return;
    }

    const ns = release.releaseNamespace;
    const jobs: ScrapeConfig[] = [];
    for (const [job, source, bundled, port] of [
      ['dcgm-exporter', dcgmSource, this.dcgmExporter, DcgmExporter.PORT],
      ['node-exporter', nodeSource, this.nodeExporter, NodeExporter.PORT],
    ] as const) {
      if (bundled) jobs.push(podScrapeJob({ jobName: job, namespace: ns, podLabels: bundled.podLabels, port }));
      if (source.endpoint) jobs.push(staticScrapeJob({ jobName: job, targets: [`${source.endpoint.host}:${source.endpoint.port}`] }));
    }
    jobs.push(
      podScrapeJob({ jobName: 'otel-collector', namespace: ns, podLabels: this.collector.podLabels, port: OtelCollector.APP_METRICS_PORT }),
      podScrapeJob({ jobName: 'otel-collector-self', namespace: ns, podLabels: this.collector.podLabels, port: OtelCollector.SELF_METRICS_PORT }),
    );
    this.prometheus = new Prometheus(this, 'Prometheus', {
      ...props.prometheus,
      name: name('prometheus'),
      partOf: props.partOf,
      routePrefix: routePrefixes.prometheus,
      externalUrl: `${publicUrl ?? ''}${routePrefixes.prometheus}`,
      scrapeConfigs: jobs,
      storageClassName,
    });
    forwardProps(this.prometheus, { prefix: 'prometheus' });

    const datasources = new GrafanaDatasources()
      .add({ name: 'Prometheus', type: 'prometheus', uid: 'prometheus', url: this.prometheus.internalUrl, isDefault: true, jsonData: { httpMethod: 'POST' } })
      .add({ name: 'Jaeger', type: 'jaeger', uid: 'jaeger', url: this.jaeger!.internalUrl });
    this.grafana = new Grafana(this, 'Grafana', {
      ...props.grafana,
      name: name('grafana'),
      partOf: props.partOf,
      routePrefix: routePrefixes.grafana,
      publicUrl,
      admin: props.mode.grafanaAdmin!,
      datasources,
      storageClassName,
    });

    this.routes = [
      { ui: 'grafana', pathPrefix: routePrefixes.grafana, serviceName: this.grafana.serviceName, port: Grafana.PORT, stripPrefix: false },
      { ui: 'prometheus', pathPrefix: routePrefixes.prometheus, serviceName: this.prometheus.serviceName, port: Prometheus.PORT, stripPrefix: false },
      { ui: 'jaeger', pathPrefix: routePrefixes.jaeger, serviceName: this.jaeger!.serviceName, port: Jaeger.QUERY_PORT, stripPrefix: false },
    ];
    const admin = props.mode.grafanaAdmin!;
    const classes = [...new Set(
      [props.prometheus?.persistence, props.grafana?.persistence, props.jaeger?.persistence]
        .filter((p) => p?.enabled !== false && p?.existingClaim === undefined)
        .map((p) => p?.storageClassName ?? storageClassName),
    )].sort();
    release.addNote(
      [
        'Telemetry (self-hosted):',
        `- UIs: ${this.routes.map((r) => `${publicUrl ?? ''}${r.pathPrefix}/`).join(', ')} (through the release's reverse proxy).`,
        `- Create before syncing: Secret ${admin.secretName} with keys ${admin.userKey} and ${admin.passwordKey} (Grafana admin, read on first start only)` +
          (classes.length ? `, and StorageClass ${classes.join(', ')} (block storage, reclaim policy Retain).` : '.'),
        `- Applications send OTLP to ${this.otlpGrpcEndpoint} (gRPC) or ${this.otlpHttpEndpoint} (HTTP); the Service is node-local.`,
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
