import { Size } from 'cdk8s';
import { check } from '../core/errors';
import { assertLabelKey } from '../core/labels';

/** The NodePort range of a default kube-apiserver (`--service-node-port-range`). */
const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

const CIDR = /^(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}\/(?:[0-9]|[12][0-9]|3[0-2])|[0-9a-fA-F:]+\/(?:[0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$/;

/** Options for a LoadBalancer Service. */
export interface NatsLoadBalancerOptions {
  /**
   * Why the server must be reachable through a load balancer (devices outside the cluster, a k3d/klipper-lb port
   * mapping). Recorded as the `policy.ops-kit.io/load-balancer` exception on the Service.
   */
  readonly reason: string;
  /**
   * Client CIDRs the load balancer admits (`loadBalancerSourceRanges`).
   * @default - every source the load balancer admits by default
   */
  readonly sourceRanges?: readonly string[];
  /**
   * Annotations for the cloud's load-balancer controller (internal LB, address pools).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * How the NATS client port is reachable: only inside the cluster, on a fixed port of every node, or through a load
 * balancer.
 */
export class NatsExposure {
  /** A ClusterIP Service: in-cluster clients only. */
  public static clusterIp(): NatsExposure {
    return new NatsExposure('ClusterIP', undefined, undefined);
  }

  /**
   * A NodePort Service with the client port pinned on every node. The port must lie in the apiserver's NodePort range
   * (30000-32767 by default): the apiserver rejects any other value at apply time, so we reject it at synth.
   */
  public static nodePort(port: number): NatsExposure {
    check(
      Number.isInteger(port) && port >= NODE_PORT_RANGE.min && port <= NODE_PORT_RANGE.max,
      'exposure.nodePort',
      port,
      `a port in the NodePort range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
      port === 4222 ? 'the NATS client port 4222 is outside the NodePort range; use NatsExposure.loadBalancer() to serve clients on 4222' : undefined,
    );
    return new NatsExposure('NodePort', port, undefined);
  }

  /**
   * A LoadBalancer Service serving clients on 4222. No nodePort is pinned (the apiserver assigns one), so two releases
   * never fight over a node port. Needs a reason: it is a policy exception.
   */
  public static loadBalancer(options: NatsLoadBalancerOptions): NatsExposure {
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'exposure.loadBalancer.reason', options.reason, 'a non-empty reason (recorded as the load-balancer policy exception)');
    for (const [i, r] of (options.sourceRanges ?? []).entries()) {
      check(CIDR.test(r), `exposure.loadBalancer.sourceRanges[${i}]`, r, 'a CIDR such as 10.0.0.0/8 or 2001:db8::/32');
    }
    for (const k of Object.keys(options.annotations ?? {})) assertLabelKey('exposure.loadBalancer.annotations', k);
    return new NatsExposure('LoadBalancer', undefined, options);
  }

  private constructor(
    /** The Service type. */
    public readonly serviceType: 'ClusterIP' | 'NodePort' | 'LoadBalancer',
    /** The pinned node port (NodePort only). */
    public readonly nodePort: number | undefined,
    private readonly lb: NatsLoadBalancerOptions | undefined,
  ) {}

  /** True when clients outside the cluster can reach the server. */
  public get external(): boolean {
    return this.serviceType !== 'ClusterIP';
  }

  /** The load-balancer exception reason (LoadBalancer only). */
  public get reason(): string | undefined {
    return this.lb?.reason;
  }

  /** `loadBalancerSourceRanges` (LoadBalancer only). */
  public get sourceRanges(): string[] | undefined {
    return this.lb?.sourceRanges?.length ? [...this.lb.sourceRanges] : undefined;
  }

  /** Extra Service annotations (LoadBalancer only). */
  public get annotations(): Record<string, string> {
    return { ...(this.lb?.annotations ?? {}) };
  }
}

/** Options for a persistent JetStream store. */
export interface NatsVolumeOptions {
  /** Size of the PersistentVolumeClaim. */
  readonly size: Size;
  /**
   * StorageClass of the claim.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/** Where JetStream keeps its store: a pod-lifetime emptyDir, or a PersistentVolumeClaim that survives restarts. */
export class NatsPersistence {
  /**
   * An emptyDir: streams and KV buckets are lost when the pod is deleted or rescheduled. Fine for caches, demos and
   * state that clients re-publish (device heartbeats).
   * @param options.sizeLimit emptyDir size limit @default 1 GiB
   */
  public static ephemeral(options: { readonly sizeLimit?: Size } = {}): NatsPersistence {
    const size = options.sizeLimit ?? Size.gibibytes(1);
    check(size.toKibibytes() >= 1024, 'persistence.ephemeral.sizeLimit', `${size.toKibibytes()}Ki`, 'at least 1 MiB');
    return new NatsPersistence(false, size, undefined);
  }

  /** A PersistentVolumeClaim per server pod (a StatefulSet claim template): the store survives restarts and upgrades. */
  public static volume(options: NatsVolumeOptions): NatsPersistence {
    check(options.size.toKibibytes() >= 1024, 'persistence.volume.size', `${options.size.toKibibytes()}Ki`, 'at least 1 MiB');
    if (options.storageClassName !== undefined) {
      check(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.storageClassName), 'persistence.volume.storageClassName', options.storageClassName, 'a StorageClass name (DNS-1123 subdomain)');
    }
    return new NatsPersistence(true, options.size, options.storageClassName);
  }

  private constructor(
    /** True for a PersistentVolumeClaim. */
    public readonly persistent: boolean,
    /** Size of the volume (claim size or emptyDir limit). */
    public readonly size: Size,
    /** StorageClass (persistent only). */
    public readonly storageClassName: string | undefined,
  ) {}
}
