import { Yaml } from 'cdk8s';
import { stringify } from 'yaml';
import { emitYaml, emitYaml12, emitYamlWithPath } from '../../lib/release/yaml';
import { randomMap, randomString, rng } from './yaml-gen';

// The emitter must write exactly what cdk8s's Yaml.stringify (the yaml library, YAML 1.1, lineWidth 0) writes: dist/
// has always been written that way, and a byte of difference would be a diff in every GitOps repository.
const reference = (doc: unknown) => Yaml.stringify(doc);

describe('YAML emitter', () => {
  test('property: random documents come out byte-identical to Yaml.stringify, written by the emitter itself', () => {
    let documents = 0;
    for (let seed = 1; seed <= 4000; seed++) {
      const doc = randomMap(rng(seed));
      const out = emitYamlWithPath(doc);
      // On failure, the seed replays the document: randomMap(rng(seed)).
      expect({ seed, text: out.text }).toEqual({ seed, text: reference(doc) });
      expect({ seed, path: out.path }).toEqual({ seed, path: 'emitter' });
      documents++;
    }
    expect(documents).toBe(4000);
  });

  test('property: every random string, as a key and as a value, in a map and in a list, nested', () => {
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      const s = randomString(r);
      const doc = { [s]: s, list: [s, [s], { [s]: [s] }], nested: { deeper: { [s]: s } } };
      expect({ s, text: emitYaml(doc) }).toEqual({ s, text: reference(doc) });
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

  test('null values are written as null, except in a map of only nulls (the explicit `? key` form)', () => {
    for (const doc of [{ a: null, b: 1 }, { l: [null, 1] }, { m: { x: null, y: [] } }]) expect(emitYamlWithPath(doc)).toEqual({ text: reference(doc), path: 'emitter' });
    expect(emitYamlWithPath({ a: null })).toEqual({ text: reference({ a: null }), path: 'library' });
  });

  test.each([
    ['a map of only nulls', { a: null, b: null }],
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
    let emitter = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const doc = randomMap(rng(seed), 0, { nulls: true, undefineds: true });
      const out = emitYamlWithPath(doc, 'yaml-1.2');
      expect({ seed, text: out.text }).toEqual({ seed, text: stringify(doc, { lineWidth: 0 }) });
      if (out.path === 'emitter') emitter++;
    }
    // Only maps of nulls and the like go to the library.
    expect(emitter).toBeGreaterThan(2700);
  });

  test('YAML 1.2 differs from 1.1 where the schemas do: y/yes/on and octal 0755 stay plain strings; 0o17 is quoted', () => {
    const doc = { a: 'yes', b: 'y', c: 'on', d: '0755', e: '0o17', f: '1_000', g: 'True', h: undefined, i: [1, undefined] };
    expect(emitYaml12(doc)).toBe(stringify(doc, { lineWidth: 0 }));
    expect(emitYaml12(doc)).toBe('a: yes\nb: y\nc: on\nd: "0755"\ne: "0o17"\nf: 1_000\ng: "True"\ni:\n  - 1\n  - null\n');
    expect(emitYaml({ a: 'yes', d: '0755' })).toBe('a: "yes"\nd: "0755"\n');
  });

  test('a scalar or a list as the whole document', () => {
    for (const doc of ['text', 42, [1, 'a']]) expect(emitYaml(doc)).toBe(reference(doc));
  });
});
