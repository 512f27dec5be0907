import { App } from 'cdk8s';
import { buildContainer, buildPodSpec, ConfigError, Placement, SecurityProfile, sized } from '../../lib/core';
import { Release } from '../../lib/release';

describe('buildPodSpec claimTemplateNames', () => {
  const release = new Release(new App(), 'r', { namespace: 'ns' });
  const security = SecurityProfile.restricted();
  const container = buildContainer('c', { name: 'c', image: 'nginx:1.27.2', resources: sized(10, 100, 16, 64), volumeMounts: [{ name: 'data', mountPath: '/data' }] }, security);
  const placement = Placement.of(release).forWorkload();

  test('accepts a mount of a StatefulSet claim template and renders no pod volume for it', () => {
    const spec = buildPodSpec(release, 'pod', { containers: [container], security, placement, claimTemplateNames: ['data'] });
    expect(spec.volumes).toBeUndefined();
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
  });

  test('fails when a mount names neither a volume nor a claim template', () => {
    expect(() => buildPodSpec(release, 'pod', { containers: [container], security, placement })).toThrow(ConfigError);
    expect(() => buildPodSpec(release, 'pod', { containers: [container], security, placement, claimTemplateNames: ['other'] })).toThrow(/volumeMounts/);
  });
});
