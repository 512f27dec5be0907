import { App } from 'cdk8s';
import { assertExternalRefs, externalRefsAnnotation, SecurityProfile } from '../../lib/core';
import { CaddyIngress, CaddyLbFallback, CaddyRouteAuth, CaddyServiceType, CaddyTls, CaddyUpstream, resolveCaddyfileProps } from '../../lib/ingress';
import { NatsExposure, NatsServer } from '../../lib/nats';
import { NginxAction, NginxListen } from '../../lib/nginx';
import { CloudAuth, OtlpProtocol, TelemetryMode } from '../../lib/telemetry';
import { Release } from '../../lib/release';
import { LB_CLIENTS, singleUpstreamRouting } from '../ingress/fixtures';

// The shared validators (lib/core/validate.ts) at work in the constructs the review found accepting bad values.

function caddy(props: Partial<ConstructorParameters<typeof CaddyIngress>[2]>): CaddyIngress {
  const release = new Release(new App(), 'r', { namespace: 'ns' });
  return new CaddyIngress(release, 'Caddy', { ...singleUpstreamRouting(), ...props });
}

describe('Kubernetes value ranges', () => {
  test('fails when the Caddy nodePort factory is given a port outside 30000-32767 (80 passed before)', () => {
    expect(() => CaddyServiceType.nodePort({ clients: LB_CLIENTS, nodePort: 80, reason: 'r' })).toThrow(
      "'service.type.nodePort' is 80; allowed: a port in the NodePort range 30000-32767 (the API server rejects any other)",
    );
    expect(() => CaddyServiceType.loadBalancer({ clients: LB_CLIENTS, reason: 'r', nodePortHttps: 40000 })).toThrow("'service.type.nodePortHttps' is 40000; allowed: a port in the NodePort range 30000-32767");
  });

  test('fails when runAsUser is above 2^31-1', () => {
    expect(() => SecurityProfile.restricted({ runAsUser: 2 ** 31 })).toThrow("'security.runAsUser' is 2147483648, but it is above 2147483647; allowed: a user id 0-2147483647");
    expect(() => caddy({ runAsUser: 2 ** 32 })).toThrow("'runAsUser' is 4294967296, but it is above 2147483647; allowed: a user id 1-2147483647 (not root)");
  });

  test('fails when an Ingress host or TLS host is not a DNS name (UPPER_case, empty, spaces)', () => {
    expect(() => caddy({ ingress: { hosts: ['UPPER_case'] } })).toThrow("'ingress.hosts[0]' is \"UPPER_case\"; allowed: a lowercase DNS name such as app.example.com, or a wildcard");
    expect(() => caddy({ ingress: { tls: [{ hosts: ['ok.example.com', ''] }] } })).toThrow("'ingress.tls[0].hosts[1]' is \"\", but it is empty");
    expect(() => caddy({ ingress: { tls: [{ hosts: ['has space.example.com'] }] } })).toThrow("'ingress.tls[0].hosts[0]' is \"has space.example.com\"; allowed: a lowercase DNS name");
  });

  test('fails when replicas are negative or a sync wave would print as 1e+21', () => {
    expect(() => caddy({ replicas: -1 })).toThrow("'replicas' is -1, but it is below 1; allowed: a whole number >= 1");
    const release = new Release(new App(), 'r', { namespace: 'ns' });
    expect(() => new NatsServer(release, 'Nats', { syncWave: 1e21 })).toThrow("'syncWave' is 1e+21, but it would be written in exponent form");
  });
});

