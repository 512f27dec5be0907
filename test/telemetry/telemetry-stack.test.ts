import { ExternalPeer, HostForm, NodeSelection } from '../../lib/core';
import { ApiObject, App, Duration, Size } from 'cdk8s';
import { configChecksum } from '../../lib/core/checksum';
import { ImageRef } from '../../lib/core/images';
import {
  checkCollectorConfig,
  CloudAuth,
  DcgmExporterSource,
  FsGroup,
  NodeExporterSource,
  OtlpProtocol,
  TelemetryMode,
  TelemetryStack,
} from '../../lib/telemetry';
import { envOf, podSpecOf } from '../support';
import { Release } from '../../lib/release';
import { collectorYaml, find, kindsAndNames, podTarget, prometheusYaml, relabel, render, SELF_HOSTED as SELF_HOSTED_MODE, workloads } from './helpers';

const SELF_HOSTED_OBJECTS = [
  'ConfigMap/grafana-datasources',
  'ConfigMap/otel-collector-config',
  'ConfigMap/prometheus-config',
  'DaemonSet/dcgm-exporter',
  'DaemonSet/node-exporter',
  'DaemonSet/otel-collector',
  'Deployment/grafana',
  'Deployment/jaeger',
  'Deployment/prometheus',
  'PersistentVolumeClaim/grafana-data',
  'PersistentVolumeClaim/jaeger-data',
  'PersistentVolumeClaim/prometheus-data',
  'Role/otel-collector',
  'Role/prometheus',
  'RoleBinding/otel-collector',
  'RoleBinding/prometheus',
  'Service/dcgm-exporter',
  'Service/grafana',
  'Service/jaeger',
  'Service/node-exporter',
  'Service/otel-collector',
  'Service/prometheus',
  'ServiceAccount/otel-collector',
  'ServiceAccount/prometheus',
];

const CLOUD = TelemetryMode.cloud({
  endpoint: 'https://otlp-gateway.example.net/otlp',
  auth: CloudAuth.basic({ secretName: 'otel-cloud', usernameKey: 'instance-id', passwordKey: 'token' }),
  peer: ExternalPeer.anywhere({ reason: 'the SaaS endpoint, whose addresses change' }),
});

const podSpec = podSpecOf;
const env = envOf;

