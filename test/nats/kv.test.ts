import { Duration, Size } from 'cdk8s';
import {
  kvStreamConfig, NATS_BOX_IMAGE, NatsAuth, NatsTls, NatsKvBucketSettings, NatsKvStorage, NatsKvTtl, NatsPersistence, NatsServer, NatsServerProps,
} from '../../lib/nats';
import { NATS_BOX_IMAGE as EXPORTED_BOX_IMAGE, kvStreamConfig as exportedConfig } from '../../lib';
import { kvBucketScript } from '../../lib/nats/kv';
import { RenderedRelease } from '../../lib/release';
import { findObject, synthIn } from '../support';

const settings = (s: Partial<NatsKvBucketSettings> = {}): NatsKvBucketSettings => ({
  history: 3,
  ttl: NatsKvTtl.after(Duration.hours(1)),
  maxValueSize: Size.kibibytes(8),
  maxBucketSize: Size.mebibytes(64),
  ...s,
});

const addOrders = (s: NatsServer) => s.addKeyValueBucket('orders', 'order state by id', settings());

function render(props: NatsServerProps = {}, add: (s: NatsServer) => void = addOrders): { server: NatsServer; out: RenderedRelease } {
  const { construct: server, template } = synthIn((r) => {
    const s = new NatsServer(r, 'Nats', props);
    add(s);
    return s;
  });
  return { server, out: template.rendered };
}

const find = (out: RenderedRelease, kind: string, name?: string) => findObject(out.objects, kind, name);

