import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvSource } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { assertInt, assertWholeSeconds } from '../core/validate';
import { shortHash, stableStringify } from '../core/hash';
import { deriveName, MAX_DNS_LABEL, NAME_HASH_LENGTH } from '../core/names';
import { Release } from '../release/release';
import { Concurrency, WorkloadBlock } from './block';
import { renderPodTemplate } from '../core/pod-template';
import { WorkloadPodProps } from './pod';

/** The pod annotation (and label) where the Job controller puts an Indexed Job pod's completion index. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The variable an Indexed Job's controller sets to the pod's completion index, unless the container sets it. */
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
const INDEX_FIELD = `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']`;

/**
 * The completion index of an Indexed Job's pod. Reading it makes the Job Indexed: without `completionMode: Indexed`
 * the annotation does not exist, the variable is empty, and a program that parses it (`int('')`) crashes on every pod.
 */
export class JobIndex {
  /** An env value holding the pod's completion index (`env: { JOB_COMPLETION_INDEX: JobIndex.env() }`). */
  public static env(): EnvSource {
    return EnvSource.field(INDEX_FIELD);
  }

  /** True when the container reads the completion index from the pod's annotations or labels. */
  public static readBy(container: k8s.Container): boolean {
    return (container.env ?? []).some((e) => e.valueFrom?.fieldRef?.fieldPath?.includes(JOB_COMPLETION_INDEX_ANNOTATION) ?? false);
  }

  private constructor() {}
}

/** What a Job's pods do when a container fails. */
export enum JobRestartPolicy {
  /** A failed pod is replaced by a new pod (counts against backoffLimit); its logs stay readable. */
  NEVER = 'Never',
  /** The container restarts in the same pod. */
  ON_FAILURE = 'OnFailure',
}

/** How a Job runs its pods. */
export interface JobRunOptions {
  /**
   * Retries before the Job is marked failed.
   * @default - Kubernetes default (6)
   */
  readonly backoffLimit?: number;
  /**
   * Delete the Job (and its pods) this long after it finishes. With a GitOps tool applying the Job, read the note in
   * the README: the tool sees the deleted Job as missing and recreates it on its next sync.
   * @default - kept until deleted
   */
  readonly ttlAfterFinished?: Duration;
  /**
   * Stop the Job (and fail it) after it has run this long.
   * @default - no deadline
   */
  readonly activeDeadline?: Duration;
  /**
   * Pods that run at once.
   * @default 1
   */
  readonly parallelism?: number;
  /**
   * Successful pods needed (for an Indexed Job, the indexes 0..completions-1).
   * @default - one success (Kubernetes default)
   */
  readonly completions?: number;
  /**
   * Give each pod a completion index (`completionMode: Indexed`).
   * @default - true when the container reads the index (`JobIndex.env()`), false otherwise
   */
  readonly indexed?: boolean;
  /**
   * What happens to a failed container.
   * @default JobRestartPolicy.NEVER
   */
  readonly restartPolicy?: JobRestartPolicy;
}

/** Props of a `Job`. */
export interface JobProps extends WorkloadPodProps, JobRunOptions {}

function seconds(prop: string, d: Duration | undefined, min: number): number | undefined {
  if (d === undefined) return undefined;
  return assertWholeSeconds(prop, d, { min });
}

/**
 * The Job spec of a rendered pod template, with the run options validated (shared by Job and CronJob).
 * @internal
 */
export function renderJobSpec(template: k8s.PodTemplateSpec, o: JobRunOptions & Pick<WorkloadPodProps, 'initContainers'>): k8s.JobSpec {
  const spec = template.spec!;
  // The containers the user wrote (the connections' wait containers never read the index), with their props.
  const written = [
    { container: spec.containers[0], prop: 'container', who: 'the container' },
    ...(o.initContainers ?? []).map((ic, j) => ({ container: spec.initContainers?.find((c) => c.name === ic.name), prop: `initContainers[${j}]`, who: `init container ${ic.name}` })),
  ].filter((w): w is { container: k8s.Container; prop: string; who: string } => w.container !== undefined);
  for (const { container, prop } of written) {
    const own = (container.env ?? []).find((e) => e.name === JOB_COMPLETION_INDEX_ENV);
    if (own && !JobIndex.readBy({ ...container, env: [own] })) {
      throw new ConfigError(`${prop}.env.${JOB_COMPLETION_INDEX_ENV}`, own.value ?? own.valueFrom, 'JobIndex.env() (the Job is then Indexed)',
        `every pod would read the same value: an Indexed Job sets ${JOB_COMPLETION_INDEX_ENV} only when the container does not, so this one hides each pod's own index`);
    }
  }
  const reader = written.find((w) => JobIndex.readBy(w.container));
  const indexed = o.indexed ?? reader !== undefined;
  if (reader && !indexed) {
    throw new ConfigError('indexed', false, 'true or unset', `${reader.who} reads its completion index (JobIndex.env()), which only an Indexed Job sets: it would read an empty string`);
  }
  for (const [k, v] of [['backoffLimit', o.backoffLimit], ['parallelism', o.parallelism], ['completions', o.completions]] as const) {
    if (v !== undefined) assertInt(k, v, { min: k === 'backoffLimit' ? 0 : 1 });
  }
  if (indexed) check(o.completions !== undefined, 'completions', o.completions, 'the number of indexes (an Indexed Job needs completions)');
  if (o.parallelism !== undefined && o.completions !== undefined) {
    check(o.parallelism <= o.completions, 'parallelism', o.parallelism, `at most completions (${o.completions})`, 'pods beyond the completions never start');
  }
  return {
    backoffLimit: o.backoffLimit,
    ttlSecondsAfterFinished: seconds('ttlAfterFinished', o.ttlAfterFinished, 0),
    activeDeadlineSeconds: seconds('activeDeadline', o.activeDeadline, 1),
    parallelism: o.parallelism,
    completions: o.completions,
    completionMode: indexed ? 'Indexed' : undefined,
    template,
  };
}

