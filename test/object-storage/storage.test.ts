import { App, Size } from 'cdk8s';
import { PersistentClaim } from '../../lib/core';
import { GcsAuth, MinioServer, ObjectStorage, S3Auth } from '../../lib/object-storage';
import { notesText } from '../../lib/release';
import { DemoWorkload, envOf, newRelease, Obj, Template, violationsOf } from '../support';
import { ExternalPeer } from '../../lib/core';
const ANYWHERE = ExternalPeer.anywhere({ reason: 'the provider publishes no stable address range' });

const KEYS = S3Auth.keys({ secretName: 'blob-keys' });
const IRSA = S3Auth.workloadIdentity({ roleArn: 'arn:aws:iam::123456789012:role/eden-blobs' });

/** A client wired to `storage`, and the rendered release. */
function wired(storage: (scope: ReturnType<typeof newRelease>) => ObjectStorage, options: Parameters<ObjectStorage['connect']>[1] = {}) {
  const app = new App();
  const r = newRelease({}, app);
  const s = storage(r);
  const web = new DemoWorkload(r, 'Web', { name: 'web', connect: [(c) => s.connect(c, options)] });
  const t = Template.fromRelease(r);
  return { app, web, t, storage: s, main: t.container('Deployment', 'web', 'main'), pod: t.podSpec('Deployment', 'web') };
}

describe('ObjectStorage snapshots', () => {
  test('defaults snapshot: a client of a kept claim', () => {
    expect(wired((r) => ObjectStorage.file(new PersistentClaim(r, 'Blobs', { name: 'blobs', size: Size.gibibytes(10) }))).t.objects).toMatchSnapshot();
  });

  test('custom snapshot: clients of S3 with workload identity and GCS with a key file', () => {
    const app = new App();
    const r = newRelease({}, app);
    new DemoWorkload(r, 'A', { name: 'a', connect: [ObjectStorage.s3({ peer: ANYWHERE, bucket: 'eden-artifacts', region: 'eu-central-1', prefix: 'eden/', auth: IRSA })] });
    new DemoWorkload(r, 'B', { name: 'b', connect: [ObjectStorage.gcs({ peer: ANYWHERE, bucket: 'eden-artifacts', auth: GcsAuth.keyFile({ secretName: 'gcs-key' }) })] });
    expect(Template.fromRelease(r).objects).toMatchSnapshot();
    expect(violationsOf(app)).toEqual([]);
  });
});

