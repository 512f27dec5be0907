import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { synthesize, verifyAndWrite } from '../../apps/main';
import { ExampleApp } from '../../apps/registry';
import {
  buildContainer, buildPodSpec, buildWaitContainer, EnvBuilder, EnvSource, ExternalPeer, externalRefsAnnotation, Images, NamespacedAccess,
  NetworkPolicies, Placement,
  policyExceptionAnnotations, Probes, SecurityProfile, sized, WaitFor, waitRules, Wiring, WorkloadConstruct,
} from '../../lib/core';
import { OUTPUT_MARKER, Release, renderRelease } from '../../lib/release';
import { formatReport, KubeObject, verifyManifests, verifyReleases } from '../../lib/verify';

const LABELS = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'shop' };

interface WebOptions {
  /** Image reference as written. */
  readonly image?: string;
  /** Add a LoadBalancer Service without declaring it. */
  readonly undeclaredLoadBalancer?: boolean;
  /** Run as root with a reasoned exception. */
  readonly root?: boolean;
}

/** The test cluster's API server (the web pods' wait reads it). */
const NETWORK = NetworkPolicies.defaultDeny({ apiServer: ExternalPeer.cidr({ cidrs: ['10.0.0.1/32'], ports: [6443], reason: 'the control plane' }) });

/** The pods of the hand-built Deployment, as the wiring graph addresses them. */
class WebPods extends WorkloadConstruct {
  public readonly selector = LABELS;
}

