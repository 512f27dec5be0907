import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { check } from '../core/errors';
import { REPORTS_DIR, unmarkedOutdirReason, unsafeOutdirReason, writeDist } from '../release/synth';
import { ARGOCD_DIR } from '../verify/argocd';
import { KUBERNETES_SCHEMA_VERSION } from '../verify/kubernetes';
import { parseManifests } from '../verify/load';
import { canonical, groupOf, objectId } from '../verify/objects';
import { KubeObject } from '../verify/types';
import { differences } from '../verify/upgrade';

/**
 * Makes text safe to use as a Helm template that renders to exactly that text: every `{{` becomes ``{{`{{`}}`` (a Go
 * template action printing a raw string), so a Grafana legend format (`{{instance}}`) or an alert template reaches
 * the cluster literally instead of being evaluated, or failing, as template code. `}}` alone is plain text in Go
 * templates and stays as it is.
 */
export function escapeHelmTemplate(text: string): string {
  return text.split('{{').join('{{`{{`}}');
}

/** SemVer 2 as Helm requires it for a chart version. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** Helm chart names: lowercase letters, digits and dashes (the release folder names already are). */
const CHART_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** How the charts are versioned. */
export interface HelmChartOptions {
  /** Chart version (SemVer), normally the version of the package or app that rendered the manifests. */
  readonly version: string;
  /**
   * The chart's `kubeVersion` constraint: Helm refuses to install on an older cluster.
   * @default - `>=1.28.0-0`, the schema version verification checks against (`-0` admits vendor pre-release tags such
   * as `v1.28.3-eks-...`)
   */
  readonly kubeVersion?: string;
}

/** One release as found in a dist/ tree: its manifest files by name, and its operator notes. */
export interface DistRelease {
  /** The release (folder) name. */
  readonly name: string;
  /** Manifest file name (no folder) to its text, as synthesized. */
  readonly manifests: ReadonlyMap<string, string>;
  /**
   * `_reports/<release>/NOTES.txt`, when the release has notes.
   * @default - none
   */
  readonly notes?: string;
}

/**
 * True when `dir` is the Argo CD delivery folder of a dist/ tree (`argocd/`, holding only Argo CD Applications and
 * AppProjects), not a release: it is how the releases are delivered, and a chart of it would deploy nothing of theirs.
 */
export function isArgoCdDeliveryFolder(dir: string): boolean {
  if (path.basename(dir) !== ARGOCD_DIR || !fs.existsSync(dir)) return false;
  const objects = fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).flatMap((f) => parseManifests(fs.readFileSync(path.join(dir, f), 'utf-8'), f));
  return objects.length > 0 && objects.every((o) => groupOf(o.apiVersion ?? '') === 'argoproj.io' && (o.kind === 'Application' || o.kind === 'AppProject'));
}

/**
 * Reads every release folder of a dist/ tree (the folders not starting with `_` or `.`, except the Argo CD delivery
 * folder), in name order.
 */
