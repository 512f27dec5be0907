import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { checksumAnnotations, configChecksum, CONFIG_CHECKSUM_ANNOTATION } from '../../lib/core/checksum';
import { ConfigError, propPath } from '../../lib/core/errors';
import { rng } from '../support/random';
import { externalRefsAnnotation, policyExceptionAnnotations } from '../../lib/core/policy';
import { renderResources, sized } from '../../lib/core/resources';
import { HostPathMount, SecurityProfile } from '../../lib/core/security';

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

  describe('host access', () => {
    const host = SecurityProfile.restricted({
      hostPaths: {
        mounts: [
          { name: 'proc', hostPath: '/proc', mountPath: '/host/proc' },
          { name: 'root', hostPath: '/', mountPath: '/host/root', mountPropagation: 'HostToContainer' },
          { name: 'sock', hostPath: '/var/lib/kubelet/pod-resources', mountPath: '/pr', type: 'Directory' },
        ],
        reason: 'reads node files',
      },
      hostNetwork: { reason: 'node network metrics' },
      hostPID: { reason: 'sees node processes' },
    });

    test('each loosening is a no-host-access exception carrying its reason, joined into one annotation', () => {
      expect(host.exceptions).toEqual([
        { rule: 'no-host-access', reason: 'reads node files' },
        { rule: 'no-host-access', reason: 'node network metrics' },
        { rule: 'no-host-access', reason: 'sees node processes' },
      ]);
      expect(policyExceptionAnnotations(host.exceptions)).toEqual({ 'policy.ops-kit.io/no-host-access': 'reads node files; node network metrics; sees node processes' });
      expect(host.hostNetwork).toBe(true);
      expect(host.hostPID).toBe(true);
    });

    test('hostPaths become hostPath volumes and read-only mounts', () => {
      expect(host.hostPathVolumes()).toEqual([
        { name: 'proc', hostPath: { path: '/proc', type: undefined } },
        { name: 'root', hostPath: { path: '/', type: undefined } },
        { name: 'sock', hostPath: { path: '/var/lib/kubelet/pod-resources', type: 'Directory' } },
      ]);
      expect(host.hostPathMounts()).toEqual([
        { name: 'proc', mountPath: '/host/proc', readOnly: true, mountPropagation: undefined },
        { name: 'root', mountPath: '/host/root', readOnly: true, mountPropagation: 'HostToContainer' },
        { name: 'sock', mountPath: '/pr', readOnly: true, mountPropagation: undefined },
      ]);
    });

    test('the restricted profile has no host access', () => {
      const p = SecurityProfile.restricted();
      expect(p.hostNetwork).toBe(false);
      expect(p.hostPID).toBe(false);
      expect(p.hostPathVolumes()).toEqual([]);
      expect(p.hostPathMounts()).toEqual([]);
    });

    test('fails when a host access reason is empty', () => {
      expect(() => SecurityProfile.restricted({ hostNetwork: { reason: '' } })).toThrow(/'security.hostNetwork.reason' is ""; allowed: a non-empty reason/);
      expect(() => SecurityProfile.restricted({ hostPID: { reason: '  ' } })).toThrow(/'security.hostPID.reason' is "  "/);
      expect(() => SecurityProfile.restricted({ hostPaths: { mounts: [{ name: 'p', hostPath: '/proc', mountPath: '/p' }], reason: '' } })).toThrow(/'security.hostPaths.reason' is ""/);
    });

    test('fails when a hostPath is not absolute', () => {
      const one = (m: Partial<HostPathMount>) => () =>
        SecurityProfile.restricted({ hostPaths: { mounts: [{ name: 'p', hostPath: '/proc', mountPath: '/p', ...m }], reason: 'r' } });
      expect(one({ hostPath: 'proc' })).toThrow(/'security.hostPaths.mounts\[0\].hostPath' is "proc"; allowed: an absolute node path/);
      expect(one({ hostPath: '/var/../etc' })).toThrow(/'security.hostPaths.mounts\[0\].hostPath' is "\/var\/..\/etc"/);
      expect(one({ hostPath: '/proc/' })).toThrow(/hostPath' is "\/proc\/"/);
      expect(one({ hostPath: '' })).toThrow(/hostPath' is ""/);
      expect(one({ mountPath: 'host/proc' })).toThrow(/'security.hostPaths.mounts\[0\].mountPath' is "host\/proc"; allowed: an absolute container path/);
    });

    test('fails when hostPaths has no mounts, a bad or repeated name, or a writable type', () => {
      expect(() => SecurityProfile.restricted({ hostPaths: { mounts: [], reason: 'r' } })).toThrow(/'security.hostPaths.mounts'.*at least one mount/);
      const m = { name: 'p', hostPath: '/proc', mountPath: '/p' };
      expect(() => SecurityProfile.restricted({ hostPaths: { mounts: [m, { ...m, mountPath: '/q' }], reason: 'r' } })).toThrow(/'security.hostPaths.mounts\[1\].name' is "p", but p appears twice/);
      expect(() => SecurityProfile.restricted({ hostPaths: { mounts: [{ ...m, name: 'Proc_Dir' }], reason: 'r' } })).toThrow(/'security.hostPaths.mounts\[0\].name' is "Proc_Dir"/);
      expect(() => SecurityProfile.restricted({ hostPaths: { mounts: [{ ...m, type: 'DirectoryOrCreate' as 'Directory' }], reason: 'r' } })).toThrow(/'security.hostPaths.mounts\[0\].type' is "DirectoryOrCreate"; allowed: Directory, File or Socket/);
    });
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

  test('request-only resources go to requests and never to limits', () => {
    const r = plain(renderResources('r', { ...sized(100, 100, 64, 64), requestsOnly: { 'ephemeral-storage': Size.gibibytes(20) } }));
    expect(r.requests['ephemeral-storage']).toBe('20Gi');
    expect(r.limits).toEqual({ cpu: '100m', memory: '64Mi' });
    expect(plain(renderResources('r', { ...sized(100, 100, 64, 64), requestsOnly: { 'ephemeral-storage': Size.mebibytes(512) } })).requests['ephemeral-storage']).toBe('512Mi');
    expect(plain(renderResources('r', { ...sized(100, 100, 64, 64), requestsOnly: {} })).requests).toEqual({ cpu: '100m', memory: '64Mi' });
  });

  test('fails when a request-only ephemeral-storage is zero', () => {
    expect(() => renderResources('engine.nginx.resources', { ...sized(100, 100, 64, 64), requestsOnly: { 'ephemeral-storage': Size.gibibytes(0) } })).toThrow(
      /'engine.nginx.resources.requestsOnly.ephemeral-storage' is "0Gi"; allowed: more than 0/,
    );
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

  test('propPath gives what joining, with "." dropped before "[", gives, on generated parts', () => {
    const joined = (...parts: Array<string | number | undefined>) => parts
      .filter((p) => p !== undefined && p !== '')
      .map((p) => (typeof p === 'number' ? `[${p}]` : p))
      .join('.')
      .replace(/\.\[/g, '[');
    const random = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const parts: Array<string | number | undefined> = [undefined, '', 'a', 'env', '[0]', 'x.[1]', '.', '[', 'b.', 0, 3, -1, 1.5, NaN, 'PORT'];
    const differ: string[] = [];
    for (let n = 0; n < 5000; n++) {
      const args = Array.from({ length: Math.floor(random() * 6) }, () => pick(parts));
      if (propPath(...args) !== joined(...args)) differ.push(JSON.stringify(args));
    }
    expect(differ).toEqual([]);
    expect(propPath()).toBe('');
    expect(propPath(undefined, '')).toBe('');
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
