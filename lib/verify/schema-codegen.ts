/**
 * Build-time generation of the validators `schema-generated.ts` loads: ajv's standalone code for the strict schemas
 * of the Kubernetes kinds the library renders and of the CRD versions it knows, with `CHECKING_AJV_OPTIONS`. Run by
 * bin/build.js (`npm run build`, and `npm ci` through `prepare`); never on the synth path.
 */
import { _ } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { Json } from './objects';
import { ajvVersion, coreValidatorId, crdValidatorId, GENERATED_FORMAT, GeneratedKey, sha256 } from './schema-generated';
import { CHECKING_AJV_OPTIONS, coreAjv, crdRootSchema, gvkIndex, SCHEMA_FORMATS, strictDefinitions } from './schema-strict';

/**
 * What to generate validators for.
 * @internal
 */
export interface ValidatorSources {
  /** The raw Kubernetes definitions (as in the schema file). */
  readonly definitions: Record<string, Json>;
  /** SHA-256 of the schema file's bytes. */
  readonly schemaSha256: string;
  /** SHA-256 of `lib/verify/schema-strict.ts`. */
  readonly transformSha256: string;
  /** `group/version/kind` of the core kinds to generate (kinds the schema does not define are skipped). */
  readonly kinds: readonly string[];
  /** CRD version schemas (`openAPIV3Schema`) to generate into the main module (the library's own CRDs). */
  readonly crdSchemas: readonly Json[];
  /**
   * CRD version schemas to generate into a file each, loaded only when an object of that kind is verified (the
   * third-party CRDs: Argo CD's Application schema alone generates over a megabyte of code).
   * @default - none
   */
  readonly separateCrdSchemas?: readonly Json[];
}

/**
 * One separately loaded validator file.
 * @internal
 */
export interface GeneratedPart {
  /** File name, beside the main module. */
  readonly file: string;
  /** The validator id it holds (`crd:<sha256>`). */
  readonly id: string;
  /** Its JavaScript source. */
  readonly code: string;
}

/**
 * The generated module's source and what it holds.
 * @internal
 */
export interface GeneratedModuleSource {
  /** The main module's JavaScript source. */
  readonly code: string;
  /** What it was generated from. */
  readonly key: GeneratedKey;
  /** Validator ids in the module and its parts. */
  readonly ids: readonly string[];
  /** The validators written to files of their own, loaded on first use. */
  readonly parts: readonly GeneratedPart[];
}

/** JavaScript source of the formats, for the generated module (their validate functions are self-contained). */
function formatsSource(): string {
  const entries = Object.entries(SCHEMA_FORMATS).map(([name, f]) => {
    if (f instanceof RegExp) return `${JSON.stringify(name)}: ${f.toString()}`;
    return `${JSON.stringify(name)}: { type: ${JSON.stringify(f.type)}, validate: ${String(f.validate)} }`;
  });
  return `{\n  ${entries.join(',\n  ')}\n}`;
}

/**
 * Subschemas whose JSON text is at least this long become definitions of their own (see `shareSubschemas`).
 * @internal
 */
export const SHARED_SUBSCHEMA_MIN_LENGTH = 400;

/** Keywords whose value is one schema, an object of schemas, or a list of schemas (where `shareSubschemas` looks). */
const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'not'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties'];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf'];

/**
 * A CRD's root schema with its larger subschemas moved into `definitions` and referenced (`$ref`), each distinct one
 * once, for code generation only. A CRD schema holds no references, so ajv generates one function for all of it: Argo
 * CD's Application was a single 1.2 MB function, compiled in full (status, operation and all) the first time an
 * Application is checked, and every copy of ApplicationSource (spec.source, spec.sources, the sync operation, the
 * status and history) was generated again. With the subschemas referenced, ajv generates one function per distinct
 * subschema, and a synth compiles only those its objects reach. The verdict is the same: a `$ref` to a copy of a
 * subschema validates exactly what the subschema did (a subschema holding an `$id` or a `#` reference, whose meaning
 * depends on where it sits, is left in place). Deterministic: the same schema gives the same definitions and names.
 * @internal
 */
export function shareSubschemas(root: Json): Json {
  const definitions: Record<string, Json> = {};
  const names = new Map<string, string>();
  // Judged on the subschema as written (its children not yet moved): long enough, and no `$id` or `#` reference.
  const movable = (text: string) => text.length >= SHARED_SUBSCHEMA_MIN_LENGTH && !text.includes('"$id"') && !text.includes('"$ref":"#');
  // Children first, so a moved subschema refers to the subschemas moved out of it.
  const share = (node: Json, top: boolean): Json => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
    const asWritten = top ? '' : JSON.stringify(node);
    const out: Json = { ...node };
    for (const k of SCHEMA_KEYWORDS) if (out[k] && typeof out[k] === 'object' && !Array.isArray(out[k])) out[k] = share(out[k], false);
    for (const k of SCHEMA_MAP_KEYWORDS) {
      if (out[k] && typeof out[k] === 'object') out[k] = Object.fromEntries(Object.entries(out[k] as object).map(([p, v]) => [p, share(v as Json, false)]));
    }
    for (const k of SCHEMA_LIST_KEYWORDS) if (Array.isArray(out[k])) out[k] = (out[k] as Json[]).map((v) => share(v, false));
    if (top || !movable(asWritten)) return out;
    const text = JSON.stringify(out);
    let name = names.get(text);
    if (!name) {
      name = `s${names.size}`;
      names.set(text, name);
      definitions[name] = out;
    }
    return { $ref: `#/definitions/${name}` };
  };
  if (!root || typeof root !== 'object' || Array.isArray(root) || 'definitions' in root || '$defs' in root) return root;
  const shared = share(root, true);
  return names.size ? { ...shared, definitions } : shared;
}

