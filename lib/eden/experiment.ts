import { Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { ClaimOptions, PersistentClaim } from '../core/claims';
import { configChecksum } from '../core/checksum';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvMap, EnvSource } from '../core/env';
import { check, inConstruct } from '../core/errors';
import { assertPinnedTag, ImageRef } from '../core/images';
import { assertDnsLabel, assertDnsSubdomain, deriveName } from '../core/names';
import { WorkloadPlacementOptions } from '../core/placement';
import { PolicyException } from '../core/policy';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecretCommands } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { assertWholeSeconds } from '../core/validate';
import { WaitFor } from '../core/waits';
import { ClientBinding, IConnectable } from '../core/wiring';
import { DeploymentRollout } from '../core/deployment';
import { ForgejoServer } from '../forgejo/server';
import { ObjectStorage } from '../object-storage';
import { IPostgres, PostgresEnv, PostgresRole, PostgresServer } from '../postgres';
import { Release } from '../release/release';
import { WorkloadIngressOptions } from '../workload/ingress';
import { Job } from '../workload/job';
import { Mount, PodVolume } from '../workload/volumes';
import { WorkloadIdentityOptions, WorkloadInitContainerProps } from '../workload/pod';
import { Scaling } from '../workload/scaling';
import { WebService } from '../workload/web-service';
import { Worker, WorkloadKind } from '../workload/worker';
import { EDEN_BLOB_DIR, EdenBlobs } from './blobs';
import {
  EDEN_CONFIG_PATH, EDEN_CONFIG_URI, EDEN_CREDENTIAL_HELPER, EDEN_CREDENTIAL_HELPER_PATH, EDEN_GIT_USER, EdenExperimentConfig,
} from './config';
import { EDEN_CONTROL_PLANE_DATABASE, EDEN_POSTGRES_KEYS, EdenDatabase } from './database';
import { AppTier, assertExperimentId, EDEN_IDENTITY_SERVICES, EDEN_TOKEN_KEY, EdenIdentity } from './tier';

/** uid, gid and fsGroup of the eden-reference image's `eden` user. */
export const EDEN_UID = 1000;
/** The task-store-server's port. */
export const EDEN_TASK_STORE_PORT = 8080;
/** The control plane's port (lease mode). */
export const EDEN_CONTROL_PLANE_PORT = 8081;
/** The web UI's port. */
export const EDEN_WEB_UI_PORT = 8090;
/** Where the clone claims are mounted; each service clones into the child `repo` (a fresh volume root holds lost+found and is root-owned). */
export const EDEN_CLONE_DIR = '/var/lib/eden/clone';
/** The repository path every git-using service gets (`--repo-path`). */
export const EDEN_REPO_PATH = `${EDEN_CLONE_DIR}/repo`;
/** Where the credentials emptyDir is mounted (tokens installed by the identity init container). */
export const EDEN_CREDENTIAL_DIR = '/var/lib/eden/credentials';
/** Where the web UI keeps artifacts. */
export const EDEN_ARTIFACTS_DIR = '/var/lib/eden/artifacts';
/** Where the repo-init Job stages the seed repository (it seeds into the child `repo`). */
export const EDEN_SEED_DIR = '/var/lib/eden/seed';
/**
 * Longest experiment name: the longest derived name (`<name>-evaluator-host`, a StatefulSet, whose pods' revision-hash
 * label must fit 63 characters: 52) and the per-workload ConfigMaps (`<name>-task-store-server-config`, 63) fit.
 */
export const EDEN_MAX_NAME = 32;
/** The Forgejo owner of the experiment repository (the services' git user). */
const REPO_OWNER = EDEN_GIT_USER;

/** Keys of the app Secret (`secrets.app`). */
export const EDEN_APP_KEYS = {
  /** The deployment admin token (`admin:<token>` bearer): every service's `--admin-token`. */
  adminToken: 'EDEN_ADMIN_TOKEN',
  /** The web UI's session-cookie signing key. */
  sessionSecret: 'EDEN_SESSION_SECRET',
  /** The Forgejo `eden` user's password, which the git credential helper answers with. */
  forgejoPassword: 'FORGEJO_REMOTE_PASSWORD',
} as const;

/** Keys of the Forgejo Secret (`secrets.forgejo`). */
export const EDEN_FORGEJO_KEYS = { secretKey: 'secret-key', internalToken: 'internal-token' } as const;

