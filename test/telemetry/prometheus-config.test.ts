import { Duration } from 'cdk8s';
import { parse } from 'yaml';
import { podScrapeJob, PrometheusConfig, promDuration, staticScrapeJob } from '../../lib/telemetry';
import { podTarget, relabel } from './helpers';

describe('promDuration', () => {
  test('uses the largest whole unit', () => {
    expect(promDuration('d', Duration.days(15))).toBe('15d');
    expect(promDuration('d', Duration.hours(36))).toBe('36h');
    expect(promDuration('d', Duration.minutes(90))).toBe('90m');
    expect(promDuration('d', Duration.seconds(15))).toBe('15s');
    expect(promDuration('d', Duration.millis(1500))).toBe('1500ms');
  });

  test('fails when the duration is zero', () => {
    expect(() => promDuration('retention', Duration.seconds(0))).toThrow(/'retention' is "0ms"/);
  });
});

describe('PrometheusConfig', () => {
  test('renders global settings and jobs in order, dropping unset fields', () => {
    const c = new PrometheusConfig({ scrapeInterval: Duration.seconds(30), externalLabels: { cluster: 'a', env: 'prod' } })
      .addScrapeConfig(staticScrapeJob({ jobName: 'self', targets: ['localhost:9090'], metricsPath: '/prom/metrics' }))
      .addScrapeConfig(staticScrapeJob({ jobName: 'app', targets: ['app.ns.svc:8080', '[fd00::1]:9100'] }));
    expect(parse(c.toYaml())).toEqual({
      global: { scrape_interval: '30s', scrape_timeout: '10s', evaluation_interval: '15s', external_labels: { cluster: 'a', env: 'prod' } },
      scrape_configs: [
        { job_name: 'self', metrics_path: '/prom/metrics', static_configs: [{ targets: ['localhost:9090'] }] },
        { job_name: 'app', static_configs: [{ targets: ['app.ns.svc:8080', '[fd00::1]:9100'] }] },
      ],
    });
    expect(c.jobNames).toEqual(['self', 'app']);
  });

  test('a pod job lists and watches only matching pods of one namespace, server-side', () => {
    const job = podScrapeJob({ jobName: 'x', namespace: 'ns', podLabels: { 'app.kubernetes.io/name': 'x', 'app.kubernetes.io/instance': 'r' }, port: 9100 });
    const out = parse(new PrometheusConfig().addScrapeConfig(job).toYaml()).scrape_configs[0];
    expect(out.kubernetes_sd_configs).toEqual([
      { role: 'pod', namespaces: { names: ['ns'] }, selectors: [{ role: 'pod', label: 'app.kubernetes.io/instance=r,app.kubernetes.io/name=x' }] },
    ]);
  });

  test('a pod job keeps label values literally (regex metacharacters escaped)', () => {
    const job = podScrapeJob({ jobName: 'x', namespace: 'ns', podLabels: { app: 'a.b' }, port: 9100 });
    const rules = parse(new PrometheusConfig().addScrapeConfig(job).toYaml()).scrape_configs[0].relabel_configs;
    expect(relabel(rules, podTarget({ name: 'p', node: 'n', ip: '10.0.0.1', port: 9100, labels: { app: 'a.b' } }))).toBeDefined();
    expect(relabel(rules, podTarget({ name: 'p', node: 'n', ip: '10.0.0.1', port: 9100, labels: { app: 'axb' } }))).toBeUndefined();
  });

  test('a replace rule without source labels sets a constant label (valid in Prometheus)', () => {
    const job = { jobName: 'a', staticConfigs: [{ targets: ['x:1'] }], relabelConfigs: [{ targetLabel: 'cluster', replacement: 'prod' }] };
    const out = parse(new PrometheusConfig().addScrapeConfig(job).toYaml()).scrape_configs[0];
    expect(out.relabel_configs).toEqual([{ target_label: 'cluster', replacement: 'prod' }]);
    expect(relabel(out.relabel_configs, { __address__: 'x:1' })).toEqual({ __address__: 'x:1', cluster: 'prod' });
  });

  test('fails when two jobs share a name', () => {
    const c = new PrometheusConfig().addScrapeConfig(staticScrapeJob({ jobName: 'a', targets: ['x:1'] }));
    expect(() => c.addScrapeConfig(staticScrapeJob({ jobName: 'a', targets: ['y:1'] }))).toThrow(/'scrapeConfigs\[1\].jobName' is "a"/);
  });

  test('fails when a static target has a scheme or no port', () => {
    expect(() => new PrometheusConfig().addScrapeConfig(staticScrapeJob({ jobName: 'a', targets: ['http://x:1'] }))).toThrow(/targets\[0\]' is "http:\/\/x:1", but it has a scheme/);
    expect(() => new PrometheusConfig().addScrapeConfig(staticScrapeJob({ jobName: 'a', targets: ['x'] }))).toThrow(/targets\[0\]' is "x"/);
  });

  test('fails when a relabel rule has a broken regex, a bad target label or no source for keep', () => {
    const base = { jobName: 'a', staticConfigs: [{ targets: ['x:1'] }] };
    expect(() => new PrometheusConfig().addScrapeConfig({ ...base, relabelConfigs: [{ sourceLabels: ['a'], regex: '(', action: 'keep' }] })).toThrow(/relabelConfigs\[0\].regex' is "\("/);
    expect(() => new PrometheusConfig().addScrapeConfig({ ...base, relabelConfigs: [{ sourceLabels: ['a'], targetLabel: 'bad-name' }] })).toThrow(/targetLabel' is "bad-name"/);
    expect(() => new PrometheusConfig().addScrapeConfig({ ...base, relabelConfigs: [{ action: 'keep', regex: 'x' }] })).toThrow(/sourceLabels' is undefined/);
    expect(() => new PrometheusConfig().addScrapeConfig({ ...base, relabelConfigs: [{ sourceLabels: ['a'] }] })).toThrow(/targetLabel' is undefined; allowed: a label name \(required by action replace\)/);
  });

  test('fails when the scrape timeout exceeds the interval or a job has no targets', () => {
    expect(() => new PrometheusConfig({ scrapeInterval: Duration.seconds(5) })).toThrow(/'scrapeTimeout' is "10s"; allowed: at most the scrape interval \(5s\)/);
    expect(() => new PrometheusConfig().addScrapeConfig({ jobName: 'a' })).toThrow(/it has no targets/);
  });
});
