import { App } from 'cdk8s';
import { graphistryApp, GRAPHISTRY_POSTGRES_RELEASE, GRAPHISTRY_GPU_RUNTIME_CLASS, GRAPHISTRY_INGRESS_CLASS, GRAPHISTRY_POOLS, GRAPHISTRY_PULL_SECRET, GRAPHISTRY_UPLOAD_LIMIT } from '../../apps/graphistry';
import { EXAMPLE_APPS } from '../../apps/registry';
import { renderArgoCd } from '../../lib/gitops';
import { renderApp, RenderedRelease } from '../../lib/release';
import { KubeObject, verifyReleases } from '../../lib/verify';

type Obj = Record<string, any>;

describe('apps/graphistry.ts', () => {
  let releases: RenderedRelease[];
  beforeAll(() => {
    const app = new App();
    graphistryApp.build(app);
    releases = renderApp(app);
  });
  const rel = (name: string) => releases.find((r) => r.name === name)!;
  /** The releases a GraphistryStack renders (every one but the Postgres release). */
  const stacks = () => releases.filter((r) => r.name !== GRAPHISTRY_POSTGRES_RELEASE.name);
  const get = (r: RenderedRelease, kind: string, name: string) => r.objects.find((o) => o.kind === kind && o.metadata.name === name) as Obj;

  test('is registered, next to the other example apps', () => {
    expect(EXAMPLE_APPS.map((a) => a.name)).toEqual(expect.arrayContaining(['graphistry', 'iot-fleet']));
  });

  test('eight releases (seven stacks and the multi-node one\'s Postgres), each in its own namespace', () => {
    expect(releases.map((r) => r.name)).toEqual([
      'graphistry-analytics', 'graphistry-edge', 'graphistry-full', 'graphistry-multinode', 'graphistry-own-ingress', 'graphistry-platform', 'graphistry-postgres', 'graphistry-viz',
    ]);
    expect(new Set(releases.map((r) => r.namespace)).size).toBe(8);
  });

  test('edge: telemetry on a single-node tier, Caddy terminating self-signed TLS on node ports 30081/30443, a versioned cookie Secret', () => {
    const e = rel('graphistry-edge');
    expect(get(e, 'DaemonSet', 'otel-collector')).toBeDefined();
    expect(get(e, 'Deployment', 'prometheus')).toBeDefined();
    const svc = get(e, 'Service', 'caddy');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports.map((p: Obj) => [p.name, p.port, p.nodePort])).toEqual([['http', 80, 30081], ['https', 443, 30443]]);
    const caddy = get(e, 'Deployment', 'caddy');
    expect(caddy.spec.template.spec.volumes.map((v: Obj) => v.secret?.secretName)).toContain('graphistry-edge-tls');
    expect(get(e, 'ConfigMap', 'caddy-caddyfile').data.Caddyfile).toContain('graphistry.lab.internal');
    expect(get(e, 'Deployment', 'nexus').spec.template.spec.containers[0].env).toContainEqual({ name: 'COOKIE_SECURE', value: 'True' });
    const notes = e.notes.join('\n');
    expect(notes).toContain('kubectl -n graphistry-edge create secret tls graphistry-edge-tls --cert=tls.crt --key=tls.key');
    expect(notes).toContain('openssl req -x509');
    expect(notes).toContain('Caddy is published on port 30081 (http) and port 30443 (https) of every node');
    expect(notes).toContain("now '2026-11-29'");
    expect(e.warnings).toEqual([]);
  });

  test('own ingress: Caddy off, no Caddy object, the notes say what the cluster ingress must do', () => {
    const o = rel('graphistry-own-ingress');
    expect(o.objects.filter((x) => /caddy/.test(x.metadata.name))).toEqual([]);
    expect(get(o, 'Service', 'engine-headless')).toBeDefined();
    expect(get(o, 'Deployment', 'nexus').spec.template.spec.containers[0].env).toContainEqual({ name: 'COOKIE_SECURE', value: 'True' });
    const notes = o.notes.join('\n');
    expect(notes).toContain('YOUR INGRESS (CADDY OFF)');
    expect(notes).toContain('upstream-hash-by: "$arg_session"');
    expect(notes).not.toContain('ROUTES (CADDY)');
  });

  test('every release passes verification (schema, policy with reasoned exceptions, references)', () => {
    for (const report of verifyReleases(releases))
      expect({ release: report.name, violations: report.violations }).toEqual({ release: report.name, violations: [] });
  });

  test('the single-node releases use ReadWriteOnce; the multi-node one ReadWriteMany', () => {
    for (const r of stacks()) {
      const modes = new Set((r.objects as Obj[]).filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.labels?.['app.kubernetes.io/name'] === 'graphistry-storage').map((o) => (o as Obj).spec.accessModes[0]));
      expect([...modes]).toEqual([r.name === 'graphistry-multinode' ? 'ReadWriteMany' : 'ReadWriteOnce']);
    }
  });

  test('multi-node: split pools, GPU taint tolerated, external TLS, telemetry on', () => {
    const m = rel('graphistry-multinode');
    expect(get(m, 'DaemonSet', 'engine').spec.template.spec.nodeSelector).toEqual(GRAPHISTRY_POOLS.gpu);
    expect(get(m, 'Deployment', 'notebook').spec.template.spec.nodeSelector).toEqual(GRAPHISTRY_POOLS.gpu);
    expect(get(m, 'Deployment', 'graph-app-kit-public').spec.template.spec.nodeSelector).toEqual(GRAPHISTRY_POOLS.gpu);
    for (const n of ['caddy', 'nexus', 'redis', 'dask-scheduler']) expect(get(m, 'Deployment', n).spec.template.spec.nodeSelector).toEqual(GRAPHISTRY_POOLS.cpu);
    expect(get(m, 'DaemonSet', 'engine').spec.template.spec.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' });
    expect(get(m, 'Deployment', 'nexus').spec.template.spec.containers[0].env).toContainEqual({ name: 'COOKIE_SECURE', value: 'True' });
    expect(get(m, 'Service', 'caddy').spec).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30080 }] });
    expect(get(m, 'DaemonSet', 'otel-collector')).toBeDefined();
    expect(m.notes.join('\n')).toContain('EXTERNAL TLS TOPOLOGY');
    expect(m.warnings).toEqual([]);
  });

  test('every Graphistry release pulls with the Docker Hub pull secret, and its notes say how to create it', () => {
    for (const r of stacks()) {
      const pods = (r.objects as Obj[]).map((o) => o.spec?.template?.spec).filter((s) => s !== undefined);
      expect(pods.length).toBeGreaterThan(0);
      for (const pod of pods)
        expect({ release: r.name, pullSecrets: pod.imagePullSecrets }).toEqual({ release: r.name, pullSecrets: [{ name: GRAPHISTRY_PULL_SECRET }] });
      expect(r.notes.join('\n')).toContain(`kubectl -n ${r.namespace} create secret docker-registry ${GRAPHISTRY_PULL_SECRET} --docker-server=https://index.docker.io/v1/`);
    }
  });

  test('multi-node notes: namespace not rendered, privileged Pod Security (bundled exporters), both pool labels and the GPU-present label', () => {
    const nodes = rel('graphistry-multinode').notes.find((n) => n.startsWith('NODES AND NAMESPACE\n'))!;
    expect(nodes).toContain('Namespace graphistry is not rendered by this release: set CreateNamespace=true');
    expect(nodes).toContain('kubectl label namespace graphistry pod-security.kubernetes.io/enforce=privileged');
    expect(nodes).toContain('Nodes labelled graphistry.io/role=cpu (the release-wide nodeSelector) for ');
    expect(nodes).toContain('Nodes labelled graphistry.io/role=gpu for engine, notebook, graph-app-kit-public, graph-app-kit-private');
    expect(nodes).toContain('Nodes labelled nvidia.com/gpu.present=true for dcgm-exporter');
    for (const single of ['graphistry-platform', 'graphistry-viz']) {
      expect(rel(single).notes.find((n) => n.startsWith('NODES AND NAMESPACE\n'))).toContain('enforce=baseline');
    }
  });

  test('multi-node: every GPU workload runs under the nvidia RuntimeClass, the CPU ones under the default runtime; the notes state the prerequisite', () => {
    const m = rel('graphistry-multinode');
    const gpu = [['DaemonSet', 'engine'], ['Deployment', 'notebook'], ['Deployment', 'graph-app-kit-public'], ['Deployment', 'graph-app-kit-private'], ['DaemonSet', 'dcgm-exporter']];
    for (const [kind, name] of gpu)
      expect({ name, rc: get(m, kind, name).spec.template.spec.runtimeClassName }).toEqual({ name, rc: GRAPHISTRY_GPU_RUNTIME_CLASS });
    for (const name of ['caddy', 'nexus', 'prometheus']) expect(get(m, 'Deployment', name).spec.template.spec.runtimeClassName).toBeUndefined();
    expect(m.notes.join('\n')).toContain('GPU runtime: dcgm-exporter, engine, notebook, graph-app-kit-public, graph-app-kit-private run under RuntimeClass nvidia, which must exist');
    // The single-node examples keep the node default; their notes say that the NVIDIA runtime must then be the default.
    expect(rel('graphistry-viz').notes.join('\n')).toContain("GPU runtime: engine uses the node's default container runtime, so the NVIDIA runtime must be the containerd default");
  });

  test('single-node: the Caddy Ingress names its class and lets uploads through (quoted body size); the notes name the class', () => {
    for (const r of stacks().filter((x) => !['graphistry-multinode', 'graphistry-edge', 'graphistry-own-ingress'].includes(x.name))) {
      const ing = get(r, 'Ingress', 'caddy');
      expect(ing.spec.ingressClassName).toBe(GRAPHISTRY_INGRESS_CLASS);
      expect(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe(GRAPHISTRY_UPLOAD_LIMIT);
      expect(typeof ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('string');
      expect(r.notes.join('\n')).toContain(`Ingress caddy (class ${GRAPHISTRY_INGRESS_CLASS}) routes to Caddy`);
    }
    expect(get(rel('graphistry-multinode'), 'Ingress', 'caddy')).toBeUndefined();
  });

  const postgresWaits = (r: RenderedRelease) =>
    (r.objects as Obj[]).flatMap((o) => ((o.spec?.template?.spec?.initContainers ?? []) as Obj[]).filter((c) => c.name === 'wait-for-postgres'));

  test('single-node: Postgres is the PGO cluster outside the app: every wait targets its primary', () => {
    const waits = stacks().filter((r) => r.name !== 'graphistry-multinode').flatMap(postgresWaits);
    expect(waits.length).toBeGreaterThan(5);
    for (const w of waits) expect(w.args[0]).toContain("'-h' 'postgres-primary.graphistry-db.svc.cluster.local' '-p' '5432'");
  });

  describe('multi-node: Postgres is the graphistry-postgres release', () => {
    const pg = GRAPHISTRY_POSTGRES_RELEASE;
    const host = `postgres.${pg.namespace}.svc`;

    test('a PostgresServer StatefulSet with the graphistry database owned by the graphistry role', () => {
      const p = rel(pg.name);
      expect(p.namespace).toBe(pg.namespace);
      expect(get(p, 'StatefulSet', 'postgres').spec.template.spec.containers[0].image).toMatch(/^postgres:16\./);
      const initdb = JSON.stringify(get(p, 'ConfigMap', 'postgres-initdb').data);
      expect(initdb).toContain('graphistry');
      expect(p.warnings).toEqual([]);
    });

    test('nexus, pivot and the engine connect through the typed handle: namespaced host, the role, its password Secret, the pg_isready wait', () => {
      const m = rel('graphistry-multinode');
      for (const [kind, name] of [['Deployment', 'nexus'], ['Deployment', 'pivot'], ['DaemonSet', 'engine']]) {
        const spec = get(m, kind, name).spec.template.spec;
        const env = spec.containers.flatMap((c: Obj) => c.env ?? []);
        expect({ name, env }).toEqual({ name, env: expect.arrayContaining([
          { name: 'POSTGRES_HOST', value: host },
          { name: 'POSTGRES_PORT', value: '5432' },
          { name: 'POSTGRES_DB', value: pg.database },
          { name: 'POSTGRES_USER', value: pg.user },
          { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: pg.passwordSecret.name, key: pg.passwordSecret.key } } },
        ]) });
        const waits = postgresWaits({ objects: [get(m, kind, name)] } as unknown as RenderedRelease);
        expect(waits.map((w) => w.args[0])).toEqual([expect.stringContaining(`'-h' '${host}' '-p' '5432' '-U' '${pg.user}' '-d' '${pg.database}'`)]);
      }
      // No client of the multi-node release names the PGO cluster any more.
      expect(JSON.stringify(m.objects)).not.toContain('graphistry-db');
    });

    test('the default-deny NetworkPolicies of both namespaces admit exactly nexus, pivot and the engine on 5432', () => {
      const server = get(rel(pg.name), 'NetworkPolicy', 'postgres');
      const clients = server.spec.ingress.map((rule: Obj) => {
        expect(rule.ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
        expect(rule.from).toHaveLength(1);
        expect(rule.from[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'graphistry' } });
        return rule.from[0].podSelector.matchLabels['app.kubernetes.io/name'];
      });
      expect(clients.sort()).toEqual(['engine', 'nexus', 'pivot']);
      expect(get(rel(pg.name), 'NetworkPolicy', `${pg.name}-default-deny`)).toBeDefined();
      const serverPods = { matchLabels: get(rel(pg.name), 'StatefulSet', 'postgres').spec.selector.matchLabels };
      for (const name of ['nexus', 'pivot', 'engine']) {
        const egress = get(rel('graphistry-multinode'), 'NetworkPolicy', name).spec.egress as Obj[];
        expect({ name, egress }).toEqual({ name, egress: expect.arrayContaining([{
          ports: [{ port: 5432, protocol: 'TCP' }],
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': pg.namespace } }, podSelector: serverPods }],
        }]) });
      }
      // Nothing else of the multi-node release reaches the database.
      const others = rel('graphistry-multinode').objects.filter((o) => o.kind === 'NetworkPolicy' && !['nexus', 'pivot', 'engine'].includes(o.metadata.name));
      expect(JSON.stringify(others)).not.toContain(pg.namespace);
    });

    test('Argo CD syncs graphistry-postgres in an earlier wave than graphistry-multinode (declared and wired)', () => {
      const out = renderArgoCd(releases)!;
      const wave = (name: string) => out.releases.get(name)!.wave;
      expect(wave(pg.name)).toBe(0);
      expect(wave('graphistry-multinode')).toBeGreaterThan(wave(pg.name));
      const reasons = out.releases.get('graphistry-multinode')!.dependsOn.get(pg.name);
      expect(reasons).toEqual(expect.arrayContaining(['declared with dependsOn', `connects to Service ${pg.namespace}/postgres port postgres`]));
      const app = out.manifests.find((x) => x.file === 'argocd/graphistry/application.argoproj.io-graphistry-multinode.yaml')!.object as Obj;
      expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe(String(wave('graphistry-multinode')));
      // The single-node releases depend on nothing the app renders.
      for (const r of stacks().filter((x) => x.name !== 'graphistry-multinode')) expect(wave(r.name)).toBe(0);
    });

    test('the notes name the Postgres release and how to copy its role Secret into Graphistry\'s namespace', () => {
      const notes = rel('graphistry-multinode').notes.join('\n');
      expect(notes).toContain(`Postgres is release ${pg.name} (Service postgres in namespace ${pg.namespace})`);
      expect(notes).toContain(`kubectl -n graphistry create secret generic ${pg.passwordSecret.name} --from-literal=password="$(kubectl -n ${pg.namespace} get secret ${pg.passwordSecret.name} -o jsonpath='{.data.password}' | base64 -d)"`);
      const own = rel(pg.name).notes.join('\n');
      expect(own).toContain(`kubectl -n ${pg.namespace} create secret generic ${pg.passwordSecret.name}`);
      expect(own).toContain(`kubectl -n ${pg.namespace} create secret generic ${pg.superuserSecret.name}`);
    });
  });

  test('no example release warns (cookie keys come from a Secret; placements agree with the storage)', () => {
    expect(releases.flatMap((r) => r.warnings)).toEqual([]);
  });

  test('objects are KubeObjects the verifier accepts', () => {
    expect((rel('graphistry-full').objects as KubeObject[]).length).toBeGreaterThan(20);
  });
});
