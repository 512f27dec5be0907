import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/**
 * What a DaemonSet is rendered from once its pod spec is built.
 * @internal
 */
export interface DaemonSetParts {
  /** Object name. */
  readonly name: string;
  /** Labels of the DaemonSet and of its pod template. */
  readonly labels: Readonly<Record<string, string>>;
  /** The selector labels (a subset of `labels`). */
  readonly selector: Readonly<Record<string, string>>;
  /**
   * Workload-metadata annotations (policy exceptions, external references).
   * @default - none
   */
  readonly annotations?: Record<string, string>;
  /** The pod template's annotations (its config checksum). */
  readonly podAnnotations: Record<string, string>;
  /** The built pod spec. */
  readonly spec: k8s.PodSpec;
}

/**
 * A DaemonSet (construct id `Resource`): one pod per node, replaced one node at a time (`maxUnavailable: 1`; a node
 * holds one pod of it, so a surge is impossible).
 * @internal
 */
export function renderDaemonSet(scope: Construct, parts: DaemonSetParts): k8s.KubeDaemonSet {
  return new k8s.KubeDaemonSet(scope, 'Resource', {
    metadata: { name: parts.name, labels: { ...parts.labels }, annotations: parts.annotations },
    spec: {
      selector: { matchLabels: { ...parts.selector } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      template: { metadata: { labels: { ...parts.labels }, annotations: parts.podAnnotations }, spec: parts.spec },
    },
  });
}
