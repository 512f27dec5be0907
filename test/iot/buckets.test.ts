import { App, Size } from 'cdk8s';
import { IOT_AGENT_LIMITS, IOT_BUCKET_LIMITS, IOT_DEPLOYMENT_SCHEMA, IotFleet, IotFleetProps, iotFleetBucketSettings } from '../../lib/iot';
import { kvStreamConfig, NatsAuth, NatsPersistence } from '../../lib/nats';
import { Release, renderRelease } from '../../lib/release';
import { verifyManifests } from '../../lib/verify';

function fleetIn(props: IotFleetProps = {}): { release: Release; fleet: IotFleet } {
  const release = new Release(new App(), 'r', { namespace: 'iot' });
  return { release, fleet: new IotFleet(release, 'Fleet', props) };
}

describe('IotFleet KV buckets (issue 20: status that scales)', () => {
  const { release, fleet } = fleetIn();
  const out = renderRelease(release);

  test('desired-state: 16 KiB values, 5 revisions for rollback, no expiry; sized for 1000 devices x 4 deployments', () => {
    expect(kvStreamConfig(fleet.desiredStateBucket)).toMatchObject({
      name: 'KV_desired-state', max_msg_size: 16 * 1024, max_msgs_per_subject: 5, max_age: 0, max_bytes: 1000 * 4 * 5 * 16 * 1024, num_replicas: 1, storage: 'file',
    });
    expect(fleet.desiredStateBucket.limits!.ttl.reason).toMatch(/an expired key would make the agent remove the deployment/);
  });

  test('agent-status: the agent\'s status (32 events x 512 characters) fits a 128 KiB value; 1 revision; dead devices age out after 24 hours', () => {
    const worstEvents = IOT_AGENT_LIMITS.recentEvents * (IOT_AGENT_LIMITS.messageLength * 4 + 256);
    expect(worstEvents).toBeLessThanOrEqual(IOT_BUCKET_LIMITS.agentStatus.maxValueKiB * 1024);
    expect(kvStreamConfig(fleet.agentStatusBucket)).toMatchObject({
      name: 'KV_agent-status', max_msg_size: 128 * 1024, max_msgs_per_subject: 1, max_age: 24 * 3600 * 1e9, max_bytes: 1000 * 128 * 1024,
    });
  });

  test('the capacity sizes the buckets; a cluster replicates them on 3 servers', () => {
    const s = iotFleetBucketSettings({ devices: 50_000, deploymentsPerDevice: 2 });
    expect(s.desiredState.maxBucketSize.toKibibytes()).toBe(50_000 * 2 * 5 * 16);
    expect(s.agentStatus.maxBucketSize.toKibibytes()).toBe(50_000 * 128);
    const nats = { cluster: { replicas: 3 }, persistence: NatsPersistence.volume({ size: Size.gibibytes(20) }) };
    const big = fleetIn({ capacity: { devices: 10_000 }, nats }).fleet;
    expect(kvStreamConfig(big.agentStatusBucket)).toMatchObject({ num_replicas: 3, max_bytes: 10_000 * 128 * 1024 });
  });

  test('the bucket Job renders in the release and verification passes', () => {
    const job = out.objects.find((o) => o.kind === 'Job') as any;
    expect(job.metadata.name).toBe(fleet.nats.kvBucketJobName);
    expect(verifyManifests(out.objects).violations).toEqual([]);
  });

  test('the CRD description states the bucket limits', () => {
    const d = IOT_DEPLOYMENT_SCHEMA.description!;
    expect(d).toContain('desired state, key <device>.<deployment>, at most 16 KiB per value (the serialized spec.score must fit), 5 revisions kept per key for rollback, no expiry');
    expect(d).toContain('agent status, key status.<device>, at most 128 KiB per heartbeat, 1 revision, expiring 24 hours after a device\'s last heartbeat');
    expect(d).toContain('at most 32 recent events with messages cut to 512 characters');
  });

  test('the notes state the limits and that clients must open, not create, the buckets', () => {
    const notes = out.notes.join('\n');
    expect(notes).toContain('desired-state (history 5, TTL none, values up to 16KiB, bucket up to 312.5MiB, 1 replica, file storage)');
    expect(notes).toContain('agent-status (history 1, TTL 1d, values up to 128KiB, bucket up to 125MiB, 1 replica, file storage)');
    expect(notes).toContain('sized for 1000 devices with up to 4 deployments each');
    expect(notes).toContain('Clients must open these buckets, not create them');
  });

  test('with authentication the Job reads NATS_URL from the operator\'s URL Secret', () => {
    const urlSecret = { name: 'iot-operator-nats', key: 'url' };
    const f = fleetIn({ nats: { auth: NatsAuth.token({ name: 'nats-token', key: 'token' }) }, operator: { natsUrlSecret: urlSecret } });
    const job = renderRelease(f.release).objects.find((o) => o.kind === 'Job') as any;
    const env = job.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'NATS_URL', valueFrom: { secretKeyRef: urlSecret } });
    expect(env.map((e: any) => e.name)).toEqual(['HOME', 'NATS_URL']);
  });

  test('fails when the capacity is not a whole number in range', () => {
    expect(() => fleetIn({ capacity: { devices: 0 } })).toThrow(/'capacity.devices' is 0.*allowed: a whole number of devices, 1 to 1,000,000/);
    expect(() => fleetIn({ capacity: { deploymentsPerDevice: 1.5 } })).toThrow(/'capacity.deploymentsPerDevice' is 1.5.*allowed: a whole number of deployments per device, 1 to 256/);
  });

  test('fails when the capacity\'s buckets do not fit the NATS store, naming the prop', () => {
    expect(() => fleetIn({ capacity: { devices: 5000 } })).toThrow(/'nats.buckets.desired-state.maxBucketSize' is "1562.5MiB", but JetStream reserves each bucket's size.*allowed: at most 921MiB: the file store holds 921MiB/);
  });

  test('fails when a deployment\'s score is larger than a desired-state value', () => {
    const { fleet: f } = fleetIn();
    expect(() => f.addDeployment('big', { targetSelector: { matchLabels: { group: 'lab' } }, image: 'nginx:1.27.2-alpine', env: { CONFIG: 'x'.repeat(17 * 1024) } }))
      .toThrow(/'deployments.big.env' is "a score of \d+ bytes", but the desired-state KV bucket refuses a value over 16 KiB.*allowed: a score \(image, ports, env\) of at most 16384 bytes serialized/);
    expect(() => f.addDeployment('fits', { targetSelector: { matchLabels: { group: 'lab' } }, image: 'nginx:1.27.2-alpine', env: { CONFIG: 'x'.repeat(15 * 1024) } })).not.toThrow();
  });
});
