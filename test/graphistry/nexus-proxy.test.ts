import { ApiObject } from 'cdk8s';
import { ReleaseProps } from '../../lib/release';
import { ConfigErrors } from '../../lib/core/errors';
import { EXTERNAL_REFS_ANNOTATION } from '../../lib/core/policy';
import { NexusProxy, NexusProxyProps, Tier } from '../../lib/graphistry';
import { DemoWorkload, newRelease, Obj, Template } from '../support';

const base: Omit<NexusProxyProps, 'nexus'> = { dataMountClaim: 'data-mount', localMediaMountClaim: 'local-media-mount' };

/** A NexusProxy in front of a stand-in nexus Service (`nexusName`, port 8000), rendered. */
function render(props: Partial<NexusProxyProps> = {}, release: Partial<ReleaseProps> = {}, nexusName = 'nexus') {
  const r = newRelease({ id: 'graphistry', namespace: 'gx', ...release });
  const nexus = new DemoWorkload(r, 'Nexus', { name: nexusName, ports: [{ name: 'http', port: 8000 }], service: [{ name: 'http', port: 8000 }] });
  const proxy = new NexusProxy(r, 'NexusProxy', { ...base, nexus: nexus.endpoint!, ...props });
  const t = Template.fromRelease(r);
  const mine = t.objects.filter((o) => o.metadata.name === 'nexus-proxy');
  const find = (kind: string) => t.find(kind, 'nexus-proxy');
  const deployment = find('Deployment');
  const pod = deployment.spec.template.spec;
  return { proxy, rendered: t.rendered, template: t, objects: mine, find, deployment, pod, nginx: pod.containers[0] as Obj };
}

describe('NexusProxy (defaults)', () => {
  const r = render();

  test('defaults snapshot', () => {
    expect(r.objects).toMatchSnapshot();
  });

  test('renders a Deployment, its Service and the wait RBAC', () => {
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/nexus-proxy',
      'NetworkPolicy/nexus-proxy',
      'Role/nexus-proxy',
      'RoleBinding/nexus-proxy',
      'Service/nexus-proxy',
      'ServiceAccount/nexus-proxy',
    ]);
    expect(ApiObject.of(r.proxy)).toBe(r.proxy.deployment);
  });

  test('one nginx container from the Graphistry nginx image, listening on 80', () => {
    expect(r.pod.containers).toHaveLength(1);
    expect(r.nginx.image).toBe('graphistry/streamgl-nginx:v2.50.7-universal');
    expect(r.nginx.ports).toEqual([{ name: 'http', containerPort: 80 }]);
    expect(r.deployment.spec.replicas).toBe(1);
  });

  test('its only init container waits for the nexus Service', () => {
    expect(r.pod.initContainers).toHaveLength(1);
    expect(r.pod.initContainers[0]).toMatchObject({ name: 'wait-for-nexus', image: 'groundnuty/k8s-wait-for:v2.0', args: ['service', 'nexus'] });
    expect(r.pod.automountServiceAccountToken).toBe(true);
    expect(r.pod.serviceAccountName).toBe('nexus-proxy');
  });

  test('readiness and liveness probes curl /healthz on the port the container listens on', () => {
    for (const probe of [r.nginx.readinessProbe, r.nginx.livenessProbe]) {
      const url = (probe.exec.command as string[]).find((a) => a.startsWith('http://'))!;
      const port = Number(new URL(url).port || 80);
      expect(new URL(url).pathname).toBe('/healthz');
      expect((r.nginx.ports as Obj[]).map((p) => p.containerPort)).toContain(port);
    }
  });

  test('the Service selects the proxy pods and its target port exists on the container', () => {
    const svc = r.find('Service');
    for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) expect(r.deployment.spec.template.metadata.labels[k]).toBe(v);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect((r.nginx.ports as Obj[]).some((p) => p.name === svc.spec.ports[0].targetPort)).toBe(true);
  });

  test('emptyDirs stand in for /streamgl, /pivot and /upload content; both PVCs are mounted', () => {
    const vol = (name: string) => (r.pod.volumes as Obj[]).find((v) => v.name === name)!;
    for (const name of ['streamgl-empty', 'pivot-empty', 'upload-empty']) expect(vol(name).emptyDir).toEqual({});
    expect(vol('data-mount').persistentVolumeClaim).toEqual({ claimName: 'data-mount' });
    expect(vol('local-media-mount').persistentVolumeClaim).toEqual({ claimName: 'local-media-mount' });
    expect((r.nginx.volumeMounts as Obj[]).map((m) => m.mountPath).sort()).toEqual([
      '/opt/graphistry/apps/core/nexus/staticfiles',
      '/opt/graphistry/apps/core/pivot/www',
      '/opt/graphistry/apps/core/viz/build',
      '/opt/graphistry/data',
      '/opt/graphistry/data/uploads',
    ]);
  });

  test('reuses the nginx resources and records its root exception on the Deployment', () => {
    expect(r.nginx.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1000m', memory: '1Gi' } });
    expect(r.deployment.metadata.annotations['policy.ops-kit.io/non-root']).toMatch(/root/);
    expect(r.deployment.spec.template.metadata.annotations).toBeUndefined();
  });

  test('in-cluster URL (from its endpoint) and an operator note', () => {
    expect(r.proxy.endpoint.url('http', 'http')).toBe('http://nexus-proxy.gx.svc.cluster.local');
    expect(r.rendered.notes.join('\n')).toContain('http://nexus-proxy.gx.svc.cluster.local');
  });

  test('the note gives the port-forward recipe browsers on another machine can use, and claims nothing about what fronts it', () => {
    const note = r.rendered.notes.join('\n');
    expect(note).toContain('kubectl -n gx port-forward --address 0.0.0.0 svc/nexus-proxy 8080:80');
    // Whether an L7 (Caddy, an Ingress) fronts the proxy depends on the composition, not on NexusProxy.
    expect(note).not.toMatch(/No Ingress/);
  });
});

