import { EXTERNAL_REFS_ANNOTATION } from '../core/policy';
import {
  annotationsOf, ContainerAt, containersOf, groupOf, Json, namespaceOf, objectId, podTemplateOf, PodTemplate,
  selects, show,
} from './objects';
import { ExternalObject, KubeObject } from './types';

/**
 * A reference finding: which object, which rule.
 * @internal
 */
export interface ReferenceFinding {
  /** The object the finding is about. */
  readonly object: KubeObject;
  /** The rule broken. */
  readonly rule: string;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /**
   * Field path inside the object.
   * @default - none
   */
  readonly path?: string;
}

/** Kinds the external-references annotation may name. */
export const EXTERNAL_KINDS: readonly string[] = ['ConfigMap', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount'];

/** ClusterRoles every cluster has (user-facing roles and the system: ones). */
const BUILTIN_CLUSTER_ROLES = new Set(['cluster-admin', 'admin', 'edit', 'view']);

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Parses `Kind/name,ServiceAccount/namespace/name` from the external-references annotation of an object (a reference
 * without a namespace is in the object's own; only a ServiceAccount, a binding's subject, is named in another).
 * @internal
 */
export function declaredExternals(o: KubeObject): { refs: Array<{ kind: string; name: string; namespace?: string }>; problems: string[] } {
  const raw = annotationsOf(o)[EXTERNAL_REFS_ANNOTATION];
  const refs: Array<{ kind: string; name: string; namespace?: string }> = [];
  const problems: string[] = [];
  if (raw === undefined) return { refs, problems };
  for (const item of String(raw).split(',').map((s) => s.trim()).filter(Boolean)) {
    const parts = item.split('/');
    const [kind] = parts;
    const name = parts[parts.length - 1];
    const namespace = parts.length === 3 ? parts[1] : undefined;
    if (parts.length < 2 || parts.length > 3 || !EXTERNAL_KINDS.includes(kind) || !name || !NAME.test(name) ||
        (namespace !== undefined && (kind !== 'ServiceAccount' || !NAMESPACE.test(namespace)))) {
      problems.push(`${show(item)} is not Kind/name with Kind one of ${EXTERNAL_KINDS.join(', ')}, or ServiceAccount/namespace/name`);
      continue;
    }
    refs.push(namespace === undefined ? { kind, name } : { kind, name, namespace });
  }
  return { refs, problems };
}

interface Index {
  byKey: Map<string, KubeObject>;
  /** Pod templates by `namespace|labelKey=labelValue`, so selecting is not quadratic in large releases. */
  templatesByLabel: Map<string, PodTemplate[]>;
}

/** The pod templates in `ns` whose labels include every pair of `selector` (none for an empty selector). */
function selectTemplates(index: Index, ns: string, selector: Record<string, string>): PodTemplate[] {
  const entries = Object.entries(selector);
  if (!entries.length) return [];
  let best: PodTemplate[] | undefined;
  for (const [k, v] of entries) {
    const c = index.templatesByLabel.get(`${ns}|${k}=${v}`) ?? [];
    if (!best || c.length < best.length) best = c;
  }
  return best!.filter((t) => selects(selector, t.labels));
}

function key(kind: string, ns: string, name: string): string {
  return `${kind}|${ns}|${name}`;
}

const EXTERNAL_FIX = (kind: string, name: string, namespace?: string) =>
  `render the ${kind} in this release, or declare it with externalRefsAnnotation([{ kind: '${kind}', name: '${name}'${namespace ? `, namespace: '${namespace}'` : ''} }]) (annotation ${EXTERNAL_REFS_ANNOTATION}) on the referencing object's metadata so the report lists it for the operator`;

/**
 * Runs the cross-object reference checks over one release and collects the externals an operator must create.
 * @internal
 */
export function referenceFindings(objects: readonly KubeObject[]): { findings: ReferenceFinding[]; externals: ExternalObject[] } {
  const findings: ReferenceFinding[] = [];
  const externals = new Map<string, Set<string>>();
  const index: Index = { byKey: new Map(), templatesByLabel: new Map() };
  for (const o of objects) {
    if (!o?.metadata?.name) continue;
    index.byKey.set(key(o.kind, namespaceOf(o), o.metadata.name), o);
    const t = podTemplateOf(o);
    if (!t) continue;
    const ns = namespaceOf(o);
    const keys = Object.keys(t.labels);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const lk = `${ns}|${k}=${t.labels[k]}`;
      if (!index.templatesByLabel.has(lk)) index.templatesByLabel.set(lk, []);
      index.templatesByLabel.get(lk)!.push(t);
    }
  }
  const find = (kind: string, ns: string, name: string) => index.byKey.get(key(kind, ns, name));

  for (const o of objects) {
    if (!o?.metadata?.name) continue;
    const ns = namespaceOf(o);
    const id = objectId(o);
    const add = adder(findings, o);

    // External declarations: well-formed, and not for objects the release renders.
    const decl = declaredExternals(o);
    for (const p of decl.problems) {
      add('external-refs', `annotation ${EXTERNAL_REFS_ANNOTATION}: ${p}`, 'list externals with externalRefsAnnotation([...]) (comma-separated Kind/name)', `metadata.annotations.${EXTERNAL_REFS_ANNOTATION}`);
    }
    // Declared references by `Kind/namespace/name` (the object's own namespace when the reference names none).
    const declared = new Set(decl.refs.map((r) => `${r.kind}/${r.namespace ?? ns}/${r.name}`));
    for (const r of decl.refs) {
      const rns = r.namespace ?? ns;
      const written = r.namespace === undefined ? `${r.kind}/${r.name}` : `${r.kind}/${r.namespace}/${r.name}`;
      if (find(r.kind, rns, r.name)) {
        add('external-refs', `declares ${written} external, but the release renders it`, `remove ${written} from ${EXTERNAL_REFS_ANNOTATION}, so the operator is not told to create it`, `metadata.annotations.${EXTERNAL_REFS_ANNOTATION}`);
      } else {
        const ref = `${r.kind}/${rns ? `${rns}/` : ''}${r.name}`;
        if (!externals.has(ref)) externals.set(ref, new Set());
        externals.get(ref)!.add(id);
      }
    }

    const requireRef = refRequirer(ns, find, declared, add);

    const t = podTemplateOf(o);
    if (t) checkPod(t, ns, index, requireRef, add);
    if (o.kind === 'Service' && o.apiVersion === 'v1') checkService(o, ns, index, add);
    if (o.kind === 'Ingress' && groupOf(o.apiVersion) === 'networking.k8s.io') checkIngress(o, ns, find, declared, requireRef, add);
    if (o.kind === 'HorizontalPodAutoscaler' && groupOf(o.apiVersion) === 'autoscaling') {
      const ref = (o as Json).spec?.scaleTargetRef ?? {};
      const target = find(ref.kind, ns, ref.name);
      if (!target || groupOf(target.apiVersion) !== groupOf(String(ref.apiVersion ?? ''))) {
        add('hpa-target', `scaleTargetRef ${show(`${ref.apiVersion}/${ref.kind}/${ref.name}`)} is not an object of this release`,
          'point scaleTargetRef at the Deployment or StatefulSet the autoscaler scales (apiVersion, kind and name must match)', 'spec.scaleTargetRef');
      } else if (!['Deployment', 'StatefulSet', 'ReplicaSet'].includes(target.kind)) {
        add('hpa-target', `scaleTargetRef names ${target.kind} ${show(ref.name)}, which has no scale subresource`, 'target a Deployment, StatefulSet or ReplicaSet', 'spec.scaleTargetRef.kind');
      }
    }
    if ((o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && groupOf(o.apiVersion) === 'rbac.authorization.k8s.io') {
      checkBinding(o, ns, find, declared, add);
    }
  }

  const ext: ExternalObject[] = [...externals.entries()]
    .map(([ref, by]) => ({ ref, referencedBy: [...by].sort() }))
    .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { findings, externals: ext };
}

type Add = (rule: string, message: string, fix: string, path?: string) => void;
type RequireRef = (rule: string, kind: string, name: unknown, what: string, path: string, refNs?: string) => KubeObject | undefined;

// The two per-object closures are made by module functions that return them unnamed: in the synth bundle (esbuild
// keepNames) a closure bound to a name is renamed with Object.defineProperty each time it is made, about 0.4 us in
// V8's interpreter, and these are made for every object verified.

/** Adds a finding about `o` to `findings`. */
function adder(findings: ReferenceFinding[], o: KubeObject): Add {
  return (rule, message, fix, path) => {
    findings.push({ object: o, rule, message, fix, path });
  };
}

/** Checks that `kind/name` (in `refNs`) exists in the release or is declared external; returns the rendered object if any. */
function refRequirer(
  ns: string,
  find: (kind: string, ns: string, name: string) => KubeObject | undefined,
  declared: ReadonlySet<string>,
  add: Add,
): RequireRef {
  return (rule, kind, name, what, path, refNs = ns) => {
    if (typeof name !== 'string' || !name) {
      add(rule, `${what} names no ${kind}`, `set the ${kind} name`, path);
      return undefined;
    }
    const found = find(kind, refNs, name);
    if (found) return found;
    if (declared.has(`${kind}/${refNs}/${name}`)) return undefined;
    add(rule, `${what} ${kind} ${show(name)}${refNs !== ns ? ` in namespace ${refNs}` : ''}, which the release does not render and the object does not declare external`, EXTERNAL_FIX(kind, name), path);
    return undefined;
  };
}

function dataKeys(o: KubeObject): Set<string> {
  const j = o as Json;
  return new Set([...Object.keys(j.data ?? {}), ...Object.keys(j.stringData ?? {}), ...Object.keys(j.binaryData ?? {})]);
}

function checkKey(o: KubeObject | undefined, keyName: unknown, optional: boolean, what: string, path: string, add: Add): void {
  if (!o || optional || typeof keyName !== 'string') return;
  const keys = dataKeys(o);
  if (!keys.has(keyName)) {
    add('pod-references', `${what} key ${show(keyName)} of ${o.kind} ${show(o.metadata.name)}, which has no such key (it has ${[...keys].sort().join(', ') || 'none'})`,
      `use one of the ${o.kind}'s keys, or add ${show(keyName)} to it`, path);
  }
}

function checkPod(t: PodTemplate, ns: string, index: Index, requireRef: RequireRef, add: Add): void {
  const spec = t.spec;
  const sp = t.specPath;
  const volumes = (Array.isArray(spec.volumes) ? spec.volumes : []) as Json[];
  const volumeNames = new Set<string>();
  volumes.forEach((v, i) => {
    const vp = `${sp}.volumes[${i}]`;
    if (volumeNames.has(v?.name)) add('volume-mounts', `volume name ${show(v.name)} is declared twice`, 'give every volume a distinct name', `${vp}.name`);
    volumeNames.add(v?.name);
    if (v?.configMap && !v.configMap.optional) {
      const cm = requireRef('pod-references', 'ConfigMap', v.configMap.name, `volume ${show(v.name)} mounts`, `${vp}.configMap.name`);
      (v.configMap.items ?? []).forEach((it: Json, j: number) => checkKey(cm, it?.key, false, `volume ${show(v.name)} mounts`, `${vp}.configMap.items[${j}].key`, add));
    }
    if (v?.secret && !v.secret.optional) {
      const s = requireRef('pod-references', 'Secret', v.secret.secretName, `volume ${show(v.name)} mounts`, `${vp}.secret.secretName`);
      (v.secret.items ?? []).forEach((it: Json, j: number) => checkKey(s, it?.key, false, `volume ${show(v.name)} mounts`, `${vp}.secret.items[${j}].key`, add));
    }
    if (v?.persistentVolumeClaim) {
      requireRef('pod-references', 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName, `volume ${show(v.name)} claims`, `${vp}.persistentVolumeClaim.claimName`);
    }
    ((v?.projected?.sources ?? []) as Json[]).forEach((s, j) => {
      if (s?.configMap && !s.configMap.optional) requireRef('pod-references', 'ConfigMap', s.configMap.name, `projected volume ${show(v.name)} reads`, `${vp}.projected.sources[${j}].configMap.name`);
      if (s?.secret && !s.secret.optional) requireRef('pod-references', 'Secret', s.secret.name, `projected volume ${show(v.name)} reads`, `${vp}.projected.sources[${j}].secret.name`);
    });
  });
  // StatefulSet claim templates are mountable by name.
  const claimTemplates = t.owner.kind === 'StatefulSet' ? (((t.owner as Json).spec?.volumeClaimTemplates ?? []) as Json[]) : [];
  for (const c of claimTemplates) if (c?.metadata?.name) volumeNames.add(c.metadata.name);

  ((Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : []) as Json[]).forEach((s, i) => {
    requireRef('pod-references', 'Secret', s?.name, 'imagePullSecrets names', `${sp}.imagePullSecrets[${i}].name`);
  });
  const sa = spec.serviceAccountName ?? spec.serviceAccount;
  if (sa !== undefined && sa !== 'default') requireRef('pod-references', 'ServiceAccount', sa, 'the pod runs as', `${sp}.serviceAccountName`);

  const containers = containersOf(t);
  for (const at of containers) {
    const c = at.c;
    const who = `${at.init ? 'init container' : 'container'} ${show(c.name)}`;
    ((Array.isArray(c.env) ? c.env : []) as Json[]).forEach((e, i) => {
      const ep = `${at.path}.env[${i}].valueFrom`;
      const cmr = e?.valueFrom?.configMapKeyRef;
      if (cmr && !cmr.optional) checkKey(requireRef('pod-references', 'ConfigMap', cmr.name, `${who} env ${e.name} reads`, `${ep}.configMapKeyRef.name`), cmr.key, false, `${who} env ${e.name} reads`, `${ep}.configMapKeyRef.key`, add);
      const skr = e?.valueFrom?.secretKeyRef;
      if (skr && !skr.optional) checkKey(requireRef('pod-references', 'Secret', skr.name, `${who} env ${e.name} reads`, `${ep}.secretKeyRef.name`), skr.key, false, `${who} env ${e.name} reads`, `${ep}.secretKeyRef.key`, add);
    });
    ((Array.isArray(c.envFrom) ? c.envFrom : []) as Json[]).forEach((f, i) => {
      if (f?.configMapRef && !f.configMapRef.optional) requireRef('pod-references', 'ConfigMap', f.configMapRef.name, `${who} envFrom reads`, `${at.path}.envFrom[${i}].configMapRef.name`);
      if (f?.secretRef && !f.secretRef.optional) requireRef('pod-references', 'Secret', f.secretRef.name, `${who} envFrom reads`, `${at.path}.envFrom[${i}].secretRef.name`);
    });

    // volume mounts
    const mountPaths = new Set<string>();
    ((Array.isArray(c.volumeMounts) ? c.volumeMounts : []) as Json[]).forEach((m, i) => {
      if (!volumeNames.has(m?.name)) {
        add('volume-mounts', `${who} mounts volume ${show(m?.name)}, which the pod does not declare (it has ${[...volumeNames].sort().map((n) => show(n)).join(', ') || 'no volumes'})`,
          'add the volume to the pod spec (or the StatefulSet volumeClaimTemplates), or fix the mount name', `${at.path}.volumeMounts[${i}].name`);
      }
      if (mountPaths.has(m?.mountPath)) add('volume-mounts', `${who} mounts two volumes at ${show(m.mountPath)}`, 'give every mount a distinct mountPath', `${at.path}.volumeMounts[${i}].mountPath`);
      mountPaths.add(m?.mountPath);
    });
    ((Array.isArray(c.volumeDevices) ? c.volumeDevices : []) as Json[]).forEach((m, i) => {
      if (!volumeNames.has(m?.name)) add('volume-mounts', `${who} attaches device volume ${show(m?.name)}, which the pod does not declare`, 'add the volume to the pod spec, or fix the name', `${at.path}.volumeDevices[${i}].name`);
    });

    // named probe ports
    const portNames = new Set(((Array.isArray(c.ports) ? c.ports : []) as Json[]).map((p) => p?.name).filter(Boolean));
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const p = c[probe];
      const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
      if (typeof port === 'string' && !/^[0-9]+$/.test(port) && !portNames.has(port)) {
        add('probe-port', `${who} ${probe} targets port ${show(port)}, which the container does not declare (its named ports: ${[...portNames].join(', ') || 'none'})`,
          'name the port in the container\'s ports, or probe the port number', `${at.path}.${probe}.${p.httpGet ? 'httpGet' : 'tcpSocket'}.port`);
      }
    }

    if (at.init) checkWait(at, ns, index, requireRef, add);
  }
}

