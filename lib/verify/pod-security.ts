import { renderedPodSpec } from '../core/pod';
import { KubeObject } from './types';

/**
 * A Pod Security Standards level, from most to least permissive. Pod Security Admission enforces one per namespace
 * (`pod-security.kubernetes.io/enforce`).
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/**
 * The strictest level one pod meets, and why it misses the next stricter one.
 * @internal
 */
export interface PodSecurityEvaluation {
  /** The strictest Pod Security level that admits the pod. */
  readonly level: PodSecurityLevel;
  /** What breaks the next stricter level (baseline checks when privileged, restricted checks when baseline). */
  readonly reasons: readonly string[];
}

/** Capabilities the baseline level lets a container add (the container runtime's default set). */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
/** Sysctls the baseline level allows. */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
]);
/** SELinux types the baseline level allows. */
const SAFE_SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
/** Volume types the restricted level allows. */
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

type Json = Record<string, any>;

/** A capability name without the `CAP_` prefix, upper case (the API server compares them this way). */
function capName(c: string): string {
  return c.toUpperCase().replace(/^CAP_/, '');
}

/** Adds a reason once (module functions, not closures: the evaluation runs for every workload, several times a synth). */
function addReason(list: string[], reason: string): void {
  if (!list.includes(reason)) list.push(reason);
}

/** The baseline reasons an SELinux options block gives. */
function seLinuxReasons(baseline: string[], o: Json | undefined): void {
  if (!o) return;
  if (!SAFE_SELINUX_TYPES.has(o.type ?? '')) addReason(baseline, `SELinux type ${o.type}`);
  if (o.user || o.role) addReason(baseline, 'SELinux user or role');
}

/**
 * Evaluates a rendered pod spec (plain JSON, as written to the manifests) against the Pod Security Standards the
 * way Pod Security Admission does: the baseline checks (host namespaces, privileged, added capabilities outside the
 * default set, hostPath volumes, host ports, seccomp Unconfined, SELinux, /proc mount, unsafe sysctls, Windows
 * host processes), then the restricted ones (volume types, allowPrivilegeEscalation false, non-root, seccomp
 * RuntimeDefault or Localhost, capabilities dropped to ALL with at most NET_BIND_SERVICE added). Pod-template
 * annotations (AppArmor) are not evaluated: nothing in this library sets them.
 * @internal
 */
export function evaluatePodSecurity(pod: Json): PodSecurityEvaluation {
  const containers: Json[] = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
  const psc: Json = pod.securityContext ?? {};
  const baseline: string[] = [];
  const restricted: string[] = [];

  // Baseline.
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod[ns] === true) addReason(baseline, ns);
  if (psc.windowsOptions?.hostProcess === true) addReason(baseline, 'Windows hostProcess');
  const hostPaths = (pod.volumes ?? []).filter((v: Json) => v.hostPath !== undefined).map((v: Json) => v.hostPath.path as string);
  if (hostPaths.length) addReason(baseline, `hostPath volumes ${hostPaths.join(', ')}`);
  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) addReason(baseline, `sysctl ${s.name}`);
  seLinuxReasons(baseline, psc.seLinuxOptions);
  if (psc.seccompProfile?.type === 'Unconfined') addReason(baseline, 'seccomp Unconfined');
  for (const c of containers) {
    const sc: Json = c.securityContext ?? {};
    if (sc.privileged === true) addReason(baseline, 'privileged');
    if (sc.windowsOptions?.hostProcess === true) addReason(baseline, 'Windows hostProcess');
    const extra = (sc.capabilities?.add ?? []).map(capName).filter((cap: string) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length) addReason(baseline, `capabilities ${extra.join(', ')}`);
    const hostPorts = (c.ports ?? []).filter((p: Json) => p.hostPort).map((p: Json) => p.hostPort);
    if (hostPorts.length) addReason(baseline, `hostPort ${hostPorts.join(', ')}`);
    if (sc.seccompProfile?.type === 'Unconfined') addReason(baseline, 'seccomp Unconfined');
    if (sc.procMount !== undefined && sc.procMount !== 'Default') addReason(baseline, `procMount ${sc.procMount}`);
    seLinuxReasons(baseline, sc.seLinuxOptions);
  }
  if (baseline.length) return { level: 'privileged', reasons: baseline };

  // Restricted.
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUME_TYPES.has(type)) addReason(restricted, `${type} volume`);
  }
  const podSeccomp = psc.seccompProfile?.type;
  for (const c of containers) {
    const sc: Json = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) addReason(restricted, 'allowPrivilegeEscalation not false');
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (uid === 0) addReason(restricted, 'runAsUser 0');
    else if (nonRoot !== true) addReason(restricted, 'runAsNonRoot not true');
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') addReason(restricted, 'no RuntimeDefault seccomp profile');
    const drop = (sc.capabilities?.drop ?? []).map(capName);
    if (!drop.includes('ALL')) addReason(restricted, 'capabilities not dropped to ALL');
    const added = (sc.capabilities?.add ?? []).map(capName).filter((cap: string) => cap !== 'NET_BIND_SERVICE');
    if (added.length) addReason(restricted, `capabilities ${added.join(', ')}`);
  }
  if (restricted.length) return { level: 'baseline', reasons: restricted };
  return { level: 'restricted', reasons: [] };
}

/**
 * One workload rendered under a scope, with its pod template.
 * @internal
 */