describe('addresses', () => {
  test('fails when a load balancer IP, trusted proxy, upstream or resolver does not parse', () => {
    expect(() => CaddyServiceType.loadBalancer({ clients: LB_CLIENTS, reason: 'r', loadBalancerIP: '300.1.1.1' })).toThrow("'service.type.loadBalancerIP' is \"300.1.1.1\"; allowed: an IPv4 or IPv6 address");
    expect(() => CaddyTls.ingress({ trustedProxies: ['10.0.0.0/99'] })).toThrow("'tls.trustedProxies[0]' is \"10.0.0.0/99\"; allowed: 'private_ranges', an IP address or an IP range in CIDR form");
    expect(() => CaddyTls.ingress({ trustedProxies: ['999.1.1.1'] })).toThrow("'tls.trustedProxies[0]' is \"999.1.1.1\"");
    expect(() => CaddyUpstream.single('999.999.999.999:80')).toThrow("'upstream' is \"999.999.999.999:80\", but \"999.999.999.999\" is not an IPv4 address");
    expect(() => CaddyUpstream.dynamicA({ name: 'pool.ns.svc.cluster.local', port: 80, resolvers: ['kube-dns'] })).toThrow("'upstream.resolvers[0]' is \"kube-dns\"; allowed: a resolver IP address");
    expect(() => CaddyUpstream.single('UPPER:80')).toThrow("'upstream' is \"UPPER:80\"");
    expect(() => NginxListen.address('1.2.3.999', 80)).toThrow("'nginx.listen.address' is \"1.2.3.999\"; allowed: an IPv4 address, a bracketed IPv6 address or localhost");
  });

  test('fails when LoadBalancer source ranges together cover all of IPv4 or IPv6 (0.0.0.0/1 + 128.0.0.0/1)', () => {
    expect(() => NatsExposure.loadBalancer({ reason: 'r', sourceRanges: ['0.0.0.0/1', '128.0.0.0/1'] })).toThrow(
      "'exposure.loadBalancer.sourceRanges' is [\"0.0.0.0/1\",\"128.0.0.0/1\"], but together they cover every IPv4 address, which admits the whole internet to a NATS without client authentication; allowed: client networks that leave some addresses out, or openToAllSources: { reason }",
    );
    expect(() => NatsExposure.loadBalancer({ reason: 'r', sourceRanges: ['::/1', '8000::/1', '10.0.0.0/8'] })).toThrow('together they cover every IPv6 address');
    expect(NatsExposure.loadBalancer({ reason: 'r', sourceRanges: ['0.0.0.0/1', '192.168.0.0/16'] }).sourceRanges).toEqual(['0.0.0.0/1', '192.168.0.0/16']);
  });
});

describe('collisions', () => {
  test('fails when two Caddy routes differ only in case (Caddy matches paths case-insensitively)', () => {
    const routing = singleUpstreamRouting();
    expect(() => resolveCaddyfileProps({ ...routing, proxyRoutes: [{ pathPrefix: '/grafana', upstream: CaddyUpstream.single('g.ns.svc:3000') }, { name: 'g2', pathPrefix: '/Grafana', upstream: CaddyUpstream.single('h.ns.svc:3000') }] })).toThrow(
      "'proxyRoutes[1].pathPrefix' is \"/Grafana\", but it differs from proxyRoutes[0].pathPrefix (/grafana) only in case, and Caddy matches paths case-insensitively, so one of the two routes is unreachable; allowed: a path no other route matches",
    );
    expect(() => resolveCaddyfileProps({ ...routing, proxyRoutes: [{ pathPrefix: '/CADDY/health', upstream: CaddyUpstream.single('g.ns.svc:3000') }] })).toThrow("'proxyRoutes[0].pathPrefix' is \"/CADDY/health/*\", but it overlaps the health path /caddy/health/");
  });

  test("fails when httpPort is Caddy's admin port while the admin API is on", () => {
    expect(() => resolveCaddyfileProps({ ...singleUpstreamRouting(), adminApi: true, httpPort: 2019 })).toThrow(
      "'httpPort' is 2019, but Caddy's admin API listens on localhost:2019, and the site could not bind it; allowed: a port other than 2019 while adminApi is on",
    );
    expect(resolveCaddyfileProps({ ...singleUpstreamRouting(), adminApi: false, httpPort: 2019 }).httpPort).toBe(2019);
  });

  test('fails when two Services of one release claim the same node port', () => {
    const release = new Release(new App(), 'r', { namespace: 'ns' });
    new CaddyIngress(release, 'A', { ...singleUpstreamRouting(), name: 'a', service: { type: CaddyServiceType.nodePort({ clients: LB_CLIENTS, nodePort: 30080, reason: 'lb' }) } });
    new NatsServer(release, 'Nats', { exposure: NatsExposure.nodePort(30080, { reason: 'devices', sourceRanges: ['10.20.0.0/16'] }) });
    const errors = release.node.validate();
    expect(errors).toEqual([
      "'nodePort' is 30080, but Service a (r/A/Service) and Service r-nats (r/Nats/Service) both claim it, and the API server allocates each node port to one Service only; allowed: a node port no other Service of the release claims",
    ]);
  });

  test('a NodePort Service carries its reason as the node-port exception', () => {
    const c = caddy({ service: { type: CaddyServiceType.nodePort({ clients: LB_CLIENTS, nodePort: 30081, reason: 'the site load balancer reaches the nodes' }) } });
    expect(c.service.toJson().metadata.annotations).toEqual({ 'policy.ops-kit.io/node-port': 'the site load balancer reaches the nodes' });
    expect(() => CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: '' })).toThrow("'service.type.reason' is \"\"; allowed: a non-empty reason why every node must serve Caddy");
  });
});

