import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { renderDeployment } from '../core/deployment';
import { HostForm, PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder, EnvMap, EnvSource } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { Resources, sized } from '../core/resources';
import { assertInt } from '../core/validate';
import { ClientBinding, Connection, PodWiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { CollectorConfig, CollectorEnv } from './collector-config';
import { MemberIdentity } from './common';
import { collectorBaseConfig, collectorMemLimit, collectorPod, OtelClientOptions, OtelCollector } from './otel-collector';
import { ScrapeTarget } from './scrape';

/** An OTLP/gRPC destination of the gateway: a Service port the app renders (Quickwit's `grpc`, a Jaeger). */
export interface OtlpDestination {
  /** The Service. */
  readonly endpoint: ServiceEndpoint;
  /** Its OTLP/gRPC port name. */
  readonly port: string;
}

/** Props of the OpenTelemetry collector gateway. */
export interface OtelGatewayProps {
  /** Object name of the Deployment, Service and ConfigMap. */
  readonly name: string;
  /**
   * `app.kubernetes.io/part-of`.
   * @default - none
   */
  readonly partOf?: string;
  /**
   * Where logs and traces go over OTLP/gRPC (Quickwit's `otlpTarget`).
   * @default - none: the gateway then has no logs or traces pipeline
   */
  readonly logsAndTraces?: OtlpDestination;
  /**
   * Image, pinned.
   * @default TELEMETRY_IMAGES.collector
   */
  readonly image?: string;
  /**
   * Gateway replicas behind the Service (stateless: any replica takes any batch).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Requests and limits. `GOMEMLIMIT` is 80% of the memory limit and `memory_limiter` refuses data above 80% of it.
   * @default - 100m/1 CPU, 256Mi/1Gi memory
   */
  readonly resources?: Resources;
  /**
   * Node selection.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra environment (keys the gateway owns are rejected).
   * @default - none
   */
  readonly env?: EnvMap;
}

/**
 * The OpenTelemetry Collector as a gateway: a Deployment behind a ClusterIP Service that every application sends
 * OTLP to (`connect`). Metrics are served to Prometheus on the pods' `metrics` port (`scrapeTargets`, pull: Prometheus
 * is not an OTLP receiver here); logs and traces go to `logsAndTraces` over OTLP/gRPC (Quickwit). Unlike the per-node
 * collector (`OtelCollector`), it needs no node-local Service and tolerates nothing by default.
 */
export class OtelGateway extends WorkloadConstruct {
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service (OTLP gRPC and HTTP). */
  public readonly service: k8s.KubeService;
  /** The config ConfigMap. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The generated configuration (validated). */
  public readonly config: CollectorConfig;
  /** The Service's endpoint (`otlp-grpc`, `otlp-http`). */
  public readonly endpoint: ServiceEndpoint;
  /** Labels selecting the gateway pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The pods on `metrics` (application metrics) and `self-metrics`. */
  public readonly metricsPods: PodEndpoint;
  /** The pod's connections. */
  public readonly wiring: PodWiring;

  constructor(scope: Construct, id: string, props: OtelGatewayProps) {
    super(scope, id);
    try {
      const ident = new MemberIdentity(this, props.name, props.partOf);
      this.selector = ident.selector;
      const replicas = props.replicas ?? 2;
      assertInt('replicas', replicas, { min: 1, max: 50 });
      if (props.logsAndTraces !== undefined) {
        check(props.logsAndTraces.endpoint instanceof ServiceEndpoint, 'logsAndTraces', props.logsAndTraces, "a Service endpoint and its OTLP/gRPC port, such as quickwit.otlpTarget");
      }
      const resources = props.resources ?? sized(100, 1000, 256, 1024);
      this.wiring = new PodWiring(this);
      const env = new EnvBuilder(`OtelGateway ${props.name} container otel-collector`);
      const client = this.wiring.container('otel-collector', env);
      env.own('MY_POD_IP', EnvSource.field('status.podIP'))
        .own('GOMEMLIMIT', collectorMemLimit(resources));
      env.user(props.env, 'env');

      this.metricsPods = PodEndpoint.of(this, [
        { name: 'metrics', port: OtelCollector.APP_METRICS_PORT },
        { name: 'self-metrics', port: OtelCollector.SELF_METRICS_PORT },
      ]);
      const processors = ['memory_limiter', 'batch'];
      const config = collectorBaseConfig()
        .addProcessor('batch', {})
        .addExporter('prometheus', { endpoint: CollectorEnv.concat(CollectorEnv.env('MY_POD_IP'), `:${OtelCollector.APP_METRICS_PORT}`) })
        .addPipeline('metrics', { receivers: ['otlp'], processors, exporters: ['prometheus'] });
      if (props.logsAndTraces) {
        const c = client.connect(props.logsAndTraces.endpoint, props.logsAndTraces.port, { purpose: 'OTLP logs and traces' });
        config.addExporter('otlp/logs-traces', { endpoint: c.hostPort(HostForm.NAMESPACED), tls: { insecure: true } })
          .addPipeline('traces', { receivers: ['otlp'], processors, exporters: ['otlp/logs-traces'] })
          .addPipeline('logs', { receivers: ['otlp'], processors, exporters: ['otlp/logs-traces'] });
      }
      this.config = config.validate();
      const pod = collectorPod(this, ident, { config: this.config, image: props.image, env, resources, appMetrics: true });
      this.configMap = pod.configMap;
      const rendered = renderDeployment(this, {
        name: ident.name,
        prop: '',
        labels: ident.labels,
        replicas,
        containers: [pod.container],
        wiring: this.wiring,
        volumes: [pod.volume],
        security: pod.security,
        placement: Placement.of(this).forWorkload(props.placement, 'placement'),
        podAnnotations: pod.podAnnotations,
        topologySpreadConstraints: replicas > 1
          ? [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...this.selector } } }]
          : undefined,
        service: {
          name: ident.name,
          ports: [{ name: 'otlp-grpc', port: OtelCollector.OTLP_GRPC_PORT }, { name: 'otlp-http', port: OtelCollector.OTLP_HTTP_PORT }],
        },
      });
      this.deployment = rendered.deployment;
      this.service = rendered.service!.service;
      this.endpoint = rendered.service!.endpoint;
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /**
   * What Prometheus scrapes: the application metrics the gateway re-exports (job `<name>`) and its own
   * (`<name>-self`), per pod.
   */
  public scrapeTargets(): ScrapeTarget[] {
    const name = this.deployment.name;
    return [ScrapeTarget.pods(name, this.metricsPods, 'metrics'), ScrapeTarget.pods(`${name}-self`, this.metricsPods, 'self-metrics')];
  }

  /**
   * Wires an application container: the graph edge to the gateway's OTLP/gRPC port, and OTLP env defaults the user's
   * env may override (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL=grpc, OTEL_SERVICE_NAME).
   */
  public connect(client: ClientBinding, options: OtelClientOptions): Connection {
    return inConstruct(this, () => {
      check(typeof options?.serviceName === 'string' && options.serviceName.trim() !== '', 'serviceName', options?.serviceName, 'the name the container\'s telemetry carries');
      const c = client.connect(this.endpoint, 'otlp-grpc', { purpose: 'OTLP traces, metrics and logs' });
      client.defaultEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: c.url('http', { form: HostForm.NAMESPACED }), OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: options.serviceName });
      return c;
    });
  }
}