describe('ObjectStorage.file', () => {
  test('mounts the kept claim where OBJECT_STORAGE_DIR points; no network connection', () => {
    const { main, pod, t, web, app } = wired((r) => ObjectStorage.file(new PersistentClaim(r, 'Blobs', { name: 'eden-blobs', size: Size.gibibytes(10) }), { mountPath: '/var/lib/eden/blob' }));
    expect(envOf(main)).toEqual({ OBJECT_STORAGE_DIR: '/var/lib/eden/blob' });
    expect(main.volumeMounts).toEqual([{ name: 'objects-eden-blobs', mountPath: '/var/lib/eden/blob' }]);
    expect(pod.volumes).toEqual([{ name: 'objects-eden-blobs', persistentVolumeClaim: { claimName: 'eden-blobs' } }]);
    expect(t.find('PersistentVolumeClaim', 'eden-blobs').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' });
    expect(web.wiring.connections).toEqual([]);
    expect(violationsOf(app)).toEqual([]);
  });

  test('read-only mounts and custom env names', () => {
    const { main, pod } = wired((r) => ObjectStorage.file(new PersistentClaim(r, 'Blobs', { name: 'b', size: Size.gibibytes(1) })), { readOnly: true, env: { dir: 'BLOB_DIR' } });
    expect(envOf(main)).toEqual({ BLOB_DIR: '/var/lib/objects' });
    expect(main.volumeMounts).toEqual([{ name: 'objects-b', mountPath: '/var/lib/objects', readOnly: true }]);
    expect(pod.volumes[0].persistentVolumeClaim).toEqual({ claimName: 'b', readOnly: true });
  });
});

describe('ObjectStorage.s3', () => {
  test('AWS S3 with keys: bucket, region and prefix env, keys as Secret references, an edge to the regional endpoint', () => {
    const { main, t, app } = wired(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'eden-artifacts', region: 'eu-central-1', prefix: 'eden/', auth: KEYS }));
    expect(envOf(main)).toEqual({
      S3_BUCKET_NAME: 'eden-artifacts', S3_PREFIX: 'eden/', AWS_REGION: 'eu-central-1', S3_FORCE_PATH_STYLE: 'false',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'blob-keys', key: 'AWS_ACCESS_KEY_ID' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'blob-keys', key: 'AWS_SECRET_ACCESS_KEY' } },
    });
    expect(t.connections[0].to).toMatchObject({ type: 'external', host: 's3.eu-central-1.amazonaws.com', port: { name: 'https', port: 443 } });
    expect(t.find('Deployment', 'web').metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/blob-keys');
    expect(t.has('ServiceAccount', 'web')).toBe(false);
    expect(violationsOf(app)).toEqual([]);
  });

  test('workload identity: no key anywhere, the pod runs under a ServiceAccount annotated with the IAM role', () => {
    const { main, pod, t, app } = wired(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'eden-artifacts', region: 'us-east-1', auth: IRSA }));
    expect(Object.keys(envOf(main))).toEqual(['S3_BUCKET_NAME', 'AWS_REGION', 'S3_FORCE_PATH_STYLE']);
    expect(t.find('ServiceAccount', 'web').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1', 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/eden-blobs' });
    expect(pod.serviceAccountName).toBe('web');
    expect(violationsOf(app)).toEqual([]);
  });

  test('an S3-compatible endpoint: AWS_ENDPOINT_URL built from the declared endpoint, path-style addressing', () => {
    const { main, t } = wired(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'media', endpointUrl: 'https://s3.eu-central-1.wasabisys.com', auth: KEYS }));
    expect(envOf(main)).toMatchObject({ AWS_ENDPOINT_URL: 'https://s3.eu-central-1.wasabisys.com', S3_FORCE_PATH_STYLE: 'true' });
    expect(t.connections[0].to).toMatchObject({ type: 'external', host: 's3.eu-central-1.wasabisys.com', port: { port: 443 } });
    const http = wired(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'media', endpointUrl: 'http://minio.storage.svc:9000', auth: KEYS, forcePathStyle: false }));
    expect(envOf(http.main)).toMatchObject({ AWS_ENDPOINT_URL: 'http://minio.storage.svc:9000', S3_FORCE_PATH_STYLE: 'false' });
  });

  test('consumers configured with arguments read the values from the handle', () => {
    const s = ObjectStorage.s3({ peer: ANYWHERE, bucket: 'b-1', region: 'eu-west-1', prefix: 'x/', auth: IRSA });
    expect([s.kind, s.bucket, s.region, s.prefix, s.description]).toEqual(['s3', 'b-1', 'eu-west-1', 'x/', 's3://b-1/x/']);
  });

  test('fails when the endpoint carries credentials, a path, or another scheme', () => {
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'media', endpointUrl: 'https://AKIA:secret@s3.example.com', auth: KEYS })).toThrow(
      "'storage.endpointUrl' is \"https://<credentials>@s3.example.com\", but the keys belong in auth: S3Auth.keys({ secretName }); allowed: a URL without credentials",
    );
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'media', endpointUrl: 'https://s3.example.com/media', auth: KEYS })).toThrow("'storage.endpointUrl' is \"https://s3.example.com/media\"; allowed: scheme, host and port only");
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'media', endpointUrl: 's3://x', auth: KEYS })).toThrow("'storage.endpointUrl' is \"s3://x\"; allowed: an http:// or https:// URL");
  });

  test('fails when the bucket, region, prefix or auth is wrong', () => {
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'My_Bucket', auth: KEYS })).toThrow(/'storage.bucket' is "My_Bucket"; allowed: a bucket name: 3-63 lowercase letters/);
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: '192.168.1.1', auth: KEYS })).toThrow(/'storage.bucket' is "192.168.1.1"/);
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'ok-bucket', region: 'Frankfurt', auth: KEYS })).toThrow("'storage.region' is \"Frankfurt\"; allowed: a region such as eu-central-1 or us-east-1");
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'ok-bucket', prefix: '/abs', auth: KEYS })).toThrow(/'storage.prefix' is "\/abs"/);
    expect(() => ObjectStorage.s3({ peer: ANYWHERE, bucket: 'ok-bucket' } as any)).toThrow("'storage.auth' is undefined, but exactly one auth path; credentials are never defaulted; allowed: S3Auth.workloadIdentity({ roleArn }) or S3Auth.keys({ secretName })");
    expect(() => S3Auth.workloadIdentity({ roleArn: 'eden-blobs' })).toThrow("'auth.roleArn' is \"eden-blobs\"; allowed: an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>");
    expect(() => S3Auth.keys({ secretName: 'k', accessKeyIdKey: 'same', secretAccessKeyKey: 'same' })).toThrow("'auth.secretAccessKeyKey' is \"same\"; allowed: a key other than the access key id's (same)");
  });

  test('fails when two storages need the pod\'s ServiceAccount annotated with different roles', () => {
    const other = S3Auth.workloadIdentity({ roleArn: 'arn:aws:iam::123456789012:role/other' });
    expect(() => {
      const r = newRelease();
      const a = ObjectStorage.s3({ peer: ANYWHERE, bucket: 'aaa', auth: IRSA });
      const b = ObjectStorage.s3({ peer: ANYWHERE, bucket: 'bbb', auth: other });
      new DemoWorkload(r, 'Web', { name: 'web', connect: [a, (c) => b.connect(c, { env: { bucket: 'OTHER_BUCKET', forcePathStyle: false } })] });
    }).toThrow(/object storage s3:\/\/bbb\/ and object storage s3:\/\/aaa\/ need the pod's ServiceAccount annotated differently/);
  });
});

