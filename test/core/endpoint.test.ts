import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { buildService, ClusterDomain, ConfigError, ExternalEndpoint, ExternalPeer, HostForm, PodEndpoint, ServiceEndpoint } from '../../lib/core';
import { DemoWorkload, newRelease, Template } from '../support';

/** A release `r` in namespace `shop` with a cache workload and its Service (two ports). */
function cache(release: Parameters<typeof newRelease>[0] = {}) {
  const r = newRelease({ namespace: 'shop', ...release });
  const w = new DemoWorkload(r, 'Cache', {
    name: 'cache',
    ports: [{ name: 'redis', port: 6379 }, { name: 'metrics', port: 9121 }],
    service: [{ name: 'redis', port: 6379 }, { name: 'http', port: 80, targetPort: 'metrics' }],
  });
  return { release: r, workload: w, endpoint: w.endpoint! };
}

describe('ServiceEndpoint', () => {
  test('carries the Service name, namespace, ports and the pods it routes to', () => {
    const { endpoint, workload } = cache();
    expect(endpoint.name).toBe('cache');
    expect(endpoint.namespace).toBe('shop');
    expect(endpoint.ports).toEqual([
      { name: 'redis', port: 6379, protocol: 'TCP', targetPort: 'redis' },
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 'metrics' },
    ]);
    expect(endpoint.pods).toBe(workload);
    expect(endpoint.description).toBe('Service shop/cache');
  });

  test('is rendered from the same spec as the Service, which selects the workload by its labels', () => {
    const { release, workload } = cache();
    const t = Template.fromRelease(release);
    t.hasObject('Service', 'cache', {
      spec: {
        selector: { ...workload.selector },
        ports: [
          { name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' },
          { name: 'http', port: 80, targetPort: 'metrics', protocol: 'TCP' },
        ],
      },
    });
    expect(t.podLabels('Deployment', 'cache')).toMatchObject(workload.selector);
  });

  test('assembles the DNS names in three forms and the FQDN from the cluster domain', () => {
    const { endpoint } = cache();
    expect(endpoint.fqdn()).toBe('cache.shop.svc.cluster.local');
    expect(endpoint.host()).toBe('cache.shop.svc.cluster.local');
    expect(endpoint.host(HostForm.SHORT)).toBe('cache');
    expect(endpoint.host(HostForm.NAMESPACED)).toBe('cache.shop.svc');
    expect(endpoint.hostPort('redis')).toBe('cache.shop.svc.cluster.local:6379');
    expect(endpoint.hostPort('redis', HostForm.SHORT)).toBe('cache:6379');
  });

  test('the cluster domain comes from the release, or from the nearest scope that configured one', () => {
    expect(cache({ clusterDomain: 'corp.k8s' }).endpoint.fqdn()).toBe('cache.shop.svc.corp.k8s');
    const r = newRelease({ namespace: 'shop' });
    const inner = new Construct(r, 'Inner');
    ClusterDomain.configure(inner, 'edge.local');
    const w = new DemoWorkload(inner, 'Cache', { name: 'cache', ports: [{ name: 'redis', port: 6379 }], service: [{ name: 'redis', port: 6379 }] });
    expect(w.endpoint!.fqdn()).toBe('cache.shop.svc.edge.local');
    expect(ClusterDomain.of(new App()).domain).toBe('cluster.local');
  });

  test('url() leaves out the default port of http and https only, and appends the path', () => {
    const { endpoint } = cache();
    expect(endpoint.url('redis', 'redis', { path: '/0', form: HostForm.SHORT })).toBe('redis://cache:6379/0');
    expect(endpoint.url('http', 'http')).toBe('http://cache.shop.svc.cluster.local');
    expect(endpoint.url('https', 'http')).toBe('https://cache.shop.svc.cluster.local:80');
    expect(endpoint.url('http', 'http', { path: '/prometheus', form: HostForm.NAMESPACED })).toBe('http://cache.shop.svc/prometheus');
  });

  test('fails when a port is not named on an endpoint with several ports, naming the ports there are', () => {
    const { endpoint } = cache();
    expect(() => endpoint.port()).toThrow(new ConfigError('port', undefined, 'one of redis, http', 'Service shop/cache has several ports, so the port must be named'));
    expect(() => endpoint.url('redis', 'redsi')).toThrow("'port' is \"redsi\"; allowed: a port of Service shop/cache: redis, http");
  });

  test('fails when the URL scheme or path is malformed', () => {
    const { endpoint } = cache();
    expect(() => endpoint.url('HTTP://', 'http')).toThrow("'url.scheme' is \"HTTP://\"; allowed: a lowercase URL scheme such as http, https, redis, nats or postgresql");
    expect(() => endpoint.url('http', 'http', { path: 'metrics' })).toThrow("'url.path' is \"metrics\"; allowed: a path starting with '/', without whitespace");
  });

  test('fails when two ports share a name or a number, or a name is not a port name', () => {
    const r = newRelease();
    const w = new DemoWorkload(r, 'W', { name: 'w' });
    const ep = (ports: Parameters<typeof ServiceEndpoint.forService>[1]['ports']) => () => ServiceEndpoint.forService(r, { name: 'w', ports, pods: w });
    expect(ep([{ name: 'http', port: 80 }, { name: 'http', port: 81 }])).toThrow("'service.ports[1].name' is \"http\"; allowed: a name not used by another port of the endpoint");
    expect(ep([{ name: 'a', port: 80 }, { name: 'b', port: 80 }])).toThrow("'service.ports[1].port' is 80; allowed: a port number not used twice with one protocol");
    expect(ep([{ name: 'HTTP', port: 80 }])).toThrow("'service.ports[0].name' is \"HTTP\"");
    expect(ep([{ name: 'http', port: 0 }])).toThrow("'service.ports[0].port' is 0; allowed: a port number 1-65535");
    expect(ep([])).toThrow("'service.ports' is []; allowed: at least one named port");
  });

  test('fails when its chart has no namespace, naming the construct', () => {
    const chart = new Chart(new App(), 'plain');
    expect(() => new DemoWorkloadInChart(chart)).toThrow(/'namespace' is undefined, but the Service at plain\/W is in a chart without a namespace/);
  });
});

