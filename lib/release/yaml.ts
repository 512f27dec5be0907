/**
 * A YAML emitter for the documents the synth writes, producing exactly the bytes of cdk8s's `Yaml.stringify` (the
 * `yaml` library with YAML 1.1, `lineWidth: 0`, `keepUndefined: true`), which is what dist/ has always held, at a
 * fraction of its cost: no document model, one pass over the canonical JSON of each object.
 *
 * It handles plain objects, arrays, strings, finite numbers, booleans and null: every value a rendered manifest or a
 * config file holds. Anything else (undefined where cdk8s keeps it, non-finite numbers, class instances, keys over
 * 1024 characters, which take the explicit `? key` form, a scalar as the whole document) is handed to the yaml
 * library, so the output is the same either way; `emitYamlWithPath` reports which path it took for tests.
 * `emitYaml12` writes as the yaml library does by default (YAML 1.2 core schema, undefined values left out), for the
 * config files the telemetry builders write. A property test (test/release/yaml.test.ts) compares the
 * two on random documents built to hit every rule below: quoting, YAML 1.1 booleans and numbers, block scalars and
 * their chomping and indentation indicators, escapes, empty collections, unicode.
 *
 * The rules, as the yaml library applies them with these options:
 *   - a string stays plain unless it starts with an indicator, contains `: `, ` #` or a line break where plain
 *     scalars cannot have one, ends with a space or a colon, or would read back as another YAML 1.1 type (null, bool
 *     such as `y`/`no`/`on`, int in any base, float, sexagesimal, timestamp);
 *   - such a string is double-quoted (single-quoted when it holds `"` but no `'`), with escapes as JSON writes them
 *     plus YAML's short forms (`\0`, `\e`, `\x01`, ...), and long multi-line ones broken at their line feeds;
 *   - a multi-line value (not a key) is a literal block (`|`) with its chomping indicator (`-` strip, `+` keep) and an
 *     indentation indicator when it starts with a space, unless a line ends in trailing blanks;
 *   - control characters and unpaired surrogates always force double quotes;
 *   - maps are `key: value` lines, sequences `- item` lines indented under their key, and empty collections `{}`/`[]`.
 *
 * Reads back: where the library's output would not parse back as the object it was given, under YAML 1.1 (kubectl,
 * Argo CD, Helm and Prometheus read with go-yaml) or YAML 1.2, the emitter departs from it (test/release/yaml.test.ts
 * states the contract, yaml-roundtrip.test.ts proves every output reads back, dist/ included):
 *   - a string either schema reads as another type is quoted in both flavours (the library's YAML 1.1 output leaves
 *     `0o17` plain, which YAML 1.2 reads as 15; its YAML 1.2 output leaves `yes`, `on`, `0755`, `1_000` plain);
 *   - the key `<<` is quoted (YAML 1.1's merge key);
 *   - a value of only spaces and line feeds is double-quoted (as a literal block, its spaces were the indentation);
 *   - a long double-quoted string with a line of one space is not folded (the library folds it into `\\ `);
 *   - a byte order mark as the first character of the document is escaped (a reader drops it as the encoding mark).
 * None of these occurs in dist/ as it was; each is a test case.
 */

/** Signals a value outside what the emitter handles; the document then goes through the yaml library. */
const UNSUPPORTED = Symbol('unsupported');

const INDENT_STEP = '  ';
/** Past this length the library writes a key in the explicit `? key` form. */
const MAX_IMPLICIT_KEY = 1024;
/** Double-quoted strings at least this long (as JSON) are broken at their line feeds. */
const DOUBLE_QUOTED_MIN_MULTILINE = 40;