/** The eden-reference image every service runs (`python -m <module>`). */
export interface EdenImageOptions {
  /**
   * The repository the operator pushed the image to (`ghcr.io/acme/eden-reference`). No default: a cluster cannot pull
   * the chart's locally built image.
   */
  readonly repository: string;
  /** The pushed tag (never `latest`). */
  readonly tag: string;
  /**
   * Pull policy of the app image only (`Never` for an image loaded into a local cluster); Postgres, Forgejo and the
   * waits keep their own.
   * @default IfNotPresent
   */
  readonly pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** The experiment the release runs. */
export interface EdenExperimentSpec {
  /** The minted experiment id (`exp_` and 26 characters). */
  readonly id: string;
  /** The experiment config, passed verbatim and mounted at /etc/eden/experiment-config.yaml. */
  readonly config: EdenExperimentConfig;
}

/** The operator-created Secrets (credentials are never generated). */
export interface EdenSecretNames {
  /** The app Secret: EDEN_ADMIN_TOKEN, EDEN_SESSION_SECRET, FORGEJO_REMOTE_PASSWORD (EDEN_APP_KEYS). */
  readonly app: string;
  /** Forgejo's Secret: `secret-key` and `internal-token` (EDEN_FORGEJO_KEYS). */
  readonly forgejo: string;
}

/** Lease-driven orchestration: a control plane hands the experiment to one orchestrator at a time. */
export interface EdenLeaseModeOptions {
  /**
   * How long a lease lasts.
   * @default 30 seconds
   */
  readonly leaseDuration?: Duration;
  /**
   * How often the control plane syncs the experiment state.
   * @default 30 seconds
   */
  readonly stateSyncInterval?: Duration;
  /**
   * Failed syncs before the control plane marks the experiment failed.
   * @default 10
   */
  readonly stateSyncFailureThreshold?: number;
}

/** Replica counts. */
export interface EdenReplicas {
  /** @default 1 (above 1 only in lease mode, one identity per replica) */
  readonly orchestrator?: number;
  /** @default 1 (above 1: one identity per replica) */
  readonly executorHost?: number;
  /** @default 1 (above 1: one identity per replica) */
  readonly evaluatorHost?: number;
  /** @default 1 (at most 1: a singleton in v0) */
  readonly taskStoreServer?: number;
  /** @default 1 (at most 1: an operator singleton) */
  readonly webUi?: number;
  /** @default 1 (at most 1: one fixed worker id) */
  readonly ideatorHost?: number;
}

/** The clone and artifact claims (one per pod, kept). */
export interface EdenStorageOptions {
  /** @default - 5 GiB per clone (orchestrator, executor, evaluator, web UI) */
  readonly repo?: ClaimOptions;
  /** @default - 50 GiB for the web UI's artifacts */
  readonly artifacts?: ClaimOptions;
  /** @default - 20 GiB for Forgejo */
  readonly forgejo?: ClaimOptions;
}

/** Props of an EdenExperiment. */
export interface EdenExperimentProps {
  /**
   * The prefix of every object name (a DNS label of at most EDEN_MAX_NAME characters, so every derived name fits 63).
   * @default - the release name (shortened with a hash when longer than EDEN_MAX_NAME)
   */
  readonly name?: string;
  /** The eden-reference image. */
  readonly image: EdenImageOptions;
  /** The experiment. */
  readonly experiment: EdenExperimentSpec;
  /** Where the bring-up is: `AppTier.pending(...)` or `AppTier.ready({ baseCommitSha, identities })`. */
  readonly appTier: AppTier;
  /** The operator-created Secrets. */
  readonly secrets: EdenSecretNames;
  /** The task store's database. */
  readonly database: EdenDatabase;
  /**
   * Where deposited artifacts live.
   * @default EdenBlobs.file()
   */
  readonly blobs?: EdenBlobs;
  /**
   * Lease-driven orchestration with a control plane (still deferred upstream for several orchestrators).
   * @default - single-experiment mode: no control plane, one orchestrator
   */
  readonly leaseMode?: EdenLeaseModeOptions;
  /** @default - one of each */
  readonly replicas?: EdenReplicas;
  /**
   * The orchestrator's `--max-quiescent-iterations`: 0 never exits on quiescence (a Deployment or StatefulSet
   * restarts an exited process, so an exit loops in CrashLoopBackOff); 1 is refused (it exits on the first quiet poll).
   * @default 0
   */
  readonly maxQuiescentIterations?: number;
  /**
   * How often the services poll the task store.
   * @default 1 second
   */
  readonly pollInterval?: Duration;
  /** @default - 5 GiB clones, 50 GiB artifacts, 20 GiB Forgejo */
  readonly storage?: EdenStorageOptions;
  /**
   * An Ingress in front of the web UI.
   * @default - none (kubectl port-forward)
   */
  readonly webUiIngress?: WorkloadIngressOptions;
  /**
   * Requests and limits of every app container.
   * @default - cpu 100m/1000m, memory 256Mi/1Gi
   */
  readonly resources?: Resources;
  /**
   * Where every pod runs (the repo-init Job included) relative to the release-wide placement.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
}

/** One app service's pod pieces. */
interface AppService {
  readonly id: string;
  readonly suffix: string;
  readonly module: string;
  readonly args: readonly string[];
  readonly env?: EnvMap;
  readonly identity?: {
    readonly key: (typeof EDEN_IDENTITY_SERVICES)[number];
    readonly identity: EdenIdentity;
    readonly tokenPath: (workerId: string) => string;
  };
  readonly mounts: readonly Mount[];
  readonly connections: readonly IConnectable[];
  readonly secrets: readonly string[];
}

/**
 * The EDEN reference deployment: the task-store-server, the orchestrator, the ideator, executor and evaluator hosts,
 * the web UI, the control plane in lease mode, Forgejo as the git remote, Postgres (in the cluster or managed) and the
 * blob store, plus the idempotent repo-init Job that seeds the experiment repository. Every service runs one image
 * (`python -m <module>`) as uid 1000 with fsGroup 1000; every credential is an operator-created Secret the notes list;
 * every claim is kept. The bring-up is a typed phase (`AppTier`): pending renders the infrastructure, the repo-init
 * Job and (once seeded) the task-store-server; ready renders every service with its minted identity.
 */
export class EdenExperiment extends Construct {
  /** The object-name prefix. */
  public readonly name: string;
  /** The Forgejo server. */
  public readonly forgejo: ForgejoServer;
  /** The database every store connection goes to. */
  public readonly postgres: IPostgres;
  /** The in-cluster Postgres, when there is one. */
  public readonly postgresServer?: PostgresServer;
  /** The blob store. */
  public readonly blobs: ObjectStorage;
  /** The repo-init Job. */
  public readonly repoInit: Job;
  /** The task-store-server (once the seed commit is known). */
  public readonly taskStore?: WebService;
  /** Every app service rendered, by construct id. */
  public readonly services: Readonly<Record<string, Worker>>;

  private readonly props: EdenExperimentProps;
  private readonly image: string;
  private readonly release: Release;
  private readonly experimentId: string;
  private readonly replicas: Required<EdenReplicas>;
  private readonly services_: Record<string, Worker> = {};
  private controlPlaneRole?: PostgresRole;

  constructor(scope: Construct, id: string, props: EdenExperimentProps) {
    super(scope, id);
    this.props = props;
    this.release = Release.of(this);
    const v = inConstruct(this, () => this.validate(props));
    this.name = v.name;
    this.image = v.image;
    this.experimentId = v.experimentId;
    this.replicas = v.replicas;
    this.forgejo = new ForgejoServer(this, 'Forgejo', {
      name: `${this.name}-forgejo`,
      secretKey: { name: props.secrets.forgejo, key: EDEN_FORGEJO_KEYS.secretKey },
      internalToken: { name: props.secrets.forgejo, key: EDEN_FORGEJO_KEYS.internalToken },
      storage: props.storage?.forgejo,
      placement: props.placement,
    });
    const db = this.database();
    this.postgres = db.postgres;
    this.postgresServer = db.server;
    this.blobs = this.blobStore();
    this.repoInit = this.repoInitJob();
    const tier = props.appTier;
    if (tier.baseCommitSha !== undefined) this.taskStore = this.taskStoreServer(tier.baseCommitSha);
    if (tier.phase === 'ready' && this.taskStore) this.appTier(tier, this.taskStore);
    this.services = this.services_;
    this.release.addLazyNote(() => this.notes());
  }

