import { describePeer, ExternalPeerRecord, PortProtocol } from '../core/endpoint';
import { stableStringify } from '../core/hash';
import { selects, UNSTABLE_SELECTOR_KEYS } from '../core/labels';
import { deriveName } from '../core/names';
import { POD_TEMPLATE_PATHS } from '../core/pod';
import { KUBERNETES_API_DESCRIPTION } from '../core/network';
import { policyExceptionAnnotations } from '../core/policy';
import { familiesFullyCovered } from '../core/validate';
import { ConnectionKind, ConnectionRecord } from '../core/wiring';

/**
 * The label every namespace carries with its own name (set by the API server since Kubernetes 1.22).
 * @internal
 */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Exception rule under which a NetworkPolicy records why it allows every address of a family.
 * @internal
 */
export const OPEN_PEER_RULE = 'netpol-open-peer';

/**
 * True for the kinds whose objects run pods.
 * @internal
 */
export function runsPods(kind: string): boolean {
  return kind === 'Pod' || kind in POD_TEMPLATE_PATHS;
}

/**
 * A container port as a pod template declares it.
 * @internal
 */
export interface DeclaredPort {
  /**
   * The port's name.
   * @default - unnamed
   */
  readonly name?: string;
  /** The port number. */
  readonly containerPort: number;
  /** Its protocol. */
  readonly protocol: string;
}

/**
 * A rendered object that runs pods, as much of it as NetworkPolicies need.
 * @internal
 */
export interface PodOwner {
  /**
   * The release that renders it.
   * @default - none (outside any release)
   */
  readonly release?: string;
  /** Its kind (`Deployment`). */
  readonly kind: string;
  /** Its name. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /** The labels a NetworkPolicy selects its pods by: `spec.selector.matchLabels`, else the template's stable labels. */
  readonly selector: Readonly<Record<string, string>>;
  /** The pod template's labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Every container port its containers declare. */
  readonly ports: readonly DeclaredPort[];
  /** True when the pods run in the node's network namespace (no NetworkPolicy applies to them). */
  readonly hostNetwork: boolean;
}

type Json = any;

/**
 * The pod owner an object is, or undefined for objects that run no pods.
 * @internal
 */
