/**
 * Phase timings of a synth, for `npm run bench`: when `OPS_KIT_TIMINGS` is set, `timed(name, fn)` adds the wall time
 * and the CPU time (user + system, all threads) `fn` took to phase `name`, and the synth program prints them in
 * milliseconds as one JSON line on stderr at the end. When it is not set, `timed` only calls `fn`.
 *
 * A phase's time includes the garbage collections that happen to run in it, and a collection runs where an allocation
 * finds the heap full, not where the garbage was made: work that allocates less in one phase moves collections (and
 * their time) to the next. `gcTimings()` says how much of each phase was collection pauses.
 */
// perf_hooks' classes as globals (node 19+): nothing is loaded when timings are off.

const enabled = !!process.env.OPS_KIT_TIMINGS;
const wall: Record<string, number> = {};
const cpu: Record<string, number> = {};
/** The outermost timed calls, as [phase, start, end] on `performance.now()`'s clock. */
const windows: Array<[string, number, number]> = [];
/** Garbage-collection pauses seen so far, as [start, duration] (ms, `performance.now()`'s clock). */
const pauses: Array<[number, number]> = [];
let depth = 0;

/** Kept referenced: an observer nothing holds is collected and stops observing. */
let observer: InstanceType<typeof PerformanceObserver> | undefined;
if (enabled) {
  // GC entries are delivered asynchronously (after the synchronous synth), which is why the synth program reads
  // `gcTimings` from a later turn of the event loop.
  observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push([e.startTime, e.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
}

/**
 * Runs `fn`, adding its duration to phase `name` when timings are on.
 * @internal
 */
export function timed<T>(name: string, fn: () => T): T {
  if (!enabled) return fn();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const start = performance.now();
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) windows.push([name, start, performance.now()]);
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

/**
 * Milliseconds of garbage-collection pauses (main thread, wall time) in each timed phase, and in `other` (before the
 * first phase, between phases, after the last). Complete only once the event loop has run after the phases (GC
 * entries arrive asynchronously): the synth program reads it from a later turn of the event loop. Empty when timings are off.
 * @internal
 */
export function gcTimings(): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  if (!observer) return out;
  for (const [start, duration] of pauses) {
    const phase = windows.find(([, s, e]) => start >= s && start < e)?.[0] ?? 'other';
    out[phase] = (out[phase] ?? 0) + duration;
  }
  return out;
}
