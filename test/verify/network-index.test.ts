import { ConnectionRecord } from '../../lib/core/wiring';
import {
  indexedLookup, NetworkFinding, networkFindings, networkFindingsWith, NetworkLookup, networkObjects, NetworkRelease, npSelects,
  policyTypes, serviceAccountFinder,
} from '../../lib/verify/network';
import { Json, namespaceOf, selects } from '../../lib/verify/objects';
import { KubeObject } from '../../lib/verify/types';
import { rng } from '../support/random';

// The NetworkPolicy rules find pods and policies through indexes by namespace and label (indexedLookup), so a release of
// thousands of workloads verifies in linear time. These tests hold the straightforward version, which scans every pod
// and policy for each question, and prove on generated apps (valid and broken, odd labels included) that both give the
// same answers in the same order, and therefore the same findings.

/** The reference: every question answered by scanning all pods or policies (what the rules did before the indexes). */
function scanningLookup(objects: readonly KubeObject[]): NetworkLookup {
  const base = networkObjects(objects);
  return {
    ...base,
    podsSelectedBy: (ns, sel) => base.pods.filter((p) => p.namespace === ns && npSelects(sel, p.template.labels)),
    podsMatching: (ns, sel) => base.pods.filter((p) => p.namespace === ns && selects(sel, p.template.labels)),
    policiesSelecting: (pod, dir) => base.policies.filter((p) =>
      namespaceOf(p) === pod.namespace && npSelects((p as Json).spec?.podSelector, pod.labels) && policyTypes(p).includes(dir)),
  };
}

const NAMESPACES = ['shop', 'ops', 'kube-system'];
const KEYS = ['app', 'tier', 'role'];
const VALUES = ['a', 'b', 'c'];
const RELEASES = ['r1', 'r2'];

interface GeneratedApp {
  readonly objects: KubeObject[];
  readonly releases: NetworkRelease[];
}

