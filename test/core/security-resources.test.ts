import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { checksumAnnotations, configChecksum, CONFIG_CHECKSUM_ANNOTATION } from '../../lib/core/checksum';
import { ConfigError, propPath } from '../../lib/core/errors';
import { externalRefsAnnotation, policyExceptionAnnotations } from '../../lib/core/policy';
import { renderResources, sized } from '../../lib/core/resources';
import { SecurityProfile } from '../../lib/core/security';

describe('SecurityProfile', () => {
  test('restricted by default', () => {
    const p = SecurityProfile.restricted();
    expect(p.podSecurityContext()).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(p.containerSecurityContext()).toMatchObject({
      allowPrivilegeEscalation: false,
      privileged: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(p.exceptions).toEqual([]);
  });

  test('exceptions are named options that carry their reason', () => {
    const p = SecurityProfile.restricted({
      runAsRoot: { reason: 'writes root-owned NFS exports' },
      addCapabilities: { capabilities: ['NET_BIND_SERVICE'], reason: 'binds :80' },
      fsGroup: 472,
    });
    expect(p.podSecurityContext()).toMatchObject({ runAsUser: 0, fsGroup: 472 });
    expect(p.podSecurityContext().runAsNonRoot).toBeUndefined();
    expect(p.containerSecurityContext().capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    expect(policyExceptionAnnotations(p.exceptions)).toEqual({
      'policy.ops-kit.io/non-root': 'writes root-owned NFS exports',
      'policy.ops-kit.io/capabilities-dropped': 'binds :80',
    });
  });

  test('fails when an exception has no reason', () => {
    expect(() => SecurityProfile.restricted({ runAsRoot: { reason: '' } })).toThrow(/'security.runAsRoot.reason' is ""/);
  });

  test('fails when uid 0 is asked for without the runAsRoot exception', () => {
    expect(() => SecurityProfile.restricted({ runAsUser: 0 })).toThrow(/'security.runAsUser' is 0; allowed: a non-zero uid/);
  });

  test('fails when runAsRoot is combined with a non-zero uid (the uid was silently replaced by 0)', () => {
    expect(() => SecurityProfile.restricted({ runAsRoot: { reason: 'legacy image' }, runAsUser: 1000 })).toThrow(
      /'security.runAsUser' is 1000, but runAsRoot runs the pod as uid 0; allowed: unset \(or 0\) with runAsRoot/,
    );
    expect(SecurityProfile.restricted({ runAsRoot: { reason: 'legacy image' }, runAsUser: 0 }).podSecurityContext().runAsUser).toBe(0);
  });

  test('fails when a capability is ALL', () => {
    expect(() => SecurityProfile.restricted({ addCapabilities: { capabilities: ['ALL'], reason: 'x' } })).toThrow(/not ALL/);
  });
});

/** Quantities as they appear in YAML. */
function plain(r: ReturnType<typeof renderResources>) {
  const m = (o: Record<string, { value: unknown }> | undefined) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, v.value]));
  return { requests: m(r.requests as any), limits: m(r.limits as any) };
}

describe('resources', () => {
  test('renders requests and limits as quantities', () => {
    expect(plain(renderResources('r', sized(100, 500, 128, 1024)))).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '1Gi' },
    });
  });

  test('extended resources such as GPUs go to requests and limits', () => {
    const r = plain(renderResources('r', { ...sized(100, 100, 64, 64), extended: { 'nvidia.com/gpu': 1 } }));
    expect(r.limits['nvidia.com/gpu']).toBe(1);
    expect(r.requests['nvidia.com/gpu']).toBe(1);
  });

  test('fails when a limit is below its request', () => {
    expect(() => renderResources('engine.nginx.resources', sized(500, 100, 64, 64))).toThrow(/'engine.nginx.resources.cpu.limit' is "100m"; allowed: at least the request \(500m\)/);
    expect(() =>
      renderResources('x', { cpu: { request: Cpu.units(1), limit: Cpu.units(1) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } }),
    ).toThrow(/'x.memory.limit' is "1Gi"; allowed: at least the request \(2Gi\)/);
  });
});

describe('config checksums', () => {
  test('the annotation changes exactly when the config changes', () => {
    const a = checksumAnnotations('route /a');
    expect(Object.keys(a)).toEqual([CONFIG_CHECKSUM_ANNOTATION]);
    expect(a).toEqual(checksumAnnotations('route /a'));
    expect(a).not.toEqual(checksumAnnotations('route /b'));
  });

  test('object configs hash independently of key order', () => {
    expect(configChecksum({ a: 1, b: { c: 2, d: 3 } })).toBe(configChecksum({ b: { d: 3, c: 2 }, a: 1 }));
    expect(configChecksum({ a: 1 })).not.toBe(configChecksum({ a: 2 }));
  });

  test('several files hash as a sequence', () => {
    expect(configChecksum('a', 'b')).not.toBe(configChecksum('ab'));
  });
});

describe('errors and annotations', () => {
  test('ConfigError names the prop, shows the value and the allowed range', () => {
    const e = new ConfigError('streamglGpu.workers', 109, 'at most 108', 'the list-server port 8200 collides with forge-etl-python');
    expect(e.message).toBe("'streamglGpu.workers' is 109, but the list-server port 8200 collides with forge-etl-python; allowed: at most 108");
    expect([e.prop, e.value, e.allowed]).toEqual(['streamglGpu.workers', 109, 'at most 108']);
  });

  test('propPath joins parts and indexes', () => {
    expect(propPath('a', 'b', 0, 'c')).toBe('a.b[0].c');
  });

  test('external refs are sorted and deduplicated', () => {
    expect(externalRefsAnnotation([{ kind: 'Secret', name: 'b' }, { kind: 'Secret', name: 'a' }, { kind: 'Secret', name: 'b' }])).toEqual({
      'refs.ops-kit.io/external': 'Secret/a,Secret/b',
    });
    expect(externalRefsAnnotation([])).toEqual({});
  });

  test('fails when a policy exception has no reason or a bad rule id', () => {
    expect(() => policyExceptionAnnotations([{ rule: 'non-root', reason: '' }])).toThrow(/'policyException.non-root.reason'/);
    expect(() => policyExceptionAnnotations([{ rule: 'Non Root', reason: 'x' }])).toThrow(/'policyException.rule'/);
  });
});
