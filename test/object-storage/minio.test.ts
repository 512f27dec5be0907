/**
 * MinIO is not installable here (neither Debian nor npm ships the server), so its rendered arguments are checked
 * against MinIO's documented behaviour: `minio server` with an `{x...y}` ellipsis expands to one URL per server, each a
 * pod DNS name the StatefulSet and its headless Service give; the root credentials are read from MINIO_ROOT_USER and
 * MINIO_ROOT_PASSWORD; `/minio/health/live` and `/minio/health/ready` are the liveness and readiness endpoints on the API
 * port; `mc` reads an alias from `MC_HOST_<alias>`, `mc ready` blocks until the deployment is ready, and
 * `mc mb --ignore-existing` creates a bucket only when it does not exist. The bucket Job's script runs under a real
 * shell with a stand-in `mc` in test/integration/object-storage.test.ts.
 * @see https://min.io/docs/minio/linux/reference/minio-server/minio-server.html
 * @see https://min.io/docs/minio/linux/reference/minio-mc.html
 */
import { ApiObject, JsonPatch, Size } from 'cdk8s';
import { sized } from '../../lib/core';
import { bucketScript, MinioServer, MinioServerProps } from '../../lib/object-storage';
import { notesText } from '../../lib/release';
import { envOf, expectUpgradeKeepsClaims, newRelease, Template } from '../support';

const ROOT = { secretName: 'minio-root' };

function render(props: Partial<MinioServerProps> = {}, buckets: string[] = ['files']): { server: MinioServer; t: Template } {
  const r = newRelease();
  const server = new MinioServer(r, 'Minio', { rootCredentials: ROOT, ...props });
  for (const b of buckets) server.addBucket(b);
  return { server, t: Template.fromRelease(r) };
}

/** MinIO's ellipsis expansion `{a...b}` (one level, as the server arguments use it). */
function expandEllipsis(arg: string): string[] {
  const m = /^(.*)\{(\d+)\.\.\.(\d+)\}(.*)$/.exec(arg);
  if (!m) return [arg];
  return Array.from({ length: Number(m[3]) - Number(m[2]) + 1 }, (_, i) => `${m[1]}${Number(m[2]) + i}${m[4]}`);
}

