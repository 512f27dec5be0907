// Types of `cdk8s-ops-kit/plugin` (plugin.js): the cdk8s validation plugin class and its properties.
export * from './build/lib/verify/plugin';
