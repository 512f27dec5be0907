import { App } from 'cdk8s';
import {
  CaddyCookieSecret, CaddyRouteAuth, ExternalPeer, GraphistryStack, Postgres, Release, TelemetryMode, Tier,
} from 'cdk8s-ops-kit';

/** Graphistry at the analytics tier on one GPU node, behind the cluster's ingress-nginx, with self-hosted telemetry. */
export function buildGraphistry(app: App): GraphistryStack {
  const release = new Release(app, 'graphistry', {
    namespace: 'graphistry',
    // Graphistry's images come from its Docker Hub organisation with the pull credentials Graphistry issues.
    images: { pullSecrets: ['graphistry-dockerhub'] },
  });
  return new GraphistryStack(release, 'Graphistry', {
    tier: Tier.ANALYTICS,
    // Postgres is its own release (a managed database or an operator such as Crunchy PGO); this one only connects.
    postgres: Postgres.external({
      host: 'postgres-primary.graphistry-db.svc.cluster.local',
      port: 5432,
      database: 'graphistry',
      user: 'graphistry',
      passwordSecret: { name: 'graphistry-postgres', key: 'password' },
      // Who answers there, for the NetworkPolicy egress of every client: the PGO primary's pod.
      peer: ExternalPeer.pods({
        namespace: 'graphistry-db',
        selector: { 'postgres-operator.crunchydata.com/cluster': 'postgres', 'postgres-operator.crunchydata.com/role': 'master' },
      }),
    }),
    // Operator-created Secrets: the library never generates or defaults a credential.
    jwtSecret: 'graphistry-jwt',
    nexusSecret: 'graphistry-nexus',
    caddy: {
      cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret'),
      ingress: { className: 'nginx', hosts: ['graphistry.example.com'], proxyBodySize: '20g' },
      // /prometheus and /jaeger have no login of their own.
      telemetryAuth: CaddyRouteAuth.basic({ secretName: 'graphistry-telemetry-auth' }),
    },
    telemetry: {
      mode: TelemetryMode.selfHosted({ grafanaAdmin: { secretName: 'graphistry-grafana-admin' } }),
    },
  });
}
