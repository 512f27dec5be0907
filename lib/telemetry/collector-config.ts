import { check, ConfigError } from '../core/errors';
import { emitYaml12 } from '../release/yaml';

/**
 * Typed builder for the OpenTelemetry Collector configuration. Components are added by kind with their own settings;
 * pipelines name them; `checkCollectorConfig` proves every name a pipeline uses is defined (and every defined
 * component is used) before the config leaves the builder.
 * @see https://opentelemetry.io/docs/collector/configuration/
 */

/**
 * A value the collector expands when it loads its config: `${env:NAME}`, optionally inside literal text
 * (`CollectorEnv.concat(CollectorEnv.env('MY_POD_IP'), ':4317')`). Every other string in a CollectorConfig is literal:
 * the collector (0.116, the version TELEMETRY_IMAGES pins) expands `${env:...}`, `${file:...}` and any other
 * `${scheme:...}` in every string value and reads `$$` as one literal `$`, so the builder writes each `$` of a plain
 * string as `$$`. A user value such as `https://gw/${file:/var/run/secrets/token}` then stays text instead of
 * reading a file into the config.
 * @see https://opentelemetry.io/docs/collector/configuration/#environment-variables
 */
export class CollectorEnv {
  /** `${env:NAME}`. */
  public static env(name: string): CollectorEnv {
    check(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name), 'collector.env', name, 'an environment variable name: letters, digits and _, not starting with a digit');
    return new CollectorEnv(`\${env:${name}}`);
  }

  /** Literal parts (escaped) and references joined into one value. */
  public static concat(...parts: ReadonlyArray<string | number | CollectorEnv>): CollectorEnv {
    return new CollectorEnv(parts.map((p) => (p instanceof CollectorEnv ? p.text : escapeCollectorString(String(p)))).join(''));
  }

  private constructor(
    /** The text as the collector reads it. */
    public readonly text: string,
  ) {}

  /** The text as the collector reads it. */
  public toString(): string {
    return this.text;
  }
}

/**
 * A literal string as the collector must read it: every `$` doubled, so nothing is expanded.
 * @internal
 */
export function escapeCollectorString(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

/** Renders settings for the YAML file: CollectorEnv values as their text, every other string escaped. */
function renderSettings(v: unknown): unknown {
  if (v instanceof CollectorEnv) return v.text;
  if (typeof v === 'string') return escapeCollectorString(v);
  if (Array.isArray(v)) return v.map(renderSettings);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [escapeCollectorString(k), renderSettings(x)]));
  return v;
}

/** Settings of one component (receiver, processor, exporter or extension), as the collector reads them. */
export type ComponentSettings = Readonly<Record<string, unknown>>;

/** A signal pipeline. */
export interface CollectorPipeline {
  /** Receiver ids, in order. */
  readonly receivers: readonly string[];
  /**
   * Applied in order.
   * @default []
   */
  readonly processors?: readonly string[];
  /** Exporter ids. */
  readonly exporters: readonly string[];
}

/** The component kinds a config defines. */
export type ComponentKind = 'receivers' | 'processors' | 'exporters' | 'extensions';

const COMPONENT_ID = /^[a-z][a-z0-9_]*(\/[A-Za-z0-9_.-]+)?$/;
const PIPELINE_ID = /^(traces|metrics|logs)(\/[A-Za-z0-9_.-]+)?$/;

/**
 * Structural check of a collector configuration (a plain object, as parsed from YAML): every pipeline is a known
 * signal and names at least one receiver and one exporter; every receiver, processor and exporter a pipeline names is
 * defined; every enabled extension is defined; nothing is defined but unused; `memory_limiter` comes first. Returns
 * the problems found (empty when the config is sound). Reusable on any collector config, generated or not.
 * @internal
 */