/** A small release built only from core primitives, the way product constructs build theirs. */
function buildWeb(app: App, options: WebOptions = {}): Release {
  const release = new Release(app, 'shop', { namespace: 'shop', images: { pullSecrets: ['regcred'] }, networkPolicy: NETWORK });
  const security = SecurityProfile.restricted(options.root ? { runAsRoot: { reason: 'the legacy image writes root-owned files' } } : {});
  const wait = WaitFor.service('web-db');
  const access = new NamespacedAccess(release, 'Access', { name: 'web', labels: LABELS, rules: waitRules([wait]) });
  const web = buildContainer('web', {
    name: 'web',
    image: Images.of(release).resolve('web.image', options.image ?? 'nginx:1.27.2', options.image?.endsWith(':latest') ? { reason: 'test' } : undefined),
    ports: [{ name: 'http', port: 8080 }],
    env: new EnvBuilder('web').own('DB_PASSWORD', EnvSource.secret('web-db', 'password')).defaults({ LOG_LEVEL: 'info' }),
    resources: sized(100, 500, 64, 256),
    readiness: Probes.http('/healthz', 'http'),
    liveness: Probes.tcp('http'),
    volumeMounts: [{ name: 'config', mountPath: '/etc/web' }],
  }, security);
  new k8s.KubeConfigMap(release, 'Config', { metadata: { name: 'web-config' }, data: { 'nginx.conf': 'events {}\n' } });
  new k8s.KubeDeployment(release, 'Deployment', {
    metadata: {
      name: 'web',
      labels: LABELS,
      annotations: { ...externalRefsAnnotation([{ kind: 'Secret', name: 'web-db' }, { kind: 'Secret', name: 'regcred' }, { kind: 'Service', name: 'web-db' }]), ...policyExceptionAnnotations(security.exceptions) },
    },
    spec: {
      selector: { matchLabels: LABELS },
      template: {
        metadata: { labels: LABELS },
        spec: buildPodSpec(release, 'web', {
          containers: [web],
          initContainers: [buildWaitContainer(release, wait, security)],
          volumes: [{ name: 'config', configMap: { name: 'web-config' } }],
          security,
          placement: Placement.of(release).forWorkload({}),
          serviceAccountName: access.serviceAccountName,
          automountServiceAccountToken: true,
        }),
      },
    },
  });
  // The wait reads the API: recorded in the wiring graph, so the release's NetworkPolicy lets the pods reach it.
  Wiring.of(release).connectToKubernetesApi(new WebPods(release, 'WebPods'), { purpose: 'the init wait reads the API' });
  new k8s.KubeService(release, 'Service', {
    metadata: { name: 'web', labels: LABELS },
    spec: { type: options.undeclaredLoadBalancer ? 'LoadBalancer' : 'ClusterIP', selector: LABELS, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http') }] },
  });
  return release;
}

const webApp = (options: WebOptions = {}): ExampleApp => ({ name: 'web', description: 'test app', build: (app) => { buildWeb(app, options); } });

describe('objects built from core primitives', () => {
  const report = verifyManifests(renderRelease(buildWeb(new App())).objects, { name: 'shop' });

  test('pass every check', () => {
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  test('list the externals an operator must create, with who references them', () => {
    expect(report.externals).toEqual([
      { ref: 'Secret/shop/regcred', referencedBy: ['Deployment/shop/web'] },
      { ref: 'Secret/shop/web-db', referencedBy: ['Deployment/shop/web'] },
      { ref: 'Service/shop/web-db', referencedBy: ['Deployment/shop/web'] },
    ]);
    expect(formatReport(report)).toContain('Secret/shop/web-db  (referenced by Deployment/shop/web)');
  });

  test('a SecurityProfile exception is honoured and printed with its reason', () => {
    const r = verifyManifests(renderRelease(buildWeb(new App(), { root: true })).objects, { name: 'shop' });
    expect(r.ok).toBe(true);
    expect(r.exceptions).toEqual([{ object: 'Deployment/shop/web', rule: 'non-root', reason: 'the legacy image writes root-owned files', used: true }]);
    expect(formatReport(r)).toContain('Deployment/shop/web  non-root: the legacy image writes root-owned files');
  });
});

describe('objects shared between releases', () => {
  const crd = (): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.io', annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' } },
    spec: { group: 'example.io', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
  });
  const cm = (ns: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { a: 'b' } });

  test('fails when two releases render the same object (two Argo CD applications would fight over it)', () => {
    const reports = verifyReleases([{ name: 'a', objects: [crd(), cm('ns')] }, { name: 'b', objects: [crd(), cm('ns')] }]);
    expect(reports.map((r) => r.ok)).toEqual([false, false]);
    expect(reports[0].violations.map((v) => [v.object, v.rule, v.message])).toEqual([
      ['ConfigMap/ns/settings', 'duplicate-object', 'ConfigMap/ns/settings is also rendered by release b; two applications would overwrite each other and prune it'],
      ['CustomResourceDefinition/widgets.example.io', 'duplicate-object', 'CustomResourceDefinition/widgets.example.io is also rendered by release b; two applications would overwrite each other and prune it'],
    ]);
    expect(reports[1].violations.map((v) => v.message)).toContain('CustomResourceDefinition/widgets.example.io is also rendered by release a; two applications would overwrite each other and prune it');
    expect(formatReport(reports[0])).toContain('fix: render it in exactly one release');
  });

  test('fails when two releases claim the same node port (node ports are cluster-wide)', () => {
    const svc = (ns: string, nodePort: number): KubeObject => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns, annotations: { 'policy.ops-kit.io/node-port': 'test' } },
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort }] },
    });
    const reports = verifyReleases([{ name: 'a', objects: [svc('a', 30080)] }, { name: 'b', objects: [svc('b', 30080)] }], { schema: false });
    expect(reports.map((r) => r.violations.map((v) => [v.object, v.rule, v.message]))).toEqual([
      [['Service/a/web', 'node-port-collision', 'nodePort 30080 is also claimed by a Service of release b; node ports are allocated cluster-wide, one Service per port']],
      [['Service/b/web', 'node-port-collision', 'nodePort 30080 is also claimed by a Service of release a; node ports are allocated cluster-wide, one Service per port']],
    ]);
    expect(verifyReleases([{ name: 'a', objects: [svc('a', 30080)] }, { name: 'b', objects: [svc('b', 30081)] }], { schema: false }).map((r) => r.ok)).toEqual([true, true]);
  });

  test('the same name in two namespaces is two objects', () => {
    expect(verifyReleases([{ name: 'a', objects: [cm('a')] }, { name: 'b', objects: [cm('b')] }]).map((r) => r.ok)).toEqual([true, true]);
  });
});

