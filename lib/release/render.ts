/**
 * One render pass: each API object becomes its canonical JSON (the exact object cdk8s's `ApiObject.toJson()` returns,
 * keys in the order cdk8s writes them) in a single walk over its props, instead of the four copies cdk8s makes
 * (resolve, sanitize, the top-level reorder, then the typed L1 class's `toJson_*` conversion, which rebuilds each object
 * with a spread per key).
 *
 * The walk applies cdk8s's rules in one go: the app's resolvers (`Lazy`, objects with `resolve()`, number-or-string
 * unions such as `IntOrString`), dropping `null` and `undefined`, sorting keys, and, for an L1 class (`k8s.KubeDeployment`
 * and the classes `cdk8s import` generates), the field names and order of its `toJson_*` converters. Those converters
 * are generated code with ten shapes of field (`obj.x`, `toJson_T(obj.x)`, `obj.x?.map(...)`, maps, unions, dates);
 * `l1Shape` reads a converter's source into a table once per type and the walk follows it. A converter it cannot read
 * is called as it is on the subtree, so the result is the same.
 *
 * Whatever the walk is not sure reproduces `toJson()` exactly makes it use `toJson()` for that object: JSON patches,
 * custom resolvers, `CDK8S_DISABLE_SORT`, a field the L1 class does not know (cdk8s would drop it, and still resolve
 * it), a class instance where cdk8s would throw, a `toJson` override. Test: test/release/render.test.ts compares both
 * on every object of every example app, the benchmark's generated apps and objects built to hit each rule.
 */
import { ApiObject, App, ApiObjectMetadataDefinition, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { passMemo, passTake } from './pass';

type Json = any;

/** Signals that the walk cannot vouch for an object, and why; `toJson()` renders it instead. */
class UseToJson {
  constructor(public readonly reason: string) {}
}

/** How one field of an L1 type is converted (the shapes json2jsii generates). */
type FieldForm =
  | { readonly kind: 'value' }
  | { readonly kind: 'type'; readonly fn: string; readonly mod: L1Module; readonly exported?: true; shape?: Shape }
  | { readonly kind: 'array' }
  | { readonly kind: 'arrayOf'; readonly fn: string; readonly mod: L1Module; readonly exported?: true; shape?: Shape }
  | { readonly kind: 'union' }
  | { readonly kind: 'date' }
  | { readonly kind: 'map' }
  | { readonly kind: 'mapUnion' }
  | { readonly kind: 'mapArray' }
  | { readonly kind: 'mapOf'; readonly fn: string; readonly mod: L1Module; readonly exported?: true; shape?: Shape };

/**
 * A form that converts with an L1 type's converter; `shape` caches `l1Shape(mod, fn)` once it is settled. `fn` is the
 * name the converters' source gives it, or, for a form from a precomputed table (`exported`), its export name.
 */
type TypedForm = Extract<FieldForm, { readonly fn: string }>;

interface Field {
  /** The key in the rendered JSON. */
  readonly json: string;
  /** The prop it reads. */
  readonly prop: string;
  readonly form: FieldForm;
}

/** An L1 type: its fields in output order, or the converter itself when its source is not one of the known shapes. */
type Shape = { readonly fields: readonly Field[]; readonly props: ReadonlyMap<string, number> } | { readonly opaque: (obj: Json) => Json };

// ---------------------------------------------------------------------------------------------------------------
// Reading the generated converters.

/** A module of L1 classes and their `toJson_*` converters; names in a converter's source refer to its own module. */
interface L1Module {
  readonly exports: Record<string, unknown>;
  /** Converters by the name their source gives them (esbuild may rename a function inside a bundle). */
  readonly converters: Map<string, (obj: Json) => Json>;
  indexed: boolean;
  readonly shapes: Map<string, Shape>;
  /**
   * The module's precomputed shapes (see `L1_SHAPES`), null when it carries none.
   * @default - read from the module on first use
   */
  table?: L1ShapeTable | null;
  /** Shapes from the table, by export name. */
  readonly exportedShapes: Map<string, Shape>;
  /**
   * The export name of each converter the table describes, by function (made when a converter's source name is not
   * its export name, as in a bundle where esbuild renamed it).
   * @default - made on first need
   */
  exportNames?: Map<Function, string>;
}

/** cdk8s-plus-28's `k8s`, and the `cdk8s import` modules registered by the constructs that use them. */
const l1Modules: L1Module[] = [];

/**
 * Registers a module of L1 classes (the output of `cdk8s import`), so objects of its classes render in one pass too.
 * Objects of an unregistered module render through `toJson()`, with the same result.
 * @internal
 */
export function registerL1Module(mod: object): void {
  if (l1Modules.some((m) => m.exports === mod)) return;
  l1Modules.push(newL1Module(mod));
}

function newL1Module(mod: object): L1Module {
  return { exports: mod as Record<string, unknown>, converters: new Map(), indexed: false, shapes: new Map(), exportedShapes: new Map() };
}
registerL1Module(k8s);

/** The source of a function with comments and insignificant whitespace removed, `undefined` spelled `void 0`. */
function normalizedSource(fn: Function): string {
  return fn
    .toString()
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/ ?([^\w$ ]) ?/g, '$1')
    .replace(/\bundefined\b/g, 'void 0')
    .trim();
}