export interface RenderedWorkload {
  /** The workload kind (`Deployment`, `DaemonSet`, ...). */
  readonly kind: string;
  /** The workload's name. */
  readonly name: string;
  /** The pod spec as rendered (plain JSON). */
  readonly pod: Json;
}

/**
 * The workloads among rendered objects (plain JSON, as written), each with its pod spec, in object order.
 * @internal
 */
export function manifestWorkloads(objects: readonly KubeObject[]): RenderedWorkload[] {
  const out: RenderedWorkload[] = [];
  for (const o of objects) {
    const pod = renderedPodSpec(o);
    if (pod) out.push({ kind: o.kind, name: o.metadata?.name, pod });
  }
  return out;
}

/**
 * The level a namespace needs so that every workload is admitted, with the workloads at each looser level.
 * @internal
 */
export interface PodSecurityRequirement {
  /** The strictest level that admits every workload. */
  readonly level: PodSecurityLevel;
  /** Workloads that need `privileged`, with what breaks baseline. */
  readonly privileged: ReadonlyArray<{ readonly name: string; readonly reasons: readonly string[] }>;
  /** Workloads that need `baseline`, with what breaks restricted. */
  readonly baseline: ReadonlyArray<{ readonly name: string; readonly reasons: readonly string[] }>;
}

/**
 * The Pod Security level a namespace needs to admit every one of `workloads`.
 * @internal
 */
export function podSecurityRequirement(workloads: readonly RenderedWorkload[]): PodSecurityRequirement {
  const privileged: Array<{ name: string; reasons: readonly string[] }> = [];
  const baseline: Array<{ name: string; reasons: readonly string[] }> = [];
  for (const w of workloads) {
    const e = evaluatePodSecurity(w.pod);
    if (e.level === 'privileged') privileged.push({ name: w.name, reasons: e.reasons });
    else if (e.level === 'baseline') baseline.push({ name: w.name, reasons: e.reasons });
  }
  const level: PodSecurityLevel = privileged.length ? 'privileged' : baseline.length ? 'baseline' : 'restricted';
  return { level, privileged, baseline };
}

/** The Kubernetes version the Pod Security policy is pinned to (the schema version verification checks against). */
const POD_SECURITY_VERSION = 'v1.28';

/**
 * The namespace labels for a Pod Security level: `enforce` at the level (pinned to the 1.28 policy the pods were
 * evaluated against, so a cluster upgrade does not tighten it under running workloads), and `warn` and `audit` at the
 * same level, unpinned, so apply-time warnings and audit annotations show what a newer policy would reject. `warn` also
 * makes the API server warn when a Deployment is applied whose pods the namespace would reject.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': POD_SECURITY_VERSION,
    'pod-security.kubernetes.io/warn': level,
  };
}

const LEVEL_ORDER: readonly PodSecurityLevel[] = ['restricted', 'baseline', 'privileged'];

/**
 * True when a namespace enforcing `enforced` admits pods that need `needed`.
 * @internal
 */
export function levelAdmits(enforced: string, needed: PodSecurityLevel): boolean {
  const e = LEVEL_ORDER.indexOf(enforced as PodSecurityLevel);
  return e >= 0 && e >= LEVEL_ORDER.indexOf(needed);
}

/**
 * A namespace label set that enforces a stricter level than `workloads` need: the message (naming the workloads
 * and why), or undefined when it admits them (or enforces nothing).
 * @internal
 */
export function enforcedLevelProblem(
  labels: Readonly<Record<string, string>>,
  workloads: readonly RenderedWorkload[],
  where: string,
): { message: string; fix: string } | undefined {
  const enforced = labels['pod-security.kubernetes.io/enforce'];
  if (enforced === undefined) return undefined;
  const need = podSecurityRequirement(workloads);
  if (!LEVEL_ORDER.includes(enforced as PodSecurityLevel)) {
    return { message: `${where} enforces Pod Security level ${JSON.stringify(enforced)}, which is not a level`, fix: 'use privileged, baseline or restricted' };
  }
  if (levelAdmits(enforced, need.level)) return undefined;
  const offenders = need.level === 'privileged' ? need.privileged : [...need.privileged, ...need.baseline];
  return {
    message: `${where} enforces Pod Security level ${enforced}, but its pods need ${need.level}: ${offenders.map((w) => `${w.name} (${w.reasons.join('; ')})`).join(', ')}; they are rejected at creation`,
    fix: `enforce ${need.level} (podSecurityLabels('${need.level}')), or make the pods meet ${enforced}`,
  };
}

/**
 * Rule `pod-security-level` over one release's objects: a rendered Namespace that enforces a stricter level than the
 * release's pods in it need.
 * @internal
 */
export function namespaceLevelFindings(objects: readonly KubeObject[]): Array<{ object: KubeObject; message: string; fix: string; path: string }> {
  const out: Array<{ object: KubeObject; message: string; fix: string; path: string }> = [];
  for (const ns of objects) {
    if (ns?.kind !== 'Namespace' || ns.apiVersion !== 'v1' || !ns.metadata?.name) continue;
    const inside = objects.filter((o) => o?.metadata?.namespace === ns.metadata.name);
    const labels = (ns.metadata.labels as Record<string, string> | undefined) ?? {};
    const problem = enforcedLevelProblem(labels, manifestWorkloads(inside), `Namespace ${ns.metadata.name}`);
    if (problem) out.push({ object: ns, ...problem, path: 'metadata.labels.pod-security.kubernetes.io/enforce' });
  }
  return out;
}
