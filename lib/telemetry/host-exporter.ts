import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { buildContainer } from '../core/container';
import { EnvBuilder } from '../core/env';
import { Images } from '../core/images';
import { assertOwnNodeSelection, NodeSelection, Placement, placementWithDefaults, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { Resources } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { WorkloadConstruct } from '../core/workload';
import { MemberIdentity, renderMemberDaemonSet, renderService, settingsChecksum, workloadAnnotations } from './common';

/**
 * What one host-metrics exporter (node-exporter, dcgm-exporter) adds to the DaemonSet every exporter shares.
 * @internal
 */
export interface HostExporterParts {
  /** The container's name (`node-exporter`). */
  readonly containerName: string;
  /** The metrics port (container port, Service port and probe port, all named `metrics`). */
  readonly port: number;
  /** The image the operator set, or the exporter's default: resolved through `Images` as prop `image`. */
  readonly image: string;
  /**
   * The container's arguments.
   * @default - none
   */
  readonly args?: string[];
  /** The container's environment. */
  readonly env: EnvBuilder;
  /** Requests and limits. */
  readonly resources: Resources;
  /** The path answering the readiness and liveness probes on the metrics port. */
  readonly healthPath: string;
  /**
   * Delay before either probe starts.
   * @default - none
   */
  readonly probeInitialDelay?: Duration;
  /** The pod's security profile; its hostPath mounts are the container's volume mounts. */
  readonly security: SecurityProfile;
  /** The exporter's own placement defaults: a DaemonSet never takes the release-wide node selector. */
  readonly placementDefaults: WorkloadPlacementOptions;
  /** The operator's `placement`. */
  readonly placement: WorkloadPlacementOptions | undefined;
  /** The NodeSelection modes `placement.nodeSelection` may use. */
  readonly nodeSelectionModes: readonly NodeSelection['mode'][];
  /**
   * The pod's RuntimeClass.
   * @default - the cluster default runtime
   */
  readonly runtimeClassName?: string;
}

/**
 * What a host-metrics exporter renders: the fields of an `IBundledExporter` beyond its selector.
 * @internal
 */
export interface RenderedHostExporter {
  /** The exporter pods on the metrics port. */
  readonly metricsPods: PodEndpoint;
  /** The DaemonSet (construct id `Resource`). */
  readonly daemonSet: k8s.KubeDaemonSet;
  /** The node-local Service (construct id `Service`). */
  readonly service: k8s.KubeService;
  /** The node-local Service's endpoint. */
  readonly endpoint: ServiceEndpoint;
}

/**
 * Renders a host-metrics exporter: one container serving `metrics`, probed over HTTP on it, in a DaemonSet placed by
 * the exporter's own defaults (policy exceptions on its metadata, the settings checksum on its pod template), behind a
 * ClusterIP Service with `internalTrafficPolicy: Local` (a per-node collector scrapes its own node's exporter). The
 * member's selector must be set (from `ident`) before: the Service selects its pods by it.
 * @internal
 */
export function renderHostExporter(member: WorkloadConstruct, ident: MemberIdentity, parts: HostExporterParts): RenderedHostExporter {
  const metricsPods = PodEndpoint.of(member, [{ name: 'metrics', port: parts.port }]);
  const security = parts.security;
  const container = buildContainer(
    '',
    {
      name: parts.containerName,
      image: Images.of(member).resolve('image', parts.image),
      args: parts.args,
      env: parts.env,
      ports: [{ name: 'metrics', port: parts.port }],
      resources: parts.resources,
      readiness: Probes.http(parts.healthPath, 'metrics', { initialDelay: parts.probeInitialDelay, period: Duration.seconds(10) }),
      liveness: Probes.http(parts.healthPath, 'metrics', { initialDelay: parts.probeInitialDelay, period: Duration.seconds(15), failureThreshold: 4 }),
      volumeMounts: security.hostPathMounts(),
    },
    security,
  );
  assertOwnNodeSelection('placement.nodeSelection', parts.placement?.nodeSelection, parts.nodeSelectionModes);
  const placement = Placement.of(member).forWorkload(placementWithDefaults(parts.placementDefaults, parts.placement), 'placement');
  const spec = buildPodSpec(member, '', { containers: [container], security, placement, runtimeClassName: parts.runtimeClassName });
  const daemonSet = renderMemberDaemonSet(member, ident, {
    spec,
    annotations: workloadAnnotations(policyExceptionAnnotations(security.exceptions)),
    podAnnotations: settingsChecksum(spec.containers[0]),
  });
  const { service, endpoint } = renderService(member, ident, [{ name: 'metrics', port: parts.port }], true);
  return { metricsPods, daemonSet, service, endpoint };
}
