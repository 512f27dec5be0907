import { IConstruct } from 'constructs';
import { ClusterDomain, ExternalEndpoint, ExternalPeer } from './endpoint';
import { check } from './errors';

/**
 * The description every connection to the Kubernetes API server carries (notes, messages, the renderer).
 * @internal
 */
export const KUBERNETES_API_DESCRIPTION = 'Kubernetes API server';

/**
 * The cluster resolver of a stock cluster: the CoreDNS (or kube-dns) pods in `kube-system`, which both carry
 * `k8s-app: kube-dns`, answering on port 53.
 */
export const KUBE_DNS = { namespace: 'kube-system', selector: { 'k8s-app': 'kube-dns' }, ports: [53] } as const;

/** ingress-nginx's controller pods as its manifests and Helm chart label them. */
export const INGRESS_NGINX_CONTROLLER = {
  namespace: 'ingress-nginx',
  selector: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
} as const;

/** The ports the API server answers on behind `kubernetes.default:443`: 443 (managed clusters) or 6443 (kubeadm, k3s). */
export const KUBERNETES_API_PORTS: readonly number[] = [443, 6443];

/** What a release's NetworkPolicies allow beyond its own wiring graph: the cluster's own parts. */
export interface DefaultDenyOptions {
  /**
   * The cluster DNS resolver every pod of the release may query (UDP and TCP, on the peer's `ports`, 53 when unset).
   * A cluster running NodeLocal DNSCache answers on a link-local address: `ExternalPeer.cidr({ cidrs:
   * ['169.254.20.10/32'], ports: [53], reason: 'NodeLocal DNSCache' })`.
   * @default - the CoreDNS/kube-dns pods: ExternalPeer.pods({ namespace: 'kube-system', selector: { 'k8s-app': 'kube-dns' }, ports: [53] })
   */
  readonly dns?: ExternalPeer;
  /**
   * Where the Kubernetes API server answers, for the pods that read the API (init waits, Prometheus discovery,
   * operators): the control plane's addresses and the port behind `kubernetes.default:443`, as `kubectl get
   * endpoints kubernetes -n default` lists them. A NetworkPolicy sees the address after the Service's translation,
   * so the ClusterIP of `kubernetes` would not do.
   * @default - any address on ports 443 and 6443 (only for the pods that read the API), with a release warning to declare it
   */
  readonly apiServer?: ExternalPeer;
  /**
   * The nodes' addresses (`ExternalPeer.cidr`): the source pods see for NodePort and LoadBalancer traffic that
   * kube-proxy forwarded from another node (`externalTrafficPolicy: Cluster` replaces the client's address with a
   * node's), and the address of host-network pods (node-exporter), which pod selectors never match.
   * @default - any address on the ports concerned, with a release warning to declare it
   */
  readonly nodes?: ExternalPeer;
  /**
   * The ingress controller's pods, which every Ingress the release renders sends its traffic from.
   * @default - ingress-nginx's controller: ExternalPeer.pods({ namespace: 'ingress-nginx', selector:
   *   { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } })
   */
  readonly ingressController?: ExternalPeer;
  /**
   * The cluster's Prometheus that discovers pods by their `prometheus.io/scrape` annotations (a Prometheus outside
   * the release): every workload that asks for annotation-based scraping admits its pods on the metrics port.
   * @default - the Prometheus of kube-prometheus-stack: ExternalPeer.pods({ namespace: 'monitoring', selector:
   *   { 'app.kubernetes.io/name': 'prometheus' } }), with a NETWORK POLICY ASSUMPTION in the notes
   */
  readonly prometheus?: ExternalPeer;
}

/** The Prometheus pods of kube-prometheus-stack (the Prometheus Operator labels them `app.kubernetes.io/name: prometheus`). */
export const KUBE_PROMETHEUS = {
  namespace: 'monitoring',
  selector: { 'app.kubernetes.io/name': 'prometheus' },
} as const;

/** Options of `NetworkPolicies.off`. */
export interface NetworkPoliciesOffOptions {
  /**
   * Why the release renders no NetworkPolicy (the cluster's own policy engine owns pod traffic, a CNI without
   * NetworkPolicy support): printed in the notes and the verification report.
   */
  readonly reason: string;
}

const CONFIGURED = new WeakMap<IConstruct, NetworkPolicies>();

/**
 * Whether and how a release renders NetworkPolicies. `defaultDeny()` (the default) renders a default deny for the
 * release's pods and the allow rules of its wiring graph (every connection that starts or ends in the release), DNS
 * to the cluster resolver, and the API server for the pods that read it; `off({ reason })` renders none and says
 * why.
 */
