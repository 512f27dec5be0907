import * as fs from 'fs';
import * as path from 'path';
import { parseManifests, verifyManifests, verifyReleases } from '../../lib/verify';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'verify');
const load = (dir: string, file: string) => parseManifests(fs.readFileSync(path.join(FIXTURES, dir, file), 'utf-8'), file);

describe('crd-installed across the releases of an app', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.com' },
    spec: {
      group: 'example.com', scope: 'Namespaced', names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
  const gadget = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'shop' }, spec: {} };

  test('a custom resource whose CRD another release of the app renders is served', () => {
    const reports = verifyReleases([{ name: 'crds', objects: [crd] }, { name: 'shop', objects: [gadget] }], { schema: false });
    expect(reports[1].violations).toEqual([]);
  });

  test('the same custom resource alone is refused, naming the kind, the group and both ways out', () => {
    const [report] = verifyReleases([{ name: 'shop', objects: [gadget] }], { schema: false });
    expect(report.violations.map((v) => [v.rule, v.object])).toEqual([['crd-installed', 'Gadget/shop/g']]);
    expect(report.violations[0].fix).toContain("installedCrds: ['Gadget.example.com']");
    expect(verifyManifests([gadget], { schema: false, installedCrds: ['Gadget.example.com'] }).ok).toBe(true);
  });
});

describe('custom resources validated against the CRD another release of the app renders', () => {
  // A strict schema for Gadget: spec.size is an integer and nothing else is allowed in spec.
  const strictCrd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.com' },
    spec: {
      group: 'example.com', scope: 'Namespaced', names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } }, additionalProperties: false } } } },
      }],
    },
  };
  const gadget = (spec: object) => ({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'shop' }, spec });

  test('a valid custom resource passes the schema the other release renders (no CRD file is searched for it)', () => {
    const reports = verifyReleases([{ name: 'crds', objects: [strictCrd] }, { name: 'shop', objects: [gadget({ size: 3 })] }], { crdDirs: [] });
    expect(reports[1].violations).toEqual([]);
  });

  test('fails when a custom resource breaks the schema of the CRD another release renders, naming the field, the value and that CRD', () => {
    const reports = verifyReleases([{ name: 'crds', objects: [strictCrd] }, { name: 'shop', objects: [gadget({ size: 'three' })] }], { crdDirs: [] });
    const schema = reports[1].violations.filter((v) => v.rule === 'schema');
    expect(schema).toHaveLength(1);
    expect(schema[0].object).toBe('Gadget/shop/g');
    expect(schema[0].message).toContain('spec.size');
    expect(schema[0].message).toContain('"three"');
    expect(schema[0].message).toContain('integer');
    const [unknown] = verifyReleases([{ name: 'crds', objects: [strictCrd] }, { name: 'shop', objects: [gadget({ colour: 'red' })] }], { crdDirs: [] })[1].violations;
    expect(unknown.message).toBe('unknown field spec.colour (not in the schema of CRD gadgets.example.com (in another release of the app))');
    expect(unknown.fix).toContain('allows: size');
  });

  test("the release's own CRD wins over the one another release renders", () => {
    const loose = { ...strictCrd, spec: { ...strictCrd.spec, versions: [{ ...strictCrd.spec.versions[0], schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] } };
    const reports = verifyReleases([{ name: 'crds', objects: [strictCrd] }, { name: 'shop', objects: [loose, gadget({ size: 'three' })] }], { crdDirs: [] });
    expect(reports[1].violations.filter((v) => v.rule === 'schema')).toEqual([]);
  });
});

describe('the seed-002 failures each rule catches', () => {
  test.each([
    ['rbac-subject-used--unused-account.yaml', 'rbac-subject-used', 'RoleBinding/shop/prometheus'],
    ['statefulset-service--missing.yaml', 'statefulset-service', 'StatefulSet/shop/web'],
    ['affinity-selects--anti-affinity.yaml', 'affinity-selects', 'Deployment/shop/web'],
    ['crd-installed--service-monitor.yaml', 'crd-installed', 'ServiceMonitor/shop/web'],
  ])('%s: %s on %s', (file, rule, object) => {
    const report = verifyManifests(load('broken', file));
    expect(report.violations.map((v) => [v.rule, v.object])).toEqual([[rule, object]]);
  });
});
