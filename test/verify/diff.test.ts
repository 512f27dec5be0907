import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { run } from '../../bin/upgrade-check';
import { diffManifests, formatDistDiff, KubeObject } from '../../lib/verify';

const cm = (name: string, data: Record<string, string>, ns = 'ns'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });
const pvc = (name: string): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'ns' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});
const loaded = (entries: Array<[string, KubeObject]>) => ({ objects: entries.map(([, o]) => o), files: entries.map(([f]) => f) });

describe('diffManifests', () => {
  test('identical trees: no changes, counted per object and release', () => {
    const t = loaded([['a/cm.yaml', cm('x', { k: 'v' })], ['b/cm.yaml', cm('y', {})]]);
    const d = diffManifests(t, t);
    expect(d).toEqual({ added: [], removed: [], changed: [], moved: [], unchanged: 2, releases: 2 });
    expect(formatDistDiff(d)).toBe('no changes: 2 object(s) in 2 release(s) are identical\n');
  });

  test('names added, removed, changed (with the fields) and moved objects by release', () => {
    const before = loaded([['a/cm-x.yaml', cm('x', { k: 'v' })], ['a/pvc.yaml', pvc('data')], ['a/cm-m.yaml', cm('m', {})]]);
    const after = loaded([['a/cm-x.yaml', cm('x', { k: 'w', n: '1' })], ['a/cm-new.yaml', cm('new', {})], ['b/cm-m.yaml', cm('m', {})]]);
    const d = diffManifests(before, after);
    expect(d.added).toEqual([{ release: 'a', object: 'ConfigMap/ns/new' }]);
    expect(d.removed).toEqual([{ release: 'a', object: 'PersistentVolumeClaim/ns/data' }]);
    expect(d.changed).toEqual([{ release: 'a', object: 'ConfigMap/ns/x', changes: ['data.k: "v" -> "w"', 'data.n: undefined -> "1"'], more: false }]);
    expect(d.moved).toEqual([{ object: 'ConfigMap/ns/m', from: 'a', to: 'b' }]);
    expect(formatDistDiff(d)).toBe([
      '1 added, 1 removed, 1 changed, 1 moved between releases, 0 unchanged',
      '', 'ADDED', '  a  ConfigMap/ns/new',
      '', 'REMOVED', '  a  PersistentVolumeClaim/ns/data',
      '', 'MOVED (another release, so another Argo CD Application, owns it now)', '  ConfigMap/ns/m  a -> b',
      '', 'CHANGED', '  a  ConfigMap/ns/x', '    data.k: "v" -> "w"', '    data.n: undefined -> "1"', '',
    ].join('\n'));
  });

  test('lists at most five changed fields and says when there are more', () => {
    const many = (v: string) => cm('x', Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, v])));
    const [c] = diffManifests(loaded([['r/x.yaml', many('1')]]), loaded([['r/x.yaml', many('2')]])).changed;
    expect(c.changes).toHaveLength(5);
    expect(c.more).toBe(true);
  });
});

describe('npm run upgrade-check -- <git-ref>', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: repo, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
  const write = (file: string, objects: KubeObject[]) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), objects.map((o) => YAML.stringify(o)).join('---\n'));
  };
  const capture = (argv: string[], cwd = repo) => {
    let out = '';
    let err = '';
    const code = run(argv, (t) => { out += t; }, (t) => { err += t; }, cwd);
    return { code, out, err };
  };

  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-upgrade-git-'));
    git('init', '-q');
    write('dist/shop/configmap-settings.yaml', [cm('settings', { mode: 'a' }, 'shop')]);
    write('dist/shop/persistentvolumeclaim-data.yaml', [pvc('data')]);
    fs.mkdirSync(path.join(repo, 'dist', '_reports', 'shop'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'dist', '_reports', 'shop', 'NOTES.txt'), 'notes\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'dist');
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  test('HEAD on an unchanged tree reports no change and exits 0', () => {
    const r = capture(['--', 'HEAD']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^comparing dist\/ at HEAD \([0-9a-f]{12}\) with the working tree's dist\/\n\nno changes: 2 object\(s\) in 1 release\(s\) are identical\n/);
    expect(r.out).toContain('no breaking changes');
  });

  test('reports what the working tree changed against the ref, and the breaking removal of a claim (exit 1)', () => {
    write('dist/shop/configmap-settings.yaml', [cm('settings', { mode: 'b' }, 'shop')]);
    write('dist/shop/configmap-extra.yaml', [cm('extra', {}, 'shop')]);
    fs.rmSync(path.join(repo, 'dist', 'shop', 'persistentvolumeclaim-data.yaml'));
    const r = capture(['HEAD']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('1 added, 1 removed, 1 changed, 0 moved between releases, 0 unchanged');
    expect(r.out).toContain('ADDED\n  shop  ConfigMap/shop/extra');
    expect(r.out).toContain('CHANGED\n  shop  ConfigMap/shop/settings\n    data.mode: "a" -> "b"');
    expect(r.out).toContain('[upgrade-stateful-removed] PersistentVolumeClaim/ns/data is gone from the new output');
    // the ref was read without touching the working tree or the index
    expect(git('status', '--porcelain')).toContain(' D dist/shop/persistentvolumeclaim-data.yaml');
  });

  test('works from a subfolder with --dist, and compares committed history (an older ref)', () => {
    write('dist/shop/configmap-settings.yaml', [cm('settings', { mode: 'b' }, 'shop')]);
    git('commit', '-q', '-am', 'mode b');
    fs.mkdirSync(path.join(repo, 'sub'));
    const r = capture(['HEAD~1', '--dist', '../dist'], path.join(repo, 'sub'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('comparing ../dist/ at HEAD~1');
    expect(r.out).toContain('data.mode: "a" -> "b"');
  });

  test('fails with exit 2 when the ref is not a commit, naming it', () => {
    const r = capture(['no-such-branch']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('"no-such-branch" is neither a git commit (branch, tag, sha) nor, with a second argument, a directory');
  });

  test('fails with exit 2 when dist/ did not exist at the ref', () => {
    git('checkout', '-q', '--orphan', 'empty');
    git('rm', '-q', '-r', '--cached', 'dist');
    fs.writeFileSync(path.join(repo, 'README'), 'x\n');
    git('add', 'README');
    git('commit', '-q', '-m', 'no dist yet');
    const r = capture(['empty']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/dist\/ does not exist at empty \([0-9a-f]{12}\)/);
  });
});
