/**
 * semantic-explorer (seed 002). The real chart's tracking document marks everything complete; a render of it shows
 * fifteen claims false. Each `failure N` test below proves SemanticExplorer (and the example releases) cannot produce
 * that failure: the property is checked on the rendered objects of both releases (managed and in-cluster data
 * services), not on the props.
 */
import { App, Duration } from 'cdk8s';
import { buildSemanticExplorer, SEMANTIC_EXPLORER_SECRETS, SemanticExplorerInfra } from '../../apps/semantic-explorer';
import { IConnectable } from '../../lib/core';
import { Dex, DexConnector } from '../../lib/dex';
import { NatsAuth, NatsServer } from '../../lib/nats';
import { MinioServer, ObjectStorage } from '../../lib/object-storage';
import { PostgresServer } from '../../lib/postgres';
import { QdrantAuth, QdrantServer } from '../../lib/qdrant';
import { Release, RenderedRelease, renderRelease } from '../../lib/release';
import { SemanticExplorer, SemanticExplorerProps } from '../../lib/semantic-explorer';
import { ValkeyAuth, ValkeyServer } from '../../lib/valkey';
import { checkUpgrade, verifyReleases } from '../../lib/verify';
import { addressesWithoutConnection, envOf, newRelease, Obj, Template } from '../support';

const APP_SERVICES = ['api', 'worker-collections', 'worker-datasets', 'worker-visualizations-py', 'embedding-inference-api', 'llm-inference-api'];
const INFERENCE = ['embedding-inference-api', 'llm-inference-api'];

function render(infrastructure: SemanticExplorerInfra, name?: string, namespace?: string): { se: SemanticExplorer; r: RenderedRelease } {
  const se = buildSemanticExplorer(new App(), { infrastructure, name, namespace });
  return { se, r: renderRelease(Release.of(se)) };
}

const external = render(SemanticExplorerInfra.EXTERNAL);
const internal = render(SemanticExplorerInfra.INTERNAL);
const BOTH: ReadonlyArray<readonly [string, RenderedRelease]> = [['semantic-explorer', external.r], ['semantic-explorer-internal', internal.r]];

const objs = (r: RenderedRelease) => r.objects as Obj[];
const find = (r: RenderedRelease, kind: string, name: string) => objs(r).find((o) => o.kind === kind && o.metadata.name === name)!;
const workloads = (r: RenderedRelease) => objs(r).filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) && /^(apps|batch)\//.test(o.apiVersion));
const pod = (w: Obj) => w.spec.template.spec;
const podLabels = (w: Obj): Record<string, string> => w.spec.template.metadata.labels ?? {};
const selects = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
const env = (r: RenderedRelease, name: string) => envOf(pod(find(r, 'Deployment', name)).containers[0]);

