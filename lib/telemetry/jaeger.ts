import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ServiceEndpoint } from '../core/endpoint';
import { WorkloadConstruct } from '../core/workload';
import { EnvBuilder, EnvMap } from '../core/env';
import { check } from '../core/errors';
import { Images } from '../core/images';
import { Placement, WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { dataVolume, FsGroup, goDuration, MemberIdentity, TELEMETRY_IMAGES, TELEMETRY_STORAGE_CLASS, TelemetryPersistence, renderBackendDeployment } from './common';

/** Operator settings of Jaeger. */
export interface JaegerOptions {
  /**
   * Image (the all-in-one distribution: collector, query and UI in one process), pinned.
   * @default 'jaegertracing/all-in-one:1.62.0'
   */
  readonly image?: string;
  /**
   * Requests and limits.
   * @default - 100m/500m CPU, 256Mi/1Gi memory
   */
  readonly resources?: Resources;
  /**
   * Volume for the embedded Badger store. With persistence off, traces are kept in memory (bounded by
   * `MEMORY_MAX_TRACES`, default 50000) and lost on restart.
   * @default - a 10Gi ReadWriteOnce claim on the stack's storage class
   */
  readonly persistence?: TelemetryPersistence;
  /**
   * Group owning the Badger volume (the image runs as uid 10001).
   * @default FsGroup.of(10001)
   */
  readonly fsGroup?: FsGroup;
  /**
   * How long spans are kept in Badger (`BADGER_SPAN_STORE_TTL`).
   * @default Duration.hours(72)
   */
  readonly retention?: Duration;
  /**
   * Extra environment over the stack's defaults (Jaeger reads its flags from env, `--a.b` as `A_B`). Keys the stack
   * owns (storage type and paths, base path, OTLP) are rejected.
   * @default - none
   */
  readonly env?: EnvMap;
  /**
   * Where the Jaeger pod runs, relative to the release-wide placement.
   * @default - the release-wide nodeSelector, tolerations and affinity
   */
  readonly placement?: WorkloadPlacementOptions;
}

/** What the stack wires into Jaeger. */
export interface JaegerProps extends JaegerOptions {
  /** Object name of the Deployment and Service. */
  readonly name: string;
  /** @default - none */
  readonly partOf?: string;
  /** Path prefix the query UI serves under (`QUERY_BASE_PATH`). */
  readonly routePrefix: string;
  /** @default 'retain-sc-telemetry' */
  readonly storageClassName?: string;
}

/**
 * Jaeger all-in-one: receives OTLP from the collectors, stores spans in Badger on a ReadWriteOnce volume, serves the
 * UI under its route prefix. One replica with Recreate: Badger is a single-writer embedded store.
 */
export class Jaeger extends WorkloadConstruct {
  /** Query UI and API. */
  public static readonly QUERY_PORT = 16686;
  /** OTLP/gRPC receiver port. */
  public static readonly OTLP_GRPC_PORT = 4317;
  /** OTLP/HTTP receiver port. */
  public static readonly OTLP_HTTP_PORT = 4318;
  /** Admin port: health check and metrics. */
  public static readonly ADMIN_PORT = 14269;

  /** The Deployment (construct id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The claim, when one is rendered. */
  public readonly claim?: k8s.KubePersistentVolumeClaim;
  /** The Service's endpoint: `http-query` (UI and API, under the route prefix), `otlp-grpc`, `otlp-http`. */
  public readonly endpoint: ServiceEndpoint;
  /** Labels selecting the Jaeger pod. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The path prefix the query UI and API serve under. */
  public readonly routePrefix: string;

  constructor(scope: Construct, id: string, props: JaegerProps) {
    super(scope, id);
    const ident = new MemberIdentity(this, props.name, props.partOf);
    this.selector = ident.selector;
    this.routePrefix = props.routePrefix;

    const storage = dataVolume(this, 'persistence', ident, props.persistence, { size: Size.gibibytes(10), storageClassName: props.storageClassName ?? TELEMETRY_STORAGE_CLASS });
    this.claim = storage.claim;
    const persistent = props.persistence?.enabled !== false;

    const env = new EnvBuilder('Jaeger')
      .own('QUERY_BASE_PATH', props.routePrefix)
      .own('COLLECTOR_OTLP_ENABLED', 'true')
      .own('SPAN_STORAGE_TYPE', persistent ? 'badger' : 'memory');
    // Badger's directories go in as flags: as env their names (BADGER_DIRECTORY_KEY) read like credentials.
    const args: string[] = [];
    if (persistent) {
      args.push('--badger.ephemeral=false', '--badger.directory-key=/badger/key', '--badger.directory-value=/badger/data');
      env.defaults({ BADGER_SPAN_STORE_TTL: goDuration('retention', (props.retention ?? Duration.hours(72)).toSeconds()) });
    } else {
      check(props.retention === undefined, 'retention', props.retention && goDuration('retention', props.retention.toSeconds()), 'unset when persistence is disabled', 'the in-memory store has no time-based retention (bound it with MEMORY_MAX_TRACES in env)');
      env.defaults({ MEMORY_MAX_TRACES: '50000' });
    }
    env.user(props.env, 'env');

    const security = SecurityProfile.restricted({ runAsUser: 10001, runAsGroup: 10001, fsGroup: (props.fsGroup ?? FsGroup.of(10001)).gid });
    const parts = renderBackendDeployment(this, ident, {
      prop: '',
      container: {
        name: 'jaeger',
        image: Images.of(this).resolve('image', props.image ?? TELEMETRY_IMAGES.jaeger),
        args: args.length ? args : undefined,
        ports: [
          { name: 'http-query', port: Jaeger.QUERY_PORT },
          { name: 'otlp-grpc', port: Jaeger.OTLP_GRPC_PORT },
          { name: 'otlp-http', port: Jaeger.OTLP_HTTP_PORT },
          { name: 'admin', port: Jaeger.ADMIN_PORT },
        ],
        env,
        resources: props.resources ?? sized(100, 500, 256, 1024),
        readiness: Probes.http('/', 'admin', { period: Duration.seconds(10) }),
        liveness: Probes.http('/', 'admin', { initialDelay: Duration.seconds(10), period: Duration.seconds(15), failureThreshold: 4 }),
        volumeMounts: [{ name: 'data', mountPath: '/badger' }],
      },
      security,
      placement: Placement.of(this).forWorkload(props.placement, 'placement'),
      storage,
      servicePorts: [
        { name: 'http-query', port: Jaeger.QUERY_PORT },
        { name: 'otlp-grpc', port: Jaeger.OTLP_GRPC_PORT },
        { name: 'otlp-http', port: Jaeger.OTLP_HTTP_PORT },
      ],
    });
    this.deployment = parts.deployment;
    this.service = parts.service!.service;
    this.endpoint = parts.service!.endpoint;
  }
}
