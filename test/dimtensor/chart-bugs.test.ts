// One test per bug of the real dimtensor chart (seed 004), each proving the typed API cannot produce it.
import { App, Size } from 'cdk8s';
import { Gpu, NodeSelection } from '../../lib/core';
import { MlData, MlImageVariant, MlWorkload } from '../../lib/dimtensor';
import { distFiles, renderApp, Release } from '../../lib/release';
import { looksSecret } from '../../lib/verify';
import { AccessMode, CronSchedule, DisruptionBudget, JobIndex, Scaling } from '../../lib/workload';
import { buildDimtensor } from '../../apps/dimtensor';
import { Template } from '../support';

const IMAGE = { tag: '4.2.0', variant: MlImageVariant.CPU_FULL };
const release = (name = 'dimtensor-test') => new Release(new App(), name, { namespace: 'dimtensor' });

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

  test('training profile: a GPU label the user set differently fails instead of being overwritten', () => {
    const run = () => MlWorkload.job(release(), 'T', { image: { tag: '4.2.0', variant: MlImageVariant.ML }, gpu: Gpu.nvidia(1, { nodeSelector: { accelerator: 'nvidia-gpu' } }), placement: { nodeSelection: NodeSelection.fallback({ accelerator: 'a100' }) } });
    expect(run).toThrow(/'placement.nodeSelector.accelerator' is "a100", but the gpu option needs accelerator=nvidia-gpu on the node/);
  });

  test('an autoscaled Deployment renders no replicas next to its HPA, and the PDB fits the HPA minReplicas', () => {
    const t = byName('dimtensor-inference');
    expect('replicas' in t.find('Deployment').spec).toBe(false);
    const hpa = t.find('HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBe(2);
    expect(t.find('PodDisruptionBudget').spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    expect(() => MlWorkload.service(release(), 'S', { image: IMAGE, scaling: Scaling.autoscale({ minReplicas: 1, maxReplicas: 3, cpuUtilization: 70 }), disruptionBudget: DisruptionBudget.minAvailable(1) })).toThrow(
      /'disruptionBudget.minAvailable' is 1, but the autoscaler's minReplicas is 1/,
    );
  });

  test('the CronJob mode renders a CronJob (the chart has no template for it)', () => {
    const t = byName('dimtensor-nightly');
    expect(t.ids()).toEqual(['ConfigMap/dimtensor-nightly-config', 'CronJob/dimtensor-nightly', 'PersistentVolumeClaim/dimtensor-nightly-data']);
    expect(t.find('CronJob').spec).toMatchObject({ schedule: '0 2 * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 5, failedJobsHistoryLimit: 1, startingDeadlineSeconds: 300 });
  });

  test('a batch container that reads JOB_COMPLETION_INDEX is always in an Indexed Job, so the index is never empty', () => {
    const job = byName('dimtensor-batch').find('Job');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', parallelism: 10, completions: 100 });
    const env = job.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'JOB_COMPLETION_INDEX');
    expect(env.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
    expect(() => MlWorkload.job(release(), 'B', { image: IMAGE, env: { JOB_COMPLETION_INDEX: JobIndex.env() }, completions: 100, indexed: false })).toThrow(/'indexed' is false, but the container reads its completion index/);
  });

  test('there is no latest variant: the image is always dimtensor:<tag>-<variant> with a pinned tag', () => {
    for (const r of releases) {
      for (const o of r.objects.filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.kind))) {
        const t = new Template(r);
        const image = t.podSpec(o.kind, o.metadata.name).containers[0].image;
        expect(image).toMatch(/^dimtensor:4\.2\.0-(cpu-full|ml|jupyter)$/);
      }
    }
    expect(() => MlWorkload.job(release(), 'B', { image: { tag: 'latest', variant: MlImageVariant.CPU_FULL } })).toThrow(/'image.tag' is "latest", but latest moves under a running release/);
    expect(() => MlWorkload.job(release(), 'B', { image: { tag: '4.2.0', variant: 'latest' as MlImageVariant } })).toThrow(/'image.variant' is "latest"; allowed: MlImageVariant.CPU_FULL, ML or JUPYTER/);
  });

  test('a ReadWriteOnce claim cannot be mounted by an autoscaled Deployment', () => {
    const run = () => MlWorkload.service(release(), 'S', { image: IMAGE, data: MlData.claim({ size: Size.gibibytes(10) }), scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 }) });
    expect(run).toThrow(/'data' is "data \(claim dimtensor-test-data, ReadWriteOnce\)", but the autoscaler's maxReplicas is 10.*allowed: a ReadWriteMany claim/);
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

  test('autoscaling/v2 is what renders, and the release notes require Kubernetes 1.23 (not the chart README\'s 1.21)', () => {
    const r = releases.find((x) => x.name === 'dimtensor-inference')!;
    expect(r.objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.apiVersion).toBe('autoscaling/v2');
    expect(r.notes.join('\n')).toMatch(/autoscaling\/v2: Kubernetes 1\.23 or later/);
  });

  test('pod anti-affinity selects this release\'s pods by the workload selector, never a hand-written label list', () => {
    const t = byName('dimtensor-inference');
    const term = t.podSpec('Deployment').affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(term.labelSelector.matchLabels).toEqual(t.find('Deployment').spec.selector.matchLabels);
    expect(term.labelSelector.matchLabels['app.kubernetes.io/instance']).toBe('dimtensor-inference');
  });

  test('the CronJob schedule is validated as a cron expression', () => {
    expect(() => MlWorkload.cronJob(release(), 'C', { image: IMAGE, schedule: CronSchedule.expression('0 2 * *') })).toThrow(/'schedule' is "0 2 \* \*", but it has 4 field\(s\)/);
  });
});
