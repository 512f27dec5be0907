import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Duration } from 'cdk8s';
import * as YAML from 'yaml';
import { EXAMPLE_APPS } from '../../apps/registry';
import { ArgoCdSync, DeliveryTarget, releaseDependencies, releaseSyncWaves, renderArgoCd } from '../../lib/gitops';
import { projectDescription } from '../../lib/gitops/argocd';
import { k8s } from 'cdk8s-plus-28';
import { Release, renderApp } from '../../lib/release';
import { synthesizeToDist, verifyArgoCdTree } from '../../lib/verify';

const DIST = path.join(__dirname, '..', '..', 'dist');
const target = (props: Partial<Parameters<typeof DeliveryTarget.argoCd>[0]> = {}) =>
  DeliveryTarget.argoCd({ name: 'shop', repoURL: 'https://git.example.com/ops/shop.git', targetRevision: 'main', ...props });

/** A release with one restricted Deployment (and optionally more objects), delivered by `delivery`. */
function release(app: App, name: string, delivery: DeliveryTarget | undefined, opts: { dependsOn?: Release[]; namespace?: string } = {}): Release {
  const r = new Release(app, name, { namespace: opts.namespace ?? name, delivery, dependsOn: opts.dependsOn });
  new k8s.KubeConfigMap(r, 'Cfg', { metadata: { name: `${name}-cfg` }, data: { a: 'b' } });
  return r;
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-argocd-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const readYaml = (file: string) => YAML.parse(fs.readFileSync(file, 'utf-8'));

describe('every example app renders its Argo CD folder, and it verifies clean', () => {
  test.each(EXAMPLE_APPS.map((a) => [a.name, a] as const))('%s', (_name, example) => {
    const app = new App();
    example.build(app);
    const out = path.join(tmp, 'dist');
    const result = synthesizeToDist(app, out, { quiet: true });
    expect(result.ok).toBe(true);
    const releases = result.releases;
    for (const r of releases) {
      // One Application per release: path = its folder, destination = its namespace.
      const file = path.join(out, 'argocd', r.delivery!.name, `application.argoproj.io-${r.name}.yaml`);
      const appObj = readYaml(file);
      expect({ release: r.name, path: appObj.spec.source.path, namespace: appObj.spec.destination.namespace }).toEqual({ release: r.name, path: `dist/${r.name}`, namespace: r.namespace });
      expect(appObj.spec.syncPolicy.retry).toEqual({ limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } });
      expect(fs.existsSync(path.join(out, appObj.spec.source.path.replace(/^dist\//, '')))).toBe(true);
    }
    const report = verifyArgoCdTree(out);
    expect({ ok: report.ok, violations: report.violations }).toEqual({ ok: true, violations: [] });
    // The release notes carry the exact apply step.
    const notes = fs.readFileSync(path.join(out, '_reports', releases[0].name, 'NOTES.txt'), 'utf-8');
    expect(notes).toContain(`kubectl apply -f dist/argocd/appproject.argoproj.io-${releases[0].delivery!.name}-root.yaml -f dist/argocd/application.argoproj.io-${releases[0].delivery!.name}.yaml`);
    expect(fs.readFileSync(path.join(out, '_reports', 'argocd', 'NOTES.txt'), 'utf-8')).toContain('argoproj.io/Application');
  });

  test('the committed dist/argocd/ verifies clean against the committed release folders', () => {
    const report = verifyArgoCdTree(DIST);
    expect(report.violations).toEqual([]);
    expect(report.objectCount).toBeGreaterThan(0);
  });
});

describe('Application and AppProject contents', () => {
  const app = new App();
  const delivery = target({ sync: ArgoCdSync.automated({ prune: true, selfHeal: true }) });
  const db = release(app, 'db', delivery);
  release(app, 'web', delivery, { dependsOn: [db] });
  const out = renderArgoCd(renderApp(app))!;
  const obj = (file: string) => out.manifests.find((m) => m.file === file)!.object as any;

  test('one Application per release, ordered in waves by dependsOn, with automated prune and self-heal', () => {
    expect(out.manifests.map((m) => m.file).sort()).toEqual([
      'argocd/application.argoproj.io-shop.yaml',
      'argocd/appproject.argoproj.io-shop-root.yaml',
      'argocd/shop/application.argoproj.io-db.yaml',
      'argocd/shop/application.argoproj.io-web.yaml',
      'argocd/shop/appproject.argoproj.io-shop.yaml',
    ]);
    const web = obj('argocd/shop/application.argoproj.io-web.yaml');
    expect(obj('argocd/shop/application.argoproj.io-db.yaml').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('0');
    expect(web.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(web.spec.syncPolicy).toMatchObject({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['CreateNamespace=true'],
      // A release without pods needs nothing looser than restricted.
      managedNamespaceMetadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    expect(out.releases.get('web')!.dependsOn).toEqual(new Map([['db', ['declared with dependsOn']]]));
  });

  test('the project allows only its repository, its namespaces and exactly the kinds rendered (Namespace for CreateNamespace)', () => {
    const project = obj('argocd/shop/appproject.argoproj.io-shop.yaml');
    expect(project.spec.sourceRepos).toEqual(['https://git.example.com/ops/shop.git']);
    expect(project.spec.destinations.map((d: any) => d.namespace)).toEqual(['db', 'web']);
    expect(project.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }]);
    expect(project.spec.namespaceResourceWhitelist).toEqual([{ group: '', kind: 'ConfigMap' }]);
    const root = obj('argocd/appproject.argoproj.io-shop-root.yaml');
    expect(root.spec.clusterResourceWhitelist).toEqual([]);
    expect(root.spec.namespaceResourceWhitelist).toEqual([{ group: 'argoproj.io', kind: 'AppProject' }, { group: 'argoproj.io', kind: 'Application' }]);
  });

  test('manual sync leaves out the automated block', () => {
    const a = new App();
    release(a, 'solo', target({ sync: ArgoCdSync.manual() }));
    const solo = renderArgoCd(renderApp(a))!.manifests.find((m) => m.object.metadata.name === 'solo')!.object as any;
    expect(solo.spec.syncPolicy.automated).toBeUndefined();
  });
});

describe('the whitelist follows what the releases render', () => {
  test('a cluster-scoped kind a release renders is whitelisted by the synth', () => {
    const app = new App();
    const r = release(app, 'ops', target());
    new k8s.KubeClusterRole(r, 'Reader', { metadata: { name: 'ops-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    const project = renderArgoCd(renderApp(app))!.manifests.find((m) => m.object.kind === 'AppProject' && m.object.metadata.name === 'shop')!.object as any;
    expect(project.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }]);
  });

  test('fails when a release folder adds a cluster-scoped kind the AppProject does not whitelist', () => {
    fs.cpSync(DIST, path.join(tmp, 'dist'), { recursive: true });
    const extra = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'iot-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
    fs.writeFileSync(path.join(tmp, 'dist', 'iot-fleet', 'clusterrole-iot-reader.yaml'), YAML.stringify(extra));
    const report = verifyArgoCdTree(path.join(tmp, 'dist'));
    expect(report.ok).toBe(false);
    expect(report.violations.filter((v) => v.rule === 'argocd-whitelist').map((v) => v.message)).toEqual([
      'AppProject iot does not whitelist the cluster-scoped kind rbac.authorization.k8s.io/ClusterRole, which release iot-fleet renders (ClusterRole/iot-reader): Argo CD refuses to sync it',
    ]);
  });

  test('fails when the AppProject whitelists a kind no release renders (least privilege)', () => {
    fs.cpSync(DIST, path.join(tmp, 'dist'), { recursive: true });
    const file = path.join(tmp, 'dist', 'argocd', 'iot', 'appproject.argoproj.io-iot.yaml');
    const project = readYaml(file);
    project.spec.clusterResourceWhitelist.push({ group: '*', kind: '*' });
    fs.writeFileSync(file, YAML.stringify(project));
    const messages = verifyArgoCdTree(path.join(tmp, 'dist')).violations.map((v) => v.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('AppProject iot allows */* (a wildcard) in clusterResourceWhitelist')]));
  });

  test('a whitelist pattern answers the same after other values were matched against it (compiled patterns are kept)', () => {
    fs.cpSync(DIST, path.join(tmp, 'dist'), { recursive: true });
    const whitelist = (tree: string) => verifyArgoCdTree(tree).violations.filter((v) => v.rule === 'argocd-whitelist').map((v) => v.message);
    const before = whitelist(path.join(tmp, 'dist'));
    // A kind the project lists under a group that is not the one it renders: '.' in the group matches only itself.
    const file = path.join(tmp, 'dist', 'argocd', 'iot', 'appproject.argoproj.io-iot.yaml');
    const project = readYaml(file);
    project.spec.clusterResourceWhitelist.push({ group: 'rbacXauthorization.k8s.io', kind: 'ClusterRole' }, { group: 'rbac.authorization.k8s.io', kind: 'Cluster*' });
    fs.writeFileSync(file, YAML.stringify(project));
    const messages = whitelist(path.join(tmp, 'dist'));
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringContaining('AppProject iot allows rbacXauthorization.k8s.io/ClusterRole in clusterResourceWhitelist'),
      expect.stringContaining('AppProject iot allows rbac.authorization.k8s.io/Cluster* (a wildcard) in clusterResourceWhitelist'),
    ]));
    fs.cpSync(DIST, path.join(tmp, 'dist'), { recursive: true });
    expect(whitelist(path.join(tmp, 'dist'))).toEqual(before);
  });
});

describe('reference checks of the committed delivery', () => {
  const edit = (rel: string, change: (o: any) => void) => {
    fs.cpSync(DIST, path.join(tmp, 'dist'), { recursive: true });
    const file = path.join(tmp, 'dist', rel);
    const o = readYaml(file);
    change(o);
    fs.writeFileSync(file, YAML.stringify(o));
    return verifyArgoCdTree(path.join(tmp, 'dist')).violations;
  };

  test('fails when an Application path names no folder of dist/', () => {
    const v = edit('argocd/iot/application.argoproj.io-iot-fleet.yaml', (o) => { o.spec.source.path = 'dist/iot-flet'; });
    expect(v.map((x) => [x.rule, x.message])).toEqual(expect.arrayContaining([['argocd-path', 'Application iot-fleet syncs path "dist/iot-flet", which is no release folder of dist/ holding manifests (dist/ is "dist" in the repository)']]));
  });

  test('fails when a destination namespace is not its release\'s', () => {
    const v = edit('argocd/iot/application.argoproj.io-iot-fleet.yaml', (o) => { o.spec.destination.namespace = 'default'; });
    expect(v.map((x) => x.rule)).toEqual(expect.arrayContaining(['argocd-namespace', 'argocd-project']));
    expect(v.find((x) => x.rule === 'argocd-namespace')!.message).toBe('Application iot-fleet deploys into namespace "default", but its release\'s objects are in iot-system');
  });

  test('fails when managedNamespaceMetadata enforces a stricter level than the pods need', () => {
    const v = edit('argocd/graphistry/application.argoproj.io-graphistry-multinode.yaml', (o) => {
      o.spec.syncPolicy.managedNamespaceMetadata.labels['pod-security.kubernetes.io/enforce'] = 'restricted';
    });
    expect(v.map((x) => [x.rule, x.message.split(':')[0]])).toEqual([
      ['pod-security-level', "Application graphistry-multinode's managedNamespaceMetadata (namespace graphistry) enforces Pod Security level restricted, but its pods need privileged"],
    ]);
  });

  test('fails the schema check on a field the Argo CD CRD does not have', () => {
    const v = edit('argocd/iot/application.argoproj.io-iot-fleet.yaml', (o) => { o.spec.syncPolicy.automatic = o.spec.syncPolicy.automated; });
    expect(v.map((x) => x.rule)).toEqual(['schema']);
    expect(v[0].message).toMatch(/syncPolicy\.automatic/);
  });
});

describe('ordering across releases', () => {
  test('a connection of the wiring graph orders releases without a declaration, and a cycle fails naming it', () => {
    const deps = new Map([
      ['a', new Map([['b', ['connects to Service b/db port 5432']]])],
      ['b', new Map([['a', ['declared with dependsOn']]])],
    ]);
    expect(() => releaseSyncWaves(['a', 'b'], deps)).toThrow(
      "'dependsOn' is \"a -> b -> a\", but the releases depend on each other in a circle, so no sync order exists: a -> b (connects to Service b/db port 5432), b -> a (declared with dependsOn)",
    );
    expect(releaseSyncWaves(['a', 'b', 'c'], new Map([['a', new Map([['b', ['x']]])], ['b', new Map([['c', ['y']]])]]))).toEqual(new Map([['a', 2], ['b', 1], ['c', 0]]));
  });

  test('custom resources depend on the release that renders their CRD', () => {
    const app = new App();
    const crds = new Release(app, 'crds', { namespace: 'crds' });
    new k8s.KubeCustomResourceDefinition(crds, 'Crd', {
      metadata: { name: 'widgets.example.io' },
      spec: { group: 'example.io', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openApiv3Schema: { type: 'object' } } }] },
    });
    const users = new Release(app, 'users', { namespace: 'users' });
    new ApiObject(users, 'W', { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w' } });
    const deps = releaseDependencies(renderApp(app));
    expect(deps.get('users')).toEqual(new Map([['crds', ['renders Widget.example.io custom resources, whose CRD crds renders']]]));
  });

  test('fails when a release declares a dependency on one delivered by another target', () => {
    const app = new App();
    const other = release(app, 'db', target({ name: 'data' }));
    release(app, 'web', target(), { dependsOn: [other] });
    expect(() => renderArgoCd(renderApp(app))).toThrow(/release\.dependsOn: web depends on db, which is delivered by target data; sync waves order Applications only inside one app-of-apps/);
  });

  test('fails when a release depends on itself', () => {
    const app = new App();
    const r = release(app, 'web', target());
    expect(() => r.dependsOn(r)).toThrow("'dependsOn' is \"web\"; allowed: another release than web itself");
  });
});

describe('DeliveryTarget.argoCd', () => {
  test('fails when repoURL carries credentials', () => {
    expect(() => target({ repoURL: 'https://bob:hunter2@git.example.com/ops.git' })).toThrow(
      /'argoCd\.repoURL' is "https:\/\/bob:hunter2@git\.example\.com\/ops\.git", but it carries credentials.*allowed: a Git URL: https:\/\/host\/path/,
    );
  });

  test('fails when several props are wrong, naming each', () => {
    let message = '';
    try {
      target({ name: 'Shop', targetRevision: 'a b', distPath: '../dist', argoCdNamespace: 'Argo_CD' });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const want of [/'argoCd\.name' is "Shop"/, /'argoCd\.targetRevision' is "a b".*a branch, tag or commit/, /'argoCd\.distPath' is "\.\.\/dist".*without '\.\.'/, /'argoCd\.argoCdNamespace' is "Argo_CD"/]) {
      expect(message).toMatch(want);
    }
  });

  test('fails when the longest backoff is shorter than the first', () => {
    expect(() => target({ retry: { backoff: Duration.minutes(5), maxBackoff: Duration.minutes(1) } })).toThrow(/'argoCd\.retry\.maxBackoff' is "60s".*at least the first backoff \(300s\)/);
  });
});

describe('AppProject description', () => {
  test("lists the releases while they fit Argo CD's 255 characters, else counts them", () => {
    expect(projectDescription('iot', ['iot-fleet'])).toMatch(/^Releases of iot \(iot-fleet\), generated/);
    const many = Array.from({ length: 12 }, (_, i) => `graphistry-release-${i}`);
    const d = projectDescription('graphistry', many);
    expect(d.length).toBeLessThanOrEqual(255);
    expect(d).toMatch(/^The 12 releases of graphistry, generated/);
  });
});
