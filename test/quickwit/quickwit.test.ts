/**
 * Quickwit is not installable here (neither Debian nor npm ships it), so its config and env are checked against
 * Quickwit 0.8's documented node configuration: `QW_CONFIG` names the file; `QW_NODE_ID`, `QW_CLUSTER_ID`,
 * `QW_ADVERTISE_ADDRESS`, `QW_PEER_SEEDS` override the file; gossip (chitchat) listens on the REST port number over UDP;
 * `QW_S3_ENDPOINT` and `AWS_*` configure S3 storage; `/health/livez` and `/health/readyz` answer on the REST port; the
 * OTLP gRPC ingest is served on the gRPC port when `indexer.enable_otlp_endpoint` is true.
 * @see https://quickwit.io/docs/configuration/node-config
 */
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { MinioServer, ObjectStorage, PostgresServer } from '../../lib';
import { Quickwit, QuickwitMetastore, QuickwitProps } from '../../lib/quickwit';
import { DemoWorkload, envOf, newRelease, Obj, Template } from '../support';

const ROOT = { secretName: 'minio-root' };
const PG_URL = { password: { name: 'pg-superuser', key: 'password' }, url: { name: 'pg-superuser', key: 'url' } };

function render(props: Partial<QuickwitProps> = {}, app = new App()) {
  const r = newRelease({}, app);
  const minio = new MinioServer(r, 'Minio', { rootCredentials: ROOT });
  const bucket = minio.addBucket('quickwit');
  const pg = new PostgresServer(r, 'Pg', { superuser: PG_URL });
  const qw = new Quickwit(r, 'Quickwit', {
    indexStorage: ObjectStorage.minio({ bucket, auth: minio.rootKeys() }),
    metastore: QuickwitMetastore.postgres(pg),
    ...props,
  });
  return { r, qw, minio, t: Template.fromRelease(r) };
}

describe('Quickwit defaults', () => {
  const { qw, t, r } = render();
  const sts = t.find('StatefulSet', 'r-quickwit');
  const c = t.container('StatefulSet', 'r-quickwit', 'quickwit');
  const env = envOf(c);
  const config = parse(t.find('ConfigMap', 'r-quickwit-config').data['quickwit.yaml']);

  test('snapshot', () => {
    expect(t.objectsOf(qw)).toMatchSnapshot();
  });

  test('2 nodes on 7280 (REST, gossip over UDP) and 7281 (gRPC, OTLP); the StatefulSet names its headless Service', () => {
    expect(sts.spec.replicas).toBe(2);
    expect(qw.node.findChild('Resource')).toBe(qw.statefulSet);
    expect(c.ports).toEqual([{ name: 'rest', containerPort: 7280 }, { name: 'grpc', containerPort: 7281 }, { name: 'gossip', containerPort: 7280, protocol: 'UDP' }]);
    expect(t.find('Service', 'r-quickwit').spec.ports.map((p: Obj) => [p.name, p.port])).toEqual([['rest', 7280], ['grpc', 7281]]);
    const headless = t.find('Service', sts.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.ports.map((p: Obj) => [p.name, p.port, p.protocol ?? 'TCP'])).toContainEqual(['gossip', 7280, 'UDP']);
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/health/livez', '/health/readyz']);
  });

  test('index storage in the MinIO bucket: QW_S3_ENDPOINT names the MinIO Service the release renders, keys are Secret references', () => {
    expect(config.default_index_root_uri).toBe('s3://quickwit/indexes');
    expect(config.indexer.enable_otlp_endpoint).toBe(true);
    expect(env.QW_S3_ENDPOINT).toBe('http://r-minio.ns.svc:9000');
    expect(t.find('Service', 'r-minio').spec.ports.map((p: Obj) => p.port)).toContain(9000);
    expect(env.AWS_ACCESS_KEY_ID).toEqual({ secretKeyRef: { name: 'minio-root', key: expect.any(String) } });
    expect(env.QW_CONFIG).toBe('/quickwit/config/quickwit.yaml');
  });

  test('the metastore is PostgreSQL: QW_METASTORE_URI from the login URL Secret key; no file metastore in the config', () => {
    expect(env.QW_METASTORE_URI).toEqual({ secretKeyRef: { name: 'pg-superuser', key: 'url' } });
    expect(config.metastore_uri).toBeUndefined();
  });

  test('peers: seeds are the pods under the headless Service; every edge is in the graph', () => {
    expect(env.QW_PEER_SEEDS).toBe('r-quickwit-0.r-quickwit-headless.ns.svc.cluster.local:7280,r-quickwit-1.r-quickwit-headless.ns.svc.cluster.local:7280');
    expect(env.QW_ADVERTISE_ADDRESS).toBe('$(POD_NAME).r-quickwit-headless.ns.svc.cluster.local');
    const mine = t.connections.filter((x) => x.from.type === 'workload' && x.from.path.endsWith('/Quickwit'));
    expect(mine.map((x) => `${(x.to as Obj).name}:${x.to.port.name}`).sort()).toEqual(['r-minio:api', 'r-postgres:postgres', 'r-quickwit-headless:gossip', 'r-quickwit-headless:grpc']);
    void r;
  });

  test('an OTLP sender connects to the gRPC port through otlpTarget; a reader gets QUICKWIT_URL', () => {
    const { r: r2, qw: q2 } = render();
    new DemoWorkload(r2, 'Reader', { name: 'reader', connect: [(b) => { q2.connectRest(b); b.connect(q2.otlpTarget.endpoint, q2.otlpTarget.port); }] });
    const t2 = Template.verified(r2);
    expect(envOf(t2.container('Deployment', 'reader', 'main')).QUICKWIT_URL).toBe('http://r-quickwit.ns.svc:7280');
  });
});

describe('Quickwit custom', () => {
  test('one node with the file-backed metastore next to the indexes under a prefix', () => {
    const r = newRelease();
    const minio = new MinioServer(r, 'Minio', { rootCredentials: ROOT });
    const qw = new Quickwit(r, 'Q', { name: 'search', replicas: 1, indexStorage: ObjectStorage.minio({ bucket: minio.addBucket('logs'), prefix: 'qw', auth: minio.rootKeys() }) });
    const t = Template.fromRelease(r);
    const config = parse(t.find('ConfigMap', 'search-config').data['quickwit.yaml']);
    expect(config.metastore_uri).toBe('s3://logs/qw/metastore');
    expect(config.default_index_root_uri).toBe('s3://logs/qw/indexes');
    expect(qw.replicas).toBe(1);
    expect(t.objectsOf(qw)).toMatchSnapshot();
  });
});

describe('Quickwit fails', () => {
  test('fails when two nodes would share the file-backed metastore', () => {
    expect(() => render({ metastore: QuickwitMetastore.objectStorage() })).toThrow(/'metastore' is "QuickwitMetastore.objectStorage\(\)".*one writer; allowed: QuickwitMetastore.postgres\(server\), or replicas: 1/s);
  });
  test('fails when two nodes have no metastore', () => {
    expect(() => render({ metastore: undefined })).toThrow(/'metastore' is undefined.*QuickwitMetastore.postgres/s);
  });
  test('fails when the index storage is not S3', () => {
    const r = newRelease();
    expect(() => new Quickwit(r, 'Q', { replicas: 1, indexStorage: 'bucket' as never })).toThrow(/'indexStorage'.*ObjectStorage.s3/s);
  });
  test('fails when replicas is 0', () => {
    expect(() => render({ replicas: 0 })).toThrow(/'replicas' is 0/);
  });
});

