/**
 * The typed Kubernetes L1 classes the library uses, cut out of cdk8s-plus-28's generated `lib/imports/k8s.js`.
 *
 * That file defines all of Kubernetes 1.28 (582 exports, 2.7 MB); loading it costs about as much as the rest of a synth
 * together, and even a V8 code cache does not help (the cache is 2.3 MB itself). The library uses a few dozen classes.
 * This keeps the top-level statements that the used names need, transitively (a class, its `toJson_*` converters, its
 * GVK and RTTI assignments, the enums they name), in their original order, and nothing else. It reads the installed
 * package at build time and writes a derived file under build/: cdk8s-plus-28 itself is not changed or forked.
 *
 * What "used" means: every `k8s.<Name>` in the bundle's sources (ours, and the cdk8s-plus-28 modules that get bundled).
 * A name the scan misses (`const { KubeJob } = k8s`) still works: the synth bundle's `k8s` object falls back to the
 * complete file for any name the slice does not hold (see buildSlice in bin/builder/index.ts).
 */
import Module = require('module');
import * as path from 'path';
import * as ts from 'typescript';
import { L1_SHAPES, l1ShapeTable } from '../../lib/release/render';

/** The statements of `source` that `roots` need, as one CommonJS module that exports every kept declaration. */
export interface L1Slice {
  readonly code: string;
  /** Names the module defines (classes, functions, enums), sorted. */
  readonly names: readonly string[];
  /** Roots that the source does not define at run time (interfaces and types: nothing to keep). */
  readonly typeOnly: readonly string[];
}

interface TopLevel {
  readonly node: ts.Statement;
  /** Names this statement declares (class, function, var). */
  readonly declares: readonly string[];
  /** The name a statement belongs to (`X.GVK = ...`, `X[_a] = ...`, an enum's IIFE, `exports.X = X`). */
  readonly attachedTo?: string;
  /** True for `exports.X = X`: kept when X is. */
  readonly isExport: boolean;
  readonly refs: ReadonlySet<string>;
}

function rootIdentifier(e: ts.Expression): string | undefined {
  let x = e;
  while (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = x.expression;
  return ts.isIdentifier(x) ? x.text : undefined;
}

function describe(node: ts.Statement): TopLevel {
  const refs = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) refs.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  if (ts.isClassDeclaration(node) || ts.isFunctionDeclaration(node)) {
    return { node, declares: node.name ? [node.name.text] : [], isExport: false, refs };
  }
  if (ts.isVariableStatement(node)) {
    const declares = node.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
    return { node, declares, isExport: false, refs };
  }
  if (ts.isExpressionStatement(node)) {
    const e = node.expression;
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = rootIdentifier(e.left);
      if (left === 'exports') {
        // `exports.X = X;` (one export) or `exports.A = exports.B = ... = void 0;` (TypeScript's hoisting: dropped).
        const right = ts.isIdentifier(e.right) ? e.right.text : undefined;
        return { node, declares: [], attachedTo: right, isExport: right !== undefined, refs };
      }
      return { node, declares: [], attachedTo: left, isExport: false, refs };
    }
    // An enum: `(function (X) { ... })(X || (exports.X = X = {}));`
    if (ts.isCallExpression(e) && e.arguments.length === 1) {
      const arg = e.arguments[0];
      if (ts.isBinaryExpression(arg) && ts.isIdentifier(arg.left)) return { node, declares: [], attachedTo: arg.left.text, isExport: false, refs };
    }
    // `Object.defineProperty(exports, "__esModule", ...)`: always kept.
    return { node, declares: [], attachedTo: 'exports', isExport: false, refs };
  }
  throw new Error(`l1-slice: unexpected top-level ${ts.SyntaxKind[node.kind]} in the generated k8s module; the slicer needs updating`);
}

/**
 * Cuts `source` (the text of cdk8s-plus-28's `lib/imports/k8s.js`) down to what `roots` need. Throws when the file does
 * not have the shape this expects, so a cdk8s-plus-28 upgrade that changes it fails the build instead of the synth.
 */
