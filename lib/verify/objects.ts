import { CLUSTER_SCOPED_KINDS } from '../release/synth';
import { everyLabelIn } from '../core/labels';
import { POD_TEMPLATE_PATHS } from '../core/pod';
import { KubeObject } from './types';

/**
 * Loosely typed JSON, for walking manifests whose shape the schema check has already vouched for (or not).
 * @internal
 */
export type Json = any;

/** Kinds that are cluster-scoped: the release pipeline's list plus the rest of the 1.28 built-ins. */
const CLUSTER_SCOPED = new Set([
  ...CLUSTER_SCOPED_KINDS,
  'ComponentStatus', 'CertificateSigningRequest', 'FlowSchema', 'PriorityLevelConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'CSINode', 'VolumeAttachment', 'SelfSubjectReview', 'TokenReview',
  'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview',
]);

/**
 * True for cluster-scoped kinds.
 * @internal
 */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/**
 * `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects and objects without a namespace.
 * @internal
 */
export function objectId(o: KubeObject): string {
  const ns = isClusterScoped(o.kind) ? undefined : o.metadata?.namespace;
  return ns ? `${o.kind}/${ns}/${o.metadata?.name}` : `${o.kind}/${o.metadata?.name}`;
}

/**
 * The object's namespace ('' for cluster-scoped objects and objects that name none).
 * @internal
 */
export function namespaceOf(o: KubeObject): string {
  return isClusterScoped(o.kind) ? '' : ((o.metadata?.namespace as string | undefined) ?? '');
}

/**
 * The API group of an apiVersion (`apps/v1` is `apps`, `v1` is '').
 * @internal
 */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/**
 * The object's annotations (empty when none).
 * @internal
 */
export function annotationsOf(o: { metadata?: Json }): Record<string, string> {
  const a = o.metadata?.annotations;
  return a && typeof a === 'object' ? (a as Record<string, string>) : {};
}

/**
 * A pod template found in a workload, with where it sits.
 * @internal
 */
export interface PodTemplate {
  /** The workload (or Pod) that holds it. */
  readonly owner: KubeObject;
  /** Path of the pod spec inside the owner (`spec.template.spec`). */
  readonly specPath: string;
  /** The pod spec. */
  readonly spec: Json;
  /** Labels of the pod template (what Services select). */
  readonly labels: Record<string, string>;
  /** Pods that run until stopped (need probes) as opposed to run-to-completion Jobs. */
  readonly longRunning: boolean;
}

/**
 * The pod template of a workload (or the spec of a bare Pod), or undefined for objects that run no pods.
 * @internal
 */
export function podTemplateOf(o: KubeObject): PodTemplate | undefined {
  if (o.kind === 'Pod' && o.apiVersion === 'v1') {
    const spec = (o as Json).spec;
    if (!spec || typeof spec !== 'object') return undefined;
    const restart = spec.restartPolicy ?? 'Always';
    return { owner: o, specPath: 'spec', spec, labels: ((o.metadata as Json).labels ?? {}) as Record<string, string>, longRunning: restart === 'Always' };
  }
  const path = POD_TEMPLATE_PATHS[o.kind];
  if (!path) return undefined;
  // Jobs and CronJobs run to completion; the other workload kinds keep their pods running.
  const where = { path, longRunning: o.kind !== 'Job' && o.kind !== 'CronJob' };
  let t: Json = o;
  for (const p of where.path) t = t?.[p];
  if (!t || typeof t !== 'object' || !t.spec || typeof t.spec !== 'object') return undefined;
  return {
    owner: o,
    specPath: `${where.path.join('.')}.spec`,
    spec: t.spec,
    labels: (t.metadata?.labels ?? {}) as Record<string, string>,
    longRunning: where.longRunning,
  };
}

/**
 * A container of a pod spec, with its path and whether it is an init container.
 * @internal
 */
export interface ContainerAt {
  /** The container. */
  readonly c: Json;
  /** Its path inside the object. */
  readonly path: string;
  /** True for an init container. */
  readonly init: boolean;
  /** Init containers with `restartPolicy: Always` (native sidecars) run as long as the pod. */
  readonly sidecar: boolean;
}

/**
 * Every container of a pod spec: init containers first, then containers, then ephemeral containers.
 * @internal
 */
export function containersOf(t: PodTemplate): ContainerAt[] {
  const out: ContainerAt[] = [];
  containersIn(t, 'initContainers', true, out);
  containersIn(t, 'containers', false, out);
  containersIn(t, 'ephemeralContainers', false, out);
  return out;
}

/** The containers of one list of a pod spec, added to `out` (a module function: this runs several times per object). */
function containersIn(t: PodTemplate, key: string, init: boolean, out: ContainerAt[]): void {
  const cs = t.spec[key];
  if (!Array.isArray(cs)) return;
  for (let i = 0; i < cs.length; i++) {
    // forEach skipped holes; an index loop reads them as undefined, which the object check skips the same way.
    const c: Json = cs[i];
    if (c && typeof c === 'object') out.push({ c, path: `${t.specPath}.${key}[${i}]`, init, sidecar: init && c.restartPolicy === 'Always' });
  }
}

export { selects } from '../core/labels';

const valueSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The values of an In/NotIn requirement as a set, made once per array (a default deny can list thousands). */
function valueSet(values: readonly string[]): ReadonlySet<string> {
  let set = valueSets.get(values);
  if (!set) valueSets.set(values, (set = new Set(values)));
  return set;
}

/**
 * True when a LabelSelector (matchLabels + matchExpressions) matches `labels`.
 * @internal
 */
export function labelSelectorMatches(sel: Json, labels: Record<string, string>): boolean {
  if (!sel || typeof sel !== 'object') return false;
  const ml = (sel.matchLabels ?? {}) as Record<string, string>;
  const exprs = (Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) as Json[];
  if (!Object.keys(ml).length && !exprs.length) return false;
  if (!everyLabelIn(ml, labels, true)) return false;
  return exprs.every((e) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = (e.values ?? []) as string[];
    switch (e.operator) {
      case 'In': return has && (Array.isArray(values) ? valueSet(values).has(labels[e.key]) : false);
      case 'NotIn': return !has || !(Array.isArray(values) && valueSet(values).has(labels[e.key]));
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

/**
 * Shows a value compactly for a message.
 * @internal
 */
export function show(v: unknown): string {
  let s: string;
  if (v === undefined) s = 'undefined';
  else if (typeof v === 'string') s = JSON.stringify(v);
  else {
    try {
      s = JSON.stringify(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/**
 * Canonical JSON (sorted keys) for comparing two values.
 * @internal
 */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .filter((k) => (v as Json)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