export function podOwnerOf(o: Json, release?: string): PodOwner | undefined {
  if (!o || typeof o !== 'object' || !runsPods(o.kind)) return undefined;
  let template: Json = o.kind === 'Pod' ? { metadata: o.metadata, spec: o.spec } : o;
  for (const p of POD_TEMPLATE_PATHS[o.kind] ?? []) template = template?.[p];
  const spec = template?.spec;
  if (!spec || typeof spec !== 'object') return undefined;
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
  const matchLabels = o.spec?.selector?.matchLabels as Record<string, string> | undefined;
  const selector = matchLabels && Object.keys(matchLabels).length
    ? { ...matchLabels }
    : Object.fromEntries(Object.entries(labels).filter(([k]) => !UNSTABLE_SELECTOR_KEYS.includes(k)));
  const ports: DeclaredPort[] = [];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Json[]) {
    for (const p of (c?.ports ?? []) as Json[]) {
      if (typeof p?.containerPort === 'number') ports.push({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' });
    }
  }
  return {
    release,
    kind: o.kind,
    name: o.metadata?.name,
    namespace: o.metadata?.namespace ?? '',
    selector,
    labels,
    ports,
    hostNetwork: spec.hostNetwork === true,
  };
}

/**
 * The ingress connections an Ingress object implies: the release's ingress controller pods reach each backend
 * Service the Ingress routes to. Backends that name no Service the release renders are left to the reference checks.
 * @internal
 */
export function ingressConnections(release: string, objects: readonly Json[], controller: ExternalPeerRecord): ConnectionRecord[] {
  const services = new Map<string, Json>();
  for (const o of objects) if (o?.kind === 'Service' && o.apiVersion === 'v1') services.set(`${o.metadata?.namespace}/${o.metadata?.name}`, o);
  const out: ConnectionRecord[] = [];
  const seen = new Set<string>();
  for (const ing of objects) {
    if (ing?.kind !== 'Ingress') continue;
    const ns = ing.metadata?.namespace;
    const paths = ((ing.spec?.rules ?? []) as Json[]).flatMap((r) => (r?.http?.paths ?? []) as Json[]);
    const backends: Json[] = [ing.spec?.defaultBackend, ...paths.map((p) => p?.backend)];
    for (const b of backends) {
      const ref = b?.service;
      const svc = ref ? services.get(`${ns}/${ref.name}`) : undefined;
      if (!svc) continue;
      const ports = (svc.spec?.ports ?? []) as Json[];
      const port = ports.find((p) => (ref.port?.name !== undefined ? p?.name === ref.port.name : p?.port === ref.port?.number));
      if (!port || !svc.spec?.selector) continue;
      const key = `${ns}/${ref.name}/${port.name ?? port.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        kind: ConnectionKind.INGRESS,
        purpose: `Ingress ${ing.metadata?.name}`,
        from: { type: 'external', peer: controller },
        to: {
          type: 'service',
          release,
          namespace: ns,
          name: ref.name,
          port: { name: port.name ?? String(port.port), port: port.port, protocol: (port.protocol ?? 'TCP') as PortProtocol, targetPort: port.targetPort ?? port.port },
          selector: { ...svc.spec.selector },
          headless: svc.spec.clusterIP === 'None',
        },
      });
    }
  }
  return out;
}

/**
 * A NetworkPolicy peer as the API takes it.
 * @internal
 */
export interface PolicyPeer {
  /**
   * Pods selected by labels.
   * @default - none
   */
  readonly podSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
  /**
   * Namespaces selected by labels (with `podSelector`: those pods in those namespaces).
   * @default - the policy's own namespace
   */
  readonly namespaceSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
  /**
   * An address range.
   * @default - none
   */
  readonly ipBlock?: { readonly cidr: string };
}

/**
 * A NetworkPolicy port as the API takes it.
 * @internal
 */
export interface PolicyPort {
  /** A port number or a container port name. */
  readonly port: number | string;
  /**
   * The last port of a range.
   * @default - a single port
   */
  readonly endPort?: number;
  /** The protocol. */
  readonly protocol: string;
}

/**
 * One allow rule: these peers, on these ports.
 * @internal
 */
export interface PolicyRule {
  /** Who (ingress: from, egress: to). */
  readonly peers: readonly PolicyPeer[];
  /** On which ports. */
  readonly ports: readonly PolicyPort[];
}

/**
 * One NetworkPolicy the release renders.
 * @internal
 */
export interface PlannedPolicy {
  /** Object name. */
  readonly name: string;
  /** The pods it selects. */
  readonly podSelector: Readonly<Record<string, string>>;
  /**
   * Label values the pods' key must take (`key In values`), instead of `podSelector`: the default deny selects the
   * release's pods by every `app.kubernetes.io/instance` value they carry.
   * @default - none
   */
  readonly podSelectorIn?: { readonly key: string; readonly values: readonly string[] };
  /** Ingress allow rules (none: every inbound connection is denied). */
  readonly ingress: readonly PolicyRule[];
  /** Egress allow rules (none: every outbound connection is denied). */
  readonly egress: readonly PolicyRule[];
  /** Annotations (the reasons for address ranges that cover every address). */
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * One allowed flow, for the notes.
 * @internal
 */
export interface AllowedFlow {
  /** Who connects. */
  readonly from: string;
  /** To what. */
  readonly to: string;
  /** On which port(s), `6379/TCP`. */
  readonly port: string;
}

/**
 * What a release's NetworkPolicies are rendered from.
 * @internal
 */
export interface NetworkPolicyInput {
  /** The release name. */
  readonly release: string;
  /** The release namespace. */
  readonly namespace: string;
  /** Every connection that starts or ends in the release. */
  readonly connections: readonly ConnectionRecord[];
  /** Every object that runs pods, in every release of the app. */
  readonly pods: readonly PodOwner[];
  /** The cluster resolver. */
  readonly dns: ExternalPeerRecord;
  /** The nodes' addresses (for host-network pods). */
  readonly nodes: ExternalPeerRecord;
}

/**
 * The release's NetworkPolicies and what they allow (none at all when the release runs no pod they apply to).
 * @internal
 */
export interface NetworkPolicyPlan {
  /** The default deny first, then one policy per workload of the release, by name. */
  readonly policies: readonly PlannedPolicy[];
  /** What the policies allow, for the notes (one row per distinct flow). */
  readonly flows: readonly AllowedFlow[];
  /** Why each address range in the flows is allowed. */
  readonly reasons: ReadonlyArray<{ readonly cidrs: string; readonly reason: string }>;
  /** Connections whose external target declares no peer, so no rule can allow them. */
  readonly undeclared: readonly ConnectionRecord[];
  /** Whether a rule uses the nodes' addresses (host-network pods). */
  readonly usesNodes: boolean;
  /** Owners of the pods that reach the Kubernetes API server. */
  readonly apiClients: readonly string[];
}

const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * The default deny: every pod of the release, by the `app.kubernetes.io/instance` values its pods carry (the release
 * name for the library's constructs; a construct of one's own may give each workload its own instance). Pods without
 * the label rely on their workload's policy, which isolates them both ways too.
 */
function defaultDeny(release: string, pods: readonly PodOwner[]): PlannedPolicy {
  const values = [...new Set(pods.map((p) => p.labels[INSTANCE_LABEL]).filter((v): v is string => typeof v === 'string'))].sort();
  const base = { name: defaultDenyName(release), ingress: [], egress: [], annotations: {} };
  if (values.length <= 1) return { ...base, podSelector: { [INSTANCE_LABEL]: values[0] ?? release } };
  return { ...base, podSelector: {}, podSelectorIn: { key: INSTANCE_LABEL, values } };
}

/**
 * The name of a release's default-deny policy.
 * @internal
 */
export function defaultDenyName(release: string): string {
  return deriveName([release, 'default-deny']);
}

interface RuleSet {
  readonly rules: Map<string, { peers: PolicyPeer[]; ports: Map<string, PolicyPort>; reason?: string }>;
}

interface Entry {
  readonly owner: PodOwner;
  readonly ingress: RuleSet;
  readonly egress: RuleSet;
}

function portKey(p: PolicyPort): string {
  return `${p.protocol}/${typeof p.port === 'number' ? String(p.port).padStart(5, '0') : p.port}${p.endPort ? `-${p.endPort}` : ''}`;
}

/**
 * Adds `ports` to the rule of `peers` in `set`. `key` is `stableStringify(peers)`, which a caller adding the same
 * peers for several pods computes once.
 */
function addRule(set: RuleSet, peers: readonly PolicyPeer[], ports: readonly PolicyPort[], reason: string | undefined, key: string): void {
  let r = set.rules.get(key);
  if (!r) {
    r = { peers: [...peers], ports: new Map(), reason };
    set.rules.set(key, r);
  }
  for (const p of ports) r.ports.set(portKey(p), p);
}

function rulesOf(set: RuleSet): PolicyRule[] {
  return [...set.rules.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => ({ peers: r.peers, ports: [...r.ports.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p) }));
}

function portText(ports: readonly PolicyPort[]): string {
  return ports.map((p) => `${p.port}${p.endPort ? `-${p.endPort}` : ''}/${p.protocol}`).join(', ');
}

/** The peers of an external peer record, seen from a policy in `namespace`. */
function externalPeers(peer: ExternalPeerRecord, namespace: string): PolicyPeer[] {
  if (peer.type === 'cidr') return peer.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  return [podsPeer(peer.namespace, peer.selector, namespace)];
}

function podsPeer(peerNamespace: string, selector: Readonly<Record<string, string>>, namespace: string): PolicyPeer {
  const podSelector = { matchLabels: { ...selector } };
  if (peerNamespace === namespace) return { podSelector };
  return { podSelector, namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peerNamespace } } };
}

/** A peer in a notes row: the namespace and labels of pods, or the address ranges (their reasons follow the table). */
function peerText(peer: ExternalPeerRecord): string {
  return peer.type === 'pods' ? describePeer(peer) : peer.cidrs.join(', ');
}

function openReason(peer: ExternalPeerRecord): string | undefined {
  return peer.type === 'cidr' && familiesFullyCovered(peer.cidrs).length > 0 ? peer.reason : undefined;
}

/**
 * Plans a release's NetworkPolicies from the wiring graph: a default deny (ingress and egress) for the release's pods,
 * and for each workload of the release one policy allowing DNS to the cluster resolver, every connection its pods
 * open (to the selected pods on the container port, to external peers on the ports they receive on) and every
 * connection into them (from the client pods, external peers or, for host-network clients, the nodes). Pure.
 * @internal
 */
export function planNetworkPolicies(input: NetworkPolicyInput): NetworkPolicyPlan {
  const { release, namespace } = input;
  const mine = input.pods.filter((p) => p.release === release && p.namespace === namespace);
  const entries = new Map<PodOwner, Entry>();
  const flows = new Map<string, AllowedFlow>();
  const undeclared: ConnectionRecord[] = [];
  const apiClients = new Set<string>();
  const reasons = new Map<string, string>();
  let usesNodes = false;
  const entryOf = (o: PodOwner): Entry => {
    let e = entries.get(o);
    if (!e) {
      e = { owner: o, ingress: { rules: new Map() }, egress: { rules: new Map() } };
      entries.set(o, e);
    }
    return e;
  };
  const flow = (from: string, to: string, ports: readonly PolicyPort[]) => {
    const f = { from, to, port: portText(ports) };
    flows.set(`${f.from}|${f.to}|${f.port}`, f);
  };
  const ownerName = (o: PodOwner) => (o.release === release ? o.name : `${o.name} (release ${o.release ?? o.namespace})`);
  const podsIn = (ns: string, selector: Readonly<Record<string, string>>) =>
    input.pods.filter((p) => p.namespace === ns && selects(selector, p.labels));

  // DNS for every workload of the release (host-network pods use the node's resolver and no policy applies to them).
  const dnsPorts = input.dns.ports ?? [53];
  const dnsRule = dnsPorts.flatMap((port) => [{ port, protocol: 'UDP' }, { port, protocol: 'TCP' }]);
  const dnsKey = stableStringify(externalPeers(input.dns, namespace));
  for (const o of mine.filter((p) => !p.hostNetwork)) addRule(entryOf(o).egress, externalPeers(input.dns, namespace), dnsRule, undefined, dnsKey);
  if (mine.some((p) => !p.hostNetwork)) flow('every pod of the release', `cluster DNS (${peerText(input.dns)})`, dnsRule);

  for (const c of input.connections) {
    // The client side: egress from the release's pods that open the connection.
    if (c.from.type === 'workload' && c.from.release === release) {
      const from = c.from;
      const clients = mine.filter((o) => o.namespace === from.namespace && selects(from.selector, o.labels) && !o.hostNetwork);
      const target = c.to;
      if (target.type === 'external') {
        const to = target;
        if (!to.peer) {
          if (clients.length) undeclared.push(c);
          continue;
        }
        const ports = (to.peer.ports ?? [to.port.port]).map((port) => ({ port, protocol: to.port.protocol }));
        let key: string | undefined;
        for (const o of clients) {
          const peers = externalPeers(to.peer, namespace);
          key ??= stableStringify(peers);
          addRule(entryOf(o).egress, peers, ports, openReason(to.peer), key);
          flow(ownerName(o), to.description === KUBERNETES_API_DESCRIPTION ? `${to.description} (${peerText(to.peer)})` : `${to.description} ${to.host} (${peerText(to.peer)})`, ports);
          if (to.peer.type === 'cidr') reasons.set(to.peer.cidrs.join(', '), to.peer.reason);
          if (to.description === KUBERNETES_API_DESCRIPTION) apiClients.add(o.name);
        }
      } else {
        const to = target;
        const servers = podsIn(to.namespace, to.selector);
        for (const server of servers) {
          const ports = [targetPort(c, server)];
          const peers = server.hostNetwork ? externalPeers(input.nodes, namespace) : [podsPeer(to.namespace, to.selector, namespace)];
          usesNodes ||= server.hostNetwork;
          const key = clients.length ? stableStringify(peers) : '';
          for (const o of clients) {
            addRule(entryOf(o).egress, peers, ports, server.hostNetwork ? openReason(input.nodes) : undefined, key);
            flow(ownerName(o), server.hostNetwork ? `${ownerName(server)} (host network: ${peerText(input.nodes)})` : ownerName(server), ports);
          }
        }
      }
    }
    // The server side: ingress into the release's pods the connection reaches.
    const to = c.to;
    if (to.type !== 'external' && to.release === release) {
      const servers = mine.filter((o) => o.namespace === to.namespace && selects(to.selector, o.labels) && !o.hostNetwork);
      // The client side (its peers, reason and description) depends on the connection only: found once for all servers.
      let key: string | undefined;
      let reason: string | undefined;
      let who = '';
      let hostNetwork = false;
      for (const server of servers) {
        const ports = [targetPort(c, server)];
        let peers: PolicyPeer[];
        if (c.from.type === 'external') {
          peers = externalPeers(c.from.peer, namespace);
          if (key === undefined) {
            reason = openReason(c.from.peer);
            who = peerText(c.from.peer);
            if (c.from.peer.type === 'cidr') reasons.set(c.from.peer.cidrs.join(', '), c.from.peer.reason);
          }
        } else {
          const from = c.from;
          if (key === undefined) {
            const clientOwners = podsIn(from.namespace, from.selector);
            hostNetwork = clientOwners.some((o) => o.hostNetwork);
            usesNodes ||= hostNetwork;
            reason = hostNetwork ? openReason(input.nodes) : undefined;
            who = clientOwners.length ? clientOwners.map(ownerName).join(', ') : from.path;
            if (hostNetwork) who = `${who} (host network: ${peerText(input.nodes)})`;
          }
          peers = hostNetwork ? externalPeers(input.nodes, namespace) : [podsPeer(from.namespace, from.selector, namespace)];
        }
        key ??= stableStringify(peers);
        addRule(entryOf(server).ingress, peers, ports, reason, key);
        flow(who, ownerName(server), ports);
      }
    }
  }

  // A release that runs no pod a policy applies to (CRDs, config only) renders none: a default deny would select nothing.
  if (!mine.some((p) => !p.hostNetwork)) return { policies: [], flows: [], reasons: [], undeclared: [], usesNodes: false, apiClients: [] };
  const policies: PlannedPolicy[] = [
    defaultDeny(release, mine),
  ];
  const names = new Map<string, number>();
  for (const e of entries.values()) names.set(e.owner.name, (names.get(e.owner.name) ?? 0) + 1);
  const workloadPolicies = [...entries.values()].map((e) => {
    const name = deriveName((names.get(e.owner.name) ?? 0) > 1 ? [e.owner.kind, e.owner.name] : [e.owner.name]);
    const rules = [...e.ingress.rules.values(), ...e.egress.rules.values()];
    const reasons = [...new Set(rules.map((r) => r.reason).filter((r): r is string => !!r))].sort();
    const annotations = reasons.length ? policyExceptionAnnotations([{ rule: OPEN_PEER_RULE, reason: reasons.join('; ') }]) : {};
    return { name, podSelector: { ...e.owner.selector }, ingress: rulesOf(e.ingress), egress: rulesOf(e.egress), annotations };
  });
  policies.push(...workloadPolicies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  if (usesNodes && input.nodes.type === 'cidr') reasons.set(input.nodes.cidrs.join(', '), input.nodes.reason);
  if (input.dns.type === 'cidr') reasons.set(input.dns.cidrs.join(', '), input.dns.reason);
  return {
    policies,
    flows: [...flows.values()],
    reasons: [...reasons.entries()].map(([cidrs, reason]) => ({ cidrs, reason })),
    undeclared,
    usesNodes,
    apiClients: [...apiClients].sort(),
  };
}

/**
 * The port a connection reaches on `server`'s pods: the container port behind the Service port (by number when the
 * pods declare it, so the rule holds on every CNI), or the pods' own port (and range).
 */
function targetPort(c: ConnectionRecord, server: PodOwner): PolicyPort {
  const p = c.to.port;
  if (c.to.type === 'pods') return { port: p.port, protocol: p.protocol, ...(p.endPort ? { endPort: p.endPort } : {}) };
  const target = p.targetPort;
  if (typeof target === 'number') return { port: target, protocol: p.protocol };
  const declared = server.ports.find((d) => d.name === target && d.protocol === p.protocol);
  return { port: declared ? declared.containerPort : target, protocol: p.protocol };
}

/**
 * The notes paragraph listing what a release's NetworkPolicies allow.
 * @internal
 */
export function networkPolicyNote(plan: NetworkPolicyPlan): string {
  const rows = plan.flows.map((f) => [f.from, f.to, f.port]);
  const header = ['from', 'to', 'port'];
  const width = [0, 1].map((i) => Math.min(48, Math.max(header[i].length, ...rows.map((r) => r[i].length))));
  const line = (r: string[]) => `  ${r[0].padEnd(width[0])}  ${r[1].padEnd(width[1])}  ${r[2]}`.trimEnd();
  return [
    `NETWORK POLICIES: ${plan.policies[0].name} denies every connection to and from the release's pods; the policies of its ` +
      'workloads allow only these flows, rendered from the wiring graph (verification proves each connection is allowed; ' +
      'no CNI runs at synth, so apply the release on a cluster whose CNI enforces NetworkPolicy: Calico, Cilium, Antrea, ' +
      'kube-router, GKE Dataplane V2, or the AWS VPC CNI with network policy enabled).',
    line(header),
    ...rows.map(line),
    ...(plan.reasons.length ? ['Address ranges, and why they are allowed:', ...plan.reasons.map((r) => `  ${r.cidrs}: ${r.reason}`)] : []),
  ].join('\n');
}
