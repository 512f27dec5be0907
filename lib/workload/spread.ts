import { k8s } from 'cdk8s-plus-28';
import { check } from '../core/errors';
import { assertLabelKey } from '../core/labels';
import { assertInt } from '../core/validate';

/** The node label holding the node's name: one domain per node. */
export const HOSTNAME_TOPOLOGY_KEY = 'kubernetes.io/hostname';
/** The node label holding the node's zone. */
export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';

/** Options of `Spread.acrossNodes()`. */
export interface NodeSpreadOptions {
  /**
   * Refuse to schedule two pods on one node (a pod stays Pending when there are more replicas than nodes) instead of
   * preferring not to.
   * @default false
   */
  readonly required?: boolean;
  /**
   * Weight of the preference (1-100) against the scheduler's other preferences.
   * @default 100
   */
  readonly weight?: number;
}

/** Options of `Spread.acrossZones()` and `Spread.across()`. */
export interface TopologySpreadOptions {
  /**
   * The largest allowed difference in pod count between two domains.
   * @default 1
   */
  readonly maxSkew?: number;
  /**
   * Refuse to schedule a pod that would exceed the skew (`DoNotSchedule`) instead of preferring not to.
   * @default false
   */
  readonly required?: boolean;
}

/**
 * How a workload's pods spread over the cluster. Every rule selects the workload's own pods by its selector (the
 * labels on its pod template), never a hand-written label list that could match nothing or another release's pods.
 */
export class Spread {
  /** Pods on different nodes: a pod anti-affinity on `kubernetes.io/hostname` against the workload's own pods. */
  public static acrossNodes(options: NodeSpreadOptions = {}): Spread {
    const weight = options.weight ?? 100;
    assertInt('spread.weight', weight, { min: 1, max: 100 });
    check(!(options.required && options.weight !== undefined), 'spread.weight', options.weight, 'unset with required: true (a required rule has no weight)');
    return new Spread('antiAffinity', HOSTNAME_TOPOLOGY_KEY, { required: options.required ?? false, weight });
  }

  /** Pods balanced over zones (`topology.kubernetes.io/zone`). */
  public static acrossZones(options: TopologySpreadOptions = {}): Spread {
    return Spread.across(ZONE_TOPOLOGY_KEY, options);
  }

  /** Pods balanced over the domains of any node label (`topologyKey`). */
  public static across(topologyKey: string, options: TopologySpreadOptions = {}): Spread {
    assertLabelKey('spread.topologyKey', topologyKey);
    const maxSkew = options.maxSkew ?? 1;
    assertInt('spread.maxSkew', maxSkew, { min: 1 });
    return new Spread('topology', topologyKey, { required: options.required ?? false, maxSkew });
  }

  private constructor(
    private readonly type: 'antiAffinity' | 'topology',
    /** The node label whose values are the domains. */
    public readonly topologyKey: string,
    private readonly o: { readonly required: boolean; readonly weight?: number; readonly maxSkew?: number },
  ) {}

  /** The affinity term this rule adds, for the workload's selector (none for topology spread). */
  public antiAffinity(selector: Readonly<Record<string, string>>): Pick<k8s.PodAntiAffinity, 'requiredDuringSchedulingIgnoredDuringExecution' | 'preferredDuringSchedulingIgnoredDuringExecution'> {
    if (this.type !== 'antiAffinity') return {};
    const term: k8s.PodAffinityTerm = { labelSelector: { matchLabels: { ...selector } }, topologyKey: this.topologyKey };
    return this.o.required
      ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
      : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: this.o.weight!, podAffinityTerm: term }] };
  }

  /** The topology spread constraint this rule adds, for the workload's selector (none for anti-affinity). */
  public constraint(selector: Readonly<Record<string, string>>): k8s.TopologySpreadConstraint | undefined {
    if (this.type !== 'topology') return undefined;
    return {
      maxSkew: this.o.maxSkew!,
      topologyKey: this.topologyKey,
      whenUnsatisfiable: this.o.required ? 'DoNotSchedule' : 'ScheduleAnyway',
      labelSelector: { matchLabels: { ...selector } },
    };
  }
}

/**
 * The affinity of a workload: its placement's affinity with the spread rules' pod anti-affinity terms added (the
 * placement's own terms are kept).
 * @internal
 */
export function spreadAffinity(
  base: k8s.Affinity | undefined,
  spreads: readonly Spread[],
  selector: Readonly<Record<string, string>>,
): k8s.Affinity | undefined {
  const required: k8s.PodAffinityTerm[] = [...(base?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])];
  const preferred: k8s.WeightedPodAffinityTerm[] = [...(base?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])];
  let added = false;
  for (const s of spreads) {
    const t = s.antiAffinity(selector);
    if (t.requiredDuringSchedulingIgnoredDuringExecution) required.push(...t.requiredDuringSchedulingIgnoredDuringExecution);
    if (t.preferredDuringSchedulingIgnoredDuringExecution) preferred.push(...t.preferredDuringSchedulingIgnoredDuringExecution);
    added ||= t.requiredDuringSchedulingIgnoredDuringExecution !== undefined || t.preferredDuringSchedulingIgnoredDuringExecution !== undefined;
  }
  if (!added) return base;
  return {
    ...base,
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: required.length ? required : undefined,
      preferredDuringSchedulingIgnoredDuringExecution: preferred.length ? preferred : undefined,
    },
  };
}
