import * as fs from 'fs';
import * as path from 'path';
import { LB_QUERY_HEADER, supportsUnmodified, toCaddy262 } from '../integration/support/caddy-compat';

// The 2.6.2 substitutions the integration test relies on, checked against the reviewed golden file.
describe('toCaddy262', () => {
  const golden = fs.readFileSync(path.join(__dirname, 'golden', 'ingress.Caddyfile'), 'utf8');
  const { text, counts } = toCaddy262(golden);

  test('applies each documented substitution and counts it', () => {
    expect(counts).toEqual({ queryPolicies: 2, cookieFallbacks: 1, logSkips: 1, trustedProxies: 1 });
    expect(text).not.toMatch(/lb_policy query|log_skip|fallback|trusted_proxies/);
  });

  test('copies the query value into one header, in the handle, before the reverse_proxy', () => {
    expect(text).toContain(`\thandle @doc {\n\t\trequest_header ${LB_QUERY_HEADER} {query.doc}\n\t\treverse_proxy {`);
    expect(text).toContain(`\t\t\tlb_policy header ${LB_QUERY_HEADER}\n`);
    expect(text).toContain(`request_header ${LB_QUERY_HEADER} {query.room}`);
  });

  test('leaves everything else alone', () => {
    const strip = (t: string) => t.split('\n').filter((l) => !/lb_policy|request_header|log_skip|skip_log|fallback|servers|trusted_proxies|^\t# Trust/.test(l));
    expect(strip(text).filter((l) => l.trim() !== '}')).toEqual(strip(golden).filter((l) => l.trim() !== '}'));
  });

  test('knows which versions need it', () => {
    expect(supportsUnmodified([2, 6, 2])).toBe(false);
    expect(supportsUnmodified([2, 7, 6])).toBe(false);
    expect(supportsUnmodified([2, 8, 0])).toBe(true);
    expect(supportsUnmodified([2, 11, 2])).toBe(true);
  });
});
