import { HostForm } from '../../lib/core';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { ConfigError } from '../../lib/core';
import { IOT_OPERATOR_ENV, IOT_OPERATOR_IMAGE, IOT_OPERATOR_RULES, IotFleet, IotFleetProps, IotOperator, OperatorProbes, OperatorScope } from '../../lib/iot';
import { NatsAuth, NatsServer } from '../../lib/nats';
import { Release, RenderedRelease } from '../../lib/release';
import { verifyManifests } from '../../lib/verify';
import { envOf, findObject, synthIn } from '../support';

function render(props: IotFleetProps = {}, pullSecrets?: string[]): { fleet: IotFleet; out: RenderedRelease } {
  const { construct: fleet, template } = synthIn((r) => new IotFleet(r, 'Fleet', props), { namespace: 'iot', images: pullSecrets ? { pullSecrets } : undefined });
  return { fleet, out: template.rendered };
}

/** An object of the core API groups (the fleet's own custom resources share the kind Deployment). */
const find = (out: RenderedRelease, kind: string, name?: string) => findObject(out.objects.filter((x) => x.apiVersion !== 'iot.nationtech.io/v1alpha1'), kind, name);

describe('IotOperator (namespaced, default)', () => {
  const { fleet, out } = render();
  const dep = find(out, 'Deployment', 'r-operator');
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];

  test('snapshot', () => {
    expect(out.objects.filter((o) => ['Deployment', 'ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind) && o.apiVersion !== 'iot.nationtech.io/v1alpha1')).toMatchSnapshot();
  });

  test('the Deployment is the Resource child', () => {
    expect(fleet.operator.node.findChild('Resource')).toBe(fleet.operator.deployment);
  });

  test('NATS URL and bucket names come from the NATS server object', () => {
    const env = envOf(c);
    expect(env.NATS_URL).toBe(fleet.nats.endpoint.url('nats', 'client', { form: HostForm.NAMESPACED }));
    expect(env.NATS_URL).toBe('nats://r-nats.iot.svc:4222');
    expect(fleet.nats.buckets.map((b) => b.name)).toEqual([env.IOT_DESIRED_STATE_BUCKET, env.IOT_AGENT_STATUS_BUCKET]);
    expect(env.IOT_DESIRED_STATE_BUCKET).toBe('desired-state');
    expect(env.IOT_AGENT_STATUS_BUCKET).toBe('agent-status');
    expect(env.WATCH_NAMESPACE).toBe('iot');
    expect(env.RUST_LOG).toBe('info');
  });

  test('waits for the NATS client port it dials (an init wait with no API access), on every apply path', () => {
    const waits = (pod.initContainers ?? []) as Array<Record<string, any>>;
    expect(waits.map((w) => w.image)).toEqual(['busybox:1.36.1', 'natsio/nats-box:0.19.7-nonroot']);
    const url = new URL(envOf(c).NATS_URL as string);
    expect(waits[0].args[0]).toContain(`nc -z -w 2 ${url.hostname} ${url.port}`);
    // A network-only wait: the operator's Role keeps exactly its own rules.
    expect(find(out, 'Role').rules).toEqual(IOT_OPERATOR_RULES.map((r) => ({ ...r })));
  });

  test('then waits until both KV buckets exist (created by the bucket Job), with the NATS URL it connects with', () => {
    const wait = (pod.initContainers as Array<Record<string, any>>)[1];
    expect(wait.name).toBe('wait-for-kv-buckets');
    expect(wait.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(wait.command[2]).toContain(`for b in '${fleet.desiredStateBucket.name}' '${fleet.agentStatusBucket.name}'; do`);
    expect(wait.command[2]).toContain('nats request --raw "\\$JS.API.STREAM.INFO.KV_$1"');
    expect(envOf(wait)).toEqual({ HOME: '/tmp', NATS_URL: envOf(c).NATS_URL });
    expect(wait.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
  });

  test('the NATS URL resolves to the client Service and its port', () => {
    const url = new URL(envOf(c).NATS_URL);
    const svc = find(out, 'Service', url.hostname.split('.')[0]);
    expect(url.hostname).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc`);
    expect(svc.spec.ports.map((p: any) => p.port)).toContain(Number(url.port));
  });

  test('RBAC is a namespaced Role with exactly the CRs, their status and events', () => {
    const role = find(out, 'Role');
    expect(role.rules).toEqual(IOT_OPERATOR_RULES.map((r) => ({ ...r })));
    const verbs = role.rules.flatMap((r: any) => r.verbs);
    expect(verbs).not.toContain('*');
    expect(verbs).not.toContain('delete');
    expect(role.rules.flatMap((r: any) => r.resources).sort()).toEqual(['deployments', 'deployments/status', 'events', 'events']);
    expect(role.rules.find((r: any) => r.resources.includes('deployments')).apiGroups).toEqual(['iot.nationtech.io']);
    expect(out.objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
  });

  test('the RoleBinding binds the pod\'s ServiceAccount to the Role in the release namespace', () => {
    const rb = find(out, 'RoleBinding');
    const role = find(out, 'Role');
    const sa = find(out, 'ServiceAccount');
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'iot' }]);
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  test('one replica, replaced with Recreate (no leader election: never two at once)', () => {
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('pinned image, probes on the declared health port, restricted security context', () => {
    expect(c.image).toBe('hub.nationtech.io/nationtech/iot-operator-v0:0.1.0');
    expect(c.ports).toEqual([{ name: 'health', containerPort: 8080 }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(envOf(c).HEALTH_ADDR).toBe('0.0.0.0:8080');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
  });
});

describe('IotOperator (cluster scope)', () => {
  const { out } = render({ operator: { scope: OperatorScope.cluster({ reason: 'fleets in several tenant namespaces' }), logLevel: 'iot_operator=debug,kube=info', env: { EXTRA: '1' } } });

  test('snapshot', () => {
    expect(out.objects.filter((o) => ['Deployment', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind) && o.apiVersion !== 'iot.nationtech.io/v1alpha1')).toMatchSnapshot();
  });

  test('uses a ClusterRole and ClusterRoleBinding carrying the cluster-scope exception', () => {
    const cr = find(out, 'ClusterRole');
    const crb = find(out, 'ClusterRoleBinding');
    expect(cr.metadata.name).toBe('iot-r-operator');
    expect(cr.metadata.namespace).toBeUndefined();
    expect(cr.metadata.annotations['policy.ops-kit.io/cluster-scope']).toBe('fleets in several tenant namespaces');
    expect(crb.metadata.annotations['policy.ops-kit.io/cluster-scope']).toBe('fleets in several tenant namespaces');
    expect(cr.rules).toEqual(IOT_OPERATOR_RULES.map((r) => ({ ...r })));
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'iot-r-operator' });
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'r-operator', namespace: 'iot' }]);
    expect(out.objects.some((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toBe(false);
  });

  test('watches every namespace (no WATCH_NAMESPACE), keeps the wiring and adds the user env', () => {
    const env = envOf(find(out, 'Deployment', 'r-operator').spec.template.spec.containers[0]);
    expect(env.WATCH_NAMESPACE).toBeUndefined();
    expect(env.RUST_LOG).toBe('iot_operator=debug,kube=info');
    expect(env.EXTRA).toBe('1');
    expect(env.NATS_URL).toBe('nats://r-nats.iot.svc:4222');
  });
});

describe('IotOperator probes', () => {
  function operatorOf(probes: OperatorProbes): { out: RenderedRelease; dep: any; c: any } {
    const { out } = render({ operator: { probes } });
    const dep = find(out, 'Deployment', 'r-operator');
    return { out, dep, c: dep.spec.template.spec.containers[0] };
  }

  test('http with a custom port and paths: the probes, the named port and HEALTH_ADDR agree', () => {
    const { c } = operatorOf(OperatorProbes.http({ port: 9090, livenessPath: '/live', readinessPath: '/ready' }));
    expect(c.ports).toEqual([{ name: 'health', containerPort: 9090 }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/live', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'health' });
    expect(envOf(c).HEALTH_ADDR).toBe('0.0.0.0:9090');
  });

  test('tcp probes connect to the image\'s own port and set no HEALTH_ADDR', () => {
    const { c, dep } = operatorOf(OperatorProbes.tcp(9000));
    expect(c.ports).toEqual([{ name: 'health', containerPort: 9000 }]);
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 'health' });
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 'health' });
    expect(c.livenessProbe.httpGet).toBeUndefined();
    expect(envOf(c).HEALTH_ADDR).toBeUndefined();
    expect(dep.metadata.annotations?.['policy.ops-kit.io/probes']).toBeUndefined();
  });

  test('none renders no probes, no port and no HEALTH_ADDR, and records the probes exception the verifier accepts', () => {
    const { out, dep, c } = operatorOf(OperatorProbes.none({ reason: 'the pinned operator build serves no health endpoint' }));
    expect(c.livenessProbe).toBeUndefined();
    expect(c.readinessProbe).toBeUndefined();
    expect(c.ports).toBeUndefined();
    expect(envOf(c).HEALTH_ADDR).toBeUndefined();
    expect(dep.metadata.annotations['policy.ops-kit.io/probes']).toBe('the pinned operator build serves no health endpoint');
    expect(dep.spec.template.metadata.annotations?.['policy.ops-kit.io/probes']).toBeUndefined();
    const report = verifyManifests(out.objects, { name: 'r' });
    expect(report.violations).toEqual([]);
    expect(report.exceptions).toContainEqual({ object: 'Deployment/iot/r-operator', rule: 'probes', reason: 'the pinned operator build serves no health endpoint', used: true });
  });
});

describe('IotOperator pull secrets and contract', () => {
  test('without release pull secrets, the notes say how to add one through the release image settings', () => {
    const { out } = render();
    const note = out.notes.find((n) => n.startsWith('IoT operator r-operator'));
    expect(note).toMatch(/hub\.nationtech\.io\/nationtech\/iot-operator-v0:0\.1\.0 is pulled without credentials\. If hub\.nationtech\.io requires them.*Release\(\{ images: \{ pullSecrets/);
    expect(find(out, 'Deployment', 'r-operator').spec.template.spec.imagePullSecrets).toBeUndefined();
  });

  test('release pull secrets reach the operator pod, are declared external, and the notes say to create them', () => {
    const { out } = render({}, ['hub-nationtech']);
    const dep = find(out, 'Deployment', 'r-operator');
    expect(dep.spec.template.spec.imagePullSecrets).toEqual([{ name: 'hub-nationtech' }]);
    expect(verifyManifests(out.objects, { name: 'r' }).externals).toContainEqual(expect.objectContaining({ ref: 'Secret/iot/hub-nationtech', referencedBy: expect.arrayContaining(['Deployment/iot/r-operator']) }));
    expect(out.notes.find((n) => n.startsWith('IoT operator r-operator'))).toMatch(/pull secrets \(hub-nationtech\); before syncing.*create secret docker-registry <name> --docker-server=hub\.nationtech\.io/);
  });

  test('the file docstring lists every assumed part of the runtime contract apart from what the seed states', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'iot', 'operator.ts'), 'utf8');
    const contract = /\/\*\*\n \* The operator's runtime contract[\s\S]*?\*\//.exec(source)?.[0] ?? '';
    const [seed, assumed] = contract.split("This library's assumptions");
    expect(seed).toMatch(/From the seed/);
    expect(assumed).toBeDefined();
    for (const name of Object.values(IOT_OPERATOR_ENV)) expect({ name, assumed: assumed.includes(`\`${name}\``) }).toEqual({ name, assumed: true });
    expect(assumed).toMatch(/IOT_OPERATOR_IMAGE/);
    expect(assumed).toMatch(/\/healthz.*\/readyz/);
    expect(assumed).toMatch(/OperatorScope\.cluster/);
    expect(seed).not.toMatch(/NATS_URL|HEALTH_ADDR|WATCH_NAMESPACE|healthz/);
    expect(IOT_OPERATOR_IMAGE.startsWith('hub.nationtech.io/')).toBe(true);
  });
});

describe('IotOperator fails when', () => {
  test('fails when a probe choice is invalid', () => {
    expect(() => OperatorProbes.none({ reason: ' ' })).toThrow(/'probes.none.reason' is " "/);
    expect(() => OperatorProbes.tcp(0)).toThrow(/'probes.tcp' is 0; allowed: a port number 1-65535/);
    expect(() => OperatorProbes.http({ port: 70000 })).toThrow(/'probes.http.port' is 70000/);
    expect(() => OperatorProbes.http({ livenessPath: 'healthz' })).toThrow(/'probes.http.livenessPath' is "healthz".*absolute path/);
    expect(() => OperatorProbes.http({ readinessPath: '' })).toThrow(/'probes.http.readinessPath'/);
  });

  test('fails when cluster scope has no reason', () => {
    expect(() => OperatorScope.cluster({ reason: '' })).toThrow(/'scope.cluster.reason'/);
  });

  test('fails when the operator image is not pinned', () => {
    expect(() => render({ operator: { image: 'hub.nationtech.io/nationtech/iot-operator-v0:latest' } })).toThrow(/'operator.image'.*pinned/);
  });

  test('fails when the user env overrides the NATS wiring', () => {
    expect(() => render({ operator: { env: { NATS_URL: 'nats://elsewhere:4222' } } })).toThrow(/'operator.env.NATS_URL'.*owned/);
  });

  test('fails when a bucket is not declared on the NATS server', () => {
    const release = new Release(new App(), 'r', { namespace: 'iot' });
    const nats = new NatsServer(release, 'Nats');
    const a = nats.addKeyValueBucket('a', 'x');
    const other = new NatsServer(release, 'Other', { name: 'other' });
    const b = other.addKeyValueBucket('b', 'x');
    expect(() => new IotOperator(release, 'Op', { nats, desiredStateBucket: a, agentStatusBucket: b })).toThrow(/^IotOperator "r\/Op": 'agentStatusBucket' is "b".*declared on NATS server r-nats/);
  });

  test('fails when the NATS server runs without JetStream', () => {
    const release = new Release(new App(), 'r', { namespace: 'iot' });
    const nats = new NatsServer(release, 'Nats', { jetstream: false });
    const fake = { name: 'x', description: 'x' };
    expect(() => new IotOperator(release, 'Op', { nats, desiredStateBucket: fake, agentStatusBucket: fake })).toThrow(ConfigError);
    expect(() => render({ nats: { jetstream: false } as never })).toThrow(/IotFleet "r\/Fleet": 'nats.jetstream' is false/);
  });

  test('fails when the log level is not a RUST_LOG filter', () => {
    expect(() => render({ operator: { logLevel: 'info; rm -rf' } })).toThrow(/operator.logLevel/);
  });
});

describe('IotOperator NATS authentication (an option: seed 003 defers device auth, the operator reads only NATS_URL)', () => {
  const urlSecret = { name: 'iot-operator-nats', key: 'url' };

  test('off by default, and the notes say why and how to turn it on', () => {
    const { out } = render();
    const c = find(out, 'Deployment', 'r-operator').spec.template.spec.containers[0];
    expect(envOf(c).NATS_URL).toBe('nats://r-nats.iot.svc:4222');
    const note = out.notes.find((n) => n.includes('NATS authentication'))!;
    expect(note).toContain('off. Seed 003 defers device authentication to its Chapter 4');
    expect(note).toContain('the operator reads only NATS_URL');
    expect(note).toContain('operator.natsUrlSecret');
  });

  test.each([
    ['token', NatsAuth.token({ name: 'nats-auth', key: 'token' }), 'nats://<token>@r-nats.iot.svc:4222'],
    ['users', NatsAuth.users([{ user: 'operator', password: { name: 'nats-auth', key: 'operator' } }]), 'nats://<user>:<password>@r-nats.iot.svc:4222'],
  ])('with %s auth, NATS_URL comes from the operator-created Secret, never a literal, and no other credential variable is set', (_kind, auth, form) => {
    const { out } = render({ nats: { auth }, operator: { natsUrlSecret: urlSecret } });
    const c = find(out, 'Deployment', 'r-operator').spec.template.spec.containers[0];
    const url = c.env.find((e: any) => e.name === 'NATS_URL');
    expect(url).toEqual({ name: 'NATS_URL', valueFrom: { secretKeyRef: { name: 'iot-operator-nats', key: 'url' } } });
    expect(c.env.some((e: any) => ['NATS_TOKEN', 'NATS_USER', 'NATS_PASSWORD'].includes(e.name))).toBe(false);
    // The server reads its own Secret; the pod still waits for the client port it dials.
    const dep = find(out, 'Deployment', 'r-operator');
    expect(dep.spec.template.spec.initContainers.map((i: any) => i.name)).toEqual(['wait-for-r-nats', 'wait-for-kv-buckets']);
    // The bucket wait connects with the same Secret, and so does the bucket Job.
    const bucketWait = dep.spec.template.spec.initContainers[1];
    expect(bucketWait.env).toEqual([{ name: 'HOME', value: '/tmp' }, url]);
    const job = out.objects.find((o) => o.kind === 'Job') as any;
    expect(job.spec.template.spec.containers[0].env).toEqual([{ name: 'HOME', value: '/tmp' }, url]);
    const note = out.notes.find((n) => n.includes('NATS authentication'))!;
    expect(note).toContain(`Secret iot-operator-nats`);
    expect(note).toContain(`--from-literal=url='${form}'`);
    expect(out.warnings.some((w) => w.includes('has no client authentication'))).toBe(false);
  });

  test('fails when the server authenticates clients and operator.natsUrlSecret is unset', () => {
    expect(() => render({ nats: { auth: NatsAuth.token({ name: 'nats-auth', key: 'token' }) } }))
      .toThrow(/'operator.natsUrlSecret' is undefined, but NATS server r-nats authenticates clients \(token\) and the operator reads only NATS_URL; allowed: \{ name, key \} of an operator-created Secret holding NATS_URL with credentials \(nats:\/\/<token>@r-nats.iot.svc:4222\)/);
  });

  test('fails when operator.natsUrlSecret is set and the server authenticates no client', () => {
    expect(() => render({ operator: { natsUrlSecret: urlSecret } })).toThrow(/'operator.natsUrlSecret' is \{"name":"iot-operator-nats","key":"url"\}, but NATS server r-nats authenticates no client.*; allowed: unset$/);
  });

  test('fails when the server authenticates by nkey (a URL cannot carry the signature)', () => {
    const nkey = `U${'A'.repeat(55)}`;
    expect(() => render({ nats: { auth: NatsAuth.nkeys([nkey]) }, operator: { natsUrlSecret: urlSecret } })).toThrow(/'nats.auth' is "NatsAuth.nkeys\(...\)", but .*a URL cannot carry an nkey signature; allowed: NatsAuth.none\(\), .token\(...\) or .users\(\[...\]\)/);
  });

  test('fails when connect.urlSecret is used with a server that authenticates no client', () => {
    const release = new Release(new App(), 'r', { namespace: 'iot' });
    const nats = new NatsServer(release, 'Nats');
    const a = nats.addKeyValueBucket('a', 'x');
    const b = nats.addKeyValueBucket('b', 'x');
    expect(() => new IotOperator(release, 'Op', { nats, desiredStateBucket: a, agentStatusBucket: b, natsUrlSecret: urlSecret })).toThrow(/'natsUrlSecret'.*allowed: unset/);
  });
});
