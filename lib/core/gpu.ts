import { check } from './errors';
import { assertInt } from './validate';
import { assertLabelKey, assertLabels } from './labels';
import { assertDnsSubdomain } from './names';
import { addPlacementRequirements, assertToleration, ResolvedPlacement, Toleration } from './placement';
import { Resources } from './resources';

/** The extended resource the NVIDIA device plugin advertises. */
export const NVIDIA_GPU_RESOURCE = 'nvidia.com/gpu';
/** The node label NVIDIA GPU feature discovery sets on every GPU node. */
export const NVIDIA_GPU_PRESENT_LABEL = 'nvidia.com/gpu.present';

/** Options of `Gpu.nvidia(count, options)`. */
export interface GpuOptions {
  /**
   * The extended resource requested: a MIG profile (`nvidia.com/mig-1g.5gb`) or a shared-GPU resource instead of whole
   * GPUs.
   * @default 'nvidia.com/gpu'
   */
  readonly resourceName?: string;
  /**
   * Node labels a GPU node carries. Merged with the release's and the workload's own nodeSelector (a key set to
   * another value there fails synth: no node could satisfy both).
   * @default { 'nvidia.com/gpu.present': 'true' } (set by NVIDIA GPU feature discovery)
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Tolerations for the taint GPU nodes carry, added to the release's and the workload's own.
   * @default [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * RuntimeClass that exposes the GPUs to the container (`nvidia` on k3s or with the GPU Operator's RuntimeClass).
   * @default - the cluster's default runtime (enough where the NVIDIA runtime is the default)
   */
  readonly runtimeClassName?: string;
}

/**
 * GPUs for a workload's main container, as one option: the resource limit, the node selector and taint toleration
 * that bring the pod to a GPU node (merged with the release's and the user's placement, never replacing them), and
 * the runtime class. A chart that renders its GPU `nodeSelector:` after the user's renders the key twice, and YAML
 * keeps only the last: the user's selector silently disappears. Here there is one merged map.
 */
export class Gpu {
  /** `count` whole NVIDIA GPUs (or units of `options.resourceName`). */
  public static nvidia(count: number, options: GpuOptions = {}): Gpu {
    assertInt('gpu.count', count, { min: 1 });
    const resourceName = options.resourceName ?? NVIDIA_GPU_RESOURCE;
    assertLabelKey('gpu.resourceName', resourceName);
    check(resourceName.includes('/'), 'gpu.resourceName', resourceName, 'an extended resource name with a vendor prefix (nvidia.com/gpu, nvidia.com/mig-1g.5gb)');
    const nodeSelector = assertLabels('gpu.nodeSelector', options.nodeSelector ?? { [NVIDIA_GPU_PRESENT_LABEL]: 'true' });
    const tolerations = options.tolerations ?? [{ key: NVIDIA_GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }];
    tolerations.forEach((t, i) => assertToleration(`gpu.tolerations[${i}]`, t));
    if (options.runtimeClassName !== undefined) assertDnsSubdomain('gpu.runtimeClassName', options.runtimeClassName);
    return new Gpu(count, resourceName, nodeSelector, [...tolerations], options.runtimeClassName);
  }

  private constructor(
    /** How many units of the resource the container gets. */
    public readonly count: number,
    /** The extended resource (`nvidia.com/gpu`). */
    public readonly resourceName: string,
    /** Node labels the pod requires. */
    public readonly nodeSelector: Readonly<Record<string, string>>,
    /** Tolerations the pod adds. */
    public readonly tolerations: readonly Toleration[],
    /** The runtime class, when one is needed. */
    public readonly runtimeClassName: string | undefined,
  ) {}

  /**
   * `resources` with the GPU limit (and equal request) added. A container that already requests the resource with
   * another count fails: the two would disagree on how many GPUs the pod gets.
   */
  public addTo(resources: Resources, prop = 'resources'): Resources {
    const already = resources.extended?.[this.resourceName];
    check(
      already === undefined || already === this.count,
      `${prop}.extended.${this.resourceName}`,
      already,
      `unset (the gpu option sets it to ${this.count})`,
      'the gpu option and resources would request different GPU counts',
    );
    return { ...resources, extended: { ...(resources.extended ?? {}), [this.resourceName]: this.count } };
  }

  /** The placement with the GPU node labels and tolerations merged in (see `addPlacementRequirements`). */
  public place(placement: ResolvedPlacement, prop = 'placement'): ResolvedPlacement {
    return addPlacementRequirements(placement, { nodeSelector: this.nodeSelector, tolerations: this.tolerations }, 'the gpu option', prop);
  }
}
