import { Construct } from 'constructs';
import { Images } from '../../core/images';
import { assertDnsSubdomain } from '../../core/names';
import { assertExternalRefs, ExternalRef } from '../../core/policy';
import { Probes, probeSeconds } from '../../core/probes';
import { DEFAULT_GRAPHISTRY_TAG, graphistryImage } from '../defaults';
import { DATA_PATH } from '../engine';
import { Postgres } from '../postgres';
import { GraphistryServiceRepositories, SERVICE_DEFAULT_RESOURCES, graphistryServiceProfile, ServiceNames, ServicePorts } from './defaults';
import { GraphistryService, GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** Props of Pivot. */
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
export class Pivot extends GraphistryService {

  constructor(scope: Construct, id: string, props: PivotProps) {
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    super(scope, id, { name: ServiceNames.PIVOT, component: 'investigations', version: tag, container: 'pivot' }, 'Pivot');
    assertDnsSubdomain('dataMountClaim', props.dataMountClaim);
    const port = String(ServicePorts.PIVOT);
    // The image's entrypoint connects to Postgres with these before it starts the server; without them it loops
    // "Waiting for PostgreSQL" for ever.
    props.postgres.connect(this.client);
    this.env.ownAll({ PORT: port, PIVOT_PORT: port });
    this.connectAll(props.connections);
    this.env.defaults({ NODE_ENV: 'production', GRAPHISTRY_LOG_LEVEL: 'INFO', LOG_LEVEL: 'INFO' }).user(props.env, 'env');
    const health = { port: ServicePorts.PIVOT, path: '/health' };
    this.render({
      image: Images.of(this).resolve('image', props.image ?? graphistryImage(GraphistryServiceRepositories.pivot, tag, 'universal')),
      ports: [{ name: 'http', port: ServicePorts.PIVOT }],
      servicePorts: [{ name: 'http', port: ServicePorts.PIVOT, targetPort: 'http' }],
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.PIVOT],
      liveness: Probes.curl(health, probeSeconds(60, 60, 30)),
      readiness: Probes.curl(health, probeSeconds(15, 10, 10)),
      volumeMounts: [{ name: 'data-mount', mountPath: DATA_PATH }],
      volumes: [{ name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } }],
      security: props.securityProfile ?? graphistryServiceProfile(),
      placement: props.placement,
      rollout: props.rollout,
      externalRefs: assertExternalRefs('additionalExternalRefs', props.additionalExternalRefs ?? []),
    });
  }
}
