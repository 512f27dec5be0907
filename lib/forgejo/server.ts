import { Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { assertClaimOptions, ClaimOptions } from '../core/claims';
import { HostForm, ServiceEndpoint } from '../core/endpoint';
import { EnvMap } from '../core/env';
import { buildChild, check, inConstruct } from '../core/errors';
import { ImageRef } from '../core/images';
import { assertDnsLabel, deriveName } from '../core/names';
import { WorkloadPlacementOptions } from '../core/placement';
import { Probes } from '../core/probes';
import { Resources, sized } from '../core/resources';
import { SecretCommands, SecretKey, assertSecretKey, secretKeyEnv } from '../core/secrets';
import { SecurityProfile } from '../core/security';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';
import { Release } from '../release/release';
import { PodVolume } from '../workload/volumes';
import { WebService } from '../workload/web-service';
import { WorkloadKind } from '../workload/worker';

/**
 * The Forgejo image used unless `image` says otherwise: the rootless variant of the Forgejo 11 line (runs as uid 1000,
 * serves HTTP on 3000, keeps everything under /var/lib/gitea). `11-rootless` follows the 11 LTS line's patch releases;
 * pin a digest through `image` for a byte-identical image.
 */
export const FORGEJO_IMAGE = 'codeberg.org/forgejo/forgejo:11-rootless';
/** uid, gid and fsGroup of the rootless image's `git` user. */
export const FORGEJO_UID = 1000;
/** The HTTP port (the rootless image's default). */
export const FORGEJO_HTTP_PORT = 3000;
/** The API path both probes ask: it answers once the database is migrated and the server routes. */
export const FORGEJO_HEALTH_PATH = '/api/v1/version';
/** Where the data claim is mounted (repositories, the SQLite database, LFS, avatars). */
export const FORGEJO_DATA_DIR = '/var/lib/gitea';
/** The config directory: an emptyDir, rendered again from the `FORGEJO__*` env on every start. */
export const FORGEJO_CONFIG_DIR = '/etc/gitea';
/** Longest server name (a StatefulSet: its pods' `controller-revision-hash` label must fit 63 characters). */
export const FORGEJO_MAX_NAME = 52;

/** Props of a ForgejoServer. */
export interface ForgejoServerProps {
  /**
   * Name of the StatefulSet and its Services (the Service name is the host clients use).
   * @default - `<release name>-forgejo`
   */
  readonly name?: string;
  /**
   * The image, pinned (tag or digest); the release's mirror applies. A rootless image: the pod runs as uid 1000.
   * @default FORGEJO_IMAGE
   */
  readonly image?: string;
  /**
   * Pull policy of the Forgejo image, its own: an app image loaded into a local cluster (`Never`) must not stop
   * Forgejo from being pulled.
   * @default IfNotPresent
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * The Secret key holding Forgejo's `SECRET_KEY` (cookies, CSRF, two-factor secrets). Never generated: a regenerated
   * key against a kept data claim invalidates every stored two-factor secret.
   */
  readonly secretKey: SecretKey;
  /** The Secret key holding Forgejo's `INTERNAL_TOKEN` (authentication between its own components). */
  readonly internalToken: SecretKey;
  /**
   * The data claim (one per pod, `data-<name>-0`, kept when the release is deleted).
   * @default - 20 GiB of the cluster's default StorageClass
   */
  readonly storage?: ClaimOptions;
  /**
   * Requests and limits.
   * @default - cpu 100m/1000m, memory 256Mi/1Gi
   */
  readonly resources?: Resources;
  /**
   * Where the pod runs relative to the release-wide placement.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Further `FORGEJO__<section>__<KEY>` settings (the image writes them into app.ini at start), such as
   * `FORGEJO__server__ROOT_URL` for the URL people browse to. The keys the server owns (port, database, security) are
   * refused.
   * @default {}
   */
  readonly settings?: Readonly<Record<string, string>>;
}

/** The settings the construct owns: the rendered config must agree with the Service, the claim and the Secrets. */
const OWNED_SETTINGS = [
  'FORGEJO__server__HTTP_PORT', 'FORGEJO__database__DB_TYPE',
  'FORGEJO__database__PATH', 'FORGEJO__security__INSTALL_LOCK', 'FORGEJO__security__SECRET_KEY', 'FORGEJO__security__INTERNAL_TOKEN',
];

/**
 * Forgejo, the git forge, as a single rootless server: a StatefulSet with its data on a kept claim at /var/lib/gitea,
 * /etc/gitea an emptyDir the image regenerates from the `FORGEJO__*` env on every start (so the config never drifts
 * from the construct, and a fresh volume root's `lost+found` never lands in the config), SQLite in the data directory,
 * registration closed, and `/api/v1/version` probes on port 3000. Clients connect with `connect(client)` and build
 * repository URLs with `repositoryUrl(owner, repo)`.
 */
export class ForgejoServer extends Construct implements IConnectable {
  /** The server name. */
  public readonly name: string;
  /** The StatefulSet, its Services and the data claim template. */
  public readonly workload: WebService;
  /** The Service clients connect to (port `http`). */
  public readonly endpoint: ServiceEndpoint;
  /** The image as written. */
  public readonly image: string;

  constructor(scope: Construct, id: string, props: ForgejoServerProps) {
    super(scope, id);
    const release = Release.of(this);
    const v = inConstruct(this, () => {
      check(props !== undefined && typeof props === 'object', 'props', props, '{ secretKey, internalToken, ... }');
      const name = props.name !== undefined
        ? assertDnsLabel('name', props.name, FORGEJO_MAX_NAME)
        : deriveName([release.releaseName, 'forgejo'], { maxLength: FORGEJO_MAX_NAME });
      const image = props.image ?? FORGEJO_IMAGE;
      ImageRef.parse(image, 'image');
      check(props.imagePullPolicy === undefined || ['Always', 'IfNotPresent', 'Never'].includes(props.imagePullPolicy), 'imagePullPolicy', props.imagePullPolicy, 'Always, IfNotPresent or Never');
      const secretKey = assertSecretKey('secretKey', props.secretKey);
      const internalToken = assertSecretKey('internalToken', props.internalToken);
      const storage = assertClaimOptions('storage', props.storage ?? { size: Size.gibibytes(20) });
      for (const k of Object.keys(props.settings ?? {})) {
        check(/^FORGEJO__[A-Za-z0-9_.-]+__[A-Za-z0-9_]+$/.test(k), 'settings', k, 'FORGEJO__<section>__<KEY>');
        check(!OWNED_SETTINGS.includes(k), 'settings', k, `a setting other than ${OWNED_SETTINGS.join(', ')}`, 'the server sets it from its own props');
      }
      return { name, image, secretKey, internalToken, storage };
    });
    this.name = v.name;
    this.image = v.image;
    // DOMAIN and ROOT_URL are left to the user (`settings`): they only shape the links Forgejo prints, and the URL
    // people browse to is an Ingress's, which the server cannot know.
    const env: Record<string, EnvMap[string]> = {
      FORGEJO__server__HTTP_PORT: String(FORGEJO_HTTP_PORT),
      FORGEJO__database__DB_TYPE: 'sqlite3',
      FORGEJO__database__PATH: `${FORGEJO_DATA_DIR}/data/forgejo.db`,
      FORGEJO__security__INSTALL_LOCK: 'true',
      FORGEJO__security__SECRET_KEY: secretKeyEnv(v.secretKey),
      FORGEJO__security__INTERNAL_TOKEN: secretKeyEnv(v.internalToken),
      FORGEJO__service__DISABLE_REGISTRATION: 'true',
      FORGEJO__log__LEVEL: 'Warn',
      ...(props.settings ?? {}),
    };
    this.workload = buildChild(this, 'Server', { prefix: '', renames: { 'container.image': 'image', 'container.resources': 'resources' } }, () => new WebService(this, 'Server', {
      name: v.name,
      identity: { name: 'forgejo', component: 'forgejo', version: ImageRef.parse(v.image, 'image').tag },
      container: {
        name: 'forgejo',
        image: v.image,
        imagePullPolicy: props.imagePullPolicy,
        ports: [{ name: 'http', port: FORGEJO_HTTP_PORT }],
        env,
        resources: props.resources ?? sized(100, 1000, 256, 1024),
        readinessProbe: Probes.http(FORGEJO_HEALTH_PATH, 'http', { initialDelay: Duration.seconds(10), period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 30 }),
        livenessProbe: Probes.http(FORGEJO_HEALTH_PATH, 'http', { initialDelay: Duration.seconds(30), period: Duration.seconds(10), timeout: Duration.seconds(3), failureThreshold: 6 }),
        mounts: [
          { volume: PodVolume.perPodClaim('data', v.storage), path: FORGEJO_DATA_DIR },
          { volume: PodVolume.emptyDir('config', { sizeLimit: Size.mebibytes(16) }), path: FORGEJO_CONFIG_DIR },
          { volume: PodVolume.emptyDir('tmp', { sizeLimit: Size.gibibytes(1) }), path: '/tmp' },
        ],
      },
      kind: WorkloadKind.statefulSet(),
      security: SecurityProfile.restricted({ runAsUser: FORGEJO_UID, runAsGroup: FORGEJO_UID, fsGroup: FORGEJO_UID }),
      placement: props.placement,
    }));
    this.endpoint = this.workload.endpoint;
    release.addLazyNote(() => this.notes(release.releaseNamespace, v.secretKey, v.internalToken));
  }

  /** Wires `client` to Forgejo's HTTP port (the graph edge; the caller builds URLs from the connection). */
  public connect(client: ClientBinding): Connection {
    return client.connect(this.endpoint, 'http', { purpose: 'git remote' });
  }

  /** The clone URL of `<owner>/<repo>` on this server (`http://<service>.<namespace>.svc:3000/<owner>/<repo>.git`). */
  public repositoryUrl(owner: string, repo: string): string {
    return `${this.endpoint.url('http', 'http', { form: HostForm.NAMESPACED })}/${owner}/${repo}.git`;
  }

  private notes(namespace: string, secretKey: SecretKey, internalToken: SecretKey): string {
    const commands = new SecretCommands()
      .literal(secretKey, '"$(openssl rand -hex 32)"')
      .literal(internalToken, '"$(openssl rand -hex 32)"');
    return `Forgejo ${this.name}: clients reach ${this.endpoint.host(HostForm.NAMESPACED)}:${FORGEJO_HTTP_PORT}; the data (repositories and ` +
      `the SQLite database) is on the claim data-${this.name}-0, which deleting the release keeps. Registration is closed: create users ` +
      `with kubectl -n ${namespace} exec ${this.name}-0 -- forgejo admin user create ... Before the first sync, create its Secret ` +
      `(keep it for as long as the claim: a new SECRET_KEY invalidates the stored two-factor secrets):\n` +
      commands.render(namespace).map((l) => `  ${l}`).join('\n');
  }
}
