/**
 * How the published schemas become the strict schemas verification checks against: kubeconform-style strictness,
 * the enumerations the API server enforces, the quantity syntax, the formats, and the ajv options. One module, so that
 * the validators compiled at run time (`schema.ts`) and the ones generated at build time (`schema-codegen.ts`) are
 * made from exactly the same rules; the generated ones are keyed by the SHA-256 of this file's source (see
 * `schema-generated.ts`), so editing anything here makes them stale.
 */
import type Ajv from 'ajv';
import type { FormatDefinition, Options } from 'ajv';
import { Json } from './objects';

/**
 * The `$id` of the Kubernetes definitions inside ajv.
 * @internal
 */
export const CORE_ID = 'k8s-v1.28.json';
/**
 * ObjectMeta, which every CRD's metadata is checked against.
 * @internal
 */
export const OBJECT_META = `${CORE_ID}#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
/**
 * The Quantity definition, whose pattern the strict schema sets.
 * @internal
 */
export const QUANTITY_DEF = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
/**
 * The API server's quantity syntax.
 * @internal
 */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/**
 * Enumerations the API server enforces but the published OpenAPI definitions only describe in prose. A typo in one of
 * these (`imagePullPolicy: always`) passes the plain schema and fails on apply, so the strict schema checks them.
 * @internal
 */
export const KNOWN_ENUMS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'io.k8s.api.core.v1.Container': { imagePullPolicy: ['Always', 'IfNotPresent', 'Never'], terminationMessagePolicy: ['File', 'FallbackToLogsOnError'], restartPolicy: ['Always'] },
  'io.k8s.api.core.v1.ContainerPort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ServicePort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ServiceSpec': {
    type: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
    externalTrafficPolicy: ['Cluster', 'Local'],
    internalTrafficPolicy: ['Cluster', 'Local'],
    sessionAffinity: ['None', 'ClientIP'],
    ipFamilyPolicy: ['SingleStack', 'PreferDualStack', 'RequireDualStack'],
  },
  'io.k8s.api.core.v1.PodSpec': { restartPolicy: ['Always', 'OnFailure', 'Never'], dnsPolicy: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'], preemptionPolicy: ['PreemptLowerPriority', 'Never'] },
  'io.k8s.api.core.v1.SeccompProfile': { type: ['RuntimeDefault', 'Unconfined', 'Localhost'] },
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': { volumeMode: ['Filesystem', 'Block'] },
  'io.k8s.api.core.v1.Toleration': { operator: ['Exists', 'Equal'], effect: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
  'io.k8s.api.core.v1.HTTPGetAction': { scheme: ['HTTP', 'HTTPS'] },
  'io.k8s.api.networking.v1.HTTPIngressPath': { pathType: ['Exact', 'Prefix', 'ImplementationSpecific'] },
  'io.k8s.api.batch.v1.CronJobSpec': { concurrencyPolicy: ['Allow', 'Forbid', 'Replace'] },
  'io.k8s.api.batch.v1.JobSpec': { completionMode: ['NonIndexed', 'Indexed'] },
  'io.k8s.api.apps.v1.StatefulSetSpec': { podManagementPolicy: ['OrderedReady', 'Parallel'] },
  'io.k8s.api.apps.v1.DeploymentStrategy': { type: ['Recreate', 'RollingUpdate'] },
  'io.k8s.api.apps.v1.DaemonSetUpdateStrategy': { type: ['RollingUpdate', 'OnDelete'] },
  'io.k8s.api.apps.v1.StatefulSetUpdateStrategy': { type: ['RollingUpdate', 'OnDelete'] },
};
/**
 * Enumerations of list items (`accessModes: [ReadWriteOnce]`).
 * @internal
 */
export const KNOWN_ITEM_ENUMS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': { accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] },
};

const KNOWN_FORMATS = new Set(['int32', 'int64', 'double', 'float', 'byte', 'date-time']);

/**
 * The formats the Kubernetes definitions use. Each validate function is self-contained (no closure), because the
 * generated validators carry a copy of its source.
 * @internal
 */
export const SCHEMA_FORMATS: Readonly<Record<string, FormatDefinition<number> | RegExp>> = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  double: { type: 'number', validate: () => true },
  float: { type: 'number', validate: () => true },
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/,
};

/**
 * ajv options of the validators that report: every error, with the data and the schema that failed (for messages
 * that list the allowed fields). Compiled at run time, for a kind without a generated validator or an object that
 * failed the generated check.
 * @internal
 */
export const REPORTING_AJV_OPTIONS: Options = {
  allErrors: true, strict: false, allowUnionTypes: true, verbose: true, validateSchema: false, logger: false, code: { optimize: false },
};
/**
 * ajv options of the generated validators: the same schemas and the same verdict (ajv's `allErrors` and `verbose` only
 * change what is reported), stopping at the first error. An object they reject is checked again by a reporting
 * validator, so the report is the same either way.
 * @internal
 */
export const CHECKING_AJV_OPTIONS: Options = {
  allErrors: false, strict: false, allowUnionTypes: true, verbose: false, validateSchema: false, logger: false, inlineRefs: false, messages: false,
};

/**
 * Adds `SCHEMA_FORMATS` to an ajv instance.
 * @internal
 */
export function addSchemaFormats(ajv: Ajv): void {
  for (const [name, format] of Object.entries(SCHEMA_FORMATS)) ajv.addFormat(name, format);
}

/**
 * Rewrites an OpenAPI schema node for strict validation, as kubeconform -strict does: objects that list their
 * properties reject any other field. Kubernetes extensions are honoured: `x-kubernetes-preserve-unknown-fields`
 * keeps a node open, `x-kubernetes-int-or-string` accepts both, `x-kubernetes-embedded-resource` implies apiVersion,
 * kind and metadata. Branches of anyOf/allOf/oneOf/not are left open (a branch only constrains, it does not list every
 * field). Formats the validator does not know are dropped rather than failing compilation.
 * @internal
 */
export function strictify(node: Json, crd: boolean, open = false): Json {
  if (Array.isArray(node)) return node.map((n) => strictify(n, crd, open));
  if (!node || typeof node !== 'object') return node;
  const out: Json = { ...node };
  if (typeof out.format === 'string' && !KNOWN_FORMATS.has(out.format)) delete out.format;
  if (crd && out['x-kubernetes-int-or-string'] === true && !out.anyOf && !out.oneOf) {
    out.type = ['integer', 'string'];
    delete out.format;
  }
  if (crd && out['x-kubernetes-embedded-resource'] === true) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(out.properties ?? {}) };
  }
  for (const k of ['properties', 'patternProperties', 'definitions']) {
    if (out[k] && typeof out[k] === 'object') {
      out[k] = Object.fromEntries(Object.entries(out[k]).map(([name, s]) => [name, strictify(s, crd, open)]));
    }
  }
  if (out.additionalProperties && typeof out.additionalProperties === 'object') out.additionalProperties = strictify(out.additionalProperties, crd, open);
  if (out.items) out.items = strictify(out.items, crd, open);
  for (const k of ['allOf', 'anyOf', 'oneOf', 'not']) if (out[k]) out[k] = strictify(out[k], crd, true);
  // Core int-or-string and Quantity are oneOf [string, integer|number]: a union type gives one clear error.
  if (!crd && Array.isArray(out.oneOf) && out.oneOf.every((b: Json) => b && Object.keys(b).length === 1 && typeof b.type === 'string')) {
    out.type = out.oneOf.map((b: Json) => b.type);
    delete out.oneOf;
  }
  if (!open && out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

function applyEnums(definitions: Record<string, Json>): void {
  for (const [table, items] of [[KNOWN_ENUMS, false], [KNOWN_ITEM_ENUMS, true]] as const) {
    for (const [def, props] of Object.entries(table)) {
      for (const [prop, values] of Object.entries(props)) {
        const p = definitions[def]?.properties?.[prop];
        if (!p) throw new Error(`verify: the schema has no ${def}.${prop} (KNOWN_ENUMS is out of date with the definitions)`);
        if (items) p.items = { ...p.items, enum: [...values] };
        else definitions[def].properties[prop] = { ...p, enum: [...values] };
      }
    }
  }
}

/**
 * The strict form of the Kubernetes definitions: every definition strictified, the enumerations and quantity added.
 * @internal
 */
export function strictDefinitions(raw: Record<string, Json>): Record<string, Json> {
  const definitions = Object.fromEntries(Object.entries(raw).map(([name, def]) => [name, strictify(def, false)])) as Record<string, Json>;
  applyEnums(definitions);
  const quantity = definitions[QUANTITY_DEF];
  if (quantity) definitions[QUANTITY_DEF] = { ...quantity, pattern: QUANTITY_PATTERN };
  return definitions;
}

/**
 * `group/version/kind` to definition name, from the definitions' `x-kubernetes-group-version-kind`.
 * @internal
 */
export function gvkIndex(definitions: Record<string, Json>): Map<string, string> {
  const gvk = new Map<string, string>();
  for (const [name, def] of Object.entries(definitions)) {
    for (const g of (def['x-kubernetes-group-version-kind'] ?? []) as Json[]) gvk.set(`${g.group}/${g.version}/${g.kind}`, name);
  }
  return gvk;
}

/**
 * The schema a custom resource is checked against: its CRD version's schema, strict, with apiVersion and kind, and
 * metadata checked as ObjectMeta (a CRD may only add restrictions on name and generateName, which the API server
 * enforces). It refers to the core definitions (`CORE_ID`), which must be in the same ajv instance.
 * @internal
 */
export function crdRootSchema(schema: Json): Json {
  const root = strictify(schema, true);
  const crdMeta = schema?.properties?.metadata;
  const metadata = crdMeta && typeof crdMeta === 'object' ? { allOf: [{ $ref: OBJECT_META }, strictify(crdMeta, true, true)] } : { $ref: OBJECT_META };
  root.properties = { ...(root.properties ?? {}), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata };
  if (root['x-kubernetes-preserve-unknown-fields'] !== true) root.additionalProperties = false;
  return root;
}

/**
 * The ajv instance holding the strict core definitions (reporting or checking options).
 * @internal
 */
export function coreAjv(definitions: Record<string, Json>, options: Options): Ajv {
  // Loaded here, not at the top: a synth whose objects all pass the generated validators never loads ajv's compiler.
  const AjvClass = (require('ajv') as typeof import('ajv')).default;
  const ajv = new AjvClass(options);
  addSchemaFormats(ajv);
  ajv.addSchema({ $id: CORE_ID, definitions });
  return ajv;
}
