import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { EndpointPort, ExternalPeer, ExternalPeerRecord, HostForm, IConnectionTarget, targetHostPort, targetUrl, TargetRecord, UrlOptions } from './endpoint';
import { EnvBuilder, EnvFrom, EnvValue, OwnedKeyHint } from './env';
import { check, ConfigError } from './errors';
import { stableStringify } from './hash';
import { compareText } from './order';
import { assertLabelKey } from './labels';
import { assertDnsLabel } from './names';
import { ExternalRef } from './policy';
import { NetworkPolicies } from './network';
import { InitWait, waitRules } from './waits';
import { IWorkload, namespaceOf } from './workload';

/** What a connection is, for the renderers that read the graph (NetworkPolicy rules, reports). */
export enum ConnectionKind {
  /** A client calls the target (its env names the target, it may wait for it). */
  CLIENT = 'client',
  /** A metrics scraper pulls from the target. */
  SCRAPE = 'scrape',
  /** A reverse proxy or an ingress controller forwards outside requests to the target. */
  INGRESS = 'ingress',
}

/** Options of one connection. */
export interface ConnectOptions {
  /**
   * What the connection is for, in reports and notes (`cache and task queue`).
   * @default - none
   */
  readonly purpose?: string;
  /**
   * What kind of connection it is.
   * @default ConnectionKind.CLIENT
   */
  readonly kind?: ConnectionKind;
}

/** Options of a connection from a workload. */
export interface WorkloadConnectOptions extends ConnectOptions {
  /**
   * The one container of the workload's pods that opens the connection (the others do not).
   * @default - the pods as a whole
   */
  readonly container?: string;
}

/** The client side of a recorded connection that runs in the app. */
export interface WorkloadClientRecord {
  /** Discriminator: a workload of the app. */
  readonly type: 'workload';
  /**
   * Release rendering the client (undefined outside a Release).
   * @default - none
   */
  readonly release?: string;
  /** The client's namespace. */
  readonly namespace: string;
  /** Labels of the client's pods. */
  readonly selector: Readonly<Record<string, string>>;
  /**
   * The container that connects, when it is one container.
   * @default - the pods as a whole
   */
  readonly container?: string;
  /** Construct path of the client. */
  readonly path: string;
}

/** The client side of a recorded connection that comes from outside the app (an ingress controller). */
export interface ExternalClientRecord {
  /** Discriminator: pods or addresses outside the app. */
  readonly type: 'external';
  /** Who they are (pods in another namespace, or CIDRs with a reason). */
  readonly peer: ExternalPeerRecord;
}

/** Who opens a connection. */
export type ClientRecord = WorkloadClientRecord | ExternalClientRecord;

/**
 * One edge of the wiring graph as plain data: who connects to which port of what, and why. Renderers (NetworkPolicy
 * allow rules, Argo CD ordering between releases) and verification read these, never the constructs.
 */
export interface ConnectionRecord {
  /** What kind of connection it is. */
  readonly kind: ConnectionKind;
  /**
   * What the connection is for, when stated.
   * @default - none
   */
  readonly purpose?: string;
  /** Who opens the connection. */
  readonly from: ClientRecord;
  /** What it leads to, and on which port. */
  readonly to: TargetRecord;
}

/** Who opens a connection: a workload of the app (or one container of it), or pods or addresses outside the app. */
export class ConnectionSource {
  /** The pods of `workload`, or only its container `container`. */
  public static workload(workload: IWorkload, container?: string): ConnectionSource {
    if (container !== undefined) assertDnsLabel('connection.container', container);
    return new ConnectionSource(workload, container, undefined);
  }

  /** Pods or addresses outside the app (an ingress controller in its own namespace). */
  public static external(peer: ExternalPeer): ConnectionSource {
    check(peer instanceof ExternalPeer, 'connection.from', peer, 'ExternalPeer.pods({...}) or ExternalPeer.cidr({...})');
    return new ConnectionSource(undefined, undefined, peer);
  }

  private constructor(
    /** The client workload, for connections from the app. */
    public readonly workload: IWorkload | undefined,
    /** The client container, when one container connects. */
    public readonly container: string | undefined,
    /** The outside client, for connections into the app. */
    public readonly peer: ExternalPeer | undefined,
  ) {}