  private validate(props: EdenExperimentProps) {
    check(props !== undefined && typeof props === 'object', 'props', props, '{ image, experiment, appTier, secrets, database, ... }');
    const name = props.name !== undefined
      ? assertDnsLabel('name', props.name, EDEN_MAX_NAME)
      : deriveName([this.release.releaseName], { maxLength: EDEN_MAX_NAME });
    check(props.image !== undefined && typeof props.image === 'object', 'image', props.image, '{ repository, tag } of the pushed eden-reference image (no default)');
    check(typeof props.image.repository === 'string' && props.image.repository.length > 0, 'image.repository', props.image.repository, 'the repository the eden-reference image was pushed to (ghcr.io/<org>/eden-reference)',
      'a cluster cannot pull the locally built image');
    assertPinnedTag('image.tag', props.image.tag, { example: '0.3.1 (the tag you pushed)' });
    check(props.image.pullPolicy === undefined || ['Always', 'IfNotPresent', 'Never'].includes(props.image.pullPolicy), 'image.pullPolicy', props.image.pullPolicy, 'Always, IfNotPresent or Never');
    const image = `${props.image.repository}:${props.image.tag}`;
    ImageRef.parse(image, 'image.repository');
    check(props.experiment !== undefined && typeof props.experiment === 'object', 'experiment', props.experiment, '{ id, config }');
    const experimentId = assertExperimentId('experiment.id', props.experiment.id);
    check(props.experiment.config instanceof EdenExperimentConfig, 'experiment.config', props.experiment.config, 'EdenExperimentConfig.text(yaml) or EdenExperimentConfig.object({...})');
    check(props.appTier instanceof AppTier, 'appTier', props.appTier, 'AppTier.pending({...}) or AppTier.ready({ baseCommitSha, identities })');
    check(props.secrets !== undefined && typeof props.secrets === 'object', 'secrets', props.secrets, '{ app, forgejo }: names of operator-created Secrets', 'credentials are never generated');
    assertDnsSubdomain('secrets.app', props.secrets.app);
    assertDnsSubdomain('secrets.forgejo', props.secrets.forgejo);
    check(props.secrets.app !== props.secrets.forgejo, 'secrets.forgejo', props.secrets.forgejo, `a Secret other than secrets.app (${props.secrets.app})`, 'each Secret is created by one command the notes print');
    check(props.database instanceof EdenDatabase, 'database', props.database, 'EdenDatabase.inCluster({ secretName }) or EdenDatabase.external({ host, database, url, tls })');
    if (props.blobs !== undefined) check(props.blobs instanceof EdenBlobs, 'blobs', props.blobs, 'EdenBlobs.file({...}) or EdenBlobs.bucket(ObjectStorage.s3/gcs({...}))');
    const lease = props.leaseMode !== undefined;
    if (lease) {
      check(props.database.external === undefined, 'leaseMode', 'enabled', 'leaseMode with EdenDatabase.inCluster(...) only',
        `the control plane keeps its leases in the ${EDEN_CONTROL_PLANE_DATABASE} database, which only the in-cluster server's init scripts create (a managed instance's databases and roles are the operator's)`);
      const l = props.leaseMode!;
      if (l.leaseDuration !== undefined) assertWholeSeconds('leaseMode.leaseDuration', l.leaseDuration, { min: 1 });
      if (l.stateSyncInterval !== undefined) assertWholeSeconds('leaseMode.stateSyncInterval', l.stateSyncInterval, { min: 1 });
      if (l.stateSyncFailureThreshold !== undefined) check(Number.isInteger(l.stateSyncFailureThreshold) && l.stateSyncFailureThreshold >= 1, 'leaseMode.stateSyncFailureThreshold', l.stateSyncFailureThreshold, 'an integer of at least 1');
    }
    const r = props.replicas ?? {};
    const replicas: Required<EdenReplicas> = {
      orchestrator: r.orchestrator ?? 1, executorHost: r.executorHost ?? 1, evaluatorHost: r.evaluatorHost ?? 1,
      taskStoreServer: r.taskStoreServer ?? 1, webUi: r.webUi ?? 1, ideatorHost: r.ideatorHost ?? 1,
    };
    for (const [k, n] of Object.entries(replicas)) check(Number.isInteger(n) && n >= 0, `replicas.${k}`, n, 'a whole number of replicas');
    const singletons: Array<[keyof EdenReplicas, string]> = [
      ['taskStoreServer', 'the task store is a singleton in v0 (file blobs are one ReadWriteOnce claim; several servers have no design yet)'],
      ['webUi', 'the web UI is an operator singleton holding one worker identity'],
      ['ideatorHost', 'the ideator runs under one fixed worker id; two pods would race on its credential'],
    ];
    for (const [k, why] of singletons) check(replicas[k] <= 1, `replicas.${k}`, replicas[k], '0 or 1', why);
    check(replicas.orchestrator <= 1 || lease, 'replicas.orchestrator', replicas.orchestrator, '1 without leaseMode (more only with leaseMode set)',
      'single-experiment mode drives the experiment from one orchestrator; several would all drive it at once');
    const q = props.maxQuiescentIterations ?? 0;
    check(Number.isInteger(q) && (q === 0 || q >= 2), 'maxQuiescentIterations', q, '0 (never exit on quiescence) or an integer of at least 2',
      'the pods restart an exited orchestrator (restartPolicy Always), so an early exit is a CrashLoopBackOff');
    if (props.pollInterval !== undefined) check(props.pollInterval.toMilliseconds() >= 100, 'pollInterval', `${props.pollInterval.toMilliseconds()}ms`, 'at least 100ms');
    const tier = props.appTier;
    if (tier.phase === 'ready') {
      const ids = tier.identities!;
      for (const [key, count] of [['orchestrator', replicas.orchestrator], ['executorHost', replicas.executorHost], ['evaluatorHost', replicas.evaluatorHost]] as const) {
        const identity = ids[key];
        if (count > 1) {
          check(identity.perReplica, `appTier.identities.${key}`, identity.workers.map((w) => w.workerId).join(', '),
            `EdenIdentity.perReplica([...]) with ${count} distinct minted worker ids (replicas.${key} is ${count})`, 'replicas sharing one minted worker id race on its credential');
        }
        if (identity.perReplica) {
          check(identity.workers.length === count, `appTier.identities.${key}`, `${identity.workers.length} workers`, `one worker per replica: ${count} (replicas.${key})`);
        }
      }
      for (const key of ['webUi', 'ideatorHost'] as const) {
        check(!ids[key].perReplica || ids[key].workers.length === 1, `appTier.identities.${key}`, `${ids[key].workers.length} workers`, 'EdenIdentity.of({ workerId, tokenSecret }) (a singleton)');
      }
      const all = EDEN_IDENTITY_SERVICES.flatMap((s) => ids[s].workers.map((w) => [s, w.workerId] as const));
      const seen = new Map<string, string>();
      for (const [s, w] of all) {
        check(!seen.has(w), `appTier.identities.${s}.workerId`, w, `an id no other service uses (${seen.get(w)} has it)`, 'each service registers as its own worker');
        seen.set(w, s);
      }
    }
    return { name, image, experimentId, replicas };
  }

