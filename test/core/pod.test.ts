import { App, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { buildContainer } from '../../lib/core/container';
import { EnvBuilder } from '../../lib/core/env';
import { Images } from '../../lib/core/images';
import { NodeSelection, Placement } from '../../lib/core/placement';
import { buildPodSpec } from '../../lib/core/pod';
import { Probes } from '../../lib/core/probes';
import { NamespacedAccess } from '../../lib/core/rbac';
import { sized } from '../../lib/core/resources';
import { SecurityProfile } from '../../lib/core/security';
import { WaitFor } from '../../lib/core/waits';
import { Release, renderRelease } from '../../lib/release';

const security = SecurityProfile.restricted();

describe('buildContainer', () => {
  test('applies the security profile, resources and a pinned-image pull policy', () => {
    const c = buildContainer('web', { name: 'web', image: 'nginx:1.27.2', ports: [{ name: 'http', port: 8080 }], resources: sized(50, 100, 64, 128), env: new EnvBuilder('web').own('PORT', '8080') }, security);
    expect(c.securityContext).toEqual(security.containerSecurityContext());
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: undefined }]);
    expect(c.env).toEqual([{ name: 'PORT', value: '8080' }]);
  });

  test('fails when a port is declared twice or a port name is too long', () => {
    const base = { name: 'web', image: 'nginx:1', resources: sized(1, 1, 1, 1) };
    expect(() => buildContainer('web', { ...base, ports: [{ port: 80 }, { port: 80 }] }, security)).toThrow(/'web.ports\[1\].port' is 80/);
    expect(() => buildContainer('web', { ...base, ports: [{ name: 'much-too-long-port-name', port: 80 }] }, security)).toThrow(/'web.ports\[0\].name'/);
  });

  test('fails when a port name has two dashes in a row (Kubernetes rejects it)', () => {
    const base = { name: 'web', image: 'nginx:1', resources: sized(1, 1, 1, 1) };
    expect(() => buildContainer('web', { ...base, ports: [{ name: 'http--alt', port: 80 }] }, security)).toThrow(/'web.ports\[0\].name' is "http--alt"/);
  });

  test('fails when a liveness or startup probe needs more than one success (the API server only accepts 1)', () => {
    const base = { name: 'web', image: 'nginx:1', resources: sized(1, 1, 1, 1) };
    const twice = Probes.tcp(80, { successThreshold: 2 });
    expect(() => buildContainer('web', { ...base, liveness: twice }, security)).toThrow(/'web.liveness.successThreshold' is 2, but the API server rejects any other value for a liveness probe; allowed: 1/);
    expect(() => buildContainer('web', { ...base, startup: twice }, security)).toThrow(/'web.startup.successThreshold' is 2, .*; allowed: 1/);
    expect(buildContainer('web', { ...base, readiness: twice }, security).readinessProbe!.successThreshold).toBe(2);
  });

  test('fails when the container name is not a DNS label', () => {
    expect(() => buildContainer('x', { name: 'Web', image: 'nginx:1', resources: sized(1, 1, 1, 1) }, security)).toThrow(/'x.name' is "Web"/);
  });
});

