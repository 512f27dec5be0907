import { App } from 'cdk8s';
import { ArgoCdSync, DeliveryTarget, formatReport, IotFleet, NatsExposure, Release, synthesizeToDist } from 'cdk8s-ops-kit';

/**
 * Renders the IoT fleet into `outdir` together with its Argo CD delivery, and returns the delivery files
 * (`argocd/...`, relative to `outdir`): the root Application and its project, the release's Application and the
 * AppProject it syncs under, and the argocd-cm health-check patch.
 */
export function deliver(outdir: string): string[] {
  const app = new App();
  // One target per GitOps repository: where Argo CD reads the committed dist/ from, and how it syncs.
  const delivery = DeliveryTarget.argoCd({
    name: 'iot',
    repoURL: 'https://git.example.com/platform/gitops.git',
    targetRevision: 'main',
    distPath: 'dist',
    // Sync on every commit and revert drift; do not prune (removing a fleet deployment is an operator's decision).
    sync: ArgoCdSync.automated({ selfHeal: true }),
  });
  const release = new Release(app, 'iot-fleet', { namespace: 'iot-system', delivery });
  const fleet = new IotFleet(release, 'Fleet', {
    nats: {
      exposure: NatsExposure.loadBalancer({
        reason: 'device agents connect from the device LAN outside the cluster',
        sourceRanges: ['192.168.50.0/24'],
      }),
    },
  });
  fleet.addDeployment('hello-web', {
    targetSelector: { matchLabels: { group: 'lab' } },
    image: 'docker.io/library/nginx:1.27.2-alpine',
    ports: ['8080:80'],
  });
  // Validates and verifies the releases and the delivery; only then replaces outdir atomically.
  const result = synthesizeToDist(app, outdir, { quiet: true });
  if (!result.ok) throw new Error(result.reports.map(formatReport).join('\n'));
  return [...result.files!.keys()].filter((f) => f.startsWith('argocd/'));
}
