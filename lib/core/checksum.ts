import { sha256, stableStringify } from './hash';

/** The pod-template annotation holding the hash of the config a pod mounts (the seed's `checksum/config`). */
export const CONFIG_CHECKSUM_ANNOTATION = 'checksum/config';

/**
 * Hash of the config files a pod mounts. Put it on the pod template so any config change changes the template and
 * rolls the pods; without it a ConfigMap-only change leaves running processes on stale parsed config.
 * Strings hash as written; objects hash by their key-sorted JSON, so key order never causes a spurious roll.
 */
export function configChecksum(...configs: ReadonlyArray<string | object>): string {
  return sha256(configs.map((c) => (typeof c === 'string' ? c : stableStringify(c))).join('\u0000'));
}

/** `{ 'checksum/config': <hash> }`, ready to spread into pod-template annotations. */
export function checksumAnnotations(...configs: ReadonlyArray<string | object>): Record<string, string> {
  return { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(...configs) };
}
