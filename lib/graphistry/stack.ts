import { Construct } from 'constructs';
import { DeploymentRollout } from '../core/deployment';
import { ClusterDomain, ServiceEndpoint } from '../core/endpoint';
import { buildChild, check, ErrorCollector } from '../core/errors';
import { NetworkPolicies } from '../core/network';
import { ConnectionKind, IConnectable, Wiring } from '../core/wiring';
import { CaddyIngress, CaddyIngressProps } from '../ingress/caddy-ingress';
import { CaddyCookieSecret, CaddyLbFallback, CaddyProxyRoute, CaddyRouteAuth, CaddySessionRoute, CaddyUpstream, CADDY_HEALTH_PATH } from '../ingress/routing';
import { CaddyTls, CaddyTlsMode } from '../ingress/tls';
import { sizeQuantity } from '../core/resources';
import { Release } from '../release/release';
import { TelemetryStack, TelemetryStackProps } from '../telemetry/telemetry-stack';
import { DEFAULT_CUDA_VARIANT, DEFAULT_GRAPHISTRY_TAG } from './defaults';
import { EngineContainers, EngineContainerOptions, EngineDaemonSet, EngineDaemonSetProps } from './engine';
import { NexusProxy, NexusProxyProps } from './nexus-proxy';
import { GraphistryOtelSdkOptions, otelSdkEnv } from './otel';
import { stackNotes, OperatorIngressFacts, RouteSummary, storageTopologyWarning } from './notes';
import { renderedWorkloads } from './pod-security';
import { Postgres } from './postgres';
import { assertOperatorSecret, basicAuthSecretCommand, GRAPHISTRY_TELEMETRY_AUTH_SECRET, GraphistrySecretKind, optionalSecretName } from './secrets';
import { DaskScheduler } from './services/dask-scheduler';
import { GraphAppKit, GraphAppKitCredentials, GraphAppKitVariant, assertGakCredentials } from './services/graph-app-kit';
import { Nexus, NexusSettings } from './services/nexus';
import { Notebook } from './services/notebook';
import { Pivot } from './services/pivot';
import { Redis, RedisProps } from './services/redis';
import { GraphistryServiceOptions } from './services/workload';
import { GraphistryClaims, GraphistryStorage, GraphistryStorageProps } from './storage';
import { Tier } from './tier';

/** Name of the sticky cookie Caddy sets for non-session traffic. */
export const GRAPHISTRY_STICKY_COOKIE = 'graphistry_sticky';

/**
 * The viz session channels and the query key each carries the session id in. Caddy pins each by the value (HRW
 * hashing is key-agnostic), so every client of one session converges on the engine pod holding its state. Fixed:
 * session routing is part of the product, not a setting.
 */
export const GRAPHISTRY_SESSION_ROUTES: readonly CaddySessionRoute[] = [
  { name: 'streamgl', paths: ['/streamgl/*'], queryKey: 'id' },
  { name: 'viz', paths: ['/graph/socket.io*', '/graph/graph.html*'], queryKey: 'session' },
];

/** Caddy settings an operator chooses. The upstream, the session routes and the proxy routes follow from the tier. */
export interface GraphistryCaddyOptions
  extends Pick<CaddyIngressProps, 'tls' | 'accessLog' | 'image' | 'replicas' | 'topologySpread' | 'podDisruptionBudget' | 'resources' | 'runAsUser' | 'service' | 'ingress'> {
  /**
   * The HMAC key of the `graphistry_sticky` cookie (analytics and above). It pins a browser's non-session traffic to
   * one engine pod; it authenticates nothing. Every Caddy replica shares it.
   * Required from the analytics tier up (synthesis fails without it, naming the Secret to create); never defaulted.
   * @default - none
   */
  readonly cookieSecret?: CaddyCookieSecret;
  /**
   * Authentication of the Prometheus and Jaeger routes Caddy serves (analytics and above with self-hosted
   * telemetry; Grafana has its own login). Whoever reaches those paths can otherwise run any metrics query, list every
   * scrape target and read traces. Usually `CaddyRouteAuth.basic({ secretName })` with an operator-created Secret
   * holding `username` and `password-hash`; `CaddyRouteAuth.none({ reason })` turns it off with the reason in the
   * notes.
   * @default - none; required when those routes are rendered (synthesis fails naming the Secret to create)
   */
  readonly telemetryAuth?: CaddyRouteAuth;
  /**
   * How a browser without a valid cookie is first placed (analytics and above). The only routing choice an operator
   * makes: the viz session channels always hash the session value.
   * @default CaddyLbFallback.roundRobin()
   */
  readonly fallback?: CaddyLbFallback;
  /**
   * Render Caddy (the seed chart's `caddy.enabled`). `false` is the seed's Pattern B: the operator's own ingress
   * controller fronts `engine-headless` (nexus-proxy at the platform tier) and owns TLS termination and session
   * affinity. No Caddy object renders, `publicUrl` is required (nexus' cookie flags follow its scheme), no other
   * `caddy` setting may be given (it would be silently ignored), and the notes list what that ingress must do
   * (session affinity rules, health path, body size, WebSockets, the telemetry UIs' paths).
   * @default true
   */
  readonly enabled?: boolean;
}

