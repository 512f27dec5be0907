import { Construct } from 'constructs';
import { check, ConfigError, inConstruct } from '../core/errors';
import { Gpu } from '../core/gpu';
import { everyLabelIn, selectorLabels, standardLabels } from '../core/labels';
import { assertDnsLabel } from '../core/names';
import { userProp } from '../core/props';
import { NamespacedAccess } from '../core/rbac';
import { k8s } from 'cdk8s-plus-28';
import { PodWiring } from '../core/wiring';
import { WorkloadConstruct } from '../core/workload';
import { passMemo } from '../release/pass';
import { Release } from '../release/release';
import { RenderedPodTemplate } from '../core/pod-template';
import { BlockPod, PodExtras, prepareBlockPod, WorkloadPodProps } from './pod';
import { isSingleAttach } from './volumes';

/**
 * How many pods of a workload can run at the same time, and why (for the storage rule's message).
 * @internal
 */
export interface Concurrency {
  /** True when two or more pods can run at once. */
  readonly several: boolean;
  /** Why, in the user's terms (`the autoscaler's maxReplicas is 10`). */
  readonly reason: string;
}

/**
 * Base of the generic workload blocks (`Worker`, `WebService`, `Job`, `CronJob`): the identity (name, labels,
 * selector), the pod rendered through core's `renderPodTemplate`, and the rules every block checks: a shared
 * single-attach claim on a workload that can run several pods fails, and no two blocks of a release select each
 * other's pods.
 */
export abstract class WorkloadBlock extends WorkloadConstruct {
  /** Object name of the workload (and of its Service, ServiceAccount, volumes' objects). */
  public readonly name: string;
  /** `app.kubernetes.io/name`. */
  public readonly appName: string;
  /** Labels selecting the pods: name, instance and component (stable across upgrades). */
  public readonly selector: Readonly<Record<string, string>>;
  /** Labels of every object the block renders, and of its pods. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The connections, waits, volumes and external references the pods gathered. */
  public readonly wiring: PodWiring;
  /** ConfigMaps rendered for `PodVolume.files(...)` volumes. */
  public readonly configMaps: readonly k8s.KubeConfigMap[];
  /** Claims rendered for `PodVolume.claim(...)` volumes. */
  public readonly claims: readonly k8s.KubePersistentVolumeClaim[];
  /**
   * The pod, prepared for the controller to render.
   * @internal
   */
  protected readonly pod: BlockPod;
  /**
   * What the controller rendered from the pod (set by the subclass once it rendered).
   * @internal
   */
  protected rendered?: RenderedPodTemplate;

  /** The kind the block renders, for messages (`Deployment`). */
  public readonly kindName: string;

  /**
   * Prepares the pod of a block (the library's Worker, WebService, Job and CronJob extend it).
   * @param kindName the kind rendered, for messages
   * @param maxNameLength the longest name whose derived names still fit (a CronJob's Jobs append 11 characters)
   * @param extras what the block adds to its pods, once the identity is known
   * @internal
   */
  protected constructor(
    scope: Construct,
    id: string,
    props: WorkloadPodProps,
    kindName: string,
    maxNameLength: number,
    extras: (block: WorkloadBlock) => PodExtras,
  ) {
    super(scope, id);
    check(props !== undefined && typeof props === 'object', 'props', props, 'the workload props');
    this.kindName = kindName;
    // Errors are attributed to this block: they name it and the prop as its creator's user wrote it.
    const ids = inConstruct(this, () => {
      const name = assertDnsLabel('name', props.name, maxNameLength);
      const identity = { name: props.identity?.name ?? props.name, instance: Release.of(this).releaseName, component: props.identity?.component };
      const labels = standardLabels({ ...identity, partOf: props.identity?.partOf, version: props.identity?.version });
      return { name, appName: identity.name, selector: selectorLabels(identity), labels };
    });
    this.name = ids.name;
    this.appName = ids.appName;
    this.selector = ids.selector;
    this.labels = ids.labels;
    this.pod = inConstruct(this, () => prepareBlockPod(this, props, extras(this)));
    this.wiring = this.pod.wiring;
    this.configMaps = this.pod.configMaps;
    this.claims = this.pod.claims;
    this.node.addValidation({ validate: () => this.selectorOverlaps() });
  }

  /** The pod's own ServiceAccount, when one is rendered (workload identity, or waits that read the API). */
  public get serviceAccount(): k8s.KubeServiceAccount | undefined {
    return this.rendered?.serviceAccount;
  }

