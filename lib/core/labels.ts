import { check } from './errors';
import { assertDnsSubdomain } from './names';

/** Who renders our objects; the value of `app.kubernetes.io/managed-by`. */
export const MANAGED_BY = 'cdk8s-ops-kit';

/** Label keys that change on upgrade and therefore must never appear in a selector (selectors are immutable). */
export const UNSTABLE_SELECTOR_KEYS: readonly string[] = [
  'app.kubernetes.io/version',
  'app.kubernetes.io/managed-by',
  'helm.sh/chart',
  'pod-template-hash',
  'controller-revision-hash',
];

/** The stable identity of a workload: everything a selector may use. */
export interface WorkloadIdentity {
  /** `app.kubernetes.io/name`: the software (`caddy`, `engine`). */
  readonly name: string;
  /** `app.kubernetes.io/instance`: the release (`graphistry-viz`). */
  readonly instance: string;
  /**
   * `app.kubernetes.io/component`: the role inside the release (`ingress`, `gpu-engine`).
   * @default - no component label
   */
  readonly component?: string;
}

/** The full label set of an object: the stable identity plus part-of and version. */
export interface StandardLabelOptions extends WorkloadIdentity {
  /**
   * `app.kubernetes.io/part-of`: the larger application (`graphistry`).
   * @default - no part-of label
   */
  readonly partOf?: string;
  /**
   * `app.kubernetes.io/version`: the version of the software. Goes on metadata, never into selectors.
   * @default - no version label
   */
  readonly version?: string;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Throws unless `value` is a valid label value (<= 63, alphanumeric ends, '-', '_', '.' inside). */
export function assertLabelValue(prop: string, value: string): string {
  const allowed = "a label value: at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  check(typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value), prop, value, allowed);
  return value;
}

/** Throws unless `key` is a valid label or annotation key (`[prefix/]name`). */
export function assertLabelKey(prop: string, key: string): string {
  const allowed = "a label key: an optional DNS subdomain prefix and '/', then at most 63 characters of letters, digits, '-', '_' and '.'";
  check(typeof key === 'string' && key.length > 0, prop, key, allowed, 'it is empty');
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0) assertDnsSubdomain(prop, key.slice(0, slash));
  check(name.length <= 63 && LABEL_NAME.test(name), prop, key, allowed);
  return key;
}

/** Validates every key and value of a label map (node selectors, extra labels). */
export function assertLabels(prop: string, labels: Readonly<Record<string, string>>): Record<string, string> {
  for (const [k, v] of Object.entries(labels)) {
    assertLabelKey(`${prop}`, k);
    assertLabelValue(`${prop}.${k}`, v);
  }
  return { ...labels };
}

/**
 * The labels that select a workload's pods: name, instance and (when set) component. Never the version or anything
 * else that changes on upgrade, because a workload's selector is immutable and a changed one fails the apply.
 */
export function selectorLabels(identity: WorkloadIdentity): Record<string, string> {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': assertLabelValue('name', identity.name),
    'app.kubernetes.io/instance': assertLabelValue('instance', identity.instance),
  };
  if (identity.component) labels['app.kubernetes.io/component'] = assertLabelValue('component', identity.component);
  return labels;
}

/** The full `app.kubernetes.io` label set for object metadata and pod templates (a superset of the selector). */
export function standardLabels(options: StandardLabelOptions): Record<string, string> {
  const labels = selectorLabels(options);
  if (options.partOf) labels['app.kubernetes.io/part-of'] = assertLabelValue('partOf', options.partOf);
  if (options.version) labels['app.kubernetes.io/version'] = assertLabelValue('version', options.version);
  labels['app.kubernetes.io/managed-by'] = MANAGED_BY;
  return labels;
}

/** Throws when a selector contains a key that changes on upgrade (see UNSTABLE_SELECTOR_KEYS). */
export function assertStableSelector(prop: string, selector: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(selector)) {
    check(
      !UNSTABLE_SELECTOR_KEYS.includes(key),
      `${prop}.${key}`,
      selector[key],
      `selector keys other than ${UNSTABLE_SELECTOR_KEYS.join(', ')}`,
      'this label changes on upgrade and a workload selector is immutable',
    );
  }
}

/**
 * True when every key/value of `selector` is among `labels` (an empty selector matches nothing here).
 * @internal
 */
export function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  return everyLabelIn(selector ?? {}, labels, false);
}

/**
 * True when every own enumerable key/value of `selector` is among `labels`; an empty selector gives `empty`. A loop
 * instead of `Object.entries(...).every(([k, v]) => ...)`: verification runs in V8's interpreter (`--no-opt`), where
 * that allocates an array per entry and destructures each through the iterator protocol.
 * @internal
 */
export function everyLabelIn(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>, empty: boolean): boolean {
  const keys = Object.keys(selector);
  if (keys.length === 0) return empty;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (labels[k] !== selector[k]) return false;
  }
  return true;
}
