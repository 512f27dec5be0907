import { check, ConfigError } from '../core/errors';

/** Characters that force an argument into double quotes (nginx would otherwise split or end the directive there). */
const NEEDS_QUOTES = /[\s;{}"'#\\]/;
/** Control characters (newlines included) never belong in a config argument: they could start a new directive. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Renders one argument: bare when nginx reads it as one token, otherwise double-quoted with `"` and `\` escaped.
 * `$variables` stay live in both forms (nginx interpolates inside double quotes too).
 * @internal
 */
export function renderNginxArg(prop: string, arg: string | number): string {
  if (typeof arg === 'number') {
    check(Number.isFinite(arg), prop, arg, 'a finite number');
    return String(arg);
  }
  if (CONTROL.test(arg)) {
    throw new ConfigError(prop, arg, 'text without control characters', 'a newline or control character would split the directive and let the value inject configuration');
  }
  if (arg === '' || NEEDS_QUOTES.test(arg)) return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return arg;
}

/** A simple directive: a name and its arguments, ended by `;`. */
export class NginxDirective {
  /** `NginxDirective.of('proxy_read_timeout', '3600s')`. */
  public static of(name: string, ...args: ReadonlyArray<string | number>): NginxDirective {
    check(NAME.test(name), 'nginx.directive', name, 'a directive name: lowercase letters, digits and _');
    return new NginxDirective(name, args.map((a, i) => renderNginxArg(`nginx.${name}[${i}]`, a)));
  }

  /** A directive whose arguments are already rendered (by renderNginxArg or renderNginxValue). */
  public static raw(name: string, renderedArgs: readonly string[]): NginxDirective {
    check(NAME.test(name), 'nginx.directive', name, 'a directive name: lowercase letters, digits and _');
    return new NginxDirective(name, renderedArgs);
  }

  private constructor(
    /** The directive name. */
    public readonly name: string,
    private readonly args: readonly string[],
  ) {}

  /** The directive as one line, without indentation. */
  public render(): string {
    return this.args.length ? `${this.name} ${this.args.join(' ')};` : `${this.name};`;
  }
}

/**
 * Four spaces per level, the nginx documentation's own style.
 * @internal
 */
export function indent(lines: readonly string[], levels = 1): string[] {
  const pad = '    '.repeat(levels);
  return lines.map((l) => (l.length ? `${pad}${l}` : l));
}

/**
 * Renders a block `head {` ... `}` around already-rendered body lines.
 * @internal
 */
export function block(head: string, body: readonly string[]): string[] {
  return [`${head} {`, ...indent(body), '}'];
}

/**
 * A reference to an nginx variable (`$http_host`), for the values nginx interpolates (header values, map results).
 * The only way to put a `$` into those values: a plain string is a literal and may not contain `$`, because nginx
 * has no escape for it and would read `abc$host` as text plus the Host header.
 */
export class NginxVar {
  /** `NginxVar.of('$http_upgrade')`. */
  public static of(name: string): NginxVar {
    return new NginxVar(assertNginxVariable('nginx.variable', name));
  }

  private constructor(public readonly name: string) {}

  /** The variable as nginx reads it. */
  public toString(): string {
    return this.name;
  }
}

/**
 * Renders a value nginx interpolates: an NginxVar as its reference, a string as a literal, which must hold no `$`
 * (nginx would read it as the start of a variable and has no escape for it).
 * @internal
 */
export function renderNginxValue(prop: string, value: string | NginxVar): string {
  if (value instanceof NginxVar) return value.name;
  check(typeof value === 'string' && !value.includes('$'), prop, value, 'a literal without "$", or NginxVar.of(\'$name\') to reference a variable', 'nginx reads "$" as the start of a variable name and has no escape for a literal "$"');
  return renderNginxArg(prop, value);
}

/**
 * Throws unless `name` is an nginx variable reference (`$http_upgrade`).
 * @internal
 */
export function assertNginxVariable(prop: string, name: string): string {
  check(/^\$[a-z_][a-z0-9_]*$/.test(name), prop, name, 'an nginx variable: $ followed by lowercase letters, digits and _');
  return name;
}
