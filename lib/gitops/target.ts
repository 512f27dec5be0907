import { Duration } from 'cdk8s';
import { check, ErrorCollector } from '../core/errors';
import { assertDnsLabel, assertDnsSubdomain } from '../core/names';
import { assertInt, assertWholeSeconds } from '../core/validate';

/** The API server address of the cluster Argo CD runs in, as Argo CD names it. */
export const ARGOCD_IN_CLUSTER = 'https://kubernetes.default.svc';

/** How Argo CD syncs the generated Applications. */
export class ArgoCdSync {
  /**
   * Argo CD syncs on its own whenever Git changes. `prune` also deletes what the release stops rendering (objects with
   * `Prune=false`, such as CRDs and claims, stay); `selfHeal` also reverts changes made on the cluster.
   */
  public static automated(options: ArgoCdAutomatedSyncOptions = {}): ArgoCdSync {
    check(options.prune === undefined || typeof options.prune === 'boolean', 'sync.prune', options.prune, 'true or false');
    check(options.selfHeal === undefined || typeof options.selfHeal === 'boolean', 'sync.selfHeal', options.selfHeal, 'true or false');
    return new ArgoCdSync({ prune: options.prune ?? false, selfHeal: options.selfHeal ?? false });
  }

  /** An operator syncs by hand (`argocd app sync`, or the UI); Argo CD only reports drift. */
  public static manual(): ArgoCdSync {
    return new ArgoCdSync(undefined);
  }

  private constructor(
    /** The `automated` block, or undefined for manual sync. */
    public readonly automated: { readonly prune: boolean; readonly selfHeal: boolean } | undefined,
  ) {}
}

/** Options of `ArgoCdSync.automated`. */
export interface ArgoCdAutomatedSyncOptions {
  /**
   * Delete objects the release no longer renders (except those annotated `Prune=false`: CRDs and claims).
   * @default false
   */
  readonly prune?: boolean;
  /**
   * Revert changes made on the cluster to what Git says.
   * @default false
   */
  readonly selfHeal?: boolean;
}

/** Where the releases of a target are deployed. */
export class ArgoCdDestination {
  /** The cluster Argo CD runs in (`https://kubernetes.default.svc`). */
  public static inCluster(): ArgoCdDestination {
    return new ArgoCdDestination(ARGOCD_IN_CLUSTER, undefined);
  }

  /** A cluster registered in Argo CD, by its API server URL. */
  public static server(url: string): ArgoCdDestination {
    check(typeof url === 'string' && /^https:\/\/[^\s/@]+(\/[^\s]*)?$/.test(url), 'destination.server', url, 'the https:// URL of a cluster API server registered in Argo CD, without credentials');
    return new ArgoCdDestination(url, undefined);
  }

  /** A cluster registered in Argo CD, by its name (`argocd cluster list`). */
  public static cluster(name: string): ArgoCdDestination {
    assertDnsSubdomain('destination.cluster', name);
    return new ArgoCdDestination(undefined, name);
  }

  private constructor(
    /** The API server URL, or undefined when the cluster is named. */
    public readonly server: string | undefined,
    /** The cluster name, or undefined when the server is given. */
    public readonly name: string | undefined,
  ) {}

  /** The destination fields of an Application or AppProject entry for `namespace`. */
  public toJson(namespace: string): Record<string, string> {
    return this.server !== undefined ? { namespace, server: this.server } : { name: this.name!, namespace };
  }
}

/** How Argo CD retries a failed sync. */
export interface ArgoCdRetryOptions {
  /**
   * Attempts after the first failure.
   * @default 5
   */
  readonly limit?: number;
  /**
   * Wait before the first retry.
   * @default Duration.seconds(10)
   */
  readonly backoff?: Duration;
  /**
   * Each further wait is the previous one times this.
   * @default 2
   */
  readonly factor?: number;
  /**
   * Longest wait between two attempts.
   * @default Duration.minutes(3)
   */
  readonly maxBackoff?: Duration;
}

