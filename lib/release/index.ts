export * from './release';
export * from './synth';
