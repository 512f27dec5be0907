import { Size } from 'cdk8s';
import { EnvSource } from '../../lib/core';
import { Cpu } from 'cdk8s-plus-28';
import { ML_DEFAULT_RESOURCES, MlData, MlImageVariant, mlImageRef, MlSecret, MlWorkload } from '../../lib/dimtensor';
import { Release } from '../../lib/release';
import { CronSchedule, WebService } from '../../lib/workload';
import { newRelease, Template } from '../support';

const IMAGE = { tag: '4.2.0', variant: MlImageVariant.CPU_FULL };

const mlRelease = (props: Parameters<typeof newRelease>[0] = {}) => newRelease({ id: 'ml', namespace: 'ml', ...props });

function verified(build: (r: Release) => void): Template {
  const r = mlRelease();
  build(r);
  return Template.verified(r);
}

describe('MlWorkload', () => {
  test('service defaults: 3 replicas, port 8080 http, Service 80, probes, uid/fsGroup 1000, the chart resources', () => {
    let w: MlWorkload | undefined;
    const t = verified((r) => {
      w = MlWorkload.service(r, 'Api', { image: IMAGE });
    });
    expect(t.ids()).toEqual(['Deployment/ml', 'NetworkPolicy/ml', 'NetworkPolicy/ml-default-deny', 'Service/ml']);
    expect(t.find('Deployment').spec.replicas).toBe(3);
    expect(w!.endpoint.port('http').port).toBe(80);
    expect(w!.block).toBeInstanceOf(WebService);
    expect(w!.mode).toBe('service');
    expect(t.objects).toMatchSnapshot();
  });

  test('job and cronJob defaults: backoffLimit 3 (the chart default) and no TTL (a GitOps sync would rerun a deleted Job)', () => {
    const t = verified((r) => {
      MlWorkload.job(r, 'Job', { name: 'train', image: IMAGE });
      MlWorkload.cronJob(r, 'Cron', { name: 'nightly', image: IMAGE, schedule: CronSchedule.expression('@daily') });
    });
    const job = t.findAll('Job')[0];
    expect(job.spec.backoffLimit).toBe(3);
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(t.find('CronJob', 'nightly').spec.jobTemplate.spec.backoffLimit).toBe(3);
    expect(t.podLabels('CronJob', 'nightly')['app.kubernetes.io/component']).toBe('cronjob');
    expect(t.objects).toMatchSnapshot();
  });

  test('an existing Secret env-loaded or mounted, an existing claim, workload identity, priority: all declared or rendered', () => {
    const t = verified((r) => {
      MlWorkload.job(r, 'A', { name: 'a', component: 'prepare', image: IMAGE, secret: MlSecret.env('a-env'), data: MlData.existingClaim('shared', { mountPath: '/checkpoints' }) });
      MlWorkload.job(r, 'B', {
        name: 'b',
        component: 'train',
        image: IMAGE,
        secret: MlSecret.mount('b-keys', '/etc/keys'),
        serviceAccountAnnotations: { 'iam.gke.io/gcp-service-account': 'ml@p.iam.gserviceaccount.com' },
        priorityClassName: 'batch-low',
        env: { MLFLOW_TRACKING_URI: EnvSource.secret('mlflow', 'uri') },
      });
    });
    const [a, b] = ['a', 'b'].map((n) => t.findAll('Job').find((j) => j.metadata.name.startsWith(`${n}-`))!);
    expect(a.spec.template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: 'a-env' } }]);
    expect(a.spec.template.spec.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/checkpoints' }]);
    expect(a.metadata.annotations['refs.ops-kit.io/external']).toBe('PersistentVolumeClaim/shared,Secret/a-env');
    expect(b.spec.template.spec.containers[0].volumeMounts).toEqual([{ name: 'secret', mountPath: '/etc/keys', readOnly: true }]);
    expect(b.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/b-keys,Secret/mlflow');
    expect(b.spec.template.spec.serviceAccountName).toBe('b');
    expect(b.spec.template.spec.priorityClassName).toBe('batch-low');
    expect(t.find('ServiceAccount', 'b').metadata.annotations).toEqual(expect.objectContaining({ 'iam.gke.io/gcp-service-account': 'ml@p.iam.gserviceaccount.com' }));
  });

  test('the image reference is <repository>:<tag>-<variant>, and the release mirror still applies', () => {
    expect(mlImageRef({ tag: '4.2.0', variant: MlImageVariant.JUPYTER })).toBe('dimtensor:4.2.0-jupyter');
    expect(mlImageRef({ tag: '4.2.0', variant: MlImageVariant.ML, repository: 'ghcr.io/lab/dimtensor' })).toBe('ghcr.io/lab/dimtensor:4.2.0-ml');
    const r = mlRelease({ images: { registry: 'mirror.corp:5000' } });
    MlWorkload.job(r, 'J', { image: IMAGE });
    expect(Template.fromRelease(r).podSpec('Job').containers[0].image).toBe('mirror.corp:5000/library/dimtensor:4.2.0-cpu-full');
  });

  describe('fails when', () => {
    test('two workloads of one release keep the same component (their selectors would overlap)', () => {
      const r = mlRelease();
      MlWorkload.job(r, 'A', { name: 'a', image: IMAGE });
      MlWorkload.job(r, 'B', { name: 'b', image: IMAGE });
      expect(() => Template.fromRelease(r)).toThrow(/MlWorkload "ml\/A": 'name' is "a", but its selector .* also selects the pods of Job b .*; allowed: a distinct 'component' for one of them/);
    });

    test('a setting the block refuses is named as the MlWorkload user wrote it, with the MlWorkload construct', () => {
      const r = mlRelease();
      const run = () => MlWorkload.job(r, 'Train', { image: IMAGE, env: { 'BAD NAME': 'x' } });
      expect(run).toThrow(/^MlWorkload "ml\/Train": 'env' is "BAD NAME"; allowed: an environment variable name/);
      const r2 = mlRelease();
      const low = { ...ML_DEFAULT_RESOURCES, cpu: { request: Cpu.millis(500), limit: Cpu.millis(100) } };
      expect(() => MlWorkload.service(r2, 'Api', { image: IMAGE, resources: low })).toThrow(/^MlWorkload "ml\/Api": 'resources.cpu.limit' is "100m"/);
      const r3 = mlRelease();
      expect(() => MlWorkload.job(r3, 'Train', { image: { tag: 'latest', variant: MlImageVariant.ML } })).toThrow(/^MlWorkload "ml\/Train": 'image.tag' is "latest"/);
    });

    test('the tag is empty, malformed or latest', () => {
      expect(() => mlImageRef({ tag: '', variant: MlImageVariant.ML })).toThrow(/'image.tag' is ""; allowed: a release tag such as 4.2.0/);
      expect(() => mlImageRef({ tag: '4.2.0 ', variant: MlImageVariant.ML })).toThrow(/'image.tag' is "4.2.0 "/);
      expect(() => mlImageRef({ tag: 'latest', variant: MlImageVariant.ML })).toThrow(/'image.tag' is "latest"/);
    });

    test('a job asks for the Service endpoint', () => {
      const r = mlRelease();
      expect(() => MlWorkload.job(r, 'J', { image: IMAGE }).endpoint).toThrow(/'endpoint' is "job", but a job has no Service; allowed: MlWorkload.service/);
    });

    test('the data option is not an MlData, or a Secret name is not a DNS name', () => {
      const r = mlRelease();
      expect(() => MlWorkload.job(r, 'J', { image: IMAGE, data: { size: Size.gibibytes(1) } as never })).toThrow(/'data' is .*allowed: MlData.claim/);
      expect(() => MlSecret.env('Bad_Name')).toThrow(/'secret.secretName' is "Bad_Name"/);
    });
  });
});
