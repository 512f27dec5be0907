import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { DistRelease, escapeHelmTemplate, helmChartFiles, isArgoCdDeliveryFolder, readDistReleases, renderedDifferences, writeHelmCharts } from '../../lib/gitops';
import { OUTPUT_MARKER } from '../../lib/release';

const cm = (name: string, data: Record<string, string>) => YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'mon' }, data });
const release = (notes?: string): DistRelease => ({
  name: 'dashboards',
  manifests: new Map([['configmap-grafana-dash.yaml', cm('grafana-dash', { 'gpu.json': '{"legendFormat":"{{instance}} {{ job }}"}' })]]),
  notes,
});

describe('escapeHelmTemplate', () => {
  test('turns every {{ into a template action printing {{, and leaves the rest alone', () => {
    expect(escapeHelmTemplate('{{instance}}')).toBe('{{`{{`}}instance}}');
    expect(escapeHelmTemplate('a {{{ b')).toBe('a {{`{{`}}{ b');
    expect(escapeHelmTemplate('{{{{')).toBe('{{`{{`}}{{`{{`}}');
    expect(escapeHelmTemplate('}} plain {single} text')).toBe('}} plain {single} text');
  });
});

describe('helmChartFiles', () => {
  const files = helmChartFiles(release('# dashboards\nlegend {{instance}}\n'), { version: '0.1.0' });

  test('one chart: Chart.yaml, the manifests as templates, NOTES.txt and a schema that admits no values', () => {
    expect([...files.keys()]).toEqual(['Chart.yaml', 'templates/NOTES.txt', 'templates/configmap-grafana-dash.yaml', 'values.schema.json']);
    expect(files.has('values.yaml')).toBe(false);
  });

  test('Chart.yaml is apiVersion v2 with the given version and kubeVersion from the 1.28 schema', () => {
    expect(YAML.parse(files.get('Chart.yaml')!)).toMatchObject({ apiVersion: 'v2', name: 'dashboards', type: 'application', version: '0.1.0', kubeVersion: '>=1.28.0-0' });
    expect(YAML.parse(helmChartFiles(release(), { version: '1.2.3-rc.1', kubeVersion: '>=1.29.0-0' }).get('Chart.yaml')!)).toMatchObject({ version: '1.2.3-rc.1', kubeVersion: '>=1.29.0-0' });
  });

  test('templates are the manifests with only {{ escaped (no templating logic), and so are the notes', () => {
    const template = files.get('templates/configmap-grafana-dash.yaml')!;
    expect(template).toBe(escapeHelmTemplate(release().manifests.get('configmap-grafana-dash.yaml')!));
    expect(template.replace(/\{\{`\{\{`\}\}/g, '')).not.toContain('{{');
    expect(files.get('templates/NOTES.txt')).toBe('# dashboards\nlegend {{`{{`}}instance}}\n');
  });

  test('values.schema.json rejects every value', () => {
    expect(JSON.parse(files.get('values.schema.json')!)).toMatchObject({ type: 'object', additionalProperties: false });
  });

  test('a release without notes has no NOTES.txt', () => {
    expect(helmChartFiles(release(), { version: '0.1.0' }).has('templates/NOTES.txt')).toBe(false);
  });

  test('fails when the version is not SemVer, naming the prop, the value and what is allowed', () => {
    expect(() => helmChartFiles(release(), { version: 'v1' })).toThrow(/'version' is "v1"; allowed: a SemVer 2 version such as 0.1.0/);
  });

  test('fails when the release name is not a chart name', () => {
    expect(() => helmChartFiles({ ...release(), name: 'Dash_Boards' }, { version: '0.1.0' })).toThrow(/'release' is "Dash_Boards"; allowed: a Helm chart name/);
  });
});

