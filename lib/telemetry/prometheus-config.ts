import { Duration } from 'cdk8s';
import { check, ConfigError } from '../core/errors';
import { assertLabels } from '../core/labels';
import { assertDnsLabel } from '../core/names';
import { parseHostPort } from './common';
import { assertInt, assertPort } from '../core/validate';
import { compareText } from '../core/order';
import { emitYaml12 } from '../release/yaml';

/**
 * Typed builder for `prometheus.yml` (the subset this library renders: global settings and scrape configs with
 * static targets or Kubernetes service discovery). Output is deterministic: keys in a fixed order, jobs in the order
 * they were added.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/
 */

/** A relabeling action. */
export type RelabelAction = 'replace' | 'keep' | 'drop' | 'keepequal' | 'dropequal' | 'hashmod' | 'labelmap' | 'labeldrop' | 'labelkeep' | 'lowercase' | 'uppercase';

const ACTIONS: readonly RelabelAction[] = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'];
const NEEDS_TARGET: readonly RelabelAction[] = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One relabeling step. */
export interface RelabelConfig {
  /**
   * Labels whose values are joined with `separator` and matched against `regex`. Required by every action except
   * `replace`, which without them sets `targetLabel` to `replacement` on every target (a constant label).
   * @default - none
   */
  readonly sourceLabels?: readonly string[];
  /** @default ';' */
  readonly separator?: string;
  /**
   * RE2 regular expression, anchored at both ends by Prometheus.
   * @default '(.*)'
   */
  readonly regex?: string;
  /**
   * Label written by replace-like actions (required by them).
   * @default - none
   */
  readonly targetLabel?: string;
  /**
   * Replacement with `$1`-style references to regex groups.
   * @default '$1'
   */
  readonly replacement?: string;
  /** @default 'replace' */
  readonly action?: RelabelAction;
  /**
   * Modulus for `hashmod` (required by it).
   * @default - none
   */
  readonly modulus?: number;
}

