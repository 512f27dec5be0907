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
