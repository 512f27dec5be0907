import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BUNDLED_CRDS, BUNDLED_KUBERNETES_SCHEMA, CRD_DIRS_ENV, defaultCrdDirs, KubeObject, kubernetesDefinitions, packageCrdDir, packageRoot, pointerToPath,
  SchemaValidator, SCHEMA_PATH_ENV, strictify, verifyManifests as verifyAll,
} from '../../lib/verify';

/**
 * These tests are about schemas: the custom resources' CRDs are declared installed, so only the schema findings show
 * (the crd-installed rule has its own corpus in test/fixtures/verify).
 */
const INSTALLED = ['ServiceMonitor.monitoring.coreos.com', 'Application.argoproj.io', 'AppProject.argoproj.io', 'Widget.example.com', 'Deployment.iot.nationtech.io'];
const verifyManifests: typeof verifyAll = (objects, options = {}) => verifyAll(objects, { installedCrds: INSTALLED, ...options });

const cm = (extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { a: 'b' }, ...extra });

describe('strictify', () => {
  test('objects that list properties reject other fields; open maps stay open', () => {
    const s = strictify({ type: 'object', properties: { a: { type: 'object', additionalProperties: { type: 'string' } } } }, false);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.a.additionalProperties).toEqual({ type: 'string' });
  });

  test('core int-or-string becomes one union type', () => {
    expect(strictify({ oneOf: [{ type: 'string' }, { type: 'integer' }] }, false)).toEqual({ type: ['string', 'integer'] });
  });

  test('CRD extensions: preserve-unknown-fields stays open, int-or-string accepts both, embedded resources allow apiVersion/kind/metadata', () => {
    const s = strictify({
      type: 'object',
      properties: {
        open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'string' } } },
        port: { 'x-kubernetes-int-or-string': true },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
      },
    }, true);
    expect(s.properties.open.additionalProperties).toBeUndefined();
    expect(s.properties.port.type).toEqual(['integer', 'string']);
    expect(Object.keys(s.properties.template.properties).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(s.properties.template.additionalProperties).toBe(false);
  });

  test('anyOf/allOf branches are not made strict (a branch only constrains)', () => {
    const s = strictify({ type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ properties: { a: { minLength: 1 } } }] }, true);
    expect(s.anyOf[0].additionalProperties).toBeUndefined();
    expect(s.additionalProperties).toBe(false);
  });

  test('unknown formats are dropped instead of failing compilation', () => {
    expect(strictify({ type: 'string', format: 'hostname' }, true)).toEqual({ type: 'string' });
    expect(strictify({ type: 'integer', format: 'int32' }, true)).toEqual({ type: 'integer', format: 'int32' });
  });
});

