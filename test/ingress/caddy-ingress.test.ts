import { ApiObject, App, JsonPatch } from 'cdk8s';
import { ConfigErrors, ExternalPeer, NetworkPolicies } from '../../lib/core';
import { Manifest, Release, renderRelease } from '../../lib/release';
import {
  CaddyCookieSecret,
  CaddyExternalTrafficPolicy,
  CaddyImage,
  CaddyIngress,
  CaddyIngressProps,
  CaddyServiceType,
  CaddyTls,
  CaddyUpstream,
} from '../../lib/ingress';
import { KubeObject, verifyManifests } from '../../lib/verify';
import { docsRouting, LB_CLIENTS, singleUpstreamRouting } from './fixtures';

/** The cluster's ingress controller (its default class): the release's NetworkPolicies admit it into Caddy. */
const NETWORK = NetworkPolicies.defaultDeny({ ingressController: ExternalPeer.pods({ namespace: 'kube-system', selector: { 'app.kubernetes.io/name': 'traefik' } }) });

type Obj = Manifest & { spec?: any; data?: any; metadata: Manifest['metadata'] & { annotations?: any } };

function synth(props: Partial<CaddyIngressProps> = {}, releaseProps: { images?: { registry?: string } } = {}) {
  const app = new App();
  const release = new Release(app, 'docs', { namespace: 'apps', networkPolicy: NETWORK, ...releaseProps });
  const caddy = new CaddyIngress(release, 'Caddy', { ...docsRouting(), ...props });
  const rendered = renderRelease(release);
  const objects = rendered.objects as Obj[];
  const get = (kind: string) => objects.find((o) => o.kind === kind);
  return { caddy, rendered, objects, get, release };
}

const SELF = CaddyTls.self({ domains: ['docs.example.com'], certificateSecret: 'docs-tls' });

