/**
 * Builds what the synth program runs, so that it starts as compiled JavaScript (never a TypeScript loader):
 *
 *   build/gen/k8s-l1.js                      the L1 classes the library uses, sliced out of cdk8s-plus-28 (l1-slice.ts)
 *   build/lib/verify/generated/validators.js  schema validators generated from the shipped schemas (schema-codegen.ts)
 *   build/synth/<entry>.js                   one bundle per program: main (apps/main.ts, `npm run synth` and
 *                                            `cdk8s synth`), plugin (the cdk8s validation plugin in a checkout),
 *                                            bench (bench/program.ts, the benchmark's scale program)
 *   build/synth/inputs.json                  every source a bundle was built from, with its size, mtime and SHA-256
 *
 * Run by `npm run prepare` (so `npm ci` leaves a fresh clone ready) and `npm run build`, and by bin/synth.js whenever
 * inputs.json says a source changed (then only the bundles and whatever else is stale are rebuilt). Each step is
 * skipped when its inputs are unchanged; every file is written to a temporary name and renamed into place.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as esbuild from 'esbuild';
import * as YAML from 'yaml';
import { GENERATED_VALIDATORS, SCHEMA_TRANSFORM_SOURCE } from '../../lib/verify/schema-generated';
import { generateValidatorsModule } from '../../lib/verify/schema-codegen';
import { BUNDLED_CRDS, BUNDLED_KUBERNETES_SCHEMA, OWN_CRDS_DIR, VendoredCrds, VendoredDefinitions } from '../../lib/verify/schema-source';
import { l1Names, shapeTableStatement, sliceL1 } from './l1-slice';

/** Bumped when the manifest layout changes (bin/synth.js checks it). */
export const MANIFEST_FORMAT = 2;
export const MANIFEST = 'build/synth/inputs.json';
const SLICE = 'build/gen/k8s-l1.js';
const SLICE_INPUTS = 'build/gen/k8s-l1.inputs.json';
const SHIM = 'build/gen/cdk8s-plus-28.mjs';
const INJECT = 'build/gen/inject.js';
const VALIDATOR_INPUTS = 'build/lib/verify/generated/validators.inputs.json';
const K8S_MODULE = 'node_modules/cdk8s-plus-28/lib/imports/k8s.js';
/** cdk8s-plus-28 modules the bundles include (the `Cpu` class); they name L1 classes too. */
const PLUS_MODULES = ['container.js', 'probe.js', 'utils.js', '_action.js'].map((f) => `node_modules/cdk8s-plus-28/lib/${f}`);
/** Folders whose TypeScript may name L1 classes. */
const SOURCE_DIRS = ['lib', 'apps', 'bench', 'imports'];

/**
 * The folder of the example apps. Its files that are not TypeScript (the programs an app mounts from a ConfigMap, such
 * as apps/dimtensor/serve.py) are read at synth time through `__dirname`, which in a bundle is build/synth/: each is
 * copied there at the same path relative to apps/ (apps/dimtensor/serve.py is build/synth/dimtensor/serve.py), and
 * recorded both as an input (an edit rebuilds) and as an asset (a copy that is gone or changed rebuilds).
 */
export const APP_ASSETS = 'apps';

/** The programs bin/synth.js can run. */
export const ENTRIES: Readonly<Record<string, string>> = {
  main: 'apps/main.ts',
  plugin: 'lib/verify/plugin.ts',
  bench: 'bench/program.ts',
};

/** One input file of the bundles, as recorded in the manifest. */
export interface InputFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/** build/synth/inputs.json. */
export interface Manifest {
  readonly format: number;
  /** Sources, the generated files and node_modules/.package-lock.json (which npm rewrites on every install). */
  readonly inputs: readonly InputFile[];
  /** The bundles, by entry name. */
  readonly outputs: Readonly<Record<string, InputFile>>;
  /** The copies of the apps' files under build/synth/ (see `APP_ASSETS`); their sources are among the inputs. */
  readonly assets: readonly InputFile[];
}

export interface BuildOptions {
  /** The project root (holds package.json). */
  readonly root: string;
  /** Progress lines. @default - none */
  readonly log?: (line: string) => void;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `file` through a temporary name and a rename, so a reader never sees half a file. */
export function writeAtomic(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function inputFile(root: string, rel: string): InputFile {
  const full = path.join(root, rel);
  const st = fs.statSync(full);
  return { path: rel, size: st.size, mtimeMs: st.mtimeMs, sha256: sha256(fs.readFileSync(full)) };
}

/** Every file under `dir` (relative to `root`), sorted, that `keep` accepts. */
function listFiles(root: string, dir: string, keep: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (keep(r)) out.push(r);
    }
  };
  walk(dir);
  return out;
}

