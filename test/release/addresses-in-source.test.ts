import * as fs from 'fs';
import * as path from 'path';

// The grep criterion as a test: outside the handle implementation (lib/core/endpoint.ts), no source assembles
// an in-cluster Service name or URL. Addresses come from ServiceEndpoint / ExternalEndpoint / ClusterDomain and the
// connections made to them.
const LIB = path.join(__dirname, '..', '..', 'lib');
const HANDLES = path.join('core', 'endpoint.ts');

/** Assembled URLs that are not in-cluster Service addresses, with the reason. */
const ALLOWED: ReadonlyArray<{ file: string; text: string; reason: string }> = [
  { file: 'core/probes.ts', text: 'http://${c.host ?? \'localhost\'}:${c.port}${c.path}', reason: 'a curl probe dials loopback inside the container' },
  { file: 'graphistry/engine-dispatcher.ts', text: 'http://${upstream}:${r.port}', reason: 'the in-pod dispatcher forwards to sibling containers on loopback' },
  { file: 'nginx/server.ts', text: 'http://${address}/', reason: 'parses a bracketed IPv6 listen address with URL to canonicalise it; nothing dials it' },
  { file: 'graphistry/stack.ts', text: '${scheme}://${host}', reason: 'the public site URL from the Ingress host or TLS domain, not an in-cluster address' },
  { file: 'workload/web-service.ts', text: "${o.tls ? 'https' : 'http'}://${h}", reason: 'the public URL an Ingress serves (its host), for the release notes, not an in-cluster address' },
  { file: 'object-storage/minio.ts', text: 'http://${this.name}-{0...${this.replicas - 1}}.${this.headlessEndpoint.fqdn()}', reason: "MinIO's {x...y} ellipsis over the pod names under the headless endpoint's FQDN (one argument names every drive)" },
  { file: 'object-storage/storage.ts', text: "${b.kind === 'gcs' ? 'gs' : 's3'}://${b.bucket}", reason: 'a bucket URI in messages, not a network address' },
  { file: 'quickwit/quickwit.ts', text: 's3://${storage.bucket}/', reason: "Quickwit's index root: a bucket URI, not a network address (the S3 endpoint comes from the connection)" },
  { file: 'postgres/client.ts', text: 'postgresql://${s.login.user ?? \'<user>\'}:<password>@${s.host}', reason: "the DSN form an error message shows the operator, with the connection's host" },
  { file: 'postgres/server.ts', text: 'postgresql://${r.user}:$${v}@${host}', reason: "the DSN the notes tell the operator to store in the role's URL Secret, with the endpoint's host" },
];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The code of a file without comments (block comments and whole-line `//` comments). */
function code(text: string): string[] {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).split('\n').map((l) => (l.trim().startsWith('//') ? '' : l));
}

/** Template literals with interpolation that build a DNS name under `.svc` or a URL. */
function assembled(line: string): string[] {
  return [...line.matchAll(/`([^`]*\$\{[^`]*)`/g)].map((m) => m[1]).filter((t) => /\.svc\b|\.svc\.|\$\{[^}]+\}\.svc|:\/\/\$\{|:\/\/[a-z0-9-]+\$\{/.test(t) || /:\/\/\$\{/.test(t));
}

/** String literals that are URLs to a bare (single-label) host other than loopback: `'redis://redis:6379/0'`. */
function literalServiceUrls(line: string): string[] {
  return [...line.matchAll(/['"]([a-z][a-z0-9+.-]*:\/\/([a-z0-9-]+)(?::\d+)?(?:\/[^'"]*)?)['"]/g)].filter((m) => m[2] !== 'localhost').map((m) => m[1]);
}

describe('in-cluster addresses in the library source', () => {
  const found: string[] = [];
  for (const f of files(LIB)) {
    const rel = path.relative(LIB, f);
    if (rel === HANDLES) continue;
    code(fs.readFileSync(f, 'utf-8')).forEach((line, i) => {
      for (const t of assembled(line)) {
        if (!ALLOWED.some((a) => a.file === rel.split(path.sep).join('/') && t.includes(a.text))) found.push(`${rel}:${i + 1}: \`${t}\``);
      }
      if (/['"`][^'"`]*\.svc\.cluster\.local/.test(line) && !/allowed|for example|such as/.test(line)) found.push(`${rel}:${i + 1}: literal cluster.local FQDN`);
      for (const u of literalServiceUrls(line)) found.push(`${rel}:${i + 1}: literal URL ${u}`);
    });
  }

  test('no file outside lib/core/endpoint.ts assembles a Service DNS name or an in-cluster URL', () => {
    expect(found).toEqual([]);
  });

  test('the scan finds what it looks for (it can fail)', () => {
    expect(assembled('const u = `http://${svc}.${ns}.svc:${port}`;')).toHaveLength(1);
    expect(assembled('const h = `${name}.${namespace}.svc.${domain}`;')).toHaveLength(1);
    expect(assembled('const u = `redis://${name}:6379/0`;')).toHaveLength(1);
    expect(assembled('const n = `${prefix}-prometheus`;')).toEqual([]);
    expect(literalServiceUrls("redisUrl: 'redis://redis:6379/0',")).toEqual(['redis://redis:6379/0']);
    expect(literalServiceUrls("const u = 'http://localhost:8080';")).toEqual([]);
    const endpoint = code(fs.readFileSync(path.join(LIB, HANDLES), 'utf-8')).flatMap(assembled);
    expect(endpoint.length).toBeGreaterThan(0);
  });
});