  private database(): { postgres: IPostgres; server?: PostgresServer } {
    const d = this.props.database;
    if (d.external) return { postgres: d.external };
    const o = d.inClusterOptions!;
    const key = (k: string) => ({ name: o.secretName, key: k });
    const server = new PostgresServer(this, 'Postgres', {
      name: `${this.name}-postgres`,
      image: o.image,
      superuser: { user: 'eden', password: key(EDEN_POSTGRES_KEYS.password), url: key(EDEN_POSTGRES_KEYS.storeUrl) },
      database: 'eden',
      storage: o.storage,
      resources: o.resources,
      placement: this.props.placement,
    });
    // The control plane's database, created by the init scripts on every in-cluster server (so turning lease mode on
    // later needs no change to the database), owned by a role of its own.
    this.controlPlaneRole = server.addRole(EDEN_CONTROL_PLANE_DATABASE, {
      password: key(EDEN_POSTGRES_KEYS.controlPlanePassword),
      url: key(EDEN_POSTGRES_KEYS.controlPlaneUrl),
    });
    server.addDatabase(EDEN_CONTROL_PLANE_DATABASE, { owner: this.controlPlaneRole });
    return { postgres: server, server };
  }

  private blobStore(): ObjectStorage {
    const b = this.props.blobs ?? EdenBlobs.file();
    if (b.storage) return b.storage;
    const claim = new PersistentClaim(this, 'Blobs', {
      name: `${this.name}-blobs`,
      size: b.fileOptions?.size ?? Size.gibibytes(10),
      storageClassName: b.fileOptions?.storageClassName,
      labels: { 'app.kubernetes.io/part-of': 'eden', 'app.kubernetes.io/instance': this.release.releaseName, 'app.kubernetes.io/component': 'blobs' },
    });
    return ObjectStorage.file(claim, { mountPath: EDEN_BLOB_DIR });
  }

  /** The env every app container reads: the admin token (its `--admin-token $(EDEN_ADMIN_TOKEN)`). */
  private appSecret(key: string): EnvSource {
    return EnvSource.secret(this.props.secrets.app, key);
  }

  private get repoUrlPath(): string {
    return `/${REPO_OWNER}/${this.experimentId}.git`;
  }

  /** The connection to Forgejo: the graph edge and EDEN_FORGEJO_URL (the experiment's repository). */
  private forgejoConnection(): IConnectable {
    return {
      connect: (client: ClientBinding) => {
        const c = this.forgejo.connect(client);
        client.setEnv('EDEN_FORGEJO_URL', c.url('http', { path: this.repoUrlPath, form: HostForm.NAMESPACED }), c.envHint());
        client.addWait(WaitFor.tcp({ name: this.forgejo.name, host: c.host(HostForm.NAMESPACED), port: 3000 }));
      },
    };
  }

  /** The connection to an HTTP service of the experiment: the edge, `<env>` set to its URL, and a TCP wait. */
  private httpConnection(endpoint: ServiceEndpoint, env: string, port: number): IConnectable {
    return {
      connect: (client: ClientBinding) => {
        const c = client.connect(endpoint, 'http');
        client.setEnv(env, c.url('http', { form: HostForm.NAMESPACED }), c.envHint());
        client.addWait(WaitFor.tcp({ name: endpoint.name, host: c.host(HostForm.NAMESPACED), port }));
      },
    };
  }

  private configVolume(): Mount {
    return { volume: PodVolume.files('config', { 'experiment-config.yaml': this.props.experiment.config.text }), path: EDEN_CONFIG_PATH, subPath: 'experiment-config.yaml' };
  }

  private helperVolume(): Mount {
    return { volume: PodVolume.files('git-helper', { 'git-credential-helper': EDEN_CREDENTIAL_HELPER }, { executable: true }), path: EDEN_CREDENTIAL_HELPER_PATH, subPath: 'git-credential-helper' };
  }

  /** The rollout checksums: the config, the helper and the names of the Secrets the pod reads, so a change of any rolls the pods. */
  private checksums(secrets: readonly string[]): Record<string, string> {
    return {
      'checksum/experiment-config': configChecksum(this.props.experiment.config.text),
      'checksum/git-credential-helper': configChecksum(EDEN_CREDENTIAL_HELPER),
      'checksum/secrets': configChecksum([...new Set(secrets)].sort().join('\n')),
    };
  }

  private get security(): SecurityProfile {
    return SecurityProfile.restricted({ runAsUser: EDEN_UID, runAsGroup: EDEN_UID, fsGroup: EDEN_UID });
  }

  /** The labels of one EDEN component's pods (`app.kubernetes.io/component` is `component`). */
  private identity(component: string): WorkloadIdentityOptions {
    return { name: 'eden', component, partOf: 'eden', version: this.props.image.tag };
  }

  /** The EDEN image and its pull policy, as every container of the experiment runs it. */
  private get imageSpec(): { image: string; imagePullPolicy: EdenImageOptions['pullPolicy'] } {
    return { image: this.image, imagePullPolicy: this.props.image.pullPolicy };
  }

  private get resources(): Resources {
    return this.props.resources ?? sized(100, 1000, 256, 1024);
  }

