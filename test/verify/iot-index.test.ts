import { IOT_DEPLOYMENT_KIND, IOT_DEPLOYMENT_PLURAL, IOT_GROUP } from '../../lib/iot/crd';
import { IotWatchFinding, iotWatchFindings, WATCH_NAMESPACE_ENV } from '../../lib/verify/iot';
import { groupOf, Json, podTemplateOf, show } from '../../lib/verify/objects';
import { KubeObject } from '../../lib/verify/types';
import { rng } from '../support/random';

// Rule iot-watched-namespace looks roles up in a map, groups the operator pods by ServiceAccount in one pass and decides
// each namespace once, so an app of 10,000 fleet deployments verifies in linear time. The reference below is the
// straightforward version (a search of every object for each role, each account and each deployment); generated apps
// prove both find the same, in the same order.

const isRbac = (o: KubeObject, kind: string) => o?.kind === kind && groupOf(String(o.apiVersion ?? '')) === 'rbac.authorization.k8s.io';

function referenceFindings(crs: readonly KubeObject[], all: readonly KubeObject[]): IotWatchFinding[] {
  const grantsWatch = (role: KubeObject | undefined) => {
    const rules = (role as Json)?.rules;
    return (Array.isArray(rules) ? rules : []).some((r: Json) =>
      (r?.apiGroups ?? []).includes(IOT_GROUP) && (r?.resources ?? []).includes(IOT_DEPLOYMENT_PLURAL) && (r?.verbs ?? []).includes('watch'));
  };
  const role = (kind: string, ns: string, name: string) =>
    all.find((o) => isRbac(o, kind) && o.metadata?.name === name && (kind === 'ClusterRole' || o.metadata?.namespace === ns));
  const granted = new Map<string, Set<string>>();
  for (const b of all) {
    const cluster = isRbac(b, 'ClusterRoleBinding');
    if (!cluster && !isRbac(b, 'RoleBinding')) continue;
    const ns = cluster ? '*' : String(b.metadata?.namespace ?? '');
    const ref = (b as Json).roleRef ?? {};
    if (!grantsWatch(role(String(ref.kind), ns, String(ref.name)))) continue;
    for (const s of ((b as Json).subjects ?? []) as Json[]) {
      if (s?.kind !== 'ServiceAccount') continue;
      const sa = `${s.namespace ?? b.metadata?.namespace}/${s.name}`;
      if (!granted.has(sa)) granted.set(sa, new Set());
      granted.get(sa)!.add(ns);
    }
  }
  const watchLists = (sa: string) => {
    const out: Array<readonly string[] | undefined> = [];
    for (const o of all) {
      const pod = podTemplateOf(o)?.spec as Json;
      if (!pod || `${o.metadata?.namespace}/${pod.serviceAccountName ?? 'default'}` !== sa) continue;
      const env = ((pod.containers ?? []) as Json[]).flatMap((c) => (c?.env ?? []) as Json[]).find((e) => e?.name === WATCH_NAMESPACE_ENV);
      out.push(env?.value === undefined ? undefined : String(env.value).split(',').map((n) => n.trim()).filter(Boolean));
    }
    return out;
  };
  const fleetCrs = crs.filter((o) => o?.kind === IOT_DEPLOYMENT_KIND && groupOf(String(o.apiVersion ?? '')) === IOT_GROUP);
  if (!fleetCrs.length || !granted.size) return [];
  const watchedBy = (ns: string) =>
    [...granted.entries()].some(([sa, nss]) => (nss.has('*') || nss.has(ns)) && watchLists(sa).every((l) => l === undefined || l.includes(ns)));
  const watched = [...new Set([...granted.entries()].flatMap(([sa, nss]) => {
    const lists = watchLists(sa);
    return [...nss].filter((ns) => lists.every((l) => l === undefined || ns === '*' || l.includes(ns))).map((ns) => (ns === '*' ? 'every namespace' : ns));
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

const NAMESPACES = ['iot', 'edge', 'lab', 'ops'];

/** Operators (with and without WATCH_NAMESPACE), Roles, ClusterRoles and bindings of every shape, fleet deployments. */
function generate(seed: number): KubeObject[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const chance = (p: number) => r() < p;
  const rbac = pick(['rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'example.io/v1']);
  const objects: Json[] = [];
  const n = 20 + Math.floor(r() * 80);
  for (let i = 0; i < n; i++) {
    const ns = pick(NAMESPACES);
    const x = r();
    if (x < 0.15) {
      const watch = pick([undefined, 'iot', 'iot,edge', ' edge , lab ', '', 'ops']);
      const env = watch === undefined ? [] : [{ name: WATCH_NAMESPACE_ENV, value: watch }];
      objects.push({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `op${i}`, namespace: ns },
        spec: { template: { metadata: { labels: { app: 'op' } }, spec: { ...(chance(0.8) ? { serviceAccountName: pick(['op', 'other']) } : {}), containers: [{ name: 'op', image: 'x:1', env }] } } },
      });
    } else if (x < 0.3) {
      const kind = pick(['Role', 'ClusterRole']);
      const resources = chance(0.8) ? [IOT_DEPLOYMENT_PLURAL] : ['pods'];
      objects.push({
        apiVersion: chance(0.9) ? 'rbac.authorization.k8s.io/v1' : rbac, kind, metadata: { name: pick(['watcher', 'reader']), ...(kind === 'Role' ? { namespace: ns } : {}) },
        rules: [{ apiGroups: [chance(0.9) ? IOT_GROUP : 'apps'], resources, verbs: chance(0.8) ? ['get', 'watch'] : ['get'] }],
      });
    } else if (x < 0.5) {
      const kind = pick(['RoleBinding', 'ClusterRoleBinding']);
      objects.push({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name: `b${i}`, ...(kind === 'RoleBinding' ? { namespace: ns } : {}) },
        roleRef: { kind: pick(['Role', 'ClusterRole']), name: pick(['watcher', 'reader', 'missing']) },
        subjects: [{ kind: 'ServiceAccount', name: pick(['op', 'other', 'default']), ...(chance(0.7) ? { namespace: pick(NAMESPACES) } : {}) }],
      });
    } else {
      objects.push({ apiVersion: chance(0.95) ? `${IOT_GROUP}/v1alpha1` : 'apps/v1', kind: IOT_DEPLOYMENT_KIND, metadata: { name: `fleet${i}`, namespace: pick([...NAMESPACES, 'nowhere']) }, spec: {} });
    }
  }
  return objects as KubeObject[];
}

const SEEDS = Array.from({ length: 80 }, (_, i) => i + 1);

describe('iot-watched-namespace, indexed', () => {
  test.each(SEEDS)('seed %i: the same findings, in the same order, as the straightforward search', (seed) => {
    const all = generate(seed);
    const half = all.filter((_, i) => i % 2 === 0);
    for (const [crs, scope] of [[all, all], [half, all], [half, half]]) {
      const want = referenceFindings(crs, scope);
      const got = iotWatchFindings(crs, scope);
      expect(got.map((f) => ({ ...f, object: crs.indexOf(f.object) }))).toEqual(want.map((f) => ({ ...f, object: crs.indexOf(f.object) })));
    }
  });

  test('the generated apps have watched and unwatched fleet deployments', () => {
    let found = 0;
    let watched = 0;
    for (const seed of SEEDS) {
      const all = generate(seed);
      const crs = all.filter((o) => o.kind === IOT_DEPLOYMENT_KIND && groupOf(String(o.apiVersion)) === IOT_GROUP);
      const n = iotWatchFindings(all, all).length;
      found += n;
      if (n < crs.length && n > 0) watched++;
    }
    expect(found).toBeGreaterThan(20);
    expect(watched).toBeGreaterThan(5);
  });
});
