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
    expect(releases.reduce((n, r) => n + r.objects.length, 0)).toBe(30);
    const kinds = new Set(releases[0].objects.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    const reports = verifyReleases(releases);
    expect(reports.flatMap((r) => r.violations.map((v) => `${v.object} ${v.rule}: ${v.message}`))).toEqual([]);
  });
});
