import { Duration, Size } from 'cdk8s';
import { ConfigErrors, NodeSelection } from '../../lib/core';
import {
  CloudAuth,
  DcgmExporterSource,
  FsGroup,
  NodeExporterHostAccess,
  NodeExporterSource,
  OtlpProtocol,
  TelemetryMode,
} from '../../lib/telemetry';
import { parseHostPort } from '../../lib/telemetry/common';
import { find, render } from './helpers';

const basic = CloudAuth.basic({ secretName: 'otel-cloud', usernameKey: 'user', passwordKey: 'token' });

describe('parseHostPort', () => {
  test('accepts DNS names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('p', 'dcgm.gpu-operator.svc:9400')).toEqual({ host: 'dcgm.gpu-operator.svc', port: 9400 });
    expect(parseHostPort('p', '10.0.0.5:9100')).toEqual({ host: '10.0.0.5', port: 9100 });
    expect(parseHostPort('p', '[fd00::5]:9100')).toEqual({ host: '[fd00::5]', port: 9100 });
  });

  test('fails when the endpoint has a scheme, a path, no port or a bad port', () => {
    expect(() => parseHostPort('dcgmExporter.external', 'http://dcgm:9400')).toThrow(/'dcgmExporter.external' is "http:\/\/dcgm:9400", but it has a scheme/);
    expect(() => parseHostPort('p', 'dcgm:9400/metrics')).toThrow(/'p' is "dcgm:9400\/metrics"/);
    expect(() => parseHostPort('p', 'dcgm')).toThrow(/'p' is "dcgm"/);
    expect(() => parseHostPort('p', 'dcgm:70000')).toThrow(/port 70000 is out of range/);
    expect(() => parseHostPort('p', 'DCGM:9400')).toThrow(/not a lowercase DNS name/);
  });
});

