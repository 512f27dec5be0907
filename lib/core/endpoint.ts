import { IConstruct } from 'constructs';
import { check, ConfigError } from './errors';
import { assertLabels } from './labels';
import { assertDnsLabel, assertDnsSubdomain, isDnsSubdomain, isPortName } from './names';
import { assertCidr, familiesFullyCovered, isIp, isIPv6Literal } from './validate';
import { IWorkload, namespaceOf } from './workload';

/** The DNS domain a Kubernetes cluster uses unless its kubelets are configured otherwise. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

const DOMAINS = new WeakMap<IConstruct, ClusterDomain>();

/**
 * The cluster's DNS domain (`cluster.local` unless the kubelets' `clusterDomain` says otherwise), configured once on a
 * scope (a Release does it from `ReleaseProps.clusterDomain`) and read by every endpoint below it. Service FQDNs and
 * namespace suffixes are assembled here and nowhere else.
 */
export class ClusterDomain {
  /** Sets the cluster domain for `scope` and everything below it. */
  public static configure(scope: IConstruct, domain: string, prop = 'clusterDomain'): ClusterDomain {
    const d = new ClusterDomain(assertDnsSubdomain(prop, domain));
    DOMAINS.set(scope, d);
    return d;
  }

  /** The nearest cluster domain configured at or above `scope` (`cluster.local` when none is). */
  public static of(scope: IConstruct): ClusterDomain {
    const scopes = scope.node.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const d = DOMAINS.get(scopes[i]);
      if (d) return d;
    }
    return new ClusterDomain(DEFAULT_CLUSTER_DOMAIN);
  }

  private constructor(
    /** The domain (`cluster.local`). */
    public readonly domain: string,
  ) {}

  /** `<namespace>.svc.<domain>`: the suffix every Service of `namespace` resolves under. */
  public namespaceSuffix(namespace: string): string {
    return `${namespace}.svc.${this.domain}`;
  }

  /**
   * The FQDN of a Service by name: for a Service the app renders use its `ServiceEndpoint` instead; this is for the
   * cluster's own Services the app only names (the cluster DNS Service `kube-dns` in `kube-system`).
   */
  public fqdn(service: string, namespace: string): string {
    assertDnsLabel('service', service);
    assertDnsLabel('namespace', namespace);
    return `${service}.${this.namespaceSuffix(namespace)}`;
  }
}

/**
 * Which form of a Service's DNS name a client is given. All three resolve to the same address; they differ in where
 * they work and in how many resolver round trips they cost.
 */
export enum HostForm {
  /** `redis`: resolves only from pods in the Service's own namespace (through the pod's DNS search path). */
  SHORT = 'short',
  /** `redis.graphistry.svc`: resolves from every namespace, whatever the cluster domain. */
  NAMESPACED = 'namespaced',
  /** `redis.graphistry.svc.cluster.local`: the fully qualified name (the cluster domain included). */
  FQDN = 'fqdn',
}

/** Transport protocol of a port. */
export type PortProtocol = 'TCP' | 'UDP' | 'SCTP';

/** A named port of an endpoint, as a construct declares it. */
export interface EndpointPortSpec {
  /**
   * Port name (IANA_SVC_NAME: at most 15 lowercase letters, digits and '-', with a letter). Clients and the wiring
   * graph refer to ports by name.
   */
  readonly name: string;
  /** Port number clients dial. */
  readonly port: number;
  /**
   * Transport protocol.
   * @default 'TCP'
   */
  readonly protocol?: PortProtocol;
  /**
   * Where the Service forwards the port: a container port name or number of the selected pods (Services only).
   * @default - the port's name (the container port of the same name)
   */
  readonly targetPort?: string | number;
}

