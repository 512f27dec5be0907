/**
 * `npm run bench`: the synth program beside `helm template`, side by side in one run.
 *
 * For each scenario (bench/scenarios.ts) both sides run as users run them, each in fresh processes: the synth program
 * is `node bin/synth.js` (compiled, from its code cache, rendering, verifying and writing every object into an output
 * folder), Helm is `helm template` of the baseline chart (bench/helm/) for each release the scenario renders, back to
 * back, its output written to a file. Before timing, each side runs once untimed (that run writes the output folder
 * and the code cache, as any earlier synth would), and Helm's objects are counted by kind against the synth's: a
 * difference is reported with the row. Then the runs alternate (synth, Helm, synth, ...) so both see the same load;
 * the table shows medians. CPU time and peak memory come from /usr/bin/time when it is installed.
 *
 * Speed is never asserted (not here, not in tests): this is where it is looked at.
 *
 *   npm run bench                     every scenario, 7 runs each
 *   npm run bench -- --runs 15        more runs (the machine is busy? use more)
 *   npm run bench -- --only scale     scenarios whose name contains "scale"
 *   npm run bench -- --phases         also the synth program's phases (CPU ms, OPS_KIT_TIMINGS)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { synthesize } from '../apps/main';
import { helmBinary } from '../bin/helm';
import { renderArgoCd } from '../lib/gitops/argocd';
import { Manifest } from '../lib/release';
import { baselineValues } from './helm-values';
import { HelmRun, ReleaseLister, Scenario, scenarios } from './scenarios';

const ROOT = path.join(__dirname, '..');

/** The node flags `npm run synth` starts the synth program with (package.json; cdk8s.yaml's `app:` is held to the same by a test). */
const SYNTH_NODE_FLAGS: readonly string[] = (() => {
  const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.synth;
  const m = /^node((?: --[a-z0-9-]+(?:=\S+)?)*) bin\/synth\.js$/.exec(script);
  if (!m) throw new Error(`package.json scripts.synth is ${JSON.stringify(script)}; the benchmark expects "node [--flag ...] bin/synth.js"`);
  return m[1].split(' ').filter(Boolean);
})();
const TIME = '/usr/bin/time';

interface Sample {
  readonly wallMs: number;
  readonly cpuMs?: number;
  readonly rssMiB?: number;
}

interface Options {
  readonly runs: number;
  readonly only?: string;
  readonly phases: boolean;
}

function parse(argv: readonly string[]): Options {
  let runs = 7;
  let only: string | undefined;
  let phases = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--only') only = argv[++i];
    else if (argv[i] === '--phases') phases = true;
    else throw new Error(`unknown argument ${argv[i]}; allowed: --runs N, --only TEXT, --phases`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`'--runs' is ${runs}; allowed: a whole number >= 1`);
  return { runs, only, phases };
}

const hasTime = fs.existsSync(TIME);