describe('TelemetryStack defaults (self-hosted)', () => {
  const { stack, objects, out } = render();

  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('renders exactly the self-hosted object set', () => {
    expect(kindsAndNames(objects)).toEqual(SELF_HOSTED_OBJECTS);
  });

  test('every pod-running workload gets its NetworkPolicy, next to the default deny; host-network node-exporter none', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name).sort();
    expect(policies).toEqual(['dcgm-exporter', 'grafana', 'jaeger', 'otel-collector', 'prometheus', 'r-default-deny']);
  });

  test('collector, dcgm-exporter and node-exporter Services are node-local; the UI Services are not', () => {
    for (const name of ['otel-collector', 'dcgm-exporter', 'node-exporter']) {
      const svc = find(objects, 'Service', name);
      expect(svc.spec.internalTrafficPolicy).toBe('Local');
      expect(svc.spec.type).toBe('ClusterIP');
    }
    for (const name of ['prometheus', 'grafana', 'jaeger']) expect(find(objects, 'Service', name).spec.internalTrafficPolicy).toBeUndefined();
  });

  test('every Service selects a workload and targets a port its container declares', () => {
    for (const svc of objects.filter((o) => o.kind === 'Service') as any[]) {
      const w = workloads(objects).find((x) => JSON.stringify(x.spec.selector.matchLabels) === JSON.stringify(svc.spec.selector));
      expect(w).toBeDefined();
      const declared = podSpec(w!).containers.flatMap((c: any) => c.ports.map((p: any) => p.name));
      for (const p of svc.spec.ports) expect(declared).toContain(p.targetPort);
    }
  });

  test('every probe targets a port its container declares', () => {
    for (const w of workloads(objects)) {
      for (const c of podSpec(w).containers) {
        const names = c.ports.map((p: any) => p.name);
        for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean)) expect(names).toContain(probe.httpGet.port);
        expect(c.readinessProbe).toBeDefined();
        expect(c.livenessProbe).toBeDefined();
      }
    }
  });

  test('every pod that mounts generated config carries the checksum of exactly that config', () => {
    let checked = 0;
    for (const w of workloads(objects)) {
      const cms = (podSpec(w).volumes ?? []).filter((v: any) => v.configMap).map((v: any) => find(objects, 'ConfigMap', v.configMap.name));
      if (cms.length === 0) continue;
      expect(w.spec.template.metadata.annotations['checksum/config']).toBe(configChecksum(...cms.map((c: any) => c.data)));
      checked++;
    }
    expect(checked).toBe(3);
  });

  test('every telemetry pod template carries checksum/config; members configured by env and args (Jaeger, the exporters) hash those', () => {
    for (const mode of [SELF_HOSTED_MODE, CLOUD]) {
      const all = workloads(render({ mode }).objects);
      expect(all.length).toBeGreaterThanOrEqual(3);
      for (const w of all) expect(w.spec.template.metadata.annotations?.['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    }
    const jaeger = find(objects, 'Deployment', 'jaeger');
    const c = podSpec(jaeger).containers[0];
    expect(jaeger.spec.template.metadata.annotations['checksum/config']).toBe(configChecksum({ args: c.args, env: c.env }));
    // A change that lives only in Jaeger's env (its retention) changes the checksum; so does one in the exporters' env.
    const changed = (props: Parameters<typeof render>[0], kind: string, name: string) =>
      find(render(props).objects, kind, name).spec.template.metadata.annotations['checksum/config'];
    expect(changed({ jaeger: { retention: Duration.hours(24) } }, 'Deployment', 'jaeger')).not.toBe(jaeger.spec.template.metadata.annotations['checksum/config']);
    const dcgm = find(objects, 'DaemonSet', 'dcgm-exporter').spec.template.metadata.annotations['checksum/config'];
    expect(changed({ dcgmExporter: DcgmExporterSource.bundled({ env: { DCGM_EXPORTER_INTERVAL: '10000' } }) }, 'DaemonSet', 'dcgm-exporter')).not.toBe(dcgm);
  });

  test('the collector DaemonSet waits for Prometheus and Jaeger (k8s-wait-for on their Services), with a Role to read them', () => {
    const ds = find(objects, 'DaemonSet', 'otel-collector');
    const init = podSpec(ds).initContainers;
    expect(init.map((c: any) => [c.name, c.image, c.args])).toEqual([
      ['wait-for-jaeger', 'groundnuty/k8s-wait-for:v2.0', ['service', 'jaeger']],
      ['wait-for-prometheus', 'groundnuty/k8s-wait-for:v2.0', ['service', 'prometheus']],
    ]);
    // The waits name the Services the stack renders (their endpoints), not strings.
    expect(stack.collector.wiring.waits.map((w) => w.service)).toEqual([stack.jaeger!.endpoint.name, stack.prometheus!.endpoint.name]);
    expect(podSpec(ds).serviceAccountName).toBe('otel-collector');
    expect(podSpec(ds).automountServiceAccountToken).toBe(true);
    expect(find(objects, 'Role', 'otel-collector').rules.map((r: any) => [r.resources, r.verbs])).toEqual([
      [['services', 'endpoints'], ['get', 'list', 'watch']],
      [['pods'], ['get', 'list', 'watch']],
    ]);
    for (const c of init) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.resources.limits).toBeDefined();
    }
  });

  test('in cloud mode the collector has no backends to wait for: no init containers, no API access', () => {
    const { objects: cloud } = render({ mode: CLOUD });
    const ds = find(cloud, 'DaemonSet', 'otel-collector');
    expect(podSpec(ds).initContainers).toBeUndefined();
    expect(podSpec(ds).serviceAccountName).toBeUndefined();
    expect(cloud.some((o) => o.kind === 'Role' || o.kind === 'ServiceAccount')).toBe(false);
  });

  test('fails when the collector is asked to wait for a Service in another namespace', () => {
    const app = new App();
    const other = new Release(app, 'other', { namespace: 'other' });
    const here = new Release(app, 'here', { namespace: 'ns' });
    const elsewhere = new TelemetryStack(other, 'T', { mode: SELF_HOSTED_MODE });
    const stack = new TelemetryStack(here, 'T', { mode: CLOUD });
    let message = '';
    try {
      stack.collector.waitFor(elsewhere.prometheus!.endpoint);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^'collector.waitFor' is "Service other\/prometheus", but the wait reads Services in its own namespace only; allowed: a Service in the collector's namespace ns$/);
  });

  test('every image is pinned', () => {
    for (const w of workloads(objects)) {
      for (const c of [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers]) expect(ImageRef.parse(c.image).pinned).toBe(true);
    }
  });

  test('Prometheus: one replica, Recreate, its own ServiceAccount with the token mounted, 15d retention, no admin API', () => {
    const d = find(objects, 'Deployment', 'prometheus');
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(podSpec(d).serviceAccountName).toBe('prometheus');
    expect(podSpec(d).automountServiceAccountToken).toBe(true);
    const args: string[] = podSpec(d).containers[0].args;
    expect(args).toContain('--storage.tsdb.retention.time=15d');
    expect(args).not.toContain('--web.enable-admin-api');
    expect(podSpec(d).securityContext.fsGroup).toBe(65534);
    const pvc = find(objects, 'PersistentVolumeClaim', 'prometheus-data');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'retain-sc-telemetry', resources: { requests: { storage: '20Gi' } } });
    expect(podSpec(d).volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'prometheus-data' } });
  });

  test('Prometheus bounds its TSDB at 85% of its 20Gi claim (17Gi), so a full volume cannot crash-loop it', () => {
    const args: string[] = podSpec(find(objects, 'Deployment', 'prometheus')).containers[0].args;
    expect(args).toContain('--storage.tsdb.retention.size=17408MB');
    expect(17408 * 2 ** 20).toBe(0.85 * 20 * 2 ** 30);
  });

  test('Prometheus may only read pods, services and endpoints, in its own namespace', () => {
    expect(find(objects, 'Role', 'prometheus').rules).toEqual([{ apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] }]);
    const rb = find(objects, 'RoleBinding', 'prometheus');
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'prometheus' });
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'ns' }]);
    expect(objects.some((o) => o.kind.startsWith('Cluster'))).toBe(false);
  });

  test('Grafana: anonymous access off, admin from the Secret, root URL /grafana, fsGroup 472', () => {
    const d = find(objects, 'Deployment', 'grafana');
    const e = env(podSpec(d).containers[0]);
    expect(e.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(e.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(e.GF_SECURITY_ADMIN_USER).toEqual({ secretKeyRef: { name: 'grafana-admin', key: 'admin-user' } });
    expect(e.GF_SECURITY_ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: 'grafana-admin', key: 'admin-password' } });
    expect(e.GF_SERVER_ROOT_URL).toBe('/grafana');
    expect(e.GF_SERVER_SERVE_FROM_SUB_PATH).toBe('true');
    expect(podSpec(d).securityContext.fsGroup).toBe(472);
    expect(d.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/grafana-admin');
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
  });

  test("Grafana's root URL stays relative with a public URL; it is absolute only when grafana.rootUrl gives one (seed)", () => {
    const rootUrl = (o: ReturnType<typeof render>['objects']) => env(podSpec(find(o, 'Deployment', 'grafana')).containers[0]).GF_SERVER_ROOT_URL;
    expect(rootUrl(render({ publicUrl: 'https://viz.example.com' }).objects)).toBe('/grafana');
    expect(rootUrl(render({ publicUrl: 'https://viz.example.com', grafana: { rootUrl: 'https://viz.example.com/grafana/' } }).objects)).toBe(
      'https://viz.example.com/grafana/',
    );
  });

  test('Grafana provisions Prometheus and Jaeger datasources at their sub-paths', () => {
    const ds = require('yaml').parse(find(objects, 'ConfigMap', 'grafana-datasources').data['datasources.yaml']);
    expect(ds.datasources.map((d: any) => [d.type, d.url, d.isDefault])).toEqual([
      ['prometheus', 'http://prometheus:9090/prometheus', true],
      ['jaeger', 'http://jaeger:16686/jaeger', false],
    ]);
  });

  test('Jaeger: Badger on the claim, base path /jaeger, fsGroup 10001', () => {
    const d = find(objects, 'Deployment', 'jaeger');
    const e = env(podSpec(d).containers[0]);
    expect(e.SPAN_STORAGE_TYPE).toBe('badger');
    expect(podSpec(d).containers[0].args).toEqual(['--badger.ephemeral=false', '--badger.directory-key=/badger/key', '--badger.directory-value=/badger/data']);
    expect(e.QUERY_BASE_PATH).toBe('/jaeger');
    expect(e.BADGER_SPAN_STORE_TTL).toBe('72h');
    expect(podSpec(d).securityContext.fsGroup).toBe(10001);
    expect(find(objects, 'PersistentVolumeClaim', 'jaeger-data').spec.resources.requests.storage).toBe('10Gi');
  });

  test('the collector exports traces to Jaeger and app metrics on :8889, self metrics on :8888', () => {
    const cfg = collectorYaml(objects);
    expect(checkCollectorConfig(cfg)).toEqual([]);
    expect(cfg.exporters['otlp/jaeger'].endpoint).toBe('jaeger:4317');
    expect(cfg.exporters.prometheus.endpoint).toBe('${env:MY_POD_IP}:8889');
    expect(cfg.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port).toBe(8888);
    expect(Object.keys(cfg.service.pipelines)).toEqual(['traces', 'metrics']);
    const c = podSpec(find(objects, 'DaemonSet', 'otel-collector')).containers[0];
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([4317, 4318, 8889, 8888, 13133]);
    expect(env(c).MY_POD_IP).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    expect(env(c).GOMEMLIMIT).toBe('409MiB');
  });

  test('Prometheus scrapes dcgm-exporter, node-exporter and both collector ports per pod, in the release namespace', () => {
    const cfg = prometheusYaml(objects);
    expect(cfg.scrape_configs.map((j: any) => j.job_name)).toEqual(['prometheus', 'dcgm-exporter', 'node-exporter', 'otel-collector', 'otel-collector-self']);
    for (const job of cfg.scrape_configs.slice(1)) {
      expect(job.kubernetes_sd_configs).toHaveLength(1);
      expect(job.kubernetes_sd_configs[0].role).toBe('pod');
      expect(job.kubernetes_sd_configs[0].namespaces).toEqual({ names: ['ns'] });
      expect(job.static_configs).toBeUndefined();
    }
    expect(cfg.scrape_configs[0]).toEqual({ job_name: 'prometheus', metrics_path: '/prometheus/metrics', static_configs: [{ targets: ['localhost:9090'] }] });
  });

  test('every DaemonSet pod becomes its own target with a node label; other pods, ports and phases do not', () => {
    const cfg = prometheusYaml(objects);
    const job = (name: string) => cfg.scrape_configs.find((j: any) => j.job_name === name).relabel_configs;
    const dcgmLabels = find(objects, 'DaemonSet', 'dcgm-exporter').spec.template.metadata.labels;
    const pods = [
      podTarget({ name: 'dcgm-a', node: 'gpu-1', ip: '10.0.1.5', port: 9400, labels: dcgmLabels }),
      podTarget({ name: 'dcgm-b', node: 'gpu-2', ip: '10.0.2.5', port: 9400, labels: dcgmLabels }),
      podTarget({ name: 'dcgm-c', node: 'gpu-3', ip: 'fd00::7', port: 9400, labels: dcgmLabels }),
    ];
    const targets = pods.map((p) => relabel(job('dcgm-exporter'), p));
    expect(targets.map((t) => [t?.__address__, t?.node, t?.pod])).toEqual([
      ['10.0.1.5:9400', 'gpu-1', 'dcgm-a'],
      ['10.0.2.5:9400', 'gpu-2', 'dcgm-b'],
      ['[fd00::7]:9400', 'gpu-3', 'dcgm-c'],
    ]);
    // Another release's exporter, a pending pod and another declared port are not targets.
    expect(relabel(job('dcgm-exporter'), podTarget({ name: 'x', node: 'n', ip: '10.0.0.9', port: 9400, labels: { ...dcgmLabels, 'app.kubernetes.io/instance': 'other' } }))).toBeUndefined();
    expect(relabel(job('dcgm-exporter'), podTarget({ name: 'x', node: 'n', ip: '10.0.0.9', port: 9400, labels: dcgmLabels, phase: 'Pending' }))).toBeUndefined();
    expect(relabel(job('dcgm-exporter'), podTarget({ name: 'x', node: 'n', ip: '10.0.0.9', port: 9401, labels: dcgmLabels }))).toBeUndefined();
    // The collector's pods yield one target per job: 8889 for app metrics, 8888 for its own.
    const collectorLabels = find(objects, 'DaemonSet', 'otel-collector').spec.template.metadata.labels;
    const ports = [4317, 4318, 8889, 8888, 13133];
    const app = ports.map((port) => relabel(job('otel-collector'), podTarget({ name: 'c', node: 'gpu-1', ip: '10.0.1.9', port, labels: collectorLabels }))).filter(Boolean);
    const self = ports.map((port) => relabel(job('otel-collector-self'), podTarget({ name: 'c', node: 'gpu-1', ip: '10.0.1.9', port, labels: collectorLabels }))).filter(Boolean);
    expect(app.map((t) => t!.__address__)).toEqual(['10.0.1.9:8889']);
    expect(self.map((t) => t!.__address__)).toEqual(['10.0.1.9:8888']);
  });

  test('routes name the UI Services and ports, one per UI', () => {
    expect(stack.routes.map((r) => [r.ui, r.pathPrefix, r.endpoint.name, r.port, r.endpoint.port(r.port).port, r.stripPrefix])).toEqual([
      ['grafana', '/grafana', 'grafana', 'http', 3000, false],
      ['prometheus', '/prometheus', 'prometheus', 'http', 9090, false],
      ['jaeger', '/jaeger', 'jaeger', 'http-query', 16686, false],
    ]);
    for (const r of stack.routes) expect(find(objects, 'Service', r.endpoint.name).spec.ports.map((p: any) => p.port)).toContain(r.endpoint.port(r.port).port);
    expect(stack.collector.endpoint.url('http', 'otlp-grpc', { form: HostForm.SHORT })).toBe('http://otel-collector:4317');
    expect(stack.collector.endpoint.url('http', 'otlp-http', { form: HostForm.SHORT })).toBe('http://otel-collector:4318');
  });

  test('PVCs are kept by Argo CD (prune, Application deletion) and Helm (uninstall) when persistence is switched off', () => {
    const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim') as any[];
    expect(claims.length).toBeGreaterThan(0);
    for (const pvc of claims) {
      expect(pvc.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' });
    }
  });

  test('the operator note lists the UIs and the prerequisites', () => {
    expect(out.notes.join('\n')).toContain('Secret grafana-admin with keys admin-user and admin-password');
    expect(out.notes.join('\n')).toContain('StorageClass retain-sc-telemetry');
    expect(out.warnings).toEqual([]);
  });

  test('the main child of each member is its workload, so ApiObject.of() patches reach it', () => {
    expect(ApiObject.of(stack.prometheus!)).toBe(stack.prometheus!.deployment);
    expect(ApiObject.of(stack.collector)).toBe(stack.collector.daemonSet);
    const { stack: s } = render();
    ApiObject.of(s.grafana!).metadata.addAnnotation('example.com/owner', 'ops');
    expect((s.grafana!.deployment.toJson() as any).metadata.annotations['example.com/owner']).toBe('ops');
  });
});

