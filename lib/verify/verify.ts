import { POLICY_EXCEPTION_PREFIX } from '../core/policy';
import { apiFindings } from './hardening';
import { ConnectionRecord } from '../core/wiring';
import { declaredExceptions, policyFindings } from './policy';
import { referenceFindings } from './references';
import { releaseRuleFindings } from './release-rules';
import { RULES } from './rules';
import { releaseCrdVersions, SchemaValidator } from './schema';
import { CrdVersion, defaultCrdDirs } from './schema-source';
import { namespaceOf, objectId } from './objects';
import { HonouredException, KubeObject, NetworkPolicyMode, VerifyOptions, VerifyReport, Violation } from './types';
import { wiringFindingObject, wiringFindings } from './wiring';
import { indexedLookup, NetworkLookup, networkFindingsWith } from './network';
import { syncWaveFindings } from '../gitops/ordering';
import { namespaceLevelFindings } from './pod-security';
import { iotWatchFindings } from './iot';

function compare(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What makes two objects the same object on the cluster: API group, kind, namespace and name. */
function identityKey(o: KubeObject): string {
  return `${String(o.apiVersion).split('/')[0]}|${o.kind}|${namespaceOf(o)}|${o.metadata.name}`;
}

function sortViolations(violations: Violation[]): Violation[] {
  return violations.sort(
    (a, b) => compare(a.object, b.object) || compare(a.rule, b.rule) || compare(a.path, b.path) || compare(a.message, b.message),
  );
}

/**
 * Verifies one set of objects (normally one release): schema, policy (with declared exceptions), cross-object
 * references. Pure apart from reading the schema files once per process. Objects are not modified.
 */
export function verifyManifests(objects: readonly KubeObject[], options: VerifyOptions = {}): VerifyReport {
  return verifyWith(objects, options, undefined);
}

/**
 * `verifyManifests`, with the CRD versions the other releases of the app render (`appCrds`): a custom resource whose
 * CRD another release renders is validated against that CRD (the one the cluster will serve) before the directories
 * are searched; the release's own CRDs still win.
 */
function verifyWith(objects: readonly KubeObject[], options: VerifyOptions, appCrds: ReadonlyMap<string, CrdVersion> | undefined): VerifyReport {
  const violations: Violation[] = [];
  const exceptions: HonouredException[] = [];
  const fileOf = new Map<KubeObject, string | undefined>();
  objects.forEach((o, i) => fileOf.set(o, options.files?.[i]));
  const push = (o: KubeObject, v: Omit<Violation, 'object' | 'file'>) => {
    const file = fileOf.get(o);
    violations.push({ object: o?.metadata?.name !== undefined ? objectId(o) : `${o?.kind ?? '?'}/(unnamed)`, ...v, ...(file ? { file } : {}) });
  };

  // Identity: every object named, no two the same.
  const seen = new Map<string, KubeObject>();
  for (const o of objects) {
    if (!o?.metadata?.name) {
      push(o, { rule: 'schema', message: 'the object has no metadata.name', fix: 'name every object', path: 'metadata.name' });
      continue;
    }
    const id = identityKey(o);
    if (seen.has(id)) {
      push(o, { rule: 'duplicate-object', message: `${objectId(o)} is rendered twice`, fix: 'give the two objects distinct names (or distinct construct ids)', path: 'metadata.name' });
    }
    seen.set(id, o);
  }

  // Schema.
  if (options.schema !== false) {
    const validator = SchemaValidator.get(options.schemaPath);
    const crdDirs = options.crdDirs ?? defaultCrdDirs();
    const own = releaseCrdVersions(objects);
    const releaseCrds = appCrds ? new Map([...appCrds, ...own]) : own;
    for (const o of objects) {
      for (const f of validator.validate(o, crdDirs, releaseCrds)) push(o, f);
    }
  }

  // What the API server rejects beyond the schema (names, selectors, ranges, duplicates).
  for (const o of objects) {
    if (!o?.metadata?.name) continue;
    for (const f of apiFindings(o)) push(o, f);
  }

  // Policy, with the exceptions each object declares.
  for (const o of objects) {
    if (!o?.metadata?.name) continue;
    const { exceptions: declared, problems } = declaredExceptions(o);
    for (const p of problems) push(o, { rule: 'policy-exception', ...p });
    const used = new Set<string>();
    for (const f of policyFindings(o)) {
      if (declared.has(f.rule)) used.add(f.rule);
      else push(o, f);
    }
    for (const [rule, reason] of declared) exceptions.push({ object: objectId(o), rule, reason, used: used.has(rule) });
  }

  // Node ports: one Service per port, within the release (verifyReleases also checks across releases).
  for (const [port, owners] of nodePortClaims(objects)) {
    if (owners.length < 2) continue;
    for (const o of owners.slice(1)) {
      push(o, { rule: 'node-port-collision', message: `nodePort ${port} is also claimed by ${objectId(owners[0])}; the API server allocates each node port to one Service`, fix: 'give each Service its own node port, or leave nodePort unset so the API server picks a free one', path: 'spec.ports' });
    }
  }

  // References.
  const refs = referenceFindings(objects);
  for (const f of refs.findings) push(f.object, { rule: f.rule, message: f.message, fix: f.fix, path: f.path });
  for (const f of releaseRuleFindings(objects, options.installedCrds)) push(f.object, { rule: f.rule, message: f.message, fix: f.fix, path: f.path });

  // Sync order (Argo CD waves) and the Pod Security level a rendered Namespace enforces.
  for (const f of syncWaveFindings(objects)) push(f.object as KubeObject, { rule: 'sync-wave-order', message: f.message, fix: f.fix, path: f.path });
  for (const f of namespaceLevelFindings(objects)) push(f.object, { rule: 'pod-security-level', message: f.message, fix: f.fix, path: f.path });
  for (const f of iotWatchFindings(objects, objects)) push(f.object, { rule: 'iot-watched-namespace', message: f.message, fix: f.fix, path: f.path });

  sortViolations(violations);
  exceptions.sort((a, b) => compare(a.object, b.object) || compare(a.rule, b.rule));
  return {
    name: options.name ?? 'manifests',
    objectCount: objects.length,
    violations,
    exceptions,
    externals: refs.externals,
    ok: violations.length === 0,
  };
}

/** Services by the node ports they claim (each Service once per port). */
function nodePortClaims(objects: readonly KubeObject[]): Map<number, KubeObject[]> {
  const claims = new Map<number, KubeObject[]>();
  for (const o of objects) {
    if (o?.kind !== 'Service' || o.apiVersion !== 'v1') continue;
    const ports = ((o as { spec?: { ports?: Array<{ nodePort?: unknown }> } }).spec?.ports ?? []).map((p) => p?.nodePort).filter((n): n is number => typeof n === 'number');
    for (const n of new Set(ports)) claims.set(n, [...(claims.get(n) ?? []), o]);
  }
  return claims;
}

/** A rendered release as `renderApp` returns it (only the fields verification needs). */
export interface VerifiableRelease {
  /** The release (or manifest set) name. */
  readonly name: string;
  /** The objects. */
  readonly objects: readonly KubeObject[];
  /**
   * File each object was read from (same order), for reports.
   * @default - none
   */
  readonly files?: readonly (string | undefined)[];
  /**
   * The wiring graph's connections that touch the release (`RenderedRelease.connections`). Each is checked once,
   * in the report of the release its client runs in (or, for a client outside the app, of the target's release),
   * against the objects of every release given.
   * @default - none
   */
  readonly connections?: readonly ConnectionRecord[];
  /**
   * The release's NetworkPolicy mode (`RenderedRelease.networkPolicy`): with a default deny, the NetworkPolicy rules
   * prove its policies cover its pods and allow its connections; off, its reason is listed with the exceptions.
   * @default - the NetworkPolicy rules do not run (a manifest set that is not a rendered release)
   */
  readonly networkPolicy?: NetworkPolicyMode;
}

/** True when the connection's check belongs in the report of release `name` (of the releases `names`). */
function ownsConnection(c: ConnectionRecord, name: string, names: ReadonlySet<string>): boolean {
  if (c.from.type === 'workload' && c.from.release !== undefined && names.has(c.from.release)) return c.from.release === name;
  return c.to.type !== 'external' && c.to.release === name;
}

/**
 * Verifies each release on its own (references must resolve inside the release or be declared external), checks the
 * wiring graph's connections against the objects of all the releases, and fails every release that renders an object
 * another release renders too: each release is one Argo CD application, and two
 * applications owning one object overwrite each other's changes and prune it when either stops rendering it.
 */
export function verifyReleases(releases: readonly VerifiableRelease[], options: Omit<VerifyOptions, 'name' | 'files'> = {}): VerifyReport[] {
  // A custom resource whose CRD another release of the app renders is served once that release is applied.
  const appCrds = releases.flatMap((r) => r.objects)
    .filter((o) => o?.kind === 'CustomResourceDefinition')
    .map((o) => `${(o as { spec?: { names?: { kind?: string } } }).spec?.names?.kind}.${(o as { spec?: { group?: string } }).spec?.group}`);
  const installedCrds = [...(options.installedCrds ?? []), ...appCrds];
  // Their schemas are found in the rendered CRDs (not by reading and parsing CRD files) for every release.
  const appCrdVersions = releaseCrdVersions(releases.flatMap((r) => r.objects), 'in another release of the app');
  const reports = releases.map((r) => verifyWith(r.objects, { ...options, installedCrds, name: r.name, files: r.files }, appCrdVersions));
  const owners = new Map<string, string[]>();
  for (const r of releases) {
    for (const id of new Set(r.objects.filter((o) => o?.metadata?.name).map(identityKey))) {
      if (!owners.has(id)) owners.set(id, []);
      owners.get(id)!.push(r.name);
    }
  }
  const portClaims = releases.map((r) => nodePortClaims(r.objects));
  const names = new Set(releases.map((r) => r.name));
  const allObjects = releases.flatMap((r) => r.objects);
  let lookup: NetworkLookup | undefined;
  return reports.map((report, i) => {
    const shared: Violation[] = [];
    const owned = (releases[i].connections ?? []).filter((c) => ownsConnection(c, releases[i].name, names));
    for (const f of wiringFindings(owned, allObjects)) {
      shared.push({ object: wiringFindingObject(f), rule: f.rule, message: f.message, fix: f.fix, ...(f.path ? { path: f.path } : {}) });
    }
    // Fleet deployments against the operators of every release (the operator often lives in another release).
    for (const f of iotWatchFindings(releases[i].objects, allObjects)) {
      const object = objectId(f.object);
      if (report.violations.some((v) => v.object === object && v.rule === 'iot-watched-namespace')) continue;
      shared.push({ object, rule: 'iot-watched-namespace', message: f.message, fix: f.fix, path: f.path });
    }
    const np = releases[i].networkPolicy;
    let exceptions = report.exceptions;
    if (np?.mode === 'default-deny') {
      const release = { name: releases[i].name, objects: releases[i].objects, connections: releases[i].connections ?? [] };
      // The app's pods and policies are indexed once for all its releases.
      for (const f of networkFindingsWith(release, (lookup ??= indexedLookup(allObjects)))) {
        shared.push({ object: objectId(f.object), rule: f.rule, message: f.message, fix: f.fix, ...(f.path ? { path: f.path } : {}) });
      }
    } else if (np?.mode === 'off') {
      exceptions = [...exceptions, { object: `Release/${releases[i].name}`, rule: 'netpol-coverage', reason: `NetworkPolicies off: ${np.reason}`, used: true }];
    }
    const seen = new Set<string>();
    for (const [j, o] of releases[i].objects.entries()) {
      if (!o?.metadata?.name) continue;
      const file = releases[i].files?.[j];
      const id = identityKey(o);
      const others = (owners.get(id) ?? []).filter((n) => n !== releases[i].name);
      if (!others.length || seen.has(id)) continue;
      seen.add(id);
      shared.push({
        object: objectId(o),
        rule: 'duplicate-object',
        message: `${objectId(o)} is also rendered by release ${others.join(', ')}; two applications would overwrite each other and prune it`,
        fix: 'render it in exactly one release (cluster-wide objects such as CRDs in a shared release; for IotFleet, installCrd: false in the others)',
        path: 'metadata.name',
        ...(file ? { file } : {}),
      });
    }
    // Node ports are cluster-wide: a port another release's Service claims collides too.
    for (const [port, owners] of portClaims[i]) {
      const elsewhere = releases.filter((_, k) => k !== i && portClaims[k].has(port)).map((r) => r.name);
      if (!elsewhere.length) continue;
      shared.push({
        object: objectId(owners[0]),
        rule: 'node-port-collision',
        message: `nodePort ${port} is also claimed by a Service of release ${elsewhere.join(', ')}; node ports are allocated cluster-wide, one Service per port`,
        fix: 'give each release its own node ports, or leave nodePort unset so the API server picks a free one',
        path: 'spec.ports',
      });
    }
    if (!shared.length) return exceptions === report.exceptions ? report : { ...report, exceptions };
    const violations = sortViolations([...report.violations, ...shared]);
    return { ...report, violations, exceptions, ok: false };
  });
}

/** Renders a report as text: violations grouped by object with their fixes, then exceptions and externals. */
export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  const n = report.violations.length;
  lines.push(`verify ${report.name}: ${report.objectCount} object(s), ${n ? `FAILED with ${n} violation(s)` : 'all checks passed'}`);
  if (n) {
    lines.push('', 'VIOLATIONS (object / rule / message / fix)');
    let last = '';
    for (const v of report.violations) {
      if (v.object !== last) {
        lines.push(`  ${v.object}${v.file ? `  (${v.file})` : ''}`);
        last = v.object;
      }
      lines.push(`    [${v.rule}] ${v.message}`);
      if (v.path) lines.push(`      at:  ${v.path}`);
      lines.push(`      fix: ${v.fix}`);
    }
    const broken = [...new Set(report.violations.map((v) => v.rule))].sort();
    lines.push('', 'RULES BROKEN');
    for (const r of broken) lines.push(`  ${r}: ${RULES.get(r)?.rationale ?? ''}`);
  }
  if (report.exceptions.length) {
    lines.push('', `EXCEPTIONS (declared with ${POLICY_EXCEPTION_PREFIX}<rule> annotations)`);
    for (const e of report.exceptions) {
      lines.push(`  ${e.object}  ${e.rule}: ${e.reason}${e.used ? '' : '  (not needed: the object passes this rule)'}`);
    }
  }
  if (report.externals.length) {
    lines.push('', 'EXTERNALS (create these before deploying; the release references but does not render them)');
    for (const e of report.externals) lines.push(`  ${e.ref}  (referenced by ${e.referencedBy.join(', ')})`);
  }
  return `${lines.join('\n')}\n`;
}

/** Timing of one verification run, for benchmarks. */
export interface VerificationTiming {
  /** Objects verified. */
  readonly objects: number;
  /** Violations found. */
  readonly violations: number;
  /** First run in this process: includes reading and compiling the schemas it needs. */
  readonly firstMs: number;
  /** Median of the further runs (schemas already compiled). */
  readonly warmMs: number;
}

/**
 * Times `verifyReleases` on already-rendered releases, separately from synthesis (for `npm run bench`).
 * @internal
 */
export function timeVerification(releases: readonly VerifiableRelease[], runs = 3, options: Omit<VerifyOptions, 'name' | 'files'> = {}): VerificationTiming {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const reports = verifyReleases(releases, options);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, violations: reports.reduce((s, r) => s + r.violations.length, 0) };
  };
  const first = once();
  const warm = Array.from({ length: Math.max(1, runs) }, () => once().ms).sort((a, b) => a - b);
  return {
    objects: releases.reduce((s, r) => s + r.objects.length, 0),
    violations: first.violations,
    firstMs: Math.round(first.ms * 10) / 10,
    warmMs: Math.round(warm[Math.floor(warm.length / 2)] * 10) / 10,
  };
}
