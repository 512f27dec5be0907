import { ConnectionRecord } from '../core/wiring';
import { containersOf, Json, namespaceOf, objectId, podTemplateOf, PodTemplate, selects, show } from './objects';
import { KubeObject } from './types';

/** A finding about one connection of the wiring graph. */
export interface WiringFinding {
  /** The connection. */
  readonly connection: ConnectionRecord;
  /** Rule id (`wiring-client`, `wiring-target`, `wiring-port`). */
  readonly rule: string;
  /** What is wrong, naming the connection. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /**
   * The object the finding is reported on: the client workload when it is rendered, else the target Service.
   * @default - none (neither is rendered)
   */
  readonly object?: KubeObject;
  /**
   * Field path inside `object`, when the finding is about one field.
   * @default - none
   */
  readonly path?: string;
}

function labelsText(selector: Readonly<Record<string, string>>): string {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';
}

/**
 * `<client> -> <target>:<port>` for messages.
 * @internal
 */
export function describeConnection(c: ConnectionRecord): string {
  const from = c.from.type === 'workload'
    ? `${c.from.path}${c.from.container ? ` (container ${c.from.container})` : ''}`
    : c.from.peer.type === 'pods' ? `pods ${c.from.peer.namespace}/${labelsText(c.from.peer.selector)}` : c.from.peer.cidrs.join(', ');
  const to = c.to.type === 'service'
    ? `Service ${c.to.namespace}/${c.to.name}`
    : c.to.type === 'pods' ? `pods ${c.to.namespace}/${labelsText(c.to.selector)}` : `external ${c.to.host}`;
  const range = c.to.port.endPort !== undefined ? `-${c.to.port.endPort}` : '';
  return `${c.kind} connection ${from} -> ${to} port ${c.to.port.name} (${c.to.port.port}${range}/${c.to.port.protocol})${c.purpose ? ` for ${c.purpose}` : ''}`;
}

interface Index {
  templates: Map<string, PodTemplate[]>;
  services: Map<string, KubeObject>;
}

function buildIndex(objects: readonly KubeObject[]): Index {
  const index: Index = { templates: new Map(), services: new Map() };
  for (const o of objects) {
    if (!o?.metadata?.name) continue;
    const ns = namespaceOf(o);
    const t = podTemplateOf(o);
    if (t) {
      if (!index.templates.has(ns)) index.templates.set(ns, []);
      index.templates.get(ns)!.push(t);
    }
    if (o.kind === 'Service' && o.apiVersion === 'v1') index.services.set(`${ns}/${o.metadata.name}`, o);
  }
  return index;
}

function selected(index: Index, ns: string, selector: Readonly<Record<string, string>> | undefined): PodTemplate[] {
  return (index.templates.get(ns) ?? []).filter((t) => selects(selector as Record<string, string>, t.labels));
}

/** True when some container of the templates declares the port (by name when `target` is a name, else by number). */
function declaresPort(templates: readonly PodTemplate[], target: string | number, protocol: string): boolean {
  return templates.some((t) =>
    containersOf(t).some((at) =>
      ((at.c.ports ?? []) as Json[]).some((p) => (typeof target === 'string' ? p?.name === target : p?.containerPort === target) && (p?.protocol ?? 'TCP') === protocol),
    ),
  );
}

/**
 * Checks the wiring graph against the rendered objects (of every release of the app, since connections cross
 * releases): each client's pods (and container) exist; each connection's Service exists, selects at least one pod
 * template in its namespace and has the port, whose target port a selected container declares; pods reached directly
 * exist and declare the port. External endpoints are outside the app and are not checked.
 */
