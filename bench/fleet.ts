/**
 * IoT fleet at scale: one IotFleet (CRD, NATS, operator) with N fleet deployments, each a typed CR with a selector,
 * ports and env, synthesized through the normal release pipeline. `npm run bench` runs it with N = 10,000
 * (bench/scenarios.ts); directly: `npx tsx bench/fleet.ts 10000`.
 */
import { App } from 'cdk8s';
import { FleetRollout, IotFleet } from '../lib/iot';
import { NatsExposure } from '../lib/nats';
import { Release, renderApp } from '../lib/release';

/** A fresh App with one release holding a fleet of `n` deployments. */
export function fleetApp(n: number): App {
  const app = new App();
  addFleetRelease(app, n);
  return app;
}

/** Adds the release of `fleetApp` to an existing app (the benchmark's synth program builds it this way). */
export function addFleetRelease(app: App, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`'n' is ${n}; allowed: a whole number >= 0`);
  const release = new Release(app, 'iot-fleet-scale', { namespace: 'iot-scale' });
  const fleet = new IotFleet(release, 'Fleet', {
    nats: { exposure: NatsExposure.loadBalancer({ reason: 'benchmark: devices connect from outside the cluster', sourceRanges: ['10.20.0.0/16'] }) },
    operator: { supports: { matchExpressions: true } },
  });
  for (let i = 0; i < n; i++) {
    fleet.addDeployment(`app-${i}`, {
      targetSelector:
        i % 2 === 0
          ? { matchLabels: { group: `group-${i % 100}` } }
          : { matchLabels: { device: `device-${i}` }, matchExpressions: [{ key: 'group', operator: 'NotIn', values: ['quarantine'] }] },
      image: `registry.example.com/fleet/app-${i % 50}:1.${i % 7}.0`,
      // Host ports unique per deployment up to 10,000: two deployments that can share a device must not share a port.
      ports: [`${10000 + (i % 50000)}:8080`, `${50000 + (i % 10000)}:9090/udp`],
      env: { LOG_LEVEL: 'info', INSTANCE: String(i) },
      rollout: i % 3 === 0 ? FleetRollout.rolling({ maxConcurrent: 10 }) : undefined,
    });
  }
}

/** Builds and synthesizes a fleet of `n` deployments; returns the number of objects rendered. */
export function synthFleet(n: number): number {
  return renderApp(fleetApp(n)).reduce((sum, r) => sum + r.objects.length, 0);
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 10000);
  const t0 = process.hrtime.bigint();
  const objects = synthFleet(n);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(`${JSON.stringify({ deployments: n, objects, totalMs: Math.round(ms), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
}