/** Targets listed literally. */
export interface StaticConfig {
  /** `host:port` targets. */
  readonly targets: readonly string[];
  /**
   * Labels added to every target of this group.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A Kubernetes object role for service discovery. */
export type KubernetesSdRole = 'pod' | 'service' | 'endpoints' | 'endpointslice' | 'node' | 'ingress';

/** Kubernetes service discovery through the API server (in-cluster credentials of the pod's ServiceAccount). */
export interface KubernetesSdConfig {
  /** What to discover (`pod`: one target per declared container port). */
  readonly role: KubernetesSdRole;
  /**
   * Namespaces to watch. Keep this to the release namespace so a namespaced Role is enough.
   * @default - all namespaces (needs cluster-wide RBAC)
   */
  readonly namespaces?: readonly string[];
  /**
   * Server-side label selector, so Prometheus only lists and watches the pods it scrapes.
   * @default - every object of the role
   */
  readonly labelSelector?: Readonly<Record<string, string>>;
}

/** One scrape job. */
export interface ScrapeConfig {
  /** Job name, unique in the file; becomes the `job` label. */
  readonly jobName: string;
  /** @default - the global scrape interval */
  readonly scrapeInterval?: Duration;
  /** @default - the global scrape timeout */
  readonly scrapeTimeout?: Duration;
  /** @default '/metrics' */
  readonly metricsPath?: string;
  /** @default 'http' */
  readonly scheme?: 'http' | 'https';
  /** @default false */
  readonly honorLabels?: boolean;
  /**
   * Fixed targets.
   * @default - none
   */
  readonly staticConfigs?: readonly StaticConfig[];
  /**
   * Kubernetes service discovery.
   * @default - none
   */
  readonly kubernetesSdConfigs?: readonly KubernetesSdConfig[];
  /**
   * Target relabeling, in order.
   * @default - none
   */
  readonly relabelConfigs?: readonly RelabelConfig[];
  /**
   * Series relabeling after the scrape, in order.
   * @default - none
   */
  readonly metricRelabelConfigs?: readonly RelabelConfig[];
}

/** Settings of the `global` block. */
export interface PrometheusGlobalConfig {
  /** @default 15s */
  readonly scrapeInterval?: Duration;
  /** @default 10s */
  readonly scrapeTimeout?: Duration;
  /** @default 15s */
  readonly evaluationInterval?: Duration;
  /**
   * Labels added to every series sent to remote storage or federation.
   * @default - none
   */
  readonly externalLabels?: Readonly<Record<string, string>>;
}

/**
 * A cdk8s Duration in Prometheus' duration syntax, using the largest unit that divides it (`15d`, `90s`, `1500ms`).
 * Prometheus rejects fractional values such as `1.5h`, so whole units are always used.
 * @internal
 */
export function promDuration(prop: string, d: Duration): string {
  const ms = d.toMilliseconds();
  check(Number.isSafeInteger(ms) && ms > 0, prop, `${ms}ms`, 'a positive whole number of milliseconds');
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [unit, size] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** RE2 syntax errors by regex (undefined: valid), so each distinct regex is compiled once per synth. */
const RE2_CHECKED = new Map<string, string | undefined>();

/**
 * Throws unless `regex` is an RE2 regular expression, the syntax Prometheus (Go's regexp) accepts. JavaScript's own
 * RegExp is more permissive: lookarounds (`(?=x)`) and backreferences pass it, and promtool rejects them. A regex
 * with no RE2 metacharacter (`9400`, `Running`) and no unpaired surrogate is a literal and always valid, and so is
 * one of the plain forms `plainRe2` reads (`([^:]+)`, `(.+:.+)`); the rest are compiled with re2js, which is loaded
 * only then.
 * @internal
 */
export function assertRe2(prop: string, regex: string): string {
  if (!RE2_CHECKED.has(regex)) {
    let error: string | undefined;
    if (/[\\.+*?()|[\]{}^$\uD800-\uDFFF]/.test(regex) && !plainRe2(regex)) {
      try {
        (require('re2js') as typeof import('re2js')).RE2JS.compile(`^(?:${regex})$`);
      } catch (e) {
        error = (e as Error).message;
      }
    }
    RE2_CHECKED.set(regex, error);
  }
  const error = RE2_CHECKED.get(regex);
  if (error !== undefined) throw new ConfigError(prop, regex, 'an RE2 regular expression (Prometheus syntax: no lookarounds or backreferences)', error);
  return regex;
}

/** Printable ASCII that is no RE2 metacharacter: a literal wherever it stands. */
const RE2_LITERAL = /[ !"#%&',\-/0-9:;<=>@A-Z_`a-z~]/;
/** The escapes a plain regex may hold: escaped punctuation (a literal) and the Perl classes. */
const RE2_ESCAPE = /[\\.+*?()|[\]{}^$\-/dDsSwW]/;

/**
 * True when `regex` is in a small subset of RE2 that is always valid, so it needs no compiling: printable ASCII
 * literals, `.`, escaped punctuation and `\d \s \w` (and their negations), classes `[...]` and `[^...]` of such
 * characters without ranges or nested brackets, groups `(...)` and `(?:...)` that are balanced and not empty,
 * alternation `|` between non-empty branches, and one `*`, `+` or `?` (optionally followed by `?`) after an atom.
 * At most 256 characters. Anything else (`{n}`, ranges, flags, named groups, anchors) answers false and is compiled:
 * false means "not known to be valid", never "invalid". test/telemetry/escaping.test.ts compiles every regex this
 * accepts, generated, with re2js.
 * @internal
 */
export function plainRe2(regex: string): boolean {
  if (regex.length === 0 || regex.length > 256) return false;
  let i = 0;
  const escape = (): boolean => {
    if (regex[i] !== '\\' || i + 1 >= regex.length || !RE2_ESCAPE.test(regex[i + 1])) return false;
    i += 2;
    return true;
  };
  const atom = (): boolean => {
    const c = regex[i];
    if (c === '.' || (c !== undefined && RE2_LITERAL.test(c))) {
      i++;
      return true;
    }
    if (c === '\\') return escape();
    if (c === '[') {
      i += regex[i + 1] === '^' ? 2 : 1;
      const first = i;
      while (i < regex.length && regex[i] !== ']') {
        if (regex[i] === '\\') {
          if (!escape()) return false;
        } else if (RE2_LITERAL.test(regex[i]) && regex[i] !== '-') i++;
        else if ('.+*?()|{}$'.includes(regex[i])) i++;
        else return false;
      }
      if (i === first || regex[i] !== ']') return false;
      i++;
      return true;
    }
    if (c === '(') {
      i += regex.startsWith('(?:', i) ? 3 : 1;
      if (regex[i] === ')' || !alternation()) return false;
      if (regex[i] !== ')') return false;
      i++;
      return true;
    }
    return false;
  };
  const repeat = (c: string | undefined) => c === '*' || c === '+' || c === '?';
  const branch = (): boolean => {
    let atoms = 0;
    while (i < regex.length && regex[i] !== '|' && regex[i] !== ')') {
      if (!atom()) return false;
      atoms++;
      if (repeat(regex[i])) {
        i++;
        if (regex[i] === '?') i++;
        if (repeat(regex[i]) || regex[i] === '{') return false;
      }
    }
    return atoms > 0;
  };
  const alternation = (): boolean => {
    if (!branch()) return false;
    while (regex[i] === '|') {
      i++;
      if (!branch()) return false;
    }
    return true;
  };
  return alternation() && i === regex.length;
}

function checkLabelName(prop: string, name: string): void {
  check(LABEL_NAME.test(name), prop, name, 'a Prometheus label name: letters, digits and _, not starting with a digit');
}

function checkRelabel(prop: string, r: RelabelConfig): Record<string, unknown> {
  const action = r.action ?? 'replace';
  check(ACTIONS.includes(action), `${prop}.action`, action, ACTIONS.join(', '));
  for (const [i, l] of (r.sourceLabels ?? []).entries()) checkLabelName(`${prop}.sourceLabels[${i}]`, l);
  if (r.regex !== undefined) {
    assertRe2(`${prop}.regex`, r.regex);
  }
  if (NEEDS_TARGET.includes(action)) {
    check(r.targetLabel !== undefined, `${prop}.targetLabel`, r.targetLabel, `a label name (required by action ${action})`);
  }
  // A target label may be a template such as `${1}`; only literal names are checked.
  if (r.targetLabel !== undefined && !r.targetLabel.includes('$')) checkLabelName(`${prop}.targetLabel`, r.targetLabel);
  if (action === 'hashmod') {
    check(r.modulus !== undefined, `${prop}.modulus`, r.modulus, 'a whole number > 0 (required by hashmod)');
    assertInt(`${prop}.modulus`, r.modulus, { min: 1, max: Number.MAX_SAFE_INTEGER });
  }
  // `replace` may omit its sources: the empty value matches the default regex and sets a constant label. The others
  // would act on an empty string, which is never what was meant.
  if (['keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'lowercase', 'uppercase'].includes(action)) {
    check((r.sourceLabels ?? []).length > 0, `${prop}.sourceLabels`, r.sourceLabels, `at least one label (required by action ${action})`);
  }
  return {
    source_labels: r.sourceLabels ? [...r.sourceLabels] : undefined,
    separator: r.separator,
    regex: r.regex,
    modulus: r.modulus,
    target_label: r.targetLabel,
    replacement: r.replacement,
    action: r.action,
  };
}

function checkStatic(prop: string, s: StaticConfig): Record<string, unknown> {
  check(s.targets.length > 0, `${prop}.targets`, s.targets, 'at least one host:port target');
  s.targets.forEach((t, i) => parseHostPort(`${prop}.targets[${i}]`, t));
  for (const k of Object.keys(s.labels ?? {})) checkLabelName(`${prop}.labels`, k);
  return { targets: [...s.targets], labels: s.labels && Object.keys(s.labels).length ? sorted(s.labels) : undefined };
}

function checkKubernetesSd(prop: string, k: KubernetesSdConfig): Record<string, unknown> {
  const roles: KubernetesSdRole[] = ['pod', 'service', 'endpoints', 'endpointslice', 'node', 'ingress'];
  check(roles.includes(k.role), `${prop}.role`, k.role, roles.join(', '));
  // The selector is one `k=v,k2=v2` string: a ',' or '!=' inside a value would silently add selector terms.
  const selector = Object.entries(assertLabels(`${prop}.labelSelector`, k.labelSelector ?? {})).sort(([a], [b]) => compareText(a, b));
  for (const n of k.namespaces ?? []) assertDnsLabel(`${prop}.namespaces`, n);
  return {
    role: k.role,
    namespaces: k.namespaces ? { names: [...k.namespaces] } : undefined,
    selectors: selector.length ? [{ role: k.role, label: selector.map(([a, b]) => `${a}=${b}`).join(',') }] : undefined,
  };
}

function sorted(m: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => compareText(a, b)));
}

/** Drops undefined values so the YAML holds only what was set. */
function compact<T>(v: T): T {
  if (Array.isArray(v)) return v.map(compact) as unknown as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as object).filter(([, x]) => x !== undefined).map(([k, x]) => [k, compact(x)])) as T;
  }
  return v;
}

