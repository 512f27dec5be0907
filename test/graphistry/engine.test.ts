import { ApiObject, App, Duration, JsonPatch, Size } from 'cdk8s';
import { ExternalPeer, NodeSelection } from '../../lib/core';
import { Cpu } from 'cdk8s-plus-28';
import { Manifest, Release, ReleaseProps, renderRelease } from '../../lib/release';
import { ConfigErrors } from '../../lib/core/errors';
import { SecurityProfile } from '../../lib/core/security';
import { EXTERNAL_REFS_ANNOTATION } from '../../lib/core/policy';
import { CONFIG_CHECKSUM_ANNOTATION } from '../../lib/core/checksum';
import { NGINX_DEFAULT_RESOURCES } from '../../lib/graphistry/defaults';
import {
  DaskScheduler,
  EngineDaemonSet,
  EngineDaemonSetProps,
  engineDispatcherConfig,
  EnginePortPlan,
  Postgres,
  Redis,
  Tier,
  VIZ_BUILD_PATH,
} from '../../lib/graphistry';
import { envOf, newRelease, Template } from '../support';
import { PostgresServer } from '../../lib/postgres';

type Obj = Record<string, any>;

const postgres = Postgres.external({ host: 'pg.db.svc', database: 'graphistry', user: 'graphistry', passwordSecret: { name: 'pg-credentials', key: 'password' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) });
const base: Omit<EngineDaemonSetProps, 'redis' | 'daskScheduler'> = { tier: Tier.VIZ, postgres, dataMountClaim: 'data-mount', localMediaMountClaim: 'local-media-mount' };

/** The servers the engine waits for and connects to, in `scope`. */
function servers(scope: Release): Pick<EngineDaemonSetProps, 'redis' | 'daskScheduler'> {
  return { redis: new Redis(scope, 'Redis'), daskScheduler: new DaskScheduler(scope, 'DaskScheduler') };
}

function render(props: Partial<EngineDaemonSetProps> = {}, release: Partial<ReleaseProps> = {}) {
  const r = newRelease({ id: 'graphistry', namespace: 'gx', ...release });
  const engine = new EngineDaemonSet(r, 'Engine', { ...base, ...servers(r), ...props });
  const template = Template.fromRelease(r);
  const objects = template.objectsOf(engine);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as Obj | undefined;
  const ds = find('DaemonSet', 'engine')!;
  const pod = ds.spec.template.spec;
  const container = (name: string) => template.container('DaemonSet', 'engine', name);
  const env = (name: string) => envOf(container(name));
  return { engine, objects, template, find, ds, pod, container, env, release: r };
}

/** URLs a probe's exec command calls on localhost, as [port, path]. */
function execTargets(probe: Obj | undefined): Array<[number, string]> {
  const text: string = (probe?.exec?.command ?? []).join(' ');
  return [...text.matchAll(/http:\/\/localhost(?::(\d+))?(\/\S*)/g)].map((m) => [m[1] ? Number(m[1]) : 80, m[2]]);
}

/** The containerPort a probe or Service targetPort (number or name) means on this container, or undefined. */
function resolvePort(container: Obj, port: number | string): number | undefined {
  const ports = (container.ports ?? []) as Obj[];
  const hit = typeof port === 'number' ? ports.find((p) => p.containerPort === port) : ports.find((p) => p.name === port);
  return hit?.containerPort;
}

const names = (pod: Obj) => (pod.containers as Obj[]).map((c) => c.name);

