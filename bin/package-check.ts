/**
 * What `npm publish` would upload, checked against what the package is meant to hold:
 *
 *   npm run build && npm run package:check
 *
 * The intended files are derived from the sources, not listed by hand: the compiled `.js` and `.d.ts` of every module
 * in lib/ and imports/, the schema validators the build generates (the module and the part files it names), the
 * vendored CRDs and schemas, the validation plugin's entry point, README, LICENSE and package.json. A file missing
 * from the dry run (a module the `files` globs miss) or one the dry run adds (a test, an app, a stale build output, a
 * source map) fails the check, naming each file.
 * Exit codes: 0 the lists agree, 1 they differ, 2 the dry run failed.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GENERATED_VALIDATORS } from '../lib/verify/schema-generated';

/** The files a package built from `root` should contain, sorted. */
export function intendedFiles(root: string): string[] {
  const out = ['package.json', 'README.md', 'LICENSE', 'plugin.js', 'plugin.d.ts'];
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = `${dir}/${e.name}`;
      return e.isDirectory() ? walk(rel) : [rel];
    });
  for (const top of ['lib', 'imports']) {
    for (const f of walk(top)) {
      if (!f.endsWith('.ts') || f.endsWith('.d.ts')) continue;
      const base = f.slice(0, -'.ts'.length);
      out.push(`build/${base}.js`, `build/${base}.d.ts`);
    }
  }
  // The validators bin/build.js generates from the shipped schema: the module, and the files it loads on first use.
  out.push(GENERATED_VALIDATORS);
  const generated = path.join(root, GENERATED_VALIDATORS);
  if (fs.existsSync(generated)) {
    const parts = (require(generated) as { parts?: Record<string, string> }).parts ?? {};
    for (const file of Object.values(parts)) out.push(path.posix.join(path.posix.dirname(GENERATED_VALIDATORS), file));
  }
  for (const f of walk('imports/crds')) if (f.endsWith('.yaml')) out.push(f);
  for (const f of walk('schemas')) if (f.endsWith('.json.gz')) out.push(f);
  return out.sort();
}

/** The files `npm publish --dry-run` lists for the package in `root`, sorted. */
export function publishedFiles(root: string): string[] {
  const json = execFileSync('npm', ['publish', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf-8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const parsed = JSON.parse(json);
  const result = parsed.files ? parsed : Object.values(parsed)[0];
  return (result as { files: Array<{ path: string }> }).files.map((f) => f.path).sort();
}

/** Files only one side has. */
export function compareFileLists(intended: readonly string[], published: readonly string[]): { missing: string[]; unexpected: string[] } {
  const pub = new Set(published);
  const want = new Set(intended);
  return { missing: intended.filter((f) => !pub.has(f)), unexpected: published.filter((f) => !want.has(f)) };
}

function main(): number {
  const root = path.resolve(__dirname, '..');
  let published: string[];
  try {
    published = publishedFiles(root);
  } catch (e) {
    process.stderr.write(`package-check: npm publish --dry-run failed: ${(e as Error).message}\n`);
    return 2;
  }
  const { missing, unexpected } = compareFileLists(intendedFiles(root), published);
  if (!missing.length && !unexpected.length) {
    process.stdout.write(`package-check: npm publish would upload exactly the ${published.length} intended files\n`);
    return 0;
  }
  for (const f of missing) process.stderr.write(`missing from the package: ${f} (run npm run build; check "files" in package.json)\n`);
  for (const f of unexpected) process.stderr.write(`not meant to be published: ${f} (remove it from build/ or narrow "files" in package.json)\n`);
  return 1;
}

if (require.main === module) process.exit(main());
