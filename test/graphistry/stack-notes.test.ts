import { evaluatePodSecurity, OperatorNotes, PodSecurityLevel, Postgres, StorageAccessMode, Tier } from '../../lib/graphistry';
import { NodeSelection } from '../../lib/core';
import { CaddyCookieSecret, CaddyRouteAuth, CaddyTls } from '../../lib/ingress';
import { DcgmExporterSource, NodeExporterSource } from '../../lib/telemetry';
import { Obj, Rendered, renderStack, SELF_HOSTED } from './stack-fixtures';

/** The paragraph of the notes that starts with `title`. */
function section(r: Rendered, title: string): string {
  return r.rendered.notes.find((n) => n.startsWith(`${title}\n`)) ?? '';
}

describe('operator notes per tier', () => {
  const byTier: Record<string, Rendered> = {};
  beforeAll(() => {
    for (const tier of Tier.ALL) byTier[tier.name] = renderStack({ tier, telemetry: SELF_HOSTED });
  });

  test('platform: nexus-proxy in-cluster, no ETL API, no telemetry routes', () => {
    const access = section(byTier.platform, 'ACCESS');
    expect(access).toContain('In-cluster nexus-proxy (v1 and v2 API): http://nexus-proxy.gx.svc.cluster.local');
    expect(access).toContain('ETL REST API: not at the platform tier');
    expect(access).not.toContain('/graph/graph.html');
    expect(section(byTier.platform, 'ROUTES (CADDY)')).not.toMatch(/grafana|engine/);
    expect(section(byTier.platform, 'ROUTES (CADDY)')).toContain('/* (everything else) -> nexus-proxy.gx.svc.cluster.local:80');
  });

  test('platform: the notes never deny the Caddy Ingress the stack renders, and give the direct nexus-proxy recipe', () => {
    expect(byTier.platform.find('Ingress', 'caddy')).toBeDefined();
    const all = byTier.platform.rendered.notes.join('\n');
    expect(all).not.toMatch(/No Ingress is rendered/);
    expect(all).toContain('kubectl -n gx port-forward --address 0.0.0.0 svc/nexus-proxy 8080:80');
  });

  test('platform with telemetry: the UIs have no Caddy route yet, so the notes say how to reach them', () => {
    const access = section(byTier.platform, 'ACCESS');
    expect(access).toContain('Telemetry UIs have no Caddy route at the platform tier (they get one from analytics up)');
    expect(access).toContain('grafana: kubectl -n gx port-forward svc/grafana 3000:3000, then http://localhost:3000/grafana/');
    expect(access).toContain('jaeger: kubectl -n gx port-forward svc/jaeger 16686:16686, then http://localhost:16686/jaeger/');
    expect(section(byTier.analytics, 'ACCESS')).not.toContain('Telemetry UIs have no Caddy route');
  });

  test('analytics: the ETL API, and the expected 502 on /streamgl/*', () => {
    const access = section(byTier.analytics, 'ACCESS');
    expect(access).toContain('ETL REST API: http://localhost:8080/api/v2/');
    expect(access).toContain('Browser visualization (/graph/*) is NOT available at the analytics tier.');
    expect(access).toMatch(/\/streamgl\/\* requests .* answer 502 .* expected/);
    const routes = section(byTier.analytics, 'ROUTES (CADDY)');
    expect(routes).toContain('/grafana* -> grafana.gx.svc.cluster.local:3000');
    expect(routes).toContain('/streamgl/* -> engine pool engine-headless.gx.svc.cluster.local:80, pinned by the value of ?id= (HRW)');
    expect(routes).toContain('first assignment round_robin');
  });

  test("GPU HEALTH CHECKS from analytics up: nvidia-smi and forge-etl-python's /cudfhealth on its own port (8200, not nginx's 8080) in every engine pod", () => {
    expect(section(byTier.platform, 'GPU HEALTH CHECKS')).toBe('');
    for (const tier of ['analytics', 'viz', 'full']) {
      const gpu = section(byTier[tier], 'GPU HEALTH CHECKS');
      const engine = byTier[tier].get('DaemonSet', 'engine');
      // The label selector the notes list pods by is exactly the DaemonSet's.
      const listed = /kubectl -n gx get pods -l (\S+) -o name/.exec(gpu)![1];
      expect(Object.fromEntries(listed.split(',').map((kv) => kv.split('=')))).toEqual(engine.spec.selector.matchLabels);
      expect(gpu).toContain('exec "$p" -c forge-etl-python -- nvidia-smi');
      expect(gpu).toContain('exec "$p" -c forge-etl-python -- curl -fsS http://localhost:8200/cudfhealth');
      // The port in the notes is the port the container binds.
      const fep = (engine.spec.template.spec.containers as Obj[]).find((c) => c.name === 'forge-etl-python')!;
      expect(fep.ports.map((p: Obj) => p.containerPort)).toContain(8200);
      expect(gpu).not.toContain('localhost:8080/cudfhealth');
    }
  });

  test('viz and full: browser visualization; full adds pivot, notebook and both dashboards', () => {
    expect(section(byTier.viz, 'ACCESS')).toContain('Browser visualization: http://localhost:8080/graph/graph.html?dataset=<id>');
    expect(section(byTier.viz, 'ACCESS')).not.toContain('/pivot/');
    const full = section(byTier.full, 'ACCESS');
    expect(full).toContain('Investigations (pivot): http://localhost:8080/pivot/');
    expect(full).toContain('Dashboards (public): http://localhost:8080/public/dash/');
    expect(full).toContain('Dashboards (private): http://localhost:8080/private/dash/');
  });

  test('ROUTE LOGIN when Caddy guards /prometheus and /jaeger with basic auth, and the Secret to create', () => {
    const login = section(byTier.analytics, 'ROUTE LOGIN');
    expect(login).toContain('/prometheus/ (prometheus): Caddy asks for the basic-auth account in Secret telemetry-auth');
    expect(login).toContain('/jaeger/ (jaeger): Caddy asks for the basic-auth account in Secret telemetry-auth');
    expect(section(byTier.analytics, 'UNAUTHENTICATED ROUTES')).toBe('');
    expect(section(byTier.analytics, 'BEFORE SYNCING, CREATE')).toContain(
      `Secret telemetry-auth (login of the Prometheus and Jaeger routes, bcrypt hash): kubectl -n gx create secret generic telemetry-auth --from-literal=username=<user> --from-literal=password-hash="$(caddy hash-password --plaintext '<password>')"`,
    );
    expect(section(byTier.platform, 'ROUTE LOGIN')).toBe('');
  });

  test('fails when Caddy routes /prometheus and /jaeger without telemetryAuth, naming the Secret to create', () => {
    expect(() => renderStack({ tier: Tier.ANALYTICS, telemetry: SELF_HOSTED, caddy: { telemetryAuth: undefined } })).toThrow(
      `'caddy.telemetryAuth' is undefined, but Caddy routes /prometheus and /jaeger, which have no login of their own; create the account with kubectl -n gx create secret generic graphistry-telemetry-auth --from-literal=username=<user> --from-literal=password-hash="$(caddy hash-password --plaintext '<password>')"; allowed: CaddyRouteAuth.basic({ secretName: 'graphistry-telemetry-auth' }), CaddyRouteAuth.forward({...}) or CaddyRouteAuth.none({ reason })`,
    );
    // The platform tier routes no telemetry UI, so it needs none.
    expect(() => renderStack({ tier: Tier.PLATFORM, telemetry: SELF_HOSTED, caddy: { telemetryAuth: undefined } })).not.toThrow();
  });

  test('UNAUTHENTICATED ROUTES when authentication is turned off with a reason (Grafana has its own login), with how to restrict them', () => {
    const off = renderStack({ tier: Tier.ANALYTICS, telemetry: SELF_HOSTED, caddy: { telemetryAuth: CaddyRouteAuth.none({ reason: 'the site sits behind the corporate SSO proxy' }) } });
    const open = section(off, 'UNAUTHENTICATED ROUTES');
    expect(open).toContain('/prometheus/ (prometheus) and /jaeger/ (jaeger) are routed by Caddy without any authentication (turned off: the site sits behind the corporate SSO proxy)');
    expect(open).toContain('/grafana/ (grafana) has its own login.');
    expect(open).toContain('allow /prometheus/ and /jaeger/ only from trusted source ranges or behind your SSO proxy at the load balancer or Ingress controller');
    expect(open).toContain('kubectl -n gx port-forward svc/prometheus 9090:9090; kubectl -n gx port-forward svc/jaeger 16686:16686');
    expect(off.get('ConfigMap', 'caddy-caddyfile').data.Caddyfile).not.toContain('basicauth');
    expect(section(renderStack({ tier: Tier.VIZ }), 'UNAUTHENTICATED ROUTES')).toBe('');
    // The paths follow the route prefixes Caddy actually serves.
    const custom = renderStack({ tier: Tier.ANALYTICS, telemetry: { ...SELF_HOSTED, routePrefixes: { prometheus: '/ops/prom' } } });
    expect(section(custom, 'ROUTES (CADDY)')).toContain('/ops/prom* -> prometheus.gx.svc.cluster.local:9090');
    expect(section(custom, 'ROUTE LOGIN')).toContain('/ops/prom/ (prometheus): Caddy asks');
  });

  test('the Caddyfile guards the Prometheus and Jaeger handles, not Grafana, with the account from the Secret', () => {
    const r = byTier.analytics;
    const caddyfile: string = r.get('ConfigMap', 'caddy-caddyfile').data.Caddyfile;
    const handle = (name: string) => caddyfile.slice(caddyfile.indexOf(`handle @${name} {`), caddyfile.indexOf('\n\t}\n', caddyfile.indexOf(`handle @${name} {`)));
    expect(handle('prometheus')).toContain('basicauth {\n\t\t\t"{$CADDY_AUTH_TELEMETRY_AUTH_USER}" "{$CADDY_AUTH_TELEMETRY_AUTH_HASH}"\n\t\t}');
    expect(handle('jaeger')).toContain('basicauth {');
    expect(handle('grafana')).not.toContain('basicauth');
    const env = r.get('Deployment', 'caddy').spec.template.spec.containers[0].env;
    expect(env).toEqual(expect.arrayContaining([
      { name: 'CADDY_AUTH_TELEMETRY_AUTH_USER', valueFrom: { secretKeyRef: { name: 'telemetry-auth', key: 'username' } } },
      { name: 'CADDY_AUTH_TELEMETRY_AUTH_HASH', valueFrom: { secretKeyRef: { name: 'telemetry-auth', key: 'password-hash' } } },
    ]));
  });

  test('CLUSTER DNS names the NGINX_RESOLVER nginx really gets, the prop that sets it, and the RKE2/OpenShift names', () => {
    const platform = section(byTier.platform, 'CLUSTER DNS');
    expect(platform).toContain('nginx (nexus-proxy) resolves service names through NGINX_RESOLVER=kube-dns.kube-system.svc.cluster.local; that DNS Service must exist (kubectl -n kube-system get service kube-dns)');
    expect(platform).toContain('Set nexusProxy.env.NGINX_RESOLVER');
    const viz = section(byTier.viz, 'CLUSTER DNS');
    expect(viz).toContain('nginx (engine pods) resolves service names through NGINX_RESOLVER=kube-dns.kube-system.svc.cluster.local');
    expect(viz).toContain('RKE2 rke2-coredns-rke2-coredns.kube-system.svc.cluster.local, OpenShift dns-default.openshift-dns.svc.cluster.local. Set engine.nginx.env.NGINX_RESOLVER');
    // An override shows up in the notes and on the container alike.
    const rke2 = 'rke2-coredns-rke2-coredns.kube-system.svc.cluster.local';
    const r = renderStack({ tier: Tier.ANALYTICS, engine: { nginx: { env: { NGINX_RESOLVER: rke2 } } } });
    expect(section(r, 'CLUSTER DNS')).toContain(`NGINX_RESOLVER=${rke2}; that DNS Service must exist (kubectl -n kube-system get service rke2-coredns-rke2-coredns)`);
    const nginx = (r.get('DaemonSet', 'engine').spec.template.spec.containers as Obj[]).find((c) => c.name === 'nginx')!;
    expect(nginx.env).toContainEqual({ name: 'NGINX_RESOLVER', value: rke2 });
    const p = renderStack({ nexusProxy: { env: { NGINX_RESOLVER: 'dns-default.openshift-dns.svc.cluster.local' } } });
    expect(section(p, 'CLUSTER DNS')).toContain('(kubectl -n openshift-dns get service dns-default)');
  });

  test('without a host name, the notes give a port-forward recipe to Caddy', () => {
    expect(section(byTier.viz, 'ACCESS')).toContain('kubectl -n gx port-forward --address 0.0.0.0 svc/caddy 8080:80');
  });

  test('the Secrets to create come with the commands that create them', () => {
    const create = section(byTier.full, 'BEFORE SYNCING, CREATE');
    expect(create).toContain('kubectl -n gx create secret generic graphistry-jwt --from-literal=DJANGO_SECRET_KEY="$(openssl rand -hex 32)"');
    expect(create).toContain('kubectl -n gx create secret generic graphistry-nexus --from-literal=GRAPHISTRY_NEXUS_ENCRYPTION_KEYS=');
    expect(create).toContain('Secret graphistry-postgres (Postgres password, key password; ');
    expect(create).toContain('kubectl -n gx create secret generic graphistry-postgres --from-literal=password="$POSTGRES_PASSWORD"');
    expect(create).toContain('Secret gak-credentials');
    expect(create).toContain('StorageClass retain-sc (reclaimPolicy: Retain)');
  });

  test("the cookie Secret's rotation recipe: replace the content, bump the version, sync (Caddy rolls)", () => {
    const prereq = section(byTier.analytics, 'BEFORE SYNCING, CREATE');
    expect(prereq).toContain('To rotate it: replace the content (kubectl -n gx create secret generic graphistry-caddy-cookie');
    expect(prereq).toContain("then bump caddy.cookieSecret's version (CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret', { version: '<new>' })) and sync");
    const versioned = renderStack({ tier: Tier.ANALYTICS, telemetry: SELF_HOSTED, caddy: { cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret', { version: '3' }) } });
    expect(versioned.get('ConfigMap', 'caddy-caddyfile')).toEqual(byTier.analytics.get('ConfigMap', 'caddy-caddyfile'));
    expect(section(versioned, 'BEFORE SYNCING, CREATE')).toContain("{ version: '<new>' }), now '3') and sync");
    // The version the recipe tells the operator to bump is the one that rolls Caddy.
    expect(versioned.get('Deployment', 'caddy').spec.template.metadata.annotations['checksum/config'])
      .not.toBe(byTier.analytics.get('Deployment', 'caddy').spec.template.metadata.annotations['checksum/config']);
    expect(section(byTier.platform, 'BEFORE SYNCING, CREATE')).not.toContain('To rotate it');
  });

  test('a PGO-maintained Postgres Secret gets no create command (PGO writes it)', () => {
    const r = renderStack({ postgres: Postgres.crunchy({ cluster: 'pg', user: 'graphistry' }) });
    const create = section(r, 'BEFORE SYNCING, CREATE');
    expect(create).toContain('Secret pg-pguser-graphistry (Postgres connection, maintained by PGO in this namespace)');
    expect(create).not.toContain('create secret generic pg-pguser-graphistry');
  });

  test('every pull secret of the release is listed with the docker-registry command that creates it; none without', () => {
    const r = renderStack({ tier: Tier.VIZ }, { images: { pullSecrets: ['hub-a', 'hub-b'] } });
    const create = section(r, 'BEFORE SYNCING, CREATE');
    for (const name of ['hub-a', 'hub-b']) {
      expect(create).toContain(
        `Secret ${name} (image pull secret, Docker Hub: Graphistry's images): kubectl -n gx create secret docker-registry ${name} --docker-server=https://index.docker.io/v1/ --docker-username="$REGISTRY_USER" --docker-password="$REGISTRY_TOKEN"`,
      );
      // The notes and the pods agree: every pod template names the Secret the notes say to create.
      expect(r.get('DaemonSet', 'engine').spec.template.spec.imagePullSecrets).toContainEqual({ name });
    }
    expect(section(byTier.viz, 'BEFORE SYNCING, CREATE')).not.toContain('docker-registry');
  });

  test('with a registry redirect, the pull secret is for that registry host', () => {
    const r = renderStack({}, { images: { registry: 'harbor.corp:8443/dockerhub-proxy', pullSecrets: ['harbor'] } });
    expect(section(r, 'BEFORE SYNCING, CREATE')).toContain('Secret harbor (image pull secret for harbor.corp:8443): kubectl -n gx create secret docker-registry harbor --docker-server=harbor.corp:8443 ');
  });

  test('fails without a cookie secret from analytics up, naming the Secret to create; the platform tier needs none', () => {
    for (const tier of [Tier.ANALYTICS, Tier.VIZ, Tier.FULL]) {
      expect(() => renderStack({ tier, caddy: { cookieSecret: undefined } })).toThrow(
        `'caddy.cookieSecret' is undefined, but from the analytics tier up Caddy pins browsers with an HMAC cookie whose key is never defaulted; create it with kubectl -n gx create secret generic graphistry-caddy-cookie --from-literal=cookie-secret="$(openssl rand -hex 32)"; allowed: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret') naming an operator-created Secret`,
      );
    }
    expect(renderStack({ tier: Tier.PLATFORM, caddy: { cookieSecret: undefined } }).rendered.warnings).toEqual([]);
    const withSecret = renderStack({ tier: Tier.ANALYTICS, caddy: { cookieSecret: CaddyCookieSecret.fromSecret('caddy-cookie', 'cookie-secret') } });
    expect(withSecret.rendered.warnings).toEqual([]);
    expect(section(withSecret, 'BEFORE SYNCING, CREATE')).toContain('kubectl -n gx create secret generic caddy-cookie --from-literal=cookie-secret="$(openssl rand -hex 32)"');
  });

  test('STORAGE TOPOLOGY: ReadWriteOnce declares a single-node install; ReadWriteMany does not warn', () => {
    expect(section(byTier.full, 'STORAGE TOPOLOGY')).toMatch(/ReadWriteOnce declares a single-node install.*Multi-Attach error/);
    const rwx = renderStack({ storage: { accessMode: StorageAccessMode.READ_WRITE_MANY } });
    expect(section(rwx, 'STORAGE TOPOLOGY')).toContain('ReadWriteMany');
    expect(section(rwx, 'STORAGE TOPOLOGY')).not.toContain('Multi-Attach');
  });

  test('EXTERNAL TLS TOPOLOGY warns about HSTS behind an external terminator', () => {
    const ext = renderStack({ tier: Tier.VIZ, caddy: { tls: CaddyTls.external(), ingress: { enabled: false } }, publicUrl: 'https://g.example.com' });
    expect(ext.rendered.notes.join('\n')).toMatch(/EXTERNAL TLS TOPOLOGY.*Strict-Transport-Security/);
    expect(section(ext, 'ACCESS')).toContain('Site: https://g.example.com/');
  });

  test('ACCESS names the Ingress class and body-size limit read from the rendered Ingress; without a class it says the default class must exist', () => {
    const r = renderStack({ tier: Tier.VIZ, caddy: { ingress: { className: 'nginx', proxyBodySize: '8g' } } });
    expect(r.get('Ingress', 'caddy').spec.ingressClassName).toBe('nginx');
    expect(section(r, 'ACCESS')).toContain('Ingress caddy (class nginx) routes to Caddy: the nginx IngressClass and its controller must exist (kubectl get ingressclass nginx). Request bodies up to 8g pass it (proxy-body-size)');
    expect(section(byTier.viz, 'ACCESS')).toContain("Ingress caddy names no IngressClass: the cluster's default IngressClass serves it, and without one no controller picks it up (set caddy.ingress.className).");
    const none = renderStack({ tier: Tier.VIZ, caddy: { tls: CaddyTls.external(), ingress: { enabled: false } } });
    expect(section(none, 'ACCESS')).not.toContain('Ingress');
  });

  test('the site URL comes from the Ingress host and its TLS', () => {
    const r = renderStack({ tier: Tier.VIZ, caddy: { ingress: { hosts: ['g.example.com'], tls: [{ hosts: ['g.example.com'], secretName: 'g-tls' }] } } });
    expect(r.stack.siteUrl).toBe('https://g.example.com');
  });

  test('the notes are written to _reports/<release>/NOTES.txt, warnings first', () => {
    expect(byTier.analytics.notesFile!).not.toContain('WARNINGS');
    const text = renderStack({ tier: Tier.ANALYTICS, engine: { placement: { nodeSelection: NodeSelection.fallback({ pool: 'gpu' }) } } }).notesFile!;
    expect(text.startsWith('# graphistry (namespace gx)\n\nWARNINGS\n- STORAGE TOPOLOGY')).toBe(true);
    expect(text).toContain('\nACCESS\n');
    expect(text).toContain('\nSTORAGE TOPOLOGY\n');
  });
});

describe('NODES AND NAMESPACE notes (derived from the rendered pods)', () => {
  const CPU = { 'graphistry.io/role': 'cpu' };
  const GPU = { 'graphistry.io/role': 'gpu' };
  let split: Rendered;
  let plain: Rendered;
  beforeAll(() => {
    split = renderStack(
      { tier: Tier.FULL, telemetry: SELF_HOSTED, storage: { accessMode: StorageAccessMode.READ_WRITE_MANY }, engine: { placement: { nodeSelection: NodeSelection.fallback(GPU) } }, notebook: { placement: { nodeSelection: NodeSelection.fallback(GPU) } }, graphAppKit: { credentials: { secretName: 'gak-credentials' }, placement: { nodeSelection: NodeSelection.fallback(GPU) } } },
      { placement: { nodeSelector: CPU } },
    );
    plain = renderStack({ tier: Tier.VIZ });
  });
  const lines = (r: Rendered) => section(r, 'NODES AND NAMESPACE').split('\n');
  const line = (r: Rendered, start: string) => lines(r).find((l) => l.startsWith(`- ${start}`)) ?? '';
  /** The loosest level over every pod the release renders, evaluated on the written manifests. */
  const renderedLevel = (r: Rendered): PodSecurityLevel => {
    const order: PodSecurityLevel[] = ['restricted', 'baseline', 'privileged'];
    const pods = r.objects.map((o: Obj) => o.spec?.template?.spec).filter((p) => p !== undefined);
    return order[Math.max(...pods.map((p) => order.indexOf(evaluatePodSecurity(p).level)))];
  };

  test('the namespace is not rendered: the notes say to create it or let Argo CD (CreateNamespace=true)', () => {
    expect(plain.find('Namespace', 'gx')).toBeUndefined();
    expect(line(plain, 'Namespace gx')).toBe('- Namespace gx is not rendered by this release: set CreateNamespace=true in the Argo CD Application\'s syncOptions, or create it first (kubectl create namespace gx).');
    const own = renderStack({ tier: Tier.PLATFORM }, { createNamespace: true });
    expect(own.find('Namespace', 'gx')).toBeDefined();
    expect(line(own, 'Namespace gx')).toBe('- Namespace gx is rendered by this release.');
  });

  test('without telemetry the pods need baseline (Graphistry images run as root with default-set capabilities), and the level agrees with the manifests', () => {
    expect(renderedLevel(plain)).toBe('baseline');
    expect(line(plain, 'Pod Security')).toContain('must admit the baseline level: kubectl label namespace gx pod-security.kubernetes.io/enforce=baseline');
    const baseline = line(plain, 'Baseline level needed by');
    expect(baseline).toMatch(/dask-scheduler, nexus, engine \(runAsUser 0; capabilities CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID\)/);
    // Caddy and Redis run non-root with every capability dropped: they are not named.
    expect(baseline).not.toMatch(/caddy|redis/);
    expect(line(plain, 'Privileged level needed by')).toBe('');
  });

  test('the bundled exporters need privileged (dcgm-exporter SYS_ADMIN, node-exporter host network and paths), and the level agrees with the manifests', () => {
    expect(renderedLevel(split)).toBe('privileged');
    expect(line(split, 'Pod Security')).toContain('pod-security.kubernetes.io/enforce=privileged');
    const privileged = line(split, 'Privileged level needed by');
    expect(privileged).toContain('dcgm-exporter (capabilities SYS_ADMIN)');
    expect(privileged).toMatch(/node-exporter \(hostNetwork; hostPath volumes [^)]*\/proc/);
  });

  test('with the exporters external or without profiling, baseline is enough again', () => {
    const ext = renderStack({
      tier: Tier.VIZ,
      telemetry: { ...SELF_HOSTED, dcgmExporter: DcgmExporterSource.bundled({ profilingMetrics: false }), nodeExporter: NodeExporterSource.none() },
    });
    expect(renderedLevel(ext)).toBe('baseline');
    expect(line(ext, 'Pod Security')).toContain('enforce=baseline');
    expect(line(ext, 'Baseline level needed by')).toContain('dcgm-exporter (runAsUser 0)');
  });

  test('node labels: the release-wide selector, the GPU pool selectors and the GPU-present label, each with the workloads that need it', () => {
    expect(line(split, 'Nodes labelled graphistry.io/role=cpu')).toMatch(
      /^- Nodes labelled graphistry\.io\/role=cpu \(the release-wide nodeSelector\) for .*redis, dask-scheduler, nexus, pivot, caddy \(kubectl label node <node> graphistry\.io\/role=cpu\)/,
    );
    expect(line(split, 'Nodes labelled graphistry.io/role=gpu')).toContain('for engine, notebook, graph-app-kit-public, graph-app-kit-private (kubectl label node <node> graphistry.io/role=gpu)');
    expect(line(split, 'Nodes labelled nvidia.com/gpu.present=true')).toContain('for dcgm-exporter (set by NVIDIA GPU Feature Discovery or the GPU Operator on GPU nodes)');
    expect(line(split, 'Any node')).toBe('- Any node (no nodeSelector): node-exporter, otel-collector.');
    // Every workload the notes name under a selector renders with exactly that selector.
    for (const l of lines(split).filter((x) => x.startsWith('- Nodes labelled '))) {
      const [k, v] = /^- Nodes labelled ([^=]+)=(\S+)/.exec(l)!.slice(1);
      const names = /for (.*) \((?:kubectl|set by)/.exec(l)![1].split(', ');
      for (const n of names) {
        const w = split.objects.find((o: Obj) => o.metadata.name === n && o.spec?.template)!;
        expect({ n, selector: w.spec.template.spec.nodeSelector }).toEqual({ n, selector: { [k]: v } });
      }
    }
  });

  test('GPU runtime: workloads naming a RuntimeClass need it to exist; the others need the NVIDIA runtime as the node default', () => {
    const r = renderStack({ tier: Tier.FULL, telemetry: SELF_HOSTED, engine: { runtimeClassName: 'nvidia' }, graphAppKit: { credentials: { secretName: 'gak-credentials' }, runtimeClassName: 'nvidia' } });
    expect(line(r, 'GPU runtime: engine')).toContain('GPU runtime: engine, graph-app-kit-public, graph-app-kit-private run under RuntimeClass nvidia, which must exist');
    expect(line(r, 'GPU runtime: dcgm')).toContain("GPU runtime: dcgm-exporter, notebook use the node's default container runtime");
    expect(line(plain, 'GPU runtime')).toContain("GPU runtime: engine uses the node's default container runtime");
    // No GPU workload at the platform tier without telemetry: no GPU runtime line.
    expect(section(renderStack({ tier: Tier.PLATFORM }), 'NODES AND NAMESPACE')).not.toContain('GPU runtime');
  });

  test('no selector anywhere: no node labels are required', () => {
    expect(line(plain, 'Node labels')).toBe('- Node labels: none required; no pod has a nodeSelector.');
  });
});

describe('OperatorNotes', () => {
  test('renders titled sections with bullets and drops empty ones', () => {
    const n = new OperatorNotes().section('A', ['one', '', 'two  ']).section('EMPTY', ['']);
    expect(n.render()).toEqual(['A\n- one\n- two']);
  });

  test('fails when a heading is not upper case', () => {
    expect(() => new OperatorNotes().section('access', ['x'])).toThrow(/notes\.section\.title/);
  });
});
