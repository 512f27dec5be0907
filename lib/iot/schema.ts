import { k8s } from 'cdk8s-plus-28';

/**
 * An OpenAPI v3 schema as a CustomResourceDefinition holds it, written with the JSON keys Kubernetes reads
 * (`x-kubernetes-list-type`, not `xKubernetesListType`). The same object feeds the CRD (through
 * `toJsonSchemaProps`), `cdk8s import` and schema validation in tests, so there is exactly one definition.
 */
export interface CrdSchema {
  /**
   * The JSON type.
   * @default - none
   */
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  /**
   * What the field means, shown by `kubectl explain`.
   * @default - none
   */
  readonly description?: string;
  /**
   * Properties of an object.
   * @default - none
   */
  readonly properties?: Readonly<Record<string, CrdSchema>>;
  /**
   * Properties that must be present.
   * @default - none
   */
  readonly required?: readonly string[];
  /**
   * Schema of array items.
   * @default - none
   */
  readonly items?: CrdSchema;
  /**
   * Schema of the values of a map.
   * @default - none
   */
  readonly additionalProperties?: CrdSchema;
  /**
   * Allowed values.
   * @default - none
   */
  readonly enum?: ReadonlyArray<string | number>;
  /**
   * Default the API server applies.
   * @default - none
   */
  readonly default?: unknown;
  /**
   * Regular expression a string must match.
   * @default - none
   */
  readonly pattern?: string;
  /**
   * String or integer format.
   * @default - none
   */
  readonly format?: 'date-time' | 'int32' | 'int64';
  /**
   * Smallest allowed number.
   * @default - none
   */
  readonly minimum?: number;
  /**
   * Largest allowed number.
   * @default - none
   */
  readonly maximum?: number;
  /**
   * Shortest allowed string.
   * @default - none
   */
  readonly minLength?: number;
  /**
   * Longest allowed string.
   * @default - none
   */
  readonly maxLength?: number;
  /**
   * Fewest array items.
   * @default - none
   */
  readonly minItems?: number;
  /**
   * Most array items.
   * @default - none
   */
  readonly maxItems?: number;
  /**
   * Fewest object properties.
   * @default - none
   */
  readonly minProperties?: number;
  /**
   * Most object properties.
   * @default - none
   */
  readonly maxProperties?: number;
  /**
   * Value validations only (no type, description or default inside), as structural schemas require.
   * @default - none
   */
  readonly anyOf?: readonly CrdSchema[];
  /**
   * Value validations only, as for anyOf.
   * @default - none
   */
  readonly oneOf?: readonly CrdSchema[];
  /**
   * How server-side apply merges the list.
   * @default - none
   */
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  /**
   * Keys identifying the items of a map-type list.
   * @default - none
   */
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  /**
   * How server-side apply merges the map.
   * @default - none
   */
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /**
   * Keep fields the schema does not declare.
   * @default - none
   */
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** A deep, plain-JSON copy of a schema (for fields the L1 class passes through untouched: items, additionalProperties). */
function plain(schema: CrdSchema): unknown {
  return JSON.parse(JSON.stringify(schema));
}

/**
 * Converts a schema to the typed L1 `JSONSchemaProps`. The L1 class renames its camelCase fields to JSON keys but
 * passes `items` and `additionalProperties` through as they are, so those stay in JSON form. The synthesized CRD is
 * therefore exactly `schema` (a unit test checks the round trip).
 * @internal
 */
export function toJsonSchemaProps(schema: CrdSchema): k8s.JsonSchemaProps {
  const props: Record<string, k8s.JsonSchemaProps> | undefined = schema.properties
    ? Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toJsonSchemaProps(v)]))
    : undefined;
  return {
    type: schema.type,
    description: schema.description,
    properties: props,
    required: schema.required ? [...schema.required] : undefined,
    items: schema.items ? plain(schema.items) : undefined,
    additionalProperties: schema.additionalProperties ? plain(schema.additionalProperties) : undefined,
    enum: schema.enum ? [...schema.enum] : undefined,
    default: schema.default,
    pattern: schema.pattern,
    format: schema.format,
    minimum: schema.minimum,
    maximum: schema.maximum,
    minLength: schema.minLength,
    maxLength: schema.maxLength,
    minItems: schema.minItems,
    maxItems: schema.maxItems,
    minProperties: schema.minProperties,
    maxProperties: schema.maxProperties,
    anyOf: schema.anyOf?.map(toJsonSchemaProps),
    oneOf: schema.oneOf?.map(toJsonSchemaProps),
    xKubernetesListType: schema['x-kubernetes-list-type'],
    xKubernetesListMapKeys: schema['x-kubernetes-list-map-keys'] ? [...schema['x-kubernetes-list-map-keys']] : undefined,
    xKubernetesMapType: schema['x-kubernetes-map-type'],
    xKubernetesPreserveUnknownFields: schema['x-kubernetes-preserve-unknown-fields'],
  };
}
