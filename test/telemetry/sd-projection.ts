import * as fs from 'fs';
import * as path from 'path';
import { Manifest } from '../../lib/release';

/**
 * Debian's Prometheus and promtool are built without Kubernetes service discovery (removed in Debian's 1.5.0
 * packaging for its dependency weight), so they reject `kubernetes_sd_configs` as an unknown field. These helpers
 * project a generated config onto file SD: the pods the rendered workloads would create are written as target
 * groups carrying exactly the `__meta_kubernetes_*` labels role pod discovery produces, and each job's relabel rules
 * run unchanged against them.
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
      if (k.role !== 'pod') throw new Error(`projection supports role pod only, job ${job.job_name} uses ${k.role}`);
      const names: string[] | undefined = k.namespaces?.names;
      const file = path.join(dir, `${job.job_name}-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(podTargetGroups(pods.filter((p) => !names || names.includes(p.namespace))), null, 1));
      files.push(file);
    }
    delete job.kubernetes_sd_configs;
    job.file_sd_configs = [{ files, refresh_interval: '5s' }];
  }
  return out;
}