describe('fails when', () => {
  test('fails when an external exporter endpoint is not host:port', () => {
    expect(() => DcgmExporterSource.external('https://dcgm:9400')).toThrow(/'dcgmExporter.external'/);
    expect(() => NodeExporterSource.external('node-exporter')).toThrow(/'nodeExporter.external' is "node-exporter"/);
  });

  test('fails when the cloud endpoint is not a URL, or sends credentials over plain http', () => {
    expect(() => TelemetryMode.cloud({ endpoint: 'otlp.example.com', auth: basic })).toThrow(/'mode.cloud.endpoint' is "otlp.example.com"/);
    expect(() => TelemetryMode.cloud({ endpoint: 'http://otlp.example.com/otlp', auth: basic })).toThrow(/credentials would cross the network in clear text/);
    expect(() => TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', protocol: OtlpProtocol.GRPC, auth: basic })).toThrow(/host:port or https:\/\/host:port/);
    expect(TelemetryMode.cloud({ endpoint: 'http://gateway.internal:4318', auth: CloudAuth.none() }).selfHosted).toBe(false);
    expect(() => TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', auth: { secretName: 's' } as unknown as CloudAuth })).toThrow(/'mode.cloud.auth' is \{"secretName":"s"\}; allowed: CloudAuth.basic/);
  });

  test('fails when a credential reference is not a Secret name and key', () => {
    expect(() => CloudAuth.basic({ secretName: 'Otel_Cloud', usernameKey: 'u', passwordKey: 'p' })).toThrow(/'mode.cloud.auth.secretName' is "Otel_Cloud"/);
    expect(() => CloudAuth.header({ secretName: 's', key: 'a key' })).toThrow(/'mode.cloud.auth.key' is "a key"/);
    expect(() => CloudAuth.header({ secretName: 's', key: 'k', headerName: 'Bad Header' })).toThrow(/'mode.cloud.auth.headerName'/);
    expect(() => TelemetryMode.selfHosted({ grafanaAdmin: { secretName: '' } })).toThrow(/'mode.selfHosted.grafanaAdmin.secretName' is ""/);
  });

  test('fails when self-hosted member settings are given in cloud mode', () => {
    const mode = TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', auth: basic });
    expect(() => render({ mode, grafana: { anonymousAccess: true } })).toThrow(/'grafana' is \{"anonymousAccess":true\}, but cloud mode renders no grafana/);
  });

  test('fails when route prefixes have a trailing slash or nest inside each other', () => {
    expect(() => render({ routePrefixes: { grafana: '/grafana/' } })).toThrow(/'routePrefixes.grafana' is "\/grafana\/"/);
    expect(() => render({ routePrefixes: { grafana: 'grafana' } })).toThrow(/'routePrefixes.grafana' is "grafana"/);
    expect(() => render({ routePrefixes: { grafana: '/ops', prometheus: '/ops/prometheus' } })).toThrow(/'routePrefixes.prometheus' is "\/ops\/prometheus".*nests inside routePrefixes.grafana/);
  });

  test("fails when Grafana's root URL path disagrees with its route prefix", () => {
    expect(() => render({ grafana: { rootUrl: 'https://viz.example.com/dashboards/' } })).toThrow(/'grafana.rootUrl' is "https:\/\/viz.example.com\/dashboards\/", but its path \/dashboards differs from the route prefix/);
    const ok = render({ grafana: { rootUrl: '%(protocol)s://%(domain)s:%(http_port)s/grafana/' } }).objects;
    const env = find(ok, 'Deployment', 'grafana').spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'GF_SERVER_ROOT_URL').value).toBe('%(protocol)s://%(domain)s:%(http_port)s/grafana/');
  });

  test('fails when env overrides a key the stack owns (anonymous Admin, a literal admin password)', () => {
    expect(() => render({ grafana: { env: { GF_AUTH_ANONYMOUS_ORG_ROLE: 'Admin' } } })).toThrow(/'grafana.env.GF_AUTH_ANONYMOUS_ORG_ROLE' is "Admin", but GF_AUTH_ANONYMOUS_ORG_ROLE is owned by Grafana/);
    expect(() => render({ grafana: { env: { GF_SECURITY_ADMIN_PASSWORD: 'admin' } } })).toThrow(/'grafana.env.GF_SECURITY_ADMIN_PASSWORD'/);
    expect(() => render({ jaeger: { env: { QUERY_BASE_PATH: '/' } } })).toThrow(/'jaeger.env.QUERY_BASE_PATH'/);
    expect(() => render({ collector: { env: { MY_POD_IP: '0.0.0.0' } } })).toThrow(/'collector.env.MY_POD_IP'/);
  });

  test('the default Prometheus retention size follows the claim: 85% of a larger claim, none on an emptyDir, a warning on an existing claim', () => {
    const argsOf = (r: ReturnType<typeof render>) => (r.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'prometheus') as any).spec.template.spec.containers[0].args as string[];
    const sizeArg = (args: string[]) => args.find((a) => a.startsWith('--storage.tsdb.retention.size='));
    expect(sizeArg(argsOf(render({ prometheus: { persistence: { size: Size.gibibytes(100) } } })))).toBe('--storage.tsdb.retention.size=87040MB');
    // Rounded down to whole MiB: 85% of 1000Mi is 850Mi.
    expect(sizeArg(argsOf(render({ prometheus: { persistence: { size: Size.mebibytes(1000) } } })))).toBe('--storage.tsdb.retention.size=850MB');
    expect(sizeArg(argsOf(render({ prometheus: { persistence: { enabled: false } } })))).toBeUndefined();
    const existing = render({ prometheus: { persistence: { existingClaim: 'prom-old' } } });
    expect(sizeArg(argsOf(existing))).toBeUndefined();
    expect(existing.out.warnings.join('\n')).toMatch(/existing claim prom-old with no size bound.*Fix: in the props of TelemetryStack "r\/Telemetry", set prometheus.retentionSize: Size.gibibytes\(17\)\./);
    const bounded = render({ prometheus: { persistence: { existingClaim: 'prom-old' }, retentionSize: Size.gibibytes(40) } });
    expect(sizeArg(argsOf(bounded))).toBe('--storage.tsdb.retention.size=40960MB');
    expect(bounded.out.warnings.join('\n')).not.toMatch(/prom-old/);
  });

  test('fails when the Prometheus retention size would fill its claim', () => {
    expect(() => render({ prometheus: { retentionSize: Size.gibibytes(20) } })).toThrow(/'prometheus.retentionSize' is "20Gi", but the TSDB would fill the volume/);
    expect(() => render({ prometheus: { retentionSize: Size.gibibytes(50), persistence: { size: Size.gibibytes(40) } } })).toThrow(/less than the claim size \(40Gi\)/);
    expect(() => render({ prometheus: { retentionSize: Size.kibibytes(1536) } })).toThrow(/'prometheus.retentionSize' is "1536Ki"; allowed: a whole number of MiB > 0/);
    expect(() => render({ prometheus: { persistence: { size: Size.mebibytes(1) } } })).toThrow(/'prometheus.persistence.size' is "1Mi", but the default retentionSize is 85% of the claim/);
  });

  test('fails when Jaeger retention is set without persistence', () => {
    expect(() => render({ jaeger: { persistence: { enabled: false }, retention: Duration.hours(24) } })).toThrow(/'jaeger.retention' is "24h", but the in-memory store has no time-based retention/);
  });

  test('fails when an existing claim is combined with a size, or with persistence off', () => {
    expect(() => render({ grafana: { persistence: { existingClaim: 'g', size: Size.gibibytes(1) } } })).toThrow(/'grafana.persistence.existingClaim' is "g"/);
    expect(() => render({ grafana: { persistence: { enabled: false, existingClaim: 'g' } } })).toThrow(/unset when persistence is disabled/);
  });

  test('fails when a storage class is not a valid name', () => {
    expect(() => render({ storageClassName: 'Retain SC' })).toThrow(/'storageClassName' is "Retain SC"/);
    expect(() => render({ jaeger: { persistence: { storageClassName: 'a_b' } } })).toThrow(/'jaeger.persistence.storageClassName' is "a_b"/);
  });

  test('fails when an image is unpinned', () => {
    expect(() => render({ prometheus: { image: 'prom/prometheus:latest' } })).toThrow(/'prometheus.image' is "prom\/prometheus:latest"/);
    expect(() => render({ dcgmExporter: DcgmExporterSource.bundled({ image: 'nvcr.io/nvidia/k8s/dcgm-exporter' }) })).toThrow(/'dcgmExporter.image'/);
  });

  test('fails when the name prefix is not a short DNS label', () => {
    expect(() => render({ namePrefix: 'Obs' })).toThrow(/'namePrefix' is "Obs"/);
    expect(() => render({ namePrefix: 'a'.repeat(31) })).toThrow(/it is 31 characters long/);
  });

  test('fails when dcgm-exporter is given an empty node selector', () => {
    expect(() => render({ dcgmExporter: DcgmExporterSource.bundled({ placement: { nodeSelection: NodeSelection.everywhere() } }) })).toThrow(
      /'dcgmExporter.placement.nodeSelection' is "everywhere", but a per-node agent never follows the release-wide selector/,
    );
    expect(() => render({ dcgmExporter: DcgmExporterSource.bundled({ placement: { nodeSelection: NodeSelection.inherit() } }) })).toThrow(/'dcgmExporter.placement.nodeSelection' is "inherit"/);
  });

  test('fails when an extra scrape job reuses a stack job name', () => {
    expect(() => render({ prometheus: { extraScrapeConfigs: [{ jobName: 'node-exporter', staticConfigs: [{ targets: ['x:9100'] }] }] } })).toThrow(/'prometheus.extraScrapeConfigs\[0\].jobName' is "node-exporter"/);
  });

  test('fails when the public URL is not absolute', () => {
    expect(() => render({ publicUrl: 'viz.example.com' })).toThrow(/'publicUrl' is "viz.example.com"/);
  });

  test('fails when the dcgm-exporter RuntimeClass is not a valid name', () => {
    expect(() => render({ dcgmExporter: DcgmExporterSource.bundled({ runtimeClassName: 'NVIDIA' }) })).toThrow(/'dcgmExporter.runtimeClassName' is "NVIDIA"/);
  });

  test('fails when the cloud protocol is not one the collector speaks', () => {
    expect(() => TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', auth: basic, protocol: 'thrift' as OtlpProtocol })).toThrow(/'mode.cloud.protocol' is "thrift"; allowed: OtlpProtocol.HTTP or OtlpProtocol.GRPC/);
  });

  test('fails when an extra scrape job has no targets, an empty target list, a bad label name or a hashmod without modulus', () => {
    const job = (j: object) => render({ prometheus: { extraScrapeConfigs: [{ jobName: 'app', ...j }] } });
    expect(() => job({})).toThrow(/'prometheus.extraScrapeConfigs\[0\]' is "app".*it has no targets/);
    expect(() => job({ staticConfigs: [{ targets: [] }] })).toThrow(/'prometheus.extraScrapeConfigs\[0\].staticConfigs\[0\].targets' is \[\]; allowed: at least one host:port target/);
    expect(() => job({ staticConfigs: [{ targets: ['a:1'], labels: { 'team-name': 'x' } }] })).toThrow(/'prometheus.extraScrapeConfigs\[0\].staticConfigs\[0\].labels' is "team-name"/);
    expect(() => job({ staticConfigs: [{ targets: ['a:1'] }], relabelConfigs: [{ sourceLabels: ['__address__'], targetLabel: 'shard', action: 'hashmod' }] })).toThrow(/'prometheus.extraScrapeConfigs\[0\].relabelConfigs\[0\].modulus' is undefined; allowed: a whole number > 0/);
  });

  test('fails when an fsGroup is negative', () => {
    expect(() => FsGroup.of(-1)).toThrow(/'fsGroup' is -1/);
  });
});

