import { k8s } from 'cdk8s-plus-28';
import { check, ConfigError, showValue } from './errors';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** An environment value that comes from somewhere other than a literal. */
export class EnvSource {
  /** The value of `key` in an existing Secret. */
  public static secret(name: string, key: string, options: { optional?: boolean } = {}): EnvSource {
    return new EnvSource({ secretKeyRef: { name, key, optional: options.optional } });
  }

  /** The value of `key` in a ConfigMap. */
  public static configMap(name: string, key: string, options: { optional?: boolean } = {}): EnvSource {
    return new EnvSource({ configMapKeyRef: { name, key, optional: options.optional } });
  }

  /** A field of the pod (`metadata.namespace`, `spec.nodeName`, `status.podIP`). */
  public static field(fieldPath: string): EnvSource {
    return new EnvSource({ fieldRef: { fieldPath } });
  }

  /** A resource of a container (`limits.memory`). */
  public static resource(resource: string, containerName?: string): EnvSource {
    return new EnvSource({ resourceFieldRef: { resource, containerName } });
  }

  private constructor(public readonly valueFrom: k8s.EnvVarSource) {}

  /** True when the value is read from a Secret. */
  public get fromSecret(): boolean {
    return this.valueFrom.secretKeyRef !== undefined;
  }
}

/** A literal string or a reference. */
export type EnvValue = string | EnvSource;

/** Environment variables by name. */
export type EnvMap = Readonly<Record<string, EnvValue>>;

/** A whole Secret or ConfigMap exposed as environment variables. */
export class EnvFrom {
  /** Every key of an existing Secret as env (optionally prefixed; `optional` lets the pod start without it). */
  public static secret(name: string, options: { optional?: boolean; prefix?: string } = {}): EnvFrom {
    return new EnvFrom({ secretRef: { name, optional: options.optional }, prefix: options.prefix });
  }

  /** Every key of a ConfigMap as env (optionally prefixed; `optional` lets the pod start without it). */
  public static configMap(name: string, options: { optional?: boolean; prefix?: string } = {}): EnvFrom {
    return new EnvFrom({ configMapRef: { name, optional: options.optional }, prefix: options.prefix });
  }

  private constructor(public readonly source: k8s.EnvFromSource) {}
}

/** Throws unless `name` is a valid environment variable name. */
export function assertEnvName(prop: string, name: string): string {
  check(ENV_NAME.test(name), prop, name, "an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit");
  return name;
}

/** Why a construct owns a key, for the message when the user tries to set it. */
export interface OwnedKeyHint {
  /**
   * What controls the key's value instead of env: a prop (`the 'streamglGpu.workers' prop`) or the wiring
   * (`the engine port plan`). The owned-key error says the value comes from it.
   * @default - "the construct's own wiring"
   */
  readonly controlledBy?: string;
}

/**
 * Builds a container's env list in a fixed order: keys the construct owns first (in the order it set them), then the
 * construct's defaults merged with the user's map (user wins per key), sorted by name. Owned keys cannot be set by the
 * user; every key appears once. None of this depends on the order of the calls: a key owned after the user set it is
 * rejected just like a user key set after it was owned, and a default never replaces the user's value.
 */
export class EnvBuilder {
  private readonly owned = new Map<string, EnvValue>();
  private readonly merged = new Map<string, EnvValue>();
  /** Keys the user set, with the prop path they came from (for messages). */
  private readonly userProps = new Map<string, string>();
  /** What controls each owned key that has a hint (for messages). */
  private readonly hints = new Map<string, OwnedKeyHint>();
  private readonly from: k8s.EnvFromSource[] = [];

  /**
   * @param owner who owns the construct-set keys, for messages (`EngineDaemonSet container nginx`)
   */
  constructor(private readonly owner: string) {}

  /**
   * Sets a key the construct owns: wiring that must stay authoritative (ports, hostnames).
   * @param hint what controls the value, named in the error when the user tries to set the key
   */
  public own(name: string, value: EnvValue, hint?: OwnedKeyHint): this {
    assertEnvName(`${this.owner}.env`, name);
    if (hint?.controlledBy !== undefined) {
      check(hint.controlledBy.trim().length > 0, `${this.owner}.env.${name}.controlledBy`, hint.controlledBy, 'a non-empty description of what sets the key');
    }
    if (this.owned.has(name)) {
      throw new ConfigError(`${this.owner}.env.${name}`, value, 'each owned key set once', `${name} is already set to ${showValue(describe(this.owned.get(name)!))}`);
    }
    if (this.merged.has(name)) {
      const userProp = this.userProps.get(name);
      // Otherwise both entries would render and Kubernetes would silently keep the later one.
      if (userProp !== undefined) throw this.ownedKeyError(userProp, name, this.merged.get(name)!, value, hint);
      throw this.ownedDefaultError(name, this.merged.get(name)!, value);
    }
    this.owned.set(name, value);
    if (hint) this.hints.set(name, hint);
    return this;
  }

