import { App } from 'cdk8s';
import { formatReport, NatsExposure, NatsServer, Release, synthesizeToDist } from 'cdk8s-ops-kit';

export function buildMessaging(app: App): NatsServer {
  const release = new Release(app, 'messaging', {
    namespace: 'messaging',
    // air-gapped cluster: every image, init containers included, is pulled from the mirror
    images: { registry: 'mirror.corp.example:5000', pullSecrets: ['mirror-pull'] },
    // every workload lands on the infra pool unless it says otherwise
    placement: { nodeSelector: { 'node-role.corp.example/infra': 'true' } },
  });
  // devices on the plant network reach NATS on port 30422 of every node; the reason is recorded in the output
  const exposure = NatsExposure.nodePort(30422, {
    reason: 'devices on the plant network connect to the nodes directly',
    sourceRanges: ['10.40.0.0/16'], // the plant network: the NATS pods' NetworkPolicy admits only it
  });
  const nats = new NatsServer(release, 'Nats', { exposure });
  nats.addKeyValueBucket('orders', 'order state by id');
  return nats;
}

// Validate, render, verify (schema, policy, references) and only then replace dist/ (atomically) with
// dist/messaging/*.yaml. Warnings are printed to stderr. Under `cdk8s synth`, the folder the CLI passes in
// CDK8S_OUTDIR gets the same files, for its validation plugins.
export function synth(outdir = 'dist'): boolean {
  const app = new App();
  buildMessaging(app);
  const result = synthesizeToDist(app, outdir, { cdk8sOutdir: process.env.CDK8S_OUTDIR });
  if (!result.ok) console.error(result.reports.map(formatReport).join('\n'));
  return result.ok;
}

if (require.main === module) process.exit(synth() ? 0 : 1);
