import { Yaml } from 'cdk8s';
import { stringify } from 'yaml';
import { emitYaml, emitYaml12, emitYamlWithPath } from '../../lib/release/yaml';
import { randomMap, randomString, readsBack, rng } from './yaml-gen';

// The emitter must write exactly what cdk8s's Yaml.stringify (the yaml library, YAML 1.1, lineWidth 0) writes: dist/
// has always been written that way, and a byte of difference would be a diff in every GitOps repository. The one
// exception: where the library's output does not read back as the object it was given (under YAML 1.1 or 1.2: see
// yaml-roundtrip.test.ts), the emitter writes a form that does. `expectLikeReference` states that contract.
const reference = (doc: unknown) => Yaml.stringify(doc);
const reference12 = (doc: unknown) => stringify(doc, { lineWidth: 0 });

/** 'same' when the emitter wrote the reference's bytes; 'corrected' when the reference misreads and the emitter does not. */
function expectLikeReference(doc: unknown, flavour: 'cdk8s' | 'yaml-1.2', context: object): 'same' | 'corrected' {
  const ref = flavour === 'cdk8s' ? reference(doc) : reference12(doc);
  const text = flavour === 'cdk8s' ? emitYaml(doc) : emitYaml12(doc);
  if (readsBack(ref, doc)) {
    expect({ ...context, text }).toEqual({ ...context, text: ref });
    return 'same';
  }
  expect({ ...context, text, readsBack: readsBack(text, doc) }).toEqual({ ...context, text, readsBack: true });
  return 'corrected';
}

