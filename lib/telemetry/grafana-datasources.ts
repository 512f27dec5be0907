import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { check } from '../core/errors';
import { Wiring } from '../core/wiring';
import { IWorkload } from '../core/workload';
import { emitYaml12 } from '../release/yaml';

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
  /**
   * Plugin-specific settings.
   * @default - none
   */
  readonly jsonData?: Readonly<Record<string, unknown>>;
}

/**
 * A literal string as Grafana's provisioning loader must read it. Grafana (11.2, the version TELEMETRY_IMAGES pins)
 * replaces `$NAME` and `${NAME}` in every value of a provisioning file with the environment variable and reads `$$`
 * as one literal `$`, so each `$` is doubled: a URL or header holding `$GF_SECURITY_ADMIN_PASSWORD` stays text
 * instead of leaking the admin password to the datasource.
 * @see https://grafana.com/docs/grafana/latest/administration/provisioning/#using-environment-variables
 * @internal
 */
export function escapeGrafanaProvisioning(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

function escapeDeep(v: unknown): unknown {
  if (typeof v === 'string') return escapeGrafanaProvisioning(v);
  if (Array.isArray(v)) return v.map(escapeDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDeep(x)]));
  return v;
}

/** A datasource served by a Service the app renders (its URL comes from Grafana's connection to it). */
export interface GrafanaServiceDatasource extends Omit<GrafanaDatasource, 'url'> {
  /** The Service Grafana's backend calls. */
  readonly endpoint: ServiceEndpoint;
  /**
   * The endpoint port.
   * @default - the endpoint's only port
   */
  readonly port?: string;
  /**
   * The path the API serves under (a route prefix).
   * @default - none
   */
  readonly path?: string;
}

/** The provisioning file builder. Datasources are not editable in the UI, so the file stays the source of truth. */
export class GrafanaDatasources {
  private readonly items: GrafanaDatasource[] = [];
  private readonly services: Array<{ readonly index: number; readonly ds: GrafanaServiceDatasource }> = [];

  /**
   * Adds a datasource served by a Service the app renders. Grafana records its connection to it when it binds the
   * datasources, and the URL (short Service name: Grafana runs in the Service's namespace) comes from that connection.
   */
  public addService(ds: GrafanaServiceDatasource): this {
    check(ds.endpoint instanceof ServiceEndpoint, `grafana.datasources[${this.items.length}].endpoint`, ds.endpoint, 'a Service endpoint');
    const { endpoint, port, path, ...rest } = ds;
    this.add({ ...rest, url: endpoint.url('http', port, { path, form: HostForm.SHORT }) });
    this.services.push({ index: this.items.length - 1, ds });
    return this;
  }

  /**
   * The datasources with Grafana's connections to the Services recorded in the wiring graph (URLs from the
   * connections). Grafana calls this with itself.
   */
  public bind(grafana: IWorkload): GrafanaDatasources {
    const out = new GrafanaDatasources();
    this.items.forEach((item, i) => {
      const svc = this.services.find((x) => x.index === i);
      if (!svc) {
        out.add(item);
        return;
      }
      const c = Wiring.of(grafana).connect(grafana, svc.ds.endpoint, svc.ds.port, { purpose: `${item.name} datasource` });
      out.add({ ...item, url: c.url('http', { path: svc.ds.path, form: HostForm.SHORT }) });
    });
    return out;
  }

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

  /** The provisioning file as a plain object, every string escaped for Grafana's `$` expansion. */
  public toJson(): Record<string, unknown> {
    return escapeDeep({
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
    }) as Record<string, unknown>;
  }

  /** The provisioning file as YAML text. */
  public toYaml(): string {
    // As the yaml library writes it (YAML 1.2, no line width), without loading it; quoted where go-yaml would misread.
    return emitYaml12(this.toJson());
  }
}
