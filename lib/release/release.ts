import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { ClusterDomain, DEFAULT_CLUSTER_DOMAIN, ExternalEndpoint } from '../core/endpoint';
import { check, ConfigError, ErrorCollector } from '../core/errors';
import { stableStringify } from '../core/hash';
import { KUBE_PROMETHEUS, NetworkPolicies } from '../core/network';
import { ConnectionRecord, Wiring } from '../core/wiring';
import { MANAGED_BY } from '../core/labels';
import { passMemo } from './pass';
import { renderApiObject } from './render';
import { ingressConnections, networkPolicyNote, NetworkPolicyPlan, planNetworkPolicies, PodOwner, podOwnerOf, PolicyPeer, PolicyPort, runsPods } from './network-policies';
import { GlobalPlacementProps, Placement } from '../core/placement';
import { ImageSettings, Images } from '../core/images';
import { assertDnsLabel } from '../core/names';
import { nodePortCollisions } from './node-ports';
import { userProp } from '../core/props';
import { keepStateAnnotations } from '../core/retention';
import { DeliveryTarget } from '../gitops/target';

/** Props of Release. */
export interface ReleaseProps {
  /**
   * Release name: the dist/ folder Argo CD deploys as one Application, and `app.kubernetes.io/instance`.
   * @default - the construct id
   */
  readonly name?: string;
  /** Namespace every namespaced object of the release lives in. */
  readonly namespace: string;
  /**
   * Registry redirect and pull secrets for every image rendered in the release.
   * @default - images pulled from the registries they name, no pull secrets
   */
  readonly images?: ImageSettings;
  /**
   * Release-wide nodeSelector, tolerations and affinity.
   * @default - no constraints
   */
  readonly placement?: GlobalPlacementProps;
  /**
   * The cluster's DNS domain, which every Service FQDN below the release ends in.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Render the Namespace object too (otherwise the GitOps tool or an operator creates it). It carries the Pod Security
   * labels its pods need and the keep-state annotations: deleting a namespace deletes every claim and operator-created
   * Secret in it.
   * @default false
   */
  readonly createNamespace?: boolean;
  /**
   * NetworkPolicies: a default deny for the release's pods and the allow rules of its wiring graph (DNS to the cluster
   * resolver, the connections its pods open and accept, the API server for the pods that read it), with the cluster's
   * addresses declared in `defaultDeny({...})`; or `off({ reason })`.
   * @default NetworkPolicies.defaultDeny()
   */
  readonly networkPolicy?: NetworkPolicies;
  /**
   * How the release is delivered: with `DeliveryTarget.argoCd({...})`, the synth writes its Argo CD Application (and
   * the target's AppProject and root app-of-apps) under `dist/argocd/`. Give every release of an app the same target.
   * @default - no delivery output for this release
   */
  readonly delivery?: DeliveryTarget;
  /**
   * Releases that must be synced and healthy before this one (its Application comes in a later sync wave). The wiring
   * graph adds the releases this one connects to, and the releases rendering the CRDs of its custom resources.
   * @default - none declared
   */
  readonly dependsOn?: readonly Release[];
}

/** Construct id of the scope holding the rendered NetworkPolicies. */
const NETWORK_POLICIES_ID = 'NetworkPolicies';

const RELEASE_SYMBOL = Symbol.for('cdk8s-ops-kit.Release');

/**
 * The error for a construct created outside any Release: it names the construct, where it was created and the fix.
 * The library's constructs take their namespace, release name, image mirror, pull secrets and placement from the
 * enclosing Release, and a plain cdk8s Chart has none of them (there are no hidden defaults for them).
 */
