// The verification layer (lib/verify: schema, policy, references) as a cdk8s validation plugin, class OpsKitValidation.
// Published as `cdk8s-ops-kit/plugin`. A consumer's cdk8s.yaml names it by path, which cdk8s loads offline:
//
//   validations:
//     - package: ./node_modules/cdk8s-ops-kit/plugin.js
//       version: 0.1.0
//       class: OpsKitValidation
//
// In the package it loads the compiled library. In a checkout of this repository (lib/ present) it loads the plugin's
// compiled bundle (build/synth/plugin.js, written by npm run prepare), rebuilt first when a source changed, exactly as
// bin/synth.js does for the synth program: `cdk8s synth` runs no TypeScript loader.
'use strict';
const fs = require('fs');
const path = require('path');

if (fs.existsSync(path.join(__dirname, 'lib', 'verify', 'plugin.ts'))) {
  const launcher = require('./bin/synth.js');
  const program = launcher.load(launcher.ensureBuilt(), 'plugin');
  process.once('exit', () => program.saveCodeCache());
  module.exports = program.exports;
} else {
  module.exports = require('./build/lib/verify/plugin.js');
}
