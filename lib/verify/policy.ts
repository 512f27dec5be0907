import { ConfigError } from '../core/errors';
import { ImageRef } from '../core/images';
import { POLICY_EXCEPTION_PREFIX } from '../core/policy';
import { familiesFullyCovered } from '../core/validate';
import { hardeningFindings } from './hardening';
import { annotationsOf, ContainerAt, containersOf, Json, podTemplateOf, show } from './objects';
import { parseQuantity } from './quantity';
import { keepStateFindings } from './retention';
import { isPolicyRule, POLICY_RULES, PolicyRuleId } from './rules';
import { KubeObject } from './types';

/**
 * A policy finding before exceptions are applied.
 * @internal
 */
export interface PolicyFinding {
  /** The rule broken. */
  readonly rule: PolicyRuleId;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /**
   * Field path inside the object.
   * @default - none
   */
  readonly path?: string;
}

/**
 * A malformed exception annotation.
 * @internal
 */
export interface ExceptionProblem {
  /** What is wrong with the annotation. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** The annotation's path. */
  readonly path: string;
}

/**
 * The exceptions an object declares (`policy.ops-kit.io/<rule>: <reason>`), and any malformed ones.
 * @internal
 */
export function declaredExceptions(o: KubeObject): { exceptions: Map<PolicyRuleId, string>; problems: ExceptionProblem[] } {
  const exceptions = new Map<PolicyRuleId, string>();
  const problems: ExceptionProblem[] = [];
  const annotations = annotationsOf(o);
  const keys = Object.keys(annotations);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (!key.startsWith(POLICY_EXCEPTION_PREFIX)) continue;
    const value = annotations[key];
    const rule = key.slice(POLICY_EXCEPTION_PREFIX.length);
    const path = `metadata.annotations.${key}`;
    if (!isPolicyRule(rule)) {
      problems.push({ path, message: `annotation ${key} names no policy rule`, fix: `use one of: ${POLICY_RULES.map((r) => POLICY_EXCEPTION_PREFIX + r).join(', ')}` });
      continue;
    }
    if (typeof value !== 'string' || !value.trim()) {
      problems.push({ path, message: `annotation ${key} has no reason`, fix: 'write why the exception is needed as the annotation value (policyExceptionAnnotations does this)' });
      continue;
    }
    exceptions.set(rule, value.trim());
  }
  return { exceptions, problems };
}

const SECRET_WORDS = new Set(['PASSWORD', 'PASSWD', 'SECRET', 'TOKEN', 'KEY', 'APIKEY', 'CREDENTIALS']);
/** Name parts that say the value is where a secret lives or what it is called, not the secret itself (`TLS_KEY_FILE`). */
const LOCATOR_WORDS = new Set(['FILE', 'FILENAME', 'PATH', 'DIR', 'DIRECTORY', 'URL', 'URI', 'ENDPOINT', 'NAME']);
/** Variables an SDK defines as the path of a credentials file, whatever their name says. */
const LOCATOR_NAMES = new Set(['GOOGLE_APPLICATION_CREDENTIALS']);

/** A part of a name that says secret: a secret word glued to a prefix (not BYPASS), or the short forms PASS and PWD. */
function isSecretWord(p: string): boolean {
  return SECRET_WORDS.has(p) || /(PASSWORD|PASSWD|SECRET|TOKEN|APIKEY)$/.test(p) || p === 'PASS' || p === 'PWD';
}

/**
 * True when an env var name looks like it holds a credential: one of its parts (split on `_`, `-`, `.` and
 * camelCase) is PASSWORD, SECRET, TOKEN or KEY (`DB_PASSWORD`, `apiKey`, `JWT_SECRET`), unless another part says it
 * is a location or a name (`TLS_KEY_FILE`, `BADGER_DIRECTORY_KEY`, `OAUTH_TOKEN_URL`, `JWT_SECRET_NAME`), or the name is
 * one an SDK defines as a file path (`GOOGLE_APPLICATION_CREDENTIALS`, the Google SDKs' key file).
 * @internal
 */
