import { createHash } from 'crypto';

/**
 * JSON with object keys sorted at every level, so two structurally equal values always serialize (and hash) the same,
 * whatever order their keys were inserted in.
 * @internal
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Hex SHA-256 of a string.
 * @internal
 */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A short, lowercase, DNS-safe hash of a string (base-36 of SHA-256), `length` characters.
 * @internal
 */
export function shortHash(text: string, length = 8): string {
  const hex = sha256(text);
  // 13 hex digits fit losslessly in a double; more than enough entropy per chunk.
  let out = '';
  for (let i = 0; out.length < length && i + 13 <= hex.length; i += 13) {
    out += parseInt(hex.slice(i, i + 13), 16).toString(36);
  }
  return out.slice(0, length);
}
