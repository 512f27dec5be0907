export * from './blobs';
export * from './config';
export * from './database';
export * from './experiment';
export * from './tier';
