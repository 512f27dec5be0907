import { App } from 'cdk8s';
import { buildIotFleet } from '../../apps/iot-fleet';
import { ArgoCdHealthCheck, argoCdHealthCustomizations, luaString } from '../../lib/gitops';
import { renderRelease } from '../../lib/release';

describe('ArgoCdHealthCheck.iotFleetDeployment', () => {
  const checkLua = ArgoCdHealthCheck.iotFleetDeployment();

  test('is keyed for argocd-cm as resource.customizations.health.<group>_<kind>', () => {
    expect(checkLua.configKey).toBe('resource.customizations.health.iot.nationtech.io_Deployment');
    expect(argoCdHealthCustomizations([checkLua])).toEqual({ 'resource.customizations.health.iot.nationtech.io_Deployment': checkLua.lua });
  });

  test('reads only status fields the rendered CRD declares, with the types it compares them as', () => {
    const crd = renderRelease(buildIotFleet(new App())).objects.find((o) => o.kind === 'CustomResourceDefinition') as any;
    const status = crd.spec.versions[0].schema.openAPIV3Schema.properties.status;
    const read = [...checkLua.lua.matchAll(/\["([A-Za-z]+)"\]|count\("([A-Za-z]+)"\)/g)].map((m) => m[1] ?? m[2]);
    const aggregate = status.properties.aggregate.properties;
    expect([...new Set(read)].sort()).toEqual(['aggregate', 'deviceId', 'failed', 'lastError', 'message', 'pending', 'succeeded']);
    expect(status.properties.aggregate.type).toBe('object');
    for (const f of ['succeeded', 'failed', 'pending']) expect({ f, type: aggregate[f].type }).toEqual({ f, type: 'integer' });
    expect(aggregate.lastError.properties.message.type).toBe('string');
    expect(aggregate.lastError.properties.deviceId.type).toBe('string');
  });

  test('returns only statuses Argo CD knows', () => {
    const statuses = [...checkLua.lua.matchAll(/hs\.status = "([A-Za-z]+)"/g)].map((m) => m[1]);
    expect([...new Set(statuses)].sort()).toEqual(['Degraded', 'Healthy', 'Progressing']);
  });

  test('generated Lua snapshot (its behaviour is tested under lua5.1 in test/integration/argocd-health.test.ts)', () => {
    expect(checkLua.lua).toMatchSnapshot();
  });

  test('fails when two checks are for the same kind', () => {
    expect(() => argoCdHealthCustomizations([checkLua, checkLua])).toThrow(/'healthChecks' is "resource.customizations.health.iot.nationtech.io_Deployment".*one health check per group and kind/);
  });
});

describe('luaString', () => {
  test('escapes quotes, backslashes, newlines and non-ASCII bytes as Lua 5.1 decimal escapes', () => {
    expect(luaString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\010d"');
    expect(luaString('é')).toBe('"\\195\\169"');
  });
});
