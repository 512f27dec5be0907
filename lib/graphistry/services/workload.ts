import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ContainerPortSpec } from '../../core/container';
import { DeploymentContainer, DeploymentRollout, renderDeployment } from '../../core/deployment';
import { ServiceEndpoint } from '../../core/endpoint';
import { EnvBuilder, EnvMap } from '../../core/env';
import { check } from '../../core/errors';
import { selectorLabels, standardLabels } from '../../core/labels';
import { Placement, WorkloadPlacementOptions } from '../../core/placement';
import { ExternalRef } from '../../core/policy';
import { NamespacedAccess } from '../../core/rbac';
import { Resources } from '../../core/resources';
import { SecurityProfile } from '../../core/security';
import { ClientBinding, IConnectable, PodWiring } from '../../core/wiring';
import { WorkloadConstruct } from '../../core/workload';
import { Release } from '../../release/release';

/** What an operator may change on one CPU-side service. */
export interface GraphistryServiceOptions {
  /**
   * The image, pinned by tag or digest. It still passes through the release's registry redirect.
   * @default - the Graphistry image of the service at the stack's tag
   */
  readonly image?: string;
  /**
   * Environment merged over the service's defaults (yours win per key). Keys the construct owns (connection wiring
   * such as POSTGRES_*) are refused with a message naming the prop that sets them.
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Requests and limits.
   * @default - sized for the service
   */
  readonly resources?: Resources;
  /**
   * Where the service's pods run, relative to the release-wide placement (`{ nodeSelection:
   * NodeSelection.fallback({ 'graphistry.io/role': 'gpu' }) }` puts a GPU service on the GPU pool of split pools).
   * @default - the release-wide nodeSelector, tolerations and affinity
   */
  readonly placement?: WorkloadPlacementOptions;
}

/** Placement, rollout and extra connections shared by every CPU-side service. */
export interface ServiceCommonProps {
  /**
   * How pods are replaced on a change.
   * @default DeploymentRollout.rolling()
   */
  readonly rollout?: DeploymentRollout;
  /**
   * Security profile of the pod.
   * @default - per service (Graphistry images: root with the capabilities they need, recorded as policy exceptions)
   */
  readonly securityProfile?: SecurityProfile;
  /**
   * More servers the service's container connects to (an OpenTelemetry collector): each `connect` sets the env,
   * waits and mounts it needs and records the connection, before the container is built.
   * @default - none
   */
  readonly connections?: readonly IConnectable[];
}

/**
 * What a service gives the shared renderer.
 * @internal
 */
export interface GraphistryServiceSpec {
  /** The resolved image. */
  readonly image: string;
  /**
   * Entrypoint override.
   * @default - the image's entrypoint
   */
  readonly command?: readonly string[];
  /**
   * Arguments.
   * @default - the image's command arguments
   */
  readonly args?: readonly string[];
  /** Container ports; every one must be named (Services and probes refer to names). */
  readonly ports: readonly ContainerPortSpec[];
  /** Service ports: the port clients dial and the container port name it forwards to. */
  readonly servicePorts: ReadonlyArray<{ readonly name: string; readonly port: number; readonly targetPort: string }>;
  /** Requests and limits. */
  readonly resources: Resources;
  /** Liveness probe. */
  readonly liveness: k8s.Probe;
  /** Readiness probe (gates the Service endpoints). */
  readonly readiness: k8s.Probe;
  /**
   * Mounts of the main container (the connections' mounts follow them).
   * @default - none
   */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  /**
   * The pod's volumes.
   * @default - none
   */
  readonly volumes?: readonly k8s.Volume[];
  /**
   * More init containers after the connections' waits (copying bundled files into a volume).
   * @default - none
   */
  readonly initContainers?: readonly DeploymentContainer[];
  /** The pod's security profile. */
  readonly security: SecurityProfile;
  /**
   * Where the pods run, relative to the release-wide placement.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * Replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * How pods are replaced.
   * @default DeploymentRollout.rolling()
   */
  readonly rollout?: DeploymentRollout;
  /**
   * Objects the pod references that an operator creates (Secrets, PVCs from elsewhere).
   * @default - none
   */
  readonly externalRefs?: readonly ExternalRef[];
  /**
   * Pod-template annotations.
   * @default - none
   */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /**
   * RuntimeClass of the pod.
   * @default - the cluster default runtime
   */
  readonly runtimeClassName?: string;
  /**
   * Termination grace period.
   * @default - Kubernetes default (30s)
   */
  readonly terminationGracePeriod?: Duration;
}

/**
 * The identity of one service: object name, component label, version label and main container.
 * @internal
 */