/** Props of `DeliveryTarget.argoCd`. */
export interface ArgoCdTargetProps {
  /**
   * The target's name: the root Application (the app-of-apps an operator applies) and the folder
   * `dist/argocd/<name>/` that holds its AppProject and one Application per release. Unique among the app's targets,
   * and no release may share it (Applications share one Argo CD namespace).
   */
  readonly name: string;
  /**
   * The Git repository that holds the committed dist/ (https://, ssh:// or git@host:path). Credentials never go in it:
   * Argo CD reads them from its repository Secrets.
   */
  readonly repoURL: string;
  /**
   * The branch, tag or commit Argo CD deploys.
   * @default 'HEAD'
   */
  readonly targetRevision?: string;
  /**
   * The path of the dist/ folder inside the repository (`.` when dist/ is the repository root).
   * @default 'dist'
   */
  readonly distPath?: string;
  /**
   * The namespace Argo CD runs in: where the Applications and AppProjects live.
   * @default 'argocd'
   */
  readonly argoCdNamespace?: string;
  /**
   * The AppProject the release Applications belong to, generated with least privilege (this repository only, the
   * releases' namespaces only, exactly the kinds they render).
   * @default - the target's name
   */
  readonly project?: string;
  /**
   * How Applications sync.
   * @default ArgoCdSync.automated() (no prune, no self-heal)
   */
  readonly sync?: ArgoCdSync;
  /**
   * How a failed sync is retried (with exponential backoff).
   * @default - 5 retries, 10s doubling up to 3m
   */
  readonly retry?: ArgoCdRetryOptions;
  /**
   * The cluster the releases are deployed to.
   * @default ArgoCdDestination.inCluster()
   */
  readonly destination?: ArgoCdDestination;
}

/** The retry block of an Application, as rendered. */
export interface ArgoCdRetry {
  /** Attempts after the first failure. */
  readonly limit: number;
  /** `duration`, `factor`, `maxDuration`. */
  readonly backoff: { readonly duration: string; readonly factor: number; readonly maxDuration: string };
}