/** Engine settings; the stack supplies tier, Postgres, claims, JWT Secret, tag and service names. */
export interface GraphistryEngineOptions
  extends Omit<EngineDaemonSetProps, 'tier' | 'postgres' | 'dataMountClaim' | 'localMediaMountClaim' | 'jwtSecret' | 'tag' | 'cudaVariant' | 'redis' | 'daskScheduler' | 'additionalExternalRefs' | 'cpuMode'> {}

/** nexus settings (its session and token lifetimes and Stripe webhook validation default to the seed chart's). */
export interface GraphistryNexusOptions extends GraphistryServiceOptions, NexusSettings {
  /**
   * Name of a Secret with feature credentials (LDAP, SMTP, OAuth, Slack, Stripe) by environment variable name,
   * loaded with `optional: true`.
   * @default - none
   */
  readonly optionalSecret?: string;
  /** @default 1 */
  readonly replicas?: number;
}

/** nexus-proxy settings (platform tier). */
export interface GraphistryNexusProxyOptions
  extends Pick<NexusProxyProps, 'image' | 'httpPort' | 'replicas' | 'env' | 'resources' | 'securityProfile' | 'placement'> {}

/** Settings of a GPU-capable service with its own node selection (notebook). */
export interface GraphistryGpuServiceOptions extends GraphistryServiceOptions {
  /**
   * RuntimeClass (`nvidia` when the NVIDIA runtime is not the node default).
   * @default - the cluster default
   */
  readonly runtimeClassName?: string;
}

/** One graph-app-kit variant. */
export interface GraphAppKitVariantOptions extends Omit<GraphistryServiceOptions, 'placement'> {
  /**
   * Deploy this variant (full tier) and render its views claim (every tier).
   * @default true
   */
  readonly enabled?: boolean;
}

/** graph-app-kit (full tier). */
export interface GraphistryGraphAppKitOptions extends Pick<GraphistryGpuServiceOptions, 'placement' | 'runtimeClassName'> {
  /**
   * The Graphistry account the dashboards log in with. Required at the full tier when a variant is enabled.
   * @default - none (synthesis fails at the full tier with the command that creates it)
   */
  readonly credentials?: GraphAppKitCredentials;
  /** @default - enabled, defaults */
  readonly public?: GraphAppKitVariantOptions;
  /** @default - enabled, defaults */
  readonly private?: GraphAppKitVariantOptions;
}

/** The telemetry stack's settings (its `partOf` is the stack's), and how the Graphistry containers export to it. */
export interface GraphistryTelemetryOptions extends Omit<TelemetryStackProps, 'partOf'> {
  /**
   * The OpenTelemetry SDK settings every instrumented Graphistry container gets as env defaults (the seed chart's
   * `otelEnv`): the OTLP export timeouts, the metric push interval and the metric export timeout.
   * @default - the seed's: 60 s export timeouts, metrics pushed every 60 s with a 30 s timeout
   */
  readonly sdk?: GraphistryOtelSdkOptions;
}

