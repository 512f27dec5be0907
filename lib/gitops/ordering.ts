/**
 * Sync order, from one place: the Argo CD sync wave of every object inside a release (by what the object is), and the
 * wave of every release's Application inside an app-of-apps (by what the release depends on: declared dependencies,
 * the wiring graph's connections between releases, and custom resources whose CRD another release renders).
 *
 * Argo CD applies one wave, waits until everything in it is healthy, then applies the next (lower first). Inside a
 * wave it orders by kind (Namespaces, then config, then workloads, ...), so the waves here only say what the kind
 * order cannot: a custom resource comes after its CRD, and nothing of a workload's starts before its config exists.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 */
import { ConnectionKind, ConnectionRecord } from '../core/wiring';
import { ConfigError } from '../core/errors';
import { renderedPodSpec } from '../core/pod';

/** The annotation Argo CD reads an object's sync wave from (an integer as a string; lower waves sync first). */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/**
 * The waves objects of a release are assigned, by phase. Workloads stay in wave 0 (no annotation), so an object a user
 * adds through an escape hatch lands with the workloads.
 */
export const SYNC_WAVES = {
  /**
   * What workloads need before they start and that is healthy as soon as it exists: CRDs, Namespaces, ConfigMaps,
   * Secrets, ServiceAccounts, RBAC, NetworkPolicies, quotas and cluster classes.
   */
  prerequisites: -1,
  /**
   * Workloads and everything else of Kubernetes itself. PersistentVolumeClaims are here, with the pods that mount them:
   * a claim on a `WaitForFirstConsumer` StorageClass stays Pending (Progressing in Argo CD) until a pod uses it, so a
   * claim in an earlier wave than its pod would hold the sync forever. Services and Ingresses are here too: a
   * LoadBalancer Service or an Ingress without an address is Progressing, which must not hold back the workloads.
   */
  workloads: 0,
  /** Custom resources (any kind outside Kubernetes' own API groups): after their CRD and after the workloads (their operator). */
  customResources: 1,
} as const;

/** Kinds of Kubernetes' own groups that go in the prerequisites wave. */
const PREREQUISITE_KINDS = new Set([
  'Namespace', 'CustomResourceDefinition', 'ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole',
  'ClusterRoleBinding', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PriorityClass', 'StorageClass', 'IngressClass',
  'RuntimeClass',
]);