/** Runs one command; wall time measured here, CPU and peak RSS by /usr/bin/time when present. */
function measure(cmd: string, args: readonly string[], stdoutFile: string | undefined, env: NodeJS.ProcessEnv): Sample & { stderr: string } {
  const out = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'ignore';
  const stats = path.join(os.tmpdir(), `ops-kit-bench-${process.pid}.time`);
  const [file, argv] = hasTime ? [TIME, ['-o', stats, '-f', '%U %S %M', cmd, ...args]] : [cmd, [...args]];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { cwd: ROOT, env, stdio: ['ignore', out, 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (typeof out === 'number') fs.closeSync(out);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  if (!hasTime) return { wallMs, stderr: r.stderr };
  const [user, sys, rssKb] = fs.readFileSync(stats, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(stats, { force: true });
  return { wallMs, cpuMs: (user + sys) * 1000, rssMiB: rssKb / 1024, stderr: r.stderr };
}

/** Objects per `apiVersion kind` in a YAML stream, or in the manifests below a folder. */
function kindsOfStream(text: string, into: Map<string, number>): void {
  for (const doc of YAML.parseAllDocuments(text)) {
    const o = doc.toJS() as { apiVersion?: string; kind?: string } | null;
    if (o?.kind) into.set(`${o.apiVersion} ${o.kind}`, (into.get(`${o.apiVersion} ${o.kind}`) ?? 0) + 1);
  }
}

function kindsOfDir(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.yaml')) kindsOfStream(fs.readFileSync(path.join(d, e.name), 'utf8'), out);
    }
  };
  walk(dir);
  return out;
}

function total(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}

function difference(a: Map<string, number>, b: Map<string, number>): string | undefined {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const diffs = keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: synth ${a.get(k) ?? 0}, Helm ${b.get(k) ?? 0}`);
  return diffs.length ? diffs.join('; ') : undefined;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

interface Result {
  readonly scenario: Scenario;
  readonly objects: number;
  readonly synth: Sample[];
  readonly helm: Sample[];
  readonly phases: Array<Record<string, number>>;
  /** Garbage-collection pauses (main thread, ms) in each phase, per run. */
  readonly gc: Array<Record<string, number>>;
  readonly mismatch?: string;
}

function runScenario(s: Scenario, options: Options, helm: string, work: string): Result {
  const dir = path.join(work, s.name.replace(/[^a-z0-9]+/gi, '-'));
  const out = path.join(dir, 'synth-out');
  fs.mkdirSync(dir, { recursive: true });
  const { CDK8S_OUTDIR: _outdir, OPS_KIT_TIMINGS: _timings, ...inherited } = process.env;
  const env = { ...inherited };
  const timingEnv = { ...env, OPS_KIT_TIMINGS: '1' };
  // As npm run synth and cdk8s.yaml start it.
  const synthArgs = [...SYNTH_NODE_FLAGS, path.join(ROOT, 'bin', 'synth.js'), ...s.synthArgs, '--quiet', '--out', out];
  const helmArgs = (s.helm ?? []).map((h: HelmRun, i) => {
    const args = ['template', h.release, h.chart, '--namespace', h.namespace];
    if (h.values) {
      const file = path.join(dir, `values-${i}.yaml`);
      fs.writeFileSync(file, YAML.stringify(h.values));
      args.push('--values', file);
    }
    for (const [k, v] of Object.entries(h.set ?? {})) args.push('--set', `${k}=${v}`);
    return args;
  });
  const helmOut = (i: number) => path.join(dir, `helm-${i}.yaml`);
  const runHelm = (): Sample => {
    const samples = helmArgs.map((args, i) => measure(helm, args, helmOut(i), env));
    return {
      wallMs: samples.reduce((a, x) => a + x.wallMs, 0),
      cpuMs: hasTime ? samples.reduce((a, x) => a + (x.cpuMs ?? 0), 0) : undefined,
      rssMiB: hasTime ? Math.max(...samples.map((x) => x.rssMiB ?? 0)) : undefined,
    };
  };
  // Untimed first runs: output folder, code cache, and the object counts both sides must agree on.
  measure(process.execPath, synthArgs, undefined, env);
  const synthKinds = kindsOfDir(out);
  let mismatch: string | undefined;
  if (helmArgs.length) {
    runHelm();
    const helmKinds = new Map<string, number>();
    helmArgs.forEach((_, i) => kindsOfStream(fs.readFileSync(helmOut(i), 'utf8'), helmKinds));
    mismatch = difference(synthKinds, helmKinds);
  }
  const synth: Sample[] = [];
  const helmSamples: Sample[] = [];
  const phases: Array<Record<string, number>> = [];
  const gc: Array<Record<string, number>> = [];
  for (let i = 0; i < options.runs; i++) {
    const r = measure(process.execPath, synthArgs, undefined, options.phases ? timingEnv : env);
    synth.push(r);
    if (options.phases) {
      const p: Record<string, number> = {};
      const g: Record<string, number> = {};
      for (const line of r.stderr.split('\n').filter((l) => l.startsWith('{'))) {
        type Line = { start?: { cpu: Record<string, number> }; timings?: { cpu: Record<string, number> }; gc?: Record<string, number> };
        const j = JSON.parse(line) as Line;
        if (j.gc) Object.assign(g, j.gc);
        else Object.assign(p, (j.start ?? j.timings)!.cpu);
      }
      phases.push(p);
      gc.push(g);
    }
    if (helmArgs.length) helmSamples.push(runHelm());
  }
  return { scenario: s, objects: total(synthKinds), synth, helm: helmSamples, phases, gc, mismatch };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Each example app's releases, rendered in memory, with the baseline chart's values for them. */
const releaseLister: ReleaseLister = (app) => {
  const releases = synthesize({ only: [app] });
  const values = (name: string, objects: readonly Manifest[]) => {
    const v = baselineValues(objects);
    if (v.unsupported.length) process.stderr.write(`  baseline chart: no template for ${[...new Set(v.unsupported)].join(', ')} (release ${name}); see bench/README.md\n`);
    return v.values;
  };
  const list = releases.map((r) => ({ name: r.name, namespace: r.namespace, values: values(r.name, r.objects) }));
  // The app's Argo CD delivery (dist/argocd/: Applications and AppProjects), which a Helm user writes too: one more
  // helm template of the same chart, rendering them as custom resources.
  const delivery = renderArgoCd(releases);
  if (delivery) {
    const objects = delivery.manifests.map((m) => m.object as Manifest);
    const name = `argocd-${app}`;
    list.push({ name, namespace: objects[0].metadata.namespace ?? 'argocd', values: values(name, objects) });
  }
  return list;
};

function main(): void {
  const options = parse(process.argv.slice(2));
  const helm = helmBinary();
  const helmVersion = spawnSync(helm, ['version', '--short'], { encoding: 'utf8' }).stdout.trim();
  // The synth program is current before anything is timed (a rebuild is not part of a synth's time).
  const prepared = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  if (prepared.status !== 0) throw new Error('bin/build.js failed');
  const list = scenarios(releaseLister).filter((s) => !options.only || s.name.includes(options.only));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-bench-'));
  const results: Result[] = [];
  try {
    for (const s of list) {
      process.stderr.write(`  measuring ${s.name}\n`);
      results.push(runScenario(s, options, helm, work));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const cpus = os.cpus();
  console.log(`${options.runs} run(s) per side per scenario, alternating; medians. node ${process.version}, helm ${helmVersion}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim()}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`);
  console.log(`synth: ${['node', ...SYNTH_NODE_FLAGS, 'bin/synth.js'].join(' ')} (render, verify, write every object); Helm: helm template of bench/helm/ per release, output to a file.\n`);
  const rows = results.map((r) => {
    const sw = median(r.synth.map((x) => x.wallMs));
    const hw = r.helm.length ? median(r.helm.map((x) => x.wallMs)) : undefined;
    const sc = hasTime ? median(r.synth.map((x) => x.cpuMs!)) : undefined;
    const hc = hasTime && r.helm.length ? median(r.helm.map((x) => x.cpuMs!)) : undefined;
    const perObject = r.scenario.name.startsWith('scale') || r.scenario.name.startsWith('iot fleet');
    const us = (ms: number | undefined) => (ms === undefined ? '-' : `${((ms * 1000) / r.objects).toFixed(0)} us`);
    return [
      `${r.scenario.name}${r.mismatch ? ' (!)' : ''}`,
      String(r.objects),
      fmtMs(sw),
      fmtMs(hw),
      hw ? `${(sw / hw).toFixed(2)}x` : '-',
      fmtMs(sc),
      fmtMs(hc),
      sc !== undefined && hc ? `${(sc / hc).toFixed(2)}x` : '-',
      perObject ? `${us(sw)} / ${us(hw)}` : '',
      hasTime ? `${median(r.synth.map((x) => x.rssMiB!)).toFixed(0)} / ${r.helm.length ? median(r.helm.map((x) => x.rssMiB!)).toFixed(0) : '-'} MiB` : '-',
    ];
  });
  console.log(table(['scenario', 'objects', 'synth wall', 'Helm wall', 'wall ratio', 'synth CPU', 'Helm CPU', 'CPU ratio', 'per object (synth / Helm)', 'peak RSS (synth / Helm)'], rows));
  for (const r of results.filter((x) => x.mismatch)) console.log(`\n(!) ${r.scenario.name}: the baseline renders other objects than the synth: ${r.mismatch}. See bench/README.md.`);
  if (options.phases) {
    const names = [...new Set(results.flatMap((r) => r.phases.flatMap((p) => Object.keys(p))))];
    console.log(`\nsynth program phases, CPU ms (median; OPS_KIT_TIMINGS):\n${table(['scenario', ...names], results.map((r) => [r.scenario.name, ...names.map((n) => median(r.phases.map((p) => p[n] ?? 0)).toFixed(0))]))}`);
    // A phase's CPU includes the collections that run in it, wherever the garbage was made.
    const gcNames = [...new Set(results.flatMap((r) => r.gc.flatMap((p) => Object.keys(p))))];
    if (gcNames.length) console.log(`\nof which garbage-collection pauses, main thread, wall ms (median):\n${table(['scenario', ...gcNames], results.map((r) => [r.scenario.name, ...gcNames.map((n) => median(r.gc.map((p) => p[n] ?? 0)).toFixed(0))]))}`);
  }
}

main();
