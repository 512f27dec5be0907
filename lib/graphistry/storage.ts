import { Size, SizeRoundingBehavior } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { check } from '../core/errors';
import { sizeQuantity } from '../core/resources';
import { standardLabels } from '../core/labels';
import { assertDnsSubdomain } from '../core/names';
import { keepStateAnnotations } from '../core/retention';
import { Release } from '../release/release';

/** How many nodes may mount a claim at once. */
export enum StorageAccessMode {
  /**
   * One node at a time (block storage, local disks). Correct for a single-node install; on several nodes the second
   * pod that mounts a claim stays in ContainerCreating with a Multi-Attach error.
   */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Any number of nodes (NFS, EFS, CephFS, Longhorn RWX, Azure Files). Required when Graphistry spans nodes. */
  READ_WRITE_MANY = 'ReadWriteMany',
}

/** The claim names. Graphistry's pods mount these by name, so they are fixed. */
export const GraphistryClaims = {
  /** Datasets, uploads, notebooks, dask-shared: every service reads and writes here. */
  DATA_MOUNT: 'data-mount',
  /** nexus' collected static files and media, served by nginx. */
  LOCAL_MEDIA_MOUNT: 'local-media-mount',
  /** Views of the public graph-app-kit. */
  GAK_PUBLIC: 'gak-public',
  /** Views of the private graph-app-kit. */
  GAK_PRIVATE: 'gak-private',
} as const;

/**
 * The default StorageClass: a class an operator creates with `reclaimPolicy: Retain` (and ReadWriteMany support on
 * multi-node installs), so deleting a claim never deletes the data.
 */
export const GRAPHISTRY_STORAGE_CLASS = 'retain-sc';

/** Settings of one claim. */
export interface GraphistryClaimOptions {
  /**
   * Requested size. A claim can grow (when the class allows expansion) but never shrink.
   * @default - data-mount 100 GiB, local-media-mount 10 GiB, gak-public and gak-private 1 GiB
   */
  readonly size?: Size;
  /**
   * Bind to this existing PersistentVolume instead of provisioning a new one: after an uninstall and reinstall, a
   * Retain volume is Released with a stale claimRef; clear its claimRef (`kubectl patch pv <name> --type json -p
   * '[{"op":"remove","path":"/spec/claimRef"}]'`) and name it here so the new claim gets the old data back.
   * @default - a volume is provisioned by the StorageClass
   */
  readonly volumeName?: string;
}

/** Props of GraphistryStorage. */
export interface GraphistryStorageProps {
  /**
   * Access mode of every claim: the operator's declaration of single-node (ReadWriteOnce) or multi-node
   * (ReadWriteMany) intent. Immutable once the claims exist.
   * @default StorageAccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: StorageAccessMode;
  /**
   * StorageClass of every claim. Immutable once the claims exist.
   * @default 'retain-sc'
   */
  readonly storageClassName?: string;
  /** @default - 100 GiB, provisioned */
  readonly dataMount?: GraphistryClaimOptions;
  /** @default - 10 GiB, provisioned */
  readonly localMediaMount?: GraphistryClaimOptions;
  /** @default - 1 GiB, provisioned */
  readonly gakPublic?: GraphistryClaimOptions;
  /** @default - 1 GiB, provisioned */
  readonly gakPrivate?: GraphistryClaimOptions;
  /**
   * Render the gak-public claim. Follows the variant's enabled flag, never the tier: a claim that appears and
   * disappears with the tier leaves a Retain volume Released with a stale claimRef, and the next claim sits Pending.
   * @default true
   */
  readonly gakPublicEnabled?: boolean;
  /**
   * Render the gak-private claim (same rule as gakPublicEnabled).
   * @default true
   */
  readonly gakPrivateEnabled?: boolean;
}

const DEFAULT_SIZES: Readonly<Record<string, Size>> = {
  [GraphistryClaims.DATA_MOUNT]: Size.gibibytes(100),
  [GraphistryClaims.LOCAL_MEDIA_MOUNT]: Size.gibibytes(10),
  [GraphistryClaims.GAK_PUBLIC]: Size.gibibytes(1),
  [GraphistryClaims.GAK_PRIVATE]: Size.gibibytes(1),
};

