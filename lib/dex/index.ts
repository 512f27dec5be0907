export * from './config';
export * from './dex';