describe('ObjectStorage.gcs', () => {
  test('a key file: mounted read-only where GOOGLE_APPLICATION_CREDENTIALS points, the Secret declared external', () => {
    const { main, pod, t, app } = wired(() => ObjectStorage.gcs({ peer: ANYWHERE, bucket: 'eden_artifacts', prefix: 'runs/', auth: GcsAuth.keyFile({ secretName: 'gcs-key', key: 'google-credentials.json' }) }));
    expect(envOf(main)).toEqual({ GCS_BUCKET_NAME: 'eden_artifacts', GCS_PREFIX: 'runs/', GOOGLE_APPLICATION_CREDENTIALS: '/var/run/secrets/gcs/gcs-key/key.json' });
    expect(main.volumeMounts).toEqual([{ name: 'gcs-key-gcs-key', mountPath: '/var/run/secrets/gcs/gcs-key', readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: 'gcs-key-gcs-key', secret: { secretName: 'gcs-key', items: [{ key: 'google-credentials.json', path: 'key.json' }] } }]);
    expect(t.connections[0].to).toMatchObject({ type: 'external', host: 'storage.googleapis.com', port: { port: 443 } });
    expect(violationsOf(app)).toEqual([]);
  });

  test('workload identity: a ServiceAccount annotated with the Google service account, no key', () => {
    const { main, t } = wired(() => ObjectStorage.gcs({ peer: ANYWHERE, bucket: 'eden-artifacts', auth: GcsAuth.workloadIdentity({ serviceAccount: 'eden-blobs@my-project.iam.gserviceaccount.com' }) }));
    expect(envOf(main)).toEqual({ GCS_BUCKET_NAME: 'eden-artifacts' });
    expect(t.find('ServiceAccount', 'web').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1', 'iam.gke.io/gcp-service-account': 'eden-blobs@my-project.iam.gserviceaccount.com' });
  });

  test('fails when the Google service account is not an email of iam.gserviceaccount.com', () => {
    expect(() => GcsAuth.workloadIdentity({ serviceAccount: 'eden@gmail.com' })).toThrow("'auth.serviceAccount' is \"eden@gmail.com\"; allowed: a Google service account email: <name>@<project>.iam.gserviceaccount.com");
    expect(() => ObjectStorage.gcs({ peer: ANYWHERE, bucket: 'ok-bucket', auth: KEYS as any })).toThrow(/'storage.auth' is .*allowed: GcsAuth.workloadIdentity/);
  });
});

describe('ObjectStorage.minio', () => {
  test('a bucket of a MinioServer: the endpoint URL from the connection to its Service, keys, a TCP wait, path-style', () => {
    const { main, t, app, web } = wired((r) => {
      const m = new MinioServer(r, 'Minio', { rootCredentials: { secretName: 'minio-root' } });
      return ObjectStorage.minio({ bucket: m.addBucket('files'), auth: m.rootKeys() });
    });
    expect(envOf(main)).toEqual({
      S3_BUCKET_NAME: 'files', AWS_ENDPOINT_URL: 'http://r-minio.ns.svc:9000', S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'minio-root', key: 'rootUser' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'minio-root', key: 'rootPassword' } },
    });
    expect((t.podSpec('Deployment', 'web').initContainers as Obj[]).map((c) => c.name)).toEqual(['wait-for-r-minio']);
    expect(web.wiring.connections.map((c) => [c.target.description, c.port.name])).toEqual([['Service ns/r-minio', 'api']]);
    expect(violationsOf(app)).toEqual([]);
  });

  test('fails when the bucket is not one the server creates, or the auth is workload identity', () => {
    expect(() => ObjectStorage.minio({ bucket: 'files' as any, auth: KEYS })).toThrow("'storage.bucket' is \"files\", but the bucket Job creates only the buckets it knows; allowed: a bucket from the server's addBucket(...)");
    const m = new MinioServer(newRelease(), 'Minio', { rootCredentials: { secretName: 'minio-root' } });
    expect(() => ObjectStorage.minio({ bucket: m.addBucket('files'), auth: IRSA })).toThrow(/'storage.auth' is .*allowed: S3Auth.keys\(\{ secretName \}\) \(MinIO has no workload identity\)/);
  });
});

