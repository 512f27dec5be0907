export * from './workload';
export * from './defaults';
export * from './nexus';
export * from './redis';
export * from './dask-scheduler';
export * from './pivot';
export * from './notebook';
export * from './graph-app-kit';
