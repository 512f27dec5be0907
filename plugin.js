// The verification layer (lib/verify: schema, policy, references) as a cdk8s validation plugin, class OpsKitValidation.
// Published as `cdk8s-ops-kit/plugin`. A consumer's cdk8s.yaml names it by path, which cdk8s loads offline:
//
//   validations:
//     - package: ./node_modules/cdk8s-ops-kit/plugin.js
//       version: 0.1.0
//       class: OpsKitValidation
//
// In the package it loads the compiled library. In a checkout of this repository (lib/ present) it compiles the
// TypeScript on the fly with tsx, in a private namespace, so `cdk8s synth` runs the same checks as `npm run synth`
// without a build step and without touching the CLI's own module loading.
'use strict';
const fs = require('fs');
const path = require('path');

if (fs.existsSync(path.join(__dirname, 'lib', 'verify', 'plugin.ts'))) {
  const { register } = require('tsx/cjs/api');
  module.exports = register({ namespace: 'cdk8s-ops-kit-verify' }).require('./lib/verify/plugin.ts', __filename);
} else {
  module.exports = require('./build/lib/verify/plugin.js');
}
