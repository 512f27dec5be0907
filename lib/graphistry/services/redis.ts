import { Size } from 'cdk8s';
import { k8s, IPodSelector, NetworkPolicyPeerConfig, PodSelectorConfig } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DeploymentRollout } from '../../core/deployment';
import { HostForm, ServiceEndpoint } from '../../core/endpoint';
import { ImageRef } from '../../core/images';
import { check, ErrorCollector } from '../../core/errors';
import { assertEnvName } from '../../core/env';
import { probeSeconds } from '../../core/probes';
import { forwardChildProps } from '../../core/props';
import { NamespacedAccess } from '../../core/rbac';
import { secretKeyEnv } from '../../core/secrets';
import { SecurityProfile } from '../../core/security';
import { WaitFor } from '../../core/waits';
import { ClientBinding, Connection, IConnectable, PodWiring } from '../../core/wiring';
import { IWorkload } from '../../core/workload';
import { ValkeyAuth } from '../../valkey/client';
import { ValkeyEngine } from '../../valkey/engine';
import { VALKEY_UID, ValkeyConfigSource, ValkeyProbes, ValkeyServer } from '../../valkey/server';
import { WorkloadKind } from '../../workload/worker';
import { REDIS_IMAGE, SERVICE_DEFAULT_RESOURCES, ServiceNames } from './defaults';
import { GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** uid and gid of the `redis` user in the official image (the Valkey component's, which the `valkey` image shares). */
export const REDIS_UID = VALKEY_UID;

/**
 * Why Graphistry's Redis has no password unless `auth` asks for one: Graphistry's images take Redis only as a URL
 * (nexus' REDIS_URL; the seed's chart gives the engine's containers only REDIS_DB and they fall back to
 * `redis://redis:6379`), with no separate password setting, and that a password inside REDIS_URL works for every
 * image is not verified here. The Service stays a ClusterIP.
 */
export const GRAPHISTRY_REDIS_NO_AUTH_REASON =
  "Graphistry's images read Redis only from a URL, with no password setting of their own, and a password inside the URL is not verified for every image";

/** Props of Redis. */
export interface RedisProps extends ServiceCommonProps, GraphistryServiceOptions {
  /**
   * Which server runs, from the Valkey component: `ValkeyEngine.redis(image)` or `ValkeyEngine.valkey(image)` (Valkey
   * 8 speaks the protocol Graphistry's clients use). Give either this or `image`, not both.
   * @default ValkeyEngine.redis(image ?? REDIS_IMAGE)
   */
  readonly engine?: ValkeyEngine;
  /**
   * Size limit of the emptyDir Redis keeps its snapshot in. Redis holds caches and task queues for Graphistry, which
   * rebuild after a restart, so it has no PVC.
   * @default 2 GiB
   */
  readonly dataSizeLimit?: Size;
  /**
   * Authentication, from the Valkey component. `ValkeyAuth.password({ name, key })` of an operator-created Secret:
   * an init container writes `requirepass` into a config file on a memory-backed volume (never argv, never a
   * ConfigMap) that the server starts with, the probes' CLI reads the password from REDISCLI_AUTH, and every client
   * (nexus, and the engine's containers other than nginx) gets REDIS_PASSWORD as a Secret key reference and
   * `REDIS_URL=redis://:$(REDIS_PASSWORD)@redis:6379/0` (Kubernetes expands the reference). The password goes into
   * the URL as it is, so it must be URL-safe (hex, as the notes' command creates it).
   * @default ValkeyAuth.none({ reason: GRAPHISTRY_REDIS_NO_AUTH_REASON }) (the notes print the reason)
   */
  readonly auth?: ValkeyAuth;
}

/** How a client is wired to Redis. */
export interface RedisClientOptions {
  /**
   * Env variable that receives the Redis URL (`redis://redis:6379/<database>`), owned by the connection.
   * @default - none (the client finds Redis its own way)
   */
  readonly urlEnv?: string;
  /**
   * Logical database in the URL's path.
   * @default - none (no path)
   */
  readonly database?: number;
  /**
   * Wait in an init container until the Redis Service has ready endpoints.
   * @default false
   */
  readonly wait?: boolean;
  /**
   * What the client uses Redis for (the graph's purpose).
   * @default 'cache and task queues'
   */
  readonly purpose?: string;
  /**
   * With a password (`RedisProps.auth`), the env variable that holds it as a Secret key reference; the URL in
   * `urlEnv` names it as `$(<passwordEnv>)`, so it is declared first.
   * @default 'REDIS_PASSWORD'
   */
  readonly passwordEnv?: string;
}

/**
 * Graphistry's Redis, for nexus' and the engine's caches and queues: a thin preset on the Valkey component's
 * `ValkeyServer` (`server`), which renders it. The preset keeps what Graphistry has always rendered: a Deployment
 * (`name=redis, component=cache, part-of=graphistry`, an immutable selector) rolled with the stack's rollout, the
 * image's default settings (RDB snapshots on an emptyDir, caches and queues rebuild after a restart), `redis-cli ping`
 * probes, and a ClusterIP Service, never a LoadBalancer: exposing it outside the cluster would hand the queues to anyone
 * who can reach the address. Runs as the image's own non-root `redis` user (no exceptions to the restricted profile).
 * Graphistry's clients connect with `connect` (a URL env, optionally with the password); `server.connect` is the
 * component's generic wiring (VALKEY_URL, VALKEY_PASSWORD) for any other client.
 */
export class Redis extends Construct implements IConnectable, IWorkload {
  /** The Valkey component's server that renders the Deployment and the Service (construct id `Server`). */
  public readonly server: ValkeyServer;
  /** The server program and its image, from the Valkey component. */
  public readonly engine: ValkeyEngine;
  /** How clients authenticate (no password unless `auth` gives one). */
  public readonly auth: ValkeyAuth;

  constructor(scope: Construct, id: string, props: RedisProps = {}) {
    super(scope, id);
    const errors = new ErrorCollector(this);
    errors.check(props.engine === undefined || props.image === undefined, 'image', props.image, 'unset when engine is given', `the engine names its image (${props.engine?.image})`);
    errors.check(props.engine === undefined || props.engine instanceof ValkeyEngine, 'engine', props.engine, 'ValkeyEngine.redis(image) or ValkeyEngine.valkey(image)');
    errors.check(props.auth === undefined || props.auth instanceof ValkeyAuth, 'auth', props.auth, "ValkeyAuth.password({ name, key }) of an operator-created Secret, or ValkeyAuth.none({ reason })");
    errors.check(props.rollout === undefined || props.rollout instanceof DeploymentRollout, 'rollout', props.rollout, 'DeploymentRollout.rolling({...}) or DeploymentRollout.recreate()');
    // Checked here, so a bad image is named as written (ValkeyEngine.redis names it engine.image).
    if (props.engine === undefined && props.image !== undefined) errors.attempt(() => ImageRef.parse(props.image!, 'image'));
    errors.throwIfAny();
    this.engine = props.engine ?? ValkeyEngine.redis(props.image ?? REDIS_IMAGE);
    this.auth = props.auth ?? ValkeyAuth.none({ reason: GRAPHISTRY_REDIS_NO_AUTH_REASON });
    // The server's messages name Redis' props: `image` when the image was given that way.
    forwardChildProps(this, 'Server', { prefix: '', renames: props.engine ? {} : { 'engine.image': 'image' } });
    this.server = new ValkeyServer(this, 'Server', {
      name: ServiceNames.REDIS,
      engine: this.engine,
      auth: this.auth,
      workload: WorkloadKind.deployment({ rollout: props.rollout }),
      identity: { name: ServiceNames.REDIS, component: 'cache', partOf: 'graphistry' },
      containerName: 'redis',
      config: ValkeyConfigSource.imageDefaults(),
      probes: ValkeyProbes.ping(probeSeconds(5, 10, 5)),
      dataSizeLimit: props.dataSizeLimit ?? Size.gibibytes(2),
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.REDIS],
      placement: props.placement,
      securityProfile: props.securityProfile ?? SecurityProfile.restricted({ runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID }),
      env: props.env,
      connections: props.connections,
      // The stack's notes say who gets the password and why it is off (notes.ts).
      notes: false,
    });
  }

  /** Labels selecting Redis' pods. */
  public get selector(): Readonly<Record<string, string>> {
    return this.server.selector;
  }

  /** The Service's endpoint: what clients connect to. */
  public get endpoint(): ServiceEndpoint {
    return this.server.endpoint;
  }

  /** The Deployment (construct id `Server/Resource`). */
  public get deployment(): k8s.KubeDeployment {
    return this.server.deployment;
  }

  /** The ClusterIP Service (construct id `Server/Service`). */
  public get service(): k8s.KubeService {
    return this.server.service;
  }

  /** The server pod's connections (`connections`: waits, volumes, external references, graph edges). */
  public get wiring(): PodWiring {
    return this.server.wiring;
  }

  /** ServiceAccount and RBAC, when a connection's init wait reads the API. */
  public get access(): NamespacedAccess | undefined {
    return this.server.access;
  }

  /** The namespace the pods run in. */
  public get podNamespace(): string {
    return this.server.podNamespace;
  }

  /** The server's pods for a cdk8s-plus selector (see `IPodSelector.toPodSelectorConfig`). */
  public toPodSelectorConfig(): PodSelectorConfig {
    return this.server.toPodSelectorConfig();
  }

  /** The server's pods as a cdk8s-plus NetworkPolicy peer (see `INetworkPolicyPeer.toNetworkPolicyPeerConfig`). */
  public toNetworkPolicyPeerConfig(): NetworkPolicyPeerConfig {
    return this.server.toNetworkPolicyPeerConfig();
  }

  /** The server, which selects Redis' pods (see `INetworkPolicyPeer.toPodSelector`). */
  public toPodSelector(): IPodSelector {
    return this.server;
  }

  /**
   * Wires a client to Redis: the graph edge, and as asked the URL env (short name: clients share the namespace) and
   * an init wait. Returns the connection.
   */
  public connect(client: ClientBinding, options: RedisClientOptions = {}): Connection {
    const c = client.connect(this.endpoint, 'redis', { purpose: options.purpose ?? 'cache and task queues' });
    if (options.database !== undefined) check(Number.isInteger(options.database) && options.database >= 0, 'database', options.database, 'a whole number >= 0');
    if (options.urlEnv !== undefined) {
      const path = options.database !== undefined ? `/${options.database}` : undefined;
      const url = c.url('redis', { path, form: HostForm.SHORT });
      const secret = this.auth.password;
      if (secret) {
        const passwordEnv = options.passwordEnv ?? 'REDIS_PASSWORD';
        assertEnvName('passwordEnv', passwordEnv);
        // Kubernetes expands $(VAR) from env declared earlier in the container, so the password stays a Secret
        // reference and the URL holds only its name.
        client.setEnv(passwordEnv, secretKeyEnv(secret), c.envHint()).addExternalRef({ kind: 'Secret', name: secret.name });
        client.setEnv(options.urlEnv, url.replace(/^redis:\/\//, `redis://:$(${passwordEnv})@`), c.envHint());
      } else {
        client.setEnv(options.urlEnv, url, c.envHint());
      }
    }
    if (options.wait) client.addWait(WaitFor.service(this.endpoint));
    return c;
  }
}
