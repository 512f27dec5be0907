import { stringify } from 'yaml';
import { check } from '../core/errors';

/**
 * Typed builder for a Grafana datasource provisioning file (`provisioning/datasources/*.yaml`).
 * @see https://grafana.com/docs/grafana/latest/administration/provisioning/#data-sources
 */

/** One provisioned datasource. */
export interface GrafanaDatasource {
  /** Display name, unique in the organisation. */
  readonly name: string;
  /** Plugin type (`prometheus`, `jaeger`). */
  readonly type: string;
  /** Stable uid, so dashboards keep pointing at it across restarts. */
  readonly uid: string;
  /** URL Grafana's backend calls (server-side `proxy` access). */
  readonly url: string;
  /** @default false */
  readonly isDefault?: boolean;
  /** Plugin-specific settings. @default - none */
  readonly jsonData?: Readonly<Record<string, unknown>>;
}

/** The provisioning file builder. Datasources are not editable in the UI, so the file stays the source of truth. */
export class GrafanaDatasources {
  private readonly items: GrafanaDatasource[] = [];

  /** Adds a datasource; names and uids must be unique and at most one may be the default. */
  public add(ds: GrafanaDatasource): this {
    const prop = `grafana.datasources[${this.items.length}]`;
    check(ds.name.trim().length > 0, `${prop}.name`, ds.name, 'a non-empty name');
    check(/^[a-zA-Z0-9_-]{1,40}$/.test(ds.uid), `${prop}.uid`, ds.uid, "at most 40 letters, digits, '-' and '_'");
    check(/^[a-z][a-z0-9-]*$/.test(ds.type), `${prop}.type`, ds.type, 'a datasource plugin id such as prometheus or jaeger');
    check(/^https?:\/\/[^\s]+$/.test(ds.url), `${prop}.url`, ds.url, 'an http(s) URL');
    check(!this.items.some((d) => d.name === ds.name), `${prop}.name`, ds.name, 'a name not used by another datasource');
    check(!this.items.some((d) => d.uid === ds.uid), `${prop}.uid`, ds.uid, 'a uid not used by another datasource');
    check(!(ds.isDefault && this.items.some((d) => d.isDefault)), `${prop}.isDefault`, true, 'at most one default datasource');
    this.items.push(ds);
    return this;
  }

  /** The datasources in order. */
  public get datasources(): readonly GrafanaDatasource[] {
    return [...this.items];
  }

  /** The provisioning file as a plain object. */
  public toJson(): Record<string, unknown> {
    return {
      apiVersion: 1,
      datasources: this.items.map((d) => ({
        name: d.name,
        type: d.type,
        uid: d.uid,
        access: 'proxy',
        url: d.url,
        isDefault: d.isDefault ?? false,
        editable: false,
        ...(d.jsonData ? { jsonData: { ...d.jsonData } } : {}),
      })),
    };
  }

  /** The provisioning file as YAML text. */
  public toYaml(): string {
    return stringify(this.toJson(), { lineWidth: 0 });
  }
}
