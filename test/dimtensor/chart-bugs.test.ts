// One test per bug of the real dimtensor chart (seed 004), each proving the typed API cannot produce it.
import { App, Size } from 'cdk8s';
import { Gpu, NodeSelection } from '../../lib/core';
import { MlData, MlImageVariant, MlWorkload } from '../../lib/dimtensor';
import { distFiles, renderApp } from '../../lib/release';
import { looksSecret, synthRelease } from '../../lib/verify';
import { AccessMode, CronSchedule, DisruptionBudget, JobIndex, Scaling } from '../../lib/workload';
import { buildDimtensor } from '../../apps/dimtensor';
import { newRelease, Template } from '../support';

const IMAGE = { tag: '4.2.0', variant: MlImageVariant.CPU_FULL };
const release = () => newRelease({ id: 'dimtensor-test', namespace: 'dimtensor' });

describe('dimtensor chart bugs that cannot happen here', () => {
  const releases = (() => {
    const app = new App();
    buildDimtensor(app);
    return renderApp(app);
  })();
  const files = distFiles(releases);
  const byName = (name: string) => new Template(releases.find((r) => r.name === name)!);

  test('training profile: nodeSelector and tolerations render once, and the user nodeSelector survives next to the GPU one', () => {
    const [file, yaml] = [...files.entries()].find(([f]) => f.startsWith('dimtensor-training/job-'))!;
    expect(file).toMatch(/^dimtensor-training\/job-dimtensor-training-[0-9a-z]{8}\.yaml$/);
    expect(yaml.match(/^\s*nodeSelector:/gm)).toHaveLength(1);
    expect(yaml.match(/^\s*tolerations:/gm)).toHaveLength(1);
    const spec = byName('dimtensor-training').podSpec('Job');
    expect(spec.nodeSelector).toEqual({ 'dimtensor.io/pool': 'training', accelerator: 'nvidia-gpu' });
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
  });

  test('an autoscaled Deployment renders no replicas next to its HPA, and the PDB fits the HPA minReplicas', () => {
    const t = byName('dimtensor-inference');
    expect('replicas' in t.find('Deployment').spec).toBe(false);
    const hpa = t.find('HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBe(2);
    expect(t.find('PodDisruptionBudget').spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });

  test('the CronJob mode renders a CronJob (the chart has no template for it)', () => {
    const t = byName('dimtensor-nightly');
    expect(t.ids()).toEqual(['ConfigMap/dimtensor-nightly-config', 'CronJob/dimtensor-nightly', 'NetworkPolicy/dimtensor-nightly', 'NetworkPolicy/dimtensor-nightly-default-deny', 'PersistentVolumeClaim/dimtensor-nightly-data']);
    expect(t.find('CronJob').spec).toMatchObject({ schedule: '0 2 * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 5, failedJobsHistoryLimit: 1, startingDeadlineSeconds: 300 });
  });

  test('a batch container that reads JOB_COMPLETION_INDEX is always in an Indexed Job, so the index is never empty', () => {
    const job = byName('dimtensor-batch').find('Job');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', parallelism: 10, completions: 100 });
    const env = job.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'JOB_COMPLETION_INDEX');
    expect(env.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
  });

  test('there is no latest variant: the image is always dimtensor:<tag>-<variant> with a pinned tag', () => {
    for (const r of releases) {
      for (const o of r.objects.filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.kind))) {
        const t = new Template(r);
        const image = t.podSpec(o.kind, o.metadata.name).containers[0].image;
        expect(image).toMatch(/^dimtensor:4\.2\.0-(cpu-full|ml|jupyter)$/);
      }
    }
  });

  test('an autoscaled Deployment mounts its data from a ReadWriteMany claim', () => {
    const ok = release();
    MlWorkload.service(ok, 'S', { image: IMAGE, data: MlData.claim({ size: Size.gibibytes(10), accessMode: AccessMode.READ_WRITE_MANY }), scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 }) });
    expect(Template.fromRelease(ok).find('PersistentVolumeClaim').spec.accessModes).toEqual(['ReadWriteMany']);
  });

  test('no Secret data in the app: no Secret object is rendered, credentials are secretKeyRefs to operator-created Secrets', () => {
    for (const r of releases) {
      expect(r.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      const t = new Template(r);
      for (const w of t.workloads()) {
        for (const c of t.podSpec(w.kind, w.metadata.name).containers) {
          for (const e of c.env ?? []) if (looksSecret(e.name) || e.name.includes('URI')) expect(e.valueFrom?.secretKeyRef).toBeDefined();
        }
      }
    }
    const training = byName('dimtensor-training').find('Job');
    expect(training.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/dimtensor-mlflow');
  });

  test('autoscaling/v2 is what renders, and the release notes require Kubernetes 1.23 for it and 1.24 for Indexed Jobs (not the chart README\'s 1.21)', () => {
    const r = releases.find((x) => x.name === 'dimtensor-inference')!;
    expect(r.objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.apiVersion).toBe('autoscaling/v2');
    expect(r.notes.join('\n')).toMatch(/autoscaling\/v2: Kubernetes 1\.23 or later/);
    // The batch profile needs Indexed Jobs, which a 1.21 cluster (the chart's stated minimum) drops.
    const batch = releases.find((x) => x.name === 'dimtensor-batch')!;
    expect(batch.notes.join('\n')).toMatch(/completionMode Indexed \(Kubernetes 1\.24 or later; .*each pod runs one index from 0 to 99 .*On Kubernetes 1\.21 the feature is alpha and off by default/);
  });

  test('pod anti-affinity selects this release\'s pods by the workload selector, never a hand-written label list', () => {
    const t = byName('dimtensor-inference');
    const term = t.podSpec('Deployment').affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(term.labelSelector.matchLabels).toEqual(t.find('Deployment').spec.selector.matchLabels);
    expect(term.labelSelector.matchLabels['app.kubernetes.io/instance']).toBe('dimtensor-inference');
  });

  // Each bug of the chart, asked for through the typed API, fails synth with the prop as written, the value and the fix.
  describe('fails when', () => {
    test('the GPU node label would replace the user\'s own value for it (the chart rendered nodeSelector twice and dropped the user\'s)', () => {
      const run = () =>
        MlWorkload.job(release(), 'T', {
          image: { tag: '4.2.0', variant: MlImageVariant.ML },
          gpu: Gpu.nvidia(1, { nodeSelector: { accelerator: 'nvidia-gpu' } }),
          placement: { nodeSelection: NodeSelection.fallback({ accelerator: 'a100' }) },
        });
      expect(run).toThrow(/^MlWorkload "dimtensor-test\/T": 'placement.nodeSelector.accelerator' is "a100", but the gpu option needs accelerator=nvidia-gpu on the node, .*allowed: "nvidia-gpu" or no value for accelerator$/);
    });

    test('the disruption budget keeps as many pods available as the autoscaler\'s minReplicas (every drain would hang)', () => {
      const run = () =>
        MlWorkload.service(release(), 'S', { image: IMAGE, scaling: Scaling.autoscale({ minReplicas: 1, maxReplicas: 3, cpuUtilization: 70 }), disruptionBudget: DisruptionBudget.minAvailable(1) });
      expect(run).toThrow(/^MlWorkload "dimtensor-test\/S": 'disruptionBudget.minAvailable' is 1, but the autoscaler's minReplicas is 1, .*allowed: DisruptionBudget.maxUnavailable/);
      expect(() => Scaling.autoscale({ minReplicas: 5, maxReplicas: 3, cpuUtilization: 70 })).toThrow(/'scaling.maxReplicas' is 3, but it is below 5; allowed: a whole number >= minReplicas \(5\)/);
    });

    test('the CronJob mode has no schedule or a malformed one (the chart rendered nothing for it)', () => {
      expect(() => MlWorkload.cronJob(release(), 'C', { image: IMAGE } as never)).toThrow(/^MlWorkload "dimtensor-test\/C": 'schedule' is undefined; allowed: CronSchedule.expression\('0 2 \* \* \*'\)$/);
      expect(() => CronSchedule.expression('0 2 * *')).toThrow(/'schedule' is "0 2 \* \*", but it has 4 field\(s\).*allowed: five fields 'minute hour day-of-month month day-of-week'/);
      expect(() => CronSchedule.expression('0 25 * * *')).toThrow(/'schedule' is "0 25 \* \* \*", but the hour field has 25, outside 0-23/);
    });

    test('the container reads its completion index in a Job that is not Indexed (the index would be empty and int(\'\') crash)', () => {
      const run = () => MlWorkload.job(release(), 'B', { image: IMAGE, env: { JOB_COMPLETION_INDEX: JobIndex.env() }, completions: 100, indexed: false });
      expect(run).toThrow(/^MlWorkload "dimtensor-test\/B": 'indexed' is false, but the container reads its completion index .*allowed: true or unset$/);
      const noCompletions = () => MlWorkload.job(release(), 'B', { image: IMAGE, env: { JOB_COMPLETION_INDEX: JobIndex.env() } });
      expect(noCompletions).toThrow(/^MlWorkload "dimtensor-test\/B": 'completions' is undefined; allowed: the number of indexes/);
    });

    test('JOB_COMPLETION_INDEX is set to a fixed value (it would hide each pod\'s own index)', () => {
      const run = () => MlWorkload.job(release(), 'B', { image: IMAGE, env: { JOB_COMPLETION_INDEX: '0' }, parallelism: 10, completions: 100, indexed: true });
      expect(run).toThrow(/^MlWorkload "dimtensor-test\/B": 'env.JOB_COMPLETION_INDEX' is "0", but every pod would read the same value: .*allowed: JobIndex.env\(\) \(the Job is then Indexed\)$/);
    });

    test('the tag is latest or missing, or the variant is latest (the chart ignored the tag for it)', () => {
      const job = (image: { tag: string; variant: MlImageVariant }) => () => MlWorkload.job(release(), 'B', { image });
      expect(job({ tag: 'latest', variant: MlImageVariant.CPU_FULL })).toThrow(/^MlWorkload "dimtensor-test\/B": 'image.tag' is "latest", but latest moves under a running release.*allowed: a release tag such as 4.2.0$/);
      expect(job({ tag: '', variant: MlImageVariant.CPU_FULL })).toThrow(/'image.tag' is ""; allowed: a release tag such as 4.2.0/);
      expect(job({ tag: '4.2.0', variant: 'latest' as MlImageVariant })).toThrow(/'image.variant' is "latest"; allowed: MlImageVariant.CPU_FULL, ML or JUPYTER/);
    });

    test('a ReadWriteOnce claim, new or existing, is mounted by an autoscaled Deployment', () => {
      const autoscale = Scaling.autoscale({ minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 });
      const fix = 'allowed: a ReadWriteMany claim \\(a StorageClass that supports it\\), per-pod claims \\(PodVolume.perPodClaim with WorkloadKind.statefulSet\\(\\)\\), or a workload that runs one pod at a time';
      const created = () => MlWorkload.service(release(), 'S', { image: IMAGE, data: MlData.claim({ size: Size.gibibytes(10) }), scaling: autoscale });
      expect(created).toThrow(new RegExp(`^MlWorkload "dimtensor-test/S": 'data' is "data \\(claim dimtensor-test-data, ReadWriteOnce\\)", but the autoscaler's maxReplicas is 10, .*Multi-Attach error\\); ${fix}$`));
      const existing = () => MlWorkload.service(release(), 'S', { image: IMAGE, data: MlData.existingClaim('shared'), scaling: autoscale });
      expect(existing).toThrow(/'data' is "data \(existingClaim shared, ReadWriteOnce\)", but the autoscaler's maxReplicas is 10/);
      const fixed = () => MlWorkload.service(release(), 'S', { image: IMAGE, data: MlData.claim({ size: Size.gibibytes(10) }) });
      expect(fixed).toThrow(/'data' is "data \(claim dimtensor-test-data, ReadWriteOnce\)", but the workload runs 3 replicas/);
    });

    test('Secret data is written into the app (the chart kept it in values): no Secret option takes data, and a literal credential fails verification', () => {
      const data = () => MlWorkload.job(release(), 'J', { image: IMAGE, secret: { data: { token: 'c2VjcmV0' } } as never });
      expect(data).toThrow(/^MlWorkload "dimtensor-test\/J": 'secret' is \{"data":"<hidden>"\}, but the app never holds Secret data; allowed: MlSecret.env\(name\) or MlSecret.mount\(name, path\) \(an operator-created Secret\)$/);
      expect(data).not.toThrow(/c2VjcmV0/);
      const r = release();
      MlWorkload.job(r, 'J', { image: IMAGE, env: { MLFLOW_TOKEN: 'abc' } });
      expect(() => synthRelease(r)).toThrow(/\[secret-env\] container "dimtensor" env MLFLOW_TOKEN looks like a credential but comes from a literal value[\s\S]*fix: read it from a Secret: valueFrom.secretKeyRef \(EnvSource.secret\(name, key\)\)/);
    });
  });
});
