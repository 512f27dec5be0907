import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Release } from '../../lib/release';

describe('Release.tryOf', () => {
  test('finds the enclosing Release, through plain constructs and a nested chart', () => {
    const r = new Release(new App(), 'r', { namespace: 'ns' });
    const inner = new Construct(new Chart(r, 'Inner'), 'Deep');
    expect(Release.tryOf(inner)).toBe(r);
    expect(Release.of(inner)).toBe(r);
  });

  test('is undefined outside any Release (where Release.of throws)', () => {
    const plain = new Construct(new Chart(new App(), 'plain'), 'X');
    expect(Release.tryOf(plain)).toBeUndefined();
    expect(() => Release.of(plain)).toThrow();
  });
});
