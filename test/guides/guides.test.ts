import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import * as YAML from 'yaml';
import { Release, renderApp, synthRelease, verifyArgoCdTree, verifyReleases } from 'cdk8s-ops-kit';
import { findObject } from '../support';
import { deliver } from './argo-cd';
import { buildGraphistry } from './graphistry';
import { buildGraphistryWithPostgres } from './graphistry-postgres';
import { buildGraphistryWithRedisAuth } from './graphistry-redis-auth';
import { buildDimtensor } from './dimtensor';
import { buildEden } from './eden';
import { buildIotFleet } from './iot-fleet';
import { buildSemanticExplorer } from './semantic-explorer';

const ROOT = path.join(__dirname, '..', '..');
const GUIDES = path.join(ROOT, 'docs', 'guides');
const guide = (name: string) => fs.readFileSync(path.join(GUIDES, name), 'utf8');

describe('guides quote only tested code', () => {
  const files = fs.readdirSync(GUIDES).filter((f) => f.endsWith('.md')).sort();

  test.each(files)('%s: every code block is a test/guides file quoted verbatim', (file) => {
    const text = guide(file);
    const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
    for (const b of blocks) {
      const before = text.slice(0, b.index).trimEnd();
      const marker = /<!-- EXAMPLE: (test\/guides\/[\w.-]+\.ts) -->$/.exec(before);
      expect({ file, block: b[2].slice(0, 60), marker: marker?.[1] }).toEqual({ file, block: b[2].slice(0, 60), marker: expect.any(String) });
      expect(b[1]).toBe('ts');
      expect(b[2]).toBe(fs.readFileSync(path.join(ROOT, marker![1]), 'utf8'));
    }
  });

  test('the index links every guide, and every guide of a system has an example', () => {
    const index = guide('README.md');
    for (const f of files.filter((x) => x !== 'README.md')) {
      expect(index).toContain(`(${f})`);
      expect(guide(f)).toMatch(/<!-- EXAMPLE: test\/guides\/[\w.-]+\.ts -->/);
    }
  });
});

describe('Graphistry guide example', () => {
  const stack = buildGraphistry(new App());
  const out = synthRelease(Release.of(stack));

  test('renders the analytics tier: engine and Redis, no visualization containers', () => {
    const engine = findObject(out.manifests, 'DaemonSet', 'engine');
    const containers = engine.spec.template.spec.containers.map((c: { name: string }) => c.name);
    expect(containers).toEqual(expect.arrayContaining(['nginx', 'forge-etl-python', 'dask-cuda-worker']));
    expect(containers.some((c: string) => c.startsWith('streamgl'))).toBe(false);
    findObject(out.manifests, 'Deployment', 'redis');
  });

  test('the Ingress serves the guide host through the nginx class', () => {
    const ingress = findObject(out.manifests, 'Ingress', 'caddy');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules.map((r: { host: string }) => r.host)).toEqual(['graphistry.example.com']);
  });

  test("the guide's Secrets table names every Secret the release notes ask the operator to create", () => {
    const notes = out.notes.join('\n');
    const asked = [...notes.matchAll(/^- Secret ([a-z0-9-]+) /gm)].map((m) => m[1]);
    const grafana = /Secret ([a-z0-9-]+) with keys admin-user/.exec(notes)?.[1];
    expect(asked.length).toBeGreaterThanOrEqual(6);
    for (const name of [...asked, grafana!]) expect(guide('graphistry.md')).toContain(`| \`${name}\` |`);
  });
});

describe('Graphistry guide: Postgres as its own release', () => {
  // The releases verify together: a connection to another release's Service is checked against what that one renders.
  const app = new App();
  const stack = buildGraphistryWithPostgres(app);
  const release = Release.of(stack);
  const rendered = renderApp(app);
  const out = { manifests: rendered.find((r) => r.name === 'graphistry')!.objects };
  const dbOut = { manifests: rendered.find((r) => r.name === 'graphistry-postgres')!.objects };

  test('both releases verify clean; the stack\'s depends on the Postgres release, whose StatefulSet renders', () => {
    for (const report of verifyReleases(rendered)) {
      expect({ release: report.name, violations: report.violations }).toEqual({ release: report.name, violations: [] });
    }
    expect(release.releaseDependencies.map((r) => r.releaseName)).toEqual(['graphistry-postgres']);
    findObject(dbOut.manifests, 'StatefulSet', 'postgres');
  });

  test('nexus connects with the namespaced host, the graphistry role and its password Secret', () => {
    const env = findObject(out.manifests, 'Deployment', 'nexus').spec.template.spec.containers[0].env;
    expect(env).toEqual(expect.arrayContaining([
      { name: 'POSTGRES_HOST', value: 'postgres.graphistry-postgres.svc' },
      { name: 'POSTGRES_USER', value: 'graphistry' },
      { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'graphistry-postgres', key: 'password' } } },
    ]));
  });

  test('the Postgres NetworkPolicy admits nexus and the engine from the graphistry namespace, and nothing else', () => {
    const policy = findObject(dbOut.manifests, 'NetworkPolicy', 'postgres');
    const from = policy.spec.ingress.map((r: { from: Array<{ namespaceSelector: unknown; podSelector: { matchLabels: Record<string, string> } }> }) =>
      [r.from[0].namespaceSelector, r.from[0].podSelector.matchLabels['app.kubernetes.io/name']]);
    const ns = { matchLabels: { 'kubernetes.io/metadata.name': 'graphistry' } };
    expect(from).toEqual([[ns, 'nexus'], [ns, 'engine']]);
  });
});

