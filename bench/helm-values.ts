/**
 * Values for the Helm baseline chart (bench/helm/baseline) from a rendered release: what a chart author would put in a
 * values file to make the chart render that release's objects. Lists per kind, the app.kubernetes.io labels as fields
 * the label helpers expand, containers with their ports, env, probes and mounts as fields the templates range over,
 * and the rest as blocks the templates toYaml. The chart then renders the same number and kinds of objects, of about
 * the same size, so `helm template` does the work it would do for such a release.
 *
 * The values are derived from the example apps each time the benchmark runs, so the baseline follows the apps as they
 * grow. A kind the chart has no template for is returned in `unsupported`; the benchmark reports it, and the fix is a
 * template in bench/helm/baseline/templates/ and a case below (see bench/README.md).
 */
import { Manifest } from '../lib/release';

type Json = any;

export interface BaselineValues {
  readonly values: Record<string, Json>;
  /** `kind` of every object the chart cannot render. */
  readonly unsupported: readonly string[];
}

const LABEL = 'app.kubernetes.io/';

/** The labels the chart's helpers rebuild, as fields, and any others as `extra`. */
function labels(meta: Json): Json {
  const out: Json = {};
  const extra: Json = {};
  for (const [k, v] of Object.entries((meta?.labels ?? {}) as Record<string, string>)) {
    if (k === `${LABEL}name`) out.name = v;
    else if (k === `${LABEL}component`) out.component = v;
    else if (k === `${LABEL}part-of`) out.partOf = v;
    else if (k === `${LABEL}version`) out.version = v;
    else if (k !== `${LABEL}instance` && k !== `${LABEL}managed-by`) extra[k] = v;
  }
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}

function base(o: Manifest): Json {
  const out: Json = { name: o.metadata.name, labels: labels(o.metadata) };
  if (o.metadata.annotations) out.annotations = o.metadata.annotations;
  return out;
}

function without(obj: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj ?? {})) if (!keys.includes(k)) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

