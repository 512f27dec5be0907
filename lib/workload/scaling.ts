import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { check } from '../core/errors';
import { assertInt, assertReplicas, assertWholeSeconds } from '../core/validate';

function wholeSeconds(prop: string, d: Duration, min: number, max: number): number {
  return assertWholeSeconds(prop, d, { min, max });
}

/** One scaling policy: how much the autoscaler may change the replica count in one period. */
export class ScalingPolicy {
  /** At most `value` percent of the current replicas per `period`. */
  public static percent(value: number, period: Duration): ScalingPolicy {
    assertInt('scalingPolicy.percent', value, { min: 1 });
    return new ScalingPolicy({ type: 'Percent', value, periodSeconds: wholeSeconds('scalingPolicy.period', period, 1, 1800) });
  }

  /** At most `value` pods per `period`. */
  public static pods(value: number, period: Duration): ScalingPolicy {
    assertInt('scalingPolicy.pods', value, { min: 1 });
    return new ScalingPolicy({ type: 'Pods', value, periodSeconds: wholeSeconds('scalingPolicy.period', period, 1, 1800) });
  }

  private constructor(
    /** The rendered policy. */
    public readonly policy: k8s.HpaScalingPolicyV2,
  ) {}
}

/** How fast the autoscaler moves in one direction. */
export interface ScalingRules {
  /**
   * How long the autoscaler looks back before acting (the highest recommendation of the window wins when scaling
   * down, so a brief dip does not drop pods).
   * @default - Kubernetes default (0s up, 300s down)
   */
  readonly stabilizationWindow?: Duration;
  /**
   * Limits per period; with several, `selectPolicy` picks which one applies.
   * @default - Kubernetes default policies
   */
  readonly policies?: readonly ScalingPolicy[];
  /**
   * `Max` applies the policy allowing the biggest change, `Min` the smallest, `Disabled` never scales this way.
   * @default - Kubernetes default (Max)
   */
  readonly selectPolicy?: 'Max' | 'Min' | 'Disabled';
}

/** Options of `Scaling.autoscale()`. */
export interface AutoscaleOptions {
  /** Fewest pods; the PodDisruptionBudget is checked against it. */
  readonly minReplicas: number;
  /** Most pods. */
  readonly maxReplicas: number;
  /**
   * Target average CPU use as a percentage of the containers' CPU request.
   * @default - not a target (at least one of cpu and memory is required)
   */
  readonly cpuUtilization?: number;
  /**
   * Target average memory use as a percentage of the containers' memory request.
   * @default - not a target
   */
  readonly memoryUtilization?: number;
  /**
   * How fast to add pods.
   * @default - Kubernetes default
   */
  readonly scaleUp?: ScalingRules;
  /**
   * How fast to remove pods.
   * @default - Kubernetes default
   */
  readonly scaleDown?: ScalingRules;
}

function rules(prop: string, r: ScalingRules | undefined): k8s.HpaScalingRulesV2 | undefined {
  if (!r) return undefined;
  if (r.selectPolicy !== undefined) check(['Max', 'Min', 'Disabled'].includes(r.selectPolicy), `${prop}.selectPolicy`, r.selectPolicy, 'Max, Min or Disabled');
  const policies = r.policies?.map((p, i) => {
    check(p instanceof ScalingPolicy, `${prop}.policies[${i}]`, p, 'ScalingPolicy.percent(...) or ScalingPolicy.pods(...)');
    return { ...p.policy };
  });
  if (policies) check(policies.length > 0, `${prop}.policies`, policies, 'at least one policy, or leave unset for the Kubernetes default');
  return {
    stabilizationWindowSeconds: r.stabilizationWindow ? wholeSeconds(`${prop}.stabilizationWindow`, r.stabilizationWindow, 0, 3600) : undefined,
    selectPolicy: r.selectPolicy,
    policies,
  };
}

/**
 * The workload's scale target, as the autoscaler names it.
 * @internal
 */
export interface ScaleTarget {
  /** `apps/v1`. */
  readonly apiVersion: string;
  /** The workload's kind. */
  readonly kind: 'Deployment' | 'StatefulSet';
  /** The workload's name. */
  readonly name: string;
}

/**
 * How many pods a long-running workload runs: a fixed count, or an autoscaler (autoscaling/v2, Kubernetes 1.23+) that
 * owns the count. With an autoscaler the workload renders no `replicas`, so a sync never resets what the autoscaler
 * chose.
 */
export class Scaling {
  /** Exactly `replicas` pods. */
  public static fixed(replicas: number): Scaling {
    assertReplicas('scaling.replicas', replicas);
    return new Scaling(replicas, replicas, replicas, undefined);
  }

  /** A HorizontalPodAutoscaler between `minReplicas` and `maxReplicas` on CPU and/or memory utilization. */
  public static autoscale(o: AutoscaleOptions): Scaling {
    assertReplicas('scaling.minReplicas', o.minReplicas, 1);
    assertInt('scaling.maxReplicas', o.maxReplicas, { min: o.minReplicas }, `a whole number >= minReplicas (${o.minReplicas})`);
    check(o.cpuUtilization !== undefined || o.memoryUtilization !== undefined, 'scaling', o, 'at least one of cpuUtilization and memoryUtilization');
    const metrics: k8s.MetricSpecV2[] = [];
    for (const [name, v] of [['cpu', o.cpuUtilization], ['memory', o.memoryUtilization]] as const) {
      if (v === undefined) continue;
      assertInt(`scaling.${name}Utilization`, v, { min: 1, max: 1000 }, 'a whole percentage of the request from 1 to 1000');
      metrics.push({ type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization: v } } });
    }
    const scaleUp = rules('scaling.scaleUp', o.scaleUp);
    const scaleDown = rules('scaling.scaleDown', o.scaleDown);
    const behavior = scaleUp || scaleDown ? { scaleUp, scaleDown } : undefined;
    const spec = { minReplicas: o.minReplicas, maxReplicas: o.maxReplicas, metrics, behavior };
    return new Scaling(undefined, o.minReplicas, o.maxReplicas, spec);
  }

  private constructor(
    /** The count the workload renders (undefined when the autoscaler owns it). */
    public readonly replicas: number | undefined,
    /** Fewest pods that run in steady state. */
    public readonly minPods: number,
    /** Most pods that run in steady state (a rollout may add its surge on top). */
    public readonly maxPods: number,
    private readonly hpa: Omit<k8s.HorizontalPodAutoscalerSpecV2, 'scaleTargetRef'> | undefined,
  ) {}

  /** True when an autoscaler owns the count. */
  public get autoscaled(): boolean {
    return this.hpa !== undefined;
  }

  /** @internal Renders the autoscaler (construct id `id`) for `target`, or nothing for a fixed count. */
  public _render(
    scope: Construct,
    id: string,
    target: ScaleTarget,
    labels: Readonly<Record<string, string>>,
  ): k8s.KubeHorizontalPodAutoscalerV2 | undefined {
    if (!this.hpa) return undefined;
    return new k8s.KubeHorizontalPodAutoscalerV2(scope, id, {
      metadata: { name: target.name, labels: { ...labels } },
      spec: { ...this.hpa, scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name } },
    });
  }
}
