/**
 * `npm run bench`: wall time and peak memory of synthesizing each example app, all apps together, and generated
 * objects at scale. Every run is a fresh process; the table shows the median of several runs with min and max.
 * Wall time is process start to exit (Node start-up and TypeScript loading through tsx included); the phase columns
 * are measured inside the process. Tests never assert times: this is where speed is looked at.
 *
 *   npm run bench                 all scenarios, 5 runs each
 *   npm run bench -- --runs 3     fewer runs
 *   npm run bench -- --only scale only scenarios whose name contains "scale"
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { scenarios } from './scenarios';

interface Sample { wallMs: number; maxRssKb: number; objects: number; phases: Record<string, number> }

function parse(argv: string[]): { runs: number; only?: string } {
  let runs = 5;
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--only') only = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}; allowed: --runs N, --only TEXT`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`'--runs' is ${runs}; allowed: a whole number >= 1`);
  return { runs, only };
}

function runOnce(name: string): Sample {
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(tsx, [path.join(__dirname, 'child.ts'), name], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`scenario ${name} failed (exit ${r.status}):\n${r.stderr}`);
  const line = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { wallMs, maxRssKb: line.maxRssKb, objects: line.objects, phases: line.phases };
}

function stats(xs: number[]): { med: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { med: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function main(): void {
  const { runs, only } = parse(process.argv.slice(2));
  const list = scenarios().filter((s) => !only || s.name.includes(only));
  const rows: string[][] = [];
  const phaseNames = new Set<string>();
  const results: Array<{ name: string; samples: Sample[] }> = [];
  for (const s of list) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(runOnce(s.name));
    for (const p of Object.keys(samples[0].phases)) phaseNames.add(p);
    results.push({ name: s.name, samples });
    process.stderr.write(`  measured ${s.name}\n`);
  }
  const phases = [...phaseNames];
  const header = ['scenario', 'objects', 'wall median', 'wall min..max', 'peak RSS median', 'RSS min..max', ...phases.map((p) => `${p} (median)`)];
  for (const { name, samples } of results) {
    const wall = stats(samples.map((x) => x.wallMs));
    const rss = stats(samples.map((x) => x.maxRssKb / 1024));
    rows.push([
      name,
      String(samples[0].objects),
      fmt(wall.med),
      `${fmt(wall.min)}..${fmt(wall.max)}`,
      `${rss.med.toFixed(0)} MiB`,
      `${rss.min.toFixed(0)}..${rss.max.toFixed(0)} MiB`,
      ...phases.map((p) => (samples[0].phases[p] === undefined ? '-' : fmt(stats(samples.map((x) => x.phases[p])).med))),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`${runs} fresh-process run(s) per scenario; node ${process.version}; ${require('os').cpus().length} CPU(s)`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main();
