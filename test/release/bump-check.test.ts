import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { API_REPORT, apiBump, requiredVersion, run, versionAtLeast } from '../../bin/bump-check';

/** A Deployment manifest of the fixture release. */
function deployment(selector: string, image: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    '  namespace: shop',
    'spec:',
    '  replicas: 2',
    '  selector:',
    '    matchLabels:',
    `      app.kubernetes.io/name: ${selector}`,
    '  template:',
    '    metadata:',
    '      labels:',
    `        app.kubernetes.io/name: ${selector}`,
    '    spec:',
    '      containers:',
    '        - name: web',
    `          image: ${image}`,
    '',
  ].join('\n');
}

const API = ['## API Report File for "cdk8s-ops-kit"', '', '```ts', 'export class Shop {', '    constructor(name: string);', '}', '```', ''].join('\n');

describe('bump check (a fixture repository with one recorded release)', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  };
  const check = () => {
    let out = '';
    let err = '';
    const code = run(repo, (t) => (out += t), (t) => (err += t));
    return { code, out, err };
  };

  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-bump-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.invalid');
    git('config', 'user.name', 'ci');
    write('package.json', JSON.stringify({ name: 'fixture', version: '0.1.0' }));
    write('dist/shop/deployment-web.yaml', deployment('web', 'registry.example/web:1.0.0'));
    write(API_REPORT, API);
    git('add', '-A');
    git('commit', '-q', '-m', 'release 0.1.0');
    write('releases.json', JSON.stringify({ releases: [{ version: '0.1.0', commit: git('rev-parse', 'HEAD') }] }));
    git('add', '-A');
    git('commit', '-q', '-m', 'record release 0.1.0');
  });

  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  test('nothing changed since the release: the released version is enough', () => {
    const r = check();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no change to dist\/ or the public API since the release/);
  });

  test('fails when a Deployment selector changed and the version is not a major bump (0.x: 0.2.0)', () => {
    write('dist/shop/deployment-web.yaml', deployment('shop-web', 'registry.example/web:1.0.0'));
    const r = check();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/upgrading an existing release breaks 1 object\(s\) \(major.*Deployment\/shop\/web/);
    expect(r.err).toMatch(/package.json's version 0\.1\.0 is lower than 0\.2\.0/);
    // a minor-sized bump is still not enough
    write('package.json', JSON.stringify({ name: 'fixture', version: '0.1.1' }));
    expect(check().code).toBe(1);
    write('package.json', JSON.stringify({ name: 'fixture', version: '0.2.0' }));
    expect(check().code).toBe(0);
  });

  test('a new image is a minor change: 0.1.1 is enough, 0.1.0 is not', () => {
    write('dist/shop/deployment-web.yaml', deployment('web', 'registry.example/web:1.1.0'));
    const r = check();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the rendered output changes \(minor.*1 changed/);
    write('package.json', JSON.stringify({ name: 'fixture', version: '0.1.1' }));
    expect(check().code).toBe(0);
  });

  test('a removed API member is major even when dist/ is unchanged', () => {
    write(API_REPORT, API.replace('    constructor(name: string);\n', ''));
    const r = check();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/removes or narrows 1 declaration line\(s\) \(major\), for example: constructor\(name: string\);/);
  });

  test('fails with exit code 2 when releases.json names no full commit', () => {
    write('releases.json', JSON.stringify({ releases: [{ version: '0.1.0', commit: 'abc' }] }));
    const r = check();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/commit of 0\.1\.0 is "abc", not a full sha/);
  });
});

describe('bump arithmetic', () => {
  test('before 1.0 a bump moves one digit right; from 1.0 it is plain semver', () => {
    expect(requiredVersion('0.1.0', 'major')).toBe('0.2.0');
    expect(requiredVersion('0.1.3', 'minor')).toBe('0.1.4');
    expect(requiredVersion('1.4.2', 'major')).toBe('2.0.0');
    expect(requiredVersion('1.4.2', 'minor')).toBe('1.5.0');
    expect(requiredVersion('1.4.2', 'patch')).toBe('1.4.3');
    expect(requiredVersion('1.4.2', 'none')).toBe('1.4.2');
    expect(versionAtLeast('0.10.0', '0.9.9')).toBe(true);
    expect(versionAtLeast('0.1.9', '0.2.0')).toBe(false);
  });

  test('an API line that changes counts as removed (a narrowed type is major); comments do not count', () => {
    expect(apiBump('x: string | number;\n', 'x: string;\n').bump).toBe('major');
    expect(apiBump('x: string;\n', 'x: string;\ny: number;\n').bump).toBe('minor');
    expect(apiBump('x: string;\n// Warning: a\n', 'x: string;\n// Warning: b\n').bump).toBe('none');
  });
});
