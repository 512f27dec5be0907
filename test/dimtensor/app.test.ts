import { App } from 'cdk8s';
import { buildDimtensor, DIMTENSOR_NAMESPACE, dimtensorApp, MLFLOW_NETWORK_CIDR, MLFLOW_SERVER, SWEEP_PARAMS } from '../../apps/dimtensor';
import { EXAMPLE_APPS } from '../../apps/registry';
import { Release, renderApp, renderRelease, RenderedRelease } from '../../lib/release';
import { MlImageVariant, MlWorkload } from '../../lib/dimtensor';
import { ExternalPeer, KUBE_PROMETHEUS, NetworkPolicies } from '../../lib/core';
import { checkUpgrade, formatReport, formatUpgradeReport, KubeObject, verifyReleases } from '../../lib/verify';
import { envOf, Template } from '../support';

const render = (options: Parameters<typeof buildDimtensor>[1] = {}): RenderedRelease[] => {
  const app = new App();
  buildDimtensor(app, options);
  return renderApp(app);
};

describe('apps/dimtensor', () => {
  const releases = render();
  const t = (name: string) => new Template(releases.find((r) => r.name === name)!);

  test('is registered for npm run synth', () => {
    expect(EXAMPLE_APPS).toContain(dimtensorApp);
  });

  test('renders exactly the four releases, in the dimtensor namespace', () => {
    expect(releases.map((r) => r.name).sort()).toEqual(['dimtensor-batch', 'dimtensor-inference', 'dimtensor-nightly', 'dimtensor-training']);
    for (const r of releases) expect(r.namespace).toBe(DIMTENSOR_NAMESPACE);
    expect(releases.map((r) => `${r.name}: ${new Template(r).ids().join(', ')}`)).toMatchSnapshot();
  });

  test("the training Job's policy lets it reach MLflow's network on 5000 (its URI comes from a Secret) and nothing else but DNS", () => {
    const training = releases.find((r) => r.name === 'dimtensor-training')!;
    const policy = training.objects.find((o) => o.kind === 'NetworkPolicy' && !o.metadata.name.endsWith('-default-deny')) as any;
    const egress = policy.spec.egress as Array<{ to: any[]; ports: Array<{ port: number }> }>;
    expect(egress).toContainEqual({ ports: [{ port: 5000, protocol: 'TCP' }], to: [{ ipBlock: { cidr: MLFLOW_NETWORK_CIDR } }] });
    expect(egress.flatMap((e) => e.ports.map((p) => p.port)).sort((a, b) => a - b)).toEqual([53, 53, 5000]);
    expect(JSON.stringify(training.connections)).toContain(MLFLOW_SERVER.host);
  });

  test('dimtensor-inference admits the cluster\'s Prometheus (outside the release) on the metrics port its scrape annotations name, and verification proves it', () => {
    const inference = releases.find((r) => r.name === 'dimtensor-inference')!;
    const deployment = inference.objects.find((o) => o.kind === 'Deployment') as any;
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    const metricsPort = Number(annotations['prometheus.io/port']);
    // The scraper is a typed peer in the wiring graph: a SCRAPE connection from kube-prometheus-stack's Prometheus pods.
    const scrape = inference.connections.find((c) => c.kind === 'scrape' && c.from.type === 'external');
    expect(scrape).toMatchObject({
      from: { peer: { type: 'pods', namespace: KUBE_PROMETHEUS.namespace, selector: KUBE_PROMETHEUS.selector } },
      to: { type: 'pods', port: { port: metricsPort } },
    });
    const policy = inference.objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'dimtensor-inference') as any;
    const rule = {
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
      ports: [{ port: metricsPort, protocol: 'TCP' }],
    };
    expect(policy.spec.ingress).toContainEqual(rule);
    expect(inference.notes.join('\n')).toMatch(/pods monitoring\/app.kubernetes.io\/name=prometheus +dimtensor-inference +8080\/TCP/);
    expect(inference.notes.join('\n')).toContain('NETWORK POLICY ASSUMPTION: pods app.kubernetes.io/name=dimtensor');
    // Without the rule, the default deny drops the scrape, and verification says so (no rule, no traffic).
    const broken = releases.map((r) => r !== inference ? r : {
      ...r,
      objects: r.objects.map((o) => {
        if (o !== policy) return o;
        return { ...policy, spec: { ...policy.spec, ingress: policy.spec.ingress.filter((i: any) => JSON.stringify(i) !== JSON.stringify(rule)) } };
      }),
    });
    const violations = verifyReleases(broken).flatMap((r) => r.violations).filter((v) => v.rule === 'netpol-allows');
    expect(violations.map((v) => v.message).join('\n')).toMatch(/prometheus/);
  });

  test('a declared Prometheus peer replaces the default, and the assumption note goes', () => {
    const peer = ExternalPeer.pods({ namespace: 'observability', selector: { app: 'prom' } });
    const r = new Release(new App(), 'ml', { namespace: 'ml', networkPolicy: NetworkPolicies.defaultDeny({ prometheus: peer }) });
    MlWorkload.service(r, 'Api', { image: { tag: '4.2.0', variant: MlImageVariant.CPU_FULL }, prometheusScrape: true });
    const inference = renderRelease(r);
    const policy = inference.objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'ml') as any;
    expect(JSON.stringify(policy.spec.ingress)).toContain('"kubernetes.io/metadata.name":"observability"');
    expect(JSON.stringify(policy.spec.ingress)).not.toContain('"kubernetes.io/metadata.name":"monitoring"');
    expect(inference.notes.join('\n')).not.toContain('scraped by the cluster\'s Prometheus');
  });

  test('every release verifies clean (schema, policy, references, wiring)', () => {
    const reports = verifyReleases(releases);
    for (const report of reports) if (!report.ok) throw new Error(formatReport(report));
    expect(reports).toHaveLength(4);
  });

  test('dimtensor-inference: cpu-full, HPA 2-10 on CPU 70 / memory 80 with the scale-down and scale-up behaviour, PDB, anti-affinity, scrape annotations, Service 80 -> http, Ingress with cert-manager TLS', () => {
    const r = t('dimtensor-inference');
    expect(r.ids()).toEqual([
      'ConfigMap/dimtensor-inference-config', 'Deployment/dimtensor-inference', 'HorizontalPodAutoscaler/dimtensor-inference',
      'Ingress/dimtensor-inference', 'NetworkPolicy/dimtensor-inference', 'NetworkPolicy/dimtensor-inference-default-deny',
      'PodDisruptionBudget/dimtensor-inference', 'Service/dimtensor-inference',
    ]);
    const d = r.find('Deployment');
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const c = d.spec.template.spec.containers[0];
    expect(c.image).toBe('dimtensor:4.2.0-cpu-full');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path, c.startupProbe.httpGet.path, c.startupProbe.failureThreshold]).toEqual(['/health', '/ready', '/health', 12]);
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2000m', memory: '8Gi' } });
    expect(d.spec.template.spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(d.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
    expect(d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(r.find('HorizontalPodAutoscaler').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'dimtensor-inference' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }, { type: 'Pods', value: 2, periodSeconds: 60 }] },
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }, { type: 'Pods', value: 4, periodSeconds: 30 }] },
      },
    });
    expect(r.find('Service').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
    const ing = r.find('Ingress');
    expect(ing.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
    expect(ing.spec.tls).toEqual([{ hosts: ['api.dimtensor.example.com'], secretName: 'dimtensor-inference-tls' }]);
    expect(ing.spec.ingressClassName).toBe('nginx');
  });

  test('dimtensor-training: Job, ml, 1 GPU, CUDA_VISIBLE_DEVICES=0, backoffLimit 2, TTL 172800, the user node selector beside the GPU one', () => {
    const r = t('dimtensor-training');
    const job = r.find('Job');
    expect(job.spec).toMatchObject({ backoffLimit: 2, ttlSecondsAfterFinished: 172800 });
    expect(job.spec.completionMode).toBeUndefined();
    const spec = job.spec.template.spec;
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.containers[0].image).toBe('dimtensor:4.2.0-ml');
    expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
    expect(envOf(spec.containers[0]).CUDA_VISIBLE_DEVICES).toBe('0');
    expect(spec.nodeSelector).toEqual({ 'dimtensor.io/pool': 'training', accelerator: 'nvidia-gpu' });
  });

  test('dimtensor-batch: Indexed Job, parallelism 10, completions 100, OnFailure, physics_params.json from a ConfigMap at /config, each pod reads its index', () => {
    const r = t('dimtensor-batch');
    const job = r.find('Job');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', parallelism: 10, completions: 100 });
    const spec = job.spec.template.spec;
    expect(spec.restartPolicy).toBe('OnFailure');
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'config', mountPath: '/config', readOnly: true }]);
    expect(spec.volumes).toEqual([{ name: 'config', configMap: { name: 'dimtensor-batch-config' } }]);
    expect(JSON.parse(r.find('ConfigMap').data['physics_params.json'])).toEqual(SWEEP_PARAMS);
    expect(envOf(spec.containers[0])).toMatchObject({ JOB_COMPLETION_INDEX: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } }, PARAMS_FILE: '/config/physics_params.json' });
    expect(job.spec.completions).toBe(SWEEP_PARAMS.velocity_sweep.steps);
  });

  test('dimtensor-nightly: CronJob 0 2 * * *, Forbid, 5 successful / 1 failed kept, startingDeadlineSeconds 300, cpu-full, a 50Gi data claim at /data', () => {
    const r = t('dimtensor-nightly');
    const cj = r.find('CronJob');
    expect(cj.spec).toMatchObject({ schedule: '0 2 * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 5, failedJobsHistoryLimit: 1, startingDeadlineSeconds: 300 });
    const c = cj.spec.jobTemplate.spec.template.spec.containers[0];
    expect(c.image).toBe('dimtensor:4.2.0-cpu-full');
    expect(c.resources.requests).toEqual({ cpu: '1000m', memory: '2Gi' });
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(r.find('PersistentVolumeClaim').spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
  });

  test('every release passes the upgrade checker against itself with changed image tags and replica bounds', () => {
    const next = render({ tag: '4.3.0', inferenceReplicas: { min: 3, max: 20 } });
    for (const before of releases) {
      const after = next.find((r) => r.name === before.name)!;
      const report = checkUpgrade(before.objects as KubeObject[], after.objects as KubeObject[]);
      if (!report.ok) throw new Error(`${before.name}\n${formatUpgradeReport(report)}`);
    }
    // The Jobs got new names (their templates changed), the CronJob and the claim kept theirs.
    const names = (rs: RenderedRelease[], kind: string) =>
      rs.flatMap((r) => r.objects.filter((o) => o.kind === kind).map((o) => o.metadata.name)).sort();
    expect(names(next, 'Job')).not.toEqual(names(releases, 'Job'));
    expect(names(next, 'CronJob')).toEqual(names(releases, 'CronJob'));
    expect(names(next, 'PersistentVolumeClaim')).toEqual(names(releases, 'PersistentVolumeClaim'));
    expect(new Template(next.find((r) => r.name === 'dimtensor-inference')!).find('HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
  });
});
