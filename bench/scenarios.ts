/**
 * Benchmark scenarios. Each runs in a fresh process (bench/child.ts) so timings and peak memory are not polluted by
 * earlier runs. A scenario reports its phases; the parent measures wall time and reads peak RSS.
 */
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
import { distFiles, Release, renderApp, RenderedRelease } from '../lib/release';
import { verifyReleases } from '../lib/verify';
import { buildApp } from '../apps/main';
import { EXAMPLE_APPS } from '../apps/registry';
import { fleetApp } from './fleet';

/** Phase timings in milliseconds plus the number of objects produced. */
export interface ScenarioResult {
  readonly objects: number;
  readonly phases: Record<string, number>;
}

export interface Scenario {
  readonly name: string;
  readonly run: () => ScenarioResult;
}

function timed<T>(phases: Record<string, number>, name: string, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  const out = fn();
  phases[name] = Number(process.hrtime.bigint() - t0) / 1e6;
  return out;
}

/**
 * Verification as synth runs it (schema, policy, references), timed twice: `verify` is the first run in the process
 * and includes loading and compiling the Kubernetes schemas, `verify warm` a second run over the same objects.
 */
const POST_RENDER_PHASES: Array<{ name: string; run: (releases: RenderedRelease[]) => void }> = [
  { name: 'verify', run: (releases) => void verifyReleases(releases) },
  { name: 'verify warm', run: (releases) => void verifyReleases(releases) },
];

function synthScenario(name: string, build: () => App): Scenario {
  return {
    name,
    run: () => {
      const phases: Record<string, number> = {};
      const app = timed(phases, 'build', build);
      const releases = timed(phases, 'render', () => renderApp(app));
      for (const p of POST_RENDER_PHASES) timed(phases, p.name, () => p.run(releases));
      timed(phases, 'serialize', () => distFiles(releases));
      return { objects: releases.reduce((n, r) => n + r.objects.length, 0), phases };
    },
  };
}

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

/** Every scenario `npm run bench` runs, in order. */
export function scenarios(): Scenario[] {
  const list: Scenario[] = [];
  for (const a of EXAMPLE_APPS) list.push(synthScenario(`app:${a.name}`, () => buildApp({ only: [a.name] })));
  list.push(synthScenario('all apps', () => buildApp()));
  list.push(synthScenario('scale: 1,000 objects', () => generatedApp(1000)));
  list.push(synthScenario('scale: 10,000 objects', () => generatedApp(10000)));
  list.push(synthScenario('iot fleet: 10,000 deployments', () => fleetApp(10000)));
  return list;
}