/** The name a function's own source gives it. */
function sourceName(fn: Function): string | undefined {
  return /^function\s*([\w$]+)\s*\(/.exec(fn.toString())?.[1];
}

function converter(mod: L1Module, name: string): ((obj: Json) => Json) | undefined {
  const found = mod.converters.get(name);
  if (found) return found;
  // Usually the export of the same name; in a bundle the function may carry another local name, so index them all.
  // Own properties only: the synth bundle's k8s module loads the complete one for a name it does not hold.
  const fn = Object.prototype.hasOwnProperty.call(mod.exports, name) ? mod.exports[name] : undefined;
  if (typeof fn === 'function' && sourceName(fn) === name) {
    mod.converters.set(name, fn as (obj: Json) => Json);
    return fn as (obj: Json) => Json;
  }
  indexConverters(mod);
  return mod.converters.get(name);
}

/** Records every `toJson_*` export of the module by the name its source gives it (once). */
function indexConverters(mod: L1Module): void {
  if (mod.indexed) return;
  mod.indexed = true;
  for (const key of Object.keys(mod.exports)) {
    const f = key.startsWith('toJson_') ? mod.exports[key] : undefined;
    const local = typeof f === 'function' ? sourceName(f) : undefined;
    if (local && !mod.converters.has(local)) mod.converters.set(local, f as (obj: Json) => Json);
  }
}

/** The registered module that exports `cls`. */
const moduleOfClass = new WeakMap<Function, L1Module | null>();

function l1ModuleOf(cls: Function): L1Module | undefined {
  let found = moduleOfClass.get(cls);
  if (found === undefined) {
    const owns = (m: L1Module) => Object.prototype.hasOwnProperty.call(m.exports, cls.name) && m.exports[cls.name] === cls;
    found = l1Modules.find(owns) ?? l1Modules.find((m) => Object.values(m.exports).includes(cls)) ?? null;
    moduleOfClass.set(cls, found);
  }
  return found ?? undefined;
}

const V = '(?:void 0)';

/** The field patterns, for converters whose parameter is named `o` (compiled once per parameter name). */
interface FieldPatterns {
  readonly value: RegExp;
  readonly type: RegExp;
  readonly array: RegExp;
  readonly arrayOf: RegExp;
  readonly union: RegExp;
  readonly date: RegExp;
  readonly map: RegExp;
}

const fieldPatterns = new Map<string, FieldPatterns>();

function patternsFor(o: string): FieldPatterns {
  let p = fieldPatterns.get(o);
  if (!p) {
    // `obj.x === undefined ? undefined : Object.entries(obj.x).reduce((r, i) => i[1] === undefined ? r : { ...r, [i[0]]: VALUE }, {})`
    const value = '(i\\[1\\]|i\\[1\\]\\?\\.value|(toJson_[\\w$]+)\\(i\\[1\\]\\)|i\\[1\\]\\?\\.map\\(\\(?(\\w+)\\)?=>\\4\\))';
    p = {
      value: new RegExp(`^${o}\\.([\\w$]+)$`),
      type: new RegExp(`^(toJson_[\\w$]+)\\(${o}\\.([\\w$]+)\\)$`),
      array: new RegExp(`^${o}\\.([\\w$]+)\\?\\.map\\(\\(?(\\w+)\\)?=>\\2\\)$`),
      arrayOf: new RegExp(`^${o}\\.([\\w$]+)\\?\\.map\\(\\(?(\\w+)\\)?=>(toJson_[\\w$]+)\\(\\2\\)\\)$`),
      union: new RegExp(`^${o}\\.([\\w$]+)\\?\\.value$`),
      date: new RegExp(`^${o}\\.([\\w$]+)\\?\\.toISOString\\(\\)$`),
      map: new RegExp(`^\\(?\\(?\\(?${o}\\.([\\w$]+)\\)?===${V}\\)?\\?${V}:\\(?Object\\.entries\\(${o}\\.\\1\\)\\.reduce\\(\\(r,i\\)=>\\(?i\\[1\\]===${V}\\)?\\?r:\\(?\\{\\.\\.\\.r,\\[i\\[0\\]\\]:${value}\\}\\)?,\\{\\}\\)\\)?\\)?$`),
    };
    fieldPatterns.set(o, p);
  }
  return p;
}

function parseField(key: string, expr: string, o: string, mod: L1Module): Field | undefined {
  const json = /^(['"])(.*)\1$/.test(key) ? JSON.parse(key[0] === "'" ? `"${key.slice(1, -1).replace(/"/g, '\\"')}"` : key) : key;
  const p = patternsFor(o);
  let m: RegExpExecArray | null;
  if ((m = p.value.exec(expr))) return { json, prop: m[1], form: { kind: 'value' } };
  if ((m = p.type.exec(expr))) return { json, prop: m[2], form: { kind: 'type', fn: m[1], mod } };
  if ((m = p.array.exec(expr))) return { json, prop: m[1], form: { kind: 'array' } };
  if ((m = p.arrayOf.exec(expr))) return { json, prop: m[1], form: { kind: 'arrayOf', fn: m[3], mod } };
  if ((m = p.union.exec(expr))) return { json, prop: m[1], form: { kind: 'union' } };
  if ((m = p.date.exec(expr))) return { json, prop: m[1], form: { kind: 'date' } };
  if ((m = p.map.exec(expr))) {
    const value = m[2];
    if (value === 'i[1]') return { json, prop: m[1], form: { kind: 'map' } };
    if (value === 'i[1]?.value') return { json, prop: m[1], form: { kind: 'mapUnion' } };
    if (m[3]) return { json, prop: m[1], form: { kind: 'mapOf', fn: m[3], mod } };
    return { json, prop: m[1], form: { kind: 'mapArray' } };
  }
  return undefined;
}

/** Splits an object literal's body at its top-level commas (strings and brackets respected). */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  const last = body.slice(start);
  if (last) parts.push(last);
  return parts;
}

/** The key and value of `key: value` (the key may be quoted). */
function splitProperty(p: string): [string, string] | undefined {
  const m = /^((['"])(?:\\.|(?!\2).)*\2|[\w$]+):(.*)$/.exec(p);
  return m ? [m[1], m[3]] : undefined;
}

/**
 * The shape of the converter `name` of module `mod` (as its callers' source spells it): the module's precomputed
 * shape when it carries one for the name (see `L1_SHAPES`), else read from the converter's source and checked.
 */
function l1Shape(mod: L1Module, name: string): Shape {
  const shapes = mod.shapes;
  const cached = shapes.get(name);
  if (cached) return cached;
  const fn = converter(mod, name);
  if (!fn) throw new UseToJson(`no converter named ${name} in the class's module`);
  const pre = precomputedShapeOf(mod, name, fn);
  if (pre) {
    shapes.set(name, pre);
    return pre;
  }
  let shape: Shape = { opaque: fn };
  const src = normalizedSource(fn);
  const m = /^function ?[\w$]+\(([\w$]+)\)\{if\(\1===void 0\)\{?return(?: ?void 0)?;?\}?(?:const|let|var) ([\w$]+)=\{(.*)\};return Object\.entries\(\2\)\.reduce\(\(r,i\)=>\(?i\[1\]===void 0\)?\?r:\(?\{\.\.\.r,\[i\[0\]\]:i\[1\]\}\)?,\{\}\);?\}$/.exec(src);
  if (m) {
    const fields: Field[] = [];
    let ok = true;
    for (const part of splitTopLevel(m[3])) {
      const kv = splitProperty(part);
      const field = kv && parseField(kv[0], kv[1], m[1], mod);
      if (!field) {
        ok = false;
        break;
      }
      fields.push(field);
    }
    if (ok) {
      const candidate: Shape = { fields, props: new Map(fields.map((f, i) => [f.prop, i])) };
      // Cached before the check, so a type that contains itself (JSONSchemaProps) finds its own shape.
      shapes.set(name, candidate);
      if (sameAsConverter(fn, fields)) return candidate;
    }
  }
  shapes.set(name, shape);
  return shape;
}

// ---------------------------------------------------------------------------------------------------------------
// Precomputed shapes.
//
// Reading a converter's source (`normalizedSource`, the patterns above, the probe check) costs about 20 ms of CPU in
// every synth under --no-opt, mostly for the same core types every app meets. bin/builder runs `l1ShapeTable` on the
// sliced k8s module at build time and appends the result to that module's file (build/gen/k8s-l1.js), where it is the
// module's `L1_SHAPES` property; `l1Shape` takes a shape from it instead of parsing, and parses as before for any
// other module (the `cdk8s import` ones) and for a name the table lacks.
//
// Why an entry equals the shape the parse would give the converter it is used for:
//   - it is that parse: `l1ShapeTable` runs `l1Shape` (the same patterns, the same `sameAsConverter` probe) on the
//     functions evaluated from the text the table is then appended to, in one build step and one atomic write, and
//     the builder remakes the file whenever cdk8s-plus-28's k8s.js, the slicer, the builder or this file changes
//     (its inputs record their hashes, and the file's own; bin/synth.js rebuilds when any bundle input changes);
//   - it is used only for that module's functions: the table is read from the exports object it is defined on,
//     never shared across modules; its names are export names (as the slice defines them), resolved through that
//     object, and a converter the walk meets by its source name takes the entry of the export that is the very same
//     function (in a bundle esbuild may rename a converter; the export keeps its name). A name the table or the
//     exports lack is parsed as before;
//   - a table of another layout is not read (`L1_SHAPE_TABLE_FORMAT`);
//   - the bundle carries the file minified by esbuild (whitespace and syntax), which keeps what each function does:
//     the converters toJson() calls in the bundle give what the checked ones gave.
// Test: test/release/render-l1-shapes.test.ts (every entry of the slice against the parse of the file as written and
// as esbuild bundles it, minified and renamed; every example app rendered with a table against toJson()).

/**
 * The property of a module's exports that holds its precomputed shapes (an `L1ShapeTable`).
 * @internal
 */
export const L1_SHAPES: unique symbol = Symbol.for('cdk8s-ops-kit.l1-shapes') as any;

/**
 * The layout of `L1ShapeTable`; bump it when the layout or the meaning of an entry changes.
 * @internal
 */
export const L1_SHAPE_TABLE_FORMAT = 1;

/**
 * One field of a precomputed shape: its prop alone (a plain value under the same key), or `[prop, kind]`, then the
 * converter's name for a typed kind, then the JSON key when it is not the prop.
 * @internal
 */
export type L1FieldEntry = string | readonly (string | number)[];

/**
 * The shapes of a module's converters, by export name (the converters a field names too): 0 for a converter the walk
 * calls as it is (its source is not one of the generated shapes), else its fields in output order.
 * @internal
 */
export interface L1ShapeTable {
  /** `L1_SHAPE_TABLE_FORMAT` of the code that made it. */
  readonly format: number;
  /** The entries, by converter name. */
  readonly shapes: Readonly<Record<string, 0 | readonly L1FieldEntry[]>>;
}

const TYPED_KINDS: ReadonlySet<FieldForm['kind']> = new Set(['type', 'arrayOf', 'mapOf']);
const FIELD_KINDS: ReadonlySet<string> = new Set(['value', 'type', 'array', 'arrayOf', 'union', 'date', 'map', 'mapUnion', 'mapArray', 'mapOf']);

function tableOf(mod: L1Module): L1ShapeTable | null {
  return mod.table === undefined ? (mod.table = shapeTableOf(mod.exports)) : mod.table;
}

/**
 * The precomputed shape of converter `fn` (whose source calls it `name`): the table's entry for the export that is
 * this very function, or undefined when the module carries no table or its table has no entry for it.
 */
function precomputedShapeOf(mod: L1Module, name: string, fn: Function): Shape | undefined {
  const table = tableOf(mod);
  if (table === null) return undefined;
  const exports = mod.exports;
  if (Object.prototype.hasOwnProperty.call(exports, name) && exports[name] === fn) return exportedShape(mod, name);
  // A converter renamed in a bundle (esbuild renames a nested function that a top-level one of the bundle would
  // shadow): its table entry is under its export name.
  if (!mod.exportNames) {
    mod.exportNames = new Map();
    for (const key of Object.keys(table.shapes)) {
      const f = Object.prototype.hasOwnProperty.call(exports, key) ? exports[key] : undefined;
      if (typeof f === 'function' && !mod.exportNames.has(f)) mod.exportNames.set(f, key);
    }
  }
  const exported = mod.exportNames.get(fn);
  return exported === undefined ? undefined : exportedShape(mod, exported);
}

/** The table's shape of the converter exported as `name`, or undefined when the table or the export lacks it. */
function exportedShape(mod: L1Module, name: string): Shape | undefined {
  const cached = mod.exportedShapes.get(name);
  if (cached) return cached;
  const table = tableOf(mod);
  const entry = table !== null && Object.prototype.hasOwnProperty.call(table.shapes, name) ? table.shapes[name] : undefined;
  const fn = Object.prototype.hasOwnProperty.call(mod.exports, name) ? mod.exports[name] : undefined;
  if (entry === undefined || typeof fn !== 'function') return undefined;
  const shape = decodeShape(entry, fn as (obj: Json) => Json, mod);
  mod.exportedShapes.set(name, shape);
  return shape;
}

/** The shape of a form from a table: the table's, else the converter exported under that name, parsed. */
function exportedFormShape(form: TypedForm): Shape {
  const shape = exportedShape(form.mod, form.fn);
  if (shape) return shape;
  const fn = Object.prototype.hasOwnProperty.call(form.mod.exports, form.fn) ? form.mod.exports[form.fn] : undefined;
  const local = typeof fn === 'function' ? sourceName(fn) : undefined;
  if (!local) throw new UseToJson(`no converter named ${form.fn} in the class's module`);
  return l1Shape(form.mod, local);
}

function shapeTableOf(exports: Record<string, unknown>): L1ShapeTable | null {
  if (!Object.prototype.hasOwnProperty.call(exports, L1_SHAPES)) return null;
  const t = (exports as Record<symbol, unknown>)[L1_SHAPES] as L1ShapeTable | undefined;
  return t !== null && typeof t === 'object' && t.format === L1_SHAPE_TABLE_FORMAT && t.shapes !== null && typeof t.shapes === 'object' ? t : null;
}

/** A shape as a table entry; `nameOf` gives the name to write for a converter a field names. */
function encodeShape(shape: Shape, nameOf: (form: TypedForm) => string = (form) => form.fn): 0 | L1FieldEntry[] {
  if ('opaque' in shape) return 0;
  return shape.fields.map((f) => {
    if (f.form.kind === 'value' && f.json === f.prop) return f.prop;
    const e: string[] = [f.prop, f.form.kind];
    if ('fn' in f.form) e.push(nameOf(f.form));
    if (f.json !== f.prop) e.push(f.json);
    return e;
  });
}

/** A table entry as the walk's shape; the converters its fields name are export names of `mod`. */
function decodeShape(entry: 0 | readonly L1FieldEntry[], fn: (obj: Json) => Json, mod: L1Module): Shape {
  if (entry === 0) return { opaque: fn };
  const list: Field[] = [];
  const props = new Map<string, number>();
  for (let i = 0; i < entry.length; i++) {
    const e = entry[i];
    let field: Field;
    if (typeof e === 'string') field = { json: e, prop: e, form: VALUE };
    else {
      const kind = e[1] as FieldForm['kind'];
      if (!FIELD_KINDS.has(kind)) throw new Error(`precomputed L1 shape: unknown field kind ${kind}`);
      const typedKind = TYPED_KINDS.has(kind);
      const form = (typedKind ? { kind, fn: e[2] as string, mod, exported: true } : { kind }) as FieldForm;
      field = { json: (e[typedKind ? 3 : 2] as string | undefined) ?? (e[0] as string), prop: e[0] as string, form };
    }
    list.push(field);
    props.set(field.prop, i);
  }
  return { fields: list, props };
}

const VALUE: FieldForm = { kind: 'value' };

/**
 * Build time: the shape of every converter module `exports` defines, by the parse and probe check the walk uses
 * (bin/builder writes it into the sliced k8s module). Reads nothing the module carries already, and keeps nothing.
 * @internal
 */
export function l1ShapeTable(exports: object): L1ShapeTable {
  const mod = newL1Module(exports);
  mod.table = null;
  const exportOf = new Map<Function, string>();
  for (const key of Object.keys(mod.exports).filter((k) => k.startsWith('toJson_')).sort()) {
    const f = mod.exports[key];
    if (typeof f === 'function' && sourceName(f) && !exportOf.has(f)) exportOf.set(f, key);
  }
  // Names as the module exports them (in the slice as written, the names the converters' source gives them).
  const exportName = (form: TypedForm): string => {
    const f = converter(mod, form.fn);
    const name = f && exportOf.get(f);
    if (!name) throw new Error(`l1ShapeTable: the converter ${form.fn} a field names is not exported by the module`);
    return name;
  };
  const shapes: Record<string, 0 | L1FieldEntry[]> = {};
  for (const [f, name] of exportOf) shapes[name] = encodeShape(l1Shape(mod, sourceName(f)!), exportName);
  return { format: L1_SHAPE_TABLE_FORMAT, shapes };
}

/**
 * The shape the walk uses for converter `name` of `exports` (from its table when it carries one), encoded as a table
 * entry; for tests. With `parse`, read from the source even when the module carries a table.
 * @internal
 */
export function l1ShapeEntry(exports: object, name: string, parse = false): 0 | L1FieldEntry[] {
  const mod = newL1Module(exports);
  if (parse) mod.table = null;
  return encodeShape(l1Shape(mod, name));
}

/** How many `sameAsConverter` checks are running (a shape's check may reach other shapes still unchecked). */
let checking = 0;

/**
 * Checks a parsed shape against the converter itself: one probe object with a distinct value in every field, of the
 * kind the field's form expects, must come out of the converter exactly as the walk renders it (same keys, same order,
 * same values). A source this misread is then used as it is, never followed.
 */
function sameAsConverter(fn: (obj: Json) => Json, list: readonly Field[]): boolean {
  const probe: Record<string, Json> = {};
  list.forEach((f, i) => {
    const v = `probe-${i}`;
    const k = f.form.kind;
    probe[f.prop] = k === 'value' ? v : k === 'type' || k === 'arrayOf' || k === 'mapOf' ? (k === 'arrayOf' ? [] : {}) : k === 'array' ? [v] : k === 'union' ? { value: v } : k === 'map' ? { [v]: v } : k === 'mapUnion' ? { [v]: { value: v } } : k === 'mapArray' ? { [v]: [v] } : undefined;
  });
  checking++;
  try {
    return JSON.stringify(fn(probe)) === JSON.stringify(fields(probe, { fields: list, props: new Map(list.map((f, i) => [f.prop, i])) }, NO_EXTRA));
  } catch (e) {
    if (e instanceof UseToJson) return false;
    throw e;
  } finally {
    checking--;
  }
}

interface L1Class {
  readonly mod: L1Module;
  /** The props converter its `toJson()` calls. */
  readonly fn: string;
  readonly gvk: { apiVersion: string; kind: string };
}

const classConverters = new WeakMap<object, L1Class | null>();

/** What an L1 class's `toJson()` does, or null for a class this cannot follow. */
function l1ClassOf(owner: Function & { GVK?: { apiVersion: string; kind: string } }): L1Class | null {
  let found = classConverters.get(owner);
  if (found !== undefined) return found;
  found = null;
  const mod = l1ModuleOf(owner);
  const m = /^toJson\(\)\{(?:const|let|var) ([\w$]+)=super\.toJson\(\);return\{\.\.\.[\w$]+\.GVK,\.\.\.(toJson_[\w$]+)\(\1\),?\};?\}$/.exec(normalizedSource(owner.prototype.toJson));
  const gvk = owner.GVK;
  if (mod && m && gvk && Object.keys(gvk).join(',') === 'apiVersion,kind' && typeof gvk.apiVersion === 'string' && typeof gvk.kind === 'string') found = { mod, fn: m[2], gvk };
  classConverters.set(owner, found);
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// The walk.

/**
 * True while no built-in prototype of a primitive has a `resolve` or `value` property (which cdk8s's resolvers would
 * act on): then a string, number or boolean resolves to itself, and the walk skips the resolvers for it.
 */
const PRIMITIVES_RESOLVE_TO_THEMSELVES = [String.prototype, Number.prototype, Boolean.prototype].every((p) => !('resolve' in p) && !('value' in p));

/** Applies the default resolvers until none changes the value (cdk8s resolves a replacement again). */
function resolveValue(v: Json): Json {
  const t = typeof v;
  if ((t === 'string' || t === 'number' || t === 'boolean') && PRIMITIVES_RESOLVE_TO_THEMSELVES) return v;
  for (;;) {
    if (v === null || v === undefined) return v;
    if (v instanceof Lazy) {
      v = v.produce();
      continue;
    }
    if (typeof v.resolve === 'function') {
      v = v.resolve();
      continue;
    }
    if (v.constructor !== Object && (typeof v.value === 'number' || typeof v.value === 'string')) {
      v = { value: v.value };
      continue;
    }
    return v;
  }
}

// The walk runs on every object of every synth, in V8's interpreter (the synth runs with --no-opt), where each call,
// iterator step and comparator call costs: loops are indexed (no `for...of`, which steps an iterator object per item),
// strings, numbers and booleans return before any resolver call, and field indices are kept sorted by insertion on one
// shared stack instead of an array and a comparator sort per object.

/** Resolve and sanitize: nulls dropped from objects, keys sorted. Exactly what cdk8s does before an L1 conversion. */
function plain(raw: Json): Json {
  const t = typeof raw;
  if ((t === 'string' || t === 'number' || t === 'boolean') && PRIMITIVES_RESOLVE_TO_THEMSELVES) return raw;
  const v = resolveValue(raw);
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  if (v.constructor !== Object) throw new UseToJson(`a class instance where cdk8s expects plain data`);
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  const out: Record<string, Json> = {};
  for (let n = 0; n < keys.length; n++) {
    const k = keys[n];
    const c = plain(v[k]);
    if (c !== null && c !== undefined) out[k] = c;
  }
  return out;
}

function plainObject(raw: Json): Json {
  const v = resolveValue(raw);
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || v.constructor !== Object) throw new UseToJson(`a value that is not a plain object where the L1 type expects one`);
  return v;
}

function plainArray(raw: Json): Json[] | undefined {
  const v = resolveValue(raw);
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v)) throw new UseToJson(`a value that is not an array where the L1 type expects one`);
  return v;
}

/** The shape a typed form converts with: `l1Shape` once, then kept on the form (not while a shape is being checked). */
function formShape(form: TypedForm): Shape {
  if (form.shape) return form.shape;
  const shape = form.exported ? exportedFormShape(form) : l1Shape(form.mod, form.fn);
  // While `sameAsConverter` probes a shape, the shapes it reaches may still turn out opaque: only settled ones are kept.
  if (checking === 0) form.shape = shape;
  return shape;
}

/** A value of L1 type `form.fn`: its fields in the converter's order. */
function typed(raw: Json, form: TypedForm): Json {
  const shape = form.shape ?? formShape(form);
  if ('opaque' in shape) {
    const v = plain(raw);
    return v === undefined ? undefined : shape.opaque(v);
  }
  // A plain object is its own resolved value (what resolveValue and plainObject check, without the two calls).
  const v = raw !== null && typeof raw === 'object' && raw.constructor === Object && !(raw instanceof Lazy) && typeof raw.resolve !== 'function' ? raw : plainObject(raw);
  if (v === undefined) return undefined;
  return fields(v, shape, NO_EXTRA);
}

const NO_EXTRA = (): boolean => false;

/**
 * Field indices of the objects being walked, one run per `fields` call on the stack of calls: a call's run holds the
 * indices of the props its object holds, in the converter's order. Each call restores `top` when it returns; a walk
 * that throws leaves it where it was, so `render` starts every object at 0.
 */
const order: number[] = [];
let top = 0;

/**
 * The fields of `v` in the converter's order. Only the props `v` holds are visited (an absent prop renders nothing
 * in any form), so a PodSpec with 5 of its 40 fields costs 5. A prop the type does not know makes the walk use
 * toJson(), unless `extra(k)` allows it (apiVersion and kind at the top). The fields are added to `out`.
 */
function fields(
  v: Record<string, Json>,
  shape: { readonly fields: readonly Field[]; readonly props: ReadonlyMap<string, number> },
  extra: (k: string) => boolean | undefined,
  out: Record<string, Json> = {},
): Record<string, Json> {
  const props = shape.props;
  const base = top;
  for (const k in v) {
    const i = props.get(k);
    if (i === undefined) {
      if (!extra(k)) throw new UseToJson(`a field the L1 type does not know (${k})`);
      continue;
    }
    // Insertion into the sorted run (props are usually written in about the converter's order).
    let j = top++;
    while (j > base && order[j - 1] > i) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  const end = top;
  const list = shape.fields;
  for (let n = base; n < end; n++) {
    const f = list[order[n]];
    const raw = v[f.prop];
    const t = typeof raw;
    // A string, number or boolean in a plain field is its own value (what field() and plain() return for it).
    const c = f.form.kind === 'value' && (t === 'string' || t === 'number' || t === 'boolean') && PRIMITIVES_RESOLVE_TO_THEMSELVES ? raw : field(raw, f.form);
    if (c !== undefined) out[f.json] = c;
  }
  top = base;
  return out;
}

function field(raw: Json, form: FieldForm): Json {
  switch (form.kind) {
    case 'value':
      return plain(raw);
    case 'type':
      return typed(raw, form);
    case 'array':
      return plainArray(raw)?.map(plain);
    case 'arrayOf': {
      const a = plainArray(raw);
      // cdk8s sanitizes first: a null item becomes undefined, which the converter passes through.
      return a?.map((x) => typed(x, form));
    }
    case 'union': {
      const v = plain(raw);
      return v === undefined ? undefined : v.value;
    }
    case 'date':
      if (plain(raw) !== undefined) throw new UseToJson(`a date field`);
      return undefined;
    default:
      return map(raw, form);
  }
}

function map(raw: Json, form: FieldForm): Json {
  const v = plainObject(raw);
  if (v === undefined) return undefined;
  const out: Record<string, Json> = {};
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  for (let n = 0; n < keys.length; n++) {
    const k = keys[n];
    let c: Json;
    if (form.kind === 'mapOf') c = typed(v[k], form);
    else {
      c = plain(v[k]);
      if (c !== undefined && form.kind === 'mapUnion') c = c.value;
      else if (c !== undefined && form.kind === 'mapArray') {
        if (!Array.isArray(c)) throw new UseToJson(`a map value that is not an array where the L1 type expects one`);
        c = [...c];
      }
    }
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** The metadata fields cdk8s sets over the construct's own (`ApiObjectMetadataDefinition.toJson()`). */
const METADATA_OWN = ['name', 'namespace', 'annotations', 'finalizers', 'ownerReferences', 'labels'];

/**
 * `ApiObjectMetadataDefinition.toJson()`: its attributes with name, namespace, annotations, finalizers, owner
 * references and labels over them, resolved and sanitized with empty objects and arrays dropped at every level (keys
 * sorted, so the merge order does not matter).
 */
function metadataJson(meta: ApiObjectMetadataDefinition): Json {
  const m = meta as unknown as Record<string, Json> & { _additionalAttributes?: Record<string, Json> };
  const attrs = m._additionalAttributes;
  if (!attrs || typeof attrs !== 'object') throw new UseToJson(`metadata without the attributes cdk8s keeps`);
  const keys = Object.keys(attrs);
  for (const k of METADATA_OWN) if (!keys.includes(k)) keys.push(k);
  keys.sort();
  const out: Record<string, Json> = {};
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const c = pruned(METADATA_OWN.includes(k) ? m[k] : attrs[k]);
    if (c !== null && c !== undefined) {
      out[k] = c;
      n++;
    }
  }
  return n === 0 ? undefined : out;
}

function pruned(raw: Json): Json {
  const t = typeof raw;
  if ((t === 'string' || t === 'number' || t === 'boolean') && PRIMITIVES_RESOLVE_TO_THEMSELVES) return raw;
  const v = resolveValue(raw);
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(pruned);
  if (v.constructor !== Object) throw new UseToJson(`a class instance in metadata`);
  const out: Record<string, Json> = {};
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const c = pruned(v[k]);
    if (c !== null && c !== undefined) {
      out[k] = c;
      n++;
    }
  }
  return n === 0 ? undefined : out;
}

const defaultResolvers = new WeakMap<App, boolean>();

/** True when the app resolves with exactly cdk8s's default resolvers (custom ones make the walk use `toJson()`). */
function hasDefaultResolvers(app: App): boolean {
  let ok = defaultResolvers.get(app);
  if (ok === undefined) {
    const r = app.resolvers;
    ok = r.length === 3 && r[0].constructor.name === 'LazyResolver' && r[1].constructor.name === 'ImplicitTokenResolver' && r[2].constructor.name === 'NumberStringUnionResolver';
    defaultResolvers.set(app, ok);
  }
  return ok;
}

/** The class whose `toJson` an object uses. */
function toJsonOwner(o: object): Function | undefined {
  for (let p = Object.getPrototypeOf(o); p; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, 'toJson')) return p.constructor;
  }
  return undefined;
}

function render(o: ApiObject, app: App): Json {
  top = 0;
  if (process.env.CDK8S_DISABLE_SORT || !hasDefaultResolvers(app)) throw new UseToJson(`custom resolvers or CDK8S_DISABLE_SORT`);
  const internals = o as unknown as { props?: Record<string, Json>; patches?: unknown[] };
  if (!Array.isArray(internals.patches) || internals.patches.length > 0 || !internals.props || typeof internals.props !== 'object') throw new UseToJson(`JSON patches`);
  const owner = toJsonOwner(o);
  if (!owner) throw new UseToJson(`no toJson method`);
  const data: Record<string, Json> = { ...internals.props, metadata: metadataJson(o.metadata) };
  if (owner === ApiObject) {
    // A plain ApiObject: apiVersion, kind and metadata first, then the rest, each resolved and sorted.
    const json = plain(data);
    const out: Record<string, Json> = {};
    for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(json)]) if (k in json && !(k in out)) out[k] = json[k];
    return out;
  }
  if (Object.getPrototypeOf(owner.prototype) !== ApiObject.prototype) throw new UseToJson(`a toJson override below the L1 class`);
  const l1 = l1ClassOf(owner as Function & { GVK?: { apiVersion: string; kind: string } });
  if (!l1) throw new UseToJson(`a class whose toJson is not the generated L1 one, or from an unregistered module`);
  const shape = l1Shape(l1.mod, l1.fn);
  if ('opaque' in shape) throw new UseToJson(`an L1 converter whose source is not one of the generated shapes (${l1.fn})`);
  for (const k in data) {
    if (!shape.props.has(k) && k !== 'apiVersion' && k !== 'kind') throw new UseToJson(`a top-level field the L1 type does not know (${k})`);
  }
  // apiVersion and kind are resolved as cdk8s does (then replaced by the class's GVK, as its toJson does).
  plain(data.apiVersion);
  plain(data.kind);
  // The fields go straight into the object that starts with the GVK (what Object.assign of the two gave).
  return fields(data, shape, TOP_EXTRA, { apiVersion: l1.gvk.apiVersion, kind: l1.gvk.kind });
}

/** The props an L1 object may hold beyond its type's fields: the GVK, which its toJson() replaces. */
const TOP_EXTRA = (k: string): boolean => k === 'apiVersion' || k === 'kind';

/**
 * How an object was rendered: by the one-pass walk, or by its own `toJson()`.
 * @internal
 */
export type RenderPath = 'walk' | 'toJson';

/**
 * How an object was rendered, and, when by `toJson()`, why.
 * @internal
 */
export interface RenderOutcome {
  /** The object's JSON, equal to what its `toJson()` returns. */
  readonly json: Json;
  /** Which path rendered it. */
  readonly path: RenderPath;
  /**
   * Why the walk could not vouch for the object (set when `path` is `toJson`).
   * @default - none: the walk rendered it
   */
  readonly reason?: string;
}

/**
 * The JSON of one API object: equal to `o.toJson()` (same keys, same order, same values), rendered in one pass
 * where possible. `app` is the object's app (passed by callers that render many objects).
 * @internal
 */
export function renderApiObject(o: ApiObject, app?: App): Json {
  // Inside a render pass the objects that are read before their release renders them (workloads for the
  // NetworkPolicies, Services and Ingresses for the wiring and the node-port check) are rendered once: readers share
  // the JSON (and must not change it) until `takeRenderedApiObject` hands it to the release.
  return passMemo(o, RENDERED, () => renderApiObjectWithPath(o, app ?? (App.of(o) as App)).json);
}

/**
 * `renderApiObject` for the caller that owns the result (and may change it): inside a render pass, the JSON already
 * rendered for readers, which the pass then forgets.
 * @internal
 */
export function takeRenderedApiObject(o: ApiObject, app?: App): Json {
  return passTake(o, RENDERED, () => renderApiObjectWithPath(o, app ?? (App.of(o) as App)).json);
}

const RENDERED = 'rendered';

/**
 * `renderApiObject`, and which path rendered it (for tests).
 * @internal
 */
export function renderApiObjectWithPath(o: ApiObject, app: App = App.of(o) as App): RenderOutcome {
  try {
    return { json: render(o, app), path: 'walk' };
  } catch (e) {
    if (!(e instanceof UseToJson)) throw e;
    return { json: o.toJson(), path: 'toJson', reason: e.reason };
  }
}