/** The smallest shape of an object the ordering reads. */
export interface OrderedObject {
  /** apiVersion. */
  readonly apiVersion: string;
  /** kind. */
  readonly kind: string;
  /** Name, namespace, annotations. */
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/**
 * The API group of an apiVersion ('' for the core group).
 * @internal
 */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/**
 * True for Kubernetes' own API groups (the core group, `apps`, `batch`, `autoscaling`, `policy` and `*.k8s.io`);
 * anything else is a custom resource.
 * @internal
 */
export function isBuiltInGroup(group: string): boolean {
  return group === '' || ['apps', 'batch', 'autoscaling', 'policy'].includes(group) || group.endsWith('.k8s.io');
}

/** The wave the one place assigns an object, from its group and kind (explicit annotations aside). */
export function objectSyncWave(o: Pick<OrderedObject, 'apiVersion' | 'kind'>): number {
  const group = apiGroup(o.apiVersion);
  if (!isBuiltInGroup(group)) return SYNC_WAVES.customResources;
  return PREREQUISITE_KINDS.has(o.kind) ? SYNC_WAVES.prerequisites : SYNC_WAVES.workloads;
}

function annotationsOf(o: OrderedObject): Record<string, string> {
  const a = o.metadata.annotations;
  return a && typeof a === 'object' ? (a as Record<string, string>) : {};
}

/**
 * The object's wave as Argo CD reads it: the annotation when set (undefined when it is not an integer), else 0.
 * @internal
 */
export function declaredSyncWave(o: OrderedObject): number | undefined {
  const v = annotationsOf(o)[SYNC_WAVE_ANNOTATION];
  if (v === undefined) return 0;
  return /^\s*-?\d+\s*$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : undefined;
}

/**
 * Every object with its phase's wave (`objectSyncWave`) as the `argocd.argoproj.io/sync-wave` annotation, except
 * where it is 0 (the default) or the object already declares one (a construct's documented override, such as
 * `NatsServer`'s `syncWave`; verification rule `sync-wave-order` checks those). Objects are copied, never modified.
 */
export function withSyncWaves<T extends OrderedObject>(objects: readonly T[]): T[] {
  return objects.map((o) => {
    const wave = objectSyncWave(o);
    const annotations = annotationsOf(o);
    if (wave === 0 || SYNC_WAVE_ANNOTATION in annotations) return o;
    return { ...o, metadata: { ...o.metadata, annotations: { ...annotations, [SYNC_WAVE_ANNOTATION]: String(wave) } } };
  });
}

/** One problem with the waves of a release's objects. */
export interface SyncWaveFinding {
  /** The object at fault. */
  readonly object: OrderedObject;
  /** What is wrong. */
  readonly message: string;
  /** What to do. */
  readonly fix: string;
  /** The field. */
  readonly path: string;
}

type Json = any;

/** The ConfigMaps, Secrets, ServiceAccount and claims a pod spec uses, as `Kind/name`. */
function podUses(pod: Json): { readonly needed: Set<string>; readonly claims: Set<string> } {
  const needed = new Set<string>();
  const claims = new Set<string>();
  if (typeof pod?.serviceAccountName === 'string') needed.add(`ServiceAccount/${pod.serviceAccountName}`);
  for (const v of pod?.volumes ?? []) {
    if (v?.configMap?.name && v.configMap.optional !== true) needed.add(`ConfigMap/${v.configMap.name}`);
    if (v?.secret?.secretName && v.secret.optional !== true) needed.add(`Secret/${v.secret.secretName}`);
    if (v?.persistentVolumeClaim?.claimName) claims.add(`PersistentVolumeClaim/${v.persistentVolumeClaim.claimName}`);
    for (const s of v?.projected?.sources ?? []) {
      if (s?.configMap?.name && s.configMap.optional !== true) needed.add(`ConfigMap/${s.configMap.name}`);
      if (s?.secret?.name && s.secret.optional !== true) needed.add(`Secret/${s.secret.name}`);
    }
  }
  for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
    for (const f of c?.envFrom ?? []) {
      if (f?.configMapRef?.name && f.configMapRef.optional !== true) needed.add(`ConfigMap/${f.configMapRef.name}`);
      if (f?.secretRef?.name && f.secretRef.optional !== true) needed.add(`Secret/${f.secretRef.name}`);
    }
    for (const e of c?.env ?? []) {
      const cm = e?.valueFrom?.configMapKeyRef;
      const sk = e?.valueFrom?.secretKeyRef;
      if (cm?.name && cm.optional !== true) needed.add(`ConfigMap/${cm.name}`);
      if (sk?.name && sk.optional !== true) needed.add(`Secret/${sk.name}`);
    }
  }
  return { needed, claims };
}

/**
 * Rule `sync-wave-order`, over the objects of one release: every wave annotation is an integer; a custom resource
 * never syncs in an earlier wave than its CRD when the release renders both (in one wave Argo CD applies the CRD
 * first); and no workload is in an earlier wave than the ConfigMaps, Secrets and ServiceAccount its pods need (they
 * would never start, and the wave would never be healthy), nor in another wave than the claims its pods mount (a claim
 * waiting for its first consumer stays Pending, and a pod waiting for its claim stays Pending: either way the sync
 * stops).
 */
