import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// bin/synth.js decides before every run whether the compiled bundle still matches its sources. These tests drive
// that decision on a scratch tree; test/integration/synth-program.test.ts edits a real copy of the project.
const launcher = require('../../bin/synth.js') as {
  readManifest(root: string): Manifest | undefined;
  staleReason(manifest: Manifest | undefined, root: string): string | undefined;
  sourceText(bytes: Buffer): string;
};

interface Entry { path: string; size: number; mtimeMs: number; sha256: string }
interface Manifest { format: number; inputs: Entry[]; outputs: Record<string, Entry>; assets: Entry[] }

function entry(root: string, rel: string): Entry {
  const full = path.join(root, rel);
  const st = fs.statSync(full);
  return { path: rel, size: st.size, mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(fs.readFileSync(full)).digest('hex') };
}

describe('bin/synth.js: is the compiled program current?', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-launcher-'));
    fs.mkdirSync(path.join(root, 'lib'));
    fs.mkdirSync(path.join(root, 'build', 'synth'), { recursive: true });
    fs.writeFileSync(path.join(root, 'lib', 'a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(root, 'build', 'synth', 'main.js'), 'exports.main = () => 0;\n');
    // An app's program file (read through __dirname) and its copy beside the bundle.
    fs.mkdirSync(path.join(root, 'apps', 'demo'), { recursive: true });
    fs.mkdirSync(path.join(root, 'build', 'synth', 'demo'), { recursive: true });
    fs.writeFileSync(path.join(root, 'apps', 'demo', 'serve.py'), 'print("hi")\n');
    fs.copyFileSync(path.join(root, 'apps', 'demo', 'serve.py'), path.join(root, 'build', 'synth', 'demo', 'serve.py'));
    const manifest: Manifest = {
      format: 2,
      inputs: [entry(root, 'lib/a.ts'), entry(root, 'apps/demo/serve.py')],
      outputs: { main: entry(root, 'build/synth/main.js') },
      assets: [entry(root, 'build/synth/demo/serve.py')],
    };
    fs.writeFileSync(path.join(root, 'build', 'synth', 'inputs.json'), JSON.stringify(manifest));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const stale = () => launcher.staleReason(launcher.readManifest(root), root);

  test('current when nothing changed', () => {
    expect(stale()).toBeUndefined();
  });

  test('current when a file was only touched (same bytes, new mtime), and the new mtime is remembered', () => {
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, 'lib', 'a.ts'), later, later);
    expect(stale()).toBeUndefined();
    expect(launcher.readManifest(root)!.inputs[0].mtimeMs).toBe(fs.statSync(path.join(root, 'lib', 'a.ts')).mtimeMs);
  });

  test('stale when a source changed, even with its old size and mtime restored', () => {
    const file = path.join(root, 'lib', 'a.ts');
    const before = fs.statSync(file);
    fs.writeFileSync(file, 'export const a = 2;\n');
    expect(stale()).toBe('lib/a.ts changed');
    // An editor or a checkout that keeps the size and sets an older mtime is still caught by the hash.
    fs.utimesSync(file, before.atime, new Date(before.mtimeMs - 5_000));
    expect(stale()).toBe('lib/a.ts changed');
  });

  test('stale when a source is gone, when the bundle was changed, or when there is no manifest', () => {
    fs.rmSync(path.join(root, 'lib', 'a.ts'));
    expect(stale()).toBe('lib/a.ts is gone');
    fs.writeFileSync(path.join(root, 'lib', 'a.ts'), 'export const a = 1;\n');
    fs.appendFileSync(path.join(root, 'build', 'synth', 'main.js'), '// edited by hand\n');
    expect(stale()).toBe('build/synth/main.js changed');
    fs.rmSync(path.join(root, 'build', 'synth', 'inputs.json'));
    expect(stale()).toBe('it has not been built in this checkout');
  });

  test("stale when an app's program file changed, or its copy beside the bundle is gone or changed", () => {
    fs.writeFileSync(path.join(root, 'apps', 'demo', 'serve.py'), 'print("bye")\n');
    expect(stale()).toBe('apps/demo/serve.py changed');
    fs.writeFileSync(path.join(root, 'apps', 'demo', 'serve.py'), 'print("hi")\n');
    expect(stale()).toBeUndefined();
    fs.writeFileSync(path.join(root, 'build', 'synth', 'demo', 'serve.py'), 'print("hi!")\n');
    expect(stale()).toBe('build/synth/demo/serve.py changed');
    fs.rmSync(path.join(root, 'build', 'synth', 'demo', 'serve.py'));
    expect(stale()).toBe('build/synth/demo/serve.py is gone');
  });

  test('a manifest of another format is not trusted (an older build without the asset copies is rebuilt)', () => {
    const file = path.join(root, 'build', 'synth', 'inputs.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), format: 1 }));
    expect(stale()).toBe('it has not been built in this checkout');
  });
});

describe('bin/synth.js: reading a bundle', () => {
  test('ASCII bytes give the same text as UTF-8 decoding (read as latin1, without decoding)', () => {
    const text = 'exports.main = () => "\\u00e9t\\u00e9";\n// every ASCII byte: ' + Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
    expect(launcher.sourceText(Buffer.from(text, 'utf8'))).toBe(text);
  });

  test('bytes that are not all ASCII are decoded as UTF-8 (latin1 would turn them into other characters)', () => {
    const text = 'exports.name = "\u00e9t\u00e9 \u2713 \u{1F680}";\n';
    const bytes = Buffer.from(text, 'utf8');
    expect(bytes.toString('latin1')).not.toBe(text);
    expect(launcher.sourceText(bytes)).toBe(text);
  });
});
