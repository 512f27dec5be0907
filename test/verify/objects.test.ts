import { labelSelectorMatches, selects } from '../../lib/verify/objects';
import { rng } from '../release/yaml-gen';

// selects and labelSelectorMatches loop over the selector's keys (verification runs in V8's interpreter, where
// `Object.entries(...).every(([k, v]) => ...)` allocates and destructures each entry): the answers must be the ones
// that formulation gives, on random selectors and labels, empty ones included.
describe('label selectors', () => {
  const r = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const KEYS = ['app', 'tier', 'app.kubernetes.io/name', 'a/b', ''];
  const VALUES = ['web', 'db', '', 'Web'];
  const labelsOf = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, () => [pick(KEYS), pick(VALUES)]));
  const reference = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

  test('property: selects is "every pair among the labels", and an empty selector selects nothing', () => {
    let hits = 0;
    for (let i = 0; i < 3000; i++) {
      const sel = labelsOf(Math.floor(r() * 4));
      // Half of the time the labels start from the selector's pairs (then mostly selected).
      const labels = r() < 0.5 ? { ...sel, ...labelsOf(Math.floor(r() * 3)) } : labelsOf(Math.floor(r() * 5));
      const want = Object.keys(sel).length > 0 && reference(sel, labels);
      expect(selects(sel, labels)).toBe(want);
      if (want) hits++;
    }
    expect(selects(undefined, { app: 'web' })).toBe(false);
    expect(hits).toBeGreaterThan(500);
  });

  test('property: labelSelectorMatches with matchLabels (and an Exists expression) as the pairwise formulation', () => {
    for (let i = 0; i < 3000; i++) {
      const ml = labelsOf(Math.floor(r() * 4));
      const labels = r() < 0.5 ? { ...ml, ...labelsOf(Math.floor(r() * 3)) } : labelsOf(Math.floor(r() * 5));
      const exprs = r() < 0.3 ? [{ key: pick(KEYS), operator: 'Exists' }] : [];
      const sel = { matchLabels: ml, matchExpressions: exprs };
      const exists = exprs.every((e) => Object.prototype.hasOwnProperty.call(labels, e.key));
      const want = (Object.keys(ml).length > 0 || exprs.length > 0) && reference(ml, labels) && exists;
      expect(labelSelectorMatches(sel, labels)).toBe(want);
    }
    expect(labelSelectorMatches({ matchLabels: {} }, { app: 'web' })).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, { app: 'web' })).toBe(true);
  });
});
