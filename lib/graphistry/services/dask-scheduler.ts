import { Construct } from 'constructs';
import { HostForm } from '../../core/endpoint';
import { Images } from '../../core/images';
import { Probes, probeSeconds } from '../../core/probes';
import { DEFAULT_CUDA_VARIANT, DEFAULT_GRAPHISTRY_TAG, graphistryImage } from '../defaults';
import { GraphistryServiceRepositories, SERVICE_DEFAULT_RESOURCES, graphistryServiceProfile, ServiceNames, ServicePorts } from './defaults';
import { WaitFor } from '../../core/waits';
import { ClientBinding, Connection, IConnectable } from '../../core/wiring';
import { GraphistryService, GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** Props of DaskScheduler. */
export interface DaskSchedulerProps extends ServiceCommonProps, GraphistryServiceOptions {
  /**
   * Graphistry release tag of the image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * CUDA variant suffix of the image (the scheduler runs the forge-etl-python image, which is built per CUDA version).
   * @default '13'
   */
  readonly cudaVariant?: string;
}

/** How a client is wired to the dask scheduler. */
export interface DaskSchedulerClientOptions {
  /**
   * Env variable that receives the scheduler's `host:port` (short name: clients share the namespace), owned by the
   * connection.
   * @default - none (take the address from the returned connection, for a command line)
   */
  readonly addressEnv?: string;
  /**
   * Wait in an init container until the scheduler's Service has ready endpoints.
   * @default false
   */
  readonly wait?: boolean;
}

/**
 * The dask scheduler every engine pod's dask-cuda-worker registers with (port 8786; dashboard 8787). Workers register
 * by pod IP with the scheduler's in-memory registry, never through a Service of their own.
 */
export class DaskScheduler extends GraphistryService implements IConnectable {
  constructor(scope: Construct, id: string, props: DaskSchedulerProps = {}) {
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    super(scope, id, { name: ServiceNames.DASK_SCHEDULER, component: 'scheduler', version: tag, container: 'dask-scheduler' }, 'DaskScheduler');
    const cuda = props.cudaVariant ?? DEFAULT_CUDA_VARIANT;
    const health = { port: ServicePorts.DASK_DASHBOARD, path: '/health' };
    this.connectAll(props.connections);
    this.env.defaults({ GRAPHISTRY_LOG_LEVEL: 'INFO', LOG_LEVEL: 'INFO' }).user(props.env, 'env');
    this.render({
      image: Images.of(this).resolve('image', props.image ?? graphistryImage(GraphistryServiceRepositories.daskScheduler, tag, cuda)),
      command: ['/entrypoints/rapids-entrypoint.sh'],
      args: [
        'dask-scheduler',
        '--port',
        String(ServicePorts.DASK_SCHEDULER),
        '--interface',
        'eth0',
        '--no-show',
        '--dashboard-address',
        String(ServicePorts.DASK_DASHBOARD),
      ],
      ports: [
        { name: 'scheduler', port: ServicePorts.DASK_SCHEDULER },
        { name: 'dashboard', port: ServicePorts.DASK_DASHBOARD },
      ],
      servicePorts: [
        { name: 'scheduler', port: ServicePorts.DASK_SCHEDULER, targetPort: 'scheduler' },
        { name: 'dashboard', port: ServicePorts.DASK_DASHBOARD, targetPort: 'dashboard' },
      ],
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.DASK_SCHEDULER],
      liveness: Probes.curl(health, probeSeconds(30, 30, 10)),
      readiness: Probes.curl(health, probeSeconds(10, 10, 5)),
      security: props.securityProfile ?? graphistryServiceProfile(),
      placement: props.placement,
      rollout: props.rollout,
    });
  }

  /**
   * Wires a client to the scheduler port: the graph edge, and as asked the address env and an init wait. Returns the
   * connection (`hostPort(HostForm.SHORT)` for a worker's command line).
   */
  public connect(client: ClientBinding, options: DaskSchedulerClientOptions = {}): Connection {
    const c = client.connect(this.endpoint, 'scheduler', { purpose: 'dask scheduler' });
    if (options.addressEnv !== undefined) client.setEnv(options.addressEnv, c.hostPort(HostForm.SHORT), c.envHint());
    if (options.wait) client.addWait(WaitFor.service(this.endpoint));
    return c;
  }
}
