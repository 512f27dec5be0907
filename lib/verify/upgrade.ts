import { annotationsOf, canonical, groupOf, Json, labelSelectorMatches, namespaceOf, objectId, show } from './objects';
import { loadManifestDir } from './load';
import { parseQuantity } from './quantity';
import { RULES } from './rules';
import { KubeObject, Violation } from './types';

/** The outcome of comparing two synth results. */
export interface UpgradeReport {
  /** Changes Kubernetes rejects on apply, or that destroy state. Sorted by object, then rule. */
  readonly breaking: readonly Violation[];
  /** Changes that apply but need something from the cluster (for example volume expansion). */
  readonly notes: readonly string[];
  /** Objects in the old output. */
  readonly oldCount: number;
  /** Objects in the new output. */
  readonly newCount: number;
  /** True when nothing breaks. */
  readonly ok: boolean;
}

function identity(o: KubeObject): string {
  return `${groupOf(o.apiVersion)}|${o.kind}|${namespaceOf(o)}|${o.metadata?.name}`;
}

function get(o: Json, p: readonly string[]): Json {
  let v = o;
  for (const k of p) v = v?.[k];
  return v;
}

/**
 * Up to `limit` differences between two values, as `path: old -> new`.
 * @internal
 */
export function differences(a: Json, b: Json, prefix = '', limit = 5): string[] {
  const out: string[] = [];
  const walk = (x: Json, y: Json, p: string) => {
    if (out.length >= limit) return;
    if (canonical(x) === canonical(y)) return;
    const isObj = (v: Json) => v && typeof v === 'object';
    if (isObj(x) && isObj(y) && Array.isArray(x) === Array.isArray(y)) {
      const keys = Array.isArray(x)
        ? [...Array(Math.max(x.length, y.length)).keys()].map(String)
        : [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const k of keys) walk(x[k], y[k], Array.isArray(x) ? `${p}[${k}]` : p ? `${p}.${k}` : k);
      return;
    }
    out.push(`${p || '(value)'}: ${show(x)} -> ${show(y)}`);
  };
  walk(a, b, prefix);
  return out;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);
/** Kinds whose removal deletes data. */
const STATEFUL = new Set(['PersistentVolumeClaim', 'StatefulSet', 'Namespace', 'CustomResourceDefinition']);

/**
 * Compares two synth results (the deployed one and the new one) and reports every change Kubernetes rejects on
 * apply or that destroys state: immutable workload selectors, StatefulSet serviceName / volumeClaimTemplates /
 * podManagementPolicy, PVC class / access modes / volume / shrink, Job templates, Services switching to or from
 * headless, immutable ConfigMaps and Secrets, binding roleRefs, and stateful objects that disappear or are renamed.
 */
