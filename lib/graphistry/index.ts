export * from './tier';
export * from './ports';
export * from './defaults';
export * from './postgres';
export * from './engine-dispatcher';
export * from './engine';
export * from './nexus-proxy';
