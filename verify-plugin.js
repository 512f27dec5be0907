// cdk8s validation plugin entry (cdk8s.yaml `validations:` names this file as `./verify-plugin.js`).
// The verification layer is TypeScript; tsx compiles it on the fly in a private namespace, so `cdk8s synth` runs the
// same checks as `npm run synth` offline, without a build step and without touching the CLI's own module loading.
'use strict';
const { register } = require('tsx/cjs/api');

const tsx = register({ namespace: 'cdk8s-ops-kit-verify' });
module.exports = tsx.require('./lib/verify/plugin.ts', __filename);
