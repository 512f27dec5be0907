import { ConfigError } from '../core/errors';

/**
 * A Graphistry deployment tier. Tiers are ordered: each one renders everything the lower ones do, except the
 * platform tier's standalone nexus-proxy, which the engine's own nginx replaces from analytics up.
 *
 * - `PLATFORM`: Postgres, nexus and nexus-proxy (the auth foundation, no GPU services)
 * - `ANALYTICS`: adds the engine (nginx, forge-etl-python, dask-cuda-worker) and the ETL API
 * - `VIZ`: adds the streamgl services for browser visualization
 * - `FULL`: adds the remaining apps (pivot, notebook, graph-app-kit)
 */
export class Tier {
  /** nexus and nexus-proxy: accounts, the API, the landing pages. */
  public static readonly PLATFORM = new Tier('platform', 0);
  /** Adds Redis, the dask scheduler and the engine (nginx, forge-etl-python, dask-cuda-worker). */
  public static readonly ANALYTICS = new Tier('analytics', 1);
  /** Adds the streamgl containers: browser visualization. */
  public static readonly VIZ = new Tier('viz', 2);
  /** Adds pivot, the notebook and graph-app-kit. */
  public static readonly FULL = new Tier('full', 3);

  /** Every tier, lowest first. */
  public static readonly ALL: readonly Tier[] = [Tier.PLATFORM, Tier.ANALYTICS, Tier.VIZ, Tier.FULL];

  /** The tier with this name (`platform`, `analytics`, `viz`, `full`). */
  public static of(name: string, prop = 'tier'): Tier {
    const t = Tier.ALL.find((x) => x.name === name);
    if (!t) throw new ConfigError(prop, name, Tier.ALL.map((x) => x.name).join(', '));
    return t;
  }

  private constructor(
    /** The tier's name as operators write it. */
    public readonly name: string,
    /** Position in the order, 0 for platform. */
    public readonly level: number,
  ) {}

  /** True when this tier is `other` or higher (`tier.atLeast(Tier.VIZ)`). */
  public atLeast(other: Tier): boolean {
    return this.level >= other.level;
  }

  /** True when this tier is lower than `other`. */
  public below(other: Tier): boolean {
    return this.level < other.level;
  }

  /** True when this is exactly `other` (not "or above"). */
  public is(other: Tier): boolean {
    return this.level === other.level;
  }

  /** The tier's name. */
  public toString(): string {
    return this.name;
  }
}