describe('split-pool placement', () => {
  // The documented Graphistry topology: the app's CPU singletons on a CPU pool (global selector), the engine on a GPU
  // pool (its own selector), GPU nodes tainted by the NVIDIA GPU Operator, and a dedicated-tenant taint everywhere.
  const tenant = { key: 'dedicated', operator: 'Equal' as const, value: 'graphistry', effect: 'NoSchedule' as const };
  const { objects } = render({}, {
    placement: {
      nodeSelector: { 'graphistry.io/role': 'cpu' },
      tolerations: [tenant],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }] } },
    },
  });
  const engineSelector = { 'graphistry.io/role': 'gpu' };
  const nodes = [
    { name: 'cpu-1', labels: { 'graphistry.io/role': 'cpu' }, taints: [{ key: 'dedicated', value: 'graphistry', effect: 'NoSchedule' }] },
    { name: 'gpu-1', labels: { 'graphistry.io/role': 'gpu', 'nvidia.com/gpu.present': 'true' }, taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }, { key: 'dedicated', value: 'graphistry', effect: 'NoSchedule' }] },
  ];
  const schedulable = (spec: any, node: (typeof nodes)[number]) =>
    Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => (node.labels as Record<string, string>)[k] === v) &&
    node.taints.every((t) =>
      (spec.tolerations ?? []).some((tol: any) => (tol.operator === 'Exists' ? !tol.key || tol.key === t.key : tol.key === t.key && tol.value === t.value) && (!tol.effect || tol.effect === t.effect)),
    );

  test('the collector renders nodeSelector {} with the GPU and broad tolerations plus the global ones', () => {
    const spec = podSpec(find(objects, 'DaemonSet', 'otel-collector'));
    expect(spec.nodeSelector).toEqual({});
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, { operator: 'Exists' }, tenant]);
    expect(spec.affinity).toBeUndefined();
  });

  test('node-exporter renders nodeSelector {} with the broad toleration plus the global ones', () => {
    const spec = podSpec(find(objects, 'DaemonSet', 'node-exporter'));
    expect(spec.nodeSelector).toEqual({});
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }, tenant]);
    expect(spec.affinity).toBeUndefined();
  });

  test('dcgm-exporter stays on GPU nodes', () => {
    const spec = podSpec(find(objects, 'DaemonSet', 'dcgm-exporter'));
    expect(spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }, tenant]);
    // NodeSelection.exactly(...) never takes the release-wide affinity (written for the app's pool).
    expect(spec.affinity).toBeUndefined();
  });

  test('Prometheus, Jaeger and Grafana follow the global selector, tolerations and affinity', () => {
    for (const name of ['prometheus', 'jaeger', 'grafana']) {
      const spec = podSpec(find(objects, 'Deployment', name));
      expect(spec.nodeSelector).toEqual({ 'graphistry.io/role': 'cpu' });
      expect(spec.tolerations).toEqual([tenant]);
      expect(spec.affinity).toBeDefined();
    }
  });

  test('a collector and a node-exporter can land on every node an engine can, and on every other node', () => {
    const gpuNodes = nodes.filter((n) => Object.entries(engineSelector).every(([k, v]) => (n.labels as Record<string, string>)[k] === v));
    expect(gpuNodes.map((n) => n.name)).toEqual(['gpu-1']);
    for (const name of ['otel-collector', 'node-exporter']) {
      const spec = podSpec(find(objects, 'DaemonSet', name));
      expect(nodes.filter((n) => schedulable(spec, n)).map((n) => n.name)).toEqual(['cpu-1', 'gpu-1']);
    }
    expect(nodes.filter((n) => schedulable(podSpec(find(objects, 'DaemonSet', 'dcgm-exporter')), n)).map((n) => n.name)).toEqual(['gpu-1']);
    expect(nodes.filter((n) => schedulable(podSpec(find(objects, 'Deployment', 'prometheus')), n)).map((n) => n.name)).toEqual(['cpu-1']);
  });
});

