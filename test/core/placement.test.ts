import { App, Chart } from 'cdk8s';
import { NodeSelection, Placement } from '../../lib/core/placement';

const GPU = { 'graphistry.io/role': 'gpu' };
const CPU = { 'graphistry.io/role': 'cpu' };
const GPU_TAINT = { key: 'nvidia.com/gpu', operator: 'Equal' as const, value: 'true', effect: 'NoSchedule' as const };

describe('Placement', () => {
  const global = new Placement({ nodeSelector: CPU, tolerations: [GPU_TAINT] });

  test('a workload inherits the global selector and tolerations by default', () => {
    expect(global.forWorkload()).toEqual({ nodeSelector: CPU, tolerations: [GPU_TAINT], affinity: undefined });
  });

  test('fallback uses the workload selector when it is non-empty', () => {
    expect(global.forWorkload({ nodeSelection: NodeSelection.fallback(GPU) }).nodeSelector).toEqual(GPU);
  });

  test('fallback uses the global selector when the workload selector is empty', () => {
    expect(global.forWorkload({ nodeSelection: NodeSelection.fallback({}) }).nodeSelector).toEqual(CPU);
    expect(global.forWorkload({ nodeSelection: NodeSelection.fallback(undefined) }).nodeSelector).toEqual(CPU);
  });

  test('everywhere never inherits the global selector and renders an empty selector', () => {
    const p = global.forWorkload({ nodeSelection: NodeSelection.everywhere(), tolerations: [{ operator: 'Exists' }] });
    expect(p.nodeSelector).toEqual({});
    expect(p.tolerations).toEqual([{ operator: 'Exists' }, GPU_TAINT]);
  });

  describe('release-wide affinity', () => {
    const POOL_AFFINITY = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'graphistry.io/role', operator: 'In', values: ['cpu'] }] }] } },
    };
    const withAffinity = new Placement({ nodeSelector: CPU, affinity: POOL_AFFINITY });

    test('inherit and fallback workloads carry it', () => {
      expect(withAffinity.forWorkload().affinity).toEqual(POOL_AFFINITY);
      expect(withAffinity.forWorkload({ nodeSelection: NodeSelection.fallback(GPU) }).affinity).toEqual(POOL_AFFINITY);
    });

    test('everywhere never inherits it (a required node affinity would pin a per-node agent to one pool)', () => {
      expect(withAffinity.forWorkload({ nodeSelection: NodeSelection.everywhere() }).affinity).toBeUndefined();
    });

    test('exactly does not inherit it either, since the workload chose its nodes itself', () => {
      expect(withAffinity.forWorkload({ nodeSelection: NodeSelection.exactly(GPU) }).affinity).toBeUndefined();
    });

    test('inheritAffinity overrides the default, and a workload affinity always wins', () => {
      expect(withAffinity.forWorkload({ nodeSelection: NodeSelection.everywhere(), inheritAffinity: true }).affinity).toEqual(POOL_AFFINITY);
      expect(withAffinity.forWorkload({ inheritAffinity: false }).affinity).toBeUndefined();
      const own = { podAntiAffinity: {} };
      expect(withAffinity.forWorkload({ nodeSelection: NodeSelection.everywhere(), affinity: own }).affinity).toBe(own);
    });
  });

  test('exactly ignores the global selector', () => {
    expect(global.forWorkload({ nodeSelection: NodeSelection.exactly({ 'nvidia.com/gpu.present': 'true' }) }).nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
  });

  test('tolerations are deduplicated and can opt out of inheritance', () => {
    expect(global.forWorkload({ tolerations: [GPU_TAINT] }).tolerations).toEqual([GPU_TAINT]);
    expect(global.forWorkload({ inheritTolerations: false }).tolerations).toBeUndefined();
  });

  test('the global placement is found from any construct below the configured scope', () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    Placement.configure(chart, { nodeSelector: CPU });
    const child = new Chart(chart, 'inner');
    expect(Placement.of(child).forWorkload().nodeSelector).toEqual(CPU);
    expect(Placement.of(new Chart(app, 'other')).forWorkload().nodeSelector).toEqual({});
  });

  test('fails when a toleration with operator Exists has a value', () => {
    expect(() => new Placement({ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] })).toThrow(/'placement.tolerations\[0\].value' is "v"; allowed: no value when operator is Exists/);
  });

  test('fails when an Equal toleration has no key', () => {
    expect(() => new Placement({ tolerations: [{ value: 'v' }] })).toThrow(/'placement.tolerations\[0\].key'/);
  });

  test('fails when a toleration effect is unknown', () => {
    expect(() => new Placement({ tolerations: [{ key: 'k', value: 'v', effect: 'NoRun' as any }] })).toThrow(/'placement.tolerations\[0\].effect' is "NoRun"; allowed: NoSchedule, PreferNoSchedule or NoExecute/);
  });

  test('fails when tolerationSeconds is set without NoExecute', () => {
    expect(() => new Placement({ tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }] })).toThrow(/tolerationSeconds/);
  });

  test('fails when a node selector label is invalid', () => {
    expect(() => NodeSelection.fallback({ 'bad key': 'x' }, 'engine.nodeSelector')).toThrow(/'engine.nodeSelector' is "bad key"/);
    expect(() => NodeSelection.exactly({})).toThrow(/at least one label/);
  });
});
