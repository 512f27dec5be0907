import { check, checkAll, ConfigError, ConfigErrors, ErrorCollector } from '../../lib/core';

describe('ErrorCollector', () => {
  test('collects every ConfigError and throws them as one report, in order', () => {
    const errors = new ErrorCollector();
    const port = errors.attempt(() => {
      check(false, 'port', 99999, '1-65535');
      return 99999;
    }, 80);
    expect(port).toBe(80);
    expect(errors.check(false, 'name', 'Bad_Name', 'a DNS-1123 label')).toBe(false);
    expect(errors.check(true, 'replicas', 1, 'at least 1')).toBe(true);
    errors.add(new ConfigError('image', 'nginx', 'a pinned image'));
    let thrown: unknown;
    try {
      errors.throwIfAny();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    expect(thrown).toBeInstanceOf(ConfigError);
    const all = thrown as ConfigErrors;
    expect(all.errors.map((e) => e.prop)).toEqual(['port', 'name', 'image']);
    expect(all.message).toBe([
      '3 configuration errors:',
      "  - 'port' is 99999; allowed: 1-65535",
      "  - 'name' is \"Bad_Name\"; allowed: a DNS-1123 label",
      "  - 'image' is \"nginx\"; allowed: a pinned image",
    ].join('\n'));
    // As a ConfigError it reads as its first error.
    expect([all.prop, all.value, all.allowed]).toEqual(['port', 99999, '1-65535']);
  });

  test('one error is thrown as it is; none throws nothing', () => {
    const errors = new ErrorCollector();
    errors.throwIfAny();
    errors.check(false, 'a', 1, '2');
    expect(() => errors.throwIfAny()).toThrow(new ConfigError('a', 1, '2'));
    try {
      errors.throwIfAny();
    } catch (e) {
      expect(e).not.toBeInstanceOf(ConfigErrors);
    }
  });

  test('a nested report contributes each of its errors', () => {
    const inner = new ErrorCollector();
    inner.check(false, 'a', 1, '2');
    inner.check(false, 'b', 1, '2');
    const outer = new ErrorCollector();
    outer.attempt(() => inner.throwIfAny());
    outer.check(false, 'c', 1, '2');
    expect(outer.errors.map((e) => e.prop)).toEqual(['a', 'b', 'c']);
  });

  test('errors that are not ConfigErrors (bugs) are never swallowed', () => {
    const errors = new ErrorCollector();
    expect(() => errors.attempt(() => (undefined as unknown as { x: number }).x)).toThrow(TypeError);
    expect(errors.errors).toEqual([]);
  });

  test('checkAll runs every check and reports them together', () => {
    expect(() => checkAll(
      () => check(false, 'a', 1, 'x'),
      () => check(true, 'b', 1, 'x'),
      () => check(false, 'c', 3, 'y'),
    )).toThrow(/^2 configuration errors:\n {2}- 'a' is 1; allowed: x\n {2}- 'c' is 3; allowed: y$/);
    expect(() => checkAll(() => undefined)).not.toThrow();
  });
});