describe('Graphistry guide: a password on Redis', () => {
  const app = new App();
  buildGraphistryWithRedisAuth(app);
  const rendered = renderApp(app);
  const out = rendered.find((r) => r.name === 'graphistry')!;

  test('the release verifies clean; Redis starts with the runtime config its init container writes from the Secret', () => {
    for (const report of verifyReleases(rendered)) {
      expect({ release: report.name, violations: report.violations }).toEqual({ release: report.name, violations: [] });
    }
    const pod = findObject(out.objects, 'Deployment', 'redis').spec.template.spec;
    expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['config']);
    expect(pod.containers[0].command).toEqual(['redis-server', '/run/valkey/runtime.conf']);
  });

  test('nexus and the engine\'s Redis clients get the password by reference in REDIS_URL; the notes print the Secret command', () => {
    const url = 'redis://:$(REDIS_PASSWORD)@redis:6379/0';
    const nexus = findObject(out.objects, 'Deployment', 'nexus').spec.template.spec.containers[0];
    expect(nexus.env).toContainEqual({ name: 'REDIS_URL', value: url });
    type Container = { name: string; env?: Array<{ name: string; value?: string }> };
    const engine = findObject(out.objects, 'DaemonSet', 'engine').spec.template.spec.containers as Container[];
    expect(engine.filter((c) => c.env?.some((e) => e.name === 'REDIS_URL' && e.value === url)).map((c) => c.name))
      .toEqual(['forge-etl-python', 'dask-cuda-worker', 'streamgl-viz', 'streamgl-sessions', 'streamgl-gpu']);
    expect(out.notes.join('\n')).toContain('create secret generic graphistry-redis --from-literal=password="$(openssl rand -hex 32)"');
  });
});

describe('IoT fleet guide example', () => {
  const fleet = buildIotFleet(new App());
  const out = synthRelease(Release.of(fleet));

  test('the CRD, the operator and the two fleet deployments render; NATS admits only the device LAN', () => {
    findObject(out.manifests, 'CustomResourceDefinition', 'deployments.iot.nationtech.io');
    expect(out.manifests.filter((o) => o.kind === 'Deployment' && o.apiVersion.startsWith('iot.nationtech.io/')).map((o) => o.metadata.name).sort())
      .toEqual(['field-echo', 'hello-web']);
    const lb = out.manifests.find((o) => o.kind === 'Service' && (o as any).spec.type === 'LoadBalancer') as any;
    expect(lb.spec.loadBalancerSourceRanges).toEqual(['192.168.50.0/24']);
  });

  test('the KV buckets are created by the Job with the limits the guide states, sized for 2,000 devices', () => {
    expect(out.manifests.filter((o) => o.kind === 'Job').map((o) => o.metadata.name)).toEqual([fleet.nats.kvBucketJobName]);
    const script: string = findObject(out.manifests, 'ConfigMap', 'iot-fleet-nats-kv').data['buckets.sh'];
    expect(script).toContain('"max_bytes":655360000,"max_age":0,"max_msgs_per_subject":5,"max_msg_size":16384');
    expect(script).toContain('"max_bytes":262144000,"max_age":86400000000000,"max_msgs_per_subject":1,"max_msg_size":131072');
  });
});

