import { GraphistryStackProps, StorageAccessMode, Tier } from '../../lib/graphistry';
import { CaddyLbFallback } from '../../lib/ingress';
import { stableStringify as canonical } from '../../lib/core/hash';
import { checkUpgrade, differences, formatUpgradeReport, KubeObject } from '../../lib/verify';
import { Obj, Rendered, renderStack, SELF_HOSTED } from './stack-fixtures';

const pairs = (names: readonly string[]) => names.flatMap((a) => names.filter((b) => b !== a).map((b) => [a, b] as const));

/** Renders every tier once with the same settings. */
function allTiers(props: Partial<GraphistryStackProps>): Record<string, Rendered> {
  const out: Record<string, Rendered> = {};
  for (const tier of Tier.ALL) out[tier.name] = renderStack({ ...props, tier });
  return out;
}

describe.each([
  ['defaults', {}],
  ['multi-node settings (ReadWriteMany, telemetry on)', { storage: { accessMode: StorageAccessMode.READ_WRITE_MANY, storageClassName: 'retain-sc-nfs' }, telemetry: SELF_HOSTED, engine: { nodeSelector: { gpu: 'true' } } }],
] as Array<[string, Partial<GraphistryStackProps>]>)('tier transitions with %s', (_name, props) => {
  let tiers: Record<string, Rendered>;
  beforeAll(() => {
    tiers = allTiers(props);
  });

  test.each(pairs(Tier.ALL.map((t) => t.name)))('%s -> %s: no immutable field changes and no stateful object disappears', (from, to) => {
    const report = checkUpgrade(tiers[from].objects as KubeObject[], tiers[to].objects as KubeObject[]);
    if (!report.ok) throw new Error(formatUpgradeReport(report));
    expect(report.breaking).toEqual([]);
  });

  test('every tier renders byte-identical claims (same names, class, access mode and size)', () => {
    const claims = (r: Rendered) => r.objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => canonical(o)).sort();
    const platform = claims(tiers.platform);
    expect(platform.length).toBeGreaterThanOrEqual(4);
    for (const t of ['analytics', 'viz', 'full']) expect(claims(tiers[t])).toEqual(platform);
  });

  test('the entry point (Caddy Service and Ingress) is identical at every tier, so a tier change never churns it', () => {
    for (const kind of ['Service', 'Ingress']) {
      const platform = tiers.platform.find(kind, 'caddy');
      for (const t of ['analytics', 'viz', 'full']) expect(tiers[t].find(kind, 'caddy')).toEqual(platform);
    }
    expect(tiers.platform.find('Service', 'caddy')).toBeDefined();
  });

  test('objects present on both sides of a transition keep their selectors and headless-ness', () => {
    for (const [from, to] of pairs(Tier.ALL.map((t) => t.name))) {
      for (const before of tiers[from].objects) {
        const after = tiers[to].find(before.kind, before.metadata.name);
        if (!after) continue;
        if (before.spec?.selector?.matchLabels) expect(after.spec.selector).toEqual(before.spec.selector);
        if (before.kind === 'Service') expect(after.spec.clusterIP).toEqual(before.spec.clusterIP);
      }
    }
  });
});

describe('telemetry at the platform tier (rendered, unlike the seed: the stack owns its claims)', () => {
  const telemetryClaims = ['PersistentVolumeClaim/grafana-data', 'PersistentVolumeClaim/jaeger-data', 'PersistentVolumeClaim/prometheus-data'];
  let tiers: Record<string, Rendered>;
  beforeAll(() => {
    tiers = allTiers({ telemetry: SELF_HOSTED });
  });

  test('the platform tier renders the telemetry stack and its three claims', () => {
    expect(tiers.platform.ids).toEqual(expect.arrayContaining([...telemetryClaims, 'Deployment/prometheus', 'Deployment/grafana', 'Deployment/jaeger', 'DaemonSet/otel-collector']));
  });

  test.each(['analytics', 'viz', 'full'])('platform <-> %s: the telemetry claims are byte-identical, so the tier change neither deletes nor recreates them', (tier) => {
    for (const id of telemetryClaims) {
      const [kind, name] = id.split('/');
      expect(canonical(tiers[tier].get(kind, name))).toBe(canonical(tiers.platform.get(kind, name)));
    }
    for (const [from, to] of [[tiers.platform, tiers[tier]], [tiers[tier], tiers.platform]]) {
      const report = checkUpgrade(from.objects as KubeObject[], to.objects as KubeObject[]);
      expect(report.breaking.filter((v) => telemetryClaims.some((c) => v.object.includes(c.split('/')[1])))).toEqual([]);
    }
  });

  test('gating telemetry on the tier, as the seed does, would delete its claims on a downgrade to platform: the upgrade check says so', () => {
    const seedPlatform = renderStack({ tier: Tier.PLATFORM });
    const report = checkUpgrade(tiers.analytics.objects as KubeObject[], seedPlatform.objects as KubeObject[]);
    const removed = report.breaking.map((v) => v.object).filter((o) => /prometheus-data|grafana-data|jaeger-data/.test(o));
    expect(removed.length).toBe(3);
  });
});

describe('changing only the catch-all fallback', () => {
  const before = renderStack({ tier: Tier.VIZ, caddy: { fallback: CaddyLbFallback.roundRobin() } });
  const after = renderStack({ tier: Tier.VIZ, caddy: { fallback: CaddyLbFallback.leastConn() } });

  const changed = () => {
    const out: string[] = [];
    for (const b of before.objects) {
      const a = after.get(b.kind, b.metadata.name);
      if (canonical(a) !== canonical(b)) out.push(`${b.kind}/${b.metadata.name}`);
    }
    return out.sort();
  };

  test('changes the Caddyfile and, through its checksum annotation, the Caddy pod template; nothing else', () => {
    expect(after.ids).toEqual(before.ids);
    expect(changed()).toEqual(['ConfigMap/caddy-caddyfile', 'Deployment/caddy']);
    const diff = differences(before.get('Deployment', 'caddy'), after.get('Deployment', 'caddy'), '', 20);
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatch(/^spec\.template\.metadata\.annotations\.checksum\/config: /);
    const cm = differences(before.get('ConfigMap', 'caddy-caddyfile'), after.get('ConfigMap', 'caddy-caddyfile'), '', 20);
    expect(cm).toHaveLength(1);
    expect((after.get('ConfigMap', 'caddy-caddyfile') as Obj).data.Caddyfile).toContain('fallback least_conn');
  });

  test('is a safe upgrade', () => {
    expect(checkUpgrade(before.objects as KubeObject[], after.objects as KubeObject[]).ok).toBe(true);
  });
});
