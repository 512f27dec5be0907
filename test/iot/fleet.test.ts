import { ApiObject, App } from 'cdk8s';
import { ConfigError, ConfigErrors } from '../../lib/core';
import { FleetDeploymentOptions, FleetRollout, IOT_DEPLOYMENT_SCHEMA, IotFleet, IotFleetProps, IOT_OPERATOR_ENV, OperatorScope, parseFleetPortMapping } from '../../lib/iot';
import { NatsExposure } from '../../lib/nats';
import { Manifest, Release, renderRelease, RenderedRelease } from '../../lib/release';
import { verifyManifests } from '../../lib/verify';
import { crdValidator } from './schema-validator';
import { envOf } from '../support';
import { WATCH_NAMESPACE_ENV } from '../../lib/verify/iot';

const validate = crdValidator(IOT_DEPLOYMENT_SCHEMA);

const base: FleetDeploymentOptions = {
  targetSelector: { matchLabels: { group: 'lab' } },
  image: 'nginx:1.27.2-alpine',
  ports: ['8080:80'],
};

function fleetIn(props: IotFleetProps = {}, images?: { registry: string }): { release: Release; fleet: IotFleet } {
  const release = new Release(new App(), 'r', { namespace: 'iot', images });
  return { release, fleet: new IotFleet(release, 'Fleet', props) };
}

function crs(out: RenderedRelease): any[] {
  return out.objects.filter((o: Manifest) => o.apiVersion === 'iot.nationtech.io/v1alpha1');
}

/** A fleet whose operator is declared to evaluate matchExpressions. */
const withExpressions: IotFleetProps = { operator: { supports: { matchExpressions: true } } };

