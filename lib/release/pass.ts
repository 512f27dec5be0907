/**
 * A render pass: while `renderPass(fn)` runs (renderApp holds one for the whole app), values derived from the
 * construct tree that do not change while it renders are computed once instead of once per use: the wiring graph's
 * records (every release filters the app-wide graph, three times for its NetworkPolicies and once for its report) and
 * each release's connection records. Outside a pass, `passMemo` computes every time, so a tree changed between two
 * renders is always read afresh; nothing outlives the pass (no result is kept between synths).
 */
let active: WeakMap<object, Map<string, unknown>> | undefined;

/**
 * Runs `fn` inside a render pass (or inside the one already running).
 * @internal
 */
export function renderPass<T>(fn: () => T): T {
  if (active) return fn();
  active = new WeakMap();
  try {
    return fn();
  } finally {
    active = undefined;
  }
}

/**
 * `compute()` for `owner` and `key`, once per render pass; every call outside a pass computes. The value is shared by
 * the callers of the pass: they must not change it.
 * @internal
 */
export function passMemo<T>(owner: object, key: string, compute: () => T): T {
  if (!active) return compute();
  let values = active.get(owner);
  if (!values) active.set(owner, (values = new Map()));
  if (values.has(key)) return values.get(key) as T;
  const v = compute();
  values.set(key, v);
  return v;
}

/**
 * The value `passMemo(owner, key, ...)` holds, handed over to the caller and forgotten by the pass (so the caller may
 * change it, and a later `passMemo` computes afresh); `compute()` when the pass holds none.
 * @internal
 */
export function passTake<T>(owner: object, key: string, compute: () => T): T {
  const values = active?.get(owner);
  if (values?.has(key)) {
    const v = values.get(key) as T;
    values.delete(key);
    return v;
  }
  return compute();
}