function notInRelease(scope: IConstruct): ConfigError {
  const kind = scope.constructor?.name || 'construct';
  const chart = scope.node.scopes.slice(0, -1).reverse().find((s) => Chart.isChart(s));
  const where = chart ? `it is created in the cdk8s Chart ${JSON.stringify(chart.node.path)}, which is not a Release` : 'it is not inside any chart';
  const id = JSON.stringify(scope.node.id || 'Id');
  return new ConfigError(
    'scope',
    scope.node.path,
    `a Release, or a construct inside one: const release = new Release(app, 'my-release', { namespace: 'my-namespace' }); new ${kind}(release, ${id.replace(/"/g, "'")}, ...)`,
    `${kind} ${JSON.stringify(scope.node.path)} is outside any Release (${where}); the library's constructs take their namespace, release name, image mirror and placement from the enclosing Release`,
  );
}

/**
 * One deployable unit: a chart whose objects land in `dist/<name>/` and that Argo CD applies as one Application.
 * It carries the release-wide image and placement settings every construct below it resolves against, and collects
 * operator notes and synth warnings. Every construct of this library must be created inside a Release.
 */
export class Release extends Chart {
  /** True for a Release (also one made by another copy of this library). */
  public static isRelease(x: unknown): x is Release {
    return x !== null && typeof x === 'object' && RELEASE_SYMBOL in x;
  }

  /**
   * `instanceof Release` is true for releases only. (cdk8s's Chart answers `instanceof` by duck typing, and a subclass
   * inherits that: without this every plain Chart would pass for a Release.)
   */
  public static [Symbol.hasInstance](x: unknown): x is Release {
    return Release.isRelease(x);
  }

  /** The release a construct belongs to, or undefined outside any Release. */
  public static tryOf(scope: IConstruct): Release | undefined {
    return scope.node.scopes.slice().reverse().find((s): s is Release => Release.isRelease(s));
  }

  /** The release a construct belongs to; throws, naming the construct and the fix, when it is outside any Release. */
  public static of(scope: IConstruct): Release {
    const found = Release.tryOf(scope);
    if (!found) throw notInRelease(scope);
    return found;
  }

  /** The release name (dist folder, instance label). */
  public readonly releaseName: string;
  /** The release namespace. */
  public readonly releaseNamespace: string;
  /**
   * How the release is delivered.
   * @default - not delivered by this library's GitOps output
   */
  public readonly delivery?: DeliveryTarget;
  private readonly _dependsOn: Release[] = [];
  private readonly _notes: Array<string | (() => string | readonly string[])> = [];
  private readonly _warnings: Array<{ readonly message: string; readonly fix?: WarningFix } | (() => LazyWarningText | undefined)> = [];
  private _networkNotes: string[] = [];

