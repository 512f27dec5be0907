/**
 * What a change does to the deployed manifests, for a pull request review:
 *
 *   npm run upgrade-check -- <git-ref> [--dist <dir>]   dist/ at the ref (for example main, or the deployed tag)
 *                                                      against the working tree's dist/
 *   npm run upgrade-check -- <old-dir> <new-dir>        two dist trees on disk
 *
 * Prints the objects added, removed, moved between releases and changed (with the changed fields), then every change
 * Kubernetes would reject on apply or that destroys state, with a fix for each. The ref's dist/ is read with
 * `git archive`, so the working tree and the index are never touched.
 * Exit codes: 0 no breaking change, 1 breaking changes found, 2 usage or read error.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffDistTrees, formatDistDiff } from '../lib/verify/diff';
import { compareDistTrees, formatUpgradeReport } from '../lib/verify/upgrade';

const USAGE = [
  'usage: npm run upgrade-check -- <git-ref> [--dist <dir>]',
  '       npm run upgrade-check -- <old-dir> <new-dir>',
  '  compares dist/ at a git ref (or an old dist tree) with the current one: objects added, removed and changed, and',
  '  every change Kubernetes rejects on apply or that destroys state',
  '',
].join('\n');

function git(args: readonly string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf-8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** dist/ as committed at `ref`, extracted into a new temporary folder; the caller removes `tmp`. */
export function distAtRef(ref: string, distDir: string, cwd: string): { dir: string; tmp: string; label: string } {
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd);
  } catch {
    throw new Error(`${cwd} is not inside a git repository, so ${JSON.stringify(ref)} cannot be read as a git ref; give two directories instead`);
  }
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd);
  } catch {
    throw new Error(`${JSON.stringify(ref)} is neither a git commit (branch, tag, sha) nor, with a second argument, a directory`);
  }
  const rel = path.relative(fs.realpathSync(top), fs.realpathSync(path.resolve(cwd, distDir))).split(path.sep).join('/');
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`--dist ${distDir} is not a folder inside the repository at ${top}`);
  const label = `${ref} (${commit.slice(0, 12)})`;
  if (!git(['ls-tree', '-d', commit, '--', rel], top)) throw new Error(`${rel}/ does not exist at ${label}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-upgrade-check-'));
  try {
    const tar = path.join(tmp, 'dist.tar');
    git(['archive', '--format=tar', '-o', tar, commit, '--', rel], top);
    fs.mkdirSync(path.join(tmp, 'tree'));
    execFileSync('tar', ['-xf', tar, '-C', path.join(tmp, 'tree')], { timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { dir: path.join(tmp, 'tree', rel), tmp, label };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Runs the check; returns the exit code. Output goes through `write` so tests can capture it. */
export function run(
  argv: readonly string[],
  write: (text: string) => void = (t) => process.stdout.write(t),
  writeErr: (text: string) => void = (t) => process.stderr.write(t),
  cwd: string = process.cwd(),
): number {
  const args = argv.filter((a) => a !== '--');
  let dist = 'dist';
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--dist' && args[i + 1] !== undefined) dist = args[++i];
    else if (args[i].startsWith('-')) {
      writeErr(`upgrade-check: unknown option ${JSON.stringify(args[i])}\n${USAGE}`);
      return 2;
    } else positional.push(args[i]);
  }
  if (positional.length < 1 || positional.length > 2 || (positional.length === 2 && dist !== 'dist')) {
    writeErr(USAGE);
    return 2;
  }
  let tmp: string | undefined;
  try {
    let oldDir: string;
    let newDir: string;
    let header: string;
    if (positional.length === 2) {
      [oldDir, newDir] = positional.map((p) => path.resolve(cwd, p));
      header = `comparing ${positional[0]} with ${positional[1]}`;
    } else {
      const at = distAtRef(positional[0], dist, cwd);
      tmp = at.tmp;
      oldDir = at.dir;
      newDir = path.resolve(cwd, dist);
      header = `comparing ${dist}/ at ${at.label} with the working tree's ${dist}/`;
    }
    const diff = diffDistTrees(oldDir, newDir);
    const report = compareDistTrees(oldDir, newDir);
    write(`${header}\n\n${formatDistDiff(diff)}\n${formatUpgradeReport(report)}`);
    return report.ok ? 0 : 1;
  } catch (e) {
    writeErr(`upgrade-check: ${(e as Error).message}\n${USAGE}`);
    return 2;
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) process.exit(run(process.argv.slice(2)));