describe('KV bucket settings', () => {
  test('a bucket with settings carries its resolved limits, and kvStreamConfig is the stream a KV client would create', () => {
    const { server } = render();
    const b = server.buckets[0];
    expect(b.limits).toEqual({ history: 3, ttl: expect.any(NatsKvTtl), maxValueBytes: 8192, maxBucketBytes: 64 * 1024 * 1024,
      replicas: 1, storage: NatsKvStorage.FILE });
    expect(kvStreamConfig(b)).toEqual({
      name: 'KV_orders', description: 'order state by id', subjects: ['$KV.orders.>'], retention: 'limits', max_consumers: -1, max_msgs: -1,
      max_bytes: 64 * 1024 * 1024, max_age: 3600e9, max_msgs_per_subject: 3, max_msg_size: 8192, discard: 'new', storage: 'file', num_replicas: 1,
      duplicate_window: 120e9, allow_rollup_hdrs: true, deny_delete: true, deny_purge: false, allow_direct: true, mirror_direct: false,
    });
    expect(exportedConfig).toBe(kvStreamConfig);
    expect(EXPORTED_BOX_IMAGE).toBe(NATS_BOX_IMAGE);
  });

  test('no TTL renders max_age 0; a TTL under 2 minutes shortens the duplicate window to it', () => {
    const { server } = render({}, (s) => {
      s.addKeyValueBucket('a', 'x', settings({ ttl: NatsKvTtl.none({ reason: 'kept until deleted' }) }));
      s.addKeyValueBucket('b', 'y', settings({ ttl: NatsKvTtl.after(Duration.seconds(30)) }));
    });
    expect(kvStreamConfig(server.buckets[0])).toMatchObject({ max_age: 0, duplicate_window: 120e9 });
    expect(kvStreamConfig(server.buckets[1])).toMatchObject({ max_age: 30e9, duplicate_window: 30e9 });
    expect(String(server.buckets[0].limits!.ttl)).toBe('none');
    expect(String(NatsKvTtl.after(Duration.hours(24)))).toBe('1d');
  });

  test('replicas default to 3 in a cluster, 1 on a single server; memory storage is rendered', () => {
    const { server } = render({ cluster: { replicas: 5 } }, (s) => {
      s.addKeyValueBucket('a', 'x', settings());
      s.addKeyValueBucket('b', 'y', settings({ replicas: 5, storage: NatsKvStorage.MEMORY, maxBucketSize: Size.mebibytes(8) }));
    });
    expect(kvStreamConfig(server.buckets[0])).toMatchObject({ num_replicas: 3, storage: 'file' });
    expect(kvStreamConfig(server.buckets[1])).toMatchObject({ num_replicas: 5, storage: 'memory' });
  });

  test('a bucket without settings is left to its first client: no Job', () => {
    const { server, out } = render({}, (s) => s.addKeyValueBucket('orders', 'order state'));
    expect(server.buckets[0].limits).toBeUndefined();
    expect(server.kvBucketJob).toBeUndefined();
    expect(out.objects.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(() => kvStreamConfig(server.buckets[0])).toThrow(/'buckets.orders' is "orders".*a bucket without settings is created by its first client; allowed: a bucket declared with settings/);
  });

  const fails = (s: Partial<NatsKvBucketSettings>, props: NatsServerProps = {}) => () => render(props, (srv) => srv.addKeyValueBucket('orders', 'x', settings(s)));

  test('fails when history is outside 1-64', () => {
    expect(fails({ history: 0 })).toThrow(/'buckets.orders.history' is 0.*allowed: revisions kept per key, 1-64/);
    expect(fails({ history: 65 })).toThrow(/'buckets.orders.history' is 65.*allowed: revisions kept per key, 1-64/);
  });

  test('fails when the TTL is not a whole number of seconds, or none has no reason', () => {
    expect(() => NatsKvTtl.after(Duration.millis(1500))).toThrow(/'ttl' is "1.5s".*allowed: a whole number of seconds 1-/);
    expect(() => NatsKvTtl.none({ reason: ' ' })).toThrow(/'ttl.none.reason' is " ".*allowed: a non-empty reason why values never expire/);
    expect(fails({ ttl: Duration.hours(1) as unknown as NatsKvTtl })).toThrow(/'buckets.orders.ttl' is .*allowed: NatsKvTtl.after\(Duration\) or NatsKvTtl.none\(\{ reason \}\)/);
  });

  test('fails when the value size exceeds the server\'s maxPayload', () => {
    expect(fails({ maxValueSize: Size.mebibytes(2) })).toThrow(/'buckets.orders.maxValueSize' is "2MiB", but a value is one message.*allowed: 1KiB to the server's maxPayload \(1MiB\)/);
  });

  test('fails when the bucket cannot hold one key at its largest', () => {
    expect(fails({ maxBucketSize: Size.kibibytes(16) })).toThrow(/'buckets.orders.maxBucketSize' is "16KiB".*allowed: at least maxValueSize x history \(24KiB\)/);
  });

  test('fails when replicas exceed the servers', () => {
    expect(fails({ replicas: 3 })).toThrow(/'buckets.orders.replicas' is 3.*allowed: 1 \(the server is a single node\)/);
    expect(fails({ replicas: 5 }, { cluster: { replicas: 3 } })).toThrow(/'buckets.orders.replicas' is 5.*allowed: 1 to 3 \(the cluster has 3 servers\)/);
  });

  test('fails when the storage type is not file or memory', () => {
    expect(fails({ storage: 'disk' as NatsKvStorage })).toThrow(/'buckets.orders.storage' is "disk".*allowed: NatsKvStorage.FILE or NatsKvStorage.MEMORY/);
  });

  test('fails when the buckets do not fit the JetStream store together, naming what the others reserve', () => {
    // The default store: a 1 GiB emptyDir, 90% of it for file streams (921 MiB).
    const add = (s: NatsServer) => {
      s.addKeyValueBucket('a', 'x', settings({ maxBucketSize: Size.mebibytes(600) }));
      s.addKeyValueBucket('b', 'y', settings({ maxBucketSize: Size.mebibytes(400) }));
    };
    expect(() => render({}, add)).toThrow(/'buckets.b.maxBucketSize' is "400MiB", but JetStream reserves each bucket's size.*raise jetstreamLimits.maxFileStore.*allowed: at most 321MiB: the file store holds 921MiB, of which a reserves 600MiB/);
    expect(() => render({ persistence: NatsPersistence.volume({ size: Size.gibibytes(2) }) }, add)).not.toThrow();
  });

  test('fails when the description is empty', () => {
    expect(() => render({}, (s) => s.addKeyValueBucket('a', ' ', settings()))).toThrow(/'buckets.a.description' is " ".*allowed: a non-empty description of at most 1024 characters/);
  });
});

describe('the bucket Job', () => {
  const { server, out } = render({ syncWave: -2 });
  const job = find(out, 'Job');
  const pod = job.spec.template.spec;
  const c = pod.containers[0];
  const cm = find(out, 'ConfigMap', 'r-nats-kv');

  test('runs the pinned nats-box image non-root, read-only, with requests and limits, never restarting a failed pod in place', () => {
    expect(c.image).toBe('natsio/nats-box:0.19.7-nonroot');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
    expect(pod.restartPolicy).toBe('Never');
    expect(job.spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 600 });
    expect(c.env).toEqual([{ name: 'HOME', value: '/tmp' }, { name: 'NATS_URL', value: 'nats://r-nats.ns.svc:4222' }]);
  });

  test('waits for the client port, then runs the script ConfigMap; both in the server\'s sync wave', () => {
    expect(pod.initContainers.map((i: any) => i.name)).toEqual(['wait-for-r-nats']);
    expect(c.command).toEqual(['/bin/sh', '/etc/nats-kv/buckets.sh']);
    expect(cm.data['buckets.sh']).toBe(kvBucketScript(server.buckets));
    expect(job.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
    expect(cm.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
  });

  test('the script sends each bucket\'s exact stream config to STREAM.CREATE, and STREAM.UPDATE only on error 10058', () => {
    const script: string = cm.data['buckets.sh'];
    expect(script).toContain(`bucket 'orders' '${JSON.stringify(kvStreamConfig(server.buckets[0]))}'`);
    expect(script).toContain('nats request --raw "\\$JS.API.STREAM.CREATE.KV_$1" "$2"');
    expect(script).toContain('*\'"err_code":10058\'*) ;;');
    expect(script).toContain('nats request --raw "\\$JS.API.STREAM.UPDATE.KV_$1" "$2"');
    expect(script.startsWith('set -eu\n')).toBe(true);
  });

  test('the Job\'s name carries a hash of its script: other settings, another Job; the same settings, the same name', () => {
    expect(job.metadata.name).toBe(server.kvBucketJobName);
    expect(job.metadata.name).toMatch(/^r-nats-kv-[a-z0-9]{8}$/);
    const again = render({ syncWave: -2 }).out;
    expect(find(again, 'Job').metadata.name).toBe(job.metadata.name);
    const other = render({ syncWave: -2 }, (s) => s.addKeyValueBucket('orders', 'order state by id', settings({ history: 4 }))).out;
    expect(find(other, 'Job').metadata.name).not.toBe(job.metadata.name);
  });

  test('its connection to NATS is in the wiring graph, so the NetworkPolicies admit it', () => {
    const natsPolicy = find(out, 'NetworkPolicy', 'r-nats');
    const from = natsPolicy.spec.ingress.flatMap((r: any) => (r.from ?? []).map((f: any) => f.podSelector?.matchLabels?.['app.kubernetes.io/component']));
    expect(from).toContain('r-nats-kv');
    const jobPolicy = find(out, 'NetworkPolicy', job.metadata.name);
    expect(jobPolicy.spec.egress.some((r: any) => r.ports?.[0]?.port === 4222)).toBe(true);
  });

  test('a quote in a description stays one shell word', () => {
    const script = kvBucketScript(render({}, (s) => s.addKeyValueBucket('a', "the operator's state", settings())).server.buckets);
    expect(script).toContain("the operator'\\''s state");
  });

  test('users auth: NATS_USER and NATS_PASSWORD from the Secret, as the nats CLI reads them', () => {
    const users = NatsAuth.users([{ user: 'kv', password: { name: 'nats-kv', key: 'password' } }]);
    const { out: o } = render({ auth: users });
    const env = find(o, 'Job').spec.template.spec.containers[0].env;
    expect(env).toEqual(expect.arrayContaining([
      { name: 'NATS_USER', value: 'kv' },
      { name: 'NATS_PASSWORD', valueFrom: { secretKeyRef: { name: 'nats-kv', key: 'password' } } },
    ]));
  });

  test('token auth: the token in NATS_USER (the nats CLI\'s "username or token")', () => {
    const { out: o } = render({ auth: NatsAuth.token({ name: 'nats-token', key: 'token' }) });
    const env = find(o, 'Job').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'NATS_USER', valueFrom: { secretKeyRef: { name: 'nats-token', key: 'token' } } });
  });

  test('TLS: a tls:// URL and the CA bundle mounted where NATS_CA points, for the Job and a client\'s bucket wait', () => {
    const { out: o } = render({ tls: NatsTls.fromSecret({ secretName: 'nats-tls' }) });
    const jc = find(o, 'Job').spec.template.spec.containers[0];
    const ca = jc.env.find((e: any) => e.name === 'NATS_CA').value;
    expect(jc.env.find((e: any) => e.name === 'NATS_URL').value).toBe('tls://r-nats.ns.svc:4222');
    expect(jc.volumeMounts.some((m: any) => ca.startsWith(`${m.mountPath}/`))).toBe(true);
    const vol = find(o, 'Job').spec.template.spec.volumes.find((v: any) => v.secret?.secretName === 'nats-tls');
    expect(vol.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
  });

  test('fails when the server authenticates by nkey (the CLI reads a seed only from a file)', () => {
    expect(() => render({ auth: NatsAuth.nkeys([`U${'A'.repeat(55)}`]) })).toThrow(/'kvJob' is "NatsAuth.nkeys\(...\)", but the bucket Job's nats CLI reads an nkey seed only from a file.*allowed: token or users authentication/);
  });

  test('fails when kvJob.urlSecret is set and the server authenticates no client', () => {
    expect(() => render({ kvJob: { urlSecret: { name: 's', key: 'url' } } })).toThrow(/'kvJob.urlSecret' is \{"name":"s","key":"url"\}, but the server authenticates no client.*allowed: unset unless the server authenticates by token or users/);
  });

  test('fails when kvJob.image is not pinned', () => {
    expect(() => render({ kvJob: { image: 'natsio/nats-box:latest' } })).toThrow(/'kvJob.image'/);
  });
});
