import * as fs from 'fs';
import * as path from 'path';
import { Manifest } from '../../lib/release';

/**
 * Debian's Prometheus and promtool are built without Kubernetes service discovery (removed in Debian's 1.5.0
 * packaging for its dependency weight), so they reject `kubernetes_sd_configs` as an unknown field. These helpers
 * project a generated config onto file SD: the pods the rendered workloads would create are written as target
 * groups carrying exactly the `__meta_kubernetes_*` labels role pod discovery produces, and each job's relabel rules
 * run unchanged against them.
 *
 * What the projection removes is checked here instead, so no part of the file goes unchecked:
 * `checkKubernetesSdConfig` applies the rules Prometheus 2.42 applies when it loads a `kubernetes_sd_configs` entry
 * (known keys only, role, namespaces, selectors: role allowed for the SD role, no duplicate, parseable label and
 * field selectors), and the projection honours the namespaces and the server-side label selector the way the API
 * server does, so a selector that matches the wrong pods (or none) loses its targets.
 */

/** A simulated node. */
export interface SimNode {
  readonly name: string;
  /** Loopback address standing in for the node IP (hostNetwork pods get it as their pod IP). */
  readonly ip: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A simulated pod, as Kubernetes SD role pod would see it. */
export interface SimPod {
  readonly name: string;
  readonly namespace: string;
  readonly node: SimNode;
  readonly ip: string;
  readonly phase: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: ReadonlyArray<{ name: string; ports: ReadonlyArray<{ name?: string; containerPort: number; protocol?: string }> }>;
  readonly controller: { kind: string; name: string };
}

/**
 * The pods the release's workloads would create on `nodes`: one per matching node for a DaemonSet, `replicas` on the
 * first matching node for a Deployment. Pod IPs are loopback addresses from `podNet` (`127.30.0.`), so any scrape of
 * them stays on this machine.
 */
export function simulatePods(objects: readonly Manifest[], nodes: readonly SimNode[], podNet = '127.30.0.'): SimPod[] {
  const pods: SimPod[] = [];
  let next = 1;
  for (const o of objects as any[]) {
    if (o.kind !== 'DaemonSet' && o.kind !== 'Deployment') continue;
    const spec = o.spec.template.spec;
    const matching = nodes.filter((n) => Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => n.labels[k] === v));
    const placed = o.kind === 'DaemonSet' ? matching : Array.from({ length: o.spec.replicas ?? 1 }, () => matching[0]).filter(Boolean);
    for (const [i, node] of placed.entries()) {
      pods.push({
        name: `${o.metadata.name}-${o.kind === 'DaemonSet' ? node.name : i}`,
        namespace: o.metadata.namespace,
        node,
        ip: spec.hostNetwork ? node.ip : `${podNet}${next++}`,
        phase: 'Running',
        labels: o.spec.template.metadata.labels,
        containers: spec.containers.map((c: any) => ({ name: c.name, ports: c.ports ?? [] })),
        controller: { kind: o.kind, name: o.metadata.name },
      });
    }
  }
  return pods;
}

const labelName = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, '_');

/** The target groups role pod discovery yields for pods: one target per declared container port. */
export function podTargetGroups(pods: readonly SimPod[]): Array<{ targets: string[]; labels: Record<string, string> }> {
  const groups: Array<{ targets: string[]; labels: Record<string, string> }> = [];
  for (const p of pods) {
    const common: Record<string, string> = {
      __meta_kubernetes_namespace: p.namespace,
      __meta_kubernetes_pod_name: p.name,
      __meta_kubernetes_pod_ip: p.ip,
      __meta_kubernetes_pod_node_name: p.node.name,
      __meta_kubernetes_pod_host_ip: p.node.ip,
      __meta_kubernetes_pod_phase: p.phase,
      __meta_kubernetes_pod_ready: p.phase === 'Running' ? 'true' : 'false',
      __meta_kubernetes_pod_controller_kind: p.controller.kind === 'Deployment' ? 'ReplicaSet' : p.controller.kind,
      __meta_kubernetes_pod_controller_name: p.controller.name,
    };
    for (const [k, v] of Object.entries(p.labels)) {
      common[`__meta_kubernetes_pod_label_${labelName(k)}`] = v;
      common[`__meta_kubernetes_pod_labelpresent_${labelName(k)}`] = 'true';
    }
    for (const c of p.containers) {
      for (const port of c.ports) {
        const address = p.ip.includes(':') ? `[${p.ip}]:${port.containerPort}` : `${p.ip}:${port.containerPort}`;
        groups.push({
          targets: [address],
          labels: {
            ...common,
            __meta_kubernetes_pod_container_name: c.name,
            __meta_kubernetes_pod_container_port_name: port.name ?? '',
            __meta_kubernetes_pod_container_port_number: String(port.containerPort),
            __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP',
          },
        });
      }
    }
  }
  return groups;
}

