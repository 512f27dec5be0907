import { App } from 'cdk8s';
import { buildIotFleet, IOT_DEMO_NAMESPACE, IOT_DEVICE_LAN_CIDR, iotFleetApp } from '../../apps/iot-fleet';
import { EXAMPLE_APPS } from '../../apps/registry';
import { IOT_DEPLOYMENT_SCHEMA, IOT_OPERATOR_RULES } from '../../lib/iot';
import { renderApp, renderRelease } from '../../lib/release';
import { formatReport, verifyManifests, verifyReleases } from '../../lib/verify';
import { crdValidator } from './schema-validator';

describe('apps/iot-fleet', () => {
  const app = new App();
  const out = renderRelease(buildIotFleet(app));
  const demo = renderApp(app).find((r) => r.name === 'iot-demo')!;
  const byKind = (kind: string, apiVersion?: string) =>
    out.objects.filter((o) => o.kind === kind && (!apiVersion || o.apiVersion === apiVersion)) as any[];
  const crs = demo.objects.filter((o) => o.kind === 'Deployment' && o.apiVersion === 'iot.nationtech.io/v1alpha1') as any[];

  test('is registered for npm run synth', () => {
    expect(EXAMPLE_APPS).toContain(iotFleetApp);
    expect(iotFleetApp.name).toBe('iot-fleet');
  });

  test('renders the iot-fleet release in iot-system (CRD, NATS, operator) and the three CRs in iot-demo, as seed 003\'s demo', () => {
    expect(out.name).toBe('iot-fleet');
    expect(out.namespace).toBe('iot-system');
    expect(out.objects.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`).sort()).toMatchSnapshot();
    expect(byKind('CustomResourceDefinition')).toHaveLength(1);
    expect(byKind('StatefulSet')).toHaveLength(1);
    expect(byKind('Deployment', 'apps/v1')).toHaveLength(1);
    expect(byKind('Deployment', 'iot.nationtech.io/v1alpha1')).toHaveLength(0);
    expect(crs).toHaveLength(3);
    for (const o of out.objects.filter((x) => x.kind !== 'CustomResourceDefinition')) expect(o.metadata.namespace).toBe('iot-system');
    expect(demo.namespace).toBe(IOT_DEMO_NAMESPACE);
    for (const o of demo.objects) expect(o.metadata.namespace).toBe('iot-demo');
    expect(demo.dependsOn).toEqual(['iot-fleet']);
  });

  test('the operator watches iot-demo only, through a Role and RoleBinding there bound to its ServiceAccount in iot-system', () => {
    const op = byKind('Deployment', 'apps/v1')[0];
    const env = op.spec.template.spec.containers[0].env.find((e: any) => e.name === 'WATCH_NAMESPACE');
    expect(env.value).toBe('iot-demo');
    expect(byKind('Role')).toHaveLength(0);
    const role = demo.objects.find((o) => o.kind === 'Role') as any;
    const binding = demo.objects.find((o) => o.kind === 'RoleBinding') as any;
    expect(role.rules).toEqual(IOT_OPERATOR_RULES);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: op.spec.template.spec.serviceAccountName, namespace: 'iot-system' }]);
    // The account is declared external in its own namespace, so the report tells the operator where it lives.
    expect(binding.metadata.annotations['refs.ops-kit.io/external']).toBe(`ServiceAccount/iot-system/${op.spec.template.spec.serviceAccountName}`);
  });

  test('verification passes the example and fails when the operator stops watching iot-demo', () => {
    const releases = renderApp(app).filter((r) => r.name.startsWith('iot-'));
    const verify = (rs: typeof releases) => verifyReleases(rs.map((r) => ({ name: r.name, objects: r.objects, connections: r.connections })));
    expect(verify(releases).flatMap((r) => r.violations)).toEqual([]);
    // The operator's WATCH_NAMESPACE back to its own namespace: the Role in iot-demo grants, but the pod never looks.
    const edited = releases.map((r) => ({ ...r, objects: r.objects.map((o) => JSON.parse(JSON.stringify(o).replace('"name":"WATCH_NAMESPACE","value":"iot-demo"', '"name":"WATCH_NAMESPACE","value":"iot-system"'))) }));
    const violations = verify(edited).flatMap((r) => r.violations).filter((v) => v.rule === 'iot-watched-namespace');
    expect(violations.map((v) => v.object).sort()).toEqual(['Deployment/iot-demo/edge-exporter', 'Deployment/iot-demo/field-echo', 'Deployment/iot-demo/hello-web']);
    expect(violations[0].message).toMatch(/is in namespace iot-demo, which no IoT operator watches \(watched: none\)/);
  });

  test('NATS is exposed by a LoadBalancer on 4222 with no pinned node port and a recorded reason', () => {
    const svc = byKind('Service').find((s) => s.spec.type === 'LoadBalancer');
    expect(svc.spec.ports).toEqual([{ name: 'client', port: 4222, targetPort: 'client', protocol: 'TCP' }]);
    expect(svc.metadata.annotations['policy.ops-kit.io/load-balancer']).toMatch(/device agents/);
  });

  test('the NATS load balancer admits only the device LAN, a private (RFC 1918) range, and the warnings say it is unauthenticated', () => {
    const svc = byKind('Service').find((s) => s.spec.type === 'LoadBalancer');
    expect(svc.spec.loadBalancerSourceRanges).toEqual([IOT_DEVICE_LAN_CIDR]);
    const [addr, prefix] = IOT_DEVICE_LAN_CIDR.split('/');
    const [a, b] = addr.split('.').map(Number);
    expect(a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)).toBe(true);
    expect(Number(prefix)).toBeGreaterThanOrEqual(8);
    expect(out.warnings).toEqual(expect.arrayContaining([
      expect.stringContaining(`admits only ${IOT_DEVICE_LAN_CIDR} (loadBalancerSourceRanges), still without client authentication`),
      expect.stringMatching(/desired-state KV bucket decides which image every device runs/),
    ]));
    expect(out.warnings.join('\n')).not.toMatch(/open to every source/);
  });

  test('the three deployments select devices by group and device labels and pass the CRD schema', () => {
    const validate = crdValidator(IOT_DEPLOYMENT_SCHEMA);
    for (const cr of crs) expect(validate(cr)).toEqual({ valid: true, errors: [] });
    const keys = new Set(
      crs.flatMap((cr) => [
        ...Object.keys(cr.spec.targetSelector.matchLabels ?? {}),
        ...(cr.spec.targetSelector.matchExpressions ?? []).map((e: any) => e.key),
      ]),
    );
    expect([...keys].sort()).toEqual(['device', 'group']);
  });

  test('every example workload maps a container port its image listens on with its stock configuration', () => {
    // What each pinned image serves with no config or args (the score passes image, ports and env only).
    const listens: Record<string, number[]> = {
      'docker.io/library/nginx:1.27.2-alpine': [80],
      'quay.io/prometheus/node-exporter:v1.8.2': [9100],
      'docker.io/traefik/whoami:v1.11.0': [80],
    };
    const hostPorts: number[] = [];
    for (const cr of crs) {
      const { image, ports } = cr.spec.score.data;
      expect({ image, known: image in listens }).toEqual({ image, known: true });
      expect(ports.length).toBeGreaterThan(0);
      for (const p of ports as string[]) {
        const [host, container] = p.split('/')[0].split(':').map(Number);
        expect({ image, container, listened: listens[image].includes(container) }).toEqual({ image, container, listened: true });
        // Rootless Podman on the device: host ports >= 1024.
        expect(host).toBeGreaterThanOrEqual(1024);
        hostPorts.push(host);
      }
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(crs.find((cr) => cr.metadata.name === 'field-echo').spec.score.data).toEqual({
      image: 'docker.io/traefik/whoami:v1.11.0',
      ports: ['8081:80'],
      env: [{ name: 'WHOAMI_NAME', value: 'field-echo' }],
    });
  });

  test('every deployment selects with matchLabels only: the operator (v0, per the seed) evaluates nothing else', () => {
    for (const cr of crs) {
      expect({ name: cr.metadata.name, keys: Object.keys(cr.spec.targetSelector) }).toEqual({ name: cr.metadata.name, keys: ['matchLabels'] });
      expect(Object.keys(cr.spec.targetSelector.matchLabels).length).toBeGreaterThan(0);
    }
    expect(out.warnings.join('\n')).not.toMatch(/matchExpressions/);
  });

  test('the operator is wired to the NATS Service and the declared buckets', () => {
    const op = byKind('Deployment', 'apps/v1')[0];
    const env = Object.fromEntries(op.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    const svc = byKind('Service').find((s) => s.spec.type === 'LoadBalancer');
    expect(env.NATS_URL).toBe(`nats://${svc.metadata.name}.iot-system.svc:4222`);
    expect(env.IOT_DESIRED_STATE_BUCKET).toBe('desired-state');
    expect(env.IOT_AGENT_STATUS_BUCKET).toBe('agent-status');
  });

  test('passes the verification layer; its one exception is the NATS load balancer, with the reason', () => {
    const report = verifyManifests(out.objects, { name: out.name });
    expect(report.violations).toEqual([]);
    const lb = byKind('Service').find((s) => s.spec.type === 'LoadBalancer');
    expect(report.exceptions).toEqual([{ object: `Service/iot-system/${lb.metadata.name}`, rule: 'load-balancer', reason: expect.stringMatching(/device agents/), used: true }]);
    expect(formatReport(report)).toContain(`Service/iot-system/${lb.metadata.name}  load-balancer: device agents`);
    expect(report.externals).toEqual([]);
  });

  test('JetStream keeps its store on a claim', () => {
    expect(byKind('StatefulSet')[0].spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('5Gi');
  });
});