describe('node-exporter host access', () => {
  test('full access is three read-only hostPath mounts and hostNetwork, each named on the DaemonSet; no hostPID', () => {
    const ds = find(render().objects, 'DaemonSet', 'node-exporter');
    const spec = ds.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.hostPID).toBeUndefined();
    expect(spec.volumes.map((v: any) => v.hostPath.path)).toEqual(['/proc', '/sys', '/']);
    expect(spec.containers[0].volumeMounts.every((m: any) => m.readOnly)).toBe(true);
    const reasons = ds.metadata.annotations['policy.ops-kit.io/no-host-access'].split('; ');
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/hostPath/);
    expect(reasons[1]).toMatch(/hostNetwork/);
  });

  test("with hostNetwork it listens on the node's IP only (downward API), not on every host interface; the probes and the scrape port still match", () => {
    const c = find(render().objects, 'DaemonSet', 'node-exporter').spec.template.spec.containers[0];
    const listen = c.args.filter((a: string) => a.startsWith('--web.listen-address='));
    expect(listen).toEqual(['--web.listen-address=[$(HOST_IP)]:9100']);
    expect(c.env).toEqual([{ name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }]);
    // The kubelet probes the pod IP, which with hostNetwork is the node IP the exporter binds.
    expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 'metrics' });
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9100 }]);
  });

  test('no access: no host fields, no exception, and the pod-scoped collectors are off', () => {
    const ds = find(render({ nodeExporter: NodeExporterSource.bundled({ hostAccess: NodeExporterHostAccess.none() }) }).objects, 'DaemonSet', 'node-exporter');
    const spec = ds.spec.template.spec;
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.volumes).toBeUndefined();
    expect(ds.metadata.annotations).toBeUndefined();
    expect(spec.containers[0].args).toEqual(expect.arrayContaining(['--no-collector.filesystem', '--no-collector.netdev']));
    expect(spec.containers[0].args.some((a: string) => a.startsWith('--path.'))).toBe(false);
    // In the pod's own network namespace every interface is the pod's: listen on all of them, no node IP needed.
    expect(spec.containers[0].args).toContain('--web.listen-address=:9100');
    expect(spec.containers[0].env).toBeUndefined();
  });
});