/**
 * Replaces every job's `kubernetes_sd_configs` with a `file_sd_configs` entry whose file (written to `dir`) holds
 * the pods' target groups, restricted to the namespaces the job watches. Everything else in the config is kept.
 */
export function projectToFileSd(config: any, pods: readonly SimPod[], dir: string): any {
  const out = structuredClone(config);
  for (const job of out.scrape_configs ?? []) {
    const sd = job.kubernetes_sd_configs;
    if (!sd) continue;
    const files: string[] = [];
    for (const [i, k] of sd.entries()) {
      const problems = checkKubernetesSdConfig(k);
      if (problems.length) throw new Error(`job ${job.job_name}: kubernetes_sd_configs[${i}] would be rejected by Prometheus: ${problems.join('; ')}`);
      const file = path.join(dir, `${job.job_name}-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(podTargetGroups(discoveredPods(k, pods)), null, 1));
      files.push(file);
    }
    delete job.kubernetes_sd_configs;
    job.file_sd_configs = [{ files, refresh_interval: '5s' }];
  }
  return out;
}

/** The pods role pod discovery lists for one `kubernetes_sd_configs` entry: its namespaces, its pod label selector. */
export function discoveredPods(sd: any, pods: readonly SimPod[]): SimPod[] {
  if (sd.role !== 'pod') throw new Error(`the projection supports role pod only, not ${sd.role}`);
  const names: string[] | undefined = sd.namespaces?.names;
  if (sd.namespaces?.own_namespace) throw new Error('the projection does not simulate own_namespace');
  const selector = (sd.selectors ?? []).find((x: any) => x.role === 'pod');
  if (selector?.field) throw new Error('the projection does not simulate field selectors');
  const requirements = parseLabelSelector(selector?.label ?? '');
  return pods.filter((p) => (!names?.length || names.includes(p.namespace)) && matchesLabelSelector(requirements, p.labels));
}

/** One requirement of a Kubernetes label selector. */
export interface LabelRequirement {
  readonly key: string;
  readonly op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  readonly values: readonly string[];
}

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) throw new Error(`invalid label key "${key}": bad prefix`);
  if (name.length > 63 || !NAME_PART.test(name)) throw new Error(`invalid label key "${key}"`);
}

function checkValue(value: string): void {
  if (value.length > 63 || (value !== '' && !NAME_PART.test(value))) throw new Error(`invalid label value "${value}"`);
}

/**
 * Parses a Kubernetes label selector (`a=b,c!=d,e in (f,g),!h,i`) as the API server (and Prometheus, before it sends
 * it) does; throws on a malformed one.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  let rest = text.trim();
  if (rest === '') return out;
  for (;;) {
    let m: RegExpExecArray | null;
    if ((m = /^!\s*([^\s,!=<>()]+)\s*/.exec(rest))) {
      checkKey(m[1]);
      out.push({ key: m[1], op: '!exists', values: [] });
    } else if ((m = /^([^\s,!=<>()]+)\s+(in|notin)\s*\(([^()]*)\)\s*/.exec(rest))) {
      checkKey(m[1]);
      const values = m[3].split(',').map((v) => v.trim());
      if (m[2] === 'in' && values.length === 1 && values[0] === '') throw new Error(`"${m[1]} in ()" needs at least one value`);
      values.forEach(checkValue);
      out.push({ key: m[1], op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^\s,!=<>()]+)\s*(==|=|!=|>|<)\s*([^\s,!=<>()]*)\s*/.exec(rest))) {
      checkKey(m[1]);
      const op = m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : '=';
      if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(m[3])) throw new Error(`"${m[1]}${m[2]}${m[3]}" needs an integer`);
      checkValue(m[3]);
      out.push({ key: m[1], op, values: [m[3]] });
    } else if ((m = /^([^\s,!=<>()]+)\s*/.exec(rest))) {
      checkKey(m[1]);
      out.push({ key: m[1], op: 'exists', values: [] });
    } else {
      throw new Error(`cannot parse label selector "${text}" at "${rest}"`);
    }
    rest = rest.slice(m[0].length);
    if (rest === '') return out;
    if (!rest.startsWith(',')) throw new Error(`cannot parse label selector "${text}": expected ',' at "${rest}"`);
    rest = rest.slice(1).trim();
    if (rest === '') throw new Error(`label selector "${text}" ends with ','`);
  }
}

/** True when `labels` satisfy every requirement. */
export function matchesLabelSelector(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v);
      case 'notin':
        return !has || !r.values.includes(v);
      case 'gt':
        return has && /^-?\d+$/.test(v) && Number(v) > Number(r.values[0]);
      case 'lt':
        return has && /^-?\d+$/.test(v) && Number(v) < Number(r.values[0]);
    }
  });
}

/** Keys of Prometheus' HTTP client config, inlined into a `kubernetes_sd_configs` entry. */
const HTTP_CLIENT_KEYS = ['basic_auth', 'authorization', 'oauth2', 'bearer_token', 'bearer_token_file', 'tls_config', 'proxy_url', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header', 'follow_redirects', 'enable_http2'];
const SD_KEYS = ['api_server', 'role', 'kubeconfig_file', 'namespaces', 'selectors', 'attach_metadata', ...HTTP_CLIENT_KEYS];
const ALLOWED_SELECTOR_ROLES: Record<string, readonly string[]> = {
  pod: ['pod'],
  service: ['service'],
  endpoints: ['pod', 'service', 'endpoints'],
  endpointslice: ['pod', 'service', 'endpointslice'],
  node: ['node'],
  ingress: ['ingress'],
};

function unknownKeys(where: string, v: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(v).filter((k) => !known.includes(k)).map((k) => `${where}: field ${k} not found`);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The problems Prometheus 2.42 would report loading one `kubernetes_sd_configs` entry (its strict YAML decoding plus
 * the Kubernetes SD config's own validation); empty when it would load. The check promtool cannot make here.
 */
export function checkKubernetesSdConfig(sd: unknown): string[] {
  if (!isMap(sd)) return ['the entry is not a mapping'];
  const problems = unknownKeys('kubernetes_sd_config', sd, SD_KEYS);
  const role = sd.role;
  if (role === undefined || role === '') problems.push('role missing (one of: pod, service, endpoints, endpointslice, node, ingress)');
  else if (typeof role !== 'string' || !(role in ALLOWED_SELECTOR_ROLES)) problems.push(`unknown Kubernetes SD role ${JSON.stringify(role)}`);
  if (sd.api_server !== undefined && sd.kubeconfig_file !== undefined) problems.push('cannot use api_server and kubeconfig_file at the same time');
  const customClient = HTTP_CLIENT_KEYS.filter((k) => k !== 'follow_redirects' && k !== 'enable_http2' && sd[k] !== undefined);
  if (customClient.length && sd.api_server === undefined) problems.push(`to use custom HTTP client configuration (${customClient.join(', ')}) please provide the 'api_server' URL explicitly`);
  if (sd.namespaces !== undefined) {
    if (!isMap(sd.namespaces)) problems.push('namespaces is not a mapping');
    else {
      problems.push(...unknownKeys('namespaces', sd.namespaces, ['names', 'own_namespace']));
      const names = sd.namespaces.names;
      if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === ''))) problems.push('namespaces.names is not a list of namespace names');
    }
  }
  if (sd.selectors !== undefined) {
    if (!Array.isArray(sd.selectors)) problems.push('selectors is not a list');
    else {
      const seen = new Set<string>();
      for (const [i, sel] of sd.selectors.entries()) {
        if (!isMap(sel)) {
          problems.push(`selectors[${i}] is not a mapping`);
          continue;
        }
        problems.push(...unknownKeys(`selectors[${i}]`, sel, ['role', 'label', 'field']));
        const r = String(sel.role ?? '');
        if (seen.has(r)) problems.push(`duplicated selector role: ${r}`);
        seen.add(r);
        const allowed = typeof role === 'string' ? ALLOWED_SELECTOR_ROLES[role] : undefined;
        if (allowed && !allowed.includes(r)) problems.push(`${role} role supports only ${allowed.join(', ')} selectors (selectors[${i}].role is ${JSON.stringify(sel.role)})`);
        try {
          parseLabelSelector(String(sel.label ?? ''));
        } catch (e) {
          problems.push(`selectors[${i}].label: ${(e as Error).message}`);
        }
        for (const term of String(sel.field ?? '').split(',').filter((t) => t.trim() !== '')) {
          if (!/^[^=!\s]+(==|=|!=)[^=!]*$/.test(term.trim())) problems.push(`selectors[${i}].field: invalid field selector term "${term}"`);
        }
      }
    }
  }
  if (sd.attach_metadata !== undefined) {
    if (!isMap(sd.attach_metadata)) problems.push('attach_metadata is not a mapping');
    else problems.push(...unknownKeys('attach_metadata', sd.attach_metadata, ['node']));
  }
  return problems;
}
