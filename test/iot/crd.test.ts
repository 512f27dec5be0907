import {
  CrdSchema,
  IOT_DEPLOYMENT_SCHEMA,
  IotDeploymentCrd,
} from '../../lib/iot';
import { SYNC_WAVES } from '../../lib/gitops/ordering';
import { Manifest } from '../../lib/release';
import { crdValidator } from './schema-validator';
import { synthIn } from '../support';

function renderCrd(): Manifest {
  return synthIn((r) => new IotDeploymentCrd(r, 'Crd')).template.objects[0];
}

/** A well-formed CR, the base every malformed variant below starts from. */
function goodCr(): any {
  return {
    apiVersion: 'iot.nationtech.io/v1alpha1',
    kind: 'Deployment',
    metadata: { name: 'hello-web', namespace: 'iot-system', labels: { a: 'b' }, annotations: { 'argocd.argoproj.io/sync-wave': '1' } },
    spec: {
      targetSelector: { matchLabels: { group: 'lab' } },
      score: {
        type: 'PodmanV0',
        data: { image: 'nginx:1.27.2', ports: ['8080:80', '5353:53/udp'], env: [{ name: 'A', value: '1' }] },
      },
      rollout: { strategy: 'Rolling', maxConcurrent: 3 },
    },
  };
}

