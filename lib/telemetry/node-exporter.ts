import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { WorkloadConstruct } from '../core/workload';
import { EnvBuilder, EnvSource } from '../core/env';
import { NodeSelection, WorkloadPlacementOptions } from '../core/placement';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { MemberIdentity, TELEMETRY_IMAGES } from './common';
import { renderHostExporter } from './host-exporter';
import { ExporterSource, externalExporter, ExternalExporterOptions, IBundledExporter } from './scrape';

/**
 * How much of the node node-exporter may see. Host access breaks the `no-host-access` policy rule, so each piece is
 * a named exception whose reason is written onto the DaemonSet.
 */
export class NodeExporterHostAccess {
  /**
   * The node's /proc, /sys and root filesystem mounted read-only, and the node's network namespace: every collector
   * describes the node. Host PID is not needed: the mounted /proc already shows the host's PID 1 mount table.
   *
   * In the node's network namespace the exporter listens on the node's primary IP only (`status.hostIP` through the
   * downward API), not on every interface: host metrics are not published on public, storage or other secondary
   * interfaces. Scraping is unaffected, because a hostNetwork pod's IP is the node's IP, so Prometheus (pod
   * discovery), the node-local Service and the kubelet's probes all dial that address. Port 9100 must still be free on
   * that address: a second node-exporter (kube-prometheus-stack's) would collide, use `NodeExporterSource.external`.
   */
  public static full(): NodeExporterHostAccess {
    return new NodeExporterHostAccess(true, true);
  }

  /**
   * No host access, for clusters whose policy forbids it outright. CPU, memory, load, vmstat and disk I/O still
   * describe the node (the kernel does not namespace them); filesystem and network collectors would describe the pod
   * instead, so they are switched off.
   */
  public static none(): NodeExporterHostAccess {
    return new NodeExporterHostAccess(false, false);
  }

  private constructor(
    /** Read-only hostPath mounts of /proc, /sys and /. */
    public readonly hostFilesystems: boolean,
    /** `hostNetwork: true`. */
    public readonly hostNetwork: boolean,
  ) {}
}

/** Operator settings of the bundled node-exporter. */
export interface NodeExporterOptions {
  /**
   * Image, pinned.
   * @default 'quay.io/prometheus/node-exporter:v1.8.2'
   */
  readonly image?: string;
  /**
   * Requests and limits.
   * @default - 50m/250m CPU, 32Mi/128Mi memory
   */
  readonly resources?: Resources;
  /**
   * What of the node the exporter may see.
   * @default NodeExporterHostAccess.full()
   */
  readonly hostAccess?: NodeExporterHostAccess;
  /**
   * Where the DaemonSet runs: `NodeSelection.everywhere()` or `.exactly(...)`, never the release-wide selector (host
   * metrics are wanted from every node the app runs on, whichever pool that is).
   * @default - every node (`NodeSelection.everywhere()`), tolerating every taint (`operator: Exists`, so tainted GPU
   *   or tenant nodes are covered too) before the release-wide tolerations
   */
  readonly placement?: WorkloadPlacementOptions;
}

/** Where host metrics come from. */
export class NodeExporterSource extends ExporterSource<NodeExporter> {
  /** The stack's own node-exporter DaemonSet on every node, with a node-local Service. */
  public static bundled(options: NodeExporterOptions = {}): NodeExporterSource {
    return new NodeExporterSource('node-exporter', (scope, id, p) => new NodeExporter(scope, id, { ...options, ...p }), undefined);
  }

  /**
   * An exporter managed elsewhere (kube-prometheus-stack's, to avoid two DaemonSets per node). No DaemonSet or Service
   * is rendered; every scraper targets `endpoint` (`host:port`, no scheme).
   */
  public static external(endpoint: string, options: ExternalExporterOptions = {}): NodeExporterSource {
    return new NodeExporterSource('node-exporter', undefined, externalExporter('nodeExporter.external', endpoint, 'node-exporter (host metrics)', options));
  }

