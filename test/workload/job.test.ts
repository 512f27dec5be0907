import { Duration } from 'cdk8s';
import { EnvSource } from '../../lib/core';
import { checkUpgrade, formatUpgradeReport, KubeObject } from '../../lib/verify';
import { ConcurrencyPolicy, CronJob, CronSchedule, Job, JobIndex, JobRestartPolicy, PodVolume } from '../../lib/workload';
import { envOf, newRelease, Template } from '../support';
import { BATCH_CONTAINER } from './fixtures';

function renderJob(props: Partial<ConstructorParameters<typeof Job>[2]> = {}): Template {
  const r = newRelease();
  new Job(r, 'J', { name: 'sweep', container: BATCH_CONTAINER, ...props });
  return Template.verified(r);
}

/** An init container that fetches the pod's shard by its completion index. */
const FETCH_SHARD = { name: 'fetch-shard', image: 'busybox:1.36.1', command: ['sh', '-c', 'wget -O /work/shard "http://data/shard-$SHARD"'], env: { SHARD: JobIndex.env() } };

describe('Job', () => {
  test('defaults: restartPolicy Never, Kubernetes defaults for the rest, named <name>-<hash>', () => {
    const t = renderJob();
    const job = t.find('Job');
    expect(job.metadata.name).toMatch(/^sweep-[0-9a-z]{8}$/);
    expect(job.spec).toEqual({ template: expect.anything() });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(t.objects).toMatchSnapshot();
  });

  test('custom: backoff, ttl, deadline, parallelism, completions, OnFailure', () => {
    const t = renderJob({
      backoffLimit: 2,
      ttlAfterFinished: Duration.hours(48),
      activeDeadline: Duration.hours(6),
      parallelism: 10,
      completions: 100,
      restartPolicy: JobRestartPolicy.ON_FAILURE,
    });
    expect(t.find('Job').spec).toMatchObject({ backoffLimit: 2, ttlSecondsAfterFinished: 172800, activeDeadlineSeconds: 21600, parallelism: 10, completions: 100 });
    expect(t.find('Job').spec.completionMode).toBeUndefined();
    expect(t.podSpec('Job').restartPolicy).toBe('OnFailure');
    expect(t.rendered.notes.join('\n')).toMatch(/is deleted 172800s after it finishes.*creates the Job again and runs it again/);
  });

  test('reading the completion index makes the Job Indexed, and each pod reads its own index from the annotation', () => {
    const t = renderJob({ container: { ...BATCH_CONTAINER, env: { JOB_COMPLETION_INDEX: JobIndex.env() } }, parallelism: 10, completions: 100 });
    expect(t.find('Job').spec.completionMode).toBe('Indexed');
    expect(envOf(t.container('Job', undefined, 'sweep')).JOB_COMPLETION_INDEX).toEqual({ fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } });
  });

  test('an init container that reads the completion index makes the Job Indexed too (it fetches its shard before the main container runs)', () => {
    const job = renderJob({ initContainers: [FETCH_SHARD], completions: 4 }).find('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(envOf(job.spec.template.spec.initContainers[0]).SHARD.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
  });

  test('an Indexed Job or CronJob notes the Kubernetes version it needs; a plain Job notes nothing about it', () => {
    const notes = (build: (r: ReturnType<typeof newRelease>) => void) => {
      const r = newRelease();
      build(r);
      return Template.verified(r).rendered.notes.join('\n');
    };
    const indexed = notes((r) => new Job(r, 'J', { name: 'sweep', container: { ...BATCH_CONTAINER, env: { I: JobIndex.env() } }, completions: 8 }));
    expect(indexed).toMatch(/^Job sweep-[0-9a-z]{8} runs with completionMode Indexed \(Kubernetes 1\.24 or later; beta and on by default from 1\.22\): each pod runs one index from 0 to 7/);
    const cron = notes((r) => new CronJob(r, 'C', { name: 'nightly', schedule: CronSchedule.expression('@daily'), container: BATCH_CONTAINER, indexed: true, completions: 3 }));
    expect(cron).toMatch(/^CronJob nightly creates its Jobs with completionMode Indexed .*from 0 to 2/);
    expect(notes((r) => new Job(r, 'J', { name: 'once', container: BATCH_CONTAINER }))).not.toMatch(/Indexed/);
  });

  test('an Indexed Job without an index reader is allowed when asked for', () => {
    expect(renderJob({ indexed: true, completions: 3 }).find('Job').spec.completionMode).toBe('Indexed');
  });

  test('changing the image names a new Job; changing what may change in place keeps the name, and the upgrade checker agrees', () => {
    const base = renderJob({ backoffLimit: 2 });
    const image = renderJob({ backoffLimit: 2, container: { ...BATCH_CONTAINER, image: 'busybox:1.37.0' } });
    const inPlace = renderJob({ backoffLimit: 4, ttlAfterFinished: Duration.hours(1), parallelism: 1 });
    const name = (t: Template) => t.find('Job').metadata.name;
    expect(name(image)).not.toBe(name(base));
    expect(name(inPlace)).toBe(name(base));
    for (const next of [image, inPlace]) {
      const report = checkUpgrade(base.objects as KubeObject[], next.objects as KubeObject[]);
      if (!report.ok) throw new Error(formatUpgradeReport(report));
    }
  });

  test('without the hash, the same change would be an update the API server rejects (what the name protects from)', () => {
    const base = renderJob();
    const image = renderJob({ container: { ...BATCH_CONTAINER, image: 'busybox:1.37.0' } });
    const renamed = image.objects.map((o) => (o.kind === 'Job' ? { ...o, metadata: { ...o.metadata, name: base.find('Job').metadata.name } } : o));
    const report = checkUpgrade(base.objects as KubeObject[], renamed as KubeObject[]);
    expect(report.breaking.map((v) => v.rule)).toEqual(['upgrade-job-template']);
  });

  test('a long name keeps its hash suffix and fits 63 characters', () => {
    const t = renderJob({ name: 'x'.repeat(54) });
    expect(t.find('Job').metadata.name).toMatch(/^x{54}-[0-9a-z]{8}$/);
  });

  describe('fails when', () => {
    test('the container reads the completion index of a Job that is not Indexed', () => {
      expect(() => renderJob({ container: { ...BATCH_CONTAINER, env: { TASK: JobIndex.env() } }, indexed: false, completions: 10 })).toThrow(
        /'indexed' is false, but the container reads its completion index \(JobIndex.env\(\)\), which only an Indexed Job sets: it would read an empty string; allowed: true or unset/,
      );
    });

    test('JOB_COMPLETION_INDEX is set to anything but JobIndex.env() (the controller would leave it, and every pod read the same value)', () => {
      const fixed = () => renderJob({ container: { ...BATCH_CONTAINER, env: { JOB_COMPLETION_INDEX: '3' } }, indexed: true, completions: 10 });
      expect(fixed).toThrow(/^Job "r\/J": 'container.env.JOB_COMPLETION_INDEX' is "3", but every pod would read the same value: .*allowed: JobIndex.env\(\) \(the Job is then Indexed\)$/);
      const otherField = () => renderJob({ container: { ...BATCH_CONTAINER, env: { JOB_COMPLETION_INDEX: EnvSource.field('metadata.name') } } });
      expect(otherField).toThrow(/'container.env.JOB_COMPLETION_INDEX' is \{"fieldRef":\{"fieldPath":"metadata.name"\}\}/);
    });

    test('an init container reads the completion index of a Job that is not Indexed, or sets JOB_COMPLETION_INDEX itself', () => {
      expect(() => renderJob({ initContainers: [FETCH_SHARD], completions: 4, indexed: false })).toThrow(
        /^Job "r\/J": 'indexed' is false, but init container fetch-shard reads its completion index \(JobIndex.env\(\)\), which only an Indexed Job sets: it would read an empty string; allowed: true or unset$/,
      );
      const fixed = () => renderJob({ initContainers: [{ ...FETCH_SHARD, env: { JOB_COMPLETION_INDEX: '1' } }], completions: 4, indexed: true });
      expect(fixed).toThrow(/^Job "r\/J": 'initContainers\[0\].env.JOB_COMPLETION_INDEX' is "1", but every pod would read the same value: .*allowed: JobIndex.env\(\) \(the Job is then Indexed\)$/);
    });

    test('an Indexed Job has no completions', () => {
      expect(() => renderJob({ container: { ...BATCH_CONTAINER, env: { I: JobIndex.env() } } })).toThrow(/'completions' is undefined; allowed: the number of indexes \(an Indexed Job needs completions\)/);
    });

    test('parallelism exceeds completions, or a count is not a whole number', () => {
      expect(() => renderJob({ parallelism: 20, completions: 10 })).toThrow(/'parallelism' is 20, but pods beyond the completions never start; allowed: at most completions \(10\)/);
      expect(() => renderJob({ backoffLimit: -1 })).toThrow(/'backoffLimit' is -1, but it is below 0; allowed: a whole number >= 0/);
      expect(() => renderJob({ ttlAfterFinished: Duration.millis(1500) })).toThrow(/'ttlAfterFinished' is "1.5s"/);
      expect(() => renderJob({ completions: 1e21 })).toThrow(/'completions' is 1e\+21, but it would be written in exponent form/);
    });

    test('the restart policy is not a Job policy (the error names the Job the user created)', () => {
      expect(() => renderJob({ restartPolicy: 'Always' as never })).toThrow(/^Job "r\/J": 'restartPolicy' is "Always"; allowed: JobRestartPolicy.NEVER or JobRestartPolicy.ON_FAILURE/);
      expect(() => renderJob({ parallelism: 0 })).toThrow(/^Job "r\/J": 'parallelism' is 0/);
    });

    test('the name leaves no room for the hash suffix', () => {
      expect(() => renderJob({ name: 'x'.repeat(55) })).toThrow(/'name' is "x{55}", but it is 55 characters long; allowed: .*at most 54 characters/);
    });
  });
});

