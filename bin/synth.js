#!/usr/bin/env node
// The synth program as `npm run synth` and `cdk8s synth` (cdk8s.yaml `app:`) start it: compiled JavaScript, never a
// TypeScript loader. It runs build/synth/main.js, the bundle of apps/main.ts that bin/build.js writes.
//
// No stale fast path: build/synth/inputs.json lists every source the bundle was made from with its size, mtime and
// SHA-256 (the files apps/ reads at run time, such as apps/dimtensor/serve.py, are among them, and their copies beside the
// bundle are checked too). Before each run every one is stat'ed; a file whose size or mtime differs is hashed, and if its bytes changed
// (or it is gone) the bundle is rebuilt first (bin/build.js: esbuild, about a second) and the reason printed. The bundle runs
// from a V8 code cache kept beside it, named after the bundle's hash, this node binary, its flags and the selection of
// apps (`--only`): a different node, a rejected cache or a rebuilt bundle silently compiles from source and writes a new
// cache.
//
//   node bin/synth.js [--only app[,app]] [--out dir] [--quiet]
'use strict';
const { isAscii } = require('buffer');
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const ROOT = path.resolve(__dirname, '..');
const MANIFEST = 'build/synth/inputs.json';
const MANIFEST_FORMAT = 2;

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function readManifest(root = ROOT) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(root, MANIFEST), 'utf8'));
    return m && m.format === MANIFEST_FORMAT ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Why the bundles must be rebuilt, or undefined when every input and output is as recorded. */
function staleReason(manifest, root = ROOT) {
  if (!manifest) return 'it has not been built in this checkout';
  let touched = false;
  const files = [...manifest.inputs, ...Object.values(manifest.outputs), ...manifest.assets];
  for (const f of files) {
    let st;
    try {
      st = fs.statSync(path.join(root, f.path));
    } catch {
      return `${f.path} is gone`;
    }
    if (st.size === f.size && st.mtimeMs === f.mtimeMs) continue;
    if (st.size !== f.size || sha256(path.join(root, f.path)) !== f.sha256) return `${f.path} changed`;
    // Same bytes, new mtime (a checkout, a copy, a touch): remember the mtime so the next run does not hash it again.
    f.mtimeMs = st.mtimeMs;
    touched = true;
  }
  if (touched) {
    const file = path.join(root, MANIFEST);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
      fs.renameSync(tmp, file);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  }
  return undefined;
}

/**
 * The current manifest, after rebuilding when a source changed. The rebuild runs bin/build.js in a child process (it
 * is asynchronous, and the callers, a cdk8s validation plugin among them, need the bundle synchronously).
 */
