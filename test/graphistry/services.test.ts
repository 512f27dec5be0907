import { ApiObject, Duration } from 'cdk8s';
import { ExternalPeer, NodeSelection } from '../../lib/core';
import { Construct } from 'constructs';
import { ConfigError } from '../../lib/core/errors';
import { EXTERNAL_REFS_ANNOTATION } from '../../lib/core/policy';
import {
  DaskScheduler,
  GraphAppKit,
  GraphAppKitVariant,
  Nexus,
  NexusProps,
  NEXUS_SEED_DEFAULTS,
  StripeWebhookValidation,
  Notebook,
  Pivot,
  Postgres,
  Redis,
  GRAPHISTRY_REDIS_NO_AUTH_REASON,
} from '../../lib/graphistry';
import { DeploymentRollout } from '../../lib/core';
import { ReleaseProps } from '../../lib/release';
import { REDIS_IMAGE } from '../../lib/graphistry/services/defaults';
import { runtimeConfigScript, VALKEY_IMAGE, VALKEY_PORT, VALKEY_RUNTIME_CONFIG, VALKEY_UID, ValkeyAuth, ValkeyEngine } from '../../lib/valkey';
import { DemoWorkload, envOf, newRelease, Template } from '../support';

type Obj = Record<string, any>;

const postgres = Postgres.external({ host: 'pg.db.svc.cluster.local', port: 6432, database: 'graphistry', user: 'graphistry', passwordSecret: { name: 'pg-password', key: 'password' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) });
const nexusBase: NexusProps = {
  postgres,
  jwtSecret: 'graphistry-jwt',
  requiredSecret: 'graphistry-nexus',
  externalScheme: 'https',
  dataMountClaim: 'data-mount',
  localMediaMountClaim: 'local-media-mount',
};

function render(build: (scope: Construct) => Construct, release: Partial<ReleaseProps> = {}) {
  const r = newRelease({ id: 'gx', namespace: 'gx', ...release });
  const construct = build(r);
  const template = Template.fromRelease(r);
  // The construct's own objects (a stand-in server it connects to renders objects of its own).
  const rendered = { ...template.rendered, objects: template.objectsOf(construct) };
  const find = (kind: string, name?: string) =>
    rendered.objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as Obj;
  const deployment = find('Deployment');
  const pod = deployment?.spec.template.spec as Obj;
  return { construct, rendered, template, objects: rendered.objects, find, deployment, pod, main: pod?.containers[0] as Obj };
}


/** Every probe of every container targets a port the container declares (by name or number). */
function expectProbesOnDeclaredPorts(pod: Obj): void {
  for (const c of pod.containers as Obj[]) {
    const names = new Set(((c.ports ?? []) as Obj[]).map((p) => p.name));
    const numbers = new Set(((c.ports ?? []) as Obj[]).map((p) => p.containerPort));
    for (const probe of [c.livenessProbe, c.readinessProbe]) {
      expect(probe).toBeDefined();
      const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
      if (port !== undefined) expect(typeof port === 'string' ? names.has(port) : numbers.has(port)).toBe(true);
      const url = ((probe.exec?.command ?? []) as string[]).find((a) => a.startsWith('http://'));
      if (url) expect(numbers.has(Number(new URL(url).port))).toBe(true);
    }
  }
}

/** Every Service port forwards to a named port of the selected pod's container. */
function expectServiceResolves(r: ReturnType<typeof render>): void {
  const svc = r.find('Service');
  const labels = r.deployment.spec.template.metadata.labels as Record<string, string>;
  for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) expect(labels[k]).toBe(v);
  const names = ((r.main.ports ?? []) as Obj[]).map((p) => p.name);
  for (const p of svc.spec.ports as Obj[]) expect(names).toContain(p.targetPort);
}

