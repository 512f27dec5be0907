import { Duration, Lazy, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { assertClaimOptions, claimTemplate, ClaimOptions } from '../core/claims';
import { buildContainer } from '../core/container';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvBuilder } from '../core/env';
import { check, ConfigError, inConstruct } from '../core/errors';
import { shortHash, stableStringify } from '../core/hash';
import { ImageRef, Images } from '../core/images';
import { assertLabels, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel, deriveName } from '../core/names';
import { NodeSelection, Placement, ResolvedPlacement, WorkloadPlacementOptions } from '../core/placement';
import { buildPodSpec } from '../core/pod';
import { externalRefsAnnotation } from '../core/policy';
import { Probes } from '../core/probes';
import { quantityOf, renderResources, Resources, sized } from '../core/resources';
import { assertSecretKey, SecretCommands, SecretKey, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { buildService } from '../core/service';
import { WAIT_RESOURCES } from '../core/waits';
import { Wiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { S3Auth } from './auth';
import { assertInt } from '../core/validate';

/**
 * The MinIO server image, pinned. Tag choice: MinIO names each release `RELEASE.<UTC timestamp>`;
 * RELEASE.2024-04-18T19-09-19Z is one, on quay.io (the registry MinIO's documentation names) as on Docker Hub's
 * `minio/minio`.
 */
export const MINIO_IMAGE = 'quay.io/minio/minio:RELEASE.2024-04-18T19-09-19Z';
/** The MinIO client (`mc`) image the bucket Job runs, pinned: the `mc` release of the same day as the server's. */
export const MINIO_CLIENT_IMAGE = 'quay.io/minio/mc:RELEASE.2024-04-18T16-45-29Z';
/** The S3 API port. */
export const MINIO_API_PORT = 9000;
/** The web console port (reached with `kubectl port-forward`; no Service exposes it). */
export const MINIO_CONSOLE_PORT = 9001;
/** uid and gid MinIO runs as. */
export const MINIO_UID = 1000;
/** Longest server name: StatefulSet pods carry `controller-revision-hash: <name>-<10 chars>`, a 63-character label. */
export const MINIO_MAX_NAME = 52;

const DATA_DIR = '/data';

/** The root credentials: an operator-created Secret (MinIO refuses a user under 3 or a password under 8 characters). */
export interface MinioRootCredentials {
  /** The Secret. */
  readonly secretName: string;
  /**
   * The root user's key.
   * @default 'rootUser'
   */
  readonly userKey?: string;
  /**
   * The root password's key.
   * @default 'rootPassword'
   */
  readonly passwordKey?: string;
}

/** Props of a MinioServer. */
export interface MinioServerProps {
  /**
   * Name of the StatefulSet, Services and Job prefix (the Service name is the host clients use).
   * @default - `<release name>-minio`
   */
  readonly name?: string;
  /**
   * Server image, pinned.
   * @default MINIO_IMAGE
   */
  readonly image?: string;
  /**
   * `mc` image of the bucket Job, pinned.
   * @default MINIO_CLIENT_IMAGE
   */
  readonly clientImage?: string;
  /**
   * Servers, one drive each: 1 (a single drive, no redundancy) or 4-16 (distributed, erasure-coded: up to half the
   * drives can fail). A distributed deployment's size is fixed once it holds data: MinIO grows by adding a server
   * pool, not by changing this number, so changing it on a running deployment keeps the claims but MinIO refuses the
   * new topology.
   * @default 4
   */
  readonly replicas?: number;
  /** The root credentials. Never generated: an operator creates the Secret. */
  readonly rootCredentials: MinioRootCredentials;
  /**
   * Each server's drive (a kept claim per pod).
   * @default - 10 GiB of the cluster's default StorageClass
   */
  readonly storage?: ClaimOptions;
  /**
   * Requests and limits of each server.
   * @default - cpu 250m/2000m, memory 1Gi/2Gi
   */
  readonly resources?: Resources;
  /**
   * Node selection for the servers (and the bucket Job).
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Extra labels on every object (validated).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A bucket the bucket Job creates. */
export class MinioBucket {
  /** @internal */
  constructor(
    /** The bucket name. */
    public readonly name: string,
    /** Object versioning is on. */
    public readonly versioning: boolean,
    /** The server. */
    public readonly server: MinioServer,
  ) {}
}

/**
 * Throws unless `name` is an S3 bucket name (3-63 lowercase letters, digits, '.' and '-', not an IP address).
 * @internal
 */
export function assertS3BucketName(prop: string, name: string, allowUnderscore = false): string {
  const re = allowUnderscore ? /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/ : /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
  check(typeof name === 'string' && re.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name), prop, name,
    `a bucket name: 3-63 lowercase letters, digits, '.'${allowUnderscore ? ", '_'" : ''} and '-', starting and ending with a letter or digit, not an IP address`);
  return name;
}

/** The bucket Job: `mc` waiting for the servers, then creating every bucket that does not exist. */
class MinioBucketJob extends WorkloadConstruct {
  public readonly selector: Readonly<Record<string, string>>;
  public readonly job: k8s.KubeJob;
  private readonly url: string;

  constructor(private readonly server: MinioServer, id: string, private readonly plan: BucketJobPlan) {
    super(server, id);
    this.selector = plan.selector;
    const c = Wiring.of(this).connect(this, server.endpoint, 'api', { purpose: 'create buckets' });
    this.url = c.url('http', { form: HostForm.NAMESPACED });
    // Buckets added after this Job was created change its script and name: both are produced at synth.
    this.job = new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: Lazy.any({ produce: () => this.jobName() }) as string,
        labels: plan.labels,
        annotations: externalRefsAnnotation([{ kind: 'Secret', name: plan.root.user.name }]),
      },
      spec: Lazy.any({ produce: () => this.spec(plan) }),
    });
  }

  /** The script the Job runs, for the buckets added so far. */
  public script(): string {
    return bucketScript(this.url, this.server.buckets);
  }

  /**
   * A Job's template is immutable: the name carries a hash of the Job's spec, so a new bucket (or image, or placement)
   * is a new Job (the completed one is pruned) instead of an apply the API server rejects.
   */
  public jobName(): string {
    return deriveName([this.server.name, 'buckets', shortHash(stableStringify(this.spec(this.plan)), 8)]);
  }

  private spec(plan: BucketJobPlan): k8s.JobSpec {
    const security = SecurityProfile.restricted({ runAsUser: MINIO_UID, runAsGroup: MINIO_UID, readOnlyRootFilesystem: true });
    const env = new EnvBuilder(`MinioServer ${this.server.name} bucket job`).ownAll({
      MINIO_ROOT_USER: secretKeyEnv(plan.root.user),
      MINIO_ROOT_PASSWORD: secretKeyEnv(plan.root.password),
      MC_CONFIG_DIR: '/tmp/mc',
    });
    const container = buildContainer('buckets', {
      name: 'buckets', image: plan.image, command: ['/bin/sh', '-c', this.script()], env, resources: WAIT_RESOURCES,
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    }, security);
    const pod = buildPodSpec(this, 'buckets', {
      containers: [container],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: quantityOf(Size.mebibytes(16)) } }],
      security,
      placement: plan.placement,
      restartPolicy: 'OnFailure',
    });
    return {
      backoffLimit: 6,
      // mc ready waits for the servers; a deployment that never comes up fails the Job instead of leaving it running.
      activeDeadlineSeconds: 900,
      template: { metadata: { labels: plan.labels }, spec: pod },
    };
  }
}

