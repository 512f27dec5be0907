import { ExternalPeerRecord } from '../core/endpoint';
import { ConnectionRecord } from '../core/wiring';
import { parseCidr } from '../core/validate';
import { labelSelectorMatches, Json, namespaceOf, objectId, podTemplateOf, PodTemplate, selects, show } from './objects';
import { KubeObject } from './types';
import { describeConnection } from './wiring';

/**
 * A finding of the NetworkPolicy rules: a release's pods not isolated, a policy selecting nothing, a wired connection
 * no rule allows, a pod that reads the API with no way to reach it, an exposed Service nobody outside may reach.
 */
export interface NetworkFinding {
  /** Rule id (`netpol-coverage`, `netpol-selects`, `netpol-allows`, `netpol-api-access`, `netpol-exposed`). */
  readonly rule: string;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** The object the finding is reported on. */
  readonly object: KubeObject;
  /**
   * Field path inside `object`.
   * @default - none
   */
  readonly path?: string;
}

/** A release, as the NetworkPolicy rules read it. */
export interface NetworkRelease {
  /** The release name. */
  readonly name: string;
  /** Its objects. */
  readonly objects: readonly KubeObject[];
  /** The connections that start or end in it. */
  readonly connections: readonly ConnectionRecord[];
}

/** One side of a connection, as a NetworkPolicy sees it. */
type End =
  | { readonly kind: 'pod'; readonly namespace: string; readonly labels: Readonly<Record<string, string>>; readonly hostNetwork: boolean; readonly what: string }
  | { readonly kind: 'cidr'; readonly cidrs: readonly string[]; readonly what: string };

/** A port as it arrives at the receiving pod (a number, its name there when it has one, a range). */
interface ArrivingPort {
  readonly number: number;
  readonly end?: number;
  readonly name?: string;
  readonly protocol: string;
}

/**
 * A pod template of the app, with its namespace and its position among the app's pod templates (lookups return pods in
 * that order).
 * @internal
 */
export interface PodInfo {
  /** The pod template and its owner. */
  readonly template: PodTemplate;
  /** The owner's namespace. */
  readonly namespace: string;
  /** True when the pods use the node's network (NetworkPolicies do not apply to them). */
  readonly hostNetwork: boolean;
  /** Position among the app's pod templates. */
  readonly at: number;
}

/** A pod, as the policies that select it see it. */
interface PodLabels {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * How the NetworkPolicy rules find pods and policies. `indexedLookup` (the synth's) answers from indexes by
 * namespace and label; the tests hold a reference that scans every object and prove the two give the same answers, in
 * the same order, so the rules' findings are the same.
 * @internal
 */
export interface NetworkLookup {
  /** The app's pod templates, in object order. */
  readonly pods: readonly PodInfo[];
  /** The app's NetworkPolicies, in object order. */
  readonly policies: readonly KubeObject[];
  /** The app's Services by `namespace/name` (the first of each). */
  readonly services: ReadonlyMap<string, KubeObject>;
  /** The labels of the Namespaces the app renders, by name. */
  readonly namespaceLabels: ReadonlyMap<string, Record<string, string>>;
  /** `namespace/name` of every ServiceAccount a RoleBinding or ClusterRoleBinding of the app grants something. */
  readonly boundAccounts: ReadonlySet<string>;
  /** The pods of `namespace` a NetworkPolicy label selector selects (`{}` selects all of them), in order. */
  podsSelectedBy(namespace: string, selector: Json): readonly PodInfo[];
  /** The pods of `namespace` whose labels hold every pair of `selector` (a Service's; none for an empty one), in order. */
  podsMatching(namespace: string, selector: Record<string, string> | undefined): readonly PodInfo[];
  /** The policies of the pod's namespace that select it for direction `dir`, in order. */
  policiesSelecting(pod: PodLabels, dir: 'Ingress' | 'Egress'): readonly KubeObject[];
}

/** Builds a lookup over an app's objects. @internal */
export type NetworkLookupFactory = (objects: readonly KubeObject[]) => NetworkLookup;

/**
 * The objects the rules look at, in order: pod templates, NetworkPolicies, Services (the first of each name) and
 * Namespace labels.
 * @internal
 */
export function networkObjects(objects: readonly KubeObject[]): Pick<NetworkLookup, 'pods' | 'policies' | 'services' | 'namespaceLabels' | 'boundAccounts'> {
  const pods: PodInfo[] = [];
  const policies: KubeObject[] = [];
  const services = new Map<string, KubeObject>();
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const o of objects) {
    if (!o?.metadata?.name) continue;
    const t = podTemplateOf(o);
    if (t) pods.push({ template: t, namespace: namespaceOf(o), hostNetwork: t.spec?.hostNetwork === true, at: pods.length });
    if (o.kind === 'NetworkPolicy' && String(o.apiVersion).startsWith('networking.k8s.io/')) policies.push(o);
    if (o.kind === 'Service' && o.apiVersion === 'v1') services.set(`${namespaceOf(o)}/${o.metadata.name}`, o);
    if (o.kind === 'Namespace') namespaceLabels.set(o.metadata.name, { ...((o.metadata.labels as Record<string, string>) ?? {}) });
  }
  return { pods, policies, services, namespaceLabels, boundAccounts: boundAccounts(objects) };
}

/**
 * A NetworkPolicy label selector: `{}` selects everything, otherwise matchLabels and matchExpressions must hold.
 * @internal
 */
export function npSelects(sel: Json, labels: Readonly<Record<string, string>>): boolean {
  if (!sel || typeof sel !== 'object') return false;
  if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) return true;
  return labelSelectorMatches(sel, labels as Record<string, string>);
}

