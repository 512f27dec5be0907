import { ConfigError } from '../core/errors';
import { DeviceSelector, FleetPortMapping } from './deployment';

interface Claim {
  readonly deployment: string;
  readonly selector: DeviceSelector;
}

/**
 * True when no device can carry labels that both selectors accept (judged on what the operator evaluates).
 * @internal
 */
export function selectorsDisjoint(a: DeviceSelector, b: DeviceSelector, withExpressions: boolean): boolean {
  const la = a.matchLabels ?? {};
  const lb = b.matchLabels ?? {};
  for (const k of Object.keys(la)) if (k in lb && la[k] !== lb[k]) return true;
  if (!withExpressions) return false;
  const labels = { ...la, ...lb };
  const excludes = (exprs: DeviceSelector['matchExpressions']) =>
    (exprs ?? []).some((e) => {
      if (!(e.key in labels)) return false;
      const v = labels[e.key];
      switch (e.operator) {
        case 'In': return !(e.values ?? []).includes(v);
        case 'NotIn': return (e.values ?? []).includes(v);
        case 'DoesNotExist': return true;
        default: return false;
      }
    });
  return excludes(a.matchExpressions) || excludes(b.matchExpressions);
}

/**
 * Host ports of the fleet's deployments: two deployments that map the same host port (and protocol) onto devices both
 * may select would fight over the port on those devices, and Podman starts only the first. Claims are indexed by port,
 * so checking a new deployment costs the deployments mapping the same port, not the whole fleet.
 * @internal
 */
export class FleetHostPorts {
  private readonly byPort = new Map<string, Claim[]>();

  constructor(private readonly withExpressions: boolean) {}

  /** Throws when `ports` collide with a deployment added earlier; records them otherwise. */
  public claim(prop: string, deployment: string, selector: DeviceSelector, ports: readonly FleetPortMapping[], mappings: readonly string[]): void {
    ports.forEach((p, i) => {
      const key = `${p.hostPort}/${p.protocol}`;
      for (const other of this.byPort.get(key) ?? []) {
        if (!selectorsDisjoint(selector, other.selector, this.withExpressions)) {
          throw new ConfigError(
            `${prop}.ports[${i}]`,
            mappings[i],
            'a host port no other deployment maps on devices both may select',
            `deployment ${other.deployment} maps host port ${key} too, and its selector ${JSON.stringify(other.selector.matchLabels)} can select the same devices as ${JSON.stringify(selector.matchLabels)}; Podman would start only one of them`,
          );
        }
      }
    });
    for (const p of ports) {
      const key = `${p.hostPort}/${p.protocol}`;
      this.byPort.set(key, [...(this.byPort.get(key) ?? []), { deployment, selector }]);
    }
  }
}