describe('CaddyIngress defaults', () => {
  const { caddy, objects, get, rendered } = synth();
  const deployment = get('Deployment')!;
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  test('renders a Deployment, ConfigMap, Service and Ingress (no PodDisruptionBudget with one replica)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/caddy-caddyfile', 'Deployment/caddy', 'Ingress/caddy', 'NetworkPolicy/caddy', 'NetworkPolicy/docs-default-deny', 'Service/caddy',
    ]);
    expect(objects).toMatchSnapshot();
  });

  test('the ConfigMap holds exactly the rendered Caddyfile, and the container runs it', () => {
    expect(get('ConfigMap')!.data).toEqual({ Caddyfile: caddy.caddyfileText });
    expect(container.command).toEqual(['caddy', 'run', '--config', '/etc/caddy/config/Caddyfile', '--adapter', 'caddyfile']);
    const mount = container.volumeMounts.find((m: any) => m.mountPath === '/etc/caddy/config');
    expect(pod.volumes.find((v: any) => v.name === mount.name).configMap.name).toBe('caddy-caddyfile');
  });

  test('the pod template carries the checksum of the Caddyfile', () => {
    const { configChecksum } = jest.requireActual('../../lib/core/checksum');
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toBe(configChecksum(caddy.caddyfileText));
  });

  test('one replica, RollingUpdate with maxUnavailable 0, 90s grace, preStop sleep 10', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(pod.terminationGracePeriodSeconds).toBe(90);
    expect(container.lifecycle.preStop.exec.command).toEqual(['sh', '-c', 'sleep 10']);
  });

  test('the wrapper image is probed with exec curl on the health path, on the port Caddy listens on', () => {
    expect(container.image).toBe('graphistry/caddy:v2.50.7-universal');
    for (const p of [container.readinessProbe, container.livenessProbe]) {
      expect(p.exec.command).toEqual(['curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8080/caddy/health/']);
    }
    expect(container.readinessProbe.failureThreshold).toBe(1);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(caddy.caddyfileText).toContain('http://:8080 {');
  });

  test('readiness drops the endpoint on the first failed probe (threshold 1, every 3s, 2s timeout); liveness restarts only after 3 failures', () => {
    expect(container.readinessProbe).toMatchObject({ failureThreshold: 1, periodSeconds: 3, timeoutSeconds: 2 });
    expect(container.livenessProbe).toMatchObject({ failureThreshold: 3, periodSeconds: 10, timeoutSeconds: 5, initialDelaySeconds: 5 });
  });

  test('runs non-root with every capability dropped and a read-only root filesystem', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.securityContext.capabilities.add).toBeUndefined();
    const writable = container.volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath).sort();
    expect(writable).toEqual(['/config', '/data', '/tmp']);
  });

  test('the Secret-held cookie key reaches Caddy as an env var and is declared external', () => {
    const env = container.env.find((e: any) => e.name === 'CADDY_LB_COOKIE_SECRET');
    expect(env.valueFrom.secretKeyRef).toEqual({ name: 'docs-lb', key: 'hmac' });
    expect(caddy.caddyfileText).toContain('"{$CADDY_LB_COOKIE_SECRET}"');
    expect(get('ConfigMap')!.data.Caddyfile).not.toMatch(/hmac|docs-lb/);
    expect(deployment.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/docs-lb');
    expect(rendered.warnings).toEqual([]);
  });

  test("rotating the cookie Secret: bumping fromSecret's version changes checksum/config (Caddy rolls), the Caddyfile and env stay the same", () => {
    const withVersion = (version?: string) => {
      const r = synth({ stickyCookie: { ...docsRouting().stickyCookie!, secret: CaddyCookieSecret.fromSecret('docs-lb', 'hmac', version === undefined ? {} : { version }) } });
      const d = r.get('Deployment')!;
      return { checksum: d.spec.template.metadata.annotations['checksum/config'], caddyfile: r.caddy.caddyfileText, env: d.spec.template.spec.containers[0].env };
    };
    const none = withVersion();
    const v1 = withVersion('2026-11-01');
    const v2 = withVersion('2026-11-29');
    // No version: the hash is the Caddyfile's alone (unchanged from before the option existed).
    expect(none.checksum).toBe(deployment.spec.template.metadata.annotations['checksum/config']);
    expect(new Set([none.checksum, v1.checksum, v2.checksum]).size).toBe(3);
    expect(withVersion('2026-11-29').checksum).toBe(v2.checksum);
    for (const x of [v1, v2]) {
      expect(x.caddyfile).toBe(none.caddyfile);
      expect(x.env).toEqual(none.env);
    }
  });

  test('fails when the cookie Secret version is not a short label, showing the value', () => {
    expect(() => CaddyCookieSecret.fromSecret('docs-lb', 'hmac', { version: 'rotated on Monday' })).toThrow(
      /'stickyCookie\.secret\.version'.*"rotated on Monday".*1 to 63 letters/s,
    );
  });

  test('the ClusterIP Service maps port 80 to the container http port only', () => {
    const svc = get('Service')!;
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
  });

  test('the Ingress routes every path to the Service http port, without nginx annotations', () => {
    const ing = get('Ingress')!;
    expect(ing.spec.rules).toEqual([{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'caddy', port: { name: 'http' } } } }] } }]);
    expect(ing.metadata.annotations).toBeUndefined();
    expect(caddy.externalScheme).toBe('http');
  });

  test('selectors hold no version label', () => {
    expect(Object.keys(deployment.spec.selector.matchLabels).sort()).toEqual(['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name']);
  });

  test('the main child is the Deployment, under id Resource, and its escape hatch works', () => {
    expect(caddy.deployment.node.id).toBe('Resource');
    const app = new App();
    const release = new Release(app, 'docs', { namespace: 'apps', networkPolicy: NETWORK });
    const patched = new CaddyIngress(release, 'Caddy', docsRouting());
    ApiObject.of(patched.deployment).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 5));
    const d = renderRelease(release).objects.find((o) => o.kind === 'Deployment') as Obj;
    expect(d.spec.minReadySeconds).toBe(5);
  });
});

