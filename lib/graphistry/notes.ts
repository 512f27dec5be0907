import { ApiObject } from 'cdk8s';
import { CaddyRouteAuth } from '../ingress/routing';
import { ClusterDomain, ServiceEndpoint } from '../core/endpoint';
import { check } from '../core/errors';
import { stableStringify } from '../core/hash';
import { Images } from '../core/images';
import { Placement } from '../core/placement';
import { Release } from '../release/release';
import { renderApiObject } from '../release/render';
import { CADDY_HEALTH_PATH } from '../ingress/routing';
import { GPU_PRESENT_LABEL } from '../telemetry/dcgm-exporter';
import { TelemetryRoute } from '../telemetry/common';
import { VALKEY_PORT } from '../valkey/config';
import { EngineContainers } from './engine';
import { podSecurityRequirement, PodSecurityRequirement, RenderedWorkload } from './pod-security';
import { Postgres } from './postgres';
import { GRAPHISTRY_REDIS_DATABASE } from './services/defaults';
import type { Redis } from './services/redis';
import { basicAuthSecretCommand, GraphistrySecretKind, pullSecretCreateCommand } from './secrets';
import type { GraphistryStack, GraphistryStackProps } from './stack';
import { StorageAccessMode } from './storage';
import { Tier } from './tier';

/**
 * One titled block of operator notes.
 * @internal
 */
export interface NoteSection {
  /** Upper-case heading (`ACCESS`, `STORAGE TOPOLOGY`). */
  readonly title: string;
  /** Lines under it, in order. */
  readonly lines: readonly string[];
}

/**
 * Builds operator notes as titled sections with indented bullet lines, so every section reads the same and the text
 * is deterministic (no timestamps, stable order: the order sections and lines are added).
 * @internal
 */
export class OperatorNotes {
  private readonly sections: NoteSection[] = [];

  /** Adds a section. Empty sections are dropped. */
  public section(title: string, lines: readonly string[]): this {
    check(/^[A-Z0-9][A-Z0-9 ()/:,.-]*$/.test(title), 'notes.section.title', title, 'an upper-case heading');
    const kept = lines.map((l) => l.trimEnd()).filter((l) => l.length > 0);
    if (kept.length) this.sections.push({ title, lines: kept });
    return this;
  }

  /** The sections added so far. */
  public get all(): readonly NoteSection[] {
    return [...this.sections];
  }

  /** Each section as one paragraph: the heading, then one `- line` bullet per line. */
  public render(): string[] {
    return this.sections.map((s) => `${s.title}\n${s.lines.map((l) => `- ${l.trim()}`).join('\n')}`);
  }
}

/**
 * A route Caddy serves at the current tier, for the notes.
 * @internal
 */
export interface RouteSummary {
  /** Path pattern(s). */
  readonly paths: string;
  /** Where it goes and how it is balanced. */
  readonly target: string;
}

/**
 * With Caddy off (Pattern B), what the operator's ingress controller must front and how.
 * @internal
 */
export interface OperatorIngressFacts {
  /** The Service it routes to: `engine-headless` from analytics up, `nexus-proxy` at the platform tier. */
  readonly backend: { readonly service: string; readonly port: number; readonly address: string };
  /** The backend's health path (its nginx answers 200 when ready). */
  readonly healthPath: string;
  /** The viz session channels, each pinned by the value of one query key (none at the platform tier). */
  readonly sessionRoutes: ReadonlyArray<{ readonly paths: readonly string[]; readonly queryKey: string }>;
  /**
   * The per-browser sticky cookie Caddy would set for the rest (analytics and above).
   * @default - none (a single stateless backend)
   */
  readonly stickyCookie?: string;
  /**
   * The largest upload body (the engine's upload scratch), as a quantity.
   * @default - no engine
   */
  readonly bodyLimit?: string;
}

/**
 * What the notes need to know about a rendered stack.
 * @internal
 */