function listTs(root: string, dir: string): string[] {
  return listFiles(root, dir, (r) => r.endsWith('.ts') && !r.endsWith('.d.ts'));
}

/** The files under apps/ a bundle reads at run time (everything but TypeScript), by their path relative to `root`. */
export function appAssets(root: string): string[] {
  return listFiles(root, APP_ASSETS, (r) => !r.endsWith('.ts'));
}

/** Copies the apps' assets into build/synth/ (see `APP_ASSETS`), removing copies whose source is gone. */
function copyAssets(root: string, sources: readonly string[]): InputFile[] {
  const target = (src: string) => path.posix.join('build/synth', path.posix.relative(APP_ASSETS, src));
  const wanted = new Set(sources.map(target));
  const out: InputFile[] = [];
  for (const src of sources) {
    const dst = target(src);
    const data = fs.readFileSync(path.join(root, src));
    const current = fs.existsSync(path.join(root, dst)) ? fs.readFileSync(path.join(root, dst)) : undefined;
    if (!current || !current.equals(data)) writeAtomic(path.join(root, dst), data);
    out.push(inputFile(root, dst));
  }
  // Copies of sources that were removed or renamed: a synth must not find a program the apps no longer ship.
  const stale = listFiles(root, 'build/synth', (r) => path.posix.dirname(r) !== 'build/synth' && !wanted.has(r));
  for (const f of stale) fs.rmSync(path.join(root, f), { force: true });
  return out;
}

/** Every L1 name (`k8s.<Name>`) the sources and the bundled cdk8s-plus-28 modules use. */
export function l1Roots(root: string): string[] {
  const names = new Set<string>();
  for (const f of [...SOURCE_DIRS.flatMap((d) => listTs(root, d)), ...PLUS_MODULES]) {
    for (const n of l1Names(fs.readFileSync(path.join(root, f), 'utf8'))) names.add(n);
  }
  return [...names].sort();
}

/**
 * What build/gen/k8s-l1.js is made from: cdk8s-plus-28's k8s.js, the slicer, the parse that makes its shape table
 * (lib/release/render.ts, which also defines the table's layout), this builder and the roots. A change to any remakes
 * the file.
 */
export function sliceInputs(root: string, roots: readonly string[]): Record<string, unknown> {
  const hash = (rel: string) => sha256(fs.readFileSync(path.join(root, rel)));
  return {
    k8sSha256: hash(K8S_MODULE),
    slicerSha256: hash('bin/builder/l1-slice.ts'),
    renderSha256: hash('lib/release/render.ts'),
    builderSha256: hash('bin/builder/index.ts'),
    roots,
  };
}

/** Writes build/gen/k8s-l1.js and its inputs record, unless the inputs are unchanged and the file is the one written. */
export function buildSlice(root: string, roots: readonly string[], log: (line: string) => void): void {
  const source = fs.readFileSync(path.join(root, K8S_MODULE));
  const inputs = sliceInputs(root, roots);
  const file = path.join(root, SLICE);
  const previous = readJson<{ inputs?: unknown; sha256?: string }>(path.join(root, SLICE_INPUTS));
  // Unchanged inputs, and the file is the one written from them (an edited or replaced file is made again).
  const current = readText(file);
  if (previous && JSON.stringify(previous.inputs) === JSON.stringify(inputs) && current !== undefined && sha256(current) === previous.sha256) return;
  const t0 = Date.now();
  const slice = sliceL1(source.toString('utf8'), roots);
  // The converters' shapes, parsed from the functions of exactly this code (see L1_SHAPES in lib/release/render.ts).
  const table = shapeTableStatement(slice.code, file);
  // Names the slice does not hold come from the complete module, loaded only then (see l1-slice.ts).
  const code = `${slice.code}${table.statement}
const sliced = module.exports;
let complete;
module.exports = new Proxy(sliced, {
  get(target, key) {
    if (key in target || typeof key !== 'string' || !/^(?:[A-Z]|toJson_)/.test(key)) return target[key];
    if (!complete) complete = module.require(require('path').join(__dirname, '..', '..', ${JSON.stringify(K8S_MODULE)}));
    return complete[key];
  },
});
`;
  writeAtomic(file, code);
  writeAtomic(path.join(root, SLICE_INPUTS), JSON.stringify({ inputs, sha256: sha256(code) }, null, 1));
  log(`sliced ${slice.names.length} of cdk8s-plus-28's L1 definitions (${Math.round(code.length / 1024)} KB of ${Math.round(source.length / 1024)} KB, ${table.converters} converter shapes) in ${Date.now() - t0} ms`);
}

