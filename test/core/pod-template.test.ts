import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { ClientBinding, EnvBuilder, HostForm, IConnectable, Placement, PodWiring, renderPodTemplate, SecurityProfile, selectorLabels, sized, WaitFor, WorkloadConstruct } from '../../lib/core';
import { Release } from '../../lib/release';
import { DemoWorkload } from '../support';

class Pods extends WorkloadConstruct {
  public readonly selector = selectorLabels({ name: 'pods', instance: 'r' });
  constructor(scope: Construct, id: string) {
    super(scope, id);
  }
}

/** A pod whose main container connects to `connectionsTo(server)` before it is built, as every block does. */
function setup(account?: { annotations?: Record<string, string> }, connectionsTo: (server: DemoWorkload) => IConnectable[] = () => []) {
  const release = new Release(new App(), 'r', { namespace: 'ns' });
  const server = new DemoWorkload(release, 'Server', { name: 'server', service: [{ name: 'http', port: 80, targetPort: 'http' }] });
  const pods = new Pods(release, 'Pods');
  const wiring = new PodWiring(pods);
  const env = new EnvBuilder('Pods container main').user({ MODE: 'fast' }, 'env');
  const client = wiring.container('main', env);
  for (const c of connectionsTo(server)) c.connect(client);
  const rendered = renderPodTemplate(pods, {
    name: 'pods',
    prop: 'pods',
    labels: pods.selector,
    podAnnotations: { 'checksum/config': 'abc' },
    containers: [{ name: 'main', image: 'nginx:1.27.2', env, resources: sized(10, 100, 16, 64), volumeMounts: client.volumeMounts }],
    wiring,
    security: SecurityProfile.restricted(),
    placement: Placement.of(pods).forWorkload(),
    account,
    externalRefs: [{ kind: 'Secret', name: 'given' }],
  });
  return { release, server, pods, wiring, rendered };
}

const viaServer = (server: DemoWorkload): IConnectable => ({
  connect(client: ClientBinding) {
    const c = client.connect(server.endpoint!, 'http');
    client.setEnv('SERVER_URL', c.url('http', { form: HostForm.FQDN }), c.envHint()).addWait(WaitFor.service(server.endpoint!)).addExternalRef({ kind: 'Secret', name: 'server-ca' });
  },
});

describe('renderPodTemplate', () => {
  test('renders what the connections gathered: env, wait, RBAC for the wait bound to the pod account, external refs', () => {
    const { rendered, wiring } = setup(undefined, (server) => [viaServer(server)]);
    const spec = rendered.template.spec!;
    expect(spec.containers[0].env).toEqual([{ name: 'SERVER_URL', value: 'http://server.ns.svc.cluster.local' }, { name: 'MODE', value: 'fast' }]);
    expect(spec.initContainers!.map((c) => c.name)).toEqual(['wait-for-server']);
    expect(rendered.access).toBeDefined();
    expect(spec.serviceAccountName).toBe('pods');
    expect(spec.automountServiceAccountToken).toBe(true);
    expect(rendered.workloadAnnotations!['refs.ops-kit.io/external']).toBe('Secret/given,Secret/server-ca');
    // The server, and the wait's read of the API (which the pods' NetworkPolicy must allow).
    expect(wiring.connections.map((c) => c.purpose)).toEqual([undefined, 'init container wait-for-server reads the API']);
  });

  test('without waits: no account, no token, the pod annotations as given', () => {
    const { rendered } = setup();
    expect(rendered.access).toBeUndefined();
    expect(rendered.serviceAccount).toBeUndefined();
    expect(rendered.template.spec!.serviceAccountName).toBeUndefined();
    expect(rendered.template.spec!.automountServiceAccountToken).toBe(false);
    expect(rendered.template.metadata!.annotations).toEqual({ 'checksum/config': 'abc' });
  });

  test('account annotations (workload identity) render the account even without waits, its token unmounted', () => {
    const { rendered } = setup({ annotations: { 'iam.gke.io/gcp-service-account': 'ml@proj.iam.gserviceaccount.com' } });
    expect(rendered.serviceAccount).toBeDefined();
    expect(rendered.access).toBeUndefined();
    expect(rendered.template.spec!.serviceAccountName).toBe('pods');
    expect(rendered.template.spec!.automountServiceAccountToken).toBe(false);
    expect(rendered.serviceAccount!.toJson().metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'ml@proj.iam.gserviceaccount.com' });
  });

  test('fails when a connection owns an env key the user set, naming the connection', () => {
    const c: IConnectable = { connect: (b) => void b.setEnv('MODE', 'slow', { controlledBy: 'the connection to X' }) };
    expect(() => setup(undefined, () => [c])).toThrow(/'env.MODE' is "fast", but MODE is owned by Pods container main \(it is set to "slow" from the connection to X\)/);
  });

  test('fails when an account annotation key is invalid', () => {
    expect(() => setup({ annotations: { 'bad key': 'x' } })).toThrow(/'pods.serviceAccount.annotations' is "bad key"/);
  });
});
