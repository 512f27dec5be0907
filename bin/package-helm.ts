/**
 * Packages every release of dist/ as a Helm chart (Helm as packaging and versioning only, over the hydrated manifests):
 *
 *   npm run package:helm                          charts and archives into build/helm/
 *   npm run package:helm -- --out /tmp/charts     another output folder (replaced; never inside dist/)
 *   npm run package:helm -- --dist other/dist     another dist tree
 *
 * The Argo CD delivery folder (dist/argocd/) is not a release and is not packaged. The output folder is replaced only
 * when it is new, empty or was written by an earlier run (it carries the `.ops-kit-output` marker).
 * For each release: writes the chart (`lib/gitops/helm.ts`), runs `helm lint --strict`, checks that `helm template`
 * renders exactly the objects of dist/<release>, and runs `helm package`, which writes `<release>-<version>.tgz`
 * beside the chart folders. The chart version is package.json's. Exit codes: 0 packaged, 1 a chart failed a check,
 * 2 usage or setup error.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isArgoCdDeliveryFolder, readDistReleases, renderedDifferences, writeHelmCharts } from '../lib/gitops/helm';
import { ARGOCD_DIR } from '../lib/verify/argocd';
import { KUBERNETES_SCHEMA_VERSION } from '../lib/verify/kubernetes';
import { helmBinary } from './helm';

const USAGE = 'usage: npm run package:helm [-- --dist <dist-dir>] [--out <folder>]\n  writes one Helm chart per dist/ release and its .tgz archive into the folder (default build/helm)\n';

/** The version of this package (package.json beside bin/). */
function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf-8')).version;
}

function helm(bin: string, args: readonly string[]): { ok: boolean; output: string } {
  try {
    const output = execFileSync(bin, args, { encoding: 'utf-8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

/** Runs the packaging; returns the exit code. Output goes through `write`/`writeErr` so tests can capture it. */
export function run(
  argv: readonly string[],
  write: (text: string) => void = (t) => process.stdout.write(t),
  writeErr: (text: string) => void = (t) => process.stderr.write(t),
): number {
  let dist = 'dist';
  let out = path.join('build', 'helm');
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((a === '--dist' || a === '--out') && args[i + 1] !== undefined) {
      if (a === '--dist') dist = args[++i];
      else out = args[++i];
    } else {
      writeErr(`package:helm: unknown argument ${JSON.stringify(a)}\n${USAGE}`);
      return 2;
    }
  }
  let bin: string;
  let charts: string[];
  const version = packageVersion();
  try {
    bin = helmBinary();
    charts = writeHelmCharts(dist, out, { version });
  } catch (e) {
    writeErr(`package:helm: ${(e as Error).message}\n`);
    return 2;
  }
  const releases = new Map(readDistReleases(dist).map((r) => [r.name, r]));
  // One lint and one package call for all charts (helm takes several paths); template is one call per chart.
  const lint = helm(bin, ['lint', '--strict', ...charts]);
  if (!lint.ok) {
    writeErr(`helm lint failed\n${lint.output}\n`);
    return 1;
  }
  let failed = 0;
  for (const chart of charts) {
    const name = path.basename(chart);
    const rendered = helm(bin, ['template', name, chart, '--kube-version', KUBERNETES_SCHEMA_VERSION]);
    const diff = rendered.ok ? renderedDifferences(rendered.output, releases.get(name)!) : [`helm template failed: ${rendered.output}`];
    if (diff.length) {
      failed++;
      writeErr(`${name}: the chart does not reproduce dist/${name}\n  ${diff.join('\n  ')}\n`);
    }
  }
  if (failed) {
    writeErr(`${failed} of ${charts.length} chart(s) do not reproduce dist/; nothing was packaged\n`);
    return 1;
  }
  const pkg = helm(bin, ['package', ...charts, '--destination', out]);
  if (!pkg.ok) {
    writeErr(`helm package failed\n${pkg.output}\n`);
    return 1;
  }
  for (const chart of charts) {
    const name = path.basename(chart);
    write(`${name}: ${path.join(out, `${name}-${version}.tgz`)} (${releases.get(name)!.manifests.size} manifest(s), lint clean, renders dist/${name} exactly)\n`);
  }
  if (isArgoCdDeliveryFolder(path.join(dist, ARGOCD_DIR))) {
    write(`${ARGOCD_DIR}: not packaged (the Argo CD delivery, Applications and AppProjects, not a release)\n`);
  }
  write(`packaged ${charts.length} chart(s), version ${version}, into ${out}/\n`);
  return 0;
}

if (require.main === module) process.exit(run(process.argv.slice(2)));
