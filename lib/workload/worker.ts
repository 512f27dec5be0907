import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DeploymentRollout, renderDeployment } from '../core/deployment';
import { renderStatefulSet } from '../core/statefulset';
import { PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { NetworkPolicies } from '../core/network';
import { ConnectionKind, Wiring } from '../core/wiring';
import { check, ConfigError, inConstruct } from '../core/errors';
import { isPortName } from '../core/names';
import { buildService, RenderedService } from '../core/service';
import { Release } from '../release/release';
import { Concurrency, WorkloadBlock } from './block';
import { DisruptionBudget } from './disruption';
import { WorkloadPodProps } from './pod';
import { Scaling } from './scaling';
import { Spread, spreadAffinity } from './spread';

/** Options of `WorkloadKind.deployment()`. */
export interface DeploymentKindOptions {
  /**
   * How pods are replaced on a change.
   * @default DeploymentRollout.rolling() (maxSurge 1, maxUnavailable 0)
   */
  readonly rollout?: DeploymentRollout;
  /**
   * Old ReplicaSets kept for rollback.
   * @default - Kubernetes default (10)
   */
  readonly revisionHistoryLimit?: number;
}

/** Options of `WorkloadKind.statefulSet()`. */
export interface StatefulSetKindOptions {
  /**
   * `Parallel` starts and stops pods together instead of one at a time in ordinal order.
   * @default - Kubernetes default (OrderedReady)
   */
  readonly podManagementPolicy?: 'OrderedReady' | 'Parallel';
}

/**
 * What controller runs a long-running block's pods: a Deployment (interchangeable pods) or a StatefulSet (stable
 * names and a claim per pod through `PodVolume.perPodClaim`, with a governing headless Service `<name>-headless`).
 */
export class WorkloadKind {
  /** A Deployment. */
  public static deployment(options: DeploymentKindOptions = {}): WorkloadKind {
    if (options.rollout !== undefined) check(options.rollout instanceof DeploymentRollout, 'kind.rollout', options.rollout, 'DeploymentRollout.rolling({...}) or DeploymentRollout.recreate()');
    return new WorkloadKind('Deployment', options, {});
  }

  /** A StatefulSet with a governing headless Service. */
  public static statefulSet(options: StatefulSetKindOptions = {}): WorkloadKind {
    if (options.podManagementPolicy !== undefined) check(['OrderedReady', 'Parallel'].includes(options.podManagementPolicy), 'kind.podManagementPolicy', options.podManagementPolicy, 'OrderedReady or Parallel');
    return new WorkloadKind('StatefulSet', {}, options);
  }

  private constructor(
    /** The kind rendered. */
    public readonly kind: 'Deployment' | 'StatefulSet',
    /** Deployment options. */
    public readonly deploymentOptions: DeploymentKindOptions,
    /** StatefulSet options. */
    public readonly statefulSetOptions: StatefulSetKindOptions,
  ) {}
}

/** Prometheus' annotation-based pod discovery (`prometheus.io/scrape`, `port`, `path`). */
export interface PrometheusScrapeOptions {
  /** The named container port metrics are served on. */
  readonly port: string;
  /**
   * Path of the metrics endpoint.
   * @default '/metrics'
   */
  readonly path?: string;
}

/** Props of a `Worker`. */
export interface WorkerProps extends WorkloadPodProps {
  /**
   * The controller.
   * @default WorkloadKind.deployment()
   */
  readonly kind?: WorkloadKind;
  /**
   * A fixed count or an autoscaler.
   * @default Scaling.fixed(1)
   */
  readonly scaling?: Scaling;
  /**
   * A PodDisruptionBudget, checked against the fewest pods that run.
   * @default - none
   */
  readonly disruptionBudget?: DisruptionBudget;
  /**
   * How the pods spread over nodes and zones (rules select the workload's own pods).
   * @default []
   */
  readonly spread?: readonly Spread[];
  /**
   * Annotations for Prometheus' pod discovery.
   * @default - none
   */
  readonly prometheusScrape?: PrometheusScrapeOptions;
}

/** The longest StatefulSet name: its pods' `controller-revision-hash` label (`<name>-<10 characters>`) must fit 63. */
const MAX_STATEFULSET_NAME = 52;

/**
 * A long-running workload without a Service of its own: a Deployment or StatefulSet from one main container, its
 * connections, volumes, placement, GPU and security, with an optional autoscaler, disruption budget and spread rules.
 * `WebService` adds a Service and an Ingress.
 */
export class Worker extends WorkloadBlock {
  /** The Deployment (id `Resource`), when the kind is a Deployment. */
  public readonly deployment?: k8s.KubeDeployment;
  /** The StatefulSet (id `Resource`), when the kind is a StatefulSet. */
  public readonly statefulSet?: k8s.KubeStatefulSet;
  /** The StatefulSet's governing headless Service. */
  public readonly headlessService?: k8s.KubeService;
  /** The handle of the headless Service (clients that need each pod's own address). */
  public readonly headlessEndpoint?: ServiceEndpoint;
  /** The HorizontalPodAutoscaler, with `Scaling.autoscale(...)`. */
  public readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The PodDisruptionBudget, when one is set. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** How many pods run. */
  public readonly scaling: Scaling;
  /** The controller kind. */
  public readonly kind: WorkloadKind;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    const kind = props.kind ?? WorkloadKind.deployment();
    const scaling = props.scaling ?? Scaling.fixed(1);
    const spreads = props.spread ?? [];
    const stateful = kind instanceof WorkloadKind && kind.kind === 'StatefulSet';
    // The checks run inside the block's constructor (the extras callback), so their errors name this Worker.
    super(scope, id, props, stateful ? 'StatefulSet' : 'Deployment', stateful ? MAX_STATEFULSET_NAME : 63, (block) => {
      check(kind instanceof WorkloadKind, 'kind', kind, 'WorkloadKind.deployment({...}) or WorkloadKind.statefulSet({...})');
      check(scaling instanceof Scaling, 'scaling', scaling, 'Scaling.fixed(n) or Scaling.autoscale({...})');
      spreads.forEach((s, i) => check(s instanceof Spread, `spread[${i}]`, s, 'Spread.acrossNodes(), Spread.acrossZones() or Spread.across(key)'));
      return {
        annotations: scrapeAnnotations(props),
        affinity: (p) => spreadAffinity(p.affinity, spreads, block.selector),
        topologySpreadConstraints: spreads.map((s) => s.constraint(block.selector)).filter((c): c is k8s.TopologySpreadConstraint => c !== undefined),
        claimTemplates: stateful,
        claimTemplatesHint: 'a shared volume, or WorkloadKind.statefulSet() for claims per pod',
      };
    });
    this.kind = kind;
    this.scaling = scaling;
    this.checkSharedClaims(this.concurrency());

    if (stateful) {
      const rendered = inConstruct(this, () => this.statefulSetObjects(props));
      this.headlessService = rendered.headless.service;
      this.headlessEndpoint = rendered.headless.endpoint;
      this.statefulSet = rendered.statefulSet;
    } else {
      this.deployment = this.deploymentObject();
    }
    this.autoscaler = scaling._render(this, 'Autoscaler', { apiVersion: 'apps/v1', kind: kind.kind, name: this.name }, this.labels);
    this.podDisruptionBudget = inConstruct(this, () => this.renderBudget(props.disruptionBudget));
    if (props.prometheusScrape) inConstruct(this, () => this.admitScraper(props.prometheusScrape!));
    this.addPrerequisiteNotes(props);
  }

  /**
   * The Prometheus that reads the scrape annotations runs outside the release: its pods (the release's
   * `networkPolicy.prometheus` peer) are recorded as connecting to this workload's pods on the metrics port, so the
   * default deny admits them there and the notes list the flow.
   */
  private admitScraper(scrape: PrometheusScrapeOptions): void {
    const port = this.pod.options.containers[0].ports?.find((p) => p.name === scrape.port);
    if (!port) return;
    const pods = PodEndpoint.of(this, [{ name: scrape.port, port: port.port, protocol: port.protocol }]);
    Wiring.of(this).connectFrom(NetworkPolicies.of(this).prometheus, pods, scrape.port, {
      kind: ConnectionKind.SCRAPE,
      purpose: 'annotation-based Prometheus scrape (prometheus.io/scrape)',
    });
  }

  /** The StatefulSet and its governing headless Service (every named container port, or none: DNS names only). */
  private statefulSetObjects(props: WorkerProps): { headless: RenderedService; statefulSet: k8s.KubeStatefulSet } {
    const ports = (props.container.ports ?? []).filter((p) => p.name !== undefined);
    const headless = buildService(this, 'HeadlessService', {
      name: `${this.name}-headless`,
      labels: this.labels,
      pods: this,
      ports: ports.map((p) => ({ name: p.name!, port: p.port, protocol: p.protocol })),
      headless: true,
      publishNotReadyAddresses: true,
    });
    const rendered = renderStatefulSet(this, {
      ...this.pod.options,
      replicas: this.scaling.replicas,
      serviceName: headless.endpoint.name,
      volumeClaimTemplates: this.pod.claimTemplates,
      podManagementPolicy: this.kind.statefulSetOptions.podManagementPolicy,
    });
    this.rendered = rendered;
    return { headless, statefulSet: rendered.statefulSet };
  }

  private deploymentObject(): k8s.KubeDeployment {
    const rendered = renderDeployment(this, {
      ...this.pod.options,
      replicas: this.scaling.replicas,
      autoscaled: this.scaling.autoscaled,
      rollout: this.kind.deploymentOptions.rollout,
      revisionHistoryLimit: this.kind.deploymentOptions.revisionHistoryLimit,
    });
    this.rendered = rendered;
    return rendered.deployment;
  }

  private renderBudget(budget: DisruptionBudget | undefined): k8s.KubePodDisruptionBudget | undefined {
    if (budget === undefined) return undefined;
    check(budget instanceof DisruptionBudget, 'disruptionBudget', budget, 'DisruptionBudget.maxUnavailable(n) or DisruptionBudget.minAvailable(n)');
    return budget._render(this, 'Budget', { name: this.name, labels: this.labels, selector: this.selector, scaling: this.scaling });
  }

  private addPrerequisiteNotes(props: WorkerProps): void {
    const release = Release.of(this);
    if (this.autoscaler) {
      release.addNote(
        `${this.kindName} ${this.name} is scaled by HorizontalPodAutoscaler ${this.name} (autoscaling/v2: Kubernetes 1.23 or later) between ${this.scaling.minPods} and ${this.scaling.maxPods} replicas; ` +
          'the cluster must serve the resource metrics API (metrics-server: kubectl top pods works), or the autoscaler never acts. The workload renders no replicas: the autoscaler owns the count.',
      );
    }
    this.noteGpu(props.gpu, this.name);
  }

  private concurrency(): Concurrency {
    const s = this.scaling;
    if (s.maxPods > 1) return { several: true, reason: s.autoscaled ? `the autoscaler's maxReplicas is ${s.maxPods}` : `the workload runs ${s.maxPods} replicas` };
    if (this.kind.kind === 'Deployment') {
      if ((this.kind.deploymentOptions.rollout ?? DeploymentRollout.rolling()).overlaps) {
        return { several: true, reason: 'a rolling update starts the new pod before the old one stops (maxSurge), possibly on another node; DeploymentRollout.recreate() avoids the overlap' };
      }
    }
    return { several: false, reason: '' };
  }
}

function scrapeAnnotations(props: WorkerProps): Record<string, string> {
  const s = props.prometheusScrape;
  if (!s) return {};
  check(isPortName(s.port), 'prometheusScrape.port', s.port, 'a named container port');
  const port = (props.container.ports ?? []).find((p) => p.name === s.port);
  if (!port) {
    throw new ConfigError('prometheusScrape.port', s.port, `a named port of the container (${(props.container.ports ?? []).map((p) => p.name).filter(Boolean).join(', ') || 'none'})`);
  }
  const path = s.path ?? '/metrics';
  check(path.startsWith('/'), 'prometheusScrape.path', path, "a path starting with '/'");
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port.port), 'prometheus.io/path': path };
}

