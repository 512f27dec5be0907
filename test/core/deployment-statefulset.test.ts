import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { DeploymentRollout, Placement, renderDeployment, renderStatefulSet, SecurityProfile, selectorLabels, sized, WorkloadConstruct } from '../../lib/core';
import { Release } from '../../lib/release';
import { Template } from '../support';

class Pods extends WorkloadConstruct {
  public readonly selector = selectorLabels({ name: 'x', instance: 'r' });
  constructor(scope: Construct, id: string) {
    super(scope, id);
  }
}

function pods(): Pods {
  return new Pods(new Release(new App(), 'r', { namespace: 'ns' }), 'Pods');
}

const common = (p: Pods) => ({
  name: 'x',
  prop: 'x',
  labels: { ...p.selector, 'app.kubernetes.io/version': '1' },
  containers: [{ name: 'c', image: 'nginx:1.27.2', resources: sized(10, 100, 16, 64), ports: [{ name: 'http', port: 8080 }] }],
  security: SecurityProfile.restricted(),
  placement: Placement.of(p).forWorkload(),
});

describe('DeploymentRollout', () => {
  test('rolling defaults to maxSurge 1 and maxUnavailable 0; recreate never overlaps', () => {
    expect(DeploymentRollout.rolling().strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } });
    expect(DeploymentRollout.rolling().overlaps).toBe(true);
    expect(DeploymentRollout.recreate().overlaps).toBe(false);
  });

  test('maxSurge may be 0 when maxUnavailable leaves room (no overlap then)', () => {
    const r = DeploymentRollout.rolling({ maxSurge: 0, maxUnavailable: 1 });
    expect(r.strategy.rollingUpdate?.maxSurge?.value).toBe(0);
    expect(r.overlaps).toBe(false);
  });

  test('fails when neither maxSurge nor maxUnavailable leaves room for a new pod', () => {
    expect(() => DeploymentRollout.rolling({ maxSurge: 0 })).toThrow(/'rollout.maxSurge' is 0, but it is below 1; allowed: a whole number >= 1 \(maxUnavailable is 0/);
    expect(() => DeploymentRollout.rolling({ maxUnavailable: -1 })).toThrow(/'rollout.maxUnavailable' is -1/);
  });
});

describe('renderDeployment / renderStatefulSet', () => {
  test('an autoscaled Deployment renders no replicas', () => {
    const p = pods();
    renderDeployment(p, { ...common(p), autoscaled: true, revisionHistoryLimit: 3 });
    const d = Template.fromRelease(Release.of(p)).find('Deployment', 'x');
    expect('replicas' in d.spec).toBe(false);
    expect(d.spec.revisionHistoryLimit).toBe(3);
    expect(d.spec.selector).toEqual({ matchLabels: p.selector });
  });

  test('fails when an autoscaled Deployment is also given a replica count', () => {
    const p = pods();
    expect(() => renderDeployment(p, { ...common(p), autoscaled: true, replicas: 3 })).toThrow(/'x.replicas' is 3; allowed: unset when an autoscaler owns the count/);
  });

  test('a StatefulSet names its governing Service, carries its claim templates and mounts them by name', () => {
    const p = pods();
    const base = common(p);
    renderStatefulSet(p, {
      ...base,
      containers: [{ ...base.containers[0], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      replicas: 3,
      serviceName: 'x-headless',
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      podManagementPolicy: 'Parallel',
    });
    const s = Template.fromRelease(Release.of(p)).find('StatefulSet', 'x');
    expect(s.spec).toMatchObject({ replicas: 3, serviceName: 'x-headless', podManagementPolicy: 'Parallel', volumeClaimTemplates: [{ metadata: { name: 'data' } }] });
    expect(s.spec.template.spec.volumes).toBeUndefined();
  });

  test('fails when two claim templates share a name', () => {
    const p = pods();
    const t = { metadata: { name: 'data' }, spec: {} };
    expect(() => renderStatefulSet(p, { ...common(p), replicas: 1, serviceName: 'h', volumeClaimTemplates: [t, t] })).toThrow(/'x.volumeClaimTemplates.name' is "data"; allowed: each template name once/);
  });
});
