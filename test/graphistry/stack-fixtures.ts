import { App } from 'cdk8s';
import { ExternalPeer } from '../../lib/core';
import { GraphistryStack, GraphistryStackProps, Postgres, Tier } from '../../lib/graphistry';
import { CaddyCookieSecret, CaddyRouteAuth } from '../../lib/ingress';
import { distFiles, Release, ReleaseProps, renderRelease, RenderedRelease } from '../../lib/release';
import { TelemetryMode } from '../../lib/telemetry';

export type Obj = Record<string, any>;

/** External Postgres on a non-default port, so every wait and env can be checked against 6432. */
export const POSTGRES = Postgres.external({
  host: 'postgres-primary.graphistry-db.svc.cluster.local',
  port: 6432,
  database: 'graphistry',
  user: 'graphistry',
  passwordSecret: { name: 'graphistry-postgres', key: 'password' },
  peer: ExternalPeer.cidr({ cidrs: ['10.30.0.0/24'], reason: 'the database network' }),
});

export const BASE: GraphistryStackProps = {
  tier: Tier.PLATFORM,
  postgres: POSTGRES,
  jwtSecret: 'graphistry-jwt',
  nexusSecret: 'graphistry-nexus',
  graphAppKit: { credentials: { secretName: 'gak-credentials' } },
  caddy: { cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret'), telemetryAuth: CaddyRouteAuth.basic({ secretName: 'telemetry-auth' }) },
};

export const SELF_HOSTED = { mode: TelemetryMode.selfHosted({ grafanaAdmin: { secretName: 'grafana-admin' } }) };

export interface Rendered {
  readonly stack: GraphistryStack;
  readonly release: Release;
  readonly rendered: RenderedRelease;
  readonly objects: Obj[];
  /** `Kind/name`, sorted. */
  readonly ids: string[];
  find(kind: string, name: string): Obj | undefined;
  get(kind: string, name: string): Obj;
  /** NOTES.txt as written beside the release folders. */
  readonly notesFile: string | undefined;
}

/** Synthesizes one GraphistryStack in its own release (namespace `gx`). */
export function renderStack(props: Partial<GraphistryStackProps> = {}, release: Partial<ReleaseProps> = {}): Rendered {
  const app = new App();
  const r = new Release(app, 'graphistry', { namespace: 'gx', ...release });
  const stack = new GraphistryStack(r, 'Graphistry', { ...BASE, ...props, caddy: { ...BASE.caddy, ...props.caddy } });
  const rendered = renderRelease(r);
  const objects = rendered.objects as Obj[];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  return {
    stack,
    release: r,
    rendered,
    objects,
    ids: objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    find,
    get: (kind, name) => {
      const o = find(kind, name);
      if (!o) throw new Error(`${kind}/${name} is not rendered`);
      return o;
    },
    notesFile: distFiles([rendered]).get('_reports/graphistry/NOTES.txt'),
  };
}

/** Every pod template (Deployments, DaemonSets, StatefulSets) by `Kind/name`. */
export function podSpecs(objects: readonly Obj[]): Array<{ id: string; spec: Obj }> {
  return objects.filter((o) => o.spec?.template?.spec).map((o) => ({ id: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }));
}

export { envOf } from '../support';

/** The Caddyfile text of a rendered stack. */
export function caddyfile(r: Rendered): string {
  return r.get('ConfigMap', 'caddy-caddyfile').data.Caddyfile;
}
