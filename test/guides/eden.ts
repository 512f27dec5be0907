import { App } from 'cdk8s';
import {
  AppTier, EdenDatabase, EdenExperiment, EdenExperimentConfig, EdenIdentity, IngressTls, Release,
} from 'cdk8s-ops-kit';

/** The seed commit the repo-init Job printed (set once the Job has run). */
const BASE_COMMIT = '3f1c2a9e8b7d6c5f4e3a2b1c0d9e8f7a6b5c4d3e';

/**
 * One EDEN experiment in one release. `ready` false is the bring-up: the infrastructure, the repo-init Job and the
 * task-store-server the identities are minted against. `ready` true adds every service under its minted identity.
 */
export function buildEden(app: App, ready: boolean): EdenExperiment {
  const release = new Release(app, 'eden', { namespace: 'eden' });
  // Each minted worker id comes with the Secret holding its token: a half-set identity cannot be written.
  const worker = (service: string, workerId: string) => EdenIdentity.of({ workerId, tokenSecret: `eden-${service}-identity` });
  return new EdenExperiment(release, 'Eden', {
    name: 'eden',
    // No default: the image the operator built and pushed.
    image: { repository: 'ghcr.io/acme/eden-reference', tag: '0.13.0' },
    // The experiment id the task store minted, and the config passed verbatim.
    experiment: {
      id: 'exp_01hz3k8q9v5t7m2n4p6r8s0w2x',
      config: EdenExperimentConfig.object({ parallel_variants: 1, objective: { expr: 'score', direction: 'maximize' } }),
    },
    appTier: ready
      ? AppTier.ready({
        baseCommitSha: BASE_COMMIT,
        identities: {
          orchestrator: worker('orchestrator', 'wkr_01hz3m0a1b2c3d4e5f6g7h8j9k'),
          webUi: worker('web-ui', 'wkr_01hz3m1a1b2c3d4e5f6g7h8j9k'),
          ideatorHost: worker('ideator-host', 'wkr_01hz3m2a1b2c3d4e5f6g7h8j9k'),
          executorHost: worker('executor-host', 'wkr_01hz3m3a1b2c3d4e5f6g7h8j9k'),
          evaluatorHost: worker('evaluator-host', 'wkr_01hz3m4a1b2c3d4e5f6g7h8j9k'),
        },
      })
      : AppTier.pending({ baseCommitSha: BASE_COMMIT }),
    // Operator-created Secrets: the release never generates a credential.
    secrets: { app: 'eden-app', forgejo: 'eden-forgejo' },
    database: EdenDatabase.inCluster({ secretName: 'eden-postgres' }),
    webUiIngress: { hosts: ['eden.example.com'], className: 'nginx', tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' }) },
  });
}
