import { Size } from 'cdk8s';
import { ConfigError, DeploymentRollout } from '../../lib/core';
import { AccessMode, ConcurrencyPolicy, CronJob, CronSchedule, Job, PodVolume, Scaling, WebService, Worker, WorkloadKind } from '../../lib/workload';
import { BATCH_CONTAINER, HTTP_CONTAINER } from './fixtures';
import { newRelease, Template } from '../support';

const claim = (mode?: AccessMode) => PodVolume.claim('data', { size: Size.gibibytes(10), accessMode: mode });
const mounted = (volume: PodVolume) => ({ ...HTTP_CONTAINER, mounts: [{ volume, path: '/data' }] });
const FIX = /allowed: a ReadWriteMany claim \(a StorageClass that supports it\), per-pod claims \(PodVolume.perPodClaim with WorkloadKind.statefulSet\(\)\), or a workload that runs one pod at a time/;

describe('storage rules: a single-attach claim on a workload that can run several pods', () => {
  test('fails when a ReadWriteOnce claim is mounted by an autoscaled Deployment, naming the mount, the claim and the fix', () => {
    const run = () => new WebService(newRelease(), 'Web', { name: 'web', container: mounted(claim()), scaling: Scaling.autoscale({ minReplicas: 1, maxReplicas: 10, cpuUtilization: 70 }) });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/'container.mounts\[0\].volume' is "data \(claim web-data, ReadWriteOnce\)", but the autoscaler's maxReplicas is 10, and a ReadWriteOnce volume attaches to one node: the next pod never starts \(Multi-Attach error\)/);
    expect(run).toThrow(FIX);
  });

  test('fails when a ReadWriteOnce claim is mounted by a Deployment of several replicas', () => {
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: mounted(claim()), scaling: Scaling.fixed(3) })).toThrow(/but the workload runs 3 replicas/);
  });

  test('fails when an existing claim (assumed ReadWriteOnce) is shared by replicas', () => {
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: mounted(PodVolume.existingClaim('data', 'shared-data')), scaling: Scaling.fixed(2) })).toThrow(/"data \(existingClaim shared-data, ReadWriteOnce\)"/);
  });

  test('fails when a single replica rolls with a surge pod (the surge pod on another node never attaches)', () => {
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: mounted(claim()) })).toThrow(/a rolling update starts the new pod before the old one stops \(maxSurge\)/);
  });

  test('fails when a ReadWriteOncePod claim is mounted by a parallel Job', () => {
    const run = () => new Job(newRelease(), 'J', { name: 'j', container: { ...BATCH_CONTAINER, mounts: [{ volume: claim(AccessMode.READ_WRITE_ONCE_POD), path: '/data' }] }, parallelism: 4, completions: 8 });
    expect(run).toThrow(/the Job runs 4 pods in parallel, and a ReadWriteOncePod volume attaches to one pod/);
  });

  test('fails when a CronJob that allows overlapping runs mounts a ReadWriteOnce claim', () => {
    const run = () => new CronJob(newRelease(), 'C', { name: 'c', schedule: CronSchedule.expression('@hourly'), concurrencyPolicy: ConcurrencyPolicy.ALLOW, container: { ...BATCH_CONTAINER, mounts: [{ volume: claim(), path: '/data' }] } });
    expect(run).toThrow(/concurrencyPolicy Allow starts a run while the previous one may still run/);
  });

  test('passes with a ReadWriteMany claim on an autoscaled Deployment, and the claim is kept on prune', () => {
    const r = newRelease();
    new WebService(r, 'Web', { name: 'web', container: mounted(claim(AccessMode.READ_WRITE_MANY)), scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 }) });
    const pvc = Template.verified(r).find('PersistentVolumeClaim', 'web-data');
    expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(pvc.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' });
  });

  test('passes with a ReadWriteOnce claim on one replica that is recreated, on a Forbid CronJob and on a sequential Job', () => {
    const r = newRelease();
    new Worker(r, 'W', { name: 'w', kind: WorkloadKind.deployment({ rollout: DeploymentRollout.recreate() }), container: mounted(claim()) });
    new CronJob(r, 'C', { name: 'c', schedule: CronSchedule.expression('0 2 * * *'), container: { ...BATCH_CONTAINER, mounts: [{ volume: claim(), path: '/data' }] } });
    new Job(r, 'J', { name: 'j', completions: 5, container: { ...BATCH_CONTAINER, mounts: [{ volume: claim(), path: '/data' }] } });
    const t = Template.verified(r);
    expect(t.findAll('PersistentVolumeClaim').map((p) => p.metadata.name).sort()).toEqual(['c-data', 'j-data', 'w-data']);
  });

  test('passes with per-pod claims on an autoscaled StatefulSet: each replica gets its own volume', () => {
    const r = newRelease();
    new WebService(r, 'Web', {
      name: 'web',
      kind: WorkloadKind.statefulSet(),
      container: mounted(PodVolume.perPodClaim('data', { size: Size.gibibytes(5), storageClassName: 'fast' })),
      scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 6, memoryUtilization: 80 }),
    });
    const t = Template.verified(r);
    expect(t.has('PersistentVolumeClaim', 'web-data')).toBe(false);
    expect(t.find('StatefulSet', 'web').spec.volumeClaimTemplates).toEqual([
      { metadata: { name: 'data', annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } } },
    ]);
    expect(t.podSpec('StatefulSet', 'web').volumes).toBeUndefined();
  });

  test('fails when a per-pod claim is used outside a StatefulSet', () => {
    const v = PodVolume.perPodClaim('data', { size: Size.gibibytes(5) });
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: mounted(v) })).toThrow(/'container.mounts\[0\].volume' is "data", but a claim per pod is a StatefulSet volumeClaimTemplate; allowed: a shared volume, or WorkloadKind.statefulSet\(\) for claims per pod/);
    expect(() => new Job(newRelease(), 'J', { name: 'j', container: { ...BATCH_CONTAINER, mounts: [{ volume: v, path: '/d' }] } })).toThrow(/claims per pod exist only on StatefulSets/);
  });

  test('fails when a ReadOnlyMany claim is mounted read-write', () => {
    const v = PodVolume.existingClaim('models', 'models', { accessMode: AccessMode.READ_ONLY_MANY });
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: { ...HTTP_CONTAINER, mounts: [{ volume: v, path: '/models' }] }, scaling: Scaling.fixed(3) })).toThrow(/'container.mounts\[0\].readOnly' is undefined; allowed: true \(the claim is ReadOnlyMany\)/);
    const r = newRelease();
    new Worker(r, 'W', { name: 'w', container: { ...HTTP_CONTAINER, mounts: [{ volume: v, path: '/models', readOnly: true }] }, scaling: Scaling.fixed(3) });
    expect(Template.verified(r).find('Deployment', 'w').metadata.annotations['refs.ops-kit.io/external']).toBe('PersistentVolumeClaim/models');
  });

  test('fails when two different volumes share a name, or a claim is smaller than 1Mi', () => {
    const a = PodVolume.emptyDir('scratch');
    const b = PodVolume.emptyDir('scratch', { memory: true });
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: { ...HTTP_CONTAINER, mounts: [{ volume: a, path: '/a' }, { volume: b, path: '/b' }] } })).toThrow(/'container.mounts\[1\].volume' is "scratch", but another emptyDir volume is already named scratch/);
    expect(() => PodVolume.claim('d', { size: Size.kibibytes(4) })).toThrow(/'volumes.d.size' is "4Ki"; allowed: at least 1Mi/);
  });

  test('one volume mounted in two places renders once; files are read-only and hashed into the template', () => {
    const r = newRelease();
    const files = PodVolume.files('config', { 'app.yaml': 'a: 1\n' });
    new Worker(r, 'W', { name: 'w', container: { ...HTTP_CONTAINER, mounts: [{ volume: files, path: '/etc/app' }, { volume: files, path: '/etc/copy' }] } });
    const t = Template.verified(r);
    expect(t.podSpec('Deployment', 'w').volumes).toEqual([{ name: 'config', configMap: { name: 'w-config' } }]);
    expect(t.container('Deployment', 'w', 'w').volumeMounts.every((m: { readOnly: boolean }) => m.readOnly)).toBe(true);
    expect(t.find('ConfigMap', 'w-config').data).toEqual({ 'app.yaml': 'a: 1\n' });
    expect(t.find('Deployment', 'w').spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });
});
