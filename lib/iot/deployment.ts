import { Construct } from 'constructs';
import * as iot from '../../imports/iot.nationtech.io';
import { assertEnvName } from '../core/env';
import { check, ErrorCollector } from '../core/errors';
import { Images } from '../core/images';
import { assertLabelKey, assertLabels, assertLabelValue, MANAGED_BY } from '../core/labels';
import { assertDnsLabel } from '../core/names';
import { CRD_INSTALLED_ANNOTATION } from '../core/policy';
import { registerL1Module } from '../release/render';
import { IOT_BUCKET_LIMITS, IOT_ROLLOUT_STRATEGIES, IOT_SELECTOR_OPERATORS } from './crd';
import { assertInt } from '../core/validate';

// The fleet Deployment's L1 class renders in one pass like the Kubernetes kinds (a fleet can hold thousands).
registerL1Module(iot);

/** A label requirement on devices, as in a Kubernetes LabelSelector. */
export interface DeviceSelectorRequirement {
  /** The device label key (`group`, `device`, `example.com/site`). */
  readonly key: string;
  /** How the label relates to `values`. */
  readonly operator: (typeof IOT_SELECTOR_OPERATORS)[number];
  /**
   * Values for In and NotIn (at least one); none for Exists and DoesNotExist.
   * @default - none
   */
  readonly values?: readonly string[];
}

/**
 * Which devices a deployment targets, by the labels their agents publish in every heartbeat (`group=...`,
 * `device=...`). All conditions must hold.
 *
 * `matchLabels` is required and not empty: the seed's operator (v0) resolves selectors by matchLabels only, and an
 * empty selector would target the whole fleet (to mean that, give every agent a common label such as `fleet=main` and
 * select it). `matchExpressions` is in the CRD for operators that evaluate it, but an operator without that support
 * ignores it and targets every device matching `matchLabels` alone: the fleet renders it only when the operator is
 * declared to support it (`operator.supports.matchExpressions: true`), and warns once per release that it relies on it.
 */
export interface DeviceSelector {
  /** Labels a device must carry with exactly these values; at least one. */
  readonly matchLabels: Readonly<Record<string, string>>;
  /**
   * Further requirements. Needs an operator that evaluates them (`operator.supports.matchExpressions: true`).
   * @default - none
   */
  readonly matchExpressions?: readonly DeviceSelectorRequirement[];
}

/** What the operator that reads the selectors understands. */
export interface DeviceSelectorSupport {
  /**
   * The operator evaluates `matchExpressions`.
   * @default false
   */
  readonly matchExpressions?: boolean;
}

/** How the fleet moves to a new spec. */
export class FleetRollout {
  /** Every matching device updates as soon as it sees the new spec (the operator's default). */
  public static allAtOnce(): FleetRollout {
    return new FleetRollout('AllAtOnce', undefined);
  }

  /** At most `maxConcurrent` devices update at the same time. */
  public static rolling(options: { readonly maxConcurrent: number }): FleetRollout {
    assertInt('rollout.maxConcurrent', options.maxConcurrent, { min: 1 });
    return new FleetRollout('Rolling', options.maxConcurrent);
  }

  private constructor(
    public readonly strategy: (typeof IOT_ROLLOUT_STRATEGIES)[number],
    public readonly maxConcurrent: number | undefined,
  ) {}
}