describe('readDistReleases and writeHelmCharts', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-helm-unit-'));
    fs.mkdirSync(path.join(tmp, 'dist', 'dashboards'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'dist', '_reports', 'dashboards'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'dist', 'dashboards', 'configmap-grafana-dash.yaml'), release().manifests.get('configmap-grafana-dash.yaml')!);
    fs.writeFileSync(path.join(tmp, 'dist', '_reports', 'dashboards', 'NOTES.txt'), 'notes\n');
    fs.writeFileSync(path.join(tmp, 'dist', '_reports', 'dashboards', 'verify.txt'), 'report\n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('reads release folders (not _reports) with their notes', () => {
    expect(readDistReleases(path.join(tmp, 'dist'))).toEqual([{ name: 'dashboards', manifests: release().manifests, notes: 'notes\n' }]);
  });

  test('writes one chart folder per release, replacing an output folder an earlier run wrote (marked)', () => {
    const out = path.join(tmp, 'charts');
    expect(writeHelmCharts(path.join(tmp, 'dist'), out, { version: '0.1.0' })).toEqual([path.join(out, 'dashboards')]);
    expect(fs.readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'dashboards']);
    expect(fs.readFileSync(path.join(out, 'dashboards', 'templates', 'NOTES.txt'), 'utf-8')).toBe('notes\n');
    // A second run replaces the whole folder, the archives helm package added included.
    fs.writeFileSync(path.join(out, 'dashboards-0.0.9.tgz'), 'old archive');
    writeHelmCharts(path.join(tmp, 'dist'), out, { version: '0.1.0' });
    expect(fs.readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'dashboards']);
  });

  test('fails when the output folder is not empty and was not written by this library (no marker), touching nothing', () => {
    const out = path.join(tmp, 'thesis');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'chapter1.tex'), 'years of work');
    expect(() => writeHelmCharts(path.join(tmp, 'dist'), out, { version: '0.1.0' })).toThrow(
      new RegExp(`'out' is ".*thesis", but it is not empty and holds no \\${OUTPUT_MARKER} marker.*allowed: a folder that holds only generated charts`),
    );
    expect(fs.readdirSync(out)).toEqual(['chapter1.tex']);
    expect(fs.readFileSync(path.join(out, 'chapter1.tex'), 'utf-8')).toBe('years of work');
  });

  test('skips the Argo CD delivery folder (Applications and AppProjects only), and packages a release named argocd', () => {
    const argo = path.join(tmp, 'dist', 'argocd');
    fs.mkdirSync(path.join(argo, 'team'), { recursive: true });
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'team', namespace: 'argocd' }, spec: {} };
    fs.writeFileSync(path.join(argo, 'application.argoproj.io-team.yaml'), YAML.stringify(app));
    expect(isArgoCdDeliveryFolder(argo)).toBe(true);
    expect(readDistReleases(path.join(tmp, 'dist')).map((r) => r.name)).toEqual(['dashboards']);
    // A release that happens to be named argocd (Argo CD itself, say) renders other kinds: it is packaged.
    fs.writeFileSync(path.join(argo, 'configmap-argocd-cm.yaml'), cm('argocd-cm', {}));
    expect(isArgoCdDeliveryFolder(argo)).toBe(false);
    expect(readDistReleases(path.join(tmp, 'dist')).map((r) => r.name)).toEqual(['argocd', 'dashboards']);
  });

  test('fails when the output folder is inside dist/ (release folders hold manifests only)', () => {
    expect(() => writeHelmCharts(path.join(tmp, 'dist'), path.join(tmp, 'dist', 'helm'), { version: '0.1.0' })).toThrow(/'out' is ".*dist\/helm", but release folders hold manifests only; allowed: a folder outside/);
    expect(fs.existsSync(path.join(tmp, 'dist', 'helm'))).toBe(false);
  });

  test('fails when the output folder holds the working directory', () => {
    expect(() => writeHelmCharts(path.join(tmp, 'dist'), '.', { version: '0.1.0' })).toThrow(/'out' is ".", but replacing it would delete it first and it holds the working directory/);
  });

  test('fails when dist/ does not exist', () => {
    expect(() => readDistReleases(path.join(tmp, 'nope'))).toThrow(/'dist' is ".*nope"; allowed: a synthesized dist\/ directory/);
  });
});

describe('renderedDifferences', () => {
  const r = release();
  const text = r.manifests.get('configmap-grafana-dash.yaml')!;

  test('none when the rendered objects are the dist/ objects (comments and headers aside)', () => {
    expect(renderedDifferences(`---\n# Source: dashboards/templates/x.yaml\n${text}`, r)).toEqual([]);
  });

  test('names a changed, a missing and an extra object', () => {
    expect(renderedDifferences(cm('grafana-dash', { 'gpu.json': '{"legendFormat":"instance}}"}' }), r)).toEqual([
      'ConfigMap/mon/grafana-dash differs: data.gpu.json: "{\\"legendFormat\\":\\"{{instance}} {{ job }}\\"}" -> "{\\"legendFormat\\":\\"instance}}\\"}"',
    ]);
    expect(renderedDifferences(cm('other', {}), r)).toEqual([
      'ConfigMap/mon/grafana-dash is missing from the chart\'s output',
      'ConfigMap/mon/other is in the chart\'s output but not in dist/dashboards',
    ]);
  });
});
