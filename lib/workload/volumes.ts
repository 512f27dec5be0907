import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { assertClaimOptions, ClaimOptions } from '../core/claims';
import { check, ConfigError } from '../core/errors';
import { assertDnsLabel, assertDnsSubdomain, deriveName } from '../core/names';
import { ExternalRef } from '../core/policy';
import { quantityOf } from '../core/resources';
import { keepStateAnnotations } from '../core/retention';

/**
 * How many nodes (or pods) may mount a claim at once.
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes
 */
export enum AccessMode {
  /** One node at a time. A second pod on another node never starts (Multi-Attach error). */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** One pod at a time, even on the same node. */
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
  /** Any number of nodes, read-only. */
  READ_ONLY_MANY = 'ReadOnlyMany',
  /** Any number of nodes, read-write (NFS, CephFS, EFS, Azure Files, Longhorn RWX). */
  READ_WRITE_MANY = 'ReadWriteMany',
}

/**
 * True for the modes that attach a volume to a single node (or pod).
 * @internal
 */
export function isSingleAttach(mode: AccessMode): boolean {
  return mode === AccessMode.READ_WRITE_ONCE || mode === AccessMode.READ_WRITE_ONCE_POD;
}

/** A claim the workload renders (or each of its pods gets): core's size and class, and the access mode. */
export interface WorkloadClaimOptions extends ClaimOptions {
  /**
   * Access mode. Immutable once the claim exists.
   * @default AccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: AccessMode;
}

/** An existing claim an operator created. */
export interface ExistingClaimOptions {
  /**
   * The claim's access mode, which decides how many pods may mount it (the workload cannot read it from the cluster).
   * @default AccessMode.READ_WRITE_ONCE - the safe assumption
   */
  readonly accessMode?: AccessMode;
}

/** Options of a ConfigMap or Secret volume. */
export interface KeyedVolumeOptions {
  /**
   * Only these keys, at these paths under the mount.
   * @default - every key, as a file named after it
   */
  readonly items?: ReadonlyArray<{ readonly key: string; readonly path: string }>;
}

/** Options of a `files` volume. */
export interface FilesVolumeOptions {
  /**
   * Mount the files executable (mode 0555): scripts a program runs, such as a git credential helper.
   * @default false - mode 0644
   */
  readonly executable?: boolean;
}

/** Options of an emptyDir. */
export interface EmptyDirOptions {
  /**
   * Largest size the directory may grow to before the pod is evicted.
   * @default - unbounded (the node's free disk)
   */
  readonly sizeLimit?: Size;
  /**
   * Back the directory with memory (tmpfs); it counts against the container's memory limit.
   * @default false
   */
  readonly memory?: boolean;
}

/**
 * Where a block renders its volumes' own objects, and how it names them.
 * @internal
 */
export interface VolumeContext {
  /** The construct the ConfigMaps and claims are created under. */
  readonly scope: Construct;
  /** The workload's object name; the volume's objects are named `<workload>-<volume>`. */
  readonly workloadName: string;
  /** Labels of the objects. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * What a bound volume contributes to the workload.
 * @internal
 */
export interface BoundVolume {
  /**
   * The pod volume (undefined for a per-pod claim, which the StatefulSet adds itself).
   * @default - none
   */
  readonly volume?: k8s.Volume;
  /**
   * The StatefulSet claim template of a per-pod claim.
   * @default - none
   */
  readonly claimTemplate?: k8s.KubePersistentVolumeClaimProps;
  /**
   * An object an operator creates.
   * @default - none
   */
  readonly externalRef?: ExternalRef;
  /**
   * File contents the pod mounts (hashed into the pod template's checksum).
   * @default - none
   */
  readonly config?: Readonly<Record<string, string>>;
  /**
   * A claim every pod of the workload mounts (the same volume): its access mode limits how many pods can run.
   * @default - none
   */
  readonly shared?: { readonly claimName: string; readonly accessMode: AccessMode };
  /**
   * The ConfigMap rendered for `files` volumes.
   * @default - none
   */
  readonly configMap?: k8s.KubeConfigMap;
  /**
   * The claim rendered for `claim` volumes.
   * @default - none
   */
  readonly claim?: k8s.KubePersistentVolumeClaim;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function claimSpec(prop: string, o: WorkloadClaimOptions): k8s.PersistentVolumeClaimSpec {
  const accessMode = o.accessMode ?? AccessMode.READ_WRITE_ONCE;
  check(Object.values(AccessMode).includes(accessMode), `${prop}.accessMode`, accessMode, Object.values(AccessMode).join(', '));
  assertClaimOptions(prop, o);
  return { accessModes: [accessMode], storageClassName: o.storageClassName, resources: { requests: { storage: quantityOf(o.size) } } };
}

/**
 * A volume of a workload's pods. Mount it with `{ volume, path }` in a container's `mounts`; the workload renders
 * what the volume needs (a ConfigMap for `files`, a claim for `claim`, a claim template for `perPodClaim`), declares
 * what an operator must create (`secret`, `configMap`, `existingClaim`), and checks claims against how many pods can
 * run at once.
 */
export class PodVolume {
  /** Scratch space that lives as long as the pod. */
  public static emptyDir(name: string, options: EmptyDirOptions = {}): PodVolume {
    const sizeLimit = options.sizeLimit ? quantityOf(options.sizeLimit) : undefined;
    return new PodVolume(name, 'emptyDir', () => ({ volume: { name, emptyDir: { medium: options.memory ? 'Memory' : undefined, sizeLimit } } }));
  }

