import * as fs from 'fs';
import * as path from 'path';
import { compareDistTrees, formatReport, formatUpgradeReport, parseManifests, RULES, verifyManifests } from '../../lib/verify';

// The corpus: every file in broken/ breaks exactly the rule its name starts with (`<rule>--<case>.yaml`) and says
// which message to expect; every file in clean/ passes. Upgrade cases are old/ and new/ dist trees.
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'verify');
const list = (dir: string) => fs.readdirSync(path.join(FIXTURES, dir)).sort();
const ruleOf = (name: string) => name.split('--')[0];

function expectation(text: string): RegExp {
  const line = text.split('\n').find((l) => l.startsWith('# expect: '));
  if (!line) throw new Error('fixture has no "# expect: <regex>" line');
  return new RegExp(line.slice('# expect: '.length));
}

function load(dir: string, file: string) {
  const full = path.join(FIXTURES, dir, file);
  const text = fs.readFileSync(full, 'utf-8');
  return { text, objects: parseManifests(text, full) };
}

const broken = list('broken');
const clean = list('clean');
const upgradeBroken = list('upgrade-broken');
const upgradeClean = list('upgrade-clean');

describe('verification corpus', () => {
  test('holds at least 40 deliberately broken manifests, and every rule has broken and clean cases', () => {
    expect(broken.length + upgradeBroken.length).toBeGreaterThanOrEqual(40);
    expect(broken.length).toBeGreaterThanOrEqual(40);
    for (const [id, info] of RULES) {
      // The wiring rules check connection records against objects; their corpus is test/fixtures/wiring.
      // Wiring, NetworkPolicy and delivery rules read more than one release's objects or the graph: test/verify/wiring.test.ts,
      // test/fixtures/network, test/gitops/argocd.test.ts.
      if (info.category === 'wiring' || info.category === 'network' || info.category === 'delivery') continue;
      const [b, c] = info.category === 'upgrade' ? [upgradeBroken, upgradeClean] : [broken, clean];
      expect({ id, broken: b.some((f) => ruleOf(f) === id) }).toEqual({ id, broken: true });
      expect({ id, clean: c.some((f) => ruleOf(f) === id) }).toEqual({ id, clean: true });
    }
  });

  test('every fixture is named for a known rule', () => {
    for (const f of [...broken, ...clean, ...upgradeBroken, ...upgradeClean]) expect({ f, known: RULES.has(ruleOf(f)) }).toEqual({ f, known: true });
  });

  test.each(broken)('broken/%s is caught by its rule, and only by it', (file) => {
    const { text, objects } = load('broken', file);
    const report = verifyManifests(objects, { name: file });
    const rules = [...new Set(report.violations.map((v) => v.rule))];
    expect({ file, rules }).toEqual({ file, rules: [ruleOf(file)] });
    const want = expectation(text);
    expect(report.violations.map((v) => v.message)).toEqual(expect.arrayContaining([expect.stringMatching(want)]));
    for (const v of report.violations) {
      expect(v.fix.length).toBeGreaterThan(10);
      expect(v.object).toMatch(/^[A-Za-z]+\//);
    }
    expect(report.ok).toBe(false);
  });

  test.each(clean)('clean/%s passes', (file) => {
    const { objects } = load('clean', file);
    const report = verifyManifests(objects, { name: file });
    expect({ file, report: report.ok ? 'ok' : formatReport(report) }).toEqual({ file, report: 'ok' });
  });

  test.each(upgradeBroken)('upgrade-broken/%s is caught by its rule, and only by it', (dir) => {
    const base = path.join(FIXTURES, 'upgrade-broken', dir);
    const report = compareDistTrees(path.join(base, 'old'), path.join(base, 'new'));
    expect({ dir, rules: [...new Set(report.breaking.map((v) => v.rule))] }).toEqual({ dir, rules: [ruleOf(dir)] });
    const want = expectation(fs.readFileSync(path.join(base, 'new', 'manifests.yaml'), 'utf-8'));
    expect(report.breaking.map((v) => v.message)).toEqual(expect.arrayContaining([expect.stringMatching(want)]));
    expect(report.ok).toBe(false);
  });

  test.each(upgradeClean)('upgrade-clean/%s passes', (dir) => {
    const base = path.join(FIXTURES, 'upgrade-clean', dir);
    const report = compareDistTrees(path.join(base, 'old'), path.join(base, 'new'));
    expect({ dir, report: report.ok ? 'ok' : formatUpgradeReport(report) }).toEqual({ dir, report: 'ok' });
  });
});
