import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// bin/synth.js decides before every run whether the compiled bundle still matches its sources. These tests drive
// that decision on a scratch tree; test/integration/synth-program.test.ts edits a real copy of the project.
const launcher = require('../../bin/synth.js') as {
  readManifest(root: string): Manifest | undefined;
  staleReason(manifest: Manifest | undefined, root: string): string | undefined;
  sourceText(bytes: Buffer): string;
  scriptText(text: string): string;
  load(manifest: Manifest, entry: string, variant?: string): { exports: Record<string, unknown>; saveCodeCache(): void };
};
const Module = require('module') as { wrapper: [string, string]; wrap(text: string): string };

interface Entry { path: string; size: number; mtimeMs: number; sha256: string }
interface Manifest { format: number; inputs: Entry[]; outputs: Record<string, Entry>; assets: Entry[] }

function entry(root: string, rel: string): Entry {
  const full = path.join(root, rel);
  const st = fs.statSync(full);
  return { path: rel, size: st.size, mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(fs.readFileSync(full)).digest('hex') };
}

describe('bin/synth.js: is the compiled program current?', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-launcher-'));
    fs.mkdirSync(path.join(root, 'lib'));
    fs.mkdirSync(path.join(root, 'build', 'synth'), { recursive: true });
    fs.writeFileSync(path.join(root, 'lib', 'a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(root, 'build', 'synth', 'main.js'), 'exports.main = () => 0;\n');
    // An app's program file (read through __dirname) and its copy beside the bundle.
    fs.mkdirSync(path.join(root, 'apps', 'demo'), { recursive: true });
    fs.mkdirSync(path.join(root, 'build', 'synth', 'demo'), { recursive: true });
    fs.writeFileSync(path.join(root, 'apps', 'demo', 'serve.py'), 'print("hi")\n');
    fs.copyFileSync(path.join(root, 'apps', 'demo', 'serve.py'), path.join(root, 'build', 'synth', 'demo', 'serve.py'));
    const manifest: Manifest = {
      format: 2,
      inputs: [entry(root, 'lib/a.ts'), entry(root, 'apps/demo/serve.py')],
      outputs: { main: entry(root, 'build/synth/main.js') },
      assets: [entry(root, 'build/synth/demo/serve.py')],
    };
    fs.writeFileSync(path.join(root, 'build', 'synth', 'inputs.json'), JSON.stringify(manifest));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const stale = () => launcher.staleReason(launcher.readManifest(root), root);

  test('current when nothing changed', () => {
    expect(stale()).toBeUndefined();
  });

  test('current when a file was only touched (same bytes, new mtime), and the new mtime is remembered', () => {
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, 'lib', 'a.ts'), later, later);
    expect(stale()).toBeUndefined();
    expect(launcher.readManifest(root)!.inputs[0].mtimeMs).toBe(fs.statSync(path.join(root, 'lib', 'a.ts')).mtimeMs);
  });

  test('stale when a source changed, even with its old size and mtime restored', () => {
    const file = path.join(root, 'lib', 'a.ts');
    const before = fs.statSync(file);
    fs.writeFileSync(file, 'export const a = 2;\n');
    expect(stale()).toBe('lib/a.ts changed');
    // An editor or a checkout that keeps the size and sets an older mtime is still caught by the hash.
    fs.utimesSync(file, before.atime, new Date(before.mtimeMs - 5_000));
    expect(stale()).toBe('lib/a.ts changed');
  });

  test('stale when a source is gone, when the bundle was changed, or when there is no manifest', () => {
    fs.rmSync(path.join(root, 'lib', 'a.ts'));
    expect(stale()).toBe('lib/a.ts is gone');
    fs.writeFileSync(path.join(root, 'lib', 'a.ts'), 'export const a = 1;\n');
    fs.appendFileSync(path.join(root, 'build', 'synth', 'main.js'), '// edited by hand\n');
    expect(stale()).toBe('build/synth/main.js changed');
    fs.rmSync(path.join(root, 'build', 'synth', 'inputs.json'));
    expect(stale()).toBe('it has not been built in this checkout');
  });

  test("stale when an app's program file changed, or its copy beside the bundle is gone or changed", () => {
    fs.writeFileSync(path.join(root, 'apps', 'demo', 'serve.py'), 'print("bye")\n');
    expect(stale()).toBe('apps/demo/serve.py changed');
    fs.writeFileSync(path.join(root, 'apps', 'demo', 'serve.py'), 'print("hi")\n');
    expect(stale()).toBeUndefined();
    fs.writeFileSync(path.join(root, 'build', 'synth', 'demo', 'serve.py'), 'print("hi!")\n');
    expect(stale()).toBe('build/synth/demo/serve.py changed');
    fs.rmSync(path.join(root, 'build', 'synth', 'demo', 'serve.py'));
    expect(stale()).toBe('build/synth/demo/serve.py is gone');
  });

  test('a manifest of another format is not trusted (an older build without the asset copies is rebuilt)', () => {
    const file = path.join(root, 'build', 'synth', 'inputs.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), format: 1 }));
    expect(stale()).toBe('it has not been built in this checkout');
  });
});

