import { execFileSync } from 'child_process';

/**
 * Caddy on this machine is Debian's 2.6.2; the images the construct targets run 2.10/2.11. Three things the rendered
 * Caddyfile uses do not exist in 2.6.2, and one exists but is silently dropped. `toCaddy262` derives a file 2.6.2
 * accepts by this documented set of line-level substitutions, and counts each so a test can assert none silently
 * missed:
 *
 * 1. `lb_policy query KEY` (2.7.0) -> `lb_policy header X-Caddy-Lb-Query`, with
 *    `request_header X-Caddy-Lb-Query {query.KEY}` added to the enclosing handle, before its reverse_proxy.
 *    Both policies hash one value with highest-random-weight over the upstreams and fall back to random when the
 *    value is empty; copying the query value into one fixed header keeps the key-agnostic property (`?id=S` and
 *    `?session=S` hash the same S).
 * 2. The cookie policy's `{ fallback POLICY }` block (2.7.0; 2.6.2 drops it silently and always falls back to random)
 *    is removed.
 * 3. `log_skip` (2.8.0) -> `skip_log` (its name before 2.8.0).
 * 4. The global `servers { trusted_proxies ... }` block (2.6.3) is removed. It only changes which X-Forwarded-* headers
 *    are trusted, which no loopback test can observe.
 */
export interface CompatResult {
  readonly text: string;
  readonly counts: { readonly queryPolicies: number; readonly cookieFallbacks: number; readonly logSkips: number; readonly trustedProxies: number };
}

export const LB_QUERY_HEADER = 'X-Caddy-Lb-Query';

function indentOf(line: string): number {
  return /^\t*/.exec(line)![0].length;
}

export function toCaddy262(text: string): CompatResult {
  const lines = text.split('\n');
  let queryPolicies = 0;
  let cookieFallbacks = 0;
  let logSkips = 0;
  let trustedProxies = 0;

  // 1. lb_policy query KEY
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\t+)lb_policy query (\S+)$/.exec(lines[i]);
    if (!m) continue;
    const depth = m[1].length;
    let rp = i - 1;
    while (rp >= 0 && !(indentOf(lines[rp]) === depth - 1 && /^\t*reverse_proxy\b.*\{$/.test(lines[rp]))) rp--;
    if (rp < 0) throw new Error(`toCaddy262: no reverse_proxy block encloses line ${i + 1}: ${lines[i]}`);
    lines[i] = `${m[1]}lb_policy header ${LB_QUERY_HEADER}`;
    lines.splice(rp, 0, `${'\t'.repeat(depth - 1)}request_header ${LB_QUERY_HEADER} {query.${m[2]}}`);
    queryPolicies++;
    i++;
  }

  // 2. cookie fallback block
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\t+)(lb_policy cookie .*) \{$/.exec(lines[i]);
    if (!m) continue;
    const close = `${m[1]}}`;
    const end = lines.indexOf(close, i + 1);
    const inner = lines.slice(i + 1, end);
    if (end < 0 || inner.length !== 1 || !/^\t+fallback \S+/.test(inner[0])) {
      throw new Error(`toCaddy262: unexpected cookie policy block at line ${i + 1}`);
    }
    lines.splice(i, end - i + 1, `${m[1]}${m[2]}`);
    cookieFallbacks++;
  }

  // 3. log_skip
  for (let i = 0; i < lines.length; i++) {
    if (/^\t+log_skip\b/.test(lines[i])) {
      lines[i] = lines[i].replace('log_skip', 'skip_log');
      logSkips++;
    }
  }

  // 4. servers { trusted_proxies ... } in the global options
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '\tservers {') continue;
    const end = lines.indexOf('\t}', i + 1);
    const inner = lines.slice(i + 1, end);
    if (end < 0 || inner.length !== 1 || !/^\t\ttrusted_proxies /.test(inner[0])) throw new Error(`toCaddy262: unexpected servers block at line ${i + 1}`);
    const from = i > 0 && /^\t#/.test(lines[i - 1]) ? i - 1 : i; // its comment goes too
    lines.splice(from, end - from + 1);
    trustedProxies++;
  }

  return { text: lines.join('\n'), counts: { queryPolicies, cookieFallbacks, logSkips, trustedProxies } };
}

/** The version of the `caddy` on PATH as [major, minor, patch]; throws when there is none (the test must fail). */
export function caddyVersion(bin = 'caddy'): [number, number, number] {
  const out = execFileSync(bin, ['version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`cannot read a version from \`${bin} version\`: ${out}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** True when this Caddy understands the rendered file unmodified (query policy, cookie fallback, log_skip). */
export function supportsUnmodified(v: readonly [number, number, number]): boolean {
  return v[0] > 2 || (v[0] === 2 && v[1] >= 8);
}

/**
 * True when this Caddy keeps passive-health state for `dynamic` upstreams across tries (2.11.2, caddyserver/caddy
 * #7539). Before that, a dynamic upstream's failures were dropped after every try, so `fail_duration` had no effect on
 * a DNS pool and a retry of a pinned request (cookie, session hash) chose the same failed upstream again.
 */
export function keepsDynamicPassiveHealth(v: readonly [number, number, number]): boolean {
  return v[0] > 2 || (v[0] === 2 && (v[1] > 11 || (v[1] === 11 && v[2] >= 2)));
}