export interface GraphistryNotesInput {
  /** The tier the release renders. */
  readonly tier: Tier;
  /**
   * Where Postgres runs, when the app renders it: its release, namespace and Service.
   * @default - a separate release the app does not render
   */
  readonly postgresRelease?: { readonly release: string; readonly namespace: string; readonly service: string };
  /** The release namespace. */
  readonly namespace: string;
  /**
   * `https://viz.example.com` when a host name is known, else undefined (then a port-forward recipe is printed).
   * @default - none (a port-forward recipe is printed)
   */
  readonly siteUrl?: string;
  /**
   * Caddy's Service name and plain-HTTP port (for the port-forward recipe).
   * @default - Caddy is off: `operatorIngress` says what fronts the stack (and `siteUrl` is always set then)
   */
  readonly caddyService?: string;
  /**
   * Caddy's Service port for plain HTTP.
   * @default - Caddy is off
   */
  readonly caddyServicePort?: number;
  /**
   * Caddy's node ports (a NodePort or LoadBalancer Service), read from the rendered Service.
   * @default - none
   */
  readonly caddyNodePorts?: ReadonlyArray<{ readonly name: string; readonly nodePort: number }>;
  /**
   * With Caddy off, what the operator's ingress must do; the telemetry UIs it should route are `telemetryUisToRoute`.
   * @default - Caddy is the entry point
   */
  readonly operatorIngress?: OperatorIngressFacts;
  /**
   * With Caddy off, the telemetry UIs the operator's ingress should route (analytics and above).
   * @default - none
   */
  readonly telemetryUisToRoute?: ReadonlyArray<{
    readonly ui: string;
    readonly serviceName: string;
    readonly port: number;
    readonly pathPrefix: string;
    readonly ownLogin: boolean;
  }>;
  /** The routes Caddy serves, in order. */
  readonly routes: readonly RouteSummary[];
  /** In-cluster URLs (nexus, nexus-proxy) to print. */
  readonly inClusterUrls: ReadonlyArray<readonly [string, string]>;
  /** `kubectl create secret ...` lines for every Secret an operator must create first. */
  readonly secretsToCreate: readonly string[];
  /** Other objects to create first (StorageClass, ...). */
  readonly otherPrerequisites: readonly string[];
  /** The claims' access mode (`ReadWriteOnce` or `ReadWriteMany`). */
  readonly accessMode: string;
  /** The claims' StorageClass. */
  readonly storageClassName: string;
  /** Names of the claims. */
  readonly claims: readonly string[];
  /** Enabled graph-app-kit variants (full tier). */
  readonly dashboards: readonly string[];
  /**
   * Telemetry UIs that are deployed but get no Caddy route at this tier (self-hosted telemetry at the platform tier).
   * @default - none
   */
  readonly unroutedTelemetryUis?: ReadonlyArray<{
    readonly ui: string;
    readonly serviceName: string;
    readonly port: number;
    readonly pathPrefix: string;
  }>;
  /**
   * Telemetry UIs Caddy routes that have no login of their own (Prometheus, Jaeger), and the ones that do (Grafana).
   * @default - none routed
   */
  readonly routedTelemetryUis?: ReadonlyArray<{
    readonly ui: string;
    readonly pathPrefix: string;
    readonly serviceName: string;
    readonly port: number;
    readonly ownLogin: boolean;
    /**
     * How Caddy authenticates the route, when it is not the UI's own login.
     * @default - none (the route is open unless the UI has its own login)
     */
    readonly auth?: CaddyRouteAuth;
  }>;
  /**
   * The nginx that resolves service names at run time (engine from analytics up, nexus-proxy at platform): which one,
   * the prop that sets its NGINX_RESOLVER, and the value it gets (undefined when it comes from a reference).
   * @default - none
   */
  readonly nginxResolver?: { readonly where: string; readonly prop: string; readonly value?: string; readonly clusterDomain: ClusterDomain };
  /**
   * The Ingress in front of Caddy, when rendered: its name, IngressClass (undefined: the cluster default) and the
   * ingress-nginx body-size limit it sets.
   * @default - no Ingress
   */
  readonly ingress?: { readonly name: string; readonly className?: string; readonly proxyBodySize?: string };
  /**
   * Node labels the rendered pods select: one entry per distinct nodeSelector, with the workloads using it.
   * @default - none (no pod selects nodes)
   */
  readonly nodeLabels?: ReadonlyArray<{
    readonly selector: Readonly<Record<string, string>>;
    readonly workloads: readonly string[];
    readonly releaseWide?: boolean;
  }>;
  /**
   * Workloads without a nodeSelector (they run on any node).
   * @default - none
   */
  readonly anyNodeWorkloads?: readonly string[];
  /**
   * Whether the release renders its own Namespace object.
   * @default false
   */
  readonly namespaceRendered?: boolean;
  /**
   * The Pod Security level the namespace needs, derived from the rendered pods.
   * @default - not stated
   */
  readonly podSecurity?: PodSecurityRequirement;
  /**
   * The GPU workloads that render (engine, notebook, graph-app-kit, dcgm-exporter), each with the RuntimeClass its pod
   * names (undefined: the node's default runtime).
   * @default - none
   */
  readonly gpuWorkloads?: ReadonlyArray<{ readonly name: string; readonly runtimeClassName?: string }>;
  /**
   * The engine pods' GPU health checks (analytics and above): the pods' label selector, the container that runs
   * forge-etl-python and the port it binds (its `/cudfhealth` is called there, not through the pod's nginx).
   * @default - no engine, no section
   */
  readonly gpuHealth?: { readonly selector: Readonly<Record<string, string>>; readonly container: string; readonly port: number };
}

/** `a, b (reason; reason)` per group of workloads sharing the same reasons. */
function groupedByReasons(items: ReadonlyArray<{ readonly name: string; readonly reasons: readonly string[] }>): string {
  const groups = new Map<string, string[]>();
  for (const i of items) {
    const key = i.reasons.join('; ');
    groups.set(key, [...(groups.get(key) ?? []), i.name]);
  }
  return [...groups].map(([reasons, names]) => `${names.join(', ')} (${reasons})`).join('; ');
}

/**
 * The NODES AND NAMESPACE lines: namespace creation, its Pod Security level and the node labels placement needs.
 * @internal
 */