/** A Service endpoint declared directly in a namespace-less chart. */
class DemoWorkloadInChart {
  constructor(chart: Chart) {
    const pods = { selector: { app: 'x' } } as unknown as DemoWorkload;
    ServiceEndpoint.forService(new Chart(chart, 'W'), { name: 'w', ports: [{ name: 'http', port: 80 }], pods });
  }
}

describe('ExternalEndpoint and ExternalPeer', () => {
  const pg = ExternalEndpoint.of({
    host: 'pg.corp.example',
    ports: [{ name: 'postgres', port: 5432 }],
    peer: ExternalPeer.cidr({ cidrs: ['10.20.0.0/16'], reason: 'the managed Postgres subnet' }),
    description: 'managed Postgres',
  });

  test('uses the host as declared, whatever form is asked for', () => {
    expect(pg.url('postgresql', undefined, { path: '/graphistry' })).toBe('postgresql://pg.corp.example:5432/graphistry');
    expect(pg.hostPort()).toBe('pg.corp.example:5432');
    expect(pg.hostFor(HostForm.SHORT, 'anything')).toBe('pg.corp.example');
    expect(pg.description).toBe('external managed Postgres (pg.corp.example)');
    expect(pg.port()).toEqual({ name: 'postgres', port: 5432, protocol: 'TCP', targetPort: 5432 });
  });

  test('brackets an IPv6 host', () => {
    const e = ExternalEndpoint.of({ host: 'fd00::5', ports: [{ name: 'http', port: 8080 }] });
    expect(e.url('http')).toBe('http://[fd00::5]:8080');
    expect(e.hostPort()).toBe('[fd00::5]:8080');
  });

  test('records the peer a NetworkPolicy needs', () => {
    expect(pg.targetRecord(pg.port())).toEqual({
      type: 'external', description: 'managed Postgres', host: 'pg.corp.example',
      port: { name: 'postgres', port: 5432, protocol: 'TCP', targetPort: 5432 },
      peer: { type: 'cidr', cidrs: ['10.20.0.0/16'], reason: 'the managed Postgres subnet' },
    });
    const peer = ExternalPeer.pods({ namespace: 'ingress-nginx', selector: { 'app.kubernetes.io/name': 'ingress-nginx' } });
    expect(peer.toRecord()).toEqual({ type: 'pods', namespace: 'ingress-nginx', selector: { 'app.kubernetes.io/name': 'ingress-nginx' } });
    expect(peer.description).toBe('pods ingress-nginx/app.kubernetes.io/name=ingress-nginx');
  });

  test('fails when the host carries a scheme or port, or a port forwards somewhere', () => {
    expect(() => ExternalEndpoint.of({ host: 'postgres://pg:5432', ports: [{ name: 'pg', port: 5432 }] })).toThrow(
      "'endpoint.host' is \"postgres://pg:5432\"; allowed: a lowercase DNS name or an IP address, without scheme or port",
    );
    expect(() => ExternalEndpoint.of({ host: 'pg', ports: [{ name: 'pg', port: 5432, targetPort: 'db' }] })).toThrow(
      "'endpoint.ports[0].targetPort' is \"db\"; allowed: unset (only Service ports forward to a container port)",
    );
  });

  test('fails when a peer is malformed: bad CIDR, no reason, empty selector', () => {
    expect(() => ExternalPeer.cidr({ cidrs: ['10.0.0.0/33'], reason: 'x' })).toThrow("'peer.cidrs[0]' is \"10.0.0.0/33\"; allowed: an IPv4 or IPv6 CIDR");
    expect(() => ExternalPeer.cidr({ cidrs: ['10.0.0.0/8'], reason: ' ' })).toThrow("'peer.reason' is \" \"; allowed: a non-empty reason");
    expect(() => ExternalPeer.pods({ namespace: 'ingress', selector: {} })).toThrow("'peer.selector' is {}; allowed: at least one label (an empty selector would allow every pod of the namespace)");
  });
});