/** Props of GraphistryStack. */
export interface GraphistryStackProps {
  /** What to deploy: platform < analytics < viz < full. Changing it never touches storage. */
  readonly tier: Tier;
  /** Postgres (a separate release): every wait and every container that connects uses these settings. */
  readonly postgres: Postgres;
  /**
   * Name of the operator-created Secret with DJANGO_SECRET_KEY (nexus and the streamgl containers). Never generated.
   * @see GraphistrySecretKind.JWT for the command that creates it
   */
  readonly jwtSecret: string;
  /**
   * Name of the operator-created Secret with GRAPHISTRY_NEXUS_ENCRYPTION_KEYS, GRAPHISTRY_NEXUS_SIGNING_KEY and
   * GRAPHISTRY_NEXUS_SIGNING_SALT (nexus only). Never generated.
   * @see GraphistrySecretKind.NEXUS for the command that creates it
   */
  readonly nexusSecret: string;
  /**
   * Graphistry release tag of every Graphistry image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * CUDA variant suffix of the GPU images.
   * @default '13'
   */
  readonly cudaVariant?: string;
  /**
   * Run Graphistry's Python code without a GPU (`GRAPHISTRY_CPU_MODE=1`), set once for nexus, forge-etl-python and
   * dask-cuda-worker so they cannot disagree.
   * @default false
   */
  readonly cpuMode?: boolean;
  /**
   * The cluster's DNS domain (service FQDNs for Caddy's upstreams and nginx).
   * @default - the release's (`ReleaseProps.clusterDomain`, 'cluster.local' unless set)
   */
  readonly clusterDomain?: string;
  /**
   * The URL browsers use (`https://graphistry.example.com`), when neither the Ingress hosts nor the self-TLS domains
   * name it (an external load balancer's DNS name). Printed in the notes and given to Prometheus' external URL
   * (Grafana's root URL stays relative: `telemetry.grafana.rootUrl` sets an absolute one).
   * @default - `<scheme>://<first Ingress host or self-TLS domain>`, else none (the notes print a port-forward recipe)
   */
  readonly publicUrl?: string;
  /**
   * The PVCs (access mode, class, sizes, volume names). The graph-app-kit claims follow graphAppKit.*.enabled.
   * @default - ReadWriteOnce on 'retain-sc'
   */
  readonly storage?: Omit<GraphistryStorageProps, 'gakPublicEnabled' | 'gakPrivateEnabled'>;
  /**
   * Caddy, the L7 entry point at every tier.
   * @default - ingress TLS mode, ClusterIP Service, Ingress on every host; `cookieSecret` is required from analytics up
   */
  readonly caddy?: GraphistryCaddyOptions;
  /**
   * Telemetry: set to deploy the TelemetryStack. It renders at every tier, the platform tier included, which the seed
   * chart does not: there the telemetry objects are gated on analytics and above. Kept deliberately, because the
   * stack owns the Prometheus, Grafana and Jaeger claims: gating it would delete them on a downgrade to platform and,
   * with a Retain class, leave the volumes Released so a later upgrade's new claims sit Pending (the failure the seed
   * fixed for the Graphistry claims by rendering them at every tier). Its UIs get Caddy routes from analytics up in
   * self-hosted mode; at platform the notes give a port-forward. Leave `telemetry` unset for the seed's platform tier.
   * @default - no telemetry
   */
  readonly telemetry?: GraphistryTelemetryOptions;
  /**
   * How the CPU-side Deployments roll. Rolling keeps serving during an upgrade; with ReadWriteOnce claims on several
   * nodes choose Recreate, since a surge pod on another node could never attach them.
   * @default DeploymentRollout.rolling()
   */
  readonly rollout?: DeploymentRollout;
  /** @default - defaults; engine.placement places the engine pods relative to the release-wide placement */
  readonly engine?: GraphistryEngineOptions;
  /** @default - defaults */
  readonly nexus?: GraphistryNexusOptions;
  /** @default - defaults (platform tier only) */
  readonly nexusProxy?: GraphistryNexusProxyOptions;
  /** @default - defaults (analytics and above) */
  readonly redis?: Omit<RedisProps, 'rollout' | 'connections'>;
  /** @default - defaults (analytics and above) */
  readonly daskScheduler?: GraphistryServiceOptions;
  /** @default - defaults (full tier) */
  readonly pivot?: GraphistryServiceOptions;
  /** @default - defaults (full tier); notebook.placement places it relative to the release-wide placement */
  readonly notebook?: GraphistryGpuServiceOptions;
  /** @default - both variants enabled (full tier); credentials required then */
  readonly graphAppKit?: GraphistryGraphAppKitOptions;
}

/** The telemetry routes' authentication: required (never defaulted) once Caddy routes Prometheus and Jaeger. */
function telemetryRouteAuth(auth: CaddyRouteAuth | undefined, ns: string): CaddyRouteAuth {
  check(
    auth !== undefined,
    'caddy.telemetryAuth',
    auth,
    `CaddyRouteAuth.basic({ secretName: '${GRAPHISTRY_TELEMETRY_AUTH_SECRET}' }), CaddyRouteAuth.forward({...}) or CaddyRouteAuth.none({ reason })`,
    `Caddy routes /prometheus and /jaeger, which have no login of their own; create the account with ${basicAuthSecretCommand(GRAPHISTRY_TELEMETRY_AUTH_SECRET, ns)}`,
  );
  check(auth instanceof CaddyRouteAuth, 'caddy.telemetryAuth', auth, 'CaddyRouteAuth.basic({...}), .forward({...}) or .none({ reason })');
  return auth;
}

/** The settings every part of the stack is built from, validated once. */
interface StackSettings {
  readonly tier: Tier;
  readonly full: boolean;
  readonly analytics: boolean;
  readonly tag: string;
  readonly cudaVariant: string;
  readonly rollout: DeploymentRollout;
  readonly jwtSecret: string;
  readonly nexusSecret: string;
  readonly optionalSecret?: string;
  readonly gakPublicOn: boolean;
  readonly gakPrivateOn: boolean;
  readonly gakCredentials?: Required<GraphAppKitCredentials>;
  readonly tls: CaddyTls;
  /** Whether Caddy renders (`caddy.enabled`). */
  readonly caddyOn: boolean;
  /** The OpenTelemetry SDK env defaults of the instrumented containers (when telemetry is on). */
  readonly otelEnv: Readonly<Record<string, string>>;
}