  /** The namespace the client runs in (undefined for an outside client). */
  public get namespace(): string | undefined {
    return this.workload ? namespaceOf(this.workload, 'the client workload') : undefined;
  }

  /** For messages. */
  public get description(): string {
    if (this.workload) return `${this.workload.node.path}${this.container ? ` (container ${this.container})` : ''}`;
    return this.peer!.description;
  }

  /** The plain record of the client side. */
  public toRecord(releaseOf: (scope: IConstruct) => string | undefined): ClientRecord {
    if (this.workload) {
      const r: WorkloadClientRecord = {
        type: 'workload',
        release: releaseOf(this.workload),
        namespace: namespaceOf(this.workload, 'the client workload'),
        selector: { ...this.workload.selector },
        container: this.container,
        path: this.workload.node.path,
      };
      return r;
    }
    return { type: 'external', peer: this.peer!.toRecord() };
  }
}

/**
 * One recorded connection. Clients take their addresses from it (`url`, `hostPort`), so an address in env or config
 * always has its edge in the graph, and verification checks that edge against the rendered Services.
 */
export class Connection {
  /** @internal */
  constructor(
    /** Who connects. */
    public readonly from: ConnectionSource,
    /** What it connects to. */
    public readonly target: IConnectionTarget,
    /** The target port. */
    public readonly port: EndpointPort,
    /** What kind of connection it is. */
    public readonly kind: ConnectionKind,
    /** What it is for, when stated. */
    public readonly purpose: string | undefined,
  ) {}

  /**
   * The URL the client dials: `scheme://host[:port][path]`, the host in `options.form` (FQDN by default; a short
   * name is refused when the client runs in another namespace than the Service).
   */
  public url(scheme: string, options: UrlOptions = {}): string {
    return targetUrl(this.target, this.port, scheme, this.from.namespace, options);
  }

  /** `host:port` for clients configured with an address rather than a URL. */
  public hostPort(form: HostForm = HostForm.FQDN): string {
    return targetHostPort(this.target, this.port, this.from.namespace, form);
  }

  /** The host alone (for clients that take host and port separately). */
  public host(form: HostForm = HostForm.FQDN): string {
    return this.target.hostFor(form, this.from.namespace);
  }

  /** The owned-key hint for env this connection sets (the error names the connection when a user overrides it). */
  public envHint(): OwnedKeyHint {
    return { controlledBy: `the connection to ${this.target.description} port ${this.port.name}` };
  }

  /** The plain record of this edge. */
  public toRecord(releaseOf: (scope: IConstruct) => string | undefined): ConnectionRecord {
    const r: ConnectionRecord = { kind: this.kind, from: this.from.toRecord(releaseOf), to: this.target.targetRecord(this.port, releaseOf) };
    return this.purpose !== undefined ? { ...r, purpose: this.purpose } : r;
  }
}

const GRAPHS = new WeakMap<IConstruct, Wiring>();

/**
 * The app-wide wiring graph: every connection any construct of the app records, across releases (a release may
 * connect to a Service another release renders). Env URLs and init waits come from the connections as they are made;
 * NetworkPolicy allow rules, ordering between releases and the verification of the rendered Services come from the
 * records (`RenderedRelease.connections`).
 */
export class Wiring {
  /** The graph of the app `scope` belongs to. */
  public static of(scope: IConstruct): Wiring {
    const root = scope.node.root;
    let g = GRAPHS.get(root);
    if (!g) {
      g = new Wiring();
      GRAPHS.set(root, g);
    }
    return g;
  }

  private readonly _connections: Connection[] = [];

  private constructor() {}

  /**
   * Records a connection from `client` (or its container `options.container`) to the port `port` of `target` (the
   * only port when omitted) and returns it.
   */
  public connect(client: IWorkload, target: IConnectionTarget, port?: string, options: WorkloadConnectOptions = {}): Connection {
    return this.add(ConnectionSource.workload(client, options.container), target, port, options);
  }

