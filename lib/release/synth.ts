import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ConfigError } from '../core/errors';
import { sortedByKey } from '../core/order';
import { ConnectionRecord } from '../core/wiring';
import { Images } from '../core/images';
import { EXTERNAL_REFS_ANNOTATION } from '../core/policy';
import { withSyncWaves } from '../gitops/ordering';
import { DeliveryTarget } from '../gitops/target';
import { manifestWorkloads, podSecurityLabels, podSecurityRequirement } from '../verify/pod-security';
import { PodOwner } from './network-policies';
import { Release } from './release';
import { NetworkPolicyMode } from '../verify/types';
import { renderPass } from './pass';
import { takeRenderedApiObject } from './render';
import { emitYaml } from './yaml';

/** A Kubernetes object as synthesized (plain JSON). */
export type Manifest = {
  /** The object's apiVersion. */
  apiVersion: string;
  /** The object's kind. */
  kind: string;
  /** Name, namespace (not on cluster-scoped kinds) and the rest of the metadata. */
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

/** One release, rendered in memory and not yet written. */
export interface RenderedRelease {
  /** The release name (its dist/ folder). */
  readonly name: string;
  /** The release namespace. */
  readonly namespace: string;
  /** The objects, in render order. */
  readonly objects: Manifest[];
  /** The operator notes. */
  readonly notes: readonly string[];
  /** The warnings. */
  readonly warnings: readonly string[];
  /**
   * The wiring graph's edges that touch this release: connections from its workloads, and connections from elsewhere
   * (another release, an outside peer) into its Services and pods. Each record names both releases, so a renderer
   * can tell egress from ingress and order releases.
   */
  readonly connections: readonly ConnectionRecord[];
  /**
   * Whether the release renders NetworkPolicies (verification then proves each connection is allowed), or why not.
   */
  readonly networkPolicy: NetworkPolicyMode;
  /**
   * The releases it declares it depends on (`ReleaseProps.dependsOn`), by name.
   * @default - none
   */
  readonly dependsOn?: readonly string[];
  /**
   * How it is delivered (`ReleaseProps.delivery`).
   * @default - no delivery output
   */
  readonly delivery?: DeliveryTarget;
}

/**
 * Kinds that are not namespaced; their `metadata.namespace` is dropped (cdk8s sets the chart namespace on all).
 * @internal
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'ClusterRole',
  'ClusterRoleBinding', 'PriorityClass', 'RuntimeClass', 'IngressClass', 'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration', 'APIService', 'CSIDriver', 'VolumeSnapshotClass',
]);

/** Thrown when construct validation fails; the message lists every error with its construct path. */
export class SynthError extends Error {
  constructor(public readonly errors: readonly string[]) {
    super(`Synthesis failed with ${errors.length} error(s):\n  ${errors.join('\n  ')}`);
    this.name = 'SynthError';
  }
}

/**
 * Runs every construct's `node.validate()` under `root` and throws one SynthError listing all failures.
 * @internal
 */
export function validateConstructs(root: IConstruct): void {
  const errors: string[] = [];
  for (const c of root.node.findAll()) {
    for (const e of c.node.validate()) errors.push(`[${c.node.path}] ${e}`);
  }
  if (errors.length) throw new SynthError(errors);
}

/**
 * True when the app's objects can be listed in construct-tree order: nothing declares a dependency (cdk8s orders
 * objects topologically then) and no chart is nested in another. Otherwise releases render through cdk8s's own
 * `Chart.toJson()`, which gives the same objects.
 */
function treeOrdered(app: IConstruct): boolean {
  let nested = false;
  for (const c of app.node.findAll()) {
    if (c.node.dependencies.length > 0) return false;
    if (Chart.isChart(c) && c.node.scopes.slice(0, -1).some((s) => Chart.isChart(s))) nested = true;
  }
  return !nested;
}

/**
 * The objects of one release, each rendered once (see render.ts), in the order cdk8s's `Chart.toJson()` gives them;
 * cluster-scoped objects without a namespace, pull secrets declared external.
 */
function releaseObjects(release: Release, ordered: boolean, appPods?: readonly PodOwner[]): Manifest[] {
  const pullSecrets = new Set(Images.of(release).settings.pullSecrets ?? []);
  let objects: Manifest[];
  if (ordered) {
    // What Release.toJson() does before the chart's objects are synthesized.
    release.renderNetworkPolicies(appPods);
    const app = App.of(release) as App;
    objects = [];
    for (const c of release.node.findAll()) {
      if (ApiObject.isApiObject(c) && c.chart === release) objects.push(takeRenderedApiObject(c, app) as Manifest);
    }
  } else {
    objects = release.toJson() as Manifest[];
  }
  for (const o of objects) {
    normalize(o);
    declarePullSecrets(o, pullSecrets);
  }
  return objects;
}

function renderValidated(release: Release, ordered: boolean, appPods?: readonly PodOwner[]): RenderedRelease {
  // Lazy notes and warnings first: those read from rendered objects (a Graphistry stack's) share the JSON the pass
  // holds before the release takes it, instead of rendering the objects again.
  release.produceNotes();
  const objects = withSyncWaves(labelNamespace(releaseObjects(release, ordered, appPods), release.releaseNamespace));
  const seen = new Map<string, string>();
  for (const o of objects) {
    const file = manifestFileName(o);
    const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(file)) {
      throw new SynthError([`[${release.node.path}] two objects render to ${file}: ${seen.get(file)} and ${id}; give them distinct names`]);
    }
    seen.set(file, id);
  }
  return {
    name: release.releaseName,
    namespace: release.releaseNamespace,
    objects,
    notes: release.notes,
    warnings: release.warnings,
    connections: releaseConnections(release),
    networkPolicy: release.networkPolicy.enabled ? { mode: 'default-deny' } : { mode: 'off', reason: release.networkPolicy.offReason! },
    dependsOn: release.releaseDependencies.map((r) => r.releaseName),
    delivery: release.delivery,
  };
}