describe('PodEndpoint', () => {
  test('records pods reached by discovery, and has no host name to hand out', () => {
    const r = newRelease({ namespace: 'mon' });
    const w = new DemoWorkload(r, 'Exporter', { name: 'exporter', ports: [{ name: 'metrics', port: 9100 }] });
    const pods = PodEndpoint.of(w, [{ name: 'metrics', port: 9100 }]);
    expect(pods.targetRecord(pods.port(), () => 'r')).toEqual({
      type: 'pods', release: 'r', namespace: 'mon', selector: w.selector, port: { name: 'metrics', port: 9100, protocol: 'TCP', targetPort: 'metrics' },
    });
    expect(() => pods.hostFor(HostForm.FQDN, 'mon')).toThrow(/are found by discovery and have no host name; connect to a Service to get an address/);
  });
});

describe('a headless Service without ports', () => {
  test('renders no ports and an endpoint that refuses to name one', () => {
    const r = newRelease();
    const pods = new DemoWorkload(r, 'Pods', { name: 'pods' });
    const { service, endpoint } = buildService(r, 'Headless', { name: 'pods-headless', labels: pods.selector, pods, ports: [], headless: true });
    expect(service.toJson().spec.ports).toBeUndefined();
    expect(endpoint.ports).toEqual([]);
    expect(() => endpoint.port()).toThrow(/has no ports/);
  });

  test('fails when a ClusterIP Service has no ports', () => {
    const r = newRelease();
    const pods = new DemoWorkload(r, 'Pods', { name: 'pods' });
    expect(() => buildService(r, 'S', { name: 'pods', labels: pods.selector, pods, ports: [] })).toThrow(/'service.ports' is \[\]; allowed: at least one named port/);
  });
});