/**
 * A complete Graphistry deployment at one tier: nexus and Caddy always; nexus-proxy at the platform tier; Redis,
 * dask-scheduler and the engine DaemonSet from analytics (with Caddy balancing the engine pods, viz sessions pinned
 * by session value); the streamgl containers from viz; pivot, the notebook and graph-app-kit at full. Storage renders
 * at every tier. Release-wide placement and images come from the enclosing Release; the engine, the notebook and
 * graph-app-kit may override the node selector (falling back to the release-wide one). The services connect to each
 * other through their endpoints, so every in-cluster address, wait and route is an edge of the wiring graph.
 */
export class GraphistryStack extends Construct {
  /** The tier the stack renders. */
  public readonly tier: Tier;
  /** The claims (rendered at every tier). */
  public readonly storage: GraphistryStorage;
  /** nexus (every tier). */
  public readonly nexus: Nexus;
  /** Caddy, the entry point (every tier), unless `caddy.enabled` is false (the operator's ingress fronts the stack). */
  public readonly caddy?: CaddyIngress;
  /** Platform tier only. */
  public readonly nexusProxy?: NexusProxy;
  /** Analytics and above. */
  public readonly redis?: Redis;
  /** Analytics and above. */
  public readonly daskScheduler?: DaskScheduler;
  /** Analytics and above. */
  public readonly engine?: EngineDaemonSet;
  /** Full tier. */
  public readonly pivot?: Pivot;
  /** Full tier. */
  public readonly notebook?: Notebook;
  /** Full tier, when enabled. */
  public readonly graphAppKitPublic?: GraphAppKit;
  /** Full tier, when enabled. */
  public readonly graphAppKitPrivate?: GraphAppKit;
  /** When telemetry is set. */
  public readonly telemetry?: TelemetryStack;
  /** The scheme browsers use (derived from Caddy's TLS mode and the Ingress TLS entries). */
  public readonly externalScheme: 'http' | 'https';
  /** The site URL when a host name is known. */
  public readonly siteUrl?: string;

  constructor(scope: Construct, id: string, props: GraphistryStackProps) {
    super(scope, id);
    const release = Release.of(this);
    // The stack's own prop checks run before any member is built, and all their errors are reported together (each
    // member then checks the props it is given).
    const errors = new ErrorCollector(this);
    const s = this.settings(props, release.releaseNamespace, errors);
    // Storage: at every tier, so no tier change ever removes or recreates a claim.
    const storage = errors.attempt(() =>
      this.member('Storage', 'storage', () => new GraphistryStorage(this, 'Storage', { ...props.storage, gakPublicEnabled: s.gakPublicOn, gakPrivateEnabled: s.gakPrivateOn }), {
        gakPublicEnabled: 'graphAppKit.public.enabled',
        gakPrivateEnabled: 'graphAppKit.private.enabled',
      }),
    );
    const site = this.site(props, s.tls, errors);
    errors.throwIfAny();
    this.tier = s.tier;
    this.storage = storage!;
    this.externalScheme = site.scheme;
    this.siteUrl = site.url;
    if (props.telemetry) {
      const { sdk: _sdk, ...telemetry } = props.telemetry;
      this.telemetry = this.member('Telemetry', 'telemetry', () => new TelemetryStack(this, 'Telemetry', { publicUrl: this.siteUrl, ...telemetry, partOf: 'graphistry' }));
    }

    if (s.analytics) {
      this.redis = this.member('Redis', 'redis', () => new Redis(this, 'Redis', { ...props.redis, rollout: s.rollout }));
      this.daskScheduler = this.member('DaskScheduler', 'daskScheduler', () => new DaskScheduler(this, 'DaskScheduler', {
        ...props.daskScheduler,
        tag: s.tag,
        cudaVariant: s.cudaVariant,
        rollout: s.rollout,
      }));
    }
    this.nexus = this.renderNexus(props, s);
    if (NexusProxy.rendersAt(s.tier)) {
      this.nexusProxy = this.member('NexusProxy', 'nexusProxy', () => new NexusProxy(this, 'NexusProxy', {
        ...props.nexusProxy,
        nexus: this.nexus.endpoint,
        ...this.claims(),
        tier: s.tier,
        tag: s.tag,
      }));
    }
    if (this.redis && this.daskScheduler) this.engine = this.renderEngine(props, s, this.redis, this.daskScheduler);
    if (s.full) {
      this.pivot = this.member('Pivot', 'pivot', () => new Pivot(this, 'Pivot', {
        ...props.pivot,
        connections: this.otel('pivot', s),
        postgres: props.postgres,
        dataMountClaim: GraphistryClaims.DATA_MOUNT,
        tag: s.tag,
        rollout: s.rollout,
      }));
      this.notebook = this.member('Notebook', 'notebook', () => new Notebook(this, 'Notebook', {
        ...props.notebook,
        dataMountClaim: GraphistryClaims.DATA_MOUNT,
        // Only claims the release renders: a mount of a missing claim leaves the pod in FailedMount.
        gakPublicClaim: s.gakPublicOn ? GraphistryClaims.GAK_PUBLIC : undefined,
        gakPrivateClaim: s.gakPrivateOn ? GraphistryClaims.GAK_PRIVATE : undefined,
        tag: s.tag,
        cudaVariant: s.cudaVariant,
        rollout: s.rollout,
      }));
      if (s.gakPublicOn)
        this.graphAppKitPublic = this.renderGraphAppKit(
          props,
          s,
          'GraphAppKitPublic',
          GraphAppKitVariant.PUBLIC,
          props.graphAppKit?.public,
          GraphistryClaims.GAK_PUBLIC,
        );
      if (s.gakPrivateOn)
        this.graphAppKitPrivate = this.renderGraphAppKit(
          props,
          s,
          'GraphAppKitPrivate',
          GraphAppKitVariant.PRIVATE,
          props.graphAppKit?.private,
          GraphistryClaims.GAK_PRIVATE,
        );
    }
    this.recordNginxRoutes();

    const routes: RouteSummary[] = [];
    if (s.caddyOn) {
      routes.push({ paths: CADDY_HEALTH_PATH, target: 'answered by Caddy (200, {"success": true}), never proxied' });
      this.caddy = this.renderCaddy(props, s, release, routes);
    } else {
      this.recordOperatorIngress(s);
    }
    // The notes and the storage topology warning read the workloads as they render: produced when the release's notes
    // are read (at synth, inside the render pass, which renders each workload once for them and for the release).
    const facts = {
      routes,
      operatorIngress: s.caddyOn ? undefined : this.operatorIngress(),
      jwtSecret: s.jwtSecret,
      nexusSecret: s.nexusSecret,
      optionalSecret: s.optionalSecret,
      gakCredentials: s.gakCredentials?.secretName,
    };
    release.addLazyNote(() => stackNotes(this, release, props, { ...facts, workloads: renderedWorkloads(this) }));
    release.addLazyWarning(() => {
      const split = storageTopologyWarning(this, renderedWorkloads(this));
      return split ? { text: split, fix: { scope: this, prop: 'storage.accessMode', value: 'StorageAccessMode.READ_WRITE_MANY' } } : undefined;
    });
  }

