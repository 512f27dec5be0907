import { IConstruct } from 'constructs';
import { ForwardedProps, forwardChildProps, userProp } from './props';

/** The construct whose props hold a prop: the one the user created (`IotFleet` at `iot-fleet/Fleet`). */
export interface ConstructRef {
  /** Its class (`IotFleet`). */
  readonly type: string;
  /** Its construct path (`iot-fleet/Fleet`). */
  readonly path: string;
}

/**
 * The one error type for bad input. It always carries the prop path, the offending value and what is allowed,
 * so an operator reading a failed synth knows which line of their app to change and to what. Attributed to the
 * construct that checked it (`in(scope)`, or an `ErrorCollector` given its construct), it also names the construct
 * the user created and the prop as they wrote it in that construct's props (see `forwardChildProps`).
 */
export class ConfigError extends Error {
  /**
   * Dotted path of the prop, as the user wrote it (`engine.streamglGpu.workers`); relative to `construct` when the
   * error is attributed.
   */
  public readonly prop: string;
  /** The value that was rejected. */
  public readonly value: unknown;
  /** What would have been accepted. */
  public readonly allowed: string;
  /** Why the value is wrong, when that is more than "not allowed". */
  public readonly reason?: string;
  /**
   * The construct the user created whose props hold `prop`.
   * @default - unattributed (a check outside any construct, such as a static factory's)
   */
  public readonly construct?: ConstructRef;
  /** The message without the construct: `'prop' is value; allowed: ...`. */
  public readonly detail: string;

  constructor(prop: string, value: unknown, allowed: string, reason?: string, construct?: ConstructRef) {
    const detail = formatConfigError(prop, value, allowed, reason);
    super(construct ? `${constructLabel(construct)}: ${detail}` : detail);
    this.name = 'ConfigError';
    this.prop = prop;
    this.value = value;
    this.allowed = allowed;
    this.reason = reason;
    this.construct = construct;
    this.detail = detail;
  }

  /**
   * This error as the user of `scope` reads it: the prop resolved through the forwarded props up to the construct they
   * created, and that construct named. An attributed error is returned as it is (the innermost construct knows best).
   */
  public in(scope: IConstruct): ConfigError {
    if (this.construct) return this;
    const { construct, prop } = userProp(scope, this.prop);
    return new ConfigError(prop, this.value, this.allowed, this.reason, { type: construct.constructor.name, path: construct.node.path });
  }
}

function constructLabel(c: ConstructRef): string {
  return `${c.type} ${JSON.stringify(c.path)}`;
}

/**
 * Builds `parent`'s child with construct id `id` (`build` creates it), its props written in `parent`'s props as
 * `forwarded` says: a ConfigError the child throws names the prop as the user of `parent` wrote it, and the construct
 * they created.
 *
 * ```ts
 * this.prometheus = buildChild(this, 'Prometheus', { prefix: 'prometheus' }, () => new Prometheus(this, 'Prometheus', props.prometheus));
 * ```
 */
export function buildChild<T>(parent: IConstruct, id: string, forwarded: ForwardedProps, build: () => T): T {
  forwardChildProps(parent, id, forwarded);
  try {
    return build();
  } catch (e) {
    const child = parent.node.tryFindChild(id);
    throw e instanceof ConfigError && child ? e.in(child) : e;
  }
}

/**
 * Runs `fn` and returns its result; a ConfigError it throws is attributed to `scope` (see `ConfigError.in`) and
 * rethrown. For the builders that check on a construct's behalf (`renderDeployment`, `buildPodSpec`).
 */
export function inConstruct<T>(scope: IConstruct, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof ConfigError ? e.in(scope) : e;
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

/**
 * Joins a prop path, skipping empty parts: `propPath('engine', 'env', 'PORT')` is `engine.env.PORT`; a number is an
 * index (`propPath('ports', 0)` is `ports[0]`), and '.' is dropped before any '['. Built in one pass: constructs call
 * it for every prop they check.
 */
export function propPath(...parts: Array<string | number | undefined>): string {
  let out: string | undefined;
  for (const p of parts) {
    if (p === undefined || p === '') continue;
    const part = typeof p === 'number' ? `[${p}]` : p;
    out = out === undefined ? part : `${out}.${part}`;
  }
  if (out === undefined) return '';
  return out.includes('.[') ? out.replace(/\.\[/g, '[') : out;
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
    super(first.prop, first.value, first.allowed, first.reason, first.construct);
    this.name = 'ConfigErrors';
    this.errors = [...errors];
    // One construct for all: named once in the header.
    const label = (e: ConfigError) => (e.construct ? constructLabel(e.construct) : '');
    const shared = errors.every((e) => label(e) === label(first)) ? first.construct : undefined;
    const header = `${errors.length} configuration errors${shared ? ` in the props of ${constructLabel(shared)}` : ''}:`;
    this.message = `${header}\n${errors.map((e) => `  - ${shared ? e.detail : e.message}`).join('\n')}`;
  }

  /** Each error as the user of `scope` reads it (see `ConfigError.in`). */
  public in(scope: IConstruct): ConfigErrors {
    return new ConfigErrors(this.errors.map((e) => e.in(scope)));
  }
}

/**
 * Collects the ConfigErrors of independent checks, so a construct reports every mistake in its props at once
 * (three mistakes, one report). Run the checks through it, then call `throwIfAny()` before building anything that
 * depends on them:
 *
 * ```ts
 * const errors = new ErrorCollector(this); // in a construct: its errors name it, and the prop as the user wrote it
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

  /**
   * @param scope the construct whose props are checked: every error collected is attributed to it (see
   *   `ConfigError.in`), unless a construct inside it attributed it first
   */
  constructor(private readonly scope?: IConstruct) {}

  /** The errors collected so far. */
  public get errors(): readonly ConfigError[] {
    return [...this.collected];
  }

  /** Records an error (each error of a ConfigErrors). */
  public add(error: ConfigError): void {
    const all = error instanceof ConfigErrors ? error.errors : [error];
    this.collected.push(...all.map((e) => (this.scope ? e.in(this.scope) : e)));
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
    if (!condition) this.add(new ConfigError(prop, value, allowed, reason));
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
