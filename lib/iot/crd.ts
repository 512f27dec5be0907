import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MANAGED_BY } from '../core/labels';
import { keepStateAnnotations } from '../core/retention';
import { CrdSchema, toJsonSchemaProps } from './schema';

/** API group of the IoT platform's resources. */
export const IOT_GROUP = 'iot.nationtech.io';
/** The served and stored version. */
export const IOT_VERSION = 'v1alpha1';
/** Kind of a fleet deployment. Same kind name as apps/v1 Deployment, hence the short names. */
export const IOT_DEPLOYMENT_KIND = 'Deployment';
export const IOT_DEPLOYMENT_PLURAL = 'deployments';
export const IOT_DEPLOYMENT_SINGULAR = 'deployment';
/**
 * `kubectl get iotdeploy` / `kubectl get iotd`: plain `kubectl get deployments` resolves to apps/v1, so operators need
 * a name that is unambiguous (or the full `deployments.iot.nationtech.io`).
 */
export const IOT_DEPLOYMENT_SHORT_NAMES: readonly string[] = ['iotdeploy', 'iotd'];
/** The CRD's object name: `<plural>.<group>`. */
export const IOT_DEPLOYMENT_CRD_NAME = `${IOT_DEPLOYMENT_PLURAL}.${IOT_GROUP}`;
/** `apiVersion` of the custom resources. */
export const IOT_API_VERSION = `${IOT_GROUP}/${IOT_VERSION}`;

/** Enumerations of the schema, shared with the TypeScript API so the two cannot drift. */
export const IOT_SCORE_TYPES = ['PodmanV0'] as const;
export const IOT_ROLLOUT_STRATEGIES = ['AllAtOnce', 'Rolling'] as const;
export const IOT_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export const IOT_EVENT_SEVERITIES = ['Info', 'Warn', 'Error'] as const;

/**
 * The device agent's bounds (seed 003): each agent keeps a ring of its 32 latest reconcile events
 * (`EVENT_RING_CAP = 32`) and cuts error strings to 512 characters (`short(s)`), so its status stays well under
 * JetStream's message size. The status schema holds the operator to the same bounds.
 */
export const IOT_AGENT_LIMITS = { recentEvents: 32, messageLength: 512 } as const;

/**
 * The limits the fleet's KV buckets are created with (IotFleet; the bucket sizes follow its `capacity`). Sized for the
 * scaling design the seed's reviewer asked for: per-device keys, each device writing only its own.
 *
 * desired-state (key `<device>.<deployment>`, one score per key, written by the operator):
 * - max value 16 KiB: one PodmanV0 score (image up to 512 characters, port mappings, env); the fleet refuses a
 *   deployment whose score serializes larger;
 * - history 5: the current desired state and the 4 before it, so a rollback can read what a device ran before;
 * - no TTL: an expired key would make the agent remove the deployment from the device.
 *
 * agent-status (key `status.<device>`, one heartbeat per device every 30 s, written by its agent):
 * - max value 128 KiB: the ring of 32 events with messages cut to 512 characters is at most 32 x (512 characters x 4
 *   bytes of UTF-8 + about 256 bytes of time, severity, device and deployment) = 72 KiB, and the per-deployment phases,
 *   labels and inventory fit in the rest;
 * - history 1: only the latest heartbeat is read;
 * - TTL 24 hours: a device silent for a day ages out of the bucket, and so out of every deployment's counts.
 */
export const IOT_BUCKET_LIMITS = {
  desiredState: { maxValueKiB: 16, history: 5 },
  agentStatus: { maxValueKiB: 128, history: 1, ttlHours: 24 },
} as const;

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** `hostPort:containerPort[/tcp|/udp]`, the Podman `-p` short form; ranges (1-65535) are checked by the construct. */
export const IOT_PORT_MAPPING_PATTERN = '^[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp))?$';
const ENV_NAME = '^[-._a-zA-Z][-._a-zA-Z0-9]*$';

const labelSelectorRequirement: CrdSchema = {
  type: 'object',
  description: 'A label requirement: key, operator and (for In and NotIn) the values.',
  required: ['key', 'operator'],
  properties: {
    key: { type: 'string', description: 'Device label key.', minLength: 1, maxLength: 317, pattern: LABEL_KEY },
    operator: { type: 'string', description: 'How the key relates to the values.', enum: [...IOT_SELECTOR_OPERATORS] },
    values: {
      type: 'array',
      description: 'Label values: non-empty for In and NotIn, empty for Exists and DoesNotExist.',
      items: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
      'x-kubernetes-list-type': 'set',
    },
  },
  // In/NotIn need values; Exists/DoesNotExist take none (the same rule as a Kubernetes LabelSelector).
  oneOf: [
    { properties: { operator: { enum: ['In', 'NotIn'] }, values: { minItems: 1 } }, required: ['values'] },
    { properties: { operator: { enum: ['Exists', 'DoesNotExist'] }, values: { maxItems: 0 } } },
  ],
};

const timestamp = (description: string): CrdSchema => ({ type: 'string', format: 'date-time', description });