export function nodesAndNamespaceLines(i: GraphistryNotesInput): string[] {
  const lines: string[] = [];
  const ns = i.namespace;
  if (i.namespaceRendered) {
    lines.push(`Namespace ${ns} is rendered by this release.`);
  } else {
    lines.push(`Namespace ${ns} is not rendered by this release: set CreateNamespace=true in the Argo CD Application's syncOptions, or create it first (kubectl create namespace ${ns}).`);
  }
  const ps = i.podSecurity;
  if (ps) {
    const label = `pod-security.kubernetes.io/enforce=${ps.level}`;
    const how = `kubectl label namespace ${ns} ${label}` + (i.namespaceRendered ? '' : `, or with CreateNamespace=true the Application's spec.syncPolicy.managedNamespaceMetadata.labels`);
    if (ps.level === 'restricted') {
      lines.push(`Pod Security: every pod meets the restricted level, so the namespace may enforce it (${how}).`);
    } else {
      lines.push(
        `Pod Security: the namespace must admit the ${ps.level} level: ${how}. ` +
          'A namespace enforcing a stricter level (RKE2 with the CIS profile, OpenShift, hardened cluster defaults) rejects these pods at creation, and their workloads never get pods.',
      );
      if (ps.privileged.length) lines.push(`Privileged level needed by: ${groupedByReasons(ps.privileged)}.`);
      if (ps.baseline.length) lines.push(`Baseline level needed by: ${groupedByReasons(ps.baseline)}.`);
    }
  }
  const gpu = i.gpuWorkloads ?? [];
  const byClass = new Map<string, string[]>();
  const onDefault: string[] = [];
  for (const w of gpu) {
    if (w.runtimeClassName === undefined) onDefault.push(w.name);
    else byClass.set(w.runtimeClassName, [...(byClass.get(w.runtimeClassName) ?? []), w.name]);
  }
  for (const [rc, names] of byClass) {
    lines.push(
      `GPU runtime: ${names.join(', ')} ${names.length === 1 ? 'runs' : 'run'} under RuntimeClass ${rc}, which must exist and select the NVIDIA container runtime on the GPU nodes (k3s and the NVIDIA GPU Operator create it; check with kubectl get runtimeclass ${rc}). Without it their pods are rejected at creation.`,
    );
  }
  if (onDefault.length) {
    lines.push(
      `GPU runtime: ${onDefault.join(', ')} ${onDefault.length === 1 ? 'uses' : 'use'} the node's default container runtime, so the NVIDIA runtime must be the containerd default on the GPU nodes; otherwise the containers start without the GPU (CUDA and NVML calls fail). ` +
        "Where it is not the default (k3s, GPU Operator with RuntimeClass or CDI), set runtimeClassName: 'nvidia' (engine, notebook and graphAppKit props; telemetry dcgmExporter: DcgmExporterSource.bundled({ runtimeClassName })).",
    );
  }
  const nodeLabels = i.nodeLabels ?? [];
  if (!nodeLabels.length) {
    lines.push('Node labels: none required; no pod has a nodeSelector.');
  } else {
    for (const n of nodeLabels) {
      const pairs = Object.entries(n.selector).map(([k, v]) => `${k}=${v}`).join(',');
      const source = GPU_PRESENT_LABEL in n.selector
        ? 'set by NVIDIA GPU Feature Discovery or the GPU Operator on GPU nodes'
        : `kubectl label node <node> ${Object.entries(n.selector).map(([k, v]) => `${k}=${v}`).join(' ')}`;
      lines.push(`Nodes labelled ${pairs}${n.releaseWide ? ' (the release-wide nodeSelector)' : ''} for ${n.workloads.join(', ')} (${source}); without such a node they never run (Deployments stay Pending, DaemonSets create no pods).`);
    }
    if (i.anyNodeWorkloads?.length) lines.push(`Any node (no nodeSelector): ${i.anyNodeWorkloads.join(', ')}.`);
  }
  return lines;
}

/**
 * The tier-aware operator notes of a Graphistry release (what the seed chart prints as NOTES.txt).
 * @internal
 */