/** Init containers of the k8s-wait-for image (`service <name>`, `service -l<selector>`, `pod -l<selector>`, `job <name>`). */
function checkWait(at: ContainerAt, ns: string, index: Index, requireRef: RequireRef, add: Add): void {
  const image = typeof at.c.image === 'string' ? at.c.image : '';
  const repo = image.split('@')[0].replace(/:[^/:]*$/, '');
  if (!/(^|\/)k8s-wait-for$/.test(repo)) return;
  const args = (Array.isArray(at.c.args) ? at.c.args : []) as string[];
  const [what, target] = args;
  const who = `init container ${show(at.c.name)}`;
  if (typeof target !== 'string') return;
  if (target.startsWith('-l')) {
    const selector: Record<string, string> = {};
    for (const part of target.slice(2).split(',')) {
      const [k, v] = part.split('=');
      if (k) selector[k] = v ?? '';
    }
    if (what === 'pod') {
      if (!selectTemplates(index, ns, selector).length) {
        add('init-wait-service', `${who} waits for pods labelled ${target.slice(2)}, but no pod template in the release has those labels`, 'wait for the labels the target workload\'s pod template carries (WaitFor.pods)', `${at.path}.args`);
      }
    } else if (what === 'service') {
      const found = [...index.byKey.values()].some((o) => o.kind === 'Service' && namespaceOf(o) === ns && selects(selector, ((o.metadata as Json).labels ?? {}) as Record<string, string>));
      if (!found) add('init-wait-service', `${who} waits for Services labelled ${target.slice(2)}, but the release renders none`, 'wait for a Service of this release (WaitFor.service)', `${at.path}.args`);
    }
    return;
  }
  if (what === 'service') requireRef('init-wait-service', 'Service', target, `${who} waits for`, `${at.path}.args[1]`);
  if (what === 'job' && !index.byKey.has(key('Job', ns, target))) {
    add('init-wait-service', `${who} waits for Job ${show(target)}, which the release does not render`, 'wait for a Job of this release', `${at.path}.args[1]`);
  }
}

