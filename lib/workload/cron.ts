import { ConfigError } from '../core/errors';

/** The shorthand schedules Kubernetes accepts besides five fields. */
const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** One field of a cron expression. */
interface Field {
  /** For messages (`day of month`). */
  readonly name: string;
  /** Lowest value. */
  readonly min: number;
  /** Highest value. */
  readonly max: number;
  /**
   * Names the field accepts besides numbers (JAN-DEC, SUN-SAT).
   * @default - numbers only
   */
  readonly names?: readonly string[];
  /**
   * The number the first name maps to.
   * @default 0
   */
  readonly namesFrom?: number;
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], namesFrom: 1 },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], namesFrom: 0 },
];

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ALLOWED =
  "five fields 'minute hour day-of-month month day-of-week' (numbers, names JAN-DEC and SUN-SAT, '*', ranges a-b, steps */n and a-b/n, lists a,b), or @yearly, @monthly, @weekly, @daily, @hourly";

/** One parsed field: the values it selects, and whether it was `*` (unrestricted). */
interface ParsedField {
  /** The values the field selects. */
  readonly values: ReadonlySet<number>;
  /** True for a bare `*`. */
  readonly star: boolean;
}

function parseValue(prop: string, expr: string, f: Field, token: string): number {
  const upper = token.toUpperCase();
  const byName = f.names?.indexOf(upper) ?? -1;
  if (byName >= 0) return byName + (f.namesFrom ?? 0);
  if (!/^[0-9]+$/.test(token)) {
    throw new ConfigError(prop, expr, ALLOWED, `the ${f.name} field has ${JSON.stringify(token)}, which is not a number${f.names ? ` or one of ${f.names.join(', ')}` : ''} (Kubernetes' cron has no L, W, # or ?)`);
  }
  const n = Number(token);
  if (n < f.min || n > f.max) throw new ConfigError(prop, expr, ALLOWED, `the ${f.name} field has ${n}, outside ${f.min}-${f.max}`);
  return n;
}

function parseField(prop: string, expr: string, f: Field, text: string): ParsedField {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    if (part === '') throw new ConfigError(prop, expr, ALLOWED, `the ${f.name} field has an empty list item`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new ConfigError(prop, expr, ALLOWED, `the ${f.name} field has two steps in ${JSON.stringify(part)}`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) throw new ConfigError(prop, expr, ALLOWED, `the ${f.name} field has step ${JSON.stringify(stepText)}, not a whole number >= 1`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      [lo, hi] = [f.min, f.max];
      if (stepText === undefined && text === '*') star = true;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || a === '' || b === '') throw new ConfigError(prop, expr, ALLOWED, `the ${f.name} field has the malformed range ${JSON.stringify(range)}`);
      lo = parseValue(prop, expr, f, a);
      hi = parseValue(prop, expr, f, b);
      if (lo > hi) throw new ConfigError(prop, expr, ALLOWED, `the ${f.name} field has the range ${range}, which runs backwards`);
    } else {
      lo = parseValue(prop, expr, f, range);
      // `5/15` means 5 to the end in steps of 15, as the cron library Kubernetes uses reads it.
      hi = stepText !== undefined ? f.max : lo;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

/**
 * A CronJob schedule, validated as the Kubernetes controller parses it (five fields or a macro; no seconds, no
 * `TZ=` prefix: the time zone is the CronJob's `timeZone`). A schedule that can never fire (`0 0 30 2 *`) is refused.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 */
export class CronSchedule {
  /** A cron expression (`0 2 * * *` is 02:00 every day). */
  public static expression(expr: string, prop = 'schedule'): CronSchedule {
    if (typeof expr !== 'string' || expr.trim() === '') throw new ConfigError(prop, expr, ALLOWED, 'it is empty');
    const text = expr.trim().replace(/\s+/g, ' ');
    if (/^(CRON_)?TZ=/.test(text)) throw new ConfigError(prop, expr, ALLOWED, 'Kubernetes rejects a TZ= prefix; set the timeZone prop instead');
    if (text.startsWith('@')) {
      const m = MACROS[text.toLowerCase()];
      if (!m) throw new ConfigError(prop, expr, ALLOWED, `${text} is not a macro Kubernetes accepts`);
      return new CronSchedule(text.toLowerCase());
    }
    const parts = text.split(' ');
    if (parts.length !== 5) throw new ConfigError(prop, expr, ALLOWED, `it has ${parts.length} field(s)${parts.length === 6 ? ' (a seconds field is not supported)' : ''}`);
    const fields = parts.map((p, i) => parseField(prop, expr, FIELDS[i], p));
    const [, , dom, month, dow] = fields;
    // With a restricted day of week the day-of-month and day-of-week fields are ORed, so some day always matches.
    if (dow.star && !dom.star) {
      const possible = [...month.values].some((m) => [...dom.values].some((d) => d <= DAYS_IN_MONTH[m - 1]));
      if (!possible) throw new ConfigError(prop, expr, ALLOWED, 'no selected month has the selected day of month, so it never fires');
    }
    return new CronSchedule(text);
  }

  private constructor(
    /** The expression as rendered (`0 2 * * *`). */
    public readonly expressionString: string,
  ) {}
}