/**
 * The directions a policy isolates: its policyTypes, or Ingress (plus Egress when it has egress rules).
 * @internal
 */
export function policyTypes(p: Json): string[] {
  if (Array.isArray(p.spec?.policyTypes) && p.spec.policyTypes.length) return p.spec.policyTypes;
  return Array.isArray(p.spec?.egress) ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** The key of one label in the indexes (a NUL cannot be in a label key, so no two pairs share a key). */
function pairKey(k: string, v: unknown): string {
  return `${k}\u0000${String(v)}`;
}

/** The `key=value` pairs of a label map, or undefined when it is not a plain object (such a value is always a candidate). */
function labelPairs(labels: unknown): string[] | undefined {
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) return undefined;
  return Object.entries(labels).map(([k, v]) => pairKey(k, v));
}

/** Items under each of their pairs, those without plain labels apart; `smallest` picks the fewest candidates. */
class PairIndex<T extends { readonly at: number }> {
  readonly all: T[] = [];
  private readonly byPair = new Map<string, T[]>();
  private readonly odd: T[] = [];

  add(item: T, labels: unknown): void {
    this.all.push(item);
    const pairs = labelPairs(labels);
    if (!pairs) {
      this.odd.push(item);
      return;
    }
    for (const p of pairs) {
      const list = this.byPair.get(p);
      if (list) list.push(item);
      else this.byPair.set(p, [item]);
    }
  }

  /**
   * A superset of the items whose labels hold every pair of `selector` (a plain object with at least one pair), in
   * order: the items under its rarest pair, plus those without plain labels.
   */
  candidates(selector: object): readonly T[] {
    let best: readonly T[] | undefined;
    for (const [k, v] of Object.entries(selector)) {
      const list = this.byPair.get(pairKey(k, v)) ?? [];
      if (!best || list.length < best.length) best = list;
      if (!best.length) break;
    }
    if (!this.odd.length) return best ?? [];
    return [...(best ?? []), ...this.odd].sort((x, y) => x.at - y.at);
  }
}

/**
 * The lookup the synth uses: pods by namespace and label pair, policies by namespace and direction under the rarest
 * pair of their podSelector's matchLabels. A selector is matched only against the pods that carry its rarest pair (and
 * a pod only against the policies in the buckets of its own labels), so verifying a release with thousands of
 * workloads, a policy and a Service each stays linear. Every candidate is still matched in full, so the answers are
 * exactly those of matching everything.
 * @internal
 */