  /** No host metrics. */
  public static none(): NodeExporterSource {
    return new NodeExporterSource('node-exporter', undefined, undefined);
  }
}

/** What the stack wires into the exporter. */
export interface NodeExporterProps extends NodeExporterOptions {
  /** Object name of the DaemonSet and Service. */
  readonly name: string;
  /** @default - none */
  readonly partOf?: string;
}

/** The environment variable holding the node's IP (downward API), expanded into the listen address. */
export const HOST_IP_ENV = 'HOST_IP';

/** Collectors whose data is namespaced and would describe the pod, not the node, without host network or mounts. */
const POD_SCOPED_COLLECTORS = ['arp', 'conntrack', 'filesystem', 'netclass', 'netdev', 'netstat', 'sockstat'];

/** Prometheus node-exporter as a DaemonSet on every node, with a ClusterIP Service using `internalTrafficPolicy: Local`. */
export class NodeExporter extends WorkloadConstruct implements IBundledExporter {
  /** The metrics port. */
  public static readonly PORT = 9100;

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

  constructor(scope: Construct, id: string, props: NodeExporterProps) {
    super(scope, id);
    const ident = new MemberIdentity(this, props.name, props.partOf);
    this.selector = ident.selector;
    const access = props.hostAccess ?? NodeExporterHostAccess.full();

    // With hostNetwork, bind the node's primary IP only (see NodeExporterHostAccess.full). The brackets make the
    // address valid for an IPv6 node IP as well as an IPv4 one. Without hostNetwork the pod's own namespace is private.
    const args = [access.hostNetwork ? `--web.listen-address=[$(${HOST_IP_ENV})]:${NodeExporter.PORT}` : `--web.listen-address=:${NodeExporter.PORT}`];
    const env = new EnvBuilder('NodeExporter');
    if (access.hostNetwork) env.own(HOST_IP_ENV, EnvSource.field('status.hostIP'));
    if (access.hostFilesystems) {
      args.push('--path.procfs=/host/proc', '--path.sysfs=/host/sys', '--path.rootfs=/host/root', '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/credentials/.+|var/lib/docker/.+|var/lib/kubelet/.+|var/lib/containerd/.+)($|/)');
    }
    if (!access.hostFilesystems || !access.hostNetwork) {
      const off = POD_SCOPED_COLLECTORS.filter((c) => (c === 'filesystem' ? !access.hostFilesystems : !access.hostNetwork));
      args.push(...off.map((c) => `--no-collector.${c}`));
    }

    const security = SecurityProfile.restricted({
      runAsUser: 65534,
      runAsGroup: 65534,
      readOnlyRootFilesystem: true,
      hostPaths: access.hostFilesystems
        ? {
            mounts: [
              { name: 'proc', hostPath: '/proc', mountPath: '/host/proc' },
              { name: 'sys', hostPath: '/sys', mountPath: '/host/sys' },
              { name: 'root', hostPath: '/', mountPath: '/host/root', mountPropagation: 'HostToContainer' },
            ],
            reason: "node-exporter reads the node's /proc, /sys and root filesystem through read-only hostPath mounts to report host CPU, memory, disk and filesystem metrics",
          }
        : undefined,
      hostNetwork: access.hostNetwork ? { reason: "node-exporter joins the node's network namespace (hostNetwork) so interface and socket metrics describe the node, not the pod" } : undefined,
    });
    const rendered = renderHostExporter(this, ident, {
      containerName: 'node-exporter',
      port: NodeExporter.PORT,
      image: props.image ?? TELEMETRY_IMAGES.nodeExporter,
      args,
      env,
      resources: props.resources ?? sized(50, 250, 32, 128),
      healthPath: '/',
      security,
      placementDefaults: { nodeSelection: NodeSelection.everywhere(), tolerations: [{ operator: 'Exists' }] },
      placement: props.placement,
      nodeSelectionModes: ['everywhere', 'exactly'],
    });
    this.metricsPods = rendered.metricsPods;
    this.daemonSet = rendered.daemonSet;
    this.service = rendered.service;
    this.endpoint = rendered.endpoint;
  }
}
