import { Size } from 'cdk8s';
import { Construct } from 'constructs';
import { HostForm } from '../../core/endpoint';
import { check, ErrorCollector } from '../../core/errors';
import { Images, ImageRef } from '../../core/images';
import { Probes, probeSeconds } from '../../core/probes';
import { quantityOf } from '../../core/resources';
import { SecurityProfile } from '../../core/security';
import { WaitFor } from '../../core/waits';
import { ClientBinding, Connection, IConnectable } from '../../core/wiring';
import { VALKEY_PORT } from '../../valkey/config';
import { ValkeyEngine } from '../../valkey/engine';
import { VALKEY_UID } from '../../valkey/server';
import { REDIS_IMAGE, SERVICE_DEFAULT_RESOURCES, ServiceNames } from './defaults';
import { GraphistryService, GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** uid and gid of the `redis` user in the official image (the Valkey component's, which the `valkey` image shares). */
export const REDIS_UID = VALKEY_UID;

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

  constructor(scope: Construct, id: string, props: RedisProps = {}) {
    const engine = props.engine ?? ValkeyEngine.redis(props.image ?? REDIS_IMAGE);
    super(scope, id, { name: ServiceNames.REDIS, component: 'cache', version: ImageRef.parse(engine.image, 'image').tag ?? 'pinned', container: 'redis' }, 'Redis');
    const errors = new ErrorCollector(this);
    errors.check(props.engine === undefined || props.image === undefined, 'image', props.image, 'unset when engine is given', `the engine names its image (${props.engine?.image})`);
    errors.check(props.engine === undefined || props.engine instanceof ValkeyEngine, 'engine', props.engine, 'ValkeyEngine.redis(image) or ValkeyEngine.valkey(image)');
    errors.throwIfAny();
    this.engine = engine;
    const image = Images.of(this).resolve(props.engine ? 'engine' : 'image', engine.image);
    const limit = props.dataSizeLimit ?? Size.gibibytes(2);
    const ping = Probes.exec([engine.cli, 'ping'], probeSeconds(5, 10, 5));
    this.connectAll(props.connections);
    this.env.user(props.env, 'env');
    this.render({
      image,
      ports: [{ name: 'redis', port: VALKEY_PORT }],
      servicePorts: [{ name: 'redis', port: VALKEY_PORT, targetPort: 'redis' }],
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.REDIS],
      liveness: ping,
      readiness: ping,
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      volumes: [{ name: 'data', emptyDir: { sizeLimit: quantityOf(limit) } }],
      security: props.securityProfile ?? SecurityProfile.restricted({ runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID }),
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
      client.setEnv(options.urlEnv, c.url('redis', { path, form: HostForm.SHORT }), c.envHint());
    }
    if (options.wait) client.addWait(WaitFor.service(this.endpoint));
    return c;
  }
}