export function graphistryNotes(i: GraphistryNotesInput): OperatorNotes {
  const notes = new OperatorNotes();
  const base = i.siteUrl ?? 'http://localhost:8080';
  const tier = i.tier;

  notes.section(`GRAPHISTRY (${tier.name.toUpperCase()} TIER)`, [
    'Tiers: platform (nexus, nexus-proxy) < analytics (+ redis, dask-scheduler, engine: nginx, forge-etl-python, dask-cuda-worker) < viz (+ streamgl-viz, streamgl-sessions, streamgl-gpu) < full (+ pivot, notebook, graph-app-kit).',
    i.postgresRelease
      ? `Postgres is release ${i.postgresRelease.release} (Service ${i.postgresRelease.service} in namespace ${i.postgresRelease.namespace}): this release's clients connect to it, so Argo CD syncs it in an earlier wave; applied by hand, apply it first.`
      : 'Postgres is a separate release and must be running before this one syncs.',
  ]);

  notes.section('BEFORE SYNCING, CREATE', [...i.secretsToCreate, ...i.otherPrerequisites]);

  notes.section('NODES AND NAMESPACE', nodesAndNamespaceLines(i));

  const access: string[] = [];
  if (i.siteUrl) {
    access.push(`Site: ${i.siteUrl}/`);
  } else {
    access.push(`No host name is configured; for a test run: kubectl -n ${i.namespace} port-forward --address 0.0.0.0 svc/${i.caddyService} 8080:${i.caddyServicePort}, then open ${base}/`);
  }
  if (i.ingress) {
    const ing = i.ingress;
    if (ing.className !== undefined) {
      access.push(
        `Ingress ${ing.name} (class ${ing.className}) routes to Caddy: the ${ing.className} IngressClass and its controller must exist (kubectl get ingressclass ${ing.className}).` +
          (ing.proxyBodySize !== undefined ? ` Request bodies up to ${ing.proxyBodySize === '0' ? 'any size' : ing.proxyBodySize} pass it (proxy-body-size), so dataset uploads are not cut at the controller's 1m default.` : ''),
      );
    } else {
      access.push(
        `Ingress ${ing.name} names no IngressClass: the cluster's default IngressClass serves it, and without one no controller picks it up (set caddy.ingress.className). Check its request body limit: ingress-nginx cuts uploads above 1m by default (caddy.ingress.proxyBodySize with className 'nginx').`,
      );
    }
  }
  const nodePorts = i.caddyNodePorts ?? [];
  if (nodePorts.length) {
    access.push(
      `Caddy is published on ${nodePorts.map((p) => `port ${p.nodePort} (${p.name})`).join(' and ')} of every node: ` +
        `${nodePorts.map((p) => `${p.name}://<node address>:${p.nodePort}/`).join(', ')}; open them in the nodes' firewall.`,
    );
  }
  access.push(`Nexus landing page, login and dashboard: ${base}/ (every tier)`);
  if (tier.atLeast(Tier.ANALYTICS)) {
    access.push(`ETL REST API: ${base}/api/v2/ (analytics and above)`);
  } else {
    access.push('ETL REST API: not at the platform tier (the GPU backends render from analytics up); v2 ETL routes answer with upstream errors.');
  }
  if (tier.atLeast(Tier.VIZ)) {
    access.push(`Browser visualization: ${base}/graph/graph.html?dataset=<id> (viz and above)`);
  } else if (tier.is(Tier.ANALYTICS)) {
    access.push('Browser visualization (/graph/*) is NOT available at the analytics tier.');
    access.push('/streamgl/* requests (old session bookmarks, iframe embeds) answer 502 from the engine nginx at this tier: expected, not a fault.');
  }
  if (tier.atLeast(Tier.FULL)) {
    access.push(`Investigations (pivot): ${base}/pivot/; notebooks: ${base}/notebook/`);
    for (const d of i.dashboards) access.push(`Dashboards (${d}): ${base}/${d}/dash/`);
  }
  for (const [what, url] of i.inClusterUrls) access.push(`In-cluster ${what}: ${url}`);
  const unrouted = i.unroutedTelemetryUis ?? [];
  if (unrouted.length) {
    access.push(`Telemetry UIs have no Caddy route at the ${tier.name} tier (they get one from analytics up); until then:`);
    for (const u of unrouted) access.push(`${u.ui}: kubectl -n ${i.namespace} port-forward svc/${u.serviceName} ${u.port}:${u.port}, then http://localhost:${u.port}${u.pathPrefix}/`);
  }
  notes.section('ACCESS', access);

  notes.section('ROUTES (CADDY)', i.routes.map((r) => `${r.paths} -> ${r.target}`));
  if (i.operatorIngress) notes.section('YOUR INGRESS (CADDY OFF)', operatorIngressLines(i, i.operatorIngress));

  const routedUis = i.routedTelemetryUis ?? [];
  const guarded = routedUis.flatMap((u) => (!u.ownLogin && u.auth?.authenticates ? [{ ...u, auth: u.auth }] : []));
  if (guarded.length) notes.section('ROUTE LOGIN', guarded.map((u) => `${u.pathPrefix}/ (${u.ui}): ${u.auth.describe()}.`));
  const open = routedUis.filter((u) => !u.ownLogin && !u.auth?.authenticates);
  if (open.length) {
    const withLogin = routedUis.filter((u) => u.ownLogin);
    const paths = open.map((u) => `${u.pathPrefix}/ (${u.ui})`).join(' and ');
    notes.section('UNAUTHENTICATED ROUTES', [
      `${paths} ${open.length === 1 ? 'is' : 'are'} routed by Caddy without any authentication${open.map((u) => (u.auth?.disabledReason !== undefined ? ` (turned off: ${u.auth.disabledReason})` : '')).find((x) => x) ?? ''}: whoever reaches ${i.siteUrl ?? 'the site'} can run any metrics query, list every scrape target (node names, pod IPs) and read traces (request URLs, dataset and session ids).` +
        (withLogin.length ? ` ${withLogin.map((u) => `${u.pathPrefix}/ (${u.ui})`).join(', ')} has its own login.` : ''),
      `Restrict them in front of Caddy: allow ${open.map((u) => `${u.pathPrefix}/`).join(' and ')} only from trusted source ranges or behind your SSO proxy at the load balancer or Ingress controller, or block the paths there and use Grafana's Explore, which reaches Prometheus and Jaeger as datasources behind its login.`,
      `For a one-off look without any route: ${open.map((u) => `kubectl -n ${i.namespace} port-forward svc/${u.serviceName} ${u.port}:${u.port}`).join('; ')}.`,
    ]);
  }

  if (i.nginxResolver) {
    const r = i.nginxResolver;
    const m = r.value !== undefined ? /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\b/.exec(r.value) : null;
    notes.section('CLUSTER DNS', [
      r.value !== undefined
        ? `nginx (${r.where}) resolves service names through NGINX_RESOLVER=${r.value}; that DNS Service must exist${m ? ` (kubectl -n ${m[2]} get service ${m[1]})` : ''}, or nginx fails to start with "host not found in resolver".`
        : `nginx (${r.where}) takes NGINX_RESOLVER from a reference; it must name the cluster DNS Service, or nginx fails to start with "host not found in resolver".`,
      `Clusters name that Service differently: RKE2 ${r.clusterDomain.fqdn('rke2-coredns-rke2-coredns', 'kube-system')}, OpenShift ${r.clusterDomain.fqdn('dns-default', 'openshift-dns')}. Set ${r.prop}.NGINX_RESOLVER to the right name there.`,
    ]);
  }

  if (i.gpuHealth) {
    const g = i.gpuHealth;
    const selector = Object.entries(g.selector).map(([k, v]) => `${k}=${v}`).join(',');
    const eachPod = (cmd: string) =>
      `for p in $(kubectl -n ${i.namespace} get pods -l ${selector} -o name); do echo "$p"; kubectl -n ${i.namespace} exec "$p" -c ${g.container} -- ${cmd}; done`;
    notes.section('GPU HEALTH CHECKS', [
      `GPUs each engine pod sees: ${eachPod('nvidia-smi')}`,
      `RAPIDS (cuDF) on each pod's GPU: ${eachPod(`curl -fsS http://localhost:${g.port}/cudfhealth`)} (expect "cudfhealth: ok"; it is forge-etl-python's own port, not the pod's nginx dispatcher, which answers this path with its default response).`,
    ]);
  }

  const storage = [`Claims ${i.claims.join(', ')}: class ${i.storageClassName}, ${i.accessMode}; they render at every tier, so changing the tier never touches them.`];
  if (i.accessMode === 'ReadWriteOnce') {
    storage.push(
      'ReadWriteOnce declares a single-node install. Every Graphistry pod mounts these claims, so on a second node its pods stay in ContainerCreating with "Multi-Attach error for volume".',
      'Before adding a node: back the claims with an RWX class (NFS, EFS, CephFS, Longhorn RWX), migrate the data, and set storage.accessMode to StorageAccessMode.READ_WRITE_MANY (new claims; class and access mode are immutable).',
    );
  }
  notes.section('STORAGE TOPOLOGY', storage);
  return notes;
}

