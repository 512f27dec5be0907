import { App } from 'cdk8s';
import {
  DisruptionBudget, JobIndex, JobRestartPolicy, MlImageVariant, MlWorkload, Release, Scaling, Spread,
} from 'cdk8s-ops-kit';

/** dimtensor's inference API (autoscaled) and an Indexed batch sweep, one release each. */
export function buildDimtensor(app: App): Release[] {
  const inference = new Release(app, 'dimtensor-inference', { namespace: 'dimtensor' });
  MlWorkload.service(inference, 'Inference', {
    // The tag is required and never `latest`; the variant picks the image flavour (dimtensor:<tag>-<variant>).
    image: { tag: '4.2.0', variant: MlImageVariant.CPU_FULL },
    command: ['python', '-m', 'dimtensor.serve'],
    // The autoscaler owns the replica count: the Deployment renders none.
    scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 }),
    // Checked against minReplicas: a budget the autoscaler could never satisfy fails the synth.
    disruptionBudget: DisruptionBudget.minAvailable(1),
    spread: [Spread.acrossNodes()],
  });

  const batch = new Release(app, 'dimtensor-batch', { namespace: 'dimtensor' });
  MlWorkload.job(batch, 'Sweep', {
    image: { tag: '4.2.0', variant: MlImageVariant.CPU_FULL },
    command: ['python', '-m', 'dimtensor.sweep'],
    // Reading the completion index makes the Job Indexed: each pod gets its own index, never an empty string.
    env: { JOB_COMPLETION_INDEX: JobIndex.env() },
    parallelism: 10,
    completions: 100,
    restartPolicy: JobRestartPolicy.ON_FAILURE,
    // No ttlAfterFinished: Argo CD would recreate a deleted Job and run the sweep again.
  });
  return [inference, batch];
}
