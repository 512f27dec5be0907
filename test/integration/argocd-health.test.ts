/**
 * The generated Argo CD health check for IoT fleet Deployments, run by a real Lua 5.1 interpreter (Debian's lua5.1;
 * Argo CD evaluates health checks with gopher-lua, which implements Lua 5.1) against sample objects the way Argo CD
 * runs it: the script is a chunk, the live object is the global `obj`, and the chunk returns `{ status, message }`.
 * Every sample is first validated against the rendered CRD, so the statuses are ones the operator can write.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { buildIotFleet } from '../../apps/iot-fleet';
import { ArgoCdHealthCheck, luaString } from '../../lib/gitops';
import { renderApp } from '../../lib/release';
import { crdValidator } from '../iot/schema-validator';

const CANDIDATES = [process.env.LUA51_BIN, '/usr/bin/lua5.1'].filter((p): p is string => !!p);

function lua51(): string {
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  // Fail, never skip: a missing interpreter means the CI install step is broken.
  if (!found) throw new Error(`lua5.1 not found (looked at ${CANDIDATES.join(', ')}); install the Debian package lua5.1`);
  return found;
}

/** A JSON value as a Lua table constructor (arrays 1-based, as Argo CD converts them; null fields left out). */
function toLua(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(toLua).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null).map(([k, x]) => `[${luaString(k)}] = ${toLua(x)}`).join(', ')}}`;
}

interface Outcome {
  readonly status: string;
  readonly message: string;
}

/** Runs the check on every object in one lua5.1 process; one `status<TAB>message` line per object. */
function runHealth(lua: string, objects: readonly unknown[]): Outcome[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-health-'));
  try {
    const script = path.join(dir, 'health.lua');
    fs.writeFileSync(script, lua);
    const harness = [
      `local check = assert(loadfile(${luaString(script)}))`,
      `local samples = {${objects.map(toLua).join(',\n')}}`,
      'for i = 1, #samples do',
      '  obj = samples[i]',
      '  local hs = check()',
      '  io.write(tostring(hs.status), "\\t", tostring(hs.message), "\\n")',
      'end',
    ].join('\n');
    const out = execFileSync(lua51(), ['-'], { input: harness, encoding: 'utf-8', timeout: 10_000, stdio: ['pipe', 'pipe', 'pipe'] });
    return out.trimEnd().split('\n').map((line) => {
      const [status, message] = line.split('\t');
      return { status, message };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Argo CD health check for iot.nationtech.io/Deployment under lua5.1', () => {
  // The example's CRD is iot-fleet's, its custom resources iot-demo's (seed 003's layout).
  const rendered = renderApp((() => {
    const app = new App();
    buildIotFleet(app);
    return app;
  })()).flatMap((r) => r.objects);
  const crd = rendered.find((o) => o.kind === 'CustomResourceDefinition') as any;
  const validate = crdValidator(crd.spec.versions[0].schema.openAPIV3Schema);
  const cr = rendered.find((o) => o.apiVersion === 'iot.nationtech.io/v1alpha1') as any;
  const withStatus = (status?: unknown) => (status === undefined ? { ...cr } : { ...cr, status });
  const at = '2026-11-29T10:00:00Z';

  const cases: Array<[string, unknown, Outcome]> = [
    ['no status yet (the operator has not seen the CR)', undefined, { status: 'Progressing', message: 'waiting for the operator to report status.aggregate' }],
    ['a status without aggregate (published, not folded yet)', { observedScoreString: '{"type":"PodmanV0"}' }, { status: 'Progressing', message: 'waiting for the operator to report status.aggregate' }],
    ['an empty aggregate (no device matches yet)', { aggregate: {} }, { status: 'Healthy', message: 'no device matches the target selector yet' }],
    ['every device running', { aggregate: { succeeded: 3, failed: 0, pending: 0, lastHeartbeatAt: at } }, { status: 'Healthy', message: '3 running, 0 pending, 0 failed' }],
    ['devices still pending', { aggregate: { succeeded: 1, pending: 2 } }, { status: 'Progressing', message: '1 running, 2 pending, 0 failed' }],
    [
      'a failed device, with the last error',
      { aggregate: { succeeded: 5, pending: 1, failed: 2, lastError: { deviceId: 'pi-07', message: 'image pull: 429 Too Many Requests', at }, recentEvents: [{ at, severity: 'Error', deviceId: 'pi-07', message: 'pull failed', deployment: cr.metadata.name }] } },
      { status: 'Degraded', message: '5 running, 1 pending, 2 failed; last error on pi-07: image pull: 429 Too Many Requests' },
    ],
    ['a failed device, last error without a device', { aggregate: { failed: 1, lastError: { message: 'bad "quote"' } } }, { status: 'Degraded', message: '0 running, 0 pending, 1 failed; last error: bad "quote"' }],
    ['a failure counts before pending', { aggregate: { failed: 1, pending: 9 } }, { status: 'Degraded', message: '0 running, 9 pending, 1 failed' }],
  ];

  test.each(cases.map(([name, status]) => [name, status] as const))('the sample "%s" is a status the CRD admits', (_name, status) => {
    expect(validate(withStatus(status)).errors).toEqual([]);
  });

  test('maps each sample status to the Argo CD health and message', () => {
    const got = runHealth(ArgoCdHealthCheck.iotFleetDeployment().lua, cases.map(([, status]) => withStatus(status)));
    expect(got.map((g, i) => [cases[i][0], g])).toEqual(cases.map(([name, , want]) => [name, want]));
  });

  test('fails when the script is not Lua 5.1 (the harness reports syntax errors instead of passing)', () => {
    expect(() => runHealth('local x = 1 // 2\nreturn {}', [{}])).toThrow(/unexpected symbol|syntax error/);
  });
});

describe('Argo CD health check for argoproj.io/Application (app-of-apps waves) under lua5.1', () => {
  const app = (status?: unknown) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'graphistry-postgres', namespace: 'argocd' }, ...(status === undefined ? {} : { status }) });
  const cases: Array<[string, unknown, Outcome]> = [
    ['just created (no status)', undefined, { status: 'Progressing', message: 'waiting for the application controller to report health' }],
    ['status without health', { sync: { status: 'OutOfSync' } }, { status: 'Progressing', message: 'waiting for the application controller to report health' }],
    ['a sync running', { health: { status: 'Healthy' }, operationState: { phase: 'Running', message: 'waiting for healthy state of apps/Deployment/x' } }, { status: 'Progressing', message: 'sync running: waiting for healthy state of apps/Deployment/x' }],
    ['the last sync failed and left it out of sync', { health: { status: 'Healthy' }, sync: { status: 'OutOfSync' }, operationState: { phase: 'Failed', message: 'one or more objects failed to apply' } }, { status: 'Degraded', message: 'last sync failed: one or more objects failed to apply' }],
    ['a failed sync that a later change put in sync', { health: { status: 'Healthy' }, sync: { status: 'Synced' }, operationState: { phase: 'Failed' } }, { status: 'Healthy', message: '' }],
    ['a health status Argo CD does not know', { health: { status: 'Weird' } }, { status: 'Unknown', message: '' }],
    ['healthy after a successful sync', { health: { status: 'Healthy' }, sync: { status: 'Synced' }, operationState: { phase: 'Succeeded' } }, { status: 'Healthy', message: '' }],
    ['degraded, with the controller\'s message', { health: { status: 'Degraded', message: 'Deployment x exceeded its progress deadline' }, sync: { status: 'Synced' } }, { status: 'Degraded', message: 'Deployment x exceeded its progress deadline' }],
  ];

  test('maps each sample status to the health the parent waits on', () => {
    const got = runHealth(ArgoCdHealthCheck.argoCdApplication().lua, cases.map(([, status]) => app(status)));
    expect(got.map((g, i) => [cases[i][0], g])).toEqual(cases.map(([name, , want]) => [name, want]));
  });
});
