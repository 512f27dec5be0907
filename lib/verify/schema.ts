import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { groupOf, Json, show } from './objects';
import { CRD_DIRS_ENV, CrdVersion, crdSearchDescription, crdVersions, defaultSchemaPath, findCrd, kubernetesDefinitions } from './schema-source';
import { KubeObject } from './types';

const CORE_ID = 'k8s-v1.28.json';
const OBJECT_META = `${CORE_ID}#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
const QUANTITY_DEF = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
/** The API server's quantity syntax. */
const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const KNOWN_FORMATS = new Set(['int32', 'int64', 'double', 'float', 'byte', 'date-time']);

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
/** Enumerations of list items (`accessModes: [ReadWriteOnce]`). */
const KNOWN_ITEM_ENUMS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': { accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] },
};

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
 * A schema problem in one object, with a field path and a fix.
 * @internal
 */
export interface SchemaFinding {
  /** The rule broken. */
  readonly rule: 'schema' | 'schema-kind';
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /**
   * Field path inside the object.
   * @default - none
   */
  readonly path?: string;
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

function addFormats(ajv: Ajv): void {
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/);
}

/**
 * Validates objects against the Kubernetes 1.28 definitions and CRD schemas. Schemas are compiled on first use and
 * cached for the life of the process (`SchemaValidator.get` returns the shared instance for a schema path).
 */
export class SchemaValidator {
  private static readonly instances = new Map<string, SchemaValidator>();

  /** The shared validator for a schema file (compiled validators are reused across calls). */
  public static get(schemaPath: string = defaultSchemaPath()): SchemaValidator {
    const abs = path.resolve(schemaPath);
    let v = SchemaValidator.instances.get(abs);
    if (!v) {
      v = new SchemaValidator(abs);
      SchemaValidator.instances.set(abs, v);
    }
    return v;
  }

  private readonly ajv: Ajv;
  /** `group/version/kind` to definition name. */
  private readonly gvk = new Map<string, string>();
  private readonly byDefinition = new Map<string, ValidateFunction>();
  private readonly byCrdSchema = new WeakMap<object, ValidateFunction>();
  private readonly byCrdText = new Map<string, ValidateFunction>();

  private constructor(public readonly schemaPath: string) {
    const raw = kubernetesDefinitions(schemaPath);
    const definitions = Object.fromEntries(Object.entries(raw.definitions).map(([name, def]) => [name, strictify(def, false)])) as Record<
      string,
      Json
    >;
    applyEnums(definitions);
    const quantity = definitions[QUANTITY_DEF];
    if (quantity) definitions[QUANTITY_DEF] = { ...quantity, pattern: QUANTITY_PATTERN };
    for (const [name, def] of Object.entries(definitions)) {
      for (const g of (def['x-kubernetes-group-version-kind'] ?? []) as Json[]) this.gvk.set(`${g.group}/${g.version}/${g.kind}`, name);
    }
    this.ajv = new Ajv({
      allErrors: true, strict: false, allowUnionTypes: true, verbose: true, validateSchema: false, logger: false, code: { optimize: false },
    });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: CORE_ID, definitions });
  }

  /**
   * Validates one object. `releaseCrds` holds CRD versions rendered by the same release (they win); then `crdDirs`,
   * the library's own CRDs and the third-party CRDs the package ships are searched, in that order.
   * @internal
   */
  public validate(o: KubeObject, crdDirs: readonly string[], releaseCrds: ReadonlyMap<string, CrdVersion>): SchemaFinding[] {
    if (!o || typeof o !== 'object' || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
      return [{ rule: 'schema', message: 'the object has no apiVersion or kind', fix: 'every manifest needs apiVersion, kind and metadata.name' }];
    }
    const [group, version] = o.apiVersion.includes('/') ? [groupOf(o.apiVersion), o.apiVersion.split('/')[1]] : ['', o.apiVersion];
    const key = `${group}/${version}/${o.kind}`;
    let validate: ValidateFunction | undefined;
    let label: string;
    const def = this.gvk.get(key);
    if (def) {
      validate = this.byDefinition.get(def);
      if (!validate) {
        validate = this.ajv.getSchema(`${CORE_ID}#/definitions/${def}`)!;
        this.byDefinition.set(def, validate);
      }
      label = `the Kubernetes 1.28 schema of ${o.kind}`;
    } else {
      const crd = releaseCrds.get(key) ?? findCrd(group, o.kind, key, crdDirs);
      if (!crd) {
        return [{
          rule: 'schema-kind',
          message: `no schema for apiVersion ${show(o.apiVersion)} kind ${show(o.kind)}: it is not a Kubernetes 1.28 kind, and no CustomResourceDefinition for it is in the release or in ${crdSearchDescription(crdDirs)}`,
          fix: `check the apiVersion and kind (for example apps/v1 Deployment, networking.k8s.io/v1 Ingress), or render the CRD in the release, or name a directory holding it in VerifyOptions.crdDirs or $${CRD_DIRS_ENV}`,
          path: 'apiVersion',
        }];
      }
      if (!crd.schema) return [];
      validate = this.crdValidator(crd.schema);
      label = `the schema of CRD ${crd.crd}`;
    }
    if (validate(o)) return [];
    return convertErrors(validate.errors ?? [], label);
  }

  private crdValidator(schema: Json): ValidateFunction {
    let v = this.byCrdSchema.get(schema);
    if (v) return v;
    const text = JSON.stringify(schema);
    v = this.byCrdText.get(text);
    if (!v) {
      const root = strictify(schema, true);
      // metadata is ObjectMeta; a CRD may only add restrictions (on name and generateName), which the API server enforces.
      const crdMeta = schema?.properties?.metadata;
      const metadata = crdMeta && typeof crdMeta === 'object' ? { allOf: [{ $ref: OBJECT_META }, strictify(crdMeta, true, true)] } : { $ref: OBJECT_META };
      root.properties = { ...(root.properties ?? {}), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata };
      if (root['x-kubernetes-preserve-unknown-fields'] !== true) root.additionalProperties = false;
      v = this.ajv.compile(root);
      this.byCrdText.set(text, v);
    }
    this.byCrdSchema.set(schema, v);
    return v;
  }
}