/** The names the sources import from `cdk8s-plus-28` (`import { k8s, Cpu } from 'cdk8s-plus-28'`). */
export function plusImports(root: string): string[] {
  const names = new Set<string>();
  for (const f of SOURCE_DIRS.flatMap((d) => listTs(root, d))) {
    for (const m of fs.readFileSync(path.join(root, f), 'utf8').matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'cdk8s-plus-28'/g)) {
      for (const n of m[1].split(',')) {
        const name = n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0];
        if (name) names.add(name);
      }
    }
  }
  return [...names].sort();
}

/**
 * The module of cdk8s-plus-28 that defines `name` (TypeScript's CommonJS output assigns `exports.<name> =` only where
 * it is declared; index.js re-exports), or its index when not exactly one module does.
 */
export function plusModuleOf(root: string, name: string): string {
  const dir = 'node_modules/cdk8s-plus-28/lib';
  const assigns = new RegExp(`(?:^|[^\\w$.])exports\\.${name}\\s*=`, 'm');
  const defining = fs.readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.js') && f !== 'index.js')
    .sort()
    .filter((f) => assigns.test(fs.readFileSync(path.join(root, dir, f), 'utf8')));
  return `${dir}/${defining.length === 1 ? defining[0] : 'index.js'}`;
}

/**
 * The module the bundles load for `cdk8s-plus-28`, as ES module so each importer links to it directly: `k8s` is the
 * slice of the L1 classes the library uses (build/gen/k8s-l1.js), `Cpu` comes from its own module, and any other
 * name the sources import at run time from the module that defines it (`LabelSelector` from pod.js and what pod.js
 * requires): the package's index would load, and initialise at every start, all of cdk8s-plus-28.
 */
function writeShim(root: string): void {
  const index = path.join(root, 'node_modules/cdk8s-plus-28/lib/index.js');
  const runtime = new Set(Object.keys(require(index) as object));
  const others = plusImports(root).filter((n) => n !== 'k8s' && n !== 'Cpu' && runtime.has(n));
  const byModule = new Map<string, string[]>();
  for (const n of others) {
    const m = plusModuleOf(root, n);
    byModule.set(m, [...(byModule.get(m) ?? []), n]);
  }
  const code = [
    '// Generated by bin/build.js: cdk8s-plus-28 as the synth bundles see it (see writeShim in bin/builder/index.ts).',
    'export const k8s = require("./k8s-l1.js");',
    'export { Cpu } from "../../node_modules/cdk8s-plus-28/lib/container.js";',
    ...[...byModule].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([m, names]) => `export { ${names.join(', ')} } from "../../${m}";`),
    '',
  ].join('\n');
  if (readText(path.join(root, SHIM)) !== code) writeAtomic(path.join(root, SHIM), code);
}

/** The GVK (`group/version/kind`) of every L1 API object class among `roots`. */
function l1Kinds(root: string, roots: readonly string[]): string[] {
  const slice = require(path.join(root, SLICE)) as Record<string, { GVK?: { apiVersion: string; kind: string } }>;
  const kinds: string[] = [];
  for (const r of roots) {
    const gvk = r.startsWith('Kube') ? slice[r]?.GVK : undefined;
    if (!gvk) continue;
    const [group, version] = gvk.apiVersion.includes('/') ? gvk.apiVersion.split('/') : ['', gvk.apiVersion];
    kinds.push(`${group}/${version}/${gvk.kind}`);
  }
  return [...new Set(kinds)].sort();
}

/** The CRD version schemas the library knows: its own (imports/crds) and the third-party ones it ships. */
function crdSchemas(root: string): { own: unknown[]; shipped: unknown[] } {
  const schemas: unknown[] = [];
  const shippedSchemas: unknown[] = [];
  const own = path.join(root, OWN_CRDS_DIR);
  for (const f of fs.existsSync(own) ? fs.readdirSync(own).filter((n) => /\.ya?ml$/.test(n)).sort() : []) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(own, f), 'utf8'))) {
      for (const v of doc.toJS()?.spec?.versions ?? []) if (v?.schema?.openAPIV3Schema) schemas.push(v.schema.openAPIV3Schema);
    }
  }
  const shipped = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(root, BUNDLED_CRDS))).toString('utf8')) as VendoredCrds;
  for (const crd of shipped.crds as Array<{ spec?: { versions?: Array<{ schema?: { openAPIV3Schema?: unknown } }> } }>) {
    for (const v of crd.spec?.versions ?? []) if (v.schema?.openAPIV3Schema) shippedSchemas.push(v.schema.openAPIV3Schema);
  }
  return { own: schemas, shipped: shippedSchemas };
}

