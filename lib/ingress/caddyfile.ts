import { ConfigError } from '../core/errors';

/**
 * A reference to an environment variable, rendered as Caddy's parse-time `{$NAME}` substitution. The only way to put a
 * `{$...}` into a Caddyfile: plain string arguments containing `{$` are rejected, because Caddy would expand them.
 *
 * Caddy substitutes environment variables into the raw text before it splits tokens, so the variable's value must
 * itself be a valid token inside double quotes: no `"`, no backslash before a quote, no newline.
 */
export class CaddyEnvRef {
  /** `{$NAME}`. */
  public static of(name: string): CaddyEnvRef {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ConfigError('caddyfile.env', name, 'an environment variable name: letters, digits and _, not starting with a digit');
    }
    return new CaddyEnvRef(name);
  }

  private constructor(public readonly name: string) {}

  /** The token as Caddy reads it. */
  public toString(): string {
    return `{$${this.name}}`;
  }
}

/** A string that is always rendered double-quoted (credentials, header values), whatever it contains. */
export class CaddyQuoted {
  /** A double-quoted Caddyfile token (quotes and backslashes escaped). */
  public static of(value: string): CaddyQuoted {
    return new CaddyQuoted(value);
  }

  private constructor(public readonly value: string) {}
}

/** One argument of a directive: a literal string (quoted when needed), an always-quoted string, or an env reference. */
export type CaddyArg = string | number | CaddyEnvRef | CaddyQuoted;

const DIRECTIVE_NAME = /^(?:[a-z][a-z0-9_]*|@[A-Za-z0-9_-]+)$/;

/** Options of a directive beyond its name and arguments. */
export interface CaddyDirectiveOptions {
  /**
   * Sub-directives, rendered as a multi-line `{ ... }` block (never on one line: Caddy rejects a token after `{` on
   * the same line).
   * @default - no block
   */
  readonly block?: readonly CaddyDirective[];
  /**
   * A comment rendered on the line(s) above the directive, for operators reading the rendered file.
   * @default - none
   */
  readonly comment?: string;
}

/** A directive (or sub-directive, or named matcher definition) with its arguments and optional block. */
export class CaddyDirective {
  /**
   * A line of arguments without a directive name, as some blocks take (the `<username> <hash>` account lines of
   * `basicauth`). The first argument is rendered like any other, so it may be an environment reference.
   */
  public static line(args: readonly CaddyArg[]): CaddyDirective {
    if (args.length === 0) throw new ConfigError('caddyfile.line', args, 'at least one argument');
    return new CaddyDirective('', args, undefined, undefined);
  }

  /** `name arg...`, with an optional block. */
  public static of(name: string, args: readonly CaddyArg[] = [], options: CaddyDirectiveOptions = {}): CaddyDirective {
    return new CaddyDirective(name, args, options.block, options.comment);
  }

  /** `name arg... {` block `}`. */
  public static block(name: string, args: readonly CaddyArg[], block: readonly CaddyDirective[], comment?: string): CaddyDirective {
    return new CaddyDirective(name, args, block, comment);
  }

  private constructor(
    public readonly name: string,
    public readonly args: readonly CaddyArg[],
    public readonly block: readonly CaddyDirective[] | undefined,
    public readonly comment: string | undefined,
  ) {
    if (name !== '' && !DIRECTIVE_NAME.test(name)) {
      throw new ConfigError('caddyfile.directive', name, 'a lowercase directive name or a named matcher (@name)');
    }
    for (const a of args) renderArg(a, `caddyfile.${name}`); // validate now, so the error points at the caller
  }

  /** Sub-directives named `name` (for assertions and transformations). */
  public children(name: string): CaddyDirective[] {
    return (this.block ?? []).filter((d) => d.name === name);
  }
}

/** A site block: one or more addresses and the directives that serve them. */
export class CaddySite {
  constructor(
    public readonly addresses: readonly string[],
    public readonly directives: readonly CaddyDirective[],
    public readonly comment?: string,
  ) {
    if (addresses.length === 0) throw new ConfigError('caddyfile.site.addresses', addresses, 'at least one site address');
    for (const a of addresses) {
      if (!/^[A-Za-z0-9.*:/\[\]_-]+$/.test(a) || a.includes('{')) {
        throw new ConfigError('caddyfile.site.addresses', a, 'a site address such as example.com, http://:8080 or :8443');
      }
    }
  }
}

