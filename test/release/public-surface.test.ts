import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

// The package's public API is named on purpose in lib/index.ts; everything else a module exports (for its siblings)
// is marked @internal. This keeps the two in step: a new export must be made public or marked internal.
const ROOT = path.join(__dirname, '..', '..');
// Every module of lib/, not only those lib/index.ts reaches: a module nothing public imports is checked too.
const libFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? libFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
const program = ts.createProgram(libFiles(path.join(ROOT, 'lib')), { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, noEmit: true });
const checker = program.getTypeChecker();

function exportsOf(file: string): Map<string, ts.Declaration | undefined> {
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error(`${file} is not part of the program`);
  const out = new Map<string, ts.Declaration | undefined>();
  const mod = checker.getSymbolAtLocation(sf);
  for (const s of mod ? checker.getExportsOfModule(mod) : []) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    out.set(s.name, target.declarations?.[0]);
  }
  return out;
}

const isInternal = (d: ts.Declaration | undefined) => !!d && ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal');
const where = (d: ts.Declaration | undefined) => (d ? path.relative(ROOT, d.getSourceFile().fileName) : '?');

describe('public surface', () => {
  const index = exportsOf(path.join(ROOT, 'lib', 'index.ts'));
  const modules = program.getSourceFiles()
    .map((f) => f.fileName)
    .filter((f) => f.startsWith(path.join(ROOT, 'lib') + path.sep) && !f.endsWith(`${path.sep}index.ts`));

  test('lib/index.ts names its exports (no export *)', () => {
    const text = program.getSourceFile(path.join(ROOT, 'lib', 'index.ts'))!.getFullText();
    expect(text).not.toMatch(/export \*/);
    expect(index.size).toBeGreaterThan(300);
  });

  test('every export of a lib module is public (in lib/index.ts) or marked @internal, never both', () => {
    const undecided: string[] = [];
    const both: string[] = [];
    for (const m of modules) {
      for (const [name, decl] of exportsOf(m)) {
        if (where(decl) !== path.relative(ROOT, m)) continue; // re-exported from elsewhere
        const pub = index.has(name) && index.get(name) === decl;
        if (!pub && !isInternal(decl)) undecided.push(`${where(decl)}: ${name}`);
        if (pub && isInternal(decl)) both.push(`${where(decl)}: ${name}`);
      }
    }
    expect({ undecided, both }).toEqual({ undecided: [], both: [] });
  });
});
