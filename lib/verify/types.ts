/** A Kubernetes object as plain JSON (the shape `renderRelease` produces and `loadManifestDir` reads). */
export interface KubeObject {
  /** The object's apiVersion. */
  readonly apiVersion: string;
  /** The object's kind. */
  readonly kind: string;
  /** Name, namespace and the rest of the metadata. */
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/**
 * The families of checks. `wiring` checks the app's wiring graph (connections) against the rendered objects;
 * `network` checks a release's NetworkPolicies against the objects and the graph; `delivery` checks the generated
 * Argo CD Applications and AppProjects against the dist/ tree they deploy.
 */
export type RuleCategory = 'schema' | 'policy' | 'reference' | 'wiring' | 'network' | 'upgrade' | 'delivery';

/** A verification rule: a stable id, its family and the one-line reason it exists. */
export interface RuleInfo {
  /** The rule id. */
  readonly id: string;
  /** Its family. */
  readonly category: RuleCategory;
  /** Why the rule exists, in one line. */
  readonly rationale: string;
}

/** One finding: which object broke which rule, what is wrong and how to fix it. */
export interface Violation {
  /** `Kind/namespace/name` (`Kind/name` for cluster-scoped objects). */
  readonly object: string;
  /** Rule id (see `RULES`). */
  readonly rule: string;
  /** What is wrong, naming the field and the value. */
  readonly message: string;
  /** What to do about it. */
  readonly fix: string;
  /**
   * Dotted field path inside the object, when the finding is about one field (`spec.template.spec.containers[0].image`).
   * @default - none
   */
  readonly path?: string;
  /**
   * File the object was read from, when it was read from disk.
   * @default - none
   */
  readonly file?: string;
}

/** A policy exception an object declares with a `policy.ops-kit.io/<rule>` annotation. */
export interface HonouredException {
  /** `Kind/namespace/name` of the object. */
  readonly object: string;
  /** The rule excepted. */
  readonly rule: string;
  /** The reason it gives. */
  readonly reason: string;
  /** True when the object would break the rule without the exception; false when the exception is not needed. */
  readonly used: boolean;
}

/** An object the release references but does not render: an operator must create it before the release works. */
export interface ExternalObject {
  /** `Kind/namespace/name`. */
  readonly ref: string;
  /** The objects that reference it (`Deployment/ns/web`). */
  readonly referencedBy: readonly string[];
}

/** The outcome of verifying one set of objects (normally one release). */
export interface VerifyReport {
  /** Release (or manifest set) name, for headings. */
  readonly name: string;
  /** How many objects were verified. */
  readonly objectCount: number;
  /** Sorted by object, then rule, then path. Empty when the objects pass. */
  readonly violations: readonly Violation[];
  /** Exceptions the objects declare, with their reasons. */
  readonly exceptions: readonly HonouredException[];
  /** Objects an operator must create first. */
  readonly externals: readonly ExternalObject[];
  /** True when there are no violations. */
  readonly ok: boolean;
}

/** Where the schemas come from and which checks run. */
export interface VerifyOptions {
  /**
   * Name used in report headings.
   * @default 'manifests'
   */
  readonly name?: string;
  /**
   * Path of the Kubernetes JSON-schema definitions (a `_definitions.json`, or a `.json.gz` written by
   * `npm run vendor-schemas`).
   * @default - `$OPS_KIT_K8S_SCHEMA`, else the Kubernetes 1.28 definitions the package ships (`schemas/`)
   */
  readonly schemaPath?: string;
  /**
   * Directories whose `*.yaml` CustomResourceDefinitions give the schemas of custom resources. They are searched
   * first; the library's own CRDs (`imports/crds`) and the third-party CRDs the package ships (Argo CD
   * Application/AppProject, prometheus-operator ServiceMonitor/PodMonitor) are always searched after them.
   * @default - `$OPS_KIT_CRD_DIRS` (path-delimiter separated), else none
   */
  readonly crdDirs?: readonly string[];
  /**
   * Run the schema check (the other checks run either way).
   * @default true
   */
  readonly schema?: boolean;
  /**
   * File each object was read from (same order as the objects), for reports.
   * @default - none
   */
  readonly files?: readonly (string | undefined)[];
  /**
   * Custom resource kinds whose CRDs are installed in the target cluster though no release renders them, as
   * `Kind.group` (`ServiceMonitor.monitoring.coreos.com`); a single object can declare it with the
   * `refs.ops-kit.io/crd-installed` annotation instead.
   * @default - none
   */
  readonly installedCrds?: readonly string[];
}

/**
 * A release's NetworkPolicy mode, as verification reads it (`RenderedRelease.networkPolicy`): a default deny whose
 * policies the NetworkPolicy rules check, or off with the reason.
 */
export type NetworkPolicyMode = { readonly mode: 'default-deny' } | { readonly mode: 'off'; readonly reason: string };
