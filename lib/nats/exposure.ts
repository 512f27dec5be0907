import { Size } from 'cdk8s';
import { ExternalPeer } from '../core/endpoint';
import { check } from '../core/errors';
import { assertLabelKey } from '../core/labels';
import { assertNodePort, familiesFullyCovered, parseCidr } from '../core/validate';

/** Acknowledges a load balancer every source address may connect to. */
export interface NatsOpenLoadBalancer {
  /**
   * Why the client port may be open to every address the load balancer is reachable from (for example: devices
   * connect over the internet from changing addresses and a firewall in front of the load balancer restricts them).
   * Recorded with the `policy.ops-kit.io/load-balancer` exception and repeated in the release warning.
   */
  readonly reason: string;
}

/** Options for a NodePort Service. */
export interface NatsNodePortOptions {
  /**
   * Why clients must reach the server on a port of every node (devices on the node network, no load balancer):
   * recorded as the `policy.ops-kit.io/node-port` exception on the Service.
   */
  readonly reason: string;
  /**
   * Client CIDRs (the device network): the NATS pods' NetworkPolicy admits only them. A NodePort Service has no source
   * ranges of its own, so the NetworkPolicy is the filter (with `externalTrafficPolicy: Cluster` kube-proxy shows the
   * pods a node's address, so the release's `nodes` peer is admitted too). A range covering every address is
   * `openToAllSources`.
   * @default - none: then `openToAllSources` is required
   */
  readonly sourceRanges?: readonly string[];
  /**
   * An explicit acknowledgement that every source address may connect, with its own reason. Exclusive with
   * `sourceRanges`.
   * @default - not open: `sourceRanges` is required
   */
  readonly openToAllSources?: NatsOpenLoadBalancer;
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
 * Checks an exposure's clients: either source ranges that leave some addresses out, or an acknowledged
 * `openToAllSources`, never both, never neither.
 */
function checkSources(
  prefix: string,
  options: { readonly sourceRanges?: readonly string[]; readonly openToAllSources?: NatsOpenLoadBalancer },
  what: string,
): void {
  const ranges = options.sourceRanges ?? [];
  const open = options.openToAllSources;
  check(
    !(ranges.length > 0 && open !== undefined),
    `${prefix}.openToAllSources`,
    open,
    'either sourceRanges or openToAllSources, not both',
    `a ${what} restricted to source ranges is not open to all sources`,
  );
  check(
    ranges.length > 0 || open !== undefined,
    `${prefix}.sourceRanges`,
    options.sourceRanges,
    `at least one client CIDR such as 192.168.10.0/24 (the device network), or openToAllSources: { reason } to acknowledge a ${what} open to every address`,
    'NATS has no client authentication here, so an unrestricted port lets anyone who reaches it read and write every subject and KV bucket',
  );
  if (open !== undefined) {
    check(typeof open.reason === 'string' && open.reason.trim().length > 0, `${prefix}.openToAllSources.reason`, open.reason, 'a non-empty reason why every source address may connect');
  }
  const seen = new Set<string>();
  for (const [i, r] of ranges.entries()) {
    const prop = `${prefix}.sourceRanges[${i}]`;
    const cidr = parseCidr(r);
    check(cidr !== undefined, prop, r, 'an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or 2001:db8::/32 (address/prefix, IPv4 prefix at most 32, IPv6 at most 128)');
    check(cidr.prefix > 0, prop, r, 'a CIDR with a prefix length above 0', 'a /0 range admits every address: to mean that, set openToAllSources: { reason } instead');
    check(!seen.has(r), prop, r, 'each range once');
    seen.add(r);
  }
  // Ranges that together cover a whole family (0.0.0.0/1 + 128.0.0.0/1) open the port to every address just like /0.
  const covered = familiesFullyCovered(ranges);
  check(
    covered.length === 0,
    `${prefix}.sourceRanges`,
    ranges,
    `client networks that leave some addresses out, or openToAllSources: { reason } to acknowledge a ${what} open to every address`,
    `together they cover every ${covered.map((f) => `IPv${f}`).join(' and ')} address, which admits the whole internet to a NATS without client authentication`,
  );
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
   * (30000-32767 by default): the apiserver rejects any other value at apply time, so we reject it at synth. A node
   * port opens the client port on every node's address, so it takes a reason, recorded as the
   * `policy.ops-kit.io/node-port` exception on the Service.
   */
  public static nodePort(port: number, options: NatsNodePortOptions): NatsExposure {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'exposure.nodePort.reason', options?.reason, 'a non-empty reason why every node must serve the client port (recorded as the node-port policy exception)');
    assertNodePort('exposure.nodePort', port, port === 4222 ? 'the NATS client port 4222 is outside the NodePort range; use NatsExposure.loadBalancer() to serve clients on 4222' : undefined);
    checkSources('exposure.nodePort', options, 'node port');
    return new NatsExposure('NodePort', port, { reason: options.reason, sourceRanges: options.sourceRanges, openToAllSources: options.openToAllSources });
  }

  /**
   * A LoadBalancer Service serving clients on 4222. No nodePort is pinned (the apiserver assigns one), so two releases
   * never fight over a node port. Needs a reason (it is a policy exception) and either the client networks
   * (`sourceRanges`) or an explicit `openToAllSources` acknowledgement: the server has no client authentication, so a
   * load balancer open to the world would let anyone read and write every subject.
   */
  public static loadBalancer(options: NatsLoadBalancerOptions): NatsExposure {
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'exposure.loadBalancer.reason', options.reason, 'a non-empty reason (recorded as the load-balancer policy exception)');
    checkSources('exposure.loadBalancer', options, 'load balancer');
    for (const k of Object.keys(options.annotations ?? {})) assertLabelKey('exposure.loadBalancer.annotations', k);
    return new NatsExposure('LoadBalancer', undefined, options);
  }

  private constructor(
    /** The Service type. */
    public readonly serviceType: 'ClusterIP' | 'NodePort' | 'LoadBalancer',
    /** The pinned node port (NodePort only). */
    public readonly nodePort: number | undefined,
    private readonly lb: (Partial<NatsLoadBalancerOptions> & { readonly reason: string }) | undefined,
  ) {}

  /** True when clients outside the cluster can reach the server. */
  public get external(): boolean {
    return this.serviceType !== 'ClusterIP';
  }

  /** The exception reason: load-balancer (LoadBalancer) or node-port (NodePort). */
  public get reason(): string | undefined {
    return this.lb?.reason;
  }

  /** The acknowledged reason for a load balancer open to every source address (LoadBalancer only). */
  public get openToAllSourcesReason(): string | undefined {
    return this.lb?.openToAllSources?.reason;
  }

  /** The client networks (NodePort and LoadBalancer): `loadBalancerSourceRanges`, and the NetworkPolicy's sources. */
  public get sourceRanges(): string[] | undefined {
    return this.lb?.sourceRanges?.length ? [...this.lb.sourceRanges] : undefined;
  }

  /** Who connects from outside the cluster (NodePort and LoadBalancer), for the NetworkPolicy. */
  public get clients(): ExternalPeer | undefined {
    if (!this.external || !this.lb) return undefined;
    if (this.lb.openToAllSources) return ExternalPeer.anywhere({ reason: `NATS clients outside the cluster: ${this.lb.openToAllSources.reason}` });
    return ExternalPeer.cidr({ cidrs: this.lb.sourceRanges!, reason: `NATS clients outside the cluster: ${this.lb.reason}` });
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
