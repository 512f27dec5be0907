import { Duration } from 'cdk8s';
import { ErrorCollector } from '../core/errors';
import { assertWholeMilliseconds } from '../core/validate';

/**
 * How the Graphistry containers' OpenTelemetry SDKs export to the node-local collector: the seed chart's `otelEnv`
 * beside the OTLP endpoint (which comes from the connection to the collector). Each value is an env default every
 * instrumented container gets (nexus, the engine's forge-etl-python, dask-cuda-worker and streamgl containers,
 * pivot); a container's own `env` may still override one key for that container alone.
 */
export interface GraphistryOtelSdkOptions {
  /**
   * `OTEL_EXPORTER_OTLP_TIMEOUT`: how long one OTLP export may take, for every signal without its own timeout.
   * @default Duration.seconds(60)
   */
  readonly exportTimeout?: Duration;
  /**
   * `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`.
   * @default Duration.seconds(60)
   */
  readonly tracesExportTimeout?: Duration;
  /**
   * `OTEL_EXPORTER_OTLP_METRICS_TIMEOUT`.
   * @default Duration.seconds(60)
   */
  readonly metricsExportTimeout?: Duration;
  /**
   * `OTEL_EXPORTER_OTLP_LOGS_TIMEOUT`.
   * @default Duration.seconds(60)
   */
  readonly logsExportTimeout?: Duration;
  /**
   * `OT_METRIC_EXPORT_INTERVAL`: how often Graphistry's services push their metrics.
   * @default Duration.seconds(60)
   */
  readonly metricExportInterval?: Duration;
  /**
   * `OT_METRIC_EXPORT_TIMEOUT`: how long one metric push may take. At most the push interval, or pushes overlap.
   * @default Duration.seconds(30)
   */
  readonly metricExportTimeout?: Duration;
}

/**
 * The seed chart's `otelEnv` defaults beside the endpoint, in milliseconds (what the SDKs read): four OTLP export
 * timeouts (the general one and one per signal), the metric push interval and the metric export timeout.
 */
export const GRAPHISTRY_OTEL_SDK_DEFAULTS = {
  OTEL_EXPORTER_OTLP_TIMEOUT: Duration.seconds(60),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: Duration.seconds(60),
  OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: Duration.seconds(60),
  OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: Duration.seconds(60),
  OT_METRIC_EXPORT_INTERVAL: Duration.seconds(60),
  OT_METRIC_EXPORT_TIMEOUT: Duration.seconds(30),
} as const;

/** Which option sets which variable. */
const OPTION_OF: Readonly<Record<keyof typeof GRAPHISTRY_OTEL_SDK_DEFAULTS, keyof GraphistryOtelSdkOptions>> = {
  OTEL_EXPORTER_OTLP_TIMEOUT: 'exportTimeout',
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: 'tracesExportTimeout',
  OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: 'metricsExportTimeout',
  OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: 'logsExportTimeout',
  OT_METRIC_EXPORT_INTERVAL: 'metricExportInterval',
  OT_METRIC_EXPORT_TIMEOUT: 'metricExportTimeout',
};

/**
 * The SDK env defaults for `options` (every variable, in milliseconds), validated: whole positive milliseconds, and a
 * metric export timeout no longer than the push interval. Errors go to `errors`, named under `prop`.
 * @internal
 */
export function otelSdkEnv(prop: string, options: GraphistryOtelSdkOptions | undefined, errors: ErrorCollector): Record<string, string> {
  const env: Record<string, string> = {};
  const ms: Record<string, number | undefined> = {};
  for (const [name, fallback] of Object.entries(GRAPHISTRY_OTEL_SDK_DEFAULTS) as Array<[keyof typeof GRAPHISTRY_OTEL_SDK_DEFAULTS, Duration]>) {
    const option = OPTION_OF[name];
    const value = errors.attempt(() => assertWholeMilliseconds(`${prop}.${option}`, options?.[option] ?? fallback));
    ms[name] = value;
    if (value !== undefined) env[name] = String(value);
  }
  const interval = ms.OT_METRIC_EXPORT_INTERVAL;
  const timeout = ms.OT_METRIC_EXPORT_TIMEOUT;
  if (interval !== undefined && timeout !== undefined) {
    errors.check(
      timeout <= interval,
      `${prop}.metricExportTimeout`,
      `${timeout}ms`,
      `at most metricExportInterval (${interval}ms)`,
      'a push that may outlast the interval overlaps the next one',
    );
  }
  return env;
}
