import { POLICY_EXCEPTION_PREFIX } from '../core/policy';
import { isDnsLabel, isDnsSubdomain } from '../core/names';
import { containersOf, groupOf, Json, labelSelectorMatches, podTemplateOf, show } from './objects';
import { PolicyFinding } from './policy';
import { KubeObject } from './types';

/**
 * A finding the API server itself would reject: no exception can waive it.
 * @internal
 */
export interface ApiFinding {
  /** The rule broken. */
  readonly rule: 'workload-selector' | 'unique-names' | 'object-names' | 'value-ranges';
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

const INT32_MAX = 2 ** 31 - 1;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** Kinds whose names must be DNS-1123 labels (the rest are subdomains; RBAC kinds also allow ':' as in system:...). */
const LABEL_NAMED = new Set(['Service', 'Namespace']);
const PATH_SEGMENT_NAMED = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
const SELECTED_WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function labelKeyOk(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && !isDnsSubdomain(key.slice(0, slash))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

function checkLabels(labels: unknown, path: string, out: ApiFinding[]): void {
  if (!labels || typeof labels !== 'object') return;
  const keys = Object.keys(labels);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = (labels as Record<string, unknown>)[k];
    if (!labelKeyOk(k)) out.push({ rule: 'object-names', message: `label key ${show(k)} is not a valid label key`, fix: "use [dns-subdomain/]name with at most 63 characters of letters, digits, '-', '_' and '.'", path });
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      out.push({ rule: 'object-names', message: `label ${k} has the value ${show(v)}${typeof v === 'string' && v.length > 63 ? ` (${v.length} characters)` : ''}, which is not a valid label value`, fix: "use at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit", path: `${path}.${k}` });
    }
  }
}

/** Ports out of range (a value that is not a number at all is the schema check's finding, not this one). */
function portOk(p: unknown): boolean {
  return typeof p !== 'number' || (Number.isInteger(p) && p >= 1 && p <= 65535);
}

/**
 * The API server's own rejections that the OpenAPI schema does not express (names, selectors, ranges, duplicates).
 * @internal
 */