/** What one fleet deployment runs and where. */
export interface FleetDeploymentOptions {
  /** The devices to run on. */
  readonly targetSelector: DeviceSelector;
  /**
   * The container image, pinned by tag (not `latest`) or digest, and redirected like every image in the release. An
   * upgrade is the same deployment name with a new image.
   */
  readonly image: string;
  /**
   * Port mappings `hostPort:containerPort[/tcp|/udp]`, for example `8080:80`. Each host port (per protocol) once.
   * @default - none
   */
  readonly ports?: readonly string[];
  /**
   * Environment variables of the container. Values are stored in plain text in the CR and in NATS KV: no secrets.
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * How the fleet moves to a new version.
   * @default FleetRollout.allAtOnce()
   */
  readonly rollout?: FleetRollout;
  /**
   * Extra labels on the custom resource.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A parsed port mapping. */
export interface FleetPortMapping {
  /** The port on the device. */
  readonly hostPort: number;
  /** The port in the container. */
  readonly containerPort: number;
  /** Transport protocol. */
  readonly protocol: 'tcp' | 'udp';
}

const PORT_MAPPING = /^([0-9]{1,5}):([0-9]{1,5})(?:\/(tcp|udp))?$/;
const SECRET_LIKE = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

/**
 * Parses and validates `hostPort:containerPort[/tcp|/udp]`.
 * @internal
 */
export function parseFleetPortMapping(prop: string, mapping: string): FleetPortMapping {
  const allowed = 'hostPort:containerPort[/tcp|/udp] with both ports 1-65535, for example 8080:80';
  const m = typeof mapping === 'string' ? PORT_MAPPING.exec(mapping) : null;
  check(m !== null, prop, mapping, allowed);
  const hostPort = Number(m[1]);
  const containerPort = Number(m[2]);
  check(hostPort >= 1 && hostPort <= 65535, prop, mapping, allowed, `the host port ${hostPort} is out of range`);
  check(containerPort >= 1 && containerPort <= 65535, prop, mapping, allowed, `the container port ${containerPort} is out of range`);
  return { hostPort, containerPort, protocol: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

/**
 * Validates a device selector and renders it for the CR. `matchExpressions` is rejected unless `support` says the
 * operator evaluates it (an operator that does not would ignore it and target more devices than asked for).
 * @internal
 */
export function renderDeviceSelector(prop: string, selector: DeviceSelector, support: DeviceSelectorSupport = {}): iot.DeploymentSpecTargetSelector {
  const labels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  check(
    labels.length > 0,
    `${prop}.matchLabels`,
    selector.matchLabels,
    'at least one label (key: value) a device must carry',
    'the operator selects devices by matchLabels, and an empty selector would target every device in the fleet; to mean that, give every agent a common label (fleet=main) and select it',
  );
  for (const [k, v] of labels) {
    assertLabelKey(`${prop}.matchLabels`, k);
    assertLabelValue(`${prop}.matchLabels.${k}`, v);
  }
  check(
    expressions.length === 0 || support.matchExpressions === true,
    `${prop}.matchExpressions`,
    expressions,
    'matchLabels only, or operator.supports.matchExpressions: true for an operator image that evaluates matchExpressions',
    'the seed\'s operator (v0) reads matchLabels only: it would ignore these requirements and run the deployment on every device matching matchLabels',
  );
  const renderedExpressions = expressions.map((e, i): iot.DeploymentSpecTargetSelectorMatchExpressions => {
    const p = `${prop}.matchExpressions[${i}]`;
    assertLabelKey(`${p}.key`, e.key);
    check((IOT_SELECTOR_OPERATORS as readonly string[]).includes(e.operator), `${p}.operator`, e.operator, IOT_SELECTOR_OPERATORS.join(', '));
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      check(values.length > 0, `${p}.values`, values, `at least one value for operator ${e.operator}`);
    } else {
      check(values.length === 0, `${p}.values`, values, `no values for operator ${e.operator}`);
    }
    const seen = new Set<string>();
    for (const [j, v] of values.entries()) {
      assertLabelValue(`${p}.values[${j}]`, v);
      check(!seen.has(v), `${p}.values[${j}]`, v, 'each value once');
      seen.add(v);
    }
    return {
      key: e.key,
      operator: e.operator as iot.DeploymentSpecTargetSelectorMatchExpressionsOperator,
      values: values.length ? [...values] : undefined,
    };
  });
  return {
    matchLabels: Object.fromEntries(labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    matchExpressions: renderedExpressions.length ? renderedExpressions : undefined,
  };
}

/**
 * Labels every fleet CR carries; user labels may not replace them.
 * @internal
 */
export interface FleetDeploymentIdentity {
  /** Release name (`app.kubernetes.io/instance`). */
  readonly instance: string;
  /** The fleet's name (`app.kubernetes.io/part-of`). */
  readonly fleet: string;
  /**
   * The CRD is rendered by another release, so it may not exist yet when Argo CD dry-runs this release's CRs.
   * @default false
   */
  readonly crdElsewhere?: boolean;
  /**
   * What the operator's selector evaluation supports.
   * @default - matchLabels only
   */
  readonly selectorSupport?: DeviceSelectorSupport;
}

/** What a FleetDeployment noticed that deserves a release warning (collected by the fleet, emitted once). */
export interface FleetDeploymentFindings {
  /** Host ports below 1024: rootless Podman cannot bind them unless the device lowers `ip_unprivileged_port_start`. */
  readonly privilegedHostPorts: readonly number[];
  /** Env names that look like credentials. */
  readonly secretLikeEnv: readonly string[];
  /** The selector uses matchExpressions (it relies on the operator evaluating them). */
  readonly usesMatchExpressions: boolean;
}

/**
 * One fleet deployment: a typed `iot.nationtech.io/v1alpha1` Deployment custom resource (the class `cdk8s import`
 * generated from our own CRD). Created through `IotFleet.addDeployment`.
 */
export class FleetDeployment extends Construct {
  /** The CR name (also the NATS KV key token and the Podman container name on the device). */
  public readonly name: string;
  /** The image as rendered (pinned, redirected). */
  public readonly image: string;
  /** The parsed port mappings. */
  public readonly ports: readonly FleetPortMapping[];
  /**
   * The custom resource (construct id `Resource`).
   * @internal
   */
  public readonly resource: iot.Deployment;
  /** Things worth a warning; the fleet folds them into one release warning. */
  public readonly findings: FleetDeploymentFindings;

  /** @internal */
  constructor(scope: Construct, name: string, options: FleetDeploymentOptions, identity: FleetDeploymentIdentity) {
    const prop = `deployments.${name}`;
    // Every option check runs before the resource is built, and all their errors are reported together.
    const errors = new ErrorCollector();
    // No dots and at most 63: the name is a NATS KV key token (`<device>.<deployment>`) and a Podman container name.
    errors.attempt(() => assertDnsLabel(`${prop}.name`, name));
    // A name with '/' cannot even be a construct id: report what was found so far.
    if (name.includes('/')) errors.throwIfAny();
    super(scope, name);
    this.name = name;
    const selector = errors.attempt(() => renderDeviceSelector(`${prop}.targetSelector`, options.targetSelector, identity.selectorSupport), { matchLabels: {} });
    this.image = errors.attempt(() => Images.of(this).resolve(`${prop}.image`, options.image), options.image);

    const seenHost = new Set<string>();
    const privileged: number[] = [];
    this.ports = (options.ports ?? []).flatMap((mapping, i) => {
      const p = errors.attempt(() => parseFleetPortMapping(`${prop}.ports[${i}]`, mapping));
      if (!p) return [];
      const key = `${p.hostPort}/${p.protocol}`;
      errors.check(!seenHost.has(key), `${prop}.ports[${i}]`, mapping, 'each host port once per protocol', `host port ${key} is already mapped`);
      seenHost.add(key);
      if (p.hostPort < 1024) privileged.push(p.hostPort);
      return [p];
    });

    const secretLike: string[] = [];
    const envNames = Object.keys(options.env ?? {}).sort();
    const env = envNames.map((n): iot.DeploymentSpecScoreDataEnv => {
      errors.attempt(() => assertEnvName(`${prop}.env`, n));
      if (SECRET_LIKE.test(n)) secretLike.push(n);
      return { name: n, value: options.env![n] };
    });
    this.findings = { privilegedHostPorts: privileged, secretLikeEnv: secretLike, usesMatchExpressions: selector.matchExpressions !== undefined };

    const rollout = options.rollout ?? FleetRollout.allAtOnce();
    const own: Record<string, string> = {
      'app.kubernetes.io/instance': identity.instance,
      'app.kubernetes.io/part-of': identity.fleet,
      'app.kubernetes.io/component': 'fleet-deployment',
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
    const extra = errors.attempt(() => assertLabels(`${prop}.labels`, options.labels ?? {}), {});
    for (const k of Object.keys(extra)) {
      errors.check(!(k in own), `${prop}.labels.${k}`, extra[k], `any key except ${Object.keys(own).join(', ')}`, `${k} is set by the fleet`);
    }
    const score = {
      type: iot.DeploymentSpecScoreType.PODMAN_V0,
      data: {
        image: this.image,
        // Normalized: `8080:80/tcp` and `8080:80` are the same mapping and render the same.
        ports: this.ports.length ? this.ports.map((p) => `${p.hostPort}:${p.containerPort}${p.protocol === 'udp' ? '/udp' : ''}`) : undefined,
        env: env.length ? env : undefined,
      },
    };
    // The operator writes the score as one value of the desired-state bucket, which refuses anything larger.
    const scoreBytes = Buffer.byteLength(JSON.stringify(score), 'utf8');
    const maxScore = IOT_BUCKET_LIMITS.desiredState.maxValueKiB * 1024;
    errors.check(scoreBytes <= maxScore, `${prop}.env`, `a score of ${scoreBytes} bytes`, `a score (image, ports, env) of at most ${maxScore} bytes serialized`,
      `the desired-state KV bucket refuses a value over ${IOT_BUCKET_LIMITS.desiredState.maxValueKiB} KiB: no device would ever receive the deployment; move large settings into a file the image reads`);
    errors.throwIfAny();

    this.resource = new iot.Deployment(this, 'Resource', {
      metadata: {
        name,
        labels: { ...extra, ...own },
        // The sync wave (after the CRD and the operator) comes from lib/gitops/ordering.ts, as every object's does.
        annotations: {
          // Argo CD skips the dry run by itself only when the CRD is part of the same sync.
          ...(identity.crdElsewhere ? {
            'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
            // Verification refuses a custom resource whose CRD nobody renders or declares installed.
            [CRD_INSTALLED_ANNOTATION]: 'the release that renders the IotFleet CRD (installCrd: true)',
          } : {}),
        },
      },
      spec: {
        targetSelector: selector,
        score,
        rollout: { strategy: rollout.strategy as iot.DeploymentSpecRolloutStrategy, maxConcurrent: rollout.maxConcurrent },
      },
    });
  }
}
