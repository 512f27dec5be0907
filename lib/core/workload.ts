import { Chart } from 'cdk8s';
import { INetworkPolicyPeer, IPodSelector, LabelSelector, NetworkPolicyPeerConfig, PodSelectorConfig } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { ConfigError } from './errors';

/**
 * A construct that runs pods: the handle other constructs (and a cdk8s user's own cdk8s-plus objects) use to select
 * them. It is a cdk8s-plus `IPodSelector` and `INetworkPolicyPeer`, so `new kplus.Service(chart, 'S', { selector:
 * stack.nexus })` routes to our pods and `new kplus.NetworkPolicy(chart, 'P', { selector: stack.nexus })` applies to
 * them. The wiring graph records connections from and to workloads through this handle.
 */
export interface IWorkload extends IPodSelector, INetworkPolicyPeer {
  /**
   * The labels selecting the workload's pods: name, instance and (when set) component, never anything that changes
   * on upgrade. The same labels the workload's own `spec.selector.matchLabels` and its Services use.
   */
  readonly selector: Readonly<Record<string, string>>;
}

/**
 * The namespace a construct renders into: its chart's, or (for a chart without one nested in a Release) the nearest
 * enclosing chart's, where the release applies its objects; a clear error when no chart above it has one.
 * @internal
 */
export function namespaceOf(scope: IConstruct, what = 'the construct'): string {
  const ns = [...scope.node.scopes].reverse().map((s) => (Chart.isChart(s) ? s.namespace : undefined)).find((n) => n);
  if (!ns) {
    throw new ConfigError(
      'namespace',
      ns,
      'a namespace on the enclosing chart (a Release always has one)',
      `${what} at ${scope.node.path} is in a chart without a namespace, so its pods and Services cannot be addressed`,
    );
  }
  return ns;
}

/**
 * The cdk8s-plus pod selector config for `selector` in `namespace` (the shape cdk8s-plus' own workloads return).
 * @internal
 */
export function podSelectorConfig(namespace: string, selector: Readonly<Record<string, string>>): PodSelectorConfig {
  return { labelSelector: LabelSelector.of({ labels: { ...selector } }), namespaces: { names: [namespace] } };
}

/**
 * Base of every construct that renders one workload (Deployment, StatefulSet or DaemonSet): it implements the
 * cdk8s-plus selector interfaces from `selector`, which the subclass sets in its constructor before anything reads it.
 */
export abstract class WorkloadConstruct extends Construct implements IWorkload {
  /** Labels selecting the workload's pods (stable across upgrades). */
  public abstract readonly selector: Readonly<Record<string, string>>;

  /** The namespace the pods run in. */
  public get podNamespace(): string {
    return namespaceOf(this, 'the workload');
  }

  /** @see IPodSelector.toPodSelectorConfig() */
  public toPodSelectorConfig(): PodSelectorConfig {
    return podSelectorConfig(this.podNamespace, this.selector);
  }

  /** @see INetworkPolicyPeer.toNetworkPolicyPeerConfig() */
  public toNetworkPolicyPeerConfig(): NetworkPolicyPeerConfig {
    return { podSelector: this.toPodSelectorConfig() };
  }

  /** @see INetworkPolicyPeer.toPodSelector() */
  public toPodSelector(): IPodSelector {
    return this;
  }
}
