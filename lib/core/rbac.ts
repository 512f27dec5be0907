import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { ConfigError } from './errors';
import { Construct } from 'constructs';

/** Props of NamespacedAccess. */
export interface NamespacedAccessProps {
  /** Name of the ServiceAccount, Role and RoleBinding. */
  readonly name: string;
  /** Labels on the three objects. */
  readonly labels: Readonly<Record<string, string>>;
  /** What the account may do, in its own namespace only. */
  readonly rules: readonly k8s.PolicyRule[];
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
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata, automountServiceAccountToken: false });
    this.role = new k8s.KubeRole(this, 'Role', { metadata, rules: props.rules.map((r) => ({ ...r })) });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: props.name },
      subjects: [{ kind: 'ServiceAccount', name: props.name, namespace }],
    });
  }
}
