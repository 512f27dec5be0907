import { parse } from 'yaml';
import { GrafanaDatasources } from '../../lib/telemetry';

const prom = { name: 'Prometheus', type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090/prometheus', isDefault: true };
const jaeger = { name: 'Jaeger', type: 'jaeger', uid: 'jaeger', url: 'http://jaeger:16686/jaeger' };

describe('GrafanaDatasources', () => {
  test('renders read-only, server-side datasources in order, with one default', () => {
    const file = parse(new GrafanaDatasources().add(prom).add({ ...jaeger, jsonData: { tracesToMetrics: { datasourceUid: 'prometheus' } } }).toYaml());
    expect(file).toEqual({
      apiVersion: 1,
      datasources: [
        { name: 'Prometheus', type: 'prometheus', uid: 'prometheus', access: 'proxy', url: 'http://prometheus:9090/prometheus', isDefault: true, editable: false },
        { name: 'Jaeger', type: 'jaeger', uid: 'jaeger', access: 'proxy', url: 'http://jaeger:16686/jaeger', isDefault: false, editable: false, jsonData: { tracesToMetrics: { datasourceUid: 'prometheus' } } },
      ],
    });
  });

  describe('fails when', () => {
    test('a name is empty or used twice', () => {
      expect(() => new GrafanaDatasources().add({ ...prom, name: ' ' })).toThrow(/'grafana.datasources\[0\].name' is " "; allowed: a non-empty name/);
      expect(() => new GrafanaDatasources().add(prom).add({ ...jaeger, name: 'Prometheus' })).toThrow(/'grafana.datasources\[1\].name' is "Prometheus"; allowed: a name not used by another datasource/);
    });

    test('a uid is malformed or used twice', () => {
      expect(() => new GrafanaDatasources().add({ ...prom, uid: 'has space' })).toThrow(/'grafana.datasources\[0\].uid' is "has space"/);
      expect(() => new GrafanaDatasources().add(prom).add({ ...jaeger, uid: 'prometheus' })).toThrow(/'grafana.datasources\[1\].uid' is "prometheus"; allowed: a uid not used by another datasource/);
    });

    test('the type is not a plugin id or the URL is not http(s)', () => {
      expect(() => new GrafanaDatasources().add({ ...prom, type: 'Prometheus' })).toThrow(/'grafana.datasources\[0\].type' is "Prometheus"/);
      expect(() => new GrafanaDatasources().add({ ...prom, url: 'prometheus:9090' })).toThrow(/'grafana.datasources\[0\].url' is "prometheus:9090"; allowed: an http\(s\) URL/);
    });

    test('two datasources are the default', () => {
      expect(() => new GrafanaDatasources().add(prom).add({ ...jaeger, isDefault: true })).toThrow(/'grafana.datasources\[1\].isDefault' is true; allowed: at most one default datasource/);
    });
  });
});