/** A validated, named port of an endpoint. */
export interface EndpointPort {
  /** Port name. */
  readonly name: string;
  /** Port number clients dial. */
  readonly port: number;
  /** Transport protocol. */
  readonly protocol: PortProtocol;
  /** The container port (name or number) behind it; for external endpoints the port itself. */
  readonly targetPort: string | number;
  /**
   * The last port of a range the target listens on (`port` to `endPort`, inclusive): pods reached directly that bind
   * an ephemeral port the kernel picks (dask workers). Only on pod endpoints; clients never dial a range, a
   * NetworkPolicy allows one.
   * @default - a single port
   */
  readonly endPort?: number;
}

/** Options of an endpoint URL. */
export interface UrlOptions {
  /**
   * Path (and query) after the authority, starting with '/'.
   * @default - none
   */
  readonly path?: string;
  /**
   * The form of a Service's host name (ignored for external endpoints, whose host is used as declared).
   * @default HostForm.FQDN
   */
  readonly form?: HostForm;
}

function assertPort(prop: string, port: number): number {
  check(Number.isInteger(port) && port >= 1 && port <= 65535, prop, port, 'a port number 1-65535');
  return port;
}

/**
 * Validates a list of named ports: at least one, names valid and unique, numbers in range, one number per protocol.
 * @internal
 */
export function endpointPorts(prop: string, specs: readonly EndpointPortSpec[], allowTarget = true): EndpointPort[] {
  check(Array.isArray(specs) && specs.length > 0, prop, specs, 'at least one named port');
  const names = new Set<string>();
  const numbers = new Set<string>();
  return specs.map((s, i) => {
    const at = `${prop}[${i}]`;
    check(isPortName(s.name), `${at}.name`, s.name, "a port name: at most 15 lowercase letters, digits and '-' (never two in a row), with at least one letter");
    check(!names.has(s.name), `${at}.name`, s.name, 'a name not used by another port of the endpoint');
    names.add(s.name);
    assertPort(`${at}.port`, s.port);
    const protocol = s.protocol ?? 'TCP';
    check(['TCP', 'UDP', 'SCTP'].includes(protocol), `${at}.protocol`, protocol, 'TCP, UDP or SCTP');
    check(!numbers.has(`${s.port}/${protocol}`), `${at}.port`, s.port, 'a port number not used twice with one protocol');
    numbers.add(`${s.port}/${protocol}`);
    let targetPort: string | number = s.name;
    if (s.targetPort !== undefined) {
      check(allowTarget, `${at}.targetPort`, s.targetPort, 'unset (only Service ports forward to a container port)');
      if (typeof s.targetPort === 'number') assertPort(`${at}.targetPort`, s.targetPort);
      else check(isPortName(s.targetPort), `${at}.targetPort`, s.targetPort, 'a container port name or number');
      targetPort = s.targetPort;
    } else if (!allowTarget) {
      targetPort = s.port;
    }
    return { name: s.name, port: s.port, protocol, targetPort };
  });
}

function findPort(description: string, ports: readonly EndpointPort[], name: string | undefined, prop: string): EndpointPort {
  if (!ports.length) throw new ConfigError(prop, name, 'a target with ports', `${description} has no ports (a headless Service that only gives its pods DNS names)`);
  if (name === undefined) {
    check(ports.length === 1, prop, name, `one of ${ports.map((p) => p.name).join(', ')}`, `${description} has several ports, so the port must be named`);
    return ports[0];
  }
  const p = ports.find((x) => x.name === name);
  if (!p) throw new ConfigError(prop, name, `a port of ${description}: ${ports.map((x) => x.name).join(', ')}`);
  return p;
}

const SCHEME = /^[a-z][a-z0-9+.-]*$/;
/** Schemes whose default port a URL leaves out, as WHATWG URL serialization does. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443 };

/** The one place a URL is assembled from a host, a port and a path. */
function buildUrl(scheme: string, host: string, port: number, path: string | undefined): string {
  check(SCHEME.test(scheme), 'url.scheme', scheme, 'a lowercase URL scheme such as http, https, redis, nats or postgresql');
  if (path !== undefined) check(path.startsWith('/') && !/\s/.test(path), 'url.path', path, "a path starting with '/', without whitespace");
  const authority = `${isIPv6Literal(host) ? `[${host}]` : host}${DEFAULT_PORTS[scheme] === port ? '' : `:${port}`}`;
  return `${scheme}://${authority}${path ?? ''}`;
}

