import * as path from 'path';
import { App } from 'cdk8s';
import { ArgoCdOutput, releaseDeliveryNote, renderArgoCd } from '../gitops/argocd';
import { distFiles, manifestText, renderApp, RenderedRelease, REPORTS_DIR, writeDist } from '../release/synth';
import { ARGOCD_DIR, verifyArgoCd } from './argocd';
import { timed } from '../release/timing';
import { sortedByKey } from '../core/order';
import { VerifyOptions, VerifyReport } from './types';
import { formatReport, verifyReleases } from './verify';

/** Options of `verifyAndWrite` / `synthesizeToDist`: where the schemas come from, plus how to write and report. */
export interface SynthesizeOptions extends Omit<VerifyOptions, 'name' | 'files'> {
  /**
   * Also write the verified output into this folder: the one `cdk8s synth` passes in `CDK8S_OUTDIR` and runs its
   * validation plugins on. The CLI deletes that folder before the app starts, so point cdk8s.yaml's `output` at a
   * scratch folder and pass `process.env.CDK8S_OUTDIR` here: `outdir` (dist/) is then replaced only by a synth that
   * succeeded, whichever way it was started. Ignored when it is `outdir` itself.
   * @default - no second copy
   */
  readonly cdk8sOutdir?: string;
  /**
   * Do not print the releases' warnings to stderr (they are still returned, and listed in each release's NOTES.txt).
   * @default false
   */
  readonly quiet?: boolean;
  /**
   * Where printed warnings go.
   * @default - process.stderr
   */
  readonly warn?: (line: string) => void;
}

/** One synth warning: the release it belongs to and its text. */
export interface ReleaseWarning {
  /** The release's name. */
  readonly release: string;
  /** The warning as printed (with its fix, when it has one). */
  readonly message: string;
}

/** The outcome of `verifyAndWrite` / `synthesizeToDist`. */
export interface VerifiedWrite {
  /** True when every release passed verification and the output was written. */
  readonly ok: boolean;
  /** The rendered releases (notes and warnings included). */
  readonly releases: readonly RenderedRelease[];
  /** One report per release, in release order, then (when a release names a delivery target) the `argocd` report. */
  readonly reports: readonly VerifyReport[];
  /** Every release's warnings, in release order (printed unless `quiet`; they do not fail the synth). */
  readonly warnings: readonly ReleaseWarning[];
  /**
   * The files written (relative paths), or undefined when verification failed and nothing was written.
   * @default - none (nothing written)
   */
  readonly files?: ReadonlyMap<string, string>;
}

/**
 * The files a synth writes for verified releases, by path relative to the output directory, sorted: each release's
 * manifests, and beside (never inside) the release folders its `NOTES.txt` and `verify.txt`. Pure: no disk access.
 * @internal
 */
export function outputFiles(releases: readonly RenderedRelease[], reports: readonly VerifyReport[], delivery?: ArgoCdOutput): Map<string, string> {
  const files = distFiles(releases);
  for (const r of reports) files.set(path.posix.join(REPORTS_DIR, r.name, 'verify.txt'), formatReport(r));
  if (delivery) {
    for (const m of delivery.manifests) files.set(m.file, manifestText(m.object));
    for (const [file, text] of delivery.patches) files.set(file, text);
    files.set(path.posix.join(REPORTS_DIR, ARGOCD_DIR, 'NOTES.txt'), delivery.notes);
  }
  return sortedByKey(files);
}

/**
 * The warnings of a set of releases, flattened in release order.
 * @internal
 */
export function releaseWarnings(releases: readonly RenderedRelease[]): ReleaseWarning[] {
  return releases.flatMap((r) => r.warnings.map((message) => ({ release: r.name, message })));
}

/**
 * Verifies every rendered release (schema, policy, references) and, only when all pass, replaces `outdir` with the
 * manifests plus one `_reports/<release>/verify.txt` per release (reports never go inside a release folder). When
 * releases name a delivery target, the Argo CD delivery (`dist/argocd/`, see lib/gitops/argocd.ts) is generated,
 * verified (report `argocd`) and written with them, and each delivered release's notes gain its apply steps. The
 * write is atomic (see `writeDist`): when verification or any write fails, `outdir` is left byte-identical.
 */
export function verifyAndWrite(releases: readonly RenderedRelease[], outdir: string, options: SynthesizeOptions = {}): VerifiedWrite {
  const { cdk8sOutdir, quiet, warn, ...verifyOptions } = options;
  const warnings = releaseWarnings(releases);
  if (!quiet) {
    const print = warn ?? ((line: string) => process.stderr.write(`${line}\n`));
    for (const w of warnings) print(`WARNING [${w.release}] ${w.message}`);
  }
  // The delivery first: a dependency cycle or a clash of names fails before any verification output.
  const delivery = timed('delivery', () => renderArgoCd(releases));
  let reports = timed('verify', () => verifyReleases(releases, verifyOptions));
  if (delivery) {
    const folders = new Map(releases.map((r) => [r.name, r.objects]));
    reports = [...reports, timed('verify', () => verifyArgoCd(delivery.manifests, folders, { ...verifyOptions, distPaths: delivery.distPaths }))];
  }
  if (!reports.every((r) => r.ok)) return { ok: false, releases, reports, warnings };
  const written = delivery
    ? releases.map((r) => {
      const d = delivery.releases.get(r.name);
      return d ? { ...r, notes: [...r.notes, releaseDeliveryNote(r, d, delivery)] } : r;
    })
    : releases;
  const files = timed('yaml', () => outputFiles(written, reports, delivery));
  timed('write', () => {
    // The CLI's scratch copy first: if it cannot be written, outdir is not touched either.
    if (cdk8sOutdir !== undefined && path.resolve(cdk8sOutdir) !== path.resolve(outdir)) writeDist(cdk8sOutdir, files);
    writeDist(outdir, files);
  });
  return { ok: true, releases: written, reports, warnings, files };
}

/**
 * The whole pipeline for an app of Releases: validate constructs, render in memory, verify, and only then write one
 * folder per release into `outdir` (the rendered-manifests pattern). Throws on construct validation errors; returns
 * `ok: false` with the reports (and writes nothing) when verification fails. Warnings are returned, and printed to
 * stderr unless `quiet`.
 */
export function synthesizeToDist(app: App, outdir: string, options: SynthesizeOptions = {}): VerifiedWrite {
  return verifyAndWrite(renderApp(app), outdir, options);
}