  /**
   * Builds a member whose props are the stack's `prefix` props: its errors name the prop as the stack's user wrote it.
   * What the stack sets itself (tag, rollout, the crypto Secrets) is named as the stack prop it comes from.
   */
  private member<T>(id: string, prefix: string, build: () => T, renames: Record<string, string> = {}): T {
    const fromStack = { tier: 'tier', tag: 'tag', cudaVariant: 'cudaVariant', rollout: 'rollout', postgres: 'postgres', jwtSecret: 'jwtSecret' };
    return buildChild(this, id, { prefix, renames: { ...fromStack, ...renames } }, build);
  }

  /**
   * Validates the stack-wide props: tier, Postgres, the crypto Secrets (first: without them nexus cannot start), tag,
   * rollout, graph-app-kit credentials, and the cluster domain everything below the stack resolves FQDNs against.
   */
  private settings(props: GraphistryStackProps, ns: string, errors: ErrorCollector): StackSettings {
    errors.check(props.tier instanceof Tier, 'tier', props.tier, 'Tier.PLATFORM, Tier.ANALYTICS, Tier.VIZ or Tier.FULL');
    errors.check(props.postgres instanceof Postgres, 'postgres', props.postgres, 'Postgres.external({...}) or Postgres.crunchy({...})');
    const tier = props.tier;
    const jwtSecret = errors.attempt(() => assertOperatorSecret(GraphistrySecretKind.JWT, props.jwtSecret, ns, 'jwtSecret'));
    const nexusSecret = errors.attempt(() => assertOperatorSecret(GraphistrySecretKind.NEXUS, props.nexusSecret, ns, 'nexusSecret'));
    if (jwtSecret !== undefined && nexusSecret !== undefined) {
      errors.check(
        jwtSecret !== nexusSecret,
        'nexusSecret',
        nexusSecret,
        `a Secret other than jwtSecret (${jwtSecret})`,
        'the JWT key is shared with the streamgl containers, the nexus keys must stay nexus-only',
      );
    }
    const optionalSecret = errors.attempt(() => optionalSecretName('nexus.optionalSecret', props.nexus?.optionalSecret));
    if (props.clusterDomain !== undefined) errors.attempt(() => ClusterDomain.configure(this, props.clusterDomain!));
    const rollout = props.rollout ?? DeploymentRollout.rolling();
    errors.check(rollout instanceof DeploymentRollout, 'rollout', rollout, 'DeploymentRollout.rolling({...}) or DeploymentRollout.recreate()');
    const full = tier instanceof Tier && tier.atLeast(Tier.FULL);
    const gak = props.graphAppKit ?? {};
    const gakPublicOn = gak.public?.enabled ?? true;
    const gakPrivateOn = gak.private?.enabled ?? true;
    return {
      tier,
      full,
      analytics: tier instanceof Tier && tier.atLeast(Tier.ANALYTICS),
      tag: props.tag ?? DEFAULT_GRAPHISTRY_TAG,
      cudaVariant: props.cudaVariant ?? DEFAULT_CUDA_VARIANT,
      rollout,
      jwtSecret: jwtSecret!,
      nexusSecret: nexusSecret!,
      optionalSecret,
      gakPublicOn,
      gakPrivateOn,
      gakCredentials:
        full && (gakPublicOn || gakPrivateOn)
          ? errors.attempt(() => assertGakCredentials('graphAppKit.credentials', gak.credentials, ns))
          : undefined,
      tls: props.caddy?.tls ?? CaddyTls.ingress(),
      caddyOn: this.caddyEnabled(props, errors),
      otelEnv: props.telemetry ? otelSdkEnv('telemetry.sdk', props.telemetry.sdk, errors) : {},
    };
  }

