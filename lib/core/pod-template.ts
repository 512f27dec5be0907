import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { buildContainer, buildWaitContainer, ContainerOptions } from './container';
import { check, ConfigError, inConstruct, propPath } from './errors';
import { assertLabelKey } from './labels';
import { assertDnsSubdomain } from './names';
import { buildPodSpec } from './pod';
import { ResolvedPlacement } from './placement';
import { ExternalRef, externalRefsAnnotation, PolicyException, policyExceptionAnnotations } from './policy';
import { buildServiceAccount, NamespacedAccess } from './rbac';
import { SecurityProfile } from './security';
import { PodWiring } from './wiring';
import { WorkloadConstruct } from './workload';

/** A container of a pod template, with the prop path its errors name. */
export interface PodContainer extends ContainerOptions {
  /**
   * Prop path prefix of the container's error messages.
   * @default - the template's `prop`
   */
  readonly prop?: string;
}

/** The pod's own ServiceAccount. */
export interface PodAccountOptions {
  /**
   * Annotations of the account (workload identity: `iam.gke.io/gcp-service-account`, `eks.amazonaws.com/role-arn`).
   * With annotations the account is rendered even when no wait reads the API; its token stays unmounted.
   * @default - rendered only when an init wait reads the API
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Everything one pod template is rendered from. */
export interface PodTemplateOptions {
  /** Name of the ServiceAccount, Role and RoleBinding the template renders when it needs them. */
  readonly name: string;
  /**
   * Where the pod's settings sit in the workload construct's own props: `''` when they are the construct's props, a
   * path when they are nested. Errors are attributed to the workload, so its creator's forwarding names them as the
   * user wrote them; never write the creator's prefix here.
   */
  readonly prop: string;
  /** Labels of the pod template (a superset of the workload's selector), and of the account it renders. */
  readonly labels: Readonly<Record<string, string>>;
  /** The containers, in order (the main container first); each is rendered with the pod's security profile. */
  readonly containers: readonly PodContainer[];
  /**
   * What the pod's connections gathered before its containers were built: init waits (first among the init
   * containers), volumes and external references. RBAC is rendered when a wait reads the API.
   * @default - no connections
   */
  readonly wiring?: PodWiring;
  /**
   * More init containers, after the waits.
   * @default - none
   */
  readonly initContainers?: readonly PodContainer[];
  /**
   * The pod's own volumes (the connections' volumes follow them).
   * @default - none
   */
  readonly volumes?: readonly k8s.Volume[];
  /**
   * Names of a StatefulSet's claim templates, mountable by name.
   * @default - none
   */
  readonly claimTemplateNames?: readonly string[];
  /** The pod's security profile; init containers get `security.forInitContainers()`. */
  readonly security: SecurityProfile;
  /** Where the pods run (resolved against the release-wide placement, requirements such as a GPU's merged in). */
  readonly placement: ResolvedPlacement;
  /**
   * A ServiceAccount the construct renders itself (the pod talks to the API), mounted with its token. Exclusive with
   * waits that read the API and with `account`.
   * @default - the template's own account when one is needed, else the namespace default without a token
   */
  readonly serviceAccountName?: string;
  /**
   * The account the template renders (named `name`): for its annotations.
   * @default - rendered only when a wait reads the API
   */
  readonly account?: PodAccountOptions;
  /**
   * Objects the pod references that an operator creates (beyond the connections' own).
   * @default - none
   */
  readonly externalRefs?: readonly ExternalRef[];
  /**
   * Policy exceptions beyond the security profile's (a `probes` exception).
   * @default - none
   */
  readonly policyExceptions?: readonly PolicyException[];
  /**
   * Pod-template annotations (config checksums, scrape annotations).
   * @default - none
   */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** @default - the cluster default runtime */
  readonly runtimeClassName?: string;
  /** @default - Kubernetes default (30s) */
  readonly terminationGracePeriod?: Duration;
  /** @default - Kubernetes default (Always) */
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** @default - the cluster default priority */
  readonly priorityClassName?: string;
  /** @default - none */
  readonly topologySpreadConstraints?: readonly k8s.TopologySpreadConstraint[];
}

/** A rendered pod template and what came with it. */
export interface RenderedPodTemplate {
  /** The template (labels, annotations, spec). */
  readonly template: k8s.PodTemplateSpec;
  /**
   * ServiceAccount, Role and RoleBinding, when an init wait reads the API.
   * @default - none (no wait reads the API)
   */
  readonly access?: NamespacedAccess;
  /**
   * The account the template rendered (`access.serviceAccount`, or one for its annotations).
   * @default - none
   */
  readonly serviceAccount?: k8s.KubeServiceAccount;
  /**
   * Annotations for the workload's metadata: the profile's and the given policy exceptions, and every external
   * reference (the given ones and the connections').
   * @default - none (no exception, no external reference)
   */
  readonly workloadAnnotations?: Record<string, string>;
}

function nonEmpty(a: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(a).length ? a : undefined;
}

/**
 * Renders one pod template: the containers with the pod's security profile, the connections' init waits (and the
 * namespaced Role they need, bound to the pod's own ServiceAccount, whose token is mounted only then), the pod spec
 * with placement and pull secrets, and the policy exceptions and external references for the workload's metadata.
 * The one pod renderer: Deployments (`renderDeployment`), StatefulSets, Jobs and CronJobs take their template here.
 */
export function renderPodTemplate(workload: WorkloadConstruct, o: PodTemplateOptions): RenderedPodTemplate {
  return inConstruct(workload, () => renderPodTemplateUnattributed(workload, o));
}

function renderPodTemplateUnattributed(workload: WorkloadConstruct, o: PodTemplateOptions): RenderedPodTemplate {
  check(o.containers.length > 0, propPath(o.prop, 'containers'), o.containers, 'at least one container');
  const wiring = o.wiring;
  const initSecurity = o.security.forInitContainers();
  const containers = o.containers.map((c) => buildContainer(c.prop ?? o.prop, c, o.security));
  const initContainers = [
    ...(wiring?.waits ?? []).map((w) => buildWaitContainer(workload, w, initSecurity)),
    ...(o.initContainers ?? []).map((c) => buildContainer(c.prop ?? propPath(o.prop, `initContainers.${c.name}`), c, initSecurity)),
  ];

  const rules = wiring?.waitRules() ?? [];
  const annotations = o.account?.annotations ?? {};
  for (const k of Object.keys(annotations)) assertLabelKey(propPath(o.prop, 'serviceAccount.annotations'), k);
  if (o.serviceAccountName !== undefined) {
    if (rules.length) throw new ConfigError(propPath(o.prop, 'serviceAccountName'), o.serviceAccountName, 'unset while init waits read the API', 'the waits render a ServiceAccount of their own');
    check(o.account === undefined, propPath(o.prop, 'serviceAccountName'), o.serviceAccountName, 'unset when the template renders its own account');
  }
  let access: NamespacedAccess | undefined;
  let serviceAccount: k8s.KubeServiceAccount | undefined;
  if (rules.length) {
    access = new NamespacedAccess(workload, 'Access', { name: o.name, labels: o.labels, rules, serviceAccountAnnotations: o.account?.annotations });
    serviceAccount = access.serviceAccount;
  } else if (Object.keys(annotations).length) {
    serviceAccount = buildServiceAccount(workload, 'ServiceAccount', { name: o.name, labels: o.labels, annotations });
  }
  const serviceAccountName = serviceAccount ? o.name : o.serviceAccountName;

  if (o.runtimeClassName !== undefined) assertDnsSubdomain(propPath(o.prop, 'runtimeClassName'), o.runtimeClassName);
  if (o.priorityClassName !== undefined) assertDnsSubdomain(propPath(o.prop, 'priorityClassName'), o.priorityClassName);
  const spec = buildPodSpec(workload, o.prop, {
    containers,
    initContainers,
    volumes: [...(o.volumes ?? []), ...(wiring?.volumes ?? [])],
    claimTemplateNames: o.claimTemplateNames,
    security: o.security,
    placement: o.placement,
    serviceAccountName,
    // Only pods that talk to the API (waits, discovery) get a token; a workload-identity account needs none.
    automountServiceAccountToken: access !== undefined || o.serviceAccountName !== undefined,
    runtimeClassName: o.runtimeClassName,
    terminationGracePeriod: o.terminationGracePeriod,
    restartPolicy: o.restartPolicy,
    priorityClassName: o.priorityClassName,
    topologySpreadConstraints: o.topologySpreadConstraints,
  });
  for (const k of Object.keys(o.podAnnotations ?? {})) assertLabelKey(propPath(o.prop, 'podAnnotations'), k);
  const template: k8s.PodTemplateSpec = { metadata: { labels: { ...o.labels }, annotations: nonEmpty({ ...o.podAnnotations }) }, spec };
  const workloadAnnotations = nonEmpty({
    ...policyExceptionAnnotations([...o.security.exceptions, ...(o.policyExceptions ?? [])]),
    ...externalRefsAnnotation([...(o.externalRefs ?? []), ...(wiring?.externalRefs ?? [])]),
  });
  return { template, access, serviceAccount, workloadAnnotations };
}