/** A random app: pods with overlapping labels, policies with every selector form, Services, accounts, connections. */
function generate(seed: number, size: number): GeneratedApp {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const chance = (p: number) => r() < p;
  const labels = (min = 1): Record<string, string> => {
    const out: Record<string, string> = {};
    const n = min + Math.floor(r() * (KEYS.length + 1 - min));
    for (const k of [...KEYS].sort(() => r() - 0.5).slice(0, n)) out[k] = pick(VALUES);
    return out;
  };
  /** Labels as a manifest may hold them: mostly maps, sometimes missing, empty or not a map at all. */
  const oddLabels = (): Json => {
    const x = r();
    if (x < 0.04) return undefined;
    if (x < 0.06) return {};
    if (x < 0.08) return 'app';
    if (x < 0.1) return ['a'];
    if (x < 0.12) return { app: 1 };
    if (x < 0.15) return { ...labels(), ...pick([{ 0: 'a' }, { length: 1 }, { length: 3 }]) };
    return labels();
  };
  const selector = (): Json => {
    const x = r();
    if (x < 0.1) return {};
    if (x < 0.14) return undefined;
    if (x < 0.17) return { matchLabels: ['a'] };
    // Keys a string or an array of labels has without listing them as entries.
    if (x < 0.2) return { matchLabels: pick([{ 0: 'a' }, { length: 1 }, { length: 3 }]) };
    if (x < 0.35) {
      const op = pick(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Bogus']);
      const expr: Json = { key: pick(KEYS), operator: op };
      if (op === 'In' || op === 'NotIn') expr.values = [pick(VALUES), pick(VALUES)];
      return chance(0.5) ? { matchExpressions: [expr] } : { matchLabels: labels(1), matchExpressions: [expr] };
    }
    return { matchLabels: labels(1) };
  };
  const peer = (): Json => {
    const x = r();
    if (x < 0.2) return { ipBlock: chance(0.5) ? { cidr: '0.0.0.0/0' } : { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } };
    if (x < 0.4) return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': pick(NAMESPACES) } }, podSelector: selector() };
    if (x < 0.45) return { namespaceSelector: {} };
    return { podSelector: selector() };
  };
  const port = (): Json => pick([{ port: 8080 }, { port: 'http' }, { port: 443 }, { port: 53, protocol: 'UDP' }, { port: 8000, endPort: 9000 }, {}]);
  const rules = (peersKey: string): Json[] => Array.from({ length: Math.floor(r() * 3) }, () => ({
    ...(chance(0.8) ? { [peersKey]: Array.from({ length: 1 + Math.floor(r() * 2) }, peer) } : {}),
    ...(chance(0.7) ? { ports: Array.from({ length: 1 + Math.floor(r() * 2) }, port) } : {}),
  }));

  const objects: KubeObject[] = [];
  const owner: string[] = [];
  const add = (o: Json) => {
    objects.push(o as KubeObject);
    owner.push(pick(RELEASES));
  };
  for (const ns of NAMESPACES) if (chance(0.5)) add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: labels() } });
  const services: Array<{ ns: string; name: string; selector: Json }> = [];
  for (let i = 0; i < size; i++) {
    const ns = pick(NAMESPACES);
    const x = r();
    if (x < 0.35) {
      const podLabels = oddLabels();
      const spec: Json = {
        containers: [{ name: 'c', image: 'x:1', ports: chance(0.8) ? [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] : undefined }],
        ...(chance(0.1) ? { hostNetwork: true } : {}),
        ...(chance(0.6) ? { serviceAccountName: pick(['api', 'web', 'default']) } : {}),
        ...(chance(0.3) ? { automountServiceAccountToken: chance(0.5) } : {}),
      };
      const kind = pick(['Deployment', 'StatefulSet', 'Job', 'Pod']);
      add(kind === 'Pod'
        ? { apiVersion: 'v1', kind, metadata: { name: `w${i}`, namespace: ns, labels: podLabels }, spec }
        : { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name: `w${i}`, namespace: ns }, spec: { template: { metadata: { labels: podLabels }, spec } } });
    } else if (x < 0.6) {
      const types = pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress'], []]);
      add({
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `p${i}`, namespace: ns },
        spec: { podSelector: selector(), ...(types ? { policyTypes: types } : {}), ingress: rules('from'), ...(chance(0.7) ? { egress: rules('to') } : {}) },
      });
    } else if (x < 0.8) {
      const sel = chance(0.1) ? {} : labels(1);
      const name = `s${i}`;
      services.push({ ns, name, selector: sel });
      add({
        apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns },
        spec: { selector: sel, type: pick(['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer']), ports: [{ name: 'http', port: 80, targetPort: pick(['http', 8080, 'nope']) }] },
      });
    } else if (x < 0.9) {
      add({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: pick(['api', 'web', 'default']), namespace: ns }, ...(chance(0.5) ? { automountServiceAccountToken: chance(0.5) } : {}) });
    } else {
      add({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: pick(['RoleBinding', 'ClusterRoleBinding']), metadata: { name: `b${i}`, namespace: ns },
        subjects: [{ kind: 'ServiceAccount', name: pick(['api', 'web', 'default']), ...(chance(0.5) ? { namespace: pick(NAMESPACES) } : {}) }],
      });
    }
  }
  const endpointPort = { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' };
  const connection = (): ConnectionRecord => {
    const from: Json = chance(0.8)
      ? { type: 'workload', release: pick(RELEASES), namespace: pick(NAMESPACES), selector: labels(1), path: 'app/W' }
      : { type: 'external', peer: chance(0.5) ? { type: 'pods', namespace: pick(NAMESPACES), selector: labels(1) } : { type: 'cidr', cidrs: ['10.2.0.0/16'], reason: 'lb' } };
    const y = r();
    let to: Json;
    if (y < 0.5 && services.length) {
      const s = pick(services);
      to = { type: 'service', release: pick(RELEASES), namespace: s.ns, name: chance(0.9) ? s.name : 'missing', port: endpointPort, selector: s.selector, headless: false };
    } else if (y < 0.8) {
      to = { type: 'pods', release: pick(RELEASES), namespace: pick(NAMESPACES), selector: labels(1), port: { name: 'http', port: 8080, protocol: 'TCP', targetPort: 'http' } };
    } else {
      to = {
        type: 'external', description: 'db', host: 'db.example', port: { name: 'pg', port: 5432, protocol: 'TCP', targetPort: 5432 },
        ...(chance(0.6) ? { peer: chance(0.5) ? { type: 'cidr', cidrs: ['10.3.0.0/16'], reason: 'db' } : { type: 'pods', namespace: pick(NAMESPACES), selector: labels(1), ports: [5432] } } : {}),
      };
    }
    return { kind: 'client', from, to } as unknown as ConnectionRecord;
  };
  const connections = Array.from({ length: Math.ceil(size / 3) }, connection);
  const releases = RELEASES.map((name) => ({
    name,
    objects: objects.filter((_, i) => owner[i] === name),
    connections: connections.filter((c) => (c.from.type === 'workload' && c.from.release === name) || (c.to.type !== 'external' && c.to.release === name)),
  }));
  return { objects, releases };
}

/** A finding with its object as a position among the app's objects (so the comparison is by identity, not shape). */
function plain(objects: readonly KubeObject[], findings: readonly NetworkFinding[]) {
  return findings.map((f) => ({ rule: f.rule, message: f.message, fix: f.fix, path: f.path, object: objects.indexOf(f.object) }));
}

