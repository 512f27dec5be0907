import { EnvBuilder, EnvFrom, EnvSource, envFromPairs } from '../../lib/core/env';

describe('EnvBuilder', () => {
  test('owned keys come first in the order set, then defaults and user keys sorted by name', () => {
    const env = new EnvBuilder('engine.forgeEtlPython')
      .own('PORT', '8200')
      .own('GRAPHISTRY_DASK_LOCAL_AFFINITY', '1')
      .defaults({ ZED: 'z', ALPHA: 'a', LOG_LEVEL: 'INFO' })
      .user({ LOG_LEVEL: 'DEBUG', BETA: 'b' }, 'engine.forgeEtlPython.env')
      .build();
    expect(env!.map((e) => e.name)).toEqual(['PORT', 'GRAPHISTRY_DASK_LOCAL_AFFINITY', 'ALPHA', 'BETA', 'LOG_LEVEL', 'ZED']);
    expect(env!.find((e) => e.name === 'LOG_LEVEL')!.value).toBe('DEBUG');
  });

  test('the output does not depend on map insertion order', () => {
    const a = new EnvBuilder('x').defaults({ A: '1', B: '2' }).user({ C: '3' }, 'env').build();
    const b = new EnvBuilder('x').defaults({ B: '2', A: '1' }).user({ C: '3' }, 'env').build();
    expect(a).toEqual(b);
  });

  test('values can come from Secret and ConfigMap keys and pod fields', () => {
    const env = new EnvBuilder('x')
      .own('PGPASSWORD', EnvSource.secret('pg', 'password'))
      .defaults({ CFG: EnvSource.configMap('cm', 'key', { optional: true }), NS: EnvSource.field('metadata.namespace') })
      .build();
    expect(env).toEqual([
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'pg', key: 'password', optional: undefined } } },
      { name: 'CFG', valueFrom: { configMapKeyRef: { name: 'cm', key: 'key', optional: true } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
  });

  test('envFrom lists Secrets and ConfigMaps', () => {
    const b = new EnvBuilder('x').envFrom(EnvFrom.secret('jwt')).envFrom(EnvFrom.configMap('cfg', { optional: true }));
    expect(b.buildFrom()).toEqual([{ secretRef: { name: 'jwt', optional: undefined } }, { configMapRef: { name: 'cfg', optional: true } }]);
  });

  test('fails when user env tries to override an owned key, and says so', () => {
    const b = new EnvBuilder('EngineDaemonSet container forge-etl-python').own('PORT', '8200');
    expect(() => b.user({ PORT: '9000' }, 'engine.forgeEtlPython.env')).toThrow(
      /'engine.forgeEtlPython.env.PORT' is "9000", but PORT is owned by EngineDaemonSet container forge-etl-python .*cannot be overridden/,
    );
  });

  test('fails when the construct owns a key after the user set it, and names the user prop', () => {
    // Order must not matter: without this the user's entry rendered after the owned one and Kubernetes kept the last.
    const b = new EnvBuilder('CaddyIngress caddy').user({ XDG_DATA_HOME: '/tmp' }, 'caddy.env');
    expect(() => b.own('XDG_DATA_HOME', '/data')).toThrow(
      /'caddy.env.XDG_DATA_HOME' is "\/tmp", but XDG_DATA_HOME is owned by CaddyIngress caddy .*cannot be overridden/,
    );
  });

  test('fails when user env sets an owned key with a hint, naming what controls the key', () => {
    const b = new EnvBuilder('EngineDaemonSet container streamgl-gpu').own('STREAMGL_NUM_WORKERS', '4', { controlledBy: "the 'streamglGpu.workers' prop" });
    expect(() => b.user({ STREAMGL_NUM_WORKERS: '8' }, 'streamglGpu.env')).toThrow(
      /'streamglGpu.env.STREAMGL_NUM_WORKERS' is "8", but STREAMGL_NUM_WORKERS is owned by EngineDaemonSet container streamgl-gpu \(it is set to "4" from the 'streamglGpu.workers' prop\) and cannot be overridden/,
    );
    // the same message when the user's key came first
    const c = new EnvBuilder('x').user({ PORT: '9000' }, 'app.env');
    expect(() => c.own('PORT', '80', { controlledBy: "the 'httpPort' prop" })).toThrow(/'app.env.PORT' is "9000", but PORT is owned by x \(it is set to "80" from the 'httpPort' prop\)/);
    // without a hint the generic source is named
    expect(() => new EnvBuilder('x').own('PORT', '80').user({ PORT: '1' }, 'env')).toThrow(/from the construct's own wiring/);
  });

  test('ownAll takes hints per key', () => {
    const b = new EnvBuilder('x').ownAll({ PORT: '80', HOST: 'h' }, { HOST: { controlledBy: "the 'host' prop" } });
    expect(() => b.user({ HOST: 'other' }, 'env')).toThrow(/HOST is owned by x \(it is set to "h" from the 'host' prop\)/);
    expect(() => b.user({ PORT: '1' }, 'env')).toThrow(/PORT is owned by x \(it is set to "80" from the construct's own wiring\)/);
  });

  test('fails when a hint is empty or names a key the call does not own', () => {
    expect(() => new EnvBuilder('x').own('PORT', '80', { controlledBy: ' ' })).toThrow(/'x.env.PORT.controlledBy' is " "; allowed: a non-empty description/);
    expect(() => new EnvBuilder('x').ownAll({ PORT: '80' }, { HOST: { controlledBy: 'y' } })).toThrow(/'x.env hints' is "HOST"; allowed: a key this call owns \(PORT\)/);
  });

  test('fails when a default repeats an owned key, in either order', () => {
    expect(() => new EnvBuilder('x').own('PORT', '1').defaults({ PORT: '2' })).toThrow(/'x.env.PORT' is "2", but PORT is owned by x/);
    expect(() => new EnvBuilder('x').defaults({ PORT: '2' }).own('PORT', '1')).toThrow(/'x.env.PORT' is "2", but PORT is owned by x/);
  });

  test('every key appears once in the env list, whatever order the builder was called in', () => {
    const env = new EnvBuilder('x').user({ B: 'user' }, 'env').defaults({ B: 'default', A: 'a' }).own('C', 'c').build()!;
    expect(env.map((e) => e.name)).toEqual(['C', 'A', 'B']);
    // a default set after the user's value does not replace it
    expect(env.find((e) => e.name === 'B')!.value).toBe('user');
  });

  test('fails when an owned key is set twice', () => {
    expect(() => new EnvBuilder('x').own('PORT', '1').own('PORT', '2')).toThrow(/'x.env.PORT' is "2", but PORT is already set/);
  });

  test('fails when the same envFrom source is added twice', () => {
    expect(() => new EnvBuilder('x').envFrom(EnvFrom.secret('a')).envFrom(EnvFrom.secret('a'))).toThrow(/each Secret or ConfigMap once/);
  });

  test('fails when a name is not a valid environment variable name', () => {
    expect(() => new EnvBuilder('x').user({ '1BAD': 'v' }, 'app.env')).toThrow(/'app.env' is "1BAD"/);
  });

  test('fails when a list repeats a key', () => {
    expect(() => envFromPairs('env', [['A', '1'], ['A', '2']])).toThrow(/'env\[1\]' is "A", but A appears twice/);
    expect(envFromPairs('env', [['A', '1'], ['B', '2']])).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
  });
});