/** A Go duration for whole seconds: `3m` when whole minutes, else `90s`. */
function goDuration(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

/** Git URLs Argo CD reads: https:// or ssh:// URLs, and the scp-like `user@host:path`. */
const HTTPS_URL = /^https:\/\/([^\s/?#]+)(\/[^\s]*)?$/;
const SSH_URL = /^ssh:\/\/[^\s/?#]+(\/[^\s]*)?$/;
const SCP_URL = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/;
/** Folder names a dist path may hold. */
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Where and how the releases of an app are delivered. Argo CD first: `DeliveryTarget.argoCd({...})`, given to each
 * release of the app (`new Release(app, 'x', { namespace, delivery })`). The synth then writes, beside the release
 * folders, `dist/argocd/`: one app-of-apps per target (an AppProject and one Application per release, ordered in sync
 * waves) and the root Application an operator applies once. See docs/guides/argo-cd.md.
 */
export class DeliveryTarget {
  /** Argo CD Applications generated from the committed dist/. */
  public static argoCd(props: ArgoCdTargetProps): DeliveryTarget {
    const errors = new ErrorCollector();
    errors.attempt(() => assertDnsLabel('argoCd.name', props.name, 63 - '-root'.length));
    errors.attempt(() => checkRepoUrl(props.repoURL));
    const targetRevision = props.targetRevision ?? 'HEAD';
    errors.check(
      typeof targetRevision === 'string' && /^[A-Za-z0-9][A-Za-z0-9._/@^~+-]{0,254}$/.test(targetRevision) && !targetRevision.includes('..'),
      'argoCd.targetRevision',
      targetRevision,
      'a branch, tag or commit (letters, digits and ._/@^~+-, no spaces, no ..)',
    );
    const distPath = props.distPath ?? 'dist';
    errors.check(
      typeof distPath === 'string' && (distPath === '.' || distPath.split('/').every((s) => PATH_SEGMENT.test(s) && s !== '.' && s !== '..')),
      'argoCd.distPath',
      distPath,
      "a relative path inside the repository such as 'dist' or 'deploy/dist' ('.' for the repository root), without leading or trailing '/' and without '..'",
    );
    const argoCdNamespace = props.argoCdNamespace ?? 'argocd';
    errors.attempt(() => assertDnsLabel('argoCd.argoCdNamespace', argoCdNamespace));
    const project = props.project ?? props.name;
    errors.attempt(() => assertDnsLabel('argoCd.project', project));
    errors.check(props.sync === undefined || props.sync instanceof ArgoCdSync, 'argoCd.sync', props.sync, 'ArgoCdSync.automated({...}) or ArgoCdSync.manual()');
    errors.check(
      props.destination === undefined || props.destination instanceof ArgoCdDestination,
      'argoCd.destination',
      props.destination,
      'ArgoCdDestination.inCluster(), .server(url) or .cluster(name)',
    );
    const retry = errors.attempt(() => resolveRetry(props.retry ?? {}));
    errors.throwIfAny();
    return new DeliveryTarget(props.name, {
      repoURL: props.repoURL,
      targetRevision,
      distPath,
      namespace: argoCdNamespace,
      project,
      sync: props.sync ?? ArgoCdSync.automated(),
      retry: retry!,
      destination: props.destination ?? ArgoCdDestination.inCluster(),
    });
  }

  private constructor(
    /** The target's name (root Application, folder under dist/argocd/). */
    public readonly name: string,
    /** The Argo CD settings, resolved. */
    public readonly argoCd: ArgoCdSettings,
  ) {}

  /** The repository path of a folder of dist/ (`dist/<folder>`, or `<folder>` when dist/ is the repository root). */
  public repoPath(folder: string): string {
    return this.argoCd.distPath === '.' ? folder : `${this.argoCd.distPath}/${folder}`;
  }
}

/** The resolved Argo CD settings of a target. */
export interface ArgoCdSettings {
  /** The Git repository. */
  readonly repoURL: string;
  /** The revision deployed. */
  readonly targetRevision: string;
  /** dist/ inside the repository ('.' for its root). */
  readonly distPath: string;
  /** Argo CD's namespace. */
  readonly namespace: string;
  /** The releases' AppProject. */
  readonly project: string;
  /** Sync policy. */
  readonly sync: ArgoCdSync;
  /** Retry block. */
  readonly retry: ArgoCdRetry;
  /** Destination cluster. */
  readonly destination: ArgoCdDestination;
}

function checkRepoUrl(url: string): void {
  const allowed = 'a Git URL: https://host/path, ssh://[user@]host/path or user@host:path, without credentials (Argo CD keeps them in its repository Secrets)';
  check(typeof url === 'string' && (HTTPS_URL.test(url) || SSH_URL.test(url) || SCP_URL.test(url)), 'argoCd.repoURL', url, allowed);
  const https = HTTPS_URL.exec(url);
  check(!https || !https[1].includes('@'), 'argoCd.repoURL', url, allowed, 'it carries credentials, which would be committed with every generated Application');
}

function resolveRetry(r: ArgoCdRetryOptions): ArgoCdRetry {
  const errors = new ErrorCollector();
  const limit = r.limit ?? 5;
  errors.attempt(() => assertInt('argoCd.retry.limit', limit, { min: 1, max: 100 }));
  const first = errors.attempt(() => assertWholeSeconds('argoCd.retry.backoff', r.backoff ?? Duration.seconds(10), { min: 1, max: 3600 }));
  const factor = r.factor ?? 2;
  errors.attempt(() => assertInt('argoCd.retry.factor', factor, { min: 1, max: 10 }));
  const max = errors.attempt(() => assertWholeSeconds('argoCd.retry.maxBackoff', r.maxBackoff ?? Duration.minutes(3), { min: 1, max: 86400 }));
  errors.throwIfAny();
  check(max! >= first!, 'argoCd.retry.maxBackoff', `${max}s`, `at least the first backoff (${first}s)`);
  return { limit, backoff: { duration: goDuration(first!), factor, maxDuration: goDuration(max!) } };
}
