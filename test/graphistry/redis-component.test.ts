import { ApiObject } from 'cdk8s';
import { Redis, REDIS_UID, Tier } from '../../lib/graphistry';
import { ValkeyAuth, ValkeyServer } from '../../lib/valkey';
import { DemoWorkload, envOf, newRelease, Obj, Template } from '../support';
import { renderStack } from './stack-fixtures';

describe("Graphistry's Redis is the Valkey component's ValkeyServer", () => {
  const s = renderStack({ tier: Tier.ANALYTICS });
  const redis = s.stack.redis!;

  test('stack.redis is a preset on a ValkeyServer, which renders its Deployment and Service', () => {
    expect(redis.server).toBeInstanceOf(ValkeyServer);
    expect(redis.server.node.scope).toBe(redis);
    expect(redis.deployment).toBe(redis.server.deployment);
    expect(redis.service).toBe(redis.server.service);
    expect(redis.endpoint).toBe(redis.server.endpoint);
    expect(redis.auth).toBe(redis.server.auth);
    expect(redis.engine).toBe(redis.server.engine);
    expect(redis.selector).toBe(redis.server.selector);
    expect(ApiObject.of(redis.server.node.findChild('Resource')).kind).toBe('Deployment');
    // Everything Redis renders comes from the component: no object of its own.
    const own = redis.node.children.filter((c) => c !== redis.server);
    expect(own).toEqual([]);
  });

  test('the preset: a Deployment on the image\'s defaults with `redis-cli ping` probes and no component note', () => {
    expect(redis.server.workload.kind).toBe('Deployment');
    expect(redis.server.configSource.mode).toBe('image-defaults');
    expect(redis.server.persistence.claim).toBeUndefined();
    expect(redis.server.readReplicas).toBe(0);
    const d = s.get('Deployment', 'redis');
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const c = d.spec.template.spec.containers[0];
    expect([c.name, c.livenessProbe.exec.command, c.readinessProbe.exec.command, c.startupProbe]).toEqual(['redis', ['redis-cli', 'ping'], ['redis-cli', 'ping'], undefined]);
    expect(c.command).toBeUndefined();
    expect(d.spec.template.spec.securityContext).toMatchObject({ runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID });
    expect(s.objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'redis')).toEqual([]);
    // The stack writes its own Redis note; the component's is off.
    expect(s.rendered.notes.filter((n) => n.startsWith('Redis redis:'))).toEqual([]);
    expect(s.rendered.notes.filter((n) => n.startsWith('Redis authentication: off'))).toHaveLength(1);
  });

  test('the selector stays name=redis, component=cache (immutable on a Deployment); part-of graphistry is on the metadata', () => {
    const d = s.get('Deployment', 'redis');
    expect(d.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'graphistry', 'app.kubernetes.io/component': 'cache' });
    expect(d.metadata.labels['app.kubernetes.io/part-of']).toBe('graphistry');
    expect(s.get('Service', 'redis').spec.selector).toEqual(d.spec.selector.matchLabels);
  });

  test('server.connect is the component\'s wiring for any other client (VALKEY_URL, the password as a Secret reference)', () => {
    const r = newRelease({ id: 'gx', namespace: 'gx' });
    const auth = ValkeyAuth.password({ name: 'graphistry-redis', key: 'password' });
    const graphistry = new Redis(r, 'Redis', { auth });
    new DemoWorkload(r, 'W', { name: 'w', connect: [(client) => graphistry.server.connect(client, { database: 2, env: { readUrl: false } })] });
    const env = envOf(Template.fromRelease(r).container('Deployment', 'w', 'main'));
    expect(env.VALKEY_URL).toBe('redis://redis.gx.svc:6379/2');
    expect(env.VALKEY_PASSWORD).toEqual({ secretKeyRef: { name: 'graphistry-redis', key: 'password' } });
  });

  test('fails when the image is not an image reference, named as Redis\' prop (and as the stack\'s)', () => {
    expect(() => new Redis(newRelease({ id: 'gx', namespace: 'gx' }), 'Redis', { image: 'UPPER CASE' })).toThrow(/^Redis "gx\/Redis": 'image' is "UPPER CASE", but it contains whitespace/);
    expect(() => renderStack({ tier: Tier.ANALYTICS, redis: { image: 'redis:latest' } })).toThrow(/'redis.image' is "redis:latest", but an unpinned image changes under a running release/);
  });

  test('fails when the rollout is not a DeploymentRollout', () => {
    expect(() => new Redis(newRelease({ id: 'gx', namespace: 'gx' }), 'Redis', { rollout: 'Recreate' as never })).toThrow(
      "Redis \"gx/Redis\": 'rollout' is \"Recreate\"; allowed: DeploymentRollout.rolling({...}) or DeploymentRollout.recreate()",
    );
  });

  test('every tier with Redis renders its Deployment, Service and NetworkPolicy under the name redis', () => {
    for (const tier of [Tier.ANALYTICS, Tier.VIZ, Tier.FULL]) {
      const ids = renderStack({ tier }).objects.filter((o: Obj) => o.metadata.name === 'redis').map((o: Obj) => o.kind).sort();
      expect(ids).toEqual(['Deployment', 'NetworkPolicy', 'Service']);
    }
  });
});
