export * from './auth';
export * from './client';
export * from './config';
export * from './exposure';
export * from './kv';
export * from './server';