export function apiFindings(o: KubeObject): ApiFinding[] {
  // Findings are pushed straight into `out` (a closure per call would be created, and named by the bundle, per object).
  const out: ApiFinding[] = [];
  const j = o as Json;
  const name = o.metadata?.name;

  // object-names: the object's name, and its labels (and its pod template's).
  if (typeof name === 'string') {
    const ok = LABEL_NAMED.has(o.kind) ? isDnsLabel(name) : PATH_SEGMENT_NAMED.has(o.kind) ? name.length > 0 && !/[/%]/.test(name) && name !== '.' && name !== '..' : isDnsSubdomain(name) || groupOf(o.apiVersion).includes('.');
    if (!ok) {
      out.push({ rule: 'object-names', message: `${o.kind} name ${show(name)} is not a valid ${LABEL_NAMED.has(o.kind) ? 'DNS-1123 label' : 'object name'}`,
        fix: LABEL_NAMED.has(o.kind) ? "use at most 63 lowercase letters, digits and '-', starting with a letter" : "use a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', at most 253 characters", path: 'metadata.name' });
    }
  }
  checkLabels(j.metadata?.labels, 'metadata.labels', out);

  // value-ranges: replicas.
  const replicas = j.spec?.replicas;
  if (typeof replicas === 'number' && SELECTED_WORKLOADS.has(o.kind) && !(Number.isInteger(replicas) && replicas >= 0 && replicas <= INT32_MAX)) {
    out.push({ rule: 'value-ranges', message: `spec.replicas is ${show(replicas)}`, fix: 'set a whole number from 0 to 2147483647', path: 'spec.replicas' });
  }

  // Service ports.
  if (o.kind === 'Service' && o.apiVersion === 'v1') {
    ((j.spec?.ports ?? []) as Json[]).forEach((p, i) => {
      if (!portOk(p?.port)) out.push({ rule: 'value-ranges', message: `port ${show(p?.port)} is not a port number`, fix: 'use a port from 1 to 65535', path: `spec.ports[${i}].port` });
      if (typeof p?.targetPort === 'number' && !portOk(p.targetPort)) out.push({ rule: 'value-ranges', message: `targetPort ${show(p.targetPort)} is not a port number`, fix: 'use a port from 1 to 65535, or a port name', path: `spec.ports[${i}].targetPort` });
      if (p?.nodePort !== undefined && !portOk(p.nodePort)) out.push({ rule: 'value-ranges', message: `nodePort ${show(p.nodePort)} is not a port number`, fix: 'use a port in the node-port range (30000-32767 by default)', path: `spec.ports[${i}].nodePort` });
    });
  }

  // workload-selector: a selector that is empty or does not select the workload's own template.
  const t = podTemplateOf(o);
  if (t && SELECTED_WORKLOADS.has(o.kind) && groupOf(o.apiVersion) === 'apps') {
    const sel = j.spec?.selector;
    const empty = !sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length);
    if (empty) {
      out.push({ rule: 'workload-selector', message: 'spec.selector is empty', fix: 'select the stable labels of the pod template (name, instance, component)', path: 'spec.selector' });
    } else if (!labelSelectorMatches(sel, t.labels)) {
      out.push({ rule: 'workload-selector', message: `spec.selector ${show(sel)} does not match the pod template's labels ${show(t.labels)}`, fix: 'put every selector label on the pod template (selectorLabels is a subset of standardLabels)', path: 'spec.selector' });
    }
  }
  if (t) {
    if (t.owner !== o || o.kind !== 'Pod') checkLabels(t.labels, `${t.specPath.replace(/\.spec$/, '')}.metadata.labels`, out);
    const containerNames = new Set<string>();
    for (const at of containersOf(t)) {
      const c = at.c;
      if (containerNames.has(c.name)) out.push({ rule: 'unique-names', message: `container name ${show(c.name)} is used twice in the pod`, fix: 'give every container and init container a distinct name', path: `${at.path}.name` });
      containerNames.add(c.name);
      const envNames = new Set<string>();
      ((Array.isArray(c.env) ? c.env : []) as Json[]).forEach((e, i) => {
        if (envNames.has(e?.name)) out.push({ rule: 'unique-names', message: `container ${show(c.name)} sets env ${show(e?.name)} twice (Kubernetes silently keeps the last)`, fix: 'set each variable once', path: `${at.path}.env[${i}].name` });
        envNames.add(e?.name);
      });
      const portNames = new Set<string>();
      ((Array.isArray(c.ports) ? c.ports : []) as Json[]).forEach((p, i) => {
        if (p?.name !== undefined) {
          if (portNames.has(p.name)) out.push({ rule: 'unique-names', message: `container ${show(c.name)} declares port name ${show(p.name)} twice`, fix: 'give every port of a container a distinct name', path: `${at.path}.ports[${i}].name` });
          portNames.add(p.name);
        }
        if (!portOk(p?.containerPort)) out.push({ rule: 'value-ranges', message: `container ${show(c.name)} containerPort ${show(p?.containerPort)} is not a port number`, fix: 'use a port from 1 to 65535', path: `${at.path}.ports[${i}].containerPort` });
        if (p?.hostPort !== undefined && !portOk(p.hostPort)) out.push({ rule: 'value-ranges', message: `container ${show(c.name)} hostPort ${show(p.hostPort)} is not a port number`, fix: 'use a port from 1 to 65535', path: `${at.path}.ports[${i}].hostPort` });
      });
      for (const k of ['runAsUser', 'runAsGroup'] as const) {
        const v = c.securityContext?.[k];
        if (typeof v === 'number' && !(Number.isInteger(v) && v >= 0 && v <= INT32_MAX)) out.push({ rule: 'value-ranges', message: `container ${show(c.name)} ${k} is ${show(v)}`, fix: 'use an id from 0 to 2147483647', path: `${at.path}.securityContext.${k}` });
      }
    }
    for (const k of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const v = t.spec.securityContext?.[k];
      if (typeof v === 'number' && !(Number.isInteger(v) && v >= 0 && v <= INT32_MAX)) out.push({ rule: 'value-ranges', message: `the pod's ${k} is ${show(v)}`, fix: 'use an id from 0 to 2147483647', path: `${t.specPath}.securityContext.${k}` });
    }
  }
  return out;
}

/**
 * Sysctls Pod Security baseline allows (the "safe" set of Kubernetes 1.28).
 * @internal
 */
export const SAFE_SYSCTLS: readonly string[] = [
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
];
/**
 * SELinux types Pod Security baseline allows (plus an unset type).
 * @internal
 */
export const ALLOWED_SELINUX_TYPES: readonly string[] = ['container_t', 'container_init_t', 'container_kvm_t'];

/** URL with a password in its user-info: `scheme://user:password@host`. A `$(VAR)` or `${VAR}` password is a reference, not a credential. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:([^\s/@]+)@/gi;

/**
 * The first credential-bearing URL in `text`, redacted for messages, or undefined.
 * @internal
 */
