import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { synthesize } from '../../apps/main';
import { renderApp } from '../../lib/release';
import { releaseWarnings } from '../../lib/verify';
import { buildMessaging, synth } from './example';
import { buildShop } from './workload-example';
import { verifyReleases } from '../../lib/verify';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const EXAMPLE = fs.readFileSync(path.join(__dirname, 'example.ts'), 'utf8');
const TEST_EXAMPLE = fs.readFileSync(path.join(__dirname, 'example.test.ts'), 'utf8');

describe('README example', () => {
  test('the README quotes test/readme/example.ts verbatim', () => {
    const m = README.match(/<!-- README-EXAMPLE:START -->\n```ts\n([\s\S]*?)```\n<!-- README-EXAMPLE:END -->/);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(EXAMPLE);
  });

  test('the README quotes the consumer snapshot test, test/readme/example.test.ts, verbatim', () => {
    const m = README.match(/<!-- README-TEST-EXAMPLE:START -->\n```ts\n([\s\S]*?)```\n<!-- README-TEST-EXAMPLE:END -->/);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(TEST_EXAMPLE);
  });

  test('the README names no file the package does not ship (package.json files)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    // The part of the README written for package users, up to the section about this repository's own layout.
    const forUsers = README.slice(README.indexOf('## Using the library from another project'), README.indexOf('## Folder layout'));
    const named = [...forUsers.matchAll(/\b((?:schemas|imports|build|lib)\/[\w./*-]+\.(?:ts|js|gz|yaml|json)|plugin\.js)\b/g)].map((x) => x[1]);
    expect(named.length).toBeGreaterThan(0);
    const shipped = (f: string) => (pkg.files as string[]).some((g) => new RegExp(`^${g.replace(/\./g, '\\.').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}$`).test(f));
    expect(named.filter((f) => !f.includes('*') && !shipped(f) && !f.startsWith('test/'))).toEqual([]);
  });

  test('the example synthesizes, with the mirror and placement applied', () => {
    const app = new App();
    const nats = buildMessaging(app);
    const [release] = renderApp(app);
    expect(release.name).toBe('messaging');
    const sts = release.objects.find((o) => o.kind === 'StatefulSet') as any;
    const pod = sts.spec.template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) expect(c.image.startsWith('mirror.corp.example:5000/')).toBe(true);
    expect(pod.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    expect(pod.nodeSelector).toEqual({ 'node-role.corp.example/infra': 'true' });
    const svc = release.objects.find((o) => o.kind === 'Service' && (o as any).spec.type === 'NodePort') as any;
    expect(svc.spec.ports.find((p: any) => p.nodePort === 30422)).toBeDefined();
    expect(nats.buckets.map((b) => b.name)).toEqual(['orders']);
  });

  test('the example writes one release folder of manifests and a verification report beside it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    const before = process.env.CDK8S_OUTDIR;
    delete process.env.CDK8S_OUTDIR;
    try {
      expect(synth(dir)).toBe(true);
      expect(fs.readdirSync(dir).sort()).toEqual(['.ops-kit-output', '_reports', 'messaging']);
      expect(fs.readdirSync(path.join(dir, 'messaging')).every((f) => f.endsWith('.yaml'))).toBe(true);
      expect(fs.readFileSync(path.join(dir, '_reports', 'messaging', 'verify.txt'), 'utf8')).toContain('verify messaging');
    } finally {
      if (before !== undefined) process.env.CDK8S_OUTDIR = before;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the example honours CDK8S_OUTDIR: under cdk8s synth the CLI\'s folder gets the same files as dist/', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    const before = process.env.CDK8S_OUTDIR;
    process.env.CDK8S_OUTDIR = path.join(dir, 'cdk8s-out');
    try {
      expect(synth(path.join(dir, 'dist'))).toBe(true);
      for (const f of ['messaging/statefulset-messaging-nats.yaml', '_reports/messaging/verify.txt']) {
        expect(fs.readFileSync(path.join(dir, 'cdk8s-out', f), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'dist', f), 'utf8'));
      }
    } finally {
      if (before === undefined) delete process.env.CDK8S_OUTDIR;
      else process.env.CDK8S_OUTDIR = before;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the operator notes and warnings of every example app name no file of this repository (a package user has none)', () => {
    const releases = synthesize();
    const texts = [...releases.flatMap((r) => r.notes), ...releaseWarnings(releases).map((w) => w.message)];
    expect(texts.length).toBeGreaterThan(20);
    const repoFile = /(?<![\w/.-])(?:lib|apps(?!\/v\d)|test|bench|bin|imports|schemas|shared)\/[\w./-]+|\.\.\/shared|\b[\w-]+\.ts\b/g;
    expect(texts.flatMap((t) => t.match(repoFile) ?? [])).toEqual([]);
  });
});

describe('README workload example', () => {
  const WORKLOAD_EXAMPLE = fs.readFileSync(path.join(__dirname, 'workload-example.ts'), 'utf8');

  test('the README quotes test/readme/workload-example.ts verbatim', () => {
    const m = README.match(/<!-- README-WORKLOAD-EXAMPLE:START -->\n```ts\n([\s\S]*?)```\n<!-- README-WORKLOAD-EXAMPLE:END -->/);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(WORKLOAD_EXAMPLE);
  });

  test('the example synthesizes and verifies clean: Deployment without replicas, HPA, PDB, Service, Ingress, an Indexed Job, a GPU Job', () => {
    const app = new App();
    buildShop(app);
    const releases = renderApp(app);
    const [report] = verifyReleases(releases);
    expect(report.violations).toEqual([]);
    const objects = releases[0].objects as any[];
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Job', 'Job', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'PodDisruptionBudget', 'Service',
    ]);
    expect(objects.find((o) => o.kind === 'Deployment').spec.replicas).toBeUndefined();
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(jobs.find((j) => j.metadata.name.startsWith('reindex-')).spec.completionMode).toBe('Indexed');
    expect(jobs.find((j) => j.metadata.name.startsWith('train-')).spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
  });
});
