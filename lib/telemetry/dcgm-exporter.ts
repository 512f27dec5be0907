import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { WorkloadConstruct } from '../core/workload';
import { EnvBuilder, EnvMap } from '../core/env';
import { check } from '../core/errors';
import { NodeSelection, WorkloadPlacementOptions } from '../core/placement';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { MemberIdentity, TELEMETRY_IMAGES } from './common';
import { renderHostExporter } from './host-exporter';
import { ExporterSource, externalExporter, ExternalExporterOptions, IBundledExporter } from './scrape';

/** The node label the NVIDIA GPU feature discovery (and the GPU Operator) puts on GPU nodes. */
export const GPU_PRESENT_LABEL = 'nvidia.com/gpu.present';

/** Operator settings of the bundled dcgm-exporter. */
export interface DcgmExporterOptions {
  /**
   * Image, pinned.
   * @default 'nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04'
   */
  readonly image?: string;
  /**
   * Requests and limits. The memory default is sized for the DCGM host engine the exporter embeds: its native
   * (non-Go) memory grows with the number of GPUs, steady state sits around 400-500Mi even on one GPU, and 8-GPU nodes
   * peak past 512Mi during collection, so a 512Mi limit OOM-kills the exporter on exactly the nodes that matter most.
   * @default - 100m/500m CPU, 512Mi/1Gi memory
   */
  readonly resources?: Resources;
  /**
   * Where the DaemonSet runs: `NodeSelection.exactly(...)` on the GPU nodes, never the release-wide selector (a
   * split-pool cluster pins the app to CPU nodes there, and the exporter must stay on the GPU nodes).
   * @default - `NodeSelection.exactly({ 'nvidia.com/gpu.present': 'true' })`, tolerating the `nvidia.com/gpu`
   *   NoSchedule taint GPU node pools carry before the release-wide tolerations
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Collect DCGM profiling metrics (SM occupancy, tensor-core and memory-bandwidth activity). They read GPU
   * performance counters, which the driver restricts to CAP_SYS_ADMIN, so this adds that capability (a recorded
   * `capabilities-dropped` exception).
   * @default true
   */
  readonly profilingMetrics?: boolean;
  /**
   * Label GPU metrics with the pod and namespace using each GPU, read from the kubelet's pod-resources socket
   * (a read-only hostPath mount of /var/lib/kubelet/pod-resources, recorded as a `no-host-access` exception).
   * @default false
   */
  readonly podResourcesMapping?: boolean;
  /**
   * RuntimeClass giving the container the NVIDIA driver (`nvidia` on clusters where it is not the default runtime).
   * @default - the cluster default runtime
   */
  readonly runtimeClassName?: string;
  /**
   * Extra environment (`DCGM_EXPORTER_*` settings). Keys the stack owns are rejected.
   * @default - none
   */
  readonly env?: EnvMap;
}

/** Where GPU metrics come from. */
export class DcgmExporterSource extends ExporterSource<DcgmExporter> {
  /** The stack's own dcgm-exporter DaemonSet on every GPU node, with a node-local Service. */
  public static bundled(options: DcgmExporterOptions = {}): DcgmExporterSource {
    return new DcgmExporterSource('dcgm-exporter', (scope, id, p) => new DcgmExporter(scope, id, { ...options, ...p }), undefined);
  }

  /**
   * An exporter managed elsewhere (the NVIDIA GPU Operator's, required on GKE Container-Optimized OS where the bundled
   * image cannot load the driver). No DaemonSet or Service is rendered; every scraper targets `endpoint` (`host:port`,
   * no scheme). Prefer an endpoint that reaches one pod per node (node-local or per pod), or GPU series collapse to
   * whichever pod answered.
   */
  public static external(endpoint: string, options: ExternalExporterOptions = {}): DcgmExporterSource {
    return new DcgmExporterSource('dcgm-exporter', undefined, externalExporter('dcgmExporter.external', endpoint, 'dcgm-exporter (GPU metrics)', options));
  }

  /** No GPU metrics (CPU-only clusters). */
  public static none(): DcgmExporterSource {
    return new DcgmExporterSource('dcgm-exporter', undefined, undefined);
  }
}

