import { check } from './errors';
import { assertDnsLabel, assertDnsSubdomain } from './names';

/**
 * Annotation prefix under which a construct records a deliberate exception to a verification policy rule, on the
 * object's own metadata: `policy.ops-kit.io/<rule-id>: <reason>`. The verification layer reads it and prints the
 * reason in its report, so every exception is visible in the YAML an operator reviews.
 */
export const POLICY_EXCEPTION_PREFIX = 'policy.ops-kit.io/';

/**
 * Annotation listing objects a workload references that the app does not render and an operator must create first,
 * as comma-separated `Kind/name` (`Secret/graphistry-jwt,PersistentVolumeClaim/data`), or `Kind/namespace/name` for
 * a ServiceAccount in another namespace than the referencing object's.
 */
export const EXTERNAL_REFS_ANNOTATION = 'refs.ops-kit.io/external';

/**
 * On a custom resource whose CRD the release does not render: who installs that CRD (`the Prometheus Operator, installed
 * by the platform team`). Verification refuses a custom resource of a kind nobody renders or declares installed.
 */
export const CRD_INSTALLED_ANNOTATION = 'refs.ops-kit.io/crd-installed';

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
  /** The kind of object. */
  readonly kind: 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim' | 'ServiceAccount' | 'Service';
  /** Its name. */
  readonly name: string;
  /**
   * A ServiceAccount's namespace, when it is not the referencing object's (a RoleBinding in a watched namespace naming
   * the account of an operator that runs in another one). Written as `ServiceAccount/namespace/name`; other kinds are
   * always in the referencing object's namespace.
   * @default - the referencing object's namespace (written as `Kind/name`)
   */
  readonly namespace?: string;
}

/** The kinds an external reference may name. */
export const EXTERNAL_REF_KINDS: readonly ExternalRef['kind'][] = ['ConfigMap', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount'];

/**
 * Throws unless every reference names a known kind and a valid object name (a DNS-1123 subdomain; a DNS label for a
 * Service). The annotation is a comma-separated `Kind/name` list, so a name holding ',' or '/' would forge extra
 * entries (`a,Secret/b` is two refs) and an operator would be told to create objects nobody uses.
 */
export function assertExternalRefs(prop: string, refs: readonly ExternalRef[]): readonly ExternalRef[] {
  refs.forEach((r, i) => {
    check(EXTERNAL_REF_KINDS.includes(r?.kind), `${prop}[${i}].kind`, r?.kind, EXTERNAL_REF_KINDS.join(', '));
    if (r.kind === 'Service') assertDnsLabel(`${prop}[${i}].name`, r.name);
    else assertDnsSubdomain(`${prop}[${i}].name`, r.name);
    if (r.namespace !== undefined) {
      check(r.kind === 'ServiceAccount', `${prop}[${i}].namespace`, r.namespace,
        `no namespace for a ${r.kind} (pods reference it in their own namespace); only a ServiceAccount, a binding's subject, lives in another`);
      assertDnsLabel(`${prop}[${i}].namespace`, r.namespace);
    }
  });
  return refs;
}

/**
 * The annotation declaring external references; empty when there are none. Sorted and deduplicated; every reference
 * is validated like an object name (see assertExternalRefs).
 * @param prop the prop the references came from, for messages
 */
export function externalRefsAnnotation(refs: readonly ExternalRef[], prop = 'externalRefs'): Record<string, string> {
  assertExternalRefs(prop, refs);
  const items = [...new Set(refs.map((r) => (r.namespace === undefined ? `${r.kind}/${r.name}` : `${r.kind}/${r.namespace}/${r.name}`)))].sort();
  return items.length ? { [EXTERNAL_REFS_ANNOTATION]: items.join(',') } : {};
}