export class NetworkPolicies {
  /** A default deny (ingress and egress) for the release's pods, and the allow rules of the wiring graph. */
  public static defaultDeny(options: DefaultDenyOptions = {}): NetworkPolicies {
    const peer = (prop: keyof DefaultDenyOptions) => {
      const p = options[prop];
      if (p !== undefined) check(p instanceof ExternalPeer, `networkPolicy.${prop}`, p, 'ExternalPeer.pods({...}), ExternalPeer.cidr({...}) or ExternalPeer.anywhere({...})');
      return p;
    };
    const dns = peer('dns');
    const apiServer = peer('apiServer');
    const nodes = peer('nodes');
    const ingressController = peer('ingressController');
    const prometheus = peer('prometheus');
    if (nodes) check(nodes.toRecord().type === 'cidr', 'networkPolicy.nodes', nodes.description, 'ExternalPeer.cidr({ cidrs, reason }): nodes are addresses, not pods');
    return new NetworkPolicies(true, undefined, {
      dns: dns ?? ExternalPeer.pods({ namespace: KUBE_DNS.namespace, selector: { ...KUBE_DNS.selector }, ports: [...KUBE_DNS.ports] }),
      apiServer: apiServer ?? ExternalPeer.anywhere({
        reason: 'the API server\'s addresses are not declared (networkPolicy: NetworkPolicies.defaultDeny({ apiServer })), so pods that read the API may reach any address on 443 and 6443',
        ports: [...KUBERNETES_API_PORTS],
      }),
      nodes: nodes ?? ExternalPeer.anywhere({
        reason: 'the nodes\' addresses are not declared (networkPolicy: NetworkPolicies.defaultDeny({ nodes })), so traffic from or to a node address is allowed from any address on the ports concerned',
      }),
      ingressController: ingressController
        ?? ExternalPeer.pods({ namespace: INGRESS_NGINX_CONTROLLER.namespace, selector: { ...INGRESS_NGINX_CONTROLLER.selector } }),
      prometheus: prometheus ?? ExternalPeer.pods({ namespace: KUBE_PROMETHEUS.namespace, selector: { ...KUBE_PROMETHEUS.selector } }),
    }, {
      apiServer: apiServer !== undefined,
      nodes: nodes !== undefined,
      ingressController: ingressController !== undefined,
      prometheus: prometheus !== undefined,
    });
  }

  /** No NetworkPolicies for the release, with the reason (printed in the notes and the verification report). */
  public static off(options: NetworkPoliciesOffOptions): NetworkPolicies {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'networkPolicy.reason', options?.reason,
      'a non-empty reason why the release renders no NetworkPolicy (printed in the notes)');
    const on = NetworkPolicies.defaultDeny();
    return new NetworkPolicies(false, options.reason.trim(), on.peers, on.declared);
  }

  /** Sets the NetworkPolicy mode of `scope` (a Release) and everything below it. */
  public static configure(scope: IConstruct, policies: NetworkPolicies, prop = 'networkPolicy'): NetworkPolicies {
    check(policies instanceof NetworkPolicies, prop, policies, 'NetworkPolicies.defaultDeny({...}) or NetworkPolicies.off({ reason })');
    CONFIGURED.set(scope, policies);
    return policies;
  }

  /** The mode configured at or above `scope` (the default deny with its defaults when none is). */
  public static of(scope: IConstruct): NetworkPolicies {
    const scopes = scope.node.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const p = CONFIGURED.get(scopes[i]);
      if (p) return p;
    }
    return NetworkPolicies.defaultDeny();
  }

  private readonly apiEndpoints = new Map<string, ExternalEndpoint>();

  private constructor(
    /** True when the release renders NetworkPolicies. */
    public readonly enabled: boolean,
    /** Why it renders none (off only). */
    public readonly offReason: string | undefined,
    private readonly peers: {
      readonly dns: ExternalPeer;
      readonly apiServer: ExternalPeer;
      readonly nodes: ExternalPeer;
      readonly ingressController: ExternalPeer;
      readonly prometheus: ExternalPeer;
    },
    /** Which of the cluster's addresses the user declared (the others are defaults). */
    public readonly declared: {
      readonly apiServer: boolean;
      readonly nodes: boolean;
      readonly ingressController: boolean;
      readonly prometheus: boolean;
    },
  ) {}

  /** The cluster DNS resolver. */
  public get dns(): ExternalPeer {
    return this.peers.dns;
  }

  /** The API server's addresses and ports. */
  public get apiServer(): ExternalPeer {
    return this.peers.apiServer;
  }

  /** The nodes' addresses. */
  public get nodes(): ExternalPeer {
    return this.peers.nodes;
  }

  /** The ingress controller's pods. */
  public get ingressController(): ExternalPeer {
    return this.peers.ingressController;
  }

  /** The cluster's Prometheus that scrapes pods by their `prometheus.io/scrape` annotations. */
  public get prometheus(): ExternalPeer {
    return this.peers.prometheus;
  }

  /**
   * The Kubernetes API server as an endpoint clients connect to (`kubernetes.default.svc.<cluster domain>:443`),
   * whose peer is `apiServer`: pods that read the API record a connection to it, and their NetworkPolicy allows it.
   */
  public kubernetesApi(scope: IConstruct): ExternalEndpoint {
    const host = ClusterDomain.of(scope).fqdn('kubernetes', 'default');
    let e = this.apiEndpoints.get(host);
    if (!e) {
      e = ExternalEndpoint.of({ host, ports: [{ name: 'https', port: 443 }], peer: this.apiServer, description: KUBERNETES_API_DESCRIPTION });
      this.apiEndpoints.set(host, e);
    }
    return e;
  }
}