describe('object sets', () => {
  test('cloud mode renders the collector and exporters only', () => {
    const { objects, stack } = render({ mode: CLOUD });
    expect(kindsAndNames(objects)).toEqual([
      'ConfigMap/otel-collector-config',
      'DaemonSet/dcgm-exporter',
      'DaemonSet/node-exporter',
      'DaemonSet/otel-collector',
      'Service/dcgm-exporter',
      'Service/node-exporter',
      'Service/otel-collector',
    ]);
    expect(stack.routes).toEqual([]);
    expect(stack.prometheus ?? stack.grafana ?? stack.jaeger).toBeUndefined();
  });

  test('external exporters remove their DaemonSets and Services and point Prometheus at the endpoints', () => {
    const { objects, out } = render({
      dcgmExporter: DcgmExporterSource.external('nvidia-dcgm-exporter.gpu-operator.svc:9400', { peer: ExternalPeer.pods({ namespace: 'gpu-operator', selector: { app: 'nvidia-dcgm-exporter' } }) }),
      nodeExporter: NodeExporterSource.external('10.0.0.5:9100', { peer: ExternalPeer.cidr({ cidrs: ['10.0.0.5/32'], reason: 'the node' }) }),
    });
    expect(kindsAndNames(objects)).toEqual(SELF_HOSTED_OBJECTS.filter((k) => !/(dcgm|node)-exporter$/.test(k)));
    const jobs = prometheusYaml(objects).scrape_configs;
    expect(jobs.find((j: any) => j.job_name === 'dcgm-exporter')).toEqual({ job_name: 'dcgm-exporter', static_configs: [{ targets: ['nvidia-dcgm-exporter.gpu-operator.svc:9400'] }] });
    expect(jobs.find((j: any) => j.job_name === 'node-exporter')).toEqual({ job_name: 'node-exporter', static_configs: [{ targets: ['10.0.0.5:9100'] }] });
    expect(out.warnings).toEqual([]);
  });

  test('external exporters in cloud mode point the collector at the endpoints, with a duplication warning', () => {
    const { objects, out } = render({ mode: CLOUD, dcgmExporter: DcgmExporterSource.external('dcgm.gpu-operator.svc:9400', { peer: ExternalPeer.pods({ namespace: 'gpu-operator', selector: { app: 'nvidia-dcgm-exporter' } }) }), nodeExporter: NodeExporterSource.external('[fd00::5]:9100', { peer: ExternalPeer.cidr({ cidrs: ['fd00::5/128'], reason: 'the node' }) }) });
    expect(kindsAndNames(objects)).toEqual(['ConfigMap/otel-collector-config', 'DaemonSet/otel-collector', 'Service/otel-collector']);
    const scrape = collectorYaml(objects).receivers['prometheus/exporters'].config.scrape_configs;
    expect(scrape.map((j: any) => [j.job_name, j.static_configs[0].targets])).toEqual([
      ['dcgm-exporter', ['dcgm.gpu-operator.svc:9400']],
      ['node-exporter', ['[fd00::5]:9100']],
    ]);
    expect(out.warnings).toHaveLength(2);
    expect(out.warnings[0]).toContain('sent once per node');
  });

  test('exporters set to none render nothing and are not scraped', () => {
    const { objects } = render({ dcgmExporter: DcgmExporterSource.none(), nodeExporter: NodeExporterSource.none() });
    expect(kindsAndNames(objects)).toEqual(SELF_HOSTED_OBJECTS.filter((k) => !/(dcgm|node)-exporter$/.test(k)));
    expect(prometheusYaml(objects).scrape_configs.map((j: any) => j.job_name)).toEqual(['prometheus', 'otel-collector', 'otel-collector-self']);
  });

  test('persistence off renders no claims; data lives in emptyDirs and Jaeger keeps traces in memory', () => {
    const off = { persistence: { enabled: false } };
    const { objects, out } = render({ prometheus: off, grafana: off, jaeger: off });
    expect(kindsAndNames(objects)).toEqual(SELF_HOSTED_OBJECTS.filter((k) => !k.startsWith('PersistentVolumeClaim/')));
    for (const name of ['prometheus', 'grafana', 'jaeger']) expect(podSpec(find(objects, 'Deployment', name)).volumes).toContainEqual({ name: 'data', emptyDir: {} });
    const e = env(podSpec(find(objects, 'Deployment', 'jaeger')).containers[0]);
    expect(e.SPAN_STORAGE_TYPE).toBe('memory');
    expect(podSpec(find(objects, 'Deployment', 'jaeger')).containers[0].args).toBeUndefined();
    expect(out.notes.join('\n')).not.toContain('StorageClass');
  });

  test('persistence with per-member classes, sizes and an existing claim', () => {
    const { objects, out } = render({
      storageClassName: 'fast-block',
      prometheus: { persistence: { size: Size.gibibytes(100), storageClassName: 'tsdb-ssd' } },
      grafana: { persistence: { existingClaim: 'grafana-legacy' } },
    });
    expect(kindsAndNames(objects).filter((k) => k.startsWith('PersistentVolumeClaim/'))).toEqual(['PersistentVolumeClaim/jaeger-data', 'PersistentVolumeClaim/prometheus-data']);
    expect(find(objects, 'PersistentVolumeClaim', 'prometheus-data').spec).toMatchObject({ storageClassName: 'tsdb-ssd', resources: { requests: { storage: '100Gi' } } });
    expect(find(objects, 'PersistentVolumeClaim', 'jaeger-data').spec.storageClassName).toBe('fast-block');
    const g = find(objects, 'Deployment', 'grafana');
    expect(podSpec(g).volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'grafana-legacy' } });
    expect(g.metadata.annotations['refs.ops-kit.io/external']).toBe('PersistentVolumeClaim/grafana-legacy,Secret/grafana-admin');
    expect(out.notes.join('\n')).toContain('StorageClass fast-block, tsdb-ssd');
  });
});

