import { Size } from 'cdk8s';
import { ExternalPeer } from '../../lib/core';
import { verifyManifests } from '../../lib/verify';
import { CloudAuth, DcgmExporterSource, NodeExporterHostAccess, NodeExporterSource, TelemetryMode } from '../../lib/telemetry';
import { render } from './helpers';

const VARIANTS: Array<[string, Parameters<typeof render>[0]]> = [
  ['defaults', {}],
  ['cloud', { mode: TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', auth: CloudAuth.basic({ secretName: 'otel-cloud', usernameKey: 'u', passwordKey: 'p' }), peer: ExternalPeer.anywhere({ reason: 'the SaaS endpoint, whose addresses change' }) }) }],
  ['external exporters, persistence off', { dcgmExporter: DcgmExporterSource.external('dcgm.gpu.svc:9400', { peer: ExternalPeer.pods({ namespace: 'gpu-operator', selector: { app: 'nvidia-dcgm-exporter' } }) }), nodeExporter: NodeExporterSource.external('10.0.0.5:9100', { peer: ExternalPeer.cidr({ cidrs: ['10.0.0.5/32'], reason: 'the node' }) }), prometheus: { persistence: { enabled: false } }, grafana: { persistence: { enabled: false } }, jaeger: { persistence: { enabled: false } } }],
  ['strict node-exporter, pod-resources mapping, existing claim', { nodeExporter: NodeExporterSource.bundled({ hostAccess: NodeExporterHostAccess.none() }), dcgmExporter: DcgmExporterSource.bundled({ podResourcesMapping: true }), grafana: { persistence: { existingClaim: 'grafana-old' } }, prometheus: { retentionSize: Size.gibibytes(10) } }],
];

describe('the verification layer accepts every variant', () => {
  test.each(VARIANTS)('%s: schema, policy and references are clean, and every declared exception is needed', (_name, props) => {
    const report = verifyManifests(render(props).objects as any);
    expect(report.violations).toEqual([]);
    expect(report.exceptions.filter((e) => !e.used)).toEqual([]);
  });

  test('the exceptions are exactly the host access of node-exporter, root plus SYS_ADMIN for dcgm-exporter, and the open peers of Prometheus and the collector', () => {
    const rendered = render();
    const report = verifyManifests(rendered.objects as any);
    expect(report.exceptions.map((e) => `${e.object} ${e.rule}`)).toEqual([
      'DaemonSet/ns/dcgm-exporter capabilities-dropped',
      'DaemonSet/ns/dcgm-exporter non-root',
      'DaemonSet/ns/node-exporter no-host-access',
      // Undeclared API server and node addresses: Prometheus may reach any address on 443/6443 (discovery) and 9100
      // (the host-network node-exporter), and its policy says why.
      // The collector's init waits read Services and pods from the API (Wiring.connectToKubernetesApi through its
      // pod's addWait), and the API server's addresses are undeclared here: any address on 443/6443, said on its policy.
      'NetworkPolicy/ns/otel-collector netpol-open-peer',
      'NetworkPolicy/ns/prometheus netpol-open-peer',
    ]);
    const collector = rendered.objects.find((o: any) => o.kind === 'NetworkPolicy' && o.metadata.name === 'otel-collector') as any;
    const apiRule = collector.spec.egress.find((r: any) => r.ports?.some((p: any) => p.port === 6443));
    expect(apiRule.ports.map((p: any) => p.port)).toEqual([443, 6443]);
    expect(collector.metadata.annotations['policy.ops-kit.io/netpol-open-peer']).toContain("the API server's addresses are not declared");
    expect(report.externals.map((e) => [e.ref, e.referencedBy])).toEqual([['Secret/ns/grafana-admin', ['Deployment/ns/grafana']]]);
  });
});