export function embeddedCredential(text: string): string | undefined {
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    if (/^(\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\})$/.test(m[1])) continue;
    return m[0].replace(`:${m[1]}@`, ':<redacted>@');
  }
  return undefined;
}

const RBAC_BROAD_ROLES = new Set(['cluster-admin', 'admin', 'edit']);
const ESCALATING_VERBS = new Set(['escalate', 'bind', 'impersonate']);

/**
 * Adds a policy finding to `out`. The hardening rules run for every object, so their helpers are module functions: a
 * closure per call would be created (and named by the bundle's keepNames) for every object.
 */
function add(out: PolicyFinding[], rule: PolicyFinding['rule'], message: string, fix: string, path?: string): void {
  out.push({ rule, message, fix, path });
}

/** The exception annotation a finding's fix offers. */
function except(rule: string, why: string): string {
  return `or annotate the object with ${POLICY_EXCEPTION_PREFIX}${rule}: <${why}>`;
}

function seLinux(out: PolicyFinding[], path: string, se: Json): void {
  if (se?.type !== undefined && !ALLOWED_SELINUX_TYPES.includes(se.type)) add(out, 'selinux-type', `${path} sets SELinux type ${show(se.type)}`, `use ${ALLOWED_SELINUX_TYPES.join(', ')} or leave it unset, ${except('selinux-type', 'reason')}`, `${path}.seLinuxOptions.type`);
  if (se?.user !== undefined || se?.role !== undefined) add(out, 'selinux-type', `${path} sets a custom SELinux ${se.user !== undefined ? 'user' : 'role'}`, `leave seLinuxOptions.user and .role unset, ${except('selinux-type', 'reason')}`, `${path}.seLinuxOptions`);
}

function appArmor(out: PolicyFinding[], path: string, profile: Json): void {
  if (profile?.type === 'Unconfined') add(out, 'apparmor', `${path} runs AppArmor Unconfined`, `use RuntimeDefault or Localhost, ${except('apparmor', 'reason')}`, `${path}.appArmorProfile`);
}

/**
 * The policy rules of the hardening review (Pod Security baseline, credentials, RBAC, service accounts).
 * @internal
 */
