import { LoadedManifests, loadManifestDir } from './load';
import { canonical, groupOf, namespaceOf, objectId } from './objects';
import { KubeObject } from './types';
import { differences } from './upgrade';

/** An object in one release folder of a dist/ tree. */
export interface DistObjectRef {
  /** The release folder (the first folder of the file's path; `.` for files at the top). */
  readonly release: string;
  /** `Kind/namespace/name`. */
  readonly object: string;
}

/** An object present on both sides whose content changed. */
export interface ChangedDistObject extends DistObjectRef {
  /** The first changed fields, as `path: old -> new`. */
  readonly changes: readonly string[];
  /** True when more fields changed than `changes` lists. */
  readonly more: boolean;
}

/** An object that left one release folder for another (another Argo CD Application owns it now). */
export interface MovedDistObject {
  /** `Kind/namespace/name`. */
  readonly object: string;
  /** The release it was in. */
  readonly from: string;
  /** The release it is in now. */
  readonly to: string;
}

/** What changed between two dist/ trees, object by object (compared parsed, so formatting does not count). */
export interface DistDiff {
  /** Objects only the new tree has. */
  readonly added: readonly DistObjectRef[];
  /** Objects only the old tree has. */
  readonly removed: readonly DistObjectRef[];
  /** Objects whose content changed. */
  readonly changed: readonly ChangedDistObject[];
  /** Objects that moved between releases. */
  readonly moved: readonly MovedDistObject[];
  /** Objects identical on both sides. */
  readonly unchanged: number;
  /** Release folders on the new side. */
  readonly releases: number;
}

const CHANGES_SHOWN = 5;

function identity(o: KubeObject): string {
  return `${groupOf(String(o.apiVersion ?? ''))}|${o.kind}|${namespaceOf(o)}|${o.metadata?.name}`;
}

function releaseOf(file: string | undefined): string {
  const parts = (file ?? '').split(/[\\/]/);
  return parts.length > 1 ? parts[0] : '.';
}

function index(loaded: LoadedManifests): Map<string, { release: string; o: KubeObject }> {
  const out = new Map<string, { release: string; o: KubeObject }>();
  loaded.objects.forEach((o, i) => {
    if (o?.metadata?.name) out.set(identity(o), { release: releaseOf(loaded.files[i]), o });
  });
  return out;
}

const byRef = (a: DistObjectRef, b: DistObjectRef) => {
  const x = a.release + a.object;
  const y = b.release + b.object;
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Compares two loaded dist/ trees object by object (matched by API group, kind, namespace and name). */
export function diffManifests(before: LoadedManifests, after: LoadedManifests): DistDiff {
  const olds = index(before);
  const news = index(after);
  const added: DistObjectRef[] = [];
  const removed: DistObjectRef[] = [];
  const changed: ChangedDistObject[] = [];
  const moved: MovedDistObject[] = [];
  let unchanged = 0;
  for (const [id, b] of olds) {
    const a = news.get(id);
    if (!a) {
      removed.push({ release: b.release, object: objectId(b.o) });
      continue;
    }
    if (a.release !== b.release) moved.push({ object: objectId(a.o), from: b.release, to: a.release });
    if (canonical(a.o) === canonical(b.o)) {
      if (a.release === b.release) unchanged++;
      continue;
    }
    const diffs = differences(b.o, a.o, '', CHANGES_SHOWN + 1);
    changed.push({ release: a.release, object: objectId(a.o), changes: diffs.slice(0, CHANGES_SHOWN), more: diffs.length > CHANGES_SHOWN });
  }
  for (const [id, a] of news) if (!olds.has(id)) added.push({ release: a.release, object: objectId(a.o) });
  moved.sort((x, y) => (x.object < y.object ? -1 : x.object > y.object ? 1 : 0));
  const releases = new Set([...news.values()].map((v) => v.release)).size;
  return { added: added.sort(byRef), removed: removed.sort(byRef), changed: changed.sort(byRef), moved, unchanged, releases };
}

/** Compares two dist/ trees on disk (`_reports` and dot folders are skipped, as `loadManifestDir` does). */
export function diffDistTrees(oldDir: string, newDir: string): DistDiff {
  return diffManifests(loadManifestDir(oldDir), loadManifestDir(newDir));
}

/** True when nothing was added, removed, moved or changed. */
export function isEmptyDiff(diff: DistDiff): boolean {
  return !diff.added.length && !diff.removed.length && !diff.changed.length && !diff.moved.length;
}

/** Renders a diff as a review summary: counts, then each added, removed, moved and changed object by release. */
export function formatDistDiff(diff: DistDiff): string {
  if (isEmptyDiff(diff)) return `no changes: ${diff.unchanged} object(s) in ${diff.releases} release(s) are identical\n`;
  const lines = [`${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.moved.length} moved between releases, ${diff.unchanged} unchanged`];
  const section = (title: string, refs: readonly DistObjectRef[]) => {
    if (!refs.length) return;
    lines.push('', title);
    for (const r of refs) lines.push(`  ${r.release}  ${r.object}`);
  };
  section('ADDED', diff.added);
  section('REMOVED', diff.removed);
  if (diff.moved.length) {
    lines.push('', 'MOVED (another release, so another Argo CD Application, owns it now)');
    for (const m of diff.moved) lines.push(`  ${m.object}  ${m.from} -> ${m.to}`);
  }
  if (diff.changed.length) {
    lines.push('', 'CHANGED');
    for (const c of diff.changed) {
      lines.push(`  ${c.release}  ${c.object}`);
      for (const d of c.changes) lines.push(`    ${d}`);
      if (c.more) lines.push('    (and more)');
    }
  }
  return `${lines.join('\n')}\n`;
}