const PORTS = new WeakMap<PodTemplate, Json[]>();

/** The ports the serving containers of a pod template declare (init containers excluded, native sidecars included). */
function containerPorts(t: PodTemplate): Json[] {
  let ports = PORTS.get(t);
  if (!ports) {
    ports = containersOf(t)
      .filter((at) => !at.init || at.sidecar)
      .flatMap((at) => (Array.isArray(at.c.ports) ? at.c.ports : []) as Json[]);
    PORTS.set(t, ports);
  }
  return ports;
}

function checkService(o: KubeObject, ns: string, index: Index, add: Add): void {
  const spec = (o as Json).spec ?? {};
  const selector = spec.selector as Record<string, string> | undefined;
  if (spec.type === 'ExternalName' || !selector || !Object.keys(selector).length) return;
  const selected = selectTemplates(index, ns, selector);
  if (!selected.length) {
    add('service-selects-pods', `selector ${show(selector)} matches no pod template in namespace ${ns || '(none)'}, so the Service has no endpoints`,
      'select the stable labels of the workload\'s pod template (selectorLabels), or drop the selector for a Service with manual Endpoints', 'spec.selector');
    return;
  }
  ((Array.isArray(spec.ports) ? spec.ports : []) as Json[]).forEach((p, i) => {
    const target = p?.targetPort ?? p?.port;
    const protocol = p?.protocol ?? 'TCP';
    for (const t of selected) {
      const ports = containerPorts(t);
      const ok = ports.some((cp) => (cp.protocol ?? 'TCP') === protocol && (typeof target === 'number' || /^[0-9]+$/.test(String(target)) ? cp.containerPort === Number(target) : cp.name === target));
      if (!ok) {
        const listens = ports.map((cp) => `${cp.containerPort}/${cp.protocol ?? 'TCP'}${cp.name ? ` (${cp.name})` : ''}`).join(', ') || 'no declared ports';
        add('service-target-port', `port ${show(p?.name ?? p?.port)} targets ${show(target)}/${protocol}, but ${objectId(t.owner)} declares ${listens}`,
          'set targetPort to a port name or number the selected containers declare (prefer the port name)', `spec.ports[${i}].targetPort`);
      }
    }
  });
}

