import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { check, propPath } from './errors';
import { assertLabels, assertLabelKey } from './labels';
import { stableStringify } from './hash';
import { assertInt } from './validate';

/** A taint toleration. Mirrors the Kubernetes field, validated. */
export interface Toleration {
  /**
   * Taint key; empty with operator Exists tolerates every taint.
   * @default - empty (with operator Exists: every taint)
   */
  readonly key?: string;
  /**
   * `Equal` (default) or `Exists`.
   * @default 'Equal'
   */
  readonly operator?: 'Equal' | 'Exists';
  /**
   * Taint value; must be empty when operator is Exists.
   * @default - empty
   */
  readonly value?: string;
  /**
   * Taint effect to tolerate; empty means all effects.
   * @default - every effect
   */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /**
   * For NoExecute: how long the pod stays bound after the taint appears.
   * @default - for ever
   */
  readonly tolerationSeconds?: number;
}

/** The release-wide placement every workload starts from. */
export interface GlobalPlacementProps {
  /**
   * Node labels every workload must match, unless its own selector overrides it or it must run everywhere.
   * @default {}
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Taints every workload tolerates (GPU-operator taints, dedicated-tenant taints). Tolerations are permissive:
   * adding one never moves a pod, it only admits it to tainted nodes its selector already allows.
   * @default []
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * Affinity applied to every workload that does not set its own.
   * @default - none
   */
  readonly affinity?: k8s.Affinity;
}

/** How one workload chooses nodes relative to the release-wide selector. */
export class NodeSelection {
  /** Use the release-wide selector. */
  public static inherit(): NodeSelection {
    return new NodeSelection('inherit', {});
  }

  /**
   * Use `own` when it has at least one label, otherwise fall back to the release-wide selector (the seed's
   * `engine.nodeSelector | default global.nodeSelector`).
   */
  public static fallback(own: Readonly<Record<string, string>> | undefined, prop = 'nodeSelector'): NodeSelection {
    return new NodeSelection('fallback', assertLabels(prop, own ?? {}));
  }

  /**
   * Run on every node: no selector at all, never inheriting the release-wide one (nor, by default, the release-wide
   * affinity). For per-node agents (log or metric collectors, node exporters) that must follow every workload wherever
   * it lands. Release-wide tolerations still apply: they only widen where a pod may go.
   */
  public static everywhere(): NodeSelection {
    return new NodeSelection('everywhere', {});
  }

  /**
   * Exactly this selector, ignoring the release-wide one and, by default, the release-wide affinity (dcgm-exporter on
   * `nvidia.com/gpu.present=true`).
   */
  public static exactly(selector: Readonly<Record<string, string>>, prop = 'nodeSelector'): NodeSelection {
    const labels = assertLabels(prop, selector);
    check(Object.keys(labels).length > 0, prop, selector, 'at least one label; use NodeSelection.everywhere() for no selector');
    return new NodeSelection('exactly', labels);
  }

  private constructor(
    /** How this selection relates to the global one. */
    public readonly mode: 'inherit' | 'fallback' | 'everywhere' | 'exactly',
    private readonly own: Record<string, string>,
  ) {}

  /** The selector this workload renders, given the release-wide one. */
  public resolve(global: Readonly<Record<string, string>>): Record<string, string> {
    switch (this.mode) {
      case 'inherit':
        return { ...global };
      case 'fallback':
        return Object.keys(this.own).length > 0 ? { ...this.own } : { ...global };
      case 'everywhere':
        return {};
      case 'exactly':
        return { ...this.own };
    }
  }
}

