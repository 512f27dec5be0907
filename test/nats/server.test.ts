import { SYNC_WAVES } from '../../lib/gitops';
import { HostForm } from '../../lib/core';
import { ApiObject, App, JsonPatch, Size } from 'cdk8s';
import { configChecksum, ConfigError, ConfigErrors, sized } from '../../lib/core';
import { NatsExposure, NatsPersistence, NatsServer, NatsServerProps } from '../../lib/nats';
import { Manifest, Release, renderRelease, RenderedRelease } from '../../lib/release';
import { findObject, synthIn } from '../support';

function render(props: NatsServerProps = {}, images?: { registry: string }): { server: NatsServer; out: RenderedRelease } {
  const { construct: server, template } = synthIn((r) => new NatsServer(r, 'Nats', props), { images });
  return { server, out: template.rendered };
}

const find = (out: RenderedRelease, kind: string, name?: string) => findObject(out.objects, kind, name);

describe('NatsServer defaults', () => {
  const { server, out } = render();
  const sts = find(out, 'StatefulSet');
  const pod = sts.spec.template.spec;
  const c = pod.containers[0];

  test('snapshot', () => {
    expect(out.objects).toMatchSnapshot();
  });

  test('renders a ConfigMap, a single-replica StatefulSet, a client Service and its headless Service', () => {
    expect(out.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/r-nats',
      'NetworkPolicy/r-default-deny',
      'NetworkPolicy/r-nats',
      'Service/r-nats',
      'Service/r-nats-headless',
      'StatefulSet/r-nats',
    ]);
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('r-nats-headless');
    expect(find(out, 'Service', 'r-nats-headless').spec.clusterIP).toBe('None');
  });

  test('the StatefulSet is the Resource child, and a JSON patch on it reaches the output', () => {
    expect(server.node.findChild('Resource')).toBe(server.statefulSet);
    const release = new Release(new App(), 'p', { namespace: 'ns' });
    const patched = new NatsServer(release, 'Nats');
    ApiObject.of(patched.node.findChild('Resource')).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 10));
    expect(find(renderRelease(release), 'StatefulSet').spec.minReadySeconds).toBe(10);
  });

  test('the pod runs the pinned nats 2.10 alpine image on the mounted generated config', () => {
    expect(c.image).toBe('nats:2.10.22-alpine');
    expect([...c.command, ...c.args]).toEqual(['nats-server', '--config', '/etc/nats/nats.conf']);
    const cm = find(out, 'ConfigMap');
    expect(cm.data['nats.conf']).toBe(server.configText);
    const configVolume = pod.volumes.find((v: any) => v.name === 'config');
    expect(configVolume.configMap.name).toBe(cm.metadata.name);
    expect(c.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/nats', readOnly: true });
  });

  test('the pod template carries the checksum of the config, so a config change rolls the pod', () => {
    expect(sts.spec.template.metadata.annotations['checksum/config']).toBe(configChecksum(server.configText));
    const other = render({ maxPayload: Size.mebibytes(2) });
    expect(find(other.out, 'StatefulSet').spec.template.metadata.annotations['checksum/config']).not.toBe(
      sts.spec.template.metadata.annotations['checksum/config'],
    );
  });

  test('JetStream is on, with its store on an emptyDir and limits derived from memory and volume', () => {
    expect(server.jetstream).toBe(true);
    expect(server.configText).toContain('jetstream {\n  store_dir: "/data"');
    // a quarter of the 512Mi memory limit; 90% of the 1Gi emptyDir
    expect(server.configText).toContain(`max_memory_store: ${128 * 1024 * 1024}`);
    expect(server.configText).toContain(`max_file_store: ${921 * 1024 * 1024}`);
    expect(pod.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '1Gi' } });
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
  });

  test('listens on 4222 (client) and 8222 (monitoring); probes hit /healthz on the monitoring port', () => {
    expect(c.ports).toEqual([
      { name: 'client', containerPort: 4222 },
      { name: 'monitor', containerPort: 8222 },
    ]);
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
      expect(probe.httpGet.port).toBe('monitor');
      expect(probe.httpGet.path).toMatch(/^\/healthz/);
    }
    expect(server.configText).toContain('port: 4222\nhttp_port: 8222\n');
  });

  test('the client Service is ClusterIP and resolves to the client container port', () => {
    const svc = find(out, 'Service', 'r-nats');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'client', port: 4222, targetPort: 'client', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(sts.spec.template.metadata.labels[k]).toBe(v);
    expect(c.ports.map((p: any) => p.name)).toContain(svc.spec.ports[0].targetPort);
    expect(server.endpoint.url('nats', 'client', { form: HostForm.NAMESPACED })).toBe('nats://r-nats.ns.svc:4222');
  });

  test('runs restricted: non-root uid owning the volume, read-only root, no escalation, all capabilities dropped', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.resources.limits.memory).toBe('512Mi');
    expect(c.env).toEqual([{ name: 'GOMEMLIMIT', value: '460MiB' }]);
  });

  test('selectors carry no version label', () => {
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe('2.10.22-alpine');
    expect(Object.keys(sts.spec.selector.matchLabels)).not.toContain('app.kubernetes.io/version');
  });

  test('a ClusterIP server adds no warning', () => {
    expect(out.warnings).toEqual([]);
  });
});