describe('cloud mode', () => {
  test('basic auth: credentials only through secretKeyRef, via the basicauth extension', () => {
    const { objects } = render({ mode: CLOUD });
    const ds = find(objects, 'DaemonSet', 'otel-collector');
    const e = env(podSpec(ds).containers[0]);
    expect(e.OTEL_CLOUD_USERNAME).toEqual({ secretKeyRef: { name: 'otel-cloud', key: 'instance-id' } });
    expect(e.OTEL_CLOUD_PASSWORD).toEqual({ secretKeyRef: { name: 'otel-cloud', key: 'token' } });
    expect(ds.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/otel-cloud');
    const cfg = collectorYaml(objects);
    expect(checkCollectorConfig(cfg)).toEqual([]);
    expect(cfg.extensions['basicauth/cloud']).toEqual({ client_auth: { username: '${env:OTEL_CLOUD_USERNAME}', password: '${env:OTEL_CLOUD_PASSWORD}' } });
    expect(cfg.exporters['otlphttp/cloud']).toEqual({ endpoint: 'https://otlp-gateway.example.net/otlp', auth: { authenticator: 'basicauth/cloud' } });
    expect(Object.keys(cfg.service.pipelines)).toEqual(['traces', 'metrics', 'logs']);
    expect(cfg.service.pipelines.metrics.receivers).toEqual(['otlp', 'prometheus/exporters']);
    // The bundled exporters are scraped through their node-local Services.
    expect(cfg.receivers['prometheus/exporters'].config.scrape_configs.map((j: any) => j.static_configs[0].targets[0])).toEqual(['dcgm-exporter:9400', 'node-exporter:9100']);
    expect(podSpec(ds).containers[0].ports.map((p: any) => p.containerPort)).not.toContain(8889);
  });

  test('header auth over gRPC', () => {
    const mode = TelemetryMode.cloud({ endpoint: 'api.honeycomb.io:443', protocol: OtlpProtocol.GRPC, auth: CloudAuth.header({ secretName: 'honeycomb', key: 'api-key', headerName: 'x-honeycomb-team' }), peer: ExternalPeer.anywhere({ reason: 'the SaaS endpoint, whose addresses change' }) });
    const { objects } = render({ mode, dcgmExporter: DcgmExporterSource.none(), nodeExporter: NodeExporterSource.none() });
    const cfg = collectorYaml(objects);
    expect(checkCollectorConfig(cfg)).toEqual([]);
    expect(cfg.exporters['otlp/cloud']).toEqual({ endpoint: 'api.honeycomb.io:443', headers: { 'x-honeycomb-team': '${env:OTEL_CLOUD_AUTH_HEADER}' } });
    expect(cfg.extensions.basicauth).toBeUndefined();
    expect(cfg.receivers['prometheus/exporters']).toBeUndefined();
    expect(env(podSpec(find(objects, 'DaemonSet', 'otel-collector')).containers[0]).OTEL_CLOUD_AUTH_HEADER).toEqual({ secretKeyRef: { name: 'honeycomb', key: 'api-key' } });
  });

  test('no credential value appears anywhere in the output', () => {
    const { objects } = render({ mode: CLOUD });
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/"value":"[^"]*(token|password)/i);
  });
});

