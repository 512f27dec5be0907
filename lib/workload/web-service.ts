import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ExternalPeer, HostForm, ServiceEndpoint } from '../core/endpoint';
import { assertEnvName } from '../core/env';
import { WaitFor } from '../core/waits';
import { ClientBinding, IConnectable } from '../core/wiring';
import { check, ConfigError, inConstruct } from '../core/errors';
import { assertLabelKey } from '../core/labels';
import { policyExceptionAnnotations } from '../core/policy';
import { buildService, RenderedService, ServicePortOptions } from '../core/service';
import { assertCidr, assertWholeSeconds } from '../core/validate';
import { Release } from '../release/release';
import { renderIngress, WorkloadIngressOptions } from './ingress';
import { Worker, WorkerProps } from './worker';

/** Options of `ServiceExposure.nodePort()`. */
export interface NodePortExposureOptions {
  /** Why the Service must be reachable on every node's address (recorded as a policy exception). */
  readonly reason: string;
}

/** Options of `ServiceExposure.loadBalancer()`. */
export interface LoadBalancerExposureOptions {
  /** Why the Service must be reachable from outside the cluster (recorded as a policy exception). */
  readonly reason: string;
  /**
   * Client ranges the load balancer admits (CIDRs).
   * @default - every source
   */
  readonly sourceRanges?: readonly string[];
}

/** Who can reach a WebService's Service: the cluster only (the default), every node's port, or a cloud load balancer. */
export class ServiceExposure {
  /** A ClusterIP Service (reached from outside only through the Ingress). */
  public static clusterIp(): ServiceExposure {
    return new ServiceExposure('ClusterIP', undefined, undefined);
  }

  /**
   * A NodePort Service (node ports allocated by Kubernetes unless a port sets `nodePort`): it opens the port on every
   * node's address, past any ingress, so it needs a reason (a `node-port` policy exception).
   */
  public static nodePort(o: NodePortExposureOptions): ServiceExposure {
    check(typeof o?.reason === 'string' && o.reason.trim().length > 0, 'service.exposure.reason', o?.reason, 'why the Service must be reachable on every node');
    return new ServiceExposure('NodePort', o.reason.trim(), undefined);
  }

  /** A LoadBalancer Service: exposed outside the cluster, so it needs a reason (a `load-balancer` policy exception). */
  public static loadBalancer(o: LoadBalancerExposureOptions): ServiceExposure {
    check(typeof o.reason === 'string' && o.reason.trim().length > 0, 'service.exposure.reason', o.reason, 'why the Service must be reachable from outside the cluster');
    (o.sourceRanges ?? []).forEach((r, i) => assertCidr(`service.exposure.sourceRanges[${i}]`, r));
    return new ServiceExposure('LoadBalancer', o.reason.trim(), o.sourceRanges);
  }

  private constructor(
    /** The Service type. */
    public readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer',
    /** The reason recorded for a node port or a load balancer. */
    public readonly reason: string | undefined,
    /** Admitted source ranges. */
    public readonly sourceRanges: readonly string[] | undefined,
  ) {}
}

/** The Service of a WebService. */
export interface WebServiceServiceOptions {
  /**
   * Service ports, each forwarding to a container port (by default the one of the same name).
   * @default - every named container port, at its own number
   */
  readonly ports?: readonly ServicePortOptions[];
  /**
   * Who can reach it.
   * @default ServiceExposure.clusterIp()
   */
  readonly exposure?: ServiceExposure;
  /**
   * Service annotations.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Who connects from outside the cluster (`ExternalPeer.cidr({ cidrs, reason })` or `ExternalPeer.anywhere({ reason })`):
   * the pods' NetworkPolicy admits them. Required with a node port or a load balancer, refused otherwise.
   * @default - none (required for ServiceExposure.nodePort() and .loadBalancer())
   */
  readonly externalClients?: ExternalPeer;
}

/** How a client container connects to a WebService over HTTP (`webService.httpClient({...})`). */
export interface HttpClientOptions {
  /** Env variable receiving the base URL (`http://<service>.<namespace>.svc:<port>`), owned by the connection. */
  readonly urlEnv: string;
  /**
   * The Service port (by name).
   * @default - the Service's only port (required when it has several)
   */
  readonly port?: string;
  /**
   * A path after the authority (`/v1`).
   * @default - none
   */
  readonly path?: string;
  /**
   * How long the client waits for a response, set in whole seconds under `timeoutEnv`.
   * @default - not set (the client's own default)
   */
  readonly timeout?: Duration;
  /**
   * Env variable receiving `timeout` in whole seconds (required with `timeout`).
   * @default - none
   */
  readonly timeoutEnv?: string;
  /**
   * Add the init-container wait (a TCP connection through the Service, which succeeds once a pod is ready).
   * @default true
   */
  readonly wait?: boolean;
  /**
   * The form of the host name in the URL.
   * @default HostForm.NAMESPACED
   */
  readonly hostForm?: HostForm;
  /**
   * What the connection is for (reports, notes).
   * @default - none
   */
  readonly purpose?: string;
}

/** Props of a `WebService`. */
export interface WebServiceProps extends WorkerProps {
  /**
   * The Service in front of the pods.
   * @default - every named container port, ClusterIP
   */
  readonly service?: WebServiceServiceOptions;
  /**
   * An Ingress in front of the Service.
   * @default - none
   */
  readonly ingress?: WorkloadIngressOptions;
}

/**
 * A long-running workload that serves on a Service (`endpoint`): a `Worker` plus its Service and an optional Ingress
 * (class, hosts, TLS from a Secret or cert-manager).
 */
