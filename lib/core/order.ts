/**
 * Text order for sorted output (label selectors, rules, hosts): the order `a.localeCompare(b)` gives in the en-US
 * locale, which is what dist/ has always been written with, on every machine. `localeCompare` follows the machine's
 * locale (in Danish "aa" sorts after "z", so the output changed with LANG), and its first call sets up ICU's collator,
 * which costs milliseconds in every synth.
 *
 * For the text sorted output holds (printable ASCII, tabs and line breaks) this compares as the Unicode Collation
 * Algorithm does with the CLDR root order that en-US uses: by primary weight first (whitespace, punctuation and
 * symbols, digits, then letters regardless of case, in `PRIMARY_ORDER`), then lowercase before uppercase, left to
 * right. Any other text goes to an en-US `Intl.Collator`. test/core/order.test.ts compares both on every pair of
 * characters and on random strings.
 */

/** Printable ASCII, tab and line breaks in CLDR root primary order; a letter's two cases share a weight. */
const PRIMARY_ORDER = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789";

const PRIMARY = new Int16Array(128).fill(-1);
const UPPER = new Uint8Array(128);
for (let i = 0; i < PRIMARY_ORDER.length; i++) PRIMARY[PRIMARY_ORDER.charCodeAt(i)] = i;
for (let i = 0; i < 26; i++) {
  PRIMARY[97 + i] = PRIMARY_ORDER.length + i;
  PRIMARY[65 + i] = PRIMARY_ORDER.length + i;
  UPPER[65 + i] = 1;
}

let collator: Intl.Collator | undefined;

function collate(a: string, b: string): number {
  collator ??= new Intl.Collator('en-US');
  return collator.compare(a, b);
}

/**
 * Negative, zero or positive as `a.localeCompare(b, 'en-US')`, without depending on the machine's locale.
 * @internal
 */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let tertiary = 0;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const px = x < 128 ? PRIMARY[x] : -1;
    const py = y < 128 ? PRIMARY[y] : -1;
    if (px < 0 || py < 0) return collate(a, b);
    if (px !== py) {
      // A primary difference decides, unless a later character is one this table does not know.
      for (let j = i + 1; j < a.length; j++) if (a.charCodeAt(j) >= 128 || PRIMARY[a.charCodeAt(j)] < 0) return collate(a, b);
      for (let j = i + 1; j < b.length; j++) if (b.charCodeAt(j) >= 128 || PRIMARY[b.charCodeAt(j)] < 0) return collate(a, b);
      return px - py;
    }
    if (tertiary === 0) tertiary = UPPER[x] - UPPER[y];
  }
  for (let j = n; j < a.length; j++) if (a.charCodeAt(j) >= 128 || PRIMARY[a.charCodeAt(j)] < 0) return collate(a, b);
  for (let j = n; j < b.length; j++) if (b.charCodeAt(j) >= 128 || PRIMARY[b.charCodeAt(j)] < 0) return collate(a, b);
  if (a.length !== b.length) return a.length - b.length;
  return tertiary;
}

/**
 * The entries of `m` in the order of their keys' UTF-16 code units (the order `<` gives: file paths in dist/), as a
 * new Map. The engine's own sort without a comparator compares exactly so, and is several times faster than calling a
 * comparator for each of the tens of thousands of comparisons that sorting a large output takes.
 * @internal
 */
export function sortedByKey<V>(m: ReadonlyMap<string, V>): Map<string, V> {
  const out = new Map<string, V>();
  for (const k of [...m.keys()].sort()) out.set(k, m.get(k) as V);
  return out;
}