/**
 * Adds the release note of an Indexed Job: the Kubernetes version it needs and where each pod finds its index.
 * @internal
 */
export function noteIndexed(scope: Construct, what: string, spec: k8s.JobSpec): void {
  if (spec.completionMode !== 'Indexed') return;
  Release.of(scope).addNote(
    `${what} completionMode Indexed (Kubernetes 1.24 or later; beta and on by default from 1.22): each pod runs one index from 0 to ${spec.completions! - 1} ` +
      `and finds it in its ${JOB_COMPLETION_INDEX_ANNOTATION} annotation and in the variable ${JOB_COMPLETION_INDEX_ENV}. On Kubernetes 1.21 the feature is alpha and off by default: ` +
      'the Job would not be Indexed, and every pod would read an empty index.',
  );
}

/**
 * How many of a Job's pods can run at once, for the storage rule.
 * @internal
 */
export function jobConcurrency(o: JobRunOptions, what = 'the Job'): Concurrency {
  const p = o.parallelism ?? 1;
  return p > 1 ? { several: true, reason: `${what} runs ${p} pods in parallel` } : { several: false, reason: '' };
}

/**
 * The pod restart policy of a Job's pods.
 * @internal
 */
export function jobRestartPolicy(o: JobRunOptions): 'Never' | 'OnFailure' {
  const r = o.restartPolicy ?? JobRestartPolicy.NEVER;
  check(Object.values(JobRestartPolicy).includes(r), 'restartPolicy', r, 'JobRestartPolicy.NEVER or JobRestartPolicy.ON_FAILURE');
  return r;
}

/**
 * A run-to-completion workload: one Kubernetes Job. A Job's pod template is immutable, so the Job is named
 * `<name>-<hash>` where the hash covers everything the API server refuses to update (the template, completions and
 * completion mode): changing the image or the command renders a new Job, which a GitOps sync creates (and prunes the
 * old one), instead of an update the API server rejects. Settings that may change in place (backoffLimit,
 * parallelism, ttl, deadline) keep the name.
 */
export class Job extends WorkloadBlock {
  /** The Job (id `Resource`). */
  public readonly job: k8s.KubeJob;
  /** The Job's object name (`<name>-<hash>`). */
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: JobProps) {
    // `-<hash>` is appended to the name; the Job's pods carry it in a label, which must fit 63 characters.
    super(scope, id, props, 'Job', MAX_DNS_LABEL - NAME_HASH_LENGTH - 1, () => ({ restartPolicy: jobRestartPolicy(props), claimTemplatesHint: 'a shared volume (claims per pod exist only on StatefulSets)' }));
    this.checkSharedClaims(jobConcurrency(props));
    this.rendered = renderPodTemplate(this, this.pod.options);
    const template = this.rendered.template;
    const spec = inConstruct(this, () => renderJobSpec(template, props));
    const immutable = { template: spec.template, completions: spec.completions, completionMode: spec.completionMode };
    this.jobName = `${deriveName([this.name], { reserve: NAME_HASH_LENGTH + 1 })}-${shortHash(stableStringify(immutable), NAME_HASH_LENGTH)}`;
    this.job = new k8s.KubeJob(this, 'Resource', {
      metadata: { name: this.jobName, labels: { ...this.labels }, annotations: this.rendered.workloadAnnotations },
      spec,
    });
    this.noteGpu(props.gpu, this.jobName);
    noteIndexed(this, `Job ${this.jobName} runs with`, spec);
    if (props.ttlAfterFinished !== undefined) {
      Release.of(this).addNote(
        `Job ${this.jobName} is deleted ${spec.ttlSecondsAfterFinished}s after it finishes (ttlAfterFinished). A GitOps tool that applies this folder ` +
          'then sees it as missing: Argo CD marks the Application OutOfSync, and its next sync (self-heal, or any new commit) creates the Job again and runs it again. ' +
          'Leave ttlAfterFinished unset for Jobs that must run once per change (the hashed name already replaces the Job when its template changes), or sync this Application manually.',
      );
    }
  }
}
