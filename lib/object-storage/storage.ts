import { PersistentClaim } from '../core/claims';
import { ExternalEndpoint, ExternalPeer, HostForm, IConnectionTarget } from '../core/endpoint';
import { assertEnvName } from '../core/env';
import { check } from '../core/errors';
import { deriveName } from '../core/names';
import { SecretCommands, secretKeyEnv } from '../core/secrets';
import { parseServerUrl } from '../core/validate';
import { WaitFor } from '../core/waits';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';
import { Release } from '../release/release';
import { GcsAuth, GKE_WORKLOAD_IDENTITY_ANNOTATION, IRSA_ANNOTATION, S3Auth } from './auth';
import { assertS3BucketName, MINIO_API_PORT, MinioBucket } from './minio';

/** Where a client container reads a GCS key file (one directory per Secret). */
export const GCS_KEY_DIR = '/var/run/secrets/gcs';
/** Where `ObjectStorage.file` mounts its claim unless told otherwise. */
export const OBJECT_STORAGE_DIR = '/var/lib/objects';

/** Options of object storage on a claim. */
export interface FileStorageOptions {
  /**
   * Where the client sees the claim.
   * @default '/var/lib/objects'
   */
  readonly mountPath?: string;
}

/** Options of S3 (or an S3-compatible store). */
export interface S3StorageOptions {
  /** The bucket. */
  readonly bucket: string;
  /**
   * The region (AWS_REGION). Without it the SDK falls back to its own chain (the IRSA-injected region).
   * @default - not set
   */
  readonly region?: string;
  /**
   * A key prefix every object of the client lives under (`eden/`).
   * @default - none
   */
  readonly prefix?: string;
  /**
   * The endpoint of an S3-compatible store outside the app (`https://s3.eu-central-1.wasabisys.com`,
   * `http://minio.storage.svc:9000`), as AWS_ENDPOINT_URL. For MinIO rendered by this app use `ObjectStorage.minio`.
   * @default - AWS S3
   */
  readonly endpointUrl?: string;
  /**
   * Address buckets in the path (`host/bucket/key`) instead of the host name (S3_FORCE_PATH_STYLE).
   * @default - true with `endpointUrl` (most S3-compatible stores need it), false for AWS
   */
  readonly forcePathStyle?: boolean;
  /** How the client authenticates: exactly one of workload identity or keys. */
  readonly auth: S3Auth;
  /**
   * Who answers at the endpoint, for NetworkPolicy egress rules.
   * @default - undeclared
   */
  readonly peer?: ExternalPeer;
}

/** Options of Google Cloud Storage. */
export interface GcsStorageOptions {
  /** The bucket. */
  readonly bucket: string;
  /**
   * An object-name prefix every object of the client lives under.
   * @default - none
   */
  readonly prefix?: string;
  /** How the client authenticates: exactly one of workload identity or a key file. */
  readonly auth: GcsAuth;
  /**
   * Who answers at storage.googleapis.com, for NetworkPolicy egress rules.
   * @default - undeclared
   */
  readonly peer?: ExternalPeer;
}

/** Options of a bucket of a MinioServer the app renders. */
export interface MinioStorageOptions {
  /** A bucket the server creates (`server.addBucket(...)`). */
  readonly bucket: MinioBucket;
  /**
   * A key prefix.
   * @default - none
   */
  readonly prefix?: string;
  /** The client's keys (`S3Auth.keys`), for example `server.rootKeys()` or a MinIO user of its own. */
  readonly auth: S3Auth;
}

/** The env names a client reads; each kind sets the ones that apply. `false` leaves a value out. */
export interface ObjectStorageEnvNames {
  /**
   * The directory (file storage).
   * @default 'OBJECT_STORAGE_DIR'
   */
  readonly dir?: string;
  /**
   * The bucket.
   * @default 'S3_BUCKET_NAME' (S3, MinIO), 'GCS_BUCKET_NAME' (GCS)
   */
  readonly bucket?: string | false;
  /**
   * The prefix (set only when there is one).
   * @default 'S3_PREFIX' (S3, MinIO), 'GCS_PREFIX' (GCS)
   */
  readonly prefix?: string | false;
  /**
   * The region (set only when there is one).
   * @default 'AWS_REGION'
   */
  readonly region?: string | false;
  /**
   * The endpoint URL (S3-compatible stores and MinIO).
   * @default 'AWS_ENDPOINT_URL'
   */
  readonly endpointUrl?: string | false;
  /**
   * Path-style addressing, `true` or `false`.
   * @default 'S3_FORCE_PATH_STYLE'
   */
  readonly forcePathStyle?: string | false;
  /**
   * The access key id (keys).
   * @default 'AWS_ACCESS_KEY_ID'
   */
  readonly accessKeyId?: string;
  /**
   * The secret access key (keys).
   * @default 'AWS_SECRET_ACCESS_KEY'
   */
  readonly secretAccessKey?: string;
  /**
   * The key file's path (GCS key file).
   * @default 'GOOGLE_APPLICATION_CREDENTIALS'
   */
  readonly credentialsFile?: string;
}