  constructor(scope: Construct, id: string, props: ReleaseProps) {
    const name = props.name ?? id;
    // Every prop check runs before the chart is built, and all their errors are reported together.
    const errors = new ErrorCollector();
    errors.attempt(() => assertDnsLabel('release.name', name));
    errors.attempt(() => assertDnsLabel('release.namespace', props.namespace));
    super(scope, id, { namespace: props.namespace, disableResourceNameHashes: true });
    Object.defineProperty(this, RELEASE_SYMBOL, { value: true });
    this.releaseName = name;
    this.releaseNamespace = props.namespace;
    errors.attempt(() => Images.configure(this, props.images ?? {}));
    errors.attempt(() => Placement.configure(this, props.placement ?? {}));
    errors.attempt(() => ClusterDomain.configure(this, props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN, 'release.clusterDomain'));
    errors.attempt(() => NetworkPolicies.configure(this, props.networkPolicy ?? NetworkPolicies.defaultDeny(), 'release.networkPolicy'));
    errors.check(
      props.delivery === undefined || props.delivery instanceof DeliveryTarget,
      'release.delivery',
      props.delivery,
      "DeliveryTarget.argoCd({ name, repoURL, ... }), the same object for every release of the app",
    );
    this.delivery = props.delivery;
    (props.dependsOn ?? []).forEach((r, i) => errors.attempt(() => this.dependsOn(r, `release.dependsOn[${i}]`)));
    errors.throwIfAny();
    this.node.addValidation({ validate: () => nodePortCollisions(this) });
    this.node.addValidation({ validate: () => this.undeclaredPeers() });
    if (props.createNamespace) {
      // Deleting a namespace deletes everything in it (claims and their volumes, the Secrets an operator created):
      // never a side effect of pruning or deleting the Application. The Pod Security labels are added at render, from
      // the release's pods.
      new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: props.namespace, annotations: keepStateAnnotations() } });
    }
  }

  /**
   * Declares that this release needs `other` synced and healthy first: its Argo CD Application gets a later sync wave
   * in the app-of-apps. Both must be delivered by the same target.
   */
  public dependsOn(other: Release, prop = 'dependsOn'): void {
    check(Release.isRelease(other), prop, other, 'a Release of the same app');
    check(other !== this, prop, other.releaseName, `another release than ${this.releaseName} itself`);
    check(other.node.root === this.node.root, prop, other.releaseName, 'a Release of the same cdk8s App');
    if (!this._dependsOn.includes(other)) this._dependsOn.push(other);
  }

  /** The releases this one declares it depends on, in the order declared. */
  public get releaseDependencies(): readonly Release[] {
    return [...this._dependsOn];
  }

  /** Adds a paragraph to the operator notes (printed at synth, written outside the release folder). */
  public addNote(text: string): void {
    check(text.trim().length > 0, 'note', text, 'non-empty text');
    this._notes.push(text.trim());
  }

  /**
   * Adds a paragraph (or several) produced when the notes are read (at synth), in this place among the others: for
   * constructs whose `add*()` calls after the constructor change what the notes say (a server's roles and databases),
   * and for notes read from the objects the release renders (a Graphistry stack's prerequisites come from its pods).
   * Inside a render pass they are produced before the release's objects are handed over (see `produceNotes`), so
   * those read the JSON the pass has already rendered instead of rendering each object again. Empty paragraphs add
   * nothing.
   */
  public addLazyNote(produce: () => string | readonly string[]): void {
    this._notes.push(produce);
  }

  /**
   * Adds a warning: printed at synth and listed at the top of the notes. It does not fail the synth. When a prop
   * change silences it, pass it as `fix`: the warning then names that prop as the user wrote it (in the props of the
   * construct they created, see `forwardProps`) and a value that compiles.
   */
  public addWarning(text: string, fix?: WarningFix): void {
    check(text.trim().length > 0, 'warning', text, 'non-empty text');
    const message = text.trim();
    if (!this._warnings.some((w) => typeof w !== 'function' && sameWarning(w, message, fix))) this._warnings.push({ message, fix });
  }

  /**
   * Adds a warning produced when the warnings are read, in this place among the others (undefined adds none): like
   * `addLazyNote`, for warnings read from the objects the release renders. `fix` as in `addWarning`.
   * @internal
   */
  public addLazyWarning(produce: () => { readonly text: string; readonly fix?: WarningFix } | undefined): void {
    this._warnings.push(produce);
  }

  /** The operator notes, in the order they were added (the NetworkPolicy summary last, once rendered). */
  public get notes(): readonly string[] {
    return [...this.producedNotes(), ...this._networkNotes];
  }

  /**
   * Produces the lazy notes and warnings of the release, once for the render pass (outside one, every read produces
   * them): the render pass calls it before the release's objects are handed over, so producers that read rendered
   * objects share the pass's JSON.
   * @internal
   */
  public produceNotes(): void {
    this.producedNotes();
    this.producedWarnings();
  }

  private producedNotes(): readonly string[] {
    return passMemo(this, 'notes', () => {
      const out: string[] = [];
      for (const n of this._notes) {
        if (typeof n === 'string') out.push(n);
        else for (const text of [n()].flat()) if (text.trim().length > 0) out.push(text.trim());
      }
      return out;
    });
  }

  private producedWarnings(): ReadonlyArray<{ readonly message: string; readonly fix?: WarningFix }> {
    return passMemo(this, 'warnings', () => {
      const out: Array<{ readonly message: string; readonly fix?: WarningFix }> = [];
      for (const w of this._warnings) {
        const v = typeof w === 'function' ? w() : w;
        if (!v) continue;
        const message = 'text' in v ? v.text.trim() : v.message;
        // The first of equal warnings, as addWarning keeps it.
        if (message.length > 0 && !out.some((o) => sameWarning(o, message, v.fix))) out.push({ message, fix: v.fix });
      }
      return out;
    });
  }

  /** How the release renders NetworkPolicies. */
  public get networkPolicy(): NetworkPolicies {
    return NetworkPolicies.of(this);
  }

  /**
   * Every connection that starts or ends in the release, as plain records: the wiring graph's (from the release's
   * workloads, or from elsewhere into its Services and pods) and, while NetworkPolicies are rendered, one per Service
   * an Ingress of the release routes to (from the release's ingress controller).
   */
  public connectionRecords(): ConnectionRecord[] {
    return [...passMemo(this, 'connectionRecords', () => this.computeConnectionRecords())];
  }

  private computeConnectionRecords(): ConnectionRecord[] {
    const name = this.releaseName;
    const wired = this.wiringRecords().filter((r) => (r.from.type === 'workload' && r.from.release === name) || (r.to.type !== 'external' && r.to.release === name));
    const np = this.networkPolicy;
    if (!np.enabled) return wired;
    const objects = this.renderedObjects().filter((o) => o.kind === 'Ingress' || o.kind === 'Service').map((o) => renderApiObject(o));
    return [...wired, ...ingressConnections(name, objects, np.ingressController.toRecord())];
  }

  /** The records of the app-wide wiring graph (once per render pass: every release of the app reads the same graph). */
  private wiringRecords(): readonly ConnectionRecord[] {
    const wiring = Wiring.of(this);
    return passMemo(wiring, 'records', () => {
      const releaseOf = (scope: IConstruct) => Release.tryOf(scope)?.releaseName;
      return wiring.connections.map((c) => c.toRecord(releaseOf));
    });
  }

  /**
   * Renders the NetworkPolicies (into the child `NetworkPolicies`, replaced on every call) before the chart's objects
   * are synthesized, so every path that synthesizes the release (renderRelease, cdk8s App.synth, Testing.synth)
   * carries them. They are computed here, once the whole app is built, because connections from other releases into
   * this one are recorded by constructs created after it.
   */
  public toJson(): any[] {
    this.renderNetworkPolicies();
    return super.toJson();
  }

  /**
   * Every ApiObject under this release (not the NetworkPolicies it renders). Once per render pass (the pass reads it
   * for the connections, the app's pods and the notes; rendering NetworkPolicies changes nothing it lists).
   */
  private renderedObjects(): readonly ApiObject[] {
    return passMemo(this, 'renderedObjects', () => {
      const rendered = (c: IConstruct) => !c.node.scopes.some((s) => s.node.id === NETWORK_POLICIES_ID && s.node.scope === this);
      return this.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c) && rendered(c));
    });
  }

  /**
   * The objects that run pods in every release of the app under `root`, as NetworkPolicies see them. The NetworkPolicies
   * a release renders run no pods, so one list serves every release of a synth (renderApp computes it once instead of
   * rendering every workload of the app once per release).
   * @internal
   */
  public static appPodOwners(root: IConstruct): PodOwner[] {
    const out: PodOwner[] = [];
    for (const r of root.node.findAll().filter((c): c is Release => Release.isRelease(c))) {
      for (const o of r.renderedObjects()) {
        if (!runsPods(o.kind)) continue;
        const owner = podOwnerOf(renderApiObject(o), r.releaseName);
        if (owner) out.push(owner);
      }
    }
    return out;
  }

  /** The plan of the release's NetworkPolicies (when they are on). */
  private networkPolicyPlan(appPods?: readonly PodOwner[]): NetworkPolicyPlan {
    const np = this.networkPolicy;
    return planNetworkPolicies({
      release: this.releaseName,
      namespace: this.releaseNamespace,
      connections: this.connectionRecords(),
      pods: appPods ?? Release.appPodOwners(this.node.root),
      dns: np.dns.toRecord(),
      nodes: np.nodes.toRecord(),
    });
  }

  /**
   * Renders the NetworkPolicies into the child `NetworkPolicies` (replacing it), as toJson() does first: for the synth's
   * one-pass render (lib/release/render.ts), which reads the objects without calling toJson(). `appPods` is
   * `Release.appPodOwners(app)` when the caller already has it (the app must not have changed since).
   * @internal
   */
  public renderNetworkPolicies(appPods?: readonly PodOwner[]): void {
    this.node.tryRemoveChild(NETWORK_POLICIES_ID);
    const np = this.networkPolicy;
    if (!np.enabled) {
      this._networkNotes = [
        `NETWORK POLICIES: none rendered (networkPolicy: NetworkPolicies.off): ${np.offReason}. The release's pods accept and open every ` +
          'connection the cluster\'s own policies allow.',
      ];
      return;
    }
    const plan = this.networkPolicyPlan(appPods);
    const scope = new Construct(this, NETWORK_POLICIES_ID);
    const labels = { 'app.kubernetes.io/instance': this.releaseName, 'app.kubernetes.io/managed-by': MANAGED_BY };
    for (const p of plan.policies) {
      // Both types on every policy: a workload's own policy isolates its pods even if they lack the release label.
      new k8s.KubeNetworkPolicy(scope, p.name, {
        metadata: { name: p.name, labels, annotations: Object.keys(p.annotations).length ? { ...p.annotations } : undefined },
        spec: {
          podSelector: p.podSelectorIn
            ? { matchExpressions: [{ key: p.podSelectorIn.key, operator: 'In', values: [...p.podSelectorIn.values] }] }
            : { matchLabels: { ...p.podSelector } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: p.ingress.length ? p.ingress.map((r) => ({ from: r.peers.map(kubePeer), ports: r.ports.map(kubePort) })) : undefined,
          egress: p.egress.length ? p.egress.map((r) => ({ to: r.peers.map(kubePeer), ports: r.ports.map(kubePort) })) : undefined,
        },
      });
    }
    this._networkNotes = plan.policies.length ? [networkPolicyNote(plan), ...this.networkPolicyAssumptions(plan)] : [];
  }

  /**
   * The cluster addresses the release had to assume (a note, not a warning: each is allowed for a stated reason and
   * recorded on the policy, and the note says how to narrow it).
   */
  private networkPolicyAssumptions(plan: NetworkPolicyPlan): string[] {
    const np = this.networkPolicy;
    const lines: string[] = [];
    const fix = (value: string): string => ` Narrow it on Release ${this.releaseName}: networkPolicy: ${value}.`;
    if (plan.apiClients.length && !np.declared.apiServer) {
      lines.push(
        `NETWORK POLICY ASSUMPTION: ${plan.apiClients.join(', ')} read the Kubernetes API, and the API server's addresses are not declared, ` +
          'so their NetworkPolicies allow any address on ports 443 and 6443 (kubectl get endpoints kubernetes -n default lists the real ones).' +
          fix("NetworkPolicies.defaultDeny({ apiServer: ExternalPeer.cidr({ cidrs: ['10.0.0.10/32'], ports: [6443], reason: 'the control plane endpoints' }) })"),
      );
    }
    const nodes = stableStringify(np.nodes.toRecord());
    const viaNodes = this.connectionRecords().some((c) => c.from.type === 'external' && stableStringify(c.from.peer) === nodes);
    if ((plan.usesNodes || viaNodes) && !np.declared.nodes) {
      lines.push(
        'NETWORK POLICY ASSUMPTION: traffic from or to node addresses (NodePort/LoadBalancer traffic forwarded by kube-proxy, host-network ' +
          'pods) is allowed from and to any address on the ports concerned, because the nodes\' addresses are not declared.' +
          fix("NetworkPolicies.defaultDeny({ nodes: ExternalPeer.cidr({ cidrs: ['10.0.0.0/24'], reason: 'the node network' }) })"),
      );
    }
    if (!np.declared.ingressController) {
      const classes = this.renderedObjects()
        .filter((o) => o.kind === 'Ingress')
        .map((o) => ({ name: o.name, cls: renderApiObject(o).spec?.ingressClassName as string | undefined }))
        .filter((i) => i.cls !== 'nginx');
      if (classes.length) {
        const which = classes.map((i) => `${i.name} (${i.cls === undefined ? 'the cluster\'s default class' : `class ${i.cls}`})`).join(', ');
        lines.push(
          `NETWORK POLICY ASSUMPTION: Ingress ${which} may be served by a controller other than ingress-nginx, but the NetworkPolicies admit ` +
            'only ingress-nginx\'s controller pods (namespace ingress-nginx): with another controller its traffic is dropped.' +
            fix("NetworkPolicies.defaultDeny({ ingressController: ExternalPeer.pods({ namespace: 'kube-system', selector: { 'app.kubernetes.io/name': 'traefik' } }) })"),
        );
      }
      // Services the wiring says the operator's own ingress controller fronts (no Ingress object of the release names it).
      const controller = stableStringify(np.ingressController.toRecord());
      const fronted = [...new Set(this.wiringRecords()
        .filter((r) => r.from.type === 'external' && stableStringify(r.from.peer) === controller && r.to.type !== 'external' && r.to.release === this.releaseName)
        .map((r) => (r.to.type === 'service' ? r.to.name : `pods ${Object.entries(r.to.type === 'pods' ? r.to.selector : {}).map(([k, v]) => `${k}=${v}`).join(',')}`)))];
      if (fronted.length) {
        lines.push(
          `NETWORK POLICY ASSUMPTION: ${fronted.join(', ')} ${fronted.length === 1 ? 'is' : 'are'} fronted by your own ingress controller, and the ` +
            'NetworkPolicies admit only ingress-nginx\'s controller pods (namespace ingress-nginx): with another controller its traffic is dropped.' +
            fix("NetworkPolicies.defaultDeny({ ingressController: ExternalPeer.pods({ namespace: 'kube-system', selector: { 'app.kubernetes.io/name': 'traefik' } }) })"),
        );
      }
    }
    if (!np.declared.prometheus) {
      // Workloads that ask for annotation-based scraping admit the Prometheus peer; with the default peer, say so.
      const scraper = stableStringify(np.prometheus.toRecord());
      const scraped = [...new Set(this.wiringRecords()
        .filter((r) => r.from.type === 'external' && stableStringify(r.from.peer) === scraper && r.to.type === 'pods' && r.to.release === this.releaseName)
        .map((r) => `pods ${Object.entries(r.to.type === 'pods' ? r.to.selector : {}).map(([k, v]) => `${k}=${v}`).join(',')}`))];
      if (scraped.length) {
        lines.push(
          `NETWORK POLICY ASSUMPTION: ${scraped.join(', ')} ${scraped.length === 1 ? 'asks' : 'ask'} to be scraped by the cluster's Prometheus (prometheus.io/scrape annotations), ` +
            `and the NetworkPolicies admit only kube-prometheus-stack's Prometheus pods (namespace ${KUBE_PROMETHEUS.namespace}, app.kubernetes.io/name=prometheus) on the metrics port: ` +
            'with another Prometheus its scrapes time out.' +
            fix("NetworkPolicies.defaultDeny({ prometheus: ExternalPeer.pods({ namespace: 'observability', selector: { 'app.kubernetes.io/name': 'prometheus' } }) })"),
        );
      }
    }
    return lines;
  }

  /**
   * Connections from the release's workloads to external endpoints that declare no peer: a default deny would block
   * them, and no rule can say what to allow.
   */
  private undeclaredPeers(): string[] {
    if (!this.networkPolicy.enabled) return [];
    const out = new Map<ExternalEndpoint, string>();
    for (const c of Wiring.of(this).connections) {
      const target = c.target;
      const client = c.from.workload;
      if (!(target instanceof ExternalEndpoint) || target.peer || !client || Release.tryOf(client) !== this || out.has(target)) continue;
      out.set(target, new ConfigError(
        target.peerProp,
        undefined,
        'who answers there: ExternalPeer.pods({ namespace, selector }) for pods of the cluster, ExternalPeer.cidr({ cidrs, reason }) for addresses, ' +
          "or networkPolicy: NetworkPolicies.off({ reason }) on the release",
        `${c.from.description} connects to ${target.description} on port ${c.port.port}/${c.port.protocol}, and the release's default-deny ` +
          'NetworkPolicies allow only peers the wiring declares',
      ).message);
    }
    return [...out.values()];
  }

  /** The warnings as printed: each with its fix, in the user's prop names. */
  public get warnings(): readonly string[] {
    return this.warningDetails.map((w) => w.text);
  }

  /** The warnings with their fixes resolved to the construct the user created and the prop path they wrote. */
  public get warningDetails(): readonly SynthWarning[] {
    return this.producedWarnings().map(({ message, fix }) => {
      if (!fix) return { message, text: message };
      const { construct, prop } = userProp(fix.scope, fix.prop);
      const resolved = { construct: construct.constructor.name, path: construct.node.path, prop, value: fix.value };
      return { message, text: `${message} Fix: in the props of ${resolved.construct} ${JSON.stringify(resolved.path)}, set ${prop}: ${fix.value}.`, fix: resolved };
    });
  }
}