describe('IotFleet.addDeployment', () => {
  const { release, fleet } = fleetIn(withExpressions);
  const web = fleet.addDeployment('web', base);
  fleet.addDeployment('bridge', {
    targetSelector: {
      matchLabels: { group: 'field', device: 'pi-7' },
      matchExpressions: [{ key: 'example.com/site', operator: 'NotIn', values: ['lab'] }],
    },
    image: 'eclipse-mosquitto@sha256:' + 'b'.repeat(64),
    ports: ['1883:1883/tcp', '5353:53/udp'],
    env: { ZED: 'z', ALPHA: 'a' },
    rollout: FleetRollout.rolling({ maxConcurrent: 5 }),
    labels: { team: 'edge' },
  });
  const out = renderRelease(release);
  const [crWeb, crBridge] = [crs(out).find((o) => o.metadata.name === 'web'), crs(out).find((o) => o.metadata.name === 'bridge')];

  test('snapshot', () => {
    expect(crs(out)).toMatchSnapshot();
  });

  test('renders typed CRs in the release namespace, after the CRD and the operator', () => {
    expect(crs(out)).toHaveLength(2);
    expect(crWeb).toMatchObject({ apiVersion: 'iot.nationtech.io/v1alpha1', kind: 'Deployment', metadata: { name: 'web', namespace: 'iot' } });
    expect(crWeb.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    const crd = out.objects.find((o) => o.kind === 'CustomResourceDefinition') as any;
    expect(Number(crd.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBeLessThan(Number(crWeb.metadata.annotations['argocd.argoproj.io/sync-wave']));
    expect(web.node.findChild('Resource')).toBe(web.resource);
    expect(ApiObject.of(web.resource).kind).toBe('Deployment');
  });

  test('Argo CD sync waves: the CRD, every NATS object, the operator\'s ServiceAccount and RBAC and the NetworkPolicies at -1, the operator at 0, the CRs at 1', () => {
    const wave = (o: Manifest) => Number((o.metadata.annotations as Record<string, string> | undefined)?.['argocd.argoproj.io/sync-wave'] ?? 0);
    const waves: Record<string, number[]> = {};
    for (const o of out.objects) {
      const labels = (o.metadata.labels ?? {}) as Record<string, string>;
      const role = o.apiVersion === 'iot.nationtech.io/v1alpha1' ? 'cr'
        : o.kind === 'CustomResourceDefinition' ? 'crd'
        : o.kind === 'NetworkPolicy' ? 'policy'
        : labels['app.kubernetes.io/name'] === 'nats' ? 'nats'
        : labels['app.kubernetes.io/name'] === 'iot-operator' ? (o.kind === 'Deployment' ? 'operator' : 'operator identity')
        : `other ${o.kind}/${o.metadata.name}`;
      (waves[role] ??= []).push(wave(o));
    }
    // The policies (default deny, NATS, bucket Job, operator) apply before any pod starts, with the config (lib/gitops/ordering.ts).
    // The bucket Job runs in NATS's wave: Argo CD waits for it to complete, so the operator (wave 0) starts once the
    // buckets exist with their declared settings.
    expect(waves).toEqual({ crd: [-1], nats: [-1, -1, -1, -1, -1, -1], 'operator identity': [-1, -1, -1], operator: [0], policy: [-1, -1, -1, -1], cr: [1, 1] });
    const job = out.objects.find((o) => o.kind === 'Job')!;
    expect(job.metadata.name).toMatch(/^fleet-nats-kv-[a-z0-9]{8}$|^[a-z0-9-]+-nats-kv-[a-z0-9]{8}$/);
    expect(wave(job)).toBe(-1);
    expect(Object.values(waves).flat()).toHaveLength(out.objects.length);
  });

  test('the CRs pass the CRD\'s own schema', () => {
    for (const cr of crs(out)) expect(validate(cr)).toEqual({ valid: true, errors: [] });
  });

  test('targets devices by labels, sorted for stable output', () => {
    expect(crWeb.spec.targetSelector).toEqual({ matchLabels: { group: 'lab' } });
    expect(crBridge.spec.targetSelector).toEqual({
      matchLabels: { device: 'pi-7', group: 'field' },
      matchExpressions: [{ key: 'example.com/site', operator: 'NotIn', values: ['lab'] }],
    });
  });

  test('carries a PodmanV0 score: image, normalized ports, env sorted by name', () => {
    expect(crWeb.spec.score).toEqual({ type: 'PodmanV0', data: { image: 'nginx:1.27.2-alpine', ports: ['8080:80'] } });
    expect(crBridge.spec.score.data.ports).toEqual(['1883:1883', '5353:53/udp']);
    expect(crBridge.spec.score.data.env).toEqual([{ name: 'ALPHA', value: 'a' }, { name: 'ZED', value: 'z' }]);
  });

  test('renders the rollout', () => {
    expect(crWeb.spec.rollout).toEqual({ strategy: 'AllAtOnce' });
    expect(crBridge.spec.rollout).toEqual({ strategy: 'Rolling', maxConcurrent: 5 });
  });

  test('labels: the fleet\'s own plus the user\'s', () => {
    expect(crBridge.metadata.labels).toEqual({
      team: 'edge',
      'app.kubernetes.io/instance': 'r',
      'app.kubernetes.io/part-of': 'r',
      'app.kubernetes.io/component': 'fleet-deployment',
      'app.kubernetes.io/managed-by': 'cdk8s-ops-kit',
    });
  });

  test('lists the deployments in order', () => {
    expect(fleet.deployments.map((d) => d.name)).toEqual(['web', 'bridge']);
  });

  test('warns once that the bridge relies on the operator evaluating matchExpressions', () => {
    expect(out.warnings.filter((w) => w.includes('matchExpressions'))).toEqual([
      expect.stringMatching(/^fleet r: bridge select devices with matchExpressions \(operator.supports.matchExpressions is set\): an operator without matchExpressions support.*every device matching their matchLabels/),
    ]);
  });
});

describe('IotFleet selectors and the operator\'s matchExpressions support', () => {
  const expr = { key: 'example.com/site', operator: 'NotIn' as const, values: ['lab'] };

  test('the CRD requires matchLabels and keeps matchExpressions optional, documented as operator-dependent', () => {
    const selector = IOT_DEPLOYMENT_SCHEMA.properties!.spec.properties!.targetSelector;
    expect(selector.required).toEqual(['matchLabels']);
    expect(selector.properties!.matchLabels.minProperties).toBe(1);
    expect(selector.properties!.matchExpressions).toBeDefined();
    expect(selector.properties!.matchExpressions.description).toMatch(/v0 operator reads matchLabels only and ignores them/);
    expect(validate({ apiVersion: 'iot.nationtech.io/v1alpha1', kind: 'Deployment', metadata: { name: 'x' }, spec: { targetSelector: { matchExpressions: [expr] }, score: { type: 'PodmanV0', data: { image: 'a:1' } } } }).valid).toBe(false);
  });

  test('one warning per release, however many deployments rely on matchExpressions; none without them', () => {
    const { release, fleet } = fleetIn(withExpressions);
    for (const [i, n] of ['a', 'b', 'c', 'd', 'e', 'f', 'g'].entries()) fleet.addDeployment(n, { ...base, ports: [`${9000 + i}:80`], targetSelector: { matchLabels: { group: 'lab' }, matchExpressions: [expr] } });
    fleet.addDeployment('plain', base);
    const w = renderRelease(release).warnings.filter((x) => x.includes('matchExpressions'));
    expect(w).toEqual([expect.stringContaining('fleet r: a, b, c, d, e and 2 more select devices with matchExpressions')]);
    const plain = fleetIn(withExpressions);
    plain.fleet.addDeployment('plain', base);
    expect(renderRelease(plain.release).warnings).toEqual([]);
  });

  test('without the opt-in, a matchLabels selector renders as before and the operator is recorded as matchLabels-only', () => {
    const { release, fleet } = fleetIn();
    fleet.addDeployment('web', base);
    expect(fleet.operator.selectorSupport).toEqual({ matchExpressions: false });
    expect(crs(renderRelease(release))[0].spec.targetSelector).toEqual({ matchLabels: { group: 'lab' } });
  });
});

describe('IotFleet behaviour', () => {
  function renderOne(options: FleetDeploymentOptions, images?: { registry: string }): any {
    const { release, fleet } = fleetIn({}, images);
    fleet.addDeployment('web', options);
    return crs(renderRelease(release))[0];
  }

  test('an upgrade is the same name with a new image: same object, only the image changes', () => {
    const v1 = renderOne(base);
    const v2 = renderOne({ ...base, image: 'nginx:1.27.3-alpine' });
    expect([v2.apiVersion, v2.kind, v2.metadata.namespace, v2.metadata.name]).toEqual([
      v1.apiVersion,
      v1.kind,
      v1.metadata.namespace,
      v1.metadata.name,
    ]);
    expect({ ...v2, spec: { ...v2.spec, score: { ...v2.spec.score, data: { ...v2.spec.score.data, image: 'X' } } } }).toEqual({
      ...v1,
      spec: { ...v1.spec, score: { ...v1.spec.score, data: { ...v1.spec.score.data, image: 'X' } } },
    });
    expect(v2.spec.score.data.image).toBe('nginx:1.27.3-alpine');
  });

  test('device images follow the release registry redirect', () => {
    expect(renderOne(base, { registry: 'mirror.corp:5000' }).spec.score.data.image).toBe('mirror.corp:5000/library/nginx:1.27.2-alpine');
  });

  test('with a registry redirect, the notes say exactly what each device needs to pull from the mirror (pull secrets never reach devices)', () => {
    const release = new Release(new App(), 'r', { namespace: 'iot', images: { registry: 'mirror.corp:5000/edge', pullSecrets: ['mirror-pull'] } });
    const fleet = new IotFleet(release, 'Fleet', {});
    fleet.addDeployment('web', base);
    const out = renderRelease(release);
    const note = out.notes.find((n) => n.includes('device pulls'))!;
    expect(crs(out)[0].spec.score.data.image).toBe('mirror.corp:5000/edge/library/nginx:1.27.2-alpine');
    expect(note).toContain('rewritten to mirror.corp:5000/edge/...');
    expect(note).toContain("The release's pull secrets (mirror-pull) are Kubernetes Secrets: they reach the operator's pod, never a device.");
    expect(note).toContain('podman login --authfile ~/.config/containers/auth.json mirror.corp:5000 ');
    expect(note).toContain('/etc/containers/certs.d/mirror.corp:5000/ca.crt');
    // Without a redirect, devices pull from the images' own registries and need nothing from the release.
    const plain = fleetIn();
    plain.fleet.addDeployment('web', base);
    expect(renderRelease(plain.release).notes.some((n) => n.includes('device pulls'))).toBe(false);
  });

  test('one warning lists every deployment that maps a host port below 1024', () => {
    const { release, fleet } = fleetIn();
    fleet.addDeployment('a', { ...base, ports: ['80:80'] });
    fleet.addDeployment('b', { ...base, ports: ['443:443', '8443:443'] });
    fleet.addDeployment('c', base);
    const out = renderRelease(release);
    const w = out.warnings.filter((x) => x.includes('below 1024'));
    expect(w).toEqual([expect.stringContaining('a (80), b (443)')]);
    expect(w[0]).toMatch(/rootless Podman/);
  });

  test('warns when env names look like credentials', () => {
    const { release, fleet } = fleetIn();
    fleet.addDeployment('a', { ...base, env: { DB_PASSWORD: 'x', LEVEL: 'info' } });
    expect(renderRelease(release).warnings.join('\n')).toMatch(/a \(DB_PASSWORD\).*plain text/);
  });

  test('an externally reachable NATS gets one fleet warning: the desired-state bucket decides what every device runs', () => {
    const external = fleetIn({ nats: { exposure: NatsExposure.loadBalancer({ reason: 'devices', sourceRanges: ['10.20.0.0/16'] }) } });
    external.fleet.addDeployment('a', base);
    external.fleet.addDeployment('b', { ...base, ports: ['8081:80'] });
    const w = renderRelease(external.release).warnings.filter((x) => x.startsWith('fleet r:'));
    expect(w).toEqual([expect.stringMatching(/desired-state KV bucket decides which image every device runs.*r-nats has no client authentication/)]);
    const internal = fleetIn();
    internal.fleet.addDeployment('a', base);
    expect(renderRelease(internal.release).warnings).toEqual([]);
  });

  test('the CRD can be left to another release', () => {
    const { release, fleet } = fleetIn({ installCrd: false });
    expect(fleet.crd).toBeUndefined();
    expect(renderRelease(release).objects.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
  });

  test('a fleet that leaves the CRD to another release still passes verification (the library ships its CRD)', () => {
    const { release, fleet } = fleetIn({ installCrd: false });
    fleet.addDeployment('web', base);
    const report = verifyManifests(renderRelease(release).objects, { name: 'r' });
    expect(report.violations).toEqual([]);
  });

  test('CRs skip the Argo CD dry run only when their CRD is in another release (it may not be applied yet)', () => {
    const { release, fleet } = fleetIn({ installCrd: false });
    fleet.addDeployment('web', base);
    expect(crs(renderRelease(release))[0].metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-wave': '1',
      'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
      // and they say who installs their CRD, which verification's crd-installed rule reads
      'refs.ops-kit.io/crd-installed': 'the release that renders the IotFleet CRD (installCrd: true)',
    });
    // With the CRD in the same sync, Argo CD skips the dry run by itself.
    expect(renderOne(base).metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
  });

  test('custom bucket names reach both the server declaration and the operator', () => {
    const { release, fleet } = fleetIn({ buckets: { desiredState: 'desired', agentStatus: 'status' } });
    const op = renderRelease(release).objects.find((o) => o.kind === 'Deployment' && o.apiVersion === 'apps/v1') as any;
    const env = Object.fromEntries(op.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect([env.IOT_DESIRED_STATE_BUCKET, env.IOT_AGENT_STATUS_BUCKET]).toEqual(fleet.nats.buckets.map((b) => b.name));
    expect(fleet.nats.buckets.map((b) => b.name)).toEqual(['desired', 'status']);
  });
});

describe('IotFleet fails when', () => {
  function add(options: Partial<FleetDeploymentOptions>, name = 'web', props: IotFleetProps = withExpressions): void {
    fleetIn(props).fleet.addDeployment(name, { ...base, ...options } as FleetDeploymentOptions);
  }
  const lab = { group: 'lab' };

  test('fails when the selector is empty', () => {
    expect(() => add({ targetSelector: {} as never })).toThrow(/'deployments.web.targetSelector.matchLabels' is undefined, but the operator selects devices by matchLabels, and an empty selector would target every device/);
    expect(() => add({ targetSelector: { matchLabels: {}, matchExpressions: [] } })).toThrow(/'deployments.web.targetSelector.matchLabels' is \{\}/);
  });

  test('fails when a selector has matchExpressions but no matchLabels (the operator reads matchLabels)', () => {
    expect(() => add({ targetSelector: { matchExpressions: [{ key: 'device', operator: 'Exists' }] } as never })).toThrow(/'deployments.web.targetSelector.matchLabels' is undefined/);
  });

  test('fails when a selector uses matchExpressions and the operator is not declared to evaluate them', () => {
    const selector = { matchLabels: lab, matchExpressions: [{ key: 'device', operator: 'Exists' as const }] };
    expect(() => add({ targetSelector: selector }, 'web', {})).toThrow(
      /'deployments.web.targetSelector.matchExpressions' is .*, but the seed's operator \(v0\) reads matchLabels only: it would ignore these requirements.*allowed: matchLabels only, or operator.supports.matchExpressions: true/,
    );
    expect(() => add({ targetSelector: selector }, 'web', { operator: { supports: { matchExpressions: false } } })).toThrow(ConfigError);
    expect(() => add({ targetSelector: selector })).not.toThrow();
  });

  test('fails when a selector label key or value is invalid', () => {
    expect(() => add({ targetSelector: { matchLabels: { 'bad key': 'x' } } })).toThrow(/deployments.web.targetSelector.matchLabels/);
    expect(() => add({ targetSelector: { matchLabels: { group: 'lab one' } } })).toThrow(/'deployments.web.targetSelector.matchLabels.group' is "lab one"/);
  });

  test('fails when a selector requirement has the wrong values for its operator', () => {
    expect(() => add({ targetSelector: { matchLabels: lab, matchExpressions: [{ key: 'group', operator: 'In' }] } })).toThrow(/matchExpressions\[0\].values.*at least one value/);
    expect(() => add({ targetSelector: { matchLabels: lab, matchExpressions: [{ key: 'group', operator: 'Exists', values: ['a'] }] } })).toThrow(/no values for operator Exists/);
    expect(() => add({ targetSelector: { matchLabels: lab, matchExpressions: [{ key: 'group', operator: 'Gt' as never, values: ['1'] }] } })).toThrow(/matchExpressions\[0\].operator/);
    expect(() => add({ targetSelector: { matchLabels: lab, matchExpressions: [{ key: 'group', operator: 'In', values: ['a', 'a'] }] } })).toThrow(/each value once/);
  });

  test('fails when a port mapping is malformed or out of range', () => {
    expect(() => add({ ports: ['80'] })).toThrow(/'deployments.web.ports\[0\]' is "80".*hostPort:containerPort/);
    expect(() => add({ ports: ['70000:80'] })).toThrow(/host port 70000 is out of range/);
    expect(() => add({ ports: ['8080:0'] })).toThrow(/container port 0 is out of range/);
    expect(() => add({ ports: ['8080:80/sctp'] })).toThrow(ConfigError);
    expect(() => add({ ports: ['0:80'] })).toThrow(/host port 0/);
  });

  test('fails when a host port is mapped twice', () => {
    expect(() => add({ ports: ['8080:80', '8080:81'] })).toThrow(/'deployments.web.ports\[1\]' is "8080:81".*8080\/tcp is already mapped/);
    expect(() => add({ ports: ['8080:80', '8080:80/tcp'] })).toThrow(ConfigError);
    expect(() => add({ ports: ['5353:53/udp', '5353:53/tcp'] })).not.toThrow();
  });

  test('fails when the image is not pinned', () => {
    expect(() => add({ image: 'nginx' })).toThrow(/'deployments.web.image' is "nginx".*pinned/);
    expect(() => add({ image: 'docker.io/library/nginx:latest' })).toThrow(/pinned/);
  });

  test('fails when the name is not a DNS label (dots break the NATS KV key)', () => {
    expect(() => add({}, 'hello.web')).toThrow(/'deployments.hello.web.name' is "hello.web"/);
    expect(() => add({}, 'Web')).toThrow(ConfigError);
    expect(() => add({}, 'w'.repeat(64))).toThrow(ConfigError);
  });

  test('fails when a name is added twice or equals the operator\'s Deployment', () => {
    const { fleet } = fleetIn();
    fleet.addDeployment('web', base);
    expect(() => fleet.addDeployment('web', base)).toThrow(/already added; to upgrade, change the image/);
    expect(() => fleet.addDeployment('r-operator', base)).toThrow(/Argo CD show both as "Deployment r-operator".*operator's Deployment \(r-operator\)/);
  });

  test('fails when an env name is invalid', () => {
    expect(() => add({ env: { '1ABC': 'x' } })).toThrow(/deployments.web.env/);
  });

  test('fails when user labels replace the fleet\'s', () => {
    expect(() => add({ labels: { 'app.kubernetes.io/part-of': 'other' } })).toThrow(/set by the fleet/);
    expect(() => add({ labels: { ok: 'bad value' } })).toThrow(ConfigError);
  });

  test('fails when a rolling rollout has no devices in flight', () => {
    expect(() => FleetRollout.rolling({ maxConcurrent: 0 })).toThrow(/'rollout.maxConcurrent' is 0/);
  });

  test('fails when a deployment has several mistakes, reporting all of them in one error', () => {
    let error: unknown;
    try {
      add({ image: 'nginx', ports: ['80', '8080:80', '8080:81'], env: { '1ABC': 'x' }, labels: { 'app.kubernetes.io/part-of': 'other' } }, 'Web');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).errors.map((e) => e.prop)).toEqual([
      'deployments.Web.name', 'deployments.Web.image', 'deployments.Web.ports[0]', 'deployments.Web.ports[2]', 'deployments.Web.env',
      'deployments.Web.labels.app.kubernetes.io/part-of',
    ]);
    expect((error as Error).message).toMatch(/^6 configuration errors:\n/);
  });

  test('fails when the fleet and what it builds are misconfigured, reporting every mistake in one error', () => {
    const props = (p: IotFleetProps) => {
      try {
        fleetIn(p);
      } catch (e) {
        return (e as ConfigErrors).errors.map((x) => x.prop);
      }
      return [];
    };
    expect(props({ name: 'f'.repeat(41), operator: { image: 'operator', logLevel: 'a b' } })).toEqual(['name', 'operator.image', 'operator.logLevel']);
    // The operator checks its buckets against the server's, so after a bucket error it is not built (it would repeat it).
    expect(props({ name: 'f'.repeat(41), buckets: { desiredState: 'same', agentStatus: 'same' }, operator: { image: 'operator' } })).toEqual(['name', 'nats.buckets.same']);
    // The buckets and the operator live on the NATS server: when it cannot be built, its errors end the report.
    expect(props({ name: 'f'.repeat(41), nats: { image: 'nats' }, operator: { image: 'operator' } })).toEqual(['name', 'nats.image']);
  });

  test('fails when the fleet name is too long for derived names', () => {
    expect(() => fleetIn({ name: 'f'.repeat(41) })).toThrow(/'name'/);
  });
});

describe('parseFleetPortMapping', () => {
  test('parses host, container and protocol', () => {
    expect(parseFleetPortMapping('p', '8080:80')).toEqual({ hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parseFleetPortMapping('p', '5353:53/udp')).toEqual({ hostPort: 5353, containerPort: 53, protocol: 'udp' });
  });
});

describe('host port collisions across fleet deployments (issue 19)', () => {
  const img = 'docker.io/library/nginx:1.27.2-alpine';

  test('fails when two deployments map the same host port onto devices both may select', () => {
    const { fleet } = fleetIn();
    fleet.addDeployment('web', { targetSelector: { matchLabels: { group: 'lab' } }, image: img, ports: ['8080:80'] });
    expect(() => fleet.addDeployment('echo', { targetSelector: { matchLabels: { device: 'pi-7' } }, image: img, ports: ['9000:9000', '8080:80'] })).toThrow(
      `'deployments.echo.ports[1]' is "8080:80", but deployment web maps host port 8080/tcp too, and its selector {"group":"lab"} can select the same devices as {"device":"pi-7"}; Podman would start only one of them; allowed: a host port no other deployment maps on devices both may select`,
    );
  });

  test('the same host port on disjoint selectors, or on another protocol, is fine', () => {
    const { fleet } = fleetIn();
    fleet.addDeployment('web-lab', { targetSelector: { matchLabels: { group: 'lab' } }, image: img, ports: ['8080:80'] });
    fleet.addDeployment('web-field', { targetSelector: { matchLabels: { group: 'field' } }, image: img, ports: ['8080:80'] });
    fleet.addDeployment('dns', { targetSelector: { matchLabels: { group: 'lab' } }, image: img, ports: ['8080:53/udp'] });
    expect(fleet.deployments.map((d) => d.name)).toEqual(['web-lab', 'web-field', 'dns']);
  });

  test('matchExpressions separate selectors only when the operator evaluates them', () => {
    const withExpr = fleetIn({ operator: { supports: { matchExpressions: true } } }).fleet;
    withExpr.addDeployment('a', { targetSelector: { matchLabels: { group: 'lab' } }, image: img, ports: ['8080:80'] });
    withExpr.addDeployment('b', { targetSelector: { matchLabels: { site: 'x' }, matchExpressions: [{ key: 'group', operator: 'NotIn', values: ['lab'] }] }, image: img, ports: ['8080:80'] });
    expect(withExpr.deployments).toHaveLength(2);
  });
});

describe('IotFleet watched namespaces (seed 003: custom resources in iot-demo, NATS in iot-system)', () => {
  const build = (scope: OperatorScope) => {
    const app = new App();
    const platform = new Release(app, 'platform', { namespace: 'iot-system' });
    const fleet = new IotFleet(platform, 'Fleet', { operator: { scope } });
    return { app, platform, fleet, demo: () => new Release(app, 'demo', { namespace: 'iot-demo', dependsOn: [platform] }) };
  };
  const sel = { targetSelector: { matchLabels: { group: 'lab' } }, image: 'docker.io/library/nginx:1.27.2' };

  test('each watched namespace gets its own Role and RoleBinding; WATCH_NAMESPACE lists them all', () => {
    const { fleet, demo } = build(OperatorScope.namespaces(['iot-system', 'iot-demo']));
    const ns = fleet.namespace(demo());
    ns.addDeployment('hello-web', sel);
    fleet.addDeployment('local', { ...sel, targetSelector: { matchLabels: { group: 'other' } } });
    expect(fleet.operator.watchedNamespaces).toEqual(['iot-system', 'iot-demo']);
    expect(envOf((renderRelease(Release.of(fleet)).objects.find((o) => o.kind === 'Deployment' && o.apiVersion === 'apps/v1') as any).spec.template.spec.containers[0]).WATCH_NAMESPACE).toBe('iot-system,iot-demo');
    const demoObjects = renderRelease(Release.of(ns)).objects;
    expect(demoObjects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/iot-demo/hello-web', 'Role/iot-demo/platform-operator', 'RoleBinding/iot-demo/platform-operator',
    ]);
    expect(fleet.operator.role!.metadata.namespace).toBe('iot-system');
  });

  test('an operator watching only other namespaces renders no Role in its own', () => {
    const { fleet } = build(OperatorScope.namespaces(['iot-demo']));
    expect(fleet.operator.role).toBeUndefined();
    expect(renderRelease(Release.of(fleet)).objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
  });

  test('fails when a deployment lands in a namespace the operator does not watch', () => {
    const { fleet } = build(OperatorScope.namespaces(['iot-demo']));
    expect(() => fleet.addDeployment('hello-web', sel)).toThrow(
      /'deployments.hello-web' is "hello-web", but it would land in namespace iot-system, which the operator does not watch.*; allowed: a deployment in a namespace operator platform-operator watches \(iot-demo\)/,
    );
  });

  test('fails when a fleet namespace is not watched, is the fleet\'s own, or the operator is cluster-scoped', () => {
    expect(() => build(OperatorScope.namespaces(['iot-other'])).fleet.namespace(build(OperatorScope.namespace()).demo())).toThrow(/'namespace' is "iot-demo"/);
    const a = build(OperatorScope.namespaces(['iot-other']));
    expect(() => a.fleet.namespace(a.demo())).toThrow(/'namespace' is "iot-demo", but add iot-demo to operator.scope.*; allowed: a namespace operator platform-operator watches \(iot-other\)/);
    const b = build(OperatorScope.namespaces(['iot-system']));
    expect(() => b.fleet.namespace(b.platform)).toThrow(/'namespace' is "iot-system".*allowed: a release in another namespace than the fleet's \(iot-system\)/);
    const c = build(OperatorScope.cluster({ reason: 'test' }));
    expect(() => c.fleet.namespace(c.demo())).toThrow(/'namespace' is "iot-demo", but operator platform-operator is cluster-scoped/);
  });

  test('fails when a namespace list is empty, repeats a namespace or holds an invalid name', () => {
    expect(() => OperatorScope.namespaces([])).toThrow(/'scope.namespaces' is \[\]; allowed: at least one namespace/);
    expect(() => OperatorScope.namespaces(['a', 'a'])).toThrow(/'scope.namespaces' is \["a","a"\]; allowed: each namespace once/);
    expect(() => OperatorScope.namespaces(['Iot_Demo'])).toThrow(/'scope.namespaces\[0\]' is "Iot_Demo"/);
  });

  test('fails when a deployment name is reused in another namespace (names are NATS KV key tokens fleet-wide)', () => {
    const { fleet, demo } = build(OperatorScope.namespaces(['iot-system', 'iot-demo']));
    fleet.addDeployment('hello-web', sel);
    expect(() => fleet.namespace(demo()).addDeployment('hello-web', sel)).toThrow(/'deployments.hello-web' is "hello-web".*already added/);
  });
});

test('verification reads the operator\'s watched namespaces from the variable the operator construct sets', () => {
  expect(WATCH_NAMESPACE_ENV).toBe(IOT_OPERATOR_ENV.watchNamespace);
});
