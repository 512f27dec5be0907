/**
 * Which version bump the changes since the last release need, and whether package.json has it:
 *
 *   npm run bump-check
 *
 * The last release is the newest entry of releases.json (its version and the commit of its version bump). The check
 * compares, between that commit and the working tree:
 *   - dist/ with the upgrade checker: a change Kubernetes rejects on apply or that destroys state (a selector, an
 *     immutable field, a claim's identity) is MAJOR and needs a migration note in CHANGELOG.md;
 *   - the public API report (api/cdk8s-ops-kit.public.api.md): a line removed or changed (something removed or
 *     narrowed) is MAJOR; lines only added are MINOR;
 *   - any other change to dist/ (objects added, removed or changed) is MINOR.
 * Before 1.0.0 the bumps move one digit right, as npm's caret ranges read them (^0.1.0 accepts 0.1.x only): MAJOR
 * means the next 0.x.0, MINOR and PATCH the next 0.x.y. CHANGELOG.md states the policy.
 * Exit codes: 0 package.json's version is at least the one the changes need, 1 it is lower, 2 usage or read error.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { diffDistTrees, isEmptyDiff } from '../lib/verify/diff';
import { compareDistTrees } from '../lib/verify/upgrade';
import { distAtRef } from './upgrade-check';

/** The kinds of bump, smallest first. */
export type Bump = 'none' | 'patch' | 'minor' | 'major';
const ORDER: readonly Bump[] = ['none', 'patch', 'minor', 'major'];

/** The path of the API report the bump check reads (written by `npm run api`). */
export const API_REPORT = 'api/cdk8s-ops-kit.public.api.md';

/** One release as releases.json records it. */
export interface ReleaseRecord {
  /** The version published. */
  readonly version: string;
  /** The commit of its version bump (full sha). */
  readonly commit: string;
}

/** The bump the changes need, with the reason for each part. */
export interface BumpVerdict {
  /** The largest bump any change needs. */
  readonly bump: Bump;
  /** Why, one line per finding (empty when nothing changed). */
  readonly reasons: readonly string[];
}

/** The larger of two bumps. */
export function maxBump(a: Bump, b: Bump): Bump {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/** What the API report's change needs: removed or changed lines are major, added lines minor. */
export function apiBump(before: string | undefined, after: string): BumpVerdict {
  if (before === undefined) return { bump: 'minor', reasons: [`${API_REPORT} did not exist at the release: the whole API is new (minor)`] };
  const lines = (t: string) => t.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() && !l.trim().startsWith('//'));
  const count = (ls: string[]) => ls.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const old = count(lines(before));
  const now = count(lines(after));
  const removed = [...old].filter(([l, n]) => (now.get(l) ?? 0) < n).map(([l]) => l.trim());
  const added = [...now].filter(([l, n]) => (old.get(l) ?? 0) < n).map(([l]) => l.trim());
  if (removed.length) {
    return { bump: 'major', reasons: [`the public API removes or narrows ${removed.length} declaration line(s) (major), for example: ${removed.slice(0, 3).join(' | ')}`] };
  }
  if (added.length) return { bump: 'minor', reasons: [`the public API adds ${added.length} declaration line(s) (minor), for example: ${added.slice(0, 3).join(' | ')}`] };
  return { bump: 'none', reasons: [] };
}

/** What the change from one dist/ tree to another needs. */
export function distBump(oldDir: string, newDir: string): BumpVerdict {
  const upgrade = compareDistTrees(oldDir, newDir);
  if (!upgrade.ok) {
    const objects = [...new Set(upgrade.breaking.map((v) => `${v.object} [${v.rule}]`))];
    return {
      bump: 'major',
      reasons: [`upgrading an existing release breaks ${objects.length} object(s) (major, with a migration note in CHANGELOG.md): ${objects.slice(0, 5).join(', ')}`],
    };
  }
  const diff = diffDistTrees(oldDir, newDir);
  if (isEmptyDiff(diff)) return { bump: 'none', reasons: [] };
  return {
    bump: 'minor',
    reasons: [`the rendered output changes (minor, listed in CHANGELOG.md): ${diff.added.length} object(s) added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.moved.length} moved`],
  };
}

/** Parses `x.y.z` (a pre-release or build suffix is refused: releases here are plain versions). */
export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`version ${JSON.stringify(v)} is not x.y.z`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The lowest version after `last` that carries `bump` (before 1.0.0 one digit to the right). */
export function requiredVersion(last: string, bump: Bump): string {
  const [maj, min, pat] = parseVersion(last);
  if (bump === 'none') return last;
  if (maj === 0) {
    if (bump === 'major') return `0.${min + 1}.0`;
    return `0.${min}.${pat + 1}`;
  }
  if (bump === 'major') return `${maj + 1}.0.0`;
  if (bump === 'minor') return `${maj}.${min + 1}.0`;
  return `${maj}.${min}.${pat + 1}`;
}

/** True when `a` is the same version as `b` or a later one. */
export function versionAtLeast(a: string, b: string): boolean {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return true;
}

/** The newest release recorded in releases.json. */
export function lastRelease(root: string): ReleaseRecord {
  const file = path.join(root, 'releases.json');
  const parsed = JSON.parse(fs.readFileSync(file, 'utf-8')) as { releases?: ReleaseRecord[] };
  const list = parsed.releases ?? [];
  if (!list.length) throw new Error(`${file} records no release`);
  const last = list[list.length - 1];
  parseVersion(last.version);
  if (!/^[0-9a-f]{40}$/.test(last.commit)) throw new Error(`releases.json: commit of ${last.version} is ${JSON.stringify(last.commit)}, not a full sha`);
  return last;
}

function gitShow(root: string, commit: string, file: string): string | undefined {
  try {
    return execFileSync('git', ['show', `${commit}:${file}`], { cwd: root, encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch {
    return undefined;
  }
}

/** Runs the check in the repository at `root`; returns the exit code. */
export function run(
  root: string,
  write: (t: string) => void = (t) => process.stdout.write(t),
  writeErr: (t: string) => void = (t) => process.stderr.write(t),
): number {
  let tmp: string | undefined;
  try {
    const release = lastRelease(root);
    const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf-8')).version as string;
    const at = distAtRef(release.commit, 'dist', root);
    tmp = at.tmp;
    const dist = distBump(at.dir, path.join(root, 'dist'));
    const api = apiBump(gitShow(root, release.commit, API_REPORT), fs.readFileSync(path.join(root, API_REPORT), 'utf-8'));
    const bump = maxBump(dist.bump, api.bump);
    const needed = requiredVersion(release.version, bump);
    const lines = [
      `last release: ${release.version} at ${release.commit.slice(0, 12)}; package.json: ${version}`,
      ...(bump === 'none' ? ['no change to dist/ or the public API since the release'] : [...dist.reasons, ...api.reasons].map((r) => `- ${r}`)),
      `needed: a ${bump === 'none' ? 'version at least' : `${bump} bump, version at least`} ${needed}`,
    ];
    if (!versionAtLeast(version, needed)) {
      writeErr(`${lines.join('\n')}\nbump-check: package.json's version ${version} is lower than ${needed}: set it (npm version ${needed} --no-git-tag-version) and describe the change in CHANGELOG.md\n`);
      return 1;
    }
    write(`${lines.join('\n')}\nbump-check: ${version} is enough\n`);
    return 0;
  } catch (e) {
    writeErr(`bump-check: ${(e as Error).message}\n`);
    return 2;
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) process.exit(run(path.resolve(__dirname, '..')));
