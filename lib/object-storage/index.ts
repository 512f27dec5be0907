export * from './auth';
export * from './minio';
export * from './storage';