function hostPortOf(host: string, port: number): string {
  return `${isIPv6Literal(host) ? `[${host}]` : host}:${port}`;
}

/**
 * Something a connection can lead to: a Service the app renders, pods directly (a scraper's pod discovery), or an
 * endpoint outside the app. Each renders its own record for the wiring graph.
 */
export interface IConnectionTarget {
  /** For messages and notes (`Service graphistry/redis`). */
  readonly description: string;
  /** The named ports. */
  readonly ports: readonly EndpointPort[];
  /**
   * The port named `name` (the only port when `name` is omitted and there is one).
   * @param prop the prop path an error names
   */
  port(name?: string, prop?: string): EndpointPort;
  /**
   * The host a client in `clientNamespace` dials, in `form`. Throws for a form that does not resolve from there
   * (a short Service name from another namespace), and for targets that have no host name (pods found by discovery).
   */
  hostFor(form: HostForm, clientNamespace: string | undefined): string;
  /**
   * The construct that declared the target (its Release is the target's release), when there is one.
   * @default - none (an external endpoint declared without an owner)
   */
  readonly owner?: IConstruct;
  /** The plain record of this target for one port (what renderers and verification read). */
  targetRecord(port: EndpointPort, releaseOf: (scope: IConstruct) => string | undefined): TargetRecord;
}

/** A Service the app renders, as the wiring graph records it. */
export interface ServiceTargetRecord {
  /** Discriminator: a Service the app renders. */
  readonly type: 'service';
  /**
   * Release rendering the Service (undefined outside a Release).
   * @default - none
   */
  readonly release?: string;
  /** The Service's namespace. */
  readonly namespace: string;
  /** The Service's name. */
  readonly name: string;
  /** The Service port (its targetPort is the pods' container port). */
  readonly port: EndpointPort;
  /** Labels of the pods the Service routes to. */
  readonly selector: Readonly<Record<string, string>>;
  /** True for a headless Service (clients resolve pod IPs and dial them directly). */
  readonly headless: boolean;
}

/** Pods reached directly (found by discovery, not through a Service), as the wiring graph records them. */
export interface PodsTargetRecord {
  /** Discriminator: pods reached by discovery. */
  readonly type: 'pods';
  /**
   * Release rendering the pods (undefined outside a Release).
   * @default - none
   */
  readonly release?: string;
  /** The pods' namespace. */
  readonly namespace: string;
  /** Labels selecting the pods. */
  readonly selector: Readonly<Record<string, string>>;
  /** The container port (`port` is its number, `targetPort` its name). */
  readonly port: EndpointPort;
}

/** An endpoint outside the app, as the wiring graph records it. */
export interface ExternalTargetRecord {
  /** Discriminator: an endpoint outside the app. */
  readonly type: 'external';
  /** What it is (`managed Postgres`), for reports. */
  readonly description: string;
  /** The host as clients dial it. */
  readonly host: string;
  /** The port dialled. */
  readonly port: EndpointPort;
  /**
   * Who answers, for NetworkPolicy egress rules; undefined when not declared.
   * @default - undeclared
   */
  readonly peer?: ExternalPeerRecord;
}

/** What a connection leads to. */
export type TargetRecord = ServiceTargetRecord | PodsTargetRecord | ExternalTargetRecord;

/**
 * An external peer, as the wiring graph records it. `ports`, when present, are the ports the peer receives traffic on
 * (after a Service's translation), which a NetworkPolicy egress rule allows instead of the port dialled.
 */
