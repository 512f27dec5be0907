import { check } from './errors';

/**
 * Annotation prefix under which a construct records a deliberate exception to a verification policy rule, on the
 * object's own metadata: `policy.ops-kit.io/<rule-id>: <reason>`. The verification layer reads it and prints the
 * reason in its report, so every exception is visible in the YAML an operator reviews.
 */
export const POLICY_EXCEPTION_PREFIX = 'policy.ops-kit.io/';

/**
 * Annotation listing objects a workload references that the app does not render and an operator must create first,
 * as comma-separated `Kind/name` (`Secret/graphistry-jwt,PersistentVolumeClaim/data`).
 */
export const EXTERNAL_REFS_ANNOTATION = 'refs.ops-kit.io/external';

/** A named, reasoned exception to one policy rule. */
export interface PolicyException {
  /** The rule id (for example `non-root`, `load-balancer`, `cluster-scope`). */
  readonly rule: string;
  /** Why the exception is needed. */
  readonly reason: string;
}

/** Annotations recording policy exceptions; empty when there are none. */
export function policyExceptionAnnotations(exceptions: readonly PolicyException[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of exceptions) {
    check(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(e.rule), 'policyException.rule', e.rule, 'a rule id (lowercase, dashes)');
    check(e.reason.trim().length > 0, `policyException.${e.rule}.reason`, e.reason, 'a non-empty reason');
    const key = `${POLICY_EXCEPTION_PREFIX}${e.rule}`;
    out[key] = out[key] ? `${out[key]}; ${e.reason}` : e.reason;
  }
  return out;
}

/** An object an operator must create before the app works. */
export interface ExternalRef {
  readonly kind: 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim' | 'ServiceAccount' | 'Service';
  readonly name: string;
}

/** The annotation declaring external references; empty when there are none. Sorted and deduplicated. */
export function externalRefsAnnotation(refs: readonly ExternalRef[]): Record<string, string> {
  const items = [...new Set(refs.map((r) => `${r.kind}/${r.name}`))].sort();
  return items.length ? { [EXTERNAL_REFS_ANNOTATION]: items.join(',') } : {};
}
