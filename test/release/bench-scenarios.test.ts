import { renderApp } from '../../lib/release';
import { verifyReleases } from '../../lib/verify';
import { EXAMPLE_APPS } from '../../apps/registry';
import { generatedApp, scenarios } from '../../bench/scenarios';

// The benchmark is only worth reading while it measures real work: every app, all apps together, the two scale
// points, and generated objects that are valid, verified manifests. Times are never asserted.
describe('benchmark scenarios', () => {
  test('cover each example app, all apps together and the scale scenario at N = 1,000 and 10,000', () => {
    const names = scenarios().map((s) => s.name);
    for (const a of EXAMPLE_APPS) expect(names).toContain(`app:${a.name}`);
    expect(names).toContain('all apps');
    expect(names).toContain('scale: 1,000 objects');
    expect(names).toContain('scale: 10,000 objects');
  });

  test('the generated scale objects are built with the core primitives and pass verification', () => {
    const releases = renderApp(generatedApp(30));
    const generated = releases.flatMap((r) => r.objects).filter((o) => o.kind !== 'NetworkPolicy');
    expect(generated.length).toBe(30);
    expect([...new Set(generated.map((o) => o.kind))].sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    // Each release renders its default deny and one policy per Deployment (from the wiring graph).
    const policies = releases.flatMap((r) => r.objects).filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.length).toBe(releases.length + generated.filter((o) => o.kind === 'Deployment').length);
    const reports = verifyReleases(releases);
    expect(reports.flatMap((r) => r.violations.map((v) => `${v.object} ${v.rule}: ${v.message}`))).toEqual([]);
  });
});
