import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checksumAnnotations } from '../core/checksum';
import { DeploymentRollout, renderDeployment } from '../core/deployment';
import { ServiceEndpoint } from '../core/endpoint';
import { assertEnvName, EnvBuilder } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { quantityOf, Resources, sized } from '../core/resources';
import { assertSecretKey, SecretCommands, SecretKey, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { ClientBinding, Connection, IConnectable, PodWiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import {
  assertIssuerUrl, assertRedirectUri, clientSecretEnv, DEX_DATA_DIR, DEX_GRPC_PORT, DEX_HTTP_PORT, DEX_IMAGE, DEX_TELEMETRY_PORT, DEX_VERSION,
  DexConnector, DexStaticClient, DexStaticClientOptions, dexConfigYaml, renderDexConfig,
} from './config';

/** uid and gid of the `dex` user in the official image. */
export const DEX_UID = 1001;

/** Props of Dex. */
export interface DexProps {
  /**
   * The issuer URL: what browsers and applications reach Dex at, and what every token's `iss` claim says. Applications
   * connected through `client(id).connect` get exactly this value as `OIDC_ISSUER_URL`. Route its path to
   * the Service's `http` port (Dex serves under the issuer's path).
   */
  readonly issuer: string;
  /**
   * Why the issuer may be plain `http://` (a development cluster without TLS).
   * @default - the issuer must be https
   */
  readonly insecureIssuerReason?: string;
  /**
   * Object name of the Deployment, Service and ConfigMap.
   * @default - `<release name>-dex`
   */
  readonly name?: string;
  /**
   * Image, pinned.
   * @default DEX_IMAGE
   */
  readonly image?: string;
  /**
   * Upstream identity providers users log in with (Dex's password database stays off).
   */
  readonly connectors: readonly DexConnector[];
  /**
   * Static clients (applications logging users in); each one's handle is `client(id)`.
   * @default - none
   */
  readonly staticClients?: readonly DexStaticClientOptions[];
  /**
   * Requests and limits.
   * @default - cpu 50m/500m, memory 64Mi/256Mi
   */
  readonly resources?: Resources;
  /**
   * Node selection.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Env names an application reads its OIDC settings from. */
export interface DexClientEnvNames {
  /** @default 'OIDC_ISSUER_URL' */
  readonly issuerUrl?: string;
  /** @default 'OIDC_CLIENT_ID' */
  readonly clientId?: string;
  /** @default 'OIDC_CLIENT_SECRET' */
  readonly clientSecret?: string;
}

/** How an application connects as a static client. */
export interface DexClientConnectOptions {
  /**
   * Env names.
   * @default - OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
   */
  readonly env?: DexClientEnvNames;
  /**
   * What the connection is for.
   * @default 'OIDC login (discovery, token exchange, keys)'
   */
  readonly purpose?: string;
}

/**
 * The client-side handle of one static client of a Dex: the application connects through it and gets the issuer Dex
 * serves, its client id and its secret (the same Secret key Dex reads), so the three can never disagree.
 */
export class DexClient implements IConnectable {
  /** @internal */
  constructor(
    /** The Dex serving the client. */
    public readonly dex: Dex,
    /** The client as configured. */
    public readonly client: DexStaticClient,
  ) {}

  /** The issuer URL (equal to the `issuer` of Dex's config). */
  public get issuerUrl(): string {
    return this.dex.issuer;
  }

  /** The client id. */
  public get clientId(): string {
    return this.client.id;
  }

  /** The Secret key holding the client secret. */
  public get clientSecret(): SecretKey {
    return this.client.secret;
  }

  /**
   * Wires an application container: OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (a Secret key reference), the
   * external reference to that Secret, and the graph edge to Dex's `http` port.
   */
  public connect(client: ClientBinding, options: DexClientConnectOptions = {}): Connection {
    const names = { issuerUrl: 'OIDC_ISSUER_URL', clientId: 'OIDC_CLIENT_ID', clientSecret: 'OIDC_CLIENT_SECRET', ...(options.env ?? {}) };
    for (const [k, v] of Object.entries(names)) assertEnvName(`env.${k}`, v);
    const c = client.connect(this.dex.endpoint, 'http', { purpose: options.purpose ?? 'OIDC login (discovery, token exchange, keys)' });
    const hint = c.envHint();
    client
      .setEnv(names.issuerUrl, this.issuerUrl, hint)
      .setEnv(names.clientId, this.clientId, hint)
      .setEnv(names.clientSecret, secretKeyEnv(this.clientSecret), hint)
      .addExternalRef({ kind: 'Secret', name: this.clientSecret.name });
    return c;
  }
}

/**
 * Dex, the OpenID Connect provider, as one pod: sqlite3 storage on an emptyDir (no Kubernetes storage backend, so no
 * CRDs and no RBAC: the pod runs without a ServiceAccount token), HTTP 5556, gRPC API 5557 and telemetry 5558 (health
 * checks and metrics), a typed `config.yaml` whose client and connector secrets Dex reads from operator-created Secrets
 * through env. Applications connect with `client(id).connect(container)`.
 *
 * With sqlite3 on an emptyDir, a restart forgets signing keys, refresh tokens and sessions (users log in again) and
 * there is exactly one replica: two pods would each hold their own database and split every login flow.
 */
export class Dex extends WorkloadConstruct {
  /** The object name. */
  public readonly name: string;
  /** The issuer URL. */
  public readonly issuer: string;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The Service's endpoint (ports `http`, `grpc`, `telemetry`). */
  public readonly endpoint: ServiceEndpoint;
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The ConfigMap holding `config.yaml` (construct id `Config`). */
  public readonly configMap: k8s.KubeConfigMap;
  /** The pod's wiring. */
  public readonly wiring: PodWiring;
  private readonly clients: DexStaticClient[] = [];
  private readonly connectors: readonly DexConnector[];

  constructor(scope: Construct, id: string, props: DexProps) {
    super(scope, id);
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined ? assertDnsLabel('name', props.name, 52) : deriveName([release.releaseName, 'dex'], { maxLength: 52 });
      if (props.insecureIssuerReason !== undefined) {
        check(props.insecureIssuerReason.trim() !== '', 'insecureIssuerReason', props.insecureIssuerReason, 'a non-empty reason, or unset');
      }
      this.issuer = assertIssuerUrl('issuer', props.issuer, props.insecureIssuerReason !== undefined);
      check(Array.isArray(props.connectors) && props.connectors.length > 0 && props.connectors.every((c) => c instanceof DexConnector),
        'connectors', props.connectors, 'at least one DexConnector.github({...}) or DexConnector.oidc({...})', 'the password database is off, so users log in through a connector');
      const ids = props.connectors.map((c) => c.id);
      const dup = ids.find((x, i) => ids.indexOf(x) !== i);
      check(dup === undefined, 'connectors', dup, 'connectors with distinct ids');
      this.connectors = props.connectors;
      for (const [i, c] of (props.staticClients ?? []).entries()) this.addClient(`staticClients[${i}]`, c);

      const identity = { name: 'dex', instance: release.releaseName, component: this.name };
      this.selector = selectorLabels(identity);
      const labels = { ...assertLabels('labels', props.labels ?? {}), ...standardLabels({ ...identity, version: DEX_VERSION }) };
      const ports = [
        { name: 'http', port: DEX_HTTP_PORT },
        { name: 'grpc', port: DEX_GRPC_PORT },
        { name: 'telemetry', port: DEX_TELEMETRY_PORT },
      ];
      const svc = buildService(this, 'Service', { name: this.name, labels, pods: this, ports });
      this.endpoint = svc.endpoint;
      this.service = svc.service;
      this.wiring = new PodWiring(this);

      const data = { 'config.yaml': this.configYaml() };
      this.configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: { name: `${this.name}-config`, labels }, data });
      const env = new EnvBuilder(`Dex ${this.name} container dex`);
      for (const c of this.clients) env.own(c.secretEnv, secretKeyEnv(c.secret));
      for (const c of this.connectors) for (const s of c.secretEnv) env.own(s.env, secretKeyEnv(s.secret));
      const refs = [...this.clients.map((c) => c.secret.name), ...this.connectors.flatMap((c) => c.secretEnv.map((s) => s.secret.name))];
      const security = SecurityProfile.restricted({ runAsUser: DEX_UID, runAsGroup: DEX_UID, fsGroup: DEX_UID, readOnlyRootFilesystem: true });
      this.deployment = renderDeployment(this, {
        name: this.name,
        prop: '',
        labels,
        containers: [{
          name: 'dex',
          image: Images.of(this).resolve('image', props.image ?? DEX_IMAGE),
          command: ['dex', 'serve', '/etc/dex/config.yaml'],
          ports,
          env,
          resources: props.resources ?? sized(50, 500, 64, 256),
          startup: Probes.http('/healthz/live', 'telemetry', { period: Duration.seconds(2), failureThreshold: 30 }),
          liveness: Probes.http('/healthz/live', 'telemetry', { period: Duration.seconds(10), failureThreshold: 3 }),
          readiness: Probes.http('/healthz/ready', 'telemetry', { period: Duration.seconds(5), failureThreshold: 3 }),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/dex', readOnly: true },
            { name: 'data', mountPath: DEX_DATA_DIR },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        }],
        wiring: this.wiring,
        volumes: [
          { name: 'config', configMap: { name: this.configMap.name } },
          { name: 'data', emptyDir: { sizeLimit: quantityOf(Size.mebibytes(256)) } },
          { name: 'tmp', emptyDir: { sizeLimit: quantityOf(Size.mebibytes(64)) } },
        ],
        security,
        placement: Placement.of(this).forWorkload(props.placement, 'placement'),
        replicas: 1,
        // Two pods at once hold two databases: a login begun on one fails on the other.
        rollout: DeploymentRollout.recreate(),
        externalRefs: [...new Set(refs)].sort().map((name) => ({ kind: 'Secret' as const, name })),
        podAnnotations: checksumAnnotations(data),
      }).deployment;
      release.addNote(this.notes(release.releaseNamespace));
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /** The handle of static client `id` (what the application connects through). */
  public client(id: string): DexClient {
    return inConstruct(this, () => {
      const c = this.clients.find((x) => x.id === id);
      check(c !== undefined, 'client', id, `the id of a static client of ${this.name} (${this.clients.map((x) => x.id).join(', ') || 'none'})`);
      return new DexClient(this, c);
    });
  }

  /** The static clients, in the order they were added. */
  public get staticClients(): readonly DexStaticClient[] {
    return [...this.clients];
  }

  /** The rendered config, as the object Dex reads. */
  public get config(): Record<string, unknown> {
    return renderDexConfig({ issuer: this.issuer, staticClients: this.clients, connectors: this.connectors });
  }

  /** The rendered `config.yaml`. */
  public configYaml(): string {
    return dexConfigYaml(this.config);
  }

  private addClient(prop: string, o: DexStaticClientOptions): DexStaticClient {
    check(typeof o?.id === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.id), `${prop}.id`, o?.id, "lowercase letters, digits and '-', at most 63 characters");
    check(!this.clients.some((c) => c.id === o.id), `${prop}.id`, o.id, `an id no other client of ${this.name} has`);
    const secret = assertSecretKey(`${prop}.secret`, o.secret);
    check(Array.isArray(o.redirectUris) && o.redirectUris.length > 0, `${prop}.redirectUris`, o.redirectUris,
      'at least one absolute URL', 'Dex only redirects a confidential client to a registered URI');
    o.redirectUris.forEach((u, i) => assertRedirectUri(`${prop}.redirectUris[${i}]`, u));
    const c: DexStaticClient = { id: o.id, name: o.name ?? o.id, secret, secretEnv: clientSecretEnv(o.id), redirectUris: [...o.redirectUris] };
    check(!this.clients.some((x) => x.secretEnv === c.secretEnv), `${prop}.id`, o.id, 'an id whose env name differs from the other clients\'', `two ids map to ${c.secretEnv}`);
    this.clients.push(c);
    return c;
  }

  private notes(namespace: string): string {
    const commands = new SecretCommands();
    for (const c of this.clients) commands.literal(c.secret, '"$(openssl rand -hex 32)"');
    const parts = [
      `Dex ${this.name} (${DEX_IMAGE.split(':')[1]}): issuer ${this.issuer}; route its path to Service ${this.name} port http (${DEX_HTTP_PORT}). ` +
        `Connectors: ${this.connectors.map((c) => `${c.id} (${c.type}, callback ${this.issuer}/callback)`).join(', ')}. ` +
        'Storage is sqlite3 on an emptyDir: a restart rotates the signing keys and ends every session (users log in again). ' +
        `The gRPC API (${DEX_GRPC_PORT}) manages clients and has no authentication: no NetworkPolicy rule admits anyone to it.`,
    ];
    const connectorSecrets = this.connectors.flatMap((c) => c.secretEnv.map((s) => `${s.secret.name}/${s.secret.key}`));
    if (connectorSecrets.length) parts.push(`Connector credentials (from the identity provider) go in: ${connectorSecrets.join(', ')}.`);
    if (!commands.empty) parts.push(`Before the first sync, create the client secret(s):\n${commands.render(namespace).map((l) => `  ${l}`).join('\n')}`);
    return parts.join('\n\n');
  }
}

