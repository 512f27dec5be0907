import * as path from 'path';
import { NodeSelection } from '../../lib/core';
import { App } from 'cdk8s';
import * as ts from 'typescript';
import * as kit from '../../lib';
import { GraphistryStack, Tier } from '../../lib/graphistry';
import { FleetDeploymentOptions, IotFleet } from '../../lib/iot';
import { NatsExposure, NatsServer } from '../../lib/nats';
import { Release, renderRelease, SynthWarning } from '../../lib/release';
import { TelemetryStack } from '../../lib/telemetry';
import { BASE, SELF_HOSTED } from '../graphistry/stack-fixtures';

// Every warning that a prop change silences names that prop as the user wrote it, in the props of the construct they
// created, with a value. This test collects those fixes from apps that trigger every such warning and compiles each
// one against the construct's props type: a fix that names a prop the construct does not have (the placeholder cookie
// warning once told GraphistryStack users to set `stickyCookie.secret`, which only CaddyIngress has), or a value of the
// wrong type, fails to compile.

const ROOT = path.join(__dirname, '..', '..');
const GPU = { 'pool.example.com/gpu': 'true' };
const OPEN_LB = NatsExposure.loadBalancer({ reason: 'devices connect from outside', openToAllSources: { reason: 'devices roam between networks' } });

/** One app per warning that carries a fix; each builds its release and returns it. */
const scenarios: Record<string, (app: App) => Release> = {
  'TelemetryStack storing Prometheus on an existing claim': (app) => {
    const r = new Release(app, 't', { namespace: 't' });
    new TelemetryStack(r, 'Telemetry', { ...SELF_HOSTED, prometheus: { persistence: { existingClaim: 'prom-old' } } });
    return r;
  },
  'GraphistryStack storing Prometheus on an existing claim': (app) => {
    const r = new Release(app, 'gt', { namespace: 'gt' });
    new GraphistryStack(r, 'Graphistry', { ...BASE, telemetry: { ...SELF_HOSTED, prometheus: { persistence: { existingClaim: 'prom-old' } } } });
    return r;
  },
  'GraphistryStack with ReadWriteOnce claims across node pools': (app) => {
    const r = new Release(app, 'gs', { namespace: 'gs', placement: { nodeSelector: { 'pool.example.com/cpu': 'true' } } });
    new GraphistryStack(r, 'Graphistry', { ...BASE, tier: Tier.ANALYTICS, engine: { placement: { nodeSelection: NodeSelection.fallback(GPU) } } });
    return r;
  },
  'IotFleet selecting by matchExpressions': (app) => {
    const r = new Release(app, 'f', { namespace: 'f' });
    const fleet = new IotFleet(r, 'Fleet', { operator: { supports: { matchExpressions: true } } });
    const options: FleetDeploymentOptions = {
      targetSelector: { matchLabels: { group: 'lab' }, matchExpressions: [{ key: 'device', operator: 'Exists' }] },
      image: 'docker.io/library/nginx:1.27.2-alpine',
    };
    fleet.addDeployment('web', options);
    return r;
  },
  'NatsServer behind a load balancer open to every source': (app) => {
    const r = new Release(app, 'n', { namespace: 'n' });
    new NatsServer(r, 'Nats', { exposure: OPEN_LB });
    return r;
  },
  'IotFleet with its NATS behind a load balancer open to every source': (app) => {
    const r = new Release(app, 'fn', { namespace: 'fn' });
    new IotFleet(r, 'Fleet', { nats: { exposure: OPEN_LB } });
    return r;
  },
};

interface CollectedFix {
  readonly scenario: string;
  readonly warning: SynthWarning;
  readonly fix: NonNullable<SynthWarning['fix']>;
}

function collect(): CollectedFix[] {
  const out: CollectedFix[] = [];
  for (const [scenario, build] of Object.entries(scenarios)) {
    const release = build(new App());
    // Rendering runs the validations, which add the warnings that depend on later add*() calls.
    renderRelease(release);
    for (const warning of release.warningDetails) if (warning.fix) out.push({ scenario, warning, fix: warning.fix });
  }
  return out;
}

/** Compiles `source` as a file in test/ (so it imports the library as the tests do); returns the errors. */
function compile(source: string): string[] {
  const configFile = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const options = { ...ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT).options, noEmit: true, noUnusedLocals: false };
  const file = path.join(ROOT, 'test', '__warning_fixes__.ts');
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    path.resolve(name) === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** `{ a: { b: VALUE } }` for the path `a.b`. */
function nested(prop: string, value: string): string {
  return prop.split('.').reverse().reduce((inner, key) => `{ ${JSON.stringify(key)}: ${inner} }`, value);
}

describe('warning fixes', () => {
  const fixes = collect();

  test('every scenario produces its warning with a fix, naming the prop in the props of the construct the user created', () => {
    const found = [...new Set(fixes.map((f) => `${f.fix.construct} ${f.fix.prop}`))].sort();
    expect(found).toEqual([
      'GraphistryStack storage.accessMode',
      'GraphistryStack telemetry.prometheus.retentionSize',
      'IotFleet nats.exposure',
      'IotFleet operator.image',
      'NatsServer exposure',
      'TelemetryStack prometheus.retentionSize',
    ]);
    for (const f of fixes) expect(f.warning.text.endsWith(`Fix: in the props of ${f.fix.construct} ${JSON.stringify(f.fix.path)}, set ${f.fix.prop}: ${f.fix.value}.`)).toBe(true);
  });

  test('every fix compiles against the props of the construct it names (and a wrong prop does not)', () => {
    const names = [...new Set(fixes.flatMap((f) => f.fix.value.match(/\b[A-Z][A-Za-z0-9_]*(?=\.)/g) ?? []))].sort();
    const fromKit = names.filter((n) => n in kit);
    const fromCdk8s = names.filter((n) => !(n in kit));
    const lines = [
      "import * as kit from '../lib';",
      fromKit.length ? `import { ${fromKit.join(', ')} } from '../lib';` : '',
      fromCdk8s.length ? `import { ${fromCdk8s.join(', ')} } from 'cdk8s';` : '',
      'type DeepPartial<T> = T extends (...args: never[]) => unknown ? T : T extends readonly (infer U)[] ? readonly DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;',
      ...fixes.map((f, i) => `export const fix${i}: DeepPartial<kit.${f.fix.construct}Props> = ${nested(f.fix.prop, f.fix.value)}; // ${f.scenario}`),
      // The check can fail: the fix the placeholder-cookie warning once gave GraphistryStack users.
      `export const wrong: DeepPartial<kit.GraphistryStackProps> = ${nested('stickyCookie.secret', "kit.CaddyCookieSecret.fromSecret('x', 'cookie-secret')")};`,
    ];
    const errors = compile(lines.join('\n'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/'"stickyCookie"' does not exist in type/);
  });
});
