import { IConstruct } from 'constructs';
import { check, ConfigError, ErrorCollector } from './errors';
import { PolicyException } from './policy';

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** Why a product image's tag must be pinned: the default reason `assertPinnedTag` gives for `latest`. */
export const LATEST_TAG_REASON = 'latest moves under running pods: two replicas can run different code, and a rollback restores nothing';

/** Options of `assertPinnedTag`. */
export interface PinnedTagOptions {
  /** A real tag shown in the error (`4.2.0`): the allowed text reads "a release tag such as <example>". */
  readonly example: string;
  /**
   * Longest tag accepted, for references that append a suffix to the tag (`<tag>-<variant>` must still fit 128).
   * @default 128
   */
  readonly maxLength?: number;
  /**
   * Why a missing or malformed tag is refused (the error's "but ..." part).
   * @default - none: the error names the prop, the value and what is allowed
   */
  readonly missingReason?: string;
  /**
   * Why `latest` is refused.
   * @default LATEST_TAG_REASON
   */
  readonly latestReason?: string;
}

/**
 * Checks a release tag every product image must pin: a valid image tag (letters, digits, '.', '_', '-', not starting
 * with '.' or '-') of at most `maxLength` characters, and never `latest`. The one check behind every product's tag prop.
 */
export function assertPinnedTag(prop: string, tag: string, options: PinnedTagOptions): string {
  const max = options.maxLength ?? 128;
  const allowed = `a release tag such as ${options.example}`;
  check(typeof tag === 'string' && TAG.test(tag) && tag.length <= max, prop, tag,
    `${allowed} (letters, digits, ".", "_", "-"; at most ${max} characters)`, options.missingReason);
  check(tag !== 'latest', prop, tag, allowed, options.latestReason ?? LATEST_TAG_REASON);
  return tag;
}

/** The registry Docker uses for references without a registry host. */
export const DOCKER_HUB = 'docker.io';