describe('Nexus', () => {
  const r = render((s) => new Nexus(s, 'Nexus', { ...nexusBase, optionalSecret: 'nexus-features' }));

  test('defaults snapshot', () => {
    expect(r.objects).toMatchSnapshot();
  });

  test('a Deployment and a ClusterIP Service on port 8000; the Deployment is the escape-hatch child', () => {
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/nexus', 'Service/nexus']);
    expect(r.find('Service').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 8000, targetPort: 'http' }] });
    expect(ApiObject.of(r.construct as Nexus)).toBe((r.construct as Nexus).deployment);
    expectServiceResolves(r);
    expectProbesOnDeclaredPorts(r.pod);
  });

  test('JWT and required Secrets load with envFrom; the optional one is optional: true', () => {
    expect(r.main.envFrom).toEqual([
      { secretRef: { name: 'graphistry-jwt' } },
      { secretRef: { name: 'graphistry-nexus' } },
      { secretRef: { name: 'nexus-features', optional: true } },
    ]);
    // The operator creates the two required ones; the optional one is not declared (nexus starts without it).
    expect(r.deployment.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('Secret/graphistry-jwt,Secret/graphistry-nexus,Secret/pg-password');
  });

  test('an unnamed optional Secret is skipped', () => {
    const plain = render((s) => new Nexus(s, 'Nexus', { ...nexusBase, optionalSecret: '' }));
    expect(plain.main.envFrom).toHaveLength(2);
  });

  test('Postgres env and the pg_isready wait use the same host and port', () => {
    const env = envOf(r.main);
    expect(env).toMatchObject({ POSTGRES_HOST: 'pg.db.svc.cluster.local', POSTGRES_PORT: '6432', POSTGRES_DB: 'graphistry', POSTGRES_USER: 'graphistry' });
    expect(env.POSTGRES_PASSWORD).toEqual({ secretKeyRef: { name: 'pg-password', key: 'password' } });
    expect(r.pod.initContainers).toHaveLength(1);
    expect(r.pod.initContainers[0].args[0]).toContain("pg_isready '-h' 'pg.db.svc.cluster.local' '-p' '6432'");
  });

  test('COOKIE_SECURE follows the external scheme', () => {
    expect(envOf(r.main).COOKIE_SECURE).toBe('True');
    const http = render((s) => new Nexus(s, 'Nexus', { ...nexusBase, externalScheme: 'http' }));
    expect(envOf(http.main).COOKIE_SECURE).toBe('False');
  });

  test('user env merges over the defaults', () => {
    const custom = render((s) => new Nexus(s, 'Nexus', { ...nexusBase, env: { DJANGO_DEBUG: 'True', LOG_LEVEL: 'DEBUG' } }));
    expect(envOf(custom.main)).toMatchObject({ DJANGO_DEBUG: 'True', LOG_LEVEL: 'DEBUG', DJANGO_SETTINGS_MODULE: 'config.settings.production' });
  });

  test("session and token lifetimes and Stripe validation default to the seed chart's values (1209600 s, 3600 s, retrieve_event)", () => {
    expect(envOf(r.main)).toMatchObject({ SESSION_COOKIE_AGE: '1209600', JWT_EXPIRATION_DELTA: '3600', DJSTRIPE_WEBHOOK_VALIDATION: 'retrieve_event' });
    expect(NEXUS_SEED_DEFAULTS.sessionCookieAge.toSeconds()).toBe(14 * 24 * 3600);
  });

  test('the typed settings render as env in seconds, and GRAPHISTRY_CPU_MODE follows cpuMode', () => {
    const custom = render((s) => new Nexus(s, 'Nexus', {
      ...nexusBase,
      cpuMode: true,
      sessionCookieAge: Duration.hours(8),
      jwtExpiration: Duration.minutes(15),
      stripeWebhookValidation: StripeWebhookValidation.VERIFY_SIGNATURE,
    }));
    expect(envOf(custom.main)).toMatchObject({
      GRAPHISTRY_CPU_MODE: '1',
      SESSION_COOKIE_AGE: '28800',
      JWT_EXPIRATION_DELTA: '900',
      DJSTRIPE_WEBHOOK_VALIDATION: 'verify_signature',
    });
    expect(envOf(r.main).GRAPHISTRY_CPU_MODE).toBe('0');
  });

  test('fails when env sets a typed setting, naming the prop that owns it', () => {
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, env: { SESSION_COOKIE_AGE: '3600' } }))).toThrow(
      /'env\.SESSION_COOKIE_AGE' is "3600".*'sessionCookieAge' prop/s,
    );
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, env: { GRAPHISTRY_CPU_MODE: '1' } }))).toThrow(/'cpuMode' prop/);
  });

  test('fails when a lifetime is not a whole number of seconds above 0, showing the value', () => {
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, jwtExpiration: Duration.millis(1500) }))).toThrow(
      /jwtExpiration.*1\.5s.*a whole number of seconds above 0/s,
    );
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, sessionCookieAge: Duration.seconds(0) }))).toThrow(/sessionCookieAge.*0s/s);
  });

  test('fails when the Stripe validation is not one of the class constants', () => {
    const bad = { value: 'none' } as unknown as StripeWebhookValidation;
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, stripeWebhookValidation: bad }))).toThrow(
      /stripeWebhookValidation.*StripeWebhookValidation\.RETRIEVE_EVENT or StripeWebhookValidation\.VERIFY_SIGNATURE/s,
    );
  });

  test('runs as root only through named exceptions recorded on the Deployment', () => {
    const a = r.deployment.metadata.annotations;
    expect(a['policy.ops-kit.io/non-root']).toMatch(/no_root_squash/);
    expect(a['policy.ops-kit.io/capabilities-dropped']).toMatch(/SETUID/);
    expect(r.main.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'] });
    // The wait runs as root too (the pod uid) but adds nothing back.
    expect(r.pod.initContainers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });

  test('rolls with maxUnavailable 0 by default, or Recreate', () => {
    expect(r.deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const rec = render((s) => new Nexus(s, 'Nexus', { ...nexusBase, rollout: DeploymentRollout.recreate() }));
    expect(rec.deployment.spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('fails when the user env sets a key nexus owns', () => {
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, env: { POSTGRES_HOST: 'other' } }))).toThrow(/^'env\.POSTGRES_HOST'/);
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, env: { COOKIE_SECURE: 'False' } }))).toThrow(ConfigError);
  });

  test('fails when the JWT Secret is unnamed, saying which Secret to create and how', () => {
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, jwtSecret: '' }))).toThrow(/'jwtSecret'.*kubectl -n gx create secret generic graphistry-jwt --from-literal=DJANGO_SECRET_KEY=/);
  });

  test('fails when the required nexus Secret is unnamed, naming its three keys', () => {
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, requiredSecret: ' ' }))).toThrow(
      /GRAPHISTRY_NEXUS_ENCRYPTION_KEYS, GRAPHISTRY_NEXUS_SIGNING_KEY, GRAPHISTRY_NEXUS_SIGNING_SALT.*kubectl -n gx create secret generic graphistry-nexus/,
    );
  });

  test('fails when the optional Secret name is not a Secret name', () => {
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, optionalSecret: 'Not_A_Name' }))).toThrow(/optionalSecret/);
  });
});