export function hardeningFindings(o: KubeObject): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const j = o as Json;

  if (o.kind === 'Secret' && o.apiVersion === 'v1') {
    const keys = [...Object.keys(j.data ?? {}), ...Object.keys(j.stringData ?? {})];
    if (keys.length) {
      add(out, 'secret-literal-data', `Secret ${show(o.metadata.name)} carries literal data (${keys.sort().join(', ')}) in the manifests`,
        `let an operator create the Secret (declare it with externalRefsAnnotation) so the value never lands in Git, ${except('secret-literal-data', 'why this data is not secret')}`, j.data ? 'data' : 'stringData');
    }
  }
  if (o.kind === 'ConfigMap' && o.apiVersion === 'v1') {
    for (const [k, v] of Object.entries((j.data ?? {}) as Record<string, unknown>)) {
      const hit = typeof v === 'string' ? embeddedCredential(v) : undefined;
      if (hit) add(out, 'url-credentials', `ConfigMap key ${k} holds a URL with an embedded password (${hit})`, `keep the password in a Secret and build the URL at run time, ${except('url-credentials', 'reason')}`, `data.${k}`);
    }
  }
  if (o.kind === 'ServiceAccount' && o.apiVersion === 'v1' && j.automountServiceAccountToken !== false) {
    add(out, 'service-account-token', `ServiceAccount ${show(o.metadata.name)} ${j.automountServiceAccountToken === true ? 'sets automountServiceAccountToken: true' : 'leaves automountServiceAccountToken unset (Kubernetes defaults it to true)'}, so every pod using it gets an API token`,
      `set automountServiceAccountToken: false on the ServiceAccount and true only on the pods that call the API (NamespacedAccess does), ${except('service-account-token', 'why every pod needs the token')}`, 'automountServiceAccountToken');
  }

  if ((o.kind === 'Role' || o.kind === 'ClusterRole') && groupOf(o.apiVersion) === 'rbac.authorization.k8s.io') {
    const rules = (Array.isArray(j.rules) ? j.rules : []) as Json[];
    const readsSecrets = rules.some((r) => (r.resources ?? []).some((x: string) => x === 'secrets' || x === '*') && (r.verbs ?? []).some((v: string) => ['get', 'list', 'watch', '*'].includes(v)));
    const execs = rules.some((r) => (r.resources ?? []).some((x: string) => x === 'pods/exec' || x === 'pods/*' || x === '*') && (r.verbs ?? []).some((v: string) => ['create', 'get', '*'].includes(v)));
    rules.forEach((r, i) => {
      for (const field of ['verbs', 'resources', 'apiGroups'] as const) {
        if ((r[field] ?? []).includes('*')) add(out, 'rbac-wildcards', `rule ${i} grants ${field} "*"`, `list the ${field} the workload needs, ${except('rbac-wildcards', 'why it needs every one')}`, `rules[${i}].${field}`);
      }
      const esc = (r.verbs ?? []).filter((v: string) => ESCALATING_VERBS.has(v));
      if (esc.length) add(out, 'rbac-escalation', `rule ${i} grants ${esc.join(', ')}, which lets the holder grant itself more than it has`, `drop ${esc.join(', ')}, ${except('rbac-escalation', 'reason')}`, `rules[${i}].verbs`);
    });
    if (readsSecrets && execs) {
      add(out, 'rbac-escalation', `${o.kind} ${show(o.metadata.name)} can both read Secrets and exec into pods: together that reaches every credential in the namespace`,
        `split the permissions between two accounts, ${except('rbac-escalation', 'reason')}`, 'rules');
    }
  }
  if ((o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && groupOf(o.apiVersion) === 'rbac.authorization.k8s.io') {
    const ref = j.roleRef ?? {};
    if (ref.kind === 'ClusterRole' && RBAC_BROAD_ROLES.has(ref.name)) {
      add(out, 'rbac-admin-binding', `${o.kind} ${show(o.metadata.name)} binds the built-in ClusterRole ${show(ref.name)}, which can read every Secret and change almost everything${o.kind === 'ClusterRoleBinding' ? ' in every namespace' : ' in the namespace'}`,
        `bind a Role with only the verbs and resources needed, ${except('rbac-admin-binding', 'why this much access')}`, 'roleRef.name');
    }
  }

  const t = podTemplateOf(o);
  if (!t) return out;
  const psc = (t.spec.securityContext ?? {}) as Json;
  ((Array.isArray(psc.sysctls) ? psc.sysctls : []) as Json[]).forEach((s, i) => {
    if (!SAFE_SYSCTLS.includes(s?.name)) add(out, 'safe-sysctls', `the pod sets sysctl ${show(s?.name)}, which is not in the Pod Security baseline's safe set`, `drop it, ${except('safe-sysctls', 'why the node kernel setting is needed')}`, `${t.specPath}.securityContext.sysctls[${i}]`);
  });
  seLinux(out, `${t.specPath}.securityContext`, psc.seLinuxOptions);
  appArmor(out, `${t.specPath}.securityContext`, psc.appArmorProfile);
  const templateAnnotations = t.owner === o && o.kind === 'Pod' ? (j.metadata?.annotations ?? {}) : ((o.kind === 'CronJob' ? j.spec?.jobTemplate?.spec?.template : j.spec?.template)?.metadata?.annotations ?? {});
  for (const [k, v] of Object.entries(templateAnnotations as Record<string, string>)) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v === 'unconfined') {
      add(out, 'apparmor', `the pod template annotation ${k} is unconfined`, `use runtime/default or localhost/<profile>, ${except('apparmor', 'reason')}`, `metadata.annotations.${k}`);
    }
  }
  for (const at of containersOf(t)) {
    const c = at.c;
    const csc = (c.securityContext ?? {}) as Json;
    if (csc.procMount !== undefined && csc.procMount !== 'Default') add(out, 'proc-mount', `container ${show(c.name)} sets procMount ${show(csc.procMount)}, which unmasks /proc`, `remove procMount, ${except('proc-mount', 'reason')}`, `${at.path}.securityContext.procMount`);
    seLinux(out, `${at.path}.securityContext`, csc.seLinuxOptions);
    appArmor(out, `${at.path}.securityContext`, csc.appArmorProfile);
    const literal: Array<[string, string]> = [];
    ((Array.isArray(c.env) ? c.env : []) as Json[]).forEach((e, i) => { if (typeof e?.value === 'string') literal.push([`${at.path}.env[${i}].value`, e.value]); });
    for (const key of ['command', 'args'] as const) ((Array.isArray(c[key]) ? c[key] : []) as unknown[]).forEach((a, i) => { if (typeof a === 'string') literal.push([`${at.path}.${key}[${i}]`, a]); });
    for (const [path, text] of literal) {
      const hit = embeddedCredential(text);
      if (hit) add(out, 'url-credentials', `container ${show(c.name)} has a URL with an embedded password in a literal value (${hit})`, `read the URL (or the password, as $(VAR) in the URL) from a Secret, ${except('url-credentials', 'reason')}`, path);
    }
  }
  return out;
}