/** What the bucket Job is rendered from. */
interface BucketJobPlan {
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly image: string;
  readonly placement: ResolvedPlacement;
  readonly root: { readonly user: SecretKey; readonly password: SecretKey };
}

/**
 * The bucket Job's script: idempotent (`--ignore-existing`), credentials through the env, never argv.
 * @internal
 */
export function bucketScript(url: string, buckets: readonly MinioBucket[]): string {
  const hostPort = url.replace(/^http:\/\//, '');
  const lines = [
    'set -eu',
    // mc reads an alias from MC_HOST_<alias>; the credentials stay in the environment.
    `export MC_HOST_target="http://\${MINIO_ROOT_USER}:\${MINIO_ROOT_PASSWORD}@${hostPort}"`,
    'mc ready target',
  ];
  for (const b of buckets) {
    lines.push(`mc mb --ignore-existing target/${b.name}`);
    if (b.versioning) lines.push(`mc version enable target/${b.name}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * MinIO in the cluster: an S3-compatible object store, distributed over N servers with one kept drive each (erasure
 * coding tolerates up to half of them failing), the root credentials from an operator-created Secret, and the buckets
 * added with `addBucket` created by one Job that waits for the servers and creates only what does not exist. Clients
 * reach a bucket through `ObjectStorage.minio(server, { bucket, auth })`.
 */
export class MinioServer extends WorkloadConstruct {
  /** The server name. */
  public readonly name: string;
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The S3 API Service (port `api`). */
  public readonly endpoint: ServiceEndpoint;
  /** The headless Service the servers find each other through. */
  public readonly headlessEndpoint: ServiceEndpoint;
  /** The number of servers. */
  public readonly replicas: number;
  /** The root user's Secret key. */
  public readonly rootUser: SecretKey;
  /** The root password's Secret key. */
  public readonly rootPassword: SecretKey;
  /** The StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The client Service (construct id `Service`). */
  public readonly service: k8s.KubeService;
  /** The headless governing Service (construct id `Headless`). */
  public readonly headlessService: k8s.KubeService;
  /** The disruption budget of a distributed deployment (one server down at a time). */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  private readonly _buckets = new Map<string, MinioBucket>();
  private bucketJob?: MinioBucketJob;
  private readonly jobPlan: BucketJobPlan;

  constructor(scope: Construct, id: string, props: MinioServerProps) {
    super(scope, id);
    // A ConfigError names this construct and the prop as its user wrote it.
    try {
      const release = Release.of(this);
      this.name = props.name !== undefined ? assertDnsLabel('name', props.name, MINIO_MAX_NAME) : deriveName([release.releaseName, 'minio'], { maxLength: MINIO_MAX_NAME });
      this.replicas = props.replicas ?? 4;
      assertInt('replicas', this.replicas, { min: 1, max: 16 }, '1 (one drive, no redundancy) or 4-16 (distributed, erasure-coded)');
      check(this.replicas === 1 || this.replicas >= 4, 'replicas', this.replicas,
        '1 (one drive, no redundancy) or 4-16 (distributed, erasure-coded)', 'MinIO erasure-codes objects over sets of 4 to 16 drives');
      check(props.rootCredentials !== undefined, 'rootCredentials', props.rootCredentials, '{ secretName } of an operator-created Secret', 'credentials are never generated or defaulted');
      this.rootUser = assertSecretKey('rootCredentials.userKey', { name: props.rootCredentials.secretName, key: props.rootCredentials.userKey ?? 'rootUser' });
      this.rootPassword = assertSecretKey('rootCredentials.passwordKey', { name: props.rootCredentials.secretName, key: props.rootCredentials.passwordKey ?? 'rootPassword' });
      const claim = assertClaimOptions('storage', props.storage ?? { size: Size.gibibytes(10) });
      const resources = props.resources ?? sized(250, 2000, 1024, 2048);
      renderResources('resources', resources);

      const identity = { name: 'minio', instance: release.releaseName, component: this.name };
      this.selector = selectorLabels(identity);
      const imageRef = props.image ?? MINIO_IMAGE;
      const image = Images.of(this).resolve('image', imageRef);
      const clientImage = Images.of(this).resolve('clientImage', props.clientImage ?? MINIO_CLIENT_IMAGE);
      const tag = ImageRef.parse(imageRef, 'image').tag;
      const version = tag && tag.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
      const extra = assertLabels('labels', props.labels ?? {});
      const labels = { ...extra, ...standardLabels({ ...identity, version }) };
      const placement = Placement.of(this).forWorkload(props.placement ?? { nodeSelection: NodeSelection.inherit() }, 'placement');

      const api = { name: 'api', port: MINIO_API_PORT };
      const main = buildService(this, 'Service', { name: this.name, labels, pods: this, ports: [api] });
      this.endpoint = main.endpoint;
      this.service = main.service;
      const headless = buildService(this, 'Headless', {
        name: `${this.name}-headless`, labels, pods: this, ports: [api], headless: true,
        // The servers must resolve each other before any is ready: none is ready until a quorum of drives is online.
        publishNotReadyAddresses: true,
      });
      this.headlessEndpoint = headless.endpoint;
      this.headlessService = headless.service;
      this.statefulSet = this.renderStatefulSet(image, resources, claim, labels, placement);
      if (this.replicas > 1) {
        // The servers talk to each other on the API port through the headless Service.
        Wiring.of(this).connect(this, this.headlessEndpoint, 'api', { purpose: 'distributed erasure sets' });
        this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'Disruption', {
          metadata: { name: this.name, labels },
          spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selector } } },
        });
      }
      const jobIdentity = { ...identity, component: `${this.name}-buckets` };
      this.jobPlan = {
        labels: { ...extra, ...standardLabels({ ...jobIdentity, version }) },
        selector: selectorLabels(jobIdentity),
        image: clientImage,
        placement,
        root: { user: this.rootUser, password: this.rootPassword },
      };
      release.addLazyNote(() => this.notes(release.releaseNamespace));
    } catch (e) {
      throw e instanceof ConfigError ? e.in(this) : e;
    }
  }

  /**
   * Adds a bucket the bucket Job creates (once: an existing bucket is left as it is). The Job's name carries a hash of
   * its script, so adding a bucket later runs a new Job.
   */
  public addBucket(name: string, options: { readonly versioning?: boolean } = {}): MinioBucket {
    return inConstruct(this, () => {
      assertS3BucketName(`buckets.${name}`, name);
      check(!this._buckets.has(name), `buckets.${name}`, name, 'a bucket name not added twice');
      const bucket = new MinioBucket(name, options.versioning ?? false, this);
      this._buckets.set(name, bucket);
      // One Job for all buckets, rendered with the first; its script is produced from the buckets at synth.
      if (!this.bucketJob) this.bucketJob = new MinioBucketJob(this, 'Buckets', this.jobPlan);
      return bucket;
    });
  }

  /** The buckets, in the order they were added. */
  public get buckets(): readonly MinioBucket[] {
    return [...this._buckets.values()];
  }

  /** The bucket Job (undefined until a bucket is added). */
  public get job(): k8s.KubeJob | undefined {
    return this.bucketJob?.job;
  }

  /** The bucket Job's name (undefined until a bucket is added): it changes with the buckets. */
  public get jobName(): string | undefined {
    return this.bucketJob?.jobName();
  }

  /**
   * The root credentials as S3 keys, for a client that administers the store. Every other client should get keys of
   * its own (a MinIO user with a policy limited to its bucket), created by the operator.
   */
  public rootKeys(): S3Auth {
    return S3Auth.keys({ secretName: this.rootUser.name, accessKeyIdKey: this.rootUser.key, secretAccessKeyKey: this.rootPassword.key });
  }

  private renderStatefulSet(
    image: string,
    resources: Resources,
    claim: ClaimOptions,
    labels: Record<string, string>,
    placement: ResolvedPlacement,
  ): k8s.KubeStatefulSet {
    const security = SecurityProfile.restricted({ runAsUser: MINIO_UID, runAsGroup: MINIO_UID, fsGroup: MINIO_UID, readOnlyRootFilesystem: true });
    const env = new EnvBuilder(`MinioServer ${this.name} container minio`).ownAll({
      MINIO_ROOT_USER: secretKeyEnv(this.rootUser),
      MINIO_ROOT_PASSWORD: secretKeyEnv(this.rootPassword),
    });
    // Distributed: every server lists every drive, with MinIO's own {0...N-1} expansion over the pods' DNS names.
    const drives = this.replicas === 1 ? DATA_DIR : `http://${this.name}-{0...${this.replicas - 1}}.${this.headlessEndpoint.fqdn()}:${MINIO_API_PORT}${DATA_DIR}`;
    const container = buildContainer('', {
      name: 'minio',
      image,
      command: ['minio'],
      args: ['server', drives, '--address', `:${MINIO_API_PORT}`, '--console-address', `:${MINIO_CONSOLE_PORT}`, '--certs-dir', '/tmp/certs'],
      ports: [{ name: 'api', port: MINIO_API_PORT }, { name: 'console', port: MINIO_CONSOLE_PORT }],
      env,
      resources,
      startup: Probes.http('/minio/health/live', 'api', { period: Duration.seconds(5), failureThreshold: 60 }),
      liveness: Probes.http('/minio/health/live', 'api', { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
      // Ready once the server can serve reads: in a distributed deployment, once enough drives are online.
      readiness: Probes.http('/minio/health/ready', 'api', { period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3 }),
      volumeMounts: [{ name: 'data', mountPath: DATA_DIR }, { name: 'tmp', mountPath: '/tmp' }],
    }, security);
    const pod = buildPodSpec(this, '', {
      containers: [container],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: quantityOf(Size.gibibytes(1)) } }],
      security,
      placement,
      claimTemplateNames: ['data'],
      topologySpreadConstraints: this.replicas > 1
        ? [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...this.selector } } }]
        : undefined,
    });
    return new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: this.name, labels, annotations: externalRefsAnnotation([{ kind: 'Secret', name: this.rootUser.name }]) },
      spec: {
        replicas: this.replicas,
        serviceName: this.headlessEndpoint.name,
        selector: { matchLabels: { ...this.selector } },
        // All servers start together: none is ready before a quorum of drives is online.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        template: { metadata: { labels }, spec: pod },
        volumeClaimTemplates: [claimTemplate('data', claim, this.selector)],
      },
    });
  }

  private notes(namespace: string): string {
    const commands = new SecretCommands()
      .literal(this.rootUser, '"admin-$(openssl rand -hex 4)"')
      .literal(this.rootPassword, '"$(openssl rand -hex 32)"');
    const url = this.endpoint.url('http', 'api', { form: HostForm.NAMESPACED });
    return [
      `MinIO ${this.name}: ${this.replicas === 1 ? 'one server, one drive (no redundancy)' : `${this.replicas} servers, one drive each, erasure-coded`}; clients reach the S3 API at ${url}. ` +
        `Buckets ${this.buckets.length ? this.buckets.map((b) => b.name).join(', ') : '(none)'} are created by the Job ${this.jobName ? `${this.jobName} ` : ''}once the servers are ready; existing buckets are left alone. ` +
        'The drives are claims kept when the release is deleted; the number of servers is fixed once data is written (grow by adding a server pool).',
      `Before the first sync, create the root credentials (hex values need no escaping in the Job's MC_HOST_ URL):\n${commands.render(namespace).map((l) => `  ${l}`).join('\n')}\n` +
        'Give each application keys of its own (mc admin user add, with a policy limited to its bucket) rather than the root credentials.',
    ].join('\n\n');
  }
}