describe('route prefixes are one setting', () => {
  const { objects, stack } = render({ routePrefixes: { grafana: '/ops/grafana', prometheus: '/ops/prom', jaeger: '/ops/traces' }, publicUrl: 'https://viz.example.com/' });

  test('the backends serve under the same prefixes the routes publish', () => {
    expect(stack.routes.map((r) => r.pathPrefix)).toEqual(['/ops/grafana', '/ops/prom', '/ops/traces']);
    const promArgs: string[] = podSpec(find(objects, 'Deployment', 'prometheus')).containers[0].args;
    expect(promArgs).toContain('--web.route-prefix=/ops/prom');
    expect(promArgs).toContain('--web.external-url=https://viz.example.com/ops/prom');
    expect(podSpec(find(objects, 'Deployment', 'prometheus')).containers[0].readinessProbe.httpGet.path).toBe('/ops/prom/-/ready');
    expect(env(podSpec(find(objects, 'Deployment', 'jaeger')).containers[0]).QUERY_BASE_PATH).toBe('/ops/traces');
    // Relative even with a public URL: an absolute root URL is set only when grafana.rootUrl gives one.
    expect(env(podSpec(find(objects, 'Deployment', 'grafana')).containers[0]).GF_SERVER_ROOT_URL).toBe('/ops/grafana');
    expect(prometheusYaml(objects).scrape_configs[0].metrics_path).toBe('/ops/prom/metrics');
    const ds = require('yaml').parse(find(objects, 'ConfigMap', 'grafana-datasources').data['datasources.yaml']);
    expect(ds.datasources.map((d: any) => d.url)).toEqual(['http://prometheus:9090/ops/prom', 'http://jaeger:16686/ops/traces']);
  });
});