/** What the stack wires into the exporter. */
export interface DcgmExporterProps extends DcgmExporterOptions {
  /** Object name of the DaemonSet and Service. */
  readonly name: string;
  /** @default - none */
  readonly partOf?: string;
}

/** NVIDIA dcgm-exporter as a DaemonSet on GPU nodes, with a ClusterIP Service using `internalTrafficPolicy: Local`. */
export class DcgmExporter extends WorkloadConstruct implements IBundledExporter {
  /** The metrics port. */
  public static readonly PORT = 9400;

  /** The DaemonSet (construct id `Resource`). */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** The node-local Service. */
  public readonly service: k8s.KubeService;
  /** The node-local Service's endpoint. */
  public readonly endpoint: ServiceEndpoint;
  /** Labels selecting the exporter pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The exporter pods on the metrics port (what per-pod scrape jobs target). */
  public readonly metricsPods: PodEndpoint;

  constructor(scope: Construct, id: string, props: DcgmExporterProps) {
    super(scope, id);
    const ident = new MemberIdentity(this, props.name, props.partOf);
    this.selector = ident.selector;
    const profiling = props.profilingMetrics ?? true;
    // The capability is spelled SYS_ADMIN on purpose, never CAP_SYS_ADMIN: the container keeps
    // allowPrivilegeEscalation: false, and the API server rejects that combination when capabilities.add holds the
    // literal "CAP_SYS_ADMIN" ("cannot set allowPrivilegeEscalation to false and capabilities.Add CAP_SYS_ADMIN"),
    // while the runtime grants the same capability for either spelling. no_new_privs is no real boundary for a process
    // that holds SYS_ADMIN, which is why the capability is a recorded exception with its reason.
    const security = SecurityProfile.restricted({
      runAsRoot: { reason: 'DCGM opens the NVIDIA device nodes and runs its host engine in the container, which the image only supports as root' },
      addCapabilities: profiling
        ? { capabilities: ['SYS_ADMIN'], reason: 'DCGM profiling metrics read GPU performance counters, which the NVIDIA driver restricts to CAP_SYS_ADMIN (turn off with profilingMetrics: false)' }
        : undefined,
      hostPaths: props.podResourcesMapping
        ? {
            mounts: [{ name: 'pod-resources', hostPath: '/var/lib/kubelet/pod-resources', mountPath: '/var/lib/kubelet/pod-resources', type: 'Directory' }],
            reason: 'dcgm-exporter reads the kubelet pod-resources socket (read-only hostPath) to label GPU metrics with the pod using each GPU',
          }
        : undefined,
    });
    const env = new EnvBuilder('DcgmExporter').own('DCGM_EXPORTER_LISTEN', `:${DcgmExporter.PORT}`).own('DCGM_EXPORTER_KUBERNETES', String(props.podResourcesMapping ?? false));
    env.user(props.env, 'env');
    if (props.runtimeClassName !== undefined) {
      check(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.runtimeClassName), 'runtimeClassName', props.runtimeClassName, 'a RuntimeClass name (DNS-1123 subdomain)');
    }

    const rendered = renderHostExporter(this, ident, {
      containerName: 'dcgm-exporter',
      port: DcgmExporter.PORT,
      image: props.image ?? TELEMETRY_IMAGES.dcgmExporter,
      env,
      resources: props.resources ?? sized(100, 500, 512, 1024),
      healthPath: '/health',
      // The host engine takes tens of seconds to enumerate GPUs before /health answers.
      probeInitialDelay: Duration.seconds(45),
      security,
      placementDefaults: { nodeSelection: NodeSelection.exactly({ [GPU_PRESENT_LABEL]: 'true' }), tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] },
      placement: props.placement,
      nodeSelectionModes: ['exactly'],
      runtimeClassName: props.runtimeClassName,
    });
    this.metricsPods = rendered.metricsPods;
    this.daemonSet = rendered.daemonSet;
    this.service = rendered.service;
    this.endpoint = rendered.endpoint;
  }
}