describe('Argo CD guide example', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-guide-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes the release folder and its Argo CD delivery, which verifies clean', () => {
    const out = path.join(dir, 'dist');
    const files = deliver(out);
    const folder = fs.readdirSync(path.join(out, 'iot-fleet'));
    expect(folder.filter((f) => !f.endsWith('.yaml'))).toEqual([]);
    expect(files).toEqual([
      'argocd/_argocd-cm/argocd.yaml',
      'argocd/application.argoproj.io-iot.yaml',
      'argocd/appproject.argoproj.io-iot-root.yaml',
      'argocd/iot/application.argoproj.io-iot-fleet.yaml',
      'argocd/iot/appproject.argoproj.io-iot.yaml',
    ]);
    const app = YAML.parse(fs.readFileSync(path.join(out, 'argocd/iot/application.argoproj.io-iot-fleet.yaml'), 'utf8'));
    expect(app.spec.source).toEqual({ repoURL: 'https://git.example.com/platform/gitops.git', targetRevision: 'main', path: 'dist/iot-fleet' });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toEqual(['CreateNamespace=true']);
    const patch = fs.readFileSync(path.join(out, 'argocd/_argocd-cm/argocd.yaml'), 'utf8');
    expect(patch).toContain('resource.customizations.health.argoproj.io_Application');
    expect(patch).toContain('resource.customizations.health.iot.nationtech.io_Deployment');
    expect(verifyArgoCdTree(out).violations).toEqual([]);
    expect(fs.readFileSync(path.join(out, '_reports', 'iot-fleet', 'NOTES.txt'), 'utf8')).toContain(
      'kubectl apply -f dist/argocd/appproject.argoproj.io-iot-root.yaml -f dist/argocd/application.argoproj.io-iot.yaml',
    );
  });
});

describe('dimtensor guide example', () => {
  const [inference, batch] = buildDimtensor(new App()).map((r) => synthRelease(r));

  test('the autoscaler owns the inference replicas, and the budget keeps one pod', () => {
    expect(findObject(inference.manifests, 'Deployment', 'dimtensor-inference').spec.replicas).toBeUndefined();
    expect(findObject(inference.manifests, 'HorizontalPodAutoscaler', 'dimtensor-inference').spec).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(findObject(inference.manifests, 'PodDisruptionBudget', 'dimtensor-inference').spec.minAvailable).toBe(1);
  });

  test('the sweep reads its completion index, so the Job is Indexed and has no TTL', () => {
    const job = batch.manifests.find((o) => o.kind === 'Job') as any;
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', parallelism: 10, completions: 100 });
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
  });
});

describe('semantic-explorer guide example', () => {
  const se = buildSemanticExplorer(new App());
  const out = synthRelease(Release.of(se));
  const podOf = (name: string) => findObject(out.manifests, 'Deployment', name).spec.template.spec;
  const envOf = (name: string): Record<string, unknown> =>
    Object.fromEntries(podOf(name).containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

  test('the inference APIs land on the GPU pool with the runtime class; the API does not', () => {
    for (const n of ['embedding-inference-api', 'llm-inference-api']) {
      expect(podOf(n).nodeSelector).toEqual({ 'cloud.example.com/pool': 'l4' });
      expect(podOf(n).runtimeClassName).toBe('nvidia');
    }
    expect(podOf('api').runtimeClassName).toBeUndefined();
  });

  test('NATS_REPLICAS is the external cluster size and the OIDC issuer is the one Dex serves', () => {
    const env = envOf('api');
    expect(env.NATS_URL).toBe('nats://nats.messaging.corp.example:4222');
    expect(env.NATS_REPLICAS).toBe('3');
    const config = YAML.parse(findObject(out.manifests, 'ConfigMap', 'semantic-explorer-dex-config').data['config.yaml']);
    expect(env.OIDC_ISSUER_URL).toBe(config.issuer);
  });

  test("the guide's Secrets table names every Secret the release references", () => {
    const externals = out.report.externals.map((e) => e.ref).filter((r) => r.startsWith('Secret/')).map((r) => r.split('/').pop()!);
    expect(externals.length).toBeGreaterThanOrEqual(10);
    for (const name of externals) expect(guide('semantic-explorer.md')).toContain(`\`${name}\``);
  });
});

describe('EDEN guide example', () => {
  const pending = synthRelease(Release.of(buildEden(new App(), false)));
  const ready = synthRelease(Release.of(buildEden(new App(), true)));

  test('pending renders the infrastructure, the repo-init Job and the task store; ready adds every service', () => {
    const workloads = (m: typeof pending.manifests) => m.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)).map((o) => o.metadata.name).sort();
    expect(workloads(pending.manifests)).toEqual(['eden-forgejo', 'eden-postgres', 'eden-task-store-server']);
    expect(workloads(ready.manifests)).toEqual([
      'eden-evaluator-host', 'eden-executor-host', 'eden-forgejo', 'eden-ideator-host', 'eden-orchestrator', 'eden-postgres', 'eden-task-store-server', 'eden-web-ui',
    ]);
    expect(pending.manifests.some((o) => o.kind === 'Job')).toBe(true);
  });

  test("the guide's Secrets table names every Secret the notes ask for", () => {
    const notes = [...pending.notes, ...ready.notes].join('\n');
    const asked = new Set([...notes.matchAll(/create secret generic ([a-z0-9-]+)/g)].map((m) => m[1]));
    expect(asked.size).toBeGreaterThanOrEqual(3);
    for (const name of asked) {
      const row = name.endsWith('-identity') ? '`eden-<service>-identity`' : `\`${name}\``;
      expect(guide('eden.md')).toContain(`| ${row} |`);
    }
  });
});