/**
 * The release's own Namespace object (when it renders one) with the Pod Security labels the release's pods need
 * (`podSecurityLabels`), unless it sets an enforce level itself: a namespace enforcing a stricter level than its pods
 * meet rejects them at creation, and one left unlabelled takes whatever the cluster defaults to.
 */
function labelNamespace(objects: Manifest[], namespace: string): Manifest[] {
  const i = objects.findIndex((o) => o.kind === 'Namespace' && o.apiVersion === 'v1' && o.metadata.name === namespace);
  if (i < 0) return objects;
  const ns = objects[i];
  const labels = (ns.metadata.labels as Record<string, string> | undefined) ?? {};
  if (Object.keys(labels).some((k) => k.startsWith('pod-security.kubernetes.io/'))) return objects;
  const level = podSecurityRequirement(manifestWorkloads(objects)).level;
  const out = [...objects];
  out[i] = { ...ns, metadata: { ...ns.metadata, labels: { ...labels, ...podSecurityLabels(level) } } };
  return out;
}

/**
 * The records of every connection of the app that starts or ends in `release`, in the order they were made (see
 * `Release.connectionRecords`).
 */
export function releaseConnections(release: Release): ConnectionRecord[] {
  return release.connectionRecords();
}

/** Synthesizes one release to plain objects (validating its constructs first). */
export function renderRelease(release: Release): RenderedRelease {
  validateConstructs(release);
  return renderPass(() => renderValidated(release, treeOrdered(App.of(release))));
}

/**
 * Synthesizes every release in an app, in release-name order. Fails when the app holds a cdk8s Chart that is not a
 * Release: its objects would be written nowhere.
 */
export function renderApp(app: App): RenderedRelease[] {
  return renderPass(() => renderAppInPass(app));
}

function renderAppInPass(app: App): RenderedRelease[] {
  const strays = app.node.findAll().filter((c) => Chart.isChart(c) && !Release.isRelease(c));
  if (strays.length) {
    throw new SynthError(strays.map((c) => `[${c.node.path}] is a cdk8s Chart, not a Release, so its objects would not be written to any dist/ folder; create a Release instead (new Release(scope, id, { namespace }))`));
  }
  validateConstructs(app);
  const releases = app.node.findAll().filter((c): c is Release => Release.isRelease(c));
  const names = new Set<string>();
  for (const r of releases) {
    if (names.has(r.releaseName)) throw new SynthError([`two releases are named ${r.releaseName}; release names are dist/ folders and must be unique`]);
    names.add(r.releaseName);
  }
  const ordered = treeOrdered(app);
  // Release names are DNS labels (lower-case letters, digits, '-'), on which code-unit order is the order
  // localeCompare gave (test/release/render.test.ts); it does not depend on the machine's locale.
  const byName = (a: Release, b: Release) => (a.releaseName < b.releaseName ? -1 : a.releaseName > b.releaseName ? 1 : 0);
  // The app's pods as NetworkPolicies see them, once for every release (nothing changes them while releases render).
  const appPods = ordered ? Release.appPodOwners(app) : undefined;
  return releases.sort(byName).map((r) => renderValidated(r, ordered, appPods));
}

