import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { EnvMap } from '../core/env';
import { check, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { assertDnsSubdomain } from '../core/names';
import { NodeSelection, Placement, Toleration } from '../core/placement';
import { forwardProps } from '../core/props';
import { stableStringify } from '../core/hash';
import { CaddyIngress, CaddyIngressProps } from '../ingress/caddy-ingress';
import { CaddyCookieSecret, CaddyLbFallback, CaddyProxyRoute, CaddyRouteAuth, CaddySessionRoute, CaddyUpstream, CADDY_HEALTH_PATH } from '../ingress/routing';
import { CaddyTls, CaddyTlsMode } from '../ingress/tls';
import { Release } from '../release/release';
import { TelemetryStack, TelemetryStackProps } from '../telemetry/telemetry-stack';
import { DEFAULT_CUDA_VARIANT, DEFAULT_GRAPHISTRY_TAG } from './defaults';
import { EngineContainers, EngineDaemonSet, EngineDaemonSetProps } from './engine';
import { NexusProxy, NexusProxyProps } from './nexus-proxy';
import { graphistryNotes, RouteSummary } from './notes';
import { podSecurityRequirement, renderedWorkloads } from './pod-security';
import { Postgres } from './postgres';
import { assertOperatorSecret, GraphistrySecretKind, optionalSecretName, pullSecretCreateCommand } from './secrets';
import { DaskScheduler } from './services/dask-scheduler';
import { GraphAppKit, GraphAppKitCredentials, GraphAppKitVariant, assertGakCredentials } from './services/graph-app-kit';
import { Nexus } from './services/nexus';
import { Notebook } from './services/notebook';
import { Pivot } from './services/pivot';
import { Redis, RedisProps } from './services/redis';
import { DeploymentRollout, GraphistryServiceOptions } from './services/workload';
import { GraphistryClaims, GraphistryStorage, GraphistryStorageProps, StorageAccessMode } from './storage';
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
}

/** Engine settings; the stack supplies tier, Postgres, claims, JWT Secret, tag and service names. */
export interface GraphistryEngineOptions
  extends Omit<EngineDaemonSetProps, 'tier' | 'postgres' | 'dataMountClaim' | 'localMediaMountClaim' | 'jwtSecret' | 'tag' | 'cudaVariant' | 'redisService' | 'daskSchedulerService' | 'clusterDomain' | 'additionalExternalRefs'> {}