describe('IotDeploymentCrd', () => {
  const crd = renderCrd() as any;
  const version = crd.spec.versions[0];
  const validate = crdValidator(version.schema.openAPIV3Schema);

  test('defaults snapshot', () => {
    expect(crd).toMatchSnapshot();
  });

  test('is iot.nationtech.io/v1alpha1 Deployment with short names that do not clash with apps/v1', () => {
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe('deployments.iot.nationtech.io');
    expect(crd.metadata.namespace).toBeUndefined();
    expect(crd.spec.group).toBe('iot.nationtech.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: 'Deployment', plural: 'deployments', singular: 'deployment', listKind: 'DeploymentList' });
    expect(crd.spec.names.shortNames).toEqual(['iotdeploy', 'iotd']);
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  test('survives pruning, Application deletion and helm uninstall (seed 003), and is ordered before the CRs', () => {
    expect(crd.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(crd.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    // The wave comes from lib/gitops/ordering.ts: the prerequisites' wave, before the custom resources'.
    expect(Number(crd.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBe(SYNC_WAVES.prerequisites);
    expect(SYNC_WAVES.prerequisites).toBeLessThan(SYNC_WAVES.customResources);
  });

  test('the synthesized schema is exactly the TypeScript definition', () => {
    expect(version.schema.openAPIV3Schema).toEqual(JSON.parse(JSON.stringify(IOT_DEPLOYMENT_SCHEMA)));
  });

  test("the status is bounded like the agent (seed 003: a ring of 32 events, errors cut to 512), and the CRD description says so", () => {
    const agg = IOT_DEPLOYMENT_SCHEMA.properties!.status.properties!.aggregate;
    expect(agg.properties!.recentEvents.maxItems).toBe(32);
    expect(agg.properties!.recentEvents.items!.properties!.message.maxLength).toBe(512);
    expect(agg.properties!.lastError.properties!.message.maxLength).toBe(512);
    expect(agg.description).toContain('at most 32 recent events, messages cut to 512 characters');
    // The limits allow exactly what the agent produces.
    const cr = goodCr();
    cr.status = { aggregate: { recentEvents: Array.from({ length: 32 }, () => ({ severity: 'Error', message: 'x'.repeat(512) })), lastError: { message: 'y'.repeat(512) } } };
    expect(validate(cr)).toEqual({ valid: true, errors: [] });
  });

  test('the status carries the aggregate: succeeded, failed, pending, last error, recent events, last heartbeat', () => {
    const agg = IOT_DEPLOYMENT_SCHEMA.properties!.status.properties!.aggregate.properties!;
    expect(Object.keys(agg).sort()).toEqual(['failed', 'lastError', 'lastHeartbeatAt', 'pending', 'recentEvents', 'succeeded']);
    expect(agg.succeeded.type).toBe('integer');
    expect(agg.lastHeartbeatAt.format).toBe('date-time');
    expect(Object.keys(agg.recentEvents.items!.properties!).sort()).toEqual(['at', 'deployment', 'deviceId', 'message', 'severity']);
  });

  test('printer columns read fields the schema defines', () => {
    for (const col of version.additionalPrinterColumns) {
      if (col.jsonPath.startsWith('.metadata')) continue;
      let node: CrdSchema | undefined = IOT_DEPLOYMENT_SCHEMA;
      for (const part of col.jsonPath.slice(1).split('.')) node = node?.properties?.[part];
      expect({ col: col.name, found: node !== undefined }).toEqual({ col: col.name, found: true });
    }
  });

  test('the schema is structural: junctors hold value validations only, on fields declared outside them', () => {
    const forbidden = ['type', 'description', 'default', 'additionalProperties', 'items'];
    const problems: string[] = [];
    const walk = (s: CrdSchema, path: string) => {
      for (const j of ['anyOf', 'oneOf'] as const) {
        for (const [i, branch] of (s[j] ?? []).entries()) {
          const check = (b: CrdSchema, bp: string, outer: CrdSchema | undefined) => {
            for (const f of forbidden) if ((b as Record<string, unknown>)[f] !== undefined) problems.push(`${bp} sets ${f}`);
            for (const [k, v] of Object.entries(b.properties ?? {})) {
              if (!outer?.properties?.[k]) problems.push(`${bp}.${k} is not declared outside the junctor`);
              check(v, `${bp}.${k}`, outer?.properties?.[k]);
            }
          };
          check(branch, `${path}.${j}[${i}]`, s);
        }
      }
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${k}`);
      if (s.items) walk(s.items, `${path}[]`);
      if (s.additionalProperties) walk(s.additionalProperties, `${path}{}`);
      if (s.type === undefined && path !== '') problems.push(`${path} has no type`);
    };
    walk(IOT_DEPLOYMENT_SCHEMA, '');
    expect(problems).toEqual([]);
  });

  describe('the schema', () => {
    test('accepts a well-formed CR', () => {
      expect(validate(goodCr())).toEqual({ valid: true, errors: [] });
    });

    test('accepts a CR selecting by labels and expressions, without ports, env or rollout', () => {
      const cr = goodCr();
      cr.spec.targetSelector = { matchLabels: { group: 'field' }, matchExpressions: [{ key: 'example.com/site', operator: 'In', values: ['a', 'b'] }, { key: 'device', operator: 'Exists' }] };
      cr.spec.score.data = { image: 'nginx@sha256:' + 'a'.repeat(64) };
      delete cr.spec.rollout;
      expect(validate(cr)).toEqual({ valid: true, errors: [] });
    });

    test('accepts the status the operator writes', () => {
      const cr = goodCr();
      cr.status = {
        observedScoreString: '{"image":"nginx:1.27.2"}',
        aggregate: {
          succeeded: 3,
          failed: 1,
          pending: 0,
          lastError: { deviceId: 'pi-7', message: 'pull failed', at: '2026-04-22T13:46:29Z' },
          recentEvents: [{ at: '2026-04-22T13:46:29.123Z', severity: 'Error', deviceId: 'pi-7', message: 'pull failed', deployment: 'hello-web' }],
          lastHeartbeatAt: '2026-04-22T13:47:00+02:00',
        },
      };
      expect(validate(cr)).toEqual({ valid: true, errors: [] });
    });

    // [what, how to break the good CR, the path the API server would name]
    const malformed: Array<[string, (cr: any) => void, string]> = [
      ['no spec', (cr) => delete cr.spec, '/ '],
      ['no targetSelector', (cr) => delete cr.spec.targetSelector, '/spec '],
      ['an empty targetSelector', (cr) => (cr.spec.targetSelector = {}), '/spec/targetSelector '],
      ['empty matchLabels', (cr) => (cr.spec.targetSelector = { matchLabels: {} }), '/spec/targetSelector/matchLabels '],
      ['a label value with a space', (cr) => (cr.spec.targetSelector.matchLabels.group = 'lab one'), '/spec/targetSelector/matchLabels/group '],
      ['matchExpressions without matchLabels (the v0 operator reads matchLabels only)', (cr) => (cr.spec.targetSelector = { matchExpressions: [{ key: 'device', operator: 'Exists' }] }), '/spec/targetSelector '],
      ['an In requirement without values', (cr) => (cr.spec.targetSelector.matchExpressions = [{ key: 'group', operator: 'In' }]), '/spec/targetSelector/matchExpressions/0 '],
      ['an In requirement with empty values', (cr) => (cr.spec.targetSelector.matchExpressions = [{ key: 'group', operator: 'In', values: [] }]), '/spec/targetSelector/matchExpressions/0/values '],
      ['an Exists requirement with values', (cr) => (cr.spec.targetSelector.matchExpressions = [{ key: 'group', operator: 'Exists', values: ['a'] }]), '/spec/targetSelector/matchExpressions/0/values '],
      ['an unknown selector operator', (cr) => (cr.spec.targetSelector.matchExpressions = [{ key: 'group', operator: 'Gt', values: ['1'] }]), '/spec/targetSelector/matchExpressions/0/operator '],
      ['a bad selector key', (cr) => (cr.spec.targetSelector.matchExpressions = [{ key: '-group', operator: 'Exists' }]), '/spec/targetSelector/matchExpressions/0/key '],
      ['an unknown score type', (cr) => (cr.spec.score.type = 'Docker'), '/spec/score/type '],
      ['no image', (cr) => delete cr.spec.score.data.image, '/spec/score/data '],
      ['an image with whitespace', (cr) => (cr.spec.score.data.image = 'nginx 1.27'), '/spec/score/data/image '],
      ['a port without a host part', (cr) => (cr.spec.score.data.ports = ['80']), '/spec/score/data/ports/0 '],
      ['a port with a bad protocol', (cr) => (cr.spec.score.data.ports = ['8080:80/sctp']), '/spec/score/data/ports/0 '],
      ['a duplicate port mapping', (cr) => (cr.spec.score.data.ports = ['8080:80', '8080:80']), '/spec/score/data/ports '],
      ['a bad env name', (cr) => (cr.spec.score.data.env = [{ name: '1ABC', value: 'x' }]), '/spec/score/data/env/0/name '],
      ['a duplicate env name', (cr) => (cr.spec.score.data.env = [{ name: 'A', value: '1' }, { name: 'A', value: '2' }]), '/spec/score/data/env '],
      ['an env entry without a value', (cr) => (cr.spec.score.data.env = [{ name: 'A' }]), '/spec/score/data/env/0 '],
      ['an unknown rollout strategy', (cr) => (cr.spec.rollout.strategy = 'Canary'), '/spec/rollout/strategy '],
      ['maxConcurrent 0', (cr) => (cr.spec.rollout.maxConcurrent = 0), '/spec/rollout/maxConcurrent '],
      ['a name with a dot', (cr) => (cr.metadata.name = 'hello.web'), '/metadata/name '],
      ['a name longer than 63', (cr) => (cr.metadata.name = 'a'.repeat(64)), '/metadata/name '],
      ['an unknown spec field (typo)', (cr) => (cr.spec.targetSelecter = cr.spec.targetSelector), '/spec '],
      ['an unknown data field', (cr) => (cr.spec.score.data.command = ['sh']), '/spec/score/data '],
      ['a negative status count', (cr) => (cr.status = { aggregate: { succeeded: -1 } }), '/status/aggregate/succeeded '],
      ['a status timestamp that is not RFC 3339', (cr) => (cr.status = { aggregate: { lastHeartbeatAt: 'yesterday' } }), '/status/aggregate/lastHeartbeatAt '],
      ['an unknown event severity', (cr) => (cr.status = { aggregate: { recentEvents: [{ severity: 'Fatal' }] } }), '/status/aggregate/recentEvents/0/severity '],
      ['33 recent events (the agent keeps a ring of 32)', (cr) => (cr.status = { aggregate: { recentEvents: Array.from({ length: 33 }, () => ({ severity: 'Info' })) } }), '/status/aggregate/recentEvents '],
      ['an event message of 513 characters (the agent cuts at 512)', (cr) => (cr.status = { aggregate: { recentEvents: [{ message: 'x'.repeat(513) }] } }), '/status/aggregate/recentEvents/0/message '],
      ['a last error of 513 characters', (cr) => (cr.status = { aggregate: { lastError: { message: 'x'.repeat(513) } } }), '/status/aggregate/lastError/message '],
    ];
    test.each(malformed)('rejects a CR with %s', (_what, mutate, path) => {
      const cr = goodCr();
      mutate(cr);
      const result = validate(cr);
      expect(result.valid).toBe(false);
      expect(result.errors.some((e) => e.startsWith(path))).toBe(true);
    });
  });
});
