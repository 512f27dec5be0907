import { App } from 'cdk8s';
import { Manifest, renderApp } from '../../lib/release';
import { checkUpgrade, verifyReleases, VerifyReport } from '../../lib/verify';
import { Obj } from './template';

/** Renders every release of `app` and verifies them together (schema, policy, references, wiring). */
export function verifyApp(app: App): VerifyReport[] {
  const releases = renderApp(app);
  return verifyReleases(releases.map((r) => ({ name: r.name, objects: r.objects, connections: r.connections })));
}

/** The violations of every release of `app`, as `object rule: message` lines (empty when clean). */
export function violationsOf(app: App): string[] {
  return verifyApp(app).flatMap((r) => r.violations.map((v) => `${v.object} ${v.rule}: ${v.message}`));
}

/** Every claim the objects create: standalone PVCs and StatefulSet claim templates, by `kind/name[/template]`. */
export function claimsOf(objects: readonly Manifest[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of objects as readonly Obj[]) {
    if (o.kind === 'PersistentVolumeClaim') out[`PersistentVolumeClaim/${o.metadata.name}`] = { metadata: o.metadata, spec: o.spec };
    if (o.kind === 'StatefulSet') {
      for (const t of o.spec.volumeClaimTemplates ?? []) out[`StatefulSet/${o.metadata.name}/${t.metadata.name}`] = t;
    }
  }
  return out;
}

/**
 * The upgrade matrix of a stateful component: from `before`, each of `after` (replicas, image or resources changed)
 * applies without a breaking change and leaves every claim exactly as it was. Returns the labels of the variants
 * checked, so a test can assert the matrix is the one it meant.
 */
export function expectUpgradeKeepsClaims(before: readonly Manifest[], after: ReadonlyArray<readonly [string, readonly Manifest[]]>): string[] {
  const claims = claimsOf(before);
  if (Object.keys(claims).length === 0) throw new Error('the base output has no claims: the matrix would prove nothing');
  for (const [label, objects] of after) {
    const report = checkUpgrade(before as any, objects as any);
    if (!report.ok) throw new Error(`${label}: ${report.breaking.map((b) => `${b.object} ${b.rule}: ${b.message}`).join('; ')}`);
    const next = claimsOf(objects);
    if (JSON.stringify(next) !== JSON.stringify(claims)) throw new Error(`${label}: the claims changed:\n${JSON.stringify(claims)}\n->\n${JSON.stringify(next)}`);
    const changed = JSON.stringify(before) !== JSON.stringify(objects);
    if (!changed) throw new Error(`${label}: the output did not change, so the variant tests nothing`);
  }
  return after.map(([l]) => l);
}
