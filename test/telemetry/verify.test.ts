import { Size } from 'cdk8s';
import { verifyManifests } from '../../lib/verify';
import { CloudAuth, DcgmExporterSource, NodeExporterHostAccess, NodeExporterSource, TelemetryMode } from '../../lib/telemetry';
import { render } from './helpers';

const VARIANTS: Array<[string, Parameters<typeof render>[0]]> = [
  ['defaults', {}],
  ['cloud', { mode: TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', auth: CloudAuth.basic({ secretName: 'otel-cloud', usernameKey: 'u', passwordKey: 'p' }) }) }],
  ['external exporters, persistence off', { dcgmExporter: DcgmExporterSource.external('dcgm.gpu.svc:9400'), nodeExporter: NodeExporterSource.external('10.0.0.5:9100'), prometheus: { persistence: { enabled: false } }, grafana: { persistence: { enabled: false } }, jaeger: { persistence: { enabled: false } } }],
  ['strict node-exporter, pod-resources mapping, existing claim', { nodeExporter: NodeExporterSource.bundled({ hostAccess: NodeExporterHostAccess.none() }), dcgmExporter: DcgmExporterSource.bundled({ podResourcesMapping: true }), grafana: { persistence: { existingClaim: 'grafana-old' } }, prometheus: { retentionSize: Size.gibibytes(10) } }],
];

describe('the verification layer accepts every variant', () => {
  test.each(VARIANTS)('%s: schema, policy and references are clean, and every declared exception is needed', (_name, props) => {
    const report = verifyManifests(render(props).objects as any);
    expect(report.violations).toEqual([]);
    expect(report.exceptions.filter((e) => !e.used)).toEqual([]);
  });

  test('the exceptions are exactly the host access of node-exporter and root plus SYS_ADMIN for dcgm-exporter', () => {
    const report = verifyManifests(render().objects as any);
    expect(report.exceptions.map((e) => `${e.object} ${e.rule}`)).toEqual([
      'DaemonSet/ns/dcgm-exporter capabilities-dropped',
      'DaemonSet/ns/dcgm-exporter non-root',
      'DaemonSet/ns/node-exporter no-host-access',
    ]);
    expect(report.externals.map((e) => [e.ref, e.referencedBy])).toEqual([['Secret/ns/grafana-admin', ['Deployment/ns/grafana']]]);
  });
});
