import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { check } from './errors';
import { assertLabels } from './labels';
import { assertDnsLabel, assertDnsSubdomain } from './names';
import { quantityOf, sizeQuantity } from './resources';
import { keepStateAnnotations } from './retention';

/** Size and class of a persistent volume claim. */
export interface ClaimOptions {
  /** Size of the claim. It can grow later (if the StorageClass allows expansion), never shrink. */
  readonly size: Size;
  /**
   * StorageClass of the claim. Immutable once the claim exists.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/** Access modes a claim may request. */
export type ClaimAccessMode = 'ReadWriteOnce' | 'ReadWriteOncePod' | 'ReadWriteMany' | 'ReadOnlyMany';

/** Validates claim options: a size of at least 1 MiB and, when given, a StorageClass name. */
export function assertClaimOptions(prop: string, o: ClaimOptions): ClaimOptions {
  check(o !== undefined && o !== null && o.size instanceof Size, `${prop}.size`, o?.size, 'a Size, for example Size.gibibytes(10)');
  const ki = o.size.toKibibytes();
  check(ki >= 1024, `${prop}.size`, sizeQuantity(o.size), 'at least 1Mi');
  if (o.storageClassName !== undefined) assertDnsSubdomain(`${prop}.storageClassName`, o.storageClassName);
  return o;
}

/**
 * A StatefulSet claim template (`volumeClaimTemplates[]`): ReadWriteOnce, the size and class given, and the Argo CD
 * keep-state sync options (`Prune=false,Delete=false`), which the claims it creates inherit, so deleting the release
 * never deletes the data. Templates are immutable: changing one later is a breaking change the upgrade checker reports.
 */
export function claimTemplate(name: string, o: ClaimOptions, labels: Readonly<Record<string, string>>): k8s.KubePersistentVolumeClaimProps {
  assertDnsLabel('claimTemplate.name', name);
  return {
    metadata: { name, labels: { ...labels }, annotations: keepStateAnnotations({ helm: false }) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: o.storageClassName,
      resources: { requests: { storage: quantityOf(o.size) } },
    },
  };
}

/** Props of a standalone claim. */
export interface PersistentClaimProps extends ClaimOptions {
  /** The claim's name (pods mount it by this name). */
  readonly name: string;
  /**
   * Access modes. A ReadWriteOnce claim mounted by a Deployment needs the Recreate strategy: a rolling update starts
   * the new pod before the old one releases the volume and waits forever on the attach.
   * @default ['ReadWriteOnce']
   */
  readonly accessModes?: readonly ClaimAccessMode[];
  /**
   * Labels of the claim.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A PersistentVolumeClaim the release keeps: Argo CD `Prune=false,Delete=false` and Helm `resource-policy: keep`, so
 * neither removing it from the release nor deleting the Application (or uninstalling the chart) deletes the data.
 * Reclaiming the space is an explicit `kubectl delete pvc`.
 */
export class PersistentClaim extends Construct {
  /** The claim's name. */
  public readonly claimName: string;
  /** The access modes. */
  public readonly accessModes: readonly ClaimAccessMode[];
  /** The claim object (construct id `Resource`). */
  public readonly claim: k8s.KubePersistentVolumeClaim;

  constructor(scope: Construct, id: string, props: PersistentClaimProps) {
    super(scope, id);
    this.claimName = assertDnsSubdomain('claim.name', props.name);
    assertClaimOptions('claim', props);
    const modes = props.accessModes ?? ['ReadWriteOnce'];
    check(modes.length > 0, 'claim.accessModes', modes, 'at least one of ReadWriteOnce, ReadWriteOncePod, ReadWriteMany, ReadOnlyMany');
    for (const m of modes) {
      check(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany'].includes(m), 'claim.accessModes', m, 'ReadWriteOnce, ReadWriteOncePod, ReadWriteMany or ReadOnlyMany');
    }
    this.accessModes = [...modes];
    const labels = assertLabels('claim.labels', props.labels ?? {});
    this.claim = new k8s.KubePersistentVolumeClaim(this, 'Resource', {
      metadata: { name: this.claimName, labels: Object.keys(labels).length ? labels : undefined, annotations: keepStateAnnotations() },
      spec: {
        accessModes: [...modes],
        storageClassName: props.storageClassName,
        resources: { requests: { storage: quantityOf(props.size) } },
      },
    });
  }

  /** The pod volume that mounts this claim under `volumeName`. */
  public volume(volumeName: string, readOnly = false): k8s.Volume {
    assertDnsLabel('claim.volume', volumeName);
    return { name: volumeName, persistentVolumeClaim: { claimName: this.claimName, readOnly: readOnly || undefined } };
  }
}
