import { compareText, sortedByKey } from '../../lib/core/order';
import { rng } from '../support/random';

// compareText must order text exactly as localeCompare did on the machines that wrote dist/ (en-US), whatever the
// machine's locale: it replaced localeCompare in the constructs that sort labels, rules and hosts.
const collator = new Intl.Collator('en-US');
const sign = (n: number) => Math.sign(n);

/** The pairs on which compareText and the en-US collator disagree (empty when they agree on all). */
function disagreements(pairs: Iterable<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [a, b] of pairs) if (sign(compareText(a, b)) !== sign(collator.compare(a, b))) out.push([a, b]);
  return out;
}

function* product(xs: readonly string[]): Generator<[string, string]> {
  for (const a of xs) for (const b of xs) yield [a, b];
}


const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\t\n\r\v\f';

describe('compareText', () => {
  test('every pair of characters (printable ASCII, tab, line breaks) compares as the en-US collator does', () => {
    expect(disagreements(product([...PRINTABLE]))).toEqual([]);
  });

  test('every pair of two-character strings over letters of both cases, digits and the punctuation labels use', () => {
    const alphabet = 'aAbBzZ09-_./:@';
    const strings = [...alphabet].flatMap((x) => [...alphabet].map((y) => x + y));
    expect(disagreements(product(strings))).toEqual([]);
  });

  test('random strings, ASCII and not, compare as the en-US collator does', () => {
    const r = rng(42);
    const pool = `${PRINTABLE}\u0000\u0007\u007fäÅéßø日本😀`;
    const word = () => Array.from({ length: Math.floor(r() * 10) }, () => pool[Math.floor(r() * (r() < 0.9 ? 95 : pool.length))]).join('');
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < 50_000; i++) {
      const a = word();
      pairs.push([a, r() < 0.3 ? a.toUpperCase() : r() < 0.5 ? a + word() : word()]);
    }
    expect(disagreements(pairs)).toEqual([]);
  });

  test('does not follow the machine\'s locale, as localeCompare does (Danish sorts "aa" after "z")', () => {
    const words = ['aab', 'ab', 'z', 'Ab', 'a-b', 'a_b', 'a.b', 'a10', 'a9'];
    expect([...words].sort(compareText)).toEqual([...words].sort((a, b) => a.localeCompare(b, 'en-US')));
    expect([...words].sort((a, b) => a.localeCompare(b, 'da-DK'))).not.toEqual([...words].sort(compareText));
  });

  test('the library and the apps sort text with compareText, never localeCompare (locale-dependent, and its first call sets up ICU: about 10 ms of every synth)', () => {
    const fs = require('fs') as typeof import('fs');
    const path = require('path') as typeof import('path');
    const root = path.resolve(__dirname, '../..');
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(rel);
        else if (rel.endsWith('.ts')) {
          fs.readFileSync(path.join(root, rel), 'utf8').split('\n').forEach((line, i) => {
            const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
            if (/\.localeCompare\(/.test(code)) found.push(`${rel}:${i + 1}`);
          });
        }
      }
    };
    walk('lib');
    walk('apps');
    expect(found).toEqual([]);
  });
});

describe('sortedByKey', () => {
  test('orders a map by its keys exactly as comparing with < does (paths, case, unicode, surrogate pairs), values kept', () => {
    const r = rng(7);
    const alphabet = ['a', 'B', 'z', '-', '.', '/', '_', '0', '9', 'é', 'Ω', '\u{1F600}', '\uFFFD', '~', ' '];
    for (let round = 0; round < 50; round++) {
      const m = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const key = Array.from({ length: 1 + Math.floor(r() * 6) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
        m.set(key, i);
      }
      const want = [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      expect([...sortedByKey(m).entries()]).toEqual(want);
    }
  });
});
