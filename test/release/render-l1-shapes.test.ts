import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { buildSync } from 'esbuild';
import { BUNDLE_CODE_OPTIONS, buildSlice, l1Roots, sliceInputs } from '../../bin/builder/index';
import { evaluateSlice, shapeTableStatement, sliceL1 } from '../../bin/builder/l1-slice';
import { L1_SHAPE_TABLE_FORMAT, L1_SHAPES, L1ShapeTable, l1ShapeEntry, l1ShapeTable, registerL1Module, renderApiObjectWithPath } from '../../lib/release/render';
import { apiObjects, renderEqualsToJsonSuite } from './render-cases';

// The walk takes an L1 converter's shape from a table the build computed (bin/builder appends it to the sliced k8s
// module, build/gen/k8s-l1.js) instead of reading the converter's source at run time. These tests hold the table to
// the run-time parse for every converter of the slice (as written and as the bundle minifies it), run the render
// suite with the table in use, and check the fallback for what a table does not cover.

const ROOT = path.resolve(__dirname, '../..');
const K8S_MODULE = path.join(ROOT, 'node_modules/cdk8s-plus-28/lib/imports/k8s.js');
const SLICE_FILE = path.join(ROOT, 'build/gen/k8s-l1.js');

const tableOf = (mod: object): L1ShapeTable => (mod as Record<symbol, L1ShapeTable>)[L1_SHAPES];
const converterNames = (mod: object): string[] => Object.keys(mod).filter((k) => k.startsWith('toJson_')).sort();