type Find = (k: string, n: string, m: string) => KubeObject | undefined;

function checkIngress(o: KubeObject, ns: string, find: Find, declared: Set<string>, requireRef: RequireRef, add: Add): void {
  const spec = (o as Json).spec ?? {};
  const backends: Array<{ b: Json; path: string }> = [];
  if (spec.defaultBackend) backends.push({ b: spec.defaultBackend, path: 'spec.defaultBackend' });
  ((spec.rules ?? []) as Json[]).forEach((r, i) => ((r?.http?.paths ?? []) as Json[]).forEach((p, j) => backends.push({ b: p?.backend, path: `spec.rules[${i}].http.paths[${j}].backend` })));
  for (const { b, path } of backends) {
    const svc = b?.service;
    if (!svc) continue;
    const s = find('Service', ns, svc.name);
    if (!s) {
      if (declared.has(`Service/${ns}/${svc.name}`)) continue;
      add('ingress-backend', `backend Service ${show(svc.name)} is not rendered by the release and not declared external`, EXTERNAL_FIX('Service', svc.name), `${path}.service.name`);
      continue;
    }
    const ports = (((s as Json).spec?.ports ?? []) as Json[]);
    const want = svc.port ?? {};
    const ok = want.number !== undefined ? ports.some((p) => p.port === want.number) : ports.some((p) => p.name === want.name);
    if (!ok) {
      add('ingress-backend', `backend port ${show(want.number ?? want.name)} is not a port of Service ${show(svc.name)} (it has ${ports.map((p) => `${p.port}${p.name ? ` (${p.name})` : ''}`).join(', ') || 'none'})`,
        'use a port number or name the Service declares', `${path}.service.port`);
    }
  }
  ((spec.tls ?? []) as Json[]).forEach((t, i) => {
    if (t?.secretName) requireRef('ingress-backend', 'Secret', t.secretName, 'TLS uses', `spec.tls[${i}].secretName`);
  });
}

