import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvBuilder } from '../../core/env';
import { Images, ImageRef } from '../../core/images';
import { NodeSelection } from '../../core/placement';
import { Probes } from '../../core/probes';
import { quantityOf } from '../../core/resources';
import { SecurityProfile } from '../../core/security';
import { REDIS_IMAGE, SERVICE_DEFAULT_RESOURCES, ServiceNames, ServicePorts } from './defaults';
import { GraphistryServiceOptions, renderServiceWorkload, ServiceCommonProps } from './workload';

/** uid and gid of the `redis` user in the official image. */
export const REDIS_UID = 999;

export interface RedisProps extends ServiceCommonProps, GraphistryServiceOptions {
  /**
   * Size limit of the emptyDir Redis keeps its snapshot in. Redis holds caches and task queues for Graphistry, which
   * rebuild after a restart, so it has no PVC.
   * @default 2 GiB
   */
  readonly dataSizeLimit?: Size;
}

/**
 * Redis for nexus' and the engine's caches and queues. Its Service is a ClusterIP and never a LoadBalancer: it has no
 * authentication, so exposing it outside the cluster would hand the queues to anyone who can reach the address.
 * Runs as the image's own non-root `redis` user (no exceptions to the restricted profile).
 */
export class Redis extends Construct {
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The ClusterIP Service `redis`. */
  public readonly service: k8s.KubeService;
  public readonly selector: Readonly<Record<string, string>>;
  /** `redis://redis:6379`, the URL clients in the namespace use. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: RedisProps = {}) {
    super(scope, id);
    const ref = props.image ?? REDIS_IMAGE;
    const image = Images.of(this).resolve('redis.image', ref);
    const limit = props.dataSizeLimit ?? Size.gibibytes(2);
    const ping = Probes.exec(['redis-cli', 'ping'], { initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 });
    const parts = renderServiceWorkload(this, {
      name: ServiceNames.REDIS,
      prop: 'redis',
      component: 'cache',
      version: ImageRef.parse(ref, 'redis.image').tag ?? 'pinned',
      containerName: 'redis',
      image,
      ports: [{ name: 'redis', port: ServicePorts.REDIS }],
      servicePorts: [{ name: 'redis', port: ServicePorts.REDIS, targetPort: 'redis' }],
      env: new EnvBuilder('Redis').user(props.env, 'redis.env'),
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.REDIS],
      liveness: ping,
      readiness: ping,
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      volumes: [{ name: 'data', emptyDir: { sizeLimit: quantityOf(limit) } }],
      security: props.securityProfile ?? SecurityProfile.restricted({ runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID }),
      nodeSelection: NodeSelection.inherit(),
      tolerations: props.tolerations,
      rollout: props.rollout,
    });
    this.deployment = parts.deployment;
    this.service = parts.service;
    this.selector = parts.selector;
    this.url = `redis://${ServiceNames.REDIS}:${ServicePorts.REDIS}`;
  }
}
