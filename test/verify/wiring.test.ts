import { App } from 'cdk8s';
import { HostForm, Wiring } from '../../lib/core';
import { renderApp } from '../../lib/release';
import { RULES, verifyReleases, wiringFindings } from '../../lib/verify';
import { DemoWorkload, newRelease, wiringCorpus } from '../support';

// The wiring corpus: each file holds manifests and one WiringFixture document with connection records. Files in
// broken/ break exactly the rule their name starts with (`<rule>--<case>.yaml`, message in `# expect:`); clean/ pass.
const { list, ruleOf, load } = wiringCorpus('wiring');

describe('wiring corpus', () => {
  test('every wiring rule has broken and clean cases', () => {
    const wiringRules = [...RULES.values()].filter((r) => r.category === 'wiring').map((r) => r.id);
    expect(wiringRules.sort()).toEqual(['wiring-client', 'wiring-port', 'wiring-target']);
    for (const id of wiringRules) {
      expect({ id, broken: list('broken').some((f) => ruleOf(f) === id) }).toEqual({ id, broken: true });
      expect({ id, clean: list('clean').some((f) => ruleOf(f) === id) }).toEqual({ id, clean: true });
    }
  });

  test.each(list('broken'))('broken/%s is caught by its rule, and only by it', (file) => {
    const { text, objects, connections } = load('broken', file);
    const findings = wiringFindings(connections, objects);
    expect({ file, rules: [...new Set(findings.map((f) => f.rule))] }).toEqual({ file, rules: [ruleOf(file)] });
    const want = new RegExp(text.split('\n').find((l) => l.startsWith('# expect: '))!.slice('# expect: '.length));
    expect(findings.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(want)]));
    // Every message names the connection (client, target and port) and comes with a fix.
    for (const f of findings) {
      expect(f.message).toMatch(/^client connection .+ -> .+ port [a-z-]+ \(\d+\/TCP\)/);
      expect(f.fix.length).toBeGreaterThan(20);
    }
  });

  test.each(list('clean'))('clean/%s passes', (file) => {
    const { objects, connections } = load('clean', file);
    expect(wiringFindings(connections, objects)).toEqual([]);
  });
});

describe('wiring verification of rendered releases', () => {
  /** A client in release `web` and a cache in release `data` (another namespace), connected across the two. */
  function crossRelease() {
    const app = new App();
    const data = newRelease({ id: 'data', namespace: 'data' }, app);
    const cache = new DemoWorkload(data, 'Cache', { name: 'cache', ports: [{ name: 'redis', port: 6379 }], service: [{ name: 'redis', port: 6379 }] });
    const web = newRelease({ id: 'web', namespace: 'web' }, app);
    new DemoWorkload(web, 'Web', {
      name: 'web',
      connect: [(client) => client.setEnv('CACHE_URL', client.connect(cache.endpoint!, 'redis', { purpose: 'cache' }).url('redis', { form: HostForm.NAMESPACED }))],
    });
    return renderApp(app);
  }

  test('a connection across releases is recorded in both and verified once, in the client release', () => {
    const releases = crossRelease();
    for (const r of releases) expect(r.connections).toHaveLength(1);
    const [record] = releases[0].connections;
    expect(record).toEqual({
      kind: 'client',
      purpose: 'cache',
      from: { type: 'workload', release: 'web', namespace: 'web', selector: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' }, container: 'main', path: 'web/Web' },
      to: {
        type: 'service', release: 'data', namespace: 'data', name: 'cache', headless: false,
        port: { name: 'redis', port: 6379, protocol: 'TCP', targetPort: 'redis' },
        selector: { 'app.kubernetes.io/name': 'cache', 'app.kubernetes.io/instance': 'data' },
      },
    });
    const reports = verifyReleases(releases, { schema: false });
    expect(reports.flatMap((r) => r.violations.filter((v) => v.rule.startsWith('wiring-')))).toEqual([]);
  });

  test('fails when the Service a connection names is patched away from its pods, in the client release report', () => {
    const releases = crossRelease();
    // Break the rendered Service the way a hand edit would: it no longer selects the cache pods.
    const data = releases.find((r) => r.name === 'data')!;
    const svc = data.objects.find((o) => o.kind === 'Service') as unknown as { spec: { selector: Record<string, string> } };
    svc.spec.selector = { 'app.kubernetes.io/name': 'cash' };
    const reports = verifyReleases(releases, { schema: false });
    const web = reports.find((r) => r.name === 'web')!;
    const wiring = web.violations.filter((v) => v.rule === 'wiring-target');
    expect(wiring).toHaveLength(1);
    // Reported on the broken Service, at the field to fix, in the report of the release whose client breaks.
    expect(wiring[0].object).toBe('Service/data/cache');
    expect(wiring[0].path).toBe('spec.selector');
    expect(wiring[0].message).toContain('client connection web/Web (container main) -> Service data/cache port redis (6379/TCP) for cache: Service data/cache selects no pod template');
    expect(web.ok).toBe(false);
    expect(reports.find((r) => r.name === 'data')!.violations.filter((v) => v.rule.startsWith('wiring-'))).toEqual([]);
  });

  test('fails when the client release is verified without the release rendering the Service', () => {
    const releases = crossRelease().filter((r) => r.name === 'web');
    const [report] = verifyReleases(releases, { schema: false });
    expect(report.violations.filter((v) => v.rule === 'wiring-target').map((v) => v.message)).toEqual([
      expect.stringContaining('no release of the app renders Service data/cache'),
    ]);
  });

  test('the graph is per app: two apps never see each other\'s connections', () => {
    const a = new App();
    const b = new App();
    expect(Wiring.of(a)).toBe(Wiring.of(newRelease({}, a)));
    expect(Wiring.of(a)).not.toBe(Wiring.of(b));
  });
});