  /**
   * Records a connection from `client` (or its container `options.container`) to the Kubernetes API server (an
   * init wait, service discovery, an operator's watch): its NetworkPolicy then allows the release's `apiServer` peer.
   */
  public connectToKubernetesApi(client: IWorkload, options: WorkloadConnectOptions = {}): Connection {
    return this.connect(client, NetworkPolicies.of(client).kubernetesApi(client), 'https', options);
  }

  /** Records a connection into the app from outside it (an ingress controller's pods reaching a Service). */
  public connectFrom(peer: ExternalPeer, target: IConnectionTarget, port?: string, options: ConnectOptions = {}): Connection {
    return this.add(ConnectionSource.external(peer), target, port, options);
  }

  private add(from: ConnectionSource, target: IConnectionTarget, portName: string | undefined, options: ConnectOptions): Connection {
    const kind = options.kind ?? ConnectionKind.CLIENT;
    check(Object.values(ConnectionKind).includes(kind), 'connection.kind', kind, 'ConnectionKind.CLIENT, ConnectionKind.SCRAPE or ConnectionKind.INGRESS');
    if (options.purpose !== undefined) check(options.purpose.trim().length > 0, 'connection.purpose', options.purpose, 'a non-empty description, or unset');
    const port = target.port(portName, 'connection.port');
    const c = new Connection(from, target, port, kind, options.purpose?.trim());
    this._connections.push(c);
    return c;
  }

  /** Every connection, in the order they were recorded. */
  public get connections(): readonly Connection[] {
    return [...this._connections];
  }
}

/** A Secret mounted into a client container (a CA bundle, a client certificate). */
export interface SecretMountOptions {
  /** Volume name in the pod (a DNS label). */
  readonly volume: string;
  /** The Secret's name. */
  readonly secretName: string;
  /** Where the container sees it. */
  readonly mountPath: string;
  /**
   * Only these keys, at these paths under `mountPath`.
   * @default - every key, as a file named after it
   */
  readonly items?: ReadonlyArray<{ readonly key: string; readonly path: string }>;
  /**
   * The Secret is one the app renders (not declared as an external reference).
   * @default false - an operator creates it; it is declared in `refs.ops-kit.io/external`
   */
  readonly rendered?: boolean;
}

/**
 * What one pod gathers from its connections before it is built: the init-container waits, the volumes, the external
 * references and the connections themselves. Constructs that build their pod in the constructor create it first,
 * hand a `ClientBinding` per container to each server's `connect`, then build containers and pod from it.
 */
export class PodWiring {
  private readonly _waits: InitWait[] = [];
  private readonly _volumes: k8s.Volume[] = [];
  private readonly _refs: ExternalRef[] = [];
  private readonly _connections: Connection[] = [];
  private readonly _containers = new Map<string, ClientBinding>();
  private _pod?: ClientBinding;
  private readonly _serviceAccount = new Map<string, { readonly value: string; readonly source: string }>();

  /** @param workload the workload whose pods connect */
  constructor(public readonly workload: IWorkload) {}

  /**
   * The binding of the pod as a whole, for connections no single container owns (an init wait for a server the
   * pod's containers need). It has no env: a server's `connect` that sets env needs a container's binding.
   */
  public pod(): ClientBinding {
    if (!this._pod) this._pod = new ClientBinding(this, undefined, undefined);
    return this._pod;
  }

  /**
   * The binding of container `name`, whose env is `env` (the builder the container is rendered from). One per
   * container; asking twice returns the same binding.
   */
  public container(name: string, env: EnvBuilder): ClientBinding {
    assertDnsLabel('client.container', name);
    const existing = this._containers.get(name);
    if (existing) {
      check(existing.env === env, `client.${name}.env`, name, 'the same env builder for every binding of one container');
      return existing;
    }
    const b = new ClientBinding(this, name, env);
    this._containers.set(name, b);
    return b;
  }

  /**
   * Adds an init-container wait (once: the same wait from two connections is kept once; two different waits of one
   * name are an error). A wait that reads the API (it has RBAC rules) records its init container's connection to the
   * Kubernetes API server.
   */
  public addWait(wait: InitWait): this {
    const same = this._waits.find((w) => w.name === wait.name);
    if (same) {
      check(stableStringify(same) === stableStringify(wait), `initContainers.${wait.name}`, wait.args, `one wait per name (already waits with ${JSON.stringify(same.args)})`);
      return this;
    }
    this._waits.push(wait);
    if (wait.rules.length > 0) {
      this._connections.push(Wiring.of(this.workload).connectToKubernetesApi(this.workload, { container: wait.name, purpose: `init container ${wait.name} reads the API` }));
    }
    return this;
  }

