import { Duration, Size } from 'cdk8s';
import { DeploymentRollout, EnvSource, probeSeconds, SecurityProfile } from '../../lib/core';
import { EXTERNAL_REFS_ANNOTATION } from '../../lib/core/policy';
import { DaskScheduler } from '../../lib/graphistry';
import {
  runtimeConfigScript,
  VALKEY_RUNTIME_CONFIG,
  ValkeyAuth,
  ValkeyConfigSource,
  ValkeyEngine,
  ValkeyPersistence,
  ValkeyProbes,
  ValkeyServer,
  ValkeyServerProps,
} from '../../lib/valkey';
import { WorkloadKind } from '../../lib/workload';
import { envOf, newRelease, Obj, Template } from '../support';

const AUTH = ValkeyAuth.password({ name: 'cache-auth', key: 'password' });
const NONE = ValkeyAuth.none({ reason: 'the clients send no password' });

function render(props: Partial<ValkeyServerProps> = {}): { server: ValkeyServer; t: Template } {
  const release = newRelease();
  const server = new ValkeyServer(release, 'Cache', { auth: AUTH, ...props });
  return { server, t: Template.fromRelease(release) };
}

/** A cache shaped the way a product keeps its own output: a Deployment on the image's defaults with ping probes. */
const CACHE: Partial<ValkeyServerProps> = {
  workload: WorkloadKind.deployment(),
  config: ValkeyConfigSource.imageDefaults(),
  probes: ValkeyProbes.ping(probeSeconds(5, 10, 5)),
};