describe('external references', () => {
  test('fails when an external ref name holds a comma (it would forge extra refs) or is not an object name', () => {
    expect(() => externalRefsAnnotation([{ kind: 'Secret', name: 'a,Secret/b,ConfigMap/c' }], 'additionalExternalRefs')).toThrow(
      "'additionalExternalRefs[0].name' is \"a,Secret/b,ConfigMap/c\"; allowed: a DNS-1123 subdomain",
    );
    expect(() => assertExternalRefs('additionalExternalRefs', [{ kind: 'Service', name: 'a.b' }])).toThrow("'additionalExternalRefs[0].name' is \"a.b\"; allowed: a DNS-1123 label");
    expect(() => assertExternalRefs('additionalExternalRefs', [{ kind: 'Pod' as 'Secret', name: 'a' }])).toThrow("'additionalExternalRefs[0].kind' is \"Pod\"; allowed: ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount");
    expect(externalRefsAnnotation([{ kind: 'Secret', name: 'b' }, { kind: 'Secret', name: 'a' }])).toEqual({ 'refs.ops-kit.io/external': 'Secret/a,Secret/b' });
  });

  test('a ServiceAccount in another namespace is written Kind/namespace/name', () => {
    expect(externalRefsAnnotation([{ kind: 'ServiceAccount', name: 'op', namespace: 'iot-system' }, { kind: 'Secret', name: 'a' }])).toEqual({
      'refs.ops-kit.io/external': 'Secret/a,ServiceAccount/iot-system/op',
    });
  });

  test('fails when a namespace is given to a kind pods reference in their own namespace, or is not a namespace name', () => {
    expect(() => assertExternalRefs('externalRefs', [{ kind: 'Secret', name: 'a', namespace: 'other' }])).toThrow(
      "'externalRefs[0].namespace' is \"other\"; allowed: no namespace for a Secret (pods reference it in their own namespace); only a ServiceAccount, a binding's subject, lives in another",
    );
    expect(() => assertExternalRefs('externalRefs', [{ kind: 'ServiceAccount', name: 'a', namespace: 'Bad.NS' }])).toThrow("'externalRefs[0].namespace' is \"Bad.NS\"; allowed: a DNS-1123 label");
  });
});

describe('CaddyRouteAuth', () => {
  test('fails when the basic-auth Secret, its keys, the forward-auth upstream or the reason are malformed', () => {
    expect(() => CaddyRouteAuth.basic({ secretName: 'Bad_Name' })).toThrow("'auth.basic.secretName' is \"Bad_Name\"; allowed: the name of an operator-created Secret (DNS-1123 subdomain)");
    expect(() => CaddyRouteAuth.basic({ secretName: 'a', usernameKey: 'user name' })).toThrow("'auth.basic.usernameKey' is \"user name\"; allowed: a Secret key");
    expect(() => CaddyRouteAuth.basic({ secretName: 'a', usernameKey: 'k', passwordHashKey: 'k' })).toThrow("'auth.basic.passwordHashKey' is \"k\"; allowed: a key other than usernameKey (k)");
    expect(() => CaddyRouteAuth.forward({ upstream: 'http://auth:80', uri: '/verify' })).toThrow("'auth.forward.upstream' is \"http://auth:80\", but it has a scheme");
    expect(() => CaddyRouteAuth.forward({ upstream: 'auth.ns.svc:80', uri: 'verify' })).toThrow("'auth.forward.uri' is \"verify\"; allowed: an absolute path");
    expect(() => CaddyRouteAuth.none({ reason: '' })).toThrow("'auth.none.reason' is \"\"; allowed: a non-empty reason why the route needs no authentication");
  });

  test('basic auth renders a basicauth block fed by environment variables, never the hash itself', () => {
    const auth = CaddyRouteAuth.basic({ secretName: 'telemetry-auth' });
    const props = { ...singleUpstreamRouting(), proxyRoutes: [{ pathPrefix: '/prometheus', upstream: CaddyUpstream.single('prometheus.ns.svc:9090'), auth }] };
    const text = caddy(props).caddyfileText;
    expect(text).toContain('\thandle @prometheus {\n\t\t# Basic auth: the account comes from Secret telemetry-auth (keys username, password-hash).\n\t\tbasicauth {\n\t\t\t"{$CADDY_AUTH_TELEMETRY_AUTH_USER}" "{$CADDY_AUTH_TELEMETRY_AUTH_HASH}"\n\t\t}\n\t\treverse_proxy prometheus.ns.svc:9090\n\t}');
  });
});

describe('counts that would print as 1e+21', () => {
  test('fails when a worker count, weight or status is in exponent form', () => {
    expect(() => CaddyLbFallback.weightedRoundRobin([1e21])).toThrow("'stickyCookie.fallback.weights[0]' is 1e+21, but it would be written in exponent form");
    expect(() => NginxAction.respond(1e21)).toThrow("'nginx.return' is 1e+21");
    expect(() => TelemetryMode.cloud({ endpoint: 'api.example.com:99999', auth: CloudAuth.none(), protocol: OtlpProtocol.GRPC })).toThrow("'mode.cloud.endpoint' is \"api.example.com:99999\", but port 99999 is out of range");
  });
});
