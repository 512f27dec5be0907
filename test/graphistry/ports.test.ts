import { ConfigError } from '../../lib/core/errors';
import { EnginePortPlan, FORGE_ETL_PYTHON_PORT, STREAMGL_GPU_PORT } from '../../lib/graphistry/ports';
import { Tier } from '../../lib/graphistry/tier';

describe('Tier', () => {
  test('tiers are ordered platform < analytics < viz < full', () => {
    expect(Tier.ALL.map((t) => t.name)).toEqual(['platform', 'analytics', 'viz', 'full']);
    expect(Tier.VIZ.atLeast(Tier.ANALYTICS)).toBe(true);
    expect(Tier.VIZ.atLeast(Tier.VIZ)).toBe(true);
    expect(Tier.ANALYTICS.atLeast(Tier.VIZ)).toBe(false);
    expect(Tier.PLATFORM.below(Tier.ANALYTICS)).toBe(true);
    expect(Tier.FULL.is(Tier.FULL)).toBe(true);
    expect(Tier.FULL.is(Tier.PLATFORM)).toBe(false);
    expect(`${Tier.VIZ}`).toBe('viz');
  });

  test('parses the names operators write', () => {
    expect(Tier.of('analytics')).toBe(Tier.ANALYTICS);
  });

  test('fails when the name is not a tier', () => {
    expect(() => Tier.of('gpu')).toThrow("'tier' is \"gpu\"; allowed: platform, analytics, viz, full");
  });
});

describe('EnginePortPlan', () => {
  test('default layout at viz', () => {
    const p = EnginePortPlan.forTier(Tier.VIZ);
    expect(p.streamglWorkers).toBe(4);
    expect(p.streamglGpu).toBe(8090);
    expect(p.streamglWorkerPorts).toEqual({ from: 8091, to: 8094 });
    expect(p.listServer).toBe(8095);
    expect(p.forgeEtlPython).toBe(8200);
    expect([p.streamglViz, p.streamglVizSecondary, p.nginx, p.dispatcher]).toEqual([8081, 3100, 80, 8080]);
    expect(EnginePortPlan.describe(p.allocations())).toMatchSnapshot();
  });

  test('the dispatcher serves forge-etl-python at analytics and adds the streamgl services at viz', () => {
    expect(EnginePortPlan.forTier(Tier.ANALYTICS).dispatchRoutes()).toEqual([{ host: 'forge-etl-python', port: 8200 }]);
    expect(EnginePortPlan.forTier(Tier.FULL).dispatchRoutes()).toEqual([
      { host: 'forge-etl-python', port: 8200 },
      { host: 'streamgl-gpu', port: 8090 },
      { host: 'streamgl-sessions', port: 8082 },
      { host: 'streamgl-viz', port: 8081 },
    ]);
  });

  test('N = 108 renders: the list-server lands on 8199, just below forge-etl-python', () => {
    const p = EnginePortPlan.forTier(Tier.VIZ, { streamglWorkers: 108 });
    expect(p.listServer).toBe(8199);
    expect(EnginePortPlan.maxStreamglWorkers()).toBe(108);
  });

  test('fails when N = 109 at viz, with the full port layout and the largest safe value', () => {
    let err: unknown;
    try {
      EnginePortPlan.forTier(Tier.VIZ, { streamglWorkers: 109 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain("'streamglGpu.workers' is 109, but the list-server port 8090+109+1=8200 collides with forge-etl-python on 8200");
    expect(msg).toContain('the largest safe value is 108');
    expect(msg).toContain('allowed: 1 to 108');
    for (const part of ['nginx 80', 'dispatcher 8080', 'streamgl-viz 8081', 'streamgl-viz secondary 3100', 'streamgl-sessions 8082', 'streamgl-gpu 8090', 'streamgl-gpu workers 8091-8199', 'streamgl-gpu list-server 8200', 'forge-etl-python 8200', 'dask-cuda-worker dashboard 8787']) {
      expect(msg).toContain(part);
    }
    expect(() => EnginePortPlan.forTier(Tier.FULL, { streamglWorkers: 200 })).toThrow(/'streamglGpu.workers' is 200/);
  });

  test('the guard does not apply at analytics, where streamgl-gpu does not run', () => {
    const p = EnginePortPlan.forTier(Tier.ANALYTICS, { streamglWorkers: 109 });
    expect(p.allocations().map((a) => a.owner)).not.toContain('streamgl-gpu list-server');
  });

  test('no two allocations overlap for any accepted N', () => {
    for (let n = 1; n <= EnginePortPlan.maxStreamglWorkers(); n++) {
      const a = EnginePortPlan.forTier(Tier.VIZ, { streamglWorkers: n }).allocations();
      for (let i = 1; i < a.length; i++) expect(a[i].from).toBeGreaterThan(a[i - 1].to);
    }
    expect(STREAMGL_GPU_PORT + EnginePortPlan.maxStreamglWorkers() + 1).toBe(FORGE_ETL_PYTHON_PORT - 1);
  });

  test('fails when N is not a whole number >= 1', () => {
    expect(() => EnginePortPlan.forTier(Tier.VIZ, { streamglWorkers: 0 })).toThrow(/'streamglGpu.workers' is 0, but it is below 1; allowed: a whole number >= 1/);
    expect(() => EnginePortPlan.forTier(Tier.ANALYTICS, { streamglWorkers: 2.5 })).toThrow(/is 2.5/);
  });
});
