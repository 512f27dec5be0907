import { Manifest, manifestFileName, Release, renderRelease } from '../release';
import { VerifyOptions, VerifyReport } from './types';
import { formatReport, verifyReleases } from './verify';
import { outputFiles } from './write';

/** What `synthesizeToDist` would write for one release, for a test to assert on or snapshot. */
export interface ReleaseOutput {
  /** The release name (its folder below the output directory). */
  readonly name: string;
  /**
   * The files exactly as written, by path relative to the output directory, in sorted order: the manifests
   * (`<release>/<kind>-<name>.yaml`), `_reports/<release>/NOTES.txt` when the release has notes or warnings, and
   * `_reports/<release>/verify.txt`. (The output directory's `.ops-kit-output` marker belongs to no release.)
   */
  readonly files: Readonly<Record<string, string>>;
  /**
   * The objects as written, in file order: after the release pipeline, so cluster-scoped objects carry no namespace
   * and workloads declare the release's pull secrets in `refs.ops-kit.io/external`, unlike a plain
   * `Testing.synth(chart)`.
   */
  readonly manifests: readonly Manifest[];
  /** The release's warnings (they do not fail a synth). */
  readonly warnings: readonly string[];
  /** The release's operator notes. */
  readonly notes: readonly string[];
  /** The verification report (it passed: `synthRelease` throws otherwise). */
  readonly report: VerifyReport;
}

/**
 * Renders and verifies one release exactly as `synthesizeToDist` does, and returns what it would write, without
 * touching the disk. For a consumer's jest tests:
 *
 * ```ts
 * expect(synthRelease(release).files).toMatchSnapshot();
 * ```
 *
 * Throws when a construct rejects its props, and when verification fails (the error message is the verification
 * report), so a snapshot never records output the synth would refuse to write.
 */
export function synthRelease(release: Release, options: Omit<VerifyOptions, 'name' | 'files'> = {}): ReleaseOutput {
  const rendered = renderRelease(release);
  const [report] = verifyReleases([rendered], options);
  if (!report.ok) throw new Error(`release ${rendered.name} fails verification, so a synth would write nothing:\n${formatReport(report)}`);
  const files = outputFiles([rendered], [report]);
  const order = [...files.keys()];
  const byObject = new Map(rendered.objects.map((o) => [o, order.indexOf(`${rendered.name}/${manifestFileName(o)}`)]));
  return {
    name: rendered.name,
    files: Object.fromEntries(files),
    manifests: [...rendered.objects].sort((a, b) => byObject.get(a)! - byObject.get(b)!),
    warnings: rendered.warnings,
    notes: rendered.notes,
    report,
  };
}