/** Characters that force double quotes: C0/C1 controls other than tab and line feed, DEL, unpaired surrogates. */
// eslint-disable-next-line no-control-regex
const FORCE_DOUBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** A plain scalar cannot start with an indicator character or whitespace. */
const BAD_START = /^[\n\t ,[\]{}#&*!|>'"%@`]/;
/** A plain scalar cannot be a lone `-`/`?`, or start with one followed by a blank. */
const BAD_DASH = /^[?-](?:$|[ \t])/;
/** ...contain `: `, a line break followed by a blank, or a blank before a line break... */
const BAD_INSIDE = /[\n:][ \t]|[ \t]\n/;
/** ...a comment start (`#` after whitespace), or end in whitespace or a colon. */
const BAD_COMMENT_OR_END = /[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(?:%|---|\.\.\.)/m;

/** The YAML 1.1 scalars that are not strings: a string that reads back as one of these must be quoted. */
const NOT_A_STRING_11: readonly RegExp[] = [
  /^(?:~|[Nn]ull|NULL)?$/, // null (the empty string too)
  /^(?:[Yy]|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/, // true
  /^(?:[Nn]|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/, // false
  /^[-+]?0b[01_]+$/, // binary int
  /^[-+]?0[0-7_]+$/, // octal int
  /^[-+]?[0-9][0-9_]*$/, // decimal int
  /^[-+]?0x[0-9a-fA-F_]+$/, // hexadecimal int
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/, // sexagesimal int
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/, // sexagesimal float
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, // infinity and not-a-number
  /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/, // float with exponent
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/, // float
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:t|T|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:[ \t]*(?:Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$/, // timestamp
];

/** The same for the YAML 1.2 core schema (the yaml library's default). */
const NOT_A_STRING_12: readonly RegExp[] = [
  /^(?:~|[Nn]ull|NULL)?$/, // null (the empty string too)
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, // bool
  /^0o[0-7]+$/, // octal int
  /^[-+]?[0-9]+$/, // decimal int
  /^0x[0-9a-fA-F]+$/, // hexadecimal int
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, // infinity and not-a-number
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, // float with exponent
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, // float
];

/** The rules of the document being written (one document at a time; the emitter is synchronous). */
let notAString = NOT_A_STRING_11;
/** The other schema's rules: a string either schema reads as another type is quoted (see "Reads back" above). */
let notAStringOther = NOT_A_STRING_12;
let keepUndefined = true;

function readsAsOtherType(s: string): boolean {
  const c = s.charCodeAt(0);
  // Plain words starting with a letter no YAML 1.1 keyword or exponent-only float (`e3`) starts with are strings.
  if (s.length > 0 && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) && !'yYnNtTfFoOeE'.includes(s[0])) return false;
  for (const re of notAString) if (re.test(s)) return true;
  for (const re of notAStringOther) if (re.test(s)) return true;
  return false;
}

/** A line of one space between two line feeds: the library folds it into `\\ `, which reads back as a backslash. */
const SPACE_ONLY_LINE = /\n \n/;

function doubleQuoted(value: string, indent: string, implicitKey: boolean): string {
  const json = JSON.stringify(value);
  let out = '';
  let start = 0;
  for (let i = 0; i < json.length; i++) {
    let ch = json[i];
    if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
      // A space before a line break is escaped, or folding would eat it.
      out += `${json.slice(start, i)}\\ `;
      i += 1;
      start = i;
      ch = '\\';
    }
    if (ch !== '\\') continue;
    const next = json[i + 1];
    if (next === 'u') {
      out += json.slice(start, i);
      const code = json.substr(i + 2, 4);
      const short: Record<string, string> = { '0000': '\\0', '0007': '\\a', '000b': '\\v', '001b': '\\e', '0085': '\\N', '00a0': '\\_', '2028': '\\L', '2029': '\\P' };
      out += short[code] ?? (code.startsWith('00') ? `\\x${code.slice(2)}` : json.substr(i, 6));
      i += 5;
      start = i + 1;
    } else if (next === 'n') {
      if (implicitKey || json[i + 2] === '"' || json.length < DOUBLE_QUOTED_MIN_MULTILINE || SPACE_ONLY_LINE.test(value)) {
        i += 1;
      } else {
        // A line feed becomes a line break (the first one doubled, since folding eats one); a following space is escaped.
        out += `${json.slice(start, i)}\n\n`;
        while (json[i + 2] === '\\' && json[i + 3] === 'n' && json[i + 4] !== '"') {
          out += '\n';
          i += 2;
        }
        out += indent;
        if (json[i + 2] === ' ') out += '\\';
        i += 1;
        start = i + 1;
      }
    } else {
      i += 1;
    }
  }
  return start ? out + json.slice(start) : json;
}

function singleQuoted(value: string, indent: string, implicitKey: boolean): string {
  if ((implicitKey && value.includes('\n')) || /[ \t]\n|\n[ \t]/.test(value)) return doubleQuoted(value, indent, implicitKey);
  return `'${value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`)}'`;
}

function quoted(value: string, indent: string, implicitKey: boolean): string {
  return value.includes('"') && !value.includes("'") ? singleQuoted(value, indent, implicitKey) : doubleQuoted(value, indent, implicitKey);
}

/** A multi-line value as a literal block scalar (`|`, `|-`, `|+`, with an indentation indicator when needed). */
function literalBlock(text: string, indent: string): string {
  // A block cannot end in blanks after its last line break.
  if (/\n[\t ]+$/.test(text)) return quoted(text, indent, false);
  // Nothing but spaces and line feeds: the library writes no indentation indicator, and the spaces would be read as
  // the block's indentation (`' \n'` reads back as `'\n'`); written double-quoted on one line instead.
  if (/^[ \n]* [ \n]*$/.test(text)) return doubleQuoted(text, indent, true);
  let value = text;
  // Chomping, from the whitespace at the end: none (strip), one line feed (clip) or more (keep).
  let endStart = value.length;
  while (endStart > 0 && '\n\t '.includes(value[endStart - 1])) endStart--;
  let end = value.substring(endStart);
  const endNl = end.indexOf('\n');
  const chomp = endNl === -1 ? '-' : value === end || endNl !== end.length - 1 ? '+' : '';
  if (end) {
    value = value.slice(0, -end.length);
    if (end.endsWith('\n')) end = end.slice(0, -1);
    end = end.replace(/\n+(?=[^\n])/g, `$&${indent}`);
  }
  // Indentation indicator, from the blanks and line breaks at the start.
  let startWithSpace = false;
  let startEnd = 0;
  let startNl = -1;
  for (; startEnd < value.length; startEnd++) {
    const ch = value[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNl = startEnd;
    else break;
  }
  let start = value.substring(0, startNl < startEnd ? startNl + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = `${startWithSpace ? '2' : ''}${chomp}`;
  return `|${header}\n${indent}${start}${value.replace(/\n+/g, `$&${indent}`)}${end}`;
}

/**
 * Strings that are plain by every rule above: a letter no YAML 1.1 keyword or exponent-only float starts with, or `_`
 * or `/`, then word characters, dots, slashes and dashes (names, labels, paths, images). Most keys and values are.
 */
const SAFE_PLAIN = /^[ABCDGHIJKLMPQRSUVWXZabcdghijklmpqrsuvwxz_/][\w./-]*$/;

/**
 * How single-line strings are written, as keys and as values: the same names, labels and images recur in every object,
 * and a single-line string's form does not depend on its indentation (except a root-level key, not cached). Kept per
 * flavour and bounded.
 */
const scalarCache = { keys: new Map<string, string>(), values: new Map<string, string>(), flavour: '' };
const SCALAR_CACHE_LIMIT = 50_000;

function scalarString(value: string, indent: string, implicitKey: boolean): string {
  if (value.includes('\n') || (implicitKey && indent === INDENT_STEP)) return writeScalar(value, indent, implicitKey);
  const cache = implicitKey ? scalarCache.keys : scalarCache.values;
  let out = cache.get(value);
  if (out === undefined) {
    out = writeScalar(value, indent, implicitKey);
    if (cache.size >= SCALAR_CACHE_LIMIT) cache.clear();
    cache.set(value, out);
  }
  return out;
}

function writeScalar(value: string, indent: string, implicitKey: boolean): string {
  if (SAFE_PLAIN.test(value)) return value;
  // YAML 1.1's merge key (go-yaml, which Kubernetes, Argo CD and Prometheus read with, merges it in any schema).
  if (implicitKey && value === '<<') return '"<<"';
  if (FORCE_DOUBLE.test(value)) return doubleQuoted(value, indent, implicitKey);
  const multiline = value.includes('\n');
  if (implicitKey && multiline) return quoted(value, indent, implicitKey);
  if (BAD_START.test(value) || BAD_DASH.test(value) || BAD_INSIDE.test(value) || BAD_COMMENT_OR_END.test(value)) {
    return implicitKey || !multiline ? quoted(value, indent, implicitKey) : literalBlock(value, indent);
  }
  if (multiline) return literalBlock(value, indent);
  // A key of the root mapping starting like a document marker would end the document.
  if (implicitKey && indent === INDENT_STEP && DOCUMENT_MARKER.test(value)) return quoted(value, indent, implicitKey);
  return readsAsOtherType(value) ? quoted(value, indent, implicitKey) : value;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype;
}

/**
 * The pieces of the document being written, joined once at its end: a string built by appending is a tree of
 * thousands of small nodes, which the garbage collector copies while thousands of documents wait to be written and
 * which is flattened again on every write; a join makes one flat string.
 */
let parts: string[] = [];

/** Writes a value at `indent` (the indentation of its own continuation lines). */
function node(value: unknown, indent: string): void {
  switch (typeof value) {
    case 'string':
      parts.push(scalarString(value, indent, false));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw UNSUPPORTED;
      parts.push(Object.is(value, -0) ? '-0' : JSON.stringify(value));
      return;
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return;
    case 'object':
      if (value === null) parts.push('null');
      else if (Array.isArray(value)) sequence(value, indent);
      else if (!isPlainObject(value)) throw UNSUPPORTED;
      else mapping(value as Record<string, unknown>, indent);
      return;
    default:
      throw UNSUPPORTED;
  }
}

function isCollection(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function mapping(obj: Record<string, unknown>, indent: string): void {
  let keys = Object.keys(obj);
  if (!keepUndefined) keys = keys.filter((k) => obj[k] !== undefined);
  if (keys.length === 0) {
    parts.push('{}');
    return;
  }
  const inner = indent + INDENT_STEP;
  const newline = `\n${indent}`;
  const nested = `\n${inner}`;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = obj[key];
    let k = scalarString(key, inner, true);
    // A byte order mark as the document's first character would be taken for the stream's encoding mark and dropped.
    if (indent === '' && i === 0 && k.charCodeAt(0) === 0xfeff) k = `"\\uFEFF${doubleQuoted(key.slice(1), inner, true).slice(1)}`;
    if (k.length > MAX_IMPLICIT_KEY) throw UNSUPPORTED;
    if (i > 0) parts.push(newline);
    // A string value, the most common, in the same call (what node() pushes for it; one call less per key).
    if (typeof value === 'string') {
      parts.push(k, ': ', scalarString(value, inner, false));
      continue;
    }
    parts.push(k, ':');
    if (!isCollection(value)) {
      parts.push(' ');
      node(value, inner);
      continue;
    }
    // A collection goes on the lines below its key, unless it is empty (`[]`, `{}`: a map whose values are all left
    // out counts as empty), which is written inline; an empty one writes exactly that one piece, a non-empty one more.
    const at = parts.length;
    parts.push(nested);
    node(value, inner);
    if (parts.length === at + 2 && (parts[at + 1] === '{}' || parts[at + 1] === '[]')) parts[at] = ' ';
  }
}

function sequence(items: readonly unknown[], indent: string): void {
  if (items.length === 0) {
    parts.push('[]');
    return;
  }
  const inner = indent + INDENT_STEP;
  const next = `\n${indent}- `;
  for (let i = 0; i < items.length; i++) {
    if (!(i in items) || (keepUndefined && items[i] === undefined)) throw UNSUPPORTED;
    const item = items[i];
    if (typeof item === 'string') parts.push(i > 0 ? next : '- ', scalarString(item, inner, false));
    else {
      parts.push(i > 0 ? next : '- ');
      if (item === undefined) parts.push('null');
      else node(item, inner);
    }
  }
}

/**
 * How a document was written: by this emitter, or by the yaml library (a value outside what the emitter handles).
 * @internal
 */
export type YamlPath = 'emitter' | 'library';

/**
 * Which writer to match: cdk8s's `Yaml.stringify`, or the yaml library's own defaults (YAML 1.2) with no line width.
 * @internal
 */
export type YamlFlavour = 'cdk8s' | 'yaml-1.2';

function emit(doc: unknown, flavour: YamlFlavour): { readonly text: string; readonly path: YamlPath } {
  if (isCollection(doc)) {
    notAString = flavour === 'cdk8s' ? NOT_A_STRING_11 : NOT_A_STRING_12;
    notAStringOther = flavour === 'cdk8s' ? NOT_A_STRING_12 : NOT_A_STRING_11;
    keepUndefined = flavour === 'cdk8s';
    if (scalarCache.flavour !== flavour) {
      scalarCache.keys.clear();
      scalarCache.values.clear();
      scalarCache.flavour = flavour;
    }
    parts = [];
    try {
      node(doc, '');
      parts.push('\n');
      return { text: parts.join(''), path: 'emitter' };
    } catch (e) {
      if (e !== UNSUPPORTED) throw e;
    } finally {
      parts = [];
    }
  }
  if (flavour === 'cdk8s') {
    return { text: (require('cdk8s') as typeof import('cdk8s')).Yaml.stringify(doc), path: 'library' };
  }
  return { text: (require('yaml') as typeof import('yaml')).stringify(doc, { lineWidth: 0 }), path: 'library' };
}

/**
 * The YAML of one document, as emitYaml (or emitYaml12 for `yaml-1.2`) writes it, and which path produced it.
 * @internal
 */
export function emitYamlWithPath(doc: unknown, flavour: YamlFlavour = 'cdk8s'): { readonly text: string; readonly path: YamlPath } {
  return emit(doc, flavour);
}

/**
 * The YAML of one document, byte-identical to cdk8s's `Yaml.stringify(doc)` (YAML 1.1, as dist/ is written) wherever
 * that reads back as `doc` under YAML 1.1 and 1.2 (see "Reads back" above).
 * @internal
 */
export function emitYaml(doc: unknown): string {
  return emit(doc, 'cdk8s').text;
}

/**
 * The YAML of one document, byte-identical to the yaml library's `stringify(doc, { lineWidth: 0 })` (YAML 1.2, undefined
 * values left out) wherever that reads back as `doc` under YAML 1.1 and 1.2: what the config builders write into
 * ConfigMaps (Prometheus, the OpenTelemetry collector, Grafana; Go programs reading with go-yaml).
 * @internal
 */
export function emitYaml12(doc: unknown): string {
  return emit(doc, 'yaml-1.2').text;
}
