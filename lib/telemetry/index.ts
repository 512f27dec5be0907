// Shared public types; the helpers in common.ts (service, volume and name builders) stay internal.
export { FsGroup, HostPort, TELEMETRY_COMPONENT, TELEMETRY_IMAGES, TELEMETRY_STORAGE_CLASS, TelemetryPersistence, TelemetryRoute } from './common';
export * from './mode';
export * from './prometheus-config';
export * from './collector-config';
export * from './grafana-datasources';
export * from './otel-collector';
export * from './prometheus';
export * from './grafana';
export * from './jaeger';
export * from './dcgm-exporter';
export * from './node-exporter';
export * from './telemetry-stack';
export * from './scrape';
export * from './otel-gateway';