export function syncWaveFindings(objects: readonly OrderedObject[]): SyncWaveFinding[] {
  const out: SyncWaveFinding[] = [];
  const path = `metadata.annotations.${SYNC_WAVE_ANNOTATION}`;
  const waves = new Map<OrderedObject, number>();
  for (const o of objects) {
    if (!o?.metadata?.name) continue;
    const w = declaredSyncWave(o);
    if (w === undefined) {
      out.push({ object: o, message: `${SYNC_WAVE_ANNOTATION} is ${JSON.stringify(annotationsOf(o)[SYNC_WAVE_ANNOTATION])}, not an integer: Argo CD fails the sync`, fix: 'write the wave as a whole number such as "-1" or "2"', path });
    } else waves.set(o, w);
  }
  const byRef = new Map<string, OrderedObject>();
  const crdWave = new Map<string, { readonly crd: OrderedObject; readonly wave: number }>();
  for (const [o, w] of waves) {
    if (o.kind === 'CustomResourceDefinition' && apiGroup(o.apiVersion) === 'apiextensions.k8s.io') {
      const spec = (o as Json).spec;
      if (spec?.group && spec?.names?.kind) crdWave.set(`${spec.group}/${spec.names.kind}`, { crd: o, wave: w });
    } else if (isBuiltInGroup(apiGroup(o.apiVersion))) byRef.set(`${o.kind}/${o.metadata.name}`, o);
  }
  for (const [o, w] of waves) {
    const crd = crdWave.get(`${apiGroup(o.apiVersion)}/${o.kind}`);
    // In one wave Argo CD applies CRDs before other kinds and skips the dry run of their custom resources: only an
    // earlier wave breaks the order.
    if (crd && w < crd.wave) {
      out.push({
        object: o,
        message: `custom resource ${o.kind} ${o.metadata.name} syncs in wave ${w}, before its CustomResourceDefinition ${crd.crd.metadata.name} (wave ${crd.wave}): Argo CD applies it before the API server knows its kind`,
        fix: `give it wave ${crd.wave} or later (the synth gives custom resources ${SYNC_WAVES.customResources})`,
        path,
      });
    }
    if (!isBuiltInGroup(apiGroup(o.apiVersion))) continue;
    const pod = renderedPodSpec(o);
    if (!pod) continue;
    const { needed, claims } = podUses(pod);
    for (const ref of needed) {
      const dep = byRef.get(ref);
      const dw = dep && waves.get(dep);
      if (dw !== undefined && dw > w) {
        out.push({
          object: o,
          message: `${o.kind} ${o.metadata.name} (wave ${w}) uses ${ref}, which syncs later (wave ${dw}): its pods cannot start, the wave never becomes healthy and the sync stops before ${ref} is applied`,
          fix: `put ${ref} in wave ${w} or earlier, or ${o.kind} ${o.metadata.name} in wave ${dw} or later`,
          path,
        });
      }
    }
    for (const ref of claims) {
      const dep = byRef.get(ref);
      const dw = dep && waves.get(dep);
      if (dw !== undefined && dw !== w) {
        out.push({
          object: o,
          message: `${o.kind} ${o.metadata.name} (wave ${w}) mounts ${ref}, which syncs in wave ${dw}: a claim on a WaitForFirstConsumer StorageClass stays Pending until a pod uses it, and a pod waits for its claim, so the earlier wave never becomes healthy`,
          fix: `put the claim and the workloads that mount it in the same wave (the default puts both in ${SYNC_WAVES.workloads})`,
          path,
        });
      }
    }
  }
  return out;
}

/** A release as the ordering reads it. */
export interface OrderedRelease {
  /** The release name. */
  readonly name: string;
  /** Its objects, as rendered. */
  readonly objects: readonly OrderedObject[];
  /**
   * The wiring graph's connections that touch it.
   * @default - none
   */
  readonly connections?: readonly ConnectionRecord[];
  /**
   * Releases it declares it depends on (`ReleaseProps.dependsOn`, `Release.dependsOn()`).
   * @default - none
   */
  readonly dependsOn?: readonly string[];
}