function ensureBuilt(log = (line) => process.stderr.write(`${line}\n`)) {
  const manifest = readManifest();
  const reason = staleReason(manifest);
  if (!reason) return manifest;
  log(`synth: rebuilding build/synth/ (${reason})`);
  const r = require('child_process').spawnSync(process.execPath, [path.join(__dirname, 'build.js'), '--quiet'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const rebuilt = r.status === 0 ? readManifest() : undefined;
  if (!rebuilt || staleReason(rebuilt)) {
    throw new Error(`build/synth/ is out of date (${reason}) and could not be rebuilt${r.stderr ? `: ${r.stderr.trim()}` : ''}\nfix: run npm ci (it installs esbuild and runs npm run prepare), or npm run prepare`);
  }
  return rebuilt;
}

/**
 * The part of a program's arguments that decides which code it runs (every argument but `--out <dir>` and `--quiet`),
 * as a suffix for its code cache's name: '' for none (the whole app set), else `~` and 8 hex digits.
 */
function variantOf(argv) {
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') i++;
    else if (argv[i] !== '--quiet') rest.push(argv[i]);
  }
  return rest.length ? `~${crypto.createHash('sha256').update(rest.join('\0')).digest('hex').slice(0, 8)}` : '';
}

/**
 * A bundle's text. The bundles are ASCII (esbuild's charset: 'ascii'), and ASCII bytes read as latin1 are the same
 * text, copied into a one-byte string without UTF-8 decoding (the 3.8 MB main bundle: about 18 instead of 30 ms of CPU
 * here); bytes that are not all ASCII are decoded as UTF-8.
 */
function sourceText(bytes) {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * The CommonJS wrapper bin/builder writes around each bundle (esbuild's banner and footer), so that the text read is
 * the script V8 compiles: `Module.wrap(text)` would be a second string, which V8 copies into a third, flat one before
 * compiling it (3.8 MB of memory touched for the first time, about 20 ms of CPU on these machines).
 */
const [WRAP_HEAD, WRAP_TAIL] = Module.wrapper;

/**
 * The script to compile for a bundle's text: the text itself when the build wrapped it already (esbuild ends the file
 * with a newline after the wrapper's tail), else the text wrapped now.
 */
function scriptText(text) {
  return text.startsWith(WRAP_HEAD) && (text.endsWith(WRAP_TAIL) || text.endsWith(`${WRAP_TAIL}\n`)) ? text : Module.wrap(text);
}

/** Reads `size` bytes of an open file into the start of `buf`. */
function readInto(fd, buf, size) {
  let done = 0;
  while (done < size) {
    const n = fs.readSync(fd, buf, done, size - done, done);
    if (n === 0) throw new Error('file shrank while reading');
    done += n;
  }
  return buf.subarray(0, size);
}

/**
 * A bundle's script text and its code cache's bytes (undefined when there is none), read through one buffer: the
 * bundle is read first and copied into a string, then the cache is read into the same memory (fresh memory is what
 * reading costs here: a page touched for the first time costs about 20 us of CPU on these virtual machines).
 */
function readBundle(file, cacheFile) {
  const fd = fs.openSync(file, 'r');
  let cacheFd;
  try {
    try {
      cacheFd = fs.openSync(cacheFile, 'r');
    } catch {
      cacheFd = undefined;
    }
    const size = fs.fstatSync(fd).size;
    const cacheSize = cacheFd === undefined ? 0 : fs.fstatSync(cacheFd).size;
    const buf = Buffer.allocUnsafeSlow(Math.max(size, cacheSize, 1));
    const text = scriptText(sourceText(readInto(fd, buf, size)));
    let cachedData;
    if (cacheFd !== undefined) {
      try {
        cachedData = readInto(cacheFd, buf, cacheSize);
      } catch {
        cachedData = undefined;
      }
    }
    return { text, cachedData };
  } finally {
    fs.closeSync(fd);
    if (cacheFd !== undefined) fs.closeSync(cacheFd);
  }
}

/**
 * Loads a bundle (`main`, `plugin` or `bench`) like a CommonJS module, from its code cache when there is a valid one.
 * `saveCodeCache()` writes a new cache when there was none or V8 rejected it; call it after the work is done, so the
 * cache holds every function the run compiled. `variant` (see `variantOf`) keeps one cache per selection of apps:
 * a cache holds the code of the run that wrote it, and one written by a run of every app costs a run of one small app
 * a fifth of its CPU time to read (iot-fleet: 600 instead of 490 ms).
 */
function load(manifest, entry, variant = '') {
  const output = manifest.outputs[entry];
  if (!output) throw new Error(`no bundle named ${entry}; known: ${Object.keys(manifest.outputs).join(', ')}`);
  const file = path.join(ROOT, output.path);
  // V8 rejects a cache made by another V8 or with other flags; one file per node binary and flag set avoids thrashing.
  const flags = process.execArgv.length ? `-${crypto.createHash('sha256').update(process.execArgv.join(' ')).digest('hex').slice(0, 8)}` : '';
  const cacheFile = path.join(path.dirname(file), `${entry}.${output.sha256.slice(0, 16)}.${process.version}-${process.arch}${flags}${variant}.v8cache`);
  const { text, cachedData } = readBundle(file, cacheFile);
  const script = new vm.Script(text, { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  mod.loaded = true;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  const needCache = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: mod.exports,
    saveCodeCache() {
      if (!needCache) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    },
  };
}

/**
 * V8 settings for the bundle's work, set while it runs instead of on node's command line. Any V8 flag on the command
 * line changes V8's flag hash, and node's own modules (fs, crypto, vm, ...) then fail the check of the code cache
 * node carries for them and are compiled from source on every start (42 of them in a synth). Set at run time, after the
 * bundle was compiled from its cache, they leave those caches in use:
 * - `--no-opt`: a synth is too short for V8's optimizing compiler (TurboFan) to pay back its compile time;
 * - `--semi-space-growth-factor=1`: the young generation stays at its first size instead of growing into fresh pages
 *   (on these machines a page touched for the first time costs 15-20 us of CPU).
 * `restore` puts back V8's defaults before the code cache is written, so the cache carries the flag hash of a plain
 * start and the next run accepts it.
 * @internal
 */
const SYNTH_V8_FLAGS = { run: '--no-opt --semi-space-growth-factor=1', restore: '--opt --semi-space-growth-factor=2' };

/**
 * Calls `fn` with SYNTH_V8_FLAGS in force. Node started with flags of its own (`node --inspect bin/synth.js`, an older
 * `node --no-opt bin/synth.js`) is left as it was: those are the caller's choice, and restoring defaults afterwards
 * would not give back the flag hash the run started with.
 */
function withSynthFlags(fn) {
  if (process.execArgv.length > 0) return fn();
  const v8 = require('v8');
  v8.setFlagsFromString(SYNTH_V8_FLAGS.run);
  try {
    return fn();
  } finally {
    v8.setFlagsFromString(SYNTH_V8_FLAGS.restore);
  }
}

/** Runs a bundle's `main(argv)`; returns its exit code. With OPS_KIT_TIMINGS set, prints how long starting took. */
function run(entry, argv) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const manifest = ensureBuilt();
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage();
  const program = load(manifest, entry, variantOf(argv));
  if (process.env.OPS_KIT_TIMINGS) {
    const c2 = process.cpuUsage();
    const ms = (a, b) => Number(b - a) / 1e6;
    const cms = (a, b) => (b.user + b.system - a.user - a.system) / 1000;
    const wall = { node: process.uptime() * 1000 - ms(t0, process.hrtime.bigint()), check: ms(t0, t1), load: ms(t1, process.hrtime.bigint()) };
    const cpu = { node: cms({ user: 0, system: 0 }, c0), check: cms(c0, c1), load: cms(c1, c2) };
    process.stderr.write(`${JSON.stringify({ start: { wall, cpu } })}\n`);
  }
  const code = withSynthFlags(() => program.exports.main(argv));
  if (code === 0) program.saveCodeCache();
  return code;
}

module.exports = { ensureBuilt, load, run, staleReason, readManifest, scriptText, sourceText, variantOf, withSynthFlags, SYNTH_V8_FLAGS };

if (require.main === module) {
  // `--program <bundle>` runs another bundle (the benchmark's, `bench`) with the rest of the arguments.
  const argv = process.argv.slice(2);
  const entry = argv[0] === '--program' ? argv[1] : 'main';
  try {
    process.exitCode = run(entry, argv[0] === '--program' ? argv.slice(2) : argv);
  } catch (e) {
    process.stderr.write(`${e && e.message ? e.message : e}\n`);
    process.exitCode = 1;
  }
}