export function looksSecret(name: string): boolean {
  if (LOCATOR_NAMES.has(name)) return false;
  const parts = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p.toUpperCase());
  // PGPASSWORD, MYSQL_PWD, SMTP_PASS: see isSecretWord.
  if (!parts.some(isSecretWord)) return false;
  return !parts.some((p) => LOCATOR_WORDS.has(p));
}

function containerLabel(at: ContainerAt): string {
  return `${at.init ? 'init container' : 'container'} ${show(at.c.name)}`;
}

/** Adds a finding to `out` (a module function: policyFindings runs for every object, a closure would be made for each). */
function addFinding(out: PolicyFinding[], rule: PolicyRuleId, message: string, fix: string, path?: string): void {
  out.push({ rule, message, fix, path });
}

/**
 * Runs every policy rule on one object.
 * @internal
 */
export function policyFindings(o: KubeObject): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const spec = (o as Json).spec;

  if ((o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') && o.apiVersion.startsWith('rbac.authorization.k8s.io/')) {
    addFinding(out, 'cluster-scope', `${o.kind} ${show(o.metadata.name)} reaches every namespace, but the object does not declare cluster scope`,
      `use a namespaced Role/RoleBinding (NamespacedAccess), or annotate the object with ${POLICY_EXCEPTION_PREFIX}cluster-scope: <why the release needs cluster-wide access>`);
  }
  if (o.kind === 'Service' && o.apiVersion === 'v1' && spec?.type === 'LoadBalancer') {
    addFinding(out, 'load-balancer', `Service ${show(o.metadata.name)} is type LoadBalancer, which exposes it outside the cluster, but it is not declared`,
      `use ClusterIP (behind the ingress) or NodePort, or annotate the Service with ${POLICY_EXCEPTION_PREFIX}load-balancer: <why it must be exposed>`, 'spec.type');
  }
  if (o.kind === 'Service' && o.apiVersion === 'v1' && spec?.type === 'NodePort') {
    addFinding(out, 'node-port', `Service ${show(o.metadata.name)} is type NodePort, which opens its port on every node's address, but it is not declared`,
      `use ClusterIP behind the ingress, or annotate the Service with ${POLICY_EXCEPTION_PREFIX}node-port: <why every node must serve it> (CaddyServiceType.nodePort({ reason }) and NatsExposure.nodePort(port, { reason }) do)`, 'spec.type');
  }

  if (o.kind === 'NetworkPolicy' && String(o.apiVersion).startsWith('networking.k8s.io/')) {
    for (const [key, peersKey] of [['ingress', 'from'], ['egress', 'to']] as const) {
      ((spec?.[key] ?? []) as Json[]).forEach((rule, i) => {
        const cidrs = ((rule?.[peersKey] ?? []) as Json[]).map((p) => p?.ipBlock?.cidr).filter((c): c is string => typeof c === 'string');
        const families = familiesFullyCovered(cidrs);
        if (!families.length) return;
        addFinding(out, 'netpol-open-peer', `NetworkPolicy ${show(o.metadata.name)} ${key} rule ${i} allows every IPv${families.join(' and IPv')} address (${cidrs.join(', ')}), but the policy does not say why`,
          `allow the peer's own addresses, or annotate the policy with ${POLICY_EXCEPTION_PREFIX}netpol-open-peer: <why every address> (ExternalPeer.anywhere({ reason }) does)`, `spec.${key}[${i}].${peersKey}`);
      });
    }
  }

  out.push(...keepStateFindings(o));

  const t = podTemplateOf(o);
  if (!t) return [...out, ...hardeningFindings(o)];
  const pod = t.spec;
  const psc = (pod.securityContext ?? {}) as Json;
  const sp = t.specPath;

  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[key] === true) {
      addFinding(out, 'no-host-access', `the pod sets ${key}: true`, `remove ${key}, or annotate the workload with ${POLICY_EXCEPTION_PREFIX}no-host-access: <reason>`, `${sp}.${key}`);
    }
  }
  (Array.isArray(pod.volumes) ? pod.volumes : []).forEach((v: Json, i: number) => {
    if (v?.hostPath) {
      addFinding(out, 'no-host-access', `volume ${show(v.name)} mounts the node path ${show(v.hostPath.path)}`,
        `use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret; if the node's files are the point, annotate the workload with ${POLICY_EXCEPTION_PREFIX}no-host-access: <reason>`, `${sp}.volumes[${i}].hostPath`);
    }
  });

  for (const at of containersOf(t)) {
    const c = at.c;
    const who = containerLabel(at);
    const csc = (c.securityContext ?? {}) as Json;
    const ephemeral = at.path.includes('.ephemeralContainers[');

    // pinned-images
    if (typeof c.image !== 'string' || !c.image) {
      addFinding(out, 'pinned-images', `${who} has no image`, 'set an image pinned by tag or digest', `${at.path}.image`);
    } else {
      try {
        const ref = ImageRef.parse(c.image, `${at.path}.image`);
        if (!ref.pinned) {
          addFinding(out, 'pinned-images', `${who} uses ${show(c.image)}, which is ${ref.tag === 'latest' ? 'the moving tag :latest' : 'untagged (so :latest)'}`,
            'pin the image by tag or digest (for example nginx:1.27.2); Images.of(scope).resolve(...) rejects unpinned images', `${at.path}.image`);
        }
      } catch (e) {
        const why = e instanceof ConfigError ? e.message : String(e);
        addFinding(out, 'pinned-images', `${who} has an invalid image reference: ${why}`, 'write [registry/]repository:tag or repository@sha256:digest', `${at.path}.image`);
      }
    }

    // non-root
    const runAsUser = csc.runAsUser ?? psc.runAsUser;
    const runAsNonRoot = csc.runAsNonRoot ?? psc.runAsNonRoot;
    if (runAsUser === 0) {
      addFinding(out, 'non-root', `${who} runs as uid 0`, `run as a non-zero uid, or declare SecurityProfile.restricted({ runAsRoot: { reason } }) (annotation ${POLICY_EXCEPTION_PREFIX}non-root)`, `${at.path}.securityContext.runAsUser`);
    } else if (runAsNonRoot !== true) {
      addFinding(out, 'non-root', `${who} may run as root: runAsNonRoot is ${runAsNonRoot === false ? 'false' : 'not set'} on the container or the pod`,
        `set runAsNonRoot: true (SecurityProfile.restricted() does), or declare the runAsRoot exception with a reason (annotation ${POLICY_EXCEPTION_PREFIX}non-root)`, `${at.path}.securityContext.runAsNonRoot`);
    }

    // no-privilege-escalation
    if (csc.allowPrivilegeEscalation !== false) {
      addFinding(out, 'no-privilege-escalation', `${who} allows privilege escalation (allowPrivilegeEscalation is ${csc.allowPrivilegeEscalation === true ? 'true' : 'not set, and Kubernetes defaults it to true'})`,
        `set securityContext.allowPrivilegeEscalation: false (SecurityProfile.restricted() does), or annotate the workload with ${POLICY_EXCEPTION_PREFIX}no-privilege-escalation: <reason>`, `${at.path}.securityContext.allowPrivilegeEscalation`);
    }

    // no-privileged
    if (csc.privileged === true) {
      addFinding(out, 'no-privileged', `${who} is privileged`, `remove privileged: true and add only the capability it needs, or annotate the workload with ${POLICY_EXCEPTION_PREFIX}no-privileged: <reason>`, `${at.path}.securityContext.privileged`);
    }

    // capabilities-dropped
    const caps = (csc.capabilities ?? {}) as Json;
    const drop = (Array.isArray(caps.drop) ? caps.drop : []) as string[];
    const addCaps = (Array.isArray(caps.add) ? caps.add : []) as string[];
    if (!drop.some((d) => String(d).toUpperCase() === 'ALL')) {
      addFinding(out, 'capabilities-dropped', `${who} does not drop ALL capabilities (drop is ${show(drop)})`, 'set securityContext.capabilities.drop: [ALL] (SecurityProfile.restricted() does)', `${at.path}.securityContext.capabilities.drop`);
    }
    if (addCaps.length) {
      addFinding(out, 'capabilities-dropped', `${who} adds capabilities ${addCaps.join(', ')}`,
        `add capabilities only through SecurityProfile.restricted({ addCapabilities: { capabilities, reason } }), which records ${POLICY_EXCEPTION_PREFIX}capabilities-dropped`, `${at.path}.securityContext.capabilities.add`);
    }

    // seccomp-runtime-default
    const seccomp = csc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      addFinding(out, 'seccomp-runtime-default', `${who} runs ${seccomp ? `with seccomp profile ${show(seccomp)}` : 'without a seccomp profile'}`,
        'set seccompProfile.type: RuntimeDefault on the pod or container (SecurityProfile.restricted() does)', `${at.path}.securityContext.seccompProfile`);
    }

    // resources (ephemeral debug containers cannot have resources)
    if (!ephemeral) {
      const r = (c.resources ?? {}) as Json;
      const missing: string[] = [];
      for (const kind of ['requests', 'limits']) {
        for (const res of ['cpu', 'memory']) if (r[kind]?.[res] === undefined) missing.push(`${kind}.${res}`);
      }
      if (missing.length) {
        addFinding(out, 'resources', `${who} has no ${missing.join(', ')}`, 'give every container, init containers included, cpu and memory requests and limits (core Resources / sized(...))', `${at.path}.resources`);
      }
      for (const res of Object.keys(r.requests ?? {})) {
        const req = parseQuantity(r.requests[res]);
        const lim = parseQuantity(r.limits?.[res]);
        if (req !== undefined && lim !== undefined && req > lim) {
          addFinding(out, 'resources', `${who} requests ${res} ${show(r.requests[res])}, more than its limit ${show(r.limits[res])}`, 'make the limit at least the request', `${at.path}.resources.requests.${res}`);
        }
      }
    }

    // probes on long-running containers
    if (t.longRunning && !ephemeral && (!at.init || at.sidecar)) {
      const missing = ['readinessProbe', 'livenessProbe'].filter((p) => !c[p]);
      if (missing.length) {
        addFinding(out, 'probes', `long-running ${who} has no ${missing.join(' and ')}`, `add ${missing.join(' and ')} (core Probes.http/tcp/exec), or annotate the workload with ${POLICY_EXCEPTION_PREFIX}probes: <why it cannot be probed>`, `${at.path}.${missing[0]}`);
      }
    }

    // no-host-access: host ports
    (Array.isArray(c.ports) ? c.ports : []).forEach((p: Json, i: number) => {
      if (p?.hostPort) {
        addFinding(out, 'no-host-access', `${who} binds host port ${p.hostPort}`, `expose the port through a Service instead, or annotate the workload with ${POLICY_EXCEPTION_PREFIX}no-host-access: <reason>`, `${at.path}.ports[${i}].hostPort`);
      }
    });

    // secret-env
    (Array.isArray(c.env) ? c.env : []).forEach((e: Json, i: number) => {
      if (!e || typeof e.name !== 'string' || !looksSecret(e.name)) return;
      if (e.valueFrom?.secretKeyRef) return;
      const source = e.valueFrom?.configMapKeyRef ? `ConfigMap ${show(e.valueFrom.configMapKeyRef.name)}` : e.valueFrom ? `a ${Object.keys(e.valueFrom)[0]}` : 'a literal value';
      addFinding(out, 'secret-env', `${who} env ${e.name} looks like a credential but comes from ${source}`,
        `read it from a Secret: valueFrom.secretKeyRef (EnvSource.secret(name, key)); if it is not a secret, annotate the workload with ${POLICY_EXCEPTION_PREFIX}secret-env: <reason>`, `${at.path}.env[${i}]`);
    });
  }
  out.push(...hardeningFindings(o));
  return out;
}