describe('MinioServer defaults (4 servers, distributed)', () => {
  const { server, t } = render();
  const sts = t.find('StatefulSet');
  const c = t.container('StatefulSet', 'r-minio', 'minio');

  test('snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('renders the API Service, the headless Service, the StatefulSet, a disruption budget and the bucket Job', () => {
    expect(t.ids()).toEqual([
      'Job/r-minio-buckets-' + server.jobName!.slice(-8), 'NetworkPolicy/r-default-deny', 'NetworkPolicy/r-minio',
      'NetworkPolicy/r-minio-buckets-' + server.jobName!.slice(-8), 'PodDisruptionBudget/r-minio', 'Service/r-minio', 'Service/r-minio-headless', 'StatefulSet/r-minio']);
    expect(server.node.findChild('Resource')).toBe(server.statefulSet);
    expect(sts.spec).toMatchObject({ replicas: 4, podManagementPolicy: 'Parallel', serviceName: 'r-minio-headless' });
    expect(t.find('PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  test('the server argument expands to exactly the DNS names of the four pods under the headless Service, one drive each', () => {
    const [cmd, drives, ...flags] = c.args;
    expect(cmd).toBe('server');
    const headless = t.find('Service', 'r-minio-headless');
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    const pods = Array.from({ length: sts.spec.replicas }, (_, i) => `${sts.metadata.name}-${i}`);
    expect(expandEllipsis(drives)).toEqual(pods.map((p) => `http://${p}.${headless.metadata.name}.ns.svc.cluster.local:9000/data`));
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(flags).toEqual(['--address', ':9000', '--console-address', ':9001', '--certs-dir', '/tmp/certs']);
    expect(c.ports).toEqual([{ name: 'api', containerPort: 9000 }, { name: 'console', containerPort: 9001 }]);
  });

  test('root credentials come from the Secret under the names MinIO reads; the health endpoints are MinIO\'s', () => {
    expect(envOf(c)).toEqual({
      MINIO_ROOT_USER: { secretKeyRef: { name: 'minio-root', key: 'rootUser' } },
      MINIO_ROOT_PASSWORD: { secretKeyRef: { name: 'minio-root', key: 'rootPassword' } },
    });
    expect([c.livenessProbe.httpGet, c.readinessProbe.httpGet]).toEqual([{ path: '/minio/health/live', port: 'api' }, { path: '/minio/health/ready', port: 'api' }]);
    expect(sts.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/minio-root');
  });

  test('runs as uid 1000 on a read-only root (certs and temp files on an emptyDir); each drive a kept claim', () => {
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.image).toMatch(/^quay\.io\/minio\/minio:RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({ metadata: { name: 'data', annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } }, spec: { resources: { requests: { storage: '10Gi' } } } });
  });

  test('the notes print the root Secret command and say the server count is fixed', () => {
    const notes = notesText(t.rendered);
    expect(notes).toContain('kubectl -n ns create secret generic minio-root --from-literal=rootUser="admin-$(openssl rand -hex 4)" --from-literal=rootPassword="$(openssl rand -hex 32)"');
    expect(notes).toContain('the number of servers is fixed once data is written');
  });
});

describe('MinioServer bucket Job', () => {
  const { server, t } = render({}, ['semantic-explorer-files', 'quickwit']);
  const job = t.find('Job');
  const c = job.spec.template.spec.containers[0];

  test('one Job creates every bucket, waiting for MinIO first, credentials only in the env', () => {
    expect(t.findAll('Job')).toHaveLength(1);
    expect(c.command).toEqual(['/bin/sh', '-c', bucketScript('http://r-minio.ns.svc:9000', server.buckets)]);
    const script: string = c.command[2];
    expect(script.split('\n').filter(Boolean)).toEqual([
      'set -eu',
      'export MC_HOST_target="http://${MINIO_ROOT_USER}:${MINIO_ROOT_PASSWORD}@r-minio.ns.svc:9000"',
      'mc ready target',
      'mc mb --ignore-existing target/semantic-explorer-files',
      'mc mb --ignore-existing target/quickwit',
    ]);
    expect(envOf(c)).toEqual({
      MINIO_ROOT_USER: { secretKeyRef: { name: 'minio-root', key: 'rootUser' } },
      MINIO_ROOT_PASSWORD: { secretKeyRef: { name: 'minio-root', key: 'rootPassword' } },
      MC_CONFIG_DIR: '/tmp/mc',
    });
    expect(c.image).toMatch(/^quay\.io\/minio\/mc:RELEASE\./);
    expect(job.spec).toMatchObject({ backoffLimit: 6, activeDeadlineSeconds: 900 });
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
  });

  test('the Job\'s name carries a hash of its spec: a new bucket is a new Job, never an edit of an immutable template', () => {
    const again = render({}, ['semantic-explorer-files', 'quickwit']).t.find('Job');
    const more = render({}, ['semantic-explorer-files', 'quickwit', 'extra']).t.find('Job');
    expect(again.metadata.name).toBe(job.metadata.name);
    expect(more.metadata.name).not.toBe(job.metadata.name);
    expect(job.metadata.name).toMatch(/^r-minio-buckets-[a-z0-9]{8}$/);
  });

  test('versioned buckets get versioning enabled; the Job connects to the API Service in the graph', () => {
    const r = newRelease();
    const m = new MinioServer(r, 'Minio', { rootCredentials: ROOT });
    m.addBucket('audit', { versioning: true });
    const x = Template.fromRelease(r);
    expect(x.find('Job').spec.template.spec.containers[0].command[2]).toContain('mc mb --ignore-existing target/audit\nmc version enable target/audit\n');
    expect(x.connections.map((cn) => [cn.purpose, cn.to.type === 'service' ? cn.to.name : ''])).toEqual([['distributed erasure sets', 'r-minio-headless'], ['create buckets', 'r-minio']]);
  });

  test('a JSON patch on the Job reaches the output', () => {
    const r = newRelease();
    const m = new MinioServer(r, 'Minio', { rootCredentials: ROOT });
    m.addBucket('files');
    ApiObject.of(m.job!).addJsonPatch(JsonPatch.add('/spec/ttlSecondsAfterFinished', 600));
    expect(Template.fromRelease(r).find('Job').spec.ttlSecondsAfterFinished).toBe(600);
  });

  test('no bucket, no Job', () => {
    const r = newRelease();
    new MinioServer(r, 'Minio', { rootCredentials: ROOT });
    expect(Template.fromRelease(r).findAll('Job')).toEqual([]);
  });
});

describe('MinioServer single server', () => {
  test('one server, one drive path, no disruption budget or peer edge', () => {
    const { t } = render({ replicas: 1, storage: { size: Size.gibibytes(100), storageClassName: 'fast' } });
    expect(t.container('StatefulSet', 'r-minio', 'minio').args.slice(0, 2)).toEqual(['server', '/data']);
    expect(t.has('PodDisruptionBudget', 'r-minio')).toBe(false);
    expect(t.find('StatefulSet').spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '100Gi' } } });
    expect(t.objects).toMatchSnapshot();
  });
});

