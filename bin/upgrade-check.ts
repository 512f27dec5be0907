/**
 * Upgrade-safety check between two synth results:
 *
 *   npm run upgrade-check -- <old-dir> <new-dir>
 *
 * For example, the dist/ of the deployed commit (`git worktree add /tmp/deployed <sha>`) against the working tree's
 * dist/. Prints every change Kubernetes would reject on apply or that destroys state, with a fix for each.
 * Exit codes: 0 no breaking change, 1 breaking changes found, 2 usage or read error.
 */
import { compareDistTrees, formatUpgradeReport } from '../lib/verify/upgrade';

/** Runs the check; returns the exit code. Output goes through `write` so tests can capture it. */
export function run(argv: readonly string[], write: (text: string) => void = (t) => process.stdout.write(t), writeErr: (text: string) => void = (t) => process.stderr.write(t)): number {
  const args = argv.filter((a) => a !== '--');
  if (args.length !== 2 || args.some((a) => a.startsWith('-'))) {
    writeErr('usage: npm run upgrade-check -- <old-dir> <new-dir>\n  compares two dist trees and lists every change Kubernetes rejects on apply or that destroys state\n');
    return 2;
  }
  try {
    const report = compareDistTrees(args[0], args[1]);
    write(formatUpgradeReport(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    writeErr(`upgrade-check: ${(e as Error).message}\n`);
    return 2;
  }
}

if (require.main === module) process.exit(run(process.argv.slice(2)));
