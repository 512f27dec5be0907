import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));

describe('package.json', () => {
  test('says where the project lives: repository, homepage, bugs', () => {
    expect(pkg.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/) });
    const web = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(pkg.homepage).toBe(`${web}#readme`);
    expect(pkg.bugs).toEqual({ url: `${web}/issues` });
  });

  test('ships what the library reads at run time: compiled code, schemas, its own CRDs, the plugin', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['build/lib/**/*.js', 'build/lib/**/*.d.ts', 'schemas/*.json.gz', 'imports/crds/*.yaml', 'plugin.js']));
    expect(pkg.exports['.']).toEqual({ types: './build/lib/index.d.ts', default: './build/lib/index.js' });
    expect(pkg.exports['./plugin'].default).toBe('./plugin.js');
  });
});

describe('the CI consumer project (.ci/consumer, run by .ci/consumer.sh)', () => {
  const consumer = JSON.parse(fs.readFileSync(path.join(ROOT, '.ci', 'consumer', 'package.json'), 'utf8'));

  test('pins exactly the versions this repository installs (so its install comes from the npm cache)', () => {
    const deps: Record<string, string> = { ...consumer.dependencies, ...consumer.devDependencies };
    delete deps['cdk8s-ops-kit'];
    expect(Object.keys(deps).sort()).toEqual(['@types/jest', '@types/node', 'cdk8s', 'cdk8s-cli', 'constructs', 'jest', 'typescript']);
    for (const [name, version] of Object.entries(deps)) {
      expect({ name, version }).toEqual({ name, version: lock.packages[`node_modules/${name}`].version });
    }
    expect(consumer.dependencies['cdk8s-ops-kit']).toBe('file:./cdk8s-ops-kit.tgz');
  });

  test('imports the library through its package entry points only (cdk8s-ops-kit, cdk8s-ops-kit/plugin)', () => {
    const files = ['src/main.ts', 'src/plugin-types.ts', 'test/main.test.ts'];
    const imports = files.flatMap((f) => [...fs.readFileSync(path.join(ROOT, '.ci', 'consumer', f), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]));
    expect(imports).toEqual(expect.arrayContaining(['cdk8s-ops-kit', 'cdk8s-ops-kit/plugin']));
    expect(imports.filter((i) => i.includes('ops-kit') && !['cdk8s-ops-kit', 'cdk8s-ops-kit/plugin'].includes(i))).toEqual([]);
    expect(imports.filter((i) => i.startsWith('.') && !i.startsWith('../src/'))).toEqual([]);
  });

  test('loads the validation plugin from the package, by path (offline)', () => {
    const text = fs.readFileSync(path.join(ROOT, '.ci', 'consumer', 'cdk8s.yaml'), 'utf8');
    expect(text).toContain('package: ./node_modules/cdk8s-ops-kit/plugin.js');
    expect(text).toContain('output: .cdk8s-out');
  });
});