describe('SchemaValidator', () => {
  test('is compiled once per schema file and shared', () => {
    expect(SchemaValidator.get()).toBe(SchemaValidator.get());
  });

  test('JSON pointers become readable paths', () => {
    expect(pointerToPath('/spec/template/spec/containers/0/ports/1/name')).toBe('spec.template.spec.containers[0].ports[1].name');
    expect(pointerToPath('/metadata/annotations/policy.ops-kit.io~1probes')).toBe('metadata.annotations.policy.ops-kit.io/probes');
    expect(pointerToPath('')).toBe('');
  });

  test('int32 fields reject values out of range', () => {
    const r = verifyManifests([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns' }, spec: { ports: [{ port: 99999999999 }] } }]);
    expect(r.violations.map((v) => v.message)).toEqual(expect.arrayContaining([expect.stringMatching(/spec\.ports\[0\]\.port is 99999999999, not a valid int32/)]));
  });

  test('Secret data must be base64', () => {
    const r = verifyManifests([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { password: 'not base64!' } }]);
    expect(r.violations.filter((v) => v.rule === 'schema').map((v) => [v.rule, v.path])).toEqual([['schema', 'data.password']]);
  });

  test('a CRD rendered in the release wins over the shared one', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'servicemonitors.monitoring.coreos.com', annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' } },
      spec: {
        group: 'monitoring.coreos.com', scope: 'Namespaced', names: { kind: 'ServiceMonitor', plural: 'servicemonitors' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { only: { type: 'string' } } } } } } }],
      },
    };
    const sm = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm', namespace: 'ns' }, spec: { only: 'x' } };
    expect(verifyManifests([crd, sm]).violations).toEqual([]);
    expect(verifyManifests([sm]).violations.map((v) => v.message)).toEqual(expect.arrayContaining([expect.stringContaining('unknown field spec.only')]));
  });

  test('fails when a custom resource name breaks the CRD\'s metadata.name rule (the API server enforces it)', () => {
    const cr = (name: string) => ({
      apiVersion: 'iot.nationtech.io/v1alpha1', kind: 'Deployment', metadata: { name, namespace: 'ns', labels: { a: 'b' } },
      spec: { targetSelector: { matchLabels: { group: 'lab' } }, score: { type: 'PodmanV0', data: { image: 'nginx:1.27.2' } } },
    });
    expect(verifyManifests([cr('hello-web')]).violations).toEqual([]);
    const [v] = verifyManifests([cr('hello.web')]).violations;
    expect(v).toMatchObject({ rule: 'schema', path: 'metadata.name' });
    expect(v.message).toMatch(/^metadata\.name is "hello\.web", which does not match/);
  });

  test('custom resource metadata is checked against ObjectMeta', () => {
    const sm = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm', namespace: 'ns', labelz: {} }, spec: { selector: {}, endpoints: [] } };
    expect(verifyManifests([sm]).violations.map((v) => v.path)).toEqual(['metadata.labelz']);
  });

  test('the library\'s own CRDs (imports/crds) are known by default, so a CR validates without its CRD in the release', () => {
    const cr = {
      apiVersion: 'iot.nationtech.io/v1alpha1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns' },
      spec: { targetSelector: { matchLabels: { group: 'lab' } }, score: { type: 'PodmanV0', data: { image: 'nginx:1.27.2' } } },
    };
    expect(verifyManifests([cr]).violations).toEqual([]);
    const typo = { ...cr, spec: { ...cr.spec, score: { ...cr.spec.score, data: { image: 'nginx:1.27.2', comand: ['sh'] } } } };
    const [v] = verifyManifests([typo]).violations;
    expect(v).toMatchObject({ rule: 'schema', path: 'spec.score.data.comand' });
    expect(v.message).toContain(`CRD deployments.iot.nationtech.io (${path.join(packageCrdDir(), 'iot.nationtech.io_deployments.yaml')})`);
  });

  test('the third-party CRDs the package ships (Argo CD, prometheus-operator) are known without any directory', () => {
    const sm = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm', namespace: 'ns' }, spec: { selector: {}, endpoints: [{ port: 'web' }] } };
    expect(verifyManifests([sm], { crdDirs: [] }).violations).toEqual([]);
    const app = {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a', namespace: 'argocd' },
      spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: 'x' }, source: { repoURL: 'https://git.example/r', path: 'dist/x', targetRevision: 'main' } },
    };
    expect(verifyManifests([app]).violations).toEqual([]);
    const [v] = verifyManifests([{ ...app, spec: { ...app.spec, syncPolicy: { automated: { prnue: true } } } }]).violations;
    expect(v).toMatchObject({ rule: 'schema', path: 'spec.syncPolicy.automated.prnue' });
    expect(v.message).toContain(`CRD applications.argoproj.io (shipped with cdk8s-ops-kit in ${BUNDLED_CRDS})`);
    const project = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p', namespace: 'argocd' }, spec: { description: 'a field named description survives vendoring', sourceRepos: ['*'] } };
    expect(verifyManifests([project]).violations).toEqual([]);
  });

  test('a CRD in a directory given as an option wins over the shipped one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-crds-'));
    try {
      fs.writeFileSync(path.join(dir, 'sm.yaml'), [
        'apiVersion: apiextensions.k8s.io/v1', 'kind: CustomResourceDefinition', 'metadata: { name: servicemonitors.monitoring.coreos.com }',
        'spec:', '  group: monitoring.coreos.com', '  names: { kind: ServiceMonitor, plural: servicemonitors }', '  scope: Namespaced',
        '  versions:', '    - name: v1', '      served: true', '      storage: true',
        '      schema: { openAPIV3Schema: { type: object, properties: { spec: { type: object, properties: { only: { type: string } } } } } }', '',
      ].join('\n'));
      const sm = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm', namespace: 'ns' }, spec: { only: 'x' } };
      expect(verifyManifests([sm], { crdDirs: [dir] }).violations).toEqual([]);
      // The shipped ServiceMonitor knows no spec.only (and requires selector and endpoints).
      expect(verifyManifests([sm]).violations.map((v) => v.path)).toContain('spec.only');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails when a custom kind has no CRD anywhere, naming where it looked', () => {
    const [v] = verifyManifests([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns' } }], { crdDirs: [] }).violations;
    expect(v.rule).toBe('schema-kind');
    expect(v.message).toContain('apiVersion "example.com/v1" kind "Widget"');
    expect(v.message).toContain(packageCrdDir());
    expect(v.message).toContain(`the CRDs shipped in ${BUNDLED_CRDS} (AppProject, Application, PodMonitor, ServiceMonitor)`);
    expect(v.fix).toContain(CRD_DIRS_ENV);
  });

  test('schema: false skips only the schema check', () => {
    const r = verifyManifests([cm({ bogus: 1 }), { ...cm(), kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'x' } }], { schema: false });
    expect(r.violations.map((v) => v.rule)).toEqual(['cluster-scope']);
  });

  test('fails when the schema file is missing, naming the override', () => {
    expect(() => verifyManifests([cm()], { schemaPath: '/nonexistent/_definitions.json' })).toThrow(/Kubernetes schema not found at \/nonexistent\/_definitions.json; set OPS_KIT_K8S_SCHEMA/);
  });

  test('by default the schema is the copy the package ships (no environment variable, nothing outside the package)', () => {
    expect(process.env[SCHEMA_PATH_ENV]).toBeUndefined();
    expect(SchemaValidator.get().schemaPath).toBe(path.join(packageRoot(), BUNDLED_KUBERNETES_SCHEMA));
    expect(defaultCrdDirs()).toEqual([]);
  });

  test('the schema path can come from the environment (a plain _definitions.json)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-kit-schema-'));
    const copy = path.join(dir, 'defs.json');
    fs.writeFileSync(copy, JSON.stringify({ definitions: kubernetesDefinitions().definitions }));
    const before = process.env[SCHEMA_PATH_ENV];
    process.env[SCHEMA_PATH_ENV] = copy;
    try {
      expect(verifyManifests([cm({ bogus: 1 })]).violations.map((v) => v.path)).toEqual(['bogus']);
      expect(SchemaValidator.get().schemaPath).toBe(copy);
    } finally {
      if (before === undefined) delete process.env[SCHEMA_PATH_ENV];
      else process.env[SCHEMA_PATH_ENV] = before;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