export function sliceL1(source: string, roots: Iterable<string>): L1Slice {
  const sf = ts.createSourceFile('k8s.js', source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  const stmts = sf.statements.map(describe);
  const declaredBy = new Map<string, number>();
  stmts.forEach((s, i) => s.declares.forEach((d) => declaredBy.set(d, i)));
  const attached = new Map<string, number[]>();
  stmts.forEach((s, i) => {
    if (s.attachedTo && !s.isExport) attached.set(s.attachedTo, [...(attached.get(s.attachedTo) ?? []), i]);
  });

  const kept = new Set<number>();
  const names = new Set<string>();
  const typeOnly: string[] = [];
  const queue: string[] = [];
  for (const r of roots) {
    if (declaredBy.has(r)) queue.push(r);
    else typeOnly.push(r);
  }
  const keepStatement = (i: number) => {
    if (kept.has(i)) return;
    kept.add(i);
    for (const ref of stmts[i].refs) if (declaredBy.has(ref) && !names.has(ref)) queue.push(ref);
  };
  while (queue.length) {
    const name = queue.pop()!;
    if (names.has(name)) continue;
    names.add(name);
    keepStatement(declaredBy.get(name)!);
    for (const i of attached.get(name) ?? []) keepStatement(i);
  }
  // Statements that belong to the module itself (`__esModule`) and RTTI temporaries (`_a = JSII_RTTI_SYMBOL_1`) whose
  // variable a kept statement uses.
  stmts.forEach((s, i) => {
    if (s.attachedTo === 'exports' && !s.isExport && s.declares.length === 0 && !ts.isBinaryExpression((s.node as ts.ExpressionStatement).expression)) kept.add(i);
  });
  const parts: string[] = [];
  stmts.forEach((s, i) => {
    if (kept.has(i)) parts.push(source.slice(s.node.getStart(sf), s.node.end));
  });
  // One export per kept class, function and enum, in place of the original `exports.X = X` lines.
  const runtime = [...names].filter((n) => {
    const s = stmts[declaredBy.get(n)!];
    if (ts.isClassDeclaration(s.node) || ts.isFunctionDeclaration(s.node)) return true;
    return s.declares.length === 1 && attached.has(n) && !ts.isVariableStatement(stmts[attached.get(n)![0]].node);
  }).sort();
  parts.push(...runtime.map((n) => `exports.${n} = ${n};`));
  return { code: `"use strict";\n${parts.join('\n')}\n`, names: runtime, typeOnly: typeOnly.sort() };
}

/** Every `k8s.<Name>` member access in a source text. */
export function l1Names(text: string): string[] {
  return [...text.matchAll(/\bk8s\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
}

/** Evaluates a slice's code as the CommonJS module at `filename` (its `require`s resolve from there); its exports. */
export function evaluateSlice(code: string, filename: string): Record<string, unknown> {
  type Compilable = NodeModule & { _compile(code: string, file: string): void };
  const M = Module as unknown as { new (id: string): Compilable; _nodeModulePaths(dir: string): string[] };
  const m = new M(filename);
  m.filename = filename;
  m.paths = M._nodeModulePaths(path.dirname(filename));
  m._compile(code, filename);
  return m.exports as Record<string, unknown>;
}

/**
 * The statement appended to a slice's code that gives the module its precomputed converter shapes (the walk's
 * `L1_SHAPES` property, see lib/release/render.ts): `l1ShapeTable` of the functions this very code defines, evaluated
 * as the module at `filename`. Non-writable and non-configurable, so nothing replaces it after the module is loaded.
 */
export function shapeTableStatement(code: string, filename: string): { statement: string; converters: number } {
  const table = l1ShapeTable(evaluateSlice(code, filename));
  const statement = `Object.defineProperty(exports, Symbol.for(${JSON.stringify(Symbol.keyFor(L1_SHAPES))}), { value: ${JSON.stringify(table)} });\n`;
  return { statement, converters: Object.keys(table.shapes).length };
}
