import { Duration, Size } from 'cdk8s';
import { EnvFrom, EnvSource, Gpu, NodeSelection, Probes, SecurityProfile } from '../../lib/core';
import { PodVolume, Scaling, Spread, Worker, WorkloadKind } from '../../lib/workload';
import { envOf, newRelease, Template } from '../support';
import { HTTP_CONTAINER } from './fixtures';

describe('Worker', () => {
  test('a GPU worker: limit, GPU selector merged with the release-wide and the user selector, tolerations once, runtime class', () => {
    const r = newRelease({ placement: { nodeSelector: { pool: 'ml' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }] } });
    new Worker(r, 'W', {
      name: 'trainer',
      container: HTTP_CONTAINER,
      placement: { nodeSelection: NodeSelection.fallback({ team: 'physics' }), tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] },
      gpu: Gpu.nvidia(2, { nodeSelector: { accelerator: 'nvidia-gpu' }, runtimeClassName: 'nvidia' }),
    });
    const spec = Template.verified(r).podSpec('Deployment', 'trainer');
    expect(spec.nodeSelector).toEqual({ team: 'physics', accelerator: 'nvidia-gpu' });
    expect(spec.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
    ]);
    expect(spec.runtimeClassName).toBe('nvidia');
    expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(2);
    expect(spec.containers[0].resources.requests['nvidia.com/gpu']).toBe(2);
  });

  test('a StatefulSet worker with a claim per pod, a governing headless Service and init containers sharing a volume', () => {
    const r = newRelease();
    const repo = PodVolume.perPodClaim('repo', { size: Size.gibibytes(5) });
    const creds = PodVolume.emptyDir('credentials', { memory: true, sizeLimit: Size.mebibytes(1) });
    const token = PodVolume.secret('token', 'worker-token', { items: [{ key: 'token', path: 'worker.token' }] });
    const w = new Worker(r, 'W', {
      name: 'executor',
      kind: WorkloadKind.statefulSet(),
      container: { ...HTTP_CONTAINER, mounts: [{ volume: repo, path: '/var/lib/app/clone' }, { volume: creds, path: '/var/lib/app/credentials', readOnly: true }] },
      initContainers: [{ name: 'install-token', image: 'busybox:1.36.1', command: ['sh', '-c', 'cp /token/worker.token /credentials/'], mounts: [{ volume: token, path: '/token' }, { volume: creds, path: '/credentials' }] }],
      scaling: Scaling.fixed(2),
      security: SecurityProfile.restricted({ runAsUser: 1000, fsGroup: 1000 }),
    });
    const t = Template.verified(r);
    expect(t.ids()).toEqual(['NetworkPolicy/executor', 'NetworkPolicy/r-default-deny', 'Service/executor-headless', 'StatefulSet/executor']);
    const spec = t.podSpec('StatefulSet', 'executor');
    expect(spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['install-token']);
    expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(['credentials', 'token']);
    expect(t.find('StatefulSet', 'executor').metadata.annotations).toEqual({ 'refs.ops-kit.io/external': 'Secret/worker-token' });
    expect(w.headlessEndpoint!.headless).toBe(true);
    expect(t.find('Service', 'executor-headless').spec.publishNotReadyAddresses).toBe(true);
  });

  test('env from Secrets and ConfigMaps is declared external; optional sources are not', () => {
    const r = newRelease();
    new Worker(r, 'W', {
      name: 'w',
      container: {
        ...HTTP_CONTAINER,
        env: { TOKEN: EnvSource.secret('api-token', 'token'), LEVEL: EnvSource.configMap('settings', 'level'), MAYBE: EnvSource.secret('maybe', 'k', { optional: true }) },
        envFrom: [EnvFrom.secret('app-env')],
      },
    });
    const t = Template.verified(r);
    expect(t.find('Deployment', 'w').metadata.annotations['refs.ops-kit.io/external']).toBe('ConfigMap/settings,Secret/api-token,Secret/app-env');
    expect(envOf(t.container('Deployment', 'w', 'w')).TOKEN).toEqual({ secretKeyRef: { name: 'api-token', key: 'token' } });
  });

  test('probes: startup, readiness and liveness render as given', () => {
    const r = newRelease();
    new Worker(r, 'W', { name: 'w', container: { ...HTTP_CONTAINER, startupProbe: Probes.http('/health', 'http', { period: Duration.seconds(5), failureThreshold: 12 }) } });
    const c = Template.verified(r).container('Deployment', 'w', 'w');
    expect(c.startupProbe).toEqual({ httpGet: { path: '/health', port: 'http' }, periodSeconds: 5, failureThreshold: 12 });
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
  });

  test('a StatefulSet without ports gets a headless Service without ports (its pods still get DNS names)', () => {
    const r = newRelease();
    const w = new Worker(r, 'W', {
      name: 'w',
      kind: WorkloadKind.statefulSet(),
      container: { ...HTTP_CONTAINER, ports: [], readinessProbe: Probes.exec(['true']), livenessProbe: Probes.exec(['true']) },
    });
    const svc = Template.verified(r).find('Service', 'w-headless');
    expect(svc.spec).toEqual({ clusterIP: 'None', publishNotReadyAddresses: true, selector: w.selector });
    expect(() => w.headlessEndpoint!.port()).toThrow(/'port' is undefined, but Service ns\/w-headless has no ports \(a headless Service that only gives its pods DNS names\); allowed: a target with ports/);
  });

  test('fails when the GPU option and the user placement disagree on a node label', () => {
    const run = () => new Worker(newRelease(), 'W', { name: 'w', container: HTTP_CONTAINER, placement: { nodeSelection: NodeSelection.fallback({ accelerator: 'none' }) }, gpu: Gpu.nvidia(1, { nodeSelector: { accelerator: 'nvidia-gpu' } }) });
    expect(run).toThrow(/'placement.nodeSelector.accelerator' is "none", but the gpu option needs accelerator=nvidia-gpu on the node/);
  });

  test('fails when kind, scaling or a spread rule is not one of its alternatives (the error names the Worker)', () => {
    const worker = (props: object) => () => new Worker(newRelease(), 'W', { name: 'w', container: HTTP_CONTAINER, ...props });
    expect(worker({ kind: 'StatefulSet' })).toThrow(/^Worker "r\/W": 'kind' is "StatefulSet"; allowed: WorkloadKind.deployment\(\{...\}\) or WorkloadKind.statefulSet\(\{...\}\)$/);
    expect(worker({ scaling: 3 })).toThrow(/^Worker "r\/W": 'scaling' is 3; allowed: Scaling.fixed\(n\) or Scaling.autoscale\(\{...\}\)$/);
    expect(worker({ spread: [Spread.acrossNodes(), 'zones'] })).toThrow(/^Worker "r\/W": 'spread\[1\]' is "zones"; allowed: Spread.acrossNodes\(\), Spread.acrossZones\(\) or Spread.across\(key\)$/);
  });

  test('fails when the container has no requests and limits, or half of them (a JavaScript caller is not stopped by the types)', () => {
    const noResources = { image: 'busybox:1.36.1', command: ['sleep', '3600'] } as never;
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: noResources })).toThrow(
      /^Worker "r\/W": 'container.resources' is undefined; allowed: requests and limits: \{ cpu: \{ request, limit \}, memory: \{ request, limit \} \}/,
    );
    const gpuNoResources = () => new Worker(newRelease(), 'W', { name: 'w', container: noResources, gpu: Gpu.nvidia(1) });
    expect(gpuNoResources).toThrow(/^Worker "r\/W": 'container.resources' is undefined/);
    const cpuOnly = { ...HTTP_CONTAINER, resources: { cpu: HTTP_CONTAINER.resources.cpu } } as never;
    expect(() => new Worker(newRelease(), 'W', { name: 'w', container: cpuOnly })).toThrow(/'container.resources.memory' is undefined; allowed: a request and a limit: \{ request: Size.gibibytes\(2\), limit: Size.gibibytes\(8\) \}/);
  });
});
