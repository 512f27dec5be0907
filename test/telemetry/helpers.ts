import { parse } from 'yaml';
import { GlobalPlacementProps } from '../../lib/core/placement';
import { ImageSettings } from '../../lib/core/images';
import { Manifest, Release, RenderedRelease } from '../../lib/release';
import { findObject, idsOf, newRelease, Template } from '../support';
import { TelemetryMode, TelemetryStack, TelemetryStackProps } from '../../lib/telemetry';

export const SELF_HOSTED = TelemetryMode.selfHosted({ grafanaAdmin: { secretName: 'grafana-admin' } });

export interface Rendered {
  readonly stack: TelemetryStack;
  readonly release: Release;
  readonly out: RenderedRelease;
  readonly objects: Manifest[];
}

/** Renders one TelemetryStack in a fresh release. */
export function render(
  props: Partial<TelemetryStackProps> = {},
  release: { placement?: GlobalPlacementProps; images?: ImageSettings } = {},
): Rendered {
  const r = newRelease(release);
  const stack = new TelemetryStack(r, 'Telemetry', { mode: SELF_HOSTED, ...props });
  const out = Template.fromRelease(r).rendered;
  return { stack, release: r, out, objects: out.objects };
}

// The generic lookups are the test kit's (test/support), under the names these tests use.
export { findObject as find, workloadsOf as workloads } from '../support';

/**
 * `Kind/name` of the stack's own objects, sorted: the release's NetworkPolicies (rendered from the wiring graph for
 * every release) are left out here and checked by their own test ('every pod-running workload gets its policy').
 */
export function kindsAndNames(objects: readonly Manifest[]): string[] {
  return idsOf(objects.filter((o) => o.kind !== 'NetworkPolicy'));
}

/** The parsed prometheus.yml. */
export function prometheusYaml(objects: readonly Manifest[], name = 'prometheus-config'): any {
  return parse(findObject(objects, 'ConfigMap', name).data['prometheus.yml']);
}

/** The parsed collector config. */
export function collectorYaml(objects: readonly Manifest[], name = 'otel-collector-config'): any {
  return parse(findObject(objects, 'ConfigMap', name).data['collector.yaml']);
}

/**
 * Applies Prometheus relabel rules (replace, keep, drop) to one target's labels, as Prometheus does: regexes are
 * fully anchored, source values joined with ';', `$n` references the groups. Returns undefined when dropped.
 */
export function relabel(rules: any[], input: Record<string, string>): Record<string, string> | undefined {
  const labels = { ...input };
  for (const r of rules) {
    const action = r.action ?? 'replace';
    const value = (r.source_labels ?? []).map((l: string) => labels[l] ?? '').join(r.separator ?? ';');
    const re = new RegExp(`^(?:${r.regex ?? '(.*)'})$`);
    const m = re.exec(value);
    if (action === 'keep' && !m) return undefined;
    if (action === 'drop' && m) return undefined;
    if (action === 'replace' && m) {
      const out = (r.replacement ?? '$1').replace(/\$(\d+)/g, (_: string, n: string) => m[Number(n)] ?? '');
      if (out === '') delete labels[r.target_label];
      else labels[r.target_label] = out;
    }
  }
  return labels;
}

/** The meta labels Kubernetes SD role pod gives one declared container port of a pod. */
export function podTarget(o: {
  name: string;
  node: string;
  ip: string;
  port: number;
  labels: Record<string, string>;
  phase?: string;
  namespace?: string;
}): Record<string, string> {
  const t: Record<string, string> = {
    __address__: o.ip.includes(':') ? `[${o.ip}]:${o.port}` : `${o.ip}:${o.port}`,
    __meta_kubernetes_namespace: o.namespace ?? 'ns',
    __meta_kubernetes_pod_name: o.name,
    __meta_kubernetes_pod_ip: o.ip,
    __meta_kubernetes_pod_node_name: o.node,
    __meta_kubernetes_pod_phase: o.phase ?? 'Running',
    __meta_kubernetes_pod_container_port_number: String(o.port),
  };
  for (const [k, v] of Object.entries(o.labels)) t[`__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`] = v;
  return t;
}
