import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { ConfigError } from './errors';
import { Construct } from 'constructs';
import { assertLabelKey } from './labels';
import { assertDnsSubdomain } from './names';

/** Props of NamespacedAccess. */
export interface NamespacedAccessProps {
  /** Name of the ServiceAccount, Role and RoleBinding. */
  readonly name: string;
  /** Labels on the three objects. */
  readonly labels: Readonly<Record<string, string>>;
  /** What the account may do, in its own namespace only. */
  readonly rules: readonly k8s.PolicyRule[];
  /**
   * Annotations of the ServiceAccount: workload identity (`iam.gke.io/gcp-service-account`,
   * `eks.amazonaws.com/role-arn`, `azure.workload.identity/client-id`).
   * @default - none
   */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
}

/** What a ServiceAccount of its own is rendered from. */
export interface ServiceAccountOptions {
  /** The account's name. */
  readonly name: string;
  /** The account's labels. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Annotations (workload identity).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * A ServiceAccount whose token is not mounted unless a pod asks for it (`automountServiceAccountToken: false`): a pod
 * that never talks to the API server carries no credential for it. Annotation keys are validated.
 */
export function buildServiceAccount(scope: Construct, id: string, o: ServiceAccountOptions): k8s.KubeServiceAccount {
  assertDnsSubdomain('serviceAccount.name', o.name);
  for (const k of Object.keys(o.annotations ?? {})) assertLabelKey('serviceAccount.annotations', k);
  const annotations = o.annotations && Object.keys(o.annotations).length ? { ...o.annotations } : undefined;
  return new k8s.KubeServiceAccount(scope, id, {
    metadata: { name: o.name, labels: { ...o.labels }, annotations },
    automountServiceAccountToken: false,
  });
}

/**
 * A ServiceAccount bound to a namespaced Role with exactly `rules`: the least privilege a pod needs to read the API
 * (init-container waits, service discovery). Never a ClusterRole.
 */
export class NamespacedAccess extends Construct {
  /** The ServiceAccount (token not automounted by default; pods opt in). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Role with exactly the given rules. */
  public readonly role: k8s.KubeRole;
  /** The RoleBinding of the Role to the ServiceAccount. */
  public readonly roleBinding: k8s.KubeRoleBinding;
  /** The ServiceAccount's name, for `serviceAccountName`. */
  public readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, props: NamespacedAccessProps) {
    super(scope, id);
    const namespace = Chart.of(this).namespace;
    if (!namespace) throw new ConfigError('namespace', namespace, 'a namespace on the enclosing chart (RoleBinding subjects must name it)');
    const metadata = { name: props.name, labels: { ...props.labels } };
    this.serviceAccountName = props.name;
    this.serviceAccount = buildServiceAccount(this, 'ServiceAccount', { name: props.name, labels: props.labels, annotations: props.serviceAccountAnnotations });
    this.role = new k8s.KubeRole(this, 'Role', { metadata, rules: props.rules.map((r) => ({ ...r })) });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: props.name },
      subjects: [{ kind: 'ServiceAccount', name: props.name, namespace }],
    });
  }
}