  /**
   * Files the workload renders into a ConfigMap of its own (`<workload>-<name>`), mounted read-only. Their content is
   * hashed into the pod template, so editing a file rolls the pods (or, for a Job, makes a new Job).
   */
  public static files(name: string, files: Readonly<Record<string, string>>, options: FilesVolumeOptions = {}): PodVolume {
    const keys = Object.keys(files);
    check(keys.length > 0, `volumes.${name}.files`, files, 'at least one file');
    for (const k of keys) check(CONFIG_KEY.test(k) && k.length <= 253, `volumes.${name}.files`, k, "a file name of letters, digits, '-', '_' and '.'");
    const data = Object.fromEntries(keys.sort().map((k) => [k, files[k]]));
    return new PodVolume(name, 'files', (ctx) => {
      const cmName = deriveName([ctx.workloadName, name]);
      const configMap = new k8s.KubeConfigMap(ctx.scope, `Files-${name}`, { metadata: { name: cmName, labels: { ...ctx.labels } }, data });
      return { volume: { name, configMap: { name: cmName, defaultMode: options.executable ? 0o555 : undefined } }, config: data, configMap };
    }, true);
  }

  /** A ConfigMap made outside the app (declared as an external reference). */
  public static configMap(name: string, configMapName: string, options: KeyedVolumeOptions = {}): PodVolume {
    assertDnsSubdomain(`volumes.${name}.configMapName`, configMapName);
    return new PodVolume(name, 'configMap', () => ({
      volume: { name, configMap: { name: configMapName, items: options.items?.map((i) => ({ key: i.key, path: i.path })) } },
      externalRef: { kind: 'ConfigMap', name: configMapName },
    }), true);
  }

  /** An operator-created Secret (declared as an external reference), mounted read-only. */
  public static secret(name: string, secretName: string, options: KeyedVolumeOptions = {}): PodVolume {
    assertDnsSubdomain(`volumes.${name}.secretName`, secretName);
    return new PodVolume(name, 'secret', () => ({
      volume: { name, secret: { secretName, items: options.items?.map((i) => ({ key: i.key, path: i.path })) } },
      externalRef: { kind: 'Secret', name: secretName },
    }), true);
  }

  /**
   * A claim the workload renders (`<workload>-<name>`), shared by all its pods. It carries the keep-state annotations
   * (`keepStateAnnotations`: Argo CD `Prune=false,Delete=false`, Helm `keep`), so removing it from Git or deleting the
   * Application never deletes the data. A ReadWriteOnce claim on a workload that can run more than one
   * pod at once fails synth.
   */
  public static claim(name: string, options: WorkloadClaimOptions): PodVolume {
    const spec = claimSpec(`volumes.${name}`, options);
    return new PodVolume(name, 'claim', (ctx) => {
      const claimName = deriveName([ctx.workloadName, name]);
      const claim = new k8s.KubePersistentVolumeClaim(ctx.scope, `Claim-${name}`, { metadata: { name: claimName, labels: { ...ctx.labels }, annotations: keepStateAnnotations() }, spec });
      return { volume: { name, persistentVolumeClaim: { claimName } }, claim, shared: { claimName, accessMode: spec.accessModes![0] as AccessMode } };
    });
  }

