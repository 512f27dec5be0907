/**
 * A real Prometheus (Debian's 2.42) started with the arguments and prometheus.yml the TelemetryStack renders, to show
 * two behaviours a config check cannot:
 * - every DaemonSet pod becomes its own scrape target with a stable `node` label (the multi-node fix); pods of other
 *   releases are never listed (the job's server-side label selector, applied by the projection as the API server
 *   would), and other ports and pods not Running are dropped by the generated relabel rules run in Prometheus itself;
 * - the route prefix flags work: the API answers under /prometheus and not at the root;
 * - node-exporter (Debian's real binary) started with the rendered flags, its $(HOST_IP) expanded from the downward API
 *   as the kubelet would, binds the node IP only, and Prometheus still scrapes it at the pod IP (hostNetwork: the same
 *   address).
 *
 * Debian's build has no Kubernetes SD, so the pods the rendered workloads would create (on a simulated 3-node
 * split-pool cluster) are fed through file SD with the exact `__meta_kubernetes_pod_*` labels (see
 * test/telemetry/sd-projection.ts, which also checks the kubernetes_sd_configs blocks it replaces against Prometheus'
 * own rules). Changed from the rendered Deployment: the config path, the TSDB path and the
 * listen address (loopback, random free port). Pod IPs are loopback addresses, so the failing scrapes stay local.
 * Changed from the rendered node-exporter: the /host/* paths point at this machine's /proc, /sys and /.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { find, prometheusYaml, render } from '../telemetry/helpers';
import { projectToFileSd, SimNode, SimPod, simulatePods } from '../telemetry/sd-projection';
import { freePort, httpGet as get } from './support/net';
import { stopProcesses } from './support/process';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const NODE_EXPORTER = process.env.NODE_EXPORTER_BIN ?? '/usr/bin/prometheus-node-exporter';

/** Expands `$(NAME)` in container args from the container's env, as the kubelet does (unknown names stay literal). */
function expandArgs(
  args: readonly string[],
  env: ReadonlyArray<{ name: string; value?: string; valueFrom?: any }>,
  fields: Record<string, string>,
): string[] {
  const values: Record<string, string> = {};
  for (const e of env ?? []) {
    const v = e.value ?? fields[e.valueFrom?.fieldRef?.fieldPath];
    if (v === undefined) throw new Error(`no value for env ${e.name} in the simulation`);
    values[e.name] = v;
  }
  return args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n) => values[n] ?? m));
}

