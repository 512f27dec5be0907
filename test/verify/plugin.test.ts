import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { OpsKitValidation, ValidationPluginContext } from '../../lib/verify';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'verify');
const ROOT = path.join(__dirname, '..', '..');

function fakeContext(manifests: string[]) {
  type Resource = { resourceName: string; locations: readonly string[]; manifestPath: string };
  const violations: Array<{ ruleName: string; recommendation: string; fix: string; violatingResources: ReadonlyArray<Resource> }> = [];
  const logs: string[] = [];
  let status: string | undefined;
  let metadata: Readonly<Record<string, string>> | undefined;
  const context: ValidationPluginContext = {
    manifests,
    logger: { log: (m) => logs.push(m) },
    report: { addViolation: (v) => violations.push(v), submit: (s, m) => { status = s; metadata = m; } },
  };
  return { context, violations, logs, status: () => status, metadata: () => metadata };
}

describe('cdk8s validation plugin', () => {
  test('cdk8s.yaml declares it as a local plugin with an exact version and the exported class', () => {
    const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf-8'));
    const entry = config.validations.find((v: { package: string }) => v.package === './plugin.js');
    expect(entry).toMatchObject({ class: 'OpsKitValidation' });
    expect(entry.version).toMatch(/^\d+\.\d+\.\d+$/);
    // The shim is plain CommonJS: in a checkout it loads the plugin's compiled bundle through bin/synth.js (rebuilt when
    // a source changed; test/integration/cdk8s-plugin.test.ts loads it in a real node process and runs `cdk8s synth`
    // with it), in the package the compiled library. Neither loads TypeScript.
    const shim = fs.readFileSync(path.join(ROOT, 'plugin.js'), 'utf-8');
    expect(shim).toContain("launcher.load(launcher.ensureBuilt(), 'plugin')");
    expect(shim).toContain("require('./build/lib/verify/plugin.js')");
    expect(shim).not.toContain('tsx');
  });

  test('the package publishes it as cdk8s-ops-kit/plugin and ships the file', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf-8'));
    expect(pkg.exports['./plugin']).toEqual({ types: './plugin.d.ts', default: './plugin.js' });
    expect(pkg.files).toEqual(expect.arrayContaining(['plugin.js', 'plugin.d.ts']));
  });

  test('cdk8s.yaml sends the CLI\'s output to a scratch folder (the CLI deletes it first), never to dist/', () => {
    const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf-8'));
    expect(config.output).toBe('.cdk8s-out');
    expect(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf-8')).toContain('.cdk8s-out/');
  });

  test('submits failure with one violation per finding, naming object, file and field', async () => {
    const file = path.join(FIXTURES, 'broken', 'non-root--uid-0.yaml');
    const f = fakeContext([file]);
    await new OpsKitValidation().validate(f.context);
    expect(f.status()).toBe('failure');
    expect(f.violations).toHaveLength(1);
    expect(f.violations[0]).toMatchObject({
      ruleName: 'non-root',
      recommendation: 'Deployment/shop/web: container "web" runs as uid 0',
      violatingResources: [{ resourceName: 'Deployment/shop/web', manifestPath: file, locations: ['spec.template.spec.containers[0].securityContext.runAsUser'] }],
    });
    expect(f.metadata()).toMatchObject({ releases: '1', objects: '4', violations: '1' });
  });

  test('submits success and logs exceptions and externals for clean releases; each folder is one release', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-plugin-'));
    try {
      for (const [rel, fixture] of [['a', 'non-root--declared-exception.yaml'], ['b', 'schema--base.yaml']]) {
        fs.mkdirSync(path.join(dir, rel));
        // Both fixtures render shop/web; in two releases they must live in two namespaces.
        const text = fs.readFileSync(path.join(FIXTURES, 'clean', fixture), 'utf-8');
        fs.writeFileSync(path.join(dir, rel, 'all.yaml'), rel === 'b' ? text.replace(/namespace: shop$/gm, 'namespace: shop-b') : text);
      }
      const f = fakeContext([path.join(dir, 'b', 'all.yaml'), path.join(dir, 'a', 'all.yaml')]);
      await new OpsKitValidation().validate(f.context);
      expect(f.status()).toBe('success');
      expect(f.violations).toEqual([]);
      expect(f.metadata()).toMatchObject({ releases: '2', objects: '8', violations: '0', exceptions: '1' });
      expect(f.logs.join('\n')).toContain('Deployment/shop/web  non-root: the GPU engine image writes root-owned NFS exports');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails when two release folders hold the same object', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-plugin-'));
    try {
      for (const rel of ['a', 'b']) {
        fs.mkdirSync(path.join(dir, rel));
        fs.copyFileSync(path.join(FIXTURES, 'clean', 'schema--base.yaml'), path.join(dir, rel, 'all.yaml'));
      }
      const f = fakeContext([path.join(dir, 'a', 'all.yaml'), path.join(dir, 'b', 'all.yaml')]);
      await new OpsKitValidation().validate(f.context);
      expect(f.status()).toBe('failure');
      expect(new Set(f.violations.map((v) => v.ruleName))).toEqual(new Set(['duplicate-object']));
      expect(f.violations[0].recommendation).toMatch(/is also rendered by release b/);
      expect(f.violations[0].violatingResources[0].manifestPath).toBe(path.join(dir, 'a', 'all.yaml'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reports a verify-error instead of crashing when verification cannot run', async () => {
    const f = fakeContext([path.join(FIXTURES, 'clean', 'schema--base.yaml')]);
    await new OpsKitValidation({ schemaPath: '/nonexistent.json' }).validate(f.context);
    expect(f.status()).toBe('failure');
    expect(f.violations[0]).toMatchObject({ ruleName: 'verify-error', recommendation: expect.stringContaining('Kubernetes schema not found at /nonexistent.json') });
  });
});