describe('custom', () => {
  const { objects, stack } = render(
    {
      namePrefix: 'obs',
      partOf: 'graphistry',
      storageClassName: 'longhorn-retain',
      collector: { placement: { nodeSelection: NodeSelection.exactly({ 'dedicated': 'graphistry-only' }) }, env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod' } },
      prometheus: { enableAdminApi: true, retentionSize: Size.gibibytes(15), extraScrapeConfigs: [{ jobName: 'app', staticConfigs: [{ targets: ['app:8080'] }] }] },
      grafana: { anonymousAccess: true, env: { GF_FEATURE_TOGGLES_ENABLE: 'traceToMetrics' } },
      jaeger: { fsGroup: FsGroup.none() },
      dcgmExporter: DcgmExporterSource.bundled({ profilingMetrics: false, podResourcesMapping: true, runtimeClassName: 'nvidia' }),
    },
    { images: { registry: 'registry.corp:5000/mirror', pullSecrets: ['corp-pull'] } },
  );

  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('every image goes through the registry redirect and every pod gets the pull secret', () => {
    for (const w of workloads(objects)) {
      for (const c of podSpec(w).containers) expect(c.image.startsWith('registry.corp:5000/mirror/')).toBe(true);
      expect(podSpec(w).imagePullSecrets).toEqual([{ name: 'corp-pull' }]);
    }
    expect(podSpec(find(objects, 'DaemonSet', 'obs-dcgm-exporter')).containers[0].image).toBe('registry.corp:5000/mirror/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04');
  });

  test('names carry the prefix, and the scrape jobs select the prefixed pods', () => {
    expect(kindsAndNames(objects).every((k) => k.split('/')[1].startsWith('obs-'))).toBe(true);
    expect(stack.routes.map((r) => r.endpoint.name)).toEqual(['obs-grafana', 'obs-prometheus', 'obs-jaeger']);
    const job = prometheusYaml(objects, 'obs-prometheus-config').scrape_configs.find((j: any) => j.job_name === 'node-exporter');
    expect(job.kubernetes_sd_configs[0].selectors[0].label).toContain('app.kubernetes.io/name=obs-node-exporter');
    expect(collectorYaml(objects, 'obs-otel-collector-config').exporters['otlp/jaeger'].endpoint).toBe('obs-jaeger:4317');
  });

  test('the admin API, retention size, anonymous Viewer access and a collector selector override', () => {
    const args: string[] = podSpec(find(objects, 'Deployment', 'obs-prometheus')).containers[0].args;
    expect(args).toContain('--web.enable-admin-api');
    expect(args).toContain('--storage.tsdb.retention.size=15360MB');
    expect(prometheusYaml(objects, 'obs-prometheus-config').scrape_configs.at(-1).job_name).toBe('app');
    const e = env(podSpec(find(objects, 'Deployment', 'obs-grafana')).containers[0]);
    expect([e.GF_AUTH_ANONYMOUS_ENABLED, e.GF_AUTH_ANONYMOUS_ORG_ROLE]).toEqual(['true', 'Viewer']);
    expect(podSpec(find(objects, 'DaemonSet', 'obs-otel-collector')).nodeSelector).toEqual({ dedicated: 'graphistry-only' });
    expect(podSpec(find(objects, 'Deployment', 'obs-jaeger')).securityContext.fsGroup).toBeUndefined();
    expect(find(objects, 'Deployment', 'obs-grafana').metadata.labels['app.kubernetes.io/part-of']).toBe('graphistry');
  });

  test('dcgm-exporter exceptions are named on the DaemonSet with their reasons', () => {
    const ds = find(objects, 'DaemonSet', 'obs-dcgm-exporter');
    const a = ds.metadata.annotations;
    expect(a['policy.ops-kit.io/non-root']).toMatch(/root/);
    expect(a['policy.ops-kit.io/capabilities-dropped']).toBeUndefined();
    expect(a['policy.ops-kit.io/no-host-access']).toMatch(/pod-resources/);
    expect(podSpec(ds).runtimeClassName).toBe('nvidia');
    expect(podSpec(ds).containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(podSpec(ds).volumes).toEqual([{ name: 'pod-resources', hostPath: { path: '/var/lib/kubelet/pod-resources', type: 'Directory' } }]);
  });
});