export function checkUpgrade(oldObjects: readonly KubeObject[], newObjects: readonly KubeObject[]): UpgradeReport {
  const breaking: Violation[] = [];
  const notes: string[] = [];
  const olds = new Map(oldObjects.filter((o) => o?.metadata?.name).map((o) => [identity(o), o]));
  const news = new Map(newObjects.filter((o) => o?.metadata?.name).map((o) => [identity(o), o]));
  const add = (o: KubeObject, rule: string, message: string, fix: string, path?: string) =>
    breaking.push({ object: objectId(o), rule, message, fix, path });

  for (const [id, before] of olds) {
    const after = news.get(id);
    const kind = before.kind;
    if (!after) {
      if (STATEFUL.has(kind)) {
        const candidates = [...news.values()].filter((n) => n.kind === kind && namespaceOf(n) === namespaceOf(before) && !olds.has(identity(n)));
        const renamed = candidates.length === 1 ? `; it looks renamed to ${show(candidates[0].metadata.name)}` : '';
        const what = {
          PersistentVolumeClaim: 'the claim and, with a Delete reclaim policy, its volume and data are deleted when the GitOps tool prunes it',
          StatefulSet: 'its pods go away, and a StatefulSet under a new name claims new, empty volumes (the old claims are orphaned)',
          Namespace: 'deleting a Namespace deletes every object in it, PVCs included',
          CustomResourceDefinition: 'deleting a CRD deletes every custom resource of that kind in the cluster',
        }[kind];
        // Argo CD does not delete an object marked Prune=false; the data survives, but nothing mounts it any more.
        const kept = /(^|,)\s*Prune=false\s*(,|$)/.test(annotationsOf(before)['argocd.argoproj.io/sync-options'] ?? '');
        const keptWhat = {
          PersistentVolumeClaim: 'Argo CD keeps the claim (Prune=false), but the release no longer manages it and a renamed claim starts empty',
          StatefulSet: 'Argo CD keeps the StatefulSet (Prune=false), but the release no longer manages it, and one under a new name claims new, empty volumes',
          Namespace: 'Argo CD keeps the Namespace (Prune=false), but the release no longer manages it',
          CustomResourceDefinition: 'Argo CD keeps the CRD (Prune=false), but the release no longer manages its schema',
        }[kind];
        const effect = kept ? keptWhat : what;
        add(before, 'upgrade-stateful-removed', `${objectId(before)} is gone from the new output${renamed}: ${effect}`,
          `keep the ${kind} and its name (construct ids are part of the contract); if the removal is deliberate, back up the data and remove it by hand with pruning disabled (argocd.argoproj.io/sync-options: Prune=false)`);
      }
      continue;
    }
    const b = before as Json;
    const a = after as Json;

    if (WORKLOADS.has(kind) && groupOf(before.apiVersion) === 'apps' && canonical(b.spec?.selector) !== canonical(a.spec?.selector)) {
      add(before, 'upgrade-selector', `spec.selector changes (${differences(b.spec?.selector, a.spec?.selector, 'spec.selector').join('; ')}); selectors are immutable, so the apply is rejected`,
        'keep the old selector (selectors hold only stable labels: name, instance, component, never version); if the change is deliberate, delete the workload first or give it a new name', 'spec.selector');
    }

    if (kind === 'StatefulSet' && groupOf(before.apiVersion) === 'apps') {
      if ((b.spec?.serviceName ?? '') !== (a.spec?.serviceName ?? '')) {
        add(before, 'upgrade-statefulset', `spec.serviceName changes from ${show(b.spec?.serviceName)} to ${show(a.spec?.serviceName)}; it is immutable`,
          'keep the governing Service name, or delete the StatefulSet with --cascade=orphan and let the new one adopt its pods and volumes', 'spec.serviceName');
      }
      if ((b.spec?.podManagementPolicy ?? 'OrderedReady') !== (a.spec?.podManagementPolicy ?? 'OrderedReady')) {
        add(before, 'upgrade-statefulset', `spec.podManagementPolicy changes from ${show(b.spec?.podManagementPolicy ?? 'OrderedReady')} to ${show(a.spec?.podManagementPolicy ?? 'OrderedReady')}; it is immutable`,
          'keep the old policy, or delete the StatefulSet with --cascade=orphan before syncing', 'spec.podManagementPolicy');
      }
      const vb = (b.spec?.volumeClaimTemplates ?? []) as Json[];
      const va = (a.spec?.volumeClaimTemplates ?? []) as Json[];
      if (canonical(vb) !== canonical(va)) {
        const byName = (l: Json[]) => new Map(l.map((t) => [t?.metadata?.name, t]));
        const mb = byName(vb);
        const ma = byName(va);
        const parts: string[] = [];
        for (const [n, t] of mb) {
          if (!ma.has(n)) parts.push(`template ${show(n)} removed`);
          else if (canonical(t) !== canonical(ma.get(n))) parts.push(`template ${show(n)}: ${differences(t, ma.get(n)).join('; ')}`);
        }
        for (const n of ma.keys()) if (!mb.has(n)) parts.push(`template ${show(n)} added`);
        if (!parts.length) parts.push('templates reordered');
        add(before, 'upgrade-statefulset', `spec.volumeClaimTemplates change (${parts.join('; ')}); they are immutable`,
          'keep the templates; to grow a volume, resize the existing PVCs (data-<name>-N) and then delete the StatefulSet with --cascade=orphan so the new template matches', 'spec.volumeClaimTemplates');
      }
    }

    if (kind === 'PersistentVolumeClaim' && before.apiVersion === 'v1') {
      const named = ['storageClassName', 'accessModes', 'volumeName', 'volumeMode', 'selector', 'dataSource'] as const;
      for (const label of named) {
        const x = get(b, ['spec', label]);
        const y = get(a, ['spec', label]);
        if (canonical(x) !== canonical(y)) {
          add(before, 'upgrade-pvc', `spec.${label} changes from ${show(x)} to ${show(y)}; it is immutable once the claim exists`,
            `keep spec.${label}; moving data to another class or mode means a new PVC under a new name and a copy`, `spec.${label}`);
        }
      }
      // The API server rejects every other spec change too (dataSourceRef, resources.limits, ...): only requests may grow.
      const rest = (spec: Json) => {
        const r: Json = { ...(spec ?? {}) };
        for (const label of named) delete r[label];
        const { requests: _requests, ...resources } = (r.resources && typeof r.resources === 'object' ? r.resources : {}) as Json;
        if (Object.keys(resources).length) r.resources = resources;
        else delete r.resources;
        return r;
      };
      if (canonical(rest(b.spec)) !== canonical(rest(a.spec))) {
        add(before, 'upgrade-pvc', `spec changes (${differences(rest(b.spec), rest(a.spec), 'spec').join('; ')}); a claim's spec is immutable except resources.requests`,
          'keep the claim\'s spec; for a different source or limit, create a new PVC under a new name and copy the data', 'spec');
      }
      const sb = b.spec?.resources?.requests?.storage;
      const sa = a.spec?.resources?.requests?.storage;
      const qb = parseQuantity(sb);
      const qa = parseQuantity(sa);
      if (qb !== undefined && qa !== undefined && qa < qb) {
        add(before, 'upgrade-pvc-shrink', `spec.resources.requests.storage shrinks from ${show(sb)} to ${show(sa)}; a claim can only grow`,
          `keep at least ${sb}`, 'spec.resources.requests.storage');
      } else if (qb !== undefined && qa !== undefined && qa > qb) {
        notes.push(`${objectId(before)} grows from ${sb} to ${sa}: the StorageClass must allow volume expansion (allowVolumeExpansion: true)`);
      }
    }

    if (kind === 'Job' && groupOf(before.apiVersion) === 'batch') {
      for (const field of ['template', 'selector'] as const) {
        if (canonical(b.spec?.[field]) !== canonical(a.spec?.[field])) {
          add(before, 'upgrade-job-template', `spec.${field} changes (${differences(b.spec?.[field], a.spec?.[field], `spec.${field}`).join('; ')}); a Job's ${field} is immutable`,
            'give the Job a new name when its template changes (for example a suffix from a hash of the template), or run it as an Argo CD hook with hook-delete-policy BeforeHookCreation', `spec.${field}`);
        }
      }
    }

    if (kind === 'Service' && before.apiVersion === 'v1') {
      const hb = b.spec?.clusterIP === 'None';
      const ha = a.spec?.clusterIP === 'None';
      if (hb !== ha) {
        add(before, 'upgrade-service-headless', `the Service switches ${hb ? 'from headless to a ClusterIP' : 'from a ClusterIP to headless'} (clusterIP ${show(b.spec?.clusterIP)} -> ${show(a.spec?.clusterIP)}); clusterIP is immutable`,
          'keep the Service as it is and add a second Service with the other behaviour under a new name (for example <name>-headless)', 'spec.clusterIP');
      } else if (!hb && b.spec?.clusterIP && a.spec?.clusterIP && b.spec.clusterIP !== a.spec.clusterIP) {
        add(before, 'upgrade-service-headless', `spec.clusterIP changes from ${show(b.spec.clusterIP)} to ${show(a.spec.clusterIP)}; clusterIP is immutable`, 'keep the old clusterIP', 'spec.clusterIP');
      }
    }

    if ((kind === 'ConfigMap' || kind === 'Secret') && before.apiVersion === 'v1' && b.immutable === true) {
      if (a.immutable !== true) {
        add(before, 'upgrade-immutable-config', `immutable changes from true to ${show(a.immutable)}; an immutable ${kind} cannot be made mutable`, `create the ${kind} under a new name`, 'immutable');
      } else if (canonical([b.data, b.binaryData, b.stringData]) !== canonical([a.data, a.binaryData, a.stringData])) {
        add(before, 'upgrade-immutable-config', `the data of an immutable ${kind} changes`, `name immutable ${kind}s after a hash of their content, so a change is a new object and the pods roll to it`, 'data');
      }
    }

    if (WORKLOADS.has(kind) && groupOf(before.apiVersion) === 'apps' && canonical(b.spec?.selector) === canonical(a.spec?.selector) && a.spec?.selector) {
      const labels = (a.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
      if (!labelSelectorMatches(a.spec.selector, labels)) {
        add(before, 'upgrade-template-labels', `the pod template labels change to ${show(labels)}, which the unchanged spec.selector ${show(a.spec.selector)} no longer matches; the apply is rejected`,
          'keep every selector label on the pod template (change only labels the selector does not use)', 'spec.template.metadata.labels');
      }
    }

    if (kind === 'Secret' && before.apiVersion === 'v1' && (b.type ?? 'Opaque') !== (a.type ?? 'Opaque')) {
      add(before, 'upgrade-secret-type', `type changes from ${show(b.type ?? 'Opaque')} to ${show(a.type ?? 'Opaque')}; a Secret's type is immutable`,
        'create a Secret of the new type under a new name and point the consumers at it', 'type');
    }

    if (kind === 'CustomResourceDefinition' && groupOf(before.apiVersion) === 'apiextensions.k8s.io' && b.spec?.scope !== a.spec?.scope) {
      add(before, 'upgrade-crd-scope', `spec.scope changes from ${show(b.spec?.scope)} to ${show(a.spec?.scope)}; it is immutable`,
        'keep the scope; a different scope is a new CRD (new group or kind), with the resources migrated by hand', 'spec.scope');
    }

    if (kind === 'StorageClass' && groupOf(before.apiVersion) === 'storage.k8s.io') {
      for (const field of ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'] as const) {
        if (canonical(b[field]) !== canonical(a[field])) {
          add(before, 'upgrade-storage-class', `${field} changes (${differences(b[field], a[field], field).join('; ')}); it is immutable`,
            'create a StorageClass under a new name for new claims; existing volumes keep the class they were provisioned with', field);
        }
      }
    }

    if ((kind === 'RoleBinding' || kind === 'ClusterRoleBinding') && groupOf(before.apiVersion) === 'rbac.authorization.k8s.io' && canonical(b.roleRef) !== canonical(a.roleRef)) {
      add(before, 'upgrade-role-ref', `roleRef changes (${differences(b.roleRef, a.roleRef, 'roleRef').join('; ')}); it is immutable`, 'bind the new role with a new binding name and drop the old binding', 'roleRef');
    }
  }

  const cmp = (x: string | undefined, y: string | undefined) => ((x ?? '') < (y ?? '') ? -1 : (x ?? '') > (y ?? '') ? 1 : 0);
  breaking.sort((x, y) => cmp(x.object, y.object) || cmp(x.rule, y.rule) || cmp(x.path, y.path) || cmp(x.message, y.message));
  notes.sort();
  return { breaking, notes, oldCount: oldObjects.length, newCount: newObjects.length, ok: breaking.length === 0 };
}

/** Compares two dist trees on disk (for example the deployed commit's dist/ and the working tree's). */
export function compareDistTrees(oldDir: string, newDir: string): UpgradeReport {
  return checkUpgrade(loadManifestDir(oldDir).objects, loadManifestDir(newDir).objects);
}

/** Renders an upgrade report as text: every breaking change with its rule, message and fix. */
export function formatUpgradeReport(report: UpgradeReport): string {
  const lines: string[] = [];
  const n = report.breaking.length;
  lines.push(`upgrade check: ${report.oldCount} old object(s), ${report.newCount} new object(s), ${n ? `${n} breaking change(s)` : 'no breaking changes'}`);
  let last = '';
  if (n) lines.push('');
  for (const v of report.breaking) {
    if (v.object !== last) {
      lines.push(`  ${v.object}`);
      last = v.object;
    }
    lines.push(`    [${v.rule}] ${v.message}`);
    lines.push(`      fix: ${v.fix}`);
  }
  if (n) {
    lines.push('', 'RULES BROKEN');
    for (const r of [...new Set(report.breaking.map((v) => v.rule))].sort()) lines.push(`  ${r}: ${RULES.get(r)?.rationale ?? ''}`);
  }
  if (report.notes.length) {
    lines.push('', 'NOTES');
    for (const note of report.notes) lines.push(`  ${note}`);
  }
  return `${lines.join('\n')}\n`;
}
