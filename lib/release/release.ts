import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { ClusterDomain, DEFAULT_CLUSTER_DOMAIN } from '../core/endpoint';
import { check, ConfigError, ErrorCollector } from '../core/errors';
import { GlobalPlacementProps, Placement } from '../core/placement';
import { ImageSettings, Images } from '../core/images';
import { assertDnsLabel } from '../core/names';
import { nodePortCollisions } from './node-ports';
import { userProp } from '../core/props';

/** Props of Release. */
export interface ReleaseProps {
  /**
   * Release name: the dist/ folder Argo CD deploys as one Application, and `app.kubernetes.io/instance`.
   * @default - the construct id
   */
  readonly name?: string;
  /** Namespace every namespaced object of the release lives in. */
  readonly namespace: string;
  /**
   * Registry redirect and pull secrets for every image rendered in the release.
   * @default - images pulled from the registries they name, no pull secrets
   */
  readonly images?: ImageSettings;
  /**
   * Release-wide nodeSelector, tolerations and affinity.
   * @default - no constraints
   */
  readonly placement?: GlobalPlacementProps;
  /**
   * The cluster's DNS domain, which every Service FQDN below the release ends in.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Render the Namespace object too (otherwise the GitOps tool or an operator creates it).
   * @default false
   */
  readonly createNamespace?: boolean;
}

const RELEASE_SYMBOL = Symbol.for('cdk8s-ops-kit.Release');

/**
 * The error for a construct created outside any Release: it names the construct, where it was created and the fix.
 * The library's constructs take their namespace, release name, image mirror, pull secrets and placement from the
 * enclosing Release, and a plain cdk8s Chart has none of them (there are no hidden defaults for them).
 */
function notInRelease(scope: IConstruct): ConfigError {
  const kind = scope.constructor?.name || 'construct';
  const chart = scope.node.scopes.slice(0, -1).reverse().find((s) => Chart.isChart(s));
  const where = chart ? `it is created in the cdk8s Chart ${JSON.stringify(chart.node.path)}, which is not a Release` : 'it is not inside any chart';
  const id = JSON.stringify(scope.node.id || 'Id');
  return new ConfigError(
    'scope',
    scope.node.path,
    `a Release, or a construct inside one: const release = new Release(app, 'my-release', { namespace: 'my-namespace' }); new ${kind}(release, ${id.replace(/"/g, "'")}, ...)`,
    `${kind} ${JSON.stringify(scope.node.path)} is outside any Release (${where}); the library's constructs take their namespace, release name, image mirror and placement from the enclosing Release`,
  );
}

/**
 * One deployable unit: a chart whose objects land in `dist/<name>/` and that Argo CD applies as one Application.
 * It carries the release-wide image and placement settings every construct below it resolves against, and collects
 * operator notes and synth warnings. Every construct of this library must be created inside a Release.
 */
export class Release extends Chart {
  /** True for a Release (also one made by another copy of this library). */
  public static isRelease(x: unknown): x is Release {
    return x !== null && typeof x === 'object' && RELEASE_SYMBOL in x;
  }

  /**
   * `instanceof Release` is true for releases only. (cdk8s's Chart answers `instanceof` by duck typing, and a subclass
   * inherits that: without this every plain Chart would pass for a Release.)
   */
  public static [Symbol.hasInstance](x: unknown): x is Release {
    return Release.isRelease(x);
  }

  /** The release a construct belongs to, or undefined outside any Release. */
  public static tryOf(scope: IConstruct): Release | undefined {
    return scope.node.scopes.slice().reverse().find((s): s is Release => Release.isRelease(s));
  }

  /** The release a construct belongs to; throws, naming the construct and the fix, when it is outside any Release. */
  public static of(scope: IConstruct): Release {
    const found = Release.tryOf(scope);
    if (!found) throw notInRelease(scope);
    return found;
  }

  /** The release name (dist folder, instance label). */
  public readonly releaseName: string;
  /** The release namespace. */
  public readonly releaseNamespace: string;
  private readonly _notes: string[] = [];
  private readonly _warnings: Array<{ readonly message: string; readonly fix?: WarningFix }> = [];

