import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { check } from '../core/errors';
import { compareText } from '../core/order';
import { assertInt } from '../core/validate';

/**
 * Server settings a PostgresServer starts with (`postgres -c name=value`). Memory settings default to fractions of the
 * container's memory limit, so a resized container gets matching settings.
 * @see https://www.postgresql.org/docs/current/runtime-config-resource.html
 */
export interface PostgresSettings {
  /**
   * `max_connections`. Each connection costs memory (up to `workMem` per sort or hash); put a pooler in front rather
   * than raising this far.
   * @default 100
   */
  readonly maxConnections?: number;
  /**
   * `shared_buffers`: the server's own page cache. At most half the memory limit.
   * @default - a quarter of the container's memory limit
   */
  readonly sharedBuffers?: Size;
  /**
   * `effective_cache_size`: the planner's estimate of the memory caching data (shared buffers plus the page cache).
   * @default - three quarters of the container's memory limit
   */
  readonly effectiveCacheSize?: Size;
  /**
   * `work_mem`: memory per sort or hash operation, per connection.
   * @default 4 MiB
   */
  readonly workMem?: Size;
  /**
   * `maintenance_work_mem`: memory of VACUUM, CREATE INDEX and friends.
   * @default 64 MiB
   */
  readonly maintenanceWorkMem?: Size;
  /**
   * `log_min_duration_statement`: log statements slower than this.
   * @default - not logged
   */
  readonly logMinDurationStatement?: Duration;
  /**
   * Further settings by name (`{ 'wal_compression': 'on' }`). Names the typed props cover, and the ones the container
   * owns (`port`, `listen_addresses`, `data_directory`, `hba_file`, `unix_socket_directories`), are refused.
   * @default - none
   */
  readonly extra?: Readonly<Record<string, string | number>>;
}

/** Settings the container owns: changing them would break its probes, mounts or Service. */
const OWNED = new Set(['port', 'listen_addresses', 'data_directory', 'hba_file', 'ident_file', 'config_file', 'unix_socket_directories', 'password_encryption']);
const TYPED: Record<string, keyof PostgresSettings> = {
  max_connections: 'maxConnections',
  shared_buffers: 'sharedBuffers',
  effective_cache_size: 'effectiveCacheSize',
  work_mem: 'workMem',
  maintenance_work_mem: 'maintenanceWorkMem',
  log_min_duration_statement: 'logMinDurationStatement',
};

function kib(s: Size): number {
  return Math.ceil(s.toKibibytes({ rounding: SizeRoundingBehavior.NONE }));
}

/** A size as Postgres reads it: MB when whole mebibytes, else kB (Postgres' units are binary). */
function pgSize(s: Size): string {
  const k = kib(s);
  return k % 1024 === 0 ? `${k / 1024}MB` : `${k}kB`;
}

/**
 * Validates the settings against the container's memory limit and renders them as `name=value` pairs in a fixed
 * order (the typed settings, then `extra` sorted by name), with `password_encryption=scram-sha-256` first.
 * @internal
 */
export function renderSettings(settings: PostgresSettings, memoryLimit: Size): Array<[string, string]> {
  const limit = kib(memoryLimit);
  const maxConnections = settings.maxConnections ?? 100;
  assertInt('settings.maxConnections', maxConnections, { min: 5, max: 10000 });
  const sharedBuffers = settings.sharedBuffers ?? Size.kibibytes(Math.floor(limit / 4));
  check(kib(sharedBuffers) >= 128, 'settings.sharedBuffers', pgSize(sharedBuffers), 'at least 128kB');
  check(kib(sharedBuffers) * 2 <= limit, 'settings.sharedBuffers', pgSize(sharedBuffers), `at most half the memory limit (${pgSize(memoryLimit)})`,
    'the rest serves connections, sorts and the page cache; above half, the server is OOM-killed under load');
  const effectiveCacheSize = settings.effectiveCacheSize ?? Size.kibibytes(Math.floor((limit * 3) / 4));
  check(kib(effectiveCacheSize) >= kib(sharedBuffers), 'settings.effectiveCacheSize', pgSize(effectiveCacheSize), `at least sharedBuffers (${pgSize(sharedBuffers)})`);
  const workMem = settings.workMem ?? Size.mebibytes(4);
  check(kib(workMem) >= 64 && kib(workMem) < limit, 'settings.workMem', pgSize(workMem), `64kB up to the memory limit (${pgSize(memoryLimit)})`);
  const maintenanceWorkMem = settings.maintenanceWorkMem ?? Size.mebibytes(64);
  check(kib(maintenanceWorkMem) >= 1024 && kib(maintenanceWorkMem) * 2 <= limit, 'settings.maintenanceWorkMem', pgSize(maintenanceWorkMem), `1MB up to half the memory limit (${pgSize(memoryLimit)})`);
  const out: Array<[string, string]> = [
    ['password_encryption', 'scram-sha-256'],
    ['max_connections', String(maxConnections)],
    ['shared_buffers', pgSize(sharedBuffers)],
    ['effective_cache_size', pgSize(effectiveCacheSize)],
    ['work_mem', pgSize(workMem)],
    ['maintenance_work_mem', pgSize(maintenanceWorkMem)],
  ];
  if (settings.logMinDurationStatement !== undefined) {
    const ms = settings.logMinDurationStatement.toMilliseconds();
    assertInt('settings.logMinDurationStatement', ms, { min: 0 }, 'a whole number of milliseconds >= 0');
    out.push(['log_min_duration_statement', `${ms}ms`]);
  }
  for (const [name, value] of Object.entries(settings.extra ?? {}).sort(([a], [b]) => compareText(a, b))) {
    const prop = `settings.extra.${name}`;
    check(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$/.test(name), prop, name, 'a setting name: lowercase letters, digits and \'_\' (an extension\'s setting as ext.name)');
    check(!OWNED.has(name), prop, value, 'a setting the container does not own', `${name} is set by the server construct (its port, listen address, data directory and authentication must match its probes and Service)`);
    check(!(name in TYPED), prop, value, `the typed prop settings.${TYPED[name]}`, `${name} has a typed prop`);
    const v = typeof value === 'number' ? String(value) : value;
    check(typeof v === 'string' && /^[A-Za-z0-9_.:,/+-]+$/.test(v), prop, value, "a value of letters, digits and _ . : , / + - (no spaces or quotes)");
    out.push([name, v]);
  }
  return out;
}