describe('buildPodSpec', () => {
  function scope() {
    const app = new App();
    const release = new Release(app, 'demo', {
      namespace: 'demo',
      images: { pullSecrets: ['regcred'] },
      placement: { nodeSelector: { pool: 'cpu' }, tolerations: [{ key: 'dedicated', value: 'demo', effect: 'NoSchedule' }] },
    });
    return { app, release, child: new Construct(release, 'workload') };
  }

  test('carries placement, pull secrets, security and a closed token by default', () => {
    const { child } = scope();
    const container = buildContainer('web', { name: 'web', image: 'nginx:1.27.2', resources: sized(1, 1, 1, 1), volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }, security);
    const spec = buildPodSpec(child, 'web', {
      containers: [container],
      volumes: [{ name: 'cache', emptyDir: {} }],
      security,
      placement: Placement.of(child).forWorkload({ nodeSelection: NodeSelection.fallback({}) }),
      terminationGracePeriod: Duration.seconds(60),
    });
    expect(spec.nodeSelector).toEqual({ pool: 'cpu' });
    expect(spec.tolerations).toEqual([{ key: 'dedicated', operator: undefined, value: 'demo', effect: 'NoSchedule', tolerationSeconds: undefined }]);
    expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.terminationGracePeriodSeconds).toBe(60);
    expect(spec.securityContext!.runAsNonRoot).toBe(true);
  });

  test('fails when a volume mount names no declared volume', () => {
    const { child } = scope();
    const container = buildContainer('web', { name: 'web', image: 'nginx:1.27.2', resources: sized(1, 1, 1, 1), volumeMounts: [{ name: 'data', mountPath: '/d' }] }, security);
    expect(() => buildPodSpec(child, 'web', { containers: [container], security, placement: Placement.of(child).forWorkload() })).toThrow(/'web.web.volumeMounts' is "data"/);
  });

  test("renders the security profile's host access: hostNetwork, hostPID and the hostPath volumes after the pod's own", () => {
    const { child } = scope();
    const host = SecurityProfile.restricted({
      hostPaths: { mounts: [{ name: 'proc', hostPath: '/proc', mountPath: '/host/proc' }], reason: 'reads /proc' },
      hostNetwork: { reason: 'node network' },
      hostPID: { reason: 'node processes' },
    });
    const container = buildContainer('agent', { name: 'agent', image: 'nginx:1.27.2', resources: sized(1, 1, 1, 1), volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...host.hostPathMounts()] }, host);
    const spec = buildPodSpec(child, 'agent', { containers: [container], volumes: [{ name: 'tmp', emptyDir: {} }], security: host, placement: Placement.of(child).forWorkload() });
    expect(spec.hostNetwork).toBe(true);
    expect(spec.hostPid).toBe(true);
    expect(spec.volumes).toEqual([{ name: 'tmp', emptyDir: {} }, { name: 'proc', hostPath: { path: '/proc', type: undefined } }]);
    // the API field is spelled hostPID
    expect(k8s.toJson_PodSpec(spec)).toMatchObject({ hostNetwork: true, hostPID: true });
    // without host access none of the fields is rendered
    const plain = buildPodSpec(child, 'web', { containers: [buildContainer('web', { name: 'web', image: 'nginx:1.27.2', resources: sized(1, 1, 1, 1) }, security)], security, placement: Placement.of(child).forWorkload() });
    expect(plain.hostNetwork).toBeUndefined();
    expect(plain.hostPid).toBeUndefined();
    expect(plain.volumes).toBeUndefined();
  });

  test("fails when a pod volume shares a name with the profile's hostPaths volume", () => {
    const { child } = scope();
    const host = SecurityProfile.restricted({ hostPaths: { mounts: [{ name: 'data', hostPath: '/data', mountPath: '/data' }], reason: 'reads /data' } });
    const container = buildContainer('web', { name: 'web', image: 'nginx:1.27.2', resources: sized(1, 1, 1, 1) }, host);
    expect(() => buildPodSpec(child, 'web', { containers: [container], volumes: [{ name: 'data', emptyDir: {} }], security: host, placement: Placement.of(child).forWorkload() })).toThrow(
      /'web.volumes' is "data", but data is also a hostPaths volume/,
    );
  });

  test('fails when two containers share a name', () => {
    const { child } = scope();
    const c = buildContainer('web', { name: 'web', image: 'nginx:1.27.2', resources: sized(1, 1, 1, 1) }, security);
    expect(() => buildPodSpec(child, 'p', { containers: [c, c], security, placement: Placement.of(child).forWorkload() })).toThrow(/web appears twice/);
  });

  test('the registry redirect reaches images resolved below the release', () => {
    const app = new App();
    const release = new Release(app, 'airgap', { namespace: 'x', images: { registry: 'mirror.local:5000' } });
    expect(Images.of(new Construct(release, 'w')).resolve('i', 'graphistry/nexus:v2.50.7')).toBe('mirror.local:5000/graphistry/nexus:v2.50.7');
  });
});

describe('NamespacedAccess', () => {
  test('renders a ServiceAccount, Role and RoleBinding scoped to the release namespace', () => {
    const app = new App();
    const release = new Release(app, 'r', { namespace: 'team' });
    new NamespacedAccess(release, 'Waits', { name: 'engine-waits', labels: { a: 'b' }, rules: WaitFor.service('redis').rules });
    const objs = renderRelease(release).objects;
    expect(objs.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
    const binding = objs.find((o) => o.kind === 'RoleBinding') as any;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'engine-waits', namespace: 'team' }]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'engine-waits' });
    expect(objs.every((o) => o.kind !== 'ClusterRole')).toBe(true);
    // unused import guard: k8s types are the L1 ones
    expect(k8s.KubeRole).toBeDefined();
  });
});