/** Why one release depends on another: each reason, in words. */
export type ReleaseDependencies = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/** The name of the CRD's custom kind, `<group>/<Kind>`, for a rendered CRD. */
function crdKind(o: OrderedObject): string | undefined {
  if (o.kind !== 'CustomResourceDefinition' || apiGroup(o.apiVersion) !== 'apiextensions.k8s.io') return undefined;
  const spec = (o as Json).spec;
  return spec?.group && spec?.names?.kind ? `${spec.group}/${spec.names.kind}` : undefined;
}

function connectionTarget(c: ConnectionRecord): string {
  const to = c.to;
  if (to.type === 'service') return `Service ${to.namespace}/${to.name} port ${to.port.name ?? to.port.port}`;
  if (to.type === 'pods') return `the pods of ${to.namespace} port ${to.port.name ?? to.port.port}`;
  return to.description;
}

/**
 * What each release depends on, with the reasons: the dependencies it declares; every client or ingress connection
 * of the wiring graph from one of its workloads to a Service or pods another release renders (a scrape is not a
 * dependency: a scraper tolerates a target that is not there yet); and every custom resource it renders whose CRD
 * another release renders. Releases named in a dependency but not given are kept, so the caller can report them.
 */
export function releaseDependencies(releases: readonly OrderedRelease[]): ReleaseDependencies {
  const out = new Map<string, Map<string, string[]>>();
  const add = (from: string, to: string, reason: string) => {
    if (from === to) return;
    const deps = out.get(from) ?? new Map<string, string[]>();
    out.set(from, deps);
    const reasons = deps.get(to) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    deps.set(to, reasons);
  };
  const crdOwner = new Map<string, string>();
  for (const r of releases) {
    out.set(r.name, out.get(r.name) ?? new Map());
    for (const o of r.objects) {
      const k = crdKind(o);
      if (k && !crdOwner.has(k)) crdOwner.set(k, r.name);
    }
  }
  for (const r of releases) {
    for (const d of r.dependsOn ?? []) add(r.name, d, 'declared with dependsOn');
    for (const c of r.connections ?? []) {
      if (c.kind === ConnectionKind.SCRAPE || c.from.type !== 'workload' || c.from.release !== r.name) continue;
      if (c.to.type === 'external' || c.to.release === undefined) continue;
      add(r.name, c.to.release, `connects to ${connectionTarget(c)}`);
    }
    for (const o of r.objects) {
      const group = apiGroup(o.apiVersion);
      if (isBuiltInGroup(group)) continue;
      const owner = crdOwner.get(`${group}/${o.kind}`);
      if (owner) add(r.name, owner, `renders ${o.kind}.${group} custom resources, whose CRD ${owner} renders`);
    }
  }
  return out;
}

/**
 * The sync wave of each release (0 for releases that depend on nothing in `names`, else one more than the highest wave
 * of what they depend on), over the dependencies among `names` only. Fails on a cycle, naming it with its reasons:
 * no order can satisfy it, and Argo CD would wait forever.
 */
export function releaseSyncWaves(names: readonly string[], deps: ReleaseDependencies): Map<string, number> {
  const inSet = new Set(names);
  const waves = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (n: string): number => {
    const known = waves.get(n);
    if (known !== undefined) return known;
    const at = visiting.indexOf(n);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), n];
      const steps = cycle.slice(0, -1).map((a, i) => `${a} -> ${cycle[i + 1]} (${(deps.get(a)?.get(cycle[i + 1]) ?? []).join('; ')})`);
      throw new ConfigError(
        'dependsOn',
        cycle.join(' -> '),
        'releases whose dependencies form no cycle',
        `the releases depend on each other in a circle, so no sync order exists: ${steps.join(', ')}; drop a declared dependency or move the connection that closes the circle`,
      );
    }
    visiting.push(n);
    let wave = 0;
    for (const d of [...(deps.get(n)?.keys() ?? [])].sort()) if (inSet.has(d)) wave = Math.max(wave, visit(d) + 1);
    visiting.pop();
    waves.set(n, wave);
    return wave;
  };
  for (const n of [...names].sort()) visit(n);
  return waves;
}
