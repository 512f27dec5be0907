/**
 * Validators generated at build time (`npm run build`, `npm ci` through `prepare`) from the shipped schemas with ajv's
 * standalone code, so a synth does not compile the Kubernetes schema on every run and never parses the 1 MB JSON when
 * every object is valid.
 *
 * The generated module records what it was made from, and is used only when all of it matches:
 *   - the SHA-256 of the schema file's bytes (a regenerated or overridden schema makes it stale);
 *   - the SHA-256 of `lib/verify/schema-strict.ts`, the rules that turn the schema strict (checked in a checkout, where
 *     that source exists; an installed package ships the library and its validators from one build);
 *   - the ajv version whose runtime helpers the code calls.
 * Anything else (a stale or missing module, a kind it does not hold) falls back to compiling with ajv at run time,
 * which gives the same verdict, only slower.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from './schema-source';

/**
 * Where the build writes the generated validators, relative to the package root (shipped in the npm package).
 * @internal
 */
export const GENERATED_VALIDATORS = 'build/lib/verify/generated/validators.js';
/**
 * The source of the strictness rules, relative to the package root; its hash is part of the key.
 * @internal
 */
export const SCHEMA_TRANSFORM_SOURCE = 'lib/verify/schema-strict.ts';
/**
 * Bumped when the layout of the generated module changes.
 * @internal
 */
export const GENERATED_FORMAT = 1;

/**
 * What a generated module was made from.
 * @internal
 */
export interface GeneratedKey {
  /** The module layout (GENERATED_FORMAT when it was written). */
  readonly format: number;
  /** SHA-256 of the Kubernetes schema file's bytes. */
  readonly schemaSha256: string;
  /** SHA-256 of `lib/verify/schema-strict.ts`. */
  readonly transformSha256: string;
  /** The ajv version that generated the code. */
  readonly ajvVersion: string;
}

/**
 * A validator that only answers valid or not (the reporting validator explains a `false`).
 * @internal
 */
export type CheckFunction = (data: unknown) => boolean;

/**
 * The generated module, as written.
 * @internal
 */
export interface GeneratedModule {
  /** What it was generated from. */
  readonly key: GeneratedKey;
  /** Every `group/version/kind` of the schema to its definition name (all kinds, generated or not). */
  readonly gvk: Readonly<Record<string, string>>;
  /** `core:<definition>` and `crd:<SHA-256 of the CRD version schema's JSON text>` to its check. */
  readonly validators: Readonly<Record<string, CheckFunction>>;
  /** Validators in files of their own (loaded on first use), by id: the file name beside the module. */
  readonly parts: Readonly<Record<string, string>>;
}

/**
 * The generated validators in use.
 * @internal
 */
export interface GeneratedValidators {
  /** What they were generated from. */
  readonly key: GeneratedKey;
  /** Every `group/version/kind` of the schema to its definition name (all kinds, generated or not). */
  readonly gvk: Readonly<Record<string, string>>;
  /** The check with this id (`core:<definition>`, `crd:<sha256>`), loading its file if it has one; undefined if none. */
  check(id: string): CheckFunction | undefined;
}

/**
 * The key of a core kind's validator.
 * @internal
 */
export function coreValidatorId(definition: string): string {
  return `core:${definition}`;
}

/**
 * The key of a CRD version schema's validator: the SHA-256 of `JSON.stringify(schema)`.
 * @internal
 */
export function crdValidatorId(schemaText: string): string {
  return `crd:${sha256(schemaText)}`;
}

/**
 * The SHA-256 of a string (as UTF-8) or of bytes, in hex.
 * @internal
 */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The transform's hash from its source, or undefined when the source is not there (an installed package).
 * @internal
 */
export function transformSha256(root: string = packageRoot()): string | undefined {
  try {
    return sha256(fs.readFileSync(path.join(root, SCHEMA_TRANSFORM_SOURCE)));
  } catch {
    return undefined;
  }
}

/**
 * The installed ajv's version.
 * @internal
 */
export function ajvVersion(): string {
  return (require('ajv/package.json') as { version: string }).version;
}

/**
 * Why a generated module made from `key` does not fit the current inputs, or undefined when it does.
 * @internal
 */
export function staleReason(
  key: GeneratedKey | undefined,
  current: { schemaSha256: string; transformSha256?: string; ajvVersion: string },
): string | undefined {
  if (!key || key.format !== GENERATED_FORMAT) return 'it was written by another version of the generator';
  if (key.schemaSha256 !== current.schemaSha256) return `it was generated from another schema (SHA-256 ${key.schemaSha256.slice(0, 12)}, the schema in use is ${current.schemaSha256.slice(0, 12)})`;
  if (current.transformSha256 !== undefined && key.transformSha256 !== current.transformSha256) return `${SCHEMA_TRANSFORM_SOURCE} changed since it was generated`;
  if (key.ajvVersion !== current.ajvVersion) return `it was generated by ajv ${key.ajvVersion}, and ajv ${current.ajvVersion} is installed`;
  return undefined;
}

/**
 * Set by the synth bundle (bin/build.js): the generated module compiled into the bundle, so its code shares the bundle's
 * code cache. Elsewhere (tests, the npm package) the module is read from `GENERATED_VALIDATORS`.
 */
declare const OPS_KIT_BUNDLED_VALIDATORS: (() => GeneratedModule) | undefined;
/** Set by the synth bundle beside it: the modules of the separately loaded parts, by file name, evaluated on first use. */
declare const OPS_KIT_BUNDLED_VALIDATOR_PARTS: Readonly<Record<string, () => GeneratedModule>> | undefined;

/**
 * The outcome of looking for generated validators: the module, or why there is none that fits.
 * @internal
 */
export type GeneratedLookup =
  | { readonly validators: GeneratedValidators; readonly reason?: undefined }
  | { readonly validators?: undefined; readonly reason: string };

/**
 * The generated validators for a schema file with SHA-256 `schemaSha256`, when a module that fits exists; otherwise
 * why not. `file` overrides where the module is read from (tests).
 * @internal
 */
export function loadGeneratedValidators(schemaSha256: string, file?: string): GeneratedLookup {
  let mod: GeneratedModule;
  const where = file ?? path.join(packageRoot(), GENERATED_VALIDATORS);
  try {
    if (file === undefined && typeof OPS_KIT_BUNDLED_VALIDATORS === 'function') mod = OPS_KIT_BUNDLED_VALIDATORS();
    else mod = require(where) as GeneratedModule;
  } catch (e) {
    return { reason: `no generated validators at ${where} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); npm run build writes them` };
  }
  const reason = staleReason(mod.key, { schemaSha256, transformSha256: transformSha256(), ajvVersion: ajvVersion() });
  if (reason) return { reason: `the generated validators are not used: ${reason}` };
  const dir = path.dirname(where);
  const loaded = new Map<string, CheckFunction | undefined>();
  return {
    validators: {
      key: mod.key,
      gvk: mod.gvk,
      check(id: string): CheckFunction | undefined {
        const direct = mod.validators[id];
        if (direct) return direct;
        const part = mod.parts?.[id];
        if (!part) return undefined;
        if (!loaded.has(id)) {
          try {
            const bundled = file === undefined && typeof OPS_KIT_BUNDLED_VALIDATOR_PARTS === 'object' ? OPS_KIT_BUNDLED_VALIDATOR_PARTS[part] : undefined;
            loaded.set(id, (bundled ? bundled() : (require(path.join(dir, part)) as GeneratedModule)).validators[id]);
          } catch {
            loaded.set(id, undefined);
          }
        }
        return loaded.get(id);
      },
    },
  };
}