/**
 * Renders and validates one scrape job (the snake_case object Prometheus reads).
 * @internal
 */
export function renderScrapeConfig(prop: string, c: ScrapeConfig): Record<string, unknown> {
  check(/^[^\s]+$/.test(c.jobName ?? ''), `${prop}.jobName`, c.jobName, 'a non-empty job name without whitespace');
  check((c.staticConfigs?.length ?? 0) + (c.kubernetesSdConfigs?.length ?? 0) > 0, `${prop}`, c.jobName, 'a job with staticConfigs or kubernetesSdConfigs', 'it has no targets');
  if (c.metricsPath !== undefined) check(c.metricsPath.startsWith('/'), `${prop}.metricsPath`, c.metricsPath, "an absolute path starting with '/'");
  const interval = c.scrapeInterval ? promDuration(`${prop}.scrapeInterval`, c.scrapeInterval) : undefined;
  const timeout = c.scrapeTimeout ? promDuration(`${prop}.scrapeTimeout`, c.scrapeTimeout) : undefined;
  if (c.scrapeInterval && c.scrapeTimeout) {
    check(c.scrapeTimeout.toMilliseconds() <= c.scrapeInterval.toMilliseconds(), `${prop}.scrapeTimeout`, timeout, `at most the scrape interval (${interval})`);
  }
  return compact({
    job_name: c.jobName,
    scrape_interval: interval,
    scrape_timeout: timeout,
    metrics_path: c.metricsPath,
    scheme: c.scheme,
    honor_labels: c.honorLabels,
    kubernetes_sd_configs: c.kubernetesSdConfigs?.map((k, i) => checkKubernetesSd(`${prop}.kubernetesSdConfigs[${i}]`, k)),
    static_configs: c.staticConfigs?.map((s, i) => checkStatic(`${prop}.staticConfigs[${i}]`, s)),
    relabel_configs: c.relabelConfigs?.map((r, i) => checkRelabel(`${prop}.relabelConfigs[${i}]`, r)),
    metric_relabel_configs: c.metricRelabelConfigs?.map((r, i) => checkRelabel(`${prop}.metricRelabelConfigs[${i}]`, r)),
  });
}

