import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ConfigError } from '../core/errors';
import { renderApiObject } from './render';

/**
 * Node ports are allocated cluster-wide, one Service per port number: the API server refuses the second Service that
 * claims a port ("provided port is already allocated"), so Argo CD's sync of the release fails half-way. Returns one
 * message per port claimed by two Services under `scope` (empty when every claim is unique).
 * @internal
 */
export function nodePortCollisions(scope: IConstruct): string[] {
  const claims = new Map<number, string[]>();
  for (const c of scope.node.findAll()) {
    if (!(c instanceof ApiObject) || c.kind !== 'Service' || c.apiVersion !== 'v1') continue;
    // The Service as it renders (c.toJson()), in one pass: this validation runs for every Service of the release.
    const ports = (renderApiObject(c).spec?.ports ?? []) as Array<{ nodePort?: number }>;
    for (const p of new Set(ports.map((x) => x.nodePort).filter((n): n is number => n !== undefined))) {
      const who = `Service ${c.name} (${c.node.path})`;
      claims.set(p, [...(claims.get(p) ?? []), who]);
    }
  }
  const out: string[] = [];
  for (const [port, owners] of [...claims.entries()].sort(([a], [b]) => a - b)) {
    if (owners.length < 2) continue;
    out.push(new ConfigError('nodePort', port, 'a node port no other Service of the release claims', `${owners.join(' and ')} both claim it, and the API server allocates each node port to one Service only`).message);
  }
  return out;
}