/** The pod spec inside a workload (Pod, Deployment-like, Job, CronJob), if any. */
function podSpecOf(o: Manifest): { imagePullSecrets?: Array<{ name?: string }> } | undefined {
  const spec = o.spec as any;
  if (!spec) return undefined;
  if (o.kind === 'Pod') return spec;
  return spec.template?.spec ?? spec.jobTemplate?.spec?.template?.spec;
}

/**
 * The release's pull secrets (`ReleaseProps.images.pullSecrets`) name Secrets an operator creates: declare them as
 * external references on every workload that uses them, merged into any refs the construct already declared, so the
 * verification report lists them for the operator instead of failing on a Secret the release does not render.
 */
function declarePullSecrets(o: Manifest, pullSecrets: ReadonlySet<string>): void {
  if (pullSecrets.size === 0) return;
  const used = (podSpecOf(o)?.imagePullSecrets ?? []).map((s) => s.name).filter((n): n is string => !!n && pullSecrets.has(n));
  if (used.length === 0) return;
  const annotations = ((o.metadata.annotations as Record<string, string> | undefined) ?? (o.metadata.annotations = {}));
  const existing = annotations[EXTERNAL_REFS_ANNOTATION] ? annotations[EXTERNAL_REFS_ANNOTATION].split(',') : [];
  annotations[EXTERNAL_REFS_ANNOTATION] = [...new Set([...existing, ...used.map((n) => `Secret/${n}`)])].sort().join(',');
}

/** Cluster-scoped objects carry no namespace (cdk8s sets the chart's on every object). */
function normalize(o: Manifest): void {
  if (CLUSTER_SCOPED_KINDS.has(o.kind) && o.metadata.namespace !== undefined) delete o.metadata.namespace;
}

/** API groups of Kubernetes itself; kinds from any other group carry the group in their file name. */
function isBuiltInGroup(group: string): boolean {
  return group === '' || ['apps', 'batch', 'autoscaling', 'policy'].includes(group) || group.endsWith('.k8s.io');
}

/**
 * File name of one object inside its release folder: `<kind>-<name>.yaml`, lowercased. Custom resources carry their
 * API group (`deployment.iot.nationtech.io-web.yaml`), so a custom kind that shares a built-in kind's name (an IoT
 * fleet `Deployment`) never collides with it.
 */
export function manifestFileName(o: Manifest): string {
  const slash = o.apiVersion.indexOf('/');
  const group = slash >= 0 ? o.apiVersion.slice(0, slash) : '';
  const kind = isBuiltInGroup(group) ? o.kind : `${o.kind}.${group}`;
  return `${kind.toLowerCase()}-${o.metadata.name}.yaml`.replace(/[^a-z0-9.-]/g, '-');
}

/** One manifest as written to dist/ (YAML, keys as rendered). * @internal
 */
export function manifestText(o: Manifest): string {
  // The same bytes as cdk8s's Yaml.stringify(o) (lib/release/yaml.ts, proved by its property test), in one pass.
  return emitYaml(o);
}

/** Name of the folder (beside the release folders) that holds notes and reports, never manifests. */
export const REPORTS_DIR = '_reports';

/** The files a set of releases writes, by path relative to the output directory. Pure: no disk access. */
export function distFiles(releases: readonly RenderedRelease[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of releases) {
    for (const o of r.objects) files.set(path.posix.join(r.name, manifestFileName(o)), manifestText(o));
    const notes = notesText(r);
    if (notes) files.set(path.posix.join(REPORTS_DIR, r.name, 'NOTES.txt'), notes);
  }
  return sortedByKey(files);
}