/** Resolves with the connect error code, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: 2000 }, () => {
      sock.destroy();
      resolve('connected');
    });
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
    sock.on('timeout', () => {
      sock.destroy();
      resolve('timeout');
    });
  });
}

const NODES: SimNode[] = [
  { name: 'cpu-1', ip: '127.20.0.1', labels: { 'graphistry.io/role': 'cpu' } },
  { name: 'gpu-1', ip: '127.20.0.2', labels: { 'graphistry.io/role': 'gpu', 'nvidia.com/gpu.present': 'true' } },
  { name: 'gpu-2', ip: '127.20.0.3', labels: { 'graphistry.io/role': 'gpu', 'nvidia.com/gpu.present': 'true' } },
];



async function until<T>(what: string, fn: () => Promise<T | undefined>, proc: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode} while waiting for ${what}:\n${log()}`);
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} (${String(last ?? '')}):\n${log()}`);
}

describe('Prometheus runs the generated scrape config', () => {
  const { objects } = render({}, { placement: { nodeSelector: { 'graphistry.io/role': 'cpu' } } });
  let proc: ChildProcess | undefined;
  let exporter: ChildProcess | undefined;
  let exporterOutput = '';
  const exporterNode = NODES[0];
  let tmp: string;
  let base: string;
  let output = '';
  let targets: { activeTargets: any[]; droppedTargets: any[] };

  // The release's own pods, plus three that must not be scraped: another release's dcgm-exporter, a Pending one,
  // and one in another namespace.
  const pods: SimPod[] = simulatePods(objects, NODES);
  const dcgm = pods.find((p) => p.controller.name === 'dcgm-exporter')!;
  const strays: SimPod[] = [
    { ...dcgm, name: 'other-release-dcgm', ip: '127.31.0.1', labels: { ...dcgm.labels, 'app.kubernetes.io/instance': 'other' } },
    { ...dcgm, name: 'pending-dcgm', ip: '127.31.0.2', phase: 'Pending' },
    { ...dcgm, name: 'foreign-ns-dcgm', ip: '127.31.0.3', namespace: 'elsewhere' },
  ];

  beforeAll(async () => {
    // Fail, never skip: a missing binary means the CI install step is broken.
    if (!fs.existsSync(PROMETHEUS)) throw new Error(`prometheus not found at ${PROMETHEUS}; install the Debian package prometheus`);
    if (!fs.existsSync(NODE_EXPORTER)) throw new Error(`node-exporter not found at ${NODE_EXPORTER}; install the Debian package prometheus-node-exporter`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prom-live-'));

    // The node-exporter pod of the first node, with the rendered flags and env.
    const ne = find(objects, 'DaemonSet', 'node-exporter').spec.template.spec;
    expect(ne.hostNetwork).toBe(true);
    const neArgs = expandArgs(ne.containers[0].args, ne.containers[0].env, { 'status.hostIP': exporterNode.ip }).map((a) =>
      a.replace(/^--path\.(procfs|sysfs|rootfs)=\/host\/(proc|sys|root)$/, (_m, flag, dir) => `--path.${flag}=${dir === 'root' ? '/' : `/${dir}`}`),
    );
    expect(neArgs).toContain(`--web.listen-address=[${exporterNode.ip}]:9100`);
    exporter = spawn(NODE_EXPORTER, neArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    exporter.stdout!.on('data', (d) => (exporterOutput += d));
    exporter.stderr!.on('data', (d) => (exporterOutput += d));
    await until('node-exporter on the node IP', async () => ((await get(`http://${exporterNode.ip}:9100/metrics`)).status === 200 ? true : undefined), exporter, () => exporterOutput);

    const config = projectToFileSd(prometheusYaml(objects), [...pods, ...strays], tmp);
    const configFile = path.join(tmp, 'prometheus.yml');
    fs.writeFileSync(configFile, stringify(config));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const rendered: string[] = find(objects, 'Deployment', 'prometheus').spec.template.spec.containers[0].args;
    const args = rendered.map((a) => {
      if (a.startsWith('--config.file=')) return `--config.file=${configFile}`;
      if (a.startsWith('--storage.tsdb.path=')) return `--storage.tsdb.path=${path.join(tmp, 'data')}`;
      if (a.startsWith('--web.listen-address=')) return `--web.listen-address=127.0.0.1:${port}`;
      return a;
    });
    expect(args.filter((a, i) => a !== rendered[i])).toHaveLength(3);
    proc = spawn(PROMETHEUS, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    await until('readiness under /prometheus', async () => ((await get(`${base}/prometheus/-/ready`)).status === 200 ? true : undefined), proc, () => output);
    // 1 self target + 2 dcgm (GPU nodes) + 3 node-exporter + 3 collector app-metrics + 3 collector self-metrics.
    targets = await until(
      'all targets',
      async () => {
        const r = JSON.parse((await get(`${base}/prometheus/api/v1/targets`)).body).data;
        return r.activeTargets.length >= 12 ? r : undefined;
      },
      proc,
      () => output,
    );
  }, 60_000);

  afterAll(async () => {
    await stopProcesses([proc, exporter]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const byJob = (job: string) =>
    targets.activeTargets
      .filter((t) => t.labels.job === job)
      .map((t) => `${t.labels.node}=${t.labels.instance}`)
      .sort();
  const ipOf = (controller: string, node: string) => pods.find((p) => p.controller.name === controller && p.node.name === node)!.ip;

  test('the API serves under the route prefix only', async () => {
    expect((await get(`${base}/prometheus/-/ready`)).status).toBe(200);
    expect((await get(`${base}/-/ready`)).status).toBe(404);
  });

  test('the TSDB is bounded by time (15d) and by size (85% of the 20Gi claim), as the rendered flags say', async () => {
    const info = JSON.parse((await get(`${base}/prometheus/api/v1/status/runtimeinfo`)).body).data;
    expect(info.storageRetention).toBe('15d or 17GiB');
  });

  test('each dcgm-exporter pod is a target on its GPU node', () => {
    expect(byJob('dcgm-exporter')).toEqual([`gpu-1=${ipOf('dcgm-exporter', 'gpu-1')}:9400`, `gpu-2=${ipOf('dcgm-exporter', 'gpu-2')}:9400`]);
  });

  test('each node-exporter pod is a target on every node, at the node IP (hostNetwork)', () => {
    expect(byJob('node-exporter')).toEqual(['cpu-1=127.20.0.1:9100', 'gpu-1=127.20.0.2:9100', 'gpu-2=127.20.0.3:9100']);
  });

  test('node-exporter with the rendered flags listens on its node IP only, not on the other addresses of the host', async () => {
    expect(await tryConnect(exporterNode.ip, 9100)).toBe('connected');
    expect(await tryConnect('127.0.0.1', 9100)).toBe('ECONNREFUSED');
    expect(await tryConnect(NODES[1].ip, 9100)).toBe('ECONNREFUSED');
  });

  test('Prometheus scrapes that node-exporter at its pod IP (the node IP, hostNetwork): the target is up', async () => {
    const target = await until(
      `the node-exporter target on ${exporterNode.name} to be scraped`,
      async () => {
        const r = JSON.parse((await get(`${base}/prometheus/api/v1/targets?state=active`)).body).data;
        const t = r.activeTargets.find((x: any) => x.labels.job === 'node-exporter' && x.labels.node === exporterNode.name);
        return t && t.health !== 'unknown' ? t : undefined;
      },
      proc!,
      () => output,
      40_000,
    );
    expect(target.labels.instance).toBe(`${exporterNode.ip}:9100`);
    expect(target.lastError).toBe('');
    expect(target.health).toBe('up');
  }, 50_000);

  test("each collector pod is two targets: app metrics on 8889 and the collector's own on 8888", () => {
    const expected = (port: number) => NODES.map((n) => `${n.name}=${ipOf('otel-collector', n.name)}:${port}`).sort();
    expect(byJob('otel-collector')).toEqual(expected(8889));
    expect(byJob('otel-collector-self')).toEqual(expected(8888));
  });

  test('targets carry namespace and pod labels, and nothing else is scraped', () => {
    const t = targets.activeTargets.find((x) => x.labels.job === 'dcgm-exporter');
    expect(t.labels).toMatchObject({ namespace: 'ns', pod: expect.stringMatching(/^dcgm-exporter-gpu-\d$/) });
    expect(targets.activeTargets).toHaveLength(12);
    const scrapedPods = new Set(targets.activeTargets.map((x) => x.labels.pod).filter(Boolean));
    for (const s of strays) expect(scrapedPods.has(s.name)).toBe(false);
    // Prometheus, Grafana and Jaeger pods (same namespace) are never scraped as exporters.
    for (const p of pods.filter((x) => x.controller.kind === 'Deployment')) expect(scrapedPods.has(p.name)).toBe(false);
    const dropped = new Set(targets.droppedTargets.map((x) => x.discoveredLabels.__meta_kubernetes_pod_name));
    // Another release's exporter is not even listed: the server-side label selector excludes it.
    expect(dropped.has('other-release-dcgm')).toBe(false);
    // A Pending pod of this release is listed, and the relabel rules drop it.
    expect(dropped.has('pending-dcgm')).toBe(true);
    // The release's other pods (Prometheus, Grafana, Jaeger) are not listed by the exporter jobs either.
    expect([...dropped].filter((n) => /^(prometheus|grafana|jaeger)-/.test(n))).toEqual([]);
  });
});
