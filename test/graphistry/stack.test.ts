import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import { ConfigError, ConfigErrors } from '../../lib/core/errors';
import { DeploymentRollout, ExternalPeer, NodeSelection } from '../../lib/core';
import { EngineContainers, GraphistryStackProps, Postgres, StorageAccessMode, Tier } from '../../lib/graphistry';
import { CaddyCookieSecret, CaddyLbFallback, CaddyTls } from '../../lib/ingress';
import { CloudAuth, TelemetryMode } from '../../lib/telemetry';
import { BASE, caddyfile, envOf, Obj, Rendered, renderStack, SELF_HOSTED } from './stack-fixtures';

const STORAGE = ['PersistentVolumeClaim/data-mount', 'PersistentVolumeClaim/gak-private', 'PersistentVolumeClaim/gak-public', 'PersistentVolumeClaim/local-media-mount'];
const CADDY = ['ConfigMap/caddy-caddyfile', 'Deployment/caddy', 'Ingress/caddy', 'Service/caddy'];
const NEXUS = ['Deployment/nexus', 'Service/nexus'];
const NEXUS_PROXY = ['Deployment/nexus-proxy', 'Role/nexus-proxy', 'RoleBinding/nexus-proxy', 'Service/nexus-proxy', 'ServiceAccount/nexus-proxy'];
const ANALYTICS = [
  'Deployment/redis', 'Service/redis', 'Deployment/dask-scheduler', 'Service/dask-scheduler',
  'ConfigMap/engine-nginx-cfg', 'DaemonSet/engine', 'Role/engine', 'RoleBinding/engine', 'ServiceAccount/engine', 'Service/engine-headless', 'Service/nginx',
];
const VIZ = ['Service/forge-etl-python', 'Service/streamgl-gpu', 'Service/streamgl-sessions', 'Service/streamgl-viz'];
const FULL = [
  'Deployment/pivot', 'Service/pivot', 'Deployment/notebook', 'Service/notebook',
  'Deployment/graph-app-kit-public', 'Service/graph-app-kit-public', 'Deployment/graph-app-kit-private', 'Service/graph-app-kit-private',
];

const INVENTORY: Record<string, string[]> = {
  platform: [...STORAGE, ...CADDY, ...NEXUS, ...NEXUS_PROXY],
  analytics: [...STORAGE, ...CADDY, ...NEXUS, ...ANALYTICS],
  viz: [...STORAGE, ...CADDY, ...NEXUS, ...ANALYTICS, ...VIZ],
  full: [...STORAGE, ...CADDY, ...NEXUS, ...ANALYTICS, ...VIZ, ...FULL],
};

const ENGINE_CONTAINERS: Record<string, string[]> = {
  platform: [],
  analytics: [EngineContainers.NGINX, EngineContainers.FORGE_ETL_PYTHON, EngineContainers.DASK_CUDA_WORKER],
  viz: [
    EngineContainers.NGINX,
    EngineContainers.FORGE_ETL_PYTHON,
    EngineContainers.DASK_CUDA_WORKER,
    EngineContainers.STREAMGL_VIZ,
    EngineContainers.STREAMGL_SESSIONS,
    EngineContainers.STREAMGL_GPU,
  ],
  full: [
    EngineContainers.NGINX,
    EngineContainers.FORGE_ETL_PYTHON,
    EngineContainers.DASK_CUDA_WORKER,
    EngineContainers.STREAMGL_VIZ,
    EngineContainers.STREAMGL_SESSIONS,
    EngineContainers.STREAMGL_GPU,
  ],
};

