import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvBuilder } from '../../core/env';
import { Images } from '../../core/images';
import { NodeSelection } from '../../core/placement';
import { Probes } from '../../core/probes';
import { DEFAULT_CUDA_VARIANT, DEFAULT_GRAPHISTRY_TAG, graphistryImage } from '../defaults';
import { GraphistryServiceRepositories, SERVICE_DEFAULT_RESOURCES, graphistryServiceProfile, ServiceNames, ServicePorts } from './defaults';
import { GraphistryServiceOptions, renderServiceWorkload, ServiceCommonProps } from './workload';

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

/**
 * The dask scheduler every engine pod's dask-cuda-worker registers with (port 8786; dashboard 8787). Workers register
 * by pod IP with the scheduler's in-memory registry, never through a Service of their own.
 */
export class DaskScheduler extends Construct {
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  public readonly selector: Readonly<Record<string, string>>;
  /** `dask-scheduler:8786`, the address workers and forge-etl-python dial. */
  public readonly address: string;

  constructor(scope: Construct, id: string, props: DaskSchedulerProps = {}) {
    super(scope, id);
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    const cuda = props.cudaVariant ?? DEFAULT_CUDA_VARIANT;
    const health = { port: ServicePorts.DASK_DASHBOARD, path: '/health' };
    const parts = renderServiceWorkload(this, {
      name: ServiceNames.DASK_SCHEDULER,
      prop: 'daskScheduler',
      component: 'scheduler',
      version: tag,
      containerName: 'dask-scheduler',
      image: Images.of(this).resolve('daskScheduler.image', props.image ?? graphistryImage(GraphistryServiceRepositories.daskScheduler, tag, cuda)),
      command: ['/entrypoints/rapids-entrypoint.sh'],
      args: ['dask-scheduler', '--port', String(ServicePorts.DASK_SCHEDULER), '--interface', 'eth0', '--no-show', '--dashboard-address', String(ServicePorts.DASK_DASHBOARD)],
      ports: [
        { name: 'scheduler', port: ServicePorts.DASK_SCHEDULER },
        { name: 'dashboard', port: ServicePorts.DASK_DASHBOARD },
      ],
      servicePorts: [
        { name: 'scheduler', port: ServicePorts.DASK_SCHEDULER, targetPort: 'scheduler' },
        { name: 'dashboard', port: ServicePorts.DASK_DASHBOARD, targetPort: 'dashboard' },
      ],
      env: new EnvBuilder('DaskScheduler').defaults({ GRAPHISTRY_LOG_LEVEL: 'INFO', LOG_LEVEL: 'INFO' }).user(props.env, 'daskScheduler.env'),
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.DASK_SCHEDULER],
      liveness: Probes.curl(health, { initialDelay: Duration.seconds(30), period: Duration.seconds(30), timeout: Duration.seconds(10), failureThreshold: 3 }),
      readiness: Probes.curl(health, { initialDelay: Duration.seconds(10), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
      security: props.securityProfile ?? graphistryServiceProfile(),
      nodeSelection: NodeSelection.inherit(),
      tolerations: props.tolerations,
      rollout: props.rollout,
    });
    this.deployment = parts.deployment;
    this.service = parts.service;
    this.selector = parts.selector;
    this.address = `${ServiceNames.DASK_SCHEDULER}:${ServicePorts.DASK_SCHEDULER}`;
  }
}
