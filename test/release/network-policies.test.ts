import { App } from 'cdk8s';
import { ConnectionRecord, ExternalPeerRecord, NetworkPolicies } from '../../lib/core';
import { parseCidr } from '../../lib/core/validate';
import { Release, renderApp, RenderedRelease } from '../../lib/release';
import { EXAMPLE_APPS } from '../../apps/registry';
import { DemoWorkload, newRelease } from '../support';

// No CNI runs here, so this test evaluates the rendered NetworkPolicies the way the Kubernetes API documents them
// (a pod selected by a policy of a type is isolated in that direction; a connection passes when an egress rule of the
// client's policies and an ingress rule of the server's policies both match it; a pod no policy selects is open),
// independently of lib/verify, against the pods the example apps render: every wired connection passes, and every
// other pair of pods on every port they declare is dropped.

type Labels = Record<string, string>;
type Json = any;

/** A pod as the evaluator sees it: where it runs, its labels, its declared ports and an address. */
interface Pod {
  readonly what: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly ports: ReadonlyArray<{ readonly name?: string; readonly port: number; readonly protocol: string }>;
  readonly ip: string;
  readonly hostNetwork: boolean;
}

const TEMPLATE_PATH: Record<string, string[]> = { Deployment: ['spec', 'template'], StatefulSet: ['spec', 'template'], DaemonSet: ['spec', 'template'] };

function podsOf(objects: readonly Json[]): Pod[] {
  let n = 0;
  return objects.filter((o) => o.apiVersion === 'apps/v1' && TEMPLATE_PATH[o.kind]).map((o) => {
    const t = TEMPLATE_PATH[o.kind].reduce((x, k) => x[k], o);
    const hostNetwork = t.spec.hostNetwork === true;
    n++;
    return {
      what: `${o.kind}/${o.metadata.name}`,
      namespace: o.metadata.namespace,
      labels: t.metadata.labels ?? {},
      ports: [...(t.spec.initContainers ?? []), ...t.spec.containers].flatMap((c: Json) => (c.ports ?? []).map((p: Json) => ({ name: p.name, port: p.containerPort, protocol: p.protocol ?? 'TCP' }))),
      // Pod addresses from a pod network no example declares; host-network pods have their node's (in 10.20.0.0/22).
      ip: hostNetwork ? `10.20.0.${n}` : `10.244.0.${n}`,
      hostNetwork,
    };
  });
}

function inCidr(ip: string, cidr: string): boolean {
  const block = parseCidr(cidr);
  const addr = parseCidr(ip.includes(':') ? `${ip}/128` : `${ip}/32`);
  return !!block && !!addr && block.family === addr.family && block.first <= addr.first && addr.last <= block.last;
}

function selectorMatches(sel: Json, labels: Labels): boolean {
  if (!sel) return true;
  const ml = Object.entries((sel.matchLabels ?? {}) as Labels).every(([k, v]) => labels[k] === v);
  const me = ((sel.matchExpressions ?? []) as Json[]).every((e) => (e.operator === 'In' ? e.values.includes(labels[e.key]) : false));
  return ml && me;
}

function peerMatches(peer: Json, policyNs: string, other: Pod): boolean {
  if (peer.ipBlock) return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((x: string) => inCidr(other.ip, x));
  if (other.hostNetwork) return false; // selectors match pods by labels; a host-network pod's traffic comes from its node
  const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': other.namespace }) : other.namespace === policyNs;
  return nsOk && selectorMatches(peer.podSelector, other.labels);
}

function portMatches(rulePort: Json, port: number, protocol: string, server: Pod): boolean {
  if ((rulePort.protocol ?? 'TCP') !== protocol) return false;
  if (rulePort.port === undefined) return true;
  const first = typeof rulePort.port === 'number' ? rulePort.port : server.ports.find((p) => p.name === rulePort.port && p.protocol === protocol)?.port;
  return first !== undefined && first <= port && port <= (rulePort.endPort ?? first);
}