export function checkCollectorConfig(config: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(config)) return ['the config is not a mapping'];
  const section = (k: ComponentKind): Record<string, unknown> => {
    const s = config[k];
    if (s === undefined || s === null) return {};
    if (!isObject(s)) {
      problems.push(`"${k}" is not a mapping`);
      return {};
    }
    return s;
  };
  const defined: Record<ComponentKind, Record<string, unknown>> = {
    receivers: section('receivers'),
    processors: section('processors'),
    exporters: section('exporters'),
    extensions: section('extensions'),
  };
  for (const kind of Object.keys(defined) as ComponentKind[]) {
    for (const id of Object.keys(defined[kind])) {
      if (!COMPONENT_ID.test(id)) problems.push(`${kind} defines "${id}", which is not a component id (type[/name])`);
    }
  }
  const service = config.service;
  if (!isObject(service)) return [...problems, 'the config has no "service" mapping'];
  const pipelines = service.pipelines;
  if (!isObject(pipelines) || Object.keys(pipelines).length === 0) return [...problems, 'service.pipelines is empty: the collector would do nothing'];

  const used: Record<'receivers' | 'processors' | 'exporters', Set<string>> = { receivers: new Set(), processors: new Set(), exporters: new Set() };
  for (const [pid, p] of Object.entries(pipelines)) {
    if (!PIPELINE_ID.test(pid)) problems.push(`pipeline "${pid}" is not traces, metrics or logs (optionally /name)`);
    if (!isObject(p)) {
      problems.push(`pipeline "${pid}" is not a mapping`);
      continue;
    }
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const list = p[kind] ?? [];
      if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
        problems.push(`pipeline "${pid}" ${kind} is not a list of names`);
        continue;
      }
      if (kind !== 'processors' && list.length === 0) problems.push(`pipeline "${pid}" has no ${kind}`);
      const seen = new Set<string>();
      for (const name of list as string[]) {
        if (seen.has(name)) problems.push(`pipeline "${pid}" names ${kind.slice(0, -1)} "${name}" twice`);
        seen.add(name);
        used[kind].add(name);
        if (!(name in defined[kind])) problems.push(`pipeline "${pid}" names ${kind.slice(0, -1)} "${name}", which is not defined under ${kind}`);
      }
      if (kind === 'processors') {
        const i = (list as string[]).findIndex((n) => n === 'memory_limiter' || n.startsWith('memory_limiter/'));
        if (i > 0) problems.push(`pipeline "${pid}" runs memory_limiter at position ${i + 1}; it must come first to shed load before other work`);
      }
    }
  }
  for (const kind of ['receivers', 'processors', 'exporters'] as const) {
    for (const id of Object.keys(defined[kind])) {
      if (!used[kind].has(id)) problems.push(`${kind} defines "${id}", but no pipeline uses it`);
    }
  }
  const extensions = service.extensions ?? [];
  if (!Array.isArray(extensions)) {
    problems.push('service.extensions is not a list');
  } else {
    for (const e of extensions) {
      if (typeof e !== 'string' || !(e in defined.extensions)) problems.push(`service.extensions names "${String(e)}", which is not defined under extensions`);
    }
    for (const id of Object.keys(defined.extensions)) {
      if (!extensions.includes(id)) problems.push(`extensions defines "${id}", but service.extensions does not enable it`);
    }
  }
  // Extensions referenced as authenticators must be defined and enabled.
  for (const [kind, comps] of [['receivers', defined.receivers], ['exporters', defined.exporters]] as const) {
    for (const [id, settings] of Object.entries(comps)) {
      for (const auth of findAuthenticators(settings)) {
        if (!(auth in defined.extensions)) problems.push(`${kind.slice(0, -1)} "${id}" authenticates with "${auth}", which is not defined under extensions`);
      }
    }
  }
  return problems;
}

function findAuthenticators(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(findAuthenticators);
  if (!isObject(v)) return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k === 'auth' && isObject(x) && typeof x.authenticator === 'string') out.push(x.authenticator);
    else out.push(...findAuthenticators(x));
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Throws a ConfigError listing every problem `checkCollectorConfig` finds.
 * @internal
 */
export function assertCollectorConfig(prop: string, config: unknown): void {
  const problems = checkCollectorConfig(config);
  if (problems.length) throw new ConfigError(prop, `${problems.length} problem(s)`, 'a collector config whose pipelines name only defined, used components', problems.join('; '));
}

