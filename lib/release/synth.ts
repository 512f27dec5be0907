import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ConfigError } from '../core/errors';
import { Images } from '../core/images';
import { EXTERNAL_REFS_ANNOTATION } from '../core/policy';
import { Release } from './release';

/** A Kubernetes object as synthesized (plain JSON). */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

/** One release, rendered in memory and not yet written. */
export interface RenderedRelease {
  readonly name: string;
  readonly namespace: string;
  readonly objects: Manifest[];
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

/** Kinds that are not namespaced; their `metadata.namespace` is dropped (cdk8s sets the chart namespace on all). */
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

/** Runs every construct's `node.validate()` under `root` and throws one SynthError listing all failures. */
export function validateConstructs(root: IConstruct): void {
  const errors: string[] = [];
  for (const c of root.node.findAll()) {
    for (const e of c.node.validate()) errors.push(`[${c.node.path}] ${e}`);
  }
  if (errors.length) throw new SynthError(errors);
}

/** Synthesizes one release to plain objects (validating its constructs first). */
export function renderRelease(release: Release): RenderedRelease {
  validateConstructs(release);
  const pullSecrets = new Set(Images.of(release).settings.pullSecrets ?? []);
  const objects = (release.toJson() as Manifest[]).map(normalize).map((o) => declarePullSecrets(o, pullSecrets));
  const seen = new Map<string, string>();
  for (const o of objects) {
    const file = manifestFileName(o);
    const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(file)) {
      throw new SynthError([`[${release.node.path}] two objects render to ${file}: ${seen.get(file)} and ${id}; give them distinct names`]);
    }
    seen.set(file, id);
  }
  return { name: release.releaseName, namespace: release.releaseNamespace, objects, notes: release.notes, warnings: release.warnings };
}

/** Synthesizes every release in an app, in release-name order. */
export function renderApp(app: App): RenderedRelease[] {
  validateConstructs(app);
  const releases = app.node.findAll().filter((c): c is Release => c instanceof Release);
  const names = new Set<string>();
  for (const r of releases) {
    if (names.has(r.releaseName)) throw new SynthError([`two releases are named ${r.releaseName}; release names are dist/ folders and must be unique`]);
    names.add(r.releaseName);
  }
  return releases.sort((a, b) => a.releaseName.localeCompare(b.releaseName)).map(renderRelease);
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
function declarePullSecrets(o: Manifest, pullSecrets: ReadonlySet<string>): Manifest {
  if (pullSecrets.size === 0) return o;
  const used = (podSpecOf(o)?.imagePullSecrets ?? []).map((s) => s.name).filter((n): n is string => !!n && pullSecrets.has(n));
  if (used.length === 0) return o;
  const annotations = { ...((o.metadata.annotations as Record<string, string> | undefined) ?? {}) };
  const existing = annotations[EXTERNAL_REFS_ANNOTATION] ? annotations[EXTERNAL_REFS_ANNOTATION].split(',') : [];
  annotations[EXTERNAL_REFS_ANNOTATION] = [...new Set([...existing, ...used.map((n) => `Secret/${n}`)])].sort().join(',');
  return { ...o, metadata: { ...o.metadata, annotations } };
}

function normalize(o: Manifest): Manifest {
  if (CLUSTER_SCOPED_KINDS.has(o.kind) && o.metadata.namespace !== undefined) {
    const { namespace: _ns, ...metadata } = o.metadata;
    return { ...o, metadata: metadata as Manifest['metadata'] };
  }
  return o;
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

/** Name of the folder (beside the release folders) that holds notes and reports, never manifests. */
export const REPORTS_DIR = '_reports';

/** The files a set of releases writes, by path relative to the output directory. Pure: no disk access. */
export function distFiles(releases: readonly RenderedRelease[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of releases) {
    for (const o of r.objects) files.set(path.posix.join(r.name, manifestFileName(o)), Yaml.stringify(o));
    const notes = notesText(r);
    if (notes) files.set(path.posix.join(REPORTS_DIR, r.name, 'NOTES.txt'), notes);
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The operator notes of a release as text (warnings first), or '' when it has none. */
export function notesText(r: RenderedRelease): string {
  const parts: string[] = [];
  if (r.warnings.length) parts.push(`WARNINGS\n${r.warnings.map((w) => `- ${w}`).join('\n')}`);
  if (r.notes.length) parts.push(...r.notes);
  return parts.length ? `# ${r.name} (namespace ${r.namespace})\n\n${parts.join('\n\n')}\n` : '';
}

/**
 * Why `outdir` must not be replaced (it is deleted first), or undefined when it may be: the filesystem root, the home
 * directory, the working directory or one of its parents, and any directory that holds `.git` or `package.json`
 * are never synth output, so a mistyped `--out .` cannot wipe a checkout.
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
 * Replaces the contents of `outdir` with exactly `files`. Everything is rendered and checked before this is called,
 * so a failed synth never leaves a half-written dist/. Refuses (deleting nothing) an `outdir` that cannot be synth
 * output (see `unsafeOutdirReason`).
 */
export function writeDist(outdir: string, files: ReadonlyMap<string, string>): void {
  const unsafe = unsafeOutdirReason(outdir);
  if (unsafe) {
    throw new ConfigError('outdir', outdir, 'a directory that holds only synthesized manifests (such as dist/), or a new one', `replacing it would delete it first and ${unsafe}`);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  for (const [rel, content] of files) {
    const full = path.join(outdir, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}
