import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { buildContainer, buildWaitContainer, ContainerPortSpec } from '../../lib/core/container';
import { ServiceEndpoint } from '../../lib/core/endpoint';
import { EnvBuilder } from '../../lib/core/env';
import { selectorLabels, standardLabels } from '../../lib/core/labels';
import { Placement } from '../../lib/core/placement';
import { buildPodSpec } from '../../lib/core/pod';
import { externalRefsAnnotation } from '../../lib/core/policy';
import { Probes } from '../../lib/core/probes';
import { sized } from '../../lib/core/resources';
import { SecurityProfile } from '../../lib/core/security';
import { buildService, ServicePortOptions } from '../../lib/core/service';
import { ClientBinding, IConnectable, PodWiring } from '../../lib/core/wiring';
import { WorkloadConstruct } from '../../lib/core/workload';
import { Release } from '../../lib/release';

/** Props of the demo workload tests build on. */
export interface DemoWorkloadProps {
  /** Object name and `app.kubernetes.io/name`. */
  readonly name: string;
  /** Container ports. @default [{ name: 'http', port: 8080 }] */
  readonly ports?: readonly ContainerPortSpec[];
  /** Render a ClusterIP Service with these ports. @default - no Service */
  readonly service?: readonly ServicePortOptions[];
  /** Servers the container connects to, before it is built. @default [] */
  readonly connect?: ReadonlyArray<IConnectable | ((client: ClientBinding) => void)>;
  /** The container's name. @default 'main' */
  readonly container?: string;
}

/**
 * A one-container Deployment (and optional Service) built eagerly in its constructor the way the library's constructs
 * are: the client binding is gathered first, then the container and the pod are built from it.
 */
export class DemoWorkload extends WorkloadConstruct {
  public readonly selector: Readonly<Record<string, string>>;
  public readonly deployment: k8s.KubeDeployment;
  public readonly service?: k8s.KubeService;
  public readonly endpoint?: ServiceEndpoint;
  public readonly wiring: PodWiring;

  constructor(scope: Construct, id: string, props: DemoWorkloadProps) {
    super(scope, id);
    const release = Release.of(this);
    const identity = { name: props.name, instance: release.releaseName };
    this.selector = selectorLabels(identity);
    const labels = standardLabels(identity);
    const containerName = props.container ?? 'main';
    const env = new EnvBuilder(`DemoWorkload ${props.name}`);
    this.wiring = new PodWiring(this);
    const client = this.wiring.container(containerName, env);
    for (const c of props.connect ?? []) {
      if (typeof c === 'function') c(client);
      else c.connect(client);
    }
    const security = SecurityProfile.restricted({ runAsUser: 1000 });
    const ports = props.ports ?? [{ name: 'http', port: 8080 }];
    const container = buildContainer(
      props.name,
      {
        name: containerName,
        image: 'nginx:1.27.2',
        ports,
        env,
        resources: sized(10, 100, 16, 64),
        liveness: Probes.tcp(ports[0].port),
        readiness: Probes.tcp(ports[0].port),
        volumeMounts: client.volumeMounts,
      },
      security,
    );
    // A connection that needs workload identity asks for ServiceAccount annotations: the pod runs as its own account.
    const saAnnotations = this.wiring.serviceAccountAnnotations;
    if (Object.keys(saAnnotations).length) {
      new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: props.name, labels, annotations: saAnnotations }, automountServiceAccountToken: false });
    }
    const spec = buildPodSpec(this, props.name, {
      serviceAccountName: Object.keys(saAnnotations).length ? props.name : undefined,
      containers: [container],
      initContainers: this.wiring.waits.map((w) => buildWaitContainer(this, w, security)),
      volumes: this.wiring.volumes,
      security,
      placement: Placement.of(this).forWorkload(),
    });
    const refs = externalRefsAnnotation(this.wiring.externalRefs);
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: props.name, labels, annotations: Object.keys(refs).length ? refs : undefined },
      spec: { replicas: 1, selector: { matchLabels: { ...this.selector } }, template: { metadata: { labels }, spec } },
    });
    if (props.service) {
      const s = buildService(this, 'Service', { name: props.name, labels, pods: this, ports: props.service, type: 'ClusterIP' });
      this.service = s.service;
      this.endpoint = s.endpoint;
    }
  }
}
