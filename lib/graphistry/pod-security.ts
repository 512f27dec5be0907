import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { renderApiObject } from '../release/render';

/**
 * A Pod Security Standards level, from most to least permissive. Pod Security Admission enforces one per namespace
 * (`pod-security.kubernetes.io/enforce`).
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * @internal
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
  const add = (list: string[], reason: string) => {
    if (!list.includes(reason)) list.push(reason);
  };

  // Baseline.
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod[ns] === true) add(baseline, ns);
  if (psc.windowsOptions?.hostProcess === true) add(baseline, 'Windows hostProcess');
  const hostPaths = (pod.volumes ?? []).filter((v: Json) => v.hostPath !== undefined).map((v: Json) => v.hostPath.path as string);
  if (hostPaths.length) add(baseline, `hostPath volumes ${hostPaths.join(', ')}`);
  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) add(baseline, `sysctl ${s.name}`);
  const seLinux = (o: Json | undefined) => {
    if (!o) return;
    if (!SAFE_SELINUX_TYPES.has(o.type ?? '')) add(baseline, `SELinux type ${o.type}`);
    if (o.user || o.role) add(baseline, 'SELinux user or role');
  };
  seLinux(psc.seLinuxOptions);
  if (psc.seccompProfile?.type === 'Unconfined') add(baseline, 'seccomp Unconfined');
  for (const c of containers) {
    const sc: Json = c.securityContext ?? {};
    if (sc.privileged === true) add(baseline, 'privileged');
    if (sc.windowsOptions?.hostProcess === true) add(baseline, 'Windows hostProcess');
    const extra = (sc.capabilities?.add ?? []).map(capName).filter((cap: string) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length) add(baseline, `capabilities ${extra.join(', ')}`);
    const hostPorts = (c.ports ?? []).filter((p: Json) => p.hostPort).map((p: Json) => p.hostPort);
    if (hostPorts.length) add(baseline, `hostPort ${hostPorts.join(', ')}`);
    if (sc.seccompProfile?.type === 'Unconfined') add(baseline, 'seccomp Unconfined');
    if (sc.procMount !== undefined && sc.procMount !== 'Default') add(baseline, `procMount ${sc.procMount}`);
    seLinux(sc.seLinuxOptions);
  }
  if (baseline.length) return { level: 'privileged', reasons: baseline };

  // Restricted.
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUME_TYPES.has(type)) add(restricted, `${type} volume`);
  }
  const podSeccomp = psc.seccompProfile?.type;
  for (const c of containers) {
    const sc: Json = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) add(restricted, 'allowPrivilegeEscalation not false');
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (uid === 0) add(restricted, 'runAsUser 0');
    else if (nonRoot !== true) add(restricted, 'runAsNonRoot not true');
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') add(restricted, 'no RuntimeDefault seccomp profile');
    const drop = (sc.capabilities?.drop ?? []).map(capName);
    if (!drop.includes('ALL')) add(restricted, 'capabilities not dropped to ALL');
    const added = (sc.capabilities?.add ?? []).map(capName).filter((cap: string) => cap !== 'NET_BIND_SERVICE');
    if (added.length) add(restricted, `capabilities ${added.join(', ')}`);
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

/** Where the pod spec sits in each workload kind. */
const POD_SPEC_PATH: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/**
 * The workloads rendered under `scope` (in construct-tree order), each with its pod spec as it will be written.
 * Call it after the scope's children exist: it reads the objects as they are now.
 * @internal
 */
export function renderedWorkloads(scope: IConstruct): RenderedWorkload[] {
  const out: RenderedWorkload[] = [];
  for (const c of scope.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    const path = POD_SPEC_PATH[c.kind];
    if (!path) continue;
    // The same JSON as c.toJson(), in one pass (this runs for every workload while the stack is built).
    const json = renderApiObject(c);
    const pod = path.reduce<Json | undefined>((o, k) => o?.[k], json);
    if (pod) out.push({ kind: c.kind, name: json.metadata?.name ?? c.name, pod });
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
