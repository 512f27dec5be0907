import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { check } from '../core/errors';
import { assertInt } from '../core/validate';
import { Scaling } from './scaling';

/**
 * The workload a budget protects.
 * @internal
 */
export interface BudgetTarget {
  /** The budget's name (the workload's). */
  readonly name: string;
  /** Labels of the budget. */
  readonly labels: Readonly<Record<string, string>>;
  /** The workload's selector. */
  readonly selector: Readonly<Record<string, string>>;
  /** How many pods the workload runs. */
  readonly scaling: Scaling;
}

/**
 * A PodDisruptionBudget: how many pods voluntary disruptions (node drains, cluster upgrades) may take down at once.
 * It is checked against the fewest pods the workload runs (the replica count, or the autoscaler's minReplicas): a
 * budget that can never be met blocks every drain forever.
 */
export class DisruptionBudget {
  /** At most `count` pods down at once (1 keeps drains moving whatever the replica count). */
  public static maxUnavailable(count = 1): DisruptionBudget {
    assertInt('disruptionBudget.maxUnavailable', count, { min: 1 }, 'a whole number >= 1 (0 would block every drain)');
    return new DisruptionBudget('maxUnavailable', count);
  }

  /** At least `count` pods up at all times; must stay below the fewest pods the workload runs. */
  public static minAvailable(count: number): DisruptionBudget {
    assertInt('disruptionBudget.minAvailable', count, { min: 1 });
    return new DisruptionBudget('minAvailable', count);
  }

  private constructor(
    /** Which bound the budget sets. */
    public readonly bound: 'maxUnavailable' | 'minAvailable',
    /** The number of pods. */
    public readonly count: number,
  ) {}

  /** @internal Checks the budget against the workload's scaling and renders it (construct id `id`). */
  public _render(scope: Construct, id: string, o: BudgetTarget): k8s.KubePodDisruptionBudget {
    if (this.bound === 'minAvailable') {
      const min = o.scaling.minPods;
      const source = o.scaling.autoscaled ? `the autoscaler's minReplicas is ${min}` : `the workload runs ${min} replica(s)`;
      check(
        this.count < min,
        'disruptionBudget.minAvailable',
        this.count,
        min > 1 ? `at most ${min - 1}, or DisruptionBudget.maxUnavailable(...)` : 'DisruptionBudget.maxUnavailable(...) (one pod cannot keep one available while it is evicted)',
        `${source}, so no pod could ever be evicted and every node drain would hang`,
      );
    }
    const value = k8s.IntOrString.fromNumber(this.count);
    return new k8s.KubePodDisruptionBudget(scope, id, {
      metadata: { name: o.name, labels: { ...o.labels } },
      spec: {
        selector: { matchLabels: { ...o.selector } },
        maxUnavailable: this.bound === 'maxUnavailable' ? value : undefined,
        minAvailable: this.bound === 'minAvailable' ? value : undefined,
      },
    });
  }
}