/** Per-workload placement. */
export interface WorkloadPlacementOptions {
  /**
   * How the workload's nodeSelector relates to the release-wide one.
   * @default NodeSelection.inherit()
   */
  readonly nodeSelection?: NodeSelection;
  /**
   * Tolerations the workload always carries (before the release-wide ones), such as broad tolerations for per-node
   * agents.
   * @default []
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * Whether the release-wide tolerations are added.
   * @default true
   */
  readonly inheritTolerations?: boolean;
  /**
   * Affinity for this workload.
   * @default - the release-wide affinity, if any and `inheritAffinity` allows it
   */
  readonly affinity?: k8s.Affinity;
  /**
   * Whether the release-wide affinity applies when the workload sets none. The release-wide affinity is written for
   * the app's own pool, so a workload that chose its nodes itself (`everywhere()` or `exactly(...)`) does not take it:
   * a required node affinity would otherwise pin a per-node agent to that pool, the same failure as an inherited
   * selector.
   * @default - false for NodeSelection.everywhere() and NodeSelection.exactly(...), true otherwise
   */
  readonly inheritAffinity?: boolean;
}

/** Placement fields ready for a pod spec. */
export interface ResolvedPlacement {
  /** The nodeSelector to render (possibly empty). */
  readonly nodeSelector: Record<string, string>;
  /**
   * Tolerations, the workload's own first, deduplicated.
   * @default - none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Affinity.
   * @default - none
   */
  readonly affinity?: k8s.Affinity;
}

/**
 * Throws unless the toleration is one Kubernetes accepts.
 * @internal
 */