export type ExternalPeerRecord =
  | { readonly type: 'pods'; readonly namespace: string; readonly selector: Readonly<Record<string, string>>; readonly ports?: readonly number[] }
  | { readonly type: 'cidr'; readonly cidrs: readonly string[]; readonly reason: string; readonly ports?: readonly number[] };

/** Props of a Service endpoint. */
export interface ServiceEndpointProps {
  /** The Service's name (a DNS-1123 label). */
  readonly name: string;
  /** The Service's ports. */
  readonly ports: readonly EndpointPortSpec[];
  /** The workload whose pods the Service selects. */
  readonly pods: IWorkload;
  /**
   * A headless Service (`clusterIP: None`): its name resolves to the ready pods' IPs.
   * @default false
   */
  readonly headless?: boolean;
}

/**
 * The typed handle of a Service the app renders: its name, namespace and named ports, the pods it routes to, and the
 * only place its DNS names and URLs are assembled. A construct exposes one per Service it renders; clients connect
 * to it (recording the connection in the wiring graph) instead of spelling its name.
 */
export class ServiceEndpoint implements IConnectionTarget {
  /**
   * The endpoint of a Service that `scope` renders in its chart's namespace. Prefer `buildService`, which renders the
   * Service and its endpoint from one spec so they cannot disagree.
   */
  public static forService(scope: IConstruct, props: ServiceEndpointProps): ServiceEndpoint {
    assertDnsLabel('service.name', props.name);
    // A headless Service may have no ports: it only gives the pods of a StatefulSet their DNS names.
    const ports = props.headless && props.ports.length === 0 ? [] : endpointPorts('service.ports', props.ports);
    return new ServiceEndpoint(scope, props.name, namespaceOf(scope, 'the Service'), ports, props.pods, props.headless ?? false, ClusterDomain.of(scope));
  }

  private constructor(
    /** The construct that renders the Service. */
    public readonly owner: IConstruct,
    /** The Service's name. */
    public readonly name: string,
    /** The Service's namespace. */
    public readonly namespace: string,
    /** The Service's ports, in declaration order. */
    public readonly ports: readonly EndpointPort[],
    /** The workload whose pods the Service routes to. */
    public readonly pods: IWorkload,
    /** True for a headless Service. */
    public readonly headless: boolean,
    private readonly domain: ClusterDomain,
  ) {}

  /** `Service <namespace>/<name>`. */
  public get description(): string {
    return `Service ${this.namespace}/${this.name}`;
  }

  /** The cluster domain the FQDN ends in. */
  public get clusterDomain(): string {
    return this.domain.domain;
  }

  /** The port named `name` (the only port when omitted). */
  public port(name?: string, prop = 'port'): EndpointPort {
    return findPort(this.description, this.ports, name, prop);
  }

  /** `<name>.<namespace>.svc.<cluster domain>`. */
  public fqdn(): string {
    return this.domain.fqdn(this.name, this.namespace);
  }

  /** The Service's host name in `form`. */
  public host(form: HostForm = HostForm.FQDN): string {
    switch (form) {
      case HostForm.SHORT:
        return this.name;
      case HostForm.NAMESPACED:
        return `${this.name}.${this.namespace}.svc`;
      case HostForm.FQDN:
        return this.fqdn();
    }
    throw new ConfigError('form', form, 'HostForm.SHORT, HostForm.NAMESPACED or HostForm.FQDN');
  }

  /** `host:port` of one port (the only port when `port` is omitted). */
  public hostPort(port?: string, form: HostForm = HostForm.FQDN): string {
    return hostPortOf(this.host(form), this.port(port).port);
  }

  /**
   * `scheme://host[:port][path]` for one port; the port is left out when it is the scheme's default (http 80,
   * https 443). For a client's env, take the URL from its `Connection` instead, which records the connection too.
   */
  public url(scheme: string, port?: string, options: UrlOptions = {}): string {
    return buildUrl(scheme, this.host(options.form ?? HostForm.FQDN), this.port(port).port, options.path);
  }

