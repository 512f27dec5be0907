import { Duration } from 'cdk8s';
import { check, ConfigError } from '../core/errors';
import { isDnsSubdomain } from '../core/names';
import { assertWildcardHost, ipFamily, parseCidr } from '../core/validate';

/**
 * Where TLS terminates in front of (or in) Caddy.
 *
 * Trust boundary of `ingress` and `external`: Caddy believes the `X-Forwarded-For`, `-Proto` and `-Host` headers of
 * any peer in `trustedProxies`, which defaults to `private_ranges` (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
 * 127.0.0.0/8, fd00::/8, ::1). That covers the Ingress controller or load balancer, but also every other pod in the
 * cluster: a pod that calls Caddy's Service directly can set the client IP that lands in the access log and is
 * forwarded upstream, and can claim HTTPS. Narrow it with the `trustedProxies` option of `CaddyTls.ingress()` /
 * `CaddyTls.external()` to the addresses the real proxy connects from (the ingress controller's pod CIDR, the load
 * balancer's subnet).
 */
export enum CaddyTlsMode {
  /**
   * Caddy serves plain HTTP (Service port 80, container port 8080) behind a cluster Ingress controller that owns TLS.
   * Trusts `X-Forwarded-*` from private ranges unless `trustedProxies` narrows it.
   */
  INGRESS = 'ingress',
  /**
   * Caddy serves plain HTTP behind an external terminator (cloud or hardware load balancer). Trusts `X-Forwarded-*`
   * from private ranges unless `trustedProxies` narrows it.
   */
  EXTERNAL = 'external',
  /** Caddy terminates TLS itself (static certificate from a Secret, or ACME). */
  SELF = 'self',
  /** Plain HTTP end to end (development, port-forward). */
  OFF = 'off',
}

/** Options for the Strict-Transport-Security header. */
export interface CaddyHstsOptions {
  /**
   * How long browsers remember to use HTTPS only.
   * @default Duration.days(365)
   */
  readonly maxAge?: Duration;
  /**
   * Extend the policy to every subdomain. Only when every subdomain serves HTTPS.
   * @default false
   */
  readonly includeSubDomains?: boolean;
  /**
   * Ask for inclusion in browsers' preload lists (needs includeSubDomains and a max-age of at least a year).
   * @default false
   */
  readonly preload?: boolean;
}

/**
 * The HTTP Strict-Transport-Security header Caddy sends. Browsers that see it refuse plain HTTP to the host for
 * `maxAge`, so only enable it when the external URL really is HTTPS.
 * @see https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Strict-Transport-Security
 */
export class CaddyHsts {
  /** Send the header. */
  public static enabled(options: CaddyHstsOptions = {}): CaddyHsts {
    const maxAge = (options.maxAge ?? Duration.days(365)).toSeconds();
    check(Number.isSafeInteger(maxAge) && maxAge > 0, 'tls.hsts.maxAge', `${maxAge}s`, 'a whole number of seconds > 0');
    if (options.preload) {
      check(options.includeSubDomains === true, 'tls.hsts.preload', true, 'preload only together with includeSubDomains: true', 'preload lists require includeSubDomains');
      check(maxAge >= 31536000, 'tls.hsts.maxAge', `${maxAge}s`, 'at least 31536000s (one year) with preload');
    }
    const parts = [`max-age=${maxAge}`];
    if (options.includeSubDomains) parts.push('includeSubDomains');
    if (options.preload) parts.push('preload');
    return new CaddyHsts(parts.join('; '));
  }

  /** Do not send the header. */
  public static disabled(): CaddyHsts {
    return new CaddyHsts(undefined);
  }

  private constructor(
    /** The header value, or undefined when disabled. */
    public readonly headerValue: string | undefined,
  ) {}
}

/** Options for `CaddyTls.ingress()`. */
export interface CaddyIngressTlsOptions {
  /**
   * Peers whose `X-Forwarded-*` headers Caddy trusts: `private_ranges` or CIDRs. The default trusts every private
   * address, so any pod in the cluster that reaches Caddy's Service directly can spoof the client IP Caddy logs and
   * forwards; list the ingress controller's addresses (its pods' CIDR) to narrow it.
   * @default ['private_ranges']
   */
  readonly trustedProxies?: readonly string[];
  /**
   * HSTS. The cluster Ingress usually owns this.
   * @default - enabled when the Ingress has TLS entries (the external URL is HTTPS), otherwise disabled
   */
  readonly hsts?: CaddyHsts;
}