/** How one client connects. */
export interface ObjectStorageConnectOptions {
  /**
   * The env names the client reads.
   * @default - the names in ObjectStorageEnvNames
   */
  readonly env?: ObjectStorageEnvNames;
  /**
   * Mount a file store read-only.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * For MinIO: wait until its API accepts connections.
   * @default true
   */
  readonly wait?: boolean;
  /**
   * What the connection is for (reports, notes).
   * @default - none
   */
  readonly purpose?: string;
}

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9!_.*'()/-]{0,511}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-[0-9]$|^[a-z]+-[a-z]+[0-9]?$/;

function assertPrefix(prop: string, prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  check(typeof prefix === 'string' && PREFIX.test(prefix) && !prefix.includes('//'), prop, prefix, "a key prefix of letters, digits and ! _ . * ' ( ) / -, not starting with '/'");
  return prefix;
}

function parseEndpoint(url: string): { scheme: 'http' | 'https'; host: string; port: number } {
  const u = parseServerUrl('storage.endpointUrl', url, {
    schemes: ['http', 'https'],
    schemesAllowed: 'an http:// or https:// URL',
    example: 'a URL such as https://s3.eu-central-1.wasabisys.com or http://minio.storage.svc:9000',
    credentialsFix: 'the keys belong in auth: S3Auth.keys({ secretName })',
  });
  const scheme = u.scheme === 'https' ? 'https' : 'http';
  return { scheme, host: u.host, port: u.port ?? (scheme === 'https' ? 443 : 80) };
}

type Backend =
  | { readonly kind: 'file'; readonly claim: PersistentClaim; readonly mountPath: string }
  | {
    readonly kind: 's3';
    readonly bucket: string;
    readonly region?: string;
    readonly prefix?: string;
    readonly endpoint: IConnectionTarget;
    readonly scheme: 'http' | 'https';
    /** The client gets the endpoint URL (S3-compatible stores, MinIO). */
    readonly customEndpoint: boolean;
    readonly forcePathStyle: boolean;
    readonly auth: S3Auth;
    /**
     * The MinioServer's name, for a bucket of one the app renders.
     * @default - none (an external store)
     */
    readonly minio?: string;
  }
  | { readonly kind: 'gcs'; readonly bucket: string; readonly prefix?: string; readonly endpoint: ExternalEndpoint; readonly auth: GcsAuth };

/**
 * Where a client keeps objects: a kept claim (`file`), S3 or an S3-compatible store (`s3`), Google Cloud Storage
 * (`gcs`), or a bucket of a MinIO the app renders (`minio`). Each kind wires its client with one `connect` call: the
 * env the client reads (`AWS_*` / `S3_*` / `GOOGLE_APPLICATION_CREDENTIALS`), exactly one auth path (a ServiceAccount
 * annotation for workload identity, or keys from a Secret as references), the graph edge to the endpoint, and the
 * mount for a claim or a key file.
 */
export class ObjectStorage implements IConnectable {
  /**
   * Objects as files on a claim the release keeps. A ReadWriteOnce claim is mounted by one pod at a time: its
   * Deployment needs the Recreate strategy, and the pod an fsGroup that may write to a fresh volume.
   */
  public static file(claim: PersistentClaim, options: FileStorageOptions = {}): ObjectStorage {
    check(claim instanceof PersistentClaim, 'storage.claim', claim, 'a PersistentClaim the release renders');
    const mountPath = options.mountPath ?? OBJECT_STORAGE_DIR;
    check(/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(mountPath) && !mountPath.includes('..'), 'storage.mountPath', mountPath, 'an absolute path');
    return new ObjectStorage({ kind: 'file', claim, mountPath });
  }