export class WebService extends Worker {
  /** The Service (id `Service`). */
  public readonly service: k8s.KubeService;
  /** The Service's handle: what clients connect to. */
  public readonly endpoint: ServiceEndpoint;
  /** The Ingress, when one is set (id `Ingress`). */
  public readonly ingress?: k8s.KubeIngress;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id, props);
    const s = inConstruct(this, () => this.serviceObjects(props));
    this.service = s.service;
    this.endpoint = s.endpoint;
    this.ingress = inConstruct(this, () => this.ingressObject(props, s.endpoint, s.exposure));
  }

  /**
   * A client of this service over HTTP, for a block's `connections`: the graph edge to the Service port, the URL (and
   * timeout) in the env names the client reads, and the TCP wait. The URL always names this Service, so it cannot
   * point at one that is not rendered.
   */
  public httpClient(options: HttpClientOptions): IConnectable {
    check(options !== undefined && typeof options === 'object', 'httpClient', options, '{ urlEnv, ... }');
    assertEnvName('httpClient.urlEnv', options.urlEnv);
    const timeout = options.timeout !== undefined ? assertWholeSeconds('httpClient.timeout', options.timeout, { min: 1 }) : undefined;
    if (timeout !== undefined) check(options.timeoutEnv !== undefined, 'httpClient.timeoutEnv', options.timeoutEnv, 'the env name the client reads the timeout from', 'the timeout and its env name come together');
    if (options.timeoutEnv !== undefined) check(timeout !== undefined, 'httpClient.timeout', options.timeout, 'a Duration', `the timeout and its env name (${options.timeoutEnv}) come together`);
    if (options.timeoutEnv !== undefined) assertEnvName('httpClient.timeoutEnv', options.timeoutEnv);
    const endpoint = this.endpoint;
    const waitName = this.name;
    return {
      connect: (client: ClientBinding) => {
        const form = options.hostForm ?? HostForm.NAMESPACED;
        const c = client.connect(endpoint, options.port, { purpose: options.purpose });
        client.setEnv(options.urlEnv, c.url('http', { form, path: options.path }), c.envHint());
        if (timeout !== undefined) client.setEnv(options.timeoutEnv!, String(timeout), c.envHint());
        if (options.wait ?? true) client.addWait(WaitFor.tcp({ name: waitName, host: c.host(form), port: c.port.port }));
      },
    };
  }

  /** The Service on every named port (or the given ports), exposed as asked. */
  private serviceObjects(props: WebServiceProps): RenderedService & { exposure: ServiceExposure } {
    const named = (props.container.ports ?? []).filter((p) => p.name !== undefined);
    const ports = props.service?.ports ?? named.map((p) => ({ name: p.name!, port: p.port, protocol: p.protocol }));
    if (!ports.length) throw new ConfigError('container.ports', props.container.ports ?? [], 'at least one named port', 'a WebService serves on its Service');
    const exposure = props.service?.exposure ?? ServiceExposure.clusterIp();
    check(exposure instanceof ServiceExposure, 'service.exposure', exposure, 'ServiceExposure.clusterIp(), .nodePort({ reason }) or .loadBalancer({ reason })');
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(props.service?.annotations ?? {})) {
      assertLabelKey('service.annotations', k);
      annotations[k] = v;
    }
    if (exposure.reason) {
      const rule = exposure.type === 'LoadBalancer' ? 'load-balancer' : 'node-port';
      Object.assign(annotations, policyExceptionAnnotations([{ rule, reason: exposure.reason }]));
    }
    const s = buildService(this, 'Service', {
      name: this.name,
      labels: this.labels,
      annotations,
      pods: this,
      ports,
      type: exposure.type,
      loadBalancerSourceRanges: exposure.sourceRanges,
      externalClients: props.service?.externalClients,
    });
    return { ...s, exposure };
  }

  /** The Ingress in front of the Service, when one is asked for. */
  private ingressObject(props: WebServiceProps, endpoint: ServiceEndpoint, exposure: ServiceExposure): k8s.KubeIngress | undefined {
    if (!props.ingress) return undefined;
    if (exposure.type === 'LoadBalancer') {
      throw new ConfigError('ingress', props.ingress.hosts, 'no Ingress with ServiceExposure.loadBalancer() (pick one way in)', 'the Service is already exposed by its own load balancer');
    }
    const ingress = renderIngress(this, 'Ingress', endpoint, this.labels, props.ingress).ingress;
    this.addIngressNote(props.ingress, endpoint);
    return ingress;
  }

  private addIngressNote(o: WorkloadIngressOptions, endpoint: ServiceEndpoint): void {
    const hosts = o.hosts.map((h) => `${o.tls ? 'https' : 'http'}://${h}${o.path ?? '/'}`).join(', ');
    const cls = o.className ? `the ${o.className} IngressClass and its controller must exist (kubectl get ingressclass ${o.className})` : 'the cluster must have a default IngressClass';
    const secret = o.tls?.secretName(endpoint.name);
    const tls = !o.tls
      ? ' No TLS: the hosts are served over plain HTTP.'
      : o.tls.issuedBy === 'cert-manager'
        ? ` cert-manager issues the certificate into Secret ${secret} (${Object.entries(o.tls.annotations).map(([k, v]) => `${k.slice(k.indexOf('/') + 1)} ${v}`).join('')} must exist and be ready; kubectl get certificate -n ${this.podNamespace}).`
        : ` Create the kubernetes.io/tls Secret ${secret} first: kubectl -n ${this.podNamespace} create secret tls ${secret} --cert=tls.crt --key=tls.key`;
    Release.of(this).addNote(`Ingress ${endpoint.name} serves ${hosts} from Service ${endpoint.name} port ${o.port ?? endpoint.ports[0].name}; ${cls}.${tls}`);
  }
}