/** True when policy `p` selects `pod` for `dir` traffic. */
function selecting(p: Json, pod: Pod, dir: string): boolean {
  return p.metadata.namespace === pod.namespace && selectorMatches(p.spec.podSelector, pod.labels) && p.spec.policyTypes.includes(dir);
}

/** True when `dir` traffic of `pod` to/from `other` on `port` passes `pod`'s policies. */
function passes(policies: readonly Json[], pod: Pod, dir: 'Ingress' | 'Egress', other: Pod, port: number, protocol: string, server: Pod): boolean {
  if (pod.hostNetwork) return true;
  const mine = policies.filter((p) => selecting(p, pod, dir));
  if (!mine.length) return true;
  const [key, peers] = dir === 'Ingress' ? ['ingress', 'from'] : ['egress', 'to'];
  return mine.some((p) => (p.spec[key] ?? []).some((r: Json) =>
    (!(r[peers] ?? []).length || r[peers].some((x: Json) => peerMatches(x, p.metadata.namespace, other)))
    && (!(r.ports ?? []).length || r.ports.some((rp: Json) => portMatches(rp, port, protocol, server)))));
}

function connects(policies: readonly Json[], client: Pod, server: Pod, port: number, protocol = 'TCP'): boolean {
  return passes(policies, client, 'Egress', server, port, protocol, server) && passes(policies, server, 'Ingress', client, port, protocol, server);
}

/** A pod standing for an external peer: pods of another namespace, or the first address of a range. */
function peerPod(peer: ExternalPeerRecord, what: string): Pod {
  if (peer.type === 'pods') return { what, namespace: peer.namespace, labels: { ...peer.selector }, ports: [], ip: '10.245.0.1', hostNetwork: false };
  const c = parseCidr(peer.cidrs[0])!;
  const ip = c.family === 4 ? [24, 16, 8, 0].map((s) => Number((c.first >> BigInt(s)) & 255n)).join('.') : '2001:db8::1';
  return { what, namespace: '', labels: {}, ports: [], ip: peer.cidrs[0] === '0.0.0.0/0' ? '203.0.113.7' : ip, hostNetwork: true };
}

interface Flow {
  readonly client: Pod;
  readonly server: Pod;
  readonly port: number;
  readonly protocol: string;
  readonly what: string;
}

/** The flows a connection record stands for, between the app's pods (and the external peers it names). */
function flowsOf(c: ConnectionRecord, pods: readonly Pod[], services: ReadonlyMap<string, Json>): Flow[] {
  const select = (ns: string, sel: Labels) => pods.filter((p) => p.namespace === ns && Object.entries(sel).every(([k, v]) => p.labels[k] === v));
  const clients = c.from.type === 'workload' ? select(c.from.namespace, c.from.selector) : [peerPod(c.from.peer, 'outside peer')];
  const what = `${c.from.type === 'workload' ? c.from.path : 'outside'} -> ${c.to.type === 'external' ? c.to.host : c.to.type === 'service' ? c.to.name : 'pods'}:${c.to.port.port}`;
  const to = c.to;
  if (to.type === 'external') {
    if (!to.peer) return [];
    const server = peerPod(to.peer, to.host);
    const ports = to.peer.ports ?? [to.port.port];
    return clients.flatMap((client) => ports.map((port) => ({ client, server, port, protocol: to.port.protocol, what })));
  }
  const servers = select(to.namespace, to.selector);
  return clients.flatMap((client) => servers.map((server) => {
    let port = to.port.port;
    if (to.type === 'service') {
      const sp = (services.get(`${to.namespace}/${to.name}`)?.spec.ports ?? []).find((p: Json) => p.name === to.port.name);
      const target = sp?.targetPort ?? to.port.targetPort;
      port = typeof target === 'number' ? target : server.ports.find((p) => p.name === target)!.port;
    }
    return { client, server, port, protocol: to.port.protocol, what };
  }));
}

