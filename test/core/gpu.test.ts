import { App } from 'cdk8s';
import { addPlacementRequirements, ConfigError, Gpu, NodeSelection, Placement, sized } from '../../lib/core';
import { Release } from '../../lib/release';

const GPU_TAINT = { key: 'nvidia.com/gpu', operator: 'Exists' as const, effect: 'NoSchedule' as const };

describe('Gpu.nvidia', () => {
  test('adds the limit (and equal request) to the resources, keeping the rest', () => {
    const r = Gpu.nvidia(2).addTo(sized(100, 200, 64, 128));
    expect(r.extended).toEqual({ 'nvidia.com/gpu': 2 });
    expect(r.cpu.request.amount).toBe('100m');
  });

  test('defaults: GPU feature discovery label and the nvidia.com/gpu NoSchedule taint', () => {
    const gpu = Gpu.nvidia(1);
    expect(gpu.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(gpu.tolerations).toEqual([GPU_TAINT]);
    expect(gpu.runtimeClassName).toBeUndefined();
  });

  test('merges its selector and toleration with the release-wide and the user placement, dropping nothing', () => {
    const release = new Placement({ nodeSelector: { pool: 'ml' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }] });
    const user = release.forWorkload({ nodeSelection: NodeSelection.fallback({ team: 'physics' }), tolerations: [GPU_TAINT] });
    const placed = Gpu.nvidia(1, { nodeSelector: { accelerator: 'nvidia-gpu' } }).place(user);
    expect(placed.nodeSelector).toEqual({ team: 'physics', accelerator: 'nvidia-gpu' });
    // The user's own GPU toleration and the option's are the same toleration: it appears once.
    expect(placed.tolerations).toEqual([GPU_TAINT, { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }]);
  });

  test('a label both sides set to the same value appears once', () => {
    const placed = Gpu.nvidia(1, { nodeSelector: { accelerator: 'nvidia-gpu' } }).place({ nodeSelector: { accelerator: 'nvidia-gpu' } });
    expect(placed.nodeSelector).toEqual({ accelerator: 'nvidia-gpu' });
  });

  test('fails when the placement sets a GPU label key to another value, naming both values', () => {
    const run = () => Gpu.nvidia(1, { nodeSelector: { accelerator: 'nvidia-gpu' } }).place({ nodeSelector: { accelerator: 'none' } });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/'placement.nodeSelector.accelerator' is "none", but the gpu option needs accelerator=nvidia-gpu on the node.*allowed: "nvidia-gpu" or no value for accelerator/);
  });

  test('fails when the resources already request the GPU resource with another count', () => {
    const r = { ...sized(100, 200, 64, 128), extended: { 'nvidia.com/gpu': 1 } };
    expect(() => Gpu.nvidia(2).addTo(r, 'container.resources')).toThrow(/'container.resources.extended.nvidia.com\/gpu' is 1, but the gpu option and resources would request different GPU counts; allowed: unset \(the gpu option sets it to 2\)/);
    expect(Gpu.nvidia(1).addTo(r).extended).toEqual({ 'nvidia.com/gpu': 1 });
  });

  test('fails when the count is not a whole number >= 1', () => {
    expect(() => Gpu.nvidia(0)).toThrow(/'gpu.count' is 0, but it is below 1; allowed: a whole number >= 1/);
    expect(() => Gpu.nvidia(1.5)).toThrow(/'gpu.count' is 1.5, but it is not a whole number/);
    expect(() => Gpu.nvidia(1e21)).toThrow(/'gpu.count' is 1e\+21, but it would be written in exponent form/);
  });

  test('fails when the resource name, runtime class or a toleration is invalid', () => {
    expect(() => Gpu.nvidia(1, { resourceName: 'gpu' })).toThrow(/'gpu.resourceName' is "gpu".*vendor prefix/);
    expect(() => Gpu.nvidia(1, { runtimeClassName: 'Nvidia_Runtime' })).toThrow(/'gpu.runtimeClassName' is "Nvidia_Runtime"/);
    expect(() => Gpu.nvidia(1, { tolerations: [{ operator: 'Exists', value: 'x' }] })).toThrow(/'gpu.tolerations\[0\].value' is "x"/);
  });

  test('a MIG profile is requested by its resource name', () => {
    expect(Gpu.nvidia(1, { resourceName: 'nvidia.com/mig-1g.5gb' }).addTo(sized(1, 1, 1, 1)).extended).toEqual({ 'nvidia.com/mig-1g.5gb': 1 });
  });
});

describe('addPlacementRequirements', () => {
  test('keeps the affinity and renders no tolerations when there are none', () => {
    const affinity = { podAntiAffinity: {} };
    expect(addPlacementRequirements({ nodeSelector: {}, affinity }, { nodeSelector: { a: 'b' } }, 'x')).toEqual({ nodeSelector: { a: 'b' }, tolerations: undefined, affinity });
  });

  test('resolves against a real release placement', () => {
    const r = new Release(new App(), 'r', { namespace: 'ns', placement: { nodeSelector: { pool: 'p' } } });
    expect(Gpu.nvidia(1).place(Placement.of(r).forWorkload()).nodeSelector).toEqual({ pool: 'p', 'nvidia.com/gpu.present': 'true' });
  });
});
