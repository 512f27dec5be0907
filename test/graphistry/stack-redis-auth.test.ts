import { Tier } from '../../lib/graphistry';
import { ValkeyAuth } from '../../lib/valkey';
import { KubeObject, verifyManifests } from '../../lib/verify';
import { Obj, renderStack } from './stack-fixtures';

const AUTH = ValkeyAuth.password({ name: 'graphistry-redis', key: 'password' });
const SECRET_REF = { secretKeyRef: { name: 'graphistry-redis', key: 'password' } };

/** Every container of the engine DaemonSet by name. */
const engineContainers = (objects: readonly Obj[]): Obj[] => objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'engine')!.spec.template.spec.containers;

describe('GraphistryStack redis.auth', () => {
  const off = renderStack({ tier: Tier.VIZ });
  const on = renderStack({ tier: Tier.VIZ, redis: { auth: AUTH } });

  test('off by default: no client gets a password, and the notes say why', () => {
    for (const c of engineContainers(off.objects)) expect((c.env ?? []).map((e: Obj) => e.name)).not.toContain('REDIS_PASSWORD');
    const note = off.rendered.notes.find((n) => n.startsWith('Redis authentication: off'))!;
    expect(note).toContain("Graphistry's images read Redis only from a URL");
    expect(note).toContain('redis.auth: ValkeyAuth.password');
  });

  test('on: every engine container that talks to Redis (not nginx) gets REDIS_PASSWORD before REDIS_URL with $(REDIS_PASSWORD)', () => {
    const byName = Object.fromEntries(engineContainers(on.objects).map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(['nginx', 'forge-etl-python', 'dask-cuda-worker', 'streamgl-viz', 'streamgl-sessions', 'streamgl-gpu']);
    expect((byName.nginx.env as Obj[]).map((e) => e.name)).not.toContain('REDIS_URL');
    for (const name of ['forge-etl-python', 'dask-cuda-worker', 'streamgl-viz', 'streamgl-sessions', 'streamgl-gpu']) {
      const env = byName[name].env as Obj[];
      const names = env.map((e) => e.name);
      expect(env.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom).toEqual(SECRET_REF);
      expect(env.find((e) => e.name === 'REDIS_URL')?.value).toBe('redis://:$(REDIS_PASSWORD)@redis:6379/0');
      expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('REDIS_URL'));
    }
    const nexus = on.get('Deployment', 'nexus').spec.template.spec.containers[0];
    expect((nexus.env as Obj[]).find((e) => e.name === 'REDIS_URL')?.value).toBe('redis://:$(REDIS_PASSWORD)@redis:6379/0');
    // The engine's wait on Redis is the endpoints wait (no Redis command), so it works with the password on.
    const waits = on.get('DaemonSet', 'engine').spec.template.spec.initContainers.map((c: Obj) => c.args);
    expect(waits).toContainEqual(['service', 'redis']);
  });

  test('on: the release verifies clean (a $(VAR) password in a URL is a reference) and declares the Secret', () => {
    const report = verifyManifests(on.objects as KubeObject[], { name: 'viz' });
    expect(report.violations).toEqual([]);
    expect(report.externals.map((e) => e.ref)).toContain('Secret/gx/graphistry-redis');
  });

  test('on: the notes give the Secret command and say who gets the password', () => {
    const all = on.rendered.notes.join('\n');
    expect(all).toContain('kubectl -n gx create secret generic graphistry-redis --from-literal=password="$(openssl rand -hex 32)"');
    const note = on.rendered.notes.find((n) => n.startsWith('Redis authentication: on'))!;
    expect(note).toContain('forge-etl-python, dask-cuda-worker, streamgl-viz, streamgl-sessions, streamgl-gpu');
    expect(note).toContain('REDIS_URL=redis://:$(REDIS_PASSWORD)@redis:6379/0');
    expect(all).not.toContain('Redis authentication: off');
  });

  test('at the analytics tier the engine has no streamgl containers, and the note does not name them', () => {
    const a = renderStack({ tier: Tier.ANALYTICS, redis: { auth: AUTH } });
    expect(engineContainers(a.objects).filter((c) => (c.env ?? []).some((e: Obj) => e.name === 'REDIS_PASSWORD')).map((c) => c.name)).toEqual(['forge-etl-python', 'dask-cuda-worker']);
    expect(a.rendered.notes.find((n) => n.startsWith('Redis authentication: on'))).not.toContain('streamgl');
  });

  test('the platform tier has no Redis and no Redis note', () => {
    const p = renderStack({ tier: Tier.PLATFORM });
    expect(p.rendered.notes.some((n) => n.startsWith('Redis authentication'))).toBe(false);
  });
});