/** Options of a per-pod scrape job. */
export interface PodScrapeJobOptions {
  /** The job name. */
  readonly jobName: string;
  /** Namespace the pods live in (the release namespace). */
  readonly namespace: string;
  /** Labels the pods carry; used as the server-side selector and re-checked by a `keep` rule. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** The container port to scrape (a target per pod, not per Service). */
  readonly port: number;
  /** @default '/metrics' */
  readonly metricsPath?: string;
  /** @default - the global interval */
  readonly scrapeInterval?: Duration;
}

/**
 * A job that scrapes every matching pod directly by pod IP, found through `kubernetes_sd_configs` role pod.
 *
 * Scraping a DaemonSet through its Service VIP reaches one pod per scrape (kube-proxy load-balances), so every other
 * node's metrics silently disappear; scraping pods makes each DaemonSet pod its own target with a stable `node` label.
 */
export function podScrapeJob(o: PodScrapeJobOptions): ScrapeConfig {
  const labels = Object.entries(o.podLabels).sort(([a], [b]) => compareText(a, b));
  check(labels.length > 0, `${o.jobName}.podLabels`, o.podLabels, 'at least one label');
  assertPort(`${o.jobName}.port`, o.port);
  const metaLabel = (k: string) => `__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`;
  const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    jobName: o.jobName,
    scrapeInterval: o.scrapeInterval,
    metricsPath: o.metricsPath,
    kubernetesSdConfigs: [{ role: 'pod', namespaces: [o.namespace], labelSelector: o.podLabels }],
    relabelConfigs: [
      // The selector already filters server-side; this keeps the job correct if the selector is ever dropped.
      { sourceLabels: labels.map(([k]) => metaLabel(k)), regex: labels.map(([, v]) => escape(v)).join(';'), action: 'keep' },
      // Role pod yields one target per declared container port; keep the metrics port only.
      { sourceLabels: ['__meta_kubernetes_pod_container_port_number'], regex: String(o.port), action: 'keep' },
      { sourceLabels: ['__meta_kubernetes_pod_phase'], regex: 'Running', action: 'keep' },
      // Address from the pod IP, bracketed when it is IPv6.
      { sourceLabels: ['__meta_kubernetes_pod_ip'], regex: '([^:]+)', targetLabel: '__address__', replacement: `$1:${o.port}`, action: 'replace' },
      { sourceLabels: ['__meta_kubernetes_pod_ip'], regex: '(.+:.+)', targetLabel: '__address__', replacement: `[$1]:${o.port}`, action: 'replace' },
      { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node', action: 'replace' },
      { sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'namespace', action: 'replace' },
      { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'pod', action: 'replace' },
    ],
  };
}