export function wiringFindings(connections: readonly ConnectionRecord[], objects: readonly KubeObject[]): WiringFinding[] {
  const index = buildIndex(objects);
  const findings: WiringFinding[] = [];
  for (const c of connections) {
    const what = describeConnection(c);
    let client: KubeObject | undefined;
    const add = (rule: string, message: string, fix: string, object?: KubeObject, path?: string) =>
      findings.push({ connection: c, rule, message: `${what}: ${message}`, fix, object: object ?? client, path });

    if (c.from.type === 'workload') {
      const from = c.from;
      const mine = selected(index, from.namespace, from.selector);
      if (!mine.length) {
        add('wiring-client', `no pod template in namespace ${from.namespace} carries the client's labels ${labelsText(from.selector)}`,
          'connect from the workload that runs the client (its selector), and render it in a release of this app');
      } else {
        client = mine[0].owner;
        if (from.container !== undefined && !mine.some((t) => containersOf(t).some((at) => at.c.name === from.container))) {
          add('wiring-client', `the client's pods have no container ${show(from.container)} (they have ${[...new Set(mine.flatMap((t) => containersOf(t).map((at) => at.c.name)))].join(', ')})`,
            'name the container that opens the connection, as it is rendered');
        }
      }
    }

    const to = c.to;
    if (to.type === 'service') {
      const svc = index.services.get(`${to.namespace}/${to.name}`);
      if (!svc) {
        add('wiring-target', `no release of the app renders Service ${to.namespace}/${to.name}`,
          'connect to the endpoint of a Service the app renders (the construct that renders it exposes it), or declare the address as an ExternalEndpoint');
        continue;
      }
      const spec = (svc as Json).spec ?? {};
      const selector = spec.selector as Record<string, string> | undefined;
      const pods = selected(index, to.namespace, selector);
      if (!pods.length) {
        add('wiring-target', `Service ${to.namespace}/${to.name} selects no pod template in its namespace (selector ${show(selector ?? {})})`,
          'give the Service the selector of the workload it fronts (render it with buildService from the workload)', svc, 'spec.selector');
        continue;
      }
      const ports = (Array.isArray(spec.ports) ? spec.ports : []) as Json[];
      const port = ports.find((p) => p?.name === to.port.name);
      if (!port) {
        add('wiring-port', `Service ${to.namespace}/${to.name} has no port named ${show(to.port.name)} (it has ${ports.map((p) => p?.name ?? p?.port).join(', ') || 'none'})`,
          'connect to a port the Service declares, or add the port to the Service', svc, 'spec.ports');
        continue;
      }
      const protocol = port.protocol ?? 'TCP';
      if (port.port !== to.port.port || protocol !== to.port.protocol) {
        add('wiring-port', `Service port ${show(to.port.name)} is ${port.port}/${protocol}, but the connection dials ${to.port.port}/${to.port.protocol}`,
          'take the port from the Service endpoint that renders the Service, so the two cannot disagree', svc, 'spec.ports');
        continue;
      }
      const target = port.targetPort ?? port.port;
      if (!declaresPort(pods, target, protocol)) {
        add('wiring-port', `Service port ${show(to.port.name)} forwards to ${show(target)}, which no container of the selected pods declares`,
          'forward to a container port the workload declares (by name)', svc, 'spec.ports');
      }
    } else if (to.type === 'pods') {
      const pods = selected(index, to.namespace, to.selector);
      if (!pods.length) {
        add('wiring-target', `no pod template in namespace ${to.namespace} carries the labels ${labelsText(to.selector)}`,
          'connect to the pods of a workload the app renders');
        continue;
      }
      // A range is where a program binds a port the kernel picks: no container port can declare it.
      if (to.port.endPort !== undefined) continue;
      const declared = pods.some((t) => containersOf(t).some((at) => ((at.c.ports ?? []) as Json[]).some((p) =>
        p?.name === to.port.targetPort && p?.containerPort === to.port.port && (p?.protocol ?? 'TCP') === to.port.protocol)));
      if (!declared) {
        add('wiring-port', `the pods declare no container port ${show(to.port.targetPort)} with number ${to.port.port}/${to.port.protocol}`,
          'connect to a container port the workload declares', pods[0].owner);
      }
    }
  }
  return findings;
}

/**
 * The object id a finding is reported under: the client or target object, else the connection itself.
 * @internal
 */
export function wiringFindingObject(f: WiringFinding): string {
  if (f.object) return objectId(f.object);
  return f.connection.from.type === 'workload' ? `Connection/${f.connection.from.path}` : `Connection/${describeConnection(f.connection)}`;
}