describe('the releases', () => {
  test.each(BOTH)('%s verifies clean (schema, policy, references, wiring, NetworkPolicies)', (_name, r) => {
    const [report] = verifyReleases([{ name: r.name, objects: r.objects, connections: r.connections, networkPolicy: r.networkPolicy }]);
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  test('exactly the two releases of the issue, each delivered by Argo CD', () => {
    const app = new App();
    const { semanticExplorerApp } = require('../../apps/semantic-explorer');
    semanticExplorerApp.build(app);
    const releases = app.node.children.filter((c): c is Release => c instanceof Release);
    expect(releases.map((r) => r.releaseName)).toEqual(['semantic-explorer', 'semantic-explorer-internal']);
    for (const r of releases) expect(r.delivery).toBeDefined();
  });

  test('semantic-explorer keeps the data services outside (no Postgres, NATS, Qdrant, MinIO or Valkey object); -internal renders them all', () => {
    const dataKinds = (r: RenderedRelease) => objs(r).filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name).sort();
    expect(dataKinds(external.r)).toEqual(['semantic-explorer-quickwit']);
    expect(dataKinds(internal.r)).toEqual([
      'semantic-explorer-internal-minio', 'semantic-explorer-internal-nats', 'semantic-explorer-internal-postgres', 'semantic-explorer-internal-qdrant',
      'semantic-explorer-internal-quickwit', 'semantic-explorer-internal-valkey', 'semantic-explorer-internal-valkey-replica',
    ].sort());
    expect(find(internal.r, 'StatefulSet', 'semantic-explorer-internal-nats').spec.replicas).toBe(3);
    expect(find(internal.r, 'StatefulSet', 'semantic-explorer-internal-qdrant').spec.replicas).toBe(3);
    expect(find(internal.r, 'StatefulSet', 'semantic-explorer-internal-minio').spec.replicas).toBe(4);
    const pg = find(internal.r, 'StatefulSet', 'semantic-explorer-internal-postgres');
    expect(pg.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('100Gi');
  });

  test('the application services: api 3-10 on CPU 70 / memory 80 with a PDB and an Ingress, workers 2-10, 2-8 and 2-6', () => {
    const hpa = (n: string) => {
      const h = find(internal.r, 'HorizontalPodAutoscaler', n).spec;
      return [h.minReplicas, h.maxReplicas, h.metrics.map((m: Obj) => `${m.resource.name}:${m.resource.target.averageUtilization}`)];
    };
    expect(hpa('api')).toEqual([3, 10, ['cpu:70', 'memory:80']]);
    expect(hpa('worker-collections')).toEqual([2, 10, ['cpu:70', 'memory:80']]);
    expect(hpa('worker-datasets')).toEqual([2, 8, ['cpu:70', 'memory:80']]);
    expect(hpa('worker-visualizations-py')).toEqual([2, 6, ['cpu:70', 'memory:80']]);
    expect(find(internal.r, 'PodDisruptionBudget', 'api').spec.minAvailable).toBe(1);
    expect(find(internal.r, 'Ingress', 'api').spec.rules[0].host).toBe('semantic-explorer.example.com');
    const api = pod(find(internal.r, 'Deployment', 'api'));
    const c = api.containers[0];
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/health/live', '/health/ready']);
    expect([c.startupProbe.failureThreshold, c.startupProbe.periodSeconds]).toEqual([30, 5]);
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    const workerProbes = (n: string) => {
      const w = pod(find(internal.r, 'Deployment', n)).containers[0];
      return [w.ports[0].containerPort, w.livenessProbe.httpGet.path, w.readinessProbe.httpGet.path];
    };
    expect(workerProbes('worker-collections')).toEqual([8080, '/healthz', '/readyz']);
    expect(workerProbes('worker-datasets')).toEqual([8080, '/healthz', '/readyz']);
    expect(workerProbes('worker-visualizations-py')).toEqual([8081, '/health/live', '/health/ready']);
    const viz = pod(find(internal.r, 'Deployment', 'worker-visualizations-py'));
    expect(viz.terminationGracePeriodSeconds).toBe(300);
    expect(viz.containers[0].volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
  });

  test('the GPU inference APIs: models at /models (50Gi, 100Gi), HF_HOME, startup 30x10, uid 1000, the TensorRT cache claim and the LLM Hugging Face cache', () => {
    const claim = (n: string) => find(internal.r, 'PersistentVolumeClaim', n).spec.resources.requests.storage;
    expect(claim('embedding-inference-api-models')).toBe('50Gi');
    expect(claim('llm-inference-api-models')).toBe('100Gi');
    expect(claim('embedding-inference-api-tensorrt-cache')).toBe('10Gi');
    for (const [n, port] of [['embedding-inference-api', 8090], ['llm-inference-api', 8091]] as const) {
      const p = pod(find(internal.r, 'Deployment', n));
      const c = p.containers[0];
      expect(c.ports[0].containerPort).toBe(port);
      expect(envOf(c).HF_HOME).toBe('/models');
      expect(c.volumeMounts).toContainEqual({ name: 'models', mountPath: '/models' });
      expect([c.startupProbe.failureThreshold, c.startupProbe.periodSeconds]).toEqual([30, 10]);
      expect(p.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(find(internal.r, 'Deployment', n).spec.strategy).toEqual({ type: 'Recreate' });
    }
    expect(pod(find(internal.r, 'Deployment', 'llm-inference-api')).volumes).toContainEqual({ name: 'hf-cache', emptyDir: { sizeLimit: '1Gi' } });
  });
});

describe('Grafana with a namespace-scoped dashboard sidecar', () => {
  test.each(BOTH)('%s: Grafana reads Prometheus, its sidecar watches grafana_dashboard=1 ConfigMaps in its own namespace only', (_n, r) => {
    const spec = pod(find(r, 'Deployment', 'grafana'));
    const ds = find(r, 'ConfigMap', 'grafana-datasources').data['datasources.yaml'];
    const prometheus = find(r, 'Service', 'prometheus');
    expect(ds).toContain(`url: http://${prometheus.metadata.name}:${prometheus.spec.ports[0].port}`);
    expect(ds).toContain('type: prometheus');
    const sidecar = spec.containers.find((c: Obj) => c.name === 'dashboards');
    const e = Object.fromEntries(sidecar.env.map((v: Obj) => [v.name, v.value ?? v.valueFrom]));
    expect([e.LABEL, e.LABEL_VALUE, e.METHOD, e.RESOURCE]).toEqual(['grafana_dashboard', '1', 'WATCH', 'configmap']);
    expect(e.NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(sidecar.image).toMatch(/^kiwigrid\/k8s-sidecar:\d+\.\d+\.\d+$/);
    expect(sidecar.resources.limits).toBeDefined();
    expect(spec.securityContext.runAsNonRoot).toBe(true);
  });

  test.each(BOTH)('%s: the Role allows exactly get/list/watch on configmaps, bound to the account the Grafana pod runs as', (_n, r) => {
    const spec = pod(find(r, 'Deployment', 'grafana'));
    expect(spec.automountServiceAccountToken).toBe(true);
    const binding = find(r, 'RoleBinding', spec.serviceAccountName);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: spec.serviceAccountName, namespace: r.namespace }]);
    expect(find(r, 'Role', binding.roleRef.name).rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
  });

  test.each(BOTH)("%s: Grafana's API-server egress is in the wiring graph, so the default deny lets the sidecar through", (_n, r) => {
    const egress = find(r, 'NetworkPolicy', 'grafana').spec.egress as Obj[];
    expect(egress.some((rule) => rule.ports?.some((p: Obj) => p.port === 6443))).toBe(true);
    expect(egress.some((rule) => rule.ports?.some((p: Obj) => p.port === 9090))).toBe(true);
  });
});

describe('the fifteen failures of the real chart cannot happen', () => {
  test.each(BOTH)('failure 1 (%s): every dependency wait the document lists is rendered as an init container', (_n, r) => {
    const waits = (n: string) => (pod(find(r, 'Deployment', n)).initContainers ?? []).map((c: Obj) => c.name).sort();
    const infra = r === internal.r ? 'semantic-explorer-internal-' : '';
    const nats = `wait-for-${infra}nats`;
    const qdrant = `wait-for-${infra ? `${infra}qdrant` : 'qdrant'}`;
    const minio = infra ? [`wait-for-${infra}minio`] : [];
    expect(waits('api')).toEqual(['wait-for-embedding-inference-api', 'wait-for-llm-inference-api', nats, 'wait-for-postgres', qdrant].sort());
    expect(waits('worker-collections')).toEqual([...minio, nats].sort());
    expect(waits('worker-datasets')).toEqual(['wait-for-embedding-inference-api', nats, qdrant].sort());
    expect(waits('worker-visualizations-py')).toEqual([...minio, nats, qdrant].sort());
    // Each wait dials the host and port the container's env names.
    const api = pod(find(r, 'Deployment', 'api'));
    const e = envOf(api.containers[0]);
    const embedding = new URL(e.EMBEDDING_INFERENCE_API_URL);
    expect(api.initContainers.find((c: Obj) => c.name === 'wait-for-embedding-inference-api').args[0]).toContain(`nc -z -w 2 ${embedding.hostname} ${embedding.port}`);
    const natsUrl = new URL(e.NATS_URL);
    expect(api.initContainers.find((c: Obj) => c.name === nats).args[0]).toContain(`${natsUrl.hostname} ${natsUrl.port}`);
  });

  test.each(BOTH)('failure 2 (%s): the GPU inference pods get the GPU node selector, the toleration and one GPU', (_n, r) => {
    for (const n of INFERENCE) {
      const p = pod(find(r, 'Deployment', n));
      expect(p.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
      expect(p.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
      expect(p.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
    }
  });

  test('failure 2: a custom GPU pool and runtime class reach both inference pods, and only them', () => {
    const { r } = renderWith({ gpu: { nodeSelector: { pool: 'l4' }, tolerations: [{ key: 'pool', operator: 'Equal', value: 'l4', effect: 'NoSchedule' }], runtimeClassName: 'nvidia' } });
    for (const n of INFERENCE) {
      const p = pod(find(r, 'Deployment', n));
      expect(p.nodeSelector).toEqual({ pool: 'l4' });
      expect(p.runtimeClassName).toBe('nvidia');
    }
    expect(pod(find(r, 'Deployment', 'api')).nodeSelector ?? {}).toEqual({});
    expect(pod(find(r, 'Deployment', 'api')).runtimeClassName).toBeUndefined();
  });

  test('failure 3: the managed Postgres gets a postgres-exporter Deployment whose connection is in the graph', () => {
    const exporter = find(external.r, 'Deployment', 'semantic-explorer-postgres-exporter');
    expect(exporter).toBeDefined();
    expect(pod(exporter).containers[0].image).toMatch(/postgres-exporter:v\d/);
    expect(external.r.connections.some((c) => c.to.type === 'external' && c.to.host === 'pg.data.example.internal' &&
      c.from.type === 'workload' && selects(c.from.selector, podLabels(exporter)))).toBe(true);
  });

  test('failure 3: the in-cluster Postgres renders its postgres-exporter, logged in as its own role', () => {
    const pg = pod(find(internal.r, 'StatefulSet', 'semantic-explorer-internal-postgres'));
    const exporter = pg.containers.find((c: Obj) => c.name === 'exporter');
    expect(exporter).toBeDefined();
    expect(exporter.image).toMatch(/postgres-exporter:v\d/);
    expect(exporter.ports).toContainEqual({ name: 'metrics', containerPort: 9187 });
  });

  test.each(BOTH)('failure 4 (%s): every env URL names a rendered Service or a declared external endpoint', (_n, r) => {
    const services = new Set(objs(r).filter((o) => o.kind === 'Service').map((s) => s.metadata.name));
    const externals = new Set(r.connections.flatMap((c) => (c.to.type === 'external' ? [c.to.host] : [])));
    // A public host counts when an Ingress of the release serves it from a rendered Service (the OIDC issuer).
    for (const i of objs(r).filter((o) => o.kind === 'Ingress')) {
      for (const rule of i.spec.rules) if (rule.http.paths.every((p: Obj) => services.has(p.backend.service.name))) externals.add(rule.host);
    }
    const urls: string[] = [];
    for (const w of workloads(r)) {
      for (const c of [...(pod(w).initContainers ?? []), ...pod(w).containers]) {
        for (const [k, v] of Object.entries(envOf(c))) {
          if (typeof v !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//.test(v)) continue;
          urls.push(k);
          const host = new URL(v).hostname;
          const service = host.endsWith(`.${r.namespace}.svc`) || host.endsWith(`.${r.namespace}.svc.cluster.local`) ? host.split('.')[0] : undefined;
          if (service !== undefined) expect(`${k}=${v} names Service ${service}: ${services.has(service)}`).toBe(`${k}=${v} names Service ${service}: true`);
          else expect(`${k}=${v} is declared: ${externals.has(host)}`).toBe(`${k}=${v} is declared: true`);
        }
      }
    }
    // The four the chart got wrong are among them.
    expect(urls).toEqual(expect.arrayContaining(['QDRANT_URL', 'AWS_ENDPOINT_URL', 'VALKEY_READ_URL', 'QW_S3_ENDPOINT']));
    expect(addressesWithoutConnection(r)).toEqual([]);
  });

  test('failure 4: VALKEY_READ_URL names the read replicas\' Service in-cluster, and the reader endpoint outside', () => {
    expect(new URL(env(internal.r, 'api').VALKEY_READ_URL).hostname).toBe('semantic-explorer-internal-valkey-read.semantic-explorer-internal.svc');
    const read = find(internal.r, 'Service', 'semantic-explorer-internal-valkey-read').spec.selector;
    expect(selects(read, podLabels(find(internal.r, 'StatefulSet', 'semantic-explorer-internal-valkey-replica')))).toBe(true);
    expect(new URL(env(external.r, 'api').VALKEY_READ_URL).hostname).toBe('reader.cache.data.example.internal');
  });

  test.each(BOTH)('failure 5 (%s): the inference APIs\' NetworkPolicies admit the pods that call them, by labels those pods carry', (_n, r) => {
    const policies = objs(r).filter((o) => o.kind === 'NetworkPolicy');
    const admits = (target: string, client: string, port: number) => {
      const labels = podLabels(find(r, 'Deployment', client));
      const targetLabels = podLabels(find(r, 'Deployment', target));
      return policies.some((p) => selects(p.spec.podSelector.matchLabels ?? {}, targetLabels) && (p.spec.ingress ?? []).some((rule: Obj) =>
        (rule.from ?? []).some((f: Obj) => f.podSelector && !f.namespaceSelector && selects(f.podSelector.matchLabels ?? {}, labels)) &&
        (rule.ports ?? []).some((x: Obj) => x.port === port)));
    };
    expect(admits('embedding-inference-api', 'api', 8090)).toBe(true);
    expect(admits('llm-inference-api', 'api', 8091)).toBe(true);
    expect(admits('embedding-inference-api', 'worker-datasets', 8090)).toBe(true);
    expect(admits('llm-inference-api', 'worker-visualizations-py', 8091)).toBe(true);
    expect(admits('embedding-inference-api', 'worker-collections', 8090)).toBe(false);
    // No policy's pod selector (own or peer, in the namespace) names labels no pod carries.
    const allLabels = workloads(r).map(podLabels);
    for (const p of policies) {
      const peers = (p.spec.ingress ?? []).flatMap((x: Obj) => (x.from ?? []).filter((f: Obj) => f.podSelector && !f.namespaceSelector));
      const sels = [p.spec.podSelector, ...peers.map((f: Obj) => f.podSelector)];
      for (const s of sels) {
        const m = s.matchLabels ?? {};
        if (Object.keys(m).length) expect(`${p.metadata.name} ${JSON.stringify(m)}: ${allLabels.some((l) => selects(m, l))}`).toBe(`${p.metadata.name} ${JSON.stringify(m)}: true`);
      }
    }
  });

  test.each(BOTH)('failure 6 (%s): every anti-affinity and spread selector matches the pods of its own workload', (_n, r) => {
    let checked = 0;
    for (const w of workloads(r)) {
      const spec = pod(w);
      const terms = [
        ...(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => t.podAffinityTerm),
        ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ...(spec.topologySpreadConstraints ?? []),
      ];
      for (const t of terms) {
        checked++;
        expect(`${w.metadata.name}: ${selects(t.labelSelector.matchLabels, podLabels(w))}`).toBe(`${w.metadata.name}: true`);
      }
    }
    // The API and the three workers are spread over nodes.
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  test.each(BOTH)('failure 7 (%s): every RoleBinding names a ServiceAccount that a pod of the release runs as', (_n, r) => {
    const used = new Set(workloads(r).map((w) => pod(w).serviceAccountName).filter(Boolean));
    for (const b of objs(r).filter((o) => o.kind === 'RoleBinding')) {
      for (const s of b.subjects) {
        expect(s.kind).toBe('ServiceAccount');
        expect(`${b.metadata.name} -> ${s.name}: ${used.has(s.name)}`).toBe(`${b.metadata.name} -> ${s.name}: true`);
      }
    }
    expect(objs(r).some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
  });

  test.each(BOTH)('failure 8 (%s): every StatefulSet\'s serviceName is a headless Service of the release selecting its pods', (_n, r) => {
    const sets = objs(r).filter((o) => o.kind === 'StatefulSet');
    expect(sets.length).toBeGreaterThan(0);
    for (const s of sets) {
      const svc = find(r, 'Service', s.spec.serviceName);
      expect(svc).toBeDefined();
      expect(svc.spec.clusterIP).toBe('None');
      expect(selects(svc.spec.selector, podLabels(s))).toBe(true);
    }
    // The application's workers are Deployments: no StatefulSet of theirs can name a missing Service.
    for (const n of APP_SERVICES) expect(find(r, 'Deployment', n)).toBeDefined();
  });

  test.each(BOTH)('failure 9 (%s): no object of a kind whose CRD is not in the cluster (no ServiceMonitor without the Prometheus Operator)', (_n, r) => {
    const builtIn = /^(v1|apps\/v1|batch\/v1|policy\/v1|autoscaling\/v2|networking\.k8s\.io\/v1|rbac\.authorization\.k8s\.io\/v1)$/;
    expect(objs(r).filter((o) => !builtIn.test(o.apiVersion)).map((o) => `${o.apiVersion} ${o.kind}`)).toEqual([]);
  });

  test.each(BOTH)('failure 10 (%s): no Secret is generated; every credential is a reference to an operator-created Secret, and two renders are byte-identical', (_n, r) => {
    expect(objs(r).filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const n of APP_SERVICES.filter((x) => !INFERENCE.includes(x))) {
      const e = env(r, n);
      expect(e.ENCRYPTION_MASTER_KEY).toEqual({ secretKeyRef: { name: SEMANTIC_EXPLORER_SECRETS.encryption, key: 'master-key' } });
    }
    expect(env(r, 'api').OIDC_CLIENT_SECRET).toEqual({ secretKeyRef: { name: SEMANTIC_EXPLORER_SECRETS.oidcClient, key: 'client-secret' } });
    const again = render(r === internal.r ? SemanticExplorerInfra.INTERNAL : SemanticExplorerInfra.EXTERNAL).r;
    expect(JSON.stringify(again.objects)).toBe(JSON.stringify(r.objects));
  });

  test.each(BOTH)('failure 11 (%s): OIDC_ISSUER_URL is the issuer Dex serves, and the client secret Dex checks is the one the API sends', (_n, r) => {
    const dexName = `${r.name}-dex`;
    const config = require('yaml').parse(find(r, 'ConfigMap', `${dexName}-config`).data['config.yaml']);
    const e = env(r, 'api');
    expect(e.OIDC_ISSUER_URL).toBe(config.issuer);
    expect(e.OIDC_ISSUER_URL).not.toBe('');
    const client = config.staticClients.find((c: Obj) => c.id === e.OIDC_CLIENT_ID);
    expect(client).toBeDefined();
    const dexEnv = envOf(pod(find(r, 'Deployment', dexName)).containers[0]);
    expect(dexEnv[client.secretEnv]).toEqual(e.OIDC_CLIENT_SECRET);
    // Dex is reachable on the issuer's host through its Ingress, and the API's NetworkPolicy lets it reach that host:
    // the public address leads to the ingress controller's pods, on 443.
    expect(find(r, 'Ingress', dexName).spec.rules[0].host).toBe(new URL(config.issuer).hostname);
    const apiPolicy = find(r, 'NetworkPolicy', 'api');
    expect(apiPolicy.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } } }],
      ports: [{ port: 443, protocol: 'TCP' }],
    });
    expect(r.connections.some((c) => c.to.type === 'external' && c.to.host === new URL(e.OIDC_ISSUER_URL).hostname)).toBe(true);
  });

  test.each(BOTH)('failure 12 (%s): every image is pinned (no :latest) and pulled IfNotPresent', (_n, r) => {
    for (const w of workloads(r)) {
      for (const c of [...(pod(w).initContainers ?? []), ...pod(w).containers]) {
        expect(c.image).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$|@sha256:/);
        expect(c.image).not.toMatch(/:latest$/);
        expect(c.imagePullPolicy ?? 'IfNotPresent').toBe('IfNotPresent');
      }
    }
    expect(pod(find(r, 'Deployment', 'api')).containers[0].image).toBe('jofish89/semantic-explorer:0.4.1');
  });

  test('failure 12: fails when an application tag is latest or missing (there is no default)', () => {
    expect(() => renderWith({ images: { tag: 'latest', inferenceTag: '0.4.1-cuda12-sm89' } })).toThrow(
      "'images.tag' is \"latest\", but latest moves under running pods: two replicas can run different code, and a rollback restores nothing; allowed: a release tag such as 0.4.1");
    expect(() => renderWith({ images: { tag: '0.4.1', inferenceTag: 'latest' } })).toThrow(/'images.inferenceTag' is "latest", but latest moves under running pods/);
    expect(() => renderWith({ images: { tag: '0.4.1' } as never })).toThrow(
      "'images.inferenceTag' is undefined, but every image is pinned; there is no default tag; allowed: a release tag such as 0.4.1-cuda12-sm89");
  });

  test('failure 13: one bucket Job creates semantic-explorer-files and quickwit, once', () => {
    const jobs = objs(internal.r).filter((o) => o.kind === 'Job');
    expect(jobs).toHaveLength(1);
    const script = JSON.stringify(pod(jobs[0]).containers.map((c: Obj) => [c.command, c.args]));
    expect(script).toContain('semantic-explorer-files');
    expect(script).toContain('quickwit');
    expect(objs(external.r).filter((o) => o.kind === 'Job')).toEqual([]);
  });

  test('failure 14: Valkey with its defaults renders and verifies; VALKEY_READ_URL then names the primary, a Service that exists', () => {
    const { r } = renderWith({}, (release) => new ValkeyServer(release, 'Valkey', { auth: ValkeyAuth.password({ name: 'valkey', key: 'password' }) }));
    const [report] = verifyReleases([{ name: r.name, objects: r.objects, connections: r.connections, networkPolicy: r.networkPolicy }]);
    expect(report.violations).toEqual([]);
    const e = env(r, 'api');
    expect(e.VALKEY_READ_URL).toBe(e.VALKEY_URL);
    expect(find(r, 'Service', new URL(e.VALKEY_URL).hostname.split('.')[0])).toBeDefined();
  });

  test('failure 15: the API\'s grace period is the typed prop (45 s by default), and a changed value renders', () => {
    expect(pod(find(internal.r, 'Deployment', 'api')).terminationGracePeriodSeconds).toBe(45);
    const { r } = renderWith({ api: { ingress: { hosts: ['se.example.com'] }, terminationGracePeriod: Duration.seconds(90) } });
    expect(pod(find(r, 'Deployment', 'api')).terminationGracePeriodSeconds).toBe(90);
  });

  test('failure 15: fails when the grace period does not outlast the 5 s preStop sleep', () => {
    expect(() => renderWith({ api: { ingress: { hosts: ['se.example.com'] }, terminationGracePeriod: Duration.seconds(5) } })).toThrow(
      "'api.terminationGracePeriod' is \"5s\", but SIGKILL comes that long after the pod starts stopping, preStop included: the API would never see SIGTERM; " +
        'allowed: more than the 5s preStop sleep (45s leaves in-flight requests 40s)');
  });
});

describe('the env contract comes from the connections', () => {
  test.each(BOTH)('%s: every application container gets its keys from a connection (NATS_REPLICAS is the cluster size, QDRANT_URL is gRPC)', (_n, r) => {
    const api = env(r, 'api');
    for (const k of ['DATABASE_URL', 'NATS_URL', 'NATS_REPLICAS', 'QDRANT_URL', 'VALKEY_URL', 'VALKEY_READ_URL', 'VALKEY_PASSWORD', 'OIDC_ISSUER_URL', 'OIDC_CLIENT_ID',
      'OIDC_CLIENT_SECRET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL', 'S3_BUCKET_NAME', 'ENCRYPTION_MASTER_KEY', 'EMBEDDING_INFERENCE_API_URL',
      'LLM_INFERENCE_API_URL']) {
      expect([k, api[k] !== undefined]).toEqual([k, true]);
    }
    expect(api.NATS_REPLICAS).toBe('3');
    expect(new URL(api.QDRANT_URL).port).toBe('6334');
    expect(api.EMBEDDING_INFERENCE_API_TIMEOUT_SECS).toBe('120');
    expect(api.LLM_INFERENCE_API_TIMEOUT_SECS).toBe('120');
    expect(api.S3_BUCKET_NAME).toBe('semantic-explorer-files');
    expect(api.DATABASE_URL).toEqual({ secretKeyRef: { name: SEMANTIC_EXPLORER_SECRETS.database, key: 'url' } });
    expect(env(r, 'worker-datasets').EMBEDDING_INFERENCE_API_URL).toBe(api.EMBEDDING_INFERENCE_API_URL);
    expect(env(r, 'worker-visualizations-py').LLM_INFERENCE_API_URL).toBe(api.LLM_INFERENCE_API_URL);
    // Every service, the inference APIs included, exports OTLP to the release's collector Service (a Deployment).
    for (const n of APP_SERVICES) {
      const otlp = new URL(env(r, n).OTEL_EXPORTER_OTLP_ENDPOINT as string);
      expect(find(r, 'Service', otlp.hostname.split('.')[0]).spec.ports.map((p: Obj) => p.port)).toContain(Number(otlp.port));
      expect(find(r, 'Deployment', otlp.hostname.split('.')[0])).toBeDefined();
    }
    // Each key an application container reads from a connection is owned by it: the same value wherever it is set.
    for (const n of ['worker-collections', 'worker-datasets', 'worker-visualizations-py']) expect(env(r, n).NATS_URL).toBe(api.NATS_URL);
  });

  test('fails when an application env override names a key a connection owns', () => {
    expect(() => renderWith({ api: { ingress: { hosts: ['se.example.com'] }, env: { QDRANT_URL: 'http://qdrant:6334' } } })).toThrow(/QDRANT_URL/);
  });

  test('fails when the OIDC issuer\'s connection does not set OIDC_*', () => {
    const silent: IConnectable = { connect: () => undefined };
    expect(() => renderWith({ oidc: silent })).toThrow(
      "'oidc' is [\"OIDC_ISSUER_URL\",\"OIDC_CLIENT_ID\",\"OIDC_CLIENT_SECRET\"], but the API would start with OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET unset and reject every login; " +
        "allowed: an issuer whose connect sets OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (Dex's does)");
  });

  test('fails when the encryption key is missing, or the storage is not an S3 bucket', () => {
    expect(() => renderWith({ encryptionKey: undefined as never })).toThrow(/'encryptionKey' is undefined/);
    expect(() => renderWith({ infrastructure: { storage: 'bucket' as never } })).toThrow(/'infrastructure.storage' is "bucket"; allowed: ObjectStorage.minio\(\{...\}\) or ObjectStorage.s3\(\{...\}\)/);
  });
});

describe('upgrade', () => {
  test('the upgrade checker passes semantic-explorer -> semantic-explorer-internal for the application services', () => {
    // The same release moved from managed data services to in-cluster ones, in place (same name and namespace).
    const before = render(SemanticExplorerInfra.EXTERNAL, 'semantic-explorer', 'semantic-explorer').r;
    const after = render(SemanticExplorerInfra.INTERNAL, 'semantic-explorer', 'semantic-explorer').r;
    const app = (r: RenderedRelease) => objs(r).filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] === 'semantic-explorer');
    const ids = (r: RenderedRelease) => app(r).map((o) => `${o.kind}/${o.metadata.name}`).sort();
    // Non-vacuous: the same application objects on both sides, and their pods' env does change.
    expect(ids(before)).toEqual(ids(after));
    expect(ids(before)).toEqual(expect.arrayContaining(APP_SERVICES.map((n) => `Deployment/${n}`)));
    expect(JSON.stringify(app(before))).not.toBe(JSON.stringify(app(after)));
    const report = checkUpgrade(app(before) as never, app(after) as never);
    expect(report.breaking).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

/** A SemanticExplorer in a release of its own with in-cluster services and Dex, with `overrides` on top. */
function renderWith(overrides: Partial<Omit<SemanticExplorerProps, 'infrastructure'>> & { infrastructure?: Partial<SemanticExplorerProps['infrastructure']> }, cache?: (r: Release) => ValkeyServer): { se: SemanticExplorer; r: RenderedRelease } {
  const release = newRelease({ name: 'se', namespace: 'se' });
  const postgres = new PostgresServer(release, 'Postgres', { superuser: { password: { name: 'pg', key: 'password' }, url: { name: 'pg', key: 'url' } } });
  const nats = new NatsServer(release, 'Nats', { cluster: { replicas: 3 }, auth: NatsAuth.token({ name: 'nats', key: 'token' }) });
  const qdrant = new QdrantServer(release, 'Qdrant', { auth: QdrantAuth.apiKey({ name: 'qdrant', key: 'api-key' }) });
  const minio = new MinioServer(release, 'Minio', { rootCredentials: { secretName: 'minio-root' } });
  const storage = ObjectStorage.minio({ bucket: minio.addBucket('files'), auth: minio.rootKeys() });
  const valkey = cache ? cache(release) : new ValkeyServer(release, 'Valkey', { auth: ValkeyAuth.password({ name: 'valkey', key: 'password' }), readReplicas: 1 });
  const dex = new Dex(release, 'Dex', {
    issuer: 'https://auth.se.example.com',
    connectors: [DexConnector.github({ clientId: { name: 'gh', key: 'id' }, clientSecret: { name: 'gh', key: 'secret' } })],
    staticClients: [{ id: 'se', secret: { name: 'oidc', key: 'secret' }, redirectUris: ['https://se.example.com/auth/callback'] }],
  });
  const se = new SemanticExplorer(release, 'SemanticExplorer', {
    images: { tag: '0.4.1', inferenceTag: '0.4.1-cuda12-sm89' },
    oidc: dex.client('se'),
    encryptionKey: { name: 'encryption', key: 'key' },
    api: { ingress: { hosts: ['se.example.com'] } },
    ...overrides,
    infrastructure: { postgres, nats, qdrant, storage, cache: valkey, ...(overrides.infrastructure ?? {}) },
  } as SemanticExplorerProps);
  return { se, r: renderRelease(release) };
}

test('defaults: the application objects match the reviewed snapshot (a record; the behaviour is asserted above)', () => {
  const { r } = renderWith({});
  const app = objs(r).filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] === 'semantic-explorer');
  expect(app.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    ...APP_SERVICES.map((n) => `Deployment/${n}`),
    'HorizontalPodAutoscaler/api', 'HorizontalPodAutoscaler/worker-collections', 'HorizontalPodAutoscaler/worker-datasets', 'HorizontalPodAutoscaler/worker-visualizations-py',
    'Ingress/api', 'PersistentVolumeClaim/embedding-inference-api-models', 'PersistentVolumeClaim/llm-inference-api-models',
    'PodDisruptionBudget/api', 'PodDisruptionBudget/worker-collections', 'PodDisruptionBudget/worker-datasets', 'PodDisruptionBudget/worker-visualizations-py',
    'Service/api', 'Service/embedding-inference-api', 'Service/llm-inference-api',
  ].sort());
  expect(app).toMatchSnapshot();
});

test('the in-cluster Qdrant can run the GPU image variant (an option of the component)', () => {
  const release = newRelease();
  new QdrantServer(release, 'Qdrant', { replicas: 3, auth: QdrantAuth.apiKey({ name: 'q', key: 'k' }), gpu: {} });
  const t = Template.fromRelease(release);
  const s = t.find('StatefulSet');
  expect(s.spec.template.spec.containers[0].image).toMatch(/gpu-nvidia/);
  expect(s.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
});