  /** Adds a pod volume (once per name; the same name with different content is an error). */
  public addVolume(volume: k8s.Volume): this {
    const same = this._volumes.find((v) => v.name === volume.name);
    if (same) {
      check(stableStringify(same) === stableStringify(volume), `volumes.${volume.name}`, volume, 'one volume per name');
      return this;
    }
    this._volumes.push(volume);
    return this;
  }

  /** Declares an object the pod references that an operator creates. */
  public addExternalRef(ref: ExternalRef): this {
    if (!this._refs.some((r) => r.kind === ref.kind && r.name === ref.name)) this._refs.push(ref);
    return this;
  }

  /**
   * Requires the pod's ServiceAccount to carry `annotations` (cloud workload identity: `eks.amazonaws.com/role-arn`,
   * `iam.gke.io/gcp-service-account`). The workload that builds the pod renders its own ServiceAccount with them (see
   * `serviceAccountAnnotations`). Two connections asking one key for different values are an error naming both.
   * @param source who needs the annotation, for messages (`object storage s3://media`)
   */
  public addServiceAccountAnnotations(annotations: Readonly<Record<string, string>>, source: string): this {
    for (const [k, v] of Object.entries(annotations)) {
      assertLabelKey(`serviceAccount.annotations`, k);
      check(typeof v === 'string' && v.length > 0, `serviceAccount.annotations.${k}`, v, 'a non-empty value');
      const seen = this._serviceAccount.get(k);
      check(
        seen === undefined || seen.value === v,
        `serviceAccount.annotations.${k}`,
        v,
        `one value per annotation (${seen?.source} already needs ${JSON.stringify(seen?.value)})`,
        `${source} and ${seen?.source} need the pod's ServiceAccount annotated differently; run them in different pods`,
      );
      if (!seen) this._serviceAccount.set(k, { value: v, source });
    }
    return this;
  }

  /**
   * The annotations the pod's ServiceAccount must carry, sorted by key (empty when no connection needs one). A
   * workload with any renders a ServiceAccount of its own carrying them and runs its pods as it.
   */
  public get serviceAccountAnnotations(): Record<string, string> {
    return Object.fromEntries([...this._serviceAccount.entries()].sort(([a], [b]) => compareText(a, b)).map(([k, v]) => [k, v.value]));
  }

  /** @internal */
  public _record(c: Connection): void {
    this._connections.push(c);
  }

  /** The init-container waits, in the order they were added. */
  public get waits(): readonly InitWait[] {
    return [...this._waits];
  }

  /** The RBAC rules the waits need (empty when none reads the API). */
  public waitRules(): k8s.PolicyRule[] {
    return waitRules(this._waits);
  }

  /** The volumes the connections need, in the order they were added. */
  public get volumes(): readonly k8s.Volume[] {
    return [...this._volumes];
  }

  /** The external references the connections declared. */
  public get externalRefs(): readonly ExternalRef[] {
    return [...this._refs];
  }

  /** The connections made through this pod's bindings. */
  public get connections(): readonly Connection[] {
    return [...this._connections];
  }
}

/**
 * The client side of a connection for one container: what a server's `connect(client)` helper receives. One call on
 * the server side sets the container's env (URLs from the connection, credentials as Secret key references), adds the
 * init-container wait, mounts what the client needs, declares external references and records the connection in the
 * wiring graph. Everything is gathered before the container is built.
 */
export class ClientBinding {
  /** A binding for the single container `container` of `workload`, with a pod wiring of its own. */
  public static of(workload: IWorkload, container: string, env: EnvBuilder): ClientBinding {
    return new PodWiring(workload).container(container, env);
  }

  private readonly _mounts: k8s.VolumeMount[] = [];

  /** @internal */
  constructor(
    /** The pod-level collection (waits, volumes, external references). */
    public readonly pod: PodWiring,
    /** The container that connects (undefined for the pod-level binding). */
    public readonly container: string | undefined,
    private readonly _env: EnvBuilder | undefined,
  ) {}

