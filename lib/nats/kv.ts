import { Duration, Size } from 'cdk8s';
import { check, ConfigError } from '../core/errors';
import { assertInt, assertWholeSeconds } from '../core/validate';

const BUCKET = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Throws unless `name` is a valid JetStream KV bucket name (letters, digits, '_' and '-').
 * @internal
 */
export function assertBucketName(prop: string, name: string): string {
  check(typeof name === 'string' && BUCKET.test(name), prop, name, "a KV bucket name: 1-64 letters, digits, '_' and '-' (no dots: the bucket name becomes a stream name)");
  return name;
}

/** Most revisions JetStream keeps per key of a KV bucket (its KV layer's limit). */
export const NATS_KV_MAX_HISTORY = 64;
/** Most servers a stream is replicated on (JetStream's limit). */
export const NATS_KV_MAX_REPLICAS = 5;
/** The longest duplicate-detection window JetStream KV clients give a bucket (2 minutes), in seconds. */
const KV_DUPLICATE_WINDOW_SECONDS = 120;
const NANOS_PER_SECOND = 1_000_000_000;

/** How long a KV bucket keeps a key's value after its last write. */
export class NatsKvTtl {
  /**
   * Values older than `ttl` (since their last write) are removed: keys nobody rewrites age out. A whole number of
   * seconds, at least 1.
   */
  public static after(ttl: Duration): NatsKvTtl {
    check(ttl instanceof Duration, 'ttl', ttl, 'a Duration, such as Duration.hours(24)');
    return new NatsKvTtl(assertWholeSeconds('ttl', ttl, { min: 1, max: 10 * 365 * 24 * 3600 }), undefined);
  }

  /** Values never expire. Say why: a bucket without a TTL keeps every key until someone deletes it. */
  public static none(options: { readonly reason: string }): NatsKvTtl {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'ttl.none.reason', options?.reason, 'a non-empty reason why values never expire');
    return new NatsKvTtl(undefined, options.reason);
  }

  private constructor(
    /** Seconds a value lives after its last write; undefined when values never expire. */
    public readonly seconds: number | undefined,
    /** Why values never expire (`none`). */
    public readonly reason: string | undefined,
  ) {}

  /** `24h`, `90s`, or `none`: for notes and descriptions. */
  public toString(): string {
    if (this.seconds === undefined) return 'none';
    const s = this.seconds;
    if (s % 86400 === 0) return `${s / 86400}d`;
    if (s % 3600 === 0) return `${s / 3600}h`;
    if (s % 60 === 0) return `${s / 60}m`;
    return `${s}s`;
  }
}

/** Where a bucket's stream keeps its messages. */
export enum NatsKvStorage {
  /** On the JetStream store volume: survives a server restart (with a persistent store). */
  FILE = 'file',
  /** In memory: lost when every replica restarts; counts against `max_memory_store`. */
  MEMORY = 'memory',
}

/**
 * The explicit settings a KV bucket is created with (the bucket Job sends them; no client's defaults apply). Every
 * limit is stated: a bucket's size, value size and expiry are part of its contract with the clients.
 */
export interface NatsKvBucketSettings {
  /**
   * Revisions kept per key, 1-64: with more than 1, a client can read the previous values (a rollback).
   * @default 1
   */
  readonly history?: number;
  /** How long a value lives after its last write: `NatsKvTtl.after(Duration)` or `NatsKvTtl.none({ reason })`. */
  readonly ttl: NatsKvTtl;
  /** Largest value a client may put; a bigger put is refused. At most the server's `maxPayload`. */
  readonly maxValueSize: Size;
  /**
   * Largest total size of the bucket (every key, every kept revision). JetStream reserves it on the store at creation,
   * so the buckets of a server must fit its store together. When full, puts are refused (`discard: new`) rather than
   * old values silently dropped.
   */
  readonly maxBucketSize: Size;
  /**
   * Servers the bucket is replicated on: 1 on a single server, at most the cluster size (and 5).
   * @default - 1 on a single server, 3 in a cluster
   */
  readonly replicas?: number;
  /**
   * Where the values are kept.
   * @default NatsKvStorage.FILE
   */
  readonly storage?: NatsKvStorage;
}

/** A bucket's settings, validated and resolved against its server. */
export interface NatsKvLimits {
  /** Revisions kept per key. */
  readonly history: number;
  /** Expiry of values. */
  readonly ttl: NatsKvTtl;
  /** Largest value, in bytes. */
  readonly maxValueBytes: number;
  /** Largest total size, in bytes. */
  readonly maxBucketBytes: number;
  /** Servers the bucket is replicated on. */
  readonly replicas: number;
  /** Where values are kept. */
  readonly storage: NatsKvStorage;
}