const SEEDS = Array.from({ length: 60 }, (_, i) => i + 1);

describe('indexed NetworkPolicy lookups', () => {
  test.each(SEEDS)('seed %i: every rule finds the same, in the same order, as scanning every object', (seed) => {
    const { objects, releases } = generate(seed, 40 + (seed % 5) * 30);
    for (const release of releases) {
      const want = plain(objects, networkFindingsWith(release, scanningLookup(objects)));
      expect(plain(objects, networkFindingsWith(release, indexedLookup(objects)))).toEqual(want);
      expect(plain(objects, networkFindings(release, objects))).toEqual(want);
    }
  });

  test('the generated apps break every NetworkPolicy rule, and some releases pass them all', () => {
    const rules = new Map<string, number>();
    let clean = 0;
    for (const seed of SEEDS) {
      const { objects, releases } = generate(seed, 40 + (seed % 5) * 30);
      for (const release of releases) {
        const found = networkFindings(release, objects);
        if (!found.length) clean++;
        for (const f of found) rules.set(f.rule, (rules.get(f.rule) ?? 0) + 1);
      }
    }
    expect([...rules.keys()].sort()).toEqual(['netpol-allows', 'netpol-api-access', 'netpol-coverage', 'netpol-exposed', 'netpol-selects']);
    for (const n of rules.values()) expect(n).toBeGreaterThan(3);
    // Small apps often pass: the comparison covers the empty answer too.
    const small = SEEDS.map((seed) => generate(seed, 6)).flatMap(({ objects, releases }) => releases.map((rel) => networkFindings(rel, objects)));
    expect(clean + small.filter((f) => !f.length).length).toBeGreaterThan(0);
  });

  test.each(SEEDS.slice(0, 20))('seed %i: each lookup returns the same pods and policies, in order, as a scan', (seed) => {
    const { objects } = generate(seed, 150);
    const indexed = indexedLookup(objects);
    const scanning = scanningLookup(objects);
    const r = rng(seed * 7919);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const selectors: Json[] = [
      undefined, null, {}, 'app', ['a'], { matchLabels: {} }, { matchLabels: ['a'] }, { matchLabels: { app: 1 } },
      { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, { matchLabels: { nope: 'a' } },
      { 0: 'a' }, { matchLabels: { 0: 'a' } }, { length: 1 }, { matchLabels: { length: 3 } },
    ];
    for (let i = 0; i < 60; i++) {
      const ml: Record<string, string> = {};
      for (const k of KEYS) if (r() < 0.5) ml[k] = pick(VALUES);
      selectors.push({ matchLabels: ml }, ml);
      if (r() < 0.3) selectors.push({ matchLabels: ml, matchExpressions: [{ key: pick(KEYS), operator: 'NotIn', values: [pick(VALUES)] }] });
    }
    let answered = 0;
    for (const ns of [...NAMESPACES, 'elsewhere', '']) {
      for (const sel of selectors) {
        const a = scanning.podsSelectedBy(ns, sel);
        expect(indexed.podsSelectedBy(ns, sel)).toEqual(a);
        const b = scanning.podsMatching(ns, sel);
        expect(indexed.podsMatching(ns, sel)).toEqual(b);
        answered += a.length + b.length;
      }
    }
    expect(answered).toBeGreaterThan(0);
    const pods = [...indexed.pods.map((p) => ({ namespace: p.namespace, labels: p.template.labels })), { namespace: 'shop', labels: 'app' as unknown as Record<string, string> }];
    for (const pod of pods) {
      for (const dir of ['Ingress', 'Egress'] as const) {
        const want = scanning.policiesSelecting(pod, dir);
        const got = indexed.policiesSelecting(pod, dir);
        expect(got.length).toBe(want.length);
        got.forEach((p, i) => expect(p).toBe(want[i]));
      }
    }
  });

  test('a ServiceAccount is found as a search of the objects in order finds it', () => {
    const r = rng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const names: unknown[] = ['api', 'web', 'default', 5, '5', NaN, null];
    for (let round = 0; round < 30; round++) {
      const objects = Array.from({ length: 40 }, (_, i) => ({
        apiVersion: 'v1', kind: pick(['ServiceAccount', 'ServiceAccount', 'ConfigMap']),
        metadata: { name: pick(names), ...(r() < 0.8 ? { namespace: pick(NAMESPACES) } : {}), uid: i },
      })) as unknown as KubeObject[];
      const find = serviceAccountFinder(objects);
      for (const ns of [...NAMESPACES, '']) {
        for (const name of names) {
          const want = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name && namespaceOf(o) === ns);
          expect(find(ns, name)).toBe(want);
        }
      }
    }
  });
});
