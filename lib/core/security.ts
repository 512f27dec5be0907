import { k8s } from 'cdk8s-plus-28';
import { check } from './errors';
import { assertDnsLabel } from './names';
import { PolicyException } from './policy';
import { assertGid, assertUid } from './validate';

/**
 * A read-only mount of a path on the node (a hostPath volume). Types that create the path on the node
 * (`DirectoryOrCreate`, `FileOrCreate`) are not offered: a read-only mount never writes to the node.
 */
export interface HostPathMount {
  /** Volume name in the pod (a DNS label). */
  readonly name: string;
  /** Absolute path on the node. */
  readonly hostPath: string;
  /** Absolute path where the containers that mount it see it. */
  readonly mountPath: string;
  /**
   * What must exist at `hostPath` before the pod starts.
   * @default - no check (Kubernetes' empty type)
   */
  readonly type?: 'Directory' | 'File' | 'Socket';
  /**
   * `HostToContainer` shows the container mounts the node makes after the pod started (node-exporter's view of the
   * root filesystem). `Bidirectional` is not offered: it needs a privileged container.
   * @default - none (Kubernetes' None)
   */
  readonly mountPropagation?: 'HostToContainer';
}

/** Options that loosen the restricted profile. Each carries the reason, which is recorded in the output. */
export interface SecurityExceptions {
  /**
   * Run as root (uid 0). For images that cannot run otherwise (GPU engine images writing root-owned NFS exports).
   * @default - non-root
   */
  readonly runAsRoot?: { readonly reason: string };
  /**
   * Linux capabilities to add back after dropping ALL (for example NET_BIND_SERVICE to bind :80 as non-root).
   * @default - none added
   */
  readonly addCapabilities?: { readonly capabilities: readonly string[]; readonly reason: string };
  /**
   * Allow privilege escalation (setuid binaries).
   * @default - not allowed
   */
  readonly allowPrivilegeEscalation?: { readonly reason: string };
  /**
   * Read-only hostPath mounts of node paths (a `no-host-access` exception). `buildPodSpec` adds the volumes; the
   * containers that read them add `hostPathMounts()` to their volumeMounts.
   * @default - none
   */
  readonly hostPaths?: { readonly mounts: readonly HostPathMount[]; readonly reason: string };
  /**
   * Join the node's network namespace (`hostNetwork: true`, a `no-host-access` exception). The pod's IP is the node's,
   * and its ports are bound on the node.
   * @default - the pod's own network namespace
   */
  readonly hostNetwork?: { readonly reason: string };
  /**
   * Share the node's PID namespace (`hostPID: true`, a `no-host-access` exception).
   * @default - the pod's own PID namespace
   */
  readonly hostPID?: { readonly reason: string };
}

/** Settings that are not exceptions. */
export interface SecurityProfileOptions extends SecurityExceptions {
  /**
   * User id the containers run as. Leave unset to use the image's own non-root user.
   * @default - the image's user (runAsNonRoot still enforced)
   */
  readonly runAsUser?: number;
  /** @default - the image's group */
  readonly runAsGroup?: number;
  /**
   * Group that owns mounted volumes (Grafana 472, Jaeger 10001).
   * @default - none
   */
  readonly fsGroup?: number;
  /**
   * Mount the root filesystem read-only.
   * @default false
   */
  readonly readOnlyRootFilesystem?: boolean;
}

/**
 * A pod security profile: restricted by default (non-root, no privilege escalation, all capabilities dropped, seccomp
 * RuntimeDefault). Every loosening is a named option with a reason, listed in `exceptions` for policy annotations.
 */
export class SecurityProfile {
  /** The restricted profile, optionally with named, reasoned exceptions. */
  public static restricted(options: SecurityProfileOptions = {}): SecurityProfile {
    return new SecurityProfile(options);
  }

  /** The policy exceptions this profile makes (rule ids as used by the verification layer). */
  public readonly exceptions: readonly PolicyException[];

