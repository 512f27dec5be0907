/**
 * The one error type for bad input. It always carries the prop path, the offending value and what is allowed,
 * so an operator reading a failed synth knows which line of their app to change and to what.
 */
export class ConfigError extends Error {
  /** Dotted path of the prop, as the user wrote it (`engine.streamglGpu.workers`). */
  public readonly prop: string;
  /** The value that was rejected. */
  public readonly value: unknown;
  /** What would have been accepted. */
  public readonly allowed: string;
  /** Why the value is wrong, when that is more than "not allowed". */
  public readonly reason?: string;

  constructor(prop: string, value: unknown, allowed: string, reason?: string) {
    super(formatConfigError(prop, value, allowed, reason));
    this.name = 'ConfigError';
    this.prop = prop;
    this.value = value;
    this.allowed = allowed;
    this.reason = reason;
  }
}

/**
 * Renders a value for a message: strings quoted, objects as compact JSON, long values shortened.
 * @internal
 */
export function showValue(value: unknown): string {
  let s: string;
  if (value === undefined) s = 'undefined';
  else if (typeof value === 'string') s = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) s = String(value);
  else {
    try {
      s = JSON.stringify(value);
    } catch {
      s = String(value);
    }
  }
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

function formatConfigError(prop: string, value: unknown, allowed: string, reason?: string): string {
  const because = reason ? `, but ${reason}` : '';
  return `'${prop}' is ${showValue(value)}${because}; allowed: ${allowed}`;
}

/** Throws a ConfigError unless `condition` holds. */
export function check(condition: boolean, prop: string, value: unknown, allowed: string, reason?: string): asserts condition {
  if (!condition) throw new ConfigError(prop, value, allowed, reason);
}

/** Joins a prop path, skipping empty parts: `propPath('engine', 'env', 'PORT')` is `engine.env.PORT`. */
export function propPath(...parts: Array<string | number | undefined>): string {
  return parts
    .filter((p) => p !== undefined && p !== '')
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

/**
 * Every ConfigError one construct found, reported together: the operator fixes all of them in one round instead of
 * one per synth. It is a ConfigError itself (its `prop`, `value`, `allowed` and `reason` are the first error's), so
 * code that catches ConfigError keeps working; `errors` holds each one.
 */
export class ConfigErrors extends ConfigError {
  /** The individual errors, in the order they were found. */
  public readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[]) {
    if (errors.length === 0) throw new Error('ConfigErrors needs at least one error');
    const [first] = errors;
    super(first.prop, first.value, first.allowed, first.reason);
    this.name = 'ConfigErrors';
    this.errors = [...errors];
    this.message = `${errors.length} configuration errors:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`;
  }
}

/**
 * Collects the ConfigErrors of independent checks, so a construct reports every mistake in its props at once
 * (three mistakes, one report). Run the checks through it, then call `throwIfAny()` before building anything that
 * depends on them:
 *
 * ```ts
 * const errors = new ErrorCollector();
 * const name = errors.attempt(() => assertDnsLabel('name', props.name), 'invalid');
 * errors.check(port > 0 && port < 65536, 'port', port, '1-65535');
 * errors.throwIfAny();
 * ```
 *
 * Errors other than ConfigError (bugs) are never swallowed. Nested collectors compose: a ConfigErrors added to a
 * collector contributes each of its errors.
 */
export class ErrorCollector {
  private readonly collected: ConfigError[] = [];

  /** The errors collected so far. */
  public get errors(): readonly ConfigError[] {
    return [...this.collected];
  }

  /** Records an error (each error of a ConfigErrors). */
  public add(error: ConfigError): void {
    if (error instanceof ConfigErrors) this.collected.push(...error.errors);
    else this.collected.push(error);
  }

  /** Runs `fn`; a ConfigError it throws is recorded and undefined returned. */
  public attempt<T>(fn: () => T): T | undefined;
  /** Runs `fn`; a ConfigError it throws is recorded and `fallback` returned. */
  public attempt<T>(fn: () => T, fallback: T): T;
  /**
   * Runs `fn` and returns its result; when it throws a ConfigError, records it and returns `fallback` instead, so the
   * checks after it still run. Any other error propagates.
   */
  public attempt<T>(fn: () => T, fallback?: T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.add(e);
      return fallback;
    }
  }

  /** Records a ConfigError unless `condition` holds; returns `condition`. */
  public check(condition: boolean, prop: string, value: unknown, allowed: string, reason?: string): boolean {
    if (!condition) this.collected.push(new ConfigError(prop, value, allowed, reason));
    return condition;
  }

  /** Throws when anything was collected: a single error as it is, several as one ConfigErrors. */
  public throwIfAny(): void {
    if (this.collected.length === 1) throw this.collected[0];
    if (this.collected.length > 1) throw new ConfigErrors(this.collected);
  }
}

/** Runs every check, collecting ConfigErrors, and throws them together (see ErrorCollector). */
export function checkAll(...checks: ReadonlyArray<() => unknown>): void {
  const errors = new ErrorCollector();
  for (const c of checks) errors.attempt(c);
  errors.throwIfAny();
}
