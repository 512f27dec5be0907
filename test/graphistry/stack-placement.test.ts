import { ImageRef } from '../../lib/core/images';
import { NodeSelection } from '../../lib/core';
import { Tier } from '../../lib/graphistry';
import { ReleaseProps } from '../../lib/release';
import { KubeObject, verifyManifests } from '../../lib/verify';
import { Obj, podSpecs, Rendered, renderStack, SELF_HOSTED } from './stack-fixtures';

const CPU = { 'graphistry.io/role': 'cpu' };
const GPU = { 'graphistry.io/role': 'gpu' };
const GPU_TAINT = { key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' };
const SPLIT_POOLS: Partial<ReleaseProps> = { placement: { nodeSelector: CPU, tolerations: [GPU_TAINT as never] } };

describe('split GPU/CPU pools', () => {
  let r: Rendered;
  beforeAll(() => {
    r = renderStack(
      {
        tier: Tier.FULL,
        telemetry: SELF_HOSTED,
        engine: { placement: { nodeSelection: NodeSelection.fallback(GPU) } },
        notebook: { placement: { nodeSelection: NodeSelection.fallback(GPU) } },
        graphAppKit: { placement: { nodeSelection: NodeSelection.fallback(GPU) }, credentials: { secretName: 'gak-credentials' } },
      },
      SPLIT_POOLS,
    );
  });
  const pod = (kind: string, name: string) => r.get(kind, name).spec.template.spec as Obj;

  test('the engine, the notebook and graph-app-kit land on GPU nodes', () => {
    for (const [kind, name] of [['DaemonSet', 'engine'], ['Deployment', 'notebook'], ['Deployment', 'graph-app-kit-public'], ['Deployment', 'graph-app-kit-private']]) {
      expect(pod(kind, name).nodeSelector).toEqual(GPU);
    }
  });

  test('caddy, nexus, redis, dask-scheduler and pivot stay on CPU nodes, and so do the telemetry backends', () => {
    for (const name of ['caddy', 'nexus', 'redis', 'dask-scheduler', 'pivot', 'prometheus', 'grafana', 'jaeger']) {
      expect(pod('Deployment', name).nodeSelector).toEqual(CPU);
    }
  });

  test('the collector and node-exporter run everywhere: no selector, broad tolerations', () => {
    for (const name of ['otel-collector', 'node-exporter']) {
      const spec = pod('DaemonSet', name);
      expect(spec.nodeSelector ?? {}).toEqual({});
      expect(spec.tolerations).toContainEqual({ operator: 'Exists' });
    }
    expect(pod('DaemonSet', 'dcgm-exporter').nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
  });

  test('every workload tolerates the release-wide GPU taint (tolerations admit, they never move a pod)', () => {
    for (const { id, spec } of podSpecs(r.objects)) {
      expect({ id, has: ((spec.tolerations ?? []) as Obj[]).some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule' || t.operator === 'Exists' && !t.key) }).toEqual({ id, has: true });
    }
  });

  test('ReadWriteOnce claims across two pools produce a STORAGE TOPOLOGY warning', () => {
    expect(r.rendered.warnings.join('\n')).toMatch(/STORAGE TOPOLOGY: the claims are ReadWriteOnce, but engine .*notebook .*graph-app-kit/);
  });

  test('without overrides, the GPU workloads fall back to the release-wide selector', () => {
    const plain = renderStack({ tier: Tier.FULL }, SPLIT_POOLS);
    expect(plain.get('DaemonSet', 'engine').spec.template.spec.nodeSelector).toEqual(CPU);
    expect(plain.get('Deployment', 'notebook').spec.template.spec.nodeSelector).toEqual(CPU);
    expect(plain.rendered.warnings.filter((w) => w.startsWith('STORAGE TOPOLOGY'))).toEqual([]);
  });
});

describe('air-gap: one registry setting redirects every image', () => {
  const REGISTRY = 'registry.corp.example:5000/mirror';
  test.each(Tier.ALL.map((t) => t.name))('%s: no container or init container keeps an upstream registry', (tier) => {
    const r = renderStack({ tier: Tier.of(tier), telemetry: SELF_HOSTED }, { images: { registry: REGISTRY, pullSecrets: ['mirror-pull'] } });
    const images: string[] = [];
    for (const { id, spec } of podSpecs(r.objects)) {
      for (const c of [...(spec.initContainers ?? []), ...spec.containers] as Obj[]) {
        images.push(c.image);
        expect({ id, container: c.name, image: c.image.startsWith(`${REGISTRY}/`) }).toEqual({ id, container: c.name, image: true });
        expect(ImageRef.parse(c.image).pinned).toBe(true);
      }
      expect(spec.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    }
    // Third-party images are redirected too (Docker Hub's implicit library/ made explicit).
    if (tier !== 'platform') expect(images).toContain(`${REGISTRY}/library/redis:7.2.5-alpine3.20`);
    expect(images).toContain(`${REGISTRY}/groundnuty/k8s-wait-for:v2.0`);
    expect(images).toContain(`${REGISTRY}/library/postgres:16.4-alpine3.20`);
  });
});

describe('every reference resolves (verification layer)', () => {
  test.each(Tier.ALL.map((t) => t.name))('%s: schema, policy and references pass; externals are the operator Secrets', (tier) => {
    const r = renderStack(
      { tier: Tier.of(tier), telemetry: SELF_HOSTED, engine: { placement: { nodeSelection: NodeSelection.fallback(GPU) } }, notebook: { placement: { nodeSelection: NodeSelection.fallback(GPU) } }, graphAppKit: { placement: { nodeSelection: NodeSelection.fallback(GPU) }, credentials: { secretName: 'gak-credentials' } } },
      SPLIT_POOLS,
    );
    const report = verifyManifests(r.objects as KubeObject[], { name: tier });
    expect(report.violations).toEqual([]);
    const externals = report.externals.map((e) => e.ref);
    const expected = ['Secret/gx/grafana-admin', ...(tier === 'platform' ? [] : ['Secret/gx/graphistry-caddy-cookie']), 'Secret/gx/graphistry-jwt', 'Secret/gx/graphistry-nexus', 'Secret/gx/graphistry-postgres', ...(tier === 'platform' ? [] : ['Secret/gx/telemetry-auth'])];
    if (tier === 'full') expected.splice(0, 0, 'Secret/gx/gak-credentials');
    expect(externals).toEqual(expected);
  });
});
