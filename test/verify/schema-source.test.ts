import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { run } from '../../bin/vendor-schemas';
import {
  BUNDLED_CRDS, BUNDLED_KUBERNETES_SCHEMA, compactCrd, KUBERNETES_SCHEMA_VERSION, packageRoot, readVendored, stripDocumentation, VendoredCrds,
  VendoredDefinitions, vendorSchemas,
} from '../../lib/verify';

const ROOT = path.join(__dirname, '..', '..');

/** Every `description` keyword in a schema position (not property names, not data). */
function descriptionKeywords(schema: unknown, at = ''): string[] {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => descriptionKeywords(s, `${at}[${i}]`));
  if (!schema || typeof schema !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (k === 'description') out.push(at);
    else if (['properties', 'patternProperties', 'definitions'].includes(k) && v && typeof v === 'object') {
      for (const [name, s] of Object.entries(v as Record<string, unknown>)) out.push(...descriptionKeywords(s, `${at}.${k}.${name}`));
    } else if (['items', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'not'].includes(k)) out.push(...descriptionKeywords(v, `${at}.${k}`));
  }
  return out;
}

const DEFINITIONS = {
  definitions: {
    'io.k8s.api.core.v1.ConfigMap': {
      description: 'ConfigMap holds configuration data.',
      type: 'object',
      properties: {
        data: { description: 'Data contains the configuration data.', type: 'object', additionalProperties: { type: 'string', description: 'a value' } },
        description: { description: 'a property that happens to be called description', type: 'string', default: { description: 'data, kept' } },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
    },
  },
};

const CRD_YAML = `# a comment
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations: { controller-gen.kubebuilder.io/version: v0.21.0 }
spec:
  group: example.com
  names: { kind: Widget, plural: widgets, listKind: WidgetList }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      additionalPrinterColumns: [{ name: Age, type: date, jsonPath: .metadata.creationTimestamp }]
      schema:
        openAPIV3Schema:
          description: A widget.
          type: object
          properties:
            spec:
              description: The spec.
              type: object
              properties:
                size: { description: How big., type: integer, enum: [1, 2] }
`;

describe('vendoring the schemas (npm run vendor-schemas)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-vendor-'));
    fs.writeFileSync(path.join(dir, '_definitions.json'), JSON.stringify(DEFINITIONS));
    fs.mkdirSync(path.join(dir, 'crds'));
    fs.writeFileSync(path.join(dir, 'crds', 'widgets.yaml'), CRD_YAML);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('removes documentation only: a property named description and data values stay', () => {
    const out = stripDocumentation(DEFINITIONS.definitions['io.k8s.api.core.v1.ConfigMap']);
    expect(out).toEqual({
      type: 'object',
      properties: {
        data: { type: 'object', additionalProperties: { type: 'string' } },
        description: { type: 'string', default: { description: 'data, kept' } },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
    });
  });

  test('a CRD keeps only what validation reads', () => {
    const crd = compactCrd(require('yaml').parse(CRD_YAML));
    expect(crd).toEqual({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', enum: [1, 2] } } } } } } }],
      },
    });
  });

  test('writes gzipped JSON recording every input by name and SHA-256; the same inputs give the same bytes', () => {
    const out = path.join(dir, 'out');
    const r = vendorSchemas({ kubernetes: path.join(dir, '_definitions.json'), crdFiles: [path.join(dir, 'crds', 'widgets.yaml')], outDir: out });
    expect(r.files.map((f) => path.basename(f.path))).toEqual([path.basename(BUNDLED_KUBERNETES_SCHEMA), path.basename(BUNDLED_CRDS)]);
    expect(r.crdVersions).toEqual(['example.com/v1/Widget']);
    const defs = readVendored<VendoredDefinitions>(path.join(out, path.basename(BUNDLED_KUBERNETES_SCHEMA)));
    expect(defs.kubernetesVersion).toBe(KUBERNETES_SCHEMA_VERSION);
    expect(defs.source.file).toBe('_definitions.json');
    expect(defs.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(descriptionKeywords(defs.definitions, 'definitions')).toEqual([]);
    const crds = readVendored<VendoredCrds>(path.join(out, path.basename(BUNDLED_CRDS)));
    expect(crds.sources.map((s) => s.file)).toEqual(['widgets.yaml']);
    const first = r.files.map((f) => fs.readFileSync(f.path));
    vendorSchemas({ kubernetes: path.join(dir, '_definitions.json'), crdFiles: [path.join(dir, 'crds', 'widgets.yaml')], outDir: out });
    expect(r.files.map((f) => fs.readFileSync(f.path))).toEqual(first);
  });

  test('the command takes a folder of CRDs and writes where --out says', () => {
    const lines: string[] = [];
    const code = run(['--kubernetes', path.join(dir, '_definitions.json'), '--crds', path.join(dir, 'crds'), '--out', path.join(dir, 'o')], (t) => lines.push(t), (t) => lines.push(t));
    expect(code).toBe(0);
    expect(lines.join('')).toContain('1 Kubernetes definitions; CRD versions: example.com/v1/Widget');
    expect(fs.readdirSync(path.join(dir, 'o')).sort()).toEqual(['crds.json.gz', 'kubernetes-1.28.0.json.gz']);
  });

  test('fails when an input is missing or is not what it should be, with usage', () => {
    const err: string[] = [];
    expect(run(['--crds', path.join(dir, 'crds')], () => undefined, (t) => err.push(t))).toBe(2);
    expect(err.join('')).toMatch(/--kubernetes is required\nusage: npm run vendor-schemas/);
    err.length = 0;
    expect(run(['--kubernetes', path.join(dir, 'crds', 'widgets.yaml'), '--crds', path.join(dir, 'crds')], () => undefined, (t) => err.push(t))).toBe(2);
    expect(err.join('')).toMatch(/vendor-schemas: /);
    err.length = 0;
    fs.writeFileSync(path.join(dir, 'not-a-crd.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
    expect(run(['--kubernetes', path.join(dir, '_definitions.json'), '--crds', path.join(dir, 'not-a-crd.yaml'), '--out', path.join(dir, 'o')], () => undefined, (t) => err.push(t))).toBe(2);
    expect(err.join('')).toContain('not-a-crd.yaml holds no CustomResourceDefinition');
  });
});

describe('the schemas the package ships', () => {
  test('are in the repository and in the npm package (package.json files)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.files).toEqual(expect.arrayContaining(['schemas/*.json.gz', 'imports/crds/*.yaml']));
    for (const f of [BUNDLED_KUBERNETES_SCHEMA, BUNDLED_CRDS]) expect(fs.existsSync(path.join(ROOT, f))).toBe(true);
    expect(packageRoot()).toBe(ROOT);
  });

  test('hold the Kubernetes 1.28 definitions and the Argo CD and prometheus-operator CRDs, without documentation', () => {
    const defs = readVendored<VendoredDefinitions>(path.join(ROOT, BUNDLED_KUBERNETES_SCHEMA));
    expect(defs).toMatchObject({ kubernetesVersion: '1.28.0', source: { file: '_definitions.json' } });
    expect(Object.keys(defs.definitions).length).toBeGreaterThan(500);
    expect(defs.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(descriptionKeywords(defs.definitions, 'definitions')).toEqual([]);
    const crds = readVendored<VendoredCrds>(path.join(ROOT, BUNDLED_CRDS));
    expect(crds.crds.map((c) => `${c.spec.group}/${c.spec.names.kind}`).sort()).toEqual([
      'argoproj.io/AppProject', 'argoproj.io/Application', 'monitoring.coreos.com/PodMonitor', 'monitoring.coreos.com/ServiceMonitor',
    ]);
    expect(crds.sources.map((s) => s.file)).toEqual([
      'argocd-application-crd.yaml', 'argocd-appproject-crd.yaml', 'monitoring.coreos.com_podmonitors.yaml', 'monitoring.coreos.com_servicemonitors.yaml',
    ]);
    // Compact: the two files together stay far below the 1 MB of the upstream definitions.
    const bytes = [BUNDLED_KUBERNETES_SCHEMA, BUNDLED_CRDS].reduce((n, f) => n + fs.statSync(path.join(ROOT, f)).size, 0);
    expect(bytes).toBeLessThan(100 * 1024);
    expect(zlib.gunzipSync(fs.readFileSync(path.join(ROOT, BUNDLED_KUBERNETES_SCHEMA))).length).toBeLessThan(400 * 1024);
  });

  test('verification reads no file outside the package, whatever lies beside it', () => {
    // A fresh module registry, so nothing is cached: record every path the verification touches.
    const touched: string[] = [];
    // The node module object itself (the library's `import * as fs` reads through to it).
    const nodeFs = require('fs') as typeof fs;
    const record = <K extends 'readFileSync' | 'readdirSync' | 'existsSync' | 'statSync'>(name: K) => {
      const real = nodeFs[name] as (...a: unknown[]) => unknown;
      return jest.spyOn(nodeFs, name).mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
        touched.push(String(p));
        return real.call(nodeFs, p, ...rest);
      }) as never);
    };
    const spies = (['readFileSync', 'readdirSync', 'existsSync', 'statSync'] as const).map(record);
    try {
      jest.isolateModules(() => {
        const { verifyManifests } = require('../../lib/verify') as typeof import('../../lib/verify');
        const r = verifyManifests([
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { a: 'b' } },
          { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm', namespace: 'ns' }, spec: { selector: {}, endpoints: [] } },
          {
            apiVersion: 'iot.nationtech.io/v1alpha1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns' },
            spec: { targetSelector: { matchLabels: { group: 'lab' } }, score: { type: 'PodmanV0', data: { image: 'nginx:1.27.2' } } },
          },
        ], { installedCrds: ['ServiceMonitor.monitoring.coreos.com', 'Deployment.iot.nationtech.io'] });
        expect(r.violations).toEqual([]);
      });
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const read = [...new Set(touched.map((p) => path.resolve(p)))];
    expect(read).toEqual(expect.arrayContaining([path.join(ROOT, BUNDLED_KUBERNETES_SCHEMA), path.join(ROOT, BUNDLED_CRDS)]));
    const outside = read.filter((p) => p !== ROOT && !p.startsWith(`${ROOT}${path.sep}`) && !p.includes(`${path.sep}node_modules${path.sep}`));
    expect(outside).toEqual([]);
  });
});