  private repoInitJob(): Job {
    const staging = PodVolume.emptyDir('staging', { sizeLimit: Size.gibibytes(2) });
    return new Job(this, 'RepoInit', {
      name: `${this.name}-repo-init`,
      identity: this.identity('repo-init'),
      container: {
        name: 'repo-init',
        ...this.imageSpec,
        command: ['python', '-m', 'eden_service_common.repo_init'],
        args: ['--repo-path', `${EDEN_SEED_DIR}/repo`, '--push-to', '$(EDEN_FORGEJO_URL)', '--credential-helper', EDEN_CREDENTIAL_HELPER_PATH],
        env: { FORGEJO_REMOTE_PASSWORD: this.appSecret(EDEN_APP_KEYS.forgejoPassword) },
        resources: this.resources,
        mounts: [{ volume: staging, path: EDEN_SEED_DIR }, this.helperVolume()],
      },
      connections: [this.forgejoConnection()],
      security: this.security,
      placement: this.props.placement,
      podAnnotations: this.checksums([this.props.secrets.app]),
      backoffLimit: 6,
      restartPolicy: undefined,
    });
  }

  private taskStoreServer(baseCommitSha: string): WebService {
    const blobs = this.blobs;
    const args = [
      '--store-url', '$(EDEN_STORE_URL)', '--experiment-id', this.experimentId, '--experiment-config', EDEN_CONFIG_PATH,
      '--base-commit-sha', baseCommitSha, '--admin-token', '$(EDEN_ADMIN_TOKEN)', '--blob-backend', blobs.kind,
    ];
    if (blobs.kind === 'file') args.push('--artifact-blob-dir', blobs.mountPath!);
    else if (blobs.kind === 's3') {
      args.push('--blob-s3-bucket', blobs.bucket!);
      if (blobs.region) args.push('--blob-s3-region', blobs.region);
      if (blobs.prefix) args.push('--blob-s3-prefix', blobs.prefix);
    } else {
      args.push('--blob-gcs-bucket', blobs.bucket!);
      if (blobs.prefix) args.push('--blob-gcs-prefix', blobs.prefix);
    }
    args.push('--host', '0.0.0.0', '--port', String(EDEN_TASK_STORE_PORT), '--log-level', 'info');
    const postgres: IConnectable = { connect: (client) => void this.postgres.connect(client, { env: [PostgresEnv.url('EDEN_STORE_URL')], purpose: 'event store' }) };
    const secrets = [this.props.secrets.app, ...this.databaseSecrets(), ...blobs.secretNames];
    const svc = new WebService(this, 'TaskStoreServer', {
      name: `${this.name}-task-store-server`,
      identity: this.identity('task-store-server'),
      container: {
        name: 'task-store-server',
        ...this.imageSpec,
        command: ['python', '-m', 'eden_task_store_server'],
        args,
        env: { EDEN_ADMIN_TOKEN: this.appSecret(EDEN_APP_KEYS.adminToken) },
        ports: [{ name: 'http', port: EDEN_TASK_STORE_PORT }],
        resources: this.resources,
        // No health route, and its experiment routes need a bearer a probe cannot send: uvicorn binds the port only
        // once the app is built, so a TCP probe orders readiness.
        readinessProbe: Probes.tcp('http', { initialDelay: Duration.seconds(5), period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 30 }),
        livenessProbe: Probes.tcp('http', { initialDelay: Duration.seconds(15), period: Duration.seconds(10), timeout: Duration.seconds(3), failureThreshold: 6 }),
        mounts: [this.configVolume()],
      },
      connections: [postgres, blobs],
      kind: WorkloadKind.deployment({ rollout: DeploymentRollout.recreate() }),
      scaling: Scaling.fixed(this.replicas.taskStoreServer),
      security: this.security,
      placement: this.props.placement,
      podAnnotations: this.checksums(secrets),
    });
    this.services_.TaskStoreServer = svc;
    return svc;
  }

  private databaseSecrets(): string[] {
    const d = this.props.database;
    if (d.inClusterOptions) return [d.inClusterOptions.secretName];
    const ext = d.external!;
    return [ext.login.url!.name, ...(ext.tls?.ca ? [ext.tls.ca.name] : [])];
  }