export function readDistReleases(distDir: string): DistRelease[] {
  check(fs.existsSync(distDir) && fs.statSync(distDir).isDirectory(), 'dist', distDir, 'a synthesized dist/ directory (run npm run synth)');
  const names = fs
    .readdirSync(distDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !/^[_.]/.test(e.name) && !isArgoCdDeliveryFolder(path.join(distDir, e.name)))
    .map((e) => e.name)
    .sort();
  return names.map((name) => {
    const dir = path.join(distDir, name);
    const manifests = new Map(fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf-8')] as const));
    const notesFile = path.join(distDir, REPORTS_DIR, name, 'NOTES.txt');
    return { name, manifests, notes: fs.existsSync(notesFile) ? fs.readFileSync(notesFile, 'utf-8') : undefined };
  });
}

/**
 * The files of one Helm chart for a release, by path inside the chart folder: `Chart.yaml`, the hydrated manifests as
 * `templates/<file>` with no templating logic (only `{{` escaped), `templates/NOTES.txt` from the notes, and a
 * `values.schema.json` that admits no values. Helm is packaging and versioning here, never configuration: the objects
 * are the ones verification checked, and `--set` or a values file fails instead of being silently ignored.
 */
export function helmChartFiles(release: DistRelease, options: HelmChartOptions): Map<string, string> {
  check(CHART_NAME.test(release.name) && release.name.length <= 63, 'release', release.name, 'a Helm chart name: lowercase letters, digits and dashes, at most 63 characters');
  check(SEMVER.test(options.version), 'version', options.version, 'a SemVer 2 version such as 0.1.0 (Helm requires one)');
  check(release.manifests.size > 0, 'release', release.name, 'a release folder holding at least one manifest');
  const kubeVersion = options.kubeVersion ?? `>=${KUBERNETES_SCHEMA_VERSION}-0`;
  const chart = {
    apiVersion: 'v2',
    name: release.name,
    description: `The ${release.name} release, fully hydrated by cdk8s-ops-kit: the verified manifests as they are, no values.`,
    type: 'application',
    version: options.version,
    kubeVersion,
  };
  const files = new Map<string, string>();
  files.set('Chart.yaml', YAML.stringify(chart, { lineWidth: 0 }));
  files.set('values.schema.json', `${JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    description: 'This chart takes no values: its manifests are fully hydrated. Change the TypeScript app and synthesize instead.',
    type: 'object',
    additionalProperties: false,
  }, null, 2)}\n`);
  for (const [file, text] of release.manifests) {
    check(!file.startsWith('_') && file !== 'NOTES.txt', 'manifest', file, 'a file name Helm renders as a manifest (not starting with _)');
    files.set(`templates/${file}`, escapeHelmTemplate(text));
  }
  if (release.notes) files.set('templates/NOTES.txt', escapeHelmTemplate(release.notes));
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Writes one chart folder per release of `distDir` into `outDir`, and returns the chart folders. `outDir` is replaced
 * the way the synth replaces dist/ (`writeDist`): atomically, carrying the `.ops-kit-output` marker, and only when it
 * is new, empty or marked, so a mistyped `--out` never deletes a folder this library did not write. `outDir` must not
 * be inside `distDir`: release folders hold manifests only, and Argo CD would read a chart there.
 */
export function writeHelmCharts(distDir: string, outDir: string, options: HelmChartOptions): string[] {
  const out = path.resolve(outDir);
  const dist = path.resolve(distDir);
  const inside = path.relative(dist, out);
  check(inside.startsWith('..') || path.isAbsolute(inside), 'out', outDir, `a folder outside ${distDir} (for example build/helm)`, 'release folders hold manifests only');
  // The same guards writeDist applies, checked first so the message names the option as the user wrote it (--out).
  const allowed = 'a folder that holds only generated charts (such as build/helm), or a new one';
  const unsafe = unsafeOutdirReason(outDir);
  check(unsafe === undefined, 'out', outDir, allowed, `replacing it would delete it first and ${unsafe}`);
  const unmarked = unmarkedOutdirReason(outDir);
  check(unmarked === undefined, 'out', outDir, allowed, unmarked);
  const charts = readDistReleases(distDir).map((r) => ({ name: r.name, files: helmChartFiles(r, options) }));
  const files = new Map<string, string>();
  for (const c of charts) for (const [rel, text] of c.files) files.set(`${c.name}/${rel}`, text);
  writeDist(outDir, files);
  return charts.map((c) => path.join(out, c.name));
}

/** `Kind/namespace/name` with the API group, to match a rendered object to its dist/ original. */
function identity(o: KubeObject): string {
  return `${groupOf(o.apiVersion ?? '')}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name}`;
}

/**
 * Differences between what `helm template` rendered from a chart and the release's manifests in dist/, compared as
 * parsed objects: missing, extra and changed objects (empty when the chart reproduces the release exactly).
 */
export function renderedDifferences(rendered: string, release: DistRelease): string[] {
  const expected = new Map<string, KubeObject>();
  for (const [file, text] of release.manifests) for (const o of parseManifests(text, file)) expected.set(identity(o), o);
  const got = new Map<string, KubeObject>();
  const out: string[] = [];
  for (const o of parseManifests(rendered, `helm template ${release.name}`)) {
    if (got.has(identity(o))) out.push(`${objectId(o)} is rendered twice`);
    got.set(identity(o), o);
  }
  for (const [id, o] of expected) {
    const r = got.get(id);
    if (!r) out.push(`${objectId(o)} is missing from the chart's output`);
    else if (canonical(r) !== canonical(o)) out.push(`${objectId(o)} differs: ${differences(o, r).join('; ')}`);
  }
  for (const [id, o] of got) if (!expected.has(id)) out.push(`${objectId(o)} is in the chart's output but not in dist/${release.name}`);
  return out;
}
