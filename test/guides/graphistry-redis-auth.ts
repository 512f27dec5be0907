import { App } from 'cdk8s';
import { CaddyCookieSecret, ExternalPeer, GraphistryStack, Postgres, Release, Tier, ValkeyAuth } from 'cdk8s-ops-kit';

/** Graphistry at the viz tier with a password on its Redis. */
export function buildGraphistryWithRedisAuth(app: App): GraphistryStack {
  const release = new Release(app, 'graphistry', { namespace: 'graphistry' });
  return new GraphistryStack(release, 'Graphistry', {
    tier: Tier.VIZ,
    postgres: Postgres.external({
      host: 'postgres.example.internal',
      database: 'graphistry',
      user: 'graphistry',
      passwordSecret: { name: 'graphistry-postgres', key: 'password' },
      peer: ExternalPeer.cidr({ cidrs: ['10.40.0.0/24'], reason: 'the managed database network' }),
    }),
    jwtSecret: 'graphistry-jwt',
    nexusSecret: 'graphistry-nexus',
    caddy: { cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret') },
    // An operator-created Secret with a URL-safe password (the notes print the command); Redis requires it, and nexus
    // and the engine's Redis clients get it in REDIS_URL through $(REDIS_PASSWORD).
    redis: { auth: ValkeyAuth.password({ name: 'graphistry-redis', key: 'password' }) },
  });
}