  private appTier(tier: AppTier, taskStore: WebService): void {
    const ids = tier.identities!;
    const sha = tier.baseCommitSha!;
    const toStore = this.httpConnection(taskStore.endpoint, 'EDEN_TASK_STORE_URL', EDEN_TASK_STORE_PORT);
    const forgejo = this.forgejoConnection();
    const poll = String((this.props.pollInterval?.toMilliseconds() ?? 1000) / 1000);
    const lease = this.props.leaseMode;
    const common = ['--task-store-url', '$(EDEN_TASK_STORE_URL)', '--experiment-id', this.experimentId, '--admin-token', '$(EDEN_ADMIN_TOKEN)'];
    const git = ['--repo-path', EDEN_REPO_PATH, '--forgejo-url', '$(EDEN_FORGEJO_URL)', '--credential-helper', EDEN_CREDENTIAL_HELPER_PATH];
    const repoClaim = (): Mount => ({ volume: PodVolume.perPodClaim('repo', this.props.storage?.repo ?? { size: Size.gibibytes(5) }), path: EDEN_CLONE_DIR });
    const gitEnv: EnvMap = { FORGEJO_REMOTE_PASSWORD: this.appSecret(EDEN_APP_KEYS.forgejoPassword) };
    const flat = (w: string) => `${EDEN_CREDENTIAL_DIR}/${w}.token`;

    let controlPlane: IConnectable | undefined;
    if (lease) {
      const cp = this.controlPlane(lease);
      const endpoint = (cp as WebService).endpoint;
      controlPlane = this.httpConnection(endpoint, 'EDEN_CONTROL_PLANE_URL', EDEN_CONTROL_PLANE_PORT);
    }
    const q = String(this.props.maxQuiescentIterations ?? 0);
    this.appService({
      id: 'Orchestrator', suffix: 'orchestrator', module: 'eden_orchestrator',
      args: [...common, ...git, '--experiment-config', EDEN_CONFIG_PATH, '--poll-interval', poll, '--max-quiescent-iterations', q,
        '--lease-duration-seconds', String(lease?.leaseDuration?.toSeconds() ?? 30), '--log-level', 'info'],
      env: gitEnv,
      identity: { key: 'orchestrator', identity: ids.orchestrator, tokenPath: flat },
      mounts: [repoClaim(), this.configVolume(), this.helperVolume()],
      connections: [toStore, forgejo, ...(controlPlane ? [controlPlane] : [])],
      secrets: [],
    }, this.replicas.orchestrator);
    this.appService({
      id: 'ExecutorHost', suffix: 'executor-host', module: 'eden_executor_host',
      args: [...common, '--mode', 'scripted', ...git, '--poll-interval', poll, '--log-level', 'info'],
      env: gitEnv,
      identity: { key: 'executorHost', identity: ids.executorHost, tokenPath: flat },
      mounts: [repoClaim(), this.helperVolume()],
      connections: [toStore, forgejo],
      secrets: [],
    }, this.replicas.executorHost);
    this.appService({
      id: 'EvaluatorHost', suffix: 'evaluator-host', module: 'eden_evaluator_host',
      args: [...common, '--mode', 'scripted', ...git, '--experiment-config', EDEN_CONFIG_PATH, '--poll-interval', poll, '--log-level', 'info'],
      env: gitEnv,
      identity: { key: 'evaluatorHost', identity: ids.evaluatorHost, tokenPath: flat },
      mounts: [repoClaim(), this.configVolume(), this.helperVolume()],
      connections: [toStore, forgejo],
      secrets: [],
    }, this.replicas.evaluatorHost);
    this.appService({
      id: 'IdeatorHost', suffix: 'ideator-host', module: 'eden_ideator_host',
      args: [...common, '--mode', 'scripted', '--base-commit-sha', sha, '--poll-interval', poll, '--log-level', 'info'],
      identity: { key: 'ideatorHost', identity: ids.ideatorHost, tokenPath: flat },
      mounts: [],
      connections: [toStore],
      secrets: [],
    }, this.replicas.ideatorHost);
    this.appService({
      id: 'WebUi', suffix: 'web-ui', module: 'eden_web_ui',
      args: [...common, '--experiment-config', EDEN_CONFIG_PATH, '--credential-dir', EDEN_CREDENTIAL_DIR, '--session-secret', '$(EDEN_SESSION_SECRET)',
        '--artifacts-dir', EDEN_ARTIFACTS_DIR, ...git, '--base-commit-sha', sha, '--host', '0.0.0.0', '--port', String(EDEN_WEB_UI_PORT), '--log-level', 'info'],
      env: { ...gitEnv, EDEN_SESSION_SECRET: this.appSecret(EDEN_APP_KEYS.sessionSecret) },
      // The web UI resolves its token per experiment: <dir>/<experiment id>/<worker id>.token.
      identity: { key: 'webUi', identity: ids.webUi, tokenPath: (w) => `${EDEN_CREDENTIAL_DIR}/${this.experimentId}/${w}.token` },
      mounts: [repoClaim(), { volume: PodVolume.perPodClaim('artifacts', this.props.storage?.artifacts ?? { size: Size.gibibytes(50) }), path: EDEN_ARTIFACTS_DIR },
        this.configVolume(), this.helperVolume()],
      connections: [toStore, forgejo, ...(controlPlane ? [controlPlane] : [])],
      secrets: [],
    }, this.replicas.webUi);
  }

  private controlPlane(lease: EdenLeaseModeOptions): Worker {
    const role = this.controlPlaneRole!;
    const postgres: IConnectable = {
      connect: (client) => void this.postgres.connect(client, { database: EDEN_CONTROL_PLANE_DATABASE, login: role, env: [PostgresEnv.url('EDEN_CONTROL_PLANE_STORE_URL')], purpose: 'lease store' }),
    };
    const toStore = this.httpConnection(this.taskStore!.endpoint, 'EDEN_TASK_STORE_URL', EDEN_TASK_STORE_PORT);
    const svc = new WebService(this, 'ControlPlane', {
      name: `${this.name}-control-plane`,
      identity: this.identity('control-plane'),
      container: {
        name: 'control-plane',
        ...this.imageSpec,
        command: ['python', '-m', 'eden_control_plane_server'],
        args: ['--store-url', '$(EDEN_CONTROL_PLANE_STORE_URL)', '--host', '0.0.0.0', '--port', String(EDEN_CONTROL_PLANE_PORT), '--admin-token', '$(EDEN_ADMIN_TOKEN)',
          '--task-store-url', '$(EDEN_TASK_STORE_URL)', '--lease-duration-seconds', String(lease.leaseDuration?.toSeconds() ?? 30),
          '--state-sync-interval-seconds', String(lease.stateSyncInterval?.toSeconds() ?? 30),
          '--state-sync-failure-threshold', String(lease.stateSyncFailureThreshold ?? 10), '--log-level', 'info'],
        env: { EDEN_ADMIN_TOKEN: this.appSecret(EDEN_APP_KEYS.adminToken) },
        ports: [{ name: 'http', port: EDEN_CONTROL_PLANE_PORT }],
        resources: this.resources,
        readinessProbe: Probes.http('/healthz', 'http', { initialDelay: Duration.seconds(5), period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 20 }),
        livenessProbe: Probes.http('/healthz', 'http', { initialDelay: Duration.seconds(15), period: Duration.seconds(10), timeout: Duration.seconds(3), failureThreshold: 6 }),
      },
      connections: [postgres, toStore],
      // A singleton: one control plane hands out the leases.
      kind: WorkloadKind.deployment({ rollout: DeploymentRollout.recreate() }),
      security: this.security,
      placement: this.props.placement,
      podAnnotations: this.checksums([this.props.secrets.app, ...this.databaseSecrets()]),
    });
    this.services_.ControlPlane = svc;
    return svc;
  }