const CONTAINER_FIELDS = ['name', 'image', 'imagePullPolicy', 'command', 'args', 'ports', 'env', 'envFrom', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources', 'securityContext', 'volumeMounts'];

function container(c: Json): Json {
  const out: Json = {};
  for (const f of CONTAINER_FIELDS) if (c[f] !== undefined) out[f] = c[f];
  const extra = without(c, CONTAINER_FIELDS);
  if (extra) out.extra = extra;
  return out;
}

function volume(v: Json): Json {
  if (v.persistentVolumeClaim && Object.keys(v).length === 2) return { name: v.name, claim: v.persistentVolumeClaim.claimName };
  if (v.configMap && Object.keys(v).length === 2) return { name: v.name, configMap: v.configMap };
  return { name: v.name, source: without(v, ['name']) };
}

const POD_FIELDS = ['automountServiceAccountToken', 'serviceAccountName', 'imagePullSecrets', 'initContainers', 'containers', 'securityContext', 'nodeSelector', 'tolerations', 'affinity', 'volumes'];

/** The pod template's fields (labels come from the owner's), as the chart's `baseline.podTemplate` helper reads them. */
function podTemplate(out: Json, template: Json): Json {
  const pod = template?.spec ?? {};
  if (template?.metadata?.annotations) out.podAnnotations = template.metadata.annotations;
  if (pod.automountServiceAccountToken !== undefined) out.automountServiceAccountToken = pod.automountServiceAccountToken;
  if (pod.serviceAccountName) out.serviceAccountName = pod.serviceAccountName;
  if (pod.imagePullSecrets) out.imagePullSecrets = pod.imagePullSecrets.map((s: Json) => s.name);
  if (pod.initContainers) out.initContainers = pod.initContainers.map(container);
  out.containers = (pod.containers ?? []).map(container);
  if (pod.securityContext) out.podSecurityContext = pod.securityContext;
  if (pod.nodeSelector) out.nodeSelector = pod.nodeSelector;
  if (pod.tolerations) out.tolerations = pod.tolerations;
  if (pod.affinity) out.affinity = pod.affinity;
  if (pod.volumes) out.volumes = pod.volumes.map(volume);
  const extraPod = without(pod, POD_FIELDS);
  if (extraPod) out.extraPod = extraPod;
  return out;
}

function workload(o: Manifest): Json {
  const spec = o.spec as Json;
  const out: Json = { kind: o.kind, ...base(o) };
  if (spec.replicas !== undefined) out.replicas = spec.replicas;
  if (spec.strategy) out.strategy = spec.strategy;
  if (spec.updateStrategy) out.updateStrategy = spec.updateStrategy;
  if (spec.serviceName) out.serviceName = spec.serviceName;
  if (spec.podManagementPolicy) out.podManagementPolicy = spec.podManagementPolicy;
  if (spec.volumeClaimTemplates) out.volumeClaimTemplates = spec.volumeClaimTemplates;
  const extraSpec = without(spec, ['replicas', 'selector', 'strategy', 'updateStrategy', 'serviceName', 'podManagementPolicy', 'volumeClaimTemplates', 'template']);
  if (extraSpec) out.extraSpec = extraSpec;
  return podTemplate(out, spec.template);
}

/** A Job: its spec's settings as a block, and its pod template. */
function job(o: Manifest): Json {
  const spec = o.spec as Json;
  const out: Json = { ...base(o) };
  const extraSpec = without(spec, ['template']);
  if (extraSpec) out.extraSpec = extraSpec;
  return podTemplate(out, spec.template);
}

/** A CronJob: the schedule, its spec's settings, the Job template's labels and settings, and the pod template. */
function cronJob(o: Manifest): Json {
  const spec = o.spec as Json;
  const jobSpec = spec.jobTemplate?.spec ?? {};
  const out: Json = { ...base(o), schedule: spec.schedule };
  const extraSpec = without(spec, ['schedule', 'jobTemplate']);
  if (extraSpec) out.extraSpec = extraSpec;
  if (spec.jobTemplate?.metadata?.labels) out.jobLabels = labels(spec.jobTemplate.metadata);
  const extraJobSpec = without(jobSpec, ['template']);
  if (extraJobSpec) out.extraJobSpec = extraJobSpec;
  return podTemplate(out, jobSpec.template);
}

function autoscaler(o: Manifest): Json {
  const spec = o.spec as Json;
  const out: Json = { ...base(o), target: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas };
  if (spec.metrics) out.metrics = spec.metrics;
  if (spec.behavior) out.behavior = spec.behavior;
  return out;
}

function disruptionBudget(o: Manifest): Json {
  const spec = o.spec as Json;
  const out: Json = { ...base(o), selectorLabels: labels({ labels: spec.selector?.matchLabels }) };
  if (spec.minAvailable !== undefined) out.minAvailable = spec.minAvailable;
  if (spec.maxUnavailable !== undefined) out.maxUnavailable = spec.maxUnavailable;
  const extraSpec = without(spec, ['selector', 'minAvailable', 'maxUnavailable']);
  if (extraSpec) out.extraSpec = extraSpec;
  return out;
}

function service(o: Manifest): Json {
  const spec = o.spec as Json;
  const ports = (spec.ports ?? []).map((p: Json) => ({
    name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol, nodePort: p.nodePort,
  }));
  const out: Json = { ...base(o), ports };
  if (spec.type) out.type = spec.type;
  if (spec.clusterIP === 'None') out.headless = true;
  if (spec.selector) out.selectorLabels = labels({ labels: spec.selector });
  const extraSpec = without(spec, ['type', 'clusterIP', 'ports', 'selector']);
  if (extraSpec) out.extraSpec = extraSpec;
  return out;
}

function claim(o: Manifest): Json {
  const spec = o.spec as Json;
  const out: Json = { ...base(o), accessModes: spec.accessModes, storage: spec.resources?.requests?.storage };
  if (spec.storageClassName) out.storageClassName = spec.storageClassName;
  const extraSpec = without(spec, ['accessModes', 'resources', 'storageClassName']);
  if (extraSpec) out.extraSpec = extraSpec;
  return out;
}

function ingress(o: Manifest): Json {
  const spec = o.spec as Json;
  return {
    ...base(o),
    className: spec.ingressClassName,
    hosts: (spec.rules ?? []).map((r: Json) => ({
      host: r.host,
      paths: (r.http?.paths ?? []).map((p: Json) => ({
        path: p.path,
        pathType: p.pathType,
        service: p.backend?.service?.name,
        port: p.backend?.service?.port?.name ?? p.backend?.service?.port?.number,
      })),
    })),
    tls: spec.tls,
  };
}

/** The values that make the baseline chart render a release's objects. */
export function baselineValues(objects: readonly Manifest[]): BaselineValues {
  const v: Record<string, Json[]> = {
    workloads: [], services: [], configMaps: [], claims: [], serviceAccounts: [],
    roles: [], roleBindings: [], ingresses: [], networkPolicies: [], crds: [], customResources: [],
    jobs: [], cronJobs: [], autoscalers: [], disruptionBudgets: [],
  };
  const unsupported: string[] = [];
  for (const o of objects) {
    const api = o.apiVersion;
    if (['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind) && api === 'apps/v1') v.workloads.push(workload(o));
    else if (o.kind === 'Job' && api === 'batch/v1') v.jobs.push(job(o));
    else if (o.kind === 'CronJob' && api === 'batch/v1') v.cronJobs.push(cronJob(o));
    else if (o.kind === 'HorizontalPodAutoscaler' && api === 'autoscaling/v2') v.autoscalers.push(autoscaler(o));
    else if (o.kind === 'PodDisruptionBudget' && api === 'policy/v1') v.disruptionBudgets.push(disruptionBudget(o));
    else if (o.kind === 'Service' && api === 'v1') v.services.push(service(o));
    else if (o.kind === 'ConfigMap' && api === 'v1') v.configMaps.push({ ...base(o), data: (o as Json).data ?? {} });
    else if (o.kind === 'PersistentVolumeClaim' && api === 'v1') v.claims.push(claim(o));
    else if (o.kind === 'ServiceAccount' && api === 'v1') v.serviceAccounts.push({ ...base(o), automountServiceAccountToken: (o as Json).automountServiceAccountToken });
    else if (o.kind === 'Role' || o.kind === 'ClusterRole') v.roles.push({ kind: o.kind, ...base(o), rules: (o as Json).rules ?? [] });
    else if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
      const b = o as Json;
      const serviceAccounts = (b.subjects ?? []).map((s: Json) => s.name);
      const roleRef = { roleKind: b.roleRef.kind, roleName: b.roleRef.name };
      v.roleBindings.push({ kind: o.kind, ...base(o), ...roleRef, serviceAccounts });
    } else if (o.kind === 'Ingress' && api === 'networking.k8s.io/v1') v.ingresses.push(ingress(o));
    else if (o.kind === 'NetworkPolicy' && api === 'networking.k8s.io/v1') {
      const { podSelector, policyTypes, ingress: from, egress: to } = o.spec as Json;
      v.networkPolicies.push({ ...base(o), podSelector, policyTypes, ingress: from, egress: to });
    }
    else if (o.kind === 'CustomResourceDefinition') v.crds.push({ ...base(o), spec: o.spec });
    else if (o.spec !== undefined && !api.includes('k8s.io') && api.includes('/') && api.split('/')[0].includes('.')) v.customResources.push({ apiVersion: api, kind: o.kind, ...base(o), spec: o.spec });
    else unsupported.push(`${api} ${o.kind}`);
  }
  return { values: { managedBy: 'cdk8s-ops-kit', ...v }, unsupported };
}
