import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvBuilder } from '../../core/env';
import { Images } from '../../core/images';
import { assertDnsSubdomain } from '../../core/names';
import { NodeSelection } from '../../core/placement';
import { assertExternalRefs, ExternalRef } from '../../core/policy';
import { Probes } from '../../core/probes';
import { DEFAULT_GRAPHISTRY_TAG, graphistryImage } from '../defaults';
import { DATA_PATH } from '../engine';
import { Postgres } from '../postgres';
import { GraphistryServiceRepositories, SERVICE_DEFAULT_RESOURCES, graphistryServiceProfile, ServiceNames, ServicePorts } from './defaults';
import { GraphistryServiceOptions, renderServiceWorkload, ServiceCommonProps } from './workload';

export interface PivotProps extends ServiceCommonProps, GraphistryServiceOptions {
  /** The Postgres server. Pivot's entrypoint waits for it with these settings before the server starts. */
  readonly postgres: Postgres;
  /** Claim name of the shared data PVC. */
  readonly dataMountClaim: string;
  /**
   * Graphistry release tag of the image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * More objects the pod references that an operator creates.
   * @default - the Postgres Secret only
   */
  readonly additionalExternalRefs?: readonly ExternalRef[];
}

/**
 * pivot: the investigation app (Node.js, HTTP only, no GPU), on port 8080. It follows the release-wide placement;
 * the GPU work it triggers runs in the engine.
 */
export class Pivot extends Construct {
  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  public readonly selector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PivotProps) {
    super(scope, id);
    assertDnsSubdomain('dataMountClaim', props.dataMountClaim);
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    const port = String(ServicePorts.PIVOT);
    const env = new EnvBuilder('Pivot')
      // The image's entrypoint connects to Postgres with these before it starts the server; without them it loops
      // "Waiting for PostgreSQL" for ever.
      .ownAll(props.postgres.env())
      .ownAll({ PORT: port, PIVOT_PORT: port })
      .defaults({ NODE_ENV: 'production', GRAPHISTRY_LOG_LEVEL: 'INFO', LOG_LEVEL: 'INFO' })
      .user(props.env, 'pivot.env');
    const health = { port: ServicePorts.PIVOT, path: '/health' };
    const parts = renderServiceWorkload(this, {
      name: ServiceNames.PIVOT,
      prop: 'pivot',
      component: 'investigations',
      version: tag,
      containerName: 'pivot',
      image: Images.of(this).resolve('pivot.image', props.image ?? graphistryImage(GraphistryServiceRepositories.pivot, tag, 'universal')),
      ports: [{ name: 'http', port: ServicePorts.PIVOT }],
      servicePorts: [{ name: 'http', port: ServicePorts.PIVOT, targetPort: 'http' }],
      env,
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.PIVOT],
      liveness: Probes.curl(health, { initialDelay: Duration.seconds(60), period: Duration.seconds(60), timeout: Duration.seconds(30), failureThreshold: 3 }),
      readiness: Probes.curl(health, { initialDelay: Duration.seconds(15), period: Duration.seconds(10), timeout: Duration.seconds(10), failureThreshold: 3 }),
      volumeMounts: [{ name: 'data-mount', mountPath: DATA_PATH }],
      volumes: [{ name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } }],
      waits: [props.postgres.wait()],
      security: props.securityProfile ?? graphistryServiceProfile(),
      nodeSelection: NodeSelection.inherit(),
      tolerations: props.tolerations,
      rollout: props.rollout,
      externalRefs: [...props.postgres.externalRefs(), ...assertExternalRefs('additionalExternalRefs', props.additionalExternalRefs ?? [])],
    });
    this.deployment = parts.deployment;
    this.service = parts.service;
    this.selector = parts.selector;
  }
}
