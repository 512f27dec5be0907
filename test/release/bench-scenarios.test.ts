import { renderApp } from '../../lib/release';
import { verifyReleases } from '../../lib/verify';
import { synthesize } from '../../apps/main';
import { EXAMPLE_APPS } from '../../apps/registry';
import { baselineValues } from '../../bench/helm-values';
import { generatedApp, scaleWorkloads, scenarios } from '../../bench/scenarios';

// The benchmark is only worth reading while it measures real work: every app, all apps together, the two scale
// points, each beside Helm rendering the same objects, and generated objects that are valid, verified manifests.
// Times are never asserted. (test/integration/bench-baseline.test.ts runs the real helm on the baseline charts.)
describe('benchmark scenarios', () => {
  const lister = (app: string) =>
    synthesize({ only: [app] }).map((r) => ({ name: r.name, namespace: r.namespace, values: baselineValues(r.objects).values }));
  const list = scenarios(lister);

  test('cover each example app, all apps together and the scale scenario at N = 1,000 and 10,000, each beside Helm', () => {
    const names = list.map((s) => s.name);
    for (const a of EXAMPLE_APPS) expect(names).toContain(`app:${a.name}`);
    expect(names).toEqual(expect.arrayContaining(['all apps', 'scale: 1,000 objects', 'scale: 10,000 objects']));
    for (const s of list.filter((x) => !x.name.startsWith('iot fleet'))) expect({ name: s.name, helm: (s.helm ?? []).length > 0 }).toEqual({ name: s.name, helm: true });
    // One helm template per release, as a Helm user renders releases.
    expect(list.find((s) => s.name === 'all apps')!.helm).toHaveLength(synthesize().length);
    expect(list.find((s) => s.name === 'scale: 10,000 objects')!.helm![0].set).toEqual({ workloads: String(scaleWorkloads(10000)) });
  });

  test('the baseline chart has a template for every kind the example apps render, and values for every object', () => {
    for (const r of synthesize()) {
      const { values, unsupported } = baselineValues(r.objects);
      expect({ release: r.name, unsupported }).toEqual({ release: r.name, unsupported: [] });
      const described = Object.values(values).filter(Array.isArray).reduce((n, xs) => n + xs.length, 0);
      expect({ release: r.name, described }).toEqual({ release: r.name, described: r.objects.length });
    }
  });

  test('the generated scale objects are built with the core primitives and pass verification', () => {
    const releases = renderApp(generatedApp(30));
    const generated = releases.flatMap((r) => r.objects).filter((o) => o.kind !== 'NetworkPolicy');
    expect(generated.length).toBe(30);
    expect([...new Set(generated.map((o) => o.kind))].sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    // Each release renders its default deny and one policy per Deployment (from the wiring graph).
    const policies = releases.flatMap((r) => r.objects).filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.length).toBe(releases.length + generated.filter((o) => o.kind === 'Deployment').length);
    expect(scaleWorkloads(30) * 3).toBe(30);
    const reports = verifyReleases(releases);
    expect(reports.flatMap((r) => r.violations.map((v) => `${v.object} ${v.rule}: ${v.message}`))).toEqual([]);
  });
});