export function indexedLookup(objects: readonly KubeObject[]): NetworkLookup {
  const base = networkObjects(objects);
  const podsByNs = new Map<string, PairIndex<PodInfo>>();
  for (const p of base.pods) {
    let ix = podsByNs.get(p.namespace);
    if (!ix) podsByNs.set(p.namespace, (ix = new PairIndex()));
    ix.add(p, p.template.labels);
  }
  let buckets: Map<string, PolicyBuckets> | undefined;
  return {
    ...base,
    podsSelectedBy(namespace, selector) {
      const ix = podsByNs.get(namespace);
      if (!ix || !selector || typeof selector !== 'object') return [];
      const ml = selector.matchLabels;
      const pairs = ml && typeof ml === 'object' && !Array.isArray(ml) && Object.keys(ml).length > 0;
      return (pairs ? ix.candidates(ml) : ix.all).filter((p) => npSelects(selector, p.template.labels));
    },
    podsMatching(namespace, selector) {
      const ix = podsByNs.get(namespace);
      if (!ix || !selector || typeof selector !== 'object' || Array.isArray(selector) || !Object.keys(selector).length) {
        return ix ? ix.all.filter((p) => selects(selector, p.template.labels)) : [];
      }
      return ix.candidates(selector).filter((p) => selects(selector, p.template.labels));
    },
    policiesSelecting(pod, dir) {
      buckets ??= policyBuckets(base.policies);
      const b = buckets.get(`${pod.namespace}\u0000${dir}`);
      if (!b) return [];
      const candidates = [...b.rest];
      const pairs = labelPairs(pod.labels);
      if (pairs) {
        for (const pair of pairs) {
          const list = b.byPair.get(pair);
          if (list) candidates.push(...list);
        }
      } else for (const list of b.byPair.values()) candidates.push(...list);
      if (candidates.length > 1) candidates.sort((x, y) => x.at - y.at);
      // Each policy is in one bucket and a pod has each label once, so no policy is a candidate twice.
      return candidates.filter((c) => npSelects((c.policy as Json).spec?.podSelector, pod.labels)).map((c) => c.policy);
    },
  };
}

/**
 * The policies of one namespace and direction, with each one's position among the app's policies: each under the one
 * pair of its podSelector's matchLabels that the fewest of these policies share (a pod without that label cannot be
 * selected by it), those without plain matchLabels apart.
 */
interface PolicyBuckets {
  readonly byPair: Map<string, Array<{ readonly at: number; readonly policy: KubeObject }>>;
  readonly rest: Array<{ readonly at: number; readonly policy: KubeObject }>;
}

function policyBuckets(policies: readonly KubeObject[]): Map<string, PolicyBuckets> {
  const groups = new Map<string, Array<{ at: number; policy: KubeObject; pairs: string[] }>>();
  policies.forEach((policy, at) => {
    const pairs = labelPairs((policy as Json).spec?.podSelector?.matchLabels) ?? [];
    for (const d of new Set(policyTypes(policy))) {
      const key = `${namespaceOf(policy)}\u0000${d}`;
      const g = groups.get(key);
      const entry = { at, policy, pairs };
      if (g) g.push(entry);
      else groups.set(key, [entry]);
    }
  });
  const all = new Map<string, PolicyBuckets>();
  for (const [key, entries] of groups) {
    const count = new Map<string, number>();
    for (const e of entries) for (const pair of e.pairs) count.set(pair, (count.get(pair) ?? 0) + 1);
    const b: PolicyBuckets = { byPair: new Map(), rest: [] };
    for (const { at, policy, pairs } of entries) {
      if (!pairs.length) {
        b.rest.push({ at, policy });
        continue;
      }
      const rarest = pairs.reduce((x, y) => (count.get(y)! < count.get(x)! ? y : x));
      const list = b.byPair.get(rarest);
      if (list) list.push({ at, policy });
      else b.byPair.set(rarest, [{ at, policy }]);
    }
    all.set(key, b);
  }
  return all;
}

function nsLabels(index: NetworkLookup, ns: string): Record<string, string> {
  return { ...(index.namespaceLabels.get(ns) ?? {}), 'kubernetes.io/metadata.name': ns };
}

/** True when every address of `cidr` is in `block` and outside its `except` ranges. */
function blockContains(block: Json, cidr: string): boolean {
  const outer = parseCidr(block?.cidr);
  const inner = parseCidr(cidr);
  if (!outer || !inner || outer.family !== inner.family) return false;
  if (inner.first < outer.first || inner.last > outer.last) return false;
  return !((block.except ?? []) as string[]).some((e) => {
    const x = parseCidr(e);
    return x && x.family === inner.family && x.first <= inner.last && inner.first <= x.last;
  });
}

