#!/usr/bin/env node
// Builds the compiled synth program (see bin/builder/index.ts): `npm run prepare` (which `npm ci` runs, so a fresh clone
// is ready), `npm run build`, and bin/synth.js when a source changed. Plain JavaScript because it runs before anything
// is compiled: it compiles the builder itself with esbuild (a devDependency) into build/.builder/ and runs it.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

/** Compiles and runs the builder; resolves to the manifest it wrote. */
async function build(options = {}) {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    throw new Error('esbuild is not installed, so the synth program cannot be built: run npm ci (it installs the devDependencies and runs npm run prepare)');
  }
  const outfile = path.join(ROOT, 'build', '.builder', `index.${process.pid}.js`);
  try {
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, 'bin', 'builder', 'index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    return await require(outfile).build({ root: ROOT, log: options.log });
  } finally {
    fs.rmSync(outfile, { force: true });
  }
}

module.exports = { build };

if (require.main === module) {
  const quiet = process.argv.includes('--quiet');
  build({ log: quiet ? undefined : (line) => process.stderr.write(`build: ${line}\n`) }).then(
    () => undefined,
    (e) => {
      process.stderr.write(`build failed: ${e && e.message ? e.message : e}\n`);
      process.exitCode = 1;
    },
  );
}