describe('CaddyIngress without a cookie secret', () => {
  test('fails when a pool has no cookie secret, naming the Secret to create instead of rendering a placeholder', () => {
    expect(() => synth({ stickyCookie: { name: 'sticky' } })).toThrow(/'stickyCookie.secret' is undefined, .*kubectl create secret generic <secret-name> --from-literal=cookie-secret=/);
  });

  test('a single upstream has no cookie and no warning', () => {
    const { rendered, caddy, get } = synth({ ...singleUpstreamRouting(), sessionRoutes: undefined, stickyCookie: undefined, proxyRoutes: undefined });
    expect(rendered.warnings).toEqual([]);
    expect(caddy.caddyfileText).not.toContain('lb_policy');
    expect(get('Deployment')!.metadata.annotations).toBeUndefined();
  });
});

describe('CaddyIngress custom (self TLS, LoadBalancer, HA, upstream image)', () => {
  const { objects, get, caddy, rendered } = synth(
    {
      name: 'edge',
      tls: SELF,
      image: CaddyImage.upstream(),
      replicas: 3,
      stickyCookie: { name: 'docs_affinity', secret: CaddyCookieSecret.literal('0123456789abcdef') },
      service: {
        type: CaddyServiceType.loadBalancer({ clients: LB_CLIENTS, reason: 'edge of the docs app on MetalLB', loadBalancerIP: '10.0.0.50', nodePort: 30080, nodePortHttps: 30443, externalTrafficPolicy: CaddyExternalTrafficPolicy.LOCAL }),
        annotations: { 'metallb.universe.tf/address-pool': 'public' },
      },
    },
    { images: { registry: 'mirror.corp:5000' } },
  );
  const deployment = get('Deployment')!;
  const container = deployment.spec.template.spec.containers[0];

  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('the upstream image is probed with httpGet on the named http port, through the registry mirror', () => {
    expect(container.image).toBe('mirror.corp:5000/library/caddy:2.11.2-alpine');
    for (const p of [container.readinessProbe, container.livenessProbe]) expect(p.httpGet).toEqual({ path: '/caddy/health/', port: 'http' });
  });

  test('self mode adds the https port to the container and the Service, and mounts the certificate', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080 }, { name: 'https', containerPort: 8443 }]);
    const svc = get('Service')!;
    expect(svc.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 },
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP', nodePort: 30443 },
    ]);
    const tlsVolume = deployment.spec.template.spec.volumes.find((v: any) => v.secret);
    expect(tlsVolume.secret.secretName).toBe('docs-tls');
    expect(container.volumeMounts.find((m: any) => m.name === tlsVolume.name)).toEqual({ name: tlsVolume.name, mountPath: '/etc/caddy/tls', readOnly: true });
    expect(caddy.caddyfileText).toContain('tls /etc/caddy/tls/tls.crt /etc/caddy/tls/tls.key');
    expect(deployment.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/docs-tls');
    expect(caddy.externalScheme).toBe('https');
  });

  test('no Ingress in self mode (Caddy is the edge)', () => {
    expect(get('Ingress')).toBeUndefined();
  });

  test('the LoadBalancer carries the policy exception with the operator\'s reason, its IP, policy and annotations', () => {
    const svc = get('Service')!;
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.loadBalancerIP).toBe('10.0.0.50');
    expect(svc.spec.externalTrafficPolicy).toBe('Local');
    expect(svc.metadata.annotations).toEqual({ 'metallb.universe.tf/address-pool': 'public', 'policy.ops-kit.io/load-balancer': 'edge of the docs app on MetalLB' });
  });

  test('HA: three replicas spread over hosts and a PodDisruptionBudget selecting them', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: deployment.spec.selector.matchLabels } },
    ]);
    const pdb = get('PodDisruptionBudget')!;
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
  });

  test('a literal secret is quoted in the ConfigMap and is not a placeholder', () => {
    expect(get('ConfigMap')!.data.Caddyfile).toContain('lb_policy cookie docs_affinity "0123456789abcdef" {');
    expect(rendered.warnings).toEqual([]);
    expect(container.env.find((e: any) => e.name === 'CADDY_LB_COOKIE_SECRET')).toBeUndefined();
  });
});

