import * as fs from 'fs';
import * as iot from '../../imports/iot.nationtech.io';
import {
  CrdSchema,
  IOT_DEPLOYMENT_SCHEMA,
  IOT_ROLLOUT_STRATEGIES,
  IOT_SCORE_TYPES,
  IOT_SELECTOR_OPERATORS,
} from '../../lib/iot';
import { CRD_YAML_PATH, importCrd, IMPORTS_TS_PATH, renderCrdYaml } from './crd-import';

const REGENERATE = 'run `npx tsx test/iot/crd-import.ts --write` and commit imports/';

/** The interfaces of a generated file: name -> property name -> required. */
function generatedInterfaces(source: string): Map<string, Map<string, boolean>> {
  const out = new Map<string, Map<string, boolean>>();
  for (const m of source.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
    const props = new Map<string, boolean>();
    for (const p of m[2].matchAll(/^\s+readonly (\w+)(\??):/gm)) props.set(p[1], p[2] !== '?');
    out.set(m[1], props);
  }
  return out;
}

function generatedEnum(source: string, name: string): string[] {
  const body = new RegExp(`export enum ${name} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? '';
  return [...body.matchAll(/= "([^"]*)"/g)].map((m) => m[1]);
}

/**
 * The interfaces `cdk8s import` should produce for the spec, by its naming rule (parent name + property name in
 * PascalCase; array items take the array's name), each with its properties and whether they are required.
 */
function expectedInterfaces(schema: CrdSchema, name: string, out = new Map<string, Map<string, boolean>>()): Map<string, Map<string, boolean>> {
  const node = schema.type === 'array' ? schema.items! : schema;
  if (node.type !== 'object' || !node.properties) return out;
  const required = new Set(node.required ?? []);
  out.set(name, new Map(Object.keys(node.properties).map((k) => [k, required.has(k)])));
  for (const [k, v] of Object.entries(node.properties)) expectedInterfaces(v, `${name}${k[0].toUpperCase()}${k.slice(1)}`, out);
  return out;
}

describe('imports/iot.nationtech.io.ts agrees with the TypeScript CRD', () => {
  const committedTs = fs.readFileSync(IMPORTS_TS_PATH, 'utf8');

  test('the committed CRD YAML is the one lib/iot/crd.ts synthesizes', () => {
    const committed = fs.readFileSync(CRD_YAML_PATH, 'utf8');
    expect({ current: committed === renderCrdYaml(), fix: REGENERATE }).toEqual({ current: true, fix: REGENERATE });
  });

  test('cdk8s import of the CRD regenerates exactly the committed classes', () => {
    const fresh = importCrd(CRD_YAML_PATH);
    expect({ current: fresh === committedTs, fix: REGENERATE }).toEqual({ current: true, fix: REGENERATE });
  }, 60_000);

  test('every schema object of the spec has a generated interface with the same properties and required-ness', () => {
    const generated = generatedInterfaces(committedTs);
    const expected = expectedInterfaces(IOT_DEPLOYMENT_SCHEMA.properties!.spec, 'DeploymentSpec');
    expect(expected.size).toBeGreaterThanOrEqual(7);
    for (const [name, props] of expected) {
      expect({ name, props: Object.fromEntries(generated.get(name) ?? []) }).toEqual({ name, props: Object.fromEntries(props) });
    }
  });

  test('generated enums equal the TypeScript enumerations', () => {
    expect(generatedEnum(committedTs, 'DeploymentSpecScoreType')).toEqual([...IOT_SCORE_TYPES]);
    expect(generatedEnum(committedTs, 'DeploymentSpecRolloutStrategy')).toEqual([...IOT_ROLLOUT_STRATEGIES]);
    expect(generatedEnum(committedTs, 'DeploymentSpecTargetSelectorMatchExpressionsOperator')).toEqual([...IOT_SELECTOR_OPERATORS]);
  });

  test('the generated class has the CRD\'s apiVersion and kind', () => {
    expect(iot.Deployment.GVK).toEqual({ apiVersion: 'iot.nationtech.io/v1alpha1', kind: 'Deployment' });
  });
});
