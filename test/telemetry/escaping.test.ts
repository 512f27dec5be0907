import { parse } from 'yaml';
import { assertRe2, plainRe2, CollectorConfig, CollectorEnv, escapeCollectorString, escapeGrafanaProvisioning, GrafanaDatasources, renderScrapeConfig } from '../../lib/telemetry';
import { rng } from '../support/random';

/*
 * Neither the OpenTelemetry Collector nor Grafana can be installed here, so these tests hold the builders to the
 * expansion rules each program documents, pinned to the versions TELEMETRY_IMAGES renders for:
 * - otel/opentelemetry-collector-contrib 0.116.0 (confmap): `${env:NAME}`, `${file:PATH}` and any `${scheme:...}` in a
 *   string value are expanded when the config loads; `$$` is one literal `$`.
 * - grafana/grafana 11.2.2 (provisioning): `$NAME` and `${NAME}` in any value are replaced by the environment
 *   variable; `$$` is one literal `$`.
 * `expand` below is a model of those rules, so each test shows what the program would read.
 */
function expand(text: string, vars: Record<string, string>, grafana: boolean): string {
  const pattern = grafana ? /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g : /\$\$|\$\{([a-z]+):([^}]*)\}/g;
  return text.replace(pattern, (m, a, b) => (m === '$$' ? '$' : grafana ? vars[a ?? b] ?? '' : a === 'env' ? vars[b] ?? '' : `<${a} ${b}>`));
}

describe('OpenTelemetry collector config escaping (collector 0.116 expansion rules)', () => {
  test('a user string holding ${file:...} or ${env:...} stays text; the builder\'s own references still expand', () => {
    const config = new CollectorConfig()
      .addReceiver('otlp', { protocols: { grpc: { endpoint: CollectorEnv.concat(CollectorEnv.env('MY_POD_IP'), ':4317') } } })
      .addExporter('otlphttp/cloud', { endpoint: 'https://gw.example.com/${file:/var/run/secrets/token}', headers: { 'x-k': 'a$b' } })
      .addPipeline('traces', { receivers: ['otlp'], exporters: ['otlphttp/cloud'] });
    const yaml = config.toYaml();
    const json = parse(yaml);
    const exporter = json.exporters['otlphttp/cloud'];
    expect(exporter.endpoint).toBe('https://gw.example.com/$${file:/var/run/secrets/token}');
    expect(expand(exporter.endpoint, {}, false)).toBe('https://gw.example.com/${file:/var/run/secrets/token}');
    expect(expand(exporter.headers['x-k'], {}, false)).toBe('a$b');
    const endpoint = json.receivers.otlp.protocols.grpc.endpoint;
    expect(endpoint).toBe('${env:MY_POD_IP}:4317');
    expect(expand(endpoint, { MY_POD_IP: '10.0.0.7' }, false)).toBe('10.0.0.7:4317');
  });

  test('scrape configs embedded in the collector keep $1 replacements literal (escaped as $$1)', () => {
    const job = renderScrapeConfig('job', { jobName: 'x', staticConfigs: [{ targets: ['a:1'] }], relabelConfigs: [{ sourceLabels: ['a'], targetLabel: 'b', replacement: 'v$1' }] });
    const config = new CollectorConfig()
      .addReceiver('prometheus/x', { config: { scrape_configs: [job] } })
      .addExporter('debug', {})
      .addPipeline('metrics', { receivers: ['prometheus/x'], exporters: ['debug'] });
    const replacement = parse(config.toYaml()).receivers['prometheus/x'].config.scrape_configs[0].relabel_configs[0].replacement;
    expect(replacement).toBe('v$$1');
    expect(expand(replacement, {}, false)).toBe('v$1');
    expect(escapeCollectorString('$$')).toBe('$$$$');
  });

  test('fails when a CollectorEnv name is not an environment variable name', () => {
    expect(() => CollectorEnv.env('A-B')).toThrow("'collector.env' is \"A-B\"; allowed: an environment variable name");
  });
});

describe('Grafana datasource provisioning escaping (Grafana 11.2 expansion rules)', () => {
  test('a URL or setting holding $VAR stays text instead of pulling in the environment', () => {
    const ds = new GrafanaDatasources().add({
      name: 'Costs $5', type: 'prometheus', uid: 'p', url: 'http://prom:9090/$GF_SECURITY_ADMIN_PASSWORD', jsonData: { httpHeaderValue1: '${GF_SECURITY_ADMIN_PASSWORD}' },
    });
    const d = parse(ds.toYaml()).datasources[0];
    const env = { GF_SECURITY_ADMIN_PASSWORD: 'hunter2' };
    expect(d.url).toBe('http://prom:9090/$$GF_SECURITY_ADMIN_PASSWORD');
    expect(expand(d.url, env, true)).toBe('http://prom:9090/$GF_SECURITY_ADMIN_PASSWORD');
    expect(expand(d.jsonData.httpHeaderValue1, env, true)).toBe('${GF_SECURITY_ADMIN_PASSWORD}');
    expect(expand(d.name, env, true)).toBe('Costs $5');
    expect(escapeGrafanaProvisioning('plain')).toBe('plain');
  });
});