/** Options for `CaddyTls.external()`. */
export interface CaddyExternalTlsOptions {
  /**
   * Proxies whose `X-Forwarded-*` headers Caddy trusts: `private_ranges` or CIDRs. Trusting the terminator's
   * `X-Forwarded-Proto: https` is what keeps the sticky cookie `Secure; SameSite=None` (Caddy >= 2.8). The default
   * trusts every private address, so any pod in the cluster that reaches Caddy's Service directly can spoof the client
   * IP Caddy logs and forwards; list the load balancer's addresses (its subnet) to narrow it.
   * @default ['private_ranges']
   */
  readonly trustedProxies?: readonly string[];
  /**
   * HSTS.
   * @default CaddyHsts.enabled()
   */
  readonly hsts?: CaddyHsts;
}

/** Options for `CaddyTls.self()`. */
export interface CaddySelfTlsOptions {
  /** Host names Caddy serves (site addresses); a plain-HTTP request for them is redirected to HTTPS. */
  readonly domains: readonly string[];
  /**
   * Name of an existing `kubernetes.io/tls` Secret (keys `tls.crt`, `tls.key`) with the certificate for `domains`.
   * When set, Caddy uses it and never asks an ACME CA.
   * @default - ACME (needs `acmeEmail`)
   */
  readonly certificateSecret?: string;
  /**
   * Contact email for the ACME account. Rendered only when no `certificateSecret` is set.
   * @default - none; required when `certificateSecret` is not set
   */
  readonly acmeEmail?: string;
  /**
   * Name of an existing PersistentVolumeClaim for Caddy's data directory, so ACME certificates and account keys
   * survive pod restarts (without it, every new pod orders new certificates and can hit CA rate limits).
   * Only with ACME.
   * @default - an emptyDir (certificates are re-issued on every restart)
   */
  readonly acmeStorageClaim?: string;
  /**
   * HSTS.
   * @default CaddyHsts.enabled()
   */
  readonly hsts?: CaddyHsts;
}

function trustedProxies(given: readonly string[] | undefined): string[] {
  const proxies = given ?? ['private_ranges'];
  check(proxies.length > 0, 'tls.trustedProxies', proxies, "at least one entry ('private_ranges' or a CIDR)");
  proxies.forEach((p, i) => {
    check(p === 'private_ranges' || ipFamily(p) !== undefined || parseCidr(p) !== undefined, `tls.trustedProxies[${i}]`, p, "'private_ranges', an IP address or an IP range in CIDR form such as 10.0.0.0/8");
  });
  return [...proxies];
}

const EMAIL = /^[^\s@"{}\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/**
 * How Caddy's site is exposed: the four TLS modes as factories, so an illegal combination (a static certificate in
 * `off` mode, ACME without domains) cannot be written. Only `self` listens for HTTPS (and only then does the
 * container and the Service carry an https port).
 *
 * Ports: Caddy runs as non-root, so inside the container it listens on unprivileged ports (`httpPort`, default 8080;
 * `httpsPort`, default 8443 in self mode). The Service publishes them as 80 and 443 (targeting the named container
 * ports `http` and `https`), and the Ingress backend points at the Service's `http` port: "Caddy on :80" means the
 * Service port.
 */
export class CaddyTls {
  /**
   * Caddy on plain HTTP behind a cluster Ingress (the default). Trusts `X-Forwarded-*` from `trustedProxies` (every
   * private address unless narrowed; see CaddyTlsMode for what that lets in-cluster pods spoof).
   */
  public static ingress(options: CaddyIngressTlsOptions = {}): CaddyTls {
    return new CaddyTls(CaddyTlsMode.INGRESS, { trustedProxies: trustedProxies(options.trustedProxies), hsts: options.hsts });
  }

  /**
   * Caddy on plain HTTP behind an external TLS terminator. Trusts `X-Forwarded-Proto` from `trustedProxies` so the
   * sticky cookie stays Secure, and sends HSTS (the external URL is HTTPS). `trustedProxies` defaults to every private
   * address (see CaddyTlsMode for what that lets in-cluster pods spoof).
   */
  public static external(options: CaddyExternalTlsOptions = {}): CaddyTls {
    return new CaddyTls(CaddyTlsMode.EXTERNAL, { trustedProxies: trustedProxies(options.trustedProxies), hsts: options.hsts ?? CaddyHsts.enabled() });
  }