describe('MinioServer fails when', () => {
  test('fails when the root credentials are missing: they are never generated', () => {
    expect(() => new MinioServer(newRelease(), 'M', {} as any)).toThrow("'rootCredentials' is undefined, but credentials are never generated or defaulted; allowed: { secretName } of an operator-created Secret");
  });

  test('fails when the server count cannot form an erasure set', () => {
    expect(() => render({ replicas: 17 })).toThrow("'replicas' is 17, but it is above 16; allowed: 1 (one drive, no redundancy) or 4-16 (distributed, erasure-coded)");
    for (const n of [2, 3]) {
      expect(() => render({ replicas: n })).toThrow(`'replicas' is ${n}, but MinIO erasure-codes objects over sets of 4 to 16 drives; allowed: 1 (one drive, no redundancy) or 4-16 (distributed, erasure-coded)`);
    }
  });

  test('fails when a bucket name is not an S3 name, or is added twice', () => {
    const m = new MinioServer(newRelease(), 'M', { rootCredentials: ROOT });
    expect(() => m.addBucket('Files')).toThrow(/'buckets.Files' is "Files"; allowed: a bucket name/);
    m.addBucket('files');
    expect(() => m.addBucket('files')).toThrow("'buckets.files' is \"files\"; allowed: a bucket name not added twice");
  });
});

describe('MinioServer upgrade matrix', () => {
  test('changing the image or resources leaves the claims untouched; so does the server count, which MinIO itself then refuses (see replicas)', () => {
    const base = render().t.objects;
    expect(expectUpgradeKeepsClaims(base, [
      ['replicas', render({ replicas: 8 }).t.objects],
      ['image', render({ image: 'quay.io/minio/minio:RELEASE.2024-05-01T01-11-10Z' }).t.objects],
      ['resources', render({ resources: sized(500, 4000, 2048, 4096) }).t.objects],
    ])).toEqual(['replicas', 'image', 'resources']);
  });

  test('the claims are not tied to the bucket list: adding a bucket only replaces the Job', () => {
    const before = render({}, ['a-bucket']).t.objects;
    const after = render({}, ['a-bucket', 'b-bucket']).t.objects;
    expect(expectUpgradeKeepsClaims(before, [['bucket', after]])).toEqual(['bucket']);
  });
});