describe('dcgm-exporter defaults', () => {
  test('runs as root with SYS_ADMIN for profiling metrics, each a named exception; no host access', () => {
    const ds = find(render().objects, 'DaemonSet', 'dcgm-exporter');
    expect(ds.metadata.annotations['policy.ops-kit.io/non-root']).toBeDefined();
    expect(ds.metadata.annotations['policy.ops-kit.io/capabilities-dropped']).toMatch(/CAP_SYS_ADMIN/);
    expect(ds.metadata.annotations['policy.ops-kit.io/no-host-access']).toBeUndefined();
    const c = ds.spec.template.spec.containers[0];
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['SYS_ADMIN'] });
    expect(c.securityContext.privileged).toBe(false);
    expect(ds.spec.template.spec.securityContext.runAsUser).toBe(0);
  });

  test('the profiling capability is spelled SYS_ADMIN: the API server rejects CAP_SYS_ADMIN next to allowPrivilegeEscalation false', () => {
    const c = find(render().objects, 'DaemonSet', 'dcgm-exporter').spec.template.spec.containers[0];
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext.capabilities.add).toEqual(['SYS_ADMIN']);
    expect(c.securityContext.capabilities.add.some((cap: string) => cap.startsWith('CAP_'))).toBe(false);
  });

  test('memory: 512Mi request, 1Gi limit, room for the embedded DCGM host engine on multi-GPU nodes', () => {
    const c = find(render().objects, 'DaemonSet', 'dcgm-exporter').spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1Gi' } });
  });
});

describe('TelemetryStack fails when', () => {
  test('fails when several props are wrong, reporting every mistake in one error', () => {
    let error: unknown;
    try {
      render({ namePrefix: 'Bad_Prefix', storageClassName: 'Fast SSD', publicUrl: 'viz.example.com', routePrefixes: { grafana: '/x', prometheus: '/x' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).errors.map((e) => e.prop)).toEqual(['namePrefix', 'storageClassName', 'routePrefixes.prometheus', 'publicUrl']);
  });
});
