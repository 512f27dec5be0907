/**
 * Synth entry point: renders every example app into dist/ (one folder per release, manifests only).
 * `npm run synth` and `cdk8s synth` (through cdk8s.yaml) run it compiled, through bin/synth.js.
 *
 *   npm run synth                       all apps into dist/
 *   npm run synth -- --only graphistry  one app (benchmarks use this)
 *   npm run synth -- --out /tmp/x       another output directory
 *   npm run synth -- --quiet            print nothing but errors
 *
 * `cdk8s synth` deletes its `output` folder before it starts the app and passes it in CDK8S_OUTDIR; cdk8s.yaml points
 * it at a scratch folder, and the app replaces dist/ itself (atomically, only after verification) and copies the same
 * files into CDK8S_OUTDIR for the CLI's validation plugin.
 */
import { App } from 'cdk8s';
import { notesText, renderApp, RenderedRelease } from '../lib/release';
import { gcTimings, timed, timings } from '../lib/release/timing';
import { formatReport, verifyAndWrite } from '../lib/verify';
import { EXAMPLE_APPS, ExampleApp } from './registry';

export interface SynthOptions {
  /** Only these example apps (by name). @default all */
  readonly only?: readonly string[];
}

/** Builds the construct tree of the selected example apps. */
export function buildApp(options: SynthOptions = {}, apps: readonly ExampleApp[] = EXAMPLE_APPS): App {
  const unknown = (options.only ?? []).filter((n) => !apps.some((a) => a.name === n));
  if (unknown.length) {
    throw new Error(`'--only' is ${JSON.stringify(unknown)}; allowed: ${apps.map((a) => a.name).join(', ') || '(no apps registered)'}`);
  }
  const app = new App({ outdir: 'dist' });
  for (const a of apps) {
    if (!options.only || options.only.includes(a.name)) a.build(app);
  }
  return app;
}

/** Renders the selected apps in memory: constructs validated, objects synthesized, nothing written. */
export function synthesize(options: SynthOptions = {}, apps: readonly ExampleApp[] = EXAMPLE_APPS): RenderedRelease[] {
  const app = timed('build', () => buildApp(options, apps));
  return timed('render', () => renderApp(app));
}

export { verifyAndWrite } from '../lib/verify';

function parseArgs(argv: readonly string[]): SynthOptions & { out: string; quiet: boolean } {
  let out = 'dist';
  const only: string[] = [];
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') only.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (a === '--out') out = argv[++i] ?? out;
    else if (a === '--quiet') quiet = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}; allowed: --only <app[,app]>, --out <dir>, --quiet`);
  }
  return { out, only: only.length ? only : undefined, quiet };
}

/**
 * The synth program: parses `argv`, renders, verifies and writes the selected apps, prints the summary, and returns
 * the exit code (0, or 1 when anything failed; then nothing was written). bin/synth.js runs it from the compiled
 * bundle; `apps` lets the benchmark run the same program on its own apps.
 */
export function main(argv: readonly string[], apps: readonly ExampleApp[] = EXAMPLE_APPS): number {
  const code = run(argv, apps);
  if (process.env.OPS_KIT_TIMINGS) {
    process.stderr.write(`${JSON.stringify({ timings: timings() })}\n`);
    // Collection pauses are reported asynchronously (node records each as an immediate, and the observer receives them
    // in a later one): printed two immediates later.
    setImmediate(() => setImmediate(() => process.stderr.write(`${JSON.stringify({ gc: gcTimings() })}\n`)));
  }
  return code;
}

function run(argv: readonly string[], apps: readonly ExampleApp[]): number {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`synth failed; nothing was written\n\n${(e as Error).message}\n`);
    return 1;
  }
  let releases: RenderedRelease[];
  try {
    releases = synthesize(args, apps);
  } catch (e) {
    process.stderr.write(`synth failed; nothing was written to ${args.out}/\n\n${(e as Error).message}\n`);
    return 1;
  }
  let result: ReturnType<typeof verifyAndWrite>;
  try {
    result = verifyAndWrite(releases, args.out, { cdk8sOutdir: process.env.CDK8S_OUTDIR || undefined, quiet: args.quiet });
  } catch (e) {
    process.stderr.write(`synth failed; nothing was written to ${args.out}/\n\n${(e as Error).message}\n`);
    return 1;
  }
  if (!result.ok) {
    const failed = result.reports.filter((r) => !r.ok);
    process.stderr.write(`synth failed verification; nothing was written to ${args.out}/\n\n${failed.map(formatReport).join('\n')}`);
    return 1;
  }
  const files = result.files!;
  if (!args.quiet) {
    const out: string[] = [];
    for (const r of result.reports) {
      // Passing reports list the exceptions (with reasons) and the externals an operator must create.
      out.push(r.exceptions.length || r.externals.length ? `${formatReport(r)}\n` : `verify ${r.name}: ${r.objectCount} object(s), all checks passed\n`);
    }
    for (const r of result.releases) {
      const notes = notesText(r);
      if (notes) out.push(`${notes}\n`);
    }
    out.push(`synthesized ${releases.length} release(s), ${[...files.keys()].filter((f) => f.endsWith('.yaml')).length} manifest(s) into ${args.out}/\n`);
    process.stdout.write(out.join(''));
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
