/**
 * A real nats-server (Debian's 2.9.10; the image runs 2.10) started from the ConfigMap the iot-fleet example app
 * renders, and a real client creating and using the KV buckets the operator is configured with.
 *
 * The config file is used as rendered with exactly one line changed: the JetStream `store_dir` (the pod mounts its
 * volume at /data, which does not exist here) points at a temp dir. Listeners are moved to loopback and random free
 * ports with command-line flags, which nats-server applies over the file (`-a`, `-p`, `-m`; the file sets
 * `http_port` without a host, so the monitor follows `-a`).
 */
import { ChildProcess, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { connect, JetStreamClient, KV, NatsConnection, StringCodec } from 'nats';
import { buildIotFleet } from '../../apps/iot-fleet';
import { renderRelease, RenderedRelease } from '../../lib/release';
import { httpGet } from './support/net';
import { stopProcess } from './support/process';
import { natsServerBinary, startNatsServer } from './support/nats';

const sc = StringCodec();

async function nextWithin<T>(it: AsyncIterator<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no watch update within ${ms} ms`)), ms)));
  try {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done) throw new Error('watch ended');
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

describe('nats-server on the generated config, with the operator\'s KV buckets', () => {
  const bin = natsServerBinary();
  const rendered: RenderedRelease = renderRelease(buildIotFleet(new App()));
  const configMap = rendered.objects.find((o) => o.kind === 'ConfigMap') as any;
  const sts = rendered.objects.find((o) => o.kind === 'StatefulSet') as any;
  const operator = rendered.objects.find((o) => o.kind === 'Deployment' && o.apiVersion === 'apps/v1') as any;
  const operatorEnv: Record<string, string> = Object.fromEntries(operator.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
  const generated: string = configMap.data['nats.conf'];

  let dir: string;
  let storeDir: string;
  let configPath: string;
  let proc: ChildProcess;
  let clientPort: number;
  let monitorPort: number;
  let nc: NatsConnection;
  let js: JetStreamClient;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-it-'));
    ({ proc, storeDir, configPath, clientPort, monitorPort } = await startNatsServer(bin, generated, dir));
    nc = await connect({ servers: `nats://127.0.0.1:${clientPort}`, timeout: 5000, maxReconnectAttempts: 0 });
    js = nc.jetstream();
  }, 30_000);

  afterAll(async () => {
    if (nc) await nc.close();
    await stopProcess(proc);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  test('the test config differs from the rendered ConfigMap only in store_dir', () => {
    const a = generated.split('\n');
    const b = fs.readFileSync(configPath, 'utf8').split('\n');
    expect(b).toHaveLength(a.length);
    const changed = a.map((line, i) => [line, b[i]]).filter(([x, y]) => x !== y);
    expect(changed).toEqual([['  store_dir: "/data"', `  store_dir: "${storeDir}"`]]);
  });

  test('nats-server -t accepts the rendered config', () => {
    expect(() => execFileSync(bin, ['-t', '-c', configPath], { stdio: 'pipe', timeout: 10_000 })).not.toThrow();
  });

  test('runs JetStream with the rendered limits, on loopback only', async () => {
    const varz = JSON.parse((await httpGet(`http://127.0.0.1:${monitorPort}/varz`)).body);
    expect(varz.server_name).toBe('iot-fleet-nats');
    expect(varz.host).toBe('127.0.0.1');
    expect(varz.port).toBe(clientPort);
    const max = (key: string) => Number(new RegExp(`${key}: (\\d+)`).exec(generated)![1]);
    expect(varz.jetstream.config.max_memory).toBe(max('max_memory_store'));
    expect(varz.jetstream.config.max_storage).toBe(max('max_file_store'));
    expect(varz.jetstream.config.store_dir).toBe(path.join(storeDir, 'jetstream'));
    expect(varz.max_payload).toBe(Number(/max_payload: (\d+)/.exec(generated)![1]));
  });

  test('every probe path of the StatefulSet answers 200 on the monitoring port', async () => {
    const c = sts.spec.template.spec.containers[0];
    const monitor = c.ports.find((p: any) => p.name === 'monitor').containerPort;
    expect(monitor).toBe(8222);
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
      expect(probe.httpGet.port).toBe('monitor');
      const res = await httpGet(`http://127.0.0.1:${monitorPort}${probe.httpGet.path}`);
      expect({ path: probe.httpGet.path, status: res.status }).toEqual({ path: probe.httpGet.path, status: 200 });
    }
  });

  test('a client creates the operator\'s buckets and puts, gets and watches keys', async () => {
    const desiredName = operatorEnv.IOT_DESIRED_STATE_BUCKET;
    const statusName = operatorEnv.IOT_AGENT_STATUS_BUCKET;
    expect([desiredName, statusName]).toEqual(['desired-state', 'agent-status']);

    const desired: KV = await js.views.kv(desiredName, { history: 1 });
    const status: KV = await js.views.kv(statusName, { history: 1 });

    // The operator writes desired state per <device>.<deployment>; the agent watches its own prefix.
    const watch = await desired.watch({ key: 'pi-7.>' });
    const it = watch[Symbol.asyncIterator]();
    const score = JSON.stringify({ type: 'PodmanV0', data: { image: 'nginx:1.27.2-alpine', ports: ['8080:80'] } });
    await desired.put('pi-7.hello-web', sc.encode(score));
    const seen = await nextWithin(it, 5000);
    expect(seen.key).toBe('pi-7.hello-web');
    expect(sc.decode(seen.value)).toBe(score);

    // An upgrade is a new value under the same key.
    const upgraded = score.replace('1.27.2', '1.27.3');
    await desired.put('pi-7.hello-web', sc.encode(upgraded));
    expect(sc.decode((await nextWithin(it, 5000)).value)).toBe(upgraded);
    watch.stop();

    // The agent publishes its heartbeat under status.<device>; the operator reads it.
    const heartbeat = JSON.stringify({ device_id: 'pi-7', labels: { group: 'lab', device: 'pi-7' }, deployments: { 'hello-web': { phase: 'Running' } } });
    await status.put('status.pi-7', sc.encode(heartbeat));
    const got = await status.get('status.pi-7');
    expect(got && sc.decode(got.value)).toBe(heartbeat);
    expect((await desired.get('pi-7.hello-web'))!.revision).toBeGreaterThan(1);

    // The buckets live in the configured store dir.
    const streams = fs.readdirSync(path.join(storeDir, 'jetstream', '$G', 'streams')).sort();
    expect(streams).toEqual([`KV_${statusName}`, `KV_${desiredName}`].sort());
  }, 20_000);
});