describe('ObjectStorage notes', () => {
  test('the notes print the command that creates each keys Secret, once however many clients read it', () => {
    const r = newRelease();
    const s3 = ObjectStorage.s3({ peer: ANYWHERE, bucket: 'eden-artifacts', region: 'eu-central-1', auth: KEYS });
    const gcs = ObjectStorage.gcs({ peer: ANYWHERE, bucket: 'eden-media', auth: GcsAuth.keyFile({ secretName: 'gcs-key' }) });
    new DemoWorkload(r, 'A', { name: 'a', connect: [s3, gcs] });
    new DemoWorkload(r, 'B', { name: 'b', connect: [s3] });
    const notes = notesText(Template.fromRelease(r).rendered);
    const s3Line = "kubectl -n ns create secret generic blob-keys --from-literal=AWS_ACCESS_KEY_ID='<access key id>' --from-literal=AWS_SECRET_ACCESS_KEY='<secret access key>'";
    expect(notes).toContain('Object storage s3://eden-artifacts/ reads its access keys (issued by the provider) from Secret blob-keys, which the release never creates.');
    expect(notes.split(s3Line).length - 1).toBe(1);
    expect(notes).toContain("kubectl -n ns create secret generic gcs-key --from-file=key.json='<service account key>.json'");
  });

  test('workload identity and a MinIO bucket need no keys note (no Secret, or the server\'s notes name it)', () => {
    const r = newRelease();
    const minio = new MinioServer(r, 'Minio', { rootCredentials: { secretName: 'minio-root' } });
    new DemoWorkload(r, 'A', { name: 'a', connect: [ObjectStorage.s3({ peer: ANYWHERE, bucket: 'eden-b1', region: 'eu-central-1', auth: IRSA })] });
    new DemoWorkload(r, 'B', { name: 'b', connect: [ObjectStorage.minio({ bucket: minio.addBucket('files'), auth: minio.rootKeys() })] });
    const notes = notesText(Template.fromRelease(r).rendered);
    expect(notes).not.toContain('Object storage');
    expect(notes.match(/create secret generic minio-root /g)).toHaveLength(1);
  });
});
