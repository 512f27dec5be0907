export * from './engine';
export * from './config';
export * from './client';
export * from './server';
export * from './external';