/** True when a rule's peer (of a policy in `policyNs`) matches one end of a connection. */
function peerMatches(index: NetworkLookup, peer: Json, policyNs: string, end: End): boolean {
  if (end.kind === 'cidr') return !!peer?.ipBlock && end.cidrs.every((c) => blockContains(peer.ipBlock, c));
  // A host-network pod has its node's address; verification does not know the nodes' addresses, so any range counts.
  if (end.hostNetwork) return !!peer?.ipBlock;
  if (peer?.ipBlock) return false;
  const nsOk = peer?.namespaceSelector ? npSelects(peer.namespaceSelector, nsLabels(index, end.namespace)) : end.namespace === policyNs;
  const podOk = peer?.podSelector ? npSelects(peer.podSelector, end.labels) : true;
  return nsOk && podOk && (peer?.namespaceSelector !== undefined || peer?.podSelector !== undefined);
}

function portMatches(rulePort: Json, p: ArrivingPort): boolean {
  if ((rulePort?.protocol ?? 'TCP') !== p.protocol) return false;
  const port = rulePort?.port;
  if (port === undefined) return true;
  if (typeof port === 'string') return p.end === undefined && p.name === port;
  const last = typeof rulePort.endPort === 'number' ? rulePort.endPort : port;
  return port <= p.number && (p.end ?? p.number) <= last;
}

/**
 * True when `pod`'s policies let the connection through in direction `dir` (`other` is the far end, `port` the port
 * at the receiving pod): not isolated in that direction, or some rule of a policy selecting it matches both.
 */
function allowed(index: NetworkLookup, pod: PodLabels, dir: 'Ingress' | 'Egress', other: End, port: ArrivingPort): boolean {
  const policies = index.policiesSelecting(pod, dir);
  if (!policies.length) return true;
  const key = dir === 'Ingress' ? 'ingress' : 'egress';
  const peersKey = dir === 'Ingress' ? 'from' : 'to';
  return policies.some((p) =>
    ((p as Json).spec?.[key] ?? []).some((rule: Json) => {
      const peers = rule?.[peersKey] as Json[] | undefined;
      const ports = rule?.ports as Json[] | undefined;
      const peerOk = !peers || !peers.length || peers.some((peer) => peerMatches(index, peer, namespaceOf(p), other));
      const portOk = !ports || !ports.length || ports.some((rp) => portMatches(rp, port));
      return peerOk && portOk;
    }),
  );
}

function podEnd(p: PodInfo): End {
  return { kind: 'pod', namespace: p.namespace, labels: p.template.labels, hostNetwork: p.hostNetwork, what: `pods of ${objectId(p.template.owner)}` };
}

/** The ends an external peer stands for: its pods, or each of its address ranges (each must be allowed). */
function peerEnds(peer: ExternalPeerRecord): End[] {
  return peer.type === 'pods'
    ? [{ kind: 'pod', namespace: peer.namespace, labels: peer.selector, hostNetwork: false, what: `pods ${peer.namespace}/${Object.entries(peer.selector).map(([k, v]) => `${k}=${v}`).join(',')}` }]
    : peer.cidrs.map((c) => ({ kind: 'cidr', cidrs: [c], what: c }));
}

function containerPorts(t: PodTemplate): Json[] {
  return [...(t.spec?.initContainers ?? []), ...(t.spec?.containers ?? [])].flatMap((c: Json) => (Array.isArray(c?.ports) ? c.ports : []));
}

/** The port a connection arrives on at `t`, or undefined when the pods do not declare it (the wiring rules say so). */
function arrivingPort(index: NetworkLookup, c: ConnectionRecord, t: PodTemplate): ArrivingPort | undefined {
  const to = c.to;
  if (to.type === 'pods') {
    const declared = containerPorts(t).find((p) => p?.name === to.port.targetPort);
    return { number: to.port.port, end: to.port.endPort, name: declared?.name ?? (typeof to.port.targetPort === 'string' ? to.port.targetPort : undefined), protocol: to.port.protocol };
  }
  if (to.type !== 'service') return undefined;
  const svc = index.services.get(`${to.namespace}/${to.name}`);
  const sp = ((svc as Json)?.spec?.ports ?? []).find((p: Json) => p?.name === to.port.name);
  const target = sp ? (sp.targetPort ?? sp.port) : to.port.targetPort;
  const protocol = sp?.protocol ?? to.port.protocol;
  const declared = containerPorts(t).find((p) => (typeof target === 'string' ? p?.name === target : p?.containerPort === target) && (p?.protocol ?? 'TCP') === protocol);
  if (typeof target === 'number') return { number: target, name: declared?.name, protocol };
  return declared ? { number: declared.containerPort, name: target, protocol } : undefined;
}

