// Public API of the package: re-exports only.
export * from './core';
export * from './release';
export * from './nats';
export * from './iot';
export * from './verify';
export * from './graphistry';
export * from './nginx';
export * from './ingress';
export * from './telemetry';
export * from './gitops';
