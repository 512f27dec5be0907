import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { holdsText, OUTPUT_MARKER, OutputWriteError, writeDist } from '../../lib/release';

// The node module object: the library's `import * as fs` reads through to it, so a spy here is seen there.
const nodeFs = require('fs') as typeof fs;
const ROOT = path.join(__dirname, '..', '..');

/** Every file and folder below `dir` with its bytes (folders as null), so two snapshots compare byte for byte. */
function tree(dir: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (e.isDirectory()) {
        out[rel] = null;
        walk(full);
      } else out[rel] = fs.readFileSync(full).toString('base64');
    }
  };
  walk(dir);
  return out;
}

const files = (n: number, tag = 'v2'): Map<string, string> =>
  new Map(Array.from({ length: n }, (_, i) => [`app/configmap-c${i}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\ndata:\n  tag: ${tag}\n`]));

function ioError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, syscall });
}

describe('writeDist (atomic output)', () => {
  let parent: string;
  let out: string;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-write-'));
    out = path.join(parent, 'dist');
    writeDist(out, files(5, 'v1'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  test('writes exactly the files plus the marker, and replaces the previous output whole', () => {
    expect(Object.keys(tree(out))).toEqual([OUTPUT_MARKER, 'app', ...[0, 1, 2, 3, 4].map((i) => `app/configmap-c${i}.yaml`)]);
    expect(fs.readFileSync(path.join(out, OUTPUT_MARKER), 'utf8')).toMatch(/^# Written by cdk8s-ops-kit/);
    writeDist(out, new Map([['other/x.yaml', 'a: 1\n']]));
    expect(Object.keys(tree(out))).toEqual([OUTPUT_MARKER, 'other', 'other/x.yaml']);
    // No staging or retired copy is left beside it.
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  for (const code of ['ENOSPC', 'EFBIG', 'EIO']) {
    test(`fails when a write fails midway with ${code}: the previous output stays byte-identical`, () => {
      const before = tree(out);
      const real = nodeFs.writeFileSync;
      let calls = 0;
      jest.spyOn(nodeFs, 'writeFileSync').mockImplementation(((...args: Parameters<typeof fs.writeFileSync>) => {
        // The marker and two manifests succeed; the third manifest hits the error.
        if (++calls === 4) throw ioError(code, 'write');
        return real(...args);
      }) as typeof fs.writeFileSync);
      let error: unknown;
      try {
        writeDist(out, files(5));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OutputWriteError);
      expect((error as Error).message).toBe(`could not write ${out} (${code}: ${code}: simulated failure, write); the previous contents of ${out} are unchanged`);
      expect(calls).toBe(4);
      expect(tree(out)).toEqual(before);
      expect(fs.readdirSync(parent)).toEqual(['dist']);
    });
  }

  test('fails when the staging directory cannot be created (EACCES): the previous output stays byte-identical', () => {
    const before = tree(out);
    jest.spyOn(nodeFs, 'mkdtempSync').mockImplementation(() => {
      throw ioError('EACCES', 'mkdtemp');
    });
    expect(() => writeDist(out, files(5))).toThrow(/could not write .*dist \(EACCES: .*\); the previous contents of .*dist are unchanged/);
    expect(tree(out)).toEqual(before);
  });

  test('fails when the swap itself fails: the previous output is put back', () => {
    const before = tree(out);
    const real = nodeFs.renameSync;
    let calls = 0;
    jest.spyOn(nodeFs, 'renameSync').mockImplementation(((from: fs.PathLike, to: fs.PathLike) => {
      // 1: dist -> retired copy (succeeds), 2: staging -> dist (fails), 3: retired copy -> dist (restores).
      if (++calls === 2) throw ioError('EXDEV', 'rename');
      return real(from, to);
    }) as typeof fs.renameSync);
    expect(() => writeDist(out, files(5))).toThrow(OutputWriteError);
    expect(calls).toBe(3);
    expect(tree(out)).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  test('fails when the output directory is not empty and carries no marker, and touches nothing', () => {
    const mine = path.join(parent, 'mine');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'notes.md'), 'my notes\n');
    expect(() => writeDist(mine, files(1))).toThrow(
      `'outdir' is ${JSON.stringify(mine)}, but it is not empty and holds no ${OUTPUT_MARKER} marker, so this library did not write it (or a version before the marker did): ` +
        `move it away, or if it is synth output, mark it with \`touch ${path.join(mine, OUTPUT_MARKER)}\`; allowed: a directory that holds only synthesized manifests (such as dist/), or a new one`,
    );
    expect(tree(mine)).toEqual({ 'notes.md': Buffer.from('my notes\n').toString('base64') });
    expect(fs.readdirSync(parent).sort()).toEqual(['dist', 'mine']);
  });

  test('fails when the output path is a file', () => {
    const file = path.join(parent, 'file');
    fs.writeFileSync(file, 'x');
    expect(() => writeDist(file, files(1))).toThrow(/but it exists and is not a directory/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('an empty directory and a missing one may be written; missing parents are created', () => {
    const empty = path.join(parent, 'empty');
    fs.mkdirSync(empty);
    writeDist(empty, files(1));
    writeDist(path.join(parent, 'a', 'b', 'new'), files(1));
    expect(fs.existsSync(path.join(empty, 'app', 'configmap-c0.yaml'))).toBe(true);
    expect(fs.existsSync(path.join(parent, 'a', 'b', 'new', OUTPUT_MARKER))).toBe(true);
  });

  test('copies a killed synth left beside the output are removed; anything else beside it is not', () => {
    const staging = path.join(parent, '.dist.ops-kit-new-AbC123');
    fs.mkdirSync(staging);
    fs.writeFileSync(path.join(staging, OUTPUT_MARKER), '');
    const foreign = path.join(parent, '.dist.ops-kit-old-ZZZ999');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'keep'), 'not ours: no marker');
    writeDist(out, files(1));
    expect(fs.readdirSync(parent).sort()).toEqual(['.dist.ops-kit-old-ZZZ999', 'dist']);
  });
});

describe('writeDist skips what is unchanged, and stays atomic', () => {
  let parent: string;
  let out: string;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-unchanged-'));
    out = path.join(parent, 'dist');
    writeDist(out, files(5, 'v1'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  const inode = (rel: string) => fs.statSync(path.join(out, rel)).ino;

  test('an output that already holds exactly these files is left as it is: nothing written, renamed or removed', () => {
    const before = tree(out);
    const inodes = [0, 1, 2, 3, 4].map((i) => inode(`app/configmap-c${i}.yaml`));
    const writes = jest.spyOn(nodeFs, 'writeFileSync');
    const renames = jest.spyOn(nodeFs, 'renameSync');
    const staging = jest.spyOn(nodeFs, 'mkdtempSync');
    writeDist(out, files(5, 'v1'));
    expect([writes.mock.calls.length, renames.mock.calls.length, staging.mock.calls.length]).toEqual([0, 0, 0]);
    expect(tree(out)).toEqual(before);
    expect([0, 1, 2, 3, 4].map((i) => inode(`app/configmap-c${i}.yaml`))).toEqual(inodes);
  });

  test('nested folders: an identical output is left as it is; a folder no file lives in any more is not "unchanged"', () => {
    const nested = files(3, 'v1');
    nested.set('_reports/app/NOTES.txt', 'notes\n');
    nested.set('_reports/app/deep/er/verify.txt', 'ok\n');
    writeDist(out, nested);
    const before = tree(out);
    const renames = jest.spyOn(nodeFs, 'renameSync');
    writeDist(out, nested);
    expect(renames.mock.calls.length).toBe(0);
    expect(tree(out)).toEqual(before);
    nested.delete('_reports/app/deep/er/verify.txt');
    writeDist(out, nested);
    expect(renames.mock.calls.length).toBeGreaterThan(0);
    expect(Object.keys(tree(out)).filter((k) => k.startsWith('_reports'))).toEqual(['_reports', '_reports/app', '_reports/app/NOTES.txt']);
  });

  test('unchanged files are linked into the new output, changed ones written, and the whole is swapped in', () => {
    const kept = inode('app/configmap-c0.yaml');
    const next = files(5, 'v1');
    next.set('app/configmap-c4.yaml', 'changed\n');
    const writes = jest.spyOn(nodeFs, 'writeFileSync');
    writeDist(out, next);
    // The marker and the one changed file; the four unchanged ones are hard links to the previous output's files.
    expect(writes.mock.calls.map((c) => path.basename(String(c[0])))).toEqual([OUTPUT_MARKER, 'configmap-c4.yaml']);
    expect(inode('app/configmap-c0.yaml')).toBe(kept);
    expect(fs.readFileSync(path.join(out, 'app/configmap-c4.yaml'), 'utf8')).toBe('changed\n');
    expect(fs.statSync(path.join(out, 'app/configmap-c0.yaml')).nlink).toBe(1);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  test('fails when the one changed file cannot be written: the previous output stays byte-identical, links and all', () => {
    const before = tree(out);
    const next = files(5, 'v1');
    next.set('app/configmap-c2.yaml', 'changed\n');
    const real = nodeFs.writeFileSync;
    jest.spyOn(nodeFs, 'writeFileSync').mockImplementation(((...args: Parameters<typeof fs.writeFileSync>) => {
      if (String(args[0]).endsWith('configmap-c2.yaml')) throw ioError('ENOSPC', 'write');
      return real(...args);
    }) as typeof fs.writeFileSync);
    expect(() => writeDist(out, next)).toThrow(OutputWriteError);
    expect(tree(out)).toEqual(before);
    expect(fs.statSync(path.join(out, 'app/configmap-c0.yaml')).nlink).toBe(1);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  test('a file edited by hand, a stray file and an empty folder are not "unchanged": the output is replaced whole', () => {
    fs.writeFileSync(path.join(out, 'app', 'configmap-c1.yaml'), 'edited by hand\n');
    writeDist(out, files(5, 'v1'));
    expect(fs.readFileSync(path.join(out, 'app', 'configmap-c1.yaml'), 'utf8')).toContain('tag: v1');
    fs.writeFileSync(path.join(out, 'app', 'stray.yaml'), 'x: 1\n');
    fs.mkdirSync(path.join(out, 'gone'));
    writeDist(out, files(5, 'v1'));
    expect(Object.keys(tree(out))).toEqual([OUTPUT_MARKER, 'app', ...[0, 1, 2, 3, 4].map((i) => `app/configmap-c${i}.yaml`)]);
  });

  test('a filesystem without hard links gets the unchanged files written instead', () => {
    const next = files(5, 'v1');
    next.set('app/configmap-c4.yaml', 'changed\n');
    jest.spyOn(nodeFs, 'linkSync').mockImplementation(() => {
      throw ioError('EPERM', 'link');
    });
    const before = inode('app/configmap-c0.yaml');
    writeDist(out, next);
    expect(inode('app/configmap-c0.yaml')).not.toBe(before);
    expect(fs.readFileSync(path.join(out, 'app/configmap-c0.yaml'), 'utf8')).toContain('tag: v1');
    expect(fs.readFileSync(path.join(out, 'app/configmap-c4.yaml'), 'utf8')).toBe('changed\n');
  });
});

describe('holdsText (is an existing file already these bytes?)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-holds-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Buffer) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };

  test('true exactly when the file holds the UTF-8 bytes of the text, whatever the text holds', () => {
    const texts = ['', 'a: 1\n', 'name: caf\u00e9 \u03a9\n', 'emoji: \u{1F600}\n', 'replacement: \uFFFD\n', 'lone: \uD800 end\n', '\uFEFFbom: 1\n'];
    texts.forEach((text, i) => {
      const bytes = Buffer.from(text, 'utf8');
      expect({ text, same: holdsText(file(`t${i}`, bytes), text) }).toEqual({ text, same: true });
      for (const other of [Buffer.concat([bytes, Buffer.from('\n')]), bytes.subarray(0, Math.max(0, bytes.length - 1)), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])]) {
        if (other.equals(bytes)) continue;
        expect({ text, other: other.toString('hex'), same: holdsText(file(`o${i}`, other), text) }).toEqual({ text, other: other.toString('hex'), same: false });
      }
    });
  });

  test('invalid UTF-8 in the file is never taken for the U+FFFD it decodes to', () => {
    // 0xff is no UTF-8 byte, and an encoded surrogate (ed a0 80) is not valid UTF-8: both decode to U+FFFD.
    expect(holdsText(file('ff', Buffer.from([0x61, 0xff, 0x0a])), 'a\uFFFD\n')).toBe(false);
    expect(holdsText(file('surrogate', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x0a])), 'a\uFFFD\n')).toBe(false);
    expect(holdsText(file('latin1', Buffer.from('caf\u00e9\n', 'latin1')), 'caf\u00e9\n')).toBe(false);
  });
});

describe('npm run synth --out', () => {
  test('fails when --out names a non-empty directory without the marker, and leaves it untouched', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-out-'));
    try {
      fs.writeFileSync(path.join(dir, 'thesis.tex'), 'years of work\n');
      const { CDK8S_OUTDIR: _ignored, ...env } = process.env;
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'synth.js'), '--only', 'iot-fleet', '--out', dir], {
        cwd: ROOT, encoding: 'utf8', timeout: 120_000, env,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`synth failed; nothing was written to ${dir}/`);
      expect(r.stderr).toContain(`'outdir' is ${JSON.stringify(dir)}, but it is not empty and holds no ${OUTPUT_MARKER} marker`);
      expect(fs.readdirSync(dir)).toEqual(['thesis.tex']);
      expect(fs.readFileSync(path.join(dir, 'thesis.tex'), 'utf8')).toBe('years of work\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
