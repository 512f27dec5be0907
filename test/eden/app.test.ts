import { App } from 'cdk8s';
import { buildEden, EDEN_PROFILES, edenApp } from '../../apps/eden';
import { EdenExperiment } from '../../lib/eden';
import { EXAMPLE_APPS } from '../../apps/registry';
import { Release, renderApp } from '../../lib/release';
import { checkUpgrade, formatReport, formatUpgradeReport, KubeObject, verifyReleases } from '../../lib/verify';
import { Template } from '../support';

/** One shape of the experiment rendered as the release `eden` in namespace `eden`: an upgrade happens in place. */
function asRelease(profile: string): KubeObject[] {
  const app = new App();
  new EdenExperiment(new Release(app, 'eden', { namespace: 'eden' }), 'Eden', EDEN_PROFILES[profile]());
  return renderApp(app)[0].objects as KubeObject[];
}

describe('apps/eden', () => {
  const app = new App();
  buildEden(app);
  const releases = renderApp(app);
  const byName = (n: string) => releases.find((r) => r.name === n)!;
  const upgrade = (from: string, to: string) => checkUpgrade(asRelease(from), asRelease(to));

  test('is registered for npm run synth with exactly the four releases', () => {
    expect(EXAMPLE_APPS).toContain(edenApp);
    expect(releases.map((r) => r.name).sort()).toEqual(['eden', 'eden-bootstrap', 'eden-external-db', 'eden-lease']);
    expect(releases.map((r) => `${r.name}: ${new Template(r).ids().join(', ')}`)).toMatchSnapshot();
  });

  test('every release verifies clean (schema, policy, references, wiring, network policies)', () => {
    const reports = verifyReleases(releases);
    for (const report of reports) if (!report.ok) throw new Error(formatReport(report));
    expect(reports).toHaveLength(4);
  });

  test('eden-bootstrap -> eden passes the upgrade check: the same claims, nothing immutable changes', () => {
    const report = upgrade('eden-bootstrap', 'eden');
    if (!report.ok) throw new Error(formatUpgradeReport(report));
    const claims = (r: KubeObject[]) => r.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => JSON.stringify(o)).sort();
    expect(claims(asRelease('eden'))).toEqual(claims(asRelease('eden-bootstrap')));
    // The task-store-server keeps its pod template: minting the identities does not restart it.
    const store = (r: string) => (asRelease(r) as any[]).find((o) => o.kind === 'Deployment' && o.metadata.name === 'eden-task-store-server').spec.template;
    expect(store('eden')).toEqual(store('eden-bootstrap'));
  });

  test('eden -> eden-lease reports exactly one breaking change: the file-blob claim that S3 replaces', () => {
    const report = upgrade('eden', 'eden-lease');
    expect(report.breaking.map((v) => [v.object, v.rule])).toEqual([['PersistentVolumeClaim/eden/eden-blobs', 'upgrade-stateful-removed']]);
  });

  test('eden -> eden-bootstrap is flagged: going back to pending tears the app tier down', () => {
    const report = upgrade('eden', 'eden-bootstrap');
    expect(report.ok).toBe(false);
    const removed = report.breaking.filter((v) => v.rule === 'upgrade-stateful-removed').map((v) => v.object).sort();
    expect(removed).toEqual(['StatefulSet/eden/eden-evaluator-host', 'StatefulSet/eden/eden-executor-host', 'StatefulSet/eden/eden-orchestrator', 'StatefulSet/eden/eden-web-ui']);
  });

  test('eden-lease: a control plane, three orchestrators each under its own worker id, S3 blobs through workload identity', () => {
    const t = new Template(byName('eden-lease'));
    expect(t.find('StatefulSet', 'eden-orchestrator').spec.replicas).toBe(3);
    expect(t.has('Deployment', 'eden-control-plane')).toBe(true);
    const store = t.find('Deployment', 'eden-task-store-server');
    expect(store.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--blob-backend', 's3', '--blob-s3-bucket', 'acme-eden-artifacts']));
    const sa = t.find('ServiceAccount', store.spec.template.spec.serviceAccountName);
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/eden-task-store');
    const orch = t.find('StatefulSet', 'eden-orchestrator').spec.template.spec;
    expect(orch.initContainers.find((c: any) => c.name === 'provision-credential').command[2]).toContain('0) worker=');
    expect(orch.containers[0].env.map((e: any) => e.name)).toContain('EDEN_CONTROL_PLANE_URL');
  });

  test('eden-external-db: the task store reads its DSN and the CA from Secrets, verify-full, GCS keys mounted', () => {
    const t = new Template(byName('eden-external-db'));
    expect(t.has('StatefulSet', 'eden-postgres')).toBe(false);
    const c = t.find('Deployment', 'eden-task-store-server').spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: 'EDEN_STORE_URL', valueFrom: { secretKeyRef: { name: 'eden-store-dsn', key: 'EDEN_STORE_URL' } } });
    expect(JSON.stringify(byName('eden-external-db').notes)).toContain('sslmode=verify-full&sslrootcert=');
    expect(c.env.map((e: any) => e.name)).toContain('GOOGLE_APPLICATION_CREDENTIALS');
  });
});
