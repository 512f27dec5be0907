import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { synthesize } from '../../apps/main';
import { helmBinary } from '../../bin/helm';
import { baselineValues } from '../../bench/helm-values';
import { generatedApp } from '../../bench/scenarios';
import { Manifest, renderApp } from '../../lib/release';

// The Helm baseline of `npm run bench` is only a fair comparison while the real helm renders, from it, the objects
// the synth renders: the same number of each kind, with the same content.
const ROOT = path.join(__dirname, '..', '..');

function helmTemplate(args: string[]): Manifest[] {
  const out = execFileSync(helmBinary(), ['template', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  return YAML.parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean) as Manifest[];
}

const sorted = (o: unknown) => JSON.stringify(o, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
const key = (o: Manifest) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`;

describe('the Helm baseline charts (bench/helm)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-baseline-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('render every example release: the same objects by kind and name, and nearly all with the same content', () => {
    let same = 0;
    let all = 0;
    for (const r of synthesize()) {
      const file = path.join(tmp, `${r.name}.yaml`);
      fs.writeFileSync(file, YAML.stringify(baselineValues(r.objects).values));
      const rendered = helmTemplate([r.name, 'bench/helm/baseline', '--namespace', r.namespace, '--values', file]);
      expect({ release: r.name, objects: rendered.map(key).sort() }).toEqual({ release: r.name, objects: r.objects.map(key).sort() });
      const byKey = new Map(rendered.map((o) => [key(o), o]));
      for (const o of r.objects) {
        all++;
        if (sorted(byKey.get(key(o))) === sorted(o)) same++;
      }
    }
    // Field order and a label here and there differ; the objects are the same size and shape.
    expect(same / all).toBeGreaterThan(0.9);
  });

  test('the scale chart renders the generated scale app, object for object', () => {
    const ours = renderApp(generatedApp(30))[0].objects;
    const rendered = helmTemplate(['scale-30', 'bench/helm/scale', '--namespace', 'scale', '--set', 'workloads=10']);
    expect(rendered.map(key).sort()).toEqual(ours.map(key).sort());
    const byKey = new Map(rendered.map((o) => [key(o), o]));
    expect(ours.filter((o) => sorted(byKey.get(key(o))) === sorted(o)).length).toBe(ours.length);
  });
});