/**
 * Pattern B: what the operator's ingress controller must do in Caddy's place. Each line states the requirement, then
 * the ingress-nginx annotation that meets it (the common controller; others have equivalents).
 */
function operatorIngressLines(i: GraphistryNotesInput, o: OperatorIngressFacts): string[] {
  const https = i.siteUrl?.startsWith('https://') ?? false;
  const lines = [
    `caddy.enabled is false (the seed's Pattern B): no Caddy object renders, and your ingress controller is the entry point for ${i.siteUrl}. It owns TLS termination and session affinity.`,
    `Backend: Service ${o.backend.service} port ${o.backend.port} (${o.backend.address})${o.sessionRoutes.length ? ', a headless Service: balance over the pod IPs it lists (ingress-nginx does by default)' : ''}. Health check: GET ${o.healthPath} on that port answers 200 when the pod is ready (${CADDY_HEALTH_PATH} belongs to Caddy and does not exist here).`,
    https
      ? `${i.siteUrl} is HTTPS: terminate TLS at the ingress and pass X-Forwarded-Proto: https. nexus sets COOKIE_SECURE=True from this URL's scheme, so serving the site over plain HTTP breaks logins.`
      : `${i.siteUrl} is plain HTTP: nexus sets COOKIE_SECURE=False from this URL's scheme; switching the ingress to HTTPS means changing publicUrl too.`,
  ];
  for (const r of o.sessionRoutes) {
    lines.push(
      `${r.paths.join(' and ')}: pin each request by the value of the ?${r.queryKey}= query parameter, hashing the value only (ingress-nginx: an Ingress for these paths with nginx.ingress.kubernetes.io/upstream-hash-by: "$arg_${r.queryKey}").`,
    );
  }
  if (o.sessionRoutes.length > 1) {
    lines.push(
      `The ${o.sessionRoutes.map((r) => `?${r.queryKey}=`).join(' and ')} parameters carry the same session id: hash the same value over the same pod list, so every client of one session URL lands on one engine pod. Without it a shared session stops being collaborative and the pod's caches (ETL, GPU objects) are rebuilt elsewhere.`,
    );
  }
  if (o.sessionRoutes.some((r) => r.paths.some((p) => p.includes('socket.io')))) {
    lines.push('WebSockets: /graph/socket.io upgrades to a WebSocket that stays open for the whole session; allow the upgrade and long reads (ingress-nginx: proxy-read-timeout and proxy-send-timeout 3600).');
  }
  if (o.stickyCookie) {
    lines.push(
      `Everything else (landing page, nexus API, static assets, ETL uploads): pin each browser to one pod with a cookie (Caddy's was ${o.stickyCookie}; ingress-nginx: nginx.ingress.kubernetes.io/affinity: cookie on the catch-all Ingress).`,
    );
  }
  if (o.bodyLimit) {
    lines.push(
      `Request bodies: dataset uploads up to ${o.bodyLimit} (the engine's upload scratch, engine.uploadsScratchSizeLimit) must pass; ingress-nginx's 1m default answers 413 to every real upload (nginx.ingress.kubernetes.io/proxy-body-size).`,
    );
  }
  for (const u of i.telemetryUisToRoute ?? []) {
    lines.push(
      `${u.pathPrefix}/ -> Service ${u.serviceName} port ${u.port} (${u.ui}; keep the path prefix, the UI serves under it)${u.ownLogin ? '' : ': it has no login of its own, so restrict it at the ingress (source ranges or your SSO) or leave it unrouted'}.`,
    );
  }
  return lines;
}