describe('NexusProxy custom', () => {
  const r = render(
    { httpPort: 8088, tag: 'v2.51.0', replicas: 2, env: { EXTRA_NGINX_LOGS: 'on' }, additionalExternalRefs: [{ kind: 'PersistentVolumeClaim', name: 'data-mount' }] },
    { images: { registry: 'harbor.corp/mirror', pullSecrets: ['harbor'] }, placement: { nodeSelector: { 'graphistry.io/role': 'cpu' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'graphistry', effect: 'NoSchedule' }] } },
    'nexus-api',
  );

  test('custom snapshot', () => {
    expect(r.objects).toMatchSnapshot();
  });

  test('http port is the Service port; the container keeps 80', () => {
    expect(r.find('Service').spec.ports[0]).toMatchObject({ port: 8088, targetPort: 'http' });
    expect(r.nginx.ports[0].containerPort).toBe(80);
    expect(r.proxy.endpoint.url('http', 'http')).toBe('http://nexus-proxy.gx.svc.cluster.local:8088');
  });

  test('global placement, pull secrets and registry redirect apply to the pod and its init container', () => {
    expect(r.pod.nodeSelector).toEqual({ 'graphistry.io/role': 'cpu' });
    expect(r.pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'graphistry', effect: 'NoSchedule' }]);
    expect(r.pod.imagePullSecrets).toEqual([{ name: 'harbor' }]);
    expect(r.nginx.image).toBe('harbor.corp/mirror/graphistry/streamgl-nginx:v2.51.0-universal');
    expect(r.pod.initContainers[0].image).toBe('harbor.corp/mirror/groundnuty/k8s-wait-for:v2.0');
    expect(r.pod.initContainers[0].args).toEqual(['service', 'nexus-api']);
  });

  test('user env is merged; external refs are declared', () => {
    expect((r.nginx.env as Obj[]).find((e) => e.name === 'EXTRA_NGINX_LOGS')!.value).toBe('on');
    expect(r.deployment.metadata.annotations[EXTERNAL_REFS_ANNOTATION]).toBe('PersistentVolumeClaim/data-mount,Secret/harbor'); // the release pull secret too
    expect(r.deployment.spec.replicas).toBe(2);
  });
});

describe('NexusProxy tier contract', () => {
  test('renders at exactly the platform tier', () => {
    expect(Tier.ALL.filter((t) => NexusProxy.rendersAt(t))).toEqual([Tier.PLATFORM]);
    expect(() => render({ tier: Tier.PLATFORM })).not.toThrow();
  });

  test.each([Tier.ANALYTICS, Tier.VIZ, Tier.FULL])('fails when the tier is %s', (tier) => {
    expect(() => render({ tier })).toThrow(new RegExp(`'tier' is "${tier.name}", but from analytics up the engine DaemonSet's nginx fronts nexus.*allowed: platform`));
  });

  test('waits for nexus and records the connection to it (the route the image proxies) in the wiring graph', () => {
    const t = render().template;
    expect(t.connections).toEqual([
      expect.objectContaining({ kind: 'ingress', from: expect.objectContaining({ container: 'nginx', path: 'graphistry/NexusProxy' }), to: expect.objectContaining({ type: 'service', name: 'nexus' }) }),
      // The wait for nexus reads the API: its init container's connection to the API server.
      expect.objectContaining({ from: expect.objectContaining({ container: 'wait-for-nexus' }), to: expect.objectContaining({ type: 'external', host: 'kubernetes.default.svc.cluster.local' }) }),
    ]);
    expect(t.podSpec('Deployment', 'nexus-proxy').initContainers[0].args).toEqual(['service', 'nexus']);
  });

  test('fails when nexus is not a Service endpoint', () => {
    expect(() => render({ nexus: 'nexus' as never })).toThrow(/'nexus' is "nexus"; allowed: nexus' Service endpoint \(Nexus.endpoint\)/);
  });

  test('fails when user env sets the owned namespace suffix', () => {
    expect(() => render({ env: { K8S_NAMESPACE_SUFFIX: '.other' } })).toThrow(/'env.K8S_NAMESPACE_SUFFIX' is ".other", but K8S_NAMESPACE_SUFFIX is owned by NexusProxy/);
  });

  test('fails when several props are wrong, reporting every mistake in one error', () => {
    let error: unknown;
    try {
      render({ httpPort: 65536, replicas: 0, nexus: 'nexus' as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).errors.map((e) => e.prop)).toEqual(['httpPort', 'replicas', 'nexus']);
  });

  test('fails on bad ports, replicas and names', () => {
    expect(() => render({ httpPort: 65536 })).toThrow(/'httpPort' is 65536/);
    expect(() => render({ replicas: 0 })).toThrow(/'replicas' is 0/);
    expect(() => render({ image: 'nginx' })).toThrow(/'image' is "nginx"/);
  });
});

describe('NexusProxy init security', () => {
  test('the wait runs without the capabilities nginx needs', () => {
    const r = render();
    expect(r.pod.initContainers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(r.nginx.securityContext.capabilities.add).toContain('NET_BIND_SERVICE');
  });
});