/** Regenerates the schema validators when the schema, the strictness rules, ajv, the kinds or the CRDs changed. */
export function buildValidators(root: string, kinds: readonly string[], log: (line: string) => void): void {
  const schemaBytes = fs.readFileSync(path.join(root, BUNDLED_KUBERNETES_SCHEMA));
  const crds = crdSchemas(root);
  const inputs = {
    schemaSha256: sha256(schemaBytes),
    transformSha256: sha256(fs.readFileSync(path.join(root, SCHEMA_TRANSFORM_SOURCE))),
    codegenSha256: sha256(fs.readFileSync(path.join(root, 'lib/verify/schema-codegen.ts'))),
    ajvVersion: (require(path.join(root, 'node_modules/ajv/package.json')) as { version: string }).version,
    kinds,
    crdSha256: [...crds.own, ...crds.shipped].map((s) => sha256(JSON.stringify(s))),
  };
  const out = path.join(root, GENERATED_VALIDATORS);
  const previous = readJson<typeof inputs>(path.join(root, VALIDATOR_INPUTS));
  if (previous && JSON.stringify(previous) === JSON.stringify(inputs) && fs.existsSync(out)) return;
  const t0 = Date.now();
  const vendored = JSON.parse(zlib.gunzipSync(schemaBytes).toString('utf8')) as VendoredDefinitions;
  const generated = generateValidatorsModule({
    definitions: vendored.definitions,
    schemaSha256: inputs.schemaSha256,
    transformSha256: inputs.transformSha256,
    kinds,
    crdSchemas: crds.own,
    separateCrdSchemas: crds.shipped,
  });
  for (const part of generated.parts) writeAtomic(path.join(path.dirname(out), part.file), part.code);
  for (const f of fs.readdirSync(path.dirname(out))) {
    if (/^validators-[0-9a-f]+\.js$/.test(f) && !generated.parts.some((p) => p.file === f)) fs.rmSync(path.join(path.dirname(out), f), { force: true });
  }
  writeAtomic(out, generated.code);
  writeAtomic(path.join(root, VALIDATOR_INPUTS), JSON.stringify(inputs, null, 1));
  log(`generated ${generated.ids.length} schema validators (${Math.round(generated.code.length / 1024)} KB) in ${Date.now() - t0} ms`);
}

/** node's CommonJS module wrapper (`Module.wrapper`): the head and the tail written around each bundle. */
export const BUNDLE_WRAPPER: readonly [string, string] = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];

/** Packages and built-in modules the sources import as CommonJS; imported through one ES module each (see below). */
const LINKED = ['cdk8s', 'constructs', 're2js', 'fs', 'path', 'crypto'];
/**
 * Modules loaded on first use, not at start: dependencies require them at load time but call them only in functions a
 * synth rarely or never runs (cdk8s: child_process for helm and URL fetching, yaml for Yaml.stringify, which the
 * emitter replaces), and the library calls them in a few functions (os.homedir, zlib for gzipped schemas, net for IP
 * checks, yaml to read manifests and CRDs).
 */
const LAZY_MODULES = ['child_process', 'os', 'net', 'http', 'https', 'zlib', 'url', 'dgram', 'yaml'];

/** The function exports of a module (lower-case names: classes are not wrapped), known at build time. */
function moduleFunctions(name: string): string[] {
  const mod = require(name) as Record<string, unknown>;
  return Object.keys(mod).filter((k) => /^[a-z]/.test(k) && typeof mod[k] === 'function').sort();
}

/** A module that stands in for another and loads it on first use; its functions are wrappers. */
function lazyModule(name: string, esm: boolean): string {
  const fns = moduleFunctions(name);
  const load = `let m;\nconst load = () => m || (m = require(${JSON.stringify(name)}));\n`;
  if (esm) return `${load}${fns.map((f) => `export function ${f}(...a) { return load().${f}(...a); }`).join('\n')}\n`;
  return `${load}const fns = new Set(${JSON.stringify(fns)});\nconst wrappers = {};\n` +
    'module.exports = new Proxy({}, { get(_, k) { if (k === "__esModule") return true; if (fns.has(k)) return wrappers[k] || (wrappers[k] = function (...a) { return load()[k].apply(this, a); }); return load()[k]; } });\n';
}