  /**
   * `caddy.enabled`. With Caddy off, the operator's ingress is the entry point: it needs the site URL (nexus' cookie
   * flags follow its scheme), and every other Caddy setting would be silently ignored, so giving one fails.
   */
  private caddyEnabled(props: GraphistryStackProps, errors: ErrorCollector): boolean {
    const enabled = props.caddy?.enabled ?? true;
    if (!errors.check(typeof enabled === 'boolean', 'caddy.enabled', enabled, 'true or false')) return true;
    if (enabled) return true;
    const ignored = Object.entries(props.caddy ?? {})
      .filter(([k, v]) => k !== 'enabled' && v !== undefined)
      .map(([k]) => `caddy.${k}`);
    errors.check(
      ignored.length === 0,
      ignored.join(', '),
      ignored.length ? props.caddy![ignored[0].slice('caddy.'.length) as keyof GraphistryCaddyOptions] : undefined,
      'unset when caddy.enabled is false',
      'they configure Caddy, which does not render; your ingress controller owns TLS, affinity and routing (see the notes)',
    );
    errors.check(
      props.publicUrl !== undefined,
      'publicUrl',
      undefined,
      'the URL your ingress serves, for example https://graphistry.example.com',
      "with caddy.enabled false the stack cannot derive it, and nexus' cookie flags (COOKIE_SECURE) follow its scheme",
    );
    return false;
  }

  /** The scheme browsers use (from Caddy's TLS mode, which nexus' cookie flags must agree with) and the site URL. */
  private site(props: GraphistryStackProps, tls: CaddyTls, errors: ErrorCollector): { scheme: 'http' | 'https'; url?: string } {
    if (props.caddy?.enabled === false) {
      // Pattern B: the operator's ingress terminates TLS; the URL it serves is the only source of the scheme.
      const m = props.publicUrl !== undefined ? /^(https?):\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/.exec(props.publicUrl) : null;
      if (props.publicUrl !== undefined) {
        errors.check(m !== null, 'publicUrl', props.publicUrl, 'a scheme and host without path, for example https://graphistry.example.com');
      }
      return { scheme: m?.[1] === 'https' ? 'https' : 'http', url: props.publicUrl };
    }
    const caddyOpts = props.caddy ?? {};
    const ingressEnabled = caddyOpts.ingress?.enabled ?? tls.mode !== CaddyTlsMode.SELF;
    const ingressTls = ingressEnabled ? (caddyOpts.ingress?.tls ?? []) : [];
    const scheme = tls.externalScheme(ingressTls.length > 0);
    const host = (tls.servesHttps ? tls.domains[0] : undefined) ?? (ingressEnabled ? caddyOpts.ingress?.hosts?.[0] : undefined);
    if (props.publicUrl !== undefined) {
      const m = /^(https?):\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/.exec(props.publicUrl);
      if (errors.check(m !== null, 'publicUrl', props.publicUrl, 'a scheme and host without path, for example https://graphistry.example.com')) {
        errors.check(
          m![1] === scheme,
          'publicUrl',
          props.publicUrl,
          `a ${scheme}:// URL`,
          `the Caddy TLS mode (${tls.mode}) makes the site ${scheme}, and nexus' cookie flags follow it`,
        );
      }
    }
    return { scheme, url: props.publicUrl ?? (host && !host.startsWith('*') ? `${scheme}://${host}` : undefined) };
  }

  /** The claims every Graphistry pod mounts. */
  private claims(): { dataMountClaim: string; localMediaMountClaim: string } {
    return { dataMountClaim: GraphistryClaims.DATA_MOUNT, localMediaMountClaim: GraphistryClaims.LOCAL_MEDIA_MOUNT };
  }

  /**
   * The application connects to the node-local collector when telemetry is on (env defaults; the user's env wins),
   * each container under its own service name: the engine's siblings share a pod, and without a name their spans
   * and metrics would all land under the SDK's `unknown_service`. The SDK settings (export timeouts, metric push
   * interval) are the seed chart's `otelEnv`, or `telemetry.sdk`.
   */
  private otel(service: string, s: StackSettings): IConnectable[] {
    const telemetry = this.telemetry;
    if (!telemetry) return [];
    return [
      {
        connect: (client) => {
          client.defaultEnv({ ENABLE_OPEN_TELEMETRY: 'true', ...s.otelEnv });
          telemetry.collector.connect(client, { serviceName: service });
        },
      },
    ];
  }

