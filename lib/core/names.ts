import { check, ConfigError } from './errors';
import { shortHash } from './hash';

/** Longest Kubernetes object name that is also a DNS-1123 label (Services, most workloads, label values). */
export const MAX_DNS_LABEL = 63;
/** Longest DNS-1123 subdomain (ConfigMap, Secret, most object names). */
export const MAX_DNS_SUBDOMAIN = 253;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `name` is an RFC 1123 label: lowercase alphanumerics and '-', alphanumeric at both ends, <= 63. */
export function isDnsLabel(name: string): boolean {
  return typeof name === 'string' && name.length <= MAX_DNS_LABEL && DNS_LABEL.test(name);
}

/** True when `name` is an RFC 1123 subdomain: dot-separated labels, <= 253 characters. */
export function isDnsSubdomain(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length <= MAX_DNS_SUBDOMAIN &&
    DNS_SUBDOMAIN.test(name) &&
    name.split('.').every((l) => l.length <= MAX_DNS_LABEL)
  );
}

/**
 * Throws unless `name` is a DNS-1123 label no longer than `maxLength` (default 63). Use a smaller `maxLength` when
 * the construct appends suffixes to the name, so the longest derived name still fits.
 */
export function assertDnsLabel(prop: string, name: string, maxLength = MAX_DNS_LABEL): string {
  const allowed = `a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`;
  check(typeof name === 'string' && name.length > 0, prop, name, allowed, 'it is empty');
  check(name.length <= maxLength, prop, name, allowed, `it is ${name.length} characters long`);
  check(DNS_LABEL.test(name), prop, name, allowed);
  return name;
}

/** Throws unless `name` is a DNS-1123 subdomain (ConfigMap and Secret names, hostnames). */
export function assertDnsSubdomain(prop: string, name: string): string {
  const allowed = "a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-', at most 253 characters";
  check(typeof name === 'string' && name.length > 0, prop, name, allowed, 'it is empty');
  check(isDnsSubdomain(name), prop, name, allowed);
  return name;
}

/**
 * True when `name` is a valid container port name (IANA_SVC_NAME, as the API server checks it): at most 15 characters
 * of lowercase letters, digits and '-', at least one letter, no '-' at either end and never two in a row.
 */
export function isPortName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= 15 &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) &&
    /[a-z]/.test(name) &&
    !name.includes('--')
  );
}

/** How `deriveName` fits a name into its length limit. */
export interface DeriveNameOptions {
  /**
   * Characters to leave free for the longest suffix the caller appends later (for example `-headless` is 9).
   * @default 0
   */
  readonly reserve?: number;
  /**
   * Longest result (before the reserved suffix).
   * @default 63
   */
  readonly maxLength?: number;
}

/**
 * Length of the hash suffix `deriveName` adds when it must truncate.
 * @internal
 */
export const NAME_HASH_LENGTH = 8;

/**
 * Joins name parts with '-' into a DNS-1123 label. When the result (plus `reserve`) would exceed the limit, it is
 * truncated and a short hash of the *whole* untruncated name is appended, so two long names that share a prefix still
 * differ. Parts are lowercased and characters outside [a-z0-9-] become '-'.
 */
export function deriveName(parts: readonly string[], options: DeriveNameOptions = {}): string {
  const reserve = options.reserve ?? 0;
  const max = (options.maxLength ?? MAX_DNS_LABEL) - reserve;
  if (max < NAME_HASH_LENGTH + 2) {
    throw new ConfigError('deriveName.reserve', reserve, `at most ${(options.maxLength ?? MAX_DNS_LABEL) - NAME_HASH_LENGTH - 2}`, 'no room is left for a name');
  }
  const joined = parts
    .filter((p) => p.length > 0)
    .map((p) => p.toLowerCase().replace(/[^a-z0-9-]+/g, '-'))
    .join('-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (joined.length === 0) throw new ConfigError('deriveName.parts', parts, 'at least one non-empty part');
  if (joined.length <= max) return joined;
  const head = joined.slice(0, max - NAME_HASH_LENGTH - 1).replace(/-+$/g, '');
  return `${head}-${shortHash(joined, NAME_HASH_LENGTH)}`;
}
