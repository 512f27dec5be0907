import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Runs the real `cdk8s synth` (cdk8s-cli from node_modules, offline) with the verification layer loaded as a local
// validation plugin through cdk8s.yaml, the way an operator or CI would. Slow (CLI start-up plus two synths), so it
// lives with the integration tests.
const ROOT = path.join(__dirname, '..', '..');
const CDK8S = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'verify');
const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
const PROGRAM = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'bin', 'synth.js'))}`;

/** Every file below `dir` with its bytes, for byte-for-byte comparisons. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

describe('cdk8s synth with the verification plugin', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-cdk8s-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the CommonJS shim loads the compiled plugin in a plain node process', () => {
    const r = spawnSync(process.execPath, ['-e', "const m = require('./plugin.js'); process.stdout.write(typeof new m.OpsKitValidation({}).validate)"], { cwd: ROOT, encoding: 'utf-8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('function');
  });

  test('the project app synthesizes and passes the plugin; the app writes dist/ itself, the CLI\'s folder is a scratch copy', () => {
    expect(fs.existsSync(CDK8S)).toBe(true);
    const out = path.join(tmp, 'dist');
    const scratch = path.join(tmp, 'scratch');
    // The project's cdk8s.yaml, with the app writing into tmp instead of the checkout's dist/.
    const r = spawnSync(CDK8S, ['synth', '--output', scratch, '--app', `${PROGRAM} --out ${out}`], { cwd: ROOT, env, encoding: 'utf-8', timeout: 120_000 });
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    expect(r.stdout).toContain('Performing validations');
    expect(r.stdout).toContain('Validations ended succesfully');
    const files = listFiles(out);
    expect(files.filter((f) => f.endsWith('construct-metadata.json'))).toEqual([]);
    for (const f of files) {
      expect({ f, ok: f.startsWith('_reports/') || f.endsWith('.yaml') || f === '.ops-kit-output' }).toEqual({ f, ok: true });
    }
    expect(snapshot(scratch)).toEqual(snapshot(out));
  });

  test('fails when the app fails under cdk8s synth, and the previous dist/ stays byte-identical', () => {
    const out = path.join(tmp, 'dist');
    const before = snapshot(out);
    expect(Object.keys(before).length).toBeGreaterThan(10);
    const r = spawnSync(CDK8S, ['synth', '--output', path.join(tmp, 'scratch'), '--app', `${PROGRAM} --only no-such-app --out ${out}`], {
      cwd: ROOT, env, encoding: 'utf-8', timeout: 120_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`'--only' is ["no-such-app"]`);
    expect(snapshot(out)).toEqual(before);
  });

  test('fails (exit 2) with a readable report when an app writes a broken manifest', () => {
    const project = path.join(tmp, 'broken-app');
    fs.mkdirSync(project);
    const fixture = path.join(FIXTURES, 'broken', 'secret-env--literal.yaml');
    // A minimal "app" that writes one release folder holding the broken fixture.
    fs.writeFileSync(path.join(project, 'app.js'), [
      "const fs = require('fs'); const path = require('path');",
      "const out = process.env.CDK8S_OUTDIR; fs.mkdirSync(path.join(out, 'shop'), { recursive: true });",
      `fs.copyFileSync(${JSON.stringify(fixture)}, path.join(out, 'shop', 'all.yaml'));`,
    ].join('\n'));
    fs.writeFileSync(path.join(project, 'cdk8s.yaml'), [
      'language: typescript',
      `app: ${JSON.stringify(`${process.execPath} app.js`)}`,
      'output: dist',
      'validations:',
      `  - package: ${JSON.stringify(path.join(ROOT, 'plugin.js'))}`,
      '    version: 0.1.0',
      '    class: OpsKitValidation',
      '',
    ].join('\n'));
    const r = spawnSync(CDK8S, ['synth'], { cwd: project, env, encoding: 'utf-8', timeout: 120_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('secret-env');
    expect(r.stdout).toContain('Deployment/shop/web: container "web" env DB_PASSWORD looks like a credential but comes from a literal value');
    expect(r.stdout).toContain('spec.template.spec.containers[0].env[0]');
    expect(r.stderr).toContain('Validation failed');
  });
});
