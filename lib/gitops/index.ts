export * from './health';
export * from './helm';