/** nexus settings. */
export interface GraphistryNexusOptions extends GraphistryServiceOptions {
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
export interface GraphistryNexusProxyOptions extends Pick<NexusProxyProps, 'image' | 'httpPort' | 'replicas' | 'env' | 'resources' | 'securityProfile'> {}

/** Settings of a GPU-capable service with its own node selection (notebook). */
export interface GraphistryGpuServiceOptions extends GraphistryServiceOptions {
  /**
   * Node labels for this service; when empty the release-wide nodeSelector applies. On split pools point it at the
   * GPU pool.
   * @default {}
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Tolerations in addition to the release-wide ones.
   * @default []
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * RuntimeClass (`nvidia` when the NVIDIA runtime is not the node default).
   * @default - the cluster default
   */
  readonly runtimeClassName?: string;
}

/** One graph-app-kit variant. */
export interface GraphAppKitVariantOptions extends GraphistryServiceOptions {
  /**
   * Deploy this variant (full tier) and render its views claim (every tier).
   * @default true
   */
  readonly enabled?: boolean;
}

/** graph-app-kit (full tier). */
export interface GraphistryGraphAppKitOptions extends Omit<GraphistryGpuServiceOptions, keyof GraphistryServiceOptions> {
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

/** The telemetry stack's settings (its `partOf` is the stack's). */
export interface GraphistryTelemetryOptions extends Omit<TelemetryStackProps, 'partOf'> {}

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
   * The cluster's DNS domain (service FQDNs for Caddy's upstreams and nginx).
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * The URL browsers use (`https://graphistry.example.com`), when neither the Ingress hosts nor the self-TLS domains
   * name it (an external load balancer's DNS name). Printed in the notes and given to the telemetry UIs.
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
   * Telemetry: set to deploy the TelemetryStack (at every tier, so the tier never touches its claims). Its UIs get
   * Caddy routes at analytics and above in self-hosted mode.
   * @default - no telemetry
   */
  readonly telemetry?: GraphistryTelemetryOptions;
  /**
   * How the CPU-side Deployments roll. Rolling keeps serving during an upgrade; with ReadWriteOnce claims on several
   * nodes choose Recreate, since a surge pod on another node could never attach them.
   * @default DeploymentRollout.rolling()
   */
  readonly rollout?: DeploymentRollout;
  /** @default - defaults; engine.nodeSelector overrides the release-wide selector for the engine pods */
  readonly engine?: GraphistryEngineOptions;
  /** @default - defaults */
  readonly nexus?: GraphistryNexusOptions;
  /** @default - defaults (platform tier only) */
  readonly nexusProxy?: GraphistryNexusProxyOptions;
  /** @default - defaults (analytics and above) */
  readonly redis?: Omit<RedisProps, 'rollout'>;
  /** @default - defaults (analytics and above) */
  readonly daskScheduler?: GraphistryServiceOptions;
  /** @default - defaults (full tier) */
  readonly pivot?: GraphistryServiceOptions;
  /** @default - defaults (full tier); notebook.nodeSelector overrides the release-wide selector */
  readonly notebook?: GraphistryGpuServiceOptions;
  /** @default - both variants enabled (full tier); credentials required then */
  readonly graphAppKit?: GraphistryGraphAppKitOptions;
}

/** Secret name the notes and the error suggest for the telemetry routes' basic-auth account. */
export const GRAPHISTRY_TELEMETRY_AUTH_SECRET = 'graphistry-telemetry-auth';

/** The command that creates a basic-auth account Secret for Caddy (the hash from Caddy's own hash-password). */
export function basicAuthSecretCommand(secretName: string, ns: string, usernameKey = 'username', passwordHashKey = 'password-hash'): string {
  return `kubectl -n ${ns} create secret generic ${secretName} --from-literal=${usernameKey}=<user> --from-literal=${passwordHashKey}="$(caddy hash-password --plaintext '<password>')"`;
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

/** Name, class and ingress-nginx body-size limit of the rendered Ingress, read from the object itself. */
function ingressSummary(ingress: ApiObject): { name: string; className?: string; proxyBodySize?: string } {
  const json = ingress.toJson();
  return { name: ingress.name, className: json.spec?.ingressClassName, proxyBodySize: json.metadata?.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'] };
}

/** The notes line for the Postgres password Secret: its key, and how to create it unless PGO maintains it. */
function postgresSecretLine(postgres: Postgres, ns: string): string {
  const password = postgres.env().POSTGRES_PASSWORD;
  const key = typeof password === 'string' ? undefined : password.valueFrom.secretKeyRef?.key;
  const name = postgres.secretName;
  if (name.includes('-pguser-')) return `Secret ${name} (Postgres connection, maintained by PGO in this namespace)`;
  return `Secret ${name} (Postgres password${key ? `, key ${key}` : ''}; the database role's password, copied from where the Postgres release keeps it): ` +
    `kubectl -n ${ns} create secret generic ${name} --from-literal=${key ?? 'password'}="$POSTGRES_PASSWORD"`;
}

/**
 * A complete Graphistry deployment at one tier: nexus and Caddy always; nexus-proxy at the platform tier; Redis,
 * dask-scheduler and the engine DaemonSet from analytics (with Caddy balancing the engine pods, viz sessions pinned
 * by session value); the streamgl containers from viz; pivot, the notebook and graph-app-kit at full. Storage renders
 * at every tier. Release-wide placement and images come from the enclosing Release; the engine, the notebook and
 * graph-app-kit may override the node selector (falling back to the release-wide one).
 */
export class GraphistryStack extends Construct {
  public readonly tier: Tier;
  public readonly storage: GraphistryStorage;
  public readonly nexus: Nexus;
  public readonly caddy: CaddyIngress;
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
    const ns = release.releaseNamespace;
    // The stack's own prop checks run before any member is built, and all their errors are reported together (each
    // member then checks the props it is given).
    const errors = new ErrorCollector();
    errors.check(props.tier instanceof Tier, 'tier', props.tier, 'Tier.PLATFORM, Tier.ANALYTICS, Tier.VIZ or Tier.FULL');
    errors.check(props.postgres instanceof Postgres, 'postgres', props.postgres, 'Postgres.external({...}) or Postgres.crunchy({...})');
    // Crypto first: without these nexus cannot start, so a missing name is the first thing an operator must fix.
    const jwt = errors.attempt(() => assertOperatorSecret(GraphistrySecretKind.JWT, props.jwtSecret, ns, 'jwtSecret'));
    const nexus = errors.attempt(() => assertOperatorSecret(GraphistrySecretKind.NEXUS, props.nexusSecret, ns, 'nexusSecret'));
    if (jwt !== undefined && nexus !== undefined) {
      errors.check(jwt !== nexus, 'nexusSecret', nexus, `a Secret other than jwtSecret (${jwt})`, 'the JWT key is shared with the streamgl containers, the nexus keys must stay nexus-only');
    }
    const optionalSecret = errors.attempt(() => optionalSecretName('nexus.optionalSecret', props.nexus?.optionalSecret));
    const clusterDomain = errors.attempt(() => assertDnsSubdomain('clusterDomain', props.clusterDomain ?? 'cluster.local'), 'cluster.local');
    const rollout = props.rollout ?? DeploymentRollout.rolling();
    errors.check(rollout instanceof DeploymentRollout, 'rollout', rollout, 'DeploymentRollout.rolling({...}) or DeploymentRollout.recreate()');
    const tier = props.tier;
    const full = props.tier instanceof Tier && tier.atLeast(Tier.FULL);
    const gak = props.graphAppKit ?? {};
    const gakPublicOn = gak.public?.enabled ?? true;
    const gakPrivateOn = gak.private?.enabled ?? true;
    const gakCredentials = full && (gakPublicOn || gakPrivateOn) ? errors.attempt(() => assertGakCredentials('graphAppKit.credentials', gak.credentials, ns)) : undefined;

    // Storage: at every tier, so no tier change ever removes or recreates a claim.
    const storage = errors.attempt(() => new GraphistryStorage(this, 'Storage', { ...props.storage, gakPublicEnabled: gakPublicOn, gakPrivateEnabled: gakPrivateOn }));
    const dataMountClaim = GraphistryClaims.DATA_MOUNT;
    const localMediaMountClaim = GraphistryClaims.LOCAL_MEDIA_MOUNT;

    // Caddy's TLS mode decides the external scheme, which nexus' cookie flags must agree with.
    const caddyOpts = props.caddy ?? {};
    const tls = caddyOpts.tls ?? CaddyTls.ingress();
    const ingressEnabled = caddyOpts.ingress?.enabled ?? tls.mode !== CaddyTlsMode.SELF;
    const ingressTls = ingressEnabled ? caddyOpts.ingress?.tls ?? [] : [];
    this.externalScheme = tls.externalScheme(ingressTls.length > 0);
    const host = (tls.servesHttps ? tls.domains[0] : undefined) ?? (ingressEnabled ? caddyOpts.ingress?.hosts?.[0] : undefined);
    if (props.publicUrl !== undefined) {
      const m = /^(https?):\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/.exec(props.publicUrl);
      if (errors.check(m !== null, 'publicUrl', props.publicUrl, 'a scheme and host without path, for example https://graphistry.example.com')) {
        errors.check(m![1] === this.externalScheme, 'publicUrl', props.publicUrl, `a ${this.externalScheme}:// URL`, `the Caddy TLS mode (${tls.mode}) makes the site ${this.externalScheme}, and nexus' cookie flags follow it`);
      }
    }
    errors.throwIfAny();
    const jwtSecret = jwt!;
    const nexusSecret = nexus!;
    this.storage = storage!;
    this.tier = tier;
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    const cudaVariant = props.cudaVariant ?? DEFAULT_CUDA_VARIANT;
    const analytics = tier.atLeast(Tier.ANALYTICS);
    this.siteUrl = props.publicUrl ?? (host && !host.startsWith('*') ? `${this.externalScheme}://${host}` : undefined);

    if (props.telemetry) {
      this.telemetry = new TelemetryStack(this, 'Telemetry', { publicUrl: this.siteUrl, ...props.telemetry, partOf: 'graphistry' });
      forwardProps(this.telemetry, { prefix: 'telemetry' });
    }
    // Applications push OTLP to the node-local collector when telemetry is on (defaults; the user's env wins). Each
    // one names itself: the engine's siblings share a pod, and without a service name their spans and metrics would
    // all land under the SDK's `unknown_service`. The protocol is stated because the endpoint is the collector's gRPC
    // port and the OpenTelemetry SDKs disagree on their default (Python exporters speak gRPC, Node's http/protobuf).
    const telemetry = this.telemetry;
    const withOtel = (service: string, env: EnvMap | undefined): EnvMap | undefined =>
      telemetry
        ? { ENABLE_OPEN_TELEMETRY: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: telemetry.otlpGrpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: service, ...env }
        : env;

    this.nexus = new Nexus(this, 'Nexus', {
      ...props.nexus,
      env: withOtel('nexus', props.nexus?.env),
      postgres: props.postgres,
      jwtSecret,
      requiredSecret: nexusSecret,
      optionalSecret,
      externalScheme: this.externalScheme,
      dataMountClaim,
      localMediaMountClaim,
      redisUrl: analytics ? 'redis://redis:6379/0' : undefined,
      tag,
      rollout,
      clusterDomain,
    });

    if (NexusProxy.rendersAt(tier)) {
      this.nexusProxy = new NexusProxy(this, 'NexusProxy', { ...props.nexusProxy, tier, tag, dataMountClaim, localMediaMountClaim, clusterDomain });
    }

    if (analytics) {
      this.redis = new Redis(this, 'Redis', { ...props.redis, rollout });
      this.daskScheduler = new DaskScheduler(this, 'DaskScheduler', { ...props.daskScheduler, tag, cudaVariant, rollout });
      const e = props.engine ?? {};
      const containerEnv = <T extends { env?: EnvMap }>(container: string, o: T | undefined): T | undefined =>
        telemetry ? ({ ...o, env: withOtel(container, o?.env) } as T) : o;
      this.engine = new EngineDaemonSet(this, 'Engine', {
        ...e,
        forgeEtlPython: containerEnv(EngineContainers.FORGE_ETL_PYTHON, e.forgeEtlPython),
        daskCudaWorker: containerEnv(EngineContainers.DASK_CUDA_WORKER, e.daskCudaWorker),
        streamglViz: containerEnv(EngineContainers.STREAMGL_VIZ, e.streamglViz),
        streamglSessions: containerEnv(EngineContainers.STREAMGL_SESSIONS, e.streamglSessions),
        streamglGpu: containerEnv(EngineContainers.STREAMGL_GPU, e.streamglGpu),
        tier,
        postgres: props.postgres,
        dataMountClaim,
        localMediaMountClaim,
        jwtSecret,
        tag,
        cudaVariant,
        redisService: 'redis',
        daskSchedulerService: 'dask-scheduler',
        clusterDomain,
      });
    }

    if (full) {
      this.pivot = new Pivot(this, 'Pivot', { ...props.pivot, env: withOtel('pivot', props.pivot?.env), postgres: props.postgres, dataMountClaim, tag, rollout });
      this.notebook = new Notebook(this, 'Notebook', {
        ...props.notebook,
        dataMountClaim,
        // Only claims the release renders: a mount of a missing claim leaves the pod in FailedMount.
        gakPublicClaim: gakPublicOn ? GraphistryClaims.GAK_PUBLIC : undefined,
        gakPrivateClaim: gakPrivateOn ? GraphistryClaims.GAK_PRIVATE : undefined,
        tag,
        cudaVariant,
        rollout,
      });
      const variant = (cid: string, v: GraphAppKitVariant, o: GraphAppKitVariantOptions | undefined, claimName: string) =>
        new GraphAppKit(this, cid, {
          image: o?.image,
          env: o?.env,
          resources: o?.resources,
          variant: v,
          claimName,
          credentials: gakCredentials!,
          nodeSelector: gak.nodeSelector,
          tolerations: gak.tolerations,
          runtimeClassName: gak.runtimeClassName,
          tag,
          cudaVariant,
          rollout,
        });
      if (gakPublicOn) this.graphAppKitPublic = variant('GraphAppKitPublic', GraphAppKitVariant.PUBLIC, gak.public, GraphistryClaims.GAK_PUBLIC);
      if (gakPrivateOn) this.graphAppKitPrivate = variant('GraphAppKitPrivate', GraphAppKitVariant.PRIVATE, gak.private, GraphistryClaims.GAK_PRIVATE);
    }

    // Caddy: a single upstream (nexus-proxy) at platform, the engine pool with session affinity above it.
    const routes: RouteSummary[] = [{ paths: CADDY_HEALTH_PATH, target: 'answered by Caddy (200), never proxied' }];
    const telemetryRoutes: CaddyProxyRoute[] = [];
    if (this.telemetry && analytics) {
      for (const r of this.telemetry.routes) {
        const upstream = `${r.serviceName}.${ns}.svc.${clusterDomain}:${r.port}`;
        const auth = r.ui === 'grafana' ? undefined : telemetryRouteAuth(caddyOpts.telemetryAuth, ns);
        telemetryRoutes.push({ name: r.ui, pathPrefix: r.pathPrefix, upstream, auth });
        routes.push({ paths: `${r.pathPrefix}*`, target: `${upstream} (${r.ui})` });
      }
    }
    let upstream: CaddyUpstream;
    let sessionRoutes: readonly CaddySessionRoute[] = [];
    let stickyCookie: CaddyIngressProps['stickyCookie'];
    if (this.engine) {
      const pool = `${this.engine.headlessServiceName}.${ns}.svc.${clusterDomain}`;
      upstream = CaddyUpstream.dynamicA({ name: pool, port: this.engine.upstreamPort });
      sessionRoutes = GRAPHISTRY_SESSION_ROUTES;
      const fallback = caddyOpts.fallback ?? CaddyLbFallback.roundRobin();
      check(caddyOpts.cookieSecret !== undefined, 'caddy.cookieSecret', undefined, `CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret') naming an operator-created Secret`,
        `from the analytics tier up Caddy pins browsers with an HMAC cookie whose key is never defaulted; create it with kubectl -n ${ns} create secret generic graphistry-caddy-cookie --from-literal=cookie-secret="$(openssl rand -hex 32)"`);
      stickyCookie = { name: GRAPHISTRY_STICKY_COOKIE, secret: caddyOpts.cookieSecret, fallback };
      for (const s of sessionRoutes) routes.push({ paths: s.paths.join(' '), target: `engine pool ${pool}:${this.engine.upstreamPort}, pinned by the value of ?${s.queryKey}= (HRW)` });
      routes.push({ paths: '/* (everything else)', target: `engine pool, pinned per browser by the ${GRAPHISTRY_STICKY_COOKIE} cookie; first assignment ${fallback.policy}` });
    } else {
      if (caddyOpts.cookieSecret !== undefined || caddyOpts.fallback !== undefined) {
        release.addNote('CADDY: cookieSecret and fallback apply from the analytics tier up (the engine pool); at the platform tier Caddy proxies to nexus-proxy alone.');
      }
      const proxy = this.nexusProxy!;
      const address = `${proxy.service.name}.${ns}.svc.${clusterDomain}:${props.nexusProxy?.httpPort ?? 80}`;
      upstream = CaddyUpstream.single(address);
      routes.push({ paths: '/* (everything else)', target: `${address} (nexus-proxy: v1-to-v2 rewrites, then nexus)` });
    }
    const { cookieSecret: _c, fallback: _f, telemetryAuth: _a, ...caddyProps } = caddyOpts;
    this.caddy = new CaddyIngress(this, 'Caddy', {
      ...caddyProps,
      name: 'caddy',
      partOf: 'graphistry',
      tls,
      upstream,
      sessionRoutes,
      stickyCookie,
      proxyRoutes: telemetryRoutes,
    });
    // Caddy's props are the stack's caddy props, except the sticky cookie's, which the stack names itself.
    forwardProps(this.caddy, { prefix: 'caddy', renames: { 'stickyCookie.secret': 'caddy.cookieSecret', 'stickyCookie.fallback': 'caddy.fallback' } });

    this.addNotes(release, props, {
      routes,
      jwtSecret,
      nexusSecret,
      optionalSecret,
      gakCredentials: gakCredentials?.secretName,
      dashboards: full ? [...(gakPublicOn ? ['public'] : []), ...(gakPrivateOn ? ['private'] : [])] : [],
      clusterDomain,
    });
  }

  private addNotes(
    release: Release,
    props: GraphistryStackProps,
    x: { routes: RouteSummary[]; jwtSecret: string; nexusSecret: string; optionalSecret?: string; gakCredentials?: string; dashboards: string[]; clusterDomain: string },
  ): void {
    const ns = release.releaseNamespace;
    const secrets = [
      `Secret ${x.jwtSecret} (JWT signing key): ${GraphistrySecretKind.JWT.createCommand(x.jwtSecret, ns)}`,
      `Secret ${x.nexusSecret} (nexus keys): ${GraphistrySecretKind.NEXUS.createCommand(x.nexusSecret, ns)}`,
      postgresSecretLine(props.postgres, ns),
    ];
    if (x.optionalSecret) secrets.push(`Secret ${x.optionalSecret} (optional nexus feature credentials, by env var name; nexus starts without it)`);
    if (x.gakCredentials) secrets.push(`Secret ${x.gakCredentials} (graph-app-kit account, keys username and password)`);
    // Pull secrets: every one the release's pods name (Images settings of this stack's scope), so a release that
    // adds one never ships notes that forget it.
    const images = Images.of(this).settings;
    for (const name of images.pullSecrets ?? []) {
      secrets.push(`Secret ${name} (image pull secret${images.registry ? ` for ${images.registry.split('/')[0]}` : ", Docker Hub: Graphistry's images"}): ${pullSecretCreateCommand(name, ns, images.registry)}`);
    }
    const cookie = this.engine ? props.caddy?.cookieSecret?.secretRef : undefined;
    if (cookie) secrets.push(`Secret ${cookie.secretName} (Caddy sticky-cookie HMAC key): kubectl -n ${ns} create secret generic ${cookie.secretName} --from-literal=${cookie.key}="$(openssl rand -hex 32)"`);
    const routeAuth = this.telemetry && this.tier.atLeast(Tier.ANALYTICS) ? props.caddy?.telemetryAuth?.spec : undefined;
    if (routeAuth?.kind === 'basic') {
      secrets.push(`Secret ${routeAuth.secretName} (login of the Prometheus and Jaeger routes, bcrypt hash): ${basicAuthSecretCommand(routeAuth.secretName, ns, routeAuth.usernameKey, routeAuth.passwordHashKey)}`);
    }
    const other = [`StorageClass ${this.storage.storageClassName} (reclaimPolicy: Retain${this.storage.accessMode === StorageAccessMode.READ_WRITE_MANY ? ', ReadWriteMany-capable' : ''})`];

    const inCluster: Array<[string, string]> = [[`nexus (v2 API only)`, this.nexus.url]];
    if (this.nexusProxy) inCluster.unshift(['nexus-proxy (v1 and v2 API)', this.nexusProxy.url]);

    // Cluster prerequisites, read from the pods this stack renders (so they follow every prop that moves a pod).
    const workloads = renderedWorkloads(this);
    const globalSelector = stableStringify(Placement.of(this).nodeSelector);
    const bySelector = new Map<string, { selector: Record<string, string>; workloads: string[]; releaseWide: boolean }>();
    const anyNode: string[] = [];
    for (const w of workloads) {
      const selector: Record<string, string> = w.pod.nodeSelector ?? {};
      if (!Object.keys(selector).length) {
        anyNode.push(w.name);
        continue;
      }
      const key = stableStringify(selector);
      const entry = bySelector.get(key) ?? { selector, workloads: [], releaseWide: key === globalSelector };
      entry.workloads.push(w.name);
      bySelector.set(key, entry);
    }
    // The GPU workloads and the RuntimeClass each pod names, for the GPU runtime prerequisite.
    const gpuNames = [this.engine?.daemonSet, this.notebook?.deployment, this.graphAppKitPublic?.deployment, this.graphAppKitPrivate?.deployment, this.telemetry?.dcgmExporter?.daemonSet]
      .filter((o): o is ApiObject => o !== undefined)
      .map((o) => o.name);
    const gpuWorkloads = workloads.filter((w) => gpuNames.includes(w.name)).map((w) => ({ name: w.name, runtimeClassName: w.pod.runtimeClassName as string | undefined }));
    const namespaceRendered = release.node.findAll().some((c) => c instanceof ApiObject && c.kind === 'Namespace' && c.name === ns);

    for (const text of graphistryNotes({
      tier: this.tier,
      namespace: ns,
      siteUrl: this.siteUrl,
      caddyService: this.caddy.name,
      caddyServicePort: 80,
      routes: x.routes,
      inClusterUrls: inCluster,
      secretsToCreate: secrets,
      otherPrerequisites: other,
      accessMode: this.storage.accessMode,
      storageClassName: this.storage.storageClassName,
      claims: Object.keys(this.storage.claims),
      dashboards: x.dashboards,
      // The telemetry stack's own note points at the reverse proxy, which only routes the UIs from analytics up.
      unroutedTelemetryUis: this.telemetry && this.tier.below(Tier.ANALYTICS) ? this.telemetry.routes : undefined,
      // The release-wide selector first, then the workloads' own selectors in the order they render.
      nodeLabels: [...bySelector.values()].sort((a, b) => Number(b.releaseWide) - Number(a.releaseWide)),
      anyNodeWorkloads: anyNode,
      namespaceRendered,
      podSecurity: podSecurityRequirement(workloads),
      gpuWorkloads,
      ingress: this.caddy.ingress ? ingressSummary(this.caddy.ingress) : undefined,
      nginxResolver: this.engine
        ? { where: 'engine pods', prop: 'engine.nginx.env', value: this.engine.nginxResolver, clusterDomain: x.clusterDomain }
        : this.nexusProxy
          ? { where: 'nexus-proxy', prop: 'nexusProxy.env', value: this.nexusProxy.nginxResolver, clusterDomain: x.clusterDomain }
          : undefined,
      // The UIs Caddy routes (analytics and up); Grafana is the only one with a login of its own.
      routedTelemetryUis: this.telemetry && this.tier.atLeast(Tier.ANALYTICS)
        ? this.telemetry.routes.map((r) => ({ ...r, ownLogin: r.ui === 'grafana', auth: r.ui === 'grafana' ? undefined : props.caddy?.telemetryAuth?.spec }))
        : undefined,
    }).render()) {
      release.addNote(text);
    }

    // Pods that share ReadWriteOnce claims but are pinned to different node pools can never all start.
    if (this.storage.accessMode === StorageAccessMode.READ_WRITE_ONCE) {
      const global = Placement.of(this).nodeSelector;
      const key = (s: Readonly<Record<string, string>>) => stableStringify(s);
      const split: string[] = [];
      const check2 = (what: string, own: Readonly<Record<string, string>> | undefined, present: boolean) => {
        if (!present) return;
        const resolved = NodeSelection.fallback(own).resolve(global);
        if (key(resolved) !== key(global)) split.push(`${what} (${key(resolved)})`);
      };
      check2('engine', props.engine?.nodeSelector, this.engine !== undefined);
      check2('notebook', props.notebook?.nodeSelector, this.notebook !== undefined);
      check2('graph-app-kit', props.graphAppKit?.nodeSelector, this.graphAppKitPublic !== undefined || this.graphAppKitPrivate !== undefined);
      if (split.length) {
        release.addWarning(
          `STORAGE TOPOLOGY: the claims are ReadWriteOnce, but ${split.join(', ')} select other nodes than the release-wide selector (${key(global)}); ` +
            'pods on different nodes cannot attach the same ReadWriteOnce claim (Multi-Attach error). Use ReadWriteMany claims, from a StorageClass that provides them.',
          { scope: this, prop: 'storage.accessMode', value: 'StorageAccessMode.READ_WRITE_MANY' },
        );
      }
    }
  }
}
