import { ExternalPeer } from '../../lib/core';
import { ExternalNats, NatsAuth, NatsServer } from '../../lib/nats';
import { DemoWorkload, envOf, newRelease, Template } from '../support';

const PEER = ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the shared messaging cluster' });
const TOKEN = NatsAuth.token({ name: 'nats-token', key: 'token' });

describe('ExternalNats', () => {
  test('a client gets NATS_URL from the declared endpoint and NATS_REPLICAS equal to the cluster size, the token as a Secret reference', () => {
    const r = newRelease();
    const nats = ExternalNats.of({ url: 'nats://nats.messaging.example.internal', replicas: 3, auth: TOKEN, peer: PEER });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [nats] });
    const t = Template.fromRelease(r);
    const env = envOf(t.container('Deployment', 'web', 'main'));
    expect(env.NATS_URL).toBe('nats://nats.messaging.example.internal:4222');
    expect(env.NATS_REPLICAS).toBe('3');
    expect(env.NATS_TOKEN).toEqual({ secretKeyRef: { name: 'nats-token', key: 'token' } });
    expect(t.connections[0].to).toMatchObject({ type: 'external', host: 'nats.messaging.example.internal', port: { name: 'client', port: 4222 } });
    const waits = t.find('Deployment', 'web').spec.template.spec.initContainers.map((c: { name: string }) => c.name);
    expect(waits).toContain('wait-for-nats');
  });

  test('tls:// with a private CA: the URL keeps the scheme and the CA is mounted and named in NATS_CA_FILE', () => {
    const r = newRelease();
    const nats = ExternalNats.of({ url: 'tls://nats.example.com:4443', replicas: 1, auth: NatsAuth.none(), ca: { name: 'nats-ca', key: 'ca.crt' }, peer: PEER });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [nats] });
    const env = envOf(Template.fromRelease(r).container('Deployment', 'web', 'main'));
    expect(env.NATS_URL).toBe('tls://nats.example.com:4443');
    expect(env.NATS_CA_FILE).toBe('/etc/nats-ca/nats-ca/ca.crt');
  });

  test('the in-cluster server and the external one set the same env keys', () => {
    const keys = (connectable: NatsServer | ExternalNats, r: ReturnType<typeof newRelease>) => {
      new DemoWorkload(r, 'Web', { name: 'web', connect: [connectable] });
      return Object.keys(envOf(Template.fromRelease(r).container('Deployment', 'web', 'main'))).sort();
    };
    const r1 = newRelease();
    const inCluster = keys(new NatsServer(r1, 'Nats', { auth: TOKEN, cluster: { replicas: 3 } }), r1);
    const r2 = newRelease();
    expect(keys(ExternalNats.of({ url: 'nats://nats.example.com', replicas: 3, auth: TOKEN, peer: PEER }), r2)).toEqual(inCluster);
  });

  test('a client that reads its credentials only inside the URL gets NATS_URL from the Secret (urlSecret), and no token variable', () => {
    const r = newRelease();
    const nats = ExternalNats.of({ url: 'nats://nats.example.com', replicas: 3, auth: TOKEN, peer: PEER });
    new DemoWorkload(r, 'Web', { name: 'web', connect: [(b) => nats.connect(b, { urlSecret: { name: 'nats-url', key: 'url' } })] });
    const env = envOf(Template.fromRelease(r).container('Deployment', 'web', 'main'));
    expect(env.NATS_URL).toEqual({ secretKeyRef: { name: 'nats-url', key: 'url' } });
    expect(env.NATS_TOKEN).toBeUndefined();
    expect(env.NATS_REPLICAS).toBe('3');
  });

  test('fails when the URL carries credentials, is not nats:// or tls://, or has a path', () => {
    expect(() => ExternalNats.of({ url: 'nats://u:p@nats.example.com', replicas: 3, auth: TOKEN })).toThrow(/'url' is "nats:\/\/<credentials>@nats.example.com", but credentials belong in auth/);
    expect(() => ExternalNats.of({ url: 'http://nats.example.com', replicas: 3, auth: TOKEN })).toThrow("'url' is \"http://nats.example.com\"; allowed: a nats:// or tls:// URL");
    expect(() => ExternalNats.of({ url: 'nats://nats.example.com/x', replicas: 3, auth: TOKEN })).toThrow("'url' is \"nats://nats.example.com/x\"; allowed: scheme, host and port only");
  });

  test('fails when the cluster size is even or out of range, or auth is missing', () => {
    expect(() => ExternalNats.of({ url: 'nats://n.example.com', replicas: 2, auth: TOKEN })).toThrow("'replicas' is 2, but a JetStream cluster replicates with Raft and runs an odd number of servers; allowed: 1, or an odd number from 3 to 9");
    expect(() => ExternalNats.of({ url: 'nats://n.example.com', replicas: 11, auth: TOKEN })).toThrow(/'replicas' is 11, but it is above 9/);
    expect(() => ExternalNats.of({ url: 'nats://n.example.com', replicas: 3 } as never)).toThrow("'auth' is undefined, but credentials are never defaulted; allowed: NatsAuth.none(), token(...), users([...]) or nkeys([...])");
  });

  test('fails when a CA is given for a nats:// URL', () => {
    expect(() => ExternalNats.of({ url: 'nats://n.example.com', replicas: 1, auth: TOKEN, ca: { name: 'ca', key: 'ca.crt' } })).toThrow(/'ca' is .*, but a CA verifies a TLS server; use a tls:\/\/ URL; allowed: unset for a nats:\/\/ URL/);
  });
});