/** The node ports of Caddy's Service, read from the object itself (its port names are http and https). */
function caddyNodePorts(service: ApiObject): Array<{ name: string; nodePort: number }> {
  const ports = (renderApiObject(service).spec?.ports ?? []) as Array<{ name?: string; nodePort?: number }>;
  return ports.filter((p) => p.nodePort !== undefined).map((p) => ({ name: p.name ?? 'http', nodePort: p.nodePort! }));
}

/** Name, class and ingress-nginx body-size limit of the rendered Ingress, read from the object itself. */
function ingressSummary(ingress: ApiObject): { name: string; className?: string; proxyBodySize?: string } {
  const json = renderApiObject(ingress);
  return { name: ingress.name, className: json.spec?.ingressClassName, proxyBodySize: json.metadata?.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'] };
}

/** The notes line for the Postgres password Secret: its key, and how to create it unless PGO maintains it. */
function postgresSecretLine(postgres: Postgres, ns: string): string {
  const password = postgres.env().POSTGRES_PASSWORD;
  const key = typeof password === 'string' ? undefined : password.valueFrom.secretKeyRef?.key;
  const name = postgres.secretName;
  if (name.includes('-pguser-')) return `Secret ${name} (Postgres connection, maintained by PGO in this namespace)`;
  const at = postgresReleaseOf(postgres);
  if (at && at.namespace !== ns) {
    const k = key ?? 'password';
    return `Secret ${name} (Postgres password, key ${k}: the same content as Secret ${name} in namespace ${at.namespace}, which release ${at.release} reads; Kubernetes hands a pod only its own namespace's Secrets): ` +
      `kubectl -n ${ns} create secret generic ${name} --from-literal=${k}="$(kubectl -n ${at.namespace} get secret ${name} -o jsonpath='{.data.${k.replace(/\./g, '\\.')}}' | base64 -d)"`;
  }
  return `Secret ${name} (Postgres password${key ? `, key ${key}` : ''}; the database role's password, copied from where the Postgres release keeps it): ` +
    `kubectl -n ${ns} create secret generic ${name} --from-literal=${key ?? 'password'}="$POSTGRES_PASSWORD"`;
}

/** The release, namespace and Service of a Postgres the app renders (`Postgres.server` of a PostgresServer), else undefined. */
function postgresReleaseOf(postgres: Postgres): { release: string; namespace: string; service: string } | undefined {
  const endpoint = postgres.server?.endpoint;
  if (!(endpoint instanceof ServiceEndpoint) || !endpoint.owner) return undefined;
  const r = Release.tryOf(endpoint.owner);
  return r ? { release: r.releaseName, namespace: endpoint.namespace, service: endpoint.name } : undefined;
}

/** A telemetry route as the notes print it (Service name and port number for port-forward recipes). */
function uiOf(r: TelemetryRoute): { ui: string; serviceName: string; port: number; pathPrefix: string } {
  return { ui: r.ui, serviceName: r.endpoint.name, port: r.endpoint.port(r.port).port, pathPrefix: r.pathPrefix };
}

/**
 * What the stack hands its notes beyond its own members.
 * @internal
 */
export interface StackNoteFacts {
  /** The routes Caddy serves, in order (none when Caddy is off). */
  readonly routes: readonly RouteSummary[];
  /**
   * With Caddy off, what the operator's ingress must front and how.
   * @default - Caddy renders
   */
  readonly operatorIngress?: OperatorIngressFacts;
  /** Name of the JWT Secret. */
  readonly jwtSecret: string;
  /** Name of the nexus crypto Secret. */
  readonly nexusSecret: string;
  /**
   * Name of the optional nexus feature Secret.
   * @default - none
   */
  readonly optionalSecret?: string;
  /**
   * Name of the graph-app-kit credentials Secret (full tier).
   * @default - none
   */
  readonly gakCredentials?: string;
  /** The stack's workloads as rendered now (`renderedWorkloads(stack)`, read once for the notes and the warning). */
  readonly workloads: readonly RenderedWorkload[];
}

/**
 * A Graphistry stack's operator notes for its release: the Secrets to create (pull secrets included: every one the
 * release's pods name), and the cluster prerequisites read from the pods the stack renders (`x.workloads`), so they
 * follow every prop that moves a pod.
 * @internal
 */
export function stackNotes(stack: GraphistryStack, release: Release, props: GraphistryStackProps, x: StackNoteFacts): string[] {
  const ns = release.releaseNamespace;
  const secrets = [
    `Secret ${x.jwtSecret} (JWT signing key): ${GraphistrySecretKind.JWT.createCommand(x.jwtSecret, ns)}`,
    `Secret ${x.nexusSecret} (nexus keys): ${GraphistrySecretKind.NEXUS.createCommand(x.nexusSecret, ns)}`,
    postgresSecretLine(props.postgres, ns),
  ];
  if (x.optionalSecret) secrets.push(`Secret ${x.optionalSecret} (optional nexus feature credentials, by env var name; nexus starts without it)`);
  if (x.gakCredentials) secrets.push(`Secret ${x.gakCredentials} (graph-app-kit account, keys username and password)`);
  const images = Images.of(stack).settings;
  for (const name of images.pullSecrets ?? []) {
    secrets.push(`Secret ${name} (image pull secret${images.registry ? ` for ${images.registry.split('/')[0]}` : ", Docker Hub: Graphistry's images"}): ${pullSecretCreateCommand(name, ns, images.registry)}`);
  }
  const cookieSecret = stack.engine && stack.caddy ? props.caddy?.cookieSecret : undefined;
  const cookie = cookieSecret?.secretRef;
  if (cookie) {
    const version = cookieSecret!.version;
    secrets.push(
      `Secret ${cookie.secretName} (Caddy sticky-cookie HMAC key): kubectl -n ${ns} create secret generic ${cookie.secretName} --from-literal=${cookie.key}="$(openssl rand -hex 32)". ` +
        `To rotate it: replace the content (kubectl -n ${ns} create secret generic ${cookie.secretName} --from-literal=${cookie.key}="$(openssl rand -hex 32)" --dry-run=client -o yaml | kubectl apply -f -), ` +
        `then bump caddy.cookieSecret's version (CaddyCookieSecret.fromSecret('${cookie.secretName}', '${cookie.key}', { version: '<new>' })${version !== undefined ? `, now '${version}'` : ''}) and sync: ` +
        'Caddy rolls with the new key (the version is in its checksum/config); browsers are re-pinned once.',
    );
  }
  const tls = stack.caddy?.tls;
  if (tls?.certificateSecret !== undefined) {
    const cn = tls.domains[0];
    secrets.push(
      `Secret ${tls.certificateSecret} (Caddy's TLS certificate, type kubernetes.io/tls, for ${tls.domains.join(', ')}): kubectl -n ${ns} create secret tls ${tls.certificateSecret} --cert=tls.crt --key=tls.key. ` +
        `A self-signed one for a lab: openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=${cn}" -addext "subjectAltName=${tls.domains.map((d) => `DNS:${d}`).join(',')}" -keyout tls.key -out tls.crt ` +
        '(browsers warn until its certificate is trusted; Caddy reads it at start, so restart Caddy after replacing it).',
    );
  }
  const routeAuth = stack.telemetry && stack.tier.atLeast(Tier.ANALYTICS) ? props.caddy?.telemetryAuth?.account : undefined;
  if (routeAuth) {
    secrets.push(`Secret ${routeAuth.secretName} (login of the Prometheus and Jaeger routes, bcrypt hash): ${basicAuthSecretCommand(routeAuth.secretName, ns, routeAuth.usernameKey, routeAuth.passwordHashKey)}`);
  }
  const redisSecret = stack.redis?.auth.password;
  if (redisSecret) {
    secrets.push(
      `Secret ${redisSecret.name} (Redis password, key ${redisSecret.key}; URL-safe, it goes into REDIS_URL as it is): ` +
        `kubectl -n ${ns} create secret generic ${redisSecret.name} --from-literal=${redisSecret.key}="$(openssl rand -hex 32)". ` +
        'Redis reads it at start: after changing it, restart redis, then nexus and the engine pods.',
    );
  }
  const other = [`StorageClass ${stack.storage.storageClassName} (reclaimPolicy: Retain${stack.storage.accessMode === StorageAccessMode.READ_WRITE_MANY ? ', ReadWriteMany-capable' : ''})`];

  const inCluster: Array<[string, string]> = [['nexus (v2 API only)', stack.nexus.endpoint.url('http', 'http')]];
  if (stack.nexusProxy) inCluster.unshift(['nexus-proxy (v1 and v2 API)', stack.nexusProxy.endpoint.url('http', 'http')]);

  const workloads = x.workloads;
  const globalSelector = stableStringify(Placement.of(stack).nodeSelector);
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
  const gpuNames = [
    stack.engine?.daemonSet,
    stack.notebook?.deployment,
    stack.graphAppKitPublic?.deployment,
    stack.graphAppKitPrivate?.deployment,
    stack.telemetry?.dcgmExporter?.daemonSet,
  ]
    .filter((o): o is NonNullable<typeof o> => o !== undefined)
    .map((o) => o.name);
  const gpuWorkloads = workloads
    .filter((w) => gpuNames.includes(w.name))
    .map((w) => ({ name: w.name, runtimeClassName: w.pod.runtimeClassName as string | undefined }));
  const namespaceRendered = release.node.findAll().some((c) => c instanceof ApiObject && c.kind === 'Namespace' && c.name === ns);
  const clusterDomain = ClusterDomain.of(stack);
  const dashboards = [...(stack.graphAppKitPublic ? ['public'] : []), ...(stack.graphAppKitPrivate ? ['private'] : [])];
  const telemetry = stack.telemetry;

  const notes = [...graphistryNotes({
    tier: stack.tier,
    postgresRelease: postgresReleaseOf(props.postgres),
    namespace: ns,
    siteUrl: stack.siteUrl,
    caddyService: stack.caddy?.endpoint.name,
    caddyServicePort: stack.caddy?.endpoint.port('http').port,
    operatorIngress: x.operatorIngress,
    caddyNodePorts: stack.caddy ? caddyNodePorts(stack.caddy.service) : undefined,
    telemetryUisToRoute: x.operatorIngress && telemetry && stack.tier.atLeast(Tier.ANALYTICS)
      ? telemetry.routes.map((r) => ({ ...uiOf(r), ownLogin: r.ui === 'grafana' }))
      : undefined,
    routes: x.routes,
    inClusterUrls: inCluster,
    secretsToCreate: secrets,
    otherPrerequisites: other,
    accessMode: stack.storage.accessMode,
    storageClassName: stack.storage.storageClassName,
    claims: Object.keys(stack.storage.claims),
    dashboards,
    // The telemetry stack's own note points at the reverse proxy, which only routes the UIs from analytics up.
    unroutedTelemetryUis: telemetry && stack.tier.below(Tier.ANALYTICS) ? telemetry.routes.map(uiOf) : undefined,
    // The release-wide selector first, then the workloads' own selectors in the order they render.
    nodeLabels: [...bySelector.values()].sort((a, b) => Number(b.releaseWide) - Number(a.releaseWide)),
    anyNodeWorkloads: anyNode,
    namespaceRendered,
    podSecurity: podSecurityRequirement(workloads),
    gpuWorkloads,
    gpuHealth: stack.engine
      ? { selector: stack.engine.selector, container: EngineContainers.FORGE_ETL_PYTHON, port: stack.engine.ports.forgeEtlPython }
      : undefined,
    ingress: stack.caddy?.ingress ? ingressSummary(stack.caddy.ingress) : undefined,
    nginxResolver: stack.engine
      ? { where: 'engine pods', prop: 'engine.nginx.env', value: stack.engine.nginxResolver, clusterDomain }
      : stack.nexusProxy
        ? { where: 'nexus-proxy', prop: 'nexusProxy.env', value: stack.nexusProxy.nginxResolver, clusterDomain }
        : undefined,
    // The UIs Caddy routes (analytics and up); Grafana is the only one with a login of its own.
    routedTelemetryUis: telemetry && stack.caddy && stack.tier.atLeast(Tier.ANALYTICS)
      ? telemetry.routes.map((r) => ({ ...uiOf(r), ownLogin: r.ui === 'grafana', auth: r.ui === 'grafana' ? undefined : props.caddy?.telemetryAuth }))
      : undefined,
  }).render()];
  if (stack.redis) notes.push(redisAuthNote(stack.redis, stack.tier));
  return notes;
}

/** Whether Graphistry's Redis asks for a password, who gets it, and, off by default, why. */
function redisAuthNote(redis: Redis, tier: Tier): string {
  const secret = redis.auth.password;
  if (!secret) {
    return `Redis authentication: off (${redis.auth.noneReason}). Whoever reaches port ${VALKEY_PORT} of Service ${redis.endpoint.name} reads and writes ` +
      "Graphistry's caches and queues: it is a ClusterIP Service, and under the release's default-deny NetworkPolicies only its wired clients reach it. " +
      "Turn it on with redis.auth: ValkeyAuth.password({ name, key }) of an operator-created Secret.";
  }
  const engine = ['forge-etl-python', 'dask-cuda-worker', ...(tier.atLeast(Tier.VIZ) ? ['streamgl-viz', 'streamgl-sessions', 'streamgl-gpu'] : [])];
  return `Redis authentication: on (requirepass from Secret ${secret.name} key ${secret.key}, written at start into a memory-backed config file). ` +
    `nexus and the engine's ${engine.join(', ')} get REDIS_PASSWORD from the Secret and REDIS_URL=redis://:$(REDIS_PASSWORD)@${redis.endpoint.name}:${VALKEY_PORT}/${GRAPHISTRY_REDIS_DATABASE}; ` +
    'the dask scheduler is not given Redis settings (the chart gives it none). An image that ignores the password in REDIS_URL fails with NOAUTH: turn auth off again if one does.';
}

/**
 * The STORAGE TOPOLOGY warning, or undefined: pods that share ReadWriteOnce claims but are pinned to other nodes than
 * the release-wide selector can never all start. `workloads` are the stack's, as `renderedWorkloads(stack)` reads them.
 * @internal
 */
export function storageTopologyWarning(stack: GraphistryStack, workloads: readonly RenderedWorkload[]): string | undefined {
  if (stack.storage.accessMode !== StorageAccessMode.READ_WRITE_ONCE) return undefined;
  const global = Placement.of(stack).nodeSelector;
  const key = (s: Readonly<Record<string, string>>) => stableStringify(s);
  const claims = new Set(Object.values(stack.storage.claims).map((c) => c.name));
  // Every pod of the stack that mounts one of its claims, read from the rendered object (so every placement prop is
  // covered, whichever workload it moves).
  const split = workloads
    .filter((w) => ((w.pod.volumes ?? []) as Array<{ persistentVolumeClaim?: { claimName?: string } }>).some((v) => claims.has(v.persistentVolumeClaim?.claimName ?? '')))
    .filter((w) => key(w.pod.nodeSelector ?? {}) !== key(global))
    .map((w) => `${w.name} (${key(w.pod.nodeSelector ?? {})})`);
  if (!split.length) return undefined;
  return `STORAGE TOPOLOGY: the claims are ReadWriteOnce, but ${split.join(', ')} select other nodes than the release-wide selector (${key(global)}); ` +
    'pods on different nodes cannot attach the same ReadWriteOnce claim (Multi-Attach error). Use ReadWriteMany claims, from a StorageClass that provides them.';
}