function kubePeer(p: PolicyPeer): k8s.NetworkPolicyPeer {
  return {
    podSelector: p.podSelector ? { matchLabels: { ...p.podSelector.matchLabels } } : undefined,
    namespaceSelector: p.namespaceSelector ? { matchLabels: { ...p.namespaceSelector.matchLabels } } : undefined,
    ipBlock: p.ipBlock ? { cidr: p.ipBlock.cidr } : undefined,
  };
}

function kubePort(p: PolicyPort): k8s.NetworkPolicyPort {
  return {
    port: typeof p.port === 'number' ? k8s.IntOrString.fromNumber(p.port) : k8s.IntOrString.fromString(p.port),
    endPort: p.endPort,
    protocol: p.protocol,
  };
}

/** What a lazy warning producer gives (see `Release.addLazyWarning`). */
type LazyWarningText = { readonly text: string; readonly fix?: WarningFix };

function sameWarning(w: { readonly message: string; readonly fix?: WarningFix }, message: string, fix: WarningFix | undefined): boolean {
  return w.message === message && w.fix?.prop === fix?.prop && w.fix?.scope === fix?.scope;
}

/** A prop change that silences a warning. */
export interface WarningFix {
  /** The construct whose props hold `prop` (normally the one adding the warning). */
  readonly scope: IConstruct;
  /** The prop, as a path in `scope`'s props (`stickyCookie.secret`). */
  readonly prop: string;
  /**
   * A value that fixes it, as a TypeScript expression over names the package or cdk8s exports
   * (`CaddyCookieSecret.fromSecret('caddy-cookie', 'cookie-secret')`); a test compiles every one.
   */
  readonly value: string;
}

/** A warning as a release reports it. */
export interface SynthWarning {
  /** What is wrong and why it matters. */
  readonly message: string;
  /** The message followed by the fix, as printed and written to NOTES.txt. */
  readonly text: string;
  /**
   * The fix, in the props of the construct the user created.
   * @default - none (no prop change silences the warning)
   */
  readonly fix?: {
    /** Class of the construct the user created (`GraphistryStack`). */
    readonly construct: string;
    /** Its construct path. */
    readonly path: string;
    /** The prop path in its props (`caddy.cookieSecret`). */
    readonly prop: string;
    readonly value: string;
  };
}
