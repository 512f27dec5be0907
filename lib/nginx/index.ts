export * from './directive';
export * from './server';
export * from './conf-file';
