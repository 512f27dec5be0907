import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { checksumAnnotations } from '../core/checksum';
import { ContainerPortSpec } from '../core/container';
import { EnvBuilder, EnvFrom, EnvMap } from '../core/env';
import { check, ConfigError } from '../core/errors';
import { compareText } from '../core/order';
import { Gpu } from '../core/gpu';
import { Images } from '../core/images';
import { ResolvedPlacement, Placement, WorkloadPlacementOptions } from '../core/placement';
import { ExternalRef, PolicyException } from '../core/policy';
import { PodContainer, PodTemplateOptions } from '../core/pod-template';
import { assertResources, Resources, sized } from '../core/resources';
import { SecurityProfile } from '../core/security';
import { IConnectable, PodWiring } from '../core/wiring';
import { assertWholeSeconds } from '../core/validate';
import { PreStop } from './lifecycle';
import { AccessMode, BoundVolume, Mount, PodVolume, renderMount, VolumeContext } from './volumes';
import type { WorkloadBlock } from './block';

/** The main container of a workload block. */
export interface WorkloadContainerProps {
  /**
   * Container name.
   * @default - the workload's `app.kubernetes.io/name`
   */
  readonly name?: string;
  /** The image, pinned by tag or digest (`:latest` and untagged images fail synth); the release's mirror applies. */
  readonly image: string;
  /**
   * @default IfNotPresent (images are pinned, so re-pulling buys nothing)
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** @default - the image's command */
  readonly args?: readonly string[];
  /** @default - the image's working directory */
  readonly workingDir?: string;
  /**
   * Ports the container listens on. Name every port a Service, probe or scrape refers to.
   * @default []
   */
  readonly ports?: readonly ContainerPortSpec[];
  /**
   * Environment. Keys the connections set are owned by them and refused here, naming the connection. Credentials come
   * from operator-created Secrets (`EnvSource.secret(name, key)`), which are declared as external references.
   * @default {}
   */
  readonly env?: EnvMap;
  /**
   * Whole ConfigMaps or Secrets loaded as environment (operator-created, declared as external references).
   * @default []
   */
  readonly envFrom?: readonly EnvFrom[];
  /** Requests and limits (a GPU option adds its resource on top). */
  readonly resources: Resources;
  /**
   * Startup probe: liveness and readiness wait until it passes (slow starts without a long liveness delay).
   * @default - none
   */
  readonly startupProbe?: k8s.Probe;
  /**
   * Readiness probe (long-running workloads: required by the verification policy).
   * @default - none
   */
  readonly readinessProbe?: k8s.Probe;
  /**
   * Liveness probe (long-running workloads: required by the verification policy).
   * @default - none
   */
  readonly livenessProbe?: k8s.Probe;
  /**
   * Volumes mounted into the container; the workload renders or declares what each volume needs.
   * @default []
   */
  readonly mounts?: readonly Mount[];
  /**
   * What runs before SIGTERM when the pod stops (a sleep that lets load balancers drop the pod first).
   * @default - none
   */
  readonly preStop?: PreStop;
}

/** An init container that runs before the main container (after the connection waits). */
export interface WorkloadInitContainerProps {
  /** Container name. */
  readonly name: string;
  /** The image, pinned by tag or digest. */
  readonly image: string;
  /**
   * Pull policy of this container's image (an init container that shares a locally loaded image with the main
   * container shares its `Never`).
   * @default IfNotPresent
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** @default - the image's command */
  readonly args?: readonly string[];
  /** @default {} */
  readonly env?: EnvMap;
  /**
   * Requests and limits.
   * @default - 50m/500m CPU, 64Mi/256Mi memory
   */
  readonly resources?: Resources;
  /** @default [] */
  readonly mounts?: readonly Mount[];
}