  /** One identity-consuming service: a StatefulSet (clones) or a Deployment (the ideator), its identity init container. */
  private appService(s: AppService, replicas: number): Worker {
    const identity = s.identity!;
    const workers = identity.identity.workers;
    const perReplica = identity.identity.perReplica;
    const tokenMounts: Mount[] = workers.map((w, i) => ({
      volume: PodVolume.secret(`identity-${i}`, w.tokenSecret, { items: [{ key: EDEN_TOKEN_KEY, path: EDEN_TOKEN_KEY }] }),
      path: `/etc/eden/identity/${i}`,
    }));
    const credentials = PodVolume.emptyDir('credentials', { sizeLimit: Size.mebibytes(16) });
    const script = perReplica
      ? perReplicaScript(workers.map((w) => w.workerId), identity.tokenPath)
      : singleScript(workers[0].workerId, identity.tokenPath);
    const init: WorkloadInitContainerProps = {
      name: 'provision-credential',
      ...this.imageSpec,
      command: ['sh', '-c', script],
      mounts: [...tokenMounts, { volume: credentials, path: EDEN_CREDENTIAL_DIR }],
    };
    const args = [...s.args];
    const command = ['python', '-m', s.module];
    // One worker per replica: the init container wrote the pod's own id; the shell passes it on and execs Python.
    const container = perReplica
      ? { command: ['sh', '-c', `exec "$@" --worker-id "$(cat ${EDEN_CREDENTIAL_DIR}/worker-id)"`, 'eden', ...command], args }
      : { command, args: [...args, '--worker-id', workers[0].workerId] };
    const stateful = s.suffix !== 'ideator-host';
    const web = s.suffix === 'web-ui';
    const secrets = [this.props.secrets.app, ...workers.map((w) => w.tokenSecret), ...s.secrets];
    const exceptions: PolicyException[] = web ? [] : [{ rule: 'probes', reason: `the ${s.suffix} serves no port to probe: it polls the task store, and a failure exits the process, which the kubelet restarts` }];
    const props = {
      name: `${this.name}-${s.suffix}`,
      identity: this.identity(s.suffix),
      container: {
        name: s.suffix,
        ...this.imageSpec,
        ...container,
        env: { EDEN_ADMIN_TOKEN: this.appSecret(EDEN_APP_KEYS.adminToken), ...(s.env ?? {}) },
        resources: this.resources,
        mounts: [...s.mounts, { volume: credentials, path: EDEN_CREDENTIAL_DIR }],
        ...(web ? {
          ports: [{ name: 'http', port: EDEN_WEB_UI_PORT }],
          readinessProbe: Probes.http('/healthz', 'http', { initialDelay: Duration.seconds(10), period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 30 }),
          livenessProbe: Probes.http('/healthz', 'http', { initialDelay: Duration.seconds(20), period: Duration.seconds(10), timeout: Duration.seconds(3), failureThreshold: 6 }),
        } : {}),
      },
      initContainers: [init],
      connections: s.connections,
      kind: stateful ? WorkloadKind.statefulSet() : WorkloadKind.deployment({ rollout: DeploymentRollout.recreate() }),
      scaling: Scaling.fixed(replicas),
      security: this.security,
      placement: this.props.placement,
      podAnnotations: this.checksums(secrets),
      policyExceptions: exceptions,
    };
    const svc = web ? new WebService(this, s.id, { ...props, ingress: this.props.webUiIngress }) : new Worker(this, s.id, props);
    this.services_[s.id] = svc;
    return svc;
  }

