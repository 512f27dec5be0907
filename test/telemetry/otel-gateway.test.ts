import { App, Size } from 'cdk8s';
import { parse } from 'yaml';
import { MinioServer, ObjectStorage, PostgresServer } from '../../lib';
import { Quickwit, QuickwitMetastore } from '../../lib/quickwit';
import { OtelGateway, Prometheus } from '../../lib/telemetry';
import { DemoWorkload, envOf, newRelease, Obj, Template } from '../support';

function platform(app = new App()) {
  const r = newRelease({}, app);
  const minio = new MinioServer(r, 'Minio', { rootCredentials: { secretName: 'minio-root' } });
  const pg = new PostgresServer(r, 'Pg', { superuser: { password: { name: 'pg', key: 'password' }, url: { name: 'pg', key: 'url' } } });
  const quickwit = new Quickwit(r, 'Quickwit', {
    indexStorage: ObjectStorage.minio({ bucket: minio.addBucket('quickwit'), auth: minio.rootKeys() }),
    metastore: QuickwitMetastore.postgres(pg),
  });
  const gateway = new OtelGateway(r, 'Otel', { name: 'otel-collector', logsAndTraces: quickwit.otlpTarget });
  const prometheus = new Prometheus(r, 'Prometheus', {
    name: 'prometheus', routePrefix: '', externalUrl: '/', scrapeTargets: gateway.scrapeTargets(),
    persistence: { size: Size.gibibytes(20) },
  });
  new DemoWorkload(r, 'Api', { name: 'api', connect: [(b) => gateway.connect(b, { serviceName: 'api' })] });
  return { r, gateway, prometheus, quickwit, t: Template.verified(r) };
}

describe('OtelGateway (collector as a Deployment)', () => {
  const { gateway, t } = platform();
  const dep = t.find('Deployment', 'otel-collector');
  const config = parse(t.find('ConfigMap', 'otel-collector-config').data['collector.yaml']);

  test('snapshot', () => {
    expect(t.objectsOf(gateway)).toMatchSnapshot();
  });

  test('a Deployment of 2 behind a ClusterIP Service (not node-local), no DaemonSet', () => {
    expect(dep.spec.replicas).toBe(2);
    expect(gateway.node.findChild('Resource')).toBe(gateway.deployment);
    expect(t.ids().filter((id) => id.startsWith('DaemonSet/'))).toEqual([]);
    const svc = t.find('Service', 'otel-collector');
    expect(svc.spec.internalTrafficPolicy).toBeUndefined();
    expect(svc.spec.ports.map((p: Obj) => [p.name, p.port])).toEqual([['otlp-grpc', 4317], ['otlp-http', 4318]]);
  });

  test('logs and traces go to Quickwit over OTLP/gRPC (7281 of the Service the release renders); metrics to the Prometheus exporter', () => {
    expect(config.exporters['otlp/logs-traces']).toEqual({ endpoint: 'r-quickwit.ns.svc:7281', tls: { insecure: true } });
    expect(t.find('Service', 'r-quickwit').spec.ports.map((p: Obj) => [p.name, p.port])).toContainEqual(['grpc', 7281]);
    expect(config.service.pipelines.traces.exporters).toEqual(['otlp/logs-traces']);
    expect(config.service.pipelines.logs.exporters).toEqual(['otlp/logs-traces']);
    expect(config.service.pipelines.metrics.exporters).toEqual(['prometheus']);
    expect(config.exporters.prometheus.endpoint).toBe('${env:MY_POD_IP}:8889');
  });

  test('Prometheus scrapes each gateway pod (metrics and self-metrics), discovering pods in its own namespace only', () => {
    const prom = parse(t.find('ConfigMap', 'prometheus-config').data['prometheus.yml']);
    const jobs = prom.scrape_configs.filter((j: Obj) => j.kubernetes_sd_configs);
    expect(jobs.map((j: Obj) => j.job_name)).toEqual(['otel-collector', 'otel-collector-self']);
    for (const j of jobs) for (const sd of j.kubernetes_sd_configs) expect(sd.namespaces).toEqual({ names: ['ns'] });
  });

  test("Prometheus' RoleBinding binds its Role to exactly the ServiceAccount its pod runs as (seed 002: discovery got 403)", () => {
    const pod = t.find('Deployment', 'prometheus').spec.template.spec;
    const rb = t.find('RoleBinding', 'prometheus');
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'ns' }]);
    expect(rb.roleRef).toMatchObject({ kind: 'Role', name: 'prometheus' });
    expect(t.ids().filter((id) => /^Cluster/.test(id))).toEqual([]);
  });

  test('an application gets OTEL_EXPORTER_OTLP_ENDPOINT naming the gateway Service, from the connection', () => {
    const env = envOf(t.container('Deployment', 'api', 'main'));
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector.ns.svc:4317');
    expect(env.OTEL_SERVICE_NAME).toBe('api');
  });

  test('the config passes the collector validation (CollectorConfig.validate)', () => {
    expect(() => gateway.config.validate()).not.toThrow();
  });
});

describe('OtelGateway custom and fails', () => {
  test('without a logs and traces destination: a metrics pipeline only', () => {
    const r = newRelease();
    const g = new OtelGateway(r, 'Otel', { name: 'gw', replicas: 1 });
    const config = parse(Template.fromRelease(r).find('ConfigMap', 'gw-config').data['collector.yaml']);
    expect(Object.keys(config.service.pipelines)).toEqual(['metrics']);
    expect(g.deployment.name).toBe('gw');
  });

  test('fails when replicas is 0', () => {
    expect(() => new OtelGateway(newRelease(), 'Otel', { name: 'gw', replicas: 0 })).toThrow(/'replicas' is 0/);
  });

  test('fails when a client has no service name', () => {
    const r = newRelease();
    const g = new OtelGateway(r, 'Otel', { name: 'gw' });
    expect(() => new DemoWorkload(r, 'Api', { name: 'api', connect: [(b) => g.connect(b, { serviceName: '' })] })).toThrow(/'serviceName' is "".*the name the container's telemetry carries/s);
  });
});
