import { App, Size } from 'cdk8s';
import { ServiceEndpoint } from '../../lib/core/endpoint';
import {
  assertSecretKey, claimTemplate, ClientBinding, EnvBuilder, PersistentClaim, PodWiring, SecretCommands, secretKeyEnv, WaitFor,
} from '../../lib/core';
import { Release, renderRelease } from '../../lib/release';
import { DemoWorkload, newRelease, Template } from '../support';

describe('SecretKey: a key of an operator-created Secret', () => {
  test('a valid reference passes and becomes a secretKeyRef', () => {
    expect(assertSecretKey('db.password', { name: 'app-db', key: 'pass.word_1' })).toEqual({ name: 'app-db', key: 'pass.word_1' });
    expect(secretKeyEnv({ name: 'app-db', key: 'password' }).valueFrom).toEqual({ secretKeyRef: { name: 'app-db', key: 'password' } });
  });

  test('fails when the reference is missing: credentials are never generated', () => {
    expect(() => assertSecretKey('db.password', undefined)).toThrow(
      "'db.password' is undefined, but credentials are never generated or defaulted; allowed: { name, key } of a Secret an operator creates",
    );
  });

  test('fails when the name or key is not one Kubernetes accepts', () => {
    expect(() => assertSecretKey('db.password', { name: 'App_DB', key: 'p' })).toThrow(/'db.password.name' is "App_DB"/);
    expect(() => assertSecretKey('db.password', { name: 'app', key: 'a/b' })).toThrow("'db.password.key' is \"a/b\"; allowed: a Secret key: letters, digits, '-', '_' and '.', at most 253 characters");
  });
});

describe('SecretCommands: the commands the notes print', () => {
  test('variables first, then one create command per Secret with all its keys, first expression per key winning', () => {
    const c = new SecretCommands()
      .variable('PW', '"$(openssl rand -hex 32)"')
      .literal({ name: 'db', key: 'password' }, '"$PW"')
      .literal({ name: 'db', key: 'url' }, '"postgresql://u:$PW@h/d"')
      .literal({ name: 'db', key: 'password' }, 'ignored')
      .file({ name: 'ca', key: 'ca.crt' }, './ca bundle.pem');
    expect(c.render('ns')).toEqual([
      'PW="$(openssl rand -hex 32)"',
      'kubectl -n ns create secret generic db --from-literal=password="$PW" --from-literal=url="postgresql://u:$PW@h/d"',
      "kubectl -n ns create secret generic ca --from-file=ca.crt='./ca bundle.pem'",
    ]);
    expect(c.names).toEqual(['db', 'ca']);
  });

  test('fails when a variable is set twice to different expressions, or is not a shell name', () => {
    const c = new SecretCommands().variable('PW', 'a');
    expect(() => c.variable('PW', 'b')).toThrow("'secretCommands.PW' is \"b\"; allowed: one expression per variable (already a)");
    expect(() => c.variable('pw', 'a')).toThrow("'secretCommands.variable' is \"pw\"; allowed: an upper-case shell variable name");
  });
});

