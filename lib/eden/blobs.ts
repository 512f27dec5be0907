import { Size } from 'cdk8s';
import { check } from '../core/errors';
import { ObjectStorage } from '../object-storage';

/** Where the task store's file blobs are mounted (`--artifact-blob-dir`). */
export const EDEN_BLOB_DIR = '/var/lib/eden/blob';

/** Options of `EdenBlobs.file()`. */
export interface EdenFileBlobsOptions {
  /**
   * Size of the claim.
   * @default 10 GiB
   */
  readonly size?: Size;
  /**
   * StorageClass of the claim.
   * @default - the cluster default
   */
  readonly storageClassName?: string;
}

/**
 * Where the task store keeps deposited artifacts: files on a claim the release keeps (`<name>-blobs`), or a bucket of
 * S3 or GCS with exactly one auth path (workload identity or a keys Secret, as `ObjectStorage` enforces). Only the
 * task-store-server touches the store; workers deposit and fetch over its API. Moving between them is a copy
 * (`aws s3 sync` / `gcloud storage cp -r` of the claim's files): objects are keyed by opaque id.
 */
export class EdenBlobs {
  /** A kept claim mounted into the task-store-server. */
  public static file(options: EdenFileBlobsOptions = {}): EdenBlobs {
    return new EdenBlobs(options, undefined);
  }

  /** A bucket: `ObjectStorage.s3({...})` or `ObjectStorage.gcs({...})`. */
  public static bucket(storage: ObjectStorage): EdenBlobs {
    check(storage instanceof ObjectStorage && storage.kind !== 'file', 'blobs', storage instanceof ObjectStorage ? storage.description : storage,
      'ObjectStorage.s3({ bucket, auth }) or ObjectStorage.gcs({ bucket, auth }) (EdenBlobs.file() for a claim)');
    return new EdenBlobs(undefined, storage);
  }

  private constructor(
    /** The claim's options (file blobs). */
    public readonly fileOptions: EdenFileBlobsOptions | undefined,
    /** The bucket. */
    public readonly storage: ObjectStorage | undefined,
  ) {}
}
