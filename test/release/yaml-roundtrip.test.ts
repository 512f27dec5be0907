import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { emitYaml, emitYaml12 } from '../../lib/release/yaml';
import { plain, randomMap, randomString, readYaml, rng, SCHEMAS } from './yaml-gen';

// The other half of the emitter's proof: byte-identical to the library (yaml.test.ts) says the bytes did not change,
// this says the bytes mean the object they were written from. Whoever reads dist/ (kubectl, Argo CD, Helm, Prometheus:
// YAML 1.1 booleans, octals and merge keys through go-yaml; newer tools: the YAML 1.2 core schema) must get the same
// object back, so every document is parsed under both schemas and compared with the object it was written from.

function expectReadsBack(text: string, doc: unknown, context: object): void {
  for (const version of SCHEMAS) {
    const back = readYaml(text, version);
    expect({ ...context, version, back }).toEqual({ ...context, version, back: { value: plain(doc) } });
  }
}

describe('YAML emitter: what it writes parses back to the object it was given', () => {
  test('property: random documents read back identical under YAML 1.1 and YAML 1.2', () => {
    // On failure, the seed replays the document: randomMap(rng(seed)).
    for (let seed = 1; seed <= 3000; seed++) {
      const doc = randomMap(rng(seed));
      expectReadsBack(emitYaml(doc), doc, { seed });
    }
  });

  test('property: every random string, as a key, a value and a list item, reads back under both schemas', () => {
    const r = rng(11);
    for (let i = 0; i < 3000; i++) {
      const s = randomString(r);
      expectReadsBack(emitYaml({ [s]: s, list: [s, { [s]: [s] }] }), { [s]: s, list: [s, { [s]: [s] }] }, { s });
    }
  });

  test('property: the YAML 1.2 flavour (config files) reads back under both schemas, nulls and left-out undefined included', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const doc = randomMap(rng(seed), 0, { nulls: true, undefineds: true });
      expectReadsBack(emitYaml12(doc), doc, { seed });
    }
  });

  // The strings YAML readers are known to turn into something else when they are written plain.
  const PITFALLS: Record<string, string> = {
    norway: 'NO', on: 'on', off: 'Off', yes: 'yes', y: 'y', n: 'N', tru: 'True', nul: 'null', tilde: '~', empty: '',
    octal: '0755', octal12: '0o17', hex: '0x1F', binary: '0b101', underscores: '1_000', exp: '1e3', expUpper: '1E-3',
    float: '1.5', leadingDot: '.5', inf: '.inf', nan: '.NaN', sexagesimal: '190:20:30', date: '2001-12-14',
    timestamp: '2001-12-14t21:59:43.10-05:00', version: '1.28', port: '8080', negative: '-1', plus: '+1',
    colonSpace: 'a: b', colonEnd: 'a:', colonLead: ':8080', hashSpace: 'a #b', hashLead: '#a', dash: '- a',
    question: '? x', merge: '<<', anchor: '&a', alias: '*a', tag: '!a', pipe: '|a', fold: '>a', percent: '%a',
    at: '@a', backtick: '`a', flow: '{a}', list: '[a]', comma: 'a,b', marker: '---', end: '...', spaces: ' a ',
    tab: '\ta', quotes: `it's "q"`, backslash: 'C:\\dir', crlf: 'a\r\nb', multi: 'a\n\nb\n', keep: 'a\n\n',
    lead: ' a\nb', blankOnly: '  \n', spaceLine: 'a line that is long enough to be folded\n \nb\n\t', nel: 'a\x85b',
    ls: 'a\u2028b', nul0: '\x00', bom: '\ufeffa', template: '{{ .Values.x }}',
  };

  test.each([
    ['values', PITFALLS],
    ['keys', Object.fromEntries(Object.values(PITFALLS).map((v) => [v, v]))],
    ['list items', { list: Object.values(PITFALLS) }],
    ['the first key of the document', { '\ufeffa': 1, '<<': 2 }],
  ])('the known pitfalls stay strings as %s, in both flavours and under both schemas', (_name, doc) => {
    expectReadsBack(emitYaml(doc), doc, { flavour: 'cdk8s' });
    expectReadsBack(emitYaml12(doc), doc, { flavour: 'yaml-1.2' });
  });

  test('numbers and booleans stay numbers and booleans (not strings) under both schemas', () => {
    const doc = { port: 8080, ratio: 0.25, negative: -3, big: 2 ** 31, t: true, f: false, list: [1, 1.5, true] };
    for (const version of SCHEMAS) expect(readYaml(emitYaml(doc), version)).toStrictEqual({ value: doc });
  });

  // Folders starting with '_' hold reports and patches, not manifests (argocd/_argocd-cm/ is a merge patch with a header).
  test('every manifest in dist/ reads the same under both schemas and is written back byte for byte', () => {
    const dist = path.join(__dirname, '..', '..', 'dist');
    const files = fs.readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml') && !f.split(path.sep).some((part) => part.startsWith('_')));
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const text = fs.readFileSync(path.join(dist, file), 'utf8');
      const [v11, v12] = SCHEMAS.map((v) => readYaml(text, v));
      expect({ file, error: v11.error }).toEqual({ file, error: undefined });
      expect({ file, same: isDeepStrictEqual(v11.value, v12.value) }).toEqual({ file, same: true });
      expect({ file, text: emitYaml(v11.value) }).toEqual({ file, text });
    }
  });
});
