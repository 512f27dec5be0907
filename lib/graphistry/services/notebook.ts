import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Images } from '../../core/images';
import { assertDnsSubdomain } from '../../core/names';
import { assertExternalRefs, ExternalRef } from '../../core/policy';
import { Probes, probeSeconds } from '../../core/probes';
import { DEFAULT_CUDA_VARIANT, DEFAULT_GRAPHISTRY_TAG, graphistryImage } from '../defaults';
import { GraphistryServiceRepositories, SERVICE_DEFAULT_RESOURCES, graphistryServiceProfile, ServiceNames, ServicePorts } from './defaults';
import { GraphistryService, GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** Where the notebook sees each graph-app-kit variant's views, to edit dashboards from Jupyter. */
export const NOTEBOOK_GAK_PATHS = {
  public: '/home/graphistry/graph-app-kit-public/',
  private: '/home/graphistry/graph-app-kit-private/',
} as const;

/** Props of Notebook. */
export interface NotebookProps extends ServiceCommonProps, GraphistryServiceOptions {
  /** Claim name of the shared data PVC (notebooks and dask-shared live on it). */
  readonly dataMountClaim: string;
  /**
   * Claim of the public graph-app-kit views, mounted only when that variant is enabled. A mount of a claim the
   * release does not render would leave the pod in FailedMount for ever.
   * @default - not mounted
   */
  readonly gakPublicClaim?: string;
  /**
   * Claim of the private graph-app-kit views, mounted only when that variant is enabled.
   * @default - not mounted
   */
  readonly gakPrivateClaim?: string;
  /**
   * RuntimeClass for the pod (`nvidia` when the NVIDIA container runtime is not the node default).
   * @default - the cluster's default runtime
   */
  readonly runtimeClassName?: string;
  /**
   * Graphistry release tag of the image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * CUDA variant suffix of the image.
   * @default '13'
   */
  readonly cudaVariant?: string;
  /**
   * More objects the pod references that an operator creates.
   * @default - none
   */
  readonly additionalExternalRefs?: readonly ExternalRef[];
}

/**
 * Jupyter with Graphistry's RAPIDS kernel (cudf, cuml, cugraph), on port 8888 under /notebook. GPU-bound like the
 * engine: its own nodeSelector falls back to the release-wide one.
 */
export class Notebook extends GraphistryService {

  constructor(scope: Construct, id: string, props: NotebookProps) {
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    super(scope, id, { name: ServiceNames.NOTEBOOK, component: 'notebook', version: tag, container: 'notebook' }, 'Notebook');
    assertDnsSubdomain('dataMountClaim', props.dataMountClaim);
    if (props.gakPublicClaim !== undefined) assertDnsSubdomain('gakPublicClaim', props.gakPublicClaim);
    if (props.gakPrivateClaim !== undefined) assertDnsSubdomain('gakPrivateClaim', props.gakPrivateClaim);
    if (props.runtimeClassName !== undefined) assertDnsSubdomain('runtimeClassName', props.runtimeClassName);
    const cuda = props.cudaVariant ?? DEFAULT_CUDA_VARIANT;
    this.connectAll(props.connections);
    this.env.defaults({ GRAPHISTRY_LOG_LEVEL: 'INFO', LOG_LEVEL: 'INFO' }).user(props.env, 'env');

    const mounts: k8s.VolumeMount[] = [
      { name: 'data-mount', mountPath: '/home/graphistry/notebooks', subPath: 'notebooks' },
      { name: 'data-mount', mountPath: '/home/graphistry/dask-shared', subPath: 'dask-shared' },
    ];
    const volumes: k8s.Volume[] = [{ name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } }];
    if (props.gakPublicClaim) {
      mounts.push({ name: 'gak-public', mountPath: NOTEBOOK_GAK_PATHS.public });
      volumes.push({ name: 'gak-public', persistentVolumeClaim: { claimName: props.gakPublicClaim } });
    }
    if (props.gakPrivateClaim) {
      mounts.push({ name: 'gak-private', mountPath: NOTEBOOK_GAK_PATHS.private });
      volumes.push({ name: 'gak-private', persistentVolumeClaim: { claimName: props.gakPrivateClaim } });
    }

    const api = { port: ServicePorts.NOTEBOOK, path: '/notebook/api' };
    this.render({
      image: Images.of(this).resolve('image', props.image ?? graphistryImage(GraphistryServiceRepositories.notebook, tag, cuda)),
      ports: [{ name: 'http', port: ServicePorts.NOTEBOOK }],
      servicePorts: [{ name: 'http', port: ServicePorts.NOTEBOOK, targetPort: 'http' }],
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.NOTEBOOK],
      liveness: Probes.curl(api, probeSeconds(60, 60, 30)),
      readiness: Probes.curl(api, probeSeconds(15, 10, 10)),
      volumeMounts: mounts,
      volumes,
      security: props.securityProfile ?? graphistryServiceProfile(),
      // Its RAPIDS kernel needs a GPU node: on split GPU/CPU pools `placement` points it at the GPU pool.
      placement: props.placement,
      rollout: props.rollout,
      runtimeClassName: props.runtimeClassName,
      externalRefs: props.additionalExternalRefs && assertExternalRefs('additionalExternalRefs', props.additionalExternalRefs),
    });
  }
}