/** The pods a connection reaches, with the selector of the Service (as rendered) or of the pods. */
function targets(index: NetworkLookup, c: ConnectionRecord): readonly PodInfo[] {
  const to = c.to;
  if (to.type === 'external') return [];
  let selector: Record<string, string> | undefined = to.selector as Record<string, string>;
  if (to.type === 'service') selector = (index.services.get(`${to.namespace}/${to.name}`) as Json)?.spec?.selector;
  return index.podsMatching(to.namespace, selector);
}

function fmtPort(p: ArrivingPort): string {
  return `${p.number}${p.end ? `-${p.end}` : ''}/${p.protocol}`;
}

/**
 * The NetworkPolicy rules for one release, against the objects of every release of the app (connections and
 * policies cross releases). No CNI runs here, so these checks are the proof that the policies let the wired traffic
 * through and nothing else:
 * - `netpol-coverage`: every pod the release runs (outside the node's network) is isolated for ingress and egress;
 * - `netpol-selects`: every policy selects pods, and every pod selector of its rules that points into a namespace the
 *   app renders pods in selects some (peers the wiring declares external are exempt);
 * - `netpol-allows`: every wired connection is allowed: egress by the client's policies (checked in the client's
 *   release), ingress by the target's (in the target's release);
 * - `netpol-api-access`: a pod whose ServiceAccount token is mounted and bound to a Role can reach an API address;
 * - `netpol-exposed`: the pods behind a NodePort or LoadBalancer Service admit some address from outside.
 */
export function networkFindings(release: NetworkRelease, allObjects: readonly KubeObject[]): NetworkFinding[] {
  return networkFindingsWith(release, indexedLookup(allObjects));
}

/**
 * `networkFindings` with the app's objects already in a lookup (`verifyReleases` builds one for all its releases).
 * @internal
 */