/**
 * A JetStream key-value bucket clients of one NATS server agree on. Declaring the bucket on the server object lets every
 * consumer (operator env, agents, tests) take the name from one place, so they can never disagree. A bucket declared
 * with settings (`limits`) is created by the server's bucket Job with exactly those settings; one without is left to
 * the first client that opens it, with that client's defaults.
 */
export interface NatsKvBucket {
  /** The bucket name (the stream is `KV_<name>`). */
  readonly name: string;
  /** What the bucket holds, for the operator notes. */
  readonly description: string;
  /**
   * The settings the bucket Job creates it with.
   * @default - none: the first client creates the bucket
   */
  readonly limits?: NatsKvLimits;
}

/**
 * What a bucket's settings are checked against: its server.
 * @internal
 */
export interface NatsKvServerLimits {
  /** Servers in the cluster (1 for a single server). */
  readonly replicas: number;
  /** The server's `max_payload`, in bytes. */
  readonly maxPayloadBytes: number;
}

function bytes(s: Size): number {
  return Math.round(s.toKibibytes() * 1024);
}

/**
 * Renders a byte count as the largest whole binary unit (`64KiB`, `300MiB`), for messages and descriptions.
 * @internal
 */
export function formatBytes(n: number): string {
  for (const [unit, f] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= f && n % f === 0) return `${n / f}${unit}`;
    if (n >= f && (n * 10) % f === 0) return `${(n / f).toFixed(1)}${unit}`;
  }
  return `${n} bytes`;
}

/**
 * Validates a bucket's settings against its server and resolves the defaults. `prop` is the settings' prop path
 * (`buckets.<name>`).
 * @internal
 */
export function resolveKvSettings(prop: string, settings: NatsKvBucketSettings, server: NatsKvServerLimits): NatsKvLimits {
  check(settings !== null && typeof settings === 'object', prop, settings, '{ history, ttl, maxValueSize, maxBucketSize }');
  const history = settings.history ?? 1;
  assertInt(`${prop}.history`, history, { min: 1, max: NATS_KV_MAX_HISTORY }, `revisions kept per key, 1-${NATS_KV_MAX_HISTORY} (JetStream KV's limit)`);
  check(settings.ttl instanceof NatsKvTtl, `${prop}.ttl`, settings.ttl, 'NatsKvTtl.after(Duration) or NatsKvTtl.none({ reason })');
  check(settings.maxValueSize instanceof Size, `${prop}.maxValueSize`, settings.maxValueSize, 'a Size, such as Size.kibibytes(64)');
  check(settings.maxBucketSize instanceof Size, `${prop}.maxBucketSize`, settings.maxBucketSize, 'a Size, such as Size.mebibytes(256)');
  const maxValueBytes = bytes(settings.maxValueSize);
  check(maxValueBytes >= 1024 && maxValueBytes <= server.maxPayloadBytes, `${prop}.maxValueSize`, formatBytes(maxValueBytes),
    `1KiB to the server's maxPayload (${formatBytes(server.maxPayloadBytes)})`, 'a value is one message: the server refuses anything above max_payload before JetStream sees it');
  const maxBucketBytes = bytes(settings.maxBucketSize);
  check(maxBucketBytes >= maxValueBytes * history, `${prop}.maxBucketSize`, formatBytes(maxBucketBytes),
    `at least maxValueSize x history (${formatBytes(maxValueBytes * history)})`, 'otherwise one key at its largest would fill the bucket');
  const maxReplicas = Math.min(server.replicas, NATS_KV_MAX_REPLICAS);
  const replicas = settings.replicas ?? Math.min(server.replicas, 3);
  assertInt(`${prop}.replicas`, replicas, { min: 1, max: maxReplicas },
    server.replicas === 1 ? '1 (the server is a single node)' : `1 to ${maxReplicas} (the cluster has ${server.replicas} servers)`);
  const storage = settings.storage ?? NatsKvStorage.FILE;
  check(Object.values(NatsKvStorage).includes(storage), `${prop}.storage`, storage, 'NatsKvStorage.FILE or NatsKvStorage.MEMORY');
  return { history, ttl: settings.ttl, maxValueBytes, maxBucketBytes, replicas, storage };
}

