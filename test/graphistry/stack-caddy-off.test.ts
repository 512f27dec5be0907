import { Size } from 'cdk8s';
import { stableStringify as canonical } from '../../lib/core/hash';
import { GraphistryStackProps, Tier } from '../../lib/graphistry';
import { CaddyLbFallback, CaddyTls } from '../../lib/ingress';
import { checkUpgrade, formatUpgradeReport, KubeObject } from '../../lib/verify';
import { envOf, Obj, Rendered, renderStack, SELF_HOSTED } from './stack-fixtures';

/** The Caddy settings the fixtures' BASE carries, cleared: with Caddy off they would be refused. */
const OFF: GraphistryStackProps['caddy'] = { enabled: false, cookieSecret: undefined, telemetryAuth: undefined };
const CADDY_OBJECTS = ['ConfigMap/caddy-caddyfile', 'Deployment/caddy', 'Ingress/caddy', 'NetworkPolicy/caddy', 'Service/caddy'];

/** The release's ingress controller peer as its NetworkPolicies render it (the default: ingress-nginx's controller pods). */
const CONTROLLER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
  podSelector: { matchLabels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/name': 'ingress-nginx' } },
};
const CADDY_PEER = { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'caddy', 'app.kubernetes.io/instance': 'graphistry', 'app.kubernetes.io/name': 'caddy' } } };

/**
 * `o` with every NetworkPolicy ingress peer that is Caddy's pods replaced by the ingress controller: with Caddy off,
 * the operator's controller reaches exactly the Services (and ports) Caddy reached, and nothing else changes.
 */
function withControllerForCaddy(o: Obj): Obj {
  if (o?.kind !== 'NetworkPolicy') return o;
  const swap = (p: Obj) => (canonical(p) === canonical(CADDY_PEER) ? CONTROLLER : p);
  const ingress = o.spec.ingress?.map((r: Obj) => ({ ...r, from: r.from.map(swap) }));
  return { ...o, spec: { ...o.spec, ingress } };
}

/** The paragraph of the notes that starts with `title`. */
function section(r: Rendered, title: string): string {
  return r.rendered.notes.find((n) => n.startsWith(`${title}\n`)) ?? '';
}