describe('EngineDaemonSet at viz (defaults)', () => {
  const r = render();

  test('defaults snapshot', () => {
    expect(r.objects).toMatchSnapshot();
  });

  test('six containers, each with its own image, PORT and ports', () => {
    expect(names(r.pod)).toEqual(['nginx', 'forge-etl-python', 'dask-cuda-worker', 'streamgl-viz', 'streamgl-sessions', 'streamgl-gpu']);
    const expected: Record<string, [string, string | undefined, number[]]> = {
      nginx: ['graphistry/streamgl-nginx:v2.50.7-universal', '80', [80]],
      'forge-etl-python': ['graphistry/etl-server-python:v2.50.7-13', '8200', [8200]],
      'dask-cuda-worker': ['graphistry/etl-server-python:v2.50.7-13', undefined, [8787]],
      'streamgl-viz': ['graphistry/streamgl-viz:v2.50.7-13', '8081', [8081, 3100]],
      'streamgl-sessions': ['graphistry/streamgl-sessions:v2.50.7-13', '8082', [8082]],
      'streamgl-gpu': ['graphistry/streamgl-gpu:v2.50.7-13', '8090', [8090, 8095]],
    };
    for (const [name, [image, port, ports]] of Object.entries(expected)) {
      expect(r.container(name).image).toBe(image);
      expect(r.env(name).PORT).toBe(port);
      expect((r.container(name).ports as Obj[]).map((p) => p.containerPort)).toEqual(ports);
    }
  });

  test('container ports are unique across the pod, by number and by name', () => {
    const all = (r.pod.containers as Obj[]).flatMap((c) => c.ports as Obj[]);
    expect(new Set(all.map((p) => p.containerPort)).size).toBe(all.length);
    expect(new Set(all.map((p) => p.name)).size).toBe(all.length);
  });

  test('every main container has liveness and readiness probes, each targeting a port the pod listens on', () => {
    const podPorts = new Set((r.pod.containers as Obj[]).flatMap((c) => (c.ports as Obj[]).map((p) => p.containerPort)));
    for (const c of r.pod.containers as Obj[]) {
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        expect(probe).toBeDefined();
        const socket = probe.httpGet?.port ?? probe.tcpSocket?.port;
        if (socket !== undefined) {
          expect(resolvePort(c, socket)).toBeDefined();
        } else {
          const targets = execTargets(probe);
          expect(targets.length).toBeGreaterThan(0);
          for (const [port] of targets) expect(podPorts.has(port)).toBe(true);
        }
      }
    }
  });

  test('nginx probes curl /healthz on its own port; readiness 8s / 10s / 3 / 5s', () => {
    const nginx = r.container('nginx');
    expect(execTargets(nginx.livenessProbe)).toEqual([[80, '/healthz']]);
    expect(execTargets(nginx.readinessProbe)).toEqual([[80, '/healthz']]);
    expect(resolvePort(nginx, 80)).toBe(80);
    expect(nginx.readinessProbe).toMatchObject({ initialDelaySeconds: 8, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 });
  });

  test('dask-cuda-worker liveness calls forge-etl-python /workerhealth directly on 8200, not through the :8080 dispatcher', () => {
    const targets = execTargets(r.container('dask-cuda-worker').livenessProbe);
    expect(targets).toContainEqual([8200, '/workerhealth']);
    expect(targets.map(([p]) => p)).not.toContain(8080);
    expect(resolvePort(r.container('forge-etl-python'), 8200)).toBe(8200);
    expect(resolvePort(r.container('dask-cuda-worker'), 8787)).toBe(8787);
  });

  test('streamgl-gpu probes /check-workers on the list-server port PORT+N+1 it declares', () => {
    const gpu = r.container('streamgl-gpu');
    expect(execTargets(gpu.livenessProbe)).toEqual([[8095, '/check-workers']]);
    expect(resolvePort(gpu, 8095)).toBe(8095);
    expect(r.env('streamgl-gpu').STREAMGL_NUM_WORKERS).toBe('4');
  });

  test('hostAliases pin every engine service name to 127.0.0.1', () => {
    expect(r.pod.hostAliases).toEqual([
      { ip: '127.0.0.1', hostnames: ['nginx', 'forge-etl-python', 'dask-cuda-worker', 'streamgl-viz', 'streamgl-sessions', 'streamgl-gpu'] },
    ]);
  });

  test('every Service selects the engine pods, and each target port resolves to exactly one container', () => {
    const podLabels = r.ds.spec.template.metadata.labels;
    const services = r.objects.filter((o) => o.kind === 'Service') as Obj[];
    expect(services.map((s) => s.metadata.name).sort()).toEqual(['engine-headless', 'forge-etl-python', 'nginx', 'streamgl-gpu', 'streamgl-sessions', 'streamgl-viz']);
    const resolved: Record<string, Array<[number, string, number]>> = {};
    for (const s of services) {
      for (const [k, v] of Object.entries(s.spec.selector as Record<string, string>)) expect(podLabels[k]).toBe(v);
      expect(r.ds.spec.selector.matchLabels).toEqual(s.spec.selector);
      resolved[s.metadata.name] = (s.spec.ports as Obj[]).map((p) => {
        const owners = (r.pod.containers as Obj[]).filter((c) => resolvePort(c, p.targetPort) !== undefined);
        expect(owners).toHaveLength(1);
        return [p.port, owners[0].name, resolvePort(owners[0], p.targetPort)!];
      });
    }
    expect(resolved).toEqual({
      'engine-headless': [[80, 'nginx', 80]],
      nginx: [[80, 'nginx', 80]],
      'forge-etl-python': [[8080, 'forge-etl-python', 8200]],
      'streamgl-gpu': [[8080, 'streamgl-gpu', 8090]],
      'streamgl-sessions': [[8080, 'streamgl-sessions', 8082]],
      'streamgl-viz': [[8080, 'streamgl-viz', 8081], [3100, 'streamgl-viz', 3100]],
    });
  });

  test('the shim Services are node-local, the nginx fallback is Cluster, engine-headless is headless', () => {
    for (const name of ['forge-etl-python', 'streamgl-gpu', 'streamgl-sessions', 'streamgl-viz']) {
      expect(r.find('Service', name)!.spec.internalTrafficPolicy).toBe('Local');
    }
    expect(r.find('Service', 'nginx')!.spec.internalTrafficPolicy).toBe('Cluster');
    expect(r.find('Service', 'engine-headless')!.spec.clusterIP).toBe('None');
    expect(Object.keys(r.engine.shimServices).sort()).toEqual(['forge-etl-python', 'streamgl-gpu', 'streamgl-sessions', 'streamgl-viz']);
  });

  test('wiring env: owned keys on the right containers only', () => {
    expect(r.env('forge-etl-python').GRAPHISTRY_DASK_LOCAL_AFFINITY).toBe('1');
    expect(r.env('nginx').K8S_NAMESPACE_SUFFIX).toBe('.gx.svc.cluster.local');
    expect(r.env('streamgl-viz')).toMatchObject({ FORGE_ETL_HOSTNAME: 'nginx', FORGE_ETL_PORT: '80' });
    expect(r.env('streamgl-sessions').NGINX_HOST).toBe('nginx');
    for (const name of ['streamgl-viz', 'streamgl-sessions', 'streamgl-gpu', 'forge-etl-python']) {
      expect(r.env(name)).toMatchObject({
        POSTGRES_HOST: 'pg.db.svc',
        POSTGRES_PORT: '5432',
        POSTGRES_DB: 'graphistry',
        POSTGRES_USER: 'graphistry',
        POSTGRES_PASSWORD: { secretKeyRef: { name: 'pg-credentials', key: 'password' } },
      });
    }
    for (const name of ['nginx', 'dask-cuda-worker']) {
      expect(Object.keys(r.env(name)).filter((k) => k.startsWith('POSTGRES_'))).toEqual([]);
    }
  });

  test('GRAPHISTRY_CPU_MODE and REDIS_DB are mirrored in forge-etl-python and dask-cuda-worker (seed), nowhere else in the pod', () => {
    for (const name of ['forge-etl-python', 'dask-cuda-worker']) expect(r.env(name)).toMatchObject({ GRAPHISTRY_CPU_MODE: '0', REDIS_DB: '0' });
    for (const name of ['nginx', 'streamgl-viz', 'streamgl-sessions', 'streamgl-gpu']) {
      expect(Object.keys(r.env(name))).not.toEqual(expect.arrayContaining(['GRAPHISTRY_CPU_MODE']));
      expect(Object.keys(r.env(name))).not.toEqual(expect.arrayContaining(['REDIS_DB']));
    }
    const cpu = render({ cpuMode: true });
    for (const name of ['forge-etl-python', 'dask-cuda-worker']) expect(cpu.env(name).GRAPHISTRY_CPU_MODE).toBe('1');
  });

  test('fails when one Python container sets GRAPHISTRY_CPU_MODE or REDIS_DB itself (they would disagree)', () => {
    expect(() => render({ daskCudaWorker: { env: { GRAPHISTRY_CPU_MODE: '1' } } })).toThrow(/daskCudaWorker\.env\.GRAPHISTRY_CPU_MODE.*'cpuMode' prop/s);
    expect(() => render({ forgeEtlPython: { env: { REDIS_DB: '2' } } })).toThrow(/forgeEtlPython\.env\.REDIS_DB/);
  });

  test('the JWT Secret is envFrom on the three streamgl containers only', () => {
    for (const c of r.pod.containers as Obj[]) {
      const expected = c.name.startsWith('streamgl-') ? [{ secretRef: { name: 'graphistry-jwt' } }] : undefined;
      expect(c.envFrom).toEqual(expected);
    }
  });

  test('pod: grace 60s, rolling one node at a time, release-wide selector when the engine sets none', () => {
    expect(r.pod.terminationGracePeriodSeconds).toBe(60);
    expect(r.ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    expect(r.pod.nodeSelector).toEqual({});
    expect(r.pod.runtimeClassName).toBeUndefined();
    expect(r.pod.automountServiceAccountToken).toBe(true);
    expect(r.pod.serviceAccountName).toBe('engine');
  });

  test('every main container sleeps 15s in preStop (Caddy drops a terminating pod first), well inside the 60s grace; init containers have no hook', () => {
    const sleep = { preStop: { exec: { command: ['sh', '-c', 'sleep 15'] } } };
    for (const c of r.pod.containers as Obj[]) expect({ name: c.name, lifecycle: c.lifecycle }).toEqual({ name: c.name, lifecycle: sleep });
    expect(r.container('nginx').lifecycle).toEqual(sleep);
    // Longer than Caddy's 10s dynamic-A refresh, shorter than the grace period it counts against.
    expect(15).toBeGreaterThan(10);
    expect(r.pod.terminationGracePeriodSeconds - 15).toBeGreaterThanOrEqual(30);
    for (const c of r.pod.initContainers as Obj[]) expect(c.lifecycle).toBeUndefined();
  });

  test('volumes: per-pod viz-build-cache filled by an init copy from the streamgl-viz image and served by nginx', () => {
    const cache = (r.pod.volumes as Obj[]).find((v) => v.name === 'viz-build-cache')!;
    expect(cache.emptyDir).toBeDefined();
    expect(cache.persistentVolumeClaim).toBeUndefined();
    const copy = (r.pod.initContainers as Obj[]).find((c) => c.name === 'copy-viz-static')!;
    expect(copy.image).toBe(r.container('streamgl-viz').image);
    expect(copy.volumeMounts).toEqual([{ name: 'viz-build-cache', mountPath: '/viz-build-cache' }]);
    expect(copy.command.join(' ')).toContain(`cp -r ${VIZ_BUILD_PATH}/. /viz-build-cache/`);
    expect(r.container('nginx').volumeMounts).toContainEqual({ name: 'viz-build-cache', mountPath: VIZ_BUILD_PATH, readOnly: true });
    for (const c of r.pod.containers as Obj[]) {
      for (const m of c.volumeMounts as Obj[]) expect(m.subPath === undefined || m.name === 'dispatcher-config').toBe(true);
    }
  });

  test('volumes: upload scratch emptyDir shared by nginx and forge-etl-python, and both PVCs', () => {
    const vol = (name: string) => (r.pod.volumes as Obj[]).find((v) => v.name === name)!;
    expect(vol('uploads-scratch').emptyDir).toEqual({ sizeLimit: '20Gi' });
    expect(vol('data-mount').persistentVolumeClaim).toEqual({ claimName: 'data-mount' });
    expect(vol('local-media-mount').persistentVolumeClaim).toEqual({ claimName: 'local-media-mount' });
    const users = (r.pod.containers as Obj[]).filter((c) => (c.volumeMounts as Obj[]).some((m) => m.name === 'uploads-scratch')).map((c) => c.name);
    expect(users).toEqual(['nginx', 'forge-etl-python']);
  });

  test('nginx, which writes the upload scratch, requests ephemeral storage equal to its sizeLimit, with no limit', () => {
    expect(r.container('nginx').resources.requests['ephemeral-storage']).toBe('20Gi');
    expect(r.container('nginx').resources.limits['ephemeral-storage']).toBeUndefined();
    // counted once: the reader and every other container request none
    for (const c of [...(r.pod.containers as Obj[]), ...(r.pod.initContainers as Obj[])].filter((c) => c.name !== 'nginx')) {
      expect(c.resources.requests['ephemeral-storage']).toBeUndefined();
    }
  });

  test('init waits for redis, dask-scheduler (pinned k8s-wait-for) and postgres (pg_isready on 5432), with read access', () => {
    const init = r.pod.initContainers as Obj[];
    expect(init.map((c) => c.name)).toEqual(['wait-for-redis', 'wait-for-dask-scheduler', 'wait-for-postgres', 'copy-viz-static']);
    expect(init[0]).toMatchObject({ image: 'groundnuty/k8s-wait-for:v2.0', args: ['service', 'redis'] });
    expect(init[1]).toMatchObject({ image: 'groundnuty/k8s-wait-for:v2.0', args: ['service', 'dask-scheduler'] });
    expect(init[2].args[0]).toContain("pg_isready '-h' 'pg.db.svc' '-p' '5432'");
    const role = r.find('Role', 'engine')!;
    expect(role.rules.some((rule: Obj) => rule.resources.includes('services') && rule.verbs.includes('get'))).toBe(true);
    expect(r.find('RoleBinding', 'engine')!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'engine', namespace: 'gx' }]);
  });

  test('runs as root by default, recorded as policy exceptions on the DaemonSet metadata, not the pod template', () => {
    const annotations = r.ds.metadata.annotations;
    expect(annotations['policy.ops-kit.io/non-root']).toMatch(/root/);
    expect(annotations['policy.ops-kit.io/capabilities-dropped']).toMatch(/SETUID/);
    expect(Object.keys(r.ds.spec.template.metadata.annotations)).toEqual([CONFIG_CHECKSUM_ANNOTATION]);
    expect(r.pod.securityContext).toMatchObject({ runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } });
    expect(r.container('nginx').securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'NET_BIND_SERVICE', 'SETGID', 'SETUID'] });
    expect(r.container('nginx').securityContext.allowPrivilegeEscalation).toBe(false);
  });

  test('init containers run without the added capabilities', () => {
    for (const c of r.pod.initContainers as Obj[]) expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });

  test('operator-created Secrets are declared external on the DaemonSet', () => {
    expect(r.ds.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('Secret/graphistry-jwt,Secret/pg-credentials');
  });

  test('the dispatcher ConfigMap is generated from the port plan and mounted into nginx as a conf.d file', () => {
    const cm = r.find('ConfigMap', 'engine-nginx-cfg')!;
    expect(cm.data['engine-dispatcher.conf']).toBe(engineDispatcherConfig(EnginePortPlan.forTier(Tier.VIZ)));
    expect(cm.data['engine-dispatcher.conf']).toBe(r.engine.dispatcherConfig);
    for (const [host, port] of [['forge-etl-python', 8200], ['streamgl-gpu', 8090], ['streamgl-sessions', 8082], ['streamgl-viz', 8081]] as const) {
      expect(cm.data['engine-dispatcher.conf']).toContain(`    server_name ${host};\n    client_max_body_size 0;\n    location / {\n        proxy_pass http://127.0.0.1:${port};`);
    }
    expect(r.container('nginx').volumeMounts).toContainEqual({ name: 'dispatcher-config', mountPath: '/etc/nginx/conf.d/engine-dispatcher.conf', subPath: 'engine-dispatcher.conf', readOnly: true });
  });

  test('the DaemonSet is the construct\'s default child, and a JSON patch on a schema field survives', () => {
    const app = new App();
    const rel = new Release(app, 'graphistry', { namespace: 'gx' });
    const engine = new EngineDaemonSet(rel, 'Engine', { ...base, ...servers(rel) });
    expect(ApiObject.of(engine)).toBe(engine.daemonSet);
    ApiObject.of(engine).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 30));
    const ds = renderRelease(rel).objects.find((o) => o.kind === 'DaemonSet') as Obj;
    expect(ds.spec.minReadySeconds).toBe(30);
  });
});