/**
 * The JetStream stream configuration of a KV bucket, as the `$JS.API.STREAM.CREATE.KV_<name>` request carries it: the
 * fields and values a JetStream KV client gives a bucket it creates (subjects `$KV.<name>.>`, one message per key
 * revision, rollups allowed, deletes as markers, direct gets, and new writes refused when full), with this bucket's
 * limits. Key order is fixed, so the rendered request is deterministic.
 */
export function kvStreamConfig(bucket: NatsKvBucket): Record<string, unknown> {
  const l = bucket.limits;
  if (!l) throw new ConfigError(`buckets.${bucket.name}`, bucket.name, 'a bucket declared with settings', 'a bucket without settings is created by its first client');
  const ttl = l.ttl.seconds ?? 0;
  // Clients give a bucket a 2-minute duplicate window, or the TTL when that is shorter (JetStream refuses a longer one).
  const duplicates = ttl > 0 ? Math.min(ttl, KV_DUPLICATE_WINDOW_SECONDS) : KV_DUPLICATE_WINDOW_SECONDS;
  return {
    name: `KV_${bucket.name}`,
    description: bucket.description,
    subjects: [`$KV.${bucket.name}.>`],
    retention: 'limits',
    max_consumers: -1,
    max_msgs: -1,
    max_bytes: l.maxBucketBytes,
    max_age: ttl * NANOS_PER_SECOND,
    max_msgs_per_subject: l.history,
    max_msg_size: l.maxValueBytes,
    discard: 'new',
    storage: l.storage,
    num_replicas: l.replicas,
    duplicate_window: duplicates * NANOS_PER_SECOND,
    allow_rollup_hdrs: true,
    deny_delete: true,
    deny_purge: false,
    allow_direct: true,
    mirror_direct: false,
  };
}

/**
 * The script the bucket Job runs with the `nats` CLI: for each bucket, a stream create request with the bucket's exact
 * configuration. JetStream answers a create of an existing stream with the same configuration as a success, so a re-run
 * (every Argo CD sync) changes nothing; an existing bucket with other settings (error 10058) is brought to these with
 * an update request; a setting JetStream cannot change in place (the storage type) fails the Job with JetStream's
 * answer, and nothing is deleted. Credentials come from the environment, never the command line.
 * @internal
 */
export function kvBucketScript(buckets: readonly NatsKvBucket[]): string {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const lines = [
    'set -eu',
    '# bucket NAME CONFIG: create the KV bucket\'s stream with CONFIG, or bring an existing one to it.',
    'bucket() {',
    '  if ! out=$(nats request --raw "\\$JS.API.STREAM.CREATE.KV_$1" "$2"); then echo "bucket $1: no answer from JetStream" >&2; return 1; fi',
    '  case "$out" in',
    '    *\'"error":{\'*) ;;',
    '    *) echo "bucket $1: in place with the declared settings"; return 0 ;;',
    '  esac',
    '  case "$out" in',
    '    *\'"err_code":10058\'*) ;;',
    '    *) echo "bucket $1: JetStream refused the create: $out" >&2; return 1 ;;',
    '  esac',
    '  if ! out=$(nats request --raw "\\$JS.API.STREAM.UPDATE.KV_$1" "$2"); then echo "bucket $1: no answer from JetStream" >&2; return 1; fi',
    '  case "$out" in',
    '    *\'"error":{\'*) echo "bucket $1: exists with settings JetStream cannot change in place; nothing was changed: $out" >&2; return 1 ;;',
    '  esac',
    '  echo "bucket $1: updated to the declared settings"',
    '}',
  ];
  for (const b of buckets) {
    if (b.limits) lines.push(`bucket ${quote(b.name)} ${quote(JSON.stringify(kvStreamConfig(b)))}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The script of an init container that waits until every named KV bucket exists (a stream info request per bucket
 * answers with its config), so a client that opens the buckets at start-up never races the bucket Job, whatever
 * applies the manifests. Credentials come from the environment, as for the Job.
 * @internal
 */
export function kvBucketWaitScript(names: readonly string[]): string {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return [
    'set -u',
    'ready() {',
    '  out=$(nats request --raw "\\$JS.API.STREAM.INFO.KV_$1" \'{}\' 2>/dev/null) || return 1',
    '  case "$out" in *\'"config":{\'*) return 0 ;; esac',
    '  return 1',
    '}',
    `for b in ${names.map(quote).join(' ')}; do`,
    '  until ready "$b"; do echo "waiting for KV bucket $b (created by the bucket Job)"; sleep 2; done',
    'done',
    '',
  ].join('\n');
}
