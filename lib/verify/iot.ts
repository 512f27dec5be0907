import { IOT_DEPLOYMENT_KIND, IOT_DEPLOYMENT_PLURAL, IOT_GROUP } from '../iot/crd';
import { groupOf, Json, podTemplateOf, show } from './objects';
import { KubeObject } from './types';

/**
 * One finding of rule `iot-watched-namespace`.
 * @internal
 */
export interface IotWatchFinding {
  /** The fleet deployment at fault. */
  readonly object: KubeObject;
  /** What is wrong. */
  readonly message: string;
  /** What to do. */
  readonly fix: string;
  /** The field. */
  readonly path: string;
}

/**
 * The operator's watched-namespace variable (IOT_OPERATOR_ENV.watchNamespace; lib/iot/operator imports the release, so
 * not imported here).
 * @internal
 */
export const WATCH_NAMESPACE_ENV = 'WATCH_NAMESPACE';

const isRbac = (o: KubeObject, kind: string) => o?.kind === kind && groupOf(String(o.apiVersion ?? '')) === 'rbac.authorization.k8s.io';

/** True when a Role or ClusterRole lets its holder watch fleet deployments. */
function grantsWatch(role: KubeObject | undefined): boolean {
  const rules = (role as Json)?.rules;
  return (Array.isArray(rules) ? rules : []).some((r: Json) =>
    (r?.apiGroups ?? []).includes(IOT_GROUP) && (r?.resources ?? []).includes(IOT_DEPLOYMENT_PLURAL) && (r?.verbs ?? []).includes('watch'));
}

/**
 * Finds a Role or ClusterRole by the kind, namespace and name a binding's roleRef gives: the first in object order (a
 * ClusterRole in any namespace), as a search of the objects finds it, from a map made once.
 */
function roleFinder(all: readonly KubeObject[]): (kind: string, ns: string, name: string) => KubeObject | undefined {
  const first = new Map<string, KubeObject>();
  const byNs = new Map<string, KubeObject>();
  for (const o of all) {
    if (typeof o?.kind !== 'string' || groupOf(String(o.apiVersion ?? '')) !== 'rbac.authorization.k8s.io') continue;
    const name = o.metadata?.name;
    if (typeof name !== 'string') continue;
    const key = `${o.kind}\u0000${name}`;
    if (!first.has(key)) first.set(key, o);
    const ns = o.metadata?.namespace;
    if (typeof ns === 'string' && !byNs.has(`${key}\u0000${ns}`)) byNs.set(`${key}\u0000${ns}`, o);
  }
  return (kind, ns, name) => (kind === 'ClusterRole' ? first.get(`${kind}\u0000${name}`) : byNs.get(`${kind}\u0000${name}\u0000${ns}`));
}

/** `<namespace>/<name>` of every ServiceAccount granted to watch fleet deployments in `namespace` ('*' for every namespace). */
function grants(all: readonly KubeObject[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const role = roleFinder(all);
  for (const b of all) {
    const cluster = isRbac(b, 'ClusterRoleBinding');
    if (!cluster && !isRbac(b, 'RoleBinding')) continue;
    const ns = cluster ? '*' : String(b.metadata?.namespace ?? '');
    const ref = (b as Json).roleRef ?? {};
    if (!grantsWatch(role(String(ref.kind), ns, String(ref.name)))) continue;
    for (const s of ((b as Json).subjects ?? []) as Json[]) {
      if (s?.kind !== 'ServiceAccount') continue;
      const sa = `${s.namespace ?? b.metadata?.namespace}/${s.name}`;
      if (!out.has(sa)) out.set(sa, new Set());
      out.get(sa)!.add(ns);
    }
  }
  return out;
}

/** The pod specs of `all` by the ServiceAccount they run as (`<namespace>/<name>`), in object order, in one pass. */
function podsByAccount(all: readonly KubeObject[]): Map<string, Json[]> {
  const out = new Map<string, Json[]>();
  for (const o of all) {
    const pod = podTemplateOf(o)?.spec as Json;
    if (!pod) continue;
    const sa = `${o.metadata?.namespace}/${pod.serviceAccountName ?? 'default'}`;
    const pods = out.get(sa);
    if (pods) pods.push(pod);
    else out.set(sa, [pod]);
  }
  return out;
}

/** The WATCH_NAMESPACE list of a pod spec (undefined: unset, every namespace). */
function watchList(pod: Json): readonly string[] | undefined {
  const env = ((pod.containers ?? []) as Json[]).flatMap((c) => (c?.env ?? []) as Json[]).find((e) => e?.name === WATCH_NAMESPACE_ENV);
  return env?.value === undefined ? undefined : String(env.value).split(',').map((n) => n.trim()).filter(Boolean);
}

/**
 * Rule `iot-watched-namespace`: a fleet deployment (`iot.nationtech.io` Deployment) must sit in a namespace an
 * operator watches: a RoleBinding there (or a ClusterRoleBinding) grants a ServiceAccount `watch` on fleet
 * deployments, and every operator pod running as it that sets WATCH_NAMESPACE lists the namespace. Nothing reconciles
 * a custom resource elsewhere: it is applied, accepted, and never reaches a device. `crs` are the objects checked,
 * `all` what the operators and their RBAC are looked up in (one release, or every release of the app). When `all`
 * grants no one to watch fleet deployments, the operator is not in view and nothing is reported.
 * @internal
 */
export function iotWatchFindings(crs: readonly KubeObject[], all: readonly KubeObject[]): IotWatchFinding[] {
  const fleetCrs = crs.filter((o) => o?.kind === IOT_DEPLOYMENT_KIND && groupOf(String(o.apiVersion ?? '')) === IOT_GROUP);
  if (!fleetCrs.length) return [];
  const granted = grants(all);
  if (!granted.size) return [];
  const pods = podsByAccount(all);
  const lists = new Map<string, Array<readonly string[] | undefined>>();
  const listsOf = (sa: string) => {
    let l = lists.get(sa);
    if (!l) lists.set(sa, (l = (pods.get(sa) ?? []).map(watchList)));
    return l;
  };
  // Thousands of fleet deployments share a few namespaces: each namespace is decided once.
  const decided = new Map<string, boolean>();
  const watchedBy = (ns: string) => {
    let yes = decided.get(ns);
    if (yes === undefined) {
      yes = [...granted.entries()].some(([sa, nss]) => (nss.has('*') || nss.has(ns)) && listsOf(sa).every((l) => l === undefined || l.includes(ns)));
      decided.set(ns, yes);
    }
    return yes;
  };
  const watched = [...new Set([...granted.entries()].flatMap(([sa, nss]) => {
    const own = listsOf(sa);
    return [...nss].filter((ns) => own.every((l) => l === undefined || ns === '*' || l.includes(ns))).map((ns) => (ns === '*' ? 'every namespace' : ns));
  }))].sort();
  return fleetCrs.flatMap((cr) => {
    const ns = String(cr.metadata?.namespace ?? '');
    if (watchedBy(ns)) return [];
    return [{
      object: cr,
      message: `fleet deployment ${show(cr.metadata?.name)} is in namespace ${ns}, which no IoT operator watches (watched: ${watched.join(', ') || 'none'}): nothing reconciles it, and no device ever runs it`,
      fix: `add ${ns} to the operator's OperatorScope.namespaces([...]) and render the custom resource through IotFleet.namespace(release), or move it to a watched namespace`,
      path: 'metadata.namespace',
    }];
  });
}