/**
 * `status.aggregate`: the fleet-wide state the operator folds from the device agents' heartbeats. Declared with literal
 * keys so code that reads the status (the Argo CD health check in lib/gitops) names its fields from this definition and
 * fails to compile when one is renamed.
 */
export const IOT_AGGREGATE_STATUS_SCHEMA = {
  type: 'object',
  description:
    'Fleet-wide state of this deployment, folded from the device agents\' heartbeats. Bounded like the agents\' own status: ' +
    `at most ${IOT_AGENT_LIMITS.recentEvents} recent events, messages cut to ${IOT_AGENT_LIMITS.messageLength} characters.`,
  properties: {
    succeeded: { type: 'integer', minimum: 0, description: 'Matching devices running the deployment.' },
    failed: { type: 'integer', minimum: 0, description: 'Matching devices whose last reconcile failed.' },
    pending: { type: 'integer', minimum: 0, description: 'Matching devices that reported but have not run it yet.' },
    lastError: {
      type: 'object',
      description: 'The most recent failure on any device.',
      properties: {
        deviceId: { type: 'string' },
        message: { type: 'string', maxLength: IOT_AGENT_LIMITS.messageLength, description: `The error, cut to ${IOT_AGENT_LIMITS.messageLength} characters as the agent cuts it.` },
        at: timestamp('When the failure was reported.'),
      },
    },
    recentEvents: {
      type: 'array',
      description: `The latest reconcile events across the fleet, newest first: at most ${IOT_AGENT_LIMITS.recentEvents}, the size of one agent's event ring.`,
      maxItems: IOT_AGENT_LIMITS.recentEvents,
      items: {
        type: 'object',
        properties: {
          at: timestamp('When the event happened on the device.'),
          severity: { type: 'string', enum: [...IOT_EVENT_SEVERITIES] },
          deviceId: { type: 'string' },
          message: { type: 'string', maxLength: IOT_AGENT_LIMITS.messageLength },
          deployment: { type: 'string' },
        },
      },
      'x-kubernetes-list-type': 'atomic',
    },
    lastHeartbeatAt: timestamp('Newest heartbeat among the matching devices: how fresh the aggregate is.'),
  },
} as const satisfies CrdSchema;

/** A field of `status.aggregate`. */
export type IotAggregateStatusField = keyof typeof IOT_AGGREGATE_STATUS_SCHEMA.properties;

/** `status`, written by the operator (the status subresource). */
export const IOT_STATUS_SCHEMA = {
  type: 'object',
  description: 'Written by the operator.',
  properties: {
    observedScoreString: { type: 'string', description: 'The score the operator last published, for change detection.' },
    aggregate: IOT_AGGREGATE_STATUS_SCHEMA,
  },
} as const satisfies CrdSchema;

/** The openAPIV3Schema of `deployments.iot.nationtech.io/v1alpha1`: the one definition of the resource. */
export const IOT_DEPLOYMENT_SCHEMA: CrdSchema = {
  type: 'object',
  description:
    'A workload rolled out to every IoT device whose labels match targetSelector. The operator writes the desired state to NATS KV; device agents run it with Podman and report back. ' +
    `Limits of the KV buckets (created with them by the fleet's bucket Job): desired state, key <device>.<deployment>, at most ${IOT_BUCKET_LIMITS.desiredState.maxValueKiB} KiB per value ` +
    `(the serialized spec.score must fit), ${IOT_BUCKET_LIMITS.desiredState.history} revisions kept per key for rollback, no expiry; agent status, key status.<device>, at most ` +
    `${IOT_BUCKET_LIMITS.agentStatus.maxValueKiB} KiB per heartbeat, ${IOT_BUCKET_LIMITS.agentStatus.history} revision, expiring ${IOT_BUCKET_LIMITS.agentStatus.ttlHours} hours after a device's last heartbeat ` +
    `(a silent device drops out of status.aggregate); each agent reports at most ${IOT_AGENT_LIMITS.recentEvents} recent events with messages cut to ${IOT_AGENT_LIMITS.messageLength} characters.`,
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: {
      type: 'object',
      properties: {
        // No dots: the name becomes a NATS KV key token (`<device>.<deployment>`) and a Podman container name.
        name: { type: 'string', maxLength: 63, pattern: DNS_LABEL },
      },
    },
    spec: {
      type: 'object',
      description: 'What to run and where.',
      required: ['targetSelector', 'score'],
      properties: {
        targetSelector: {
          type: 'object',
          description: 'Devices the deployment targets, by the labels their agents publish. matchLabels is required and not empty: the v0 operator reads matchLabels only, and an empty selector would target the whole fleet.',
          // matchLabels is required because the operator's selector struct is matchLabels-only (seed: "matchExpressions
          // deferred"): a CR without it would fail to deserialize, and in kube-rs one bad object fails the whole watch.
          required: ['matchLabels'],
          properties: {
            matchLabels: {
              type: 'object',
              description: 'Labels a device must carry, all of them.',
              minProperties: 1,
              additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
            },
            matchExpressions: {
              type: 'array',
              description: 'Further label requirements a device must meet, all of them. Honoured only by an operator that evaluates matchExpressions: the v0 operator reads matchLabels only and ignores them, targeting every device that matches matchLabels.',
              minItems: 1,
              items: labelSelectorRequirement,
              'x-kubernetes-list-type': 'atomic',
            },
          },
        },
        score: {
          type: 'object',
          description: 'The workload, tagged by type.',
          required: ['type', 'data'],
          properties: {
            type: { type: 'string', description: 'Payload type: PodmanV0 is one container run by rootless Podman.', enum: [...IOT_SCORE_TYPES] },
            data: {
              type: 'object',
              description: 'A Podman container. An upgrade is the same deployment name with a new image.',
              required: ['image'],
              properties: {
                image: { type: 'string', description: 'Container image, pinned by tag or digest.', minLength: 1, maxLength: 512, pattern: '^[^\\s]+$' },
                ports: {
                  type: 'array',
                  description: 'Port mappings as hostPort:containerPort[/tcp|/udp], for example 8080:80.',
                  items: { type: 'string', pattern: IOT_PORT_MAPPING_PATTERN },
                  'x-kubernetes-list-type': 'set',
                },
                env: {
                  type: 'array',
                  description: 'Environment variables of the container.',
                  items: {
                    type: 'object',
                    required: ['name', 'value'],
                    properties: {
                      name: { type: 'string', minLength: 1, pattern: ENV_NAME },
                      value: { type: 'string' },
                    },
                  },
                  'x-kubernetes-list-type': 'map',
                  'x-kubernetes-list-map-keys': ['name'],
                },
              },
            },
          },
        },
        rollout: {
          type: 'object',
          description: 'How the fleet moves to a new spec.',
          properties: {
            strategy: {
              type: 'string',
              description: 'AllAtOnce updates every matching device at once; Rolling updates at most maxConcurrent devices at a time.',
              enum: [...IOT_ROLLOUT_STRATEGIES],
              default: 'AllAtOnce',
            },
            maxConcurrent: { type: 'integer', description: 'With Rolling: devices updated at the same time.', minimum: 1 },
          },
        },
      },
    },
    status: IOT_STATUS_SCHEMA,
  },
};

