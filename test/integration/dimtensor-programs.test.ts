// The dimtensor example programs, run by a real Python on exactly what apps/dimtensor renders: the inference API
// answers the rendered probe paths on the rendered port, and the batch sweep reads the rendered config file and the
// completion index its Indexed Job gives it (and refuses to run without one, instead of crashing on int('')).
// dimtensor itself is not installable here (no PyPI), so a small stand-in module with the same API is put on
// PYTHONPATH; what is tested is the wiring between the manifests and the programs, not dimtensor's arithmetic.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { buildDimtensor, SWEEP_PARAMS } from '../../apps/dimtensor';
import { renderApp } from '../../lib/release';
import { freePort, httpGet } from './support/net';

jest.setTimeout(30_000);
// Debian's python3 (installed by .ci/run); the programs use only the standard library besides dimtensor.
const PYTHON = 'python3';

/** A stand-in for the parts of dimtensor's API the programs use: DimArray and units with dimension and scale. */
const STUB = `
class Unit:
    def __init__(self, dim, scale, name):
        self.dimension, self.scale, self.name = dim, scale, name
    def _combine(self, other, sign):
        dim = tuple(a + sign * b for a, b in zip(self.dimension, other.dimension))
        return Unit(dim, self.scale * other.scale ** sign, f"{self.name}{'*' if sign > 0 else '/'}{other.name}")
    def __mul__(self, other): return self._combine(other, 1)
    def __truediv__(self, other): return self._combine(other, -1)
    def __pow__(self, n): return Unit(tuple(a * n for a in self.dimension), self.scale ** n, f"{self.name}^{n}")
    def __str__(self): return self.name

class DimArray:
    def __init__(self, data, unit):
        self.data, self.unit = [float(x) for x in data], unit
    def __mul__(self, other):
        if isinstance(other, DimArray):
            return DimArray([a * b for a, b in zip(self.data, other.data)], self.unit * other.unit)
        return DimArray([a * other for a in self.data], self.unit)
    __rmul__ = __mul__
    def __pow__(self, n): return DimArray([a ** n for a in self.data], self.unit ** n)

class units:
    m = Unit((1, 0, 0), 1.0, "m")
    km = Unit((1, 0, 0), 1000.0, "km")
    s = Unit((0, 0, 1), 1.0, "s")
    kg = Unit((0, 1, 0), 1.0, "kg")
`;

type Obj = Record<string, any>;

const releases = (() => {
  const app = new App();
  buildDimtensor(app);
  return renderApp(app);
})();
const objectsOf = (name: string) => releases.find((r) => r.name === name)!.objects as Obj[];

/** Writes the ConfigMap's files into `dir` (the pod's /config) and the stand-in dimtensor beside them. */
function materialize(release: string, dir: string): Obj {
  const cm = objectsOf(release).find((o) => o.kind === 'ConfigMap')!;
  for (const [file, text] of Object.entries(cm.data as Record<string, string>)) fs.writeFileSync(path.join(dir, file), text);
  fs.mkdirSync(path.join(dir, 'site', 'dimtensor'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'site', 'dimtensor', '__init__.py'), STUB);
  return cm;
}

