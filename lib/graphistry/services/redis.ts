import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { HostForm } from '../../core/endpoint';
import { check, ErrorCollector } from '../../core/errors';
import { Images, ImageRef } from '../../core/images';
import { assertEnvName, EnvBuilder } from '../../core/env';
import { Probes, probeSeconds } from '../../core/probes';
import { quantityOf } from '../../core/resources';
import { secretKeyEnv } from '../../core/secrets';
import { SecurityProfile } from '../../core/security';
import { WAIT_RESOURCES, WaitFor } from '../../core/waits';
import { ClientBinding, Connection, IConnectable } from '../../core/wiring';
import { ValkeyAuth } from '../../valkey/client';
import { VALKEY_PORT } from '../../valkey/config';
import { ValkeyEngine } from '../../valkey/engine';
import { runtimeConfigScript, VALKEY_RUNTIME_CONFIG, VALKEY_UID } from '../../valkey/server';
import { REDIS_IMAGE, SERVICE_DEFAULT_RESOURCES, ServiceNames } from './defaults';
import { GraphistryService, GraphistryServiceOptions, GraphistryServiceSpec, ServiceCommonProps } from './workload';

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

/** Where the init container writes the runtime config (a memory-backed volume). */
const RUNTIME_VOLUME = 'runtime';

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
 * Redis for nexus' and the engine's caches and queues, on the Valkey component's engine (image, CLI, port and user;
 * `ValkeyServer` is the same server as a StatefulSet with a password, replicas and persistence). Graphistry's clients
 * connect without a password, so this one is a Deployment with an emptyDir (caches and queues rebuild after a restart)
 * and its Service is a ClusterIP, never a LoadBalancer: exposing it outside the cluster would hand the queues to anyone
 * who can reach the address. Runs as the image's own non-root `redis` user (no exceptions to the restricted profile).
 */
export class Redis extends GraphistryService implements IConnectable {
  /** The server program and its image, from the Valkey component. */
  public readonly engine: ValkeyEngine;
  /** How clients authenticate (no password unless `auth` gives one). */
  public readonly auth: ValkeyAuth;

  constructor(scope: Construct, id: string, props: RedisProps = {}) {
    const engine = props.engine ?? ValkeyEngine.redis(props.image ?? REDIS_IMAGE);
    super(scope, id, { name: ServiceNames.REDIS, component: 'cache', version: ImageRef.parse(engine.image, 'image').tag ?? 'pinned', container: 'redis' }, 'Redis');
    const errors = new ErrorCollector(this);
    errors.check(props.engine === undefined || props.image === undefined, 'image', props.image, 'unset when engine is given', `the engine names its image (${props.engine?.image})`);
    errors.check(props.engine === undefined || props.engine instanceof ValkeyEngine, 'engine', props.engine, 'ValkeyEngine.redis(image) or ValkeyEngine.valkey(image)');
    errors.check(props.auth === undefined || props.auth instanceof ValkeyAuth, 'auth', props.auth, "ValkeyAuth.password({ name, key }) of an operator-created Secret, or ValkeyAuth.none({ reason })");
    errors.throwIfAny();
    this.engine = engine;
    this.auth = props.auth ?? ValkeyAuth.none({ reason: GRAPHISTRY_REDIS_NO_AUTH_REASON });
    const image = Images.of(this).resolve(props.engine ? 'engine' : 'image', engine.image);
    const limit = props.dataSizeLimit ?? Size.gibibytes(2);
    const security = props.securityProfile ?? SecurityProfile.restricted({ runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID });
    const ping = Probes.exec([engine.cli, 'ping'], probeSeconds(5, 10, 5));
    this.connectAll(props.connections);
    const secured = this.passwordFromConfig(image);
    this.env.user(props.env, 'env');
    this.render({
      image,
      ...secured,
      ports: [{ name: 'redis', port: VALKEY_PORT }],
      servicePorts: [{ name: 'redis', port: VALKEY_PORT, targetPort: 'redis' }],
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.REDIS],
      liveness: ping,
      readiness: ping,
      volumeMounts: [{ name: 'data', mountPath: '/data' }, ...secured.volumeMounts],
      volumes: [{ name: 'data', emptyDir: { sizeLimit: quantityOf(limit) } }, ...secured.volumes],
      security,
      placement: props.placement,
      rollout: props.rollout,
    });
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

  /**
   * With a password: the init container that writes `requirepass` from the Secret into the runtime config on a
   * memory-backed volume (the Valkey component's script), the server started with that file, and REDISCLI_AUTH for
   * the probes' CLI, so the password is in no command line. Without one: nothing, and the server starts as before.
   */
  private passwordFromConfig(image: string): Pick<GraphistryServiceSpec, 'command' | 'initContainers' | 'externalRefs'> & { volumeMounts: k8s.VolumeMount[]; volumes: k8s.Volume[] } {
    const secret = this.auth.password;
    if (!secret) return { volumeMounts: [], volumes: [] };
    const script = runtimeConfigScript({ passwordSource: `Secret ${secret.name} key ${secret.key}` });
    const runtimeDir = VALKEY_RUNTIME_CONFIG.slice(0, VALKEY_RUNTIME_CONFIG.lastIndexOf('/'));
    this.env.own(this.engine.cliAuthEnv, secretKeyEnv(secret), { controlledBy: "the 'auth' prop (the probes' CLI reads the password from it)" });
    const initEnv = new EnvBuilder(`Redis ${this.node.path} container config`);
    initEnv.own('VALKEY_PASSWORD', secretKeyEnv(secret));
    return {
      command: [this.engine.server, VALKEY_RUNTIME_CONFIG],
      initContainers: [{ name: 'config', image, command: ['sh', '-c', script], env: initEnv, resources: WAIT_RESOURCES, volumeMounts: [{ name: RUNTIME_VOLUME, mountPath: runtimeDir }] }],
      volumeMounts: [{ name: RUNTIME_VOLUME, mountPath: runtimeDir, readOnly: true }],
      // Memory-backed: the password file never touches the node's disk.
      volumes: [{ name: RUNTIME_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: quantityOf(Size.mebibytes(1)) } }],
      externalRefs: [{ kind: 'Secret', name: secret.name }],
    };
  }
}