describe('synth integration (apps/main.ts)', () => {
  let out: string;
  beforeEach(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-verify-'));
    // The output of an earlier synth: marked, so a synth may replace it.
    fs.writeFileSync(path.join(out, OUTPUT_MARKER), '');
    fs.writeFileSync(path.join(out, 'previous.txt'), 'left by the last good synth\n');
  });
  afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

  test('fails when a release breaks a rule, and writes nothing', () => {
    const releases = synthesize({}, [webApp({ undeclaredLoadBalancer: true })]);
    const result = verifyAndWrite(releases, out);
    expect(result.ok).toBe(false);
    expect(result.files).toBeUndefined();
    expect(fs.readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'previous.txt']);
    expect(fs.readFileSync(path.join(out, 'previous.txt'), 'utf8')).toBe('left by the last good synth\n');
    const text = formatReport(result.reports[0]);
    expect(text).toContain('Service/shop/web');
    expect(text).toContain('[load-balancer] Service "web" is type LoadBalancer');
    expect(text).toContain('fix: use ClusterIP');
  });

  test('fails when an unpinned image slips past the constructs, and writes nothing', () => {
    const result = verifyAndWrite(synthesize({}, [webApp({ image: 'nginx:latest' })]), out);
    expect(result.ok).toBe(false);
    expect(result.reports[0].violations.map((v) => v.rule)).toEqual(['pinned-images']);
    expect(fs.readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'previous.txt']);
  });

  test('writes manifests and a verify report outside the release folder when every check passes', () => {
    const result = verifyAndWrite(synthesize({}, [webApp({ root: true })]), out);
    expect(result.ok).toBe(true);
    expect(fs.existsSync(path.join(out, 'previous.txt'))).toBe(false);
    const releaseFiles = fs.readdirSync(path.join(out, 'shop'));
    expect(releaseFiles.every((f) => f.endsWith('.yaml'))).toBe(true);
    expect(releaseFiles).toContain('deployment-web.yaml');
    expect(releaseFiles.filter((f) => f.startsWith('networkpolicy-'))).toEqual(['networkpolicy-shop-default-deny.yaml', 'networkpolicy-web.yaml']);
    const report = fs.readFileSync(path.join(out, '_reports', 'shop', 'verify.txt'), 'utf-8');
    expect(report).toContain('verify shop: 8 object(s), all checks passed');
    expect(report).toContain('non-root: the legacy image writes root-owned files');
    expect(report).toContain('EXTERNALS');
    expect([...result.files!.keys()]).toEqual([...result.files!.keys()].sort());
  });

  test('the written output is byte-identical on every run', () => {
    const a = verifyAndWrite(synthesize({}, [webApp()]), out).files!;
    const b = verifyAndWrite(synthesize({}, [webApp()]), out).files!;
    expect([...b.entries()]).toEqual([...a.entries()]);
  });

  test('cdk8sOutdir gets the same files (for cdk8s synth\'s validation plugin); outdir is only written after it', () => {
    const scratch = path.join(out, '..', `${path.basename(out)}-cdk8s`);
    try {
      const result = verifyAndWrite(synthesize({}, [webApp()]), out, { cdk8sOutdir: scratch });
      expect(result.ok).toBe(true);
      for (const f of result.files!.keys()) expect(fs.readFileSync(path.join(scratch, f), 'utf8')).toBe(fs.readFileSync(path.join(out, f), 'utf8'));
      // A scratch folder that cannot be written (here: someone else's) stops the synth before outdir is touched.
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.mkdirSync(scratch);
      fs.writeFileSync(path.join(scratch, 'foreign.txt'), 'x');
      const before = fs.readFileSync(path.join(out, 'shop', 'deployment-web.yaml'), 'utf8');
      expect(() => verifyAndWrite(synthesize({}, [webApp({ root: true })]), out, { cdk8sOutdir: scratch })).toThrow(/holds no \.ops-kit-output marker/);
      expect(fs.readFileSync(path.join(out, 'shop', 'deployment-web.yaml'), 'utf8')).toBe(before);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('warnings are returned, and printed unless quiet', () => {
    const warned = (extra: (r: Release) => void): ExampleApp => ({ name: 'warned', description: 'test app', build: (app) => extra(buildWeb(app)) });
    const app = warned((r) => r.addWarning('the web tier has one replica'));
    const printed: string[] = [];
    const result = verifyAndWrite(synthesize({}, [app]), out, { warn: (l) => printed.push(l) });
    expect(result.warnings).toEqual([{ release: 'shop', message: 'the web tier has one replica' }]);
    expect(printed).toEqual(['WARNING [shop] the web tier has one replica']);
    printed.length = 0;
    expect(verifyAndWrite(synthesize({}, [app]), out, { quiet: true, warn: (l) => printed.push(l) }).warnings).toHaveLength(1);
    expect(printed).toEqual([]);
  });
});
