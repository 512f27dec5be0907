import { check } from '../core/errors';
import { assertDnsSubdomain } from '../core/names';

/** The experiment id grammar: an opaque id the task store mints (`exp_` and 26 Crockford base-32 characters). */
export const EDEN_EXPERIMENT_ID = /^exp_[0-9a-hjkmnp-tv-z]{26}$/;
/** The worker-id grammar every id a service runs under must fit (64 characters at most). Minted ids (`wkr_...`) do. */
export const EDEN_WORKER_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A git commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex characters. */
const COMMIT_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Validates an experiment id.
 * @internal
 */
export function assertExperimentId(prop: string, id: string): string {
  check(typeof id === 'string' && EDEN_EXPERIMENT_ID.test(id), prop, id, 'an experiment id minted by the task store: exp_ and 26 characters of 0-9 a-h j k m n p-t v-z (^exp_[0-9a-hjkmnp-tv-z]{26}$)',
    'the event model rejects any other id at run time');
  return id;
}

/** One worker a service runs as: the id the task store minted and the operator-created Secret holding its token. */
export interface EdenWorker {
  /** The minted worker id (`wkr_...`), the service's `--worker-id`. */
  readonly workerId: string;
  /**
   * The operator-created Secret holding the worker's one-time registration token under the key `token`
   * (`kubectl create secret generic <name> --from-literal=token=<registration_token>`).
   */
  readonly tokenSecret: string;
}

/** The key of the token in every identity Secret. */
export const EDEN_TOKEN_KEY = 'token';

/**
 * The identity (or identities) one service runs under: a minted worker id with the Secret holding its token, together,
 * so a half-set identity (an id whose token Secret was never named) cannot be written.
 */
export class EdenIdentity {
  /** One worker: every pod of the service runs as it (services with one replica). */
  public static of(worker: EdenWorker): EdenIdentity {
    return new EdenIdentity([worker], false);
  }

  /**
   * One worker per replica of a StatefulSet (pod `<name>-<n>` runs as the n-th), for services scaled above one: two
   * replicas sharing one minted id would race on its credential.
   */
  public static perReplica(workers: readonly EdenWorker[]): EdenIdentity {
    check(Array.isArray(workers) && workers.length > 0, 'identity.workers', workers, 'one { workerId, tokenSecret } per replica');
    return new EdenIdentity([...workers], true);
  }

  private constructor(
    /** The workers, in replica order. */
    public readonly workers: readonly EdenWorker[],
    /** One worker per replica. */
    public readonly perReplica: boolean,
  ) {}

  /**
   * Validates the workers for `prop` (`appTier.identities.orchestrator`).
   * @internal
   */
  public _validate(prop: string): void {
    const seen = new Set<string>();
    this.workers.forEach((w, i) => {
      const at = this.perReplica ? `${prop}[${i}]` : prop;
      check(w !== null && typeof w === 'object', at, w, '{ workerId, tokenSecret }');
      check(typeof w.workerId === 'string' && EDEN_WORKER_ID.test(w.workerId), `${at}.workerId`, w.workerId,
        'the minted worker id (wkr_...): lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 64 characters (^[a-z0-9][a-z0-9_-]{0,63}$)');
      check(w.tokenSecret !== undefined, `${at}.tokenSecret`, w.tokenSecret, 'the name of the operator-created Secret holding the worker\'s token (key token)',
        'a worker id without its token would render a pod reading a Secret nobody created');
      assertDnsSubdomain(`${at}.tokenSecret`, w.tokenSecret);
      check(!seen.has(w.workerId), `${at}.workerId`, w.workerId, 'a worker id no other replica of the service uses', 'two pods under one worker id race on its credential');
      seen.add(w.workerId);
    });
  }
}

/** The worker identities of the services that read one, all minted before the app tier is ready. */
export interface EdenIdentities {
  /** The orchestrator(s): one per replica in lease mode with more than one orchestrator. */
  readonly orchestrator: EdenIdentity;
  /** The web UI (also a member of the admins group). */
  readonly webUi: EdenIdentity;
  /** The ideator host. */
  readonly ideatorHost: EdenIdentity;
  /** The executor host(s). */
  readonly executorHost: EdenIdentity;
  /** The evaluator host(s). */
  readonly evaluatorHost: EdenIdentity;
}

/** The services that run under a minted identity, in the order the notes list them. */
export const EDEN_IDENTITY_SERVICES = ['orchestrator', 'webUi', 'ideatorHost', 'executorHost', 'evaluatorHost'] as const;

/** Options of `AppTier.pending()`. */
export interface PendingAppTierOptions {
  /**
   * The seed commit the repo-init Job pushed (its log prints it). With it the task-store-server runs, so the worker
   * identities can be minted against it; without it only the infrastructure and the repo-init Job render.
   * @default - not yet seeded
   */
  readonly baseCommitSha?: string;
}

/** Options of `AppTier.ready()`. */
export interface ReadyAppTierOptions {
  /** The seed commit the repo-init Job pushed, recorded on the experiment when the task store first creates it. */
  readonly baseCommitSha: string;
  /** Every identity-consuming service's minted worker id and token Secret. */
  readonly identities: EdenIdentities;
}

/**
 * Where the experiment's bring-up is: `pending` (the infrastructure, the repo-init Job and, once the seed commit is
 * known, the task-store-server to mint identities against) or `ready` (the whole app tier, every service with its
 * minted identity). The chart staged this with two render gates on loose values; here a phase is a value, and a ready
 * tier cannot be written without every identity.
 */
export class AppTier {
  /** Bring-up in progress: no identity-consuming service renders. */
  public static pending(options: PendingAppTierOptions = {}): AppTier {
    if (options.baseCommitSha !== undefined) assertSha('appTier.baseCommitSha', options.baseCommitSha);
    return new AppTier('pending', options.baseCommitSha, undefined);
  }

  /** Every service runs. */
  public static ready(options: ReadyAppTierOptions): AppTier {
    check(options !== undefined && typeof options === 'object', 'appTier', options, '{ baseCommitSha, identities }');
    assertSha('appTier.baseCommitSha', options.baseCommitSha);
    check(options.identities !== undefined && typeof options.identities === 'object', 'appTier.identities', options.identities,
      `an identity for each of ${EDEN_IDENTITY_SERVICES.join(', ')}`);
    for (const s of EDEN_IDENTITY_SERVICES) {
      const id = options.identities[s];
      check(id instanceof EdenIdentity, `appTier.identities.${s}`, id, 'EdenIdentity.of({ workerId, tokenSecret }) or EdenIdentity.perReplica([...])',
        'every identity-consuming service needs its minted worker id and token before the app tier is ready');
      id._validate(`appTier.identities.${s}`);
    }
    return new AppTier('ready', options.baseCommitSha, options.identities);
  }

  private constructor(
    /** The phase. */
    public readonly phase: 'pending' | 'ready',
    /** The seed commit, once known. */
    public readonly baseCommitSha: string | undefined,
    /** The identities (ready only). */
    public readonly identities: EdenIdentities | undefined,
  ) {}
}

function assertSha(prop: string, sha: string): void {
  check(typeof sha === 'string' && COMMIT_SHA.test(sha), prop, sha, 'a full commit id: 40 (or 64) lowercase hex characters, as the repo-init Job prints it');
}
