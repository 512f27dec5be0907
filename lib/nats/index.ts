export * from './auth';
export * from './client';
export * from './config';
export * from './exposure';
export * from './kv';
export * from './server';
export { NATS_BOX_IMAGE } from './kv-job';
export type { NatsKvJobOptions } from './kv-job';