  /** Caddy terminates TLS with a certificate from an existing Secret, or from ACME. */
  public static self(options: CaddySelfTlsOptions): CaddyTls {
    check(options.domains.length > 0, 'tls.domains', options.domains, 'at least one host name', 'Caddy needs the names it serves to pick the certificate and redirect HTTP to HTTPS');
    const seen = new Set<string>();
    options.domains.forEach((d, i) => {
      assertWildcardHost(`tls.domains[${i}]`, d);
      check(!seen.has(d), `tls.domains[${i}]`, d, 'each domain once');
      seen.add(d);
      if (d.startsWith('*.') && options.certificateSecret === undefined) {
        throw new ConfigError(`tls.domains[${i}]`, d, 'a wildcard only with certificateSecret', 'ACME issues wildcard certificates only through the DNS challenge, which this construct does not configure');
      }
    });
    if (options.certificateSecret !== undefined) {
      check(isDnsSubdomain(options.certificateSecret), 'tls.certificateSecret', options.certificateSecret, 'the name of an existing kubernetes.io/tls Secret');
      if (options.acmeStorageClaim !== undefined) {
        throw new ConfigError('tls.acmeStorageClaim', options.acmeStorageClaim, 'only with ACME (no certificateSecret)', 'a static certificate needs no ACME storage');
      }
    } else {
      if (options.acmeEmail === undefined) {
        throw new ConfigError('tls.acmeEmail', undefined, 'an email address for the ACME account, or a certificateSecret', 'self mode needs a certificate source');
      }
    }
    if (options.acmeEmail !== undefined) check(EMAIL.test(options.acmeEmail), 'tls.acmeEmail', options.acmeEmail, 'an email address such as ops@example.com');
    if (options.acmeStorageClaim !== undefined) check(isDnsSubdomain(options.acmeStorageClaim), 'tls.acmeStorageClaim', options.acmeStorageClaim, 'the name of an existing PersistentVolumeClaim');
    return new CaddyTls(CaddyTlsMode.SELF, {
      domains: [...options.domains],
      certificateSecret: options.certificateSecret,
      // The email only matters to ACME; with a static certificate it would be dead config.
      acmeEmail: options.certificateSecret === undefined ? options.acmeEmail : undefined,
      acmeStorageClaim: options.acmeStorageClaim,
      hsts: options.hsts ?? CaddyHsts.enabled(),
    });
  }

  /** Plain HTTP, no TLS anywhere, no HSTS, no trusted proxies. */
  public static off(): CaddyTls {
    return new CaddyTls(CaddyTlsMode.OFF, {});
  }

  /** Proxies whose forwarded headers are trusted (ingress and external modes). */
  public readonly trustedProxies: readonly string[];
  /** Self mode: the site's host names. */
  public readonly domains: readonly string[];
  /** Self mode: the static certificate's Secret. */
  public readonly certificateSecret?: string;
  /** Self mode with ACME: the account email (undefined with a static certificate). */
  public readonly acmeEmail?: string;
  /** Self mode with ACME: the PVC for Caddy's data directory. */
  public readonly acmeStorageClaim?: string;
  /** The HSTS choice made explicitly, if any. */
  public readonly hsts?: CaddyHsts;

  private constructor(
    public readonly mode: CaddyTlsMode,
    o: {
      trustedProxies?: string[];
      domains?: string[];
      certificateSecret?: string;
      acmeEmail?: string;
      acmeStorageClaim?: string;
      hsts?: CaddyHsts;
    },
  ) {
    this.trustedProxies = o.trustedProxies ?? [];
    this.domains = o.domains ?? [];
    this.certificateSecret = o.certificateSecret;
    this.acmeEmail = o.acmeEmail;
    this.acmeStorageClaim = o.acmeStorageClaim;
    this.hsts = o.hsts;
  }

  /** True when Caddy itself listens for HTTPS (self mode only). */
  public get servesHttps(): boolean {
    return this.mode === CaddyTlsMode.SELF;
  }

  /**
   * The scheme browsers use to reach the site. `ingress` mode is HTTPS only when the cluster Ingress terminates TLS
   * (it has TLS entries).
   */
  public externalScheme(ingressHasTls: boolean): 'http' | 'https' {
    switch (this.mode) {
      case CaddyTlsMode.SELF:
      case CaddyTlsMode.EXTERNAL:
        return 'https';
      case CaddyTlsMode.INGRESS:
        return ingressHasTls ? 'https' : 'http';
      case CaddyTlsMode.OFF:
        return 'http';
    }
  }

  /** The HSTS header value to send, or undefined. */
  public hstsHeader(ingressHasTls: boolean): string | undefined {
    if (this.mode === CaddyTlsMode.OFF) return undefined;
    const choice = this.hsts ?? (this.externalScheme(ingressHasTls) === 'https' ? CaddyHsts.enabled() : CaddyHsts.disabled());
    return choice.headerValue;
  }
}
