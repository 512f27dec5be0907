import { App } from 'cdk8s';
import { buildIotFleet } from '../../apps/iot-fleet';
import { EXAMPLE_APPS } from '../../apps/registry';
import {
  ARGOCD_SYNC_OPTIONS_ANNOTATION,
  HELM_RESOURCE_POLICY_ANNOTATION,
  joinSyncOptions,
  keepStateAnnotations,
  parseSyncOptions,
} from '../../lib/core/retention';
import { renderApp, renderRelease } from '../../lib/release';
import { keepStateFindings, verifyManifests } from '../../lib/verify';

describe('keepStateAnnotations', () => {
  test('keeps the object on prune, on Application deletion and on helm uninstall', () => {
    expect(keepStateAnnotations()).toEqual({
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'helm.sh/resource-policy': 'keep',
    });
  });

  test('claim templates get only the Argo CD options (Helm never owns the claims a StatefulSet creates)', () => {
    expect(keepStateAnnotations({ helm: false })).toEqual({ [ARGOCD_SYNC_OPTIONS_ANNOTATION]: 'Prune=false,Delete=false' });
  });

  test('further sync options are merged into the one annotation, deduplicated', () => {
    expect(keepStateAnnotations({ syncOptions: ['ServerSideApply=true', 'Prune=false'] })[ARGOCD_SYNC_OPTIONS_ANNOTATION]).toBe('Prune=false,Delete=false,ServerSideApply=true');
  });

  test('fails when a further option contradicts keeping the object, naming the option and the conflict', () => {
    expect(() => keepStateAnnotations({ syncOptions: ['Prune=true'] })).toThrow(/'syncOptions' is "Prune=true".*one value per option \(Prune=false is set too\)/);
  });

  test('fails when an option is not Option=value', () => {
    expect(() => joinSyncOptions(['Prune false'])).toThrow(/'syncOptions' is "Prune false".*allowed: Option=value, for example Prune=false/);
  });

  test('parseSyncOptions trims items as Argo CD does', () => {
    expect(parseSyncOptions(' Prune=false , ,Delete=false')).toEqual(['Prune=false', 'Delete=false']);
    expect(parseSyncOptions(undefined)).toEqual([]);
  });
});

describe('every CRD, claim and claim template the example apps render is kept', () => {
  const releases = EXAMPLE_APPS.flatMap((a) => {
    const app = new App();
    a.build(app);
    return renderApp(app);
  });
  const objects = releases.flatMap((r) => r.objects) as any[];

  test('the apps render CRDs, standalone claims and claim templates (so the checks below check something)', () => {
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition').length).toBeGreaterThan(0);
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').length).toBeGreaterThan(0);
    expect(objects.filter((o) => o.kind === 'StatefulSet' && o.spec.volumeClaimTemplates?.length).length).toBeGreaterThan(0);
  });

  test('CRDs and claims carry Prune=false, Delete=false and helm keep; claim templates the Argo CD options', () => {
    for (const o of objects) {
      const sync = parseSyncOptions(o.metadata.annotations?.[ARGOCD_SYNC_OPTIONS_ANNOTATION]);
      if (o.kind === 'CustomResourceDefinition' || o.kind === 'PersistentVolumeClaim') {
        expect({ o: o.metadata.name, sync, helm: o.metadata.annotations[HELM_RESOURCE_POLICY_ANNOTATION] }).toEqual({ o: o.metadata.name, sync: expect.arrayContaining(['Prune=false', 'Delete=false']), helm: 'keep' });
      }
      for (const t of o.kind === 'StatefulSet' ? o.spec.volumeClaimTemplates ?? [] : []) {
        expect(parseSyncOptions(t.metadata.annotations?.[ARGOCD_SYNC_OPTIONS_ANNOTATION])).toEqual(expect.arrayContaining(['Prune=false', 'Delete=false']));
      }
      expect(keepStateFindings(o)).toEqual([]);
    }
  });
});

describe('verification rule keep-state', () => {
  const crd = () => renderRelease(buildIotFleet(new App())).objects.find((o) => o.kind === 'CustomResourceDefinition')! as any;

  test('fails when the IoT CRD loses Delete=false: the report names the object, what is missing, and the fix', () => {
    const o = crd();
    o.metadata.annotations[ARGOCD_SYNC_OPTIONS_ANNOTATION] = 'Prune=false';
    const v = verifyManifests([o], { schema: false }).violations;
    expect(v.map((x) => [x.object, x.rule])).toEqual([['CustomResourceDefinition/deployments.iot.nationtech.io', 'keep-state']]);
    expect(v[0].message).toBe('CustomResourceDefinition "deployments.iot.nationtech.io" lacks argocd.argoproj.io/sync-options Delete=false: deleting it deletes every custom resource of its kind, and Argo CD deletes it on prune or when the Application is deleted (Helm on uninstall)');
    expect(v[0].fix).toContain('policy.ops-kit.io/keep-state');
  });

  test('a reasoned exception is honoured and printed', () => {
    const o = crd();
    o.metadata.annotations = { 'policy.ops-kit.io/keep-state': 'a throwaway test cluster' };
    const r = verifyManifests([o], { schema: false });
    expect(r.ok).toBe(true);
    expect(r.exceptions).toEqual([{ object: 'CustomResourceDefinition/deployments.iot.nationtech.io', rule: 'keep-state', reason: 'a throwaway test cluster', used: true }]);
  });
});
