/**
 * `promtool check config` (Debian's prometheus package, 2.42) on the prometheus.yml the TelemetryStack generates.
 *
 * Debian builds Prometheus without Kubernetes service discovery (dropped in its 1.5.0 packaging for the weight of
 * client-go), so its promtool rejects `kubernetes_sd_configs` as an unknown field. The checks here therefore:
 * 1. run the file verbatim and require that the ONLY thing rejected is that field;
 * 2. project the Kubernetes SD blocks onto file SD holding the pods the rendered workloads would create (with the
 *    exact `__meta_kubernetes_pod_*` labels) and require a clean pass: global settings, every job, every relabel
 *    rule and regex, and the target files themselves are checked;
 * 3. check the collector's own scrape config (cloud mode, static targets only) verbatim.
 * What step 2 replaces, the `kubernetes_sd_configs` blocks themselves, is checked by the projection against the rules
 * Prometheus applies when it loads them (test/telemetry/sd-projection.ts, `checkKubernetesSdConfig`, with its own
 * unit tests), and the projection lists pods through each block's namespaces and label selector as the API server
 * would. No promtool with Kubernetes SD is available here: Debian ships only this build, and npm has none.
 * A missing promtool fails the suite: the CI install step is broken.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Size } from 'cdk8s';
import { ExternalPeer } from '../../lib/core';
import { stringify } from 'yaml';
import { CloudAuth, DcgmExporterSource, NodeExporterSource, TelemetryMode } from '../../lib/telemetry';
import { collectorYaml, prometheusYaml, render } from '../telemetry/helpers';
import { projectToFileSd, SimNode, simulatePods } from '../telemetry/sd-projection';

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

const NODES: SimNode[] = [
  { name: 'cpu-1', ip: '127.20.0.1', labels: { 'graphistry.io/role': 'cpu' } },
  { name: 'gpu-1', ip: '127.20.0.2', labels: { 'graphistry.io/role': 'gpu', 'nvidia.com/gpu.present': 'true' } },
  { name: 'gpu-2', ip: '127.20.0.3', labels: { 'graphistry.io/role': 'gpu', 'nvidia.com/gpu.present': 'true' } },
];

const VARIANTS: Array<[string, Parameters<typeof render>[0]]> = [
  ['defaults', {}],
  ['external exporters', { dcgmExporter: DcgmExporterSource.external('nvidia-dcgm-exporter.gpu-operator.svc:9400', { peer: ExternalPeer.pods({ namespace: 'gpu-operator', selector: { app: 'nvidia-dcgm-exporter' } }) }), nodeExporter: NodeExporterSource.external('[fd00::5]:9100', { peer: ExternalPeer.cidr({ cidrs: ['fd00::5/128'], reason: 'the node' }) }) }],
  [
    'custom prefixes, names and jobs',
    {
      namePrefix: 'obs',
      routePrefixes: { prometheus: '/ops/prom' },
      publicUrl: 'https://viz.example.com',
      prometheus: {
        retentionSize: Size.gibibytes(10),
        enableAdminApi: true,
        extraScrapeConfigs: [{ jobName: 'app', metricsPath: '/internal/metrics', staticConfigs: [{ targets: ['app.ns.svc:8080'], labels: { team: 'viz' } }], relabelConfigs: [{ targetLabel: 'cluster', replacement: 'prod' }], metricRelabelConfigs: [{ sourceLabels: ['__name__'], regex: 'go_.*', action: 'drop' }] }],
      },
    },
  ],
];

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function promtool(file: string): { code: number; output: string } {
  // Fail, never skip: a missing binary means the CI install step is broken.
  if (!fs.existsSync(PROMTOOL)) throw new Error(`promtool not found at ${PROMTOOL}; install the Debian package prometheus`);
  const r = spawnSync(PROMTOOL, ['check', 'config', file], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function write(name: string, content: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('promtool check config', () => {
  test('promtool is installed', () => {
    expect(fs.existsSync(PROMTOOL)).toBe(true);
  });

  test.each(VARIANTS)('%s: the verbatim file is rejected only for kubernetes_sd_configs (absent from Debian\'s build)', (name, props) => {
    const { objects } = render(props);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('prometheus-config')) as any;
    const r = promtool(write(`${name.replace(/\W+/g, '-')}-verbatim.yml`, cm.data['prometheus.yml']));
    if (r.code === 0) return; // a promtool built with Kubernetes SD accepts the file as is
    const errors = r.output.split('\n').filter((l) => /line \d+:/.test(l));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/field kubernetes_sd_configs not found/);
  });

  test.each(VARIANTS)('%s: passes with Kubernetes SD projected onto file SD', (name, props) => {
    const { objects } = render(props);
    const cmName = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('prometheus-config'))!.metadata.name;
    const dir = fs.mkdtempSync(path.join(tmp, 'sd-'));
    const projected = projectToFileSd(prometheusYaml(objects, cmName), simulatePods(objects, NODES), dir);
    const r = promtool(write(`${name.replace(/\W+/g, '-')}-projected.yml`, stringify(projected)));
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  test("cloud mode: the collector's scrape config passes verbatim", () => {
    const { objects } = render({
      mode: TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', auth: CloudAuth.basic({ secretName: 's', usernameKey: 'u', passwordKey: 'p' }), peer: ExternalPeer.anywhere({ reason: 'the SaaS endpoint, whose addresses change' }) }),
      nodeExporter: NodeExporterSource.external('10.0.0.5:9100', { peer: ExternalPeer.cidr({ cidrs: ['10.0.0.5/32'], reason: 'the node' }) }),
    });
    const scrape = collectorYaml(objects).receivers['prometheus/exporters'].config;
    expect(scrape.scrape_configs).toHaveLength(2);
    const r = promtool(write('collector-scrape.yml', stringify(scrape)));
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  test('the check has teeth: a broken relabel regex and a duplicate job are rejected', () => {
    const { objects } = render();
    const dir = fs.mkdtempSync(path.join(tmp, 'sd-'));
    const good = projectToFileSd(prometheusYaml(objects), simulatePods(objects, NODES), dir);
    const badRegex = structuredClone(good);
    badRegex.scrape_configs[1].relabel_configs[0].regex = '(unclosed';
    expect(promtool(write('bad-regex.yml', stringify(badRegex))).code).not.toBe(0);
    const dup = structuredClone(good);
    dup.scrape_configs.push(dup.scrape_configs[1]);
    const r = promtool(write('dup-job.yml', stringify(dup)));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/found multiple scrape configs with job name/);
  });
});
