/**
 * IoT fleet at scale: one IotFleet (CRD, NATS, operator) with N fleet deployments, each a typed CR with a selector,
 * ports and env, synthesized through the normal release pipeline. For `npm run bench` (register `fleetScenario(10000)`
 * in EXTRA_SCENARIOS) or directly: `npx tsx bench/fleet.ts 10000`.
 */
import { App } from 'cdk8s';
import { FleetRollout, IotFleet } from '../lib/iot';
import { NatsExposure } from '../lib/nats';
import { distFiles, Release, renderApp } from '../lib/release';
import type { Scenario } from './scenarios';

/** A fresh App with one release holding a fleet of `n` deployments. */
export function fleetApp(n: number): App {
  if (!Number.isInteger(n) || n < 0) throw new Error(`'n' is ${n}; allowed: a whole number >= 0`);
  const app = new App();
  const release = new Release(app, 'iot-fleet-scale', { namespace: 'iot-scale' });
  const fleet = new IotFleet(release, 'Fleet', {
    nats: { exposure: NatsExposure.loadBalancer({ reason: 'benchmark: devices connect from outside the cluster' }) },
  });
  for (let i = 0; i < n; i++) {
    fleet.addDeployment(`app-${i}`, {
      targetSelector:
        i % 2 === 0
          ? { matchLabels: { group: `group-${i % 100}` } }
          : { matchLabels: { device: `device-${i}` }, matchExpressions: [{ key: 'group', operator: 'NotIn', values: ['quarantine'] }] },
      image: `registry.example.com/fleet/app-${i % 50}:1.${i % 7}.0`,
      ports: [`${10000 + (i % 50000)}:8080`, `${60000 + (i % 5000)}:9090/udp`],
      env: { LOG_LEVEL: 'info', INSTANCE: String(i) },
      rollout: i % 3 === 0 ? FleetRollout.rolling({ maxConcurrent: 10 }) : undefined,
    });
  }
  return app;
}

/** Builds and synthesizes a fleet of `n` deployments; returns the number of objects rendered. */
export function synthFleet(n: number): number {
  return renderApp(fleetApp(n)).reduce((sum, r) => sum + r.objects.length, 0);
}

function timed<T>(phases: Record<string, number>, name: string, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  const out = fn();
  phases[name] = Number(process.hrtime.bigint() - t0) / 1e6;
  return out;
}

/** The benchmark scenario: build, render and serialize a fleet of `n` deployments, timed per phase. */
export function fleetScenario(n: number): Scenario {
  return {
    name: `iot fleet: ${n.toLocaleString('en-US')} deployments`,
    run: () => {
      const phases: Record<string, number> = {};
      const app = timed(phases, 'build', () => fleetApp(n));
      const releases = timed(phases, 'render', () => renderApp(app));
      timed(phases, 'serialize', () => distFiles(releases));
      return { objects: releases.reduce((sum, r) => sum + r.objects.length, 0), phases };
    },
  };
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 10000);
  const t0 = process.hrtime.bigint();
  const result = fleetScenario(n).run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(
    `${JSON.stringify({ deployments: n, objects: result.objects, totalMs: Math.round(ms), phases: result.phases, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  );
}