  /**
   * The DNS name of one pod of a headless Service's StatefulSet (`<pod>.<service>.<namespace>.svc.<cluster domain>`):
   * how the servers of a cluster address each other. Only a headless Service publishes pod names.
   */
  public podHost(pod: string): string {
    check(this.headless, 'podHost', this.name, 'a headless Service', `${this.description} has a cluster IP, so its pods have no DNS names under it`);
    assertDnsLabel('pod', pod);
    return `${pod}.${this.fqdn()}`;
  }

  /** `scheme://<pod host>:port[path]` of one pod of a headless Service's StatefulSet (see `podHost`). */
  public podUrl(pod: string, scheme: string, port?: string, options: Omit<UrlOptions, 'form'> = {}): string {
    return buildUrl(scheme, this.podHost(pod), this.port(port).port, options.path);
  }

  /** The host a client in `clientNamespace` dials. A short name from another namespace would not resolve. */
  public hostFor(form: HostForm, clientNamespace: string | undefined): string {
    if (form === HostForm.SHORT && clientNamespace !== undefined && clientNamespace !== this.namespace) {
      throw new ConfigError(
        'form',
        form,
        'HostForm.NAMESPACED or HostForm.FQDN',
        `the client runs in namespace ${clientNamespace} and ${this.description} in ${this.namespace}, where its short name does not resolve`,
      );
    }
    return this.host(form);
  }

  /** The graph record of a connection to one port of the Service. */
  public targetRecord(port: EndpointPort, releaseOf: (scope: IConstruct) => string | undefined): ServiceTargetRecord {
    return { type: 'service', release: releaseOf(this.owner), namespace: this.namespace, name: this.name, port, selector: { ...this.pods.selector }, headless: this.headless };
  }
}

/**
 * The ports Linux hands out to a socket bound to port 0 (`net.ipv4.ip_local_port_range`, per network namespace): where
 * a program that cannot fix its listening port (dask workers) listens.
 */
export const LINUX_EPHEMERAL_PORTS = { first: 32768, last: 60999 } as const;

/** A container port of pods reached directly (or a range of ports, for programs that bind an ephemeral port). */
export interface PodPortSpec {
  /** The name the connection refers to (the container port's name when it declares one). */
  readonly name: string;
  /** The port number (the first of the range when `endPort` is set). */
  readonly port: number;
  /**
   * Transport protocol.
   * @default 'TCP'
   */
  readonly protocol?: PortProtocol;
  /**
   * The last port of a range: the pods listen on a port the kernel picks between `port` and `endPort` (an
   * ephemeral port, 32768-60999 on Linux by default), which no container port declares.
   * @default - a single, declared container port
   */
  readonly endPort?: number;
}

/**
 * The pods of a workload reached directly, not through a Service: what a scraper with pod discovery (Prometheus'
 * `kubernetes_sd` role pod) connects to. The ports are container ports (`targetPort` is the container port's name).
 */