describe('CaddyIngress checksum', () => {
  test('changing only the catch-all fallback changes the checksum annotation and the ConfigMap, nothing else', () => {
    const { CaddyLbFallback } = jest.requireActual('../../lib/ingress');
    const a = synth().objects;
    const b = synth({ stickyCookie: { ...docsRouting().stickyCookie, fallback: CaddyLbFallback.random() } }).objects;
    const diffs: string[] = [];
    a.forEach((o, i) => {
      if (JSON.stringify(o) !== JSON.stringify(b[i])) diffs.push(`${o.kind}/${o.metadata.name}`);
    });
    expect(diffs.sort()).toEqual(['ConfigMap/caddy-caddyfile', 'Deployment/caddy']);
    const da = a.find((o) => o.kind === 'Deployment')!;
    const db = b.find((o) => o.kind === 'Deployment')!;
    expect(da.spec.template.metadata.annotations['checksum/config']).not.toBe(db.spec.template.metadata.annotations['checksum/config']);
    expect({ ...da.spec.template, metadata: {} }).toEqual({ ...db.spec.template, metadata: {} });
  });
});

describe('CaddyIngress Service and Ingress knobs', () => {
  test('NodePort with a node port and external traffic policy', () => {
    const svc = synth({ service: { type: CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: 'an external load balancer reaches the nodes', nodePort: 30080, externalTrafficPolicy: CaddyExternalTrafficPolicy.CLUSTER }) } }).get('Service')!;
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }]);
    expect(svc.spec.externalTrafficPolicy).toBe('Cluster');
    expect(svc.metadata.annotations).toEqual({ 'policy.ops-kit.io/node-port': 'an external load balancer reaches the nodes' });
  });

  test('nginx class: the body-size annotation is rendered quoted, next to the user annotations, with hosts and TLS passed through', () => {
    const { get, caddy, rendered } = synth({
      ingress: {
        className: 'nginx',
        hosts: ['docs.example.com'],
        tls: [{ hosts: ['docs.example.com'], secretName: 'docs-example-tls' }],
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
        proxyBodySize: 0,
      },
    });
    const ing = get('Ingress')!;
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt', 'nginx.ingress.kubernetes.io/proxy-body-size': '0' });
    expect(ing.spec.rules.map((r: any) => r.host)).toEqual(['docs.example.com']);
    expect(ing.spec.tls).toEqual([{ hosts: ['docs.example.com'], secretName: 'docs-example-tls' }]);
    // The Ingress terminates TLS: the site is HTTPS, so Caddy sends HSTS.
    expect(caddy.externalScheme).toBe('https');
    expect(caddy.caddyfileText).toContain('header Strict-Transport-Security max-age=31536000');
    expect(rendered.objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Ingress', 'NetworkPolicy', 'NetworkPolicy', 'Service']);
  });

  test('another class gets no nginx annotation', () => {
    const ing = synth({ ingress: { className: 'traefik', annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' } } }).get('Ingress')!;
    expect(ing.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' });
  });

  test('the Ingress can be disabled', () => {
    expect(synth({ ingress: { enabled: false } }).get('Ingress')).toBeUndefined();
  });

  test('external mode adds the HSTS advisory to the release notes', () => {
    const { rendered } = synth({ tls: CaddyTls.external() });
    expect(rendered.notes.join('\n')).toMatch(/EXTERNAL TLS TOPOLOGY \(caddy\)/);
  });

  test('self mode with ACME uses the storage claim for /data and declares it', () => {
    const { get, rendered } = synth({ tls: CaddyTls.self({ domains: ['docs.example.com'], acmeEmail: 'ops@example.com', acmeStorageClaim: 'caddy-data' }) });
    const d = get('Deployment')!;
    expect(d.spec.template.spec.volumes.find((v: any) => v.name === 'data')).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'caddy-data' } });
    expect(d.metadata.annotations['refs.ops-kit.io/external']).toBe('PersistentVolumeClaim/caddy-data,Secret/docs-lb');
    expect(rendered.notes.filter((n) => !n.startsWith('NETWORK POLICIES'))).toEqual([]);
  });

  test('self mode with ACME lets Caddy reach the ACME CAs on 443 only, and the policy says why every address', () => {
    const { objects } = synth({ tls: CaddyTls.self({ domains: ['docs.example.com'], acmeEmail: 'ops@example.com', acmeStorageClaim: 'caddy-data' }) });
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'caddy')!;
    const open = policy.spec.egress.filter((r: any) => r.to.some((p: any) => p.ipBlock));
    expect(open).toEqual([{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ port: 443, protocol: 'TCP' }] }]);
    expect(policy.metadata.annotations['policy.ops-kit.io/netpol-open-peer']).toMatch(/ACME CAs, whose addresses change/);
    const staticCert = synth({ tls: SELF }).objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'caddy')!;
    expect(staticCert.spec.egress.some((r: any) => r.to.some((p: any) => p.ipBlock))).toBe(false);
  });

  test('self mode with ACME and no storage claim notes that certificates are re-ordered', () => {
    const { rendered } = synth({ tls: CaddyTls.self({ domains: ['docs.example.com'], acmeEmail: 'ops@example.com' }) });
    expect(rendered.notes.join('\n')).toMatch(/ACME STORAGE/);
  });

  test('topology spread and budget can be set explicitly', () => {
    const { get } = synth({ replicas: 2, topologySpread: { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }, podDisruptionBudget: false });
    expect(get('Deployment')!.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' });
    expect(get('PodDisruptionBudget')).toBeUndefined();
  });
});

