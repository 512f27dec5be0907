/**
 * Qdrant is not installable here (neither Debian nor npm ships the server), so its rendered env and arguments are
 * checked against Qdrant's documented behaviour: every config key can be set by an env variable `QDRANT__` + the key
 * path in upper case joined by `__` (`service.api_key` is QDRANT__SERVICE__API_KEY); REST listens on 6333, gRPC on
 * 6334, the cluster's p2p on 6335; `/livez` and `/readyz` answer without the API key; a cluster's first peer starts
 * with `--uri <its p2p URL>`, the others with `--bootstrap <first peer> --uri <own>`. The start script runs under a real
 * shell in test/integration/qdrant.test.ts.
 * @see https://qdrant.tech/documentation/guides/configuration/
 * @see https://qdrant.tech/documentation/guides/distributed_deployment/
 */
import { App, Size } from 'cdk8s';
import { sized } from '../../lib/core';
import { ExternalQdrant, QdrantAuth, QdrantServer, QdrantServerProps } from '../../lib/qdrant';
import { notesText } from '../../lib/release';
import { DemoWorkload, envOf, expectUpgradeKeepsClaims, newRelease, Obj, Template, violationsOf } from '../support';
import { ExternalPeer } from '../../lib/core';
const PEER = ExternalPeer.cidr({ cidrs: ['10.20.0.0/16'], reason: 'the provider network' });

const AUTH = QdrantAuth.apiKey({ name: 'qdrant-key', key: 'api-key' });

function render(props: Partial<QdrantServerProps> = {}): { server: QdrantServer; t: Template } {
  const r = newRelease();
  const server = new QdrantServer(r, 'Qdrant', { auth: AUTH, ...props });
  return { server, t: Template.fromRelease(r) };
}

/** The config key a QDRANT__ env variable sets, per Qdrant's documented mapping. */
function configKey(env: string): string {
  return env.replace(/^QDRANT__/, '').split('__').map((p) => p.toLowerCase()).join('.');
}

describe('QdrantServer defaults (one server)', () => {
  const { server, t } = render();
  const sts = t.find('StatefulSet');
  const c = t.container('StatefulSet', 'r-qdrant', 'qdrant');

  test('snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('a one-pod StatefulSet behind a ClusterIP Service with REST and gRPC, and its headless Service', () => {
    expect(t.ids()).toEqual(['NetworkPolicy/r-default-deny', 'NetworkPolicy/r-qdrant', 'Service/r-qdrant', 'Service/r-qdrant-headless', 'StatefulSet/r-qdrant']);
    expect(server.node.findChild('Resource')).toBe(server.statefulSet);
    expect(t.find('Service', 'r-qdrant').spec.ports.map((p: Obj) => [p.name, p.port, p.targetPort])).toEqual([['http', 6333, 'http'], ['grpc', 6334, 'grpc']]);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 6333 }, { name: 'grpc', containerPort: 6334 }]);
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
  });

  test('configured through QDRANT__ env that maps to the documented config keys; the API key is a Secret reference', () => {
    const env = envOf(c);
    expect(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('QDRANT__')).map(([k, v]) => [configKey(k), v]))).toEqual({
      'service.http_port': '6333',
      'service.grpc_port': '6334',
      'storage.storage_path': '/qdrant/storage',
      'storage.snapshots_path': '/qdrant/snapshots',
      telemetry_disabled: 'true',
      'service.api_key': { secretKeyRef: { name: 'qdrant-key', key: 'api-key' } },
    });
    expect(env.QDRANT_INIT_FILE_PATH).toBe('/qdrant/init/.qdrant-initialized');
    expect(sts.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/qdrant-key');
  });

  test('runs the pinned image as uid 1000 on a read-only root: storage on a kept claim, snapshots, init marker and /tmp on emptyDirs', () => {
    expect(c.image).toMatch(/^qdrant\/qdrant:v1\.\d+\.\d+$/);
    expect(c.command).toEqual(['./entrypoint.sh']);
    expect(c.workingDir).toBe('/qdrant');
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(sts.spec.volumeClaimTemplates.map((v: Obj) => [v.metadata.name, v.spec.resources.requests.storage, v.metadata.annotations])).toEqual([
      ['storage', '10Gi', { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' }],
    ]);
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'snapshots', emptyDir: { sizeLimit: '10Gi' } });
  });

  test('probes: /livez and /readyz on the REST port (no API key needed)', () => {
    expect([c.startupProbe.httpGet, c.livenessProbe.httpGet, c.readinessProbe.httpGet]).toEqual([
      { path: '/livez', port: 'http' }, { path: '/livez', port: 'http' }, { path: '/readyz', port: 'http' },
    ]);
  });

  test('the notes print the API key Secret command', () => {
    expect(notesText(t.rendered)).toContain('kubectl -n ns create secret generic qdrant-key --from-literal=api-key="$(openssl rand -hex 32)"');
  });
});

