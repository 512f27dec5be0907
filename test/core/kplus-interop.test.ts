import * as kplus from 'cdk8s-plus-28';
import { IWorkload } from '../../lib/core';
import { verifyManifests } from '../../lib/verify';
import { DemoWorkload, newRelease, Template } from '../support';

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