/** The program path and env of a rendered container, with /config mapped to `dir`. */
function containerRun(c: Obj, dir: string): { script: string; env: Record<string, string> } {
  const [python, script] = c.command as string[];
  expect(python).toBe('python');
  const env: Record<string, string> = {};
  for (const e of (c.env ?? []) as Obj[]) if (e.value !== undefined) env[e.name] = String(e.value).replace(/^\/config\//, `${dir}/`);
  return { script: script.replace(/^\/config\//, `${dir}/`), env };
}

function post(url: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, { method: 'POST', timeout: 2000, agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}

describe('dimtensor programs on their rendered config (real Python)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dimtensor-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('inference API', () => {
    let proc: ChildProcess | undefined;
    afterEach(() => {
      if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    });

    test('answers the startup, readiness and liveness probe paths on the port the Service targets, serves metrics, and stops on SIGTERM', async () => {
      materialize('dimtensor-inference', dir);
      const d = objectsOf('dimtensor-inference').find((o) => o.kind === 'Deployment')!;
      const c = d.spec.template.spec.containers[0];
      const svc = objectsOf('dimtensor-inference').find((o) => o.kind === 'Service')!;
      const target = c.ports.find((p: Obj) => p.name === svc.spec.ports[0].targetPort);
      expect(target.containerPort).toBe(8080);
      const port = await freePort(); // the rendered 8080 may be taken on the test machine; the program reads PORT
      const run = containerRun(c, dir);
      proc = spawn(PYTHON, [run.script], { env: { PATH: process.env.PATH, ...run.env, HOST: '127.0.0.1', PORT: String(port), PYTHONPATH: path.join(dir, 'site') }, stdio: 'ignore' });
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 10_000;
      let started = false;
      while (!started && Date.now() < deadline) {
        started = await httpGet(`${base}${c.startupProbe.httpGet.path}`).then((r) => r.status === 200, () => false);
        if (!started) await new Promise((r) => setTimeout(r, 100));
      }
      expect(started).toBe(true);
      for (const probe of [c.readinessProbe, c.livenessProbe]) expect((await httpGet(`${base}${probe.httpGet.path}`)).status).toBe(200);
      const converted = await post(`${base}/api/v1/convert`, { value: 3.6, from_unit: 'km', to_unit: 'm' });
      expect(JSON.parse(converted.body)).toEqual({ value: 3600, unit: 'm' });
      expect((await post(`${base}/api/v1/convert`, { value: 1, from_unit: 'km', to_unit: 's' })).status).toBe(400);
      const metrics = await httpGet(`${base}${d.spec.template.metadata.annotations['prometheus.io/path']}`);
      expect(metrics.body).toMatch(/dimtensor_requests_total\{outcome="error"\} 1\ndimtensor_requests_total\{outcome="ok"\} 1\n$/);
      const exited = new Promise<number | null>((resolve) => proc!.once('exit', (code) => resolve(code)));
      proc.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 5000))]);
      expect(code).toBe(0);
    });

    test('is not ready while dimtensor cannot be imported (readiness keeps it out of the Service)', async () => {
      materialize('dimtensor-inference', dir);
      const c = objectsOf('dimtensor-inference').find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
      const port = await freePort();
      const run = containerRun(c, dir);
      proc = spawn(PYTHON, [run.script], { env: { PATH: process.env.PATH, ...run.env, HOST: '127.0.0.1', PORT: String(port), PYTHONPATH: dir }, stdio: 'ignore' });
      const deadline = Date.now() + 10_000;
      let health = 0;
      while (health !== 200 && Date.now() < deadline) {
        health = await httpGet(`http://127.0.0.1:${port}${c.livenessProbe.httpGet.path}`).then((r) => r.status, () => 0);
        if (health !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health).toBe(200);
      expect((await httpGet(`http://127.0.0.1:${port}${c.readinessProbe.httpGet.path}`)).status).toBe(503);
    });
  });

  describe('batch sweep', () => {
    const job = () => objectsOf('dimtensor-batch').find((o) => o.kind === 'Job')!;

    test.each([0, 57, SWEEP_PARAMS.velocity_sweep.steps - 1])('task %i reads its completion index and the rendered physics_params.json', (index) => {
      materialize('dimtensor-batch', dir);
      const c = job().spec.template.spec.containers[0];
      const run = containerRun(c, dir);
      expect(run.env.PARAMS_FILE).toBe(path.join(dir, 'physics_params.json'));
      // What the kubelet resolves the fieldRef to in an Indexed Job: the pod's completion-index annotation.
      expect(c.env.find((e: Obj) => e.name === 'JOB_COMPLETION_INDEX').valueFrom.fieldRef.fieldPath).toContain('job-completion-index');
      const out = spawnSync(PYTHON, [run.script], { env: { PATH: process.env.PATH, ...run.env, JOB_COMPLETION_INDEX: String(index), PYTHONPATH: path.join(dir, 'site') }, encoding: 'utf8', timeout: 10_000 });
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      const result = JSON.parse(out.stdout);
      const { start, stop, steps } = SWEEP_PARAMS.velocity_sweep;
      expect(result.index).toBe(index);
      expect(result.velocity_m_s).toBeCloseTo(start + (index * (stop - start)) / (steps - 1));
      const { drag_coefficient: cd, air_density: rho, reference_area: area } = SWEEP_PARAMS;
      expect(result.drag).toBeCloseTo(0.5 * cd * rho * result.velocity_m_s ** 2 * area);
    });

    test('an empty index (a Job that is not Indexed) stops the task with the reason, not a traceback from int(\'\')', () => {
      materialize('dimtensor-batch', dir);
      const run = containerRun(job().spec.template.spec.containers[0], dir);
      const out = spawnSync(PYTHON, [run.script], { env: { PATH: process.env.PATH, ...run.env, JOB_COMPLETION_INDEX: '', PYTHONPATH: path.join(dir, 'site') }, encoding: 'utf8', timeout: 10_000 });
      expect(out.status).toBe(1);
      expect(out.stderr.trim()).toBe("JOB_COMPLETION_INDEX is '': run this as an Indexed Job");
    });
  });
});