export function networkFindingsWith(release: NetworkRelease, index: NetworkLookup): NetworkFinding[] {
  const own = networkObjects(release.objects);
  const findings: NetworkFinding[] = [];
  const ownPolicies = new Set(own.policies);

  // netpol-coverage
  for (const p of own.pods) {
    if (p.hostNetwork) continue;
    for (const dir of ['Ingress', 'Egress'] as const) {
      if (!index.policiesSelecting({ namespace: p.namespace, labels: p.template.labels }, dir).some((x) => ownPolicies.has(x))) {
        findings.push({
          rule: 'netpol-coverage',
          message: `the pods of ${objectId(p.template.owner)} are not isolated for ${dir.toLowerCase()}: no NetworkPolicy of release ${release.name} selects them with policyType ${dir}, so they ${dir === 'Ingress' ? 'accept every connection' : 'may connect anywhere'}`,
          fix: 'render the release with its default deny (Release networkPolicy: NetworkPolicies.defaultDeny(), the default), and give every pod template the label app.kubernetes.io/instance: <release>',
          object: p.template.owner,
          path: `${p.template.specPath.replace(/\.spec$/, '')}.metadata.labels`,
        });
        break;
      }
    }
  }

  // netpol-selects
  const declaredExternal = new Set<string>();
  for (const c of release.connections) {
    for (const peer of [c.from.type === 'external' ? c.from.peer : undefined, c.to.type === 'external' ? c.to.peer : undefined]) {
      if (peer?.type === 'pods') declaredExternal.add(`${peer.namespace}|${JSON.stringify(Object.entries(peer.selector).sort())}`);
    }
  }
  const podNamespaces = new Set(index.pods.map((p) => p.namespace));
  for (const pol of own.policies) {
    const ns = namespaceOf(pol);
    const spec = (pol as Json).spec ?? {};
    if (!index.podsSelectedBy(ns, spec.podSelector).length) {
      findings.push({ rule: 'netpol-selects', message: `NetworkPolicy ${pol.metadata.name} selects no pod in namespace ${ns} (podSelector ${show(spec.podSelector)})`,
        fix: 'select the workload by its own selector labels (the release renders each workload\'s policy from them)', object: pol, path: 'spec.podSelector' });
    }
    for (const [key, peersKey] of [['ingress', 'from'], ['egress', 'to']] as const) {
      ((spec[key] ?? []) as Json[]).forEach((rule, i) => ((rule?.[peersKey] ?? []) as Json[]).forEach((peer, j) => {
        if (!peer?.podSelector) return;
        const nsSel = peer.namespaceSelector;
        const names = nsSel ? Object.entries(nsSel.matchLabels ?? {}) : [];
        const target = !nsSel ? ns : names.length === 1 && names[0][0] === 'kubernetes.io/metadata.name' && !(nsSel.matchExpressions ?? []).length ? String(names[0][1]) : undefined;
        if (target === undefined || !podNamespaces.has(target)) return;
        const ml = (peer.podSelector.matchLabels ?? {}) as Record<string, string>;
        if (declaredExternal.has(`${target}|${JSON.stringify(Object.entries(ml).sort())}`)) return;
        if (index.podsSelectedBy(target, peer.podSelector).length) return;
        findings.push({
          rule: 'netpol-selects',
          message: `NetworkPolicy ${pol.metadata.name} ${key} rule ${i} names pods ${show(peer.podSelector)} in namespace ${target}, which no workload of the app runs`,
          fix: 'allow the pods of a workload the app renders (the rules come from the wiring graph), or declare the peer external (ExternalPeer.pods) on the connection',
          object: pol,
          path: `spec.${key}[${i}].${peersKey}[${j}].podSelector`,
        });
      }));
    }
  }

  // netpol-allows
  for (const c of release.connections) {
    const what = describeConnection(c);
    const fail = (object: KubeObject, message: string, fix: string) => findings.push({ rule: 'netpol-allows', message: `${what}: ${message}`, fix, object });
    const dests: Array<{ end: End; port: ArrivingPort; pod?: PodInfo }> = [];
    if (c.to.type === 'external') {
      if (c.to.peer) {
        const peer = c.to.peer;
        for (const n of peer.ports ?? [c.to.port.port]) {
          for (const end of peerEnds(peer)) dests.push({ end, port: { number: n, protocol: c.to.port.protocol } });
        }
      }
    } else {
      for (const t of targets(index, c)) {
        const port = arrivingPort(index, c, t.template);
        if (port) dests.push({ end: podEnd(t), port, pod: t });
      }
    }
    // Egress, in the client's release.
    if (c.from.type === 'workload' && c.from.release === release.name) {
      const from = c.from;
      const clients = index.podsMatching(from.namespace, from.selector as Record<string, string>).filter((p) => !p.hostNetwork);
      if (c.to.type === 'external' && !c.to.peer && clients.length) {
        fail(clients[0].template.owner, `the external endpoint ${c.to.host} declares no peer, so no NetworkPolicy rule can allow it`,
          'declare who answers there on the endpoint (ExternalPeer.pods or ExternalPeer.cidr)');
      }
      for (const client of clients) {
        const bad = dests.find((d) => !allowed(index, { namespace: client.namespace, labels: client.template.labels }, 'Egress', d.end, d.port));
        if (bad) {
          fail(client.template.owner, `the NetworkPolicies of ${objectId(client.template.owner)} allow no egress to ${bad.end.what} on ${fmtPort(bad.port)}`,
            'render the policies from the wiring graph (the release does), or add an egress rule for this connection');
          break;
        }
      }
    }
    // Ingress, in the target's release.
    if (c.to.type !== 'external' && c.to.release === release.name) {
      let sources: End[];
      if (c.from.type === 'external') sources = peerEnds(c.from.peer);
      else {
        const from = c.from;
        sources = index.podsMatching(from.namespace, from.selector as Record<string, string>).map(podEnd);
      }
      for (const d of dests) {
        if (!d.pod || d.pod.hostNetwork) continue;
        const pod = d.pod;
        const bad = sources.find((s) => !allowed(index, { namespace: pod.namespace, labels: pod.template.labels }, 'Ingress', s, d.port));
        if (bad) {
          fail(pod.template.owner, `the NetworkPolicies of ${objectId(pod.template.owner)} admit no ingress from ${bad.what} on ${fmtPort(d.port)}`,
            'render the policies from the wiring graph (the release does), or add an ingress rule for this connection');
          break;
        }
      }
    }
  }

  // netpol-api-access
  const bound = index.boundAccounts;
  const serviceAccount = serviceAccountFinder(release.objects);
  for (const p of own.pods) {
    if (p.hostNetwork) continue;
    const spec = p.template.spec ?? {};
    const account = (spec.serviceAccountName ?? spec.serviceAccount ?? 'default') as string;
    const sa = serviceAccount(p.namespace, account);
    const mounted = spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
    if (mounted !== true || !bound.has(`${p.namespace}/${account}`)) continue;
    const pod = { namespace: p.namespace, labels: p.template.labels };
    const policies = index.policiesSelecting(pod, 'Egress');
    if (!policies.length) continue;
    const reaches = policies.some((pol) => ((pol as Json).spec?.egress ?? []).some((rule: Json) => {
      const peers = (rule?.to ?? []) as Json[];
      const ports = (rule?.ports ?? []) as Json[];
      const toAddresses = !peers.length || peers.some((x) => x?.ipBlock);
      return toAddresses && (!ports.length || ports.some((rp) => [443, 6443].some((n) => portMatches(rp, { number: n, protocol: 'TCP' }))));
    }));
    if (!reaches) {
      findings.push({
        rule: 'netpol-api-access',
        message: `the pods of ${objectId(p.template.owner)} mount the token of ServiceAccount ${account}, which a RoleBinding grants API access, but their NetworkPolicies allow no address on 443 or 6443, so every API call times out`,
        fix: 'record the connection in the wiring graph (Wiring.of(this).connectToKubernetesApi(this), or a wait through PodWiring), so the policy allows the release\'s apiServer peer',
        object: p.template.owner,
      });
    }
  }

  // netpol-exposed
  for (const svc of own.services.values()) {
    const spec = (svc as Json).spec ?? {};
    if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') continue;
    const pods = index.podsMatching(namespaceOf(svc), spec.selector).filter((p) => !p.hostNetwork);
    for (const [i, sp] of ((spec.ports ?? []) as Json[]).entries()) {
      for (const pod of pods) {
        const record = { kind: 'ingress', from: { type: 'external' }, to: { type: 'service', namespace: namespaceOf(svc), name: svc.metadata.name, port: { name: sp.name, port: sp.port, protocol: sp.protocol ?? 'TCP', targetPort: sp.targetPort ?? sp.port } } } as unknown as ConnectionRecord;
        const port = arrivingPort(index, record, pod.template);
        if (!port) continue;
        const labels = { namespace: pod.namespace, labels: pod.template.labels };
        const policies = index.policiesSelecting(labels, 'Ingress');
        if (!policies.length) continue;
        const admits = policies.some((pol) => ((pol as Json).spec?.ingress ?? []).some((rule: Json) => {
          const peers = (rule?.from ?? []) as Json[];
          const ports = (rule?.ports ?? []) as Json[];
          return (!peers.length || peers.some((x) => x?.ipBlock)) && (!ports.length || ports.some((rp) => portMatches(rp, port)));
        }));
        if (!admits) {
          findings.push({
            rule: 'netpol-exposed',
            message: `Service ${svc.metadata.name} is type ${spec.type}, but the NetworkPolicies of ${objectId(pod.template.owner)} admit no address from outside the cluster on ${fmtPort(port)}, so nobody it is exposed to can connect`,
            fix: 'declare who connects from outside (the Service\'s externalClients: ExternalPeer.cidr or ExternalPeer.anywhere), which the release turns into an ingress rule',
            object: svc,
            path: `spec.ports[${i}]`,
          });
          break;
        }
      }
    }
  }
  return findings;
}

