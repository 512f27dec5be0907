import { synthesize } from '../../apps/main';
import { verifyReleases } from '../../lib/verify';
import { addressesWithoutConnection, serviceAddresses } from '../support';

// The example apps as the wiring graph sees them: every in-cluster address a workload is configured with is an edge
// of the graph, and every edge checks out against the rendered Services.
describe('wiring of the example apps', () => {
  const releases = synthesize();

  test.each(releases.map((r) => [r.name, r] as const))('%s: every Service address in env, command lines and mounted config is a recorded connection', (_name, release) => {
    expect(addressesWithoutConnection(release)).toEqual([]);
  });

  test('the check finds the addresses it is meant to find (it can fail)', () => {
    const full = releases.find((r) => r.name === 'graphistry-full')!;
    const found = serviceAddresses(full);
    expect(found).toEqual(expect.arrayContaining([
      { workload: 'Deployment/nexus', where: 'container nexus env REDIS_URL', service: 'redis', port: 6379 },
      { workload: 'DaemonSet/engine', where: 'container forge-etl-python env REMOTE_DASK', service: 'dask-scheduler', port: 8786 },
      { workload: 'Deployment/caddy', where: 'ConfigMap caddy-caddyfile Caddyfile', service: 'engine-headless', port: 80 },
      { workload: 'Deployment/graph-app-kit-public', where: 'container graph-app-kit env GRAPHISTRY_SERVER', service: 'nginx' },
    ]));
    // The engine's FORGE_ETL_HOSTNAME=nginx is the pod's loopback alias, not the nginx Service.
    expect(found.some((a) => a.where.endsWith('FORGE_ETL_HOSTNAME'))).toBe(false);
    // With the connections removed, every one of them is reported.
    expect(addressesWithoutConnection({ ...full, connections: [] })).toHaveLength(found.length);
  });

  test('every connection of every release checks out against the rendered objects (no wiring violations)', () => {
    const reports = verifyReleases(releases, { schema: false });
    expect(reports.flatMap((r) => r.violations.filter((v) => v.rule.startsWith('wiring-')))).toEqual([]);
    expect(releases.reduce((n, r) => n + r.connections.length, 0)).toBeGreaterThan(50);
  });
});