describe('NatsServer custom', () => {
  test('snapshot', () => {
    const { out } = render({
      name: 'bus',
      exposure: NatsExposure.nodePort(30422, { reason: 'clients on the node network', sourceRanges: ['10.20.0.0/16'] }),
      persistence: NatsPersistence.volume({ size: Size.gibibytes(5), storageClassName: 'fast' }),
      jetstreamLimits: { maxMemoryStore: Size.mebibytes(64), maxFileStore: Size.gibibytes(4) },
      resources: sized(200, 2000, 512, 1024),
    });
    expect(out.objects).toMatchSnapshot();
  });

  test('NodePort pins the node port on the client port', () => {
    const { out } = render({ exposure: NatsExposure.nodePort(30422, { reason: 'clients on the node network', sourceRanges: ['10.20.0.0/16'] }) });
    const svc = find(out, 'Service', 'r-nats');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports[0]).toMatchObject({ port: 4222, nodePort: 30422 });
    expect(out.warnings.join()).toMatch(/without client authentication/);
  });

  test('LoadBalancer pins no node port and records the load-balancer exception', () => {
    const { out } = render({
      exposure: NatsExposure.loadBalancer({ reason: 'devices connect from outside', sourceRanges: ['10.0.0.0/8'], annotations: { 'metallb.universe.tf/address-pool': 'iot' } }),
    });
    const svc = find(out, 'Service', 'r-nats');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports[0].port).toBe(4222);
    expect(svc.spec.ports[0].nodePort).toBeUndefined();
    expect(svc.spec.loadBalancerSourceRanges).toEqual(['10.0.0.0/8']);
    expect(svc.metadata.annotations).toEqual({
      'metallb.universe.tf/address-pool': 'iot',
      'policy.ops-kit.io/load-balancer': 'devices connect from outside',
    });
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/LoadBalancer that admits only 10\.0\.0\.0\/8 \(loadBalancerSourceRanges\), still without client authentication/);
  });

  test('a LoadBalancer open to every source carries no source ranges, records both reasons and says so in its warning', () => {
    const { out } = render({
      exposure: NatsExposure.loadBalancer({ reason: 'devices connect from outside', openToAllSources: { reason: 'devices roam on mobile networks; the site firewall filters 4222' } }),
    });
    const svc = find(out, 'Service', 'r-nats');
    expect(svc.spec.loadBalancerSourceRanges).toBeUndefined();
    expect(svc.metadata.annotations).toEqual({
      'policy.ops-kit.io/load-balancer': 'devices connect from outside; open to every source address: devices roam on mobile networks; the site firewall filters 4222',
    });
    expect(out.warnings).toEqual([expect.stringMatching(/open to every source address \(acknowledged: devices roam on mobile networks.*\) without client authentication/)]);
  });

  test('source ranges accept IPv4 and IPv6 CIDRs, kept in the given order', () => {
    const { out } = render({ exposure: NatsExposure.loadBalancer({ reason: 'r', sourceRanges: ['192.168.50.0/24', '2001:db8:10::/48', '10.1.2.3/32'] }) });
    expect(find(out, 'Service', 'r-nats').spec.loadBalancerSourceRanges).toEqual(['192.168.50.0/24', '2001:db8:10::/48', '10.1.2.3/32']);
  });

  test('a NodePort warning names the port, the networks its NetworkPolicy admits, and says a NodePort has no source ranges', () => {
    const { out } = render({ exposure: NatsExposure.nodePort(30422, { reason: 'clients on the node network', sourceRanges: ['10.20.0.0/16'] }) });
    expect(out.warnings).toEqual([
      expect.stringMatching(/port 30422 of every node \(NodePort\); its NetworkPolicy admits only 10\.20\.0\.0\/16 .*without client authentication.*no source ranges of its own/),
    ]);
    const policy = out.objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'r-nats') as any;
    expect(policy.spec.ingress.map((r: any) => r.from.map((p: any) => p.ipBlock?.cidr))).toEqual([['0.0.0.0/0', '::/0'], ['10.20.0.0/16']]);
  });

  test('persistence puts the store on a claim template instead of an emptyDir', () => {
    const { out, server } = render({ persistence: NatsPersistence.volume({ size: Size.gibibytes(5), storageClassName: 'fast' }) });
    const sts = find(out, 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        // the claims inherit the template's annotations: Argo CD never prunes or deletes the JetStream store
        metadata: { name: 'data', labels: sts.spec.selector.matchLabels, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } },
      },
    ]);
    expect(sts.spec.template.spec.volumes.map((v: any) => v.name)).toEqual(['config']);
    expect(sts.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(server.configText).toContain(`max_file_store: ${Math.floor(5120 * 0.9) * 1024 * 1024}`);
  });

  test('JetStream can be switched off: no jetstream block, no store volume, plain /healthz liveness', () => {
    const { out, server } = render({ jetstream: false });
    const sts = find(out, 'StatefulSet');
    const c = sts.spec.template.spec.containers[0];
    expect(server.configText).not.toMatch(/jetstream/);
    expect(sts.spec.template.spec.volumes.map((v: any) => v.name)).toEqual(['config']);
    expect(c.volumeMounts.map((m: any) => m.name)).toEqual(['config']);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
  });

  test('the image follows the release registry redirect', () => {
    const { out } = render({}, { registry: 'mirror.corp:5000/hub' });
    expect(find(out, 'StatefulSet').spec.template.spec.containers[0].image).toBe('mirror.corp:5000/hub/library/nats:2.10.22-alpine');
  });

  test('a sync wave annotates every object of the server (not the release\'s policies), next to the annotations they already carry', () => {
    const { out } = render({ syncWave: -1, exposure: NatsExposure.loadBalancer({ reason: 'devices', sourceRanges: ['10.0.0.0/8'] }) });
    const wave = (o: Manifest) => (o.metadata.annotations as Record<string, string> | undefined)?.['argocd.argoproj.io/sync-wave'];
    expect(out.objects.map((o) => [`${o.kind}/${o.metadata.name}`, wave(o)])).toEqual([
      ['ConfigMap/r-nats', '-1'],
      ['StatefulSet/r-nats', '-1'],
      ['Service/r-nats', '-1'],
      ['Service/r-nats-headless', '-1'],
      // The release's NetworkPolicies are not the server's objects: they take the ordering's wave for policies.
      ['NetworkPolicy/r-default-deny', String(SYNC_WAVES.prerequisites)],
      ['NetworkPolicy/r-nats', String(SYNC_WAVES.prerequisites)],
    ]);
    expect(find(out, 'Service', 'r-nats').metadata.annotations['policy.ops-kit.io/load-balancer']).toBe('devices');
    // Without it each object takes its phase's wave from lib/gitops/ordering.ts: config and policies first, the rest in 0.
    expect(render().out.objects.map(wave)).toEqual(render().out.objects.map((o) => (['ConfigMap', 'NetworkPolicy'].includes(o.kind) ? String(SYNC_WAVES.prerequisites) : undefined)));
  });

  test('declares KV buckets once, in order', () => {
    const { server } = render();
    server.addKeyValueBucket('desired-state', 'a');
    server.addKeyValueBucket('agent_status', 'b');
    expect(server.buckets.map((b) => b.name)).toEqual(['desired-state', 'agent_status']);
  });
});