describe('ValkeyServer workload: WorkloadKind.deployment() for a cache', () => {
  const workload = WorkloadKind.deployment({ rollout: DeploymentRollout.recreate(), revisionHistoryLimit: 3 });
  const { server, t } = render({ ...CACHE, auth: NONE, workload });
  const d = t.find('Deployment', 'r-valkey');

  test('renders one Deployment (the Resource child) and a ClusterIP Service, no StatefulSet and no headless Service', () => {
    expect(t.ids()).toEqual(['Deployment/r-valkey', 'NetworkPolicy/r-default-deny', 'NetworkPolicy/r-valkey', 'Service/r-valkey']);
    expect(server.node.findChild('Resource')).toBe(server.deployment);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.revisionHistoryLimit).toBe(3);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeUndefined();
    expect(t.find('Service', 'r-valkey').spec).toEqual({
      type: 'ClusterIP',
      selector: d.spec.selector.matchLabels,
      ports: [{ name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' }],
    });
    expect(server.endpoint.name).toBe('r-valkey');
    expect(server.readEndpoint).toBe(server.endpoint);
  });

  test('with the default rendered config, the Deployment mounts the ConfigMap and keeps the component\'s probes', () => {
    const { t } = render({ workload: WorkloadKind.deployment() });
    expect(t.ids()).toEqual(['ConfigMap/r-valkey', 'Deployment/r-valkey', 'NetworkPolicy/r-default-deny', 'NetworkPolicy/r-valkey', 'Service/r-valkey']);
    const c = t.container('Deployment', 'r-valkey', 'valkey');
    expect(c.command).toEqual(['valkey-server', '/etc/valkey/valkey.conf']);
    expect(c.startupProbe.exec.command).toEqual(['sh', '-c', "valkey-cli -p 6379 ping | grep -qE 'PONG|LOADING'"]);
    expect(t.find('Deployment').spec.template.metadata.annotations).toHaveProperty(['checksum/config']);
  });

  test('the rollout defaults to rolling with maxSurge 1 and maxUnavailable 0', () => {
    expect(render(CACHE).t.find('Deployment').spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  test('reading the objects of the other shape is an error that says which to read', () => {
    expect(() => server.statefulSet).toThrow("ValkeyServer r/Cache has no StatefulSet (workload WorkloadKind.deployment() renders a Deployment: read 'deployment')");
    expect(() => server.headlessService).toThrow(/has no headless Service/);
    expect(() => render().server.deployment).toThrow(/has no Deployment \(workload WorkloadKind.statefulSet\(\) renders a StatefulSet/);
  });

  test('the StatefulSet shape takes its pod management policy from WorkloadKind.statefulSet(), for the primary and the replicas', () => {
    const p = render({ workload: WorkloadKind.statefulSet({ podManagementPolicy: 'Parallel' }), readReplicas: 1 });
    expect(p.t.find('StatefulSet', 'r-valkey').spec.podManagementPolicy).toBe('Parallel');
    expect(p.t.find('StatefulSet', 'r-valkey-replica').spec.podManagementPolicy).toBe('Parallel');
    expect(render().t.find('StatefulSet').spec).toMatchObject({ podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate' } });
  });

  test('fails when a Deployment is asked for append-only persistence or read replicas', () => {
    expect(() => render({ workload: WorkloadKind.deployment(), persistence: ValkeyPersistence.appendOnly({ size: Size.gibibytes(1) }) })).toThrow(
      'ValkeyServer "r/Cache": \'persistence\' is "ValkeyPersistence.appendOnly(...)", but a Deployment has no claim per pod: append-only persistence needs WorkloadKind.statefulSet(); allowed: ValkeyPersistence.none() with workload WorkloadKind.deployment()',
    );
    expect(() => render({ workload: WorkloadKind.deployment(), readReplicas: 2 })).toThrow(
      "'readReplicas' is 2, but read replicas run beside a StatefulSet primary: use WorkloadKind.statefulSet(); allowed: 0 with workload WorkloadKind.deployment()",
    );
  });

  test('fails when workload is not a WorkloadKind', () => {
    expect(() => render({ workload: 'Deployment' as unknown as WorkloadKind })).toThrow(
      "'workload' is \"Deployment\"; allowed: WorkloadKind.statefulSet({...}) or WorkloadKind.deployment({...})",
    );
  });
});

describe('ValkeyServer identity and containerName', () => {
  const { server, t } = render({ identity: { name: 'redis', component: 'cache', partOf: 'shop' }, containerName: 'redis', readReplicas: 1 });
  const primary = t.find('StatefulSet', 'r-valkey');
  const replica = t.find('StatefulSet', 'r-valkey-replica');

  test('the product\'s name and component select the pods; part-of is on metadata only; the replicas get <component>-replica', () => {
    const selector = { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'r', 'app.kubernetes.io/component': 'cache' };
    expect(server.selector).toEqual(selector);
    expect(primary.spec.selector.matchLabels).toEqual(selector);
    expect(t.find('Service', 'r-valkey').spec.selector).toEqual(selector);
    expect(primary.metadata.labels).toMatchObject({ ...selector, 'app.kubernetes.io/part-of': 'shop' });
    expect(primary.spec.template.metadata.labels['app.kubernetes.io/part-of']).toBe('shop');
    expect(replica.spec.selector.matchLabels).toEqual({ ...selector, 'app.kubernetes.io/component': 'cache-replica' });
  });

  test('the server container carries the given name', () => {
    expect(primary.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['redis']);
    expect(replica.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['redis']);
    expect(render().t.find('StatefulSet').spec.template.spec.containers[0].name).toBe('valkey');
  });

  test('fails when an identity label is not a label value, or the replicas\' component would be too long', () => {
    expect(() => render({ identity: { name: 'Redis!', component: 'cache' } })).toThrow(/'identity.name' is "Redis!"; allowed: a label value/);
    expect(() => render({ identity: { name: 'redis', component: 'cache', partOf: '-x' } })).toThrow(/'identity.partOf' is "-x"; allowed: a label value/);
    expect(() => render({ identity: { name: 'redis', component: 'c'.repeat(60) }, readReplicas: 1 })).toThrow(/'identity.component' is "c{60}-replica"; allowed: a label value: at most 63 characters/);
  });

  test('fails when containerName is not a DNS label', () => {
    expect(() => render({ containerName: 'Redis_1' })).toThrow(/'containerName' is "Redis_1"/);
  });
});

describe('ValkeyServer config: ValkeyConfigSource.imageDefaults()', () => {
  test('without a password: no ConfigMap, no init container, no command (the image\'s entrypoint and defaults), the data emptyDir', () => {
    const { server, t } = render({ ...CACHE, auth: NONE });
    const pod = t.find('Deployment').spec.template.spec;
    expect(t.findAll('ConfigMap')).toEqual([]);
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers[0].command).toBeUndefined();
    expect(pod.volumes).toEqual([{ name: 'data', emptyDir: { sizeLimit: '512Mi' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(t.find('Deployment').spec.template.metadata.annotations).toBeUndefined();
    expect(() => server.configMap).toThrow(/has no ConfigMap \(ValkeyConfigSource.imageDefaults\(\) renders no config file\)/);
    expect(() => server.config).toThrow(/has no config file/);
  });

  test('with a password: the init container writes the runtime file and the server starts with it alone', () => {
    const { t } = render({ ...CACHE, engine: ValkeyEngine.redis() });
    const d = t.find('Deployment');
    const pod = d.spec.template.spec;
    const init = pod.initContainers.find((c: Obj) => c.name === 'config');
    expect(init.command).toEqual(['sh', '-c', runtimeConfigScript({ passwordSource: 'Secret cache-auth key password' })]);
    expect(envOf(init)).toEqual({ VALKEY_PASSWORD: { secretKeyRef: { name: 'cache-auth', key: 'password' } } });
    expect(pod.containers[0].command).toEqual(['redis-server', VALKEY_RUNTIME_CONFIG]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }, { name: 'runtime', mountPath: '/run/valkey', readOnly: true }]);
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['data', 'runtime']);
    expect(d.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('Secret/cache-auth');
    expect(t.findAll('ConfigMap')).toEqual([]);
  });

  test('the notes say the image\'s defaults hold: snapshots on an emptyDir, no maxmemory', () => {
    const { t } = render({ ...CACHE });
    const note = t.rendered.notes.find((n) => n.startsWith('Valkey r-valkey'))!;
    expect(note).toContain("Data: the image's default RDB snapshots on an emptyDir, lost with the pod; no maxmemory (the image's defaults): the memory limit is the ceiling.");
  });

  test('fails when a setting of the rendered file is given with the image\'s defaults', () => {
    const why = "but the image's defaults (config ValkeyConfigSource.imageDefaults()) have no config file to hold it";
    expect(() => render({ ...CACHE, maxMemory: Size.mebibytes(100) })).toThrow(`'maxMemory' is "100Mi", ${why}; allowed: unset with ValkeyConfigSource.imageDefaults()`);
    expect(() => render({ ...CACHE, maxMemoryPolicy: 'allkeys-lru' })).toThrow(`'maxMemoryPolicy' is "allkeys-lru", ${why}`);
    expect(() => render({ config: ValkeyConfigSource.imageDefaults(), persistence: ValkeyPersistence.appendOnly({ size: Size.gibibytes(1) }) })).toThrow(`'persistence' is "ValkeyPersistence.appendOnly(...)", ${why}`);
  });

  test('fails when config is not a ValkeyConfigSource', () => {
    expect(() => render({ config: 'defaults' as unknown as ValkeyConfigSource })).toThrow(
      "'config' is \"defaults\"; allowed: ValkeyConfigSource.rendered() or ValkeyConfigSource.imageDefaults()",
    );
  });
});

describe('ValkeyServer probes: ValkeyProbes.ping()', () => {
  test('<cli> ping as liveness and readiness with the given timing, no startup probe; the CLI reads the password from its env', () => {
    const probes = ValkeyProbes.ping({ initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(5) });
    const { t } = render({ probes });
    const c = t.container('StatefulSet', 'r-valkey', 'valkey');
    const expected = { exec: { command: ['valkey-cli', 'ping'] }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5 };
    expect(c.livenessProbe).toEqual(expected);
    expect(c.readinessProbe).toEqual(expected);
    expect(c.startupProbe).toBeUndefined();
    expect(Object.keys(envOf(c))).toEqual(['VALKEYCLI_AUTH']);
  });

  test('fails when a timing is out of range, named as the factory\'s option', () => {
    expect(() => ValkeyProbes.ping({ period: Duration.seconds(0) })).toThrow(/^'probes.ping.period' is "0s"/);
    expect(() => ValkeyProbes.ping({ failureThreshold: 0 })).toThrow(/^'probes.ping.failureThreshold' is 0/);
  });

  test('fails when probes is not a ValkeyProbes', () => {
    expect(() => render({ probes: {} as ValkeyProbes })).toThrow("'probes' is {}; allowed: ValkeyProbes.replicationAware() or ValkeyProbes.ping({...})");
  });
});

describe('ValkeyServer dataSizeLimit, securityProfile, env, connections and notes', () => {
  test('dataSizeLimit sizes the data emptyDir (default: the memory limit)', () => {
    expect(render({ dataSizeLimit: Size.gibibytes(2) }).t.find('StatefulSet').spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '2Gi' } });
    expect(render().t.find('StatefulSet').spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '512Mi' } });
  });

  test('fails when dataSizeLimit is given with append-only persistence, or below 1Mi', () => {
    expect(() => render({ dataSizeLimit: Size.gibibytes(2), persistence: ValkeyPersistence.appendOnly({ size: Size.gibibytes(1) }) })).toThrow(
      "'dataSizeLimit' is \"2Gi\", but the data directory is the claim; allowed: unset with append-only persistence",
    );
    expect(() => render({ dataSizeLimit: Size.kibibytes(10) })).toThrow("'dataSizeLimit' is \"10Ki\"; allowed: at least 1Mi");
  });

  test('securityProfile replaces the restricted read-only-root default', () => {
    const { t } = render({ ...CACHE, securityProfile: SecurityProfile.restricted({ runAsUser: 999, runAsGroup: 999, fsGroup: 999 }) });
    const c = t.find('Deployment').spec.template.spec.containers[0];
    expect(c.securityContext.readOnlyRootFilesystem).toBeUndefined();
    expect(render().t.container('StatefulSet', 'r-valkey', 'valkey').securityContext.readOnlyRootFilesystem).toBe(true);
  });

  test('fails when securityProfile is not a SecurityProfile', () => {
    expect(() => render({ securityProfile: { runAsUser: 1 } as unknown as SecurityProfile })).toThrow(/'securityProfile' is \{"runAsUser":1\}; allowed: SecurityProfile.restricted/);
  });

  test('env follows the CLI\'s password variable, on the primary and the replicas', () => {
    const { t } = render({ env: { TZ: 'UTC', EXTRA: EnvSource.secret('s', 'k') }, readReplicas: 1 });
    for (const name of ['r-valkey', 'r-valkey-replica']) {
      expect(Object.keys(envOf(t.container('StatefulSet', name, 'valkey')))).toEqual(['VALKEYCLI_AUTH', 'EXTRA', 'TZ']);
    }
  });

  test('fails when env overrides the CLI\'s password variable: the auth prop owns it', () => {
    expect(() => render({ env: { VALKEYCLI_AUTH: 'hunter2' } })).toThrow(/'env.VALKEYCLI_AUTH' is "hunter2", but VALKEYCLI_AUTH is owned by .* from the 'auth' prop/);
  });

  test('connections wire the server container of every pod, through the graph', () => {
    const release = newRelease();
    const dask = new DaskScheduler(release, 'Dask');
    const server = new ValkeyServer(release, 'Cache', { auth: AUTH, readReplicas: 1, connections: [dask] });
    const t = Template.fromRelease(release);
    const edges = t.connections.filter((c) => c.to.type === 'service' && c.to.name === 'dask-scheduler');
    expect(edges.map((c) => c.from)).toEqual([
      expect.objectContaining({ path: server.node.path, container: 'valkey' }),
      expect.objectContaining({ path: `${server.node.path}/Replicas`, container: 'valkey' }),
    ]);
  });

  test('notes: false leaves the note to the product', () => {
    expect(render({ notes: false }).t.rendered.notes.some((n) => n.includes('r-valkey'))).toBe(false);
    expect(render().t.rendered.notes.some((n) => n.startsWith('Valkey r-valkey'))).toBe(true);
  });
});
