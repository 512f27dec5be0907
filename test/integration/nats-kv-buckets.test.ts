/**
 * The iot-fleet release's KV bucket Job, run for real: Debian's nats-server (2.9.10) on loopback with the rendered
 * config, and the rendered bucket script run by /bin/sh exactly as the Job's container runs it. The `nats` CLI of the
 * Job's image is not installable here, so a stand-in on PATH does what `nats request --raw SUBJECT BODY` does (one
 * request with the npm client, the reply body on stdout) and refuses any other command line: the subjects and payloads
 * that reach JetStream are the rendered ones, byte for byte. A KV client then checks what the buckets do.
 */
import { ChildProcess, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { connect, JetStreamManager, NatsConnection, StorageType, StringCodec } from 'nats';
import { buildIotFleet } from '../../apps/iot-fleet';
import { IOT_BUCKET_LIMITS } from '../../lib/iot/crd';
import { renderRelease } from '../../lib/release';
import { natsServerBinary, startNatsServer } from './support/nats';
import { stopProcess } from './support/process';

const sc = StringCodec();
const NATS_MODULE = require.resolve('nats');

/** The stand-in for `nats request --raw SUBJECT BODY` (NATS_URL from the environment, as the CLI reads it). */
const NATS_STANDIN = `#!/usr/bin/env node
const args = process.argv.slice(2);
if (args.length !== 4 || args[0] !== 'request' || args[1] !== '--raw') {
  process.stderr.write('nats stand-in: unexpected command line ' + JSON.stringify(args) + '\\n');
  process.exit(64);
}
const { connect, StringCodec } = require(${JSON.stringify(NATS_MODULE)});
const sc = StringCodec();
(async () => {
  const nc = await connect({ servers: process.env.NATS_URL, timeout: 5000, maxReconnectAttempts: 0 });
  const reply = await nc.request(args[2], sc.encode(args[3]), { timeout: 5000 });
  process.stdout.write(sc.decode(reply.data) + '\\n');
  await nc.close();
})().catch((e) => { process.stderr.write('nats: ' + e.message + '\\n'); process.exit(1); });
`;

describe('the KV bucket Job of iot-fleet against a real nats-server', () => {
  const bin = natsServerBinary();
  const rendered = renderRelease(buildIotFleet(new App()));
  const natsConf: string = (rendered.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'iot-fleet-nats') as any).data['nats.conf'];
  const scriptMap = rendered.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'iot-fleet-nats-kv') as any;
  const job = rendered.objects.find((o) => o.kind === 'Job') as any;
  const script: string = scriptMap.data['buckets.sh'];

  let dir: string;
  let proc: ChildProcess | undefined;
  let url: string;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  /** Runs the rendered script as the Job's container does (`/bin/sh <script>`), bounded. */
  function runJob(): { status: number | null; stdout: string; stderr: string } {
    const scriptPath = path.join(dir, 'buckets.sh');
    fs.writeFileSync(scriptPath, script);
    const r = spawnSync('/bin/sh', [scriptPath], {
      env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, NATS_URL: url },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  async function deleteBuckets(): Promise<void> {
    for (const name of ['desired-state', 'agent-status']) {
      await jsm.streams.delete(`KV_${name}`).catch(() => undefined);
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-kv-it-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'nats'), NATS_STANDIN, { mode: 0o755 });
    ({ proc, url } = await startNatsServer(bin, natsConf, dir));
    nc = await connect({ servers: url, timeout: 5000, maxReconnectAttempts: 0 });
    jsm = await nc.jetstreamManager();
  }, 30_000);

  afterAll(async () => {
    if (nc) await nc.close();
    await stopProcess(proc);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  test('the Job runs the script ConfigMap with NATS_URL, after waiting for the client port', () => {
    const pod = job.spec.template.spec;
    expect(pod.containers[0].command).toEqual(['/bin/sh', '/etc/nats-kv/buckets.sh']);
    expect(pod.volumes.find((v: any) => v.name === 'script').configMap.name).toBe(scriptMap.metadata.name);
    expect(pod.containers[0].env.find((e: any) => e.name === 'NATS_URL').value).toBe('nats://iot-fleet-nats.iot-system.svc:4222');
    expect(pod.initContainers.map((c: any) => c.args.join(' '))).toEqual([expect.stringContaining('nc -z -w 2 iot-fleet-nats.iot-system.svc 4222')]);
  });

  test('creates both buckets with the declared history, TTL, value and bucket size', async () => {
    await deleteBuckets();
    const r = runJob();
    expect(r).toEqual({ status: 0, stdout: 'bucket desired-state: in place with the declared settings\nbucket agent-status: in place with the declared settings\n', stderr: '' });
    const desired = (await jsm.streams.info('KV_desired-state')).config;
    const status = (await jsm.streams.info('KV_agent-status')).config;
    expect(desired).toMatchObject({
      subjects: ['$KV.desired-state.>'], max_msgs_per_subject: IOT_BUCKET_LIMITS.desiredState.history, max_age: 0,
      max_msg_size: IOT_BUCKET_LIMITS.desiredState.maxValueKiB * 1024, max_bytes: 1000 * 4 * 5 * 16 * 1024,
      storage: StorageType.File, num_replicas: 1,
      allow_rollup_hdrs: true, deny_delete: true, allow_direct: true, discard: 'new',
    });
    expect(status).toMatchObject({
      subjects: ['$KV.agent-status.>'], max_msgs_per_subject: 1, max_age: IOT_BUCKET_LIMITS.agentStatus.ttlHours * 3600 * 1e9,
      max_msg_size: IOT_BUCKET_LIMITS.agentStatus.maxValueKiB * 1024, max_bytes: 1000 * 128 * 1024, storage: StorageType.File,
    });
    // A KV client sees them as KV buckets with those settings.
    const js = nc.jetstream();
    const kvStatus = await (await js.views.kv('agent-status', { bindOnly: true })).status();
    expect({ history: kvStatus.history, ttl: kvStatus.ttl }).toEqual({ history: 1, ttl: 24 * 3600 * 1000 });
  }, 30_000);

  test('desired-state keeps 5 revisions per key; agent-status refuses a heartbeat over 128 KiB', async () => {
    const js = nc.jetstream();
    const desired = await js.views.kv('desired-state', { bindOnly: true });
    for (let i = 1; i <= 7; i++) await desired.put('pi-7.hello-web', sc.encode(JSON.stringify({ type: 'PodmanV0', data: { image: `nginx:1.27.${i}` } })));
    const revisions: string[] = [];
    for await (const e of await desired.history({ key: 'pi-7.hello-web' })) revisions.push(JSON.parse(sc.decode(e.value)).data.image);
    expect(revisions).toEqual(['nginx:1.27.3', 'nginx:1.27.4', 'nginx:1.27.5', 'nginx:1.27.6', 'nginx:1.27.7']);
    // A score over 16 KiB is refused by the bucket (the fleet refuses such a deployment at synth).
    await expect(desired.put('pi-7.big', new Uint8Array(16 * 1024 + 1))).rejects.toThrow(/maximum/i);

    const status = await js.views.kv('agent-status', { bindOnly: true });
    await status.put('status.pi-7', new Uint8Array(128 * 1024));
    await expect(status.put('status.pi-8', new Uint8Array(128 * 1024 + 1))).rejects.toThrow(/maximum/i);
    expect(await status.get('status.pi-8')).toBeNull();
  }, 30_000);

  test('running the Job again changes nothing (every Argo CD sync)', async () => {
    const before = await jsm.streams.info('KV_desired-state');
    const r = runJob();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('bucket desired-state: in place with the declared settings\nbucket agent-status: in place with the declared settings\n');
    const after = await jsm.streams.info('KV_desired-state');
    expect(after.created).toBe(before.created);
    expect(after.state.messages).toBe(before.state.messages);
    expect(after.config).toEqual(before.config);
  }, 30_000);

  test('a bucket a client created first with its defaults is brought to the declared settings, keeping its values', async () => {
    await deleteBuckets();
    const js = nc.jetstream();
    const early = await js.views.kv('agent-status');
    await early.put('status.pi-7', sc.encode('{"device_id":"pi-7"}'));
    expect((await jsm.streams.info('KV_agent-status')).config).toMatchObject({ max_msgs_per_subject: 1, max_age: 0, max_msg_size: -1 });
    const r = runJob();
    const stdout = 'bucket desired-state: in place with the declared settings\nbucket agent-status: updated to the declared settings\n';
    expect(r).toEqual({ status: 0, stdout, stderr: '' });
    expect((await jsm.streams.info('KV_agent-status')).config).toMatchObject({ max_age: 24 * 3600 * 1e9, max_msg_size: 128 * 1024, max_bytes: 1000 * 128 * 1024 });
    expect(sc.decode((await early.get('status.pi-7'))!.value)).toBe('{"device_id":"pi-7"}');
  }, 30_000);

  test('fails when a bucket exists with a storage type JetStream cannot change, naming the bucket and leaving it as it was', async () => {
    await deleteBuckets();
    const js = nc.jetstream();
    const early = await js.views.kv('desired-state', { storage: StorageType.Memory });
    await early.put('pi-7.hello-web', sc.encode('v1'));
    const r = runJob();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bucket desired-state: exists with settings JetStream cannot change in place; nothing was changed: .*"err_code":10052.*storage type/);
    const info = await jsm.streams.info('KV_desired-state');
    expect(info.config.storage).toBe(StorageType.Memory);
    expect(info.state.messages).toBe(1);
    // set -eu: the Job stops at the first failure (Kubernetes retries it up to backoffLimit).
    await expect(jsm.streams.info('KV_agent-status')).rejects.toThrow(/stream not found/);
  }, 30_000);

  test('the operator\'s init container waits until both buckets exist, then lets the operator start', async () => {
    const operator = rendered.objects.find((o) => o.kind === 'Deployment' && o.apiVersion === 'apps/v1') as any;
    const wait = operator.spec.template.spec.initContainers.find((c: any) => c.name === 'wait-for-kv-buckets');
    const runWait = (ms: number) => spawnSync(wait.command[0], wait.command.slice(1), {
      env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, NATS_URL: url },
      encoding: 'utf8',
      timeout: ms,
    });
    await deleteBuckets();
    const before = runWait(5000);
    expect(before.signal).toBe('SIGTERM');
    expect(before.stdout).toContain('waiting for KV bucket desired-state (created by the bucket Job)');
    expect(runJob().status).toBe(0);
    const after = runWait(20_000);
    expect({ status: after.status, stdout: after.stdout }).toEqual({ status: 0, stdout: '' });
  }, 60_000);

  test('fails when NATS does not answer, naming the bucket', () => {
    const saved = url;
    url = 'nats://127.0.0.1:1';
    try {
      const r = runJob();
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/bucket desired-state: no answer from JetStream/);
    } finally {
      url = saved;
    }
  }, 30_000);
});
