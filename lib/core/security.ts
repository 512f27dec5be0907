import { k8s } from 'cdk8s-plus-28';
import { check } from './errors';
import { PolicyException } from './policy';

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
    for (const [k, v] of [['runAsUser', options.runAsUser], ['runAsGroup', options.runAsGroup], ['fsGroup', options.fsGroup]] as const) {
      if (v !== undefined) check(Number.isInteger(v) && v >= 0, `security.${k}`, v, 'a whole number >= 0');
    }
    if (options.runAsRoot && options.runAsUser !== undefined && options.runAsUser !== 0) {
      check(false, 'security.runAsUser', options.runAsUser, 'unset (or 0) with runAsRoot; drop runAsRoot to run as this uid', 'runAsRoot runs the pod as uid 0');
    }
    if (options.runAsUser === 0 && !options.runAsRoot) {
      check(false, 'security.runAsUser', 0, 'a non-zero uid; running as root needs the runAsRoot option with a reason');
    }
    this.exceptions = ex;
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