export function assertToleration(prop: string, t: Toleration): k8s.Toleration {
  const op = t.operator ?? 'Equal';
  check(op === 'Equal' || op === 'Exists', propPath(prop, 'operator'), t.operator, 'Equal or Exists');
  if (op === 'Exists') {
    check(t.value === undefined || t.value === '', propPath(prop, 'value'), t.value, 'no value when operator is Exists');
  } else {
    check(!!t.key, propPath(prop, 'key'), t.key, 'a taint key (an empty key is only allowed with operator Exists)');
  }
  if (t.key) assertLabelKey(propPath(prop, 'key'), t.key);
  if (t.effect !== undefined) {
    check(['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect), propPath(prop, 'effect'), t.effect, 'NoSchedule, PreferNoSchedule or NoExecute');
  }
  if (t.tolerationSeconds !== undefined) {
    check(t.effect === 'NoExecute', propPath(prop, 'tolerationSeconds'), t.tolerationSeconds, 'only with effect NoExecute');
    assertInt(propPath(prop, 'tolerationSeconds'), t.tolerationSeconds, { min: 0, max: Number.MAX_SAFE_INTEGER }, 'a whole number of seconds >= 0');
  }
  const out: k8s.Toleration = {
    key: t.key,
    operator: t.operator,
    value: t.value,
    effect: t.effect,
    tolerationSeconds: t.tolerationSeconds,
  };
  return out;
}

/**
 * A workload's placement options over its construct's defaults: each option the user set wins, the rest keep the
 * construct's default (a per-node agent's `everywhere()` and broad tolerations survive a user's affinity).
 */
export function placementWithDefaults(defaults: WorkloadPlacementOptions, own: WorkloadPlacementOptions | undefined): WorkloadPlacementOptions {
  const set = Object.fromEntries(Object.entries(own ?? {}).filter(([, v]) => v !== undefined));
  return { ...defaults, ...set };
}

/**
 * Throws unless a per-node agent's selection never inherits the release-wide selector (a split-pool cluster pins the
 * app's pool there, and the agent must follow the workloads wherever they land).
 * @internal
 */
export function assertOwnNodeSelection(prop: string, selection: NodeSelection | undefined, allowed: readonly NodeSelection['mode'][]): void {
  if (selection === undefined) return;
  check(selection instanceof NodeSelection, prop, selection, 'a NodeSelection');
  check(allowed.includes(selection.mode), prop, selection.mode, allowed.map((m) => `NodeSelection.${m}(...)`).join(' or '),
    'a per-node agent never follows the release-wide selector: on split pools it would miss the nodes the app runs on');
}

const GLOBALS = new WeakMap<IConstruct, Placement>();

/** Release-wide placement, looked up from any construct below the scope it was configured on. */
export class Placement {
  /** Sets the release-wide placement for `scope` and everything below it. */
  public static configure(scope: IConstruct, props: GlobalPlacementProps): Placement {
    const p = new Placement(props);
    GLOBALS.set(scope, p);
    return p;
  }

  /** The nearest placement configured at or above `scope` (an empty one when none is). */
  public static of(scope: IConstruct): Placement {
    const scopes = scope.node.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const p = GLOBALS.get(scopes[i]);
      if (p) return p;
    }
    return new Placement({});
  }

  /** The release-wide nodeSelector. */
  public readonly nodeSelector: Record<string, string>;
  /** The release-wide tolerations. */
  public readonly tolerations: k8s.Toleration[];
  /** The release-wide affinity, when set. */
  public readonly affinity?: k8s.Affinity;

  constructor(props: GlobalPlacementProps) {
    this.nodeSelector = assertLabels('placement.nodeSelector', props.nodeSelector ?? {});
    this.tolerations = (props.tolerations ?? []).map((t, i) => assertToleration(`placement.tolerations[${i}]`, t));
    this.affinity = props.affinity;
  }

  /** Resolves one workload's placement against this release-wide placement. */
  public forWorkload(options: WorkloadPlacementOptions = {}, prop = 'placement'): ResolvedPlacement {
    const own = (options.tolerations ?? []).map((t, i) => assertToleration(`${prop}.tolerations[${i}]`, t));
    const all = options.inheritTolerations === false ? own : [...own, ...this.tolerations];
    const seen = new Set<string>();
    const tolerations = all.filter((t) => {
      const key = stableStringify(t);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const selection = options.nodeSelection ?? NodeSelection.inherit();
    const inheritAffinity = options.inheritAffinity ?? (selection.mode === 'inherit' || selection.mode === 'fallback');
    return {
      nodeSelector: selection.resolve(this.nodeSelector),
      tolerations: tolerations.length ? tolerations : undefined,
      affinity: options.affinity ?? (inheritAffinity ? this.affinity : undefined),
    };
  }
}

/** Node requirements a workload option adds on top of the resolved placement (a GPU's node label and taint). */
export interface PlacementRequirements {
  /**
   * Node labels the pods need. Merged into the nodeSelector; a key the placement already sets to another value is an
   * error, never silently replaced.
   * @default {}
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Tolerations the pods need, added after the placement's own (each distinct toleration once).
   * @default []
   */
  readonly tolerations?: readonly Toleration[];
}

/**
 * Merges requirements (a GPU's node label and taint toleration) into a resolved placement: one nodeSelector holding
 * the release's or workload's labels and the required ones, one toleration list without duplicates. The user's labels
 * are never dropped: a key both sides set to different values fails, naming the two values, because no node could
 * satisfy both.
 * @param source what adds the requirements, for messages (`the gpu option`)
 * @param prop the prop path of the placement, for messages (`placement`)
 */
export function addPlacementRequirements(placement: ResolvedPlacement, requirements: PlacementRequirements, source: string, prop = 'placement'): ResolvedPlacement {
  const required = assertLabels(`${source}.nodeSelector`, requirements.nodeSelector ?? {});
  const nodeSelector = { ...placement.nodeSelector };
  for (const [key, value] of Object.entries(required)) {
    const mine = nodeSelector[key];
    check(
      mine === undefined || mine === value,
      propPath(prop, 'nodeSelector', key),
      mine,
      `${JSON.stringify(value)} or no value for ${key}`,
      `${source} needs ${key}=${value} on the node, and no node can carry both values`,
    );
    nodeSelector[key] = value;
  }
  const extra = (requirements.tolerations ?? []).map((t, i) => assertToleration(`${source}.tolerations[${i}]`, t));
  const seen = new Set<string>();
  const tolerations = [...(placement.tolerations ?? []), ...extra].filter((t) => {
    const key = stableStringify(t);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { nodeSelector, tolerations: tolerations.length ? tolerations : undefined, affinity: placement.affinity };
}
