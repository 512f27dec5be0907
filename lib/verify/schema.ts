import * as path from 'path';
import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { groupOf, Json, show } from './objects';
import { CheckFunction, coreValidatorId, crdValidatorId, GeneratedValidators, loadGeneratedValidators, sha256 } from './schema-generated';
import { CORE_ID, coreAjv, crdRootSchema, gvkIndex, QUANTITY_PATTERN, REPORTING_AJV_OPTIONS, strictDefinitions } from './schema-strict';
import { CRD_DIRS_ENV, CrdVersion, crdSearchDescription, crdVersions, defaultSchemaPath, findCrd, kubernetesDefinitions, schemaFileBytes } from './schema-source';
import { KubeObject } from './types';

export { KNOWN_ENUMS, strictify } from './schema-strict';

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
 * Where the validator of one kind comes from: generated at build time, or compiled by ajv in this process.
 * @internal
 */
export type ValidatorSource = 'generated' | 'runtime';

/** The runtime side: the strict definitions in an ajv instance that reports every error. Built only when needed. */
interface Reporting {
  readonly ajv: Ajv;
  readonly gvk: Map<string, string>;
}

/**
 * Validates objects against the Kubernetes 1.28 definitions and CRD schemas. Valid objects are checked by the
 * validators generated at build time when they fit the schema in use (see `schema-generated.ts`); a kind without one,
 * and every object a generated check rejects, goes to a validator ajv compiles in this process from the same strict
 * schema with every error reported, which is also what explains the failure. Compiled validators are cached for the
 * life of the process (`SchemaValidator.get` returns the shared instance for a schema path).
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

  /**
   * A validator that compiles every schema with ajv in this process and never uses generated validators: slower, and
   * the reference the generated ones are tested against. Not cached.
   * @internal
   */
  public static runtimeOnly(schemaPath: string = defaultSchemaPath()): SchemaValidator {
    return new SchemaValidator(path.resolve(schemaPath), false);
  }

  /**
   * The generated validators in use, or undefined (then `generatedUnusedReason` says why).
   * @internal
   */
  public readonly generated: GeneratedValidators | undefined;
  /**
   * Why no generated validators are used, when they are not.
   * @internal
   */
  public readonly generatedUnusedReason: string | undefined;
  private reportingState: Reporting | undefined;
  private readonly byDefinition = new Map<string, ValidateFunction>();
  private readonly byCrdSchema = new WeakMap<object, { readonly check?: CheckFunction; readonly text: string }>();
  private readonly byCrdText = new Map<string, ValidateFunction>();

  private constructor(public readonly schemaPath: string, useGenerated = true) {
    // Only the bytes are read (to match them with the generated validators); the JSON is parsed when needed.
    const bytes = schemaFileBytes(schemaPath);
    const lookup = useGenerated ? loadGeneratedValidators(sha256(bytes)) : { reason: 'generated validators are not used by a runtime-only validator' };
    this.generated = lookup.validators;
    this.generatedUnusedReason = lookup.reason;
  }

  /**
   * Where the validator of `group/version/kind` comes from (for tests and benchmarks).
   * @internal
   */
  public sourceOf(gvk: string): ValidatorSource {
    const def = this.definitionOf(gvk);
    return def !== undefined && this.generated?.check(coreValidatorId(def)) ? 'generated' : 'runtime';
  }

  /**
   * Where the validator of a CRD version schema comes from.
   * @internal
   */
  public sourceOfCrd(schema: Json): ValidatorSource {
    return this.generated?.check(crdValidatorId(JSON.stringify(schema))) ? 'generated' : 'runtime';
  }

  private reporting(): Reporting {
    if (!this.reportingState) {
      const definitions = strictDefinitions(kubernetesDefinitions(this.schemaPath).definitions);
      this.reportingState = { ajv: coreAjv(definitions, REPORTING_AJV_OPTIONS), gvk: gvkIndex(definitions) };
    }
    return this.reportingState;
  }

  private definitionOf(gvk: string): string | undefined {
    if (this.generated) return this.generated.gvk[gvk];
    return this.reporting().gvk.get(gvk);
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
    // Not `const [group, version] = ...`: array destructuring steps an iterator in V8's interpreter, for every object.
    const slashed = o.apiVersion.includes('/');
    const group = slashed ? groupOf(o.apiVersion) : '';
    const version = slashed ? o.apiVersion.split('/')[1] : o.apiVersion;
    const key = `${group}/${version}/${o.kind}`;
    const def = this.definitionOf(key);
    if (def) {
      const check = this.generated?.check(coreValidatorId(def));
      if (check && check(o)) return [];
      return this.report(this.coreValidator(def), o, `the Kubernetes 1.28 schema of ${o.kind}`);
    }
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
    const { check, text } = this.crdCheck(crd.schema);
    if (check && check(o)) return [];
    return this.report(this.crdValidator(crd.schema, text), o, `the schema of CRD ${crd.crd}`);
  }

  private report(validate: ValidateFunction, o: KubeObject, label: string): SchemaFinding[] {
    if (validate(o)) return [];
    return convertErrors(validate.errors ?? [], label);
  }

  private coreValidator(def: string): ValidateFunction {
    let validate = this.byDefinition.get(def);
    if (!validate) {
      validate = this.reporting().ajv.getSchema(`${CORE_ID}#/definitions/${def}`)!;
      this.byDefinition.set(def, validate);
    }
    return validate;
  }

  private crdCheck(schema: Json): { readonly check?: CheckFunction; readonly text: string } {
    let found = this.byCrdSchema.get(schema);
    if (!found) {
      const text = JSON.stringify(schema);
      found = { check: this.generated?.check(crdValidatorId(text)), text };
      this.byCrdSchema.set(schema, found);
    }
    return found;
  }

  private crdValidator(schema: Json, text: string): ValidateFunction {
    let v = this.byCrdText.get(text);
    if (!v) {
      v = this.reporting().ajv.compile(crdRootSchema(schema));
      this.byCrdText.set(text, v);
    }
    return v;
  }
}

/**
 * CRD versions rendered in a set of objects, by `group/version/kind`.
 * @internal
 */
export function releaseCrdVersions(objects: readonly KubeObject[], source = 'in the release'): Map<string, CrdVersion> {
  const out = new Map<string, CrdVersion>();
  for (const o of objects) crdVersions(o, source, out);
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
