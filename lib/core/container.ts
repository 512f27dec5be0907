import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { EnvBuilder } from './env';
import { check, propPath } from './errors';
import { Images } from './images';
import { renderResources, Resources } from './resources';
import { SecurityProfile } from './security';
import { InitWait, WAIT_RESOURCES } from './waits';
import { isPortName } from './names';
import { assertPort } from './validate';

/** A port a container listens on. */
export interface ContainerPortSpec {
  /**
   * Port name (IANA_SVC_NAME: at most 15 characters, lowercase, digits and '-'); Services and probes refer to it.
   * @default - unnamed
   */
  readonly name?: string;
  /** The port number the container listens on. */
  readonly port: number;
  /** @default TCP */
  readonly protocol?: 'TCP' | 'UDP';
}

/** Everything a container needs; the security context comes from the pod's profile, so no container can forget it. */
export interface ContainerOptions {
  /** Container name (a DNS-1123 label, unique in the pod). */
  readonly name: string;
  /** The image, already resolved through `Images.of(scope).resolve(...)`. */
  readonly image: string;
  /**
   * Entrypoint override.
   * @default - the image's entrypoint
   */
  readonly command?: readonly string[];
  /**
   * Arguments to the entrypoint.
   * @default - the image's command arguments
   */
  readonly args?: readonly string[];
  /**
   * Ports the container listens on.
   * @default - none
   */
  readonly ports?: readonly ContainerPortSpec[];
  /**
   * The env builder the container is rendered from (owned keys first, then defaults and user keys).
   * @default - no env
   */
  readonly env?: EnvBuilder;
  /** Requests and limits (both required). */
  readonly resources: Resources;
  /**
   * Liveness probe.
   * @default - none (the verification policy requires one on long-running pods)
   */
  readonly liveness?: k8s.Probe;
  /**
   * Readiness probe.
   * @default - none (the verification policy requires one on long-running pods)
   */
  readonly readiness?: k8s.Probe;
  /**
   * Startup probe: liveness waits for it to succeed once.
   * @default - none
   */
  readonly startup?: k8s.Probe;
  /**
   * Volume mounts; each must name a volume of the pod.
   * @default - none
   */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  /**
   * Lifecycle hooks (a preStop sleep).
   * @default - none
   */
  readonly lifecycle?: k8s.Lifecycle;
  /**
   * Working directory.
   * @default - the image's
   */
  readonly workingDir?: string;
  /** @default IfNotPresent (images are pinned, so re-pulling buys nothing) */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** Validates and renders a container. `prop` prefixes error messages (`engine.nginx`). */
export function buildContainer(prop: string, o: ContainerOptions, security: SecurityProfile): k8s.Container {
  check(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.name) && o.name.length <= 63, propPath(prop, 'name'), o.name, 'a DNS-1123 label');
  const seenPorts = new Set<string>();
  const ports = o.ports?.map((p, i) => {
    assertPort(propPath(prop, `ports[${i}].port`), p.port);
    if (p.name !== undefined) {
      check(isPortName(p.name), propPath(prop, `ports[${i}].name`), p.name, "at most 15 lowercase letters, digits and '-' (never two in a row), with at least one letter");
      check(!seenPorts.has(p.name), propPath(prop, `ports[${i}].name`), p.name, 'a name not used by another port of this container');
      seenPorts.add(p.name);
    }
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    check(!seenPorts.has(key), propPath(prop, `ports[${i}].port`), p.port, 'a port not declared twice on this container');
    seenPorts.add(key);
    return { name: p.name, containerPort: p.port, protocol: p.protocol };
  });
  // The API server rejects a liveness or startup probe whose successThreshold is not 1.
  for (const [kind, probe] of [['liveness', o.liveness], ['startup', o.startup]] as const) {
    const n = probe?.successThreshold;
    check(n === undefined || n === 1, propPath(prop, `${kind}.successThreshold`), n, '1', `the API server rejects any other value for a ${kind} probe`);
  }
  return {
    name: o.name,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
    command: o.command ? [...o.command] : undefined,
    args: o.args ? [...o.args] : undefined,
    workingDir: o.workingDir,
    ports: ports?.length ? ports : undefined,
    env: o.env?.build(),
    envFrom: o.env?.buildFrom(),
    resources: renderResources(propPath(prop, 'resources'), o.resources),
    livenessProbe: o.liveness,
    readinessProbe: o.readiness,
    startupProbe: o.startup,
    volumeMounts: o.volumeMounts?.length ? [...o.volumeMounts] : undefined,
    lifecycle: o.lifecycle,
    securityContext: security.containerSecurityContext(),
  };
}

/**
 * Renders an init-container wait with its image pinned and redirected like every other image under `scope`, small
 * fixed resources and the pod's security profile.
 */
export function buildWaitContainer(scope: IConstruct, wait: InitWait, security: SecurityProfile): k8s.Container {
  return buildContainer(
    `initContainers.${wait.name}`,
    {
      name: wait.name,
      image: Images.of(scope).resolve(`initContainers.${wait.name}.image`, wait.image),
      command: wait.command.length ? wait.command : undefined,
      args: wait.args,
      resources: WAIT_RESOURCES,
    },
    security,
  );
}