/** The operator notes of a release as text (warnings first), or '' when it has none. */
export function notesText(r: RenderedRelease): string {
  const parts: string[] = [];
  if (r.warnings.length) parts.push(`WARNINGS\n${r.warnings.map((w) => `- ${w}`).join('\n')}`);
  if (r.notes.length) parts.push(...r.notes);
  return parts.length ? `# ${r.name} (namespace ${r.namespace})\n\n${parts.join('\n\n')}\n` : '';
}

/** The marker file in every output directory this library writes: only a marked (or empty) directory is replaced. */
export const OUTPUT_MARKER = '.ops-kit-output';

const MARKER_TEXT = [
  '# Written by cdk8s-ops-kit: this directory is synth output, and every synth replaces it whole.',
  '# A synth refuses to replace a non-empty directory without this file, so keep nothing else here.',
  '',
].join('\n');

/**
 * Why `outdir` must not be replaced, or undefined when it may be: the filesystem root, the home directory, the working
 * directory or one of its parents, and any directory that holds `.git` or `package.json` are never synth output, so a
 * mistyped `--out .` cannot wipe a checkout.
 * @internal
 */
export function unsafeOutdirReason(outdir: string, cwd: string = process.cwd()): string | undefined {
  const abs = path.resolve(cwd, outdir);
  if (abs === path.parse(abs).root) return 'it is the filesystem root';
  if (abs === path.resolve(os.homedir())) return 'it is the home directory';
  const up = path.relative(abs, path.resolve(cwd));
  if (up === '' || (!up.startsWith('..') && !path.isAbsolute(up))) return 'it holds the working directory';
  for (const marker of ['.git', 'package.json']) {
    if (fs.existsSync(path.join(abs, marker))) return `it holds ${marker}, so it is a project, not synth output`;
  }
  return undefined;
}

/**
 * Why an existing `outdir` was not written by this library, or undefined when it may be replaced: it is missing,
 * empty, or carries the `OUTPUT_MARKER` an earlier synth wrote.
 * @internal
 */
export function unmarkedOutdirReason(outdir: string): string | undefined {
  const abs = path.resolve(outdir);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(abs);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return 'it exists and is not a directory';
  if (fs.existsSync(path.join(abs, OUTPUT_MARKER))) return undefined;
  if (fs.readdirSync(abs).length === 0) return undefined;
  return `it is not empty and holds no ${OUTPUT_MARKER} marker, so this library did not write it (or a version before the marker did): ` +
    `move it away, or if it is synth output, mark it with \`touch ${path.join(outdir, OUTPUT_MARKER)}\``;
}

/** Staging and retired copies of `outdir`, beside it (same filesystem, so the swap is a rename). */
function siblingPrefix(abs: string, kind: 'new' | 'old'): string {
  return path.join(path.dirname(abs), `.${path.basename(abs)}.ops-kit-${kind}-`);
}

/** Removes staging and retired copies a killed synth left beside `abs` (only ours: they hold the marker). */
function removeLeftovers(abs: string): void {
  const dir = path.dirname(abs);
  const pattern = new RegExp(`^\\.${path.basename(abs).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.ops-kit-(new|old)-[A-Za-z0-9]{6}$`);
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name);
    if (pattern.test(name) && fs.existsSync(path.join(full, OUTPUT_MARKER))) fs.rmSync(full, { recursive: true, force: true });
  }
}

/** An I/O failure while writing output; the previous output is unchanged. */
export class OutputWriteError extends Error {
  constructor(public readonly outdir: string, public readonly cause: Error & { code?: string }) {
    super(`could not write ${outdir} (${cause.code ?? cause.name}: ${cause.message}); the previous contents of ${outdir} are unchanged`);
    this.name = 'OutputWriteError';
  }
}

/**
 * The files of an existing output directory that already hold exactly the bytes `files` gives them, and whether the
 * directory holds nothing else (then it is already the output, marker included, and nothing needs writing).
 */
function unchangedFiles(abs: string, files: ReadonlyMap<string, string>): { readonly same: ReadonlySet<string>; readonly identical: boolean } {
  const same = new Set<string>();
  let marker: string | undefined;
  try {
    marker = fs.readFileSync(path.join(abs, OUTPUT_MARKER), 'utf8');
  } catch {
    return { same, identical: false };
  }
  let others = 0;
  const folders = new Set<string>();
  for (const rel of files.keys()) for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) folders.add(d);
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(abs, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        // A folder no file of the new output lives in (an empty one, or a release that is gone) must go.
        if (!folders.has(r)) others++;
        walk(r);
      } else if (r === OUTPUT_MARKER) continue;
      else {
        const want = e.isFile() ? files.get(r) : undefined;
        if (want !== undefined && holdsText(path.join(abs, r), want)) same.add(r);
        else others++;
      }
    }
  };
  walk('');
  return { same, identical: marker === MARKER_TEXT && others === 0 && same.size === files.size };
}

