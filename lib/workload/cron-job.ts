import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { check, inConstruct } from '../core/errors';
import { assertInt, assertWholeSeconds } from '../core/validate';
import { Concurrency, WorkloadBlock } from './block';
import { CronSchedule } from './cron';
import { jobConcurrency, jobRestartPolicy, JobRunOptions, noteIndexed, renderJobSpec } from './job';
import { Release } from '../release/release';
import { renderPodTemplate } from '../core/pod-template';
import { WorkloadPodProps } from './pod';

/** What the CronJob controller does when a run is due while the previous one still runs. */
export enum ConcurrencyPolicy {
  /** Start the new run beside the old one. */
  ALLOW = 'Allow',
  /** Skip the new run. */
  FORBID = 'Forbid',
  /** Stop the old run and start the new one. */
  REPLACE = 'Replace',
}

/** Props of a `CronJob`. */
export interface CronJobProps extends WorkloadPodProps, JobRunOptions {
  /** When it runs (`CronSchedule.expression('0 2 * * *')`). */
  readonly schedule: CronSchedule;
  /**
   * IANA time zone of the schedule (`Europe/Berlin`).
   * @default - the kube-controller-manager's time zone
   */
  readonly timeZone?: string;
  /**
   * What happens when a run is due while the previous one still runs.
   * @default ConcurrencyPolicy.FORBID
   */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /**
   * Finished successful Jobs kept.
   * @default 3
   */
  readonly successfulJobsHistoryLimit?: number;
  /**
   * Finished failed Jobs kept.
   * @default 1
   */
  readonly failedJobsHistoryLimit?: number;
  /**
   * A run that could not start within this long after its time (controller down, Forbid skipping) is counted as
   * missed instead of started late.
   * @default - no deadline
   */
  readonly startingDeadline?: Duration;
  /**
   * Stop scheduling new runs (running ones continue).
   * @default false
   */
  readonly suspend?: boolean;
}

/** The longest CronJob name: the controller appends `-<11 characters>` to name its Jobs, which must fit 63. */
const MAX_CRONJOB_NAME = 52;
const TIME_ZONE = /^(UTC|[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){1,2})$/;

/**
 * A scheduled run-to-completion workload: one Kubernetes CronJob. Its job template may change in place (the next
 * run uses it), so the CronJob keeps its name.
 */
export class CronJob extends WorkloadBlock {
  /** The CronJob (id `Resource`). */
  public readonly cronJob: k8s.KubeCronJob;
  /** The validated schedule. */
  public readonly schedule: CronSchedule;

  constructor(scope: Construct, id: string, props: CronJobProps) {
    super(scope, id, props, 'CronJob', MAX_CRONJOB_NAME, () => ({ restartPolicy: jobRestartPolicy(props), claimTemplatesHint: 'a shared volume (claims per pod exist only on StatefulSets)' }));
    const { policy, startingDeadlineSeconds } = inConstruct(this, () => checkSchedule(props));
    this.schedule = props.schedule;
    this.checkSharedClaims(concurrency(props, policy));
    this.rendered = renderPodTemplate(this, this.pod.options);
    const template = this.rendered.template;
    const spec = inConstruct(this, () => renderJobSpec(template, props));
    this.noteGpu(props.gpu, this.name);
    noteIndexed(this, `CronJob ${this.name} creates its Jobs with`, spec);
    if (props.timeZone !== undefined) Release.of(this).addNote(`CronJob ${this.name} runs on ${this.schedule.expressionString} in ${props.timeZone} (spec.timeZone: Kubernetes 1.27 or later; earlier clusters reject the field).`);
    this.cronJob = new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name: this.name, labels: { ...this.labels }, annotations: this.rendered.workloadAnnotations },
      spec: {
        schedule: this.schedule.expressionString,
        timeZone: props.timeZone,
        concurrencyPolicy: policy,
        successfulJobsHistoryLimit: props.successfulJobsHistoryLimit ?? 3,
        failedJobsHistoryLimit: props.failedJobsHistoryLimit ?? 1,
        startingDeadlineSeconds,
        suspend: props.suspend ? true : undefined,
        jobTemplate: { metadata: { labels: { ...this.labels } }, spec },
      },
    });
  }
}

/** The schedule settings, validated. */
function checkSchedule(props: CronJobProps): { policy: ConcurrencyPolicy; startingDeadlineSeconds?: number } {
  check(props.schedule instanceof CronSchedule, 'schedule', props.schedule, "CronSchedule.expression('0 2 * * *')");
  const policy = props.concurrencyPolicy ?? ConcurrencyPolicy.FORBID;
  check(Object.values(ConcurrencyPolicy).includes(policy), 'concurrencyPolicy', policy, 'ConcurrencyPolicy.ALLOW, FORBID or REPLACE');
  if (props.timeZone !== undefined) check(TIME_ZONE.test(props.timeZone), 'timeZone', props.timeZone, 'an IANA time zone name such as Europe/Berlin or UTC');
  for (const [k, v] of [['successfulJobsHistoryLimit', props.successfulJobsHistoryLimit], ['failedJobsHistoryLimit', props.failedJobsHistoryLimit]] as const) {
    if (v !== undefined) assertInt(k, v, { min: 0 });
  }
  // Below 10s the controller (which checks every 10s) may never start a run.
  const startingDeadlineSeconds = props.startingDeadline !== undefined ? assertWholeSeconds('startingDeadline', props.startingDeadline, { min: 10 }) : undefined;
  return { policy, startingDeadlineSeconds };
}

function concurrency(props: CronJobProps, policy: ConcurrencyPolicy): Concurrency {
  const job = jobConcurrency(props, 'each run');
  if (job.several) return job;
  if (policy === ConcurrencyPolicy.ALLOW) return { several: true, reason: 'concurrencyPolicy Allow starts a run while the previous one may still run' };
  return { several: false, reason: '' };
}
