import { Duration, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { HostForm, PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { ClientBinding, Connection, PodWiring, Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { checksumAnnotations } from '../core/checksum';
import { buildContainer, buildWaitContainer, ContainerOptions, ContainerPortSpec } from '../core/container';
import { EnvBuilder, EnvMap, EnvSource } from '../core/env';
import { check } from '../core/errors';
import { NamespacedAccess } from '../core/rbac';
import { WaitFor } from '../core/waits';
import { Images } from '../core/images';
import { assertOwnNodeSelection, NodeSelection, Placement, placementWithDefaults, Toleration, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { externalRefsAnnotation, policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { CollectorConfig, CollectorEnv } from './collector-config';
import { MemberIdentity, renderMemberDaemonSet, renderService, TELEMETRY_IMAGES, workloadAnnotations } from './common';
import { OtlpProtocol, ResolvedCloudOptions, TelemetryMode } from './mode';
import { Jaeger } from './jaeger';
import { renderScrapeConfig } from './prometheus-config';
import { ScrapeTarget } from './scrape';

/** Operator settings of the per-node collector. */
export interface OtelCollectorOptions {
  /**
   * Image, pinned. The contrib distribution: the cloud mode's `basicauth` extension is not in the core one.
   * @default 'otel/opentelemetry-collector-contrib:0.116.0'
   */
  readonly image?: string;
  /**
   * Requests and limits. `GOMEMLIMIT` is set to 80% of the memory limit and `memory_limiter` refuses data above 80%
   * of it, so the collector sheds load instead of being OOM-killed.
   * @default - 100m/500m CPU, 128Mi/512Mi memory
   */
  readonly resources?: Resources;
  /**
   * Where the DaemonSet runs. Its node selection is `NodeSelection.everywhere()` or `.exactly(...)`, never the
   * release-wide selector: the collector's Service is node-local, so a node without a collector silently drops every
   * span and metric its pods send (the split-pool failure: app on GPU nodes, collector pinned to CPU nodes).
   * @default - every node (`NodeSelection.everywhere()`), tolerating `nvidia.com/gpu=true:NoSchedule` and every taint
   *   (`operator: Exists`) before the release-wide tolerations
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra environment. Keys the stack owns (pod IP, node name, GOMEMLIMIT, cloud credentials) are rejected.
   * @default - none
   */
  readonly env?: EnvMap;
}

/** What the stack wires into the collector. */
export interface OtelCollectorProps extends OtelCollectorOptions {
  /** Object name of the DaemonSet, Service and ConfigMap. */
  readonly name: string;
  /** @default - none */
  readonly partOf?: string;
  /** Self-hosted or cloud: which pipelines and exporters the config holds. */
  readonly mode: TelemetryMode;
  /**
   * Self-hosted: the Jaeger the collector exports traces to (OTLP/gRPC).
   * @default - none (required in self-hosted mode)
   */
  readonly jaeger?: Jaeger;
  /**
   * Cloud: exporters the collector scrapes and forwards (Prometheus does this in self-hosted mode).
   * @default []
   */
  readonly scrapeTargets?: readonly ScrapeTarget[];
}

/** Default tolerations of the collector: the NVIDIA GPU Operator taint, and every other taint. */
export const COLLECTOR_DEFAULT_TOLERATIONS: readonly Toleration[] = [
  { key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
  { operator: 'Exists' },
];

/** How an application container is wired to the collector. */
export interface OtelClientOptions {
  /**
   * OTEL_SERVICE_NAME: the name the container's spans and metrics carry. Each container names itself: siblings in
   * one pod would otherwise all land under the SDK's `unknown_service`.
   */
  readonly serviceName: string;
}

/**
 * The OpenTelemetry Collector as a DaemonSet on every node, behind a ClusterIP Service with
 * `internalTrafficPolicy: Local`: a pod's OTLP stays on its node, and each collector only ever sees its own node's
 * traffic.
 */
export class OtelCollector extends WorkloadConstruct {
  /** OTLP/gRPC receiver port. */
  public static readonly OTLP_GRPC_PORT = 4317;
  /** OTLP/HTTP receiver port. */
  public static readonly OTLP_HTTP_PORT = 4318;
  /** Prometheus exporter with the metrics applications push over OTLP (self-hosted). */
  public static readonly APP_METRICS_PORT = 8889;
  /** The collector's own metrics (queue sizes, drops, export failures). */
  public static readonly SELF_METRICS_PORT = 8888;
  /** Health check extension port. */
  public static readonly HEALTH_PORT = 13133;

  /** The DaemonSet (construct id `Resource`). */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** The node-local Service. */
  public readonly service: k8s.KubeService;
  /** The config ConfigMap. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The generated configuration. */
  public readonly config: CollectorConfig;
  /** The node-local Service's endpoint (OTLP gRPC and HTTP). */
  public readonly endpoint: ServiceEndpoint;
  /** Labels selecting the collector pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The collector pods on their metrics ports (`metrics`, self-hosted only, and `self-metrics`), for pod scrapes. */
  public readonly metricsPods: PodEndpoint;
  /** The pod's connections and init waits (Jaeger and Prometheus in self-hosted mode). */
  public readonly wiring: PodWiring;
  private access?: NamespacedAccess;
  private readonly ident: MemberIdentity;

  constructor(scope: Construct, id: string, props: OtelCollectorProps) {
    super(scope, id);
    const ident = new MemberIdentity(this, props.name, props.partOf);
    this.ident = ident;
    this.selector = ident.selector;
    this.wiring = new PodWiring(this);
    const selfHosted = props.mode.selfHosted;
    const resources = props.resources ?? sized(100, 500, 128, 512);

    const env = new EnvBuilder('OtelCollector')
      .own('MY_POD_IP', EnvSource.field('status.podIP'))
      .own('K8S_NODE_NAME', EnvSource.field('spec.nodeName'))
      .own('GOMEMLIMIT', collectorMemLimit(resources));
    const auth = props.mode.cloud?.auth;
    const secrets = auth?.secretName !== undefined ? [auth.secretName] : [];
    if (auth) env.ownAll(auth.credentialEnv());
    env.user(props.env, 'env');

    this.metricsPods = PodEndpoint.of(this, [
      ...(selfHosted ? [{ name: 'metrics', port: OtelCollector.APP_METRICS_PORT }] : []),
      { name: 'self-metrics', port: OtelCollector.SELF_METRICS_PORT },
    ]);
    this.config = props.mode.cloud ? cloudConfig(this, props, props.mode.cloud) : selfHostedConfig(this, props);
    const pod = collectorPod(this, ident, { config: this.config, image: props.image, env, resources, appMetrics: selfHosted });
    this.configMap = pod.configMap;
    const security = pod.security;
    const container = buildContainer('', pod.container, security);
    assertOwnNodeSelection('placement.nodeSelection', props.placement?.nodeSelection, ['everywhere', 'exactly']);
    const placement = Placement.of(this).forWorkload(
      placementWithDefaults({ nodeSelection: NodeSelection.everywhere(), tolerations: COLLECTOR_DEFAULT_TOLERATIONS }, props.placement),
      'placement',
    );
    const built = buildPodSpec(this, '', {
      containers: [container],
      volumes: [pod.volume],
      security,
      placement,
    });
    // The init waits (Jaeger from the constructor, Prometheus through `waitFor` once the stack has built it) and the
    // ServiceAccount they read the API with are rendered from the pod's wiring at synth time.
    const initSecurity = security.forInitContainers();
    const spec: k8s.PodSpec = {
      ...built,
      initContainers: Lazy.any({
        produce: () => (this.wiring.waits.length ? this.wiring.waits.map((w) => buildWaitContainer(this, w, initSecurity)) : undefined),
      }),
      serviceAccountName: Lazy.any({ produce: () => this.access?.serviceAccountName }),
      automountServiceAccountToken: Lazy.any({ produce: () => (this.access ? true : built.automountServiceAccountToken) }),
    };
    this.daemonSet = renderMemberDaemonSet(this, ident, {
      spec,
      annotations: workloadAnnotations(policyExceptionAnnotations(security.exceptions), externalRefsAnnotation(secrets.map((name) => ({ kind: 'Secret' as const, name })))),
      podAnnotations: pod.podAnnotations,
    });
    const svc = renderService(
      this,
      ident,
      [
        { name: 'otlp-grpc', port: OtelCollector.OTLP_GRPC_PORT },
        { name: 'otlp-http', port: OtelCollector.OTLP_HTTP_PORT },
      ],
      true,
    );
    this.service = svc.service;
    this.endpoint = svc.endpoint;
  }

  /**
   * Holds the collector pods in an init container until `endpoint`'s Service has ready endpoints (the seed's
   * `k8s-wait-for` waits on Prometheus and Jaeger): a collector that starts first would export into nothing and
   * count drops. The wait reads Services and pods from the API, so the collector gets a ServiceAccount and a Role
   * allowing exactly that in its namespace. The Service must be in the collector's namespace.
   */
  public waitFor(endpoint: ServiceEndpoint): void {
    check(endpoint instanceof ServiceEndpoint, 'collector.waitFor', endpoint, 'a Service endpoint the app renders');
    check(
      endpoint.namespace === this.ident.namespace,
      'collector.waitFor',
      endpoint.description,
      `a Service in the collector's namespace ${this.ident.namespace}`,
      'the wait reads Services in its own namespace only',
    );
    const wait = WaitFor.service(endpoint);
    this.wiring.pod().addWait(wait);
    this.access ??= new NamespacedAccess(this, 'Access', { name: this.ident.name, labels: this.ident.labels, rules: wait.rules });
  }

  /**
   * Wires an application container to the node-local collector: the graph edge, and OTLP env defaults the user's env
   * may override (endpoint, the gRPC protocol, the service name). The protocol is stated because the endpoint is the
   * gRPC port and the OpenTelemetry SDKs disagree on their default (Python exporters speak gRPC, Node's
   * http/protobuf).
   */
  public connect(client: ClientBinding, options: OtelClientOptions): Connection {
    const c = client.connect(this.endpoint, 'otlp-grpc', { purpose: 'OTLP traces and metrics' });
    client.defaultEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: c.url('http', { form: HostForm.SHORT }), OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: options.serviceName });
    return c;
  }
}

const POD_IP = CollectorEnv.env('MY_POD_IP');
/**
 * What every collector's pod is made of (the per-node collector and the gateway).
 * @internal
 */
export interface CollectorPod {
  /** The generated config (construct id `Config`, named `<name>-config`). */
  readonly configMap: k8s.KubeConfigMap;
  /** The `otel-collector` container, mounting the config at /conf. */
  readonly container: ContainerOptions;
  /** The pod volume of the config. */
  readonly volume: k8s.Volume;
  /** The image's uid and gid 10001, with a read-only root filesystem. */
  readonly security: SecurityProfile;
  /** The pod template's `checksum/config` of the config. */
  readonly podAnnotations: Record<string, string>;
}

/**
 * `GOMEMLIMIT` of a collector: 80% of its memory limit, where `memory_limiter` also refuses data, so the collector
 * sheds load instead of being OOM-killed.
 * @internal
 */
export function collectorMemLimit(resources: Resources): string {
  return `${Math.floor(resources.memory.limit.toMebibytes() * 0.8)}MiB`;
}

/**
 * Renders a collector's config ConfigMap and returns the pod parts around it: the `otel-collector` container on the
 * contrib image (or `image`, resolved as prop `image`) with the OTLP ports, the application metrics port when
 * `appMetrics`, the self-metrics and health ports, probed on the health_check extension.
 * @internal
 */
export function collectorPod(
  member: WorkloadConstruct,
  ident: MemberIdentity,
  o: {
    readonly config: CollectorConfig;
    readonly image?: string;
    readonly env: EnvBuilder;
    readonly resources: Resources;
    readonly appMetrics: boolean;
  },
): CollectorPod {
  const data = { 'collector.yaml': o.config.toYaml() };
  const configMap = new k8s.KubeConfigMap(member, 'Config', { metadata: { name: `${ident.name}-config`, labels: ident.labels }, data });
  const ports: ContainerPortSpec[] = [
    { name: 'otlp-grpc', port: OtelCollector.OTLP_GRPC_PORT },
    { name: 'otlp-http', port: OtelCollector.OTLP_HTTP_PORT },
  ];
  if (o.appMetrics) ports.push({ name: 'metrics', port: OtelCollector.APP_METRICS_PORT });
  ports.push({ name: 'self-metrics', port: OtelCollector.SELF_METRICS_PORT }, { name: 'health', port: OtelCollector.HEALTH_PORT });
  const container: ContainerOptions = {
    name: 'otel-collector',
    image: Images.of(member).resolve('image', o.image ?? TELEMETRY_IMAGES.collector),
    args: ['--config=/conf/collector.yaml'],
    ports,
    env: o.env,
    resources: o.resources,
    // The health_check extension answers on its root path.
    readiness: Probes.http('/', 'health', { period: Duration.seconds(10) }),
    liveness: Probes.http('/', 'health', { period: Duration.seconds(15), failureThreshold: 4 }),
    volumeMounts: [{ name: 'config', mountPath: '/conf', readOnly: true }],
  };
  return {
    configMap,
    container,
    volume: { name: 'config', configMap: { name: configMap.name } },
    security: SecurityProfile.restricted({ runAsUser: 10001, runAsGroup: 10001, readOnlyRootFilesystem: true }),
    podAnnotations: checksumAnnotations(data),
  };
}

const onPodIp = (port: number) => CollectorEnv.concat(POD_IP, `:${port}`);

/**
 * Components every collector shares (both modes of the per-node collector, and the gateway): health check, OTLP in,
 * memory limiter, self-metrics, each on the pod IP.
 * @internal
 */
export function collectorBaseConfig(): CollectorConfig {
  return new CollectorConfig()
    .addExtension('health_check', { endpoint: onPodIp(OtelCollector.HEALTH_PORT) })
    .addReceiver('otlp', {
      protocols: {
        grpc: { endpoint: onPodIp(OtelCollector.OTLP_GRPC_PORT) },
        http: { endpoint: onPodIp(OtelCollector.OTLP_HTTP_PORT) },
      },
    })
    .addProcessor('memory_limiter', { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 })
    .setTelemetry({
      metrics: { readers: [{ pull: { exporter: { prometheus: { host: POD_IP, port: OtelCollector.SELF_METRICS_PORT } } } }] },
    });
}

function selfHostedConfig(collector: OtelCollector, props: OtelCollectorProps): CollectorConfig {
  check(props.jaeger !== undefined, 'jaeger', props.jaeger, 'the Jaeger the collector exports traces to (required in self-hosted mode)');
  const jaeger = collector.wiring.pod().connect(props.jaeger.endpoint, 'otlp-grpc', { purpose: 'traces' });
  collector.waitFor(props.jaeger.endpoint);
  const processors = ['memory_limiter', 'batch'];
  return collectorBaseConfig()
    .addProcessor('batch', {})
    .addExporter('otlp/jaeger', { endpoint: jaeger.hostPort(HostForm.SHORT), tls: { insecure: true } })
    .addExporter('prometheus', { endpoint: onPodIp(OtelCollector.APP_METRICS_PORT) })
    .addPipeline('traces', { receivers: ['otlp'], processors, exporters: ['otlp/jaeger'] })
    .addPipeline('metrics', { receivers: ['otlp'], processors, exporters: ['prometheus'] })
    .validate();
}

function cloudConfig(collector: OtelCollector, props: OtelCollectorProps, cloud: ResolvedCloudOptions): CollectorConfig {
  Wiring.of(collector).connect(collector, cloud.target, 'otlp', { purpose: 'telemetry to the cloud backend' });
  const config = collectorBaseConfig();
  const exporterId = cloud.protocol === OtlpProtocol.GRPC ? 'otlp/cloud' : 'otlphttp/cloud';
  const exporter: Record<string, unknown> = { endpoint: cloud.endpoint };
  cloud.auth.configure(config, exporter);
  config
    // Series the collector scrapes carry no node identity of their own; name the node they came from.
    .addProcessor('resource/node', { attributes: [{ key: 'k8s.node.name', value: CollectorEnv.env('K8S_NODE_NAME'), action: 'insert' }] })
    .addProcessor('batch', {})
    .addExporter(exporterId, exporter);
  const targets = props.scrapeTargets ?? [];
  const metricsReceivers = ['otlp'];
  if (targets.length) {
    config.addReceiver('prometheus/exporters', {
      config: { scrape_configs: targets.map((t, i) => renderScrapeConfig(`scrapeTargets[${i}]`, t.bind(collector, { scrapeInterval: Duration.seconds(30) }))) },
    });
    metricsReceivers.push('prometheus/exporters');
  }
  const processors = ['memory_limiter', 'resource/node', 'batch'];
  return config
    .addPipeline('traces', { receivers: ['otlp'], processors, exporters: [exporterId] })
    .addPipeline('metrics', { receivers: metricsReceivers, processors, exporters: [exporterId] })
    .addPipeline('logs', { receivers: ['otlp'], processors, exporters: [exporterId] })
    .validate();
}