/** The labels of a workload block. `app.kubernetes.io/instance` is always the release name. */
export interface WorkloadIdentityOptions {
  /**
   * `app.kubernetes.io/name`.
   * @default - the workload's `name`
   */
  readonly name?: string;
  /**
   * `app.kubernetes.io/component` (part of the selector).
   * @default - none
   */
  readonly component?: string;
  /**
   * `app.kubernetes.io/part-of`.
   * @default - none
   */
  readonly partOf?: string;
  /**
   * `app.kubernetes.io/version` (metadata only, never in the selector).
   * @default - none
   */
  readonly version?: string;
}

/** The pod's own ServiceAccount. */
export interface WorkloadServiceAccountOptions {
  /**
   * Annotations of the account: workload identity (`iam.gke.io/gcp-service-account`, `eks.amazonaws.com/role-arn`,
   * `azure.workload.identity/client-id`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What every workload block's pods are made of. */
export interface WorkloadPodProps {
  /** Object name of the workload and its Service, ServiceAccount and volumes' objects (a DNS label). */
  readonly name: string;
  /**
   * Labels beyond the name.
   * @default - `app.kubernetes.io/name` is `name`, no component
   */
  readonly identity?: WorkloadIdentityOptions;
  /** The main container. */
  readonly container: WorkloadContainerProps;
  /**
   * Init containers, after the connection waits.
   * @default []
   */
  readonly initContainers?: readonly WorkloadInitContainerProps[];
  /**
   * Servers the main container connects to (`postgres`, `cache`, another block's endpoint): each sets env, waits and
   * mounts through the client binding before the container is built, and records the connection in the wiring graph.
   * @default []
   */
  readonly connections?: readonly IConnectable[];
  /**
   * Security profile of every container.
   * @default SecurityProfile.restricted()
   */
  readonly security?: SecurityProfile;
  /**
   * Where the pods run relative to the release-wide placement.
   * @default - the release-wide placement
   */
  readonly placement?: WorkloadPlacementOptions;
  /**
   * GPUs for the main container: resource limit, GPU node selector and toleration merged into the placement, runtime
   * class.
   * @default - no GPU
   */
  readonly gpu?: Gpu;
  /**
   * Render a ServiceAccount of the pod's own with these settings (workload identity).
   * @default - none, unless the connection waits read the API (then one with a namespaced Role)
   */
  readonly serviceAccount?: WorkloadServiceAccountOptions;
  /**
   * PriorityClass of the pods.
   * @default - the cluster default
   */
  readonly priorityClassName?: string;
  /**
   * Time between SIGTERM and SIGKILL; must exceed the preStop hook's duration.
   * @default - Kubernetes default (30s)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Pod annotations.
   * @default - none
   */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /**
   * Policy exceptions of the workload, each with its reason (`{ rule: 'probes', reason }` for a process that serves
   * nothing a probe could ask), rendered as `policy.ops-kit.io/<rule>` annotations the verification honours.
   * @default - none beyond the security profile's
   */
  readonly policyExceptions?: readonly PolicyException[];
}

/**
 * What a block adds to its pods beyond the shared props.
 * @internal
 */
export interface PodExtras {
  /**
   * The pod restart policy.
   * @default - Kubernetes default (Always)
   */
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /**
   * Annotations the block itself sets on the pods.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Affinity beyond the placement's (spread rules).
   * @default - none
   */
  readonly affinity?: (placement: ResolvedPlacement) => k8s.Affinity | undefined;
  /**
   * Topology spread constraints (spread rules).
   * @default - none
   */
  readonly topologySpreadConstraints?: readonly k8s.TopologySpreadConstraint[];
  /**
   * Per-pod claims are allowed (StatefulSet).
   * @default false
   */
  readonly claimTemplates?: boolean;
  /**
   * Why per-pod claims are not allowed, for the message.
   * @default - 'a volume other than PodVolume.perPodClaim(...)'
   */
  readonly claimTemplatesHint?: string;
  /**
   * Main-container env the block owns (a Job's completion index).
   * @default - none
   */
  readonly env?: (env: EnvBuilder) => void;
}

/**
 * A claim several pods of the workload share, with where the user mounted it.
 * @internal
 */
export interface SharedClaimUse {
  /** The prop that names it in messages (`container.mounts[0].volume`). */
  readonly prop: string;
  /** The volume. */
  readonly volume: PodVolume;
  /** The claim's name. */
  readonly claimName: string;
  /** Its access mode. */
  readonly accessMode: AccessMode;
}

/**
 * A block's pod, ready to render: the pod template's options and what the volumes and connections gathered.
 * @internal
 */
export interface BlockPod {
  /** The pod template's options (the controller adds its own and renders through core). */
  readonly options: PodTemplateOptions;
  /** The connections, waits, volumes and external references the main container gathered. */
  readonly wiring: PodWiring;
  /** StatefulSet claim templates (per-pod claims). */
  readonly claimTemplates: readonly k8s.KubePersistentVolumeClaimProps[];
  /** Claims shared by every pod. */
  readonly sharedClaims: readonly SharedClaimUse[];
  /** ConfigMaps rendered for `files` volumes. */
  readonly configMaps: readonly k8s.KubeConfigMap[];
  /** Claims rendered for `claim` volumes. */
  readonly claims: readonly k8s.KubePersistentVolumeClaim[];
}

const INIT_RESOURCES = sized(50, 500, 64, 256);

/**
 * Prepares a block's pod from its props (the one path every block takes): the main container's connections are made
 * through its client binding before anything is built, volumes render their objects, the GPU adds its limit and
 * placement, and external references are collected. The block's controller then renders the template through core
 * (`renderDeployment`, `renderStatefulSet` or `renderPodTemplate`).
 * @internal
 */
export function prepareBlockPod(block: WorkloadBlock, props: WorkloadPodProps, extras: PodExtras = {}): BlockPod {
  const c = props.container;
  check(c !== undefined && typeof c === 'object', 'container', c, 'the main container: { image, resources, ... }');
  const containerName = c.name ?? block.appName;
  const images = Images.of(block);
  const security = props.security ?? SecurityProfile.restricted();
  check(security instanceof SecurityProfile, 'security', security, 'SecurityProfile.restricted({...})');

  // Volumes, once per name, from every mount.
  const ctx: VolumeContext = { scope: block, workloadName: block.name, labels: block.labels };
  const bound = new Map<string, { volume: PodVolume; bound: BoundVolume }>();
  const sharedClaims: SharedClaimUse[] = [];
  const bind = (at: string, m: Mount): k8s.VolumeMount => {
    const prop = m.prop ?? at;
    const volumeProp = m.prop ?? `${at}.volume`;
    const mount = renderMount(prop, m);
    const known = bound.get(m.volume.name);
    if (known && known.volume !== m.volume) {
      throw new ConfigError(volumeProp, m.volume.name, 'one PodVolume per name', `another ${known.volume.type} volume is already named ${m.volume.name}`);
    }
    if (!known) {
      const b = m.volume._bind(ctx);
      if (b.claimTemplate && !extras.claimTemplates) {
        throw new ConfigError(volumeProp, m.volume.name, extras.claimTemplatesHint ?? 'a volume other than PodVolume.perPodClaim(...)', 'a claim per pod is a StatefulSet volumeClaimTemplate');
      }
      bound.set(m.volume.name, { volume: m.volume, bound: b });
      if (b.shared) sharedClaims.push({ prop: volumeProp, volume: m.volume, claimName: b.shared.claimName, accessMode: b.shared.accessMode });
    }
    if (bound.get(m.volume.name)!.bound.shared?.accessMode === AccessMode.READ_ONLY_MANY) {
      check(mount.readOnly === true, `${prop}.readOnly`, m.readOnly, 'true (the claim is ReadOnlyMany)');
    }
    return mount;
  };
  const mounts = (c.mounts ?? []).map((m, i) => bind(`container.mounts[${i}]`, m));

  // Env: the block's own keys, the user's map, envFrom; external references for operator-created sources.
  const env = new EnvBuilder(`${block.kindName} ${block.name} container ${containerName}`);
  extras.env?.(env);
  env.user(c.env, 'container.env');
  (c.envFrom ?? []).forEach((f, i) => {
    check(f instanceof EnvFrom, `container.envFrom[${i}]`, f, 'EnvFrom.secret(name) or EnvFrom.configMap(name)');
    env.envFrom(f, `container.envFrom[${i}]`);
  });
  const externalRefs: ExternalRef[] = [];
  const envRefs = (vars: readonly k8s.EnvVar[] | undefined, from: readonly k8s.EnvFromSource[] | undefined) => {
    for (const v of vars ?? []) {
      const sk = v.valueFrom?.secretKeyRef;
      const cm = v.valueFrom?.configMapKeyRef;
      if (sk?.name && !sk.optional) externalRefs.push({ kind: 'Secret', name: sk.name });
      if (cm?.name && !cm.optional) externalRefs.push({ kind: 'ConfigMap', name: cm.name });
    }
    for (const f of from ?? []) {
      if (f.secretRef?.name && !f.secretRef.optional) externalRefs.push({ kind: 'Secret', name: f.secretRef.name });
      if (f.configMapRef?.name && !f.configMapRef.optional) externalRefs.push({ kind: 'ConfigMap', name: f.configMapRef.name });
    }
  };
  envRefs(env.build(), env.buildFrom());

  // The connections write into the main container's env, waits, volumes and the graph before it is built.
  const wiring = new PodWiring(block);
  const client = wiring.container(containerName, env);
  (props.connections ?? []).forEach((conn, i) => {
    check(conn !== null && typeof conn === 'object' && typeof conn.connect === 'function', `connections[${i}]`, conn, 'a component with connect(client) (IConnectable)');
    conn.connect(client);
  });

  // GPU: the limit, the placement requirements and the runtime class in one option.
  const gpu = props.gpu;
  if (gpu !== undefined) check(gpu instanceof Gpu, 'gpu', gpu, 'Gpu.nvidia(count, {...})');
  const resources = gpu ? gpu.addTo(assertResources('container.resources', c.resources), 'container.resources') : c.resources;
  let placement = Placement.of(block).forWorkload(props.placement ?? {}, 'placement');
  if (gpu) placement = gpu.place(placement, 'placement');
  if (extras.affinity) placement = { ...placement, affinity: extras.affinity(placement) };

  checkPreStop(props);

  const initContainers: PodContainer[] = (props.initContainers ?? []).map((ic, j) => {
    const ienv = new EnvBuilder(`${block.kindName} ${block.name} init container ${ic.name}`).user(ic.env, `initContainers[${j}].env`);
    envRefs(ienv.build(), undefined);
    return {
      prop: `initContainers[${j}]`,
      name: ic.name,
      image: images.resolve(`initContainers[${j}].image`, ic.image),
      imagePullPolicy: ic.imagePullPolicy,
      command: ic.command,
      args: ic.args,
      env: ienv,
      resources: ic.resources ?? INIT_RESOURCES,
      volumeMounts: (ic.mounts ?? []).map((m, i) => bind(`initContainers[${j}].mounts[${i}]`, m)),
    };
  });

  const volumes: k8s.Volume[] = [];
  const claimTemplates: k8s.KubePersistentVolumeClaimProps[] = [];
  const configs: Array<Record<string, string>> = [];
  const configMaps: k8s.KubeConfigMap[] = [];
  const claims: k8s.KubePersistentVolumeClaim[] = [];
  for (const { bound: b } of [...bound.values()].sort((x, y) => compareText(x.volume.name, y.volume.name))) {
    if (b.volume) volumes.push(b.volume);
    if (b.claimTemplate) claimTemplates.push(b.claimTemplate);
    if (b.externalRef) externalRefs.push(b.externalRef);
    if (b.config) configs.push(b.config);
    if (b.configMap) configMaps.push(b.configMap);
    if (b.claim) claims.push(b.claim);
  }

  const main: PodContainer = {
    prop: 'container',
    name: containerName,
    image: images.resolve('container.image', c.image),
    imagePullPolicy: c.imagePullPolicy,
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    ports: c.ports,
    env,
    resources,
    startup: c.startupProbe,
    readiness: c.readinessProbe,
    liveness: c.livenessProbe,
    volumeMounts: [...mounts, ...client.volumeMounts],
    lifecycle: c.preStop ? { preStop: c.preStop.handler } : undefined,
  };
  const options: PodTemplateOptions = {
    name: block.name,
    prop: block.name,
    labels: block.labels,
    containers: [main],
    wiring,
    initContainers,
    volumes,
    claimTemplateNames: claimTemplates.map((t) => t.metadata!.name!),
    security,
    placement,
    account: serviceAccount(props, wiring),
    externalRefs,
    podAnnotations: { ...(props.podAnnotations ?? {}), ...(extras.annotations ?? {}), ...(configs.length ? checksumAnnotations(...configs) : {}) },
    runtimeClassName: gpu?.runtimeClassName,
    terminationGracePeriod: props.terminationGracePeriod,
    restartPolicy: extras.restartPolicy,
    priorityClassName: props.priorityClassName,
    topologySpreadConstraints: extras.topologySpreadConstraints,
    policyExceptions: props.policyExceptions,
  };
  return { options, wiring, claimTemplates, sharedClaims, configMaps, claims };
}

/**
 * The pod's own ServiceAccount: the user's annotations and those the connections asked for (workload identity for
 * object storage), or none when neither asks for one. A key both set to different values fails, naming the connection.
 */
function serviceAccount(props: WorkloadPodProps, wiring: PodWiring): PodTemplateOptions['account'] {
  const fromWiring = wiring.serviceAccountAnnotations;
  const own = props.serviceAccount?.annotations ?? {};
  if (props.serviceAccount === undefined && Object.keys(fromWiring).length === 0) return undefined;
  for (const [k, v] of Object.entries(own)) {
    if (fromWiring[k] !== undefined && fromWiring[k] !== v) {
      throw new ConfigError(`serviceAccount.annotations.${k}`, v, `${fromWiring[k]} (what a connection of the pod set), or no value of your own`, 'a connection needs this annotation on the pod\'s ServiceAccount');
    }
  }
  return { annotations: { ...own, ...fromWiring } };
}

/** preStop must finish inside the grace period, or the process is killed before it ever sees SIGTERM. */
function checkPreStop(props: WorkloadPodProps): void {
  const c = props.container;
  const grace = props.terminationGracePeriod ? assertWholeSeconds('terminationGracePeriod', props.terminationGracePeriod, { min: 0 }) : 30;
  if (c.preStop === undefined) return;
  check(c.preStop instanceof PreStop, 'container.preStop', c.preStop, 'PreStop.sleep(...), PreStop.exec(...) or PreStop.httpGet(...)');
  const s = c.preStop.seconds;
  if (s !== undefined) {
    check(grace > s, 'terminationGracePeriod', `${grace}s`, `more than the preStop hook's ${s}s (leave the process time to shut down after it)`, `the kubelet sends SIGKILL ${grace}s after the pod starts stopping, preStop included`);
  }
  const port = c.preStop.port;
  if (port !== undefined) check((c.ports ?? []).some((p) => p.name === port), 'container.preStop.port', port, `a named port of the container (${(c.ports ?? []).map((p) => p.name).filter(Boolean).join(', ') || 'none'})`);
}
