import { ApiObject, App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ConnectionRecord } from '../../lib/core/wiring';
import { Manifest, Release, ReleaseProps, renderApp, renderRelease, RenderedRelease } from '../../lib/release';
import { formatReport, verifyReleases } from '../../lib/verify';
import { assertLike, Matcher } from './match';

/** Loosely typed JSON of a rendered object. */
export type Obj = Record<string, any>;

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];

/**
 * The objects one release renders, with lookups and assertions in the spirit of aws-cdk's `Template`: `find` throws
 * with the list of what is there, `hasObject` with the path of every mismatch.
 */
export class Template {
  /** Renders `release` exactly as `npm run synth` would (validation, normalization, wiring records). */
  public static fromRelease(release: Release): Template {
    return new Template(renderRelease(release));
  }

  /**
   * Renders `release` like `fromRelease` and fails with the verification report (schema, policy, references, wiring)
   * unless it verifies clean: for tests whose output must be what a synth would write.
   */
  public static verified(release: Release): Template {
    const t = Template.fromRelease(release);
    const [report] = verifyReleases([t.rendered]);
    if (!report.ok) throw new Error(formatReport(report));
    return t;
  }

  /** Every release of `app`, rendered. */
  public static fromApp(app: App): Template[] {
    return renderApp(app).map((r) => new Template(r));
  }

  constructor(
    /** The rendered release. */
    public readonly rendered: RenderedRelease,
  ) {}

  /** The objects, in render order. */
  public get objects(): Manifest[] {
    return this.rendered.objects;
  }

  /** The wiring records that touch the release. */
  public get connections(): readonly ConnectionRecord[] {
    return this.rendered.connections;
  }

  /** `Kind/name` of every object, sorted. */
  public ids(): string[] {
    return this.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  }

  /** The object of `kind` named `name` (the only one of its kind when `name` is omitted); throws listing what exists. */
  public find(kind: string, name?: string): Obj {
    const all = this.objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    if (all.length === 1) return all[0] as Obj;
    const what = name === undefined ? `exactly one ${kind}` : `${kind}/${name}`;
    throw new Error(`expected ${what}, found ${all.length}; the release renders: ${this.ids().join(', ')}`);
  }

  /** Every object of `kind` (optionally those matching `pattern` as objectLike). */
  public findAll(kind: string, pattern?: Record<string, unknown> | Matcher): Obj[] {
    return this.objects.filter((o) => {
      if (o.kind !== kind) return false;
      if (pattern === undefined) return true;
      try {
        assertLike(o, pattern);
        return true;
      } catch {
        return false;
      }
    }) as Obj[];
  }

  /** True when the release renders `kind/name`. */
  public has(kind: string, name: string): boolean {
    return this.objects.some((o) => o.kind === kind && o.metadata.name === name);
  }

  /** Throws unless `kind/name` matches `pattern` (objectLike: other keys may exist). */
  public hasObject(kind: string, name: string, pattern: Record<string, unknown> | Matcher): void {
    assertLike(this.find(kind, name), pattern, `${kind}/${name}`);
  }

  /** Throws unless exactly `count` objects of `kind` are rendered. */
  public countIs(kind: string, count: number): void {
    const n = this.objects.filter((o) => o.kind === kind).length;
    if (n !== count) throw new Error(`expected ${count} ${kind}, found ${n}: ${this.ids().filter((i) => i.startsWith(`${kind}/`)).join(', ')}`);
  }

  /** The pod spec of a workload (`Deployment`, `DaemonSet`, `StatefulSet`, `Job`, `CronJob`, `Pod`). */
  public podSpec(kind: string, name?: string): Obj {
    const o = this.find(kind, name);
    if (o.kind === 'Pod') return o.spec;
    return o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
  }

  /** The pod-template labels of a workload. */
  public podLabels(kind: string, name?: string): Record<string, string> {
    const o = this.find(kind, name);
    return (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.metadata.labels : o.spec.template.metadata.labels) ?? {};
  }

  /** One container (init containers included) of a workload; throws listing the containers there are. */
  public container(kind: string, name: string | undefined, container: string): Obj {
    const spec = this.podSpec(kind, name);
    const all = [...(spec.initContainers ?? []), ...spec.containers] as Obj[];
    const c = all.find((x) => x.name === container);
    if (!c) throw new Error(`${kind}/${name ?? '(only)'} has no container ${container}; it has ${all.map((x) => x.name).join(', ')}`);
    return c;
  }

  /** The rendered objects of the ApiObjects under `construct` (its own objects, not its neighbours'). */
  public objectsOf(construct: IConstruct): Manifest[] {
    const mine = new Set(construct.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => `${o.kind}/${o.name}`));
    return this.objects.filter((o) => mine.has(`${o.kind}/${o.metadata.name}`));
  }

  /** Every workload object. */
  public workloads(): Obj[] {
    return this.objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)) as Obj[];
  }
}

/** A container's env as a map: literal values as strings, references as their `valueFrom`. */
export function envOf(container: Obj): Record<string, any> {
  return Object.fromEntries(((container.env ?? []) as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));
}

/** A fresh app with one release (namespace `ns` unless given). */
export function newRelease(props: Partial<ReleaseProps> & { id?: string } = {}, app: App = new App()): Release {
  const { id, ...rest } = props;
  return new Release(app, id ?? 'r', { namespace: 'ns', ...rest });
}

/** Builds something in a fresh release and renders it: the construct and its template. */
export function synthIn<T>(
  build: (scope: Construct) => T,
  release: Partial<ReleaseProps> & { id?: string } = {},
): { construct: T; release: Release; template: Template } {
  const r = newRelease(release);
  const construct = build(r);
  return { construct, release: r, template: Template.fromRelease(r) };
}

/** `Kind/name` of every object, sorted. */
export function idsOf(objects: readonly Manifest[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/**
 * The object of `kind` named `name` among `objects` (the only one of its kind when `name` is omitted); throws listing
 * what exists. For tests holding a plain object list; `Template.find` does the same on a rendered release.
 */
export function findObject(objects: readonly Manifest[], kind: string, name?: string): Obj {
  const all = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (all.length === 1) return all[0] as Obj;
  throw new Error(`expected ${name === undefined ? `exactly one ${kind}` : `${kind}/${name}`}, found ${all.length}; there are: ${idsOf(objects).join(', ')}`);
}

/** The pod spec of a workload object (`Deployment`, `DaemonSet`, `StatefulSet`, `Job`, `CronJob`, `Pod`). */
export function podSpecOf(workload: Obj): Obj {
  if (workload.kind === 'Pod') return workload.spec;
  return workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
}

/** Every workload object among `objects`. */
export function workloadsOf(objects: readonly Manifest[]): Obj[] {
  return objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)) as Obj[];
}