describe('CaddyIngress port chain: Ingress -> Service -> container -> Caddyfile -> probes', () => {
  const cases: Array<[string, Partial<CaddyIngressProps>]> = [
    ['defaults (wrapper image, exec probes)', {}],
    ['custom ports, upstream image (httpGet probes)', { httpPort: 9080, image: CaddyImage.upstream() }],
    ['self mode with custom ports', { tls: SELF, httpPort: 9080, httpsPort: 9443, service: { type: CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: 'an external load balancer reaches the nodes' }) } }],
  ];
  test.each(cases)('%s', (_name, props) => {
    const { get, caddy } = synth(props);
    const svc = get('Service')!;
    const container = get('Deployment')!.spec.template.spec.containers[0];
    const containerPort = (name: string) => container.ports.find((p: any) => p.name === name)?.containerPort;
    const servicePort = (name: string) => svc.spec.ports.find((p: any) => p.name === name);
    // Service 80 -> the container's http port, which is where the Caddyfile serves plain HTTP.
    const http = servicePort('http');
    expect(http.port).toBe(80);
    const httpPort = containerPort(http.targetPort);
    expect(caddy.caddyfileText).toContain(`\thttp_port ${httpPort}\n`);
    expect(caddy.caddyfileText).toContain(`http://:${httpPort} {`);
    // Probes reach the health handle on that port.
    for (const p of [container.readinessProbe, container.livenessProbe]) {
      if (p.exec) expect(p.exec.command).toContain(`http://127.0.0.1:${httpPort}/caddy/health/`);
      else expect(containerPort(p.httpGet.port)).toBe(httpPort);
    }
    // The Ingress (when rendered) targets the Service's http port.
    const ing = get('Ingress');
    if (ing) expect(servicePort(ing.spec.rules[0].http.paths[0].backend.service.port.name)).toBe(http);
    // HTTPS: only in self mode, Service 443 -> the container's https port -> the Caddyfile's https_port.
    if (caddy.tls.servesHttps) {
      const https = servicePort('https');
      expect(https.port).toBe(443);
      expect(caddy.caddyfileText).toContain(`\thttps_port ${containerPort(https.targetPort)}\n`);
    } else {
      expect(servicePort('https')).toBeUndefined();
      expect(containerPort('https')).toBeUndefined();
      expect(caddy.caddyfileText).not.toContain('https_port');
    }
  });
});