describe('NatsServer fails when', () => {
  test('fails when the NodePort is out of range', () => {
    expect(() => NatsExposure.nodePort(29999, { reason: 'clients on the node network' })).toThrow(ConfigError);
    expect(() => NatsExposure.nodePort(32768, { reason: 'clients on the node network' })).toThrow(/'exposure.nodePort' is 32768.*30000-32767/);
    expect(() => NatsExposure.nodePort(4222, { reason: 'clients on the node network' })).toThrow(/use NatsExposure.loadBalancer/);
    expect(() => NatsExposure.nodePort(30422.5, { reason: 'r' })).toThrow(ConfigError);
  });

  test('fails when a LoadBalancer has no reason or a bad source range', () => {
    expect(() => NatsExposure.loadBalancer({ reason: ' ' })).toThrow(/exposure.loadBalancer.reason/);
    expect(() => NatsExposure.loadBalancer({ reason: 'x', sourceRanges: ['10.0.0.0'] })).toThrow(/sourceRanges\[0\]/);
    for (const bad of ['256.0.0.0/8', '10.0.0.0/33', '10.0.0/8', '010.0.0.0/8', '2001:db8::/129', 'fe80::zz/64', 'host/24', '10.0.0.0/8 ']) {
      expect(() => NatsExposure.loadBalancer({ reason: 'x', sourceRanges: [bad] })).toThrow(new RegExp(`'exposure.loadBalancer.sourceRanges\\[0\\]' is ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*CIDR`));
    }
    expect(() => NatsExposure.loadBalancer({ reason: 'x', sourceRanges: ['10.0.0.0/8', '10.0.0.0/8'] })).toThrow(/'exposure.loadBalancer.sourceRanges\[1\]'.*each range once/);
  });

  test('fails when a LoadBalancer is neither restricted to source ranges nor acknowledged as open', () => {
    expect(() => NatsExposure.loadBalancer({ reason: 'devices' })).toThrow(/'exposure.loadBalancer.sourceRanges' is undefined, but NATS has no client authentication.*openToAllSources/);
    expect(() => NatsExposure.loadBalancer({ reason: 'devices', sourceRanges: [] })).toThrow(ConfigError);
  });

  test('fails when a source range admits every address (that is openToAllSources)', () => {
    expect(() => NatsExposure.loadBalancer({ reason: 'x', sourceRanges: ['0.0.0.0/0'] })).toThrow(/'exposure.loadBalancer.sourceRanges\[0\]' is "0.0.0.0\/0", but a \/0 range admits every address.*openToAllSources/);
    expect(() => NatsExposure.loadBalancer({ reason: 'x', sourceRanges: ['10.0.0.0/8', '::/0'] })).toThrow(/sourceRanges\[1\]/);
  });

  test('fails when an open load balancer has no reason of its own, or also has source ranges', () => {
    expect(() => NatsExposure.loadBalancer({ reason: 'x', openToAllSources: { reason: ' ' } })).toThrow(/'exposure.loadBalancer.openToAllSources.reason'/);
    expect(() => NatsExposure.loadBalancer({ reason: 'x', sourceRanges: ['10.0.0.0/8'], openToAllSources: { reason: 'y' } })).toThrow(/either sourceRanges or openToAllSources, not both/);
  });

  test('fails when several props are wrong, reporting every mistake in one error', () => {
    let error: unknown;
    try {
      render({ name: 'Bad_Name', image: 'nats:latest', syncWave: 0.5, labels: { 'bad key!': 'x' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).errors.map((e) => e.prop)).toEqual(['name', 'image', 'labels', 'syncWave']);
    expect((error as Error).message).toMatch(/^4 configuration errors in the props of NatsServer "r\/Nats":\n {2}- 'name' is "Bad_Name"/);
    expect((error as Error).message).toContain("- 'syncWave' is 0.5, but it is not a whole number");
  });

  test('fails when the sync wave is not a whole number', () => {
    expect(() => render({ syncWave: 0.5 })).toThrow(/^NatsServer "r\/Nats": 'syncWave' is 0.5, but it is not a whole number; allowed: a whole number/);
  });

  test('fails when the image is not pinned', () => {
    expect(() => render({ image: 'nats' })).toThrow(/'image' is "nats".*pinned/);
    expect(() => render({ image: 'nats:latest' })).toThrow(ConfigError);
  });

  test('fails when the memory store would not fit the memory limit', () => {
    expect(() => render({ jetstreamLimits: { maxMemoryStore: Size.mebibytes(512) } })).toThrow(/'jetstreamLimits.maxMemoryStore' is "512Mi".*less than the memory limit \(512Mi\)/);
  });

  test('fails when the file store would not fit the volume', () => {
    expect(() => render({ jetstreamLimits: { maxFileStore: Size.gibibytes(2) } })).toThrow(/'jetstreamLimits.maxFileStore' is "2048Mi".*1024Mi/);
  });

  test('fails when JetStream limits are given with JetStream off', () => {
    expect(() => render({ jetstream: false, jetstreamLimits: { maxMemoryStore: Size.mebibytes(1) } })).toThrow(/'jetstreamLimits'/);
  });

  test('fails when the name is too long for a StatefulSet', () => {
    expect(() => render({ name: 'n'.repeat(53) })).toThrow(/'name'.*at most 52/);
  });

  test('fails when a KV bucket needs JetStream, has a bad name or is declared twice', () => {
    expect(() => render({ jetstream: false }).server.addKeyValueBucket('b', 'x')).toThrow(/NatsServer "r\/Nats": 'jetstream' is false/);
    const { server } = render();
    expect(() => server.addKeyValueBucket('a.b', 'x')).toThrow(/KV bucket name/);
    server.addKeyValueBucket('a', 'x');
    expect(() => server.addKeyValueBucket('a', 'x')).toThrow(/not declared twice/);
  });

  test('fails when persistence is smaller than 1 MiB', () => {
    expect(() => NatsPersistence.volume({ size: Size.kibibytes(10) })).toThrow(/persistence.volume.size/);
  });
});

describe('NatsExposure.nodePort reason', () => {
  test('fails when the node port has no reason, and records it as the node-port exception', () => {
    expect(() => NatsExposure.nodePort(30422, { reason: ' ' })).toThrow("'exposure.nodePort.reason' is \" \"; allowed: a non-empty reason why every node must serve the client port");
    const { out } = render({ exposure: NatsExposure.nodePort(30422, { reason: 'devices on the node network', sourceRanges: ['10.20.0.0/16'] }) });
    expect(find(out, 'Service', 'r-nats').metadata.annotations['policy.ops-kit.io/node-port']).toBe('devices on the node network');
  });
});
