import { RuleInfo } from './types';

/**
 * Policy rule ids. Constructs record deliberate exceptions as `policy.ops-kit.io/<id>: <reason>` annotations on the
 * object (for pod rules: the workload's metadata), and the report prints every reason.
 */
export const POLICY_RULES = [
  'pinned-images',
  'non-root',
  'no-privilege-escalation',
  'no-privileged',
  'capabilities-dropped',
  'seccomp-runtime-default',
  'resources',
  'probes',
  'no-host-access',
  'cluster-scope',
  'load-balancer',
  'node-port',
  'secret-env',
  'keep-state',
  'secret-literal-data',
  'url-credentials',
  'proc-mount',
  'safe-sysctls',
  'selinux-type',
  'apparmor',
  'rbac-wildcards',
  'rbac-escalation',
  'rbac-admin-binding',
  'service-account-token',
  'netpol-open-peer',
] as const;

/** A policy rule id. */
export type PolicyRuleId = (typeof POLICY_RULES)[number];

const rules: RuleInfo[] = [
  // schema
  { id: 'schema', category: 'schema', rationale: 'the API server rejects objects that do not match the Kubernetes 1.28 schema; unknown fields are typos that would be silently dropped' },
  { id: 'schema-kind', category: 'schema', rationale: 'an object whose kind has no known schema cannot be checked and usually means a wrong apiVersion or a missing CRD' },
  { id: 'object-names', category: 'schema', rationale: 'the API server rejects an object whose name or label keys and values break the DNS-1123 and label syntax (label values at most 63 characters)' },
  { id: 'workload-selector', category: 'schema', rationale: 'the API server rejects a workload whose selector is empty or does not match its own pod template labels' },
  { id: 'unique-names', category: 'schema', rationale: 'duplicate container or port names are rejected, and a duplicate env name silently keeps only the last value' },
  { id: 'value-ranges', category: 'schema', rationale: 'negative replicas, ports outside 1-65535 and ids above 2^31-1 are rejected by the API server, which the schema alone does not show' },
  { id: 'duplicate-object', category: 'schema', rationale: 'two objects with the same kind, namespace and name overwrite each other on apply' },
  // policy
  { id: 'pinned-images', category: 'policy', rationale: 'an untagged or :latest image changes under a running release and cannot be rolled back' },
  { id: 'non-root', category: 'policy', rationale: 'a container breakout from uid 0 is root on the node' },
  { id: 'no-privilege-escalation', category: 'policy', rationale: 'setuid binaries must not be able to gain more privileges than the container started with' },
  { id: 'no-privileged', category: 'policy', rationale: 'a privileged container has every device and capability of the node' },
  { id: 'capabilities-dropped', category: 'policy', rationale: 'the default capability set (NET_RAW, CHOWN, ...) is more than an application needs' },
  { id: 'seccomp-runtime-default', category: 'policy', rationale: 'without a seccomp profile every syscall is reachable, including the ones container escapes use' },
  { id: 'resources', category: 'policy', rationale: 'a container without requests is scheduled blind, and one without limits can starve its neighbours' },
  { id: 'probes', category: 'policy', rationale: 'without readiness a pod takes traffic before it listens; without liveness a hung process is never restarted' },
  { id: 'no-host-access', category: 'policy', rationale: 'hostPath, host networking and host PID/IPC let a pod reach past its sandbox into the node' },
  { id: 'cluster-scope', category: 'policy', rationale: 'cluster-wide RBAC reaches every namespace; a release must declare why it needs it' },
  { id: 'load-balancer', category: 'policy', rationale: 'a LoadBalancer Service exposes the release outside the cluster and costs money; it must be deliberate' },
  { id: 'node-port', category: 'policy', rationale: 'a NodePort Service opens its port on every node\'s address, past any ingress; it must be deliberate' },
  { id: 'secret-env', category: 'policy', rationale: 'a credential written as a literal env value ends up in Git, in `kubectl describe` and in every log of the manifest' },
  { id: 'keep-state', category: 'policy', rationale: 'deleting a CRD deletes every custom resource of its kind, deleting a claim can delete its volume, and deleting a namespace deletes everything in it: none may be a side effect of pruning, deleting the Application or uninstalling the chart' },
  { id: 'secret-literal-data', category: 'policy', rationale: 'a Secret with literal data in the rendered manifests puts the credential in Git; operators create Secrets' },
  { id: 'url-credentials', category: 'policy', rationale: 'a URL with user:password@ in a literal value is a credential in Git and in every describe output' },
  { id: 'proc-mount', category: 'policy', rationale: 'an Unmasked /proc exposes kernel interfaces Pod Security baseline forbids' },
  { id: 'safe-sysctls', category: 'policy', rationale: 'sysctls outside the safe set change the node kernel for every pod on it' },
  { id: 'selinux-type', category: 'policy', rationale: 'a custom SELinux type, user or role can lift the container out of its confinement' },
  { id: 'apparmor', category: 'policy', rationale: 'an Unconfined AppArmor profile removes the mandatory access control Pod Security baseline requires' },
  { id: 'rbac-wildcards', category: 'policy', rationale: "a '*' in verbs, resources or apiGroups grants everything, including what is added later" },
  { id: 'rbac-escalation', category: 'policy', rationale: 'escalate, bind, impersonate, or Secret reads together with pods/exec let a holder grant itself more' },
  { id: 'rbac-admin-binding', category: 'policy', rationale: 'the built-in cluster-admin, admin and edit roles read every Secret; least privilege binds a narrow Role' },
  { id: 'service-account-token', category: 'policy', rationale: 'a ServiceAccount that leaves automountServiceAccountToken unset gives every pod an API token it rarely needs' },
  { id: 'netpol-open-peer', category: 'policy', rationale: 'a NetworkPolicy rule whose address ranges cover all of IPv4 or IPv6 allows the whole internet; it must say why' },
  { id: 'policy-exception', category: 'policy', rationale: 'an exception must name a real rule and say why, or it hides a mistake' },
  // references
  { id: 'service-selects-pods', category: 'reference', rationale: 'a Service that selects no pod has no endpoints, and traffic to it fails' },
  { id: 'service-target-port', category: 'reference', rationale: 'a targetPort no selected container listens on makes the Service refuse connections' },
  { id: 'probe-port', category: 'reference', rationale: 'a probe on a port name the container does not declare fails for ever, so the pod never becomes ready' },
  { id: 'pod-references', category: 'reference', rationale: 'a pod whose ConfigMap, Secret, PVC or ServiceAccount does not exist never starts' },
  { id: 'volume-mounts', category: 'reference', rationale: 'a volumeMount naming no declared volume is rejected by the API server' },
  { id: 'ingress-backend', category: 'reference', rationale: 'an Ingress backend naming a missing Service or port returns 503 for its routes' },
  { id: 'hpa-target', category: 'reference', rationale: 'an autoscaler whose target does not exist scales nothing' },
  { id: 'rbac-references', category: 'reference', rationale: 'a binding to a missing Role or ServiceAccount grants nothing, and the pod fails at its first API call' },
  { id: 'init-wait-service', category: 'reference', rationale: 'an init container waiting for a Service or pods that never exist blocks the pod for ever' },
  { id: 'node-port-collision', category: 'reference', rationale: 'node ports are allocated cluster-wide, one Service per port: the second Service that claims one is rejected' },
  { id: 'sync-wave-order', category: 'reference', rationale: 'a custom resource applied before its CRD is rejected, and a workload synced before its config or in another wave than its claims never becomes healthy, so the sync stops' },
  { id: 'pod-security-level', category: 'reference', rationale: 'a namespace that enforces a stricter Pod Security level than its pods meet rejects them at creation, and their workloads never get pods' },
  { id: 'argocd-path', category: 'delivery', rationale: 'an Application whose path names no release folder of dist/ deploys nothing, and two Applications on one folder overwrite and prune each other' },
  { id: 'argocd-namespace', category: 'delivery', rationale: 'an Application whose destination namespace is not its release\'s puts namespaced objects where their references do not resolve' },
  { id: 'argocd-project', category: 'delivery', rationale: 'an Application whose project does not exist, or does not allow its repository or destination, is refused by Argo CD' },
  { id: 'argocd-whitelist', category: 'delivery', rationale: 'Argo CD refuses to sync a kind its project does not whitelist (a cluster-scoped kind, or Namespace for CreateNamespace=true), and whitelists wider than the releases render grant more than they need' },
  { id: 'statefulset-service', category: 'reference', rationale: 'a StatefulSet whose serviceName names no headless Service of the release gives its pods no DNS names: peers never find each other and per-pod scrape targets resolve to nothing' },
  { id: 'affinity-selects', category: 'reference', rationale: 'an affinity, anti-affinity or topology spread selector that matches no pod of the release places or spreads nothing' },
  { id: 'rbac-subject-used', category: 'reference', rationale: 'a RoleBinding subject no pod runs as grants its permissions to nobody, while the pods that need them get 403' },
  { id: 'crd-installed', category: 'reference', rationale: 'a custom resource whose CRD is neither rendered nor declared installed is rejected by the API server (a ServiceMonitor without the Prometheus Operator)' },
  { id: 'iot-watched-namespace', category: 'reference', rationale: 'a fleet deployment in a namespace no IoT operator watches is accepted by the API server and never reconciled: no device ever runs it' },
  { id: 'external-refs', category: 'reference', rationale: 'the external-references annotation must be readable, or the externals list an operator relies on is wrong' },
  // wiring graph (connections recorded by the constructs, checked against every release of the app)
  { id: 'wiring-client', category: 'wiring', rationale: 'a connection from pods the app does not render is an allow rule and a wait for nothing' },
  { id: 'wiring-target', category: 'wiring', rationale: 'a URL or address naming a Service that is not rendered, or that selects no pods, fails at run time' },
  { id: 'wiring-port', category: 'wiring', rationale: 'a connection to a port the Service or its pods do not declare is refused at run time' },
  // NetworkPolicies (a release's policies against its objects and its connections, across the releases of the app)
  { id: 'netpol-coverage', category: 'network', rationale: 'a pod no NetworkPolicy isolates accepts every connection and may open any: the default deny must cover every pod of the release' },
  { id: 'netpol-selects', category: 'network', rationale: 'a NetworkPolicy (or a rule\'s pod selector) that selects no pod protects nothing or allows nobody: it was written for labels no pod carries' },
  { id: 'netpol-allows', category: 'network', rationale: 'under a default deny, a wired connection no rule allows is dropped at run time (no rule, no traffic)' },
  { id: 'netpol-api-access', category: 'network', rationale: 'a pod granted API access whose policies allow no API address fails at its first API call (waits, discovery, operators)' },
  { id: 'netpol-exposed', category: 'network', rationale: 'a NodePort or LoadBalancer Service whose pods admit nobody from outside is exposed to no one' },
  // upgrade safety
  { id: 'upgrade-selector', category: 'upgrade', rationale: 'workload selectors are immutable; the apply fails and the workload must be deleted and recreated' },
  { id: 'upgrade-statefulset', category: 'upgrade', rationale: 'StatefulSet serviceName, volumeClaimTemplates and podManagementPolicy are immutable' },
  { id: 'upgrade-pvc', category: 'upgrade', rationale: 'a PVC\'s spec (storage class, access modes, volume name, mode, selector, data source) is immutable; only its storage request may change' },
  { id: 'upgrade-pvc-shrink', category: 'upgrade', rationale: 'a PVC can grow but never shrink' },
  { id: 'upgrade-job-template', category: 'upgrade', rationale: 'a Job\'s pod template and selector are immutable; the Job must be deleted first' },
  { id: 'upgrade-service-headless', category: 'upgrade', rationale: 'a Service\'s clusterIP is immutable, so it cannot switch to or from headless in place' },
  { id: 'upgrade-stateful-removed', category: 'upgrade', rationale: 'removing or renaming a PVC, StatefulSet, Namespace or CRD deletes the data it holds' },
  { id: 'upgrade-immutable-config', category: 'upgrade', rationale: 'the data of an immutable ConfigMap or Secret cannot change in place' },
  { id: 'upgrade-secret-type', category: 'upgrade', rationale: "a Secret's type is immutable; the apply is rejected" },
  { id: 'upgrade-crd-scope', category: 'upgrade', rationale: "a CRD's scope (Namespaced or Cluster) is immutable; changing it means deleting the CRD and every resource of its kind" },
  { id: 'upgrade-storage-class', category: 'upgrade', rationale: "a StorageClass's provisioner, parameters and reclaim policy are immutable" },
  { id: 'upgrade-template-labels', category: 'upgrade', rationale: 'with the selector unchanged (it is immutable), new pod template labels that it no longer matches are rejected' },
  { id: 'upgrade-role-ref', category: 'upgrade', rationale: 'a binding\'s roleRef is immutable' },
];

/** Every rule, by id. */
export const RULES: ReadonlyMap<string, RuleInfo> = new Map(rules.map((r) => [r.id, r]));

/** The one-line rationale of a rule. */
export function rationale(rule: string): string {
  return RULES.get(rule)?.rationale ?? '';
}

/** True when `rule` is a policy rule that objects may declare exceptions to. */
export function isPolicyRule(rule: string): rule is PolicyRuleId {
  return (POLICY_RULES as readonly string[]).includes(rule);
}
