export * from './client';
export * from './initdb';
export * from './settings';
export * from './server';
export * from './external';
export * from './exporter';