/**
 * A whole Caddyfile: the global options block and the site blocks, rendered deterministically with tab indentation
 * (the layout `caddy fmt` produces), one directive per line and every block on its own lines.
 */
export class Caddyfile {
  constructor(
    /** Global options (rendered as the leading `{ ... }` block when non-empty). */
    public readonly globalOptions: readonly CaddyDirective[],
    public readonly sites: readonly CaddySite[],
    /** Comment lines at the top of the file. */
    public readonly header?: string,
  ) {}

  /** The Caddyfile text. */
  public render(): string {
    const out: string[] = [];
    if (this.header) out.push(...commentLines(this.header, ''));
    // `caddy fmt` keeps a leading comment glued to the block that follows it.
    const commentCount = out.length;
    if (this.globalOptions.length) {
      out.push('{');
      renderBody(this.globalOptions, 1, out, false);
      out.push('}');
    }
    for (const site of this.sites) {
      if (out.length && !(out.length === commentCount && !site.comment)) out.push('');
      if (site.comment) out.push(...commentLines(site.comment, ''));
      out.push(`${site.addresses.join(', ')} {`);
      renderBody(site.directives, 1, out, true);
      out.push('}');
    }
    return `${out.join('\n')}\n`;
  }
}

function commentLines(text: string, indent: string): string[] {
  return text.split('\n').map((l) => (l.trim() ? `${indent}# ${l.trim()}` : `${indent}#`));
}

function renderBody(directives: readonly CaddyDirective[], depth: number, out: string[], spaced: boolean): void {
  const indent = '\t'.repeat(depth);
  directives.forEach((d, i) => {
    // At site level, a blank line before each block (and before a commented directive) keeps the file readable; a
    // named matcher stays glued to the handle that uses it.
    const prev = directives[i - 1];
    const opensGroup = d.block !== undefined || d.comment !== undefined || d.name.startsWith('@');
    if (spaced && prev && opensGroup && !prev.name.startsWith('@')) out.push('');
    if (d.comment) out.push(...commentLines(d.comment, indent));
    const head = [...(d.name ? [d.name] : []), ...d.args.map((a) => renderArg(a, `caddyfile.${d.name || 'line'}`))].join(' ');
    if (d.block === undefined) {
      out.push(`${indent}${head}`);
    } else {
      out.push(`${indent}${head} {`);
      renderBody(d.block, depth + 1, out, false);
      out.push(`${indent}}`);
    }
  });
}

/**
 * Renders one argument as a Caddyfile token. Plain tokens stay bare; anything Caddy's lexer would split or interpret
 * (whitespace, quotes, a leading `#`, `{`/`}` alone, a heredoc `<<`, a backslash, a backtick, an empty string) is
 * double-quoted with `"` escaped as `\"`. Values Caddy cannot represent inside quotes are rejected: newlines and other
 * control characters, a backslash right before a quote or at the end (the lexer would read it as an escape), and
 * `{$` (Caddy would substitute an environment variable).
 * @internal
 */
export function renderArg(arg: CaddyArg, prop = 'caddyfile.arg'): string {
  if (arg instanceof CaddyEnvRef) return `"${arg.toString()}"`;
  if (typeof arg === 'number') {
    if (!Number.isFinite(arg)) throw new ConfigError(prop, arg, 'a finite number');
    return String(arg);
  }
  const forceQuotes = arg instanceof CaddyQuoted;
  if (arg instanceof CaddyQuoted) arg = arg.value;
  if (typeof arg !== 'string') throw new ConfigError(prop, arg, 'a string, number, CaddyQuoted or CaddyEnvRef');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(arg)) {
    throw new ConfigError(prop, arg, 'a value without newlines or other control characters', 'a Caddyfile token cannot hold one');
  }
  if (arg.includes('{$')) {
    throw new ConfigError(prop, arg, 'a value without "{$"', 'Caddy substitutes {$NAME} with an environment variable before parsing');
  }
  const needsQuotes =
    forceQuotes ||
    arg.length === 0 || /[\s"\\`]/.test(arg) || arg.startsWith('#') || arg === '{' || arg === '}' || arg.startsWith('<<');
  if (!needsQuotes) return arg;
  if (/\\"/.test(arg) || arg.endsWith('\\')) {
    throw new ConfigError(prop, arg, 'a value without a backslash before a quote or at its end', 'inside a quoted Caddyfile token that backslash would escape the quote');
  }
  return `"${arg.replace(/"/g, '\\"')}"`;
}
