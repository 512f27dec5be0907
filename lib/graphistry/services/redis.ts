import { Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { HostForm } from '../../core/endpoint';
import { check } from '../../core/errors';
import { Images, ImageRef } from '../../core/images';
import { Probes } from '../../core/probes';
import { quantityOf } from '../../core/resources';
import { SecurityProfile } from '../../core/security';
import { WaitFor } from '../../core/waits';
import { ClientBinding, Connection, IConnectable } from '../../core/wiring';
import { REDIS_IMAGE, SERVICE_DEFAULT_RESOURCES, ServiceNames, ServicePorts } from './defaults';
import { GraphistryService, GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** uid and gid of the `redis` user in the official image. */
export const REDIS_UID = 999;

/** Props of Redis. */
export interface RedisProps extends ServiceCommonProps, GraphistryServiceOptions {
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
 * Redis for nexus' and the engine's caches and queues. Its Service is a ClusterIP and never a LoadBalancer: it has no
 * authentication, so exposing it outside the cluster would hand the queues to anyone who can reach the address.
 * Runs as the image's own non-root `redis` user (no exceptions to the restricted profile).
 */
export class Redis extends GraphistryService implements IConnectable {
  constructor(scope: Construct, id: string, props: RedisProps = {}) {
    const ref = props.image ?? REDIS_IMAGE;
    super(scope, id, { name: ServiceNames.REDIS, component: 'cache', version: ImageRef.parse(ref, 'image').tag ?? 'pinned', container: 'redis' }, 'Redis');
    const image = Images.of(this).resolve('image', ref);
    const limit = props.dataSizeLimit ?? Size.gibibytes(2);
    const ping = Probes.exec(['redis-cli', 'ping'], { initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 });
    this.connectAll(props.connections);
    this.env.user(props.env, 'env');
    this.render({
      image,
      ports: [{ name: 'redis', port: ServicePorts.REDIS }],
      servicePorts: [{ name: 'redis', port: ServicePorts.REDIS, targetPort: 'redis' }],
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
