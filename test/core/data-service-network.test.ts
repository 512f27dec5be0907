import { NatsServer } from '../../lib/nats';
import { MinioServer } from '../../lib/object-storage';
import { QdrantAuth, QdrantServer } from '../../lib/qdrant';
import { ValkeyAuth, ValkeyServer } from '../../lib/valkey';
import { newRelease, Obj, Template } from '../support';

// The clustered data services record their peer traffic in the wiring graph, so the release's default-deny
// NetworkPolicies (issue 19) admit it: each server's policy allows its own pods in and out on the peer port.
function peerRules(t: Template, policy: string, selector: Record<string, string>, port: number) {
  const np = t.find('NetworkPolicy', policy).spec;
  const key = (labels: Record<string, string> | undefined) => JSON.stringify(Object.entries(labels ?? {}).sort());
  const selects = (peers: Obj[] | undefined) => (peers ?? []).some((p) => key(p.podSelector?.matchLabels) === key(selector) && !p.namespaceSelector);
  const onPort = (ports: Obj[] | undefined) => (ports ?? []).some((p) => p.port === port && p.protocol === 'TCP');
  return {
    ingress: ((np.ingress ?? []) as Obj[]).some((r) => selects(r.from) && onPort(r.ports)),
    egress: ((np.egress ?? []) as Obj[]).some((r) => selects(r.to) && onPort(r.ports)),
  };
}

describe('data services under default-deny NetworkPolicies', () => {
  test('a NATS cluster admits its routes (6222) between its own servers', () => {
    const r = newRelease();
    const nats = new NatsServer(r, 'Nats', { cluster: { replicas: 3 } });
    expect(peerRules(Template.fromRelease(r), 'r-nats', { ...nats.selector }, 6222)).toEqual({ ingress: true, egress: true });
  });

  test('a Qdrant cluster admits its p2p port (6335) between its own peers', () => {
    const r = newRelease();
    const q = new QdrantServer(r, 'Qdrant', { replicas: 3, auth: QdrantAuth.apiKey({ name: 'qdrant-key', key: 'api-key' }) });
    expect(peerRules(Template.fromRelease(r), 'r-qdrant', { ...q.selector }, 6335)).toEqual({ ingress: true, egress: true });
  });

  test('distributed MinIO admits the API port (9000) between its servers; the bucket Job reaches the API', () => {
    const r = newRelease();
    const m = new MinioServer(r, 'Minio', { rootCredentials: { secretName: 'minio-root' } });
    m.addBucket('files');
    const t = Template.fromRelease(r);
    expect(peerRules(t, 'r-minio', { ...m.selector }, 9000)).toEqual({ ingress: true, egress: true });
    const job = t.find('Job');
    expect(peerRules(t, job.metadata.name, { ...m.selector }, 9000).egress).toBe(true);
  });

  test('Valkey read replicas reach the primary (6379)', () => {
    const r = newRelease();
    const v = new ValkeyServer(r, 'Cache', { auth: ValkeyAuth.password({ name: 'cache-auth', key: 'password' }), readReplicas: 2 });
    const t = Template.fromRelease(r);
    const replicaSelector = t.find('StatefulSet', 'r-valkey-replica').spec.selector.matchLabels;
    expect(peerRules(t, 'r-valkey', replicaSelector, 6379).ingress).toBe(true);
    expect(peerRules(t, 'r-valkey-replica', { ...v.selector }, 6379).egress).toBe(true);
  });
});