/** Text whose bytes a decoded comparison cannot vouch for: U+FFFD, and surrogates (a lone one is written as U+FFFD). */
const DECODE_AMBIGUOUS = /[\uD800-\uDFFF\uFFFD]/;

/**
 * True when `file` holds exactly the UTF-8 bytes of `text`. Decoding the file and comparing strings is one call into
 * node per file (no Buffer for each side) and is exact: decoding is one-to-one on valid UTF-8, and invalid bytes
 * decode to U+FFFD, so a text holding U+FFFD (or a surrogate) is compared byte for byte instead.
 * @internal
 */
export function holdsText(file: string, text: string): boolean {
  if (DECODE_AMBIGUOUS.test(text)) return fs.readFileSync(file).equals(Buffer.from(text, 'utf8'));
  return fs.readFileSync(file, 'utf8') === text;
}

/**
 * Replaces `outdir` with exactly `files` (plus the `OUTPUT_MARKER`), atomically: everything is written into a staging
 * directory beside it, and only when every write succeeded is the old directory swapped out by rename. A failure at any
 * point (a full disk, a file too large, no permission) leaves the old output byte-identical. Writing skips what is
 * unchanged without giving that up: an output that already holds exactly these files is left as it is, and a file whose
 * bytes are unchanged is hard-linked into the staging directory instead of written again (written when linking fails).
 *
 * Refuses, touching nothing, an `outdir` that cannot be synth output (see `unsafeOutdirReason`) and an existing,
 * non-empty `outdir` without the marker (see `unmarkedOutdirReason`): this never deletes a directory it did not write.
 */
export function writeDist(outdir: string, files: ReadonlyMap<string, string>): void {
  const abs = path.resolve(outdir);
  const allowed = 'a directory that holds only synthesized manifests (such as dist/), or a new one';
  const unsafe = unsafeOutdirReason(abs);
  if (unsafe) throw new ConfigError('outdir', outdir, allowed, `replacing it would delete it first and ${unsafe}`);
  const unmarked = unmarkedOutdirReason(outdir);
  if (unmarked) throw new ConfigError('outdir', outdir, allowed, unmarked);
  let staging: string | undefined;
  try {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    removeLeftovers(abs);
    const existing = unchangedFiles(abs, files);
    if (existing.identical) return;
    staging = fs.mkdtempSync(siblingPrefix(abs, 'new'));
    // The marker first, so a staging directory a killed synth leaves behind is recognisably ours.
    fs.writeFileSync(path.join(staging, OUTPUT_MARKER), MARKER_TEXT);
    const dirs = new Set<string>();
    for (const [rel, content] of files) {
      const full = path.join(staging, rel);
      const dir = path.dirname(full);
      if (!dirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        dirs.add(dir);
      }
      if (existing.same.has(rel) && linked(path.join(abs, rel), full)) continue;
      fs.writeFileSync(full, content);
    }
    swapIn(staging, abs);
  } catch (e) {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
    throw new OutputWriteError(outdir, e as Error);
  }
}

/** Hard-links `from` to `to`; false when the filesystem does not allow it (the caller writes the file instead). */
function linked(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch {
    return false;
  }
}

/** Moves `staging` to `abs`; an existing `abs` is retired first and put back if the second rename fails. */
function swapIn(staging: string, abs: string): void {
  if (!fs.existsSync(abs)) {
    fs.renameSync(staging, abs);
    return;
  }
  const retired = `${siblingPrefix(abs, 'old')}${path.basename(staging).slice(-6)}`;
  fs.renameSync(abs, retired);
  try {
    fs.renameSync(staging, abs);
  } catch (e) {
    fs.renameSync(retired, abs);
    throw e;
  }
  // The new output is in place; a retired copy that cannot be removed now is removed by the next synth.
  try {
    fs.rmSync(retired, { recursive: true, force: true });
  } catch {
    // ignored: see above
  }
}