describe('claims', () => {
  test('a claim template is ReadWriteOnce with the Argo CD keep-state options (no Helm policy: Helm never owns template claims)', () => {
    const t = claimTemplate('data', { size: Size.gibibytes(5), storageClassName: 'fast' }, { a: 'b' });
    expect(t.metadata).toEqual({ name: 'data', labels: { a: 'b' }, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } });
    expect(t.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast' });
    expect(t.spec!.resources!.requests!.storage.value).toBe('5Gi');
  });

  test('PersistentClaim renders a claim kept by Argo CD and Helm, and the volume that mounts it', () => {
    const r = newRelease();
    const claim = new PersistentClaim(r, 'Blobs', { name: 'blobs', size: Size.gibibytes(10) });
    expect(Template.fromRelease(r).find('PersistentVolumeClaim', 'blobs')).toEqual({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: { name: 'blobs', namespace: 'ns', annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    });
    expect(claim.node.findChild('Resource')).toBe(claim.claim);
    expect(claim.volume('blob')).toEqual({ name: 'blob', persistentVolumeClaim: { claimName: 'blobs' } });
  });

  test('fails when a claim is too small, has a bad access mode or class', () => {
    expect(() => new PersistentClaim(newRelease(), 'C', { name: 'c', size: Size.kibibytes(4) })).toThrow("'claim.size' is \"4Ki\"; allowed: at least 1Mi");
    expect(() => new PersistentClaim(newRelease(), 'C', { name: 'c', size: Size.gibibytes(1), accessModes: ['ReadWriteAll' as any] })).toThrow(/'claim.accessModes' is "ReadWriteAll"/);
    expect(() => new PersistentClaim(newRelease(), 'C', { name: 'c', size: Size.gibibytes(1), storageClassName: 'Fast SSD' })).toThrow(/'claim.storageClassName' is "Fast SSD"/);
  });
});

describe('WaitFor.tcp', () => {
  test('waits with nc -z on a pinned busybox, needs no API access, and names itself after what it waits for', () => {
    const w = WaitFor.tcp({ name: 'cache', host: 'cache.ns.svc', port: 6379 });
    expect(w).toEqual({
      name: 'wait-for-cache', image: 'busybox:1.36.1', command: ['sh', '-c'],
      args: ['until nc -z -w 2 cache.ns.svc 6379; do echo waiting for cache.ns.svc:6379; sleep 2; done'], rules: [],
    });
    expect(WaitFor.tcp({ name: 'x', host: '10.0.0.1', port: 1 }).args[0]).toContain('nc -z -w 2 10.0.0.1 1');
  });

  test('fails when the host could inject shell, or the port is out of range', () => {
    expect(() => WaitFor.tcp({ name: 'x', host: 'a;reboot', port: 1 })).toThrow("'waitFor.tcp.host' is \"a;reboot\"; allowed: a DNS name or an IP address");
    expect(() => WaitFor.tcp({ name: 'x', host: 'a', port: 70000 })).toThrow("'waitFor.tcp.port' is 70000; allowed: a port number 1-65535");
  });
});

describe('PodWiring: ServiceAccount annotations a connection needs (workload identity)', () => {
  test('annotations from several connections merge, sorted; the same value twice is fine', () => {
    const pod = new PodWiring(new DemoWorkload(newRelease(), 'W', { name: 'w' }));
    const client = pod.container('main', new EnvBuilder('w'));
    client.addServiceAccountAnnotations({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/a' }, 'object storage s3://a');
    pod.addServiceAccountAnnotations({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/a', 'a.example/x': 'y' }, 'object storage s3://b');
    expect(pod.serviceAccountAnnotations).toEqual({ 'a.example/x': 'y', 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/a' });
  });

  test('fails when two connections need one annotation with different values, naming both', () => {
    const client = ClientBinding.of(new DemoWorkload(newRelease(), 'W', { name: 'w' }), 'main', new EnvBuilder('w'));
    client.addServiceAccountAnnotations({ 'eks.amazonaws.com/role-arn': 'arn:a' }, 'object storage s3://a');
    expect(() => client.addServiceAccountAnnotations({ 'eks.amazonaws.com/role-arn': 'arn:b' }, 'object storage s3://b')).toThrow(
      "'serviceAccount.annotations.eks.amazonaws.com/role-arn' is \"arn:b\", but object storage s3://b and object storage s3://a need the pod's ServiceAccount annotated differently; run them in different pods; allowed: one value per annotation (object storage s3://a already needs \"arn:a\")",
    );
  });
});

describe('Release.addLazyNote', () => {
  test('the note is produced when the release renders, after later add*() calls; an empty one adds nothing', () => {
    const r = new Release(new App(), 'r', { namespace: 'ns' });
    const items: string[] = [];
    r.addLazyNote(() => `items: ${items.join(', ')}`);
    r.addLazyNote(() => '  ');
    items.push('a', 'b');
    expect(renderRelease(r).notes).toEqual(['items: a, b']);
  });
});

describe('ServiceEndpoint.podHost / podUrl: the pods of a StatefulSet under its headless Service', () => {
  const r = newRelease({ clusterDomain: 'corp.k8s' });
  const pods = new DemoWorkload(r, 'Db', { name: 'db', ports: [{ name: 'peer', port: 7000 }] });
  const headless = ServiceEndpoint.forService(pods, { name: 'db-headless', ports: [{ name: 'peer', port: 7000 }], pods, headless: true });

  test('a pod name under the headless Service, in the release\'s cluster domain', () => {
    expect(headless.podHost('db-0')).toBe('db-0.db-headless.ns.svc.corp.k8s');
    expect(headless.podUrl('db-2', 'nats', 'peer')).toBe('nats://db-2.db-headless.ns.svc.corp.k8s:7000');
  });

  test('fails when the Service has a cluster IP, or the pod name is not a DNS label', () => {
    const clusterIp = ServiceEndpoint.forService(pods, { name: 'db', ports: [{ name: 'peer', port: 7000 }], pods });
    expect(() => clusterIp.podHost('db-0')).toThrow("'podHost' is \"db\", but Service ns/db has a cluster IP, so its pods have no DNS names under it; allowed: a headless Service");
    expect(() => headless.podHost('DB_0')).toThrow(/'pod' is "DB_0"/);
  });
});
