import { OperatorNotes, StorageAccessMode, Tier } from '../../lib/graphistry';
import { CaddyCookieSecret, CaddyTls } from '../../lib/ingress';
import { Rendered, renderStack, SELF_HOSTED } from './stack-fixtures';

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

  test('viz and full: browser visualization; full adds pivot, notebook and both dashboards', () => {
    expect(section(byTier.viz, 'ACCESS')).toContain('Browser visualization: http://localhost:8080/graph/graph.html?dataset=<id>');
    expect(section(byTier.viz, 'ACCESS')).not.toContain('/pivot/');
    const full = section(byTier.full, 'ACCESS');
    expect(full).toContain('Investigations (pivot): http://localhost:8080/pivot/');
    expect(full).toContain('Dashboards (public): http://localhost:8080/public/dash/');
    expect(full).toContain('Dashboards (private): http://localhost:8080/private/dash/');
  });

  test('without a host name, the notes give a port-forward recipe to Caddy', () => {
    expect(section(byTier.viz, 'ACCESS')).toContain('kubectl -n gx port-forward --address 0.0.0.0 svc/caddy 8080:80');
  });

  test('the Secrets to create come with the commands that create them', () => {
    const create = section(byTier.full, 'BEFORE SYNCING, CREATE');
    expect(create).toContain('kubectl -n gx create secret generic graphistry-jwt --from-literal=DJANGO_SECRET_KEY="$(openssl rand -hex 32)"');
    expect(create).toContain('kubectl -n gx create secret generic graphistry-nexus --from-literal=GRAPHISTRY_NEXUS_ENCRYPTION_KEYS=');
    expect(create).toContain('Secret graphistry-postgres');
    expect(create).toContain('Secret gak-credentials');
    expect(create).toContain('StorageClass retain-sc (reclaimPolicy: Retain)');
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

  test('COOKIE SECRET WARNING with the placeholder from analytics up; none at platform (no cookie there)', () => {
    expect(byTier.platform.rendered.warnings.filter((w) => /placeholder/.test(w))).toEqual([]);
    for (const t of ['analytics', 'viz', 'full']) expect(byTier[t].rendered.warnings.join('\n')).toMatch(/sticky-cookie secret is the placeholder.*openssl rand -hex 32/);
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

  test('the site URL comes from the Ingress host and its TLS', () => {
    const r = renderStack({ tier: Tier.VIZ, caddy: { ingress: { hosts: ['g.example.com'], tls: [{ hosts: ['g.example.com'], secretName: 'g-tls' }] } } });
    expect(r.stack.siteUrl).toBe('https://g.example.com');
  });

  test('the notes are written to _reports/<release>/NOTES.txt, warnings first', () => {
    const text = byTier.analytics.notesFile!;
    expect(text.startsWith('# graphistry (namespace gx)\n\nWARNINGS\n- ')).toBe(true);
    expect(text).toContain('\nACCESS\n');
    expect(text).toContain('\nSTORAGE TOPOLOGY\n');
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
