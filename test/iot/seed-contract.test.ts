import * as iot from '../../imports/iot.nationtech.io';
import {
  FleetRollout,
  IOT_AGGREGATE_STATUS_SCHEMA,
  IOT_API_VERSION,
  IOT_DEPLOYMENT_KIND,
  IOT_DEPLOYMENT_SCHEMA,
  IOT_ROLLOUT_STRATEGIES,
  IOT_SCORE_TYPES,
  IOT_STATUS_SCHEMA,
  IotFleet,
} from '../../lib/iot';
import { synthIn } from '../support';

/*
 * The custom resource's contract as seed 003 states it, copied here as expected values (the test never reads the
 * seed). Facts of the seed:
 * - the resource is `deployment.iot.nationtech.io`, version v1alpha1 ("the CRD is v1alpha1");
 * - "DeploymentSpec + ScorePayload + PodmanV0Score + Rollout": a spec with a target selector, a score payload tagged
 *   PodmanV0 (one Podman container: `--image`, `--port 8080:80`), and a rollout;
 * - `spec.targetSelector` is "a minimal LabelSelector-shaped struct (matchLabels only for now, matchExpressions
 *   deferred)";
 * - `.status` carries `observedScoreString` and `aggregate { succeeded, failed, pending, lastError { deviceId, message,
 *   at }, recentEvents [{ at, severity, deviceId, message, deployment }], lastHeartbeatAt }` (`unreported` dropped
 *   with the selector change).
 * The seed names the Rollout type but spells neither its strategies nor its fields: the strategies AllAtOnce and
 * Rolling and the `maxConcurrent` bound are this library's reading (lib/iot/crd.ts), pinned below so a change to them
 * is a deliberate one, and checked to be the same in the CRD, the imported classes and the TypeScript API.
 */
const SEED = {
  group: 'iot.nationtech.io',
  version: 'v1alpha1',
  kind: 'Deployment',
  specParts: ['targetSelector', 'score', 'rollout'],
  selectorFields: ['matchLabels'],
  scoreTag: 'PodmanV0',
  podmanFields: ['image', 'ports'],
  portExample: '8080:80',
  statusFields: ['observedScoreString', 'aggregate'],
  aggregateFields: ['succeeded', 'failed', 'pending', 'lastError', 'recentEvents', 'lastHeartbeatAt'],
  lastErrorFields: ['deviceId', 'message', 'at'],
  eventFields: ['at', 'severity', 'deviceId', 'message', 'deployment'],
} as const;

/** This library's reading of the seed's Rollout (not spelled out in the seed). */
const LIBRARY_ROLLOUT = { strategies: ['AllAtOnce', 'Rolling'], default: 'AllAtOnce', maxConcurrentMinimum: 1 } as const;

const spec = IOT_DEPLOYMENT_SCHEMA.properties!.spec;
const score = spec.properties!.score;
const rollout = spec.properties!.rollout;

describe('the fleet-deployment CRD against seed 003', () => {
  test('group, version and kind are the seed\'s', () => {
    expect(IOT_API_VERSION).toBe(`${SEED.group}/${SEED.version}`);
    expect(IOT_DEPLOYMENT_KIND).toBe(SEED.kind);
  });

  test('the spec has the seed\'s three parts, selector and score required, and matchLabels required in the selector', () => {
    expect(Object.keys(spec.properties!).sort()).toEqual([...SEED.specParts].sort());
    expect(spec.required).toEqual(['targetSelector', 'score']);
    expect(spec.properties!.targetSelector.required).toEqual([...SEED.selectorFields]);
  });

  test('the score is a payload tagged PodmanV0 whose data is one container: image and host:container port mappings', () => {
    expect(score.required).toEqual(['type', 'data']);
    expect(IOT_SCORE_TYPES).toEqual([SEED.scoreTag]);
    expect(score.properties!.type.enum).toEqual([SEED.scoreTag]);
    expect(iot.DeploymentSpecScoreType.PODMAN_V0).toBe(SEED.scoreTag);
    const data = score.properties!.data;
    expect(data.required).toEqual(['image']);
    for (const f of SEED.podmanFields) expect(data.properties).toHaveProperty(f);
    expect(new RegExp(data.properties!.ports.items!.pattern!).test(SEED.portExample)).toBe(true);
  });

  test('the rollout enum and maxConcurrent are the same in the CRD, the imported classes and FleetRollout', () => {
    const strategy = rollout.properties!.strategy;
    expect(IOT_ROLLOUT_STRATEGIES).toEqual(LIBRARY_ROLLOUT.strategies);
    expect(strategy.enum).toEqual(LIBRARY_ROLLOUT.strategies);
    expect(strategy.default).toBe(LIBRARY_ROLLOUT.default);
    expect(Object.values(iot.DeploymentSpecRolloutStrategy).sort()).toEqual([...LIBRARY_ROLLOUT.strategies].sort());
    expect(rollout.properties!.maxConcurrent).toMatchObject({ type: 'integer', minimum: LIBRARY_ROLLOUT.maxConcurrentMinimum });
    expect(FleetRollout.allAtOnce()).toMatchObject({ strategy: 'AllAtOnce', maxConcurrent: undefined });
    expect(FleetRollout.rolling({ maxConcurrent: 1 })).toMatchObject({ strategy: 'Rolling', maxConcurrent: 1 });
  });

  test('a rendered CR carries the seed\'s shape', () => {
    const objects = synthIn((r) => {
      const fleet = new IotFleet(r, 'Fleet', { installCrd: false });
      fleet.addDeployment('hello-web', { targetSelector: { matchLabels: { device: 'iot-smoke-vm' } }, image: 'docker.io/library/nginx:1.27.2', ports: [SEED.portExample], rollout: FleetRollout.rolling({ maxConcurrent: 2 }) });
    }).template.objects;
    const cr = objects.find((o) => o.kind === SEED.kind && o.apiVersion === `${SEED.group}/${SEED.version}`) as any;
    expect(cr.spec).toEqual({
      targetSelector: { matchLabels: { device: 'iot-smoke-vm' } },
      score: { type: SEED.scoreTag, data: { image: 'docker.io/library/nginx:1.27.2', ports: [SEED.portExample] } },
      rollout: { strategy: 'Rolling', maxConcurrent: 2 },
    });
  });

  test('the status is the seed\'s aggregate, field for field', () => {
    expect(Object.keys(IOT_STATUS_SCHEMA.properties).sort()).toEqual([...SEED.statusFields].sort());
    expect(Object.keys(IOT_AGGREGATE_STATUS_SCHEMA.properties).sort()).toEqual([...SEED.aggregateFields].sort());
    expect(Object.keys(IOT_AGGREGATE_STATUS_SCHEMA.properties.lastError.properties).sort()).toEqual([...SEED.lastErrorFields].sort());
    expect(Object.keys(IOT_AGGREGATE_STATUS_SCHEMA.properties.recentEvents.items.properties).sort()).toEqual([...SEED.eventFields].sort());
    expect(IOT_AGGREGATE_STATUS_SCHEMA.properties).not.toHaveProperty('unreported');
  });
});
