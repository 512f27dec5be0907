import { POLICY_EXCEPTION_PREFIX } from '../core/policy';
import { ARGOCD_SYNC_OPTIONS_ANNOTATION, HELM_RESOURCE_POLICY_ANNOTATION, KEEP_SYNC_OPTIONS, parseSyncOptions } from '../core/retention';
import { annotationsOf, groupOf, Json, show } from './objects';
import type { PolicyFinding } from './policy';
import { KubeObject } from './types';

/** What is missing from one annotations map for the object (or claim template) to survive its release. */
function missingKeep(annotations: Record<string, string>, helm: boolean): string[] {
  const options = parseSyncOptions(annotations[ARGOCD_SYNC_OPTIONS_ANNOTATION]);
  const missing = KEEP_SYNC_OPTIONS.filter((o) => !options.includes(o)).map((o) => `${ARGOCD_SYNC_OPTIONS_ANNOTATION} ${o}`);
  if (helm && annotations[HELM_RESOURCE_POLICY_ANNOTATION] !== 'keep') missing.push(`${HELM_RESOURCE_POLICY_ANNOTATION}: keep`);
  return missing;
}

/**
 * Rule `keep-state`: a CustomResourceDefinition, a PersistentVolumeClaim or a Namespace carries Argo CD
 * `Prune=false,Delete=false` and Helm `resource-policy: keep`, and every StatefulSet claim template carries the Argo CD
 * options (the claims it creates inherit them). Deleting a CRD deletes every custom resource of its kind; deleting a
 * claim can delete its volume; deleting a Namespace deletes everything in it. A deliberate exception is
 * `policy.ops-kit.io/keep-state: <reason>` on the object (the StatefulSet for its templates).
 * @internal
 */
export function keepStateFindings(o: KubeObject): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const exception = `annotate it with ${POLICY_EXCEPTION_PREFIX}keep-state: <why deleting it with the release is safe>`;
  const isCrd = o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io';
  const isClaim = o.kind === 'PersistentVolumeClaim' && o.apiVersion === 'v1';
  const isNamespace = o.kind === 'Namespace' && o.apiVersion === 'v1';
  if (isCrd || isClaim || isNamespace) {
    const missing = missingKeep(annotationsOf(o), true);
    if (missing.length) {
      const what = isCrd
        ? 'deleting it deletes every custom resource of its kind'
        : isClaim
          ? 'deleting it can delete its volume and data'
          : 'deleting it deletes everything in it, claims and operator-created Secrets included';
      out.push({
        rule: 'keep-state',
        message: `${o.kind} ${show(o.metadata.name)} lacks ${missing.join(' and ')}: ${what}, and Argo CD deletes it on prune or when the Application is deleted (Helm on uninstall)`,
        fix: `render its annotations with keepStateAnnotations() (lib/core), or ${exception}`,
        path: `metadata.annotations.${ARGOCD_SYNC_OPTIONS_ANNOTATION}`,
      });
    }
  }
  if (o.kind === 'StatefulSet' && groupOf(o.apiVersion) === 'apps') {
    const templates = (o as Json).spec?.volumeClaimTemplates;
    (Array.isArray(templates) ? templates : []).forEach((t: Json, i: number) => {
      const missing = missingKeep(annotationsOf(t ?? {}), false);
      if (!missing.length) return;
      out.push({
        rule: 'keep-state',
        message: `claim template ${show(t?.metadata?.name)} lacks ${missing.join(' and ')}: the claims it creates inherit its annotations, and without them Argo CD may prune or delete a claim it tracks`,
        fix: `set the template's metadata.annotations from keepStateAnnotations({ helm: false }) (lib/core), or ${exception}`,
        path: `spec.volumeClaimTemplates[${i}].metadata.annotations`,
      });
    });
  }
  return out;
}