  constructor(scope: Construct, id: string, props: ReleaseProps) {
    const name = props.name ?? id;
    // Every prop check runs before the chart is built, and all their errors are reported together.
    const errors = new ErrorCollector();
    errors.attempt(() => assertDnsLabel('release.name', name));
    errors.attempt(() => assertDnsLabel('release.namespace', props.namespace));
    super(scope, id, { namespace: props.namespace, disableResourceNameHashes: true });
    Object.defineProperty(this, RELEASE_SYMBOL, { value: true });
    this.releaseName = name;
    this.releaseNamespace = props.namespace;
    errors.attempt(() => Images.configure(this, props.images ?? {}));
    errors.attempt(() => Placement.configure(this, props.placement ?? {}));
    errors.attempt(() => ClusterDomain.configure(this, props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN, 'release.clusterDomain'));
    errors.throwIfAny();
    this.node.addValidation({ validate: () => nodePortCollisions(this) });
    if (props.createNamespace) {
      new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: props.namespace } });
    }
  }

  /** Adds a paragraph to the operator notes (printed at synth, written outside the release folder). */
  public addNote(text: string): void {
    check(text.trim().length > 0, 'note', text, 'non-empty text');
    this._notes.push(text.trim());
  }

  /**
   * Adds a warning: printed at synth and listed at the top of the notes. It does not fail the synth. When a prop
   * change silences it, pass it as `fix`: the warning then names that prop as the user wrote it (in the props of the
   * construct they created, see `forwardProps`) and a value that compiles.
   */
  public addWarning(text: string, fix?: WarningFix): void {
    check(text.trim().length > 0, 'warning', text, 'non-empty text');
    const message = text.trim();
    if (!this._warnings.some((w) => w.message === message && w.fix?.prop === fix?.prop && w.fix?.scope === fix?.scope))
      this._warnings.push({ message, fix });
  }

  /** The operator notes, in the order they were added. */
  public get notes(): readonly string[] {
    return [...this._notes];
  }

  /** The warnings as printed: each with its fix, in the user's prop names. */
  public get warnings(): readonly string[] {
    return this.warningDetails.map((w) => w.text);
  }

  /** The warnings with their fixes resolved to the construct the user created and the prop path they wrote. */
  public get warningDetails(): readonly SynthWarning[] {
    return this._warnings.map(({ message, fix }) => {
      if (!fix) return { message, text: message };
      const { construct, prop } = userProp(fix.scope, fix.prop);
      const resolved = { construct: construct.constructor.name, path: construct.node.path, prop, value: fix.value };
      return { message, text: `${message} Fix: in the props of ${resolved.construct} ${JSON.stringify(resolved.path)}, set ${prop}: ${fix.value}.`, fix: resolved };
    });
  }
}

/** A prop change that silences a warning. */
export interface WarningFix {
  /** The construct whose props hold `prop` (normally the one adding the warning). */
  readonly scope: IConstruct;
  /** The prop, as a path in `scope`'s props (`stickyCookie.secret`). */
  readonly prop: string;
  /**
   * A value that fixes it, as a TypeScript expression over names the package or cdk8s exports
   * (`CaddyCookieSecret.fromSecret('caddy-cookie', 'cookie-secret')`); a test compiles every one.
   */
  readonly value: string;
}

/** A warning as a release reports it. */
export interface SynthWarning {
  /** What is wrong and why it matters. */
  readonly message: string;
  /** The message followed by the fix, as printed and written to NOTES.txt. */
  readonly text: string;
  /**
   * The fix, in the props of the construct the user created.
   * @default - none (no prop change silences the warning)
   */
  readonly fix?: {
    /** Class of the construct the user created (`GraphistryStack`). */
    readonly construct: string;
    /** Its construct path. */
    readonly path: string;
    /** The prop path in its props (`caddy.cookieSecret`). */
    readonly prop: string;
    readonly value: string;
  };
}
