import { Duration } from 'cdk8s';
import { ExternalPeer } from '../../lib/core/endpoint';
import * as fs from 'fs';
import * as path from 'path';
import { CaddyfileProps } from '../../lib/ingress/caddy-config';
import { CaddyCookieSecret, CaddyLbFallback, CaddyUpstream } from '../../lib/ingress/routing';

/** The pods behind the test routes' upstreams (another app's, so peers outside the release). */
const DOCS_PODS = ExternalPeer.pods({ namespace: 'apps', selector: { app: 'docs' } });
const KIBANA_PODS = ExternalPeer.pods({ namespace: 'logging', selector: { app: 'kibana' } });
const STATUS_PODS = ExternalPeer.pods({ namespace: 'apps', selector: { app: 'statuspage' } });
const GATEWAY_PODS = ExternalPeer.pods({ namespace: 'apps', selector: { app: 'gateway' } });

/**
 * A route table of the tests' own (a collaborative document editor, not Graphistry), to show CaddyIngress is generic:
 * documents pinned by `?doc=`, a live channel and its viewer page pinned by `?room=`, two extra proxy routes.
 */
export function docsRouting(): CaddyfileProps {
  return {
    upstream: CaddyUpstream.dynamicA({ name: 'docs-headless.apps.svc.cluster.local', port: 9000, peer: DOCS_PODS }),
    sessionRoutes: [
      { name: 'doc', paths: ['/api/doc/*'], queryKey: 'doc' },
      { name: 'live', paths: ['/live/ws*', '/live/view.html*'], queryKey: 'room' },
    ],
    stickyCookie: { name: 'docs_affinity', secret: CaddyCookieSecret.fromSecret('docs-lb', 'hmac'), fallback: CaddyLbFallback.leastConn() },
    proxyRoutes: [
      { pathPrefix: '/kibana', upstream: CaddyUpstream.single('kibana.logging.svc.cluster.local:5601', { peer: KIBANA_PODS }) },
      { name: 'status_page', pathPrefix: '/status', upstream: CaddyUpstream.single('statuspage.apps.svc.cluster.local:8080', { peer: STATUS_PODS }) },
    ],
  };
}

/** The platform-style shape: one fixed upstream, no affinity. */
export function singleUpstreamRouting(): CaddyfileProps {
  return { upstream: CaddyUpstream.single('gateway.apps.svc.cluster.local:80', { peer: GATEWAY_PODS }) };
}

/** A short refresh for tests that need it. */
export const FAST_REFRESH = Duration.seconds(1);

const GOLDEN_DIR = path.join(__dirname, 'golden');

/**
 * Compares `text` with `test/ingress/golden/<name>`. Run with UPDATE_GOLDEN=1 to rewrite the files (then review the
 * diff: the golden files are the reviewed record of what Caddy receives).
 */
export function expectGolden(name: string, text: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, text);
  }
  if (!fs.existsSync(file)) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

/** The addresses of the site load balancer in front of the tests' NodePort and LoadBalancer Services. */
export const LB_CLIENTS = ExternalPeer.cidr({ cidrs: ['10.0.0.0/28'], reason: 'the site load balancer' });
