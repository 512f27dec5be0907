import { assertLabels, assertStableSelector, MANAGED_BY, selectorLabels, standardLabels } from '../../lib/core/labels';

describe('labels', () => {
  const id = { name: 'caddy', instance: 'graphistry-viz', component: 'ingress' };

  test('standard labels are the app.kubernetes.io set', () => {
    expect(standardLabels({ ...id, partOf: 'graphistry', version: 'v2.50.7' })).toEqual({
      'app.kubernetes.io/name': 'caddy',
      'app.kubernetes.io/instance': 'graphistry-viz',
      'app.kubernetes.io/component': 'ingress',
      'app.kubernetes.io/part-of': 'graphistry',
      'app.kubernetes.io/version': 'v2.50.7',
      'app.kubernetes.io/managed-by': MANAGED_BY,
    });
  });

  test('selector labels never include the version or anything that changes on upgrade', () => {
    const sel = selectorLabels({ ...id, version: 'v2.50.7' } as any);
    expect(Object.keys(sel).sort()).toEqual(['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    // the selector of two versions of the same workload is identical
    expect(selectorLabels({ ...id, version: 'v1' } as any)).toEqual(selectorLabels({ ...id, version: 'v2' } as any));
  });

  test('selector labels are a subset of the standard labels', () => {
    const std = standardLabels({ ...id, version: '1.0' });
    for (const [k, v] of Object.entries(selectorLabels(id))) expect(std[k]).toBe(v);
  });

  test('fails when a selector carries the version label', () => {
    expect(() => assertStableSelector('spec.selector', { 'app.kubernetes.io/version': '1.0' })).toThrow(
      /'spec.selector.app.kubernetes.io\/version' is "1.0", but this label changes on upgrade/,
    );
  });

  test('fails when a label value is not valid', () => {
    expect(() => standardLabels({ name: 'caddy', instance: 'bad value!' })).toThrow(/'instance' is "bad value!"/);
    expect(() => assertLabels('nodeSelector', { 'graphistry.io/role': 'x'.repeat(64) })).toThrow(/'nodeSelector.graphistry.io\/role'/);
  });

  test('fails when a label key is not valid', () => {
    expect(() => assertLabels('nodeSelector', { 'Bad Key': 'x' })).toThrow(/'nodeSelector' is "Bad Key"/);
    expect(() => assertLabels('nodeSelector', { 'UPPER.io/x': 'x' })).toThrow(/DNS-1123 subdomain/);
  });
});