  /** A bucket of AWS S3, or of an S3-compatible store outside the app (`endpointUrl`). */
  public static s3(options: S3StorageOptions): ObjectStorage {
    const bucket = assertS3BucketName('storage.bucket', options.bucket);
    if (options.region !== undefined) check(REGION.test(options.region), 'storage.region', options.region, 'a region such as eu-central-1 or us-east-1');
    check(options.auth instanceof S3Auth, 'storage.auth', options.auth, 'S3Auth.workloadIdentity({ roleArn }) or S3Auth.keys({ secretName })', 'exactly one auth path; credentials are never defaulted');
    let endpoint: IConnectionTarget;
    let scheme: 'http' | 'https' = 'https';
    if (options.endpointUrl !== undefined) {
      const e = parseEndpoint(options.endpointUrl);
      scheme = e.scheme;
      endpoint = ExternalEndpoint.of({ host: e.host, ports: [{ name: e.scheme, port: e.port }], peer: options.peer, description: 'S3-compatible object storage' });
    } else {
      const host = options.region ? `s3.${options.region}.amazonaws.com` : 's3.amazonaws.com';
      endpoint = ExternalEndpoint.of({ host, ports: [{ name: 'https', port: 443 }], peer: options.peer, description: 'AWS S3' });
    }
    return new ObjectStorage({
      kind: 's3', bucket, region: options.region, prefix: assertPrefix('storage.prefix', options.prefix), endpoint, scheme,
      customEndpoint: options.endpointUrl !== undefined,
      forcePathStyle: options.forcePathStyle ?? options.endpointUrl !== undefined,
      auth: options.auth,
    });
  }

  /** A bucket of Google Cloud Storage. */
  public static gcs(options: GcsStorageOptions): ObjectStorage {
    const bucket = assertS3BucketName('storage.bucket', options.bucket, true);
    check(options.auth instanceof GcsAuth, 'storage.auth', options.auth, 'GcsAuth.workloadIdentity({ serviceAccount }) or GcsAuth.keyFile({ secretName })', 'exactly one auth path; credentials are never defaulted');
    const endpoint = ExternalEndpoint.of({ host: 'storage.googleapis.com', ports: [{ name: 'https', port: 443 }], peer: options.peer, description: 'Google Cloud Storage' });
    return new ObjectStorage({ kind: 'gcs', bucket, prefix: assertPrefix('storage.prefix', options.prefix), endpoint, auth: options.auth });
  }

  /** A bucket of a MinioServer the app renders (the connection is a graph edge to its Service). */
  public static minio(options: MinioStorageOptions): ObjectStorage {
    check(options.bucket instanceof MinioBucket, 'storage.bucket', options.bucket, "a bucket from the server's addBucket(...)", 'the bucket Job creates only the buckets it knows');
    check(options.auth instanceof S3Auth && options.auth.accessKeyId !== undefined, 'storage.auth', options.auth, 'S3Auth.keys({ secretName }) (MinIO has no workload identity), for example server.rootKeys()');
    return new ObjectStorage({
      kind: 's3', bucket: options.bucket.name, prefix: assertPrefix('storage.prefix', options.prefix), endpoint: options.bucket.server.endpoint, scheme: 'http',
      customEndpoint: true, forcePathStyle: true, auth: options.auth, minio: options.bucket.server.name,
    });
  }

  private constructor(private readonly backend: Backend) {}

  /** `file`, `s3` (MinIO included) or `gcs`. */
  public get kind(): 'file' | 's3' | 'gcs' {
    return this.backend.kind;
  }

  /** The bucket (undefined for file storage), for clients configured with arguments. */
  public get bucket(): string | undefined {
    return this.backend.kind === 'file' ? undefined : this.backend.bucket;
  }

  /** The prefix, when there is one. */
  public get prefix(): string | undefined {
    return this.backend.kind === 'file' ? undefined : this.backend.prefix;
  }

  /** The region (S3), when there is one. */
  public get region(): string | undefined {
    return this.backend.kind === 's3' ? this.backend.region : undefined;
  }

  /** Where a file store is mounted (file only). */
  public get mountPath(): string | undefined {
    return this.backend.kind === 'file' ? this.backend.mountPath : undefined;
  }

  /**
   * The operator-created Secrets a client reads (the keys or key file), for rollout checksums: a client pointed at a
   * new Secret restarts. Empty for file storage and workload identity.
   */
  public get secretNames(): readonly string[] {
    const b = this.backend;
    if (b.kind === 'file') return [];
    if (b.kind === 's3') return b.auth.accessKeyId ? [b.auth.accessKeyId.name] : [];
    return b.auth.keyFile ? [b.auth.keyFile.name] : [];
  }

  /** What it is, for messages and the ServiceAccount annotation source (`s3://media/eden/`). */
  public get description(): string {
    const b = this.backend;
    if (b.kind === 'file') return `claim ${b.claim.claimName}`;
    return `${b.kind === 'gcs' ? 'gs' : 's3'}://${b.bucket}/${b.prefix ?? ''}`;
  }