  private constructor(private readonly options: SecurityProfileOptions) {
    const ex: PolicyException[] = [];
    const need = (prop: string, r: { reason: string } | undefined) => {
      if (r) check(r.reason.trim().length > 0, `security.${prop}.reason`, r.reason, 'a non-empty reason');
      return r;
    };
    if (need('runAsRoot', options.runAsRoot)) ex.push({ rule: 'non-root', reason: options.runAsRoot!.reason });
    if (need('addCapabilities', options.addCapabilities)) {
      for (const c of options.addCapabilities!.capabilities) {
        check(/^[A-Z_]+$/.test(c) && c !== 'ALL', 'security.addCapabilities.capabilities', c, 'a capability name such as NET_BIND_SERVICE (not ALL)');
      }
      ex.push({ rule: 'capabilities-dropped', reason: options.addCapabilities!.reason });
    }
    if (need('allowPrivilegeEscalation', options.allowPrivilegeEscalation)) ex.push({ rule: 'no-privilege-escalation', reason: options.allowPrivilegeEscalation!.reason });
    if (need('hostPaths', options.hostPaths)) {
      const mounts = options.hostPaths!.mounts;
      check(mounts.length > 0, 'security.hostPaths.mounts', mounts, 'at least one mount; leave hostPaths unset for none');
      const names = new Set<string>();
      mounts.forEach((m, i) => {
        const at = `security.hostPaths.mounts[${i}]`;
        assertDnsLabel(`${at}.name`, m.name);
        check(!names.has(m.name), `${at}.name`, m.name, 'unique volume names', `${m.name} appears twice`);
        names.add(m.name);
        check(isAbsolutePath(m.hostPath), `${at}.hostPath`, m.hostPath, "an absolute node path without '..' segments (/proc, /var/lib/kubelet/pod-resources)");
        check(isAbsolutePath(m.mountPath), `${at}.mountPath`, m.mountPath, "an absolute container path without '..' segments");
        if (m.type !== undefined) check(['Directory', 'File', 'Socket'].includes(m.type), `${at}.type`, m.type, 'Directory, File or Socket');
        if (m.mountPropagation !== undefined) check(m.mountPropagation === 'HostToContainer', `${at}.mountPropagation`, m.mountPropagation, 'HostToContainer');
      });
      ex.push({ rule: 'no-host-access', reason: options.hostPaths!.reason });
    }
    if (need('hostNetwork', options.hostNetwork)) ex.push({ rule: 'no-host-access', reason: options.hostNetwork!.reason });
    if (need('hostPID', options.hostPID)) ex.push({ rule: 'no-host-access', reason: options.hostPID!.reason });
    if (options.runAsUser !== undefined) assertUid('security.runAsUser', options.runAsUser);
    if (options.runAsGroup !== undefined) assertGid('security.runAsGroup', options.runAsGroup);
    if (options.fsGroup !== undefined) assertGid('security.fsGroup', options.fsGroup);
    if (options.runAsRoot && options.runAsUser !== undefined && options.runAsUser !== 0) {
      check(false, 'security.runAsUser', options.runAsUser, 'unset (or 0) with runAsRoot; drop runAsRoot to run as this uid', 'runAsRoot runs the pod as uid 0');
    }
    if (options.runAsUser === 0 && !options.runAsRoot) {
      check(false, 'security.runAsUser', 0, 'a non-zero uid; running as root needs the runAsRoot option with a reason');
    }
    this.exceptions = ex;
  }

  /**
   * The profile for the init containers of a pod running this profile (waits, copies): when the pod runs as root (the
   * pod-level uid applies to every container) they run as root too, but without any capability added back, which a
   * wait or a copy never needs; otherwise this profile itself.
   */
  public forInitContainers(): SecurityProfile {
    return this.options.runAsRoot ? SecurityProfile.restricted({ runAsRoot: this.options.runAsRoot }) : this;
  }

  /** The pod-level securityContext. */
  public podSecurityContext(): k8s.PodSecurityContext {
    const root = this.options.runAsRoot !== undefined;
    return {
      runAsNonRoot: root ? undefined : true,
      runAsUser: root ? 0 : this.options.runAsUser,
      runAsGroup: this.options.runAsGroup,
      fsGroup: this.options.fsGroup,
      seccompProfile: { type: 'RuntimeDefault' },
    };
  }

  /** True when the pod joins the node's network namespace (the `hostNetwork` exception). */
  public get hostNetwork(): boolean {
    return this.options.hostNetwork !== undefined;
  }

  /** True when the pod shares the node's PID namespace (the `hostPID` exception). */
  public get hostPID(): boolean {
    return this.options.hostPID !== undefined;
  }

  /** The hostPath volumes of the `hostPaths` exception (`buildPodSpec` adds them to the pod). */
  public hostPathVolumes(): k8s.Volume[] {
    return (this.options.hostPaths?.mounts ?? []).map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: m.type } }));
  }

  /** Read-only mounts of the `hostPaths` volumes, for the containers that read them. */
  public hostPathMounts(): k8s.VolumeMount[] {
    return (this.options.hostPaths?.mounts ?? []).map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      readOnly: true,
      mountPropagation: m.mountPropagation,
    }));
  }

  /** The container-level securityContext (applied to every container, init containers included). */
  public containerSecurityContext(): k8s.SecurityContext {
    const root = this.options.runAsRoot !== undefined;
    return {
      allowPrivilegeEscalation: this.options.allowPrivilegeEscalation !== undefined,
      privileged: false,
      runAsNonRoot: root ? undefined : true,
      readOnlyRootFilesystem: this.options.readOnlyRootFilesystem ? true : undefined,
      capabilities: {
        drop: ['ALL'],
        add: this.options.addCapabilities ? [...this.options.addCapabilities.capabilities] : undefined,
      },
      seccompProfile: { type: 'RuntimeDefault' },
    };
  }
}

/** An absolute path with no empty, `.` or `..` segments (a trailing slash only on `/` itself). */
function isAbsolutePath(p: string): boolean {
  if (p === '/') return true;
  if (!p.startsWith('/') || p.endsWith('/')) return false;
  return p.slice(1).split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}
