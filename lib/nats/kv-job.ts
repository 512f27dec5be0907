import { Lazy, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { EnvBuilder } from '../core/env';
import { check } from '../core/errors';
import { shortHash, stableStringify } from '../core/hash';
import { Images } from '../core/images';
import { selectorLabels, standardLabels } from '../core/labels';
import { deriveName } from '../core/names';
import { Placement } from '../core/placement';
import { PodContainer, renderPodTemplate } from '../core/pod-template';
import { quantityOf, renderResources, Resources } from '../core/resources';
import { assertSecretKey, SecretKey } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { WAIT_RESOURCES } from '../core/waits';
import { ClientBinding, PodWiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { Release } from '../release/release';
import { kvBucketScript, kvBucketWaitScript, NatsKvBucket } from './kv';
import type { NatsServer } from './server';

/**
 * The image of the bucket Job: the NATS project's toolbox (`nats` CLI), pinned, in its variant that runs as a non-root
 * user (uid 1000). Tag choice: nats-box 0.19.7, published on Docker Hub as `natsio/nats-box:0.19.7-nonroot`.
 */
export const NATS_BOX_IMAGE = 'natsio/nats-box:0.19.7-nonroot';
/** uid and gid the bucket Job runs as (the nonroot nats-box image's user). */
const NATS_BOX_UID = 1000;
/** Where the script is mounted. */
const SCRIPT_DIR = '/etc/nats-kv';
const SCRIPT_FILE = 'buckets.sh';

/** How the bucket Job connects and runs. */
export interface NatsKvJobOptions {
  /**
   * The `nats` CLI image, pinned.
   * @default NATS_BOX_IMAGE
   */
  readonly image?: string;
  /**
   * Which user the Job is (users auth).
   * @default - the only user
   */
  readonly user?: string;
  /**
   * A Secret key holding the whole client URL with credentials (`nats://<user>:<password>@<host>:4222`), for servers
   * whose clients read their credentials from their URL: the Job then connects as they do.
   * @default - the URL without credentials, and the credentials in their own variables
   */
  readonly urlSecret?: SecretKey;
  /**
   * Requests and limits.
   * @default - cpu 10m/100m, memory 16Mi/64Mi
   */
  readonly resources?: Resources;
}

/**
 * The Job that creates a NatsServer's KV buckets with their declared settings (`kvBucketScript`), so no client's
 * defaults ever decide a bucket's limits. It waits for the client port, sends one stream create request per bucket and
 * brings a bucket created earlier with other settings to the declared ones. Its script is a ConfigMap produced at
 * synth (buckets may be declared after the first); the Job's name carries a hash of the script and the pod template,
 * so a change of settings runs a new Job, and a re-sync of the same settings leaves the completed Job alone.
 * @internal
 */
export class NatsKvBucketJob extends WorkloadConstruct {
  /** The pod selector labels. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The script ConfigMap (construct id `Script`). */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Job (construct id `Resource`). */
  public readonly job: k8s.KubeJob;
  /** The pod's connections (NATS). */
  public readonly wiring: PodWiring;
  private readonly template: k8s.PodTemplateSpec;

  private readonly server: NatsServer;

  constructor(server: NatsServer, id: string, options: NatsKvJobOptions, wave: Record<string, string>) {
    // The options are checked before the construct exists, so a failure leaves nothing half-built on the server.
    check(server.auth.kind !== 'nkeys' || options.urlSecret !== undefined, 'kvJob', 'NatsAuth.nkeys(...)', 'token or users authentication',
      'the bucket Job\'s nats CLI reads an nkey seed only from a file; declare the buckets without settings or authenticate it by token or user');
    if (options.urlSecret !== undefined) {
      assertSecretKey('kvJob.urlSecret', options.urlSecret);
      check(server.auth.kind === 'token' || server.auth.kind === 'users', 'kvJob.urlSecret', options.urlSecret, 'unset unless the server authenticates by token or users',
        server.auth.kind === 'none' ? 'the server authenticates no client: its URL carries no credentials' : 'a URL cannot carry an nkey signature');
    }
    const image = Images.of(server).resolve('kvJob.image', options.image ?? NATS_BOX_IMAGE);
    const resources = options.resources ?? WAIT_RESOURCES;
    renderResources('kvJob.resources', resources);
    super(server, id);
    this.server = server;
    const release = Release.of(this);
    const name = deriveName([server.name, 'kv'], { maxLength: 54 });
    const identity = { name: 'nats', instance: release.releaseName, component: `${server.name}-kv` };
    this.selector = selectorLabels(identity);
    const labels = standardLabels(identity);

    this.configMap = new k8s.KubeConfigMap(this, 'Script', {
      metadata: { name, labels, annotations: nonEmpty(wave) },
      data: { [SCRIPT_FILE]: Lazy.any({ produce: () => this.script() }) as unknown as string },
    });

    const env = new EnvBuilder(`NatsServer ${server.name} KV bucket job`);
    this.wiring = new PodWiring(this);
    const binding = connectNatsCli(server, this.wiring, 'buckets', env, options, { wait: true, purpose: 'creates the KV buckets (JetStream API)' });
    const security = SecurityProfile.restricted({ runAsUser: NATS_BOX_UID, runAsGroup: NATS_BOX_UID, readOnlyRootFilesystem: true });
    const rendered = renderPodTemplate(this, {
      name,
      prop: 'kvJob',
      labels,
      containers: [{
        name: 'buckets',
        image,
        command: ['/bin/sh', `${SCRIPT_DIR}/${SCRIPT_FILE}`],
        env,
        resources,
        volumeMounts: [{ name: 'script', mountPath: SCRIPT_DIR, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }, ...binding.volumeMounts],
      }],
      wiring: this.wiring,
      volumes: [
        { name: 'script', configMap: { name, items: [{ key: SCRIPT_FILE, path: SCRIPT_FILE }] } },
        { name: 'tmp', emptyDir: { sizeLimit: quantityOf(Size.mebibytes(16)) } },
      ],
      security,
      placement: Placement.of(this).forWorkload(undefined, 'placement'),
      // Never: a failed pod stays, so its log (JetStream's answer) can be read.
      restartPolicy: 'Never',
    });
    this.template = rendered.template;
    this.job = new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: Lazy.any({ produce: () => this.jobName() }) as unknown as string,
        labels,
        annotations: nonEmpty({ ...rendered.workloadAnnotations, ...wave }),
      },
      spec: {
        backoffLimit: 4,
        // The wait for the client port is bounded by this deadline: a server that never comes up fails the Job.
        activeDeadlineSeconds: 600,
        template: this.template,
      },
    });
  }

  /** The script the Job runs, for the buckets declared with settings so far. */
  public script(): string {
    return kvBucketScript(this.buckets());
  }

  /** The Job's name: `<server>-kv-<hash of the pod template and the script>`. */
  public jobName(): string {
    return `${deriveName([this.server.name, 'kv'], { maxLength: 54 })}-${shortHash(stableStringify({ template: this.template, script: this.script() }), 8)}`;
  }

  private buckets(): NatsKvBucket[] {
    return this.server.buckets.filter((b) => b.limits !== undefined);
  }
}