describe('Redis', () => {
  const r = render((s) => new Redis(s, 'Redis'));

  test('a ClusterIP Service (never a LoadBalancer) on 6379', () => {
    expect(r.find('Service').spec).toEqual({
      type: 'ClusterIP',
      selector: r.deployment.spec.selector.matchLabels,
      ports: [{ name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' }],
    });
    expectServiceResolves(r);
  });

  test('runs as the image\'s redis user with no policy exception', () => {
    expect(r.pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
    expect(r.deployment.metadata.annotations).toBeUndefined();
    expect(r.main.image).toBe('redis:7.2.5-alpine3.20');
    expect(r.main.livenessProbe.exec.command).toEqual(['redis-cli', 'ping']);
  });

  test('runs on the Valkey component\'s engine: Redis at the pinned tag by default, Valkey 8 when asked', () => {
    const redis = new Redis(newRelease(), 'Redis');
    expect(redis.engine.kind).toBe('redis');
    expect(redis.engine.image).toBe(REDIS_IMAGE);
    expect(r.main.image).toBe(redis.engine.image);
    expect(r.main.ports).toEqual([{ name: 'redis', containerPort: VALKEY_PORT }]);
    expect(r.pod.securityContext).toMatchObject({ runAsUser: VALKEY_UID, runAsGroup: VALKEY_UID });

    const v = render((s) => new Redis(s, 'Redis', { engine: ValkeyEngine.valkey() }));
    expect(v.main.image).toBe(VALKEY_IMAGE);
    expect(v.main.livenessProbe.exec.command).toEqual(['valkey-cli', 'ping']);
    expect(v.main.readinessProbe.exec.command).toEqual(['valkey-cli', 'ping']);
    // The Deployment, its Service and the clients' URL stay what they are: only the program changes.
    expect(v.find('Service').spec).toEqual(r.find('Service').spec);
    expect(v.deployment.metadata.labels['app.kubernetes.io/version']).toBe(VALKEY_IMAGE.split(':')[1]);
  });

  test('fails when both engine and image are given', () => {
    expect(() => render((s) => new Redis(s, 'Redis', { engine: ValkeyEngine.valkey(), image: 'redis:7.4.1-alpine' }))).toThrow(
      `Redis "gx/Redis": 'image' is "redis:7.4.1-alpine", but the engine names its image (${VALKEY_IMAGE}); allowed: unset when engine is given`,
    );
  });
});

describe('Redis authentication (auth)', () => {
  const auth = ValkeyAuth.password({ name: 'graphistry-redis', key: 'password' });
  const on = render((s) => new Redis(s, 'Redis', { auth }));
  const off = render((s) => new Redis(s, 'Redis'));

  test('off by default, with the reason the notes print', () => {
    const redis = new Redis(newRelease(), 'Redis');
    expect(redis.auth.password).toBeUndefined();
    expect(redis.auth.noneReason).toBe(GRAPHISTRY_REDIS_NO_AUTH_REASON);
    expect(off.pod.initContainers).toBeUndefined();
    expect(off.main.command).toBeUndefined();
    expect(off.main.env).toBeUndefined();
    expect(off.pod.volumes.map((v: Obj) => v.name)).toEqual(['data']);
  });

  test('on: an init container writes requirepass from the Secret into a memory-backed runtime config the server starts with', () => {
    const init = on.pod.initContainers.find((c: Obj) => c.name === 'config');
    expect(init.command).toEqual(['sh', '-c', runtimeConfigScript({ passwordSource: 'Secret graphistry-redis key password' })]);
    expect(init.env).toEqual([{ name: 'VALKEY_PASSWORD', valueFrom: { secretKeyRef: { name: 'graphistry-redis', key: 'password' } } }]);
    expect(init.volumeMounts).toEqual([{ name: 'runtime', mountPath: '/run/valkey' }]);
    expect(init.image).toBe(on.main.image);
    expect(on.pod.volumes.find((v: Obj) => v.name === 'runtime').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
    expect(on.main.command).toEqual(['redis-server', VALKEY_RUNTIME_CONFIG]);
    expect(on.main.volumeMounts).toContainEqual({ name: 'runtime', mountPath: '/run/valkey', readOnly: true });
    // Never argv, never a ConfigMap.
    expect(JSON.stringify(on.objects)).not.toMatch(/requirepass "/);
    expect(on.objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    expect(on.deployment.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('Secret/graphistry-redis');
  });

  test('on: the probes keep `redis-cli ping` and read the password from REDISCLI_AUTH (Valkey: VALKEYCLI_AUTH)', () => {
    expect(on.main.readinessProbe.exec.command).toEqual(['redis-cli', 'ping']);
    expect(on.main.env).toEqual([{ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: 'graphistry-redis', key: 'password' } } }]);
    const v = render((s) => new Redis(s, 'Redis', { auth, engine: ValkeyEngine.valkey() }));
    expect(v.main.env.map((e: Obj) => e.name)).toEqual(['VALKEYCLI_AUTH']);
    expect(v.main.command).toEqual(['valkey-server', VALKEY_RUNTIME_CONFIG]);
  });

  test('on: nexus gets REDIS_PASSWORD from the Secret, declared before REDIS_URL, which names it as $(REDIS_PASSWORD)', () => {
    const r = render((s) => new Nexus(s, 'Nexus', { ...nexusBase, redis: new Redis(s, 'Redis', { auth }) }));
    const env = r.main.env as Obj[];
    const names = env.map((e) => e.name);
    expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('REDIS_URL'));
    expect(env.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'graphistry-redis', key: 'password' } });
    expect(envOf(r.main).REDIS_URL).toBe('redis://:$(REDIS_PASSWORD)@redis:6379/0');
    expect(r.deployment.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toContain('Secret/graphistry-redis');
  });

  test('fails when auth is not a ValkeyAuth', () => {
    expect(() => render((s) => new Redis(s, 'Redis', { auth: { password: { name: 'x', key: 'y' } } as unknown as ValkeyAuth }))).toThrow(
      /'auth' is .*allowed: ValkeyAuth.password\(\{ name, key \}\) of an operator-created Secret, or ValkeyAuth.none\(\{ reason \}\)/,
    );
  });

  test('fails when the Secret key is missing or the password env name is invalid', () => {
    expect(() => new Redis(newRelease(), 'Redis', { auth: ValkeyAuth.password({ name: 'graphistry-redis', key: '' }) })).toThrow(/'auth.password/);
    expect(() => render((s) => new DemoWorkload(s, 'W', { name: 'w', connect: [(client) => new Redis(s, 'Redis', { auth }).connect(client, { urlEnv: 'R', passwordEnv: 'bad name' })] }))).toThrow(
      /'passwordEnv' is "bad name"/,
    );
  });

  test('fails when nexus.env overrides REDIS_PASSWORD: the connection owns it', () => {
    expect(() => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, redis: new Redis(s, 'Redis', { auth }), env: { REDIS_PASSWORD: 'hunter2' } }))).toThrow(
      /'env.REDIS_PASSWORD' is "hunter2", but REDIS_PASSWORD is owned by Nexus/,
    );
  });
});

describe('Redis and DaskScheduler connect helpers', () => {
  /** A nexus wired to a Redis in the same release. */
  const withRedis = (env?: Record<string, string>) => render((s) => new Nexus(s, 'Nexus', { ...nexusBase, redis: new Redis(s, 'Redis'), env }));

  test('nexus gets REDIS_URL (database 0) from its connection to Redis, which the graph records', () => {
    const r = withRedis();
    expect(envOf(r.main).REDIS_URL).toBe('redis://redis:6379/0');
    expect(r.template.connections.filter((c) => c.to.type === 'service' && c.to.name === 'redis')).toEqual([
      expect.objectContaining({ kind: 'client', purpose: 'cache and task queues', from: expect.objectContaining({ container: 'nexus' }) }),
    ]);
    // nexus does not wait for Redis (its start-up does not need it); the engine does.
    expect(r.pod.initContainers.map((c: Obj) => c.name)).toEqual(['wait-for-postgres']);
  });

  test('fails when nexus.env points REDIS_URL elsewhere: the connection owns it (the graph and the env would disagree)', () => {
    expect(() => withRedis({ REDIS_URL: 'redis://other:6379/0' })).toThrow(
      "'env.REDIS_URL' is \"redis://other:6379/0\", but REDIS_URL is owned by Nexus (it is set to \"redis://redis:6379/0\" from the connection to Service gx/redis port redis)",
    );
  });

  test('a pod-level connection waits without env; a container connection gives the address for a command line', () => {
    const r = render((s) => {
      const dask = new DaskScheduler(s, 'Dask');
      return new DemoWorkload(s, 'Worker', {
        name: 'worker',
        connect: [(client) => client.setEnv('SCHEDULER', dask.connect(client, { wait: true }).hostPort()), (client) => new Redis(s, 'Redis').connect(client.pod.pod(), { wait: true })],
      });
    });
    expect(envOf(r.main).SCHEDULER).toBe('dask-scheduler.gx.svc.cluster.local:8786');
    expect(r.pod.initContainers.map((c: Obj) => c.args)).toEqual([['service', 'dask-scheduler'], ['service', 'redis']]);
  });

  test('fails when a database number is not a whole number', () => {
    expect(() => render((s) => new DemoWorkload(s, 'W', { name: 'w', connect: [(client) => new Redis(s, 'Redis').connect(client, { urlEnv: 'R', database: -1 })] }))).toThrow(
      "'database' is -1; allowed: a whole number >= 0",
    );
  });
});

describe('DaskScheduler', () => {
  const r = render((s) => new DaskScheduler(s, 'Dask'));

  test('scheduler on 8786 and dashboard on 8787, both through the Service', () => {
    expect(r.main.ports).toEqual([{ name: 'scheduler', containerPort: 8786 }, { name: 'dashboard', containerPort: 8787 }]);
    expect((r.find('Service').spec.ports as Obj[]).map((p) => p.port)).toEqual([8786, 8787]);
    expect(r.main.args).toEqual(['dask-scheduler', '--port', '8786', '--interface', 'eth0', '--no-show', '--dashboard-address', '8787']);
    expect(r.main.image).toBe('graphistry/etl-server-python:v2.50.7-13');
    expectServiceResolves(r);
    expectProbesOnDeclaredPorts(r.pod);
  });

  test('carries no Postgres connection env', () => {
    expect(Object.keys(envOf(r.main)).filter((k) => k.startsWith('POSTGRES_'))).toEqual([]);
  });
});

describe('Pivot', () => {
  const r = render((s) => new Pivot(s, 'Pivot', { postgres, dataMountClaim: 'data-mount' }));

  test('Postgres env (its entrypoint waits for it) and the wait on the configured port', () => {
    expect(envOf(r.main)).toMatchObject({ POSTGRES_HOST: 'pg.db.svc.cluster.local', POSTGRES_PORT: '6432', PORT: '8080', PIVOT_PORT: '8080' });
    expect(r.pod.initContainers[0].args[0]).toContain("'-p' '6432'");
    expectServiceResolves(r);
    expectProbesOnDeclaredPorts(r.pod);
  });

  test('follows the release-wide placement', () => {
    const p = render((s) => new Pivot(s, 'Pivot', { postgres, dataMountClaim: 'data-mount' }), { placement: { nodeSelector: { pool: 'cpu' } } });
    expect(p.pod.nodeSelector).toEqual({ pool: 'cpu' });
  });
});

describe('Notebook', () => {
  test('mounts the gak claims only for the variants it is given', () => {
    const both = render((s) => new Notebook(s, 'Notebook', { dataMountClaim: 'data-mount', gakPublicClaim: 'gak-public', gakPrivateClaim: 'gak-private' }));
    expect((both.pod.volumes as Obj[]).map((v) => v.name)).toEqual(['data-mount', 'gak-public', 'gak-private']);
    const onlyPublic = render((s) => new Notebook(s, 'Notebook', { dataMountClaim: 'data-mount', gakPublicClaim: 'gak-public' }));
    expect((onlyPublic.pod.volumes as Obj[]).map((v) => v.name)).toEqual(['data-mount', 'gak-public']);
    expect((onlyPublic.main.volumeMounts as Obj[]).map((m) => m.name)).not.toContain('gak-private');
    expectProbesOnDeclaredPorts(both.pod);
  });

  test('its own nodeSelector overrides the release-wide one, and falls back to it when empty', () => {
    const placement = { nodeSelector: { 'graphistry.io/role': 'cpu' } };
    const own = render((s) => new Notebook(s, 'Notebook', { dataMountClaim: 'data-mount', placement: { nodeSelection: NodeSelection.fallback({ 'graphistry.io/role': 'gpu' }) }, runtimeClassName: 'nvidia' }), { placement });
    expect(own.pod.nodeSelector).toEqual({ 'graphistry.io/role': 'gpu' });
    expect(own.pod.runtimeClassName).toBe('nvidia');
    const fallback = render((s) => new Notebook(s, 'Notebook', { dataMountClaim: 'data-mount', placement: { nodeSelection: NodeSelection.fallback({}) } }), { placement });
    expect(fallback.pod.nodeSelector).toEqual({ 'graphistry.io/role': 'cpu' });
  });
});

/** A stand-in for the engine's `nginx` Service graph-app-kit calls. */
const graphistryApi = (s: Construct) => new DemoWorkload(s, 'Nginx', { name: 'nginx', ports: [{ name: 'http', port: 80 }], service: [{ name: 'http', port: 80 }] }).endpoint!;

describe('GraphAppKit', () => {
  const credentials = { secretName: 'gak-credentials' };
  const pub = render((s) => new GraphAppKit(s, 'Public', { variant: GraphAppKitVariant.PUBLIC, claimName: 'gak-public', credentials, graphistry: graphistryApi(s) }));
  const priv = render((s) => new GraphAppKit(s, 'Private', { variant: GraphAppKitVariant.PRIVATE, claimName: 'gak-private', credentials, graphistry: graphistryApi(s), placement: { nodeSelection: NodeSelection.fallback({ gpu: 'yes' }) } }));

  test('GRAPHISTRY_SERVER defaults to the API Service it connects to (the user may point it elsewhere)', () => {
    expect(envOf(pub.main)).toMatchObject({ GRAPHISTRY_PROTOCOL: 'http', GRAPHISTRY_SERVER: 'nginx' });
    expect(pub.template.connections).toEqual([expect.objectContaining({ purpose: 'Graphistry API', to: expect.objectContaining({ name: 'nginx', port: expect.objectContaining({ port: 80 }) }) })]);
    const other = render((s) => new GraphAppKit(s, 'Public', { variant: GraphAppKitVariant.PUBLIC, claimName: 'gak-public', credentials, graphistry: graphistryApi(s), env: { GRAPHISTRY_SERVER: 'graphistry.example.com' } }));
    expect(envOf(other.main).GRAPHISTRY_SERVER).toBe('graphistry.example.com');
  });

  test('two instances of one construct: names, base paths and claims differ', () => {
    expect(pub.deployment.metadata.name).toBe('graph-app-kit-public');
    expect(priv.deployment.metadata.name).toBe('graph-app-kit-private');
    expect(envOf(pub.main).BASE_PATH).toBe('public/dash/');
    expect(envOf(priv.main).BASE_PATH).toBe('private/dash/');
    expect(pub.pod.volumes).toEqual([{ name: 'views', persistentVolumeClaim: { claimName: 'gak-public' } }]);
    expect(priv.pod.volumes).toEqual([{ name: 'views', persistentVolumeClaim: { claimName: 'gak-private' } }]);
    expect(priv.pod.nodeSelector).toEqual({ gpu: 'yes' });
    expectServiceResolves(pub);
    expectProbesOnDeclaredPorts(pub.pod);
  });

  test('credentials come from the operator Secret, declared external', () => {
    expect(envOf(pub.main).GRAPHISTRY_USERNAME).toEqual({ secretKeyRef: { name: 'gak-credentials', key: 'username' } });
    expect(envOf(pub.main).GRAPHISTRY_PASSWORD).toEqual({ secretKeyRef: { name: 'gak-credentials', key: 'password' } });
    expect(pub.deployment.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('Secret/gak-credentials');
  });

  test('the views are seeded from the image only when missing (edits survive restarts)', () => {
    const seed = pub.pod.initContainers[0];
    expect(seed.image).toBe(pub.main.image);
    expect(seed.command[2]).toBe('if [ ! -d /gak/views ]; then cp -r /apps/views /gak/views; fi && if [ ! -d /gak/css ]; then cp -r /apps/css /gak/css; fi && if [ ! -d /gak/util ]; then cp -r /apps/util /gak/util; fi');
  });

  test('fails when the credentials Secret is unnamed', () => {
    expect(() => render((s) => new GraphAppKit(s, 'Public', { variant: GraphAppKitVariant.PUBLIC, claimName: 'gak-public', credentials: { secretName: '' }, graphistry: graphistryApi(s) }))).toThrow(
      /'credentials\.secretName'.*kubectl -n gx create secret generic/,
    );
  });
});
