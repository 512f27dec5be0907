import { readFileSync } from 'fs';
import * as path from 'path';
import { App, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { EnvSource, ExternalEndpoint, ExternalPeer, Gpu, IConnectable, NodeSelection } from '../lib/core';
import { MlData, MlImageVariant, MlWorkload } from '../lib/dimtensor';
import { Release } from '../lib/release';
import { ConcurrencyPolicy, CronSchedule, DisruptionBudget, IngressTls, JobIndex, JobRestartPolicy, Scaling, ScalingPolicy, Spread } from '../lib/workload';
import { DeliveryTarget } from '../lib/gitops';
import { dimtensorDelivery } from './delivery';
import type { ExampleApp } from './registry';

/** The dimtensor release every example runs (the chart's appVersion). */
export const DIMTENSOR_TAG = '4.2.0';
/** The namespace of the dimtensor team's workloads. */
export const DIMTENSOR_NAMESPACE = 'dimtensor';
/** The operator-created Secret holding the MLflow tracking URI (key `mlflow-uri`). */
export const MLFLOW_SECRET = 'dimtensor-mlflow';

/** The ML platform network the MLflow tracking servers run in (an example RFC 1918 range; set yours). */
export const MLFLOW_NETWORK_CIDR = '10.40.0.0/24';

/**
 * The team's MLflow tracking server (its URI reaches the training Job from the Secret above). Declared as an external
 * endpoint with its network, so the training release's NetworkPolicy allows exactly that egress: under the default
 * deny, a Job that reads the URI from a Secret without a recorded connection could reach only DNS.
 */
export const MLFLOW_SERVER = ExternalEndpoint.of({
  host: 'mlflow.ml-platform.example.internal',
  ports: [{ name: 'http', port: 5000 }],
  peer: ExternalPeer.cidr({ cidrs: [MLFLOW_NETWORK_CIDR], reason: "the ML platform's MLflow tracking servers" }),
  description: 'MLflow tracking server',
});

/** The training container's connection to MLflow (recorded in the wiring graph; the URI itself comes from the Secret). */
const mlflow: IConnectable = { connect: (client) => void client.connect(MLFLOW_SERVER) };

/** The programs the examples run, mounted from their ConfigMap at /config. */
function program(file: string): string {
  return readFileSync(path.join(__dirname, 'dimtensor', file), 'utf8');
}

/** The parameters of the batch sweep (`physics_params.json`): drag over 100 velocities. */
export const SWEEP_PARAMS = {
  air_density: 1.225,
  drag_coefficient: 0.47,
  reference_area: 0.0314,
  velocity_sweep: { start: 1, stop: 100, steps: 100 },
} as const;

/** What the upgrade test varies: the image tag and the inference autoscaler's bounds. */
export interface DimtensorOptions {
  /** @default DIMTENSOR_TAG */
  readonly tag?: string;
  /** @default { min: 2, max: 10 } */
  readonly inferenceReplicas?: { readonly min: number; readonly max: number };
  /** @default - no Argo CD objects */
  readonly delivery?: DeliveryTarget;
}

/**
 * The dimtensor chart's three profiles and its scheduled mode, one release each: the inference API (autoscaled,
 * spread over nodes, behind an Ingress with a cert-manager certificate), a GPU training Job, an Indexed batch sweep
 * and a nightly analysis CronJob.
 */
export function buildDimtensor(app: App, options: DimtensorOptions = {}): Release[] {
  const tag = options.tag ?? DIMTENSOR_TAG;
  const replicas = options.inferenceReplicas ?? { min: 2, max: 10 };
  const release = (name: string) => new Release(app, name, { namespace: DIMTENSOR_NAMESPACE, delivery: options.delivery });

  const inference = release('dimtensor-inference');
  MlWorkload.service(inference, 'Inference', {
    image: { tag, variant: MlImageVariant.CPU_FULL },
    command: ['python', '/config/serve.py'],
    env: { PYTHONUNBUFFERED: '1' },
    config: { files: { 'serve.py': program('serve.py') } },
    scaling: Scaling.autoscale({
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
      cpuUtilization: 70,
      memoryUtilization: 80,
      scaleDown: {
        stabilizationWindow: Duration.seconds(300),
        policies: [ScalingPolicy.percent(50, Duration.seconds(60)), ScalingPolicy.pods(2, Duration.seconds(60))],
      },
      scaleUp: {
        stabilizationWindow: Duration.seconds(0),
        policies: [ScalingPolicy.percent(100, Duration.seconds(30)), ScalingPolicy.pods(4, Duration.seconds(30))],
      },
    }),
    disruptionBudget: DisruptionBudget.minAvailable(1),
    spread: [Spread.acrossNodes()],
    prometheusScrape: true,
    ingress: { hosts: ['api.dimtensor.example.com'], className: 'nginx', tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' }) },
  });

  const training = release('dimtensor-training');
  MlWorkload.job(training, 'Training', {
    image: { tag, variant: MlImageVariant.ML },
    command: ['python', '/config/train.py'],
    env: { CUDA_VISIBLE_DEVICES: '0', PYTHONUNBUFFERED: '1', MLFLOW_TRACKING_URI: EnvSource.secret(MLFLOW_SECRET, 'mlflow-uri') },
    connections: [mlflow],
    config: { files: { 'train.py': program('train.py') } },
    gpu: Gpu.nvidia(1, { nodeSelector: { accelerator: 'nvidia-gpu' } }),
    // The team's training pool: kept next to the GPU label, never replaced by it.
    placement: { nodeSelection: NodeSelection.fallback({ 'dimtensor.io/pool': 'training' }) },
    backoffLimit: 2,
    ttlAfterFinished: Duration.hours(48),
    restartPolicy: JobRestartPolicy.NEVER,
  });

  const batch = release('dimtensor-batch');
  MlWorkload.job(batch, 'Batch', {
    image: { tag, variant: MlImageVariant.CPU_FULL },
    command: ['python', '/config/sweep.py'],
    env: { JOB_COMPLETION_INDEX: JobIndex.env(), PARAMS_FILE: '/config/physics_params.json', PYTHONUNBUFFERED: '1' },
    config: { files: { 'physics_params.json': `${JSON.stringify(SWEEP_PARAMS, null, 2)}\n`, 'sweep.py': program('sweep.py') } },
    parallelism: 10,
    completions: SWEEP_PARAMS.velocity_sweep.steps,
    restartPolicy: JobRestartPolicy.ON_FAILURE,
  });

  const nightly = release('dimtensor-nightly');
  MlWorkload.cronJob(nightly, 'Nightly', {
    image: { tag, variant: MlImageVariant.CPU_FULL },
    command: ['python', '/config/analyze.py'],
    env: { DATA_DIR: '/data', PYTHONUNBUFFERED: '1' },
    config: { files: { 'analyze.py': program('analyze.py') } },
    resources: { cpu: { request: Cpu.millis(1000), limit: Cpu.millis(2000) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(8) } },
    data: MlData.claim({ size: Size.gibibytes(50) }),
    schedule: CronSchedule.expression('0 2 * * *'),
    concurrencyPolicy: ConcurrencyPolicy.FORBID,
    successfulJobsHistoryLimit: 5,
    failedJobsHistoryLimit: 1,
    startingDeadline: Duration.seconds(300),
  });

  return [inference, training, batch, nightly];
}

export const dimtensorApp: ExampleApp = {
  name: 'dimtensor',
  description: 'dimtensor: autoscaled inference API, GPU training Job, Indexed batch sweep, nightly analysis CronJob',
  build: (app) => {
    buildDimtensor(app, { delivery: dimtensorDelivery() });
  },
};
