/**
 * Phase timings of a synth, for `npm run bench`: when `OPS_KIT_TIMINGS` is set, `timed(name, fn)` adds the wall time
 * and the CPU time (user + system, all threads) `fn` took to phase `name`, and the synth program prints them in
 * milliseconds as one JSON line on stderr at the end. When it is not set, `timed` only calls `fn`.
 */
const enabled = !!process.env.OPS_KIT_TIMINGS;
const wall: Record<string, number> = {};
const cpu: Record<string, number> = {};

/**
 * Runs `fn`, adding its duration to phase `name` when timings are on.
 * @internal
 */
export function timed<T>(name: string, fn: () => T): T {
  if (!enabled) return fn();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  try {
    return fn();
  } finally {
    const c = process.cpuUsage(c0);
    wall[name] = (wall[name] ?? 0) + Number(process.hrtime.bigint() - t0) / 1e6;
    cpu[name] = (cpu[name] ?? 0) + (c.user + c.system) / 1000;
  }
}

/**
 * The phases timed so far (empty when timings are off).
 * @internal
 */
export function timings(): { readonly wall: Readonly<Record<string, number>>; readonly cpu: Readonly<Record<string, number>> } {
  return { wall, cpu };
}
