/**
 * Random documents for the YAML emitter's property test: maps and lists nested a few levels, with keys and strings
 * drawn to hit every quoting rule (indicators, `: ` and ` #`, YAML 1.1 booleans, numbers in every base, timestamps,
 * document markers, quotes of both kinds, escapes and control characters, unicode and surrogates, multi-line text with
 * every chomping and indentation case, long strings). Deterministic for a seed.
 */
import { isDeepStrictEqual } from 'util';
import { parseAllDocuments } from 'yaml';

/** A small seeded PRNG (mulberry32), so a failure can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  '', ' ', 'a', 'nginx', 'app.kubernetes.io/name', 'Always', 'x-y_z', 'café', '日本語', '😀', 'ﬁ',
  // YAML 1.1 booleans and nulls, every case
  'y', 'Y', 'n', 'N', 'yes', 'Yes', 'YES', 'yEs', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'oN',
  'true', 'True', 'TRUE', 'tRue', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', 'nULL', '~',
  // numbers as strings
  '0', '1', '-1', '+1', '8080', '007', '0o7', '08', '0b101', '0b2', '0x1F', '0xG', '1_000', '1.5', '.5', '5.', '.',
  '-.5', '1e3', '1E-3', '1.5e+3', 'e3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '190:20:30', '1:2', '1:60',
  '1:20.5', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 Z', '2001-1-1', '20011-12-14',
  '500m', '1Gi', '10.0.0.1', '1.28', '0.0.0.0', '1.2.3', '-0', '+', '-', '?', '<<', '<', '=',
  // indicators and structure
  '- a', '-a', '? x', '?x', ': x', 'a: b', 'a:b', 'a:', 'a #b', 'a#b', '#a', '&a', '*a', '!a', '|a', '>a', "'a", '"a',
  '%a', '@a', '`a', ',a', '[a', ']a', '{a', '}a', 'a,b', 'a[b]', 'a{b}', '---', '--- a', '---a', '...', '...a', 'a ',
  'a\t', '\ta', ' a', 'a  b', 'a\tb', 'it\'s', 'say "hi"', 'both \' and "', '\\', 'a\\nb', '$(VAR)', '${x}', '{{ .x }}',
  // control characters and unusual code points
  '\x00', '\x07', '\x0b', '\x1b', '\x7f', '\x85', '\xa0', '\u2028', '\u2029', 'a\rb', '\ud800', 'a\udfffb', '\ufeff',
];

const LINES = ['line', '', ' ', '   ', '  indented', '\tTAB', 'a: b', '# comment', '- item', '---', '...', 'x ', 'x\t', '%x', 'é', '"q"', "'q'"];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** A string: a word, words joined, or multi-line text. */
export function randomString(r: () => number): string {
  const x = r();
  if (x < 0.45) return pick(r, WORDS);
  if (x < 0.65) return Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, WORDS)).join(pick(r, ['', ' ', '-', ':', '#', ' #', ': ', '.', '/']));
  if (x < 0.75) return pick(r, WORDS).repeat(1 + Math.floor(r() * 30));
  // multi-line: leading line breaks and blanks, lines, trailing line breaks and blanks
  const lead = pick(r, ['', '', '\n', ' ', '  ', '\n ', ' \n']);
  const body = Array.from({ length: 1 + Math.floor(r() * 5) }, () => pick(r, LINES)).join(pick(r, ['\n', '\n', '\n\n', ' \n', '\n ']));
  const tail = pick(r, ['', '\n', '\n', '\n\n', '\n\n\n', ' ', '\n ', '\n\t', ' \n']);
  return lead + body + tail;
}

function randomNumber(r: () => number): number {
  return pick(r, [0, 1, -1, 42, 8080, 65535, 1.5, -0.25, 0.1, 1e21, 1e-7, 123456789.125, -0, 2 ** 31, Number.MAX_SAFE_INTEGER, 3.14159]);
}

/** Which values a random document holds besides strings, numbers, booleans, maps and lists. */
export interface Holes {
  /** null values (config files have them; sanitized manifests do not). */
  readonly nulls?: boolean;
  /** undefined values (the yaml library leaves them out of maps by default). */
  readonly undefineds?: boolean;
}

/** A random JSON value of the kinds a manifest or a config file holds. */
export function randomValue(r: () => number, depth = 0, holes: Holes = {}): unknown {
  const x = r();
  if (depth < 4 && x < 0.25) return randomMap(r, depth + 1, holes);
  if (depth < 4 && x < 0.4) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1, holes));
  if (holes.nulls && x < 0.45) return null;
  if (holes.undefineds && x < 0.5) return undefined;
  if (x < 0.8) return randomString(r);
  if (x < 0.92) return randomNumber(r);
  return r() < 0.5;
}

export function randomMap(r: () => number, depth = 0, holes: Holes = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) out[r() < 0.7 ? randomString(r) : pick(r, WORDS)] = randomValue(r, depth, holes);
  return out;
}

/** What a YAML reader should get back for `doc`: undefined map values left out, undefined list items null. */
export function plain(doc: unknown): unknown {
  if (Array.isArray(doc)) return doc.map((v) => (v === undefined ? null : plain(v)));
  if (doc !== null && typeof doc === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) if (v !== undefined) out[k] = plain(v);
    return out;
  }
  return doc;
}

/** The YAML schemas dist/'s readers use: 1.1 (kubectl, Argo CD, Helm and Prometheus, through go-yaml v2) and 1.2. */
export const SCHEMAS = ['1.1', '1.2'] as const;

/** The one document in `text` as a reader with the given schema sees it, or the reason it cannot be read. */
export function readYaml(text: string, version: '1.1' | '1.2'): { readonly value?: unknown; readonly error?: string } {
  const docs = parseAllDocuments(text, { version, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs) || docs.length !== 1) return { error: 'not exactly one document' };
  const problems = [...docs[0].errors, ...docs[0].warnings];
  if (problems.length) return { error: problems.map((e) => e.message).join('; ') };
  try {
    return { value: docs[0].toJS({ maxAliasCount: 0 }) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** True when `text` reads back as `doc` (see plain) under both YAML 1.1 and YAML 1.2. */
export function readsBack(text: string, doc: unknown): boolean {
  const want = plain(doc);
  return SCHEMAS.every((v) => {
    const r = readYaml(text, v);
    return r.error === undefined && isDeepStrictEqual(r.value, want);
  });
}