describe('the example apps\' NetworkPolicies, evaluated against their pods', () => {
  const app = new App();
  for (const a of EXAMPLE_APPS) a.build(app);
  const releases: RenderedRelease[] = renderApp(app);
  const objects = releases.flatMap((r) => r.objects) as Json[];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const services = new Map<string, Json>(objects.filter((o) => o.kind === 'Service').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  const pods = podsOf(objects);
  const connections = releases.flatMap((r) => r.connections);
  const flows = connections.flatMap((c) => flowsOf(c, pods, services));

  test('every release that runs pods renders its default deny, and every pod outside the node network is isolated both ways', () => {
    for (const r of releases.filter((x) => podsOf(x.objects as Json[]).length)) expect(r.objects.some((o) => o.kind === 'NetworkPolicy' && o.metadata.name === `${r.name}-default-deny`)).toBe(true);
    for (const p of pods.filter((x) => !x.hostNetwork)) {
      for (const dir of ['Ingress', 'Egress']) {
        const isolated = policies.some((pol) => selecting(pol, p, dir));
        expect({ pod: p.what, dir, isolated }).toEqual({ pod: p.what, dir, isolated: true });
      }
    }
  });

  test('every wired connection passes the client\'s egress and the server\'s ingress', () => {
    expect(flows.length).toBeGreaterThan(50);
    const blocked = flows.filter((f) => !connects(policies, f.client, f.server, f.port, f.protocol)).map((f) => `${f.what} (${f.client.what} -> ${f.server.what})`);
    expect(blocked).toEqual([]);
  });

  test('every pod reaches the cluster DNS on 53, UDP and TCP, and nothing else of kube-system', () => {
    const dns: Pod = { what: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], ip: '10.244.9.9', hostNetwork: false };
    const other: Pod = { ...dns, what: 'metrics-server', labels: { 'k8s-app': 'metrics-server' }, ports: [{ port: 443, protocol: 'TCP' }] };
    for (const p of pods.filter((x) => !x.hostNetwork)) {
      expect({ pod: p.what, udp: connects(policies, p, dns, 53, 'UDP'), tcp: connects(policies, p, dns, 53, 'TCP') }).toEqual({ pod: p.what, udp: true, tcp: true });
      expect({ pod: p.what, other: connects(policies, p, other, 443) }).toEqual({ pod: p.what, other: false });
    }
  });

  test('every other pair of the app\'s pods is dropped, on every port the server declares (and in the dask range)', () => {
    const wired = new Set(flows.map((f) => `${f.client.what}|${f.server.what}|${f.port}/${f.protocol}`));
    const leaks: string[] = [];
    // Host-network clients are node processes: no policy restricts their egress, and what they reach is checked below.
    for (const client of pods.filter((p) => !p.hostNetwork)) {
      for (const server of pods) {
        const ports = [...server.ports, { port: 45000, protocol: 'TCP' }];
        for (const p of ports) {
          const key = `${client.what}|${server.what}|${p.port}/${p.protocol}`;
          if (wired.has(key) || (p.port === 45000 && [...wired].some((w) => w.startsWith(`${client.what}|${server.what}|`) && /\|32768|45000/.test(w)))) continue;
          if (connects(policies, client, server, p.port, p.protocol)) leaks.push(key);
        }
      }
    }
    // A host-network server has no policy of its own: only the node network reaches it, which the clients' egress
    // rules name for the flows the wiring graph records (Prometheus -> node-exporter), so nothing else gets through.
    expect(leaks).toEqual([]);
  });

  test('from a node address, only NodePort targets behind externalTrafficPolicy: Cluster are reachable (kube-proxy SNAT)', () => {
    const node: Pod = { what: 'node', namespace: '', labels: {}, ports: [], ip: '10.20.0.200', hostNetwork: true };
    const reachable = pods.filter((p) => !p.hostNetwork).flatMap((p) => p.ports.filter((x) => connects(policies, node, p, x.port, x.protocol)).map((x) => `${p.namespace}/${p.what}:${x.port}`));
    // The two NodePort Services: graphistry-multinode's Caddy on 30080 (HTTP) and graphistry-edge's on 30081 and 30443.
    expect(reachable).toEqual(['graphistry-edge/Deployment/caddy:8080', 'graphistry-edge/Deployment/caddy:8443', 'graphistry/Deployment/caddy:8080']);
  });

  test('a pod of another namespace reaches no pod of the app, and the app\'s pods reach no pod of another namespace', () => {
    const intruder: Pod = { what: 'intruder', namespace: 'default', labels: { app: 'intruder' }, ports: [{ port: 8080, protocol: 'TCP' }], ip: '10.244.8.8', hostNetwork: false };
    for (const p of pods.filter((x) => !x.hostNetwork)) {
      for (const port of p.ports) {
        const ok = connects(policies, intruder, p, port.port, port.protocol);
        expect({ to: p.what, port: port.port, ok }).toEqual({ to: p.what, port: port.port, ok: false });
      }
      expect({ from: p.what, ok: connects(policies, p, intruder, 8080) }).toEqual({ from: p.what, ok: false });
    }
  });
});