/** The collector config builder. */
export class CollectorConfig {
  private readonly components: Record<ComponentKind, Map<string, ComponentSettings>> = {
    receivers: new Map(),
    processors: new Map(),
    exporters: new Map(),
    extensions: new Map(),
  };
  private readonly pipelines = new Map<string, CollectorPipeline>();
  private telemetry?: ComponentSettings;

  /** Adds a receiver (ids are unique per kind). */
  public addReceiver(id: string, settings: ComponentSettings = {}): this {
    return this.add('receivers', id, settings);
  }

  /** Adds a processor (ids are unique per kind). */
  public addProcessor(id: string, settings: ComponentSettings = {}): this {
    return this.add('processors', id, settings);
  }

  /** Adds an exporter (ids are unique per kind). */
  public addExporter(id: string, settings: ComponentSettings = {}): this {
    return this.add('exporters', id, settings);
  }

  /** Adds an extension and enables it in `service.extensions`. */
  public addExtension(id: string, settings: ComponentSettings = {}): this {
    return this.add('extensions', id, settings);
  }

  /** Adds a pipeline (`traces`, `metrics`, `logs`, optionally `/name`). */
  public addPipeline(id: string, pipeline: CollectorPipeline): this {
    check(PIPELINE_ID.test(id), 'collector.pipelines', id, 'traces, metrics or logs, optionally followed by /name');
    check(!this.pipelines.has(id), 'collector.pipelines', id, 'each pipeline once');
    this.pipelines.set(id, { receivers: [...pipeline.receivers], processors: [...(pipeline.processors ?? [])], exporters: [...pipeline.exporters] });
    return this;
  }

  /** Sets the collector's own telemetry (`service.telemetry`). */
  public setTelemetry(settings: ComponentSettings): this {
    this.telemetry = settings;
    return this;
  }

  /** The ids defined for one kind, in insertion order. */
  public ids(kind: ComponentKind): string[] {
    return [...this.components[kind].keys()];
  }

  /**
   * The configuration as the plain object the collector reads: literal strings escaped (`$` as `$$`), CollectorEnv
   * values as references.
   */
  public toJson(): Record<string, unknown> {
    const obj = (m: Map<string, ComponentSettings>) =>
      Object.fromEntries([...m.entries()].map(([k, v]) => [k, renderSettings(v) as Record<string, unknown>]));
    const out: Record<string, unknown> = {};
    if (this.components.extensions.size) out.extensions = obj(this.components.extensions);
    out.receivers = obj(this.components.receivers);
    if (this.components.processors.size) out.processors = obj(this.components.processors);
    out.exporters = obj(this.components.exporters);
    const service: Record<string, unknown> = {};
    if (this.components.extensions.size) service.extensions = this.ids('extensions');
    service.pipelines = Object.fromEntries(
      [...this.pipelines.entries()].map(([id, p]) => [
        id,
        { receivers: [...p.receivers], ...(p.processors?.length ? { processors: [...p.processors] } : {}), exporters: [...p.exporters] },
      ]),
    );
    if (this.telemetry) service.telemetry = renderSettings(this.telemetry);
    out.service = service;
    return out;
  }

  /** Runs the structural check; throws a ConfigError naming every problem. */
  public validate(prop = 'collector.config'): this {
    assertCollectorConfig(prop, this.toJson());
    return this;
  }

  /** The configuration as YAML text (validated first). */
  public toYaml(): string {
    this.validate();
    // As the yaml library writes it (YAML 1.2, no line width), without loading it; quoted where go-yaml would misread.
    return emitYaml12(this.toJson());
  }

  private add(kind: ComponentKind, id: string, settings: ComponentSettings): this {
    check(COMPONENT_ID.test(id), `collector.${kind}`, id, 'a component id: a type in lowercase letters, digits and _, optionally /name');
    check(!this.components[kind].has(id), `collector.${kind}`, id, `each ${kind.slice(0, -1)} id once`);
    this.components[kind].set(id, settings);
    return this;
  }
}