/**
 * esbuild plugin: how the bundles see their dependencies.
 *   - `cdk8s-plus-28` is the generated shim (the L1 slice, `Cpu`); its own modules get the slice for `./imports/k8s`.
 *   - `yaml` is the library's copy for cdk8s too (cdk8s bundles the same version), loaded on first use (below).
 *   - ajv's compiler stays in node_modules (loaded only for a kind without a generated validator, or a failure).
 *   - Our ES modules import a CommonJS package or built-in through one ES module per package (`export * from`): esbuild
 *     otherwise copies the package's exports into a new object for every importing file (cdk8s, 47 files).
 *   - `LAZY_MODULES` get a stand-in that loads the module on first use.
 */
function redirects(root: string): esbuild.Plugin {
  const shim = path.join(root, SHIM);
  const slice = path.join(root, SLICE);
  const ours = (importer: string) => !importer.includes(`${path.sep}node_modules${path.sep}`);
  return {
    name: 'ops-kit-redirects',
    setup(b) {
      b.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: shim }));
      b.onResolve({ filter: /^\.\/imports\/k8s$/ }, (args) => (args.importer.includes(`${path.sep}cdk8s-plus-28${path.sep}`) ? { path: slice } : undefined));
      b.onResolve({ filter: /^ajv$/ }, () => ({ path: 'ajv', external: true }));
      b.onResolve({ filter: /^[a-z][\w.-]*$/ }, (args) => {
        if (args.namespace === 'ops-kit-linked' || args.namespace === 'ops-kit-lazy') return undefined;
        if (args.kind === 'import-statement' && LINKED.includes(args.path) && ours(args.importer)) return { path: args.path, namespace: 'ops-kit-linked' };
        // One stand-in for ES importers (named function exports), one for CommonJS ones (a Proxy).
        if (LAZY_MODULES.includes(args.path)) return { path: `${args.path}:${args.kind === 'import-statement' ? 'esm' : 'cjs'}`, namespace: 'ops-kit-lazy' };
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'ops-kit-linked' }, (args) => ({ contents: `export * from ${JSON.stringify(args.path)};\n`, resolveDir: root, loader: 'js' }));
      b.onLoad({ filter: /.*/, namespace: 'ops-kit-lazy' }, (args) => ({ contents: lazyModule(args.path.split(':')[0], args.path.endsWith(':esm')), resolveDir: root, loader: 'js' }));
    },
  };
}

/**
 * How the bundles transform the code they carry (test/release/render-l1-shapes.test.ts checks the sliced converters
 * read the same way after it). Whitespace and syntax minified: a smaller file reads and compiles faster, and comments
 * (some not ASCII, which would make V8 hold the source as two-byte) go. Identifiers are kept for readable stack
 * traces, and names (`constructor.name` appears in messages) survive esbuild's renaming of colliding top-level symbols.
 */
export const BUNDLE_CODE_OPTIONS = {
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  charset: 'ascii',
} as const;

