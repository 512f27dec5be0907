import { parse } from 'yaml';
import { assertCollectorConfig, checkCollectorConfig, CollectorConfig } from '../../lib/telemetry';

function sound(): CollectorConfig {
  return new CollectorConfig()
    .addExtension('health_check', { endpoint: '0.0.0.0:13133' })
    .addReceiver('otlp', { protocols: { grpc: {} } })
    .addProcessor('memory_limiter', { limit_percentage: 80 })
    .addProcessor('batch')
    .addExporter('debug')
    .addPipeline('traces', { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['debug'] });
}

describe('CollectorConfig', () => {
  test('renders sections in the collector order and the pipelines as named', () => {
    const yaml = sound().toYaml();
    expect(Object.keys(parse(yaml))).toEqual(['extensions', 'receivers', 'processors', 'exporters', 'service']);
    expect(parse(yaml).service).toEqual({
      extensions: ['health_check'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['debug'] } },
    });
  });

  test('is deterministic', () => {
    expect(sound().toYaml()).toBe(sound().toYaml());
  });

  test('fails when a pipeline names an undefined exporter', () => {
    const c = sound().addPipeline('metrics', { receivers: ['otlp'], exporters: ['prometheus'] });
    expect(() => c.toYaml()).toThrow(/pipeline "metrics" names exporter "prometheus", which is not defined under exporters/);
  });

  test('fails when a component id is malformed or added twice', () => {
    expect(() => new CollectorConfig().addReceiver('OTLP')).toThrow(/'collector.receivers' is "OTLP"/);
    expect(() => new CollectorConfig().addReceiver('otlp').addReceiver('otlp')).toThrow(/each receiver id once/);
  });

  test('fails when a pipeline is not a signal', () => {
    expect(() => new CollectorConfig().addPipeline('spans', { receivers: [], exporters: [] })).toThrow(/'collector.pipelines' is "spans"/);
  });
});

describe('checkCollectorConfig', () => {
  test('a sound config has no problems', () => {
    expect(checkCollectorConfig(sound().toJson())).toEqual([]);
  });

  test('finds undefined receivers, processors, exporters and extensions in a parsed config', () => {
    const cfg = parse(`
receivers: { otlp: {} }
processors: { batch: {} }
exporters: { debug: {} }
service:
  extensions: [health_check]
  pipelines:
    traces: { receivers: [otlp, jaeger], processors: [batch, attributes], exporters: [debug, otlp/jaeger] }
`);
    expect(checkCollectorConfig(cfg)).toEqual([
      'pipeline "traces" names receiver "jaeger", which is not defined under receivers',
      'pipeline "traces" names processor "attributes", which is not defined under processors',
      'pipeline "traces" names exporter "otlp/jaeger", which is not defined under exporters',
      'service.extensions names "health_check", which is not defined under extensions',
    ]);
  });

  test('finds components defined but never used, and extensions defined but not enabled', () => {
    const cfg = sound().toJson() as any;
    cfg.exporters['otlp/jaeger'] = { endpoint: 'jaeger:4317' };
    cfg.extensions.pprof = {};
    expect(checkCollectorConfig(cfg)).toEqual([
      'exporters defines "otlp/jaeger", but no pipeline uses it',
      'extensions defines "pprof", but service.extensions does not enable it',
    ]);
  });

  test('finds empty pipelines, duplicates, a late memory_limiter and unknown authenticators', () => {
    const cfg = parse(`
receivers: { otlp: {} }
processors: { batch: {}, memory_limiter: {} }
exporters: { otlphttp: { endpoint: "https://x", auth: { authenticator: basicauth/cloud } } }
service:
  pipelines:
    logs: { receivers: [], processors: [batch, memory_limiter], exporters: [otlphttp, otlphttp] }
    metrics: { receivers: [otlp], exporters: [] }
`);
    expect(checkCollectorConfig(cfg)).toEqual([
      'pipeline "logs" has no receivers',
      'pipeline "logs" runs memory_limiter at position 2; it must come first to shed load before other work',
      'pipeline "logs" names exporter "otlphttp" twice',
      'pipeline "metrics" has no exporters',
      'exporter "otlphttp" authenticates with "basicauth/cloud", which is not defined under extensions',
    ]);
  });

  test('a config without pipelines or service is reported, not thrown', () => {
    expect(checkCollectorConfig(null)).toEqual(['the config is not a mapping']);
    expect(checkCollectorConfig({ receivers: {} })).toEqual(['the config has no "service" mapping']);
    expect(checkCollectorConfig({ service: { pipelines: {} } })).toEqual(['service.pipelines is empty: the collector would do nothing']);
  });

  test('fails when asserted on a broken config, listing every problem', () => {
    expect(() => assertCollectorConfig('cfg', { service: { pipelines: { traces: { receivers: ['otlp'], exporters: ['debug'] } } } })).toThrow(
      /'cfg' is "2 problem\(s\)", but pipeline "traces" names receiver "otlp", which is not defined under receivers; pipeline "traces" names exporter "debug"/,
    );
  });
});
