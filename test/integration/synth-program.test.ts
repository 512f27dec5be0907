import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

// The synth program as users start it: compiled JavaScript through bin/synth.js, never a TypeScript loader, with no
// stale fast path. This runs the real `cdk8s synth` in a copy of the project whose construct source was edited after
// the build, and checks that the edit reaches dist/ without a manual rebuild; then the same for the shipped schema,
// the V8 code cache, and the compiled bundle's render paths.
const ROOT = path.join(__dirname, '..', '..');
const { CDK8S_OUTDIR: _outdir, OPS_KIT_TIMINGS: _timings, ...inherited } = process.env;
const env = { ...inherited, CDK8S_CHECK_UPGRADE: 'false' };

function copyProject(to: string): void {
  for (const d of ['lib', 'apps', 'bench', 'bin', 'imports', 'schemas', 'build']) fs.cpSync(path.join(ROOT, d), path.join(to, d), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json', 'cdk8s.yaml', 'plugin.js']) fs.copyFileSync(path.join(ROOT, f), path.join(to, f));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'), 'dir');
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('the compiled synth program (bin/synth.js)', () => {
  let tmp: string;
  let project: string;
  beforeAll(() => {
    // A build of the checkout as it is now, so the copy starts current.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-program-'));
    project = path.join(tmp, 'project');
    fs.mkdirSync(project);
    copyProject(project);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('cdk8s.yaml and npm run synth start compiled JavaScript', () => {
    // No node flags (bin/synth.js sets V8's itself, see withSynthFlags); the benchmark reads them from package.json.
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.synth).toBe('node bin/synth.js');
    const app = fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8').split('\n').find((l) => l.startsWith('app: '));
    expect(app).toBe(`app: ${pkg.scripts.synth}`);
    expect(pkg.scripts.prepare).toBe('node bin/build.js');
    for (const f of ['bin/synth.js', 'plugin.js']) expect(fs.readFileSync(path.join(ROOT, f), 'utf8')).not.toMatch(/tsx|ts-node/);
  });

  test('an edited construct source reaches dist/ through cdk8s synth, rebuilt on the way, no manual build', () => {
    const source = path.join(project, 'lib', 'nats', 'config.ts');
    const text = fs.readFileSync(source, 'utf8');
    const marker = 'Edited in a copy of the project after it was built.';
    expect(text).toContain('Do not edit: change the construct props and synthesize again.');
    fs.writeFileSync(source, text.replace('Do not edit: change the construct props and synthesize again.', marker));
    const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth'], { cwd: project, env, encoding: 'utf8', timeout: 300_000 });
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    expect(r.stderr).toContain('synth: rebuilding build/synth/ (lib/nats/config.ts changed)');
    expect(r.stdout).toContain('Validations ended succesfully');
    expect(fs.readFileSync(path.join(project, 'dist', 'iot-fleet', 'configmap-iot-fleet-nats.yaml'), 'utf8')).toContain(`# ${marker}`);
    // The next run is current: no rebuild, same bytes.
    const again = spawnSync(process.execPath, ['bin/synth.js', '--quiet'], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test("an edited program file of an app (read through __dirname) reaches dist/ through cdk8s synth, no manual build", () => {
    // apps/dimtensor.ts mounts serve.py from a ConfigMap; the bundle reads its copy in build/synth/dimtensor/.
    const program = path.join(project, 'apps', 'dimtensor', 'serve.py');
    const marker = '# Edited in a copy of the project after it was built.';
    fs.writeFileSync(program, `${marker}\n${fs.readFileSync(program, 'utf8')}`);
    const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth'], { cwd: project, env, encoding: 'utf8', timeout: 300_000 });
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    expect(r.stderr).toContain('synth: rebuilding build/synth/ (apps/dimtensor/serve.py changed)');
    expect(fs.readFileSync(path.join(project, 'build', 'synth', 'dimtensor', 'serve.py'), 'utf8')).toBe(fs.readFileSync(program, 'utf8'));
    expect(fs.readFileSync(path.join(project, 'dist', 'dimtensor-inference', 'configmap-dimtensor-inference-config.yaml'), 'utf8')).toContain(`    ${marker}\n`);
    // A copy beside the bundle that went missing is restored before the synth reads it.
    fs.rmSync(path.join(project, 'build', 'synth', 'dimtensor'), { recursive: true });
    const again = spawnSync(process.execPath, ['bin/synth.js', '--quiet'], { cwd: project, env, encoding: 'utf8', timeout: 300_000 });
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: 'synth: rebuilding build/synth/ (build/synth/dimtensor/analyze.py is gone)\n' });
    expect(fs.readFileSync(path.join(project, 'dist', 'dimtensor-inference', 'configmap-dimtensor-inference-config.yaml'), 'utf8')).toContain(`    ${marker}\n`);
  });

  test('a regenerated schema file regenerates the validators (their key is its hash) and the output stays the same', () => {
    const schema = path.join(project, 'schemas', 'kubernetes-1.28.0.json.gz');
    // The same definitions, compressed at another level: new bytes, same meaning.
    fs.writeFileSync(schema, zlib.gzipSync(zlib.gunzipSync(fs.readFileSync(schema)), { level: 1 }));
    const out = path.join(tmp, 'out-schema');
    const r = spawnSync(process.execPath, ['bin/synth.js', '--quiet', '--out', out], { cwd: project, env, encoding: 'utf8', timeout: 300_000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: 'synth: rebuilding build/synth/ (schemas/kubernetes-1.28.0.json.gz changed)\n' });
    const generated = fs.readFileSync(path.join(project, 'build', 'lib', 'verify', 'generated', 'validators.js'), 'utf8');
    expect(generated).toContain(`"schemaSha256":"${sha256(schema)}"`);
    expect(fs.readFileSync(path.join(out, 'iot-fleet', 'statefulset-iot-fleet-nats.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(project, 'dist', 'iot-fleet', 'statefulset-iot-fleet-nats.yaml'), 'utf8'));
  });

  test('a code cache from another node binary or a corrupt one is ignored silently and written again', () => {
    const dir = path.join(project, 'build', 'synth');
    const caches = () => fs.readdirSync(dir).filter((f) => f.startsWith('main.') && f.endsWith('.v8cache'));
    const run = () => spawnSync(process.execPath, ['bin/synth.js', '--quiet', '--only', 'iot-fleet', '--out', path.join(tmp, 'out-cache')], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
    expect(run().status).toBe(0);
    // Named after the bundle, this node (no flags) and the selection of apps (`--only iot-fleet`); other runs wrote the others.
    const named = new RegExp(`^main\\.[0-9a-f]{16}\\.${process.version.replace(/\./g, '\\.')}-${process.arch}~[0-9a-f]{8}\\.v8cache$`);
    expect(caches().filter((f) => named.test(f))).toHaveLength(1);
    const cache = caches().find((f) => named.test(f))!;
    const expected = fs.readFileSync(path.join(tmp, 'out-cache', 'iot-fleet', 'configmap-iot-fleet-nats.yaml'), 'utf8');
    fs.writeFileSync(path.join(dir, cache), Buffer.alloc(4096, 7));
    const r = run();
    expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ status: 0, stderr: '', stdout: '' });
    expect(fs.readFileSync(path.join(dir, cache)).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(fs.readFileSync(path.join(tmp, 'out-cache', 'iot-fleet', 'configmap-iot-fleet-nats.yaml'), 'utf8')).toBe(expected);
  });

  test('each selection of apps has its own code cache, written by its first run; the output folder and --quiet do not count', () => {
    const dir = path.join(project, 'build', 'synth');
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.v8cache'))) fs.rmSync(path.join(dir, f));
    const caches = () => fs.readdirSync(dir).filter((f) => f.startsWith('main.') && f.endsWith('.v8cache')).sort();
    const run = (...args: string[]) => spawnSync(process.execPath, ['bin/synth.js', ...args], { cwd: project, env, encoding: 'utf8', timeout: 300_000 });
    expect(run('--quiet', '--out', path.join(tmp, 'out-all')).status).toBe(0);
    const [all] = caches();
    expect(all).toMatch(/^main\.[0-9a-f]{16}\.v[\d.]+-\w+\.v8cache$/);
    expect(run('--only', 'iot-fleet', '--out', path.join(tmp, 'out-iot')).status).toBe(0);
    const iot = caches().find((f) => f !== all)!;
    expect(iot).toBe(all.replace(/\.v8cache$/, `~${createHash('sha256').update('--only\0iot-fleet').digest('hex').slice(0, 8)}.v8cache`));
    // Another output folder and --quiet reuse the selection's cache (no third file, the first two unchanged).
    const before = caches().map((f) => sha256(path.join(dir, f)));
    expect(run('--only', 'iot-fleet', '--quiet', '--out', path.join(tmp, 'out-iot-2')).status).toBe(0);
    expect(caches()).toEqual([all, iot].sort());
    expect(caches().map((f) => sha256(path.join(dir, f)))).toEqual(before);
    // The smaller selection's cache holds less code: a run of one app does not read the code of all the others.
    expect(fs.statSync(path.join(dir, iot)).size).toBeLessThan(fs.statSync(path.join(dir, all)).size);
    expect(fs.readFileSync(path.join(tmp, 'out-iot-2', 'iot-fleet', 'configmap-iot-fleet-nats.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(tmp, 'out-all', 'iot-fleet', 'configmap-iot-fleet-nats.yaml'), 'utf8'));
  });

  test('in the compiled bundle every object renders in one pass and through the YAML emitter, identical to cdk8s', () => {
    const r = spawnSync(process.execPath, ['bin/synth.js', '--program', 'bench', 'paths'], { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
    expect(r.status).toBe(0);
    const counts = JSON.parse(r.stdout) as Record<string, number>;
    expect(Object.keys(counts).filter((k) => !k.startsWith('render walk: ') && k !== 'yaml emitter')).toEqual([]);
    expect(counts['yaml emitter']).toBeGreaterThan(200);
  });
});
