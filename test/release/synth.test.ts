import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { distFiles, manifestFileName, OUTPUT_MARKER, Release, renderApp, renderRelease, SynthError, unsafeOutdirReason, writeDist } from '../../lib/release';
import { homeDirectory } from '../../lib/release/synth';
import { buildApp, synthesize } from '../../apps/main';
import { ExampleApp } from '../../apps/registry';

function demoApp(name = 'demo', extra?: (r: Release) => void): ExampleApp {
  return {
    name,
    description: 'test-only app',
    build(app: App) {
      const r = new Release(app, name, { namespace: 'demo-ns' });
      new k8s.KubeConfigMap(r, 'Config', { metadata: { name: 'settings' }, data: { b: '2', a: '1' } });
      new k8s.KubeClusterRole(r, 'Reader', { metadata: { name: 'reader' }, rules: [] });
      r.addNote('Open http://demo.local');
      extra?.(r);
    },
  };
}

describe('release synth pipeline', () => {
  test('one folder per release, one file per object, notes outside the release folders', () => {
    const files = distFiles(synthesize({}, [demoApp()]));
    expect([...files.keys()]).toEqual(['_reports/demo/NOTES.txt', 'demo/clusterrole-reader.yaml', 'demo/configmap-settings.yaml']);
    expect(files.get('demo/configmap-settings.yaml')).toContain('namespace: demo-ns');
    expect(files.get('_reports/demo/NOTES.txt')).toContain('Open http://demo.local');
  });

  test('cluster-scoped objects carry no namespace', () => {
    const [r] = synthesize({}, [demoApp()]);
    const role = r.objects.find((o) => o.kind === 'ClusterRole')!;
    expect(role.metadata.namespace).toBeUndefined();
  });

  test('output is byte-identical between runs', () => {
    const a = distFiles(synthesize({}, [demoApp('a'), demoApp('b')]));
    const b = distFiles(synthesize({}, [demoApp('a'), demoApp('b')]));
    expect([...a.entries()]).toEqual([...b.entries()]);
  });

  test('--only selects apps by name', () => {
    const releases = synthesize({ only: ['b'] }, [demoApp('a'), demoApp('b')]);
    expect(releases.map((r) => r.name)).toEqual(['b']);
  });

  test('fails when --only names an unknown app', () => {
    expect(() => buildApp({ only: ['nope'] }, [demoApp('a')])).toThrow(/'--only' is \["nope"\]; allowed: a/);
  });

  test('fails when construct validation fails, listing the construct path', () => {
    const bad = demoApp('bad', (r) => {
      const c = new Construct(r, 'Widget');
      c.node.addValidation({ validate: () => ["'widget.size' is 0; allowed: 1-10"] });
    });
    expect(() => synthesize({}, [bad])).toThrow(SynthError);
    expect(() => synthesize({}, [bad])).toThrow(/\[bad\/Widget\] 'widget.size' is 0/);
  });

  test('fails when two objects of a release render to the same file', () => {
    const app = new App();
    const r = new Release(app, 'dup', { namespace: 'x' });
    new k8s.KubeConfigMap(r, 'A', { metadata: { name: 'same' } });
    new k8s.KubeConfigMap(r, 'B', { metadata: { name: 'same' } });
    expect(() => renderRelease(r)).toThrow(/two objects render to configmap-same.yaml/);
  });

  test('fails when two releases share a name', () => {
    const app = new App();
    new Release(app, 'one', { name: 'same', namespace: 'x' });
    new Release(app, 'two', { name: 'same', namespace: 'y' });
    expect(() => renderApp(app)).toThrow(/two releases are named same/);
  });

  test('fails when the release name is not a DNS label', () => {
    expect(() => new Release(new App(), 'Bad_Name', { namespace: 'x' })).toThrow(/'release.name' is "Bad_Name"/);
  });

  test('writeDist replaces stale files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dist-'));
    fs.writeFileSync(path.join(dir, OUTPUT_MARKER), '');
    fs.mkdirSync(path.join(dir, 'old-release'));
    fs.writeFileSync(path.join(dir, 'old-release', 'x.yaml'), 'stale');
    writeDist(dir, distFiles(synthesize({}, [demoApp()])));
    expect(fs.existsSync(path.join(dir, 'old-release'))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'demo')).sort()).toEqual(['clusterrole-reader.yaml', 'configmap-settings.yaml']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('fails when the output directory looks like a project, and deletes nothing', () => {
    // writeDist replaces its output directory whole: `--out .` must not wipe the checkout.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proj-'));
    try {
      for (const marker of ['package.json', '.git']) {
        fs.rmSync(path.join(dir, 'package.json'), { force: true });
        fs.rmSync(path.join(dir, '.git'), { recursive: true, force: true });
        if (marker === '.git') fs.mkdirSync(path.join(dir, '.git'));
        else fs.writeFileSync(path.join(dir, marker), '{}');
        fs.writeFileSync(path.join(dir, 'keep.ts'), 'source');
        expect(() => writeDist(dir, distFiles(synthesize({}, [demoApp()])))).toThrow(
          new RegExp(`'outdir' is ".*", but replacing it would delete it first and it holds ${marker.replace('.', '\\.')}`),
        );
        expect(fs.readFileSync(path.join(dir, 'keep.ts'), 'utf8')).toBe('source');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses the filesystem root, the home directory and any directory holding the working directory', () => {
    expect(unsafeOutdirReason('/', '/work/main')).toMatch(/filesystem root/);
    expect(unsafeOutdirReason(os.homedir(), '/elsewhere')).toMatch(/home directory/);
    expect(unsafeOutdirReason('.', '/work/main')).toMatch(/working directory/);
    expect(unsafeOutdirReason('..', '/work/main')).toMatch(/working directory/);
    expect(unsafeOutdirReason('dist', '/work/main')).toBeUndefined();
    expect(unsafeOutdirReason('/tmp/ops-kit-nonexistent-out', '/work/main')).toBeUndefined();
  });

  test('homeDirectory is os.homedir() (libuv answers $HOME on POSIX when it is set) without loading os for it', () => {
    expect(homeDirectory()).toBe(os.homedir());
    expect(homeDirectory({ HOME: '/home/ops' }, 'linux')).toBe('/home/ops');
    // No $HOME (or an empty one), and Windows (USERPROFILE, not HOME): os.homedir() answers.
    expect(homeDirectory({}, 'linux')).toBe(os.homedir());
    expect(homeDirectory({ HOME: '' }, 'linux')).toBe(os.homedir());
    expect(homeDirectory({ HOME: '/home/ops' }, 'win32')).toBe(os.homedir());
  });

  test('manifest file names are lowercase kind and name', () => {
    expect(manifestFileName({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-mount' } })).toBe('persistentvolumeclaim-data-mount.yaml');
    expect(manifestFileName({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' } })).toBe('role-r.yaml');
  });

  test('custom resources carry their group, so they never collide with a built-in kind of the same name', () => {
    const cr = manifestFileName({ apiVersion: 'iot.nationtech.io/v1alpha1', kind: 'Deployment', metadata: { name: 'web' } });
    const builtIn = manifestFileName({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } });
    expect(cr).toBe('deployment.iot.nationtech.io-web.yaml');
    expect(builtIn).toBe('deployment-web.yaml');
  });

  test('createNamespace renders the Namespace object, kept on prune and delete, first, labelled with the level its pods need', () => {
    const app = new App();
    const r = new Release(app, 'ns', { namespace: 'iot-system', createNamespace: true });
    expect(renderRelease(r).objects).toEqual([{
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'iot-system',
        annotations: {
          'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
          'argocd.argoproj.io/sync-wave': '-1',
          'helm.sh/resource-policy': 'keep',
        },
        // No pods: the strictest level.
        labels: {
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'v1.28',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    }]);
    // A privileged pod in it (host network) loosens the label to what it needs.
    new k8s.KubePod(r, 'Agent', { metadata: { name: 'agent' }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const ns = renderRelease(r).objects.find((o) => o.kind === 'Namespace')!;
    expect((ns.metadata.labels as Record<string, string>)['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('the release pull secrets are declared external on the workloads that use them', () => {
    const app = new App();
    const r = new Release(app, 'pulls', { namespace: 'x', images: { pullSecrets: ['regcred'] } });
    new k8s.KubeDeployment(r, 'Web', {
      metadata: { name: 'web', annotations: { 'refs.ops-kit.io/external': 'Secret/web-tls' } },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'c', image: 'nginx:1' }] } },
      },
    });
    new k8s.KubeConfigMap(r, 'Cfg', { metadata: { name: 'cfg' } });
    const [web, cfg] = ['Deployment', 'ConfigMap'].map((k) => renderRelease(r).objects.find((o) => o.kind === k)!);
    expect((web.metadata.annotations as any)['refs.ops-kit.io/external']).toBe('Secret/regcred,Secret/web-tls');
    // Only the ordering's wave: no external-references annotation on an object without pods.
    expect(cfg.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
  });
});