/** The index just past the string literal that starts at `start` (a quote or backtick), escapes skipped. */
function endOfString(code: string, start: number): number {
  const quote = code[start];
  let i = start + 1;
  while (i < code.length && code[i] !== quote) i += code[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * Generated code with every error object ajv builds (`{instancePath,schemaPath:"#/type",keyword:"type",params:{...}}`)
 * replaced by an empty object. A generated validator is only asked for its verdict (`SchemaValidator.validate`
 * reports a failure with ajv compiled at run time, which explains it), and the code reads no field of an error but
 * `instancePath` (which an empty object lacks, as theirs may); the counts that decide `anyOf` and `oneOf` are kept,
 * one object for one. Error objects were about 30% of the generated text. Other object literals that start with
 * `instancePath` (a function's options, the options passed to a referenced schema's function) are left alone.
 * @internal
 */
export function withoutErrorDetails(code: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let at = code.indexOf('{instancePath', from); at >= 0; at = code.indexOf('{instancePath', from)) {
    let depth = 0;
    let end = at;
    while (end < code.length) {
      const c = code[end];
      if (c === '"' || c === "'" || c === '`') {
        end = endOfString(code, end);
        continue;
      }
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
      end++;
    }
    const literal = code.slice(at, end + 1);
    const error = /^\{instancePath[,:]/.test(literal) && literal.includes(',schemaPath:') && literal.includes(',keyword:') && !literal.includes('parentData');
    parts.push(code.slice(from, at), error ? '{}' : literal);
    from = end + 1;
  }
  parts.push(code.slice(from));
  return parts.join('');
}

/**
 * Generates the validators module. Deterministic: the same sources give the same text.
 * @internal
 */
export function generateValidatorsModule(sources: ValidatorSources): GeneratedModuleSource {
  const definitions = strictDefinitions(sources.definitions);
  const gvk = gvkIndex(definitions);
  const ajv = coreAjv(definitions, { ...CHECKING_AJV_OPTIONS, code: { source: true, formats: _`OPS_KIT_FORMATS` } });
  const refs: Record<string, string> = {};
  for (const k of [...new Set(sources.kinds)].sort()) {
    const def = gvk.get(k);
    if (def) refs[coreValidatorId(def)] = `k8s-v1.28.json#/definitions/${def}`;
  }
  const crdIds = new Set<string>();
  const addCrd = (schema: Json): string | undefined => {
    if (!schema || typeof schema !== 'object') return undefined;
    const id = crdValidatorId(JSON.stringify(schema));
    if (crdIds.has(id)) return undefined;
    crdIds.add(id);
    // A relative $id, so the schema's reference to `k8s-v1.28.json#/...` (ObjectMeta) resolves to the core definitions.
    ajv.addSchema({ ...shareSubschemas(crdRootSchema(schema)), $id: `${id.replace(':', '-')}.json` });
    return id;
  };
  for (const schema of sources.crdSchemas) {
    const id = addCrd(schema);
    if (id) refs[id] = `${id.replace(':', '-')}.json`;
  }
  const separate = (sources.separateCrdSchemas ?? []).map(addCrd).filter((id): id is string => id !== undefined).sort();
  const sorted = Object.fromEntries(Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const key: GeneratedKey = {
    format: GENERATED_FORMAT, schemaSha256: sources.schemaSha256, transformSha256: sources.transformSha256, ajvVersion: ajvVersion(),
  };
  const gvkObject = Object.fromEntries([...gvk.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const header = '// Generated by bin/build.js from the shipped schemas (lib/verify/schema-codegen.ts); do not edit. See lib/verify/schema-generated.ts.';
  const body = (refsToExport: Record<string, string>) => [
    `const OPS_KIT_FORMATS = ${formatsSource()};`,
    'const validators = {};',
    '(function (exports) {',
    withoutErrorDetails(standaloneCode(ajv, refsToExport)),
    '})(validators);',
    'exports.validators = validators;',
  ];
  const parts: GeneratedPart[] = separate.map((id) => ({
    id,
    file: `validators-${id.slice(4, 20)}.js`,
    code: [header, "'use strict';", ...body({ [id]: `${id.replace(':', '-')}.json` }), ''].join('\n'),
  }));
  const code = [
    header,
    "'use strict';",
    `exports.key = ${JSON.stringify(key)};`,
    `exports.gvk = ${JSON.stringify(gvkObject)};`,
    `exports.parts = ${JSON.stringify(Object.fromEntries(parts.map((p) => [p.id, p.file])))};`,
    ...body(sorted),
    '',
  ].join('\n');
  return { code, key, ids: [...Object.keys(sorted), ...separate], parts };
}

/**
 * The key a module generated from these inputs would carry (to decide whether to regenerate).
 * @internal
 */
export function expectedKey(schemaBytes: Buffer, transformSha256: string): GeneratedKey {
  return { format: GENERATED_FORMAT, schemaSha256: sha256(schemaBytes), transformSha256, ajvVersion: ajvVersion() };
}
