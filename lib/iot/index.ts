export * from './schema';
export * from './crd';
export * from './deployment';
export * from './operator';
export * from './fleet';
export * from './host-ports';