export class PodEndpoint implements IConnectionTarget {
  /** The pods of `workload` on the named container ports. */
  public static of(workload: IWorkload, ports: readonly PodPortSpec[]): PodEndpoint {
    const checked = endpointPorts(
      'pods.ports',
      ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })),
    );
    return new PodEndpoint(
      workload,
      namespaceOf(workload, 'the workload'),
      checked.map((p, i) => {
        const endPort = ports[i].endPort;
        if (endPort === undefined) return { ...p, targetPort: p.name };
        check(Number.isInteger(endPort) && endPort > p.port && endPort <= 65535, `pods.ports[${i}].endPort`, endPort, `a port number above port (${p.port}) and at most 65535`);
        return { ...p, targetPort: p.name, endPort };
      }),
    );
  }

  private constructor(
    /** The workload whose pods are reached. */
    public readonly pods: IWorkload,
    /** The pods' namespace. */
    public readonly namespace: string,
    /** The container ports. */
    public readonly ports: readonly EndpointPort[],
  ) {}

  /** The workload (its Release is the target's release). */
  public get owner(): IConstruct {
    return this.pods;
  }

  /** `pods <namespace>/<labels>`. */
  public get description(): string {
    return `pods ${this.namespace}/${Object.entries(this.pods.selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
  }

  /** The container port named `name` (the only port when omitted). */
  public port(name?: string, prop = 'port'): EndpointPort {
    return findPort(this.description, this.ports, name, prop);
  }

  /** Pods found by discovery have no host name a client could be given. */
  public hostFor(form: HostForm, _clientNamespace: string | undefined): string {
    throw new ConfigError(
      'form',
      form,
      'a Service endpoint',
      `${this.description} are found by discovery and have no host name; connect to a Service to get an address`,
    );
  }

  /** The graph record of a connection to one container port. */
  public targetRecord(port: EndpointPort, releaseOf: (scope: IConstruct) => string | undefined): PodsTargetRecord {
    return { type: 'pods', release: releaseOf(this.pods), namespace: this.namespace, selector: { ...this.pods.selector }, port };
  }
}

/** Options every external peer shares. */
export interface ExternalPeerPortOptions {
  /**
   * The ports the peer receives the traffic on, where they differ from the port clients dial. A NetworkPolicy sees
   * the address and port after a Service's translation: the API server listens on 6443 behind `kubernetes:443`, a
   * database's pods on their container port behind their Service's port. Used only when the peer is a destination.
   * @default - the port clients dial
   */
  readonly ports?: readonly number[];
}

/** Options of an external peer in another namespace of the cluster. */
export interface ExternalPodsPeerOptions extends ExternalPeerPortOptions {
  /** The namespace the pods run in. */
  readonly namespace: string;
  /** Labels selecting the pods (at least one). */
  readonly selector: Readonly<Record<string, string>>;
}

/** Options of an external peer given by address ranges. */
export interface ExternalCidrPeerOptions extends ExternalPeerPortOptions {
  /** The address ranges (IPv4 or IPv6 CIDRs). */
  readonly cidrs: readonly string[];
  /** Why traffic to (or from) these ranges is allowed: recorded with the rule a NetworkPolicy renders. */
  readonly reason: string;
}

/** Options of a peer that may be any address. */
export interface ExternalAnywherePeerOptions extends ExternalPeerPortOptions {
  /**
   * Why every address may be on the other side (clients on the internet, an endpoint whose addresses change): recorded
   * as the `netpol-open-peer` exception on the NetworkPolicy that allows it, and printed in the notes.
   */
  readonly reason: string;
}

/**
 * Every IPv4 and every IPv6 address.
 * @internal
 */
export const ANY_ADDRESS_CIDRS: readonly string[] = ['0.0.0.0/0', '::/0'];

function peerPorts(prop: string, ports: readonly number[] | undefined): readonly number[] | undefined {
  if (ports === undefined) return undefined;
  check(Array.isArray(ports) && ports.length > 0, prop, ports, 'at least one port number, or unset (the port clients dial)');
  ports.forEach((p, i) => assertPort(`${prop}[${i}]`, p));
  check(new Set(ports).size === ports.length, prop, ports, 'each port once');
  return [...ports];
}

/**
 * Who is on the other side of a connection that leaves the app: pods in another namespace of the cluster (an ingress
 * controller, a database an operator runs), or address ranges (a managed database, the API server, a cloud endpoint)
 * with the reason they are allowed. What a NetworkPolicy needs to allow the traffic, and nothing more.
 */
export class ExternalPeer {
  /** Pods in another namespace of the cluster, selected by labels. */
  public static pods(options: ExternalPodsPeerOptions): ExternalPeer {
    assertDnsLabel('peer.namespace', options.namespace);
    const selector = assertLabels('peer.selector', options.selector ?? {});
    check(Object.keys(selector).length > 0, 'peer.selector', options.selector, 'at least one label (an empty selector would allow every pod of the namespace)');
    const ports = peerPorts('peer.ports', options.ports);
    return new ExternalPeer({ type: 'pods', namespace: options.namespace, selector, ...(ports ? { ports } : {}) });
  }

  /**
   * Address ranges outside the pod network. A range covering every address (`0.0.0.0/0`, `::/0`) is accepted with its
   * reason; the reason is what a reviewer reads.
   */
  public static cidr(options: ExternalCidrPeerOptions): ExternalPeer {
    check(Array.isArray(options.cidrs) && options.cidrs.length > 0, 'peer.cidrs', options.cidrs, 'at least one CIDR');
    options.cidrs.forEach((c, i) => assertCidr(`peer.cidrs[${i}]`, c));
    check(new Set(options.cidrs).size === options.cidrs.length, 'peer.cidrs', options.cidrs, 'each CIDR once');
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'peer.reason', options.reason, 'a non-empty reason');
    const ports = peerPorts('peer.ports', options.ports);
    return new ExternalPeer({ type: 'cidr', cidrs: [...options.cidrs], reason: options.reason.trim(), ...(ports ? { ports } : {}) });
  }

  /**
   * Every address (`0.0.0.0/0` and `::/0`), with the reason it has to be: clients on the internet, a cloud endpoint
   * whose addresses change. The NetworkPolicy that allows it carries the reason as its `netpol-open-peer` exception.
   */
  public static anywhere(options: ExternalAnywherePeerOptions): ExternalPeer {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'peer.reason', options?.reason, 'a non-empty reason why every address may be on the other side');
    return ExternalPeer.cidr({ cidrs: ANY_ADDRESS_CIDRS, reason: options.reason, ports: options.ports });
  }

  private constructor(private readonly record: ExternalPeerRecord) {}

  /** For messages (`pods ingress-nginx/app=controller`, `10.0.0.0/8 (managed Postgres)`). */
  public get description(): string {
    return describePeer(this.record);
  }

  /** True when the peer is every address of a family (`0.0.0.0/0`, `::/0`, or ranges whose union is). */
  public get anyAddress(): boolean {
    return this.record.type === 'cidr' && familiesFullyCovered(this.record.cidrs).length > 0;
  }

  /** The plain record (what renderers and verification read). */
  public toRecord(): ExternalPeerRecord {
    const r = this.record;
    const ports = r.ports ? { ports: [...r.ports] } : {};
    return r.type === 'pods' ? { ...r, selector: { ...r.selector }, ...ports } : { ...r, cidrs: [...r.cidrs], ...ports };
  }
}

/**
 * A peer record for messages and notes (`pods ingress-nginx/app=controller`, `10.0.0.0/8 (managed Postgres)`).
 * @internal
 */
export function describePeer(r: ExternalPeerRecord): string {
  return r.type === 'pods'
    ? `pods ${r.namespace}/${Object.entries(r.selector).map(([k, v]) => `${k}=${v}`).join(',')}`
    : `${r.cidrs.join(', ')} (${r.reason})`;
}

/** Props of an external endpoint. */
export interface ExternalEndpointProps {
  /**
   * The host clients dial, exactly as they are given it: a DNS name (`pg.corp.example`,
   * `postgres-primary.graphistry-db.svc`) or an IP address.
   */
  readonly host: string;
  /** The named ports. */
  readonly ports: readonly EndpointPortSpec[];
  /**
   * Who answers at the host, for the NetworkPolicy egress rule that lets clients reach it.
   * @default - undeclared: a default-deny policy has nothing to allow, so it must be declared before policies render
   */
  readonly peer?: ExternalPeer;
  /**
   * What it is, for notes and messages (`managed Postgres`).
   * @default - the host
   */
  readonly description?: string;
  /**
   * The construct that declares it (for reports).
   * @default - none
   */
  readonly owner?: IConstruct;
  /**
   * The prop the user declares the peer with, as they wrote it (`postgres.peer`): the error for a missing peer names it.
   * @default 'peer'
   */
  readonly peerProp?: string;
}

/**
 * An endpoint the app does not render: a managed database, a Service another release or operator creates, a cloud
 * API. Clients connect to it like to a Service endpoint (URLs from `url()`), and the graph records it with the peer
 * a NetworkPolicy needs.
 */
export class ExternalEndpoint implements IConnectionTarget {
  /** Declares an external endpoint. */
  public static of(props: ExternalEndpointProps): ExternalEndpoint {
    const host = props.host;
    check(typeof host === 'string' && (isIp(host) || isDnsSubdomain(host)), 'endpoint.host', host, 'a lowercase DNS name or an IP address, without scheme or port');
    const ports = endpointPorts('endpoint.ports', props.ports, false);
    if (props.peer !== undefined) check(props.peer instanceof ExternalPeer, 'endpoint.peer', props.peer, 'ExternalPeer.pods({...}) or ExternalPeer.cidr({...})');
    if (props.description !== undefined) check(props.description.trim().length > 0, 'endpoint.description', props.description, 'a non-empty description');
    return new ExternalEndpoint(host, ports, props.peer, props.description ?? host, props.owner, props.peerProp ?? 'peer');
  }

  private constructor(
    /** The host as declared. */
    public readonly host: string,
    /** The named ports. */
    public readonly ports: readonly EndpointPort[],
    /** Who answers, when declared. */
    public readonly peer: ExternalPeer | undefined,
    /** What it is (`managed Postgres`; the host when not described). */
    public readonly label: string,
    private readonly declaredBy: IConstruct | undefined,
    /** The prop the user declares the peer with (for the error when it is missing). */
    public readonly peerProp: string,
  ) {}

  /** `external <description> (<host>)`. */
  public get description(): string {
    return this.label === this.host ? `external ${this.host}` : `external ${this.label} (${this.host})`;
  }

  /** The declaring construct, when one was given. */
  public get owner(): IConstruct | undefined {
    return this.declaredBy;
  }

  /** The port named `name` (the only port when omitted). */
  public port(name?: string, prop = 'port'): EndpointPort {
    return findPort(this.description, this.ports, name, prop);
  }

  /** `host:port` of one port. */
  public hostPort(port?: string): string {
    return hostPortOf(this.host, this.port(port).port);
  }

  /** `scheme://host[:port][path]` (the port left out when it is the scheme's default). */
  public url(scheme: string, port?: string, options: UrlOptions = {}): string {
    return buildUrl(scheme, this.host, this.port(port).port, options.path);
  }

  /** The host as declared, whatever the form (the operator chose it). */
  public hostFor(_form: HostForm, _clientNamespace: string | undefined): string {
    return this.host;
  }

  /** The graph record of a connection to one port. */
  public targetRecord(port: EndpointPort): ExternalTargetRecord {
    return { type: 'external', description: this.label, host: this.host, port, peer: this.peer?.toRecord() };
  }
}

/**
 * The URL of a connection target for a client in `clientNamespace` (used by `Connection`).
 * @internal
 */
export function targetUrl(
  target: IConnectionTarget,
  port: EndpointPort,
  scheme: string,
  clientNamespace: string | undefined,
  options: UrlOptions,
): string {
  return buildUrl(scheme, target.hostFor(options.form ?? HostForm.FQDN, clientNamespace), port.port, options.path);
}

/**
 * The `host:port` of a connection target for a client in `clientNamespace` (used by `Connection`).
 * @internal
 */
export function targetHostPort(target: IConnectionTarget, port: EndpointPort, clientNamespace: string | undefined, form: HostForm): string {
  return hostPortOf(target.hostFor(form, clientNamespace), port.port);
}