  /** The container's env; the pod-level binding has none. */
  public get env(): EnvBuilder {
    if (!this._env) {
      throw new ConfigError('client.env', this.pod.workload.node.path, "a container's binding (PodWiring.container(name, env))", 'the pod-level binding has no env to set');
    }
    return this._env;
  }

  /** The workload whose container this is. */
  public get workload(): IWorkload {
    return this.pod.workload;
  }

  /** Records a connection from this container to `port` of `target` (the only port when omitted). */
  public connect(target: IConnectionTarget, port?: string, options: ConnectOptions = {}): Connection {
    const c = Wiring.of(this.pod.workload).connect(this.pod.workload, target, port, { ...options, container: this.container });
    this.pod._record(c);
    return c;
  }

  /** Sets an env key the connection owns (users cannot override it; the hint says where it comes from). */
  public setEnv(name: string, value: EnvValue, hint?: OwnedKeyHint): this {
    this.env.own(name, value, hint);
    return this;
  }

  /**
   * Sets env defaults from a connection that the user's env may override per key (settings a client may point
   * elsewhere on purpose, such as an OpenTelemetry endpoint).
   */
  public defaultEnv(values: Readonly<Record<string, EnvValue>>): this {
    this.env.defaults(values);
    return this;
  }

  /** Loads a whole Secret or ConfigMap as env. */
  public envFrom(source: EnvFrom, prop?: string): this {
    this.env.envFrom(source, prop);
    return this;
  }

  /** Adds an init-container wait to the pod. */
  public addWait(wait: InitWait): this {
    this.pod.addWait(wait);
    return this;
  }

  /** Declares an object the pod references that an operator creates. */
  public addExternalRef(ref: ExternalRef): this {
    this.pod.addExternalRef(ref);
    return this;
  }

  /** Requires the pod's ServiceAccount to carry `annotations` (see `PodWiring.addServiceAccountAnnotations`). */
  public addServiceAccountAnnotations(annotations: Readonly<Record<string, string>>, source: string): this {
    this.pod.addServiceAccountAnnotations(annotations, source);
    return this;
  }

  /** Mounts a volume into this container (the volume is added to the pod once). */
  public mount(volume: k8s.Volume, mount: Omit<k8s.VolumeMount, 'name'>): k8s.VolumeMount {
    this.pod.addVolume(volume);
    const m: k8s.VolumeMount = { name: volume.name, ...mount };
    if (this.container === undefined) {
      throw new ConfigError('client.volumeMounts', m.mountPath, "a container's binding", 'the pod-level binding mounts into no container');
    }
    if (this._mounts.some((x) => x.mountPath === m.mountPath)) {
      throw new ConfigError(`client.${this.container}.volumeMounts`, m.mountPath, 'one mount per path', `${m.mountPath} is already mounted in container ${this.container}`);
    }
    this._mounts.push(m);
    return m;
  }

  /** Mounts a Secret read-only (a CA bundle) and declares it external unless the app renders it. */
  public mountSecret(options: SecretMountOptions): k8s.VolumeMount {
    assertDnsLabel('client.mountSecret.volume', options.volume);
    check(options.mountPath.startsWith('/'), 'client.mountSecret.mountPath', options.mountPath, 'an absolute path');
    const items = options.items?.map((i) => ({ key: i.key, path: i.path }));
    const m = this.mount(
      { name: options.volume, secret: { secretName: options.secretName, items } },
      { mountPath: options.mountPath, readOnly: true },
    );
    if (!options.rendered) this.addExternalRef({ kind: 'Secret', name: options.secretName });
    return m;
  }

  /** The mounts this container needs, in the order they were added. */
  public get volumeMounts(): readonly k8s.VolumeMount[] {
    return [...this._mounts];
  }
}

/**
 * A server-side component a client can be connected to with one call. Generic workload blocks take a list of these
 * and call `connect` with the binding of their container before they build it.
 */
export interface IConnectable {
  /** Wires `client` to this component: env, waits, mounts and external references, and the graph edge. */
  connect(client: ClientBinding): void;
}
