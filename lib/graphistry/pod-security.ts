import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { POD_SPEC_PATH, RenderedWorkload } from '../verify/pod-security';

// The Pod Security evaluation is the verification layer's (every release's Argo CD namespace labels use it); the
// Graphistry notes read it from there.
export { evaluatePodSecurity, podSecurityRequirement } from '../verify/pod-security';
export type { PodSecurityEvaluation, PodSecurityLevel, PodSecurityRequirement, RenderedWorkload } from '../verify/pod-security';

type Json = Record<string, any>;

/**
 * The workloads rendered under `scope` (in construct-tree order), each with its pod spec as it will be written.
 * Call it after the scope's children exist: it reads the objects as they are now.
 * @internal
 */
export function renderedWorkloads(scope: IConstruct): RenderedWorkload[] {
  const out: RenderedWorkload[] = [];
  for (const c of scope.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    const path = POD_SPEC_PATH[c.kind];
    if (!path) continue;
    const json = c.toJson();
    const pod = path.reduce<Json | undefined>((o, k) => o?.[k], json);
    if (pod) out.push({ kind: c.kind, name: json.metadata?.name ?? c.name, pod });
  }
  return out;
}