/** A parsed container image reference: `[registry[:port]/]repository[:tag][@digest]`. */
export class ImageRef {
  /**
   * Parses an image reference. The first path component is a registry when it contains '.' or ':' or is
   * `localhost` (the rule the container runtimes use); otherwise the image lives on Docker Hub.
   */
  public static parse(ref: string, prop = 'image'): ImageRef {
    const allowed = '[registry[:port]/]repository[:tag][@sha256:digest], for example ghcr.io/org/app:1.2.3';
    check(typeof ref === 'string' && ref.trim().length > 0, prop, ref, allowed, 'it is empty');
    check(!/\s/.test(ref), prop, ref, allowed, 'it contains whitespace');
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.slice(at + 1);
      rest = rest.slice(0, at);
      check(DIGEST.test(digest), prop, ref, allowed, `the digest "${digest}" is not algorithm:hex`);
    }
    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf('/');
    const colon = rest.lastIndexOf(':');
    if (colon > lastSlash) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
      check(TAG.test(tag), prop, ref, allowed, `the tag "${tag}" is not a valid tag`);
    }
    let registry: string | undefined;
    const firstSlash = rest.indexOf('/');
    if (firstSlash > 0) {
      const first = rest.slice(0, firstSlash);
      if (first.includes('.') || first.includes(':') || first === 'localhost') {
        registry = first;
        rest = rest.slice(firstSlash + 1);
        check(HOST.test(registry), prop, ref, allowed, `the registry "${registry}" is not a host[:port]`);
      }
    }
    check(rest.length > 0, prop, ref, allowed, 'the repository is empty');
    for (const part of rest.split('/')) {
      check(PATH_COMPONENT.test(part), prop, ref, allowed, `the repository component "${part}" must be lowercase alphanumerics separated by '.', '_', '__' or '-'`);
    }
    return new ImageRef(registry, rest, tag, digest);
  }

  private constructor(
    /** Registry host (with port) as written, or undefined for Docker Hub. */
    public readonly registry: string | undefined,
    /** Repository path as written (`graphistry/nginx`, `nginx`). */
    public readonly repository: string,
    /** Tag, if any. */
    public readonly tag: string | undefined,
    /** Digest (`sha256:...`), if any. */
    public readonly digest: string | undefined,
  ) {}

  /** True when the reference names an exact image: a digest, or a tag other than `latest`. */
  public get pinned(): boolean {
    return this.digest !== undefined || (this.tag !== undefined && this.tag !== 'latest');
  }

  /** The repository with Docker Hub's implicit `library/` made explicit (`nginx` -> `library/nginx`). */
  public get canonicalRepository(): string {
    return this.registry === undefined && !this.repository.includes('/') ? `library/${this.repository}` : this.repository;
  }

  /**
   * The same image served from another registry. The registry may carry a path prefix
   * (`harbor.corp:8443/dockerhub-proxy`); Docker Hub's implicit `library/` is made explicit so mirrors resolve it.
   */
  public withRegistry(registry: string): ImageRef {
    return new ImageRef(registry, this.canonicalRepository, this.tag, this.digest);
  }

  /** The reference as written back: `[registry/]repository[:tag][@digest]`. */
  public toString(): string {
    return `${this.registry ? `${this.registry}/` : ''}${this.repository}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }
}

/** Settings every image under a scope is rendered with. */
export interface ImageSettings {
  /**
   * Registry (host[:port][/path-prefix]) that replaces the registry of every image rendered under this scope,
   * init containers and third-party images included. For air-gapped clusters that pull from a mirror.
   * @default - images are pulled from the registries they name
   */
  readonly registry?: string;
  /**
   * Names of existing `kubernetes.io/dockerconfigjson` Secrets added as imagePullSecrets to every pod under this scope.
   * @default - none
   */
  readonly pullSecrets?: readonly string[];
}

/**
 * Lets an image through the pin check. The construct records the reason on its workload with
 * `policyExceptionAnnotations([unpinnedImageException(allowance)])`; the verification layer rejects an unpinned image
 * on a workload without that annotation.
 */
export interface UnpinnedImageAllowance {
  /** Why an unpinned image is acceptable here. Must not be empty. */
  readonly reason: string;
}

/** The `pinned-images` policy exception for an allowed unpinned image, for the workload's annotations. */
export function unpinnedImageException(allowance: UnpinnedImageAllowance): PolicyException {
  check(allowance.reason.trim().length > 0, 'allowUnpinned.reason', allowance.reason, 'a non-empty reason');
  return { rule: 'pinned-images', reason: allowance.reason };
}

const SETTINGS = new WeakMap<IConstruct, ImageSettings>();
const REGISTRY = /^[a-zA-Z0-9.-]+(?::[0-9]+)?(\/[a-z0-9._-]+)*$/;

/**
 * Image resolution for a construct tree. `Images.configure(release, { registry })` once at the top; every construct
 * below resolves its images through `Images.of(this).resolve(...)`, which pins and redirects in one place.
 */
export class Images {
  /** Sets the image settings for `scope` and everything below it. */
  public static configure(scope: IConstruct, settings: ImageSettings): void {
    const errors = new ErrorCollector();
    if (settings.registry !== undefined) {
      errors.check(REGISTRY.test(settings.registry), 'images.registry', settings.registry, 'host[:port][/path], without a scheme, for example registry.corp:5000/mirror');
    }
    for (const [i, s] of (settings.pullSecrets ?? []).entries()) {
      errors.check(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s), `images.pullSecrets[${i}]`, s, 'the name of an existing Secret (DNS-1123 subdomain)');
    }
    errors.throwIfAny();
    SETTINGS.set(scope, settings);
  }

  /** The image resolver for `scope`: the nearest settings up the tree, or none. */
  public static of(scope: IConstruct): Images {
    const scopes = scope.node.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      const s = SETTINGS.get(scopes[i]);
      if (s) return new Images(s);
    }
    return new Images({});
  }

  private constructor(public readonly settings: ImageSettings) {}

  /**
   * Validates and renders an image reference: rejects untagged and `:latest` images unless `allowUnpinned` carries a
   * reason, then applies the registry redirect (images already under the mirror's registry and path are left alone).
   */
  public resolve(prop: string, ref: string, allowUnpinned?: UnpinnedImageAllowance): string {
    const image = ImageRef.parse(ref, prop);
    if (!image.pinned) {
      if (!allowUnpinned) {
        throw new ConfigError(prop, ref, 'an image pinned by tag (not latest) or digest, e.g. nginx:1.27.2', 'an unpinned image changes under a running release');
      }
      check(allowUnpinned.reason.trim().length > 0, `${prop}.allowUnpinned.reason`, allowUnpinned.reason, 'a non-empty reason');
    }
    const mirror = this.settings.registry;
    // An image the operator already pointed at the mirror (an override written with the mirror's path) stays as is:
    // prefixing it again would name an image the mirror does not hold.
    if (!mirror || `${image.registry ?? ''}/${image.repository}`.startsWith(`${mirror}/`)) return image.toString();
    return image.withRegistry(mirror).toString();
  }

  /** imagePullSecrets for a pod spec, or undefined when there are none. */
  public pullSecrets(): Array<{ name: string }> | undefined {
    const secrets = this.settings.pullSecrets ?? [];
    return secrets.length ? secrets.map((name) => ({ name })) : undefined;
  }
}
