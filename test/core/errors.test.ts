import { Construct } from 'constructs';
import { buildChild, check, checkAll, ConfigError, ConfigErrors, ErrorCollector, inConstruct } from '../../lib/core';

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

describe('errors carry their construct', () => {
  // A construct the user creates, and one it builds with its props forwarded (as IotFleet builds its NatsServer).
  class Inner extends Construct {
    constructor(scope: Construct, id: string, props: { readonly name: string }) {
      super(scope, id);
      const errors = new ErrorCollector(this);
      errors.check(/^[a-z]+$/.test(props.name), 'name', props.name, 'lowercase letters');
      errors.throwIfAny();
    }
  }
  class Outer extends Construct {
    constructor(scope: Construct, id: string, props: { readonly replicas: number; readonly inner: { readonly name: string } }) {
      super(scope, id);
      const errors = new ErrorCollector(this);
      errors.check(props.replicas >= 1, 'replicas', props.replicas, 'at least 1');
      errors.attempt(() => buildChild(this, 'Inner', { prefix: 'inner' }, () => new Inner(this, 'Inner', props.inner)));
      errors.throwIfAny();
    }
  }
  const app = () => new Construct(undefined as unknown as Construct, '');

  test('a construct the user created names itself and the prop as written in its own props', () => {
    const e = errorOf(() => new Inner(app(), 'Bus', { name: 'Bad' }));
    expect(e.construct).toEqual({ type: 'Inner', path: 'Bus' });
    expect(e.prop).toBe('name');
    expect(e.message).toBe("Inner \"Bus\": 'name' is \"Bad\"; allowed: lowercase letters");
    expect(e.detail).toBe("'name' is \"Bad\"; allowed: lowercase letters");
  });

  test('a child built with forwarded props names the prop and the construct the user wrote (no hand-written prefix)', () => {
    const e = errorOf(() => new Outer(app(), 'Fleet', { replicas: 0, inner: { name: 'Bad' } })) as ConfigErrors;
    expect(e.errors.map((x) => [x.construct?.type, x.prop])).toEqual([['Outer', 'replicas'], ['Outer', 'inner.name']]);
    expect(e.message).toBe([
      '2 configuration errors in the props of Outer "Fleet":',
      "  - 'replicas' is 0; allowed: at least 1",
      "  - 'inner.name' is \"Bad\"; allowed: lowercase letters",
    ].join('\n'));
  });

  test('buildChild attributes what a child throws outside any collector; in() leaves an attributed error alone', () => {
    const root = app();
    const outer = new Construct(root, 'Stack');
    const e = errorOf(() => buildChild(outer, 'Member', { prefix: 'member', renames: { tag: 'tag' } }, () => {
      new Construct(outer, 'Member');
      check(false, 'tag', 'latest', 'a pinned tag');
    }));
    expect([e.construct?.path, e.prop]).toEqual(['Stack', 'tag']);
    expect(e.in(new Construct(root, 'Other'))).toBe(e);
    const m = errorOf(() => buildChild(outer, 'Member2', { prefix: 'member' }, () => {
      inConstruct(new Construct(outer, 'Member2'), () => check(false, 'env.PORT', '1', 'unset'));
    }));
    expect(m.message).toBe("Construct \"Stack\": 'member.env.PORT' is \"1\"; allowed: unset");
  });

  test('an error thrown outside any construct stays unattributed', () => {
    const e = errorOf(() => check(false, 'port', 0, '1-65535'));
    expect(e.construct).toBeUndefined();
    expect(e.message).toBe("'port' is 0; allowed: 1-65535");
  });
});

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}