  /** nexus: Postgres, Redis (analytics and above), the crypto Secrets, the cookie flags from the site scheme. */
  private renderNexus(props: GraphistryStackProps, s: StackSettings): Nexus {
    return this.member('Nexus', 'nexus', () => new Nexus(this, 'Nexus', {
      ...props.nexus,
      cpuMode: props.cpuMode,
      connections: this.otel('nexus', s),
      postgres: props.postgres,
      redis: this.redis,
      jwtSecret: s.jwtSecret,
      requiredSecret: s.nexusSecret,
      optionalSecret: s.optionalSecret,
      externalScheme: this.externalScheme,
      ...this.claims(),
      tag: s.tag,
      rollout: s.rollout,
    }), { requiredSecret: 'nexusSecret', externalScheme: 'caddy.tls' });
  }

  /** The engine DaemonSet, every OpenTelemetry-capable container connected to the collector. */
  private renderEngine(props: GraphistryStackProps, s: StackSettings, redis: Redis, daskScheduler: DaskScheduler): EngineDaemonSet {
    const e = props.engine ?? {};
    const withOtel = <T extends EngineContainerOptions>(container: string, o: T | undefined): T | undefined =>
      this.telemetry ? ({ ...o, connections: [...(o?.connections ?? []), ...this.otel(container, s)] } as unknown as T) : o;
    return this.member('Engine', 'engine', () => new EngineDaemonSet(this, 'Engine', {
      ...e,
      forgeEtlPython: withOtel(EngineContainers.FORGE_ETL_PYTHON, e.forgeEtlPython),
      daskCudaWorker: withOtel(EngineContainers.DASK_CUDA_WORKER, e.daskCudaWorker),
      streamglViz: withOtel(EngineContainers.STREAMGL_VIZ, e.streamglViz),
      streamglSessions: withOtel(EngineContainers.STREAMGL_SESSIONS, e.streamglSessions),
      streamglGpu: withOtel(EngineContainers.STREAMGL_GPU, e.streamglGpu),
      tier: s.tier,
      postgres: props.postgres,
      ...this.claims(),
      jwtSecret: s.jwtSecret,
      tag: s.tag,
      cudaVariant: s.cudaVariant,
      cpuMode: props.cpuMode,
      redis,
      daskScheduler,
    }));
  }

  /** One graph-app-kit variant, calling Graphistry's API through the engine's `nginx` Service. */
  private renderGraphAppKit(
    props: GraphistryStackProps,
    s: StackSettings,
    id: string,
    variant: GraphAppKitVariant,
    o: GraphAppKitVariantOptions | undefined,
    claimName: string,
  ): GraphAppKit {
    const gak = props.graphAppKit ?? {};
    const group = { credentials: 'graphAppKit.credentials', placement: 'graphAppKit.placement', runtimeClassName: 'graphAppKit.runtimeClassName' };
    return this.member(id, `graphAppKit.${variant.name}`, () => new GraphAppKit(this, id, {
      image: o?.image,
      env: o?.env,
      resources: o?.resources,
      variant,
      claimName,
      credentials: s.gakCredentials!,
      graphistry: this.engine!.nginxEndpoint,
      placement: gak.placement,
      runtimeClassName: gak.runtimeClassName,
      tag: s.tag,
      cudaVariant: s.cudaVariant,
      rollout: s.rollout,
    }), group);
  }

  /** The engine's nginx proxies the API and the full tier's apps by name: those routes are edges of the graph. */
  private recordNginxRoutes(): void {
    const engine = this.engine;
    if (!engine) return;
    const targets: ServiceEndpoint[] = [this.nexus.endpoint];
    for (const w of [this.pivot, this.notebook, this.graphAppKitPublic, this.graphAppKitPrivate]) if (w) targets.push(w.endpoint);
    const wiring = Wiring.of(this);
    for (const t of targets)
      wiring.connect(engine, t, 'http', { container: EngineContainers.NGINX, kind: ConnectionKind.INGRESS, purpose: 'nginx route' });
  }

  /**
   * With Caddy off, the operator's ingress controller reaches the Services Caddy would: the backend (engine-headless,
   * nexus-proxy at the platform tier) and, from analytics up, the telemetry UIs the notes list. They are INGRESS edges
   * from the release's ingress controller peer (`NetworkPolicies.defaultDeny({ ingressController })`, the peer the
   * release admits for its Ingress objects), so a default-deny release admits the controller there and nowhere else.
   */
  private recordOperatorIngress(s: StackSettings): void {
    const wiring = Wiring.of(this);
    const controller = NetworkPolicies.of(this).ingressController;
    const purpose = "the operator's ingress (caddy.enabled false)";
    const backend = this.engine ? this.engine.headlessEndpoint : this.nexusProxy!.endpoint;
    wiring.connectFrom(controller, backend, undefined, { kind: ConnectionKind.INGRESS, purpose });
    if (this.telemetry && s.analytics)
      for (const r of this.telemetry.routes) wiring.connectFrom(controller, r.endpoint, r.port, { kind: ConnectionKind.INGRESS, purpose });
  }

