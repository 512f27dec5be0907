import { CRD_INSTALLED_ANNOTATION, EXTERNAL_REFS_ANNOTATION } from '../core/policy';
import { annotationsOf, groupOf, Json, labelSelectorMatches, namespaceOf, podTemplateOf, PodTemplate, selects, show } from './objects';
import { declaredExternals, ReferenceFinding } from './references';
import { KubeObject } from './types';

/**
 * True for an API group Kubernetes itself serves (the core group, the unqualified groups such as `apps` and `batch`,
 * and the `*.k8s.io` groups); any other group is served by a CustomResourceDefinition.
 * @internal
 */
export function isBuiltinGroup(group: string): boolean {
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

/**
 * The checks across the objects of one release that the chart of seed 002 failed: a StatefulSet's governing Service,
 * affinity selectors that select nothing, RBAC granted to an account no pod runs as, and custom resources of a kind
 * nobody installs. `installedCrds` lists `<plural or Kind>.<group>` kinds known to be installed (`Kind.group`).
 * @internal
 */
export function releaseRuleFindings(objects: readonly KubeObject[], installedCrds: readonly string[] = []): ReferenceFinding[] {
  const findings: ReferenceFinding[] = [];
  const named = objects.filter((o) => o?.metadata?.name);
  const templates = named.map((o) => podTemplateOf(o)).filter((t): t is PodTemplate => t !== undefined);
  for (const o of named) {
    const add = (rule: string, message: string, fix: string, path?: string) => findings.push({ object: o, rule, message, fix, path });
    if (o.kind === 'StatefulSet' && groupOf(o.apiVersion) === 'apps') checkStatefulSetService(o, named, add);
    const t = podTemplateOf(o);
    if (t) checkAffinity(t, templates, add);
    if ((o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && groupOf(o.apiVersion) === 'rbac.authorization.k8s.io') {
      checkSubjectsUsed(o, named, templates, add);
    }
    checkCrdInstalled(o, named, installedCrds, add);
  }
  return findings;
}

type Add = (rule: string, message: string, fix: string, path?: string) => void;

function checkStatefulSetService(o: KubeObject, objects: readonly KubeObject[], add: Add): void {
  const j = o as Json;
  const name = j.spec?.serviceName;
  const ns = namespaceOf(o);
  const fix = 'render a headless Service (clusterIP: None) selecting the StatefulSet\'s pods and name it in spec.serviceName';
  if (typeof name !== 'string' || name === '') {
    add('statefulset-service', 'spec.serviceName is empty: the pods get no stable DNS names', fix, 'spec.serviceName');
    return;
  }
  const svc = objects.find((x) => x.kind === 'Service' && x.metadata.name === name && namespaceOf(x) === ns) as Json | undefined;
  if (!svc) {
    add('statefulset-service', `spec.serviceName ${show(name)} names no Service of the release: the pods get no DNS names and peers never find each other`, fix, 'spec.serviceName');
  } else if (svc.spec?.clusterIP !== 'None') {
    add('statefulset-service', `spec.serviceName ${show(name)} names a Service with a cluster IP: only a headless Service gives each pod its DNS name`, fix, 'spec.serviceName');
  } else {
    const labels = (j.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
    const sel = (svc.spec?.selector ?? {}) as Record<string, string>;
    if (!selects(sel, labels)) {
      add('statefulset-service', `the headless Service ${show(name)} does not select the StatefulSet's pods (selector ${show(sel)})`, fix, 'spec.serviceName');
    }
  }
}

/** The affinity terms (and topology spread constraints) of a pod spec, with their paths. */
function selectorTerms(spec: Json, specPath: string): Array<{ path: string; selector: Json; namespaces?: string[]; namespaceSelector?: Json }> {
  const out: Array<{ path: string; selector: Json; namespaces?: string[]; namespaceSelector?: Json }> = [];
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = spec?.affinity?.[kind];
    if (!a) continue;
    ((a.requiredDuringSchedulingIgnoredDuringExecution ?? []) as Json[]).forEach((t, i) => out.push({
      path: `${specPath}.affinity.${kind}.requiredDuringSchedulingIgnoredDuringExecution[${i}].labelSelector`,
      selector: t.labelSelector, namespaces: t.namespaces, namespaceSelector: t.namespaceSelector,
    }));
    ((a.preferredDuringSchedulingIgnoredDuringExecution ?? []) as Json[]).forEach((p, i) => out.push({
      path: `${specPath}.affinity.${kind}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm.labelSelector`,
      selector: p.podAffinityTerm?.labelSelector, namespaces: p.podAffinityTerm?.namespaces, namespaceSelector: p.podAffinityTerm?.namespaceSelector,
    }));
  }
  ((spec?.topologySpreadConstraints ?? []) as Json[]).forEach((c, i) => out.push({ path: `${specPath}.topologySpreadConstraints[${i}].labelSelector`, selector: c.labelSelector }));
  return out;
}

function checkAffinity(t: PodTemplate, templates: readonly PodTemplate[], add: Add): void {
  const ns = namespaceOf(t.owner);
  for (const term of selectorTerms(t.spec, t.specPath)) {
    // Terms about other namespaces select pods this release does not know.
    if (term.namespaceSelector !== undefined) continue;
    if (term.namespaces?.length && !term.namespaces.includes(ns)) continue;
    const matched = templates.some((x) => namespaceOf(x.owner) === ns && labelSelectorMatches(term.selector, x.labels));
    if (!matched) {
      add('affinity-selects', `the label selector ${show(term.selector)} matches no pod of the release, so the rule spreads or places nothing`,
        'select labels the pods carry: the selector of the workload to spread (its spec.selector.matchLabels)', term.path);
    }
  }
}

function checkSubjectsUsed(o: KubeObject, objects: readonly KubeObject[], templates: readonly PodTemplate[], add: Add): void {
  const j = o as Json;
  const ns = namespaceOf(o);
  const declared = new Set(declaredExternals(o).refs.map((r) => `${r.kind}/${r.namespace ?? ns}/${r.name}`));
  ((Array.isArray(j.subjects) ? j.subjects : []) as Json[]).forEach((s, i) => {
    if (s?.kind !== 'ServiceAccount') return;
    const sns = s.namespace ?? ns;
    if (declared.has(`ServiceAccount/${sns}/${s.name}`)) return;
    // An account in another namespace is used by pods this release does not render: it must be declared.
    const used = templates.some((t) => namespaceOf(t.owner) === sns && (t.spec?.serviceAccountName ?? 'default') === s.name);
    if (used) return;
    if (!objects.some((x) => x.kind === 'ServiceAccount' && x.metadata.name === s.name && namespaceOf(x) === sns) && s.name !== 'default') return; // rbac-references reports it
    add('rbac-subject-used', `subject ServiceAccount ${show(s.name)} in namespace ${sns} is the account of no pod of the release: the permissions reach nobody, and the pods that need them get 403`,
      `run the pods that need the permissions as ${s.name} (spec.serviceAccountName), or declare the account external (annotation ${EXTERNAL_REFS_ANNOTATION}: ServiceAccount/${sns === ns ? '' : `${sns}/`}${s.name}) when pods outside the release use it`,
      `subjects[${i}].name`);
  });
}

function checkCrdInstalled(o: KubeObject, objects: readonly KubeObject[], installedCrds: readonly string[], add: Add): void {
  const group = groupOf(String(o.apiVersion ?? ''));
  if (isBuiltinGroup(group)) return;
  if (o.kind === 'CustomResourceDefinition') return;
  const rendered = objects.some((x) => x.kind === 'CustomResourceDefinition' && (x as Json).spec?.group === group && (x as Json).spec?.names?.kind === o.kind);
  if (rendered || installedCrds.includes(`${o.kind}.${group}`)) return;
  const reason = annotationsOf(o)[CRD_INSTALLED_ANNOTATION];
  if (typeof reason === 'string' && reason.trim() !== '') return;
  add('crd-installed', `${o.kind} (${group}) is served by a CustomResourceDefinition the release does not render and nothing declares installed: the API server rejects the object (no operator, no kind)`,
    `render the CRD, or when the operator that owns ${o.kind} is installed, declare it (annotation ${CRD_INSTALLED_ANNOTATION}: <who installs it>, or verify option installedCrds: ['${o.kind}.${group}'])`,
    'kind');
}
