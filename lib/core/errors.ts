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

/** Renders a value for a message: strings quoted, objects as compact JSON, long values shortened. */
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
