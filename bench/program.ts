/**
 * The synth program (apps/main.ts `main`: build, render, verify, write) over the benchmark's generated apps instead of
 * the example apps, so `npm run bench` times the scale scenarios exactly as a user's synth runs. bin/build.js bundles it
 * as build/synth/bench.js; bench/run.ts starts it through bin/synth.js like the example apps.
 *
 *   node bin/synth.js --program bench scale:10000 --out /tmp/x --quiet
 */
import { ApiObject, App, Yaml } from 'cdk8s';
import { buildApp, main as synthMain } from '../apps/main';
import { renderApiObjectWithPath } from '../lib/release/render';
import { emitYamlWithPath } from '../lib/release/yaml';
import { ExampleApp } from '../apps/registry';
import { addFleetRelease, fleetApp } from './fleet';
import { addGeneratedRelease, generatedApp } from './scenarios';

/** The benchmark's apps by name: `scale:<N>` (generated web workloads), `fleet:<N>` (IoT fleet deployments). */
export function benchApp(spec: string): ExampleApp {
  const m = /^(scale|fleet):(\d+)$/.exec(spec);
  if (!m) throw new Error(`benchmark app is ${JSON.stringify(spec)}; allowed: scale:<N> or fleet:<N>`);
  const n = Number(m[2]);
  return m[1] === 'scale'
    ? { name: 'scale', description: `${n} generated objects`, build: (app) => addGeneratedRelease(app, n) }
    : { name: 'fleet', description: `an IoT fleet of ${n} deployments`, build: (app) => addFleetRelease(app, n) };
}

/**
 * How every object of the example apps (and the generated ones) renders in this build: by the one-pass walk or by
 * `toJson()`, by the YAML emitter or by the yaml library, counted by class, and every object whose JSON or YAML differs
 * from cdk8s's `toJson()` and `Yaml.stringify`. The compiled bundle is where the source of the L1 converters looks
 * different from the tests' (minified), so a test runs this on the bundle.
 */
export function renderPaths(): Record<string, number> {
  const counts: Record<string, number> = {};
  const apps: App[] = [buildApp(), generatedApp(30), fleetApp(10)];
  for (const app of apps) {
    for (const c of app.node.findAll()) {
      if (!ApiObject.isApiObject(c)) continue;
      const r = renderApiObjectWithPath(c, app);
      const y = emitYamlWithPath(r.json);
      const keys = [`render ${r.path}: ${c.constructor.name}${r.reason ? ` (${r.reason})` : ''}`, `yaml ${y.path}`];
      // The same object and bytes as cdk8s's own toJson() and Yaml.stringify, or the difference is counted.
      const reference = c.toJson();
      if (JSON.stringify(reference) !== JSON.stringify(r.json)) keys.push(`render differs from toJson: ${c.node.path}`);
      if (Yaml.stringify(reference) !== y.text) keys.push(`yaml differs from Yaml.stringify: ${c.node.path}`);
      for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  return counts;
}

/** `argv` is the app spec followed by the synth program's own arguments (or `paths`, see `renderPaths`). */
export function main(argv: readonly string[]): number {
  const [spec, ...rest] = argv;
  if (spec === 'paths') {
    process.stdout.write(`${JSON.stringify(renderPaths(), null, 1)}\n`);
    return 0;
  }
  let app: ExampleApp;
  try {
    app = benchApp(spec ?? '');
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  return synthMain(rest, [app]);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
