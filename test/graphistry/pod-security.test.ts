import { evaluatePodSecurity, podSecurityRequirement } from '../../lib/graphistry';

/** A container that meets the restricted level. */
const ok = (name = 'app', sc: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name,
  image: 'x:1',
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, ...sc },
  ...extra,
});

describe('evaluatePodSecurity (Pod Security Standards, as Pod Security Admission checks a pod)', () => {
  test('a non-root pod with every capability dropped and RuntimeDefault seccomp is restricted', () => {
    expect(evaluatePodSecurity({ containers: [ok()], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'c' } }, { name: 'e', emptyDir: {} }] })).toEqual({ level: 'restricted', reasons: [] });
  });

  test('restricted lets NET_BIND_SERVICE be added, and takes runAsNonRoot and seccomp from the pod', () => {
    const c = { name: 'a', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } };
    expect(evaluatePodSecurity({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [c] }).level).toBe('restricted');
  });

  test('root with default-set capabilities is baseline, with the reasons', () => {
    const e = evaluatePodSecurity({ securityContext: { runAsUser: 0 }, containers: [ok('a', { runAsNonRoot: undefined, capabilities: { drop: ['ALL'], add: ['CHOWN', 'NET_BIND_SERVICE', 'SETUID'] } })] });
    expect(e).toEqual({ level: 'baseline', reasons: ['runAsUser 0', 'capabilities CHOWN, SETUID'] });
  });

  test('an init container counts like any other container', () => {
    expect(evaluatePodSecurity({ containers: [ok()], initContainers: [ok('init', { allowPrivilegeEscalation: true })] })).toEqual({ level: 'baseline', reasons: ['allowPrivilegeEscalation not false'] });
  });

  test('an unset allowPrivilegeEscalation, a missing drop ALL, an NFS volume each miss restricted', () => {
    expect(evaluatePodSecurity({ containers: [ok('a', { allowPrivilegeEscalation: undefined })] }).reasons).toEqual(['allowPrivilegeEscalation not false']);
    expect(evaluatePodSecurity({ containers: [ok('a', { capabilities: {} })] }).reasons).toEqual(['capabilities not dropped to ALL']);
    expect(evaluatePodSecurity({ containers: [ok()], volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] })).toEqual({ level: 'baseline', reasons: ['nfs volume'] });
    expect(evaluatePodSecurity({ containers: [ok('a', { seccompProfile: undefined })] }).reasons).toEqual(['no RuntimeDefault seccomp profile']);
  });

  test.each([
    ['hostNetwork', { hostNetwork: true, containers: [ok()] }, 'hostNetwork'],
    ['hostPID', { hostPID: true, containers: [ok()] }, 'hostPID'],
    ['a hostPath volume', { containers: [ok()], volumes: [{ name: 'root', hostPath: { path: '/' } }] }, 'hostPath volumes /'],
    ['SYS_ADMIN', { containers: [ok('a', { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } })] }, 'capabilities SYS_ADMIN'],
    ['CAP_SYS_ADMIN spelling', { containers: [ok('a', { capabilities: { drop: ['ALL'], add: ['CAP_SYS_ADMIN'] } })] }, 'capabilities SYS_ADMIN'],
    ['a privileged container', { containers: [ok('a', { privileged: true })] }, 'privileged'],
    ['a host port', { containers: [ok('a', {}, { ports: [{ containerPort: 9100, hostPort: 9100 }] })] }, 'hostPort 9100'],
    ['seccomp Unconfined', { containers: [ok('a', { seccompProfile: { type: 'Unconfined' } })] }, 'seccomp Unconfined'],
    ['an unsafe sysctl', { securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] }, containers: [ok()] }, 'sysctl net.core.somaxconn'],
  ])('%s needs privileged', (_what, pod, reason) => {
    expect(evaluatePodSecurity(pod)).toEqual({ level: 'privileged', reasons: [reason] });
  });

  test('privileged: false and seccomp RuntimeDefault do not loosen anything', () => {
    expect(evaluatePodSecurity({ containers: [ok('a', { privileged: false })] }).level).toBe('restricted');
  });
});

describe('podSecurityRequirement', () => {
  test('the loosest workload decides the level; each looser workload is listed with its reasons', () => {
    const r = podSecurityRequirement([
      { kind: 'Deployment', name: 'web', pod: { containers: [ok()] } },
      { kind: 'Deployment', name: 'root', pod: { securityContext: { runAsUser: 0 }, containers: [ok('a', { runAsNonRoot: undefined })] } },
      { kind: 'DaemonSet', name: 'agent', pod: { hostNetwork: true, containers: [ok()] } },
    ]);
    expect(r).toEqual({ level: 'privileged', privileged: [{ name: 'agent', reasons: ['hostNetwork'] }], baseline: [{ name: 'root', reasons: ['runAsUser 0'] }] });
    expect(podSecurityRequirement([{ kind: 'Deployment', name: 'web', pod: { containers: [ok()] } }]).level).toBe('restricted');
  });
});