describe('GraphistryStack per tier', () => {
  const byTier: Record<string, Rendered> = {};
  beforeAll(() => {
    for (const tier of Tier.ALL) byTier[tier.name] = renderStack({ tier });
  });

  test.each(Tier.ALL.map((t) => t.name))('%s: exactly the expected kinds and names', (tier) => {
    // Every workload gets its NetworkPolicy (named after it), next to the release's default deny.
    const workloads = INVENTORY[tier].filter((id) => /^(Deployment|StatefulSet|DaemonSet)\//.test(id));
    const policies = [...workloads.map((id) => `NetworkPolicy/${id.split('/')[1]}`), 'NetworkPolicy/graphistry-default-deny'];
    expect(byTier[tier].ids).toEqual([...INVENTORY[tier], ...policies].sort());
  });

  test.each(Tier.ALL.map((t) => t.name))('%s: engine containers', (tier) => {
    const ds = byTier[tier].find('DaemonSet', 'engine');
    expect(ds ? (ds.spec.template.spec.containers as Obj[]).map((c) => c.name) : []).toEqual(ENGINE_CONTAINERS[tier]);
  });

  test('defaults snapshot (full tier)', () => {
    expect(byTier.full.objects).toMatchSnapshot();
  });

  test('platform: Caddy proxies to nexus-proxy alone, with no session routes or cookie', () => {
    const text = caddyfile(byTier.platform);
    expect(text).toContain('reverse_proxy nexus-proxy.gx.svc.cluster.local:80');
    expect(text).not.toMatch(/lb_policy|engine-headless/);
  });

  test.each(['analytics', 'viz', 'full'])('%s: Caddy balances engine-headless, pins sessions by value and the rest by cookie', (tier) => {
    const text = caddyfile(byTier[tier]);
    expect(text).toContain('dynamic a engine-headless.gx.svc.cluster.local 80');
    expect(text).toMatch(/@streamgl path \/streamgl\/\*\n\s+handle @streamgl \{[\s\S]*?lb_policy query id\n/);
    expect(text).toMatch(/@viz path \/graph\/socket\.io\* \/graph\/graph\.html\*\n\s+handle @viz \{[\s\S]*?lb_policy query session\n/);
    expect(text).toMatch(/lb_policy cookie graphistry_sticky "[^"]+" \{\n\s+fallback round_robin/);
    expect(text).not.toContain('nexus-proxy');
  });

  test('the nexus-proxy renders at exactly the platform tier', () => {
    expect(byTier.platform.stack.nexusProxy).toBeDefined();
    for (const t of ['analytics', 'viz', 'full']) expect(byTier[t].stack.nexusProxy).toBeUndefined();
  });

  test('Postgres connection env is on exactly nexus, pivot, forge-etl-python and the three streamgl containers', () => {
    const withPg: string[] = [];
    for (const o of byTier.full.objects.filter((x) => x.spec?.template?.spec)) {
      for (const c of o.spec.template.spec.containers as Obj[]) {
        const env = envOf(c);
        if ('POSTGRES_HOST' in env) {
          withPg.push(`${o.metadata.name}/${c.name}`);
          expect(env).toMatchObject({ POSTGRES_HOST: 'postgres-primary.graphistry-db.svc.cluster.local', POSTGRES_PORT: '6432', POSTGRES_DB: 'graphistry', POSTGRES_USER: 'graphistry' });
          expect(env.POSTGRES_PASSWORD).toEqual({ secretKeyRef: { name: 'graphistry-postgres', key: 'password' } });
        }
      }
    }
    expect(withPg.sort()).toEqual([
      'engine/forge-etl-python', 'engine/streamgl-gpu', 'engine/streamgl-sessions', 'engine/streamgl-viz', 'nexus/nexus', 'pivot/pivot',
    ]);
  });

  test('every Postgres wait probes the configured host and port', () => {
    const waits = byTier.full.objects
      .filter((o) => o.spec?.template?.spec)
      .flatMap((o) => ((o.spec.template.spec.initContainers ?? []) as Obj[]).filter((c) => c.name === 'wait-for-postgres').map((c) => ({ o: o.metadata.name, script: c.args[0] as string })));
    expect(waits.map((w) => w.o).sort()).toEqual(['engine', 'nexus', 'pivot']);
    for (const w of waits) expect(w.script).toContain("pg_isready '-h' 'postgres-primary.graphistry-db.svc.cluster.local' '-p' '6432'");
  });

  test('the JWT Secret reaches nexus and the three streamgl containers, the nexus Secret only nexus', () => {
    const from = (o: Obj) => (o.spec.template.spec.containers as Obj[]).flatMap((c) => ((c.envFrom ?? []) as Obj[]).map((f) => `${c.name}:${f.secretRef.name}`));
    expect(from(byTier.full.get('Deployment', 'nexus'))).toEqual(['nexus:graphistry-jwt', 'nexus:graphistry-nexus']);
    expect(from(byTier.full.get('DaemonSet', 'engine'))).toEqual(['streamgl-viz:graphistry-jwt', 'streamgl-sessions:graphistry-jwt', 'streamgl-gpu:graphistry-jwt']);
  });

  test('nexus uses Redis from analytics up, not at the platform tier (which has none)', () => {
    const redisUrl = (r: Rendered) => envOf(r.get('Deployment', 'nexus').spec.template.spec.containers[0]).REDIS_URL;
    expect(redisUrl(byTier.platform)).toBeUndefined();
    expect(redisUrl(byTier.analytics)).toBe('redis://redis:6379/0');
  });

  test('cpuMode sets GRAPHISTRY_CPU_MODE once for nexus, forge-etl-python and dask-cuda-worker; REDIS_DB matches nexus\' REDIS_URL database', () => {
    const cpuModes = (r: Rendered) => {
      const engine = r.get('DaemonSet', 'engine').spec.template.spec.containers as Obj[];
      const pick = (name: string) => envOf(engine.find((c) => c.name === name)!);
      return {
        nexus: envOf(r.get('Deployment', 'nexus').spec.template.spec.containers[0]).GRAPHISTRY_CPU_MODE,
        fep: pick(EngineContainers.FORGE_ETL_PYTHON).GRAPHISTRY_CPU_MODE,
        dask: pick(EngineContainers.DASK_CUDA_WORKER).GRAPHISTRY_CPU_MODE,
        redisDb: [pick(EngineContainers.FORGE_ETL_PYTHON).REDIS_DB, pick(EngineContainers.DASK_CUDA_WORKER).REDIS_DB],
      };
    };
    expect(cpuModes(byTier.analytics)).toEqual({ nexus: '0', fep: '0', dask: '0', redisDb: ['0', '0'] });
    expect(cpuModes(renderStack({ tier: Tier.ANALYTICS, cpuMode: true }))).toEqual({ nexus: '1', fep: '1', dask: '1', redisDb: ['0', '0'] });
    const nexusUrl = envOf(byTier.analytics.get('Deployment', 'nexus').spec.template.spec.containers[0]).REDIS_URL as string;
    expect(nexusUrl.endsWith('/0')).toBe(true);
  });

  test("nexus' typed settings reach it through the stack's nexus props", () => {
    const r = renderStack({ tier: Tier.PLATFORM, nexus: { jwtExpiration: Duration.minutes(30) } });
    expect(envOf(r.get('Deployment', 'nexus').spec.template.spec.containers[0])).toMatchObject({ JWT_EXPIRATION_DELTA: '1800', SESSION_COOKIE_AGE: '1209600' });
  });

  test('the notebook mounts both gak claims when both variants are on', () => {
    const nb = byTier.full.get('Deployment', 'notebook').spec.template.spec;
    expect((nb.volumes as Obj[]).map((v) => v.persistentVolumeClaim.claimName)).toEqual(['data-mount', 'gak-public', 'gak-private']);
  });

  test('the main children are escape hatches: a JSON patch reaches the output', () => {
    const r = renderStack({ tier: Tier.FULL });
    expect(ApiObject.of(r.stack.nexus)).toBe(r.stack.nexus.deployment);
    ApiObject.of(r.stack.nexus).addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', 3));
    expect((r.release.toJson() as Obj[]).find((o) => o.kind === 'Deployment' && o.metadata.name === 'nexus')!.spec.revisionHistoryLimit).toBe(3);
  });
});

describe('GraphistryStack wiring', () => {
  test('custom snapshot (analytics, external TLS, ReadWriteMany, Recreate, least_conn, cookie Secret)', () => {
    const r = renderStack({
      tier: Tier.ANALYTICS,
      publicUrl: 'https://g.example.com',
      rollout: DeploymentRollout.recreate(),
      storage: { accessMode: StorageAccessMode.READ_WRITE_MANY, storageClassName: 'retain-sc-nfs', dataMount: { volumeName: 'pv-data' } },
      caddy: { tls: CaddyTls.external(), ingress: { enabled: false }, fallback: CaddyLbFallback.leastConn(), cookieSecret: CaddyCookieSecret.fromSecret('caddy-cookie', 'key') },
      engine: { placement: { nodeSelection: NodeSelection.fallback({ 'graphistry.io/role': 'gpu' }) } },
      nexus: { optionalSecret: 'nexus-features', env: { DJANGO_DEBUG: 'True' } },
    });
    expect(r.objects).toMatchSnapshot();
    for (const name of ['nexus', 'redis', 'dask-scheduler']) expect(r.get('Deployment', name).spec.strategy).toEqual({ type: 'Recreate' });
    expect(r.get('PersistentVolumeClaim', 'data-mount').spec.volumeName).toBe('pv-data');
  });

  test('COOKIE_SECURE follows the TLS mode in front of Caddy', () => {
    const cookie = (p: Partial<GraphistryStackProps>) => envOf(renderStack(p).get('Deployment', 'nexus').spec.template.spec.containers[0]).COOKIE_SECURE;
    expect(cookie({ caddy: { tls: CaddyTls.external(), ingress: { enabled: false } } })).toBe('True');
    expect(cookie({ caddy: { tls: CaddyTls.off() } })).toBe('False');
    expect(cookie({ caddy: { tls: CaddyTls.ingress() } })).toBe('False');
    expect(cookie({ caddy: { tls: CaddyTls.ingress(), ingress: { hosts: ['g.example.com'], tls: [{ hosts: ['g.example.com'], secretName: 'g-tls' }] } } })).toBe('True');
    expect(cookie({ caddy: { tls: CaddyTls.self({ domains: ['g.example.com'], certificateSecret: 'g-tls' }) } })).toBe('True');
  });

  test('a disabled gak variant renders no claim, no Deployment and no notebook mount', () => {
    const r = renderStack({ tier: Tier.FULL, graphAppKit: { credentials: { secretName: 'gak-credentials' }, private: { enabled: false } } });
    expect(r.find('PersistentVolumeClaim', 'gak-private')).toBeUndefined();
    expect(r.find('Deployment', 'graph-app-kit-private')).toBeUndefined();
    expect(r.find('Deployment', 'graph-app-kit-public')).toBeDefined();
    const nb = r.get('Deployment', 'notebook').spec.template.spec;
    expect((nb.volumes as Obj[]).map((v) => v.name)).toEqual(['data-mount', 'gak-public']);
  });

  test('with both variants off, the full tier needs no gak credentials', () => {
    const r = renderStack({ tier: Tier.FULL, graphAppKit: { public: { enabled: false }, private: { enabled: false } } });
    expect(r.ids.filter((i) => i.includes('graph-app-kit') || i.includes('gak'))).toEqual([]);
  });

  test('telemetry routes exist only when telemetry is on, self-hosted, and the tier is analytics or above', () => {
    const routes = (p: Partial<GraphistryStackProps>) => caddyfile(renderStack(p)).match(/@(grafana|prometheus|jaeger) path/g) ?? [];
    expect(routes({ tier: Tier.ANALYTICS, telemetry: SELF_HOSTED })).toEqual(['@grafana path', '@prometheus path', '@jaeger path']);
    expect(routes({ tier: Tier.PLATFORM, telemetry: SELF_HOSTED })).toEqual([]);
    expect(routes({ tier: Tier.ANALYTICS })).toEqual([]);
    const cloud = { mode: TelemetryMode.cloud({ endpoint: 'https://otlp.example.com/otlp', auth: CloudAuth.basic({ secretName: 'otlp', usernameKey: 'user', passwordKey: 'token' }), peer: ExternalPeer.anywhere({ reason: 'the SaaS endpoint, whose addresses change' }) }) };
    expect(routes({ tier: Tier.VIZ, telemetry: cloud })).toEqual([]);
  });

  test('custom telemetry route prefixes reach both the Caddyfile and the backends, so they never disagree', () => {
    const r = renderStack({
      tier: Tier.ANALYTICS,
      telemetry: { ...SELF_HOSTED, routePrefixes: { grafana: '/ops/grafana', prometheus: '/ops/prometheus', jaeger: '/ops/jaeger' } },
    });
    const cf = caddyfile(r);
    for (const ui of ['grafana', 'prometheus', 'jaeger']) expect(cf).toContain(`@${ui} path /ops/${ui} /ops/${ui}/*`);
    expect(cf).not.toMatch(/path \/grafana /);
    const prometheusArgs = r.get('Deployment', 'prometheus').spec.template.spec.containers[0].args as string[];
    expect(prometheusArgs).toContain('--web.route-prefix=/ops/prometheus');
  });

  test('with telemetry on, the services push OTLP to the node-local collector (user env still wins)', () => {
    const r = renderStack({ tier: Tier.VIZ, telemetry: SELF_HOSTED, nexus: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://elsewhere:4317' } } });
    const engine = r.get('DaemonSet', 'engine').spec.template.spec.containers as Obj[];
    for (const c of engine.filter((x) => x.name !== 'nginx')) {
      expect(envOf(c).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4317');
      // the endpoint is the gRPC port, so the protocol is stated (SDK defaults differ between languages)
      expect(envOf(c).OTEL_EXPORTER_OTLP_PROTOCOL).toBe('grpc');
    }
    expect(envOf(engine[0]).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(envOf(r.get('Deployment', 'nexus').spec.template.spec.containers[0]).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://elsewhere:4317');
  });

  test('with telemetry on, each service names itself (OTEL_SERVICE_NAME), so the six engine siblings stay apart in traces', () => {
    const r = renderStack({ tier: Tier.FULL, telemetry: SELF_HOSTED, engine: { streamglGpu: { env: { OTEL_SERVICE_NAME: 'gpu-router' } } } });
    const engine = r.get('DaemonSet', 'engine').spec.template.spec.containers as Obj[];
    const names = Object.fromEntries(engine.map((c) => [c.name, envOf(c).OTEL_SERVICE_NAME]));
    expect(names).toEqual({
      nginx: undefined,
      'forge-etl-python': 'forge-etl-python',
      'dask-cuda-worker': 'dask-cuda-worker',
      'streamgl-viz': 'streamgl-viz',
      'streamgl-sessions': 'streamgl-sessions',
      // The operator's env still wins per key.
      'streamgl-gpu': 'gpu-router',
    });
    expect(envOf(r.get('Deployment', 'nexus').spec.template.spec.containers[0]).OTEL_SERVICE_NAME).toBe('nexus');
    expect(envOf(r.get('Deployment', 'pivot').spec.template.spec.containers[0]).OTEL_SERVICE_NAME).toBe('pivot');
    // Without telemetry nothing OpenTelemetry-related is set.
    const off = renderStack({ tier: Tier.VIZ });
    for (const c of off.get('DaemonSet', 'engine').spec.template.spec.containers as Obj[]) expect(Object.keys(envOf(c)).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
  });

  test("with telemetry on, every instrumented container gets the seed's otelEnv: endpoint, four export timeouts, push interval, export timeout", () => {
    const seed = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4317',
      OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '60000',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '60000',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '60000',
      OT_METRIC_EXPORT_INTERVAL: '60000',
      OT_METRIC_EXPORT_TIMEOUT: '30000',
    };
    const r = renderStack({ tier: Tier.FULL, telemetry: SELF_HOSTED, engine: { daskCudaWorker: { env: { OT_METRIC_EXPORT_INTERVAL: '15000' } } } });
    const instrumented = [
      ...(r.get('DaemonSet', 'engine').spec.template.spec.containers as Obj[]).filter((c) => c.name !== 'nginx'),
      r.get('Deployment', 'nexus').spec.template.spec.containers[0],
      r.get('Deployment', 'pivot').spec.template.spec.containers[0],
    ];
    expect(instrumented).toHaveLength(7);
    for (const c of instrumented) {
      // One container's env still overrides a key for that container alone (the chart's per-key merge).
      const expected = c.name === 'dask-cuda-worker' ? { ...seed, OT_METRIC_EXPORT_INTERVAL: '15000' } : seed;
      expect(envOf(c)).toMatchObject(expected);
    }
    // telemetry.sdk sets them for every container, in milliseconds.
    const sdk = { exportTimeout: Duration.seconds(10), metricExportInterval: Duration.seconds(30), metricExportTimeout: Duration.seconds(30) };
    const custom = renderStack({ tier: Tier.ANALYTICS, telemetry: { ...SELF_HOSTED, sdk } });
    for (const c of custom.get('DaemonSet', 'engine').spec.template.spec.containers.filter((x: Obj) => x.name !== 'nginx') as Obj[]) {
      expect(envOf(c)).toMatchObject({ OTEL_EXPORTER_OTLP_TIMEOUT: '10000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '60000', OT_METRIC_EXPORT_INTERVAL: '30000', OT_METRIC_EXPORT_TIMEOUT: '30000' });
    }
  });

  test('a custom clusterDomain reaches every in-cluster name the stack renders or prints', () => {
    const postgres = Postgres.external({ host: 'pg.db', database: 'graphistry', user: 'graphistry', passwordSecret: { name: 'graphistry-postgres', key: 'password' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) });
    for (const tier of [Tier.PLATFORM, Tier.FULL]) {
      const r = renderStack({ tier, postgres, clusterDomain: 'corp.internal' });
      expect(r.stack.nexus.endpoint.url('http')).toBe('http://nexus.gx.svc.corp.internal:8000');
      const text = `${JSON.stringify(r.objects)}\n${r.rendered.notes.join('\n')}`;
      expect(text).toContain('.svc.corp.internal');
      expect(text).not.toContain('cluster.local');
    }
  });

  test('a cookie Secret reaches Caddy by reference; its value never lands in the ConfigMap', () => {
    const r = renderStack({ tier: Tier.ANALYTICS, caddy: { cookieSecret: CaddyCookieSecret.fromSecret('caddy-cookie', 'key') } });
    expect(caddyfile(r)).toContain('lb_policy cookie graphistry_sticky "{$CADDY_LB_COOKIE_SECRET}"');
    expect(r.rendered.warnings).toEqual([]);
  });
});

describe('GraphistryStack fails when', () => {
  test('fails when several props are wrong, reporting every mistake in one error', () => {
    let error: unknown;
    try {
      renderStack({ tier: Tier.FULL, jwtSecret: '', nexus: { optionalSecret: 'Bad Name' }, clusterDomain: 'cluster..local', graphAppKit: {}, publicUrl: 'ftp://g.example.com' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).errors.map((e) => e.prop)).toEqual(['jwtSecret', 'nexus.optionalSecret', 'clusterDomain', 'graphAppKit.credentials.secretName', 'publicUrl']);
    expect((error as Error).message).toMatch(/^5 configuration errors in the props of GraphistryStack "graphistry\/Graphistry":\n {2}- 'jwtSecret' is ""/);
  });

  test('fails when the OpenTelemetry metric export timeout outlasts the push interval, or a setting is not whole milliseconds', () => {
    const sdk = (o: Obj) => () => renderStack({ tier: Tier.ANALYTICS, telemetry: { ...SELF_HOSTED, sdk: o } });
    expect(sdk({ metricExportInterval: Duration.seconds(10) })).toThrow(/'telemetry.sdk.metricExportTimeout' is "30000ms", but a push .*overlaps the next one; allowed: at most metricExportInterval \(10000ms\)/);
    expect(sdk({ tracesExportTimeout: Duration.millis(0.5) })).toThrow(/'telemetry.sdk.tracesExportTimeout' is "0.5ms".*allowed: a whole number of milliseconds >= 1/);
  });

  test('fails when the JWT Secret name is empty, saying which Secret to create and how', () => {
    expect(() => renderStack({ jwtSecret: '' })).toThrow(ConfigError);
    expect(() => renderStack({ jwtSecret: '' })).toThrow(/'jwtSecret' is "".*kubectl -n gx create secret generic graphistry-jwt --from-literal=DJANGO_SECRET_KEY="\$\(openssl rand -hex 32\)".*jwtSecret: 'graphistry-jwt'/);
  });

  test('fails when the nexus Secret name is missing', () => {
    expect(() => renderStack({ nexusSecret: undefined as unknown as string })).toThrow(/'nexusSecret' is undefined.*GRAPHISTRY_NEXUS_SIGNING_SALT.*kubectl -n gx create secret generic graphistry-nexus/);
  });

  test('fails when the JWT and nexus Secrets are the same', () => {
    expect(() => renderStack({ nexusSecret: 'graphistry-jwt' })).toThrow(/'nexusSecret' is "graphistry-jwt".*other than jwtSecret/);
  });

  test('fails when the full tier enables graph-app-kit without its credentials Secret', () => {
    expect(() => renderStack({ tier: Tier.FULL, graphAppKit: {} })).toThrow(/graphAppKit\.credentials\.secretName.*kubectl -n gx create secret generic/);
    // Below full, graph-app-kit is not deployed, so nothing is required.
    expect(() => renderStack({ tier: Tier.VIZ, graphAppKit: {} })).not.toThrow();
  });

  test('fails when the tier is not a Tier', () => {
    expect(() => renderStack({ tier: 'viz' as unknown as Tier })).toThrow(/'tier' is "viz".*Tier\.PLATFORM/);
  });

  test('fails when publicUrl disagrees with the TLS mode', () => {
    expect(() => renderStack({ publicUrl: 'http://g.example.com', caddy: { tls: CaddyTls.external(), ingress: { enabled: false } } })).toThrow(/'publicUrl'.*https:\/\//);
    expect(() => renderStack({ publicUrl: 'https://g.example.com/path' })).toThrow(/'publicUrl'/);
  });

  test('fails when user env sets a key the stack owns', () => {
    expect(() => renderStack({ nexus: { env: { POSTGRES_PORT: '5432' } } })).toThrow(/^GraphistryStack "graphistry\/Graphistry": 'nexus\.env\.POSTGRES_PORT'/);
    expect(() => renderStack({ tier: Tier.FULL, pivot: { env: { PORT: '9000' } } })).toThrow(/^GraphistryStack "graphistry\/Graphistry": 'pivot\.env\.PORT'/);
  });

  test('fails when the nexus optional Secret is not a Secret name', () => {
    expect(() => renderStack({ nexus: { optionalSecret: 'Bad Name' } })).toThrow(/nexus\.optionalSecret/);
  });

  test('BASE is valid', () => {
    expect(() => renderStack(BASE)).not.toThrow();
  });
});