describe('Prometheus config values', () => {
  const job = (extra: object) => () => renderScrapeConfig('scrapeConfigs[0]', { jobName: 'x', kubernetesSdConfigs: [{ role: 'pod' }], ...extra });

  test('fails when a relabel regex is not RE2 (a lookahead passes JavaScript and promtool rejects it)', () => {
    expect(job({ relabelConfigs: [{ sourceLabels: ['a'], regex: '(?=x)', action: 'keep' }] })).toThrow(
      "'scrapeConfigs[0].relabelConfigs[0].regex' is \"(?=x)\", but error parsing regexp: invalid or unsupported Perl syntax: `(?=`; allowed: an RE2 regular expression (Prometheus syntax: no lookarounds or backreferences)",
    );
    expect(job({ metricRelabelConfigs: [{ sourceLabels: ['a'], regex: '(a)\\1', action: 'drop' }] })).toThrow("'scrapeConfigs[0].metricRelabelConfigs[0].regex' is \"(a)\\\\1\"");
    expect(job({ relabelConfigs: [{ sourceLabels: ['a'], regex: '[[:alpha:]]+|(?P<n>x)', action: 'keep' }] })).not.toThrow();
  });

  test('a regex checked once is not compiled again, and gives the same verdict every time', () => {
    for (let i = 0; i < 3; i++) {
      expect(() => assertRe2('r', '(?<=x)a')).toThrow(/is "\(\?<=x\)a", but error parsing regexp: invalid named capture/);
      expect(assertRe2('r', '([^:]+)')).toBe('([^:]+)');
    }
  });

  test('a regex without RE2 metacharacters is a literal and valid without compiling it', () => {
    for (const literal of ['9400', 'Running', 'telemetry;graphistry-multinode;dcgm-exporter', 'a b,c:d/e#f', 'é日本']) expect(assertRe2('r', literal)).toBe(literal);
  });

  test('plain regexes are known valid without compiling them; every one plainRe2 accepts compiles with re2js', () => {
    const { RE2JS } = require('re2js') as typeof import('re2js');
    const compiles = (r: string) => {
      try {
        RE2JS.compile(`^(?:${r})$`);
        return true;
      } catch {
        return false;
      }
    };
    for (const r of ['([^:]+)', '(.+:.+)', '(.*)', 'a|b', '(?:web|api)-.+', 'x\\.y*?', '[\\d.]+', '(\\w+)(\\.\\w+)?', '[^;]*;(.+)']) {
      expect([r, plainRe2(r)]).toEqual([r, true]);
    }
    // Valid RE2 outside the subset is compiled (false is "not known"), invalid RE2 always is.
    for (const r of ['a{2}', '[a-z]+', '^a$', '(?i)a', '(?P<n>x)', '[[:alpha:]]', '()', 'a|', '(?:)', '[]a]', 'a**', '(?=x)', '(a)\\1', '\\q', '(a', 'a)', '[a', 'é+', '']) {
      expect([r, plainRe2(r)]).toEqual([r, false]);
    }
    const random = rng(2);
    const tokens = ['a', 'Z', '0', ':', ';', '-', '/', ' ', '.', '*', '+', '?', '|', '(', ')', '(?:', '[', '[^', ']', '\\', '\\.', '\\d', '\\w', '\\q', '{', '}', '^', '$', ',', '_'];
    let accepted = 0;
    const wrong: string[] = [];
    for (let n = 0; n < 30000; n++) {
      const r = Array.from({ length: 1 + Math.floor(random() * 10) }, () => tokens[Math.floor(random() * tokens.length)]).join('');
      if (!plainRe2(r)) continue;
      accepted++;
      if (!compiles(r)) wrong.push(r);
    }
    expect(wrong).toEqual([]);
    expect(accepted).toBeGreaterThan(1000);
  });

  test('fails when a labelSelector value holds "," or "!=", which would silently add selector terms', () => {
    for (const value of ['web,tier=db', 'web!=x']) {
      const bad = () => renderScrapeConfig('scrapeConfigs[0]', { jobName: 'x', kubernetesSdConfigs: [{ role: 'pod', labelSelector: { app: value } }] });
      expect(bad).toThrow(`'scrapeConfigs[0].kubernetesSdConfigs[0].labelSelector.app' is ${JSON.stringify(value)}; allowed: a label value`);
    }
    expect(() => renderScrapeConfig('s', { jobName: 'x', kubernetesSdConfigs: [{ role: 'pod', labelSelector: { 'a,b': 'c' } }] })).toThrow("'s.kubernetesSdConfigs[0].labelSelector' is \"a,b\"");
  });
});
