import { check } from './errors';

/** Argo CD's per-object sync options: a comma-separated list of `Option=value` (white space around items is trimmed). */
export const ARGOCD_SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/** Helm's per-object resource policy: `keep` leaves the object in place on `helm uninstall` and when an upgrade drops it. */
export const HELM_RESOURCE_POLICY_ANNOTATION = 'helm.sh/resource-policy';

/**
 * The sync options that keep state: `Prune=false` (removing the object from Git does not delete it) and
 * `Delete=false` (deleting the Application does not delete it either). Deleting a CRD deletes every custom resource
 * of its kind, and deleting a claim can delete its volume; both must be an operator's decision, not a side effect.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
 */
export const KEEP_SYNC_OPTIONS: readonly string[] = ['Prune=false', 'Delete=false'];

/**
 * The items of a sync-options annotation value, trimmed, empty items dropped.
 * @internal
 */
export function parseSyncOptions(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Joins sync options into one annotation value: duplicates dropped, first occurrence wins the position. Fails when
 * two items set the same option to different values (`Prune=false` and `Prune=true`), since Argo CD would honour one.
 * @internal
 */
export function joinSyncOptions(...lists: ReadonlyArray<readonly string[]>): string {
  const byName = new Map<string, string>();
  for (const item of lists.flat().map((s) => s.trim()).filter(Boolean)) {
    check(/^[A-Za-z]+=[A-Za-z0-9-]+$/.test(item), 'syncOptions', item, 'Option=value, for example Prune=false or ServerSideApply=true');
    const name = item.slice(0, item.indexOf('='));
    const seen = byName.get(name);
    check(seen === undefined || seen === item, 'syncOptions', item, `one value per option (${seen} is set too)`);
    byName.set(name, item);
  }
  return [...byName.values()].join(',');
}

/** What a stateful object needs to survive its release, as annotations. */
export interface KeepStateOptions {
  /**
   * Further Argo CD sync options for the same object (for example `ServerSideApply=true`); merged after
   * `Prune=false,Delete=false`.
   * @default - none
   */
  readonly syncOptions?: readonly string[];
  /**
   * Add `helm.sh/resource-policy: keep`, so the object also survives `helm uninstall` of the packaged chart. Not
   * useful on StatefulSet claim templates, whose claims Helm never owns.
   * @default true
   */
  readonly helm?: boolean;
}

/**
 * Annotations that keep a stateful object (a CRD, a PersistentVolumeClaim, a StatefulSet claim template) when its
 * release stops rendering it or is deleted: Argo CD `Prune=false,Delete=false` and Helm `resource-policy: keep`.
 * Every construct that renders a CRD or a claim uses this, and verification (rule `keep-state`) reports one that
 * does not; a deliberate exception is `policy.ops-kit.io/keep-state: <reason>`.
 */
export function keepStateAnnotations(options: KeepStateOptions = {}): Record<string, string> {
  return {
    [ARGOCD_SYNC_OPTIONS_ANNOTATION]: joinSyncOptions(KEEP_SYNC_OPTIONS, options.syncOptions ?? []),
    ...((options.helm ?? true) ? { [HELM_RESOURCE_POLICY_ANNOTATION]: 'keep' } : {}),
  };
}