describe('precomputed L1 shapes of the sliced k8s module', () => {
  // The slice and its table exactly as bin/builder makes them from the installed cdk8s-plus-28 and these sources.
  const slice = sliceL1(fs.readFileSync(K8S_MODULE, 'utf8'), l1Roots(ROOT));
  const statement = shapeTableStatement(slice.code, SLICE_FILE).statement;
  const sliced = evaluateSlice(slice.code + statement, SLICE_FILE);
  const table = tableOf(sliced);

  test('every converter of the slice has an entry, equal to the run-time parse of that converter', () => {
    const names = converterNames(sliced);
    expect(names.length).toBeGreaterThan(100);
    expect(table.format).toBe(L1_SHAPE_TABLE_FORMAT);
    expect(Object.keys(table.shapes).sort()).toEqual(names);
    for (const name of names) {
      // Each parsed on its own (a fresh module: nothing cached from the table or from another converter's parse).
      expect({ name, shape: l1ShapeEntry(sliced, name, true) }).toEqual({ name, shape: table.shapes[name] });
      // And the walk's lookup gives the table's entry.
      expect({ name, shape: l1ShapeEntry(sliced, name) }).toEqual({ name, shape: table.shapes[name] });
    }
    // The generated converters are all read: none is left to be called as it is.
    expect(names.filter((n) => table.shapes[n] === 0)).toEqual([]);
  });

  test('the converters as the synth bundle carries them (minified and renamed by esbuild) take the same shapes', () => {
    // Bundled as bin/builder bundles the slice: minified, beside an ES module whose top-level converters have the
    // slice's names (as the iot imports' toJson_DeploymentSpec has), so esbuild renames the slice's functions.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-slice-bundle-'));
    try {
      fs.writeFileSync(path.join(dir, 'k8s-l1.js'), slice.code + statement);
      fs.writeFileSync(path.join(dir, 'other.mjs'), 'export function toJson_DeploymentSpec(obj) { return obj; }\nexport function toJson_Container(obj) { return obj; }\n');
      fs.writeFileSync(path.join(dir, 'entry.mjs'), 'import * as other from "./other.mjs";\nimport * as sliced from "./k8s-l1.js";\nexport { other, sliced };\n');
      const out = buildSync({ entryPoints: [path.join(dir, 'entry.mjs')], bundle: true, write: false, platform: 'node', format: 'cjs', external: ['cdk8s'], ...BUNDLE_CODE_OPTIONS });
      // Evaluated with this test's require, so its classes extend the cdk8s the library here uses.
      const bundle = { exports: {} as { sliced: { default: Record<string, any> } } };
      new Function('require', 'module', 'exports', out.outputFiles[0].text)(require, bundle, bundle.exports);
      const bundled = bundle.exports.sliced.default;
      expect(tableOf(bundled)).toEqual(table);
      const names = converterNames(bundled);
      expect(names).toEqual(converterNames(sliced));
      const sourceNameOf = (f: unknown) => /^function\s*([\w$]+)\s*\(/.exec(String(f))![1];
      const exportName = new Map(names.map((n) => [sourceNameOf(bundled[n]), n]));
      // esbuild did rename converters here, as it does in the synth bundle.
      expect(names.filter((n) => sourceNameOf(bundled[n]) !== n)).toEqual(expect.arrayContaining(['toJson_Container', 'toJson_DeploymentSpec']));
      const byExportNames = (entry: unknown) => JSON.parse(JSON.stringify(entry), (_k, v) => (typeof v === 'string' && exportName.has(v) ? exportName.get(v) : v));
      for (const name of names) {
        // The run-time parse of the function the bundle carries (under its source name), in export names...
        expect({ name, shape: byExportNames(l1ShapeEntry(bundled, sourceNameOf(bundled[name]), true)) }).toEqual({ name, shape: table.shapes[name] });
        // ...is what the walk takes from the table, whether it meets the converter by its source name or its export.
        expect({ name, shape: l1ShapeEntry(bundled, sourceNameOf(bundled[name])) }).toEqual({ name, shape: table.shapes[name] });
      }
      // And objects of the bundled classes render in one pass through renamed converters (DeploymentSpec, Container).
      registerL1Module(bundled);
      const app = new App();
      const chart = new Chart(app, 'c');
      new bundled.KubeDeployment(chart, 'D', {
        metadata: { name: 'd' },
        spec: { replicas: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } } },
      });
      new bundled.KubeService(chart, 'S', { metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: bundled.IntOrString.fromNumber(8080) }] } });
      for (const o of apiObjects(app)) expect(renderApiObjectWithPath(o, app)).toEqual({ json: o.toJson(), path: 'walk' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the table cannot be replaced once the module is loaded', () => {
    expect(Object.getOwnPropertyDescriptor(sliced, L1_SHAPES)).toMatchObject({ writable: false, configurable: false, enumerable: false });
    expect(() => {
      'use strict';
      (sliced as Record<symbol, unknown>)[L1_SHAPES] = { format: L1_SHAPE_TABLE_FORMAT, shapes: {} };
    }).toThrow(TypeError);
    expect(tableOf(sliced)).toBe(table);
  });

  test('the slice (and so its table) is made again when cdk8s-plus-28, the slicer, the builder, the render parse or the roots change', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-slice-inputs-'));
    try {
      const files = ['node_modules/cdk8s-plus-28/lib/imports/k8s.js', 'bin/builder/l1-slice.ts', 'bin/builder/index.ts', 'lib/release/render.ts'];
      for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(root, f));
      }
      const roots = ['KubeDeployment'];
      const before = JSON.stringify(sliceInputs(root, roots));
      expect(JSON.stringify(sliceInputs(root, roots))).toBe(before);
      for (const f of files) {
        const original = fs.readFileSync(path.join(root, f));
        fs.appendFileSync(path.join(root, f), '\n// changed\n');
        expect({ f, changed: JSON.stringify(sliceInputs(root, roots)) !== before }).toEqual({ f, changed: true });
        fs.writeFileSync(path.join(root, f), original);
      }
      expect(JSON.stringify(sliceInputs(root, [...roots, 'KubeService']))).not.toBe(before);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('the slice file is written once for the same inputs, and made again when it was edited', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-slice-build-'));
    try {
      for (const f of ['bin/builder/l1-slice.ts', 'bin/builder/index.ts', 'lib/release/render.ts']) {
        fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(root, f));
      }
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
      const file = path.join(root, 'build/gen/k8s-l1.js');
      const built: string[] = [];
      const build = () => buildSlice(root, ['KubeConfigMap'], (line) => built.push(line));
      build();
      expect(built).toHaveLength(1);
      const written = fs.readFileSync(file, 'utf8');
      expect(tableOf(evaluateSlice(written, file)).shapes.toJson_KubeConfigMapProps).toEqual([['metadata', 'type', 'toJson_ObjectMeta'], ['binaryData', 'map'], ['data', 'map'], 'immutable']);
      build();
      expect(built).toHaveLength(1);
      // A table edited by hand (or a file replaced) is not kept: the file is made from its inputs again.
      fs.writeFileSync(file, written.replace('"immutable"', '"mutable"'));
      build();
      expect(built).toHaveLength(2);
      expect(fs.readFileSync(file, 'utf8')).toBe(written);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

// cdk8s-plus-28's k8s module, as the library uses it in this process, carries its table from here on (made by the
// same function the builder runs), so the render suite below follows the precomputed shapes, as the synth does.
Object.defineProperty(k8s, L1_SHAPES, { value: l1ShapeTable(k8s) });

renderEqualsToJsonSuite('one-pass render with precomputed L1 shapes equals ApiObject.toJson()');

/**
 * A module of one L1 class in the generated style: `KubeWidget` with the props `toJson_KubeWidgetProps` converts
 * (`name`, and `part` through `toJson_Part`), and `table` as its precomputed shapes when given.
 */
function widgetModule(table?: unknown): Record<string, any> {
  const code = `
    function toJson_Part(obj) {
      if (obj === undefined) { return undefined; }
      const result = { 'size': obj.size, 'color': obj.color };
      return Object.entries(result).reduce((r, i) => (i[1] === undefined) ? r : ({ ...r, [i[0]]: i[1] }), {});
    }
    function toJson_KubeWidgetProps(obj) {
      if (obj === undefined) { return undefined; }
      const result = { 'metadata': obj.metadata, 'name': obj.name, 'part': toJson_Part(obj.part) };
      return Object.entries(result).reduce((r, i) => (i[1] === undefined) ? r : ({ ...r, [i[0]]: i[1] }), {});
    }
    class KubeWidget extends ApiObject {
      constructor(scope, id, props = {}) { super(scope, id, { ...KubeWidget.GVK, ...props }); }
      toJson() {
        const resolved = super.toJson();
        return { ...KubeWidget.GVK, ...toJson_KubeWidgetProps(resolved) };
      }
    }
    KubeWidget.GVK = { apiVersion: 'example.com/v1', kind: 'Widget' };
    exports.KubeWidget = KubeWidget;
    exports.toJson_Part = toJson_Part;
    exports.toJson_KubeWidgetProps = toJson_KubeWidgetProps;
  `;
  const exports: Record<string, any> = {};
  new Function('exports', 'ApiObject', code)(exports, ApiObject);
  if (table !== undefined) Object.defineProperty(exports, L1_SHAPES, { value: table });
  registerL1Module(exports);
  return exports;
}

function renderWidget(mod: Record<string, any>) {
  const app = new App();
  new mod.KubeWidget(new Chart(app, 'c'), 'W', { metadata: { name: 'w' }, name: 'n', part: { color: 'red', size: 2 } });
  const o = apiObjects(app)[0];
  return { outcome: renderApiObjectWithPath(o, app), toJson: o.toJson() };
}

describe('precomputed shapes: what a table covers and what it does not', () => {
  test('the generated-style module reads as the table would give it', () => {
    const mod = widgetModule();
    expect(l1ShapeTable(mod)).toEqual({
      format: L1_SHAPE_TABLE_FORMAT,
      shapes: { toJson_KubeWidgetProps: ['metadata', 'name', ['part', 'type', 'toJson_Part']], toJson_Part: ['size', 'color'] },
    });
  });

  test('a converter the table lacks is parsed at run time, and the object still renders in one pass as toJson() does', () => {
    const mod = widgetModule({ format: L1_SHAPE_TABLE_FORMAT, shapes: { toJson_KubeWidgetProps: ['metadata', 'name', ['part', 'type', 'toJson_Part']] } });
    const { outcome, toJson } = renderWidget(mod);
    expect(outcome).toEqual({ json: toJson, path: 'walk' });
    expect(JSON.stringify(outcome.json)).toBe('{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"name":"n","part":{"size":2,"color":"red"}}');
  });

  test('a module without a table, or with a table of another layout, is parsed at run time', () => {
    // The other layout's entry would render `part` under another key: it is not read.
    for (const table of [undefined, { format: L1_SHAPE_TABLE_FORMAT + 1, shapes: { toJson_Part: [['size', 'value', 'SIZE']] } }]) {
      const { outcome, toJson } = renderWidget(widgetModule(table));
      expect(outcome).toEqual({ json: toJson, path: 'walk' });
    }
  });

  test('a table stands for the converters of the module it is defined on: the walk follows it without reading their source', () => {
    // Why the builder makes the table from the module's own code and writes both in one file (see L1_SHAPES in
    // lib/release/render.ts): an entry is taken as the converter's shape. Here one deliberately differs, and only the
    // module that carries it renders differently; another module with the same converter names does not see it.
    const lying = widgetModule({ format: L1_SHAPE_TABLE_FORMAT, shapes: { toJson_Part: ['color', ['size', 'value', 'SIZE']] } });
    expect(JSON.stringify(renderWidget(lying).outcome.json)).toContain('"part":{"color":"red","SIZE":2}');
    const honest = widgetModule();
    const { outcome, toJson } = renderWidget(honest);
    expect(outcome).toEqual({ json: toJson, path: 'walk' });
  });

  test('an opaque entry calls the converter itself, with the same result', () => {
    const mod = widgetModule({ format: L1_SHAPE_TABLE_FORMAT, shapes: { toJson_Part: 0 } });
    const { outcome, toJson } = renderWidget(mod);
    expect(outcome).toEqual({ json: toJson, path: 'walk' });
  });
});
