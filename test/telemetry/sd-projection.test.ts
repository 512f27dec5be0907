import { checkKubernetesSdConfig, discoveredPods, matchesLabelSelector, parseLabelSelector, SimNode, simulatePods } from './sd-projection';
import { prometheusYaml, render } from './helpers';

// The checks that stand in for promtool on the kubernetes_sd_configs blocks (Debian's promtool cannot read them).

const NODES: SimNode[] = [
  { name: 'cpu-1', ip: '127.20.0.1', labels: { 'graphistry.io/role': 'cpu' } },
  { name: 'gpu-1', ip: '127.20.0.2', labels: { 'nvidia.com/gpu.present': 'true' } },
];

describe('the generated kubernetes_sd_configs blocks', () => {
  const { objects } = render({ namePrefix: 'obs' });
  const jobs = prometheusYaml(objects, 'obs-prometheus-config').scrape_configs.filter((j: any) => j.kubernetes_sd_configs);
  const pods = simulatePods(objects, NODES);

  test('load under the rules Prometheus applies', () => {
    expect(jobs.length).toBe(4);
    for (const j of jobs) for (const sd of j.kubernetes_sd_configs) expect(checkKubernetesSdConfig(sd)).toEqual([]);
  });

  test("each lists exactly its workload's pods: the server-side selector neither misses nor over-reaches", () => {
    const owner: Record<string, string> = { 'dcgm-exporter': 'obs-dcgm-exporter', 'node-exporter': 'obs-node-exporter', 'otel-collector': 'obs-otel-collector', 'otel-collector-self': 'obs-otel-collector' };
    for (const j of jobs) {
      const listed = discoveredPods(j.kubernetes_sd_configs[0], pods).map((p) => p.name).sort();
      const expected = pods.filter((p) => p.controller.name === owner[j.job_name]).map((p) => p.name).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(listed).toEqual(expected);
    }
  });
});

describe('checkKubernetesSdConfig has teeth', () => {
  const ok = { role: 'pod', namespaces: { names: ['ns'] }, selectors: [{ role: 'pod', label: 'app.kubernetes.io/name=x' }] };

  test('a sound block passes', () => {
    expect(checkKubernetesSdConfig(ok)).toEqual([]);
  });

  test.each<[string, unknown, RegExp]>([
    ['a missing role', { namespaces: { names: ['ns'] } }, /role missing/],
    ['an unknown role', { ...ok, role: 'pods' }, /unknown Kubernetes SD role "pods"/],
    ['an unknown key', { ...ok, namespace: 'ns' }, /field namespace not found/],
    ['an unknown namespaces key', { ...ok, namespaces: { name: ['ns'] } }, /namespaces: field name not found/],
    ['a selector role the SD role does not support', { ...ok, selectors: [{ role: 'service', label: 'a=b' }] }, /pod role supports only pod selectors/],
    ['a selector without a role', { ...ok, selectors: [{ label: 'a=b' }] }, /pod role supports only pod selectors/],
    ['a duplicated selector role', { ...ok, selectors: [{ role: 'pod', label: 'a=b' }, { role: 'pod', label: 'c=d' }] }, /duplicated selector role: pod/],
    ['a malformed label selector', { ...ok, selectors: [{ role: 'pod', label: 'a=b;c=d' }] }, /selectors\[0\].label/],
    ['a malformed field selector', { ...ok, selectors: [{ role: 'pod', field: 'status.phase' }] }, /invalid field selector term/],
    ['client settings without api_server', { ...ok, bearer_token_file: '/t' }, /provide the 'api_server' URL/],
  ])('fails when the block has %s', (_what, sd, message) => {
    expect(checkKubernetesSdConfig(sd).join('; ')).toMatch(message);
  });
});

describe('label selectors', () => {
  test('parse and match the Kubernetes operators', () => {
    const r = parseLabelSelector('app.kubernetes.io/name=x, tier!=db,zone in (a, b),env notin (dev),gpu,!legacy');
    expect(r.map((x) => x.op)).toEqual(['=', '!=', 'in', 'notin', 'exists', '!exists']);
    const base = { 'app.kubernetes.io/name': 'x', zone: 'b', gpu: 'true' };
    expect(matchesLabelSelector(r, base)).toBe(true);
    expect(matchesLabelSelector(r, { ...base, 'app.kubernetes.io/name': 'y' })).toBe(false);
    expect(matchesLabelSelector(r, { ...base, zone: 'c' })).toBe(false);
    expect(matchesLabelSelector(r, { ...base, env: 'dev' })).toBe(false);
    expect(matchesLabelSelector(r, { ...base, legacy: '' })).toBe(false);
    expect(matchesLabelSelector(parseLabelSelector(''), {})).toBe(true);
  });

  test('fails when a selector is malformed', () => {
    expect(() => parseLabelSelector('a=b,')).toThrow(/ends with ','/);
    expect(() => parseLabelSelector('a=b c=d')).toThrow(/expected ','/);
    expect(() => parseLabelSelector('Bad Key=x')).toThrow();
    expect(() => parseLabelSelector('a=not valid!')).toThrow();
    expect(() => parseLabelSelector('a in ()')).toThrow(/at least one value/);
  });
});
