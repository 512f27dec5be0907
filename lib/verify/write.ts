import * as path from 'path';
import { App } from 'cdk8s';
import { distFiles, renderApp, RenderedRelease, REPORTS_DIR, writeDist } from '../release/synth';
import { VerifyOptions, VerifyReport } from './types';
import { formatReport, verifyReleases } from './verify';

/** The outcome of `verifyAndWrite` / `synthesizeToDist`. */
export interface VerifiedWrite {
  /** True when every release passed verification and the output was written. */
  readonly ok: boolean;
  /** The rendered releases (notes and warnings included). */
  readonly releases: readonly RenderedRelease[];
  /** One report per release, in release order. */
  readonly reports: readonly VerifyReport[];
  /** The files written (relative paths), or undefined when verification failed and nothing was written. */
  readonly files?: ReadonlyMap<string, string>;
}

/**
 * Verifies every rendered release (schema, policy, references) and, only when all pass, replaces `outdir` with the
 * manifests plus one `_reports/<release>/verify.txt` per release (reports never go inside a release folder).
 * When any release fails, nothing is written and `outdir` is left as it was.
 */
export function verifyAndWrite(releases: readonly RenderedRelease[], outdir: string, options: Omit<VerifyOptions, 'name' | 'files'> = {}): VerifiedWrite {
  const reports = verifyReleases(releases, options);
  if (!reports.every((r) => r.ok)) return { ok: false, releases, reports };
  const files = distFiles(releases);
  for (const r of reports) files.set(path.posix.join(REPORTS_DIR, r.name, 'verify.txt'), formatReport(r));
  const sorted = new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeDist(outdir, sorted);
  return { ok: true, releases, reports, files: sorted };
}

/**
 * The whole pipeline for an app of Releases: validate constructs, render in memory, verify, and only then write one
 * folder per release into `outdir` (the rendered-manifests pattern). Throws on construct validation errors; returns
 * `ok: false` with the reports (and writes nothing) when verification fails.
 */
export function synthesizeToDist(app: App, outdir: string, options: Omit<VerifyOptions, 'name' | 'files'> = {}): VerifiedWrite {
  return verifyAndWrite(renderApp(app), outdir, options);
}
