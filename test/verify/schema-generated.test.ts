import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { buildApp } from '../../apps/main';
import { renderArgoCd } from '../../lib/gitops/argocd';
import { renderApp } from '../../lib/release';
import {
  bundledCrds, BUNDLED_KUBERNETES_SCHEMA, defaultSchemaPath, KubeObject, packageRoot, parseManifests, releaseCrdVersions, SchemaValidator,
  verifyManifests,
} from '../../lib/verify';
import { generateValidatorsModule, SHARED_SUBSCHEMA_MIN_LENGTH, shareSubschemas, withoutErrorDetails } from '../../lib/verify/schema-codegen';
import {
  ajvVersion, coreValidatorId, crdValidatorId, GENERATED_FORMAT, GENERATED_VALIDATORS, loadGeneratedValidators, sha256, staleReason, transformSha256,
} from '../../lib/verify/schema-generated';
import { crdRootSchema } from '../../lib/verify/schema-strict';
import { rng } from '../release/yaml-gen';


// Generated validators (written by npm run prepare / npm run build) check every valid object without compiling the
// schema; they must give exactly the verdict ajv gives at run time, and must never be used for another schema.

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'verify');
const generated = SchemaValidator.get();
const runtime = SchemaValidator.runtimeOnly();

function gvkOf(o: KubeObject): string {
  const api = String(o.apiVersion);
  const [group, version] = api.includes('/') ? api.split('/') : ['', api];
  return `${group}/${version}/${o.kind}`;
}

const rendered = renderApp(buildApp());
const appObjects = rendered.flatMap((r) => r.objects) as KubeObject[];
/** The example apps' Argo CD delivery (Applications and AppProjects: third-party CRDs the package ships). */
const argoObjects = renderArgoCd(rendered)!.manifests.map((m) => m.object) as unknown as KubeObject[];
const corpus = ['broken', 'clean'].flatMap((dir) =>
  fs.readdirSync(path.join(FIXTURES, dir)).sort().flatMap((f) => parseManifests(fs.readFileSync(path.join(FIXTURES, dir, f), 'utf8'), f)),
);

/** The same object with one random change: a field removed, retyped, renamed, added, or an enum value misspelt. */
function mutate(o: KubeObject, r: () => number): KubeObject {
  const copy = JSON.parse(JSON.stringify(o));
  const nodes: Array<{ parent: any; key: string | number }> = [];
  const walk = (v: any) => {
    if (!v || typeof v !== 'object') return;
    for (const k of Object.keys(v)) {
      nodes.push({ parent: v, key: Array.isArray(v) ? Number(k) : k });
      walk(v[k]);
    }
  };
  walk(copy);
  const { parent, key } = nodes[Math.floor(r() * nodes.length)];
  const value = parent[key];
  switch (Math.floor(r() * 6)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 1:
      parent[key] = typeof value === 'number' ? String(value) : typeof value === 'string' ? 7 : typeof value === 'boolean' ? 'yes' : [value];
      break;
    case 2:
      if (!Array.isArray(parent)) {
        delete parent[key];
        parent[`${key}s`] = value;
      }
      break;
    case 3:
      if (!Array.isArray(parent)) parent.unknownField = 1;
      break;
    case 4:
      if (typeof value === 'string') parent[key] = value.toLowerCase() === value ? value.toUpperCase() : value.toLowerCase();
      break;
    default:
      parent[key] = typeof value === 'object' && value !== null ? {} : -1;
  }
  return copy;
}

