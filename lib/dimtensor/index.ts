export * from './ml-workload';