  /**
   * With Caddy off, what the operator's ingress must front and how: the engine pool (nexus-proxy at the platform
   * tier), its health path, the session rules Caddy would apply, the upload size and the telemetry UIs' paths.
   */
  private operatorIngress(): OperatorIngressFacts {
    const engine = this.engine;
    const backend = engine ? engine.headlessEndpoint : this.nexusProxy!.endpoint;
    const port = backend.port().port;
    return {
      backend: { service: backend.name, port, address: backend.hostPort() },
      healthPath: '/healthz',
      sessionRoutes: engine ? GRAPHISTRY_SESSION_ROUTES : [],
      stickyCookie: engine ? GRAPHISTRY_STICKY_COOKIE : undefined,
      bodyLimit: engine ? sizeQuantity(engine.uploadsScratchSizeLimit) : undefined,
    };
  }

  /**
   * Caddy: the engine pool with session affinity from analytics up (session routes hash the session value, the rest
   * is pinned by the sticky cookie), nexus-proxy alone at the platform tier, and the telemetry UIs from analytics up.
   */
  private renderCaddy(props: GraphistryStackProps, s: StackSettings, release: Release, routes: RouteSummary[]): CaddyIngress {
    const caddyOpts = props.caddy ?? {};
    const ns = release.releaseNamespace;
    const telemetryRoutes: CaddyProxyRoute[] = [];
    if (this.telemetry && s.analytics) {
      for (const r of this.telemetry.routes) {
        const upstream = CaddyUpstream.service(r.endpoint, r.port);
        const auth = r.ui === 'grafana' ? undefined : telemetryRouteAuth(caddyOpts.telemetryAuth, ns);
        telemetryRoutes.push({ name: r.ui, pathPrefix: r.pathPrefix, upstream, auth });
        routes.push({ paths: `${r.pathPrefix}*`, target: `${upstream.address} (${r.ui})` });
      }
    }
    let upstream: CaddyUpstream;
    let sessionRoutes: readonly CaddySessionRoute[] = [];
    let stickyCookie: CaddyIngressProps['stickyCookie'];
    if (this.engine) {
      upstream = CaddyUpstream.pool(this.engine.headlessEndpoint);
      sessionRoutes = GRAPHISTRY_SESSION_ROUTES;
      const fallback = caddyOpts.fallback ?? CaddyLbFallback.roundRobin();
      check(
        caddyOpts.cookieSecret !== undefined,
        'caddy.cookieSecret',
        undefined,
        `CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret') naming an operator-created Secret`,
        `from the analytics tier up Caddy pins browsers with an HMAC cookie whose key is never defaulted; create it with kubectl -n ${ns} create secret generic graphistry-caddy-cookie --from-literal=cookie-secret="$(openssl rand -hex 32)"`,
      );
      stickyCookie = { name: GRAPHISTRY_STICKY_COOKIE, secret: caddyOpts.cookieSecret, fallback };
      for (const r of sessionRoutes)
        routes.push({ paths: r.paths.join(' '), target: `engine pool ${upstream.address}, pinned by the value of ?${r.queryKey}= (HRW)` });
      routes.push({
        paths: '/* (everything else)',
        target: `engine pool, pinned per browser by the ${GRAPHISTRY_STICKY_COOKIE} cookie; first assignment ${fallback.policy}`,
      });
    } else {
      if (caddyOpts.cookieSecret !== undefined || caddyOpts.fallback !== undefined) {
        release.addNote(
          'CADDY: cookieSecret and fallback apply from the analytics tier up (the engine pool); at the platform tier Caddy proxies to nexus-proxy alone.',
        );
      }
      upstream = CaddyUpstream.service(this.nexusProxy!.endpoint);
      routes.push({ paths: '/* (everything else)', target: `${upstream.address} (nexus-proxy: v1-to-v2 rewrites, then nexus)` });
    }
    const { cookieSecret: _c, fallback: _f, telemetryAuth: _a, ...caddyProps } = caddyOpts;
    // Caddy's props are the stack's caddy props, except the sticky cookie's, which the stack names itself.
    const renames = { 'stickyCookie.secret': 'caddy.cookieSecret', 'stickyCookie.fallback': 'caddy.fallback'};
    return this.member('Caddy', 'caddy', () => new CaddyIngress(this, 'Caddy', {
      ...caddyProps,
      name: 'caddy',
      partOf: 'graphistry',
      tls: s.tls,
      upstream,
      sessionRoutes,
      stickyCookie,
      proxyRoutes: telemetryRoutes,
    }), renames);
  }
}
