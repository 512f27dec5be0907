// A team's app: Graphistry at the analytics tier and an IoT fleet, each its own release (one Argo CD application).
// Everything comes from the package entry point.
import { App } from 'cdk8s';
import { CaddyCookieSecret, ExternalPeer, formatReport, GraphistryStack, IotFleet, NatsExposure, Postgres, Release, synthesizeToDist, Tier } from 'cdk8s-ops-kit';

export function buildGraphistry(app: App): GraphistryStack {
  const release = new Release(app, 'graphistry', { namespace: 'graphistry' });
  return new GraphistryStack(release, 'Graphistry', {
    tier: Tier.ANALYTICS,
    postgres: Postgres.external({
      host: 'postgres.databases.svc.cluster.local',
      database: 'graphistry',
      user: 'graphistry',
      passwordSecret: { name: 'graphistry-postgres', key: 'password' },
      peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }),
    }),
    jwtSecret: 'graphistry-jwt',
    nexusSecret: 'graphistry-nexus',
    caddy: { cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret') },
  });
}

export function buildFleet(app: App): IotFleet {
  const release = new Release(app, 'fleet', { namespace: 'fleet' });
  const fleet = new IotFleet(release, 'Fleet', { nats: { exposure: NatsExposure.clusterIp() } });
  fleet.addDeployment('hello', { targetSelector: { matchLabels: { group: 'lab' } }, image: 'docker.io/library/nginx:1.27.2-alpine', ports: ['8080:80'] });
  return fleet;
}

export function synth(outdir: string): boolean {
  const app = new App();
  buildGraphistry(app);
  buildFleet(app);
  const result = synthesizeToDist(app, outdir, { cdk8sOutdir: process.env.CDK8S_OUTDIR });
  if (!result.ok) console.error(result.reports.map(formatReport).join('\n'));
  return result.ok;
}

if (require.main === module) process.exit(synth(process.argv[2] ?? 'dist') ? 0 : 1);
