import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { DeploymentRollout, renderDeployment } from '../core/deployment';
import { ExternalEndpoint, ExternalPeer, ServiceEndpoint } from '../core/endpoint';
import { Wiring } from '../core/wiring';
import { EnvBuilder, EnvSource } from '../core/env';
import { check, ConfigError, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { assertLabelKey, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName, isDnsSubdomain } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { ExternalRef, policyExceptionAnnotations } from '../core/policy';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { ServicePortOptions } from '../core/service';
import { assertIp, assertNodePort, assertReplicas, assertUid, assertWildcardHost } from '../core/validate';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { buildResolvedCaddyfile, CADDY_TLS_MOUNT, CaddyfileProps, ResolvedCaddyfileProps, resolveCaddyfileProps } from './caddy-config';
import { Caddyfile } from './caddyfile';
import { CADDY_COOKIE_SECRET_ENV, CADDY_HEALTH_PATH } from './routing';
import { CaddyTls, CaddyTlsMode } from './tls';

/** Directory the Caddyfile ConfigMap is mounted at. */
export const CADDY_CONFIG_MOUNT = '/etc/caddy/config';

/**
 * The Caddy image and what it ships: the probe style depends on it (exec `curl` where the image has curl, an HTTP GET
 * where it does not).
 */
export class CaddyImage {
  /** Graphistry's wrapper image: Caddy 2.11 with curl. */
  public static readonly DEFAULT_WRAPPER = 'graphistry/caddy:v2.50.7-universal';
  /**
   * The official image (Alpine, no curl). 2.11.2 is the first release that keeps passive-health state for a `dynamic`
   * pool, which the pool failover (`CaddyPoolFailoverOptions`) relies on for pinned requests.
   */
  public static readonly DEFAULT_UPSTREAM = 'caddy:2.11.2-alpine';

  /**
   * An image bundling Caddy (>= 2.8) with curl, probed with an exec `curl` on the health path (the default, Graphistry's
   * wrapper image).
   */
  public static wrapper(ref: string = CaddyImage.DEFAULT_WRAPPER): CaddyImage {
    return new CaddyImage(ref, true);
  }

  /**
   * The official Caddy image (or another without curl), probed with an HTTP GET. The escape hatch when the wrapper
   * lags a Caddy fix you need. Needs Caddy >= 2.8 for the rendered Caddyfile (`lb_policy query`, `log_skip`).
   */
  public static upstream(ref: string = CaddyImage.DEFAULT_UPSTREAM): CaddyImage {
    return new CaddyImage(ref, false);
  }

  private constructor(
    /** The image reference (resolved through `Images.of(scope)` when rendered). */
    public readonly ref: string,
    /** Whether the image has curl for exec probes. */
    public readonly hasCurl: boolean,
  ) {}
}

/** `externalTrafficPolicy` of a NodePort or LoadBalancer Service. */
export enum CaddyExternalTrafficPolicy {
  /** Any node forwards to any Caddy pod (client IP is replaced by the node's). */
  CLUSTER = 'Cluster',
  /** Only nodes running a Caddy pod accept traffic; keeps the client IP. */
  LOCAL = 'Local',
}

/** Options for a NodePort Service. */
export interface CaddyNodePortOptions {
  /**
   * Why Caddy must be reachable on a port of every node (an external load balancer in front of the nodes, bare
   * metal): recorded as the `policy.ops-kit.io/node-port` exception on the Service (for a LoadBalancer, as the
   * `load-balancer` exception).
   */
  readonly reason: string;
  /**
   * Who connects from outside the cluster: the external load balancer's (or the users') addresses,
   * `ExternalPeer.cidr({ cidrs, reason })`, or `ExternalPeer.anywhere({ reason })`. Caddy's NetworkPolicy admits them
   * on its ports (and, with `externalTrafficPolicy: Cluster`, the release's `nodes`, from which kube-proxy forwards).
   */
  readonly clients: ExternalPeer;
  /**
   * Node port for HTTP.
   * @default - allocated by Kubernetes
   */
  readonly nodePort?: number;
  /**
   * Node port for HTTPS (self TLS mode only).
   * @default - allocated by Kubernetes
   */
  readonly nodePortHttps?: number;
  /** @default - Kubernetes default (Cluster) */
  readonly externalTrafficPolicy?: CaddyExternalTrafficPolicy;
}

/** Options for a LoadBalancer Service. */
export interface CaddyLoadBalancerOptions extends CaddyNodePortOptions {
  /**
   * A fixed IP for the load balancer (MetalLB, some clouds). Deprecated by Kubernetes in favour of provider
   * annotations, still widely honoured.
   * @default - allocated by the provider
   */
  readonly loadBalancerIP?: string;
}

/** The type of Caddy's Service, as factories so type-specific fields cannot be set on the wrong type. */
export class CaddyServiceType {
  /** In-cluster only (behind a cluster Ingress): the default. */
  public static clusterIp(): CaddyServiceType {
    return new CaddyServiceType('ClusterIP', {});
  }

  /** Exposed on every node's port (an external load balancer, Tanzu, bare metal). */
  public static nodePort(options: CaddyNodePortOptions): CaddyServiceType {
    check(typeof options?.reason === 'string' && options.reason.trim().length > 0, 'service.type.reason', options?.reason, 'a non-empty reason why every node must serve Caddy (recorded as the node-port policy exception)');
    checkNodePorts(options);
    return new CaddyServiceType('NodePort', options);
  }

  /** A cloud or MetalLB load balancer. Needs a reason (policy exception). */
  public static loadBalancer(options: CaddyLoadBalancerOptions): CaddyServiceType {
    check(typeof options.reason === 'string' && options.reason.trim().length > 0, 'service.type.reason', options.reason, 'a non-empty reason why this Service is a LoadBalancer');
    checkNodePorts(options);
    if (options.loadBalancerIP !== undefined) {
      assertIp('service.type.loadBalancerIP', options.loadBalancerIP);
    }
    return new CaddyServiceType('LoadBalancer', options);
  }

  private constructor(
    public readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer',
    public readonly options: Partial<CaddyLoadBalancerOptions>,
  ) {}
}

function checkNodePorts(o: CaddyNodePortOptions): void {
  check(o.clients instanceof ExternalPeer, 'service.type.clients', o.clients,
    'who connects from outside the cluster: ExternalPeer.cidr({ cidrs, reason }) (the load balancer\'s addresses) or ExternalPeer.anywhere({ reason })',
    "Caddy's NetworkPolicy admits only declared clients");
  for (const [prop, p] of [['nodePort', o.nodePort], ['nodePortHttps', o.nodePortHttps]] as const) {
    if (p !== undefined) assertNodePort(`service.type.${prop}`, p);
  }
  if (o.nodePort !== undefined && o.nodePort === o.nodePortHttps) {
    throw new ConfigError('service.type.nodePortHttps', o.nodePortHttps, `a port other than nodePort (${o.nodePort})`);
  }
  if (o.externalTrafficPolicy !== undefined) {
    check(Object.values(CaddyExternalTrafficPolicy).includes(o.externalTrafficPolicy), 'service.type.externalTrafficPolicy', o.externalTrafficPolicy, 'Cluster or Local');
  }
}

/** Caddy's Service. */
export interface CaddyServiceOptions {
  /** @default CaddyServiceType.clusterIp() */
  readonly type?: CaddyServiceType;
  /**
   * Annotations (cloud load balancer settings, MetalLB pools, ...).
   * @default {}
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** One `spec.tls` entry of the Ingress, passed through. */
export interface CaddyIngressTlsEntry {
  /** @default - the controller's default hosts */
  readonly hosts?: readonly string[];
  /** @default - no Secret (SNI routing only) */
  readonly secretName?: string;
}

/** The Kubernetes Ingress in front of Caddy. */
export interface CaddyIngressResourceOptions {
  /**
   * Render the Ingress. Turn off when the external L7 sits at the Service layer (NodePort or LoadBalancer behind an
   * external load balancer, a mesh, port-forward). Not available in self TLS mode, where Caddy is the edge.
   * @default true (false in self TLS mode)
   */
  readonly enabled?: boolean;
  /**
   * `spec.ingressClassName`.
   * @default - the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * Host names routed to Caddy (one rule each).
   * @default - every host
   */
  readonly hosts?: readonly string[];
  /**
   * TLS entries, passed through to `spec.tls`. When present, the Ingress terminates TLS and the external URL is HTTPS.
   * @default []
   */
  readonly tls?: readonly CaddyIngressTlsEntry[];
  /**
   * Annotations (cert-manager issuer, controller settings).
   * @default {}
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Maximum request body size, rendered as the quoted `nginx.ingress.kubernetes.io/proxy-body-size` annotation. Only
   * with `className: 'nginx'`: other controllers ignore nginx annotations, so setting it with another (or no) class
   * fails synthesis instead of being silently dropped. `'0'` disables the limit.
   * @default - the controller's default (1m for ingress-nginx)
   */
  readonly proxyBodySize?: string | number;
}

/** Spreading Caddy replicas over failure domains. */
export interface CaddyTopologySpreadOptions {
  /**
   * Spread the replicas.
   * @default true when replicas > 1
   */
  readonly enabled?: boolean;
  /** @default 'kubernetes.io/hostname' */
  readonly topologyKey?: string;
  /** @default 'ScheduleAnyway' */
  readonly whenUnsatisfiable?: 'ScheduleAnyway' | 'DoNotSchedule';
}

/** Props of CaddyIngress: the Caddyfile's routing plus the Kubernetes objects around it. */
export interface CaddyIngressProps extends Omit<CaddyfileProps, 'ingressTerminatesTls'> {
  /**
   * Name of the Deployment, Service and Ingress (the ConfigMap is `<name>-caddyfile`).
   * @default - derived from the construct id
   */
  readonly name?: string;
  /**
   * `app.kubernetes.io/part-of` label.
   * @default - none
   */
  readonly partOf?: string;
  /** @default CaddyImage.wrapper() */
  readonly image?: CaddyImage;
  /**
   * Replicas. More than one is safe: the sticky cookie is an HMAC of the upstream address with a key every replica
   * shares, and session routes hash the session value, so no state is shared between replicas.
   * @default 1
   */
  readonly replicas?: number;
  /** @default - spread over hostnames when replicas > 1 */
  readonly topologySpread?: CaddyTopologySpreadOptions;
  /**
   * Render a PodDisruptionBudget (maxUnavailable 1). Only with replicas > 1: with one replica it would block node
   * drains.
   * @default true when replicas > 1
   */
  readonly podDisruptionBudget?: boolean;
  /** @default 100m/1 CPU, 128Mi/512Mi memory */
  readonly resources?: Resources;
  /** @default - the release-wide placement */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * User (and group) id Caddy runs as. The official image defaults to root, so a non-root id is set explicitly.
   * @default 1000
   */
  readonly runAsUser?: number;
  /** @default - ClusterIP, no annotations */
  readonly service?: CaddyServiceOptions;
  /** @default - enabled (except in self TLS mode), default class, every host, no TLS */
  readonly ingress?: CaddyIngressResourceOptions;
}

const NGINX_BODY_SIZE = 'nginx.ingress.kubernetes.io/proxy-body-size';

/** The ACME directories Caddy 2 orders certificates from by default (Let's Encrypt, then ZeroSSL), with descriptions. */
const CADDY_ACME_DIRECTORIES: ReadonlyArray<readonly [string, string]> = [
  ['acme-v02.api.letsencrypt.org', "ACME CA Let's Encrypt"],
  ['acme.zerossl.com', 'ACME CA ZeroSSL'],
];

function annotations(prop: string, a: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(a ?? {}).sort()) {
    assertLabelKey(`${prop}`, k);
    check(typeof a![k] === 'string', `${prop}.${k}`, a![k], 'a string (annotation values are strings; quote numbers)');
    out[k] = a![k];
  }
  return out;
}

/** Suffix of the Caddyfile ConfigMap's name. */
const CONFIG_SUFFIX = '-caddyfile';

/**
 * Caddy as the L7 entry point of an application: a typed Caddyfile (session routes pinned by a query value, a
 * sticky-cookie catch-all over a DNS-discovered pool or a single upstream, extra proxy routes, a terminal health
 * handle, access log, one of four TLS modes) in a ConfigMap, and the Deployment, Service, optional Ingress and (for
 * HA) PodDisruptionBudget that run it. Any change to the Caddyfile changes the pod template's checksum annotation and
 * rolls Caddy. Upstreams taken from Service endpoints are recorded in the wiring graph as Caddy's ingress connections.
 *
 * Caddy listens on unprivileged ports (8080, and 8443 in self mode) and runs as non-root with every capability
 * dropped; the Service maps 80/443 to them. Binding :80 as non-root would need NET_BIND_SERVICE, which a process
 * started under no_new_privs (allowPrivilegeEscalation: false) cannot pick up from the binary's file capabilities.
 */
export class CaddyIngress extends WorkloadConstruct {
  /** Object name of the Deployment, Service and Ingress. */
  public readonly name: string;
  /** The Caddyfile as a typed document. */
  public readonly caddyfile: Caddyfile;
  /** The rendered Caddyfile (the ConfigMap's `Caddyfile` key). */
  public readonly caddyfileText: string;
  /** The TLS mode. */
  public readonly tls: CaddyTls;
  /** The scheme browsers use to reach the application (derive cookie `Secure` flags and absolute URLs from it). */
  public readonly externalScheme: 'http' | 'https';
  /** Labels selecting the Caddy pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The Deployment (id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Caddyfile ConfigMap `<name>-caddyfile`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The Service's endpoint (`http`, and `https` in self mode). */
  public readonly endpoint: ServiceEndpoint;
  /** The Ingress, when rendered. */
  public readonly ingress?: k8s.KubeIngress;
  /** The PodDisruptionBudget, when rendered. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: CaddyIngressProps) {
    super(scope, id);
    const release = Release.of(this);
    // Every prop check runs before anything is built, and all their errors are reported together.
    const errors = new ErrorCollector(this);
    this.name =
      props.name !== undefined
        ? errors.attempt(() => assertDnsLabel('name', props.name!, 63 - CONFIG_SUFFIX.length), 'invalid')
        : deriveName([id], { reserve: CONFIG_SUFFIX.length });
    this.tls = props.tls ?? CaddyTls.ingress();
    const identity = { name: 'caddy', instance: release.releaseName, component: this.name };
    this.selector = selectorLabels(identity);
    const labels = standardLabels({ ...identity, partOf: props.partOf });

    // Ingress first: whether it terminates TLS decides HSTS and the external scheme.
    const ing = props.ingress ?? {};
    const ingressEnabled = ing.enabled ?? this.tls.mode !== CaddyTlsMode.SELF;
    const ingressTls = ingressEnabled ? (ing.tls ?? []) : undefined;
    const resolved = errors.attempt(() =>
      resolveCaddyfileProps({ ...props, tls: this.tls, ingressTerminatesTls: (ingressTls ?? []).length > 0 }, this),
    );
    const caddyfile = resolved ? errors.attempt(() => buildResolvedCaddyfile(resolved)) : undefined;
    checkWorkloadProps(props, this.tls, ingressEnabled, errors);
    errors.throwIfAny();
    this.caddyfile = caddyfile!;
    this.caddyfileText = this.caddyfile.render();
    this.externalScheme = this.tls.externalScheme((ingressTls ?? []).length > 0);
    this.addTopologyNotes(release, resolved!);
    this.wireAcme();

    const replicas = props.replicas ?? 1;
    this.configMap = new k8s.KubeConfigMap(this, 'ConfigMap', {
      metadata: { name: `${this.name}${CONFIG_SUFFIX}`, labels },
      data: { Caddyfile: this.caddyfileText },
    });
    const rendered = this.renderWorkload(props, resolved!, labels, replicas);
    this.deployment = rendered.deployment;
    this.service = rendered.service!.service;
    this.endpoint = rendered.service!.endpoint;
    if (ingressTls !== undefined) this.ingress = this.renderIngress(ing, ingressTls, labels);
    if (props.podDisruptionBudget ?? replicas > 1) this.podDisruptionBudget = this.renderBudget(labels);
  }

  /**
   * Self mode with ACME: Caddy's issuers (Let's Encrypt, then ZeroSSL) are reached on 443 at addresses that change,
   * so the connection is recorded with a peer that is every address (the policy allows only port 443, and says why).
   */
  private wireAcme(): void {
    if (this.tls.mode !== CaddyTlsMode.SELF || this.tls.certificateSecret !== undefined) return;
    const peer = ExternalPeer.anywhere({ reason: 'Caddy orders certificates from the public ACME CAs, whose addresses change', ports: [443] });
    for (const [host, description] of CADDY_ACME_DIRECTORIES) {
      const ca = ExternalEndpoint.of({ host, ports: [{ name: 'https', port: 443 }], peer, description });
      Wiring.of(this).connect(this, ca, 'https', { purpose: 'ACME certificates' });
    }
  }

  /** Notes about the TLS topology. */
  private addTopologyNotes(release: Release, resolved: ResolvedCaddyfileProps): void {
    if (this.tls.mode === CaddyTlsMode.EXTERNAL && resolved.hsts) {
      release.addNote(
        `EXTERNAL TLS TOPOLOGY (${this.name}): Caddy sends Strict-Transport-Security because an external terminator serves HTTPS. ` +
          'If that load balancer also serves plain HTTP, browsers that saw HTTPS once keep refusing HTTP for the HSTS max-age.',
      );
    }
    if (this.tls.mode === CaddyTlsMode.SELF && this.tls.certificateSecret === undefined && this.tls.acmeStorageClaim === undefined) {
      release.addNote(
        `ACME STORAGE (${this.name}): certificates live in an emptyDir and are re-ordered by every new Caddy pod; set tls.acmeStorageClaim to keep them.`,
      );
    }
  }

  /** The Deployment and the Service: the Caddy container, its volumes and probes, spread and placement. */
  private renderWorkload(props: CaddyIngressProps, resolved: ResolvedCaddyfileProps, labels: Record<string, string>, replicas: number) {
    const runAsUser = props.runAsUser ?? 1000;
    const security = SecurityProfile.restricted({ runAsUser, runAsGroup: runAsUser, fsGroup: runAsUser, readOnlyRootFilesystem: true });
    const image = props.image ?? CaddyImage.wrapper();
    const tls = this.tls;

    const env = new EnvBuilder(`CaddyIngress ${this.name}`).own('XDG_DATA_HOME', '/data').own('XDG_CONFIG_HOME', '/config');
    const refs: ExternalRef[] = [];
    const secretRef = resolved.cookie?.secret.secretRef;
    const version = resolved.cookie?.secret.version;
    const cookieVersion = version !== undefined ? [{ cookieSecretVersion: version }] : [];
    if (secretRef) {
      env.own(CADDY_COOKIE_SECRET_ENV, EnvSource.secret(secretRef.secretName, secretRef.key));
      refs.push({ kind: 'Secret', name: secretRef.secretName });
    }
    // Basic-auth accounts of proxy routes: user and hash reach Caddy as environment variables from their Secret.
    const authEnv = new Map<string, { secretName: string; key: string }>();
    for (const r of resolved.proxyRoutes) {
      for (const e of r.auth?.secretEnv() ?? []) {
        const known = authEnv.get(e.name);
        if (known && (known.secretName !== e.secretName || known.key !== e.key)) {
          throw new ConfigError(
            `proxyRoutes.${r.name}.auth`,
            e.secretName,
            'the same usernameKey and passwordHashKey for every route that reads this Secret',
            'one Secret feeds one account',
          );
        }
        if (!known) refs.push({ kind: 'Secret', name: e.secretName });
        authEnv.set(e.name, { secretName: e.secretName, key: e.key });
      }
    }
    for (const [name, { secretName, key }] of authEnv) env.own(name, EnvSource.secret(secretName, key));

    const volumes: k8s.Volume[] = [
      { name: 'caddyfile', configMap: { name: `${this.name}${CONFIG_SUFFIX}` } },
      tls.acmeStorageClaim !== undefined
        ? { name: 'data', persistentVolumeClaim: { claimName: tls.acmeStorageClaim } }
        : { name: 'data', emptyDir: {} },
      { name: 'config', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ];
    const mounts: k8s.VolumeMount[] = [
      { name: 'caddyfile', mountPath: CADDY_CONFIG_MOUNT, readOnly: true },
      { name: 'data', mountPath: '/data' },
      { name: 'config', mountPath: '/config' },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    if (tls.acmeStorageClaim !== undefined) refs.push({ kind: 'PersistentVolumeClaim', name: tls.acmeStorageClaim });
    if (tls.certificateSecret !== undefined) {
      volumes.push({ name: 'tls', secret: { secretName: tls.certificateSecret } });
      mounts.push({ name: 'tls', mountPath: CADDY_TLS_MOUNT, readOnly: true });
      refs.push({ kind: 'Secret', name: tls.certificateSecret });
    }

    // Readiness gates Service endpoints: a new pod receives traffic only once Caddy has parsed its config and bound
    // its port. failureThreshold 1 is deliberate (the Graphistry seed chose it, and it is kept): the health handle is
    // terminal and never touches an upstream, so its answer is binary ("Caddy is bound and serving") and one failure
    // is a real one, not upstream noise; the endpoint then leaves within one period (3s) instead of several. The
    // trade-off: with the exec probe, a fork of curl starved by CPU throttling could fail once and drop the endpoint
    // until the next success (one period; with replicas: 1 that is the whole site for ~3s). The 2s timeout absorbs
    // ordinary fork latency; if throttling is seen, raise the CPU limit or use CaddyImage.upstream() (httpGet, no
    // fork) rather than raising the threshold, which would also slow the removal of a Caddy that really stopped.
    // Liveness restarts, so it tolerates 3 failures.
    const readinessTiming = { period: Duration.seconds(3), timeout: Duration.seconds(2), failureThreshold: 1 };
    const livenessTiming = { initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 };
    const probe = (t: typeof readinessTiming | typeof livenessTiming) =>
      image.hasCurl
        ? Probes.curl({ host: '127.0.0.1', port: resolved.httpPort, path: CADDY_HEALTH_PATH }, t)
        : Probes.http(CADDY_HEALTH_PATH, 'http', t);
    const ports = [{ name: 'http', port: resolved.httpPort }];
    if (tls.servesHttps) ports.push({ name: 'https', port: resolved.httpsPort });

    return renderDeployment(this, {
      name: this.name,
      prop: '',
      labels,
      containers: [
        {
          name: 'caddy',
          image: Images.of(this).resolve('image', image.ref),
          command: ['caddy', 'run', '--config', `${CADDY_CONFIG_MOUNT}/Caddyfile`, '--adapter', 'caddyfile'],
          ports,
          env,
          resources: props.resources ?? sized(100, 1000, 128, 512),
          readiness: probe(readinessTiming),
          liveness: probe(livenessTiming),
          volumeMounts: mounts,
          // Let kube-proxy and the Ingress drop this endpoint before Caddy starts draining on SIGTERM.
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 10'] } } },
        },
      ],
      volumes,
      security,
      placement: Placement.of(this).forWorkload(props.placement ?? {}),
      replicas,
      // maxUnavailable 0: the old pod serves until the new one is ready (with one replica the surge pod is the only
      // path during a rollout).
      rollout: DeploymentRollout.rolling(),
      externalRefs: refs,
      // The cookie Secret's version joins the Caddyfile in the hash: rotating the key rolls Caddy (without a version the
      // hash is the Caddyfile's alone, as before).
      podAnnotations: checksumAnnotations(this.caddyfileText, ...cookieVersion),
      // Caddy drains in-flight requests forever by default; long-lived WebSockets get ~80s after the preStop sleep.
      terminationGracePeriod: Duration.seconds(90),
      topologySpreadConstraints: this.topologySpread(props, replicas),
      service: this.serviceOptions(props),
    });
  }

  /** Spreads the replicas over failure domains (by default when there is more than one). */
  private topologySpread(props: CaddyIngressProps, replicas: number): k8s.TopologySpreadConstraint[] {
    const spread = props.topologySpread ?? {};
    if (!(spread.enabled ?? replicas > 1)) return [];
    return [
      {
        maxSkew: 1,
        topologyKey: spread.topologyKey ?? 'kubernetes.io/hostname',
        whenUnsatisfiable: spread.whenUnsatisfiable ?? 'ScheduleAnyway',
        labelSelector: { matchLabels: { ...this.selector } },
      },
    ];
  }

  /** The Service: its type, the http (and, in self mode, https) port, and a LoadBalancer's policy exception. */
  private serviceOptions(props: CaddyIngressProps) {
    const svc = props.service ?? {};
    const type = svc.type ?? CaddyServiceType.clusterIp();
    const so = type.options;
    const ports: ServicePortOptions[] = [{ name: 'http', port: 80, targetPort: 'http', nodePort: so.nodePort }];
    if (this.tls.servesHttps) ports.push({ name: 'https', port: 443, targetPort: 'https', nodePort: so.nodePortHttps });
    const svcAnnotations = {
      ...annotations('service.annotations', svc.annotations),
      ...(type.type === 'LoadBalancer' ? policyExceptionAnnotations([{ rule: 'load-balancer', reason: so.reason! }]) : {}),
      ...(type.type === 'NodePort' ? policyExceptionAnnotations([{ rule: 'node-port', reason: so.reason! }]) : {}),
    };
    return {
      name: this.name,
      annotations: svcAnnotations,
      type: type.type,
      ports,
      loadBalancerIp: so.loadBalancerIP,
      externalTrafficPolicy: so.externalTrafficPolicy,
      externalClients: so.clients,
    };
  }

  /** The Ingress in front of Caddy: one rule per host (or every host) to the Service's http port. */
  private renderIngress(
    ing: CaddyIngressResourceOptions,
    ingressTls: readonly CaddyIngressTlsEntry[],
    labels: Record<string, string>,
  ): k8s.KubeIngress {
    const ingAnnotations = annotations('ingress.annotations', ing.annotations);
    if (ing.proxyBodySize !== undefined) ingAnnotations[NGINX_BODY_SIZE] = String(ing.proxyBodySize);
    const hosts = ing.hosts ?? [];
    const backend: k8s.IngressBackend = { service: { name: this.endpoint.name, port: { name: this.endpoint.port('http').name } } };
    const http: k8s.HttpIngressRuleValue = { paths: [{ path: '/', pathType: 'Prefix', backend }] };
    const tlsEntries = ingressTls.map((t) => ({ hosts: t.hosts ? [...t.hosts] : undefined, secretName: t.secretName }));
    return new k8s.KubeIngress(this, 'Ingress', {
      metadata: { name: this.name, labels, annotations: nonEmpty(ingAnnotations) },
      spec: {
        ingressClassName: ing.className,
        rules: hosts.length ? hosts.map((host) => ({ host, http })) : [{ http }],
        tls: tlsEntries.length ? tlsEntries : undefined,
      },
    });
  }

  /** A PodDisruptionBudget of one unavailable replica (only with replicas > 1). */
  private renderBudget(labels: Record<string, string>): k8s.KubePodDisruptionBudget {
    return new k8s.KubePodDisruptionBudget(this, 'Budget', {
      metadata: { name: this.name, labels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selector } } },
    });
  }
}

/**
 * The checks of CaddyIngress's workload, Service and Ingress props that need no rendering, recorded in `errors` (so
 * they are reported together with the Caddyfile's).
 */
function checkWorkloadProps(props: CaddyIngressProps, tls: CaddyTls, ingressEnabled: boolean, errors: ErrorCollector): void {
  const ing = props.ingress ?? {};
  errors.check(!(ingressEnabled && tls.mode === CaddyTlsMode.SELF), 'ingress.enabled', true, 'false in self TLS mode',
    'Caddy terminates TLS itself and redirects plain HTTP, so an HTTP Ingress in front of it would loop; expose Caddy with a NodePort or LoadBalancer Service');
  const replicas = props.replicas ?? 1;
  errors.attempt(() => assertReplicas('replicas', replicas, 1));
  const pdb = props.podDisruptionBudget ?? replicas > 1;
  errors.check(!(pdb && replicas < 2), 'podDisruptionBudget', true, 'only with replicas > 1', 'a budget over a single replica blocks every node drain');
  const runAsUser = props.runAsUser ?? 1000;
  errors.attempt(() => assertUid('runAsUser', runAsUser, { nonZero: true }));
  errors.check(props.image === undefined || props.image instanceof CaddyImage, 'image', props.image, 'CaddyImage.wrapper(...) or CaddyImage.upstream(...)');
  const spread = props.topologySpread ?? {};
  if (spread.topologyKey !== undefined) errors.attempt(() => assertLabelKey('topologySpread.topologyKey', spread.topologyKey!));
  const svc = props.service ?? {};
  const type = svc.type ?? CaddyServiceType.clusterIp();
  if (errors.check(type instanceof CaddyServiceType, 'service.type', type, 'CaddyServiceType.clusterIp(), .nodePort({...}) or .loadBalancer({...})')) {
    const so = type.options;
    errors.check(so.nodePortHttps === undefined || tls.servesHttps, 'service.type.nodePortHttps', so.nodePortHttps, 'only in self TLS mode',
      `Caddy listens for HTTPS only in self mode (the mode is ${tls.mode}), so the Service has no https port`);
  }
  errors.attempt(() => annotations('service.annotations', svc.annotations));
  if (ingressEnabled) {
    errors.attempt(() => annotations('ingress.annotations', ing.annotations));
    if (ing.className !== undefined) errors.check(isDnsSubdomain(ing.className), 'ingress.className', ing.className, 'an IngressClass name');
    if (ing.proxyBodySize !== undefined) {
      errors.check(/^\d+[kKmMgG]?$/.test(String(ing.proxyBodySize)), 'ingress.proxyBodySize', ing.proxyBodySize, 'a size such as 0 (no limit), 512m or 10g');
      errors.check(
        ing.className === 'nginx',
        'ingress.proxyBodySize',
        ing.proxyBodySize,
        `unset unless ingress.className is 'nginx'`,
        `only ingress-nginx reads it, and ingress.className is ${ing.className === undefined ? 'unset' : `"${ing.className}"`}; it would be silently dropped (set className: 'nginx', or put your controller's own body-size annotation in ingress.annotations)`,
      );
    }
    (ing.hosts ?? []).forEach((h, i) => errors.attempt(() => assertWildcardHost(`ingress.hosts[${i}]`, h)));
    (ing.tls ?? []).forEach((t, i) => {
      if (t.secretName !== undefined) errors.check(isDnsSubdomain(t.secretName), `ingress.tls[${i}].secretName`, t.secretName, 'a Secret name');
      (t.hosts ?? []).forEach((h, j) => errors.attempt(() => assertWildcardHost(`ingress.tls[${i}].hosts[${j}]`, h)));
    });
  } else {
    errors.check(props.ingress === undefined || !(ing.tls?.length || ing.hosts?.length || ing.className !== undefined), 'ingress', { enabled: false },
      'no className, hosts or tls when the Ingress is disabled', 'they would be silently ignored');
  }
}

function nonEmpty(a: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(a).length ? a : undefined;
}