describe('CronJob', () => {
  function renderCron(props: Partial<ConstructorParameters<typeof CronJob>[2]> = {}): Template {
    const r = newRelease();
    new CronJob(r, 'C', { name: 'nightly', schedule: CronSchedule.expression('0 2 * * *'), container: BATCH_CONTAINER, ...props });
    return Template.verified(r);
  }

  test('defaults: Forbid, 3 successful and 1 failed Jobs kept, a stable name', () => {
    const t = renderCron();
    const c = t.find('CronJob', 'nightly');
    expect(c.spec).toMatchObject({ schedule: '0 2 * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(c.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
    expect(t.objects).toMatchSnapshot();
  });

  test('custom: history, starting deadline, time zone, suspend, Indexed runs', () => {
    const t = renderCron({
      successfulJobsHistoryLimit: 5,
      failedJobsHistoryLimit: 2,
      startingDeadline: Duration.minutes(5),
      timeZone: 'Europe/Berlin',
      suspend: true,
      concurrencyPolicy: ConcurrencyPolicy.REPLACE,
      completions: 4,
      container: { ...BATCH_CONTAINER, env: { SHARD: JobIndex.env(), TOKEN: EnvSource.secret('tok', 'token') } },
    });
    const c = t.find('CronJob', 'nightly');
    expect(c.spec).toMatchObject({ successfulJobsHistoryLimit: 5, failedJobsHistoryLimit: 2, startingDeadlineSeconds: 300, timeZone: 'Europe/Berlin', suspend: true, concurrencyPolicy: 'Replace' });
    expect(c.spec.jobTemplate.spec.completionMode).toBe('Indexed');
    expect(c.metadata.annotations).toEqual({ 'refs.ops-kit.io/external': 'Secret/tok' });
  });

  test('changing the image keeps the CronJob (its job template may change in place)', () => {
    const a = renderCron();
    const b = renderCron({ container: { ...BATCH_CONTAINER, image: 'busybox:1.37.0' } });
    expect(b.find('CronJob', 'nightly')).toBeDefined();
    expect(checkUpgrade(a.objects as KubeObject[], b.objects as KubeObject[]).ok).toBe(true);
  });

  describe('fails when', () => {
    test('the starting deadline is below the controller period, or the time zone or history is malformed', () => {
      expect(() => renderCron({ startingDeadline: Duration.seconds(5) })).toThrow(/'startingDeadline' is "5s"; allowed: a whole number of seconds >= 10/);
      expect(() => renderCron({ timeZone: 'CET+1 ' })).toThrow(/'timeZone' is "CET\+1 "/);
      expect(() => renderCron({ successfulJobsHistoryLimit: -1 })).toThrow(/'successfulJobsHistoryLimit' is -1/);
      expect(() => renderCron({ concurrencyPolicy: 'Skip' as never })).toThrow(/^CronJob "r\/C": 'concurrencyPolicy' is "Skip"; allowed: ConcurrencyPolicy.ALLOW, FORBID or REPLACE/);
      expect(() => renderCron({ restartPolicy: 'Always' as never })).toThrow(/^CronJob "r\/C": 'restartPolicy' is "Always"/);
    });

    test('the name leaves no room for the suffix the controller appends to its Jobs', () => {
      expect(() => renderCron({ name: 'n'.repeat(53) })).toThrow(/at most 52 characters/);
    });

    test('the schedule is not a CronSchedule (the error names the CronJob the user created)', () => {
      expect(() => renderCron({ schedule: '0 2 * * *' as never })).toThrow(/^CronJob "r\/C": 'schedule' is "0 2 \* \* \*"; allowed: CronSchedule.expression\('0 2 \* \* \*'\)/);
    });
  });

  test('a files volume rolls into the job template checksum', () => {
    const a = renderCron({ container: { ...BATCH_CONTAINER, mounts: [{ volume: PodVolume.files('config', { 'p.json': '{}' }), path: '/config' }] } });
    const b = renderCron({ container: { ...BATCH_CONTAINER, mounts: [{ volume: PodVolume.files('config', { 'p.json': '{"a":1}' }), path: '/config' }] } });
    const sum = (t: Template) => t.find('CronJob').spec.jobTemplate.spec.template.metadata.annotations['checksum/config'];
    expect(sum(a)).not.toBe(sum(b));
  });
});

describe('CronSchedule', () => {
  test.each([
    ['0 2 * * *'], ['*/15 * * * *'], ['0 9-17/2 * * MON-FRI'], ['0 0 1,15 * *'], ['30 4 * JAN,jul sun'], ['5/10 * * * *'], ['0 0 29 2 *'], ['0 0 31 1-12 *'],
    ['@daily'], ['@hourly'], ['@weekly'], ['@monthly'], ['@yearly'], ['@annually'], ['@midnight'],
  ])('accepts %s', (expr) => {
    expect(CronSchedule.expression(expr).expressionString).toBe(expr.startsWith('@') ? expr : expr.replace(/\s+/g, ' '));
  });

  test.each([
    ['', 'it is empty'],
    ['0 2 * *', 'it has 4 field\\(s\\)'],
    ['0 0 2 * * *', 'a seconds field is not supported'],
    ['60 * * * *', 'the minute field has 60, outside 0-59'],
    ['0 24 * * *', 'the hour field has 24'],
    ['0 0 0 * *', 'the day of month field has 0, outside 1-31'],
    ['0 0 * 13 *', 'the month field has 13'],
    ['0 0 * * 7', 'the day of week field has 7, outside 0-6'],
    ['0 0 L * *', 'Kubernetes\' cron has no L, W, # or \\?'],
    ['0 0 * * MON#2', 'MON#2'],
    ['0 17-9 * * *', 'runs backwards'],
    ['*/0 * * * *', 'step "0"'],
    ['0 0 30 2 *', 'never fires'],
    ['@reboot', '@reboot is not a macro'],
    ['TZ=UTC 0 2 * * *', 'set the timeZone prop instead'],
    ['0,,5 * * * *', 'empty list item'],
  ])('fails when the schedule is %j', (expr, why) => {
    expect(() => CronSchedule.expression(expr)).toThrow(new RegExp(`'schedule' is ${JSON.stringify(expr).replace(/[*+?^${}()|[\]\\]/g, '\\$&')}.*${why}.*allowed: five fields`));
  });
});
