import { App } from 'cdk8s';
import { FORGEJO_IMAGE, ForgejoServer, ForgejoServerProps } from '../../lib/forgejo';
import { Release, renderApp, RenderedRelease } from '../../lib/release';
import { formatReport, verifyReleases } from '../../lib/verify';
import { Template } from '../support';

const SECRETS = { secretKey: { name: 'forgejo', key: 'secret-key' }, internalToken: { name: 'forgejo', key: 'internal-token' } };

function render(props: Partial<ForgejoServerProps> = {}): { forgejo: ForgejoServer; release: RenderedRelease } {
  const app = new App();
  const forgejo = new ForgejoServer(new Release(app, 'git', { namespace: 'git' }), 'Forgejo', { ...SECRETS, ...props });
  return { forgejo, release: renderApp(app)[0] };
}

describe('ForgejoServer', () => {
  test('defaults: rootless pinned image, port 3000, /api/v1/version probes, kept data claim at /var/lib/gitea, /etc/gitea an emptyDir', () => {
    const { forgejo, release } = render();
    const t = new Template(release);
    const sts = t.find('StatefulSet', 'git-forgejo');
    const spec = sts.spec.template.spec;
    const c = spec.containers[0];
    expect(c.image).toBe(FORGEJO_IMAGE);
    expect(FORGEJO_IMAGE).toMatch(/-rootless$/);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 3000 }]);
    expect([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path]).toEqual(['/api/v1/version', '/api/v1/version']);
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/var/lib/gitea' }, { name: 'config', mountPath: '/etc/gitea' }]));
    expect(spec.volumes.find((v: any) => v.name === 'config').emptyDir).toBeDefined();
    expect(sts.spec.volumeClaimTemplates[0].metadata.annotations['argocd.argoproj.io/sync-options']).toMatch(/Prune=false/);
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true });
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.FORGEJO__security__SECRET_KEY).toEqual({ secretKeyRef: { name: 'forgejo', key: 'secret-key' } });
    expect(env.FORGEJO__server__ROOT_URL).toBeUndefined();
    expect(env.FORGEJO__service__DISABLE_REGISTRATION).toBe('true');
    expect(forgejo.repositoryUrl('eden', 'exp')).toBe('http://git-forgejo.git.svc:3000/eden/exp.git');
    expect(t.findAll('Secret')).toEqual([]);
    expect(release.notes.join('\n')).toContain('create secret generic forgejo');
    const reports = verifyReleases([release]);
    if (!reports[0].ok) throw new Error(formatReport(reports[0]));
  });

  test('custom: own pull policy, settings, name', () => {
    const { release } = render({ name: 'forge', imagePullPolicy: 'Always', settings: { FORGEJO__log__LEVEL: 'Info' } });
    const c = new Template(release).find('StatefulSet', 'forge').spec.template.spec.containers[0];
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.env).toContainEqual({ name: 'FORGEJO__log__LEVEL', value: 'Info' });
  });

  test('fails when a setting the server owns is set', () => {
    expect(() => render({ settings: { FORGEJO__database__DB_TYPE: 'postgres' } })).toThrow(/settings.*FORGEJO__database__DB_TYPE.*a setting other than/s);
  });

  test('fails when a setting is not FORGEJO__<section>__<KEY>', () => {
    expect(() => render({ settings: { LOG_LEVEL: 'x' } })).toThrow(/settings.*LOG_LEVEL.*FORGEJO__<section>__<KEY>/s);
  });

  test('fails when the secret key is missing (credentials are never generated)', () => {
    expect(() => render({ secretKey: undefined as any })).toThrow(/secretKey/);
  });
});
