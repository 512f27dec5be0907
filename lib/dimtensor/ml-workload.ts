import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ExternalPeer, ServiceEndpoint } from '../core/endpoint';
import { EnvFrom, EnvMap } from '../core/env';
import { buildChild, check, ConfigError, inConstruct } from '../core/errors';
import { ForwardedProps } from '../core/props';
import { Gpu } from '../core/gpu';
import { assertPinnedTag, ImageRef } from '../core/images';
import { assertDnsSubdomain } from '../core/names';
import { WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { IConnectable } from '../core/wiring';
import { DeploymentRollout } from '../core/deployment';
import { Release } from '../release/release';
import { WorkloadBlock } from '../workload/block';
import { CronJob, CronJobProps } from '../workload/cron-job';
import { DisruptionBudget } from '../workload/disruption';
import { WorkloadIngressOptions } from '../workload/ingress';
import { Job, JobRunOptions } from '../workload/job';
import { AccessMode, Mount, PodVolume, WorkloadClaimOptions } from '../workload/volumes';
import { WorkloadContainerProps, WorkloadPodProps } from '../workload/pod';
import { Scaling } from '../workload/scaling';
import { Spread } from '../workload/spread';
import { ServiceExposure, WebService } from '../workload/web-service';
import { WorkloadKind } from '../workload/worker';

/** The dimtensor image variants (`dimtensor:<tag>-<variant>`). There is no `latest`: the tag is always pinned. */
export enum MlImageVariant {
  /** CPU build with every optional dependency (inference, analysis). */
  CPU_FULL = 'cpu-full',
  /** CUDA build with PyTorch and JAX (GPU training). */
  ML = 'ml',
  /** JupyterLab on top of the ML build. */
  JUPYTER = 'jupyter',
}

/** The dimtensor image of a workload. */
export interface MlImageOptions {
  /** The release tag (`4.2.0`); never `latest`. The variant is appended: `dimtensor:4.2.0-cpu-full`. */
  readonly tag: string;
  /** The variant. */
  readonly variant: MlImageVariant;
  /**
   * Repository (with its registry, when not Docker Hub). The release's mirror still applies.
   * @default 'dimtensor'
   */
  readonly repository?: string;
}

/** The image reference `<repository>:<tag>-<variant>`, validated. */
export function mlImageRef(o: MlImageOptions): string {
  check(Object.values(MlImageVariant).includes(o.variant), 'image.variant', o.variant, 'MlImageVariant.CPU_FULL, ML or JUPYTER (cpu-full, ml, jupyter)');
  assertPinnedTag('image.tag', o.tag, { example: '4.2.0', maxLength: 101, latestReason: 'latest moves under a running release, and the chart ignored the tag for the latest variant' });
  const ref = `${o.repository ?? 'dimtensor'}:${o.tag}-${o.variant}`;
  ImageRef.parse(ref, 'image.repository');
  return ref;
}

/** An existing, operator-created Secret a dimtensor workload reads. */
export class MlSecret {
  /** Every key of the Secret as an environment variable. */
  public static env(secretName: string): MlSecret {
    assertDnsSubdomain('secret.secretName', secretName);
    return new MlSecret(secretName, undefined);
  }

  /** The Secret's keys as files under `mountPath` (read-only). */
  public static mount(secretName: string, mountPath = '/secrets'): MlSecret {
    assertDnsSubdomain('secret.secretName', secretName);
    return new MlSecret(secretName, mountPath);
  }

  private constructor(
    /** The Secret's name. */
    public readonly secretName: string,
    /** Where it is mounted, when it is mounted. */
    public readonly mountPath: string | undefined,
  ) {}
}

/** Persistent data of a dimtensor workload (the chart's `persistence`). */
export class MlData {
  /** A claim the release renders (`<name>-data`), kept when removed from Git. */
  public static claim(options: WorkloadClaimOptions & { readonly mountPath?: string }): MlData {
    return new MlData(PodVolume.claim('data', options), options.mountPath ?? '/data');
  }

  /** A claim an operator created (the chart's `existingClaim`). */
  public static existingClaim(claimName: string, options: { readonly accessMode?: AccessMode; readonly mountPath?: string } = {}): MlData {
    return new MlData(PodVolume.existingClaim('data', claimName, { accessMode: options.accessMode }), options.mountPath ?? '/data');
  }

  private constructor(
    /** The pod volume. */
    public readonly volume: PodVolume,
    /** Where it is mounted. */
    public readonly mountPath: string,
  ) {}
}

/** Settings every dimtensor mode shares (the chart's values table). */
export interface MlWorkloadProps {
  /**
   * Object name of the workload and everything it renders.
   * @default - the release name
   */
  readonly name?: string;
  /**
   * `app.kubernetes.io/component`, part of the selector: give each workload of one release its own.
   * @default - 'api' (service), 'job' or 'cronjob'
   */
  readonly component?: string;
  /** The image: `dimtensor:<tag>-<variant>`, the tag always pinned. */
  readonly image: MlImageOptions;
  /** @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** @default - the image's command */
  readonly args?: readonly string[];
  /**
   * Environment (credentials as `EnvSource.secret(name, key)` from operator-created Secrets, never literals).
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Requests and limits.
   * @default - 500m/2Gi requested, 2000m/8Gi limit
   */
  readonly resources?: Resources;
  /**
   * GPUs (`Gpu.nvidia(1)`); use the `ml` variant with it.
   * @default - none
   */
  readonly gpu?: Gpu;
  /**
   * Placement relative to the release-wide one (a GPU's selector and toleration are merged in, never replacing it).
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Files rendered into a ConfigMap and mounted read-only (the chart's `configMap.data`; a change rolls the pods or
   * makes a new Job).
   * @default - none
   */
  readonly config?: { readonly files: Readonly<Record<string, string>>; readonly mountPath?: string };
  /**
   * An operator-created Secret loaded as env or mounted (the chart's `secret`, minus the values: credentials never
   * live in the app).
   * @default - none
   */
  readonly secret?: MlSecret;
  /**
   * Persistent data (the chart's `persistence`).
   * @default - none
   */
  readonly data?: MlData;
  /**
   * ServiceAccount annotations (workload identity for object storage or MLflow).
   * @default - no ServiceAccount of its own
   */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /**
   * PriorityClass.
   * @default - the cluster default
   */
  readonly priorityClassName?: string;
  /**
   * Pod annotations.
   * @default - none
   */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /**
   * Servers the container connects to (env, waits, mounts from their `connect`).
   * @default []
   */
  readonly connections?: readonly IConnectable[];
  /**
   * Time between SIGTERM and SIGKILL.
   * @default - Kubernetes default (30s)
   */
  readonly terminationGracePeriod?: Duration;
}

/** Props of `MlWorkload.service()`: the inference API. */
export interface MlServiceProps extends MlWorkloadProps {
  /**
   * A fixed count or an autoscaler (autoscaling/v2: Kubernetes 1.23+).
   * @default Scaling.fixed(3)
   */
  readonly scaling?: Scaling;
  /**
   * A PodDisruptionBudget.
   * @default - none
   */
  readonly disruptionBudget?: DisruptionBudget;
  /**
   * Spread rules (they select this workload's own pods).
   * @default []
   */
  readonly spread?: readonly Spread[];
  /**
   * Prometheus scrape annotations for `/metrics` on the http port.
   * @default false
   */
  readonly prometheusScrape?: boolean;
  /**
   * Service port (forwarding to the container's `http` port 8080).
   * @default 80
   */
  readonly servicePort?: number;
  /**
   * Who reaches the Service.
   * @default ServiceExposure.clusterIp()
   */
  readonly exposure?: ServiceExposure;
  /**
   * Who connects from outside the cluster, with a node port or load balancer `exposure` (its NetworkPolicy admits them).
   * @default - none (required for ServiceExposure.nodePort() and .loadBalancer())
   */
  readonly externalClients?: ExternalPeer;
  /**
   * An Ingress.
   * @default - none
   */
  readonly ingress?: WorkloadIngressOptions;
}

/** Props of `MlWorkload.job()`: training or batch. */
export interface MlJobProps extends MlWorkloadProps, JobRunOptions {}

/** Props of `MlWorkload.cronJob()`: scheduled analysis. */
export interface MlCronJobProps extends MlWorkloadProps, JobRunOptions, Pick<CronJobProps, 'schedule' | 'timeZone' | 'concurrencyPolicy' | 'successfulJobsHistoryLimit' | 'failedJobsHistoryLimit' | 'startingDeadline' | 'suspend'> {}

/** How the generic block's props appear in MlWorkload's props (for messages). */
const ML_FORWARDED_PROPS: ForwardedProps = {
  prefix: '',
  renames: {
    'container.image': 'image',
    'container.command': 'command',
    'container.args': 'args',
    'container.env': 'env',
    'container.envFrom': 'secret',
    'container.resources': 'resources',
    // The identity's name is always dimtensor: the component is what tells two workloads' selectors apart.
    'identity.name': 'component',
    'identity.component': 'component',
    'serviceAccount.annotations': 'serviceAccountAnnotations',
    'service.ports': 'servicePort',
    'service.exposure': 'exposure',
    'service.externalClients': 'externalClients',
  },
};

/** The container port of the inference API. */
export const ML_HTTP_PORT = 8080;
/** Requests and limits of every mode unless set (the chart's defaults). */
export const ML_DEFAULT_RESOURCES: Resources = sized(500, 2000, 2048, 8192);
/** uid and fsGroup of the image's `dimtensor` user. */
export const ML_UID = 1000;

/**
 * A dimtensor workload: one image (`dimtensor:<tag>-<variant>`), three modes as factories over the generic blocks:
 * `service` (a WebService: port 8080 `http`, `/health` and `/ready` probes with a startup probe, rolling updates with
 * maxSurge 1 / maxUnavailable 0, a Service on port 80), `job` (training or indexed batch) and `cronJob` (scheduled
 * analysis). Every mode runs as uid/fsGroup 1000 with all capabilities dropped and reads credentials only from
 * operator-created Secrets.
 */
export class MlWorkload extends Construct {
  /** The inference API: a WebService. */
  public static service(scope: Construct, id: string, props: MlServiceProps): MlWorkload {
    return new MlWorkload(scope, id, 'service', props, (self, pod) => {
      const port = props.servicePort ?? 80;
      return new WebService(self, 'Workload', {
        ...pod,
        identity: { ...pod.identity, component: props.component ?? 'api' },
        container: {
          ...pod.container,
          ports: [{ name: 'http', port: ML_HTTP_PORT }],
          startupProbe: Probes.http('/health', 'http', { period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 12 }),
          readinessProbe: Probes.http('/ready', 'http', { initialDelay: Duration.seconds(5), period: Duration.seconds(10), timeout: Duration.seconds(3), failureThreshold: 3 }),
          livenessProbe: Probes.http('/health', 'http', { initialDelay: Duration.seconds(10), period: Duration.seconds(30), timeout: Duration.seconds(5), failureThreshold: 3 }),
        },
        kind: WorkloadKind.deployment({ rollout: DeploymentRollout.rolling({ maxSurge: 1, maxUnavailable: 0 }) }),
        scaling: props.scaling ?? Scaling.fixed(3),
        disruptionBudget: props.disruptionBudget,
        spread: props.spread,
        prometheusScrape: props.prometheusScrape ? { port: 'http', path: '/metrics' } : undefined,
        service: { ports: [{ name: 'http', port, targetPort: 'http' }], exposure: props.exposure, externalClients: props.externalClients },
        ingress: props.ingress,
      });
    });
  }

  /** A run-to-completion Job (training, or a batch sweep that reads `JobIndex.env()`). */
  public static job(scope: Construct, id: string, props: MlJobProps): MlWorkload {
    return new MlWorkload(scope, id, 'job', props, (self, pod) =>
      new Job(self, 'Workload', { ...pod, ...jobRun(props), identity: { ...pod.identity, component: props.component ?? 'job' } }),
    );
  }

  /** A CronJob (scheduled analysis). */
  public static cronJob(scope: Construct, id: string, props: MlCronJobProps): MlWorkload {
    return new MlWorkload(scope, id, 'cronJob', props, (self, pod) =>
      new CronJob(self, 'Workload', {
        ...pod,
        ...jobRun(props),
        identity: { ...pod.identity, component: props.component ?? 'cronjob' },
        schedule: props.schedule,
        timeZone: props.timeZone,
        concurrencyPolicy: props.concurrencyPolicy,
        successfulJobsHistoryLimit: props.successfulJobsHistoryLimit,
        failedJobsHistoryLimit: props.failedJobsHistoryLimit,
        startingDeadline: props.startingDeadline,
        suspend: props.suspend,
      }),
    );
  }

  /** The generic block that renders the objects (`WebService`, `Job` or `CronJob`). */
  public readonly block: WorkloadBlock;
  /** The image reference as written (before a release mirror). */
  public readonly image: string;

  private constructor(
    scope: Construct,
    id: string,
    /** Which mode. */
    public readonly mode: 'service' | 'job' | 'cronJob',
    props: MlWorkloadProps,
    build: (self: MlWorkload, pod: WorkloadPodProps) => WorkloadBlock,
  ) {
    super(scope, id);
    this.image = inConstruct(this, () => {
      check(props !== undefined && typeof props === 'object' && props.image !== undefined, 'image', props?.image, '{ tag, variant }');
      return mlImageRef(props.image);
    });
    const pod = inConstruct(this, () => this.podProps(props));
    // The block's errors name the prop as the user of MlWorkload wrote it (`env`, not `container.env`).
    this.block = buildChild(this, 'Workload', ML_FORWARDED_PROPS, () => build(this, pod));
  }

  /** The inference API's Service handle (service mode only). */
  public get endpoint(): ServiceEndpoint {
    if (!(this.block instanceof WebService)) throw new ConfigError('endpoint', this.mode, 'MlWorkload.service(...)', `a ${this.mode} has no Service`);
    return this.block.endpoint;
  }

  private podProps(props: MlWorkloadProps): WorkloadPodProps {
    const mounts: Mount[] = [];
    if (props.config) mounts.push({ volume: PodVolume.files('config', props.config.files), path: props.config.mountPath ?? '/config', prop: 'config' });
    if (props.data) {
      check(props.data instanceof MlData, 'data', props.data, 'MlData.claim({...}) or MlData.existingClaim(name)');
      mounts.push({ volume: props.data.volume, path: props.data.mountPath, prop: 'data' });
    }
    const envFrom: EnvFrom[] = [];
    if (props.secret) {
      // Shown by its keys only: a values-style `{ data: {...} }` would otherwise print the credential into the log.
      check(props.secret instanceof MlSecret, 'secret', shape(props.secret), 'MlSecret.env(name) or MlSecret.mount(name, path) (an operator-created Secret)', 'the app never holds Secret data');
      if (props.secret.mountPath) mounts.push({ volume: PodVolume.secret('secret', props.secret.secretName), path: props.secret.mountPath, prop: 'secret' });
      else envFrom.push(EnvFrom.secret(props.secret.secretName));
    }
    const container: WorkloadContainerProps = {
      name: 'dimtensor',
      image: this.image,
      command: props.command,
      args: props.args,
      env: props.env,
      envFrom,
      resources: props.resources ?? ML_DEFAULT_RESOURCES,
      mounts,
    };
    return {
      name: props.name ?? Release.of(this).releaseName,
      identity: { name: 'dimtensor', partOf: 'dimtensor', version: props.image.tag },
      container,
      connections: props.connections,
      security: SecurityProfile.restricted({ runAsUser: ML_UID, runAsGroup: ML_UID, fsGroup: ML_UID }),
      placement: props.placement,
      gpu: props.gpu,
      serviceAccount: props.serviceAccountAnnotations ? { annotations: props.serviceAccountAnnotations } : undefined,
      priorityClassName: props.priorityClassName,
      podAnnotations: props.podAnnotations,
      terminationGracePeriod: props.terminationGracePeriod,
    };
  }
}

/** A value with its contents hidden: an object's keys, or the type of anything else. */
function shape(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).map((k) => [k, '<hidden>'])) : `<${typeof v}>`;
}

/** The chart's Job defaults, minus its TTL (see `ttlAfterFinished`: a GitOps sync would run a deleted Job again). */
function jobRun(o: JobRunOptions): JobRunOptions {
  return {
    backoffLimit: o.backoffLimit ?? 3,
    ttlAfterFinished: o.ttlAfterFinished,
    activeDeadline: o.activeDeadline,
    parallelism: o.parallelism,
    completions: o.completions,
    indexed: o.indexed,
    restartPolicy: o.restartPolicy,
  };
}