  /** A claim an operator created (declared as an external reference), shared by all the workload's pods. */
  public static existingClaim(name: string, claimName: string, options: ExistingClaimOptions = {}): PodVolume {
    assertDnsSubdomain(`volumes.${name}.claimName`, claimName);
    const accessMode = options.accessMode ?? AccessMode.READ_WRITE_ONCE;
    check(Object.values(AccessMode).includes(accessMode), `volumes.${name}.accessMode`, accessMode, Object.values(AccessMode).join(', '));
    return new PodVolume(name, 'existingClaim', () => ({
      volume: { name, persistentVolumeClaim: { claimName } },
      externalRef: { kind: 'PersistentVolumeClaim', name: claimName },
      shared: { claimName, accessMode },
    }));
  }

  /**
   * A claim per pod (a StatefulSet's `volumeClaimTemplates`: `<name>-<workload>-<ordinal>`), so each replica owns its
   * volume. Only on `WorkloadKind.statefulSet()`.
   */
  public static perPodClaim(name: string, options: WorkloadClaimOptions): PodVolume {
    const spec = claimSpec(`volumes.${name}`, options);
    // Helm never owns a StatefulSet's claims, so only the Argo CD options apply to the template.
    return new PodVolume(name, 'perPodClaim', () => ({ claimTemplate: { metadata: { name, annotations: keepStateAnnotations({ helm: false }) }, spec } }));
  }

  private constructor(
    /** Volume name in the pod (a DNS label). */
    public readonly name: string,
    /** Which factory made it (for messages). */
    public readonly type: 'emptyDir' | 'files' | 'configMap' | 'secret' | 'claim' | 'existingClaim' | 'perPodClaim',
    private readonly render: (ctx: VolumeContext) => BoundVolume,
    /** Mounted read-only whatever the mount says (config and credentials). */
    public readonly readOnly = false,
  ) {
    assertDnsLabel('volumes.name', name);
  }

  /** @internal Renders the volume's objects for one workload. */
  public _bind(ctx: VolumeContext): BoundVolume {
    return this.render(ctx);
  }
}

/** A volume mounted into a container. */
export interface Mount {
  /** The volume. */
  readonly volume: PodVolume;
  /** Absolute path in the container. */
  readonly path: string;
  /**
   * Mount read-only. `files`, `configMap` and `secret` volumes are always read-only.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Mount only this path inside the volume.
   * @default - the whole volume
   */
  readonly subPath?: string;
  /**
   * The prop path messages about this mount name, for a construct that builds its mounts from props of its own
   * (`MlWorkload` names `data`, not `container.mounts[1]`).
   * @default - where the mount sits in the block's props (`container.mounts[0]`)
   */
  readonly prop?: string;
}

/**
 * Validates a mount and renders its VolumeMount.
 * @internal
 */
export function renderMount(prop: string, m: Mount): k8s.VolumeMount {
  if (!(m.volume instanceof PodVolume)) throw new ConfigError(`${prop}.volume`, m.volume, 'a PodVolume (PodVolume.claim(...), PodVolume.files(...), ...)');
  const p = m.path;
  check(typeof p === 'string' && p.startsWith('/') && (p === '/' || !p.endsWith('/')) && !p.split('/').includes('..'), `${prop}.path`, p, "an absolute path without '..' and without a trailing '/'");
  if (m.subPath !== undefined) check(m.subPath.length > 0 && !m.subPath.startsWith('/') && !m.subPath.split('/').includes('..'), `${prop}.subPath`, m.subPath, "a relative path inside the volume, without '..'");
  const readOnly = m.volume.readOnly || m.readOnly ? true : undefined;
  return { name: m.volume.name, mountPath: p, readOnly, subPath: m.subPath };
}