  /**
   * Sets several owned keys.
   * @param hints per key, what controls its value (keys without a hint get the generic message)
   */
  public ownAll(values: EnvMap, hints: Readonly<Record<string, OwnedKeyHint>> = {}): this {
    for (const k of Object.keys(hints)) {
      check(k in values, `${this.owner}.env hints`, k, `a key this call owns (${Object.keys(values).join(', ') || 'none'})`);
    }
    for (const [k, v] of Object.entries(values)) this.own(k, v, hints[k]);
    return this;
  }

  /** Adds defaults the user may override. */
  public defaults(values: EnvMap): this {
    for (const [k, v] of Object.entries(values)) {
      assertEnvName(`${this.owner}.env`, k);
      if (this.owned.has(k)) throw this.ownedDefaultError(k, v, this.owned.get(k)!);
      // The user's value wins whether it was given before or after the default.
      if (!this.userProps.has(k)) this.merged.set(k, v);
    }
    return this;
  }

  /**
   * Adds the user's map over the defaults. A key the construct owns is rejected with a message naming the prop.
   * @param prop the user's prop path for messages (`engine.nginx.env`)
   */
  public user(values: EnvMap | undefined, prop: string): this {
    for (const [k, v] of Object.entries(values ?? {})) {
      assertEnvName(`${prop}`, k);
      if (this.owned.has(k)) throw this.ownedKeyError(prop, k, v, this.owned.get(k)!, this.hints.get(k));
      this.merged.set(k, v);
      this.userProps.set(k, prop);
    }
    return this;
  }

  private ownedKeyError(prop: string, k: string, userValue: EnvValue, ownedValue: EnvValue, hint: OwnedKeyHint | undefined): ConfigError {
    const owned = new Set([...this.owned.keys(), k]);
    const source = hint?.controlledBy ?? "the construct's own wiring";
    return new ConfigError(
      `${prop}.${k}`,
      describe(userValue),
      `any key except ${[...owned].join(', ')}`,
      `${k} is owned by ${this.owner} (it is set to ${showValue(describe(ownedValue))} from ${source}) and cannot be overridden`,
    );
  }

  /** A construct bug: a key both owned and defaulted would render twice. */
  private ownedDefaultError(k: string, defaultValue: EnvValue, ownedValue: EnvValue): ConfigError {
    return new ConfigError(
      `${this.owner}.env.${k}`,
      describe(defaultValue),
      'a default for a key the construct does not own',
      `${k} is owned by ${this.owner} (set to ${showValue(describe(ownedValue))}), so a default for it would render the key twice`,
    );
  }

  /** Adds an envFrom source. The same Secret or ConfigMap twice is rejected. */
  public envFrom(source: EnvFrom, prop = `${this.owner}.envFrom`): this {
    const key = JSON.stringify(source.source);
    check(!this.from.some((f) => JSON.stringify(f) === key), prop, source.source, 'each Secret or ConfigMap once');
    this.from.push(source.source);
    return this;
  }

  /** The env list (undefined when empty). */
  public build(): k8s.EnvVar[] | undefined {
    const out: k8s.EnvVar[] = [];
    for (const [name, v] of this.owned) out.push(toEnvVar(name, v));
    for (const name of [...this.merged.keys()].sort()) out.push(toEnvVar(name, this.merged.get(name)!));
    return out.length ? out : undefined;
  }

  /** The envFrom list (undefined when empty). */
  public buildFrom(): k8s.EnvFromSource[] | undefined {
    return this.from.length ? [...this.from] : undefined;
  }

  /** The resolved value of a key (owned or merged), for wiring and tests. */
  public get(name: string): EnvValue | undefined {
    return this.owned.get(name) ?? this.merged.get(name);
  }
}

function describe(v: EnvValue): unknown {
  return typeof v === 'string' ? v : v.valueFrom;
}

function toEnvVar(name: string, v: EnvValue): k8s.EnvVar {
  return typeof v === 'string' ? { name, value: v } : { name, valueFrom: v.valueFrom };
}

/**
 * Builds an env list from name/value pairs given as a list, rejecting duplicate names (a list, unlike a map, can
 * repeat a key, and Kubernetes silently keeps the last one).
 */
export function envFromPairs(prop: string, pairs: ReadonlyArray<readonly [string, EnvValue]>): k8s.EnvVar[] {
  const seen = new Set<string>();
  return pairs.map(([name, v], i) => {
    assertEnvName(`${prop}[${i}]`, name);
    check(!seen.has(name), `${prop}[${i}]`, name, 'each name once', `${name} appears twice`);
    seen.add(name);
    return toEnvVar(name, v);
  });
}