describe('QdrantServer cluster with GPU indexing', () => {
  const { t } = render({
    replicas: 3,
    gpu: { runtimeClassName: 'nvidia' },
    snapshots: { size: Size.gibibytes(20) },
    auth: QdrantAuth.apiKey({ name: 'qdrant-key', key: 'api-key' }, { readOnly: { name: 'qdrant-key', key: 'read-only' } }),
  });
  const sts = t.find('StatefulSet');
  const c = t.container('StatefulSet', 'r-qdrant', 'qdrant');

  test('custom snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('cluster mode: three pods started together, p2p on 6335 through the headless Service, one at a time down', () => {
    expect(sts.spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel', serviceName: 'r-qdrant-headless' });
    const env = envOf(c);
    expect([env.QDRANT__CLUSTER__ENABLED, env.QDRANT__CLUSTER__P2P__PORT, env.POD_NAME]).toEqual(['true', '6335', { fieldRef: { fieldPath: 'metadata.name' } }]);
    expect(t.find('Service', 'r-qdrant-headless').spec.ports.map((p: Obj) => p.name)).toEqual(['http', 'grpc', 'p2p']);
    expect(t.find('Service', 'r-qdrant').spec.ports.map((p: Obj) => p.name)).toEqual(['http', 'grpc']);
    expect(t.find('PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(t.connections).toEqual([expect.objectContaining({ purpose: 'Raft consensus and shard transfer', to: expect.objectContaining({ name: 'r-qdrant-headless', port: expect.objectContaining({ name: 'p2p' }) }) })]);
  });

  test('the first pod starts the cluster and the others bootstrap from it, by the pod DNS names of the headless Service', () => {
    const script: string = c.command[2];
    expect(c.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(script).toContain('self="http://${POD_NAME}.r-qdrant-headless.ns.svc.cluster.local:6335"');
    expect(script).toContain('exec ./entrypoint.sh --bootstrap "http://r-qdrant-0.r-qdrant-headless.ns.svc.cluster.local:6335" --uri "$self"');
    expect(sts.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('GPU: the GPU image variant, GPU indexing on, a GPU per server, the RuntimeClass', () => {
    expect(c.image).toMatch(/^qdrant\/qdrant:v1\.\d+\.\d+-gpu-nvidia$/);
    expect(envOf(c).QDRANT__GPU__INDEXING).toBe('true');
    expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(sts.spec.template.spec.runtimeClassName).toBe('nvidia');
  });

  test('the read-only API key and a snapshots claim', () => {
    expect(envOf(c).QDRANT__SERVICE__READ_ONLY_API_KEY).toEqual({ secretKeyRef: { name: 'qdrant-key', key: 'read-only' } });
    expect(sts.spec.volumeClaimTemplates.map((v: Obj) => v.metadata.name)).toEqual(['storage', 'snapshots']);
  });
});

describe('QdrantServer.connect', () => {
  function wired(props: Partial<QdrantServerProps>, connect: (q: QdrantServer, c: Parameters<QdrantServer['connect']>[0]) => void) {
    const app = new App();
    const r = newRelease({}, app);
    const q = new QdrantServer(r, 'Qdrant', { auth: AUTH, ...props });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => connect(q, c)] });
    return { app, t: Template.fromRelease(r) };
  }

  test('QDRANT_URL names the gRPC port of the rendered Service (semantic-explorer\'s chart named a Service it never rendered); the key as a Secret reference', () => {
    const { t, app } = wired({ replicas: 3 }, (q, c) => q.connect(c));
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({
      QDRANT_URL: 'http://r-qdrant.ns.svc:6334',
      QDRANT_API_KEY: { secretKeyRef: { name: 'qdrant-key', key: 'api-key' } },
    });
    expect(t.container('Deployment', 'web', 'wait-for-r-qdrant').args[0]).toContain('nc -z -w 2 r-qdrant.ns.svc 6334');
    expect(violationsOf(app)).toEqual([]);
  });

  test('REST and the read-only key on request', () => {
    const { t } = wired({ auth: QdrantAuth.apiKey({ name: 'k', key: 'rw' }, { readOnly: { name: 'k', key: 'ro' } }) }, (q, c) => q.connect(c, { protocol: 'http', readOnly: true, env: { url: 'VECTOR_DB_URL' } }));
    expect(envOf(t.container('Deployment', 'web', 'main'))).toEqual({ VECTOR_DB_URL: 'http://r-qdrant.ns.svc:6333', QDRANT_API_KEY: { secretKeyRef: { name: 'k', key: 'ro' } } });
  });

  test('fails when a client asks for the read-only key of a server without one', () => {
    expect(() => wired({}, (q, c) => q.connect(c, { readOnly: true }))).toThrow("'connect.readOnly' is true, but the server has no read-only API key; allowed: false, or a server with QdrantAuth.apiKey(key, { readOnly })");
  });
});

describe('ExternalQdrant', () => {
  test('Qdrant Cloud over TLS: an https gRPC URL from the declared endpoint', () => {
    const r = newRelease();
    const q = ExternalQdrant.of({ peer: PEER, url: 'https://xyz.eu-central.aws.cloud.qdrant.io', auth: AUTH });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [q] });
    const t = Template.fromRelease(r);
    expect(envOf(t.container('Deployment', 'web', 'main')).QDRANT_URL).toBe('https://xyz.eu-central.aws.cloud.qdrant.io:6334');
    expect(t.connections[0].to).toMatchObject({ type: 'external', host: 'xyz.eu-central.aws.cloud.qdrant.io', port: { name: 'grpc', port: 6334 } });
  });

  test('fails when the URL carries credentials or a port', () => {
    expect(() => ExternalQdrant.of({ peer: PEER, url: 'https://k:secret@q.example.com', auth: AUTH })).toThrow(/'url' is "https:\/\/<credentials>@q.example.com", but the API key belongs in auth/);
    expect(() => ExternalQdrant.of({ peer: PEER, url: 'https://q.example.com:6334', auth: AUTH })).toThrow("'url' is \"https://q.example.com:6334\", but the ports are httpPort and grpcPort; allowed: scheme and host only");
  });
});

describe('QdrantServer fails when', () => {
  test('fails when auth is missing, or none has no reason', () => {
    expect(() => new QdrantServer(newRelease(), 'Q', {} as any)).toThrow("'auth' is undefined, but credentials are never generated or defaulted; allowed: QdrantAuth.apiKey({ name, key }) of an operator-created Secret, or QdrantAuth.none({ reason })");
    expect(() => QdrantAuth.none({ reason: '' })).toThrow("'auth.none.reason' is \"\"; allowed: a non-empty reason why clients cannot send an API key");
  });

  test('fails when the server count is even or out of range', () => {
    expect(() => render({ replicas: 0 })).toThrow("'replicas' is 0, but it is below 1; allowed: 1, or an odd number from 3 to 15");
    expect(() => render({ replicas: 17 })).toThrow("'replicas' is 17, but it is above 15; allowed: 1, or an odd number from 3 to 15");
    for (const n of [2, 4]) {
      expect(() => render({ replicas: n })).toThrow(`'replicas' is ${n}, but a cluster agrees through Raft: an even count tolerates no more failures than the odd one below it; allowed: 1, or an odd number from 3 to 15`);
    }
  });

  test('fails when the GPU count, image or storage are wrong', () => {
    expect(() => render({ gpu: { count: 0 } })).toThrow("'gpu.count' is 0, but it is below 1; allowed: a whole number 1-8");
    expect(() => render({ image: 'qdrant/qdrant:latest' })).toThrow(/'image' is "qdrant\/qdrant:latest"/);
    expect(() => render({ storage: { size: Size.kibibytes(1) } })).toThrow("'storage.size' is \"1Ki\"; allowed: at least 1Mi");
  });
});

describe('QdrantServer upgrade matrix', () => {
  test('changing the server count, image or resources leaves the claims untouched and applies without a breaking change', () => {
    const base = render({ replicas: 3 }).t.objects;
    expect(expectUpgradeKeepsClaims(base, [
      ['replicas', render({ replicas: 5 }).t.objects],
      ['image', render({ replicas: 3, image: 'qdrant/qdrant:v1.14.0' }).t.objects],
      ['resources', render({ replicas: 3, resources: sized(1000, 4000, 4096, 4096) }).t.objects],
    ])).toEqual(['replicas', 'image', 'resources']);
  });
});