/**
 * CRD versions rendered in a set of objects, by `group/version/kind`.
 * @internal
 */
export function releaseCrdVersions(objects: readonly KubeObject[]): Map<string, CrdVersion> {
  const out = new Map<string, CrdVersion>();
  for (const o of objects) crdVersions(o, 'in the release', out);
  return out;
}

/**
 * Converts a JSON pointer (`/spec/ports/0/port`) to a dotted path (`spec.ports[0].port`).
 * @internal
 */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, s) => (/^[0-9]+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

function join(base: string, field: string): string {
  return base ? `${base}.${field}` : field;
}

/** Turns ajv errors into readable findings: one per problem, junctor-branch noise removed. */
function convertErrors(errors: readonly ErrorObject[], label: string): SchemaFinding[] {
  const junctors = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const seen = new Set<string>();
  const out: SchemaFinding[] = [];
  for (const e of errors) {
    if (junctors.some((j) => e.schemaPath.startsWith(j))) continue;
    if (e.keyword === 'if') continue;
    const at = pointerToPath(e.instancePath);
    let message: string;
    let fix: string;
    let p = at;
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = (e.params as { additionalProperty: string }).additionalProperty;
        p = join(at, field);
        const allowed = Object.keys(((e.parentSchema as Json)?.properties ?? {}) as object).sort();
        message = `unknown field ${p} (not in ${label})`;
        fix = `remove it or correct its spelling; ${at || 'the object'} allows: ${allowed.length > 40 ? `${allowed.slice(0, 40).join(', ')}, ...` : allowed.join(', ')}`;
        break;
      }
      case 'required': {
        p = join(at, (e.params as { missingProperty: string }).missingProperty);
        message = `missing required field ${p}`;
        fix = `set ${p}`;
        break;
      }
      case 'type':
        message = `${at || 'the object'} is ${show(e.data)}, but must be ${String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ')}`;
        fix = 'write the value with the type the schema requires (quote numbers meant as strings, unquote numbers meant as numbers)';
        break;
      case 'enum':
        message = `${at} is ${show(e.data)}; allowed: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => show(v)).join(', ')}`;
        fix = 'use one of the allowed values (they are case-sensitive)';
        break;
      case 'pattern':
        if ((e.params as { pattern: string }).pattern === QUANTITY_PATTERN) {
          message = `${at} is ${show(e.data)}, which is not a Kubernetes quantity`;
          fix = 'write a quantity such as 500m, 2, 512Mi or 1Gi (binary suffixes are Ki, Mi, Gi; mi and MB are not quantities)';
        } else {
          message = `${at} is ${show(e.data)}, which does not match ${(e.params as { pattern: string }).pattern}`;
          fix = 'write a value of the required form';
        }
        break;
      case 'format':
        message = `${at} is ${show(e.data)}, not a valid ${(e.params as { format: string }).format}`;
        fix = `write a valid ${(e.params as { format: string }).format} value`;
        break;
      case 'anyOf':
      case 'oneOf':
        message = `${at || 'the object'} is ${show(e.data)}, which matches none of the allowed shapes in ${label}`;
        fix = 'compare the value with the schema; for int-or-string fields write a number or a string';
        break;
      default:
        message = `${at || 'the object'} ${e.message ?? 'is invalid'}`;
        fix = `see ${label}`;
    }
    const dedupe = `${p}|${message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    out.push({ rule: 'schema', message, fix, path: p || undefined });
  }
  return out;
}
