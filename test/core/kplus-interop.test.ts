import * as kplus from 'cdk8s-plus-28';
import { ExternalPeer, IWorkload } from '../../lib/core';
import { verifyManifests } from '../../lib/verify';
import { GraphistryStack, Postgres, Tier } from '../../lib/graphistry';
import { CaddyCookieSecret } from '../../lib/ingress';
import { DemoWorkload, newRelease, Obj, Template } from '../support';

// A cdk8s user holding cdk8s-plus objects points them at our workloads through the cdk8s-plus interfaces.
describe('cdk8s-plus interoperability of workload handles', () => {
  const r = newRelease({ namespace: 'shop' });
  const api: IWorkload = new DemoWorkload(r, 'Api', { name: 'api', ports: [{ name: 'http', port: 8080 }] });
  const web: IWorkload = new DemoWorkload(r, 'Web', { name: 'web' });
  new kplus.Service(r, 'UserService', { metadata: { name: 'api-public' }, selector: api, ports: [{ port: 80, targetPort: 8080 }] });
  const policy = new kplus.NetworkPolicy(r, 'UserPolicy', { metadata: { name: 'api-from-web' }, selector: api });
  policy.addIngressRule(web, [kplus.NetworkPolicyPort.tcp(8080)]);
  const t = Template.fromRelease(r);

  test('a kplus.Service with selector: ourWorkload selects exactly our pods', () => {
    const svc = t.find('Service', 'api-public');
    expect(svc.spec.selector).toEqual(api.selector);
    expect(t.podLabels('Deployment', 'api')).toMatchObject(svc.spec.selector);
    expect(t.podLabels('Deployment', 'web')).not.toMatchObject(svc.spec.selector);
    // Our reference check agrees: the Service has endpoints and its target port exists.
    const refs = verifyManifests(t.objects, { schema: false }).violations.filter((v) => v.object === 'Service/shop/api-public');
    expect(refs).toEqual([]);
  });

  test('a kplus.NetworkPolicy applies to our pods and admits our other workload as a peer', () => {
    const np = t.find('NetworkPolicy', 'api-from-web');
    expect(np.metadata.namespace).toBe('shop');
    expect(np.spec.podSelector).toEqual({ matchLabels: api.selector });
    expect(np.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: web.selector }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
    expect(t.podLabels('Deployment', 'api')).toMatchObject(np.spec.podSelector.matchLabels);
    expect(t.podLabels('Deployment', 'web')).toMatchObject(np.spec.ingress[0].from[0].podSelector.matchLabels);
  });

  test('the peer config names our namespace, so a policy in another chart still selects our pods', () => {
    expect(api.toPodSelector()).toBe(api);
    expect(api.toNetworkPolicyPeerConfig().podSelector?.namespaces?.names).toEqual(['shop']);
  });
});

describe('cdk8s-plus objects pointed at the library\'s own workloads (a Graphistry stack)', () => {
  const r = newRelease({ id: 'graphistry', namespace: 'gx' });
  const stack = new GraphistryStack(r, 'Graphistry', {
    tier: Tier.FULL,
    postgres: Postgres.external({ host: 'pg.db.svc', database: 'graphistry', user: 'graphistry', passwordSecret: { name: 'graphistry-postgres', key: 'password' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) }),
    jwtSecret: 'graphistry-jwt',
    nexusSecret: 'graphistry-nexus',
    graphAppKit: { credentials: { secretName: 'gak' } },
    caddy: { cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret') },
  });
  // A user's own Service and NetworkPolicy over nexus: admit Caddy and the engine, nothing else.
  new kplus.Service(r, 'NexusDebug', { metadata: { name: 'nexus-debug' }, selector: stack.nexus, ports: [{ port: 8000 }] });
  const np = new kplus.NetworkPolicy(r, 'NexusIngress', { metadata: { name: 'nexus-ingress' }, selector: stack.nexus });
  np.addIngressRule(stack.caddy!, [kplus.NetworkPolicyPort.tcp(8000)]);
  np.addIngressRule(stack.engine!, [kplus.NetworkPolicyPort.tcp(8000)]);
  const t = Template.fromRelease(r);

  test('the kplus.Service selects the nexus pods and only them', () => {
    const selector = t.find('Service', 'nexus-debug').spec.selector;
    const matching = t.workloads().filter((w) => Object.entries(selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
    expect(matching.map((w) => `${w.kind}/${w.metadata.name}`)).toEqual(['Deployment/nexus']);
  });

  test('the kplus.NetworkPolicy applies to nexus and its peers select the Caddy and engine pods', () => {
    const spec = t.find('NetworkPolicy', 'nexus-ingress').spec;
    const selected = (sel: Record<string, string>) =>
      t
        .workloads()
        .filter((w) => Object.entries(sel).every(([k, v]) => w.spec.template.metadata.labels[k] === v))
        .map((w) => w.metadata.name);
    expect(selected(spec.podSelector.matchLabels)).toEqual(['nexus']);
    expect(spec.ingress.map((rule: Obj) => selected(rule.from[0].podSelector.matchLabels))).toEqual([['caddy'], ['engine']]);
  });
});