/**
 * Finds a ServiceAccount of `objects` by namespace and name: the first in object order, as searching the objects would,
 * from a map made once (a release with thousands of pods looks one up for each).
 * @internal
 */
export function serviceAccountFinder(objects: readonly KubeObject[]): (namespace: string, name: unknown) => Json | undefined {
  const accounts = new Map<string, Map<unknown, Json>>();
  for (const o of objects) {
    if (o?.kind !== 'ServiceAccount') continue;
    const ns = namespaceOf(o);
    let byName = accounts.get(ns);
    if (!byName) accounts.set(ns, (byName = new Map()));
    const name = o.metadata?.name;
    if (name !== undefined && !byName.has(name)) byName.set(name, o);
  }
  // A Map key matches NaN, which === never does.
  return (namespace, name) => (Number.isNaN(name) ? undefined : accounts.get(namespace)?.get(name));
}

/** `namespace/name` of every ServiceAccount a RoleBinding or ClusterRoleBinding grants something. */
function boundAccounts(objects: readonly KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if ((o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') || !String(o.apiVersion).startsWith('rbac.authorization.k8s.io/')) continue;
    for (const s of ((o as Json).subjects ?? []) as Json[]) {
      if (s?.kind === 'ServiceAccount') out.add(`${s.namespace ?? namespaceOf(o)}/${s.name}`);
    }
  }
  return out;
}
