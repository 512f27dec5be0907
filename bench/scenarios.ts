/**
 * Benchmark scenarios: what `npm run bench` runs, each the synth program (bin/synth.js, compiled, in a fresh process,
 * as users start it) beside `helm template` of a baseline chart rendering the same number and kinds of objects
 * (bench/helm/). bench/run.ts measures them; bench/program.ts is the synth program over the generated apps below.
 */
import * as path from 'path';
import { App, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { buildContainer } from '../lib/core/container';
import { EnvBuilder } from '../lib/core/env';
import { checksumAnnotations } from '../lib/core/checksum';
import { selectorLabels, standardLabels } from '../lib/core/labels';
import { Images } from '../lib/core/images';
import { Placement } from '../lib/core/placement';
import { buildPodSpec } from '../lib/core/pod';
import { Probes } from '../lib/core/probes';
import { sized } from '../lib/core/resources';
import { SecurityProfile } from '../lib/core/security';
import { Release } from '../lib/release';
import { EXAMPLE_APPS } from '../apps/registry';

/**
 * N generated objects: web workloads of one Deployment, one Service and one ConfigMap each, built with the core
 * primitives the product constructs use (so the scale figure reflects real construct cost, not bare ApiObjects).
 */
export function generatedApp(n: number): App {
  const app = new App();
  addGeneratedRelease(app, n);
  return app;
}

/** Adds the release of `generatedApp` to an existing app (the benchmark's synth program builds it this way). */
export function addGeneratedRelease(app: App, n: number): void {
  const release = new Release(app, `scale-${n}`, { namespace: 'scale', placement: { nodeSelector: { pool: 'cpu' } } });
  const security = SecurityProfile.restricted({ runAsUser: 10001 });
  for (let i = 0; i < Math.ceil(n / 3); i++) {
    const name = `web-${i}`;
    const scope = new Construct(release, name);
    const identity = { name: 'web', instance: name, component: 'server' };
    const config = `listen ${8000 + (i % 1000)}\n`;
    new k8s.KubeConfigMap(scope, 'Config', { metadata: { name, labels: standardLabels(identity) }, data: { 'app.conf': config } });
    const container = buildContainer(name, {
      name: 'web',
      image: Images.of(scope).resolve('image', 'nginx:1.27.2'),
      ports: [{ name: 'http', port: 8080 }],
      env: new EnvBuilder(name).own('PORT', '8080').defaults({ LOG_LEVEL: 'info' }),
      resources: sized(50, 100, 64, 128),
      readiness: Probes.http('/healthz', 'http', { period: Duration.seconds(10) }),
      liveness: Probes.tcp('http'),
      volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
    }, security);
    new k8s.KubeDeployment(scope, 'Deployment', {
      metadata: { name, labels: standardLabels(identity) },
      spec: {
        selector: { matchLabels: selectorLabels(identity) },
        template: {
          metadata: { labels: standardLabels(identity), annotations: checksumAnnotations(config) },
          spec: buildPodSpec(scope, name, {
            containers: [container],
            volumes: [{ name: 'config', configMap: { name } }],
            security,
            placement: Placement.of(scope).forWorkload(),
          }),
        },
      },
    });
    new k8s.KubeService(scope, 'Service', {
      metadata: { name, labels: standardLabels(identity) },
      spec: { selector: selectorLabels(identity), ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http') }] },
    });
  }
}

/** One `helm template` invocation: release name, namespace, chart folder and extra arguments. */
export interface HelmRun {
  readonly release: string;
  readonly namespace: string;
  readonly chart: string;
  /** Values: either a values object for the baseline chart (written to a file), or `--set` pairs. */
  readonly values?: Record<string, unknown>;
  readonly set?: Readonly<Record<string, string>>;
}

/** A benchmark scenario: the synth program's arguments, and what Helm renders for the same objects. */
export interface Scenario {
  readonly name: string;
  /** Arguments of bin/synth.js (`--quiet` and `--out` are added). */
  readonly synthArgs: readonly string[];
  /** The helm invocations, run back to back (one per release), or undefined when there is no Helm counterpart. */
  readonly helm?: readonly HelmRun[];
}

const CHARTS = path.join(__dirname, 'helm');

/** The releases an example app renders, in memory (for the baseline chart's values). */
export type ReleaseLister = (
  app: string,
) => ReadonlyArray<{ readonly name: string; readonly namespace: string; readonly values: Record<string, unknown> }>;

/** Workloads of the scale scenarios: each is 3 objects, as in `generatedApp`. */
export function scaleWorkloads(objects: number): number {
  return Math.ceil(objects / 3);
}

/** Every scenario `npm run bench` runs, in order. `releases` gives each example app's releases and baseline values. */
export function scenarios(releases: ReleaseLister): Scenario[] {
  const baseline = path.join(CHARTS, 'baseline');
  const helmFor = (app: string) => releases(app).map((r) => ({ release: r.name, namespace: r.namespace, chart: baseline, values: r.values }));
  const list: Scenario[] = EXAMPLE_APPS.map((a) => ({ name: `app:${a.name}`, synthArgs: ['--only', a.name], helm: helmFor(a.name) }));
  list.push({ name: 'all apps', synthArgs: [], helm: EXAMPLE_APPS.flatMap((a) => helmFor(a.name)) });
  for (const n of [1000, 10000]) {
    list.push({
      name: `scale: ${n.toLocaleString('en-US')} objects`,
      synthArgs: ['--program', 'bench', `scale:${n}`],
      helm: [{ release: `scale-${n}`, namespace: 'scale', chart: path.join(CHARTS, 'scale'), set: { workloads: String(scaleWorkloads(n)) } }],
    });
  }
  list.push({ name: 'iot fleet: 10,000 deployments', synthArgs: ['--program', 'bench', 'fleet:10000'] });
  return list;
}
