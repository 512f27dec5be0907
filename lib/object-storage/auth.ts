import { check } from '../core/errors';
import { assertDnsSubdomain } from '../core/names';
import { assertSecretKey, SecretKey } from '../core/secrets';

/** The ServiceAccount annotation EKS' pod identity webhook (IRSA) reads. */
export const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';
/** The ServiceAccount annotation GKE Workload Identity reads. */
export const GKE_WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account';

const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
const GSA = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;

/** Options of S3 access keys in a Secret. */
export interface S3KeysOptions {
  /** The Secret an operator creates. */
  readonly secretName: string;
  /**
   * The access key id's key in the Secret.
   * @default 'AWS_ACCESS_KEY_ID'
   */
  readonly accessKeyIdKey?: string;
  /**
   * The secret access key's key in the Secret.
   * @default 'AWS_SECRET_ACCESS_KEY'
   */
  readonly secretAccessKeyKey?: string;
}

/**
 * How a client authenticates to S3: exactly one of workload identity (the pod's ServiceAccount carries an IAM role,
 * no key exists anywhere) or access keys from a Secret (clusters without IRSA, S3-compatible stores such as MinIO).
 */
export class S3Auth {
  /**
   * EKS IAM Roles for Service Accounts: the client's pod runs under a ServiceAccount annotated with the role, and the
   * AWS SDK exchanges the pod's token for credentials. The IAM role and its trust policy are created outside.
   * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
   */
  public static workloadIdentity(options: { readonly roleArn: string }): S3Auth {
    check(typeof options?.roleArn === 'string' && ROLE_ARN.test(options.roleArn), 'auth.roleArn', options?.roleArn, 'an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>');
    return new S3Auth(options.roleArn, undefined, undefined);
  }

  /** Access keys from an operator-created Secret, read into AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  public static keys(options: S3KeysOptions): S3Auth {
    assertDnsSubdomain('auth.secretName', options?.secretName);
    const id = assertSecretKey('auth.accessKeyIdKey', { name: options.secretName, key: options.accessKeyIdKey ?? 'AWS_ACCESS_KEY_ID' });
    const secret = assertSecretKey('auth.secretAccessKeyKey', { name: options.secretName, key: options.secretAccessKeyKey ?? 'AWS_SECRET_ACCESS_KEY' });
    check(id.key !== secret.key, 'auth.secretAccessKeyKey', secret.key, `a key other than the access key id's (${id.key})`);
    return new S3Auth(undefined, id, secret);
  }

  private constructor(
    /** The IAM role (workload identity). */
    public readonly roleArn: string | undefined,
    /** The access key id (keys). */
    public readonly accessKeyId: SecretKey | undefined,
    /** The secret access key (keys). */
    public readonly secretAccessKey: SecretKey | undefined,
  ) {}
}

/**
 * How a client authenticates to Google Cloud Storage: exactly one of workload identity (the pod's ServiceAccount is
 * bound to a Google service account) or a service-account key file from a Secret.
 */
export class GcsAuth {
  /**
   * GKE Workload Identity: the client's pod runs under a ServiceAccount annotated with the Google service account; the
   * IAM binding (`roles/iam.workloadIdentityUser` for `<project>.svc.id.goog[<namespace>/<ksa>]`) is created outside.
   * @see https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
   */
  public static workloadIdentity(options: { readonly serviceAccount: string }): GcsAuth {
    check(typeof options?.serviceAccount === 'string' && GSA.test(options.serviceAccount), 'auth.serviceAccount', options?.serviceAccount,
      'a Google service account email: <name>@<project>.iam.gserviceaccount.com');
    return new GcsAuth(options.serviceAccount, undefined);
  }

  /** A service-account key (JSON) from an operator-created Secret, mounted read-only where GOOGLE_APPLICATION_CREDENTIALS points. */
  public static keyFile(options: { readonly secretName: string; readonly key?: string }): GcsAuth {
    assertDnsSubdomain('auth.secretName', options?.secretName);
    return new GcsAuth(undefined, assertSecretKey('auth.key', { name: options.secretName, key: options.key ?? 'key.json' }));
  }

  private constructor(
    /** The Google service account (workload identity). */
    public readonly serviceAccount: string | undefined,
    /** The key file (key file). */
    public readonly keyFile: SecretKey | undefined,
  ) {}
}
