import { App } from 'cdk8s';
import { CaddyCookieSecret, GraphistryStack, Postgres, PostgresServer, Release, Tier } from 'cdk8s-ops-kit';

/** Graphistry with its database in the cluster: a Postgres release first, the stack's release after it. */
export function buildGraphistryWithPostgres(app: App): GraphistryStack {
  const db = new Release(app, 'graphistry-postgres', { namespace: 'graphistry-postgres' });
  const server = new PostgresServer(db, 'Postgres', {
    name: 'postgres',
    superuser: { password: { name: 'graphistry-postgres-superuser', key: 'password' } },
  });
  // Graphistry logs in as its own role, which owns its database (nexus' migrations create the tables).
  const role = server.addRole('graphistry', { password: { name: 'graphistry-postgres', key: 'password' } });
  server.addDatabase('graphistry', { owner: role });

  // dependsOn states the order; the connections below (nexus, the engine) would order the Argo CD waves anyway.
  const release = new Release(app, 'graphistry', { namespace: 'graphistry', dependsOn: [db] });
  return new GraphistryStack(release, 'Graphistry', {
    tier: Tier.ANALYTICS,
    // The typed connection: host postgres.graphistry-postgres.svc, the role, its password Secret, the pg_isready wait;
    // both namespaces' NetworkPolicies admit exactly the clients.
    postgres: Postgres.server(server, { database: 'graphistry', login: role }),
    jwtSecret: 'graphistry-jwt',
    nexusSecret: 'graphistry-nexus',
    caddy: { cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret') },
  });
}