  /** ServiceAccount, Role and RoleBinding, when the connection waits read the API. */
  public get access(): NamespacedAccess | undefined {
    return this.rendered?.access;
  }

  /** The main container as rendered. */
  public get container(): k8s.Container {
    return this.renderedTemplate().spec!.containers[0];
  }

  /**
   * The rendered pod template.
   * @internal
   */
  protected renderedTemplate(): k8s.PodTemplateSpec {
    if (!this.rendered) throw new Error(`${this.node.path}: the pod template is read before the ${this.kindName} rendered it`);
    return this.rendered.template;
  }

  /**
   * Fails when a claim every pod shares attaches to one node (ReadWriteOnce) or one pod (ReadWriteOncePod) while the
   * workload can run more than one pod at once: the second pod, on another node, never starts (Multi-Attach error),
   * so a rollout or a scale-up hangs.
   * @internal
   */
  protected checkSharedClaims(concurrency: Concurrency): void {
    inConstruct(this, () => this.checkSharedClaimsUnattributed(concurrency));
  }

  private checkSharedClaimsUnattributed(concurrency: Concurrency): void {
    if (!concurrency.several) return;
    for (const use of this.pod.sharedClaims) {
      if (!isSingleAttach(use.accessMode)) continue;
      throw new ConfigError(
        use.prop,
        `${use.volume.name} (${use.volume.type} ${use.claimName}, ${use.accessMode})`,
        'a ReadWriteMany claim (a StorageClass that supports it), per-pod claims (PodVolume.perPodClaim with WorkloadKind.statefulSet()), or a workload that runs one pod at a time',
        `${concurrency.reason}, and a ${use.accessMode} volume attaches to one ${use.accessMode === 'ReadWriteOncePod' ? 'pod' : 'node'}: the next pod never starts (Multi-Attach error)`,
      );
    }
  }

  /**
   * Adds the GPU prerequisites (node labels, device plugin, runtime) to the release notes.
   * @internal
   */
  protected noteGpu(gpu: Gpu | undefined, objectName: string): void {
    if (!gpu) return;
    const selector = this.renderedTemplate().spec?.nodeSelector ?? {};
    const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(', ');
    Release.of(this).addNote(
      `${this.kindName} ${objectName} requests ${gpu.count} ${gpu.resourceName}: its pods schedule only on nodes labelled ${labels} that advertise ${gpu.resourceName} ` +
        `(the NVIDIA device plugin or GPU Operator), tolerating ${gpu.tolerations.map((t) => `${t.key ?? 'every taint'}${t.effect ? `:${t.effect}` : ''}`).join(', ')}; ` +
        `${gpu.runtimeClassName ? `RuntimeClass ${gpu.runtimeClassName} must exist.` : 'the NVIDIA runtime must be the default container runtime on those nodes.'}`,
    );
  }

  private selectorOverlaps(): string[] {
    const release = Release.tryOf(this);
    if (!release) return [];
    const errors: string[] = [];
    // Every block of the release checks the others: inside a render pass the release's blocks are listed once, not
    // once per block (a walk of the release's whole construct tree each time).
    const blocks = passMemo(release, WORKLOAD_BLOCKS, () => release.node.findAll().filter((c): c is WorkloadBlock => c instanceof WorkloadBlock));
    for (let i = 0; i < blocks.length; i++) {
      const other = blocks[i];
      if (other === this || other.podNamespace !== this.podNamespace) continue;
      if (everyLabelIn(this.selector, other.labels, true)) {
        // Named as the user of the construct they created wrote them (an MlWorkload user sets `component`).
        const knobs = [...new Set(['identity.name', 'identity.component'].map((p) => `'${userProp(this, p).prop}'`))].join(' or ');
        const error = new ConfigError(
          'name',
          this.name,
          `a distinct ${knobs} for one of them`,
          `its selector ${JSON.stringify(this.selector)} also selects the pods of ${other.kindName} ${other.name} (${other.node.path}), ` +
            'so whatever selects its pods (a Service, a disruption budget, an autoscaler, a NetworkPolicy, the wiring graph) would pick those too',
        );
        errors.push(error.in(this).message);
      }
    }
    return errors;
  }
}

/** The render-pass key of a release's workload blocks, in construct-tree order. */
const WORKLOAD_BLOCKS = 'workloadBlocks';
