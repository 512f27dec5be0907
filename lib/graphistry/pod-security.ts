import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { renderApiObject } from '../release/render';
import { POD_TEMPLATE_PATHS, renderedPodSpec } from '../core/pod';
import { RenderedWorkload } from '../verify/pod-security';

// The Pod Security evaluation is the verification layer's (every release's Argo CD namespace labels use it); the
// Graphistry notes read it from there.
export { evaluatePodSecurity, podSecurityRequirement } from '../verify/pod-security';
export type { PodSecurityEvaluation, PodSecurityLevel, PodSecurityRequirement, RenderedWorkload } from '../verify/pod-security';

/**
 * The workloads rendered under `scope` (in construct-tree order), each with its pod spec as it will be written.
 * Call it after the scope's children exist: it reads the objects as they are now.
 * @internal
 */
export function renderedWorkloads(scope: IConstruct): RenderedWorkload[] {
  const out: RenderedWorkload[] = [];
  for (const c of scope.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    if (c.kind !== 'Pod' && !(c.kind in POD_TEMPLATE_PATHS)) continue;
    // The same JSON as c.toJson(), in one pass (this runs for every workload while the stack is built).
    const json = renderApiObject(c);
    const pod = renderedPodSpec(json);
    if (pod) out.push({ kind: c.kind, name: json.metadata?.name ?? c.name, pod });
  }
  return out;
}

