import { IConstruct } from 'constructs';

/**
 * How a child construct's props are written in the props of the construct that creates it, so a message about a
 * child's prop can name the prop the user actually wrote (GraphistryStack's `telemetry.prometheus.retentionSize`
 * rather than Prometheus's `retentionSize`).
 */
export interface ForwardedProps {
  /**
   * Path in the parent's props under which the child's props are written (`telemetry`); '' when the parent passes
   * them through at its own top level.
   */
  readonly prefix: string;
  /**
   * Child prop paths the parent names differently, each to its full path in the parent's props
   * (`{ 'stickyCookie.secret': 'caddy.cookieSecret' }`). A path below a renamed one is renamed with it.
   * @default - none
   */
  readonly renames?: Readonly<Record<string, string>>;
}

const FORWARDED = new WeakMap<IConstruct, ForwardedProps>();
const CHILD_FORWARDS = new WeakMap<IConstruct, Map<string, ForwardedProps>>();

/** Declares how `child`'s props appear in the props of the construct that created it (its scope). */
export function forwardProps(child: IConstruct, forwarded: ForwardedProps): void {
  FORWARDED.set(child, forwarded);
}

/**
 * Declares, before creating it, how the props of `parent`'s child with construct id `id` appear in `parent`'s props.
 * Declared first, it also names the errors the child throws while it is built as the user wrote them (a NatsServer
 * inside an IotFleet reports `nats.name`, one the user created reports `name`).
 */
export function forwardChildProps(parent: IConstruct, id: string, forwarded: ForwardedProps): void {
  const byId = CHILD_FORWARDS.get(parent) ?? new Map<string, ForwardedProps>();
  byId.set(id, forwarded);
  CHILD_FORWARDS.set(parent, byId);
}

/** A prop as the user wrote it: the construct they created and the path in its props. */
export interface UserProp {
  /** The construct the user created (the outermost one the prop was forwarded to). */
  readonly construct: IConstruct;
  /** The prop's path in that construct's props (`telemetry.prometheus.retentionSize`). */
  readonly prop: string;
}

/**
 * The construct the user created and the prop path they wrote, for `prop` of `scope`'s props: follows `forwardProps`
 * declarations up the tree, and stops at the first construct whose props nobody forwarded (the one the user created).
 * Resolve late (at synth), so parents may declare after their children are built.
 */
export function userProp(scope: IConstruct, prop: string): UserProp {
  let construct = scope;
  let path = prop;
  for (;;) {
    const parent = construct.node.scope;
    const forwarded = FORWARDED.get(construct) ?? (parent ? CHILD_FORWARDS.get(parent)?.get(construct.node.id) : undefined);
    if (!forwarded || !parent) return { construct, prop: path };
    const rename = Object.entries(forwarded.renames ?? {}).find(([from]) => path === from || path.startsWith(`${from}.`));
    path = rename ? `${rename[1]}${path.slice(rename[0].length)}` : forwarded.prefix ? `${forwarded.prefix}.${path}` : path;
    construct = parent;
  }
}
