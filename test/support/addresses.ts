import { ConnectionRecord } from '../../lib/core/wiring';
import { RenderedRelease } from '../../lib/release';
import { Obj } from './template';

/** One in-cluster address found in a rendered object, with the workload that dials it. */
export interface FoundAddress {
  /** `Kind/name` of the workload whose pod uses the address. */
  readonly workload: string;
  /** Where it was found (`container nexus env REDIS_URL`, `ConfigMap caddy-caddyfile`). */
  readonly where: string;
  /** The Service it names. */
  readonly service: string;
  /** The port it dials, when it names one. */
  readonly port?: number;
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
/** Kubernetes' own workloads (not a custom resource that shares a kind name, such as the IoT fleet's Deployment). */
const isWorkload = (o: Obj) => WORKLOADS.includes(o.kind) && /^(apps|batch)\//.test(o.apiVersion);

function podSpec(o: Obj): Obj {
  return o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
}

function podLabels(o: Obj): Record<string, string> {
  return (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.metadata.labels : o.spec.template.metadata.labels) ?? {};
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every address of a Service of `release` that its workloads are configured with: in env values, command lines and
 * the ConfigMaps their pods mount (Caddyfile, collector and Prometheus configs, Grafana datasources). A Service's
 * short, namespaced or fully qualified name counts, followed by a port (`:6379`, or ` 80` as Caddy's `dynamic a`
 * writes it) or alone as the value of a variable that holds a host (`*HOST*`, `*SERVER*`, `*ADDR*`, `*URL*`).
 * Names the pod's hostAliases pin to loopback are in-pod aliases, not Service addresses.
 */
export function serviceAddresses(release: RenderedRelease): FoundAddress[] {
  const ns = release.namespace;
  const services = release.objects.filter((o) => o.kind === 'Service') as Obj[];
  const configMaps = new Map((release.objects.filter((o) => o.kind === 'ConfigMap') as Obj[]).map((c) => [c.metadata.name as string, c]));
  const found: FoundAddress[] = [];
  for (const w of release.objects.filter(isWorkload) as Obj[]) {
    const spec = podSpec(w);
    const aliases = new Set<string>(((spec.hostAliases ?? []) as Obj[]).flatMap((a) => a.hostnames ?? []));
    const texts: Array<{ where: string; text: string; envValue: boolean }> = [];
    for (const c of [...(spec.initContainers ?? []), ...spec.containers] as Obj[]) {
      // A bare name counts in variables that hold a host (not in OTEL_SERVICE_NAME, which names the app).
      for (const e of (c.env ?? []) as Obj[]) {
        if (typeof e.value === 'string') texts.push({ where: `container ${c.name} env ${e.name}`, text: e.value, envValue: /HOST|SERVER|ADDR|ENDPOINT|URL/.test(e.name) });
      }
      texts.push({ where: `container ${c.name} command`, text: [...(c.command ?? []), ...(c.args ?? [])].join(' '), envValue: false });
    }
    for (const v of (spec.volumes ?? []) as Obj[]) {
      const cm = v.configMap ? configMaps.get(v.configMap.name) : undefined;
      for (const [key, text] of Object.entries((cm?.data ?? {}) as Record<string, string>)) texts.push({ where: `ConfigMap ${cm!.metadata.name} ${key}`, text, envValue: false });
    }
    for (const s of services) {
      const name = s.metadata.name as string;
      if (aliases.has(name)) continue;
      const host = `(?<![\\w.-])${escape(name)}(?:\\.${escape(ns)}\\.svc(?:\\.[a-z0-9.-]+?)?)?`;
      const withPort = new RegExp(`${host}(?:[: ](\\d{1,5}))(?![\\w.-])`, 'g');
      for (const t of texts) {
        for (const m of t.text.matchAll(withPort)) found.push({ workload: `${w.kind}/${w.metadata.name}`, where: t.where, service: name, port: Number(m[1]) });
        if (t.envValue && new RegExp(`^${host}$`).test(t.text)) found.push({ workload: `${w.kind}/${w.metadata.name}`, where: t.where, service: name });
      }
    }
  }
  return found;
}

/**
 * The addresses no recorded connection accounts for: each address must match a connection from a workload whose
 * pods carry the client's selector, to that Service (and port, when the address names one).
 */
export function addressesWithoutConnection(release: RenderedRelease): FoundAddress[] {
  const byName = new Map((release.objects.filter(isWorkload) as Obj[]).map((w) => [`${w.kind}/${w.metadata.name}`, podLabels(w)]));
  const matches = (a: FoundAddress, c: ConnectionRecord) => {
    if (c.from.type !== 'workload' || c.to.type !== 'service') return false;
    const labels = byName.get(a.workload) ?? {};
    const fromOk = Object.entries(c.from.selector).every(([k, v]) => labels[k] === v);
    return fromOk && c.to.name === a.service && c.to.namespace === release.namespace && (a.port === undefined || c.to.port.port === a.port);
  };
  return serviceAddresses(release).filter((a) => !release.connections.some((c) => matches(a, c)));
}