/** A job with fixed `host:port` targets (an exporter managed outside the release, or Prometheus itself). */
export function staticScrapeJob(o: {
  readonly jobName: string;
  readonly targets: readonly string[];
  readonly metricsPath?: string;
  readonly scrapeInterval?: Duration;
}): ScrapeConfig {
  return { jobName: o.jobName, metricsPath: o.metricsPath, scrapeInterval: o.scrapeInterval, staticConfigs: [{ targets: o.targets }] };
}

/** The `prometheus.yml` builder. */
export class PrometheusConfig {
  private readonly jobs: ScrapeConfig[] = [];

  constructor(private readonly global: PrometheusGlobalConfig = {}) {
    const interval = global.scrapeInterval ?? Duration.seconds(15);
    const timeout = global.scrapeTimeout ?? Duration.seconds(10);
    promDuration('scrapeInterval', interval);
    promDuration('scrapeTimeout', timeout);
    check(timeout.toMilliseconds() <= interval.toMilliseconds(), 'scrapeTimeout', promDuration('scrapeTimeout', timeout), `at most the scrape interval (${promDuration('scrapeInterval', interval)})`);
    for (const k of Object.keys(global.externalLabels ?? {})) checkLabelName('externalLabels', k);
  }

  /** Adds a scrape job. Job names must be unique. */
  public addScrapeConfig(config: ScrapeConfig, prop = `scrapeConfigs[${this.jobs.length}]`): this {
    renderScrapeConfig(prop, config);
    check(!this.jobs.some((j) => j.jobName === config.jobName), `${prop}.jobName`, config.jobName, 'a job name not used by another job', 'Prometheus rejects duplicate job names');
    this.jobs.push(config);
    return this;
  }

  /** Job names in order. */
  public get jobNames(): string[] {
    return this.jobs.map((j) => j.jobName);
  }

  /** The configuration as the plain object Prometheus reads. */
  public toJson(): Record<string, unknown> {
    const g = this.global;
    return compact({
      global: {
        scrape_interval: promDuration('scrapeInterval', g.scrapeInterval ?? Duration.seconds(15)),
        scrape_timeout: promDuration('scrapeTimeout', g.scrapeTimeout ?? Duration.seconds(10)),
        evaluation_interval: promDuration('evaluationInterval', g.evaluationInterval ?? Duration.seconds(15)),
        external_labels: g.externalLabels && Object.keys(g.externalLabels).length ? sorted(g.externalLabels) : undefined,
      },
      scrape_configs: this.jobs.map((j, i) => renderScrapeConfig(`scrapeConfigs[${i}]`, j)),
    });
  }

  /** The configuration as `prometheus.yml` text. */
  public toYaml(): string {
    // As the yaml library writes it (YAML 1.2, no line width), without loading it; quoted where go-yaml would misread.
    return emitYaml12(this.toJson());
  }
}
