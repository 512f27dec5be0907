/**
 * Matchers in the spirit of aws-cdk's `Match`: a pattern is a plain value (matched deeply and exactly), or one of the
 * matchers below. `matches(pattern, actual)` returns the list of mismatches, each with the path where it occurred, so a
 * failed assertion says where the object differs instead of dumping two documents.
 */

type Json = unknown;

/** One mismatch between a pattern and a value. */
export interface Mismatch {
  /** Where (`spec.template.spec.containers[0].env`). */
  readonly path: string;
  readonly message: string;
}

/** A matcher: tests a value at a path and returns its mismatches. */
export abstract class Matcher {
  /** Mismatches of `actual` at `path` (empty when it matches). */
  public abstract test(actual: Json, path: string): Mismatch[];
  /** For messages. */
  public abstract describe(): string;
}

function show(v: Json): string {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

function at(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Matches `pattern` against `actual`: matchers test themselves, objects and arrays match exactly and deeply. */
export function matches(pattern: Json, actual: Json, path = ''): Mismatch[] {
  if (pattern instanceof Matcher) return pattern.test(actual, path);
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return [{ path, message: `expected an array, got ${show(actual)}` }];
    if (actual.length !== pattern.length) return [{ path, message: `expected ${pattern.length} item(s), got ${actual.length}: ${show(actual)}` }];
    return pattern.flatMap((p, i) => matches(p, actual[i], at(path, i)));
  }
  if (isObject(pattern)) {
    if (!isObject(actual)) return [{ path, message: `expected an object, got ${show(actual)}` }];
    const out: Mismatch[] = [];
    for (const k of new Set([...Object.keys(pattern), ...Object.keys(actual)])) {
      if (!(k in pattern)) out.push({ path: at(path, k), message: `unexpected key (value ${show(actual[k])})` });
      else out.push(...matches(pattern[k], actual[k], at(path, k)));
    }
    return out;
  }
  return Object.is(pattern, actual) ? [] : [{ path, message: `expected ${show(pattern)}, got ${show(actual)}` }];
}

class ObjectLike extends Matcher {
  constructor(private readonly pattern: Record<string, Json>) {
    super();
  }

  public test(actual: Json, path: string): Mismatch[] {
    if (!isObject(actual)) return [{ path, message: `expected an object, got ${show(actual)}` }];
    return Object.entries(this.pattern).flatMap(([k, p]) => {
      if (p instanceof Absent) return p.test(actual[k], at(path, k));
      if (!(k in actual)) return [{ path: at(path, k), message: `missing (expected ${p instanceof Matcher ? p.describe() : show(p)})` }];
      return matchesLike(p, actual[k], at(path, k));
    });
  }

  public describe(): string {
    return `objectLike(${show(this.pattern)})`;
  }
}

/** Like `matches`, but nested plain objects are matched as `objectLike` (extra keys allowed at every level). */
function matchesLike(pattern: Json, actual: Json, path: string): Mismatch[] {
  if (isObject(pattern) && !(pattern instanceof Matcher)) return new ObjectLike(pattern).test(actual, path);
  return matches(pattern, actual, path);
}

class ArrayWith extends Matcher {
  constructor(private readonly items: readonly Json[]) {
    super();
  }

  public test(actual: Json, path: string): Mismatch[] {
    if (!Array.isArray(actual)) return [{ path, message: `expected an array, got ${show(actual)}` }];
    // In order, not necessarily adjacent: each pattern item matches a later element than the previous one.
    let from = 0;
    for (const [i, p] of this.items.entries()) {
      let found = -1;
      for (let j = from; j < actual.length; j++) {
        if (matchesLike(p, actual[j], at(path, j)).length === 0) {
          found = j;
          break;
        }
      }
      if (found < 0) return [{ path, message: `no element (after index ${from - 1}) matches item ${i} ${p instanceof Matcher ? p.describe() : show(p)}; got ${show(actual)}` }];
      from = found + 1;
    }
    return [];
  }

  public describe(): string {
    return `arrayWith(${show(this.items)})`;
  }
}

class Absent extends Matcher {
  public test(actual: Json, path: string): Mismatch[] {
    return actual === undefined ? [] : [{ path, message: `expected absent, got ${show(actual)}` }];
  }

  public describe(): string {
    return 'absent()';
  }
}

class AnyValue extends Matcher {
  public test(actual: Json, path: string): Mismatch[] {
    return actual === undefined || actual === null ? [{ path, message: 'expected a value, got none' }] : [];
  }

  public describe(): string {
    return 'anyValue()';
  }
}

class StringLike extends Matcher {
  constructor(private readonly re: RegExp) {
    super();
  }

  public test(actual: Json, path: string): Mismatch[] {
    return typeof actual === 'string' && this.re.test(actual) ? [] : [{ path, message: `expected a string matching ${this.re}, got ${show(actual)}` }];
  }

  public describe(): string {
    return `stringLikeRegexp(${this.re})`;
  }
}

class Exact extends Matcher {
  constructor(private readonly value: Json) {
    super();
  }

  public test(actual: Json, path: string): Mismatch[] {
    return matches(this.value, actual, path);
  }

  public describe(): string {
    return `exact(${show(this.value)})`;
  }
}

/** Matcher factories. */
export const Match = {
  /** Every key of `pattern` matches (nested objects likewise); other keys may exist. */
  objectLike: (pattern: Record<string, Json>): Matcher => new ObjectLike(pattern),
  /** The array contains elements matching `items`, in this order (others may sit between them). */
  arrayWith: (items: readonly Json[]): Matcher => new ArrayWith(items),
  /** The key is absent (or undefined). */
  absent: (): Matcher => new Absent(),
  /** Any value except undefined and null. */
  anyValue: (): Matcher => new AnyValue(),
  /** A string matching `re`. */
  stringLikeRegexp: (re: RegExp): Matcher => new StringLike(re),
  /** Exactly `value`, deeply (nested plain objects do not become objectLike). */
  exact: (value: Json): Matcher => new Exact(value),
};

/** Throws with every mismatch (path and message) unless `actual` matches `pattern` as `objectLike` would. */
export function assertLike(actual: Json, pattern: Json, what = 'value'): void {
  const m = matchesLike(pattern, actual, '');
  if (m.length) throw new Error(`${what} does not match:\n${m.map((x) => `  at ${x.path || '(root)'}: ${x.message}`).join('\n')}`);
}
