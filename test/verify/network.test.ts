import { networkFindings, RULES } from '../../lib/verify';
import { wiringCorpus } from '../support';

// The NetworkPolicy corpus: each file holds the manifests of release `shop` (its policies included) and one
// WiringFixture document with its connection records. No CNI runs here, so these rules are the proof that a release's
// policies isolate its pods and let exactly its wired traffic through. Files in broken/ break exactly the rule their
// name starts with (`<rule>--<case>.yaml`, message in `# expect:`); clean/ pass every NetworkPolicy rule.
const { list, ruleOf, load } = wiringCorpus('network');

function findingsOf(dir: string, file: string) {
  const { text, objects, connections } = load(dir, file);
  return { text, findings: networkFindings({ name: 'shop', objects, connections }, objects) };
}

describe('NetworkPolicy corpus', () => {
  test('every NetworkPolicy rule has broken and clean cases', () => {
    const rules = [...RULES.values()].filter((r) => r.category === 'network').map((r) => r.id);
    expect(rules.sort()).toEqual(['netpol-allows', 'netpol-api-access', 'netpol-coverage', 'netpol-exposed', 'netpol-selects']);
    for (const id of rules) {
      expect({ id, broken: list('broken').some((f) => ruleOf(f) === id) }).toEqual({ id, broken: true });
      expect({ id, clean: list('clean').some((f) => ruleOf(f) === id) }).toEqual({ id, clean: true });
    }
  });

  test.each(list('broken'))('broken/%s is caught by its rule, and only by it', (file) => {
    const { text, findings } = findingsOf('broken', file);
    expect({ file, rules: [...new Set(findings.map((f) => f.rule))] }).toEqual({ file, rules: [ruleOf(file)] });
    const want = new RegExp(text.split('\n').find((l) => l.startsWith('# expect: '))!.slice('# expect: '.length));
    expect(findings.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(want)]));
    for (const f of findings) {
      expect(f.fix.length).toBeGreaterThan(20);
      expect(f.object.metadata.name).toMatch(/^[a-z]/);
    }
  });

  test.each(list('clean'))('clean/%s passes', (file) => {
    expect(findingsOf('clean', file).findings).toEqual([]);
  });
});