  /**
   * Wires `client` to the storage: the env its kind needs, the auth path (ServiceAccount annotation, or Secret key
   * references and a key-file mount), the claim mount for files, and the graph edge to the endpoint. Returns the
   * connection (undefined for a claim, which is not reached over the network).
   */
  public connect(client: ClientBinding, options: ObjectStorageConnectOptions = {}): Connection | undefined {
    const b = this.backend;
    const env = options.env ?? {};
    for (const [k, v] of Object.entries(env)) if (typeof v === 'string') assertEnvName(`env.${k}`, v);
    if (b.kind === 'file') {
      client.mount(b.claim.volume(deriveName(['objects', b.claim.claimName]), options.readOnly), { mountPath: b.mountPath, readOnly: options.readOnly || undefined });
      client.setEnv(env.dir ?? 'OBJECT_STORAGE_DIR', b.mountPath, { controlledBy: `the object storage ${this.description}` });
      return undefined;
    }
    const port = b.kind === 's3' ? b.scheme : 'https';
    const c = client.connect(b.endpoint, b.kind === 's3' && b.minio !== undefined ? 'api' : port, { purpose: options.purpose });
    const hint = c.envHint();
    const set = (name: string | false | undefined, fallback: string, value: string | undefined) => {
      if (name !== false && value !== undefined) client.setEnv(name ?? fallback, value, hint);
    };
    if (b.kind === 's3') {
      set(env.bucket, 'S3_BUCKET_NAME', b.bucket);
      set(env.prefix, 'S3_PREFIX', b.prefix);
      set(env.region, 'AWS_REGION', b.region);
      if (b.customEndpoint) set(env.endpointUrl, 'AWS_ENDPOINT_URL', c.url(b.scheme, { form: HostForm.NAMESPACED }));
      set(env.forcePathStyle, 'S3_FORCE_PATH_STYLE', String(b.forcePathStyle));
      if (b.auth.roleArn) {
        client.addServiceAccountAnnotations({ [IRSA_ANNOTATION]: b.auth.roleArn }, `object storage ${this.description}`);
      } else {
        client.setEnv(env.accessKeyId ?? 'AWS_ACCESS_KEY_ID', secretKeyEnv(b.auth.accessKeyId!), hint)
          .setEnv(env.secretAccessKey ?? 'AWS_SECRET_ACCESS_KEY', secretKeyEnv(b.auth.secretAccessKey!), hint)
          .addExternalRef({ kind: 'Secret', name: b.auth.accessKeyId!.name });
        // A MinIO bucket's keys are the server's root credentials, whose command its own notes print.
        if (b.minio === undefined) {
          this.noteSecret(client, new SecretCommands()
            .literal(b.auth.accessKeyId!, "'<access key id>'")
            .literal(b.auth.secretAccessKey!, "'<secret access key>'"), 'its access keys (issued by the provider)');
        }
      }
      if (b.minio !== undefined && (options.wait ?? true)) {
        client.addWait(WaitFor.tcp({ name: b.minio, host: c.host(HostForm.NAMESPACED), port: MINIO_API_PORT }));
      }
      return c;
    }
    set(env.bucket, 'GCS_BUCKET_NAME', b.bucket);
    set(env.prefix, 'GCS_PREFIX', b.prefix);
    if (b.auth.serviceAccount) {
      client.addServiceAccountAnnotations({ [GKE_WORKLOAD_IDENTITY_ANNOTATION]: b.auth.serviceAccount }, `object storage ${this.description}`);
    } else {
      const key = b.auth.keyFile!;
      const dir = `${GCS_KEY_DIR}/${key.name}`;
      client.mountSecret({ volume: deriveName(['gcs-key', key.name]), secretName: key.name, mountPath: dir, items: [{ key: key.key, path: 'key.json' }] });
      client.setEnv(env.credentialsFile ?? 'GOOGLE_APPLICATION_CREDENTIALS', `${dir}/key.json`, hint);
      this.noteSecret(client, new SecretCommands().file(key, '<service account key>.json'), 'its service account key file');
    }
    return c;
  }

  /**
   * The release note with the command that creates the keys Secret, once per release and Secret (every client of the
   * storage reads the same one).
   */
  private noteSecret(client: ClientBinding, commands: SecretCommands, what: string): void {
    const release = Release.tryOf(client.workload);
    if (!release) return;
    const seen = NOTED.get(release) ?? new Set<string>();
    NOTED.set(release, seen);
    const name = commands.names[0];
    if (seen.has(name)) return;
    seen.add(name);
    release.addNote(`Object storage ${this.description} reads ${what} from Secret ${name}, which the release never creates. Before the first sync, create:\n` +
      commands.render(release.releaseNamespace).map((l) => `  ${l}`).join('\n'));
  }
}

/** The keys Secrets each release's notes already name. */
const NOTED = new WeakMap<Release, Set<string>>();