describe('CaddyIngress fails when', () => {
  test('fails when an address upstream declares no peer while the release renders NetworkPolicies', () => {
    const unwired = { sessionRoutes: undefined, stickyCookie: undefined, proxyRoutes: undefined, upstream: CaddyUpstream.single('gateway.apps.svc.cluster.local:80') };
    expect(() => synth(unwired)).toThrow(
      /'upstream.peer' is undefined, but docs\/Caddy connects to external Caddy upstream \(gateway.apps.svc.cluster.local\) on port 80\/TCP.*allowed: who answers there: ExternalPeer.pods\(\{ namespace, selector \}\)/,
    );
    expect(() => CaddyUpstream.single('gateway:80', { peer: 'apps/gateway' as never })).toThrow(/'upstream.peer' is "apps\/gateway"; allowed: ExternalPeer.pods/);
  });

  test('fails when a NodePort or LoadBalancer Service declares no clients, naming what is allowed', () => {
    expect(() => CaddyServiceType.nodePort({ reason: 'an external load balancer reaches the nodes' } as never)).toThrow(
      /'service.type.clients' is undefined, but Caddy's NetworkPolicy admits only declared clients; allowed: who connects from outside the cluster: ExternalPeer.cidr/,
    );
    expect(() => CaddyServiceType.loadBalancer({ reason: 'edge', clients: ['10.0.0.0/8'] } as never)).toThrow(/'service.type.clients' is \["10.0.0.0\/8"\]/);
  });

  test('fails when several props are wrong, reporting every mistake (the Caddyfile\'s included) in one error', () => {
    let error: unknown;
    try {
      synth({ name: 'Caddy!', replicas: 0, httpPort: 70000, ingress: { className: 'traefik', proxyBodySize: '512m', hosts: ['bad host'] } } as Partial<CaddyIngressProps>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    const props = (error as ConfigErrors).errors.map((e) => e.prop);
    expect(props).toEqual(['name', 'httpPort', 'replicas', 'ingress.proxyBodySize', 'ingress.hosts[0]']);
    expect((error as Error).message).toMatch(/^5 configuration errors in the props of CaddyIngress "docs\/Caddy":\n {2}- 'name' is "Caddy!"/);
  });

  test('an Ingress is asked for in self mode', () => {
    expect(() => synth({ tls: SELF, ingress: { enabled: true } })).toThrow(/'ingress.enabled' is true, but Caddy terminates TLS itself/);
  });

  test('Ingress settings are given with the Ingress disabled', () => {
    expect(() => synth({ ingress: { enabled: false, className: 'nginx' } })).toThrow(/'ingress' is \{"enabled":false\}/);
  });

  test('a body size is given for an Ingress class other than nginx (it would be silently dropped)', () => {
    expect(() => synth({ ingress: { className: 'traefik', proxyBodySize: '512m' } })).toThrow(/'ingress.proxyBodySize' is "512m", but only ingress-nginx reads it, and ingress.className is "traefik"/);
    expect(() => synth({ ingress: { proxyBodySize: 0 } })).toThrow(/'ingress.proxyBodySize' is 0, but only ingress-nginx reads it, and ingress.className is unset/);
  });

  test('nodePortHttps is set outside self mode', () => {
    expect(() => synth({ service: { type: CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: 'an external load balancer reaches the nodes', nodePortHttps: 30443 }) } })).toThrow(/'service.type.nodePortHttps' is 30443, but Caddy listens for HTTPS only in self mode \(the mode is ingress\)/);
  });

  test('a LoadBalancer has no reason', () => {
    expect(() => CaddyServiceType.loadBalancer({ clients: LB_CLIENTS, reason: ' ' })).toThrow(/'service.type.reason' is " "/);
  });

  test('node ports are out of range or equal, or the load balancer IP is not an IP', () => {
    expect(() => CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: 'an external load balancer reaches the nodes', nodePort: 70000 })).toThrow(/'service.type.nodePort' is 70000/);
    expect(() => CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: 'an external load balancer reaches the nodes', nodePort: 30080, nodePortHttps: 30080 })).toThrow(/'service.type.nodePortHttps' is 30080/);
    expect(() => CaddyServiceType.loadBalancer({ clients: LB_CLIENTS, reason: 'r', loadBalancerIP: 'my-lb' })).toThrow(/'service.type.loadBalancerIP' is "my-lb"/);
    expect(() => CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: 'an external load balancer reaches the nodes', externalTrafficPolicy: 'Nearest' as CaddyExternalTrafficPolicy })).toThrow(/'service.type.externalTrafficPolicy' is "Nearest"/);
  });

  test('replicas is not a whole number >= 1', () => {
    expect(() => synth({ replicas: 0 })).toThrow(/'replicas' is 0/);
  });

  test('a PodDisruptionBudget is asked for with one replica', () => {
    expect(() => synth({ podDisruptionBudget: true })).toThrow(/'podDisruptionBudget' is true, but a budget over a single replica blocks every node drain/);
  });

  test('runAsUser is root', () => {
    expect(() => synth({ runAsUser: 0 })).toThrow(/'runAsUser' is 0/);
  });

  test('the name is not a DNS label short enough for the ConfigMap suffix', () => {
    expect(() => synth({ name: 'Edge' })).toThrow(/'name' is "Edge"/);
    expect(() => synth({ name: 'a'.repeat(60) })).toThrow(/'name' is "a{60}", but it is 60 characters long/);
  });

  test('the image is unpinned', () => {
    expect(() => synth({ image: CaddyImage.upstream('caddy:latest') })).toThrow(/'image' is "caddy:latest"/);
  });

  test('an annotation key, Ingress class, host, TLS secret or body size is malformed', () => {
    expect(() => synth({ service: { annotations: { 'bad key!': 'x' } } })).toThrow(/'service.annotations' is "bad key!"/);
    expect(() => synth({ ingress: { className: 'Nginx Class' } })).toThrow(/'ingress.className' is "Nginx Class"/);
    expect(() => synth({ ingress: { hosts: ['not a host'] } })).toThrow(/'ingress.hosts\[0\]' is "not a host"/);
    expect(() => synth({ ingress: { tls: [{ secretName: 'Bad_Secret' }] } })).toThrow(/'ingress.tls\[0\].secretName' is "Bad_Secret"/);
    expect(() => synth({ ingress: { className: 'nginx', proxyBodySize: '10 GB' } })).toThrow(/'ingress.proxyBodySize' is "10 GB"/);
  });

  test('the topology key is not a label key', () => {
    expect(() => synth({ replicas: 2, topologySpread: { topologyKey: 'not a key' } })).toThrow(/'topologySpread.topologyKey' is "not a key"/);
  });

  test('an annotation value is not a string, or the image or Service type is not built by its factory', () => {
    expect(() => synth({ service: { annotations: { 'example.com/port': 8080 as unknown as string } } })).toThrow(/'service.annotations.example.com\/port' is 8080; allowed: a string/);
    expect(() => synth({ image: 'caddy:2.10.2-alpine' as unknown as CaddyImage })).toThrow(/'image' is "caddy:2.10.2-alpine"; allowed: CaddyImage.wrapper/);
    expect(() => synth({ service: { type: 'NodePort' as unknown as CaddyServiceType } })).toThrow(/'service.type' is "NodePort"; allowed: CaddyServiceType.clusterIp/);
  });

  test('the construct is created outside a Release', () => {
    expect(() => new CaddyIngress(new App(), 'Caddy', { upstream: CaddyUpstream.single('a:1') })).toThrow(/'scope'.*outside any Release/);
  });
});

describe('CaddyIngress passes the verification layer', () => {
  const cases: Array<[string, Partial<CaddyIngressProps>]> = [
    ['defaults', {}],
    ['self TLS, LoadBalancer, HA, upstream image', { tls: SELF, image: CaddyImage.upstream(), replicas: 3, service: { type: CaddyServiceType.loadBalancer({ clients: LB_CLIENTS, reason: 'edge' }) } }],
    ['ACME with storage, NodePort', { tls: CaddyTls.self({ domains: ['docs.example.com'], acmeEmail: 'ops@example.com', acmeStorageClaim: 'caddy-data' }), service: { type: CaddyServiceType.nodePort({ clients: LB_CLIENTS, reason: 'an external load balancer reaches the nodes' }) } }],
    ['single upstream', { ...singleUpstreamRouting(), sessionRoutes: undefined, stickyCookie: undefined, proxyRoutes: undefined }],
  ];
  test.each(cases)('%s: schema, policy and references are clean, and the externals are declared', (_name, props) => {
    const report = verifyManifests(synth(props).objects as unknown as KubeObject[]);
    expect(report.violations).toEqual([]);
  });
});