describe('bin/synth.js: reading a bundle', () => {
  test('ASCII bytes give the same text as UTF-8 decoding (read as latin1, without decoding)', () => {
    const text = 'exports.main = () => "\\u00e9t\\u00e9";\n// every ASCII byte: ' + Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
    expect(launcher.sourceText(Buffer.from(text, 'utf8'))).toBe(text);
  });

  test('bytes that are not all ASCII are decoded as UTF-8 (latin1 would turn them into other characters)', () => {
    const text = 'exports.name = "\u00e9t\u00e9 \u2713 \u{1F680}";\n';
    const bytes = Buffer.from(text, 'utf8');
    expect(bytes.toString('latin1')).not.toBe(text);
    expect(launcher.sourceText(bytes)).toBe(text);
  });
});

describe('bin/synth.js: the script it compiles', () => {
  const [head, tail] = Module.wrapper;

  test('a bundle the build wrapped in the CommonJS wrapper is compiled as it is (with or without a final newline)', () => {
    const wrapped = `${head}\nexports.main = () => 0;\n${tail}`;
    expect(launcher.scriptText(wrapped)).toBe(wrapped);
    expect(launcher.scriptText(`${wrapped}\n`)).toBe(`${wrapped}\n`);
  });

  test('any other text is wrapped at load time (a bundle from an older build, a module written by hand)', () => {
    expect(launcher.scriptText('exports.main = () => 0;\n')).toBe(Module.wrap('exports.main = () => 0;\n'));
    // The head alone, or the tail alone, is not the wrapper.
    const headOnly = `${head}exports.x = 1; }`;
    expect(launcher.scriptText(headOnly)).toBe(Module.wrap(headOnly));
    const tailOnly = `exports.f = (function () {${tail}`;
    expect(launcher.scriptText(tailOnly)).toBe(Module.wrap(tailOnly));
  });

  test('the bundles bin/build.js writes are wrapped, and load() runs a wrapped and an unwrapped bundle alike', () => {
    const { BUNDLE_WRAPPER } = require('../../bin/builder/index') as { BUNDLE_WRAPPER: readonly [string, string] };
    expect(BUNDLE_WRAPPER).toEqual(Module.wrapper);
    const root = path.join(__dirname, '..', '..');
    const manifest = launcher.readManifest(root);
    if (manifest) {
      const text = fs.readFileSync(path.join(root, manifest.outputs.main.path), 'latin1');
      expect(text.startsWith(head)).toBe(true);
      expect(launcher.scriptText(text)).toBe(text);
    }
    // load() on a scratch bundle of each form: same exports, code caches written and read back.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-load-'));
    try {
      const bundle = (name: string, text: string) => {
        fs.writeFileSync(path.join(dir, `${name}.js`), text);
        return { path: path.relative(root, path.join(dir, `${name}.js`)), size: 0, mtimeMs: 0, sha256: createHash('sha256').update(text).digest('hex') };
      };
      const body = 'exports.main = (argv) => argv.length + (typeof require === "function" ? 40 : 0) + (module.exports === exports ? 1 : 0);\n';
      const m: Manifest = { format: 2, inputs: [], assets: [], outputs: { plain: bundle('plain', body), wrapped: bundle('wrapped', `${head}\n${body}${tail}\n`) } };
      for (const name of ['plain', 'wrapped']) {
        for (let run = 0; run < 2; run++) {
          const program = launcher.load(m, name, '~test');
          expect((program.exports.main as (argv: string[]) => number)(['a', 'b'])).toBe(43);
          program.saveCodeCache();
        }
        expect(fs.readdirSync(dir).filter((f) => f.startsWith(`${name}.`) && f.endsWith('~test.v8cache'))).toHaveLength(1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bin/synth.js: V8's flags while the bundle works", () => {
  // Each case runs in a fresh node (the flags are process-wide), started as cdk8s.yaml starts the synth: no flags.
  const SYNTH = path.join(__dirname, '..', '..', 'bin', 'synth.js');
  let scratch: string;
  beforeAll(() => (scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-flags-'))));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
  // A script file, not `node -e` (whose `-e` would be one of node's own flags, process.execArgv).
  const child = (script: string, execArgv: string[] = []) => {
    const file = path.join(scratch, `probe-${createHash('sha256').update(script).digest('hex').slice(0, 12)}.js`);
    fs.writeFileSync(file, script);
    const r = spawnSync(process.execPath, [...execArgv, file], { encoding: 'utf8', env: { ...process.env, LAUNCHER: SYNTH }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  // What a function made hot inside and outside withSynthFlags became, and how large the young generation grew.
  const probe = `
    const v8 = require('v8');
    const { withSynthFlags } = require(process.env.LAUNCHER);
    v8.setFlagsFromString('--allow-natives-syntax');
    const status = new Function('f', 'return %GetOptimizationStatus(f)');
    const make = () => function hot(x) { let s = 0; for (let i = 0; i < 50; i++) s += i * x; return s; };
    const drive = (f) => { let t = 0; for (let i = 0; i < 200000; i++) t += f(i); return t; };
    const youngMiB = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    const churn = () => { let keep = []; for (let i = 0; i < 300000; i++) { keep.push({ a: i, b: [i] }); if (keep.length > 20000) keep = []; } };
    const inside = withSynthFlags(() => { const f = make(); drive(f); churn(); return { optimized: (status(f) & 16) !== 0, youngMiB: youngMiB() }; });
    const after = make(); drive(after); churn();
    console.log(JSON.stringify({ inside, after: { optimized: (status(after) & 16) !== 0, youngMiB: youngMiB() } }));
  `;

  test('no optimizing compiler and a young generation that does not grow while the work runs; defaults again after', () => {
    const r = child(probe) as { inside: { optimized: boolean; youngMiB: number }; after: { optimized: boolean; youngMiB: number } };
    expect(r.inside).toEqual({ optimized: false, youngMiB: expect.any(Number) });
    expect(r.inside.youngMiB).toBeLessThanOrEqual(2);
    expect(r.after.optimized).toBe(true);
    expect(r.after.youngMiB).toBeGreaterThan(2);
  });

  test('node started with flags of its own is left as it was', () => {
    const r = child(probe, ['--stack-size=984']) as { inside: { optimized: boolean; youngMiB: number } };
    expect(r.inside.optimized).toBe(true);
    expect(r.inside.youngMiB).toBeGreaterThan(2);
  });

  test("a code cache written after the work is accepted by the next plain start (V8's flag hash is back to a plain start's)", () => {
    const dir = fs.mkdtempSync(path.join(scratch, 'cache-'));
    try {
      // Writes a cache of a small script after running it under withSynthFlags (or, as the control, with the run
      // flags left set), then reports whether a fresh node, before any flag change, accepts that cache.
      const write = (restore: boolean) => `
        const fs = require('fs'); const vm = require('vm'); const v8 = require('v8');
        const { withSynthFlags, SYNTH_V8_FLAGS } = require(process.env.LAUNCHER);
        const script = new vm.Script('(function(){ return [1, 2, 3].map((x) => x * 2).join(); })', { filename: 'probe.js' });
        const fn = script.runInThisContext();
        ${restore ? 'withSynthFlags(fn);' : 'v8.setFlagsFromString(SYNTH_V8_FLAGS.run); fn();'}
        fs.writeFileSync(${JSON.stringify(path.join(dir, 'probe.cache'))}, script.createCachedData());
        console.log('{}');
      `;
      const read = `
        const fs = require('fs'); const vm = require('vm');
        const script = new vm.Script('(function(){ return [1, 2, 3].map((x) => x * 2).join(); })', { filename: 'probe.js', cachedData: fs.readFileSync(${JSON.stringify(path.join(dir, 'probe.cache'))}) });
        console.log(JSON.stringify({ rejected: script.cachedDataRejected }));
      `;
      child(write(true));
      expect(child(read)).toEqual({ rejected: false });
      child(write(false));
      expect(child(read)).toEqual({ rejected: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bin/builder: the shipped CRDs in the bundle', () => {
  const root = path.join(__dirname, '..', '..');
  type Source = typeof import('../../lib/verify/schema-source');

  test('the bundle carries the text of schemas/crds.json.gz, uncompressed when it was built (the file is an input)', () => {
    const manifest = launcher.readManifest(root);
    if (!manifest) return;
    expect(manifest.inputs.map((i) => i.path)).toContain('schemas/crds.json.gz');
    const inject = fs.readFileSync(path.join(root, 'build', 'gen', 'inject.js'), 'utf8');
    const embedded = /^export const OPS_KIT_BUNDLED_CRDS_JSON = (.*);$/m.exec(inject);
    expect(embedded).not.toBeNull();
    expect(JSON.parse(embedded![1])).toBe(require('zlib').gunzipSync(fs.readFileSync(path.join(root, 'schemas', 'crds.json.gz'))).toString('utf8'));
  });

  test('bundledCrds() gives the same CRD versions from the embedded text as from the file, and reads no file then', () => {
    const load = () => {
      let crds: ReturnType<Source['bundledCrds']> | undefined;
      jest.isolateModules(() => {
        crds = (require('../../lib/verify/schema-source') as Source).bundledCrds();
      });
      return crds!;
    };
    const fromFile = load();
    const g = globalThis as { OPS_KIT_BUNDLED_CRDS_JSON?: string };
    const text = require('zlib').gunzipSync(fs.readFileSync(path.join(root, 'schemas', 'crds.json.gz'))).toString('utf8') as string;
    try {
      g.OPS_KIT_BUNDLED_CRDS_JSON = text;
      const embedded = load();
      expect([...embedded.keys()]).toEqual(expect.arrayContaining(['argoproj.io/v1alpha1/Application', 'argoproj.io/v1alpha1/AppProject']));
      expect(embedded).toEqual(fromFile);
      // The embedded text is what counts: with only the AppProject CRD in it, the Application is not found.
      const vendored = JSON.parse(text) as { crds: Array<{ spec: { names: { kind: string } } }> };
      g.OPS_KIT_BUNDLED_CRDS_JSON = JSON.stringify({ ...vendored, crds: vendored.crds.filter((c) => c.spec.names.kind === 'AppProject') });
      expect([...load().keys()].filter((k) => k.startsWith('argoproj.io/'))).toEqual(['argoproj.io/v1alpha1/AppProject']);
    } finally {
      delete g.OPS_KIT_BUNDLED_CRDS_JSON;
    }
  });
});

describe('bin/builder: cdk8s-plus-28 as the bundles see it', () => {
  const root = path.join(__dirname, '..', '..');
  const { plusModuleOf } = require('../../bin/builder/index') as { plusModuleOf(root: string, name: string): string };

  test('a name is imported from the module that defines it, not from the index that loads all of cdk8s-plus-28', () => {
    expect(plusModuleOf(root, 'LabelSelector')).toBe('node_modules/cdk8s-plus-28/lib/pod.js');
    expect(plusModuleOf(root, 'Deployment')).toBe('node_modules/cdk8s-plus-28/lib/deployment.js');
    // Enums are assigned through `exports.<Name> = <Name> = {}` in their module too.
    expect(plusModuleOf(root, 'RestartPolicy')).toBe('node_modules/cdk8s-plus-28/lib/pod.js');
    // What each module exports is what the index exports under that name (the same class, not a copy).
    const index = require(path.join(root, 'node_modules/cdk8s-plus-28/lib/index.js')) as Record<string, unknown>;
    for (const name of ['LabelSelector', 'Deployment', 'RestartPolicy']) {
      expect((require(path.join(root, plusModuleOf(root, name))) as Record<string, unknown>)[name]).toBe(index[name]);
    }
    // A name no module defines (or a prefix of one) falls back to the index.
    expect(plusModuleOf(root, 'NoSuchThing')).toBe('node_modules/cdk8s-plus-28/lib/index.js');
    expect(plusModuleOf(root, 'Label')).toBe('node_modules/cdk8s-plus-28/lib/index.js');
  });

  test('the shim the bundles were built with does not load the index', () => {
    if (!launcher.readManifest(root)) return;
    const shim = fs.readFileSync(path.join(root, 'build', 'gen', 'cdk8s-plus-28.mjs'), 'utf8');
    expect(shim).toContain('export { LabelSelector } from "../../node_modules/cdk8s-plus-28/lib/pod.js";');
    expect(shim).not.toContain('lib/index.js');
  });
});
