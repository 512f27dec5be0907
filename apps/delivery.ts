import { ArgoCdSync, DeliveryTarget } from '../lib/gitops';

/** The repository the example apps' dist/ is committed to (this project's), which Argo CD reads. */
export const EXAMPLE_REPO_URL = 'https://github.com/nationtech/cdk8s-ops-kit.git';

/** The branch Argo CD deploys the examples from. */
export const EXAMPLE_REVISION = 'main';

/** An example app's Argo CD target: this repository at EXAMPLE_REVISION, automated, reverting drift; pruning as given. */
function exampleTarget(name: string, { prune }: { readonly prune: boolean }): DeliveryTarget {
  return DeliveryTarget.argoCd({
    name,
    repoURL: EXAMPLE_REPO_URL,
    targetRevision: EXAMPLE_REVISION,
    sync: ArgoCdSync.automated(prune ? { prune: true, selfHeal: true } : { selfHeal: true }),
  });
}

/**
 * The IoT platform's delivery: Argo CD syncs on its own and reverts drift, but does not prune: the fleet's custom
 * resources decide what runs on every device, so removing one from Git is an operator's sync, not a side effect.
 */
export function iotDelivery(): DeliveryTarget {
  return exampleTarget('iot', { prune: false });
}

/** Graphistry's delivery: fully automated (prune and self-heal); claims and CRDs survive pruning (Prune=false). */
export function graphistryDelivery(): DeliveryTarget {
  return exampleTarget('graphistry', { prune: true });
}

/**
 * The dimtensor team's delivery: automated with self-heal; pruning stays an operator's sync, since a Job named after
 * its template is replaced by a new one on every change and a finished Job's logs are worth keeping until its TTL.
 */
export function dimtensorDelivery(): DeliveryTarget {
  return exampleTarget('dimtensor', { prune: false });
}

/**
 * semantic-explorer's delivery: fully automated (prune and self-heal). Its claims (models, data services) carry
 * Prune=false, so removing one from Git never deletes a volume.
 */
export function semanticExplorerDelivery(): DeliveryTarget {
  return exampleTarget('semantic-explorer-apps', { prune: true });
}

/**
 * EDEN's delivery: automated with self-heal, no pruning. The bring-up moves through phases (pending, then ready); an
 * edit that drops the app tier by mistake must not delete the running services and their clones on the next sync.
 */
export function edenDelivery(): DeliveryTarget {
  return exampleTarget('eden-platform', { prune: false });
}