export interface GraphistryServiceIdentity {
  /** Name of the Deployment and the Service (and of the ServiceAccount, when waits need one). */
  readonly name: string;
  /** `app.kubernetes.io/component`. */
  readonly component: string;
  /** `app.kubernetes.io/version` (metadata only, never in selectors). */
  readonly version: string;
  /** Name of the main container. */
  readonly container: string;
}

/**
 * A CPU-side Graphistry service: one Deployment (id `Resource`) and a ClusterIP Service (id `Service`) selecting it by
 * its stable labels and forwarding by port name, with the release-wide placement (or the service's override), pull
 * secrets, security profile and policy annotations. The constructor of a subclass gathers its container's connections
 * through `client` before it renders, so env, waits and the graph come from the connections.
 */
export abstract class GraphistryService extends WorkloadConstruct {
  /** Labels selecting the service's pods. */
  public readonly selector: Readonly<Record<string, string>>;
  /** The service's pod-level connections (waits, volumes, external references, graph edges). */
  public readonly wiring: PodWiring;
  /** The main container's env (connections set their keys before the user's env is merged). */
  protected readonly env: EnvBuilder;
  /** The main container's client binding. */
  protected readonly client: ClientBinding;
  private readonly labels: Record<string, string>;
  private readonly identity: GraphistryServiceIdentity;
  private rendered?: { deployment: k8s.KubeDeployment; service: k8s.KubeService; endpoint: ServiceEndpoint; access?: NamespacedAccess };

  /** @internal */
  protected constructor(scope: Construct, id: string, identity: GraphistryServiceIdentity, envOwner: string) {
    super(scope, id);
    const labels = { name: identity.name, instance: Release.of(this).releaseName, component: identity.component };
    this.selector = selectorLabels(labels);
    this.labels = standardLabels({ ...labels, partOf: 'graphistry', version: identity.version });
    this.identity = identity;
    this.wiring = new PodWiring(this);
    this.env = new EnvBuilder(envOwner);
    this.client = this.wiring.container(identity.container, this.env);
  }

  /** The Deployment (construct id `Resource`). */
  public get deployment(): k8s.KubeDeployment {
    return this.parts().deployment;
  }

  /** The ClusterIP Service (construct id `Service`). */
  public get service(): k8s.KubeService {
    return this.parts().service;
  }

  /** The Service's endpoint: what clients connect to. */
  public get endpoint(): ServiceEndpoint {
    return this.parts().endpoint;
  }

  /** ServiceAccount and RBAC, when an init wait reads the API. */
  public get access(): NamespacedAccess | undefined {
    return this.parts().access;
  }

  /** Connects the main container to each of `connections` (before `render`). */
  protected connectAll(connections: readonly IConnectable[] | undefined): void {
    for (const c of connections ?? []) c.connect(this.client);
  }

  /**
   * Renders the Deployment and the Service; call once, at the end of the subclass constructor.
   * @internal
   */
  protected render(spec: GraphistryServiceSpec): void {
    check(this.rendered === undefined, 'render', this.node.path, 'one render per service');
    for (const p of spec.ports) check(p.name !== undefined, 'ports', p.port, 'a named port (Services and probes refer to ports by name)');
    for (const sp of spec.servicePorts) {
      check(spec.ports.some((p) => p.name === sp.targetPort), `servicePorts.${sp.name}`, sp.targetPort, `a container port name (${spec.ports.map((p) => p.name).join(', ')})`);
    }
    const parts = renderDeployment(this, {
      name: this.identity.name,
      prop: '',
      labels: this.labels,
      containers: [
        {
          name: this.identity.container,
          image: spec.image,
          command: spec.command,
          args: spec.args,
          ports: spec.ports,
          env: this.env,
          resources: spec.resources,
          liveness: spec.liveness,
          readiness: spec.readiness,
          volumeMounts: [...(spec.volumeMounts ?? []), ...this.client.volumeMounts],
        },
      ],
      wiring: this.wiring,
      initContainers: spec.initContainers,
      volumes: spec.volumes,
      security: spec.security,
      placement: Placement.of(this).forWorkload(spec.placement),
      replicas: spec.replicas,
      rollout: spec.rollout,
      externalRefs: spec.externalRefs,
      podAnnotations: spec.podAnnotations,
      runtimeClassName: spec.runtimeClassName,
      terminationGracePeriod: spec.terminationGracePeriod,
      service: { name: this.identity.name, type: 'ClusterIP', ports: spec.servicePorts },
    });
    this.rendered = { deployment: parts.deployment, service: parts.service!.service, endpoint: parts.service!.endpoint, access: parts.access };
  }

  private parts(): NonNullable<GraphistryService['rendered']> {
    if (!this.rendered) throw new Error(`${this.node.path} has not rendered yet (read its objects after its constructor)`);
    return this.rendered;
  }
}