function checkBinding(o: KubeObject, ns: string, find: Find, declared: Set<string>, add: Add): void {
  const j = o as Json;
  const ref = j.roleRef ?? {};
  if (ref.kind === 'Role') {
    if (o.kind === 'ClusterRoleBinding') add('rbac-references', `roleRef names Role ${show(ref.name)}, but a ClusterRoleBinding can only bind a ClusterRole`, 'bind a ClusterRole, or use a RoleBinding', 'roleRef.kind');
    else if (!find('Role', ns, ref.name)) add('rbac-references', `roleRef names Role ${show(ref.name)}, which the release does not render in namespace ${ns}`, 'render the Role in the same release and namespace (NamespacedAccess does both)', 'roleRef.name');
  } else if (ref.kind === 'ClusterRole') {
    const name = String(ref.name ?? '');
    if (!find('ClusterRole', '', name) && !BUILTIN_CLUSTER_ROLES.has(name) && !name.startsWith('system:')) {
      add('rbac-references', `roleRef names ClusterRole ${show(name)}, which the release does not render and is not a built-in role`, 'render the ClusterRole in the release, or bind a built-in role (view, edit, admin)', 'roleRef.name');
    }
  }
  ((Array.isArray(j.subjects) ? j.subjects : []) as Json[]).forEach((s, i) => {
    if (s?.kind !== 'ServiceAccount') return;
    const sns = s.namespace ?? ns;
    if (!sns) {
      add('rbac-references', `subject ServiceAccount ${show(s.name)} has no namespace`, 'set subjects[].namespace (required in a ClusterRoleBinding)', `subjects[${i}].namespace`);
      return;
    }
    if (s.name === 'default' || find('ServiceAccount', sns, s.name)) return;
    if (declared.has(`ServiceAccount/${sns}/${s.name}`)) return;
    add('rbac-references', `subject ServiceAccount ${show(s.name)} in namespace ${sns} is not rendered by the release and not declared external`,
      sns === ns ? EXTERNAL_FIX('ServiceAccount', s.name) : EXTERNAL_FIX('ServiceAccount', s.name, sns), `subjects[${i}].name`);
  });
}
