import { assertDnsLabel, assertDnsSubdomain, deriveName, isDnsLabel, isDnsSubdomain, NAME_HASH_LENGTH } from '../../lib/core/names';
import { ConfigError } from '../../lib/core/errors';

describe('DNS-1123 checks', () => {
  test.each(['a', 'engine', 'engine-headless', 'a1', '0abc', 'x'.repeat(63)])('%s is a label', (n) => {
    expect(isDnsLabel(n)).toBe(true);
    expect(assertDnsLabel('name', n)).toBe(n);
  });

  test.each(['', 'Engine', '-a', 'a-', 'a_b', 'a.b', 'x'.repeat(64)])('fails when the label is %j', (n) => {
    expect(isDnsLabel(n)).toBe(false);
    expect(() => assertDnsLabel('metadata.name', n)).toThrow(ConfigError);
  });

  test('fails when a label leaves no room for a suffix, naming the prop, value and limit', () => {
    expect(() => assertDnsLabel('release.name', 'a'.repeat(60), 54)).toThrow(
      /'release.name' is "a{60}", but it is 60 characters long; allowed: .*at most 54 characters/,
    );
  });

  test('subdomains allow dots but not empty labels or long labels', () => {
    expect(isDnsSubdomain('my-config.v1')).toBe(true);
    expect(isDnsSubdomain('a..b')).toBe(false);
    expect(isDnsSubdomain(`${'x'.repeat(64)}.com`)).toBe(false);
    expect(() => assertDnsSubdomain('configMap', 'Bad_Name')).toThrow(/'configMap' is "Bad_Name"/);
  });
});

describe('deriveName', () => {
  test('joins short parts unchanged', () => {
    expect(deriveName(['graphistry', 'engine'])).toBe('graphistry-engine');
  });

  test('normalizes case and invalid characters', () => {
    expect(deriveName(['My_App', 'Web.Server'])).toBe('my-app-web-server');
  });

  test('truncates long names with a hash and leaves room for the reserved suffix', () => {
    const long = 'a-very-long-release-name-that-an-operator-typed-for-a-customer-environment';
    const name = deriveName([long, 'engine'], { reserve: '-headless'.length });
    expect(name.length).toBeLessThanOrEqual(63 - 9);
    expect(isDnsLabel(`${name}-headless`)).toBe(true);
    expect(name).toMatch(new RegExp(`-[a-z0-9]{${NAME_HASH_LENGTH}}$`));
  });

  test('two long inputs that share a prefix never collide', () => {
    const names = new Set<string>();
    const prefix = 'x'.repeat(80);
    for (let i = 0; i < 2000; i++) names.add(deriveName([prefix, `tenant-${i}`]));
    expect(names.size).toBe(2000);
    for (const n of names) expect(isDnsLabel(n)).toBe(true);
  });

  test('is deterministic', () => {
    expect(deriveName(['y'.repeat(100)])).toBe(deriveName(['y'.repeat(100)]));
  });

  test('fails when there is nothing to name', () => {
    expect(() => deriveName(['', '---'])).toThrow(/'deriveName.parts'/);
  });

  test('fails when the reserve leaves no room', () => {
    expect(() => deriveName(['a'], { reserve: 60 })).toThrow(/'deriveName.reserve' is 60/);
  });
});