describe('generated schema validators', () => {
  test('this checkout has them, made from the shipped schema, and uses them for every kind the example apps render', () => {
    expect(generated.generatedUnusedReason).toBeUndefined();
    const schemaSha256 = sha256(fs.readFileSync(defaultSchemaPath()));
    const key = { format: GENERATED_FORMAT, schemaSha256, transformSha256: transformSha256(), ajvVersion: ajvVersion() };
    expect(generated.generated?.key).toEqual(key);
    for (const o of appObjects) {
      const source = generated.generated?.gvk[gvkOf(o)]
        ? generated.sourceOf(gvkOf(o))
        : generated.sourceOfCrd(releaseCrdVersions(appObjects).get(gvkOf(o))!.schema);
      expect({ kind: gvkOf(o), source }).toEqual({ kind: gvkOf(o), source: 'generated' });
    }
  });

  test('give the same verdict as ajv at run time: app objects, the verification corpus, and thousands of mutations of them', () => {
    const r = rng(3);
    const crds = releaseCrdVersions(appObjects);
    const cases = [...appObjects, ...corpus];
    for (let i = 0; i < 3000; i++) cases.push(mutate(cases[i % (appObjects.length + corpus.length)], r));
    let failing = 0;
    for (const o of cases) {
      const a = generated.validate(o, [], crds);
      const b = runtime.validate(o, [], crds);
      expect({ o, findings: a }).toEqual({ o, findings: b });
      if (b.length) failing++;
    }
    // The mutations must actually break objects, or the comparison proves little.
    expect(failing).toBeGreaterThan(1500);
  });

  test('the generated check alone (no reporting pass) agrees with the runtime verdict', () => {
    const r = rng(9);
    let compared = 0;
    for (let i = 0; i < 2000; i++) {
      const o = mutate(appObjects[i % appObjects.length], r);
      const def = generated.generated!.gvk[gvkOf(o)];
      const check = def && generated.generated!.check(coreValidatorId(def));
      if (!check) continue;
      expect({ o, valid: check(o) }).toEqual({ o, valid: runtime.validate(o, [], new Map()).length === 0 });
      compared++;
    }
    expect(compared).toBeGreaterThan(1500);
  });

  test('the third-party CRD validators load from their own file on first use (Argo CD Application)', () => {
    const app = [...bundledCrds().entries()].find(([k]) => k === 'argoproj.io/v1alpha1/Application')![1];
    const id = crdValidatorId(JSON.stringify(app.schema));
    expect(generated.sourceOfCrd(app.schema)).toBe('generated');
    const ok = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a', namespace: 'argocd' }, spec: { project: 'default', destination: { namespace: 'x', server: 'https://kubernetes.default.svc' }, source: { repoURL: 'https://git.example.com/x.git', path: 'dist/x', targetRevision: 'main' } } };
    const bad = { ...ok, spec: { ...ok.spec, destination: { namespace: 'x', servr: 'typo' } } };
    expect(generated.generated!.check(id)!(ok)).toBe(true);
    expect(generated.generated!.check(id)!(bad)).toBe(false);
    expect(verifyManifests([bad as KubeObject]).violations.map((v) => v.message)).toEqual(expect.arrayContaining([expect.stringContaining('unknown field spec.destination.servr')]));
  });

  test('give the same verdict as ajv at run time on the Argo CD delivery objects and thousands of mutations of them', () => {
    expect([...new Set(argoObjects.map(gvkOf))].sort()).toEqual(['argoproj.io/v1alpha1/AppProject', 'argoproj.io/v1alpha1/Application']);
    for (const [gvk, crd] of bundledCrds()) if (gvk.startsWith('argoproj.io/')) expect({ gvk, source: generated.sourceOfCrd(crd.schema) }).toEqual({ gvk, source: 'generated' });
    const r = rng(5);
    const cases = [...argoObjects];
    for (let i = 0; i < 1500; i++) cases.push(mutate(argoObjects[i % argoObjects.length], r));
    let failing = 0;
    for (const o of cases) {
      const a = generated.validate(o, [], new Map());
      const b = runtime.validate(o, [], new Map());
      expect({ o, findings: a }).toEqual({ o, findings: b });
      if (b.length) failing++;
    }
    expect(failing).toBeGreaterThan(500);
  });

  test('a CRD subschema written more than once is generated once, and each large one is a function of its own', () => {
    const field = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`field${i}`, { type: 'string', description: 'x'.repeat(20) }]));
    const source = { type: 'object', required: ['repoURL'], properties: { repoURL: { type: 'string' }, helm: { type: 'object', properties: field(12) } } };
    const small = { type: 'object', properties: { name: { type: 'string' } } };
    const withId = { $id: 'elsewhere.json', type: 'object', properties: field(12) };
    const schema = {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { source, sources: { type: 'array', items: source }, small, withId } },
        status: { type: 'object', properties: { sync: { type: 'object', properties: { source, small } } } },
      },
    };
    const root = crdRootSchema(schema);
    const shared = shareSubschemas(root) as any;
    const isRef = { $ref: expect.stringMatching(/^#\/definitions\/s\d+$/) };
    const deref = (node: any) => (node.$ref ? shared.definitions[node.$ref.split('/').pop()] : node);
    const spec = deref(shared.properties.spec);
    const ref = spec.properties.source;
    expect(ref).toEqual(isRef);
    // Every copy refers to the one definition; the copy is the subschema as strictified, nested large ones referenced.
    expect(deref(spec.properties.sources).items).toEqual(ref);
    expect(deref(deref(deref(shared.properties.status).properties.sync).properties.source)).toBe(deref(ref));
    expect(deref(ref).properties.helm).toEqual(isRef);
    expect(deref(deref(ref).properties.helm)).toEqual(root.properties.spec.properties.source.properties.helm);
    const inlined = { ...deref(ref), properties: { ...deref(ref).properties, helm: deref(deref(ref).properties.helm) } };
    expect(inlined).toEqual(root.properties.spec.properties.source);
    // Small subschemas stay where they are, and so does one whose meaning depends on its place (an $id).
    expect(JSON.stringify(small).length).toBeLessThan(SHARED_SUBSCHEMA_MIN_LENGTH);
    expect(spec.properties.small).toEqual(root.properties.spec.properties.small);
    expect(spec.properties.withId).toEqual(root.properties.spec.properties.withId);
    // The root's own keywords are kept; a schema that already has definitions is left alone.
    expect(shared.properties.metadata).toEqual(root.properties.metadata);
    expect(shared.additionalProperties).toBe(false);
    expect(shareSubschemas({ ...root, definitions: {} })).toEqual({ ...root, definitions: {} });
    // Generated code: one function for the source however often it is written.
    const { definitions } = JSON.parse(zlib.gunzipSync(fs.readFileSync(defaultSchemaPath())).toString('utf8'));
    const once = generateValidatorsModule({ definitions, schemaSha256: 'a', transformSha256: 'b', kinds: [], crdSchemas: [], separateCrdSchemas: [schema] });
    const twice = generateValidatorsModule({
      definitions, schemaSha256: 'a', transformSha256: 'b', kinds: [], crdSchemas: [],
      separateCrdSchemas: [{ ...schema, properties: { ...schema.properties, other: { type: 'object', properties: { source } } } }],
    });
    const helmChecks = (code: string) => code.split('"field11"').length;
    expect(helmChecks(twice.parts[0].code)).toBe(helmChecks(once.parts[0].code));
  });

  test('the generated code builds no error details: error objects become empty ones, other literals stay', () => {
    const code = [
      'function validate1(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){',
      'if(!(validate2(data.a, {instancePath:instancePath+"/a",parentData:data,parentDataProperty:"a",rootData}))){',
      'vErrors = vErrors === null ? validate2.errors : vErrors.concat(validate2.errors);errors = vErrors.length;}',
      'if(typeof data.b !== "string"){const err0 = {instancePath:instancePath+"/b",schemaPath:"#/properties/b/type",keyword:"type",params:{type: "string"}};',
      'if(vErrors === null){vErrors = [err0];}else {vErrors.push(err0);}errors++;}',
      'if(!pattern0.test(data.c)){validate1.errors = [{instancePath,schemaPath:"#/pattern",keyword:"pattern",params:{pattern: "^[{]}\\"x{2}$"}}];return false;}',
      'return errors === 0;}',
    ].join('\n');
    const out = withoutErrorDetails(code);
    expect(out).toContain('{instancePath="", parentData, parentDataProperty, rootData=data}={}');
    expect(out).toContain('{instancePath:instancePath+"/a",parentData:data,parentDataProperty:"a",rootData}');
    expect(out).toContain('const err0 = {};');
    expect(out).toContain('validate1.errors = [{}];return false;}');
    expect(out).not.toContain('schemaPath');
    expect(out.split('\n')).toHaveLength(code.split('\n').length);
    // The module on disk: verdicts only (the comparisons above with ajv at run time prove them the same).
    expect(fs.readFileSync(path.join(packageRoot(), GENERATED_VALIDATORS), 'utf8')).not.toMatch(/schemaPath:|keyword:"/);
  });

  test('fails over to ajv at run time when the schema in use is not the one they were generated from', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-stale-'));
    try {
      // The same definitions, compressed differently: other bytes, so another schema as far as the key goes.
      const copy = path.join(dir, 'kubernetes.json.gz');
      fs.writeFileSync(copy, zlib.gzipSync(zlib.gunzipSync(fs.readFileSync(path.join(packageRoot(), BUNDLED_KUBERNETES_SCHEMA))), { level: 1 }));
      const other = SchemaValidator.get(copy);
      expect(other.generated).toBeUndefined();
      expect(other.generatedUnusedReason).toMatch(/^the generated validators are not used: it was generated from another schema \(SHA-256 [0-9a-f]{12}, the schema in use is [0-9a-f]{12}\)$/);
      expect(other.sourceOf('apps/v1/Deployment')).toBe('runtime');
      const broken = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { a: 1 } } as KubeObject;
      expect(verifyManifests([broken], { schemaPath: copy }).violations).toEqual(verifyManifests([broken]).violations);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a module is stale when the schema, the strictness rules, ajv or the module layout changed', () => {
    const current = { schemaSha256: 'a'.repeat(64), transformSha256: 'b'.repeat(64), ajvVersion: '8.20.0' };
    const key = { format: GENERATED_FORMAT, ...current };
    expect(staleReason(key, current)).toBeUndefined();
    expect(staleReason({ ...key, schemaSha256: 'c'.repeat(64) }, current)).toMatch(/generated from another schema/);
    expect(staleReason({ ...key, transformSha256: 'c'.repeat(64) }, current)).toBe('lib/verify/schema-strict.ts changed since it was generated');
    expect(staleReason({ ...key, ajvVersion: '8.17.1' }, current)).toBe('it was generated by ajv 8.17.1, and ajv 8.20.0 is installed');
    expect(staleReason({ ...key, format: GENERATED_FORMAT + 1 }, current)).toBe('it was written by another version of the generator');
    // An installed package ships no TypeScript: the transform is then not compared (library and module are one build).
    expect(staleReason({ ...key, transformSha256: 'c'.repeat(64) }, { ...current, transformSha256: undefined })).toBeUndefined();
  });

  test('a generated module on disk whose key does not match is detected and not used', () => {
    // Inside the package, so the module's requires of ajv's runtime resolve.
    const dir = fs.mkdtempSync(path.join(packageRoot(), 'build', '.test-generated-'));
    try {
      const real = fs.readFileSync(path.join(packageRoot(), GENERATED_VALIDATORS), 'utf8');
      const file = path.join(dir, 'validators.js');
      const schemaSha = sha256(fs.readFileSync(defaultSchemaPath()));
      fs.writeFileSync(file, real);
      expect(loadGeneratedValidators(schemaSha, file).validators).toBeDefined();
      const stale = path.join(dir, 'validators-stale.js');
      fs.writeFileSync(stale, real.replace(schemaSha, 'f'.repeat(64)));
      expect(loadGeneratedValidators(schemaSha, stale)).toEqual({ reason: expect.stringMatching(/^the generated validators are not used: it was generated from another schema/) });
      expect(loadGeneratedValidators(schemaSha, path.join(dir, 'missing.js'))).toEqual({ reason: expect.stringMatching(/^no generated validators at .*missing\.js \(MODULE_NOT_FOUND\); npm run build writes them$/) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the module on disk is exactly what the generator writes for the inputs it records (deterministic, not stale)', () => {
    const inputs = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'build/lib/verify/generated/validators.inputs.json'), 'utf8'));
    const vendored = JSON.parse(zlib.gunzipSync(fs.readFileSync(defaultSchemaPath())).toString('utf8'));
    const crds = [...bundledCrds().values()].map((c) => c.schema);
    const own = [...releaseCrdVersions(appObjects).values()].map((c) => c.schema);
    const out = generateValidatorsModule({
      definitions: vendored.definitions, schemaSha256: inputs.schemaSha256, transformSha256: inputs.transformSha256, kinds: inputs.kinds,
      crdSchemas: own, separateCrdSchemas: crds,
    });
    expect(out.code).toBe(fs.readFileSync(path.join(packageRoot(), GENERATED_VALIDATORS), 'utf8'));
    for (const part of out.parts) expect(part.code).toBe(fs.readFileSync(path.join(packageRoot(), path.dirname(GENERATED_VALIDATORS), part.file), 'utf8'));
    // Every kind the library's L1 classes render, and every CRD it knows (its own in the module, the others in parts).
    expect(inputs.kinds).toEqual(expect.arrayContaining(['apps/v1/Deployment', 'apps/v1/DaemonSet', '/v1/Service', '/v1/ConfigMap', 'networking.k8s.io/v1/Ingress']));
    expect(out.ids.filter((id) => id.startsWith('crd:'))).toHaveLength(own.length + crds.length);
  });
});