/**
 * The connection options of a client that runs the `nats` CLI.
 * @internal
 */
export interface NatsCliClientOptions {
  /**
   * Which user the client is (users auth).
   * @default - the only user
   */
  readonly user?: string;
  /**
   * A Secret key holding the whole client URL with credentials.
   * @default - the URL without credentials, and the credentials in their own variables
   */
  readonly urlSecret?: SecretKey;
}

/**
 * Wires container `container` of `wiring` to `server` the way the `nats` CLI reads a connection: NATS_URL (from
 * `urlSecret` when given), NATS_USER (a user name, or the token), NATS_PASSWORD, NATS_CA (the mounted CA bundle), and
 * HOME on a path the CLI may read. Returns the binding (its volume mounts go on the container).
 * @internal
 */
export function connectNatsCli(
  server: NatsServer,
  wiring: PodWiring,
  container: string,
  env: EnvBuilder,
  options: NatsCliClientOptions,
  how: { readonly wait: boolean; readonly purpose: string },
): ClientBinding {
  env.own('HOME', '/tmp');
  const binding = wiring.container(container, env);
  server.connect(binding, {
    env: { url: 'NATS_URL', replicas: false, token: 'NATS_USER', user: 'NATS_USER', password: 'NATS_PASSWORD', caFile: 'NATS_CA' },
    user: options.user,
    urlSecret: options.urlSecret,
    wait: how.wait,
    purpose: how.purpose,
  });
  return binding;
}

/**
 * The init container a client of `server` adds to wait until `buckets` exist, so it never opens a bucket before the
 * bucket Job has created it (with kubectl or Helm as well as under Argo CD's sync waves). It runs the Job's image with
 * the client's NATS credentials (`options`).
 * @internal
 */
export function kvBucketWaitContainer(
  server: NatsServer,
  wiring: PodWiring,
  buckets: readonly NatsKvBucket[],
  options: NatsCliClientOptions,
): PodContainer {
  const name = 'wait-for-kv-buckets';
  const env = new EnvBuilder(`${server.name} client init container ${name}`);
  const binding = connectNatsCli(server, wiring, name, env, options, { wait: false, purpose: 'waits for the KV buckets' });
  return {
    name,
    image: server.kvToolImage,
    command: ['/bin/sh', '-c', kvBucketWaitScript(buckets.map((b) => b.name))],
    env,
    resources: WAIT_RESOURCES,
    volumeMounts: binding.volumeMounts.length ? [...binding.volumeMounts] : undefined,
  };
}

function nonEmpty(a: Record<string, string> | undefined): Record<string, string> | undefined {
  return a && Object.keys(a).length ? a : undefined;
}