describe('EngineDaemonSet at analytics', () => {
  const r = render({ tier: Tier.ANALYTICS, streamglGpu: { workers: 200 } });

  test('three containers: nginx, forge-etl-python, dask-cuda-worker (the N guard does not apply)', () => {
    expect(names(r.pod)).toEqual(['nginx', 'forge-etl-python', 'dask-cuda-worker']);
  });

  test('hostAliases cover only the analytics services', () => {
    expect(r.pod.hostAliases).toEqual([{ ip: '127.0.0.1', hostnames: ['nginx', 'forge-etl-python', 'dask-cuda-worker'] }]);
  });

  test('engine-headless and the nginx fallback render; the shims do not', () => {
    expect((r.objects.filter((o) => o.kind === 'Service') as Manifest[]).map((s) => s.metadata.name).sort()).toEqual(['engine-headless', 'nginx']);
    expect(r.engine.shimServices).toEqual({});
  });

  test('no viz-build-cache, no copy init, no JWT reference', () => {
    expect((r.pod.volumes as Obj[]).map((v) => v.name)).not.toContain('viz-build-cache');
    expect((r.pod.initContainers as Obj[]).map((c) => c.name)).toEqual(['wait-for-redis', 'wait-for-dask-scheduler', 'wait-for-postgres']);
    expect((r.container('nginx').volumeMounts as Obj[]).map((m) => m.mountPath)).not.toContain(VIZ_BUILD_PATH);
    expect(r.ds.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('Secret/pg-credentials');
  });

  test('the dispatcher serves forge-etl-python only', () => {
    const conf = r.find('ConfigMap', 'engine-nginx-cfg')!.data['engine-dispatcher.conf'] as string;
    expect([...conf.matchAll(/server_name (\S+);/g)].map((m) => m[1])).toEqual(['_', 'forge-etl-python']);
  });
});

describe('EngineDaemonSet at full', () => {
  const r = render({ tier: Tier.FULL });
  test('six containers, like viz', () => {
    expect(names(r.pod)).toHaveLength(6);
    expect(names(r.pod)).toContain('streamgl-gpu');
    expect(r.pod.hostAliases[0].hostnames).toHaveLength(6);
  });
});

describe('EngineDaemonSet custom', () => {
  const r = render(
    {
      tag: 'v2.51.0',
      cudaVariant: '12.8',
      jwtSecret: 'jwt-keys',
      placement: {
        nodeSelection: NodeSelection.fallback({ 'graphistry.io/role': 'gpu' }),
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'graphistry', effect: 'NoSchedule' }],
      },
      runtimeClassName: 'nvidia',
      uploadsScratchSizeLimit: Size.gibibytes(50),
      httpPort: 8088,
      postgres: Postgres.external({ host: 'pgbouncer.db.svc', port: 6432, database: 'gx', user: 'app', passwordSecret: { name: 'pg', key: 'pw' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) }),
      nginx: { image: 'registry.example.com/custom/nginx:1.2.3', env: { EXTRA_NGINX_LOGS: 'on', IS_K8S: '0' } },
      forgeEtlPython: { env: { FORGE_NUM_WORKERS: '8' }, resources: { cpu: { request: Cpu.units(2), limit: Cpu.units(4) }, memory: { request: Size.gibibytes(8), limit: Size.gibibytes(16) } } },
      streamglGpu: { workers: 108, env: { CUDA_VISIBLE_DEVICES: '0,1' } },
      additionalExternalRefs: [{ kind: 'PersistentVolumeClaim', name: 'data-mount' }],
    },
    { images: { registry: 'harbor.corp:8443/mirror', pullSecrets: ['harbor'] }, placement: { nodeSelector: { 'graphistry.io/role': 'cpu' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] } },
  );

  test('custom snapshot', () => {
    expect(r.objects).toMatchSnapshot();
  });

  test('one tag for every image, per-container override, all through the registry redirect (init images too)', () => {
    expect(r.container('nginx').image).toBe('harbor.corp:8443/mirror/custom/nginx:1.2.3');
    expect(r.container('streamgl-gpu').image).toBe('harbor.corp:8443/mirror/graphistry/streamgl-gpu:v2.51.0-12.8');
    expect(r.container('forge-etl-python').image).toBe('harbor.corp:8443/mirror/graphistry/etl-server-python:v2.51.0-12.8');
    for (const c of [...(r.pod.containers as Obj[]), ...(r.pod.initContainers as Obj[])]) expect(c.image).toMatch(/^harbor\.corp:8443\/mirror\//);
    expect(r.pod.imagePullSecrets).toEqual([{ name: 'harbor' }]);
  });

  test('N = 108 renders with the list-server probe on 8199', () => {
    expect(r.env('streamgl-gpu').STREAMGL_NUM_WORKERS).toBe('108');
    expect(execTargets(r.container('streamgl-gpu').livenessProbe)).toEqual([[8199, '/check-workers']]);
    expect(resolvePort(r.container('streamgl-gpu'), 8199)).toBe(8199);
  });

  test('user env merges over defaults per key and never leaks into another container', () => {
    expect(r.env('nginx')).toMatchObject({ EXTRA_NGINX_LOGS: 'on', IS_K8S: '0', PORT: '80' });
    expect(r.env('forge-etl-python').FORGE_NUM_WORKERS).toBe('8');
    expect(r.env('dask-cuda-worker').FORGE_NUM_WORKERS).toBeUndefined();
    expect(r.env('dask-cuda-worker').GRAPHISTRY_DASK_LOCAL_AFFINITY).toBeUndefined();
    expect(r.env('streamgl-gpu').CUDA_VISIBLE_DEVICES).toBe('0,1');
    expect(r.env('streamgl-viz').CUDA_VISIBLE_DEVICES).toBeUndefined();
  });

  test('the engine selector overrides the release-wide one; release-wide tolerations are kept', () => {
    expect(r.pod.nodeSelector).toEqual({ 'graphistry.io/role': 'gpu' });
    expect(r.pod.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'graphistry', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(r.pod.runtimeClassName).toBe('nvidia');
  });

  test('pg_isready uses the configured port; the nginx Service port is configurable, the container port is not', () => {
    const wait = (r.pod.initContainers as Obj[]).find((c) => c.name === 'wait-for-postgres')!;
    expect(wait.args[0]).toContain("'-h' 'pgbouncer.db.svc' '-p' '6432'");
    expect(r.env('forge-etl-python').POSTGRES_PORT).toBe('6432');
    expect(r.find('Service', 'nginx')!.spec.ports).toEqual([{ name: 'http', port: 8088, targetPort: 'http', protocol: 'TCP' }]);
    expect(r.find('Service', 'engine-headless')!.spec.ports[0].port).toBe(80);
  });

  test('scratch size, JWT Secret name and extra external refs', () => {
    expect((r.pod.volumes as Obj[]).find((v) => v.name === 'uploads-scratch')!.emptyDir.sizeLimit).toBe('50Gi');
    expect(r.container('nginx').resources.requests['ephemeral-storage']).toBe('50Gi');
    expect(r.container('streamgl-viz').envFrom).toEqual([{ secretRef: { name: 'jwt-keys' } }]);
    expect(r.ds.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('PersistentVolumeClaim/data-mount,Secret/harbor,Secret/jwt-keys,Secret/pg'); // the release pull secret too
  });
});

describe('EngineDaemonSet options', () => {
  test('a non-root profile removes the policy exceptions', () => {
    const r = render({ securityProfile: SecurityProfile.restricted({ runAsUser: 1000, fsGroup: 1000 }) });
    expect(Object.keys(r.ds.metadata.annotations).filter((k) => k.startsWith('policy.ops-kit.io/'))).toEqual([]);
    expect(r.pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    for (const c of r.pod.initContainers as Obj[]) expect(c.securityContext.runAsNonRoot).toBe(true);
  });

  test('Crunchy PGO connection env comes from the pguser Secret; the wait probes <cluster>-primary', () => {
    const r = render({ tier: Tier.ANALYTICS, postgres: Postgres.crunchy({ cluster: 'graphistry-pg', user: 'graphistry' }) });
    expect(r.env('forge-etl-python').POSTGRES_HOST).toEqual({ secretKeyRef: { name: 'graphistry-pg-pguser-graphistry', key: 'host' } });
    expect(r.env('forge-etl-python').POSTGRES_PASSWORD).toEqual({ secretKeyRef: { name: 'graphistry-pg-pguser-graphistry', key: 'password' } });
    const wait = (r.pod.initContainers as Obj[]).find((c) => c.name === 'wait-for-postgres')!;
    expect(wait.args[0]).toContain("'-h' 'graphistry-pg-primary' '-p' '5432'");
    // PGO creates both the Secret and the <cluster>-primary Service the wait resolves
    expect(r.ds.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('Secret/graphistry-pg-pguser-graphistry,Service/graphistry-pg-primary');
  });

  test('the config checksum changes with the dispatcher, so pods roll when it does', () => {
    const a = render({ tier: Tier.ANALYTICS }).ds.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    const b = render({ tier: Tier.VIZ }).ds.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  test('renders from analytics up; platform and the engine are mutually exclusive with NexusProxy', () => {
    expect(Tier.ALL.filter((t) => EngineDaemonSet.rendersAt(t))).toEqual([Tier.ANALYTICS, Tier.VIZ, Tier.FULL]);
  });

  test('preStopDelay: a custom delay on every container; 0 renders no hook', () => {
    const custom = render({ tier: Tier.ANALYTICS, preStopDelay: Duration.seconds(25) });
    for (const c of custom.pod.containers as Obj[]) expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['sh', '-c', 'sleep 25'] } } });
    const none = render({ tier: Tier.ANALYTICS, preStopDelay: Duration.seconds(0) });
    for (const c of none.pod.containers as Obj[]) expect(c.lifecycle).toBeUndefined();
  });

  test("the user's own nginx ephemeral-storage request wins over the scratch size", () => {
    const nginx = { resources: { ...NGINX_DEFAULT_RESOURCES, requestsOnly: { 'ephemeral-storage': Size.gibibytes(30) } } };
    const r = render({ nginx, uploadsScratchSizeLimit: Size.gibibytes(10) });
    expect(r.container('nginx').resources.requests['ephemeral-storage']).toBe('30Gi');
    expect(r.container('nginx').resources.limits['ephemeral-storage']).toBeUndefined();
  });

  test('fails when preStopDelay is not whole seconds below the 60s grace period', () => {
    expect(() => render({ preStopDelay: Duration.seconds(60) })).toThrow(/'preStopDelay' is "60s".*60s termination grace period.*allowed: whole seconds from 0 to 59/s);
    expect(() => render({ preStopDelay: Duration.millis(1500) })).toThrow(/'preStopDelay' is "1.5s"/);
  });

  test('fails when several props are wrong, reporting every mistake in one error', () => {
    let error: unknown;
    try {
      render({ streamglGpu: { workers: 109 }, httpPort: 0, preStopDelay: Duration.seconds(60), runtimeClassName: 'Nvidia!' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).errors.map((e) => e.prop)).toEqual(['streamglGpu.workers', 'httpPort', 'runtimeClassName', 'preStopDelay']);
  });

  test('fails when the tier is platform', () => {
    expect(() => render({ tier: Tier.PLATFORM })).toThrow(/'tier' is "platform", but the platform tier renders no engine; it uses NexusProxy.*allowed: analytics, viz, full/);
  });

  test('fails when N = 109 at viz, naming the prop, the collision and the largest safe value', () => {
    expect(() => render({ streamglGpu: { workers: 109 } })).toThrow(/'streamglGpu.workers' is 109, but the list-server port 8090\+109\+1=8200 collides with forge-etl-python on 8200 \(port layout: .*\); the largest safe value is 108/);
  });

  test('fails when user env tries to set an owned key, with the prop that controls it', () => {
    expect(() => render({ forgeEtlPython: { env: { PORT: '9000' } } })).toThrow(
      /'forgeEtlPython.env.PORT' is "9000", but PORT is owned by EngineDaemonSet container forge-etl-python \(it is set to "8200" from the engine port plan/,
    );
    expect(() => render({ streamglGpu: { env: { STREAMGL_NUM_WORKERS: '8' } } })).toThrow(/'streamglGpu.env.STREAMGL_NUM_WORKERS' is "8".*the 'streamglGpu.workers' prop/);
    expect(() => render({ streamglViz: { env: { POSTGRES_HOST: 'other' } } })).toThrow(/'streamglViz.env.POSTGRES_HOST' is "other".*the connection to external Postgres \(pg.db.svc\) port postgres/);
    expect(() => render({ nginx: { env: { K8S_NAMESPACE_SUFFIX: '' } } })).toThrow(/'nginx.env.K8S_NAMESPACE_SUFFIX' is "".*cannot be overridden/);
    expect(() => render({ forgeEtlPython: { env: { GRAPHISTRY_DASK_LOCAL_AFFINITY: '0' } } })).toThrow(/'forgeEtlPython.env.GRAPHISTRY_DASK_LOCAL_AFFINITY' is "0"/);
  });

  test('fails when an image is unpinned', () => {
    expect(() => render({ streamglViz: { image: 'graphistry/streamgl-viz:latest' } })).toThrow(/'streamglViz.image' is "graphistry\/streamgl-viz:latest"/);
    expect(() => render({ tag: 'latest' })).toThrow(/'tag' is "latest"/);
  });

  test('fails on bad names and ports', () => {
    expect(() => render({ jwtSecret: 'Bad Secret' })).toThrow(/'jwtSecret' is "Bad Secret"/);
    expect(() => render({ dataMountClaim: '' })).toThrow(/'dataMountClaim'/);
    expect(() => render({ httpPort: 0 })).toThrow(/'httpPort' is 0/);
    expect(() => render({ uploadsScratchSizeLimit: Size.kibibytes(10) })).toThrow(/'uploadsScratchSizeLimit' is "10Ki"/);
    expect(() => render({ placement: { nodeSelection: NodeSelection.fallback({ 'bad key!': 'x' }) } })).toThrow(/'nodeSelector'/);
  });

  test('fails when Postgres settings are invalid', () => {
    expect(() => Postgres.external({ host: 'pg', port: 70000, database: 'd', user: 'u', passwordSecret: { name: 's', key: 'k' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) })).toThrow(/'postgres.port' is 70000/);
    expect(() => Postgres.external({ host: 'pg', database: 'd', user: 'u', passwordSecret: { name: 'S!', key: 'k' }, peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }) })).toThrow(/'postgres.passwordSecret.name'/);
    expect(() => Postgres.crunchy({ cluster: 'Bad', user: 'u' })).toThrow(/'postgres.cluster' is "Bad"/);
  });

  describe('Postgres.server (a data-services PostgresServer)', () => {
    const server = () => {
      const app = new App();
      const db = new Release(app, 'db', { namespace: 'db' });
      const pg = new PostgresServer(db, 'Pg', { name: 'pg', superuser: { password: { name: 'pg-super', key: 'password' } } });
      const role = pg.addRole('graphistry', { password: { name: 'graphistry-pg', key: 'password' } });
      pg.addDatabase('graphistry', { owner: role });
      return { app, pg, role };
    };

    test('fails when the login has no user and password (the superuser is never the default)', () => {
      const { pg } = server();
      expect(() => Postgres.server(pg, { login: { url: { name: 'dsn', key: 'url' } } })).toThrow(
        /'postgres.login' is .*"url".*credentials are never defaulted; allowed: a role with a user and a password Secret key \(PostgresServer.addRole\)/,
      );
      expect(() => Postgres.server(undefined as never, { login: { user: 'u', password: { name: 's', key: 'k' } } })).toThrow(/'postgres.server' is undefined.*allowed: a PostgresServer or ExternalPostgres/);
    });

    test('fails when the database is not on the server, naming it (checked by the server\'s own connect)', () => {
      const { app, pg, role } = server();
      const r = new Release(app, 'gx', { namespace: 'gx' });
      expect(() => new EngineDaemonSet(r, 'Engine', { ...base, ...servers(r), postgres: Postgres.server(pg, { database: 'nope', login: role }) })).toThrow(/'connect.database' is "nope".*allowed: a database of pg: postgres, graphistry/);
    });
  });
});