describe('caddy.enabled false (Pattern B): the operator fronts the stack with their own ingress', () => {
  const on: Record<string, Rendered> = {};
  const off: Record<string, Rendered> = {};
  beforeAll(() => {
    for (const tier of Tier.ALL) {
      on[tier.name] = renderStack({ tier, publicUrl: 'http://graphistry.example.com', telemetry: SELF_HOSTED });
      off[tier.name] = renderStack({ tier, publicUrl: 'http://graphistry.example.com', telemetry: SELF_HOSTED, caddy: OFF });
    }
  });

  test.each(Tier.ALL.map((t) => t.name))(
    '%s: no Caddy object renders, and every other object is byte-identical to the Caddy-on render, except that the ingress controller is admitted where Caddy was',
    (tier) => {
      expect(off[tier].ids.filter((id) => /caddy/i.test(id))).toEqual([]);
      expect(off[tier].stack.caddy).toBeUndefined();
      expect(on[tier].ids.filter((id) => !off[tier].ids.includes(id))).toEqual(CADDY_OBJECTS);
      for (const o of off[tier].objects) expect(canonical(o)).toBe(canonical(withControllerForCaddy(on[tier].get(o.kind, o.metadata.name))));
      // Caddy was admitted somewhere (the backend at least), so the controller is too: the rewrite above is not vacuous.
      const admitsController = (r: Rendered) => r.objects.filter((o) => o.kind === 'NetworkPolicy' && JSON.stringify(o).includes(JSON.stringify(CONTROLLER)));
      expect(admitsController(off[tier]).map((o) => o.metadata.name)).toEqual(
        tier === 'platform' ? ['nexus-proxy'] : ['engine', 'grafana', 'jaeger', 'prometheus'],
      );
      // With Caddy on, the controller reaches Caddy alone (through Caddy's own Ingress).
      expect(admitsController(on[tier]).map((o) => o.metadata.name)).toEqual(['caddy']);
      // The controller peer is the release's default (ingress-nginx): the notes say so and how to name another.
      const note = off[tier].rendered.notes.find((n) => n.includes('fronted by your own ingress controller')) ?? '';
      expect(note).toContain(tier === 'platform' ? 'nexus-proxy is fronted' : 'engine-headless, grafana, prometheus, jaeger are fronted');
      expect(note).toContain('NetworkPolicies.defaultDeny({ ingressController: ExternalPeer.pods(');
      expect(on[tier].rendered.notes.some((n) => n.includes('fronted by your own ingress controller'))).toBe(false);
    },
  );

  test.each(Tier.ALL.map((t) => t.name))('%s: the upgrade checker passes Caddy on -> off and back (only the Caddy objects go)', (tier) => {
    for (const [from, to] of [[on[tier], off[tier]], [off[tier], on[tier]]]) {
      const report = checkUpgrade(from.objects as KubeObject[], to.objects as KubeObject[]);
      if (!report.ok) throw new Error(formatUpgradeReport(report));
      expect(report.breaking).toEqual([]);
    }
  });

  test('the notes say what the ingress must do: backend, health path, session affinity by value, cookie, WebSockets, body size', () => {
    const text = section(off.viz, 'YOUR INGRESS (CADDY OFF)');
    expect(section(off.viz, 'ROUTES (CADDY)')).toBe('');
    expect(text).toContain('entry point for http://graphistry.example.com');
    expect(text).toContain('Backend: Service engine-headless port 80 (engine-headless.gx.svc.cluster.local:80), a headless Service');
    expect(text).toContain('Health check: GET /healthz on that port');
    expect(text).toContain('/caddy/health/ belongs to Caddy and does not exist here');
    expect(text).toContain('/streamgl/*: pin each request by the value of the ?id= query parameter');
    expect(text).toContain('upstream-hash-by: "$arg_id"');
    expect(text).toContain('/graph/socket.io* and /graph/graph.html*: pin each request by the value of the ?session= query parameter');
    expect(text).toContain('upstream-hash-by: "$arg_session"');
    expect(text).toContain('carry the same session id: hash the same value over the same pod list');
    expect(text).toContain('nginx.ingress.kubernetes.io/affinity: cookie');
    expect(text).toContain('WebSockets: /graph/socket.io');
    expect(text).toContain('dataset uploads up to 20Gi');
    expect(text).toContain('COOKIE_SECURE=False');
    // The health path the notes give is the one the engine's nginx probes answer on, on the Service's port.
    const engine = off.viz.get('DaemonSet', 'engine').spec.template.spec.containers.find((c: Obj) => c.name === 'nginx');
    expect(engine.readinessProbe.exec.command.join(' ')).toContain('/healthz');
    expect(off.viz.get('Service', 'engine-headless').spec.ports[0].port).toBe(80);
  });

  test('the upload limit in the notes follows engine.uploadsScratchSizeLimit', () => {
    const r = renderStack({ tier: Tier.ANALYTICS, publicUrl: 'http://g.example.com', caddy: OFF, engine: { uploadsScratchSizeLimit: Size.gibibytes(50) } });
    expect(section(r, 'YOUR INGRESS (CADDY OFF)')).toContain('dataset uploads up to 50Gi');
  });

  test('the notes list the telemetry UIs to route, flagging the two without a login of their own', () => {
    const text = section(off.analytics, 'YOUR INGRESS (CADDY OFF)');
    expect(text).toContain('/grafana/ -> Service grafana port 3000 (grafana; keep the path prefix, the UI serves under it).');
    expect(text).toMatch(/\/prometheus\/ -> Service prometheus port 9090 \(prometheus; .*no login of its own/);
    expect(text).toMatch(/\/jaeger\/ -> Service jaeger port 16686 \(jaeger; .*no login of its own/);
    expect(section(off.analytics, 'UNAUTHENTICATED ROUTES')).toBe('');
  });

  test('platform: the ingress fronts nexus-proxy, with no session rules, cookie or upload limit', () => {
    const text = section(off.platform, 'YOUR INGRESS (CADDY OFF)');
    expect(text).toContain('Backend: Service nexus-proxy port 80 (nexus-proxy.gx.svc.cluster.local:80).');
    expect(text).not.toMatch(/upstream-hash-by|affinity: cookie|uploads up to/);
  });

  test("nexus' COOKIE_SECURE follows the scheme of publicUrl", () => {
    const https = renderStack({ tier: Tier.ANALYTICS, publicUrl: 'https://graphistry.example.com', caddy: OFF });
    expect(envOf(https.get('Deployment', 'nexus').spec.template.spec.containers[0]).COOKIE_SECURE).toBe('True');
    expect(section(https, 'YOUR INGRESS (CADDY OFF)')).toContain('terminate TLS at the ingress and pass X-Forwarded-Proto: https');
    expect(envOf(off.analytics.get('Deployment', 'nexus').spec.template.spec.containers[0]).COOKIE_SECURE).toBe('False');
  });

  test('from analytics up no cookie Secret and no telemetry route login are needed (nothing uses them)', () => {
    expect(() => renderStack({ tier: Tier.FULL, publicUrl: 'http://g.example.com', telemetry: SELF_HOSTED, caddy: OFF })).not.toThrow();
  });

  test('fails when caddy.enabled is false without publicUrl, saying why it is needed', () => {
    expect(() => renderStack({ tier: Tier.ANALYTICS, caddy: OFF })).toThrow(/'publicUrl' is undefined.*COOKIE_SECURE.*allowed: the URL your ingress serves/s);
  });

  test('fails when Caddy settings are given with caddy.enabled false, naming them (they would be silently ignored)', () => {
    expect(() =>
      renderStack({ tier: Tier.ANALYTICS, publicUrl: 'http://g.example.com', caddy: { ...OFF, tls: CaddyTls.off(), fallback: CaddyLbFallback.leastConn() } }),
    ).toThrow(/'caddy\.tls, caddy\.fallback'.*unset when caddy\.enabled is false/s);
  });

  test('fails when caddy.enabled is not a boolean', () => {
    expect(() => renderStack({ tier: Tier.PLATFORM, caddy: { enabled: 'no' as unknown as boolean } })).toThrow(/'caddy\.enabled'.*"no".*true or false/s);
  });
});
