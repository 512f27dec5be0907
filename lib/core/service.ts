import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { check } from './errors';
import { EndpointPortSpec, ExternalPeer, ServiceEndpoint } from './endpoint';
import { NetworkPolicies } from './network';
import { ConnectionKind, Wiring } from './wiring';
import { IWorkload } from './workload';

/** A Service port: a named endpoint port, plus the node port of a NodePort or LoadBalancer Service. */
export interface ServicePortOptions extends EndpointPortSpec {
  /**
   * The node port (NodePort and LoadBalancer Services).
   * @default - allocated by Kubernetes
   */
  readonly nodePort?: number;
}

/** Everything a Service is rendered from. */
export interface ServiceOptions {
  /** The Service's name. */
  readonly name: string;
  /** Metadata labels. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Metadata annotations.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /** The workload whose pods the Service selects (by its `selector`). */
  readonly pods: IWorkload;
  /**
   * The ports, each forwarding to a container port (by default the one of the same name). A headless Service may have
   * none: it then only gives the selected pods their DNS names (a StatefulSet's governing Service).
   */
  readonly ports: readonly ServicePortOptions[];
  /**
   * `spec.type`.
   * @default - not rendered (Kubernetes' default, ClusterIP)
   */
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /**
   * A headless Service (`clusterIP: None`): its name resolves to the pods' IPs.
   * @default false
   */
  readonly headless?: boolean;
  /**
   * `Local` keeps in-cluster callers on their own node's pods.
   * @default - not rendered (Cluster)
   */
  readonly internalTrafficPolicy?: 'Cluster' | 'Local';
  /**
   * `externalTrafficPolicy` (NodePort and LoadBalancer).
   * @default - not rendered (Cluster)
   */
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  /**
   * `loadBalancerIP`.
   * @default - none
   */
  readonly loadBalancerIp?: string;
  /**
   * `loadBalancerSourceRanges`.
   * @default - none
   */
  readonly loadBalancerSourceRanges?: readonly string[];
  /**
   * Who connects from outside the cluster to a NodePort or LoadBalancer Service: their addresses
   * (`ExternalPeer.cidr`, the same networks as `loadBalancerSourceRanges`) or `ExternalPeer.anywhere({ reason })`.
   * Recorded in the wiring graph as an ingress connection to every port, so the pods' NetworkPolicy admits them; with
   * `externalTrafficPolicy: Cluster` the pods see a node's address instead of the client's, so the release's `nodes`
   * peer is admitted too.
   * @default - none: required for NodePort and LoadBalancer Services
   */
  readonly externalClients?: ExternalPeer;
  /**
   * Publish pods before they are ready (a StatefulSet's governing Service).
   * @default - not rendered (false)
   */
  readonly publishNotReadyAddresses?: boolean;
}

/** A rendered Service and its typed endpoint, from one spec (so they can never disagree). */
export interface RenderedService {
  /** The Service object (patch it through `ApiObject.of`). */
  readonly service: k8s.KubeService;
  /** The handle clients connect to. */
  readonly endpoint: ServiceEndpoint;
}

/**
 * Renders a Service (construct id `id`) that selects `pods` by their stable labels and forwards every port to a
 * container port by name, and returns it with its endpoint.
 */
export function buildService(scope: Construct, id: string, o: ServiceOptions): RenderedService {
  const endpoint = ServiceEndpoint.forService(scope, { name: o.name, ports: o.ports, pods: o.pods, headless: o.headless });
  const nodePorts = new Map(o.ports.map((p) => [p.name, p.nodePort]));
  for (const [name, nodePort] of nodePorts) {
    if (nodePort === undefined) continue;
    check(o.type === 'NodePort' || o.type === 'LoadBalancer', `service.ports.${name}.nodePort`, nodePort, 'only on a NodePort or LoadBalancer Service');
    check(Number.isInteger(nodePort) && nodePort >= 1 && nodePort <= 65535, `service.ports.${name}.nodePort`, nodePort, 'a port number (the cluster node-port range, 30000-32767 by default)');
  }
  const exposed = o.type === 'NodePort' || o.type === 'LoadBalancer';
  if (exposed) {
    check(o.externalClients instanceof ExternalPeer, 'service.externalClients', o.externalClients,
      'who connects from outside the cluster: ExternalPeer.cidr({ cidrs, reason }) or ExternalPeer.anywhere({ reason })',
      `a ${o.type} Service admits clients from outside the cluster, and its pods' NetworkPolicy needs their addresses`);
  } else {
    check(o.externalClients === undefined, 'service.externalClients', o.externalClients?.description, 'unset (only NodePort and LoadBalancer Services have clients outside the cluster)');
  }
  const selector = { ...o.pods.selector };
  check(Object.keys(selector).length > 0, 'service.pods', o.pods.node.path, 'a workload with a non-empty selector');
  const service = new k8s.KubeService(scope, id, {
    metadata: {
      name: o.name,
      labels: { ...o.labels },
      annotations: o.annotations && Object.keys(o.annotations).length ? { ...o.annotations } : undefined,
    },
    spec: {
      type: o.type,
      clusterIp: o.headless ? 'None' : undefined,
      internalTrafficPolicy: o.internalTrafficPolicy,
      externalTrafficPolicy: o.externalTrafficPolicy,
      loadBalancerIp: o.loadBalancerIp,
      loadBalancerSourceRanges: o.loadBalancerSourceRanges ? [...o.loadBalancerSourceRanges] : undefined,
      publishNotReadyAddresses: o.publishNotReadyAddresses,
      selector,
      ports: endpoint.ports.length === 0 ? undefined : endpoint.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: typeof p.targetPort === 'number' ? k8s.IntOrString.fromNumber(p.targetPort) : k8s.IntOrString.fromString(p.targetPort),
        protocol: p.protocol,
        nodePort: nodePorts.get(p.name),
      })),
    },
  });
  if (exposed) recordExternalClients(scope, o, endpoint);
  return { service, endpoint };
}

/**
 * The ingress connections of a NodePort or LoadBalancer Service: its declared outside clients on every port, and the
 * nodes too when kube-proxy may forward from another node (the pods then see the node's address).
 */
function recordExternalClients(scope: Construct, o: ServiceOptions, endpoint: ServiceEndpoint): void {
  const wiring = Wiring.of(scope);
  const clients = o.externalClients!;
  const snat = o.externalTrafficPolicy !== 'Local' && !clients.anyAddress;
  for (const p of endpoint.ports) {
    wiring.connectFrom(clients, endpoint, p.name, { kind: ConnectionKind.INGRESS, purpose: `clients outside the cluster through the ${o.type} Service` });
    if (snat) {
      wiring.connectFrom(NetworkPolicies.of(scope).nodes, endpoint, p.name, {
        kind: ConnectionKind.INGRESS,
        purpose: 'outside clients that kube-proxy forwards from a node (externalTrafficPolicy: Cluster shows the pods a node address)',
      });
    }
  }
}