  private notes(): string {
    const ns = this.release.releaseNamespace;
    const tier = this.props.appTier;
    const app = this.props.secrets.app;
    const commands = new SecretCommands()
      .literal({ name: app, key: EDEN_APP_KEYS.adminToken }, '"$(openssl rand -hex 32)"')
      .literal({ name: app, key: EDEN_APP_KEYS.sessionSecret }, '"$(openssl rand -hex 32)"')
      .literal({ name: app, key: EDEN_APP_KEYS.forgejoPassword }, '"$EDEN_FORGEJO_PASSWORD"')
      .variable('EDEN_FORGEJO_PASSWORD', '"$(openssl rand -hex 32)"');
    const store = `${this.name}-task-store-server`;
    const curl = (method: string, path: string, body?: string) =>
      `kubectl -n ${ns} exec deploy/${store} -- curl -fsS -X ${method} -H "Authorization: Bearer admin:$EDEN_ADMIN_TOKEN" -H "X-Eden-Experiment-Id: ${this.experimentId}" ` +
      `-H 'Content-Type: application/json'${body ? ` -d '${body}'` : ''} http://localhost:${EDEN_TASK_STORE_PORT}/v0/experiments/${this.experimentId}${path}`;
    const parts: string[] = [
      `EDEN experiment ${this.experimentId} (${this.name}): app tier ${tier.phase}${tier.baseCommitSha ? `, base commit ${tier.baseCommitSha}` : ''}; ` +
        `${this.props.leaseMode ? `lease mode (control plane ${this.name}-control-plane, ${this.replicas.orchestrator} orchestrator(s))` : 'single-experiment mode (no control plane, one orchestrator)'}; ` +
        `blobs: ${this.blobs.description}. The config is mounted at ${EDEN_CONFIG_PATH} in every service.`,
      `SECRETS (the release never creates one; create them before the first sync and keep them as long as the claims):\n` +
        commands.render(ns).map((l) => `  ${l}`).join('\n') +
        `\n  Forgejo's Secret ${this.props.secrets.forgejo} and the database's are listed with Forgejo and PostgreSQL below.`,
      `FORGEJO USER: once ${this.forgejo.name}-0 is ready, create the git user the services push as (idempotent: change-password when it exists):\n` +
        `  kubectl -n ${ns} exec ${this.forgejo.name}-0 -- forgejo admin user create --username ${EDEN_GIT_USER} --password "$EDEN_FORGEJO_PASSWORD" --email ${EDEN_GIT_USER}@invalid --admin --must-change-password=false \\\n` +
        `    || kubectl -n ${ns} exec ${this.forgejo.name}-0 -- forgejo admin user change-password --username ${EDEN_GIT_USER} --password "$EDEN_FORGEJO_PASSWORD" --must-change-password=false`,
      `SEED: Job ${this.repoInit.jobName} seeds ${this.forgejo.repositoryUrl(EDEN_GIT_USER, this.experimentId)} (idempotent; it retries until the user exists). ` +
        `Its log prints the base commit: kubectl -n ${ns} wait --for=condition=complete job/${this.repoInit.jobName} --timeout=10m && kubectl -n ${ns} logs job/${this.repoInit.jobName}`,
    ];
    if (tier.phase === 'pending' && tier.baseCommitSha === undefined) {
      parts.push('NEXT: set AppTier.pending({ baseCommitSha: <the seed commit> }) and sync: the task-store-server starts, and the identities can be minted against it.');
    }
    if (tier.phase === 'pending' && tier.baseCommitSha !== undefined) {
      const mint = EDEN_IDENTITY_SERVICES.map((s) => {
        const label = { orchestrator: 'orchestrator', webUi: 'web-ui-1', ideatorHost: 'ideator-host-1', executorHost: 'executor-host-1', evaluatorHost: 'evaluator-host-1' }[s];
        return `  ${curl('POST', '/workers', `{"name":"${label}"}`)}\n    # -> {"worker_id": "wkr_...", "registration_token": "..."}: then\n` +
          `    kubectl -n ${ns} create secret generic ${this.name}-${label.replace(/-1$/, '')}-identity --from-literal=${EDEN_TOKEN_KEY}=<registration_token>`;
      });
      parts.push(
        `MINT THE IDENTITIES (pending: the task-store-server runs; EDEN_ADMIN_TOKEN is the ${EDEN_APP_KEYS.adminToken} key of Secret ${app}):\n` +
          `  ${curl('POST', '/groups', '{"name":"admins"}')}\n  ${curl('POST', '/groups', '{"name":"orchestrators"}')}\n` +
          `  ${curl('POST', '/workers', '{"name":"operator"}')}   # the operator's admin worker: add it to admins\n` +
          `${mint.join('\n')}\n` +
          `  Add the operator and web-ui workers to admins: ${curl('POST', '/groups/<admins group_id>/members', '{"member_id":"<worker_id>"}')}\n` +
          '  Scaling a StatefulSet service above one replica needs one minted worker (and Secret) per replica: EdenIdentity.perReplica([...]).',
        `BEFORE READY, check: kubectl -n ${ns} rollout status deploy/${store}; every identity Secret exists (kubectl -n ${ns} get secret <name>) and holds the key ${EDEN_TOKEN_KEY}; ` +
          `each worker id answers: ${curl('GET', '/workers/<worker_id>')}; then set AppTier.ready({ baseCommitSha, identities }) and sync.`,
      );
    }
    if (tier.phase === 'ready') {
      const identities = EDEN_IDENTITY_SERVICES.flatMap((s) => tier.identities![s].workers.map((w) => `  ${s}: worker ${w.workerId}, Secret ${w.tokenSecret}`));
      parts.push(`IDENTITY SECRETS (created when the identities were minted, each with the key ${EDEN_TOKEN_KEY}: kubectl -n ${ns} create secret generic <Secret> --from-literal=${EDEN_TOKEN_KEY}=<registration_token>):\n` +
        identities.join('\n'));
      parts.push(
        `READY: every service runs under its minted identity; the tokens are installed by each pod's provision-credential init container (${EDEN_CREDENTIAL_DIR}/<worker id>.token, ` +
          `the web UI's under ${EDEN_CREDENTIAL_DIR}/${this.experimentId}/<worker id>.token). Going back to AppTier.pending() deletes the app tier (the upgrade check flags it).`,
        `ORCHESTRATORS: adding orchestrator replicas (and their identities) needs each new worker id added to the task store's orchestrators group before the pods start ` +
          `(the chart's re-seed step; the orchestrator's own join covers only the control-plane group): ${curl('POST', '/groups/<orchestrators group_id>/members', '{"member_id":"<worker_id>"}')}. ` +
          'Several orchestrators in lease mode are still deferred upstream (opaque-id minting and lease-mode self-registration are not reconciled): do not rely on it in production.',
      );
      if (this.props.leaseMode) {
        parts.push(`LEASE MODE: register the experiment with the control plane once it is ready (config URI ${EDEN_CONFIG_URI}, the mounted file, never the git remote):\n` +
          `  kubectl -n ${ns} exec deploy/${this.name}-control-plane -- curl -fsS -X POST -H "Authorization: Bearer admin:$EDEN_ADMIN_TOKEN" -H 'Content-Type: application/json' ` +
          `-d '{"experiment_id":"${this.experimentId}","config_uri":"${EDEN_CONFIG_URI}"}' http://localhost:${EDEN_CONTROL_PLANE_PORT}/v0/control/experiments`);
      }
      parts.push(`WEB UI: kubectl -n ${ns} port-forward svc/${this.name}-web-ui 18090:${EDEN_WEB_UI_PORT}, then http://localhost:18090/`);
    }
    const ext = this.props.database.external;
    if (ext) {
      const url = ext.login.url!;
      const ca = ext.tls!.ca!;
      parts.push(`EXTERNAL POSTGRES ${ext.endpoint.host}:${ext.endpoint.ports[0].port}: create the database ${ext.database} and its login on the server, then the DSN and CA Secrets:\n` +
        `  kubectl -n ${ns} create secret generic ${url.name} --from-literal=${url.key}='postgresql://<user>:<url-encoded password>@${ext.endpoint.host}:${ext.endpoint.ports[0].port}/${ext.database}?${ext.tls!.urlQuery}'\n` +
        `  kubectl -n ${ns} create secret generic ${ca.name} --from-file=${ca.key}=<provider CA bundle>.pem\n` +
        '  The task store does not create the read-only role on a managed server; lease mode is refused with it (no control-plane database).');
    }
    return parts.join('\n\n');
  }
}

/** The init script of a service with one worker: install its token where the service reads it (mode 0600). */
function singleScript(workerId: string, tokenPath: (w: string) => string): string {
  const dest = tokenPath(workerId);
  return ['set -eu', 'umask 077', `dest='${dest}'`, 'mkdir -p "$(dirname "$dest")"', 'cp /etc/eden/identity/0/token "$dest"', ''].join('\n');
}

/** The init script of a StatefulSet with one worker per replica: the pod's ordinal picks its worker. */
function perReplicaScript(workerIds: readonly string[], tokenPath: (w: string) => string): string {
  return [
    'set -eu',
    'umask 077',
    'ordinal="${HOSTNAME##*-}"',
    'case "$ordinal" in',
    ...workerIds.map((w, i) => `  ${i}) worker='${w}' ;;`),
    '  *) echo "no worker identity for replica $ordinal" >&2; exit 1 ;;',
    'esac',
    `dest="$(printf '%s' '${tokenPath('@@')}' | sed "s/@@/$worker/")"`,
    'mkdir -p "$(dirname "$dest")"',
    'cp "/etc/eden/identity/$ordinal/token" "$dest"',
    `printf '%s' "$worker" > ${EDEN_CREDENTIAL_DIR}/worker-id`,
    '',
  ].join('\n');
}