/** Bundles every entry into build/synth/ and writes the manifest. */
async function bundle(root: string, log: (line: string) => void): Promise<Manifest> {
  const t0 = Date.now();
  // The generated validators, and their separately loaded parts (the third-party CRDs: Argo CD's Application is 1.2 MB
  // of checks, which every synth with a delivery target runs), compiled into the bundle so they share its code cache;
  // each part is still evaluated only when a check in it is first needed.
  const generatedDir = path.dirname(path.join(root, GENERATED_VALIDATORS));
  const parts = fs.readdirSync(generatedDir).filter((f) => /^validators-[0-9a-f]+\.js$/.test(f)).sort();
  // The third-party CRDs the package ships (schemas/crds.json.gz, an input of the bundles: a change rebuilds them),
  // uncompressed here, so a synth neither reads nor gunzips the file and never loads zlib for it (about 10 ms of CPU).
  const crdsFile = path.join(root, BUNDLED_CRDS);
  const crdsJson = fs.existsSync(crdsFile) ? zlib.gunzipSync(fs.readFileSync(crdsFile)).toString('utf8') : undefined;
  const inject = [
    `export const OPS_KIT_BUNDLED_CRDS_JSON = ${crdsJson === undefined ? 'undefined' : JSON.stringify(crdsJson)};`,
    `export const OPS_KIT_BUNDLED_VALIDATORS = () => require(${JSON.stringify(path.join(root, GENERATED_VALIDATORS))});`,
    'export const OPS_KIT_BUNDLED_VALIDATOR_PARTS = {',
    ...parts.map((f) => `  ${JSON.stringify(f)}: () => require(${JSON.stringify(path.join(generatedDir, f))}),`),
    '};',
    '',
  ].join('\n');
  if (readText(path.join(root, INJECT)) !== inject) writeAtomic(path.join(root, INJECT), inject);
  const staging = fs.mkdtempSync(path.join(root, 'build', '.synth-'));
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(root, file)])),
      outdir: staging,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      ...BUNDLE_CODE_OPTIONS,
      legalComments: 'none',
      // Each bundle is written inside node's CommonJS wrapper, the function bin/synth.js's load() compiles, so that
      // the text it reads is the script itself (wrapping it at load time made V8 copy 3.8 MB into a new string).
      // A bundle is therefore loaded through load(), not require().
      banner: { js: BUNDLE_WRAPPER[0] },
      footer: { js: BUNDLE_WRAPPER[1] },
      metafile: true,
      logLevel: 'silent',
      inject: [path.join(root, INJECT)],
      plugins: [redirects(root)],
    });
    for (const w of result.warnings) {
      // Dynamic requires that are meant to stay dynamic (the generated validators outside a bundle, plugin loading).
      if (!/require/.test(w.text)) log(`warning: ${w.text} (${w.location?.file}:${w.location?.line})`);
    }
    // What the bundles are made of, besides their sources: the builder, the schemas and CRDs the validators are
    // generated from, and node_modules as a whole (npm rewrites .package-lock.json on every install).
    const inputs = new Set<string>(['package.json', 'tsconfig.json', 'bin/build.js', 'bin/synth.js', 'node_modules/.package-lock.json']);
    for (const f of fs.readdirSync(path.join(root, 'bin/builder'))) inputs.add(`bin/builder/${f}`);
    for (const f of fs.readdirSync(path.join(root, 'schemas'))) inputs.add(`schemas/${f}`);
    for (const f of fs.existsSync(path.join(root, OWN_CRDS_DIR)) ? fs.readdirSync(path.join(root, OWN_CRDS_DIR)) : []) inputs.add(`${OWN_CRDS_DIR}/${f}`);
    const assetSources = appAssets(root);
    for (const f of assetSources) inputs.add(f);
    for (const f of Object.keys(result.metafile!.inputs)) {
      const rel = path.relative(root, path.resolve(root, f)).split(path.sep).join('/');
      if (!rel.startsWith('node_modules/') && !rel.startsWith('../')) inputs.add(rel);
    }
    const outputs: Record<string, InputFile> = {};
    fs.mkdirSync(path.join(root, 'build/synth'), { recursive: true });
    for (const name of Object.keys(ENTRIES)) {
      const rel = `build/synth/${name}.js`;
      fs.renameSync(path.join(staging, `${name}.js`), path.join(root, rel));
      outputs[name] = inputFile(root, rel);
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      inputs: [...inputs].filter((f) => fs.existsSync(path.join(root, f))).sort().map((f) => inputFile(root, f)),
      outputs,
      assets: copyAssets(root, assetSources),
    };
    // Code caches of bundles that no longer exist.
    const live = new Set(Object.values(outputs).map((o) => o.sha256.slice(0, 16)));
    for (const f of fs.readdirSync(path.join(root, 'build/synth'))) {
      const m = /^[a-z]+\.([0-9a-f]{16})\..*\.v8cache$/.exec(f);
      if (m && !live.has(m[1])) fs.rmSync(path.join(root, 'build/synth', f), { force: true });
    }
    // What went into each bundle (for `npx esbuild --analyze`-style inspection of bundle size).
    writeAtomic(path.join(root, 'build/synth/meta.json'), JSON.stringify(result.metafile));
    writeAtomic(path.join(root, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
    log(`bundled ${Object.keys(ENTRIES).join(', ')} into build/synth/ (${manifest.inputs.length} sources) in ${Date.now() - t0} ms`);
    return manifest;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Builds everything that is stale. */
export async function build(options: BuildOptions): Promise<Manifest> {
  const { root } = options;
  const log = options.log ?? (() => undefined);
  const roots = l1Roots(root);
  buildSlice(root, roots, log);
  writeShim(root);
  buildValidators(root, l1Kinds(root, roots), log);
  return bundle(root, log);
}