describe('NetworkPolicies of a release of one\'s own', () => {
  test('fails when the off option has no reason, naming the prop and what is allowed', () => {
    expect(() => NetworkPolicies.off({ reason: ' ' })).toThrow(
      "'networkPolicy.reason' is \" \"; allowed: a non-empty reason why the release renders no NetworkPolicy (printed in the notes)",
    );
  });

  test('off renders no policy, says why in the notes and lists the reason with the verification exceptions', () => {
    const app = new App();
    const r = new Release(app, 'shop', { namespace: 'shop', networkPolicy: NetworkPolicies.off({ reason: 'Cilium cluster-wide policies own pod traffic' }) });
    new DemoWorkload(r, 'Web', { name: 'web', ports: [{ name: 'http', port: 8080 }], service: [{ name: 'http', port: 80 }] });
    const [out] = renderApp(app);
    expect(out.objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
    expect(out.notes.join('\n')).toMatch(/NETWORK POLICIES: none rendered \(networkPolicy: NetworkPolicies.off\): Cilium cluster-wide policies own pod traffic/);
    expect(out.networkPolicy).toEqual({ mode: 'off', reason: 'Cilium cluster-wide policies own pod traffic' });
  });

  test('a release that runs no pod renders no policy', () => {
    const app = new App();
    const r = newRelease({ id: 'config', namespace: 'config' }, app);
    r.addNote('nothing runs here');
    expect(renderApp(app)[0].objects).toEqual([]);
  });

  test('a connection from another release is admitted by the server\'s policy and allowed by the client\'s, across namespaces', () => {
    const app = new App();
    const data = newRelease({ id: 'data', namespace: 'data' }, app);
    const cache = new DemoWorkload(data, 'Cache', { name: 'cache', ports: [{ name: 'redis', port: 6379 }], service: [{ name: 'redis', port: 6379 }] });
    const web = newRelease({ id: 'web', namespace: 'web' }, app);
    new DemoWorkload(web, 'Web', { name: 'web', ports: [{ name: 'http', port: 8080 }], connect: [(c) => c.connect(cache.endpoint!, 'redis', { purpose: 'cache' })] });
    const out = renderApp(app);
    const objects = out.flatMap((r) => r.objects) as Json[];
    const pols = objects.filter((o) => o.kind === 'NetworkPolicy');
    const [c, s] = [podsOf(objects).find((p) => p.what === 'Deployment/web')!, podsOf(objects).find((p) => p.what === 'Deployment/cache')!];
    expect(connects(pols, c, s, 6379)).toBe(true);
    expect(connects(pols, s, c, 8080)).toBe(false);
    const cachePolicy = pols.find((p) => p.metadata.name === 'cache');
    expect(cachePolicy.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'web' }) } }],
      ports: [{ port: 6379, protocol: 'TCP' }],
    }]);
  });
});