/**
 * Neither Argo CD (on prune or Application deletion) nor Helm (on uninstall) deletes the claims: a claim removed from
 * Git (a disabled variant) keeps its volume and data.
 */
export const KEEP_ON_PRUNE_ANNOTATIONS: Readonly<Record<string, string>> = keepStateAnnotations();

function storageQuantity(prop: string, size: Size): string {
  const ki = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  check(Number.isInteger(ki) && ki >= 1024, prop, `${ki}Ki`, 'at least 1 MiB, in whole KiB');
  return sizeQuantity(size);
}

/**
 * Graphistry's PersistentVolumeClaims. They render at every tier (tiers gate the workloads that mount them, never the
 * storage), so switching tiers never touches a claim; the graph-app-kit claims follow only their variant's enabled
 * flag. Class, access mode and volume name are immutable once a claim exists.
 */
export class GraphistryStorage extends Construct {
  /** Claims by name. */
  public readonly claims: Readonly<Record<string, k8s.KubePersistentVolumeClaim>>;
  /** The claims' access mode. */
  public readonly accessMode: StorageAccessMode;
  /** The claims' StorageClass. */
  public readonly storageClassName: string;

  constructor(scope: Construct, id: string, props: GraphistryStorageProps = {}) {
    super(scope, id);
    const release = Release.of(this);
    this.accessMode = props.accessMode ?? StorageAccessMode.READ_WRITE_ONCE;
    check(Object.values(StorageAccessMode).includes(this.accessMode), 'accessMode', this.accessMode, 'StorageAccessMode.READ_WRITE_ONCE or StorageAccessMode.READ_WRITE_MANY');
    this.storageClassName = assertDnsSubdomain('storageClassName', props.storageClassName ?? GRAPHISTRY_STORAGE_CLASS);
    const labels = standardLabels({ name: 'graphistry-storage', instance: release.releaseName, component: 'storage', partOf: 'graphistry' });

    const wanted: Array<[string, string, GraphistryClaimOptions | undefined]> = [
      ['DataMount', GraphistryClaims.DATA_MOUNT, props.dataMount],
      ['LocalMediaMount', GraphistryClaims.LOCAL_MEDIA_MOUNT, props.localMediaMount],
    ];
    if (props.gakPublicEnabled ?? true) wanted.push(['GakPublic', GraphistryClaims.GAK_PUBLIC, props.gakPublic]);
    if (props.gakPrivateEnabled ?? true) wanted.push(['GakPrivate', GraphistryClaims.GAK_PRIVATE, props.gakPrivate]);

    const claims: Record<string, k8s.KubePersistentVolumeClaim> = {};
    const volumes = new Map<string, string>();
    for (const [cid, name, o] of wanted) {
      const prop = `${cid.charAt(0).toLowerCase()}${cid.slice(1)}`;
      const size = storageQuantity(`${prop}.size`, o?.size ?? DEFAULT_SIZES[name]);
      if (o?.volumeName !== undefined) {
        assertDnsSubdomain(`${prop}.volumeName`, o.volumeName);
        check(!volumes.has(o.volumeName), `${prop}.volumeName`, o.volumeName, 'a PersistentVolume no other claim binds', `${volumes.get(o.volumeName)} already binds it`);
        volumes.set(o.volumeName, name);
      }
      claims[name] = new k8s.KubePersistentVolumeClaim(this, cid, {
        metadata: { name, labels, annotations: { ...KEEP_ON_PRUNE_ANNOTATIONS } },
        spec: {
          accessModes: [this.accessMode],
          storageClassName: this.storageClassName,
          volumeName: o?.volumeName,
          resources: { requests: { storage: k8s.Quantity.fromString(size) } },
        },
      });
    }
    this.claims = claims;
  }

  /** True when the claim is rendered (gak claims follow their enabled flags). */
  public has(name: string): boolean {
    return name in this.claims;
  }
}