describe('YAML emitter', () => {
  test('property: random documents come out byte-identical to Yaml.stringify, written by the emitter itself', () => {
    const seen = { same: 0, corrected: 0 };
    for (let seed = 1; seed <= 4000; seed++) {
      const doc = randomMap(rng(seed));
      // On failure, the seed replays the document: randomMap(rng(seed)).
      seen[expectLikeReference(doc, 'cdk8s', { seed })]++;
      expect({ seed, path: emitYamlWithPath(doc).path }).toEqual({ seed, path: 'emitter' });
    }
    // The generator reaches the library's misreadings, and they stay rare.
    expect(seen.corrected).toBeGreaterThan(0);
    expect(seen.same).toBeGreaterThan(3500);
  });

  test('property: every random string, as a key and as a value, in a map and in a list, nested', () => {
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      const s = randomString(r);
      expectLikeReference({ [s]: s, list: [s, [s], { [s]: [s] }], nested: { deeper: { [s]: s } } }, 'cdk8s', { s });
    }
  });

  test.each([
    ['YAML 1.1 booleans are quoted, as keys and values', { y: 'n', yes: 'NO', on: 'off', Y: 'True', n: ['y', 'Off'] }],
    ['numbers written as strings are quoted; numbers are not', { port: '8080', octal: '0755', hex: '0x1F', float: '1.5', exp: '1e3', e3: 'e3', sexagesimal: '190:20:30', n: 8080, f: 1.5 }],
    ['null-like strings and the empty string', { a: '', b: '~', c: 'null', d: 'Null', e: 'NULL' }],
    ['keys that need quotes', { 'a: b': 1, '- x': 2, '#c': 3, ' lead': 4, 'trail ': 5, '8080': 6, '---': 7, '"q"': 8, "it's": 9 }],
    ['strings with indicators, colons and comments', { a: '- a', b: 'a: b', c: 'a #b', d: 'a#b', e: '*x', f: '&x', g: '!x', h: '|x', i: '>x', j: '%x', k: '@x', l: '`x', m: '{x}', n: '[x]' }],
    ['multi-line strings: clip, strip, keep, leading spaces, blank lines', { clip: 'a\nb\n', strip: 'a\nb', keep: 'a\n\n', lead: ' a\nb', blank: 'a\n\nb\n', only: '\n', trailingBlank: 'a\n ' }],
    ['quotes and escapes', { dq: 'say "hi"', sq: "it's", both: `'"`, ctrl: 'a\x01b', tab: '\tx', nul: '\x00', bell: '\x07', esc: '\x1b', del: '\x7f', nel: '\x85', nbsp: '\xa0', ls: '\u2028' }],
    ['long double-quoted multi-line strings are broken at their line feeds', { k: 'a line that is long enough to be folded\n  \tand another one\n', short: 'x\n\ty' }],
    ['unicode, surrogate pairs and unpaired surrogates', { ja: '日本語', emoji: '😀', lone: 'a\ud800b', bom: '\ufeff', é: 'é' }],
    ['empty maps and lists, nested lists, maps in lists', { m: {}, l: [], ll: [[], [1, [2]]], lm: [{}, { a: 1, b: [{ c: {} }] }] }],
    ['integer-like keys come first, as in any JavaScript object', { b: 1, 10: 2, a: 3, 2: 4 }],
    ['numbers: negative zero, exponents, large integers', { z: -0, big: 1e21, small: 1e-7, max: Number.MAX_SAFE_INTEGER, neg: -3.25 }],
  ])('%s', (_name, doc) => {
    expect(emitYamlWithPath(doc)).toEqual({ text: reference(doc), path: 'emitter' });
  });

  test('a Kubernetes object as the synth writes it', () => {
    const doc = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { annotations: { 'argocd.argoproj.io/sync-wave': '-1' }, labels: { 'app.kubernetes.io/name': 'x' }, name: 'c', namespace: 'ns' },
      data: { 'Caddyfile': ':8080 {\n\trespond "ok"\n}\n', port: '5432', enabled: 'true', empty: '' },
    };
    expect(emitYaml(doc)).toBe(reference(doc));
    expect(emitYaml(doc)).toContain('  Caddyfile: |\n    :8080 {\n    \trespond "ok"\n    }\n');
  });

  test('null values are written as null, in a map of only nulls too', () => {
    for (const doc of [{ a: null, b: 1 }, { l: [null, 1] }, { m: { x: null, y: [] } }, { a: null }, { m: { a: null, b: null } }]) {
      expect(emitYamlWithPath(doc)).toEqual({ text: reference(doc), path: 'emitter' });
    }
  });

  test.each([
    ['undefined', { a: undefined }],
    ['a hole in a list', { a: [1, , 3] }],
    ['a list item that is undefined', { a: [1, undefined] }],
    ['NaN and infinities', { a: Number.NaN, b: Number.POSITIVE_INFINITY }],
    ['a class instance', { a: new Date(0) }],
    ['a key longer than 1024 characters (explicit key form)', { ['k'.repeat(1100)]: 1 }],
  ])('hands %s to the yaml library, with the same output', (_name, doc) => {
    expect(emitYamlWithPath(doc)).toEqual({ text: reference(doc), path: 'library' });
  });

  test('property: as the yaml library writes by default (YAML 1.2, undefined left out), for the config builders', () => {
    const seen = { same: 0, corrected: 0 };
    let emitter = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const doc = randomMap(rng(seed), 0, { nulls: true, undefineds: true });
      seen[expectLikeReference(doc, 'yaml-1.2', { seed })]++;
      if (emitYamlWithPath(doc, 'yaml-1.2').path === 'emitter') emitter++;
    }
    // Only undefined list items and the like go to the library.
    expect(emitter).toBeGreaterThan(2700);
    expect(seen.corrected).toBeGreaterThan(0);
    // Corrections are common here: the generator draws YAML 1.1 booleans and octals, which YAML 1.2 leaves plain.
    expect(seen.same).toBeGreaterThan(1500);
  });

  test('both flavours quote a string that either YAML 1.1 or YAML 1.2 would read as another type', () => {
    const doc = { a: 'yes', b: 'y', c: 'on', d: '0755', e: '0o17', f: '1_000', g: 'True', h: undefined, i: [1, undefined] };
    // The yaml library's YAML 1.2 output leaves y/yes/on/0755/1_000 plain: a YAML 1.1 reader (Prometheus, go-yaml v2)
    // takes them for booleans and numbers.
    expect(stringify(doc, { lineWidth: 0 })).toBe('a: yes\nb: y\nc: on\nd: "0755"\ne: "0o17"\nf: 1_000\ng: "True"\ni:\n  - 1\n  - null\n');
    expect(emitYaml12(doc)).toBe('a: "yes"\nb: "y"\nc: "on"\nd: "0755"\ne: "0o17"\nf: "1_000"\ng: "True"\ni:\n  - 1\n  - null\n');
    // And cdk8s's YAML 1.1 output leaves 0o17 plain: a YAML 1.2 reader takes it for 15.
    expect(reference({ e: '0o17' })).toBe('e: 0o17\n');
    expect(emitYaml({ a: 'yes', d: '0755', e: '0o17' })).toBe('a: "yes"\nd: "0755"\ne: "0o17"\n');
  });

  test.each([
    ['a value of only spaces and line feeds (the spaces were read as the block indentation)', { k: '   \n' }, 'k: |+\n     \n', 'k: "  \\ \\n"\n'],
    ['a list item of only spaces and line feeds', { l: [' \n \n'] }, 'l:\n  - |+\n     \n     \n', 'l:\n  - "\\ \\n\\ \\n"\n'],
    ['a long quoted string with a line of only spaces (folded into an escaped backslash)', { k: 'a line that is long enough to be folded\n \nb\n\t' }, 'k: "a line that is long enough to be folded\n\n  \\\\ \n\n  b\n\n  \\t"\n', 'k: "a line that is long enough to be folded\\n\\ \\nb\\n\\t"\n'],
    ['the merge key <<', { '<<': 'x' }, '<<: x\n', '"<<": x\n'],
    ['a byte order mark as the first character of the document (dropped as the stream encoding mark)', { '\ufeffa': 1 }, '\ufeffa: 1\n', '"\\uFEFFa": 1\n'],
  ])('corrects the library where its output does not read back: %s', (_name, doc, libraryText, text) => {
    const ref = reference(doc);
    if (libraryText !== null) expect(ref).toBe(libraryText);
    expect(readsBack(ref, doc)).toBe(false);
    expect(emitYaml(doc)).toBe(text);
    expect(readsBack(emitYaml(doc), doc)).toBe(true);
  });

  test('a scalar or a list as the whole document', () => {
    for (const doc of ['text', 42, [1, 'a']]) expect(emitYaml(doc)).toBe(reference(doc));
  });
});
