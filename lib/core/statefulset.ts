import { k8s } from 'cdk8s-plus-28';
import { check, inConstruct, propPath } from './errors';
import { assertDnsLabel } from './names';
import { assertReplicas } from './validate';
import { renderPodTemplate, PodTemplateOptions, RenderedPodTemplate } from './pod-template';
import { WorkloadConstruct } from './workload';

/** Everything a StatefulSet is rendered from: its pod template, its governing Service and its claim templates. */
export interface StatefulSetSpec extends PodTemplateOptions {
  /**
   * Replicas; undefined when a HorizontalPodAutoscaler owns the count (a rendered count would fight it on every sync).
   */
  readonly replicas: number | undefined;
  /** The governing headless Service (it gives each pod its stable DNS name). */
  readonly serviceName: string;
  /**
   * Per-pod claims (`<template>-<name>-<ordinal>`), mountable by name.
   * @default - none
   */
  readonly volumeClaimTemplates?: readonly k8s.KubePersistentVolumeClaimProps[];
  /**
   * `Parallel` starts and stops pods together instead of one by one in ordinal order.
   * @default - Kubernetes default (OrderedReady)
   */
  readonly podManagementPolicy?: 'OrderedReady' | 'Parallel';
  /**
   * How pods are replaced on a change.
   * @default - Kubernetes default (RollingUpdate), not rendered
   */
  readonly updateStrategy?: k8s.StatefulSetUpdateStrategy;
}

/** The StatefulSet and what its pod template rendered. */
export interface RenderedStatefulSet extends RenderedPodTemplate {
  /** The StatefulSet (construct id `Resource`). */
  readonly statefulSet: k8s.KubeStatefulSet;
}

/**
 * Renders a workload construct's StatefulSet (id `Resource`): its pod template through `renderPodTemplate`, the
 * selector from the workload, the claim templates mountable by name.
 */
export function renderStatefulSet(workload: WorkloadConstruct, spec: StatefulSetSpec): RenderedStatefulSet {
  return inConstruct(workload, () => renderStatefulSetUnattributed(workload, spec));
}

function renderStatefulSetUnattributed(workload: WorkloadConstruct, spec: StatefulSetSpec): RenderedStatefulSet {
  if (spec.replicas !== undefined) assertReplicas(propPath(spec.prop, 'replicas'), spec.replicas);
  assertDnsLabel(propPath(spec.prop, 'serviceName'), spec.serviceName);
  const names = new Set<string>();
  for (const t of spec.volumeClaimTemplates ?? []) {
    const n = t.metadata?.name ?? '';
    assertDnsLabel(propPath(spec.prop, 'volumeClaimTemplates.name'), n);
    check(!names.has(n), propPath(spec.prop, 'volumeClaimTemplates.name'), n, 'each template name once');
    names.add(n);
  }
  const pod = renderPodTemplate(workload, { ...spec, claimTemplateNames: [...(spec.claimTemplateNames ?? []), ...names] });
  const statefulSet = new k8s.KubeStatefulSet(workload, 'Resource', {
    metadata: { name: spec.name, labels: { ...spec.labels }, annotations: pod.workloadAnnotations },
    spec: {
      replicas: spec.replicas,
      serviceName: spec.serviceName,
      podManagementPolicy: spec.podManagementPolicy,
      updateStrategy: spec.updateStrategy,
      selector: { matchLabels: { ...workload.selector } },
      template: pod.template,
      volumeClaimTemplates: spec.volumeClaimTemplates?.length ? [...spec.volumeClaimTemplates] : undefined,
    },
  });
  return { ...pod, statefulSet };
}
