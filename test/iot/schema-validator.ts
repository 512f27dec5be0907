import Ajv, { ErrorObject } from 'ajv';
import { CrdSchema } from '../../lib/iot';

/**
 * Validates objects against a CRD's openAPIV3Schema the way the API server would for the parts JSON Schema can
 * express: types, patterns, enums, required fields, anyOf/oneOf, plus
 * - unknown fields are rejected (kubectl's default server-side field validation is Strict),
 * - `x-kubernetes-list-type: set` lists reject duplicate items and `map` lists reject duplicate keys,
 * - `format: date-time` is RFC 3339.
 * `metadata` accepts any ObjectMeta field (the API server validates ObjectMeta itself).
 */
export function crdValidator(schema: CrdSchema): (obj: unknown) => { valid: boolean; errors: string[] } {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    type: 'array',
    schemaType: 'string',
    validate: (listType: string, data: unknown[], parent?: Record<string, unknown>) => {
      if (listType === 'set') return new Set(data.map((d) => JSON.stringify(d))).size === data.length;
      if (listType === 'map') {
        const keys = (parent?.['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
        const seen = data.map((d) => JSON.stringify(keys.map((k) => (d as Record<string, unknown>)[k])));
        return new Set(seen).size === seen.length;
      }
      return true;
    },
  });
  ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys' });
  ajv.addKeyword({ keyword: 'x-kubernetes-map-type' });
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' });
  const validate = ajv.compile(strictFields(schema, true) as object);
  return (obj) => {
    const valid = validate(obj) as boolean;
    return { valid, errors: (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message}`) };
  };
}

/** Adds `additionalProperties: false` to every object schema with declared properties (except metadata). */
function strictFields(schema: CrdSchema, root = false): unknown {
  const out: Record<string, unknown> = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, root && k === 'metadata' ? { ...v } : strictFields(v)]),
    );
    if (schema.type === 'object' && schema.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (schema.items) out.items = strictFields(schema.items);
  if (schema.additionalProperties) out.additionalProperties = strictFields(schema.additionalProperties);
  return out;
}
