import { App } from 'cdk8s';
import {
  DisruptionBudget,
  Gpu,
  IngressTls,
  Job,
  JobIndex,
  MlImageVariant,
  MlWorkload,
  Probes,
  Release,
  Scaling,
  sized,
  Spread,
  WebService,
} from 'cdk8s-ops-kit';

export function buildShop(app: App): Release {
  const release = new Release(app, 'shop', { namespace: 'shop' });

  // A Deployment, its Service (endpoint) and an Ingress; the autoscaler owns the replica count.
  new WebService(release, 'Api', {
    name: 'api',
    container: {
      image: 'ghcr.io/acme/shop-api:1.4.2',
      ports: [{ name: 'http', port: 8080 }],
      resources: sized(250, 1000, 256, 512),
      readinessProbe: Probes.http('/ready', 'http'),
      livenessProbe: Probes.http('/health', 'http'),
    },
    scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 8, cpuUtilization: 70 }),
    disruptionBudget: DisruptionBudget.minAvailable(1), // checked against minReplicas
    spread: [Spread.acrossNodes()], // selects this workload's own pods
    service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    ingress: { hosts: ['shop.example.com'], className: 'nginx', tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' }) },
  });

  // Reading the completion index makes the Job Indexed; its name carries a hash of its template.
  new Job(release, 'Reindex', {
    name: 'reindex',
    container: {
      image: 'ghcr.io/acme/shop-tools:1.4.2',
      command: ['shop-reindex'],
      env: { SHARD: JobIndex.env() },
      resources: sized(100, 500, 128, 256),
    },
    completions: 8,
    parallelism: 4,
  });

  // dimtensor training on one GPU: limit, node selector and toleration merged into the release's placement.
  MlWorkload.job(release, 'Train', {
    name: 'train',
    image: { tag: '4.2.0', variant: MlImageVariant.ML },
    command: ['python', '-m', 'shop.train'],
    gpu: Gpu.nvidia(1),
    backoffLimit: 2,
  });
  return release;
}
