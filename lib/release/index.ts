export * from './release';
export * from './synth';
export * from './node-ports';
