import { isIPv4, isIPv6 } from 'net';
import { Size } from 'cdk8s';
import { check } from '../core/errors';
import { assertLabelKey } from '../core/labels';

/** The NodePort range of a default kube-apiserver (`--service-node-port-range`). */
const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** An IPv4 or IPv6 CIDR as Kubernetes parses `loadBalancerSourceRanges` (net.ParseCIDR); undefined when malformed. */
function parseCidr(value: string): { readonly family: 4 | 6; readonly prefix: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(value);
  if (!m) return undefined;
  const prefix = Number(m[2]);
  if (isIPv4(m[1]) && /^(?:0|[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])(?:\.(?:0|[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])){3}$/.test(m[1])) {
    return prefix <= 32 ? { family: 4, prefix } : undefined;
  }
  if (isIPv6(m[1])) return prefix <= 128 ? { family: 6, prefix } : undefined;
  return undefined;
}

/** Acknowledges a load balancer every source address may connect to. */
export interface NatsOpenLoadBalancer {
  /**
   * Why the client port may be open to every address the load balancer is reachable from (for example: devices
   * connect over the internet from changing addresses and a firewall in front of the load balancer restricts them).
   * Recorded with the `policy.ops-kit.io/load-balancer` exception and repeated in the release warning.
   */
  readonly reason: string;
}

/** Options for a LoadBalancer Service. */
export interface NatsLoadBalancerOptions {
  /**
   * Why the server must be reachable through a load balancer (devices outside the cluster, a k3d/klipper-lb port
   * mapping). Recorded as the `policy.ops-kit.io/load-balancer` exception on the Service.
   */
  readonly reason: string;
  /**
   * Client CIDRs the load balancer admits (`loadBalancerSourceRanges`): the networks the clients connect from, such as
   * the device LAN. The server has no client authentication, so whoever can reach the port can read and write every
   * subject and KV bucket: name the networks, or acknowledge an open load balancer with `openToAllSources`. A range
   * covering every address (`0.0.0.0/0`, `::/0`) is that acknowledgement, so it is not accepted here. The cloud load
   * balancer or kube-proxy enforces the ranges; check that your load-balancer implementation honours them.
   * @default - none: then `openToAllSources` is required
   */
  readonly sourceRanges?: readonly string[];
  /**
   * An explicit acknowledgement that the load balancer admits every source address, with its own reason. Exclusive
   * with `sourceRanges`.
   * @default - not open: `sourceRanges` is required
   */
  readonly openToAllSources?: NatsOpenLoadBalancer;
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
   * never fight over a node port. Needs a reason (it is a policy exception) and either the client networks
   * (`sourceRanges`) or an explicit `openToAllSources` acknowledgement: the server has no client authentication, so a
   * load balancer open to the world would let anyone read and write every subject.
   */
  public static loadBalancer(options: NatsLoadBalancerOptions): NatsExposure {
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'exposure.loadBalancer.reason', options.reason, 'a non-empty reason (recorded as the load-balancer policy exception)');
    const ranges = options.sourceRanges ?? [];
    const open = options.openToAllSources;
    check(
      !(ranges.length > 0 && open !== undefined),
      'exposure.loadBalancer.openToAllSources',
      open,
      'either sourceRanges or openToAllSources, not both',
      'a load balancer restricted to source ranges is not open to all sources',
    );
    check(
      ranges.length > 0 || open !== undefined,
      'exposure.loadBalancer.sourceRanges',
      options.sourceRanges,
      'at least one client CIDR such as 192.168.10.0/24 (the device network), or openToAllSources: { reason } to acknowledge a load balancer open to every address',
      'NATS has no client authentication here, so an unrestricted load balancer lets anyone who reaches it read and write every subject and KV bucket',
    );
    if (open !== undefined) {
      check(typeof open.reason === 'string' && open.reason.trim().length > 0, 'exposure.loadBalancer.openToAllSources.reason', open.reason, 'a non-empty reason why every source address may connect');
    }
    const seen = new Set<string>();
    for (const [i, r] of ranges.entries()) {
      const prop = `exposure.loadBalancer.sourceRanges[${i}]`;
      const cidr = parseCidr(r);
      check(cidr !== undefined, prop, r, 'an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or 2001:db8::/32 (address/prefix, IPv4 prefix at most 32, IPv6 at most 128)');
      check(cidr.prefix > 0, prop, r, 'a CIDR with a prefix length above 0', 'a /0 range admits every address: to mean that, set openToAllSources: { reason } instead');
      check(!seen.has(r), prop, r, 'each range once');
      seen.add(r);
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

  /** The acknowledged reason for a load balancer open to every source address (LoadBalancer only). */
  public get openToAllSourcesReason(): string | undefined {
    return this.lb?.openToAllSources?.reason;
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
