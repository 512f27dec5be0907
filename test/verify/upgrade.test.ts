import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../bin/upgrade-check';
import { checkUpgrade, differences, formatUpgradeReport, KubeObject, loadManifestDir, parseQuantity } from '../../lib/verify';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'verify');
const pvc = (name: string, storage: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'ns' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...extra },
});

describe('checkUpgrade (in memory)', () => {
  test('identical outputs have no breaking changes', () => {
    const r = checkUpgrade([pvc('data', '10Gi')], [pvc('data', '10Gi')]);
    expect(r).toEqual({ breaking: [], notes: [], oldCount: 1, newCount: 1, ok: true });
  });

  test('a PVC may grow (with a note) but not shrink; units are compared as quantities', () => {
    expect(checkUpgrade([pvc('data', '1Gi')], [pvc('data', '1024Mi')]).ok).toBe(true);
    const grow = checkUpgrade([pvc('data', '1Gi')], [pvc('data', '2Gi')]);
    expect(grow.ok).toBe(true);
    expect(grow.notes).toEqual(['PersistentVolumeClaim/ns/data grows from 1Gi to 2Gi: the StorageClass must allow volume expansion (allowVolumeExpansion: true)']);
    const shrink = checkUpgrade([pvc('data', '2Gi')], [pvc('data', '1500Mi')]);
    expect(shrink.breaking.map((v) => [v.object, v.rule, v.path])).toEqual([['PersistentVolumeClaim/ns/data', 'upgrade-pvc-shrink', 'spec.resources.requests.storage']]);
  });

  test('setting a storage class on an existing claim is a change too', () => {
    const r = checkUpgrade([pvc('data', '1Gi')], [pvc('data', '1Gi', { storageClassName: 'fast' })]);
    expect(r.breaking.map((v) => v.message)).toEqual(['spec.storageClassName changes from undefined to "fast"; it is immutable once the claim exists']);
  });

  test('fails when any other PVC spec field changes (the API server allows only resources.requests to change)', () => {
    const ref = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'nightly' };
    const r = checkUpgrade([pvc('data', '1Gi')], [pvc('data', '2Gi', { dataSourceRef: ref, resources: { requests: { storage: '2Gi' }, limits: { storage: '4Gi' } } })]);
    expect(r.breaking.map((v) => [v.rule, v.path])).toEqual([['upgrade-pvc', 'spec']]);
    expect(r.breaking[0].message).toBe('spec changes (spec.dataSourceRef: undefined -> {"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"nightly"}; spec.resources: undefined -> {"limits":{"storage":"4Gi"}}); a claim\'s spec is immutable except resources.requests');
    expect(r.notes).toHaveLength(1);
    const bare: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'ns' }, spec: { accessModes: ['ReadWriteOnce'] } };
    expect(checkUpgrade([bare], [pvc('data', '1Gi')]).ok).toBe(true);
  });

  test('a removed PVC is reported; with two candidates no rename is guessed', () => {
    const r = checkUpgrade([pvc('data', '1Gi')], [pvc('a', '1Gi'), pvc('b', '1Gi')]);
    expect(r.breaking).toHaveLength(1);
    expect(r.breaking[0].message).toMatch(/^PersistentVolumeClaim\/ns\/data is gone from the new output: /);
  });

  test('a removed claim that Argo CD keeps (Prune=false) is still reported, without claiming the data is deleted', () => {
    const kept = pvc('data', '1Gi');
    const r = checkUpgrade([{ ...kept, metadata: { ...kept.metadata, annotations: { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false' } } }], [pvc('data2', '1Gi')]);
    expect(r.breaking.map((v) => v.rule)).toEqual(['upgrade-stateful-removed']);
    expect(r.breaking[0].message).toBe('PersistentVolumeClaim/ns/data is gone from the new output; it looks renamed to "data2": Argo CD keeps the claim (Prune=false), but the release no longer manages it and a renamed claim starts empty');
  });

  test('a new apiVersion of the same object is not a removal (objects are matched by group, kind and name)', () => {
    const crd = (v: string): KubeObject => ({ apiVersion: v, kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.io' } });
    expect(checkUpgrade([crd('apiextensions.k8s.io/v1beta1')], [crd('apiextensions.k8s.io/v1')]).ok).toBe(true);
    expect(checkUpgrade([crd('apiextensions.k8s.io/v1')], []).breaking.map((v) => v.rule)).toEqual(['upgrade-stateful-removed']);
  });

  test('the report text names every change and its fix', () => {
    const text = formatUpgradeReport(checkUpgrade([pvc('data', '2Gi', { storageClassName: 'fast' })], [pvc('data', '1Gi', { storageClassName: 'slow' })]));
    expect(text).toContain('2 breaking change(s)');
    expect(text).toContain('[upgrade-pvc] spec.storageClassName changes from "fast" to "slow"');
    expect(text).toContain('[upgrade-pvc-shrink] spec.resources.requests.storage shrinks from "2Gi" to "1Gi"');
    expect(text).toContain('fix: keep at least 2Gi');
  });

  test('differences lists changed paths', () => {
    expect(differences({ a: { b: 1, c: [1, 2] } }, { a: { b: 2, c: [1] } })).toEqual(['a.b: 1 -> 2', 'a.c[1]: 2 -> undefined']);
  });

  test('quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('512mb')).toBeUndefined();
  });
});

describe('loadManifestDir', () => {
  test('reads every manifest recursively, skipping _reports and dot folders', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-load-'));
    try {
      fs.mkdirSync(path.join(dir, 'rel'));
      fs.mkdirSync(path.join(dir, '_reports', 'rel'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'rel', 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n');
      fs.writeFileSync(path.join(dir, 'rel', 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c' } }] }));
      fs.writeFileSync(path.join(dir, '_reports', 'rel', 'verify.yaml'), 'not: a manifest\n');
      const loaded = loadManifestDir(dir);
      expect(loaded.objects.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
      expect(loaded.files).toEqual(['rel/a.yaml', 'rel/a.yaml', 'rel/c.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails when the directory does not exist', () => {
    expect(() => loadManifestDir('/nonexistent/dist')).toThrow('/nonexistent/dist is not a directory');
  });
});

describe('upgrade-check CLI (bin/upgrade-check.ts)', () => {
  const capture = (argv: string[]) => {
    let out = '';
    let err = '';
    const code = run(argv, (t) => { out += t; }, (t) => { err += t; });
    return { code, out, err };
  };
  const broken = path.join(FIXTURES, 'upgrade-broken', 'upgrade-statefulset--claim-template-size');

  test('exits 1 and prints each breaking change', () => {
    const r = capture(['--', path.join(broken, 'old'), path.join(broken, 'new')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('StatefulSet/shop/db');
    expect(r.out).toContain('[upgrade-statefulset] spec.volumeClaimTemplates change (template "data": spec.resources.requests.storage: "10Gi" -> "50Gi")');
  });

  test('exits 0 when nothing breaks', () => {
    const r = capture([path.join(broken, 'old'), path.join(broken, 'old')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no breaking changes');
  });

  test('fails with usage (exit 2) when the arguments are wrong or a directory is missing', () => {
    expect(capture([])).toMatchObject({ code: 2, err: expect.stringContaining('npm run upgrade-check -- <old-dir> <new-dir>') });
    expect(capture(['a', 'b', 'c'])).toMatchObject({ code: 2, err: expect.stringContaining('usage: npm run upgrade-check -- <git-ref> [--dist <dir>]') });
    expect(capture(['/nonexistent', path.join(broken, 'old')])).toMatchObject({ code: 2, err: expect.stringContaining('/nonexistent is not a directory') });
  });
});