/** Columns `kubectl get iotdeploy` prints. */
export const IOT_DEPLOYMENT_PRINTER_COLUMNS: readonly k8s.CustomResourceColumnDefinition[] = [
  { name: 'Image', type: 'string', jsonPath: '.spec.score.data.image' },
  { name: 'Succeeded', type: 'integer', jsonPath: '.status.aggregate.succeeded' },
  { name: 'Failed', type: 'integer', jsonPath: '.status.aggregate.failed' },
  { name: 'Pending', type: 'integer', jsonPath: '.status.aggregate.pending' },
  { name: 'Heartbeat', type: 'date', jsonPath: '.status.aggregate.lastHeartbeatAt' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

/** Props of IotDeploymentCrd. */
export interface IotDeploymentCrdProps {
  /**
   * Extra labels on the CRD.
   * @default - `app.kubernetes.io/managed-by` and `app.kubernetes.io/part-of: iot-platform`
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The CustomResourceDefinition of fleet deployments. Cluster-scoped and shared: render it in exactly one release per
 * cluster. Neither Argo CD (prune, Application deletion) nor Helm (uninstall) deletes it (deleting a CRD deletes every
 * CR of its kind: `keepStateAnnotations`), and Argo CD applies it in wave -1, before the CRs.
 */
export class IotDeploymentCrd extends Construct {
  /** The CRD object (construct id `Resource`). */
  public readonly resource: k8s.KubeCustomResourceDefinition;

  constructor(scope: Construct, id: string, props: IotDeploymentCrdProps = {}) {
    super(scope, id);
    this.resource = new k8s.KubeCustomResourceDefinition(this, 'Resource', {
      metadata: {
        name: IOT_DEPLOYMENT_CRD_NAME,
        labels: { 'app.kubernetes.io/part-of': 'iot-platform', 'app.kubernetes.io/managed-by': MANAGED_BY, ...props.labels },
        // Its sync wave (before the custom resources) comes from lib/gitops/ordering.ts, as every object's does.
        annotations: keepStateAnnotations(),
      },
      spec: {
        group: IOT_GROUP,
        scope: 'Namespaced',
        names: {
          kind: IOT_DEPLOYMENT_KIND,
          listKind: `${IOT_DEPLOYMENT_KIND}List`,
          plural: IOT_DEPLOYMENT_PLURAL,
          singular: IOT_DEPLOYMENT_SINGULAR,
          shortNames: [...IOT_DEPLOYMENT_SHORT_NAMES],
          categories: ['iot'],
        },
        versions: [
          {
            name: IOT_VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            additionalPrinterColumns: IOT_DEPLOYMENT_PRINTER_COLUMNS.map((c) => ({ ...c })),
            schema: { openApiv3Schema: toJsonSchemaProps(IOT_DEPLOYMENT_SCHEMA) },
          },
        ],
      },
    });
  }
}
