import { assertEnvName } from '../core/env';
import { check, ConfigError } from '../core/errors';
import { assertSecretKey, SecretKey } from '../core/secrets';
import { emitYaml12 } from '../release/yaml';

/**
 * The Dex release the typed config is written for. Its config file rules (checked here and in the tests) are those of
 * `cmd/dex/config.go` and `storage/` at this tag.
 * @see https://github.com/dexidp/dex/blob/v2.41.1/config.yaml.dist
 */
export const DEX_VERSION = 'v2.41.1';
/** The Dex image, pinned to `DEX_VERSION`. */
export const DEX_IMAGE = `ghcr.io/dexidp/dex:${DEX_VERSION}`;
/** Dex's HTTP port (the issuer, the login pages, the token endpoint). */
export const DEX_HTTP_PORT = 5556;
/** Dex's gRPC API port (manages clients: never reachable without a NetworkPolicy rule). */
export const DEX_GRPC_PORT = 5557;
/** Dex's telemetry port (`/metrics`, `/healthz/live`, `/healthz/ready`). */
export const DEX_TELEMETRY_PORT = 5558;
/** Where the sqlite3 database lives (an emptyDir). */
export const DEX_DATA_DIR = '/var/dex';

/** Top-level keys Dex v2.41.1 reads from its config file (its `Config` struct). */
export const DEX_CONFIG_KEYS: readonly string[] = [
  'issuer', 'storage', 'web', 'telemetry', 'grpc', 'expiry', 'logger', 'oauth2', 'staticClients', 'enablePasswordDB',
  'staticPasswords', 'connectors', 'frontend',
];
/** Storage types Dex v2.41.1 registers. */
export const DEX_STORAGE_TYPES: readonly string[] = ['etcd', 'kubernetes', 'memory', 'sqlite3', 'postgres', 'mysql'];

/**
 * Checks an issuer URL: absolute http(s), no query, fragment or credentials, no trailing slash. Dex serves discovery at
 * `<issuer>/.well-known/openid-configuration` and OIDC clients compare the `iss` claim with the configured issuer
 * byte for byte, so `https://auth.example.com/dex/` and `https://auth.example.com/dex` are different issuers.
 * @param insecure allow `http://` (a reason was given)
 */
export function assertIssuerUrl(prop: string, issuer: string, insecure: boolean): string {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw new ConfigError(prop, issuer, 'an absolute URL such as https://auth.example.com/dex');
  }
  const allowed = insecure ? 'an http:// or https:// URL' : 'an https:// URL (set insecureIssuerReason to allow http://)';
  check(u.protocol === 'https:' || (insecure && u.protocol === 'http:'), prop, issuer, allowed,
    'browsers and clients send the authorization code and tokens to the issuer');
  check(u.username === '' && u.password === '' && u.search === '' && u.hash === '', prop, issuer, 'a URL without credentials, query or fragment');
  check(!issuer.endsWith('/'), prop, issuer, 'a URL without a trailing slash', "clients compare the token's iss claim with the issuer exactly");
  return issuer;
}

/** Checks a client redirect URI: absolute http(s) without a fragment (OAuth 2.0, RFC 6749 section 3.1.2). */
export function assertRedirectUri(prop: string, uri: string): string {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new ConfigError(prop, uri, 'an absolute URL such as https://app.example.com/auth_callback');
  }
  check(u.protocol === 'https:' || u.protocol === 'http:', prop, uri, 'an http:// or https:// URL');
  check(u.hash === '', prop, uri, 'a URL without a fragment', 'RFC 6749 forbids fragments in redirection endpoints');
  return uri;
}

/** A static OAuth2 client of Dex: an application that logs users in through it. */
export interface DexStaticClientOptions {
  /** The client id (`OIDC_CLIENT_ID` of the application). */
  readonly id: string;
  /**
   * The name on Dex's approval screen.
   * @default - the id
   */
  readonly name?: string;
  /**
   * The client secret, from a Secret an operator creates (never generated). Dex reads it from env (`secretEnv`), the
   * application from the same Secret key.
   */
  readonly secret: SecretKey;
  /** Where Dex may send the user back after login: at least one absolute URL (no fragment). */
  readonly redirectUris: readonly string[];
}

/** A static client as the config renders it. */
export interface DexStaticClient {
  /** The client id. */
  readonly id: string;
  /** The name on the approval screen. */
  readonly name: string;
  /** The Secret key holding the client secret. */
  readonly secret: SecretKey;
  /** The env variable Dex reads the secret from. */
  readonly secretEnv: string;
  /** The redirect URIs. */
  readonly redirectUris: readonly string[];
}

/**
 * The env name a static client's secret reaches Dex under.
 * @internal
 */
export function clientSecretEnv(id: string): string {
  return `DEX_CLIENT_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SECRET`;
}

/** Options of a GitHub connector. */
export interface DexGitHubConnectorOptions {
  /**
   * Connector id (part of the callback path).
   * @default 'github'
   */
  readonly id?: string;
  /**
   * Name on the login page.
   * @default 'GitHub'
   */
  readonly name?: string;
  /** The GitHub OAuth app's client id, from a Secret. */
  readonly clientId: SecretKey;
  /** The GitHub OAuth app's client secret, from a Secret. */
  readonly clientSecret: SecretKey;
  /**
   * Only members of these organizations may log in.
   * @default - any GitHub user
   */
  readonly orgs?: readonly string[];
}

/** Options of an upstream OpenID Connect connector (Google, Keycloak, Entra ID, ...). */
export interface DexOidcConnectorOptions {
  /** Connector id (part of the callback path). */
  readonly id: string;
  /** Name on the login page. */
  readonly name: string;
  /** The upstream issuer URL. */
  readonly issuer: string;
  /** The client id at the upstream provider, from a Secret. */
  readonly clientId: SecretKey;
  /** The client secret at the upstream provider, from a Secret. */
  readonly clientSecret: SecretKey;
  /**
   * Scopes to request.
   * @default ['openid', 'profile', 'email']
   */
  readonly scopes?: readonly string[];
}

/** The env one connector needs from Secrets. */
export interface ConnectorSecretEnv {
  /** Env name Dex expands in its config. */
  readonly env: string;
  /** The Secret key. */
  readonly secret: SecretKey;
}

/**
 * An upstream identity provider. Credentials come from Secrets as env and reach the config through Dex's `$VAR`
 * expansion (on by default, `DEX_EXPAND_ENV`), so the ConfigMap never holds one.
 */
export class DexConnector {
  /** GitHub (OAuth app). */
  public static github(options: DexGitHubConnectorOptions): DexConnector {
    const id = assertConnectorId('connectors.github.id', options.id ?? 'github');
    const env = connectorEnv(id);
    const secrets = [
      { env: env.id, secret: assertSecretKey('connectors.github.clientId', options.clientId) },
      { env: env.secret, secret: assertSecretKey('connectors.github.clientSecret', options.clientSecret) },
    ];
    for (const [i, org] of (options.orgs ?? []).entries()) {
      check(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(org), `connectors.github.orgs[${i}]`, org, 'a GitHub organization name');
    }
    const orgs = options.orgs?.length ? { orgs: options.orgs.map((name) => ({ name })) } : {};
    return new DexConnector('github', id, options.name ?? 'GitHub', secrets, (issuer) => ({
      clientID: `$${env.id}`, clientSecret: `$${env.secret}`, redirectURI: `${issuer}/callback`, ...orgs,
    }));
  }

  /** An upstream OpenID Connect provider. */
  public static oidc(options: DexOidcConnectorOptions): DexConnector {
    const id = assertConnectorId('connectors.oidc.id', options.id);
    check(typeof options.name === 'string' && options.name.trim() !== '', 'connectors.oidc.name', options.name, 'a non-empty name');
    assertIssuerUrl('connectors.oidc.issuer', options.issuer, false);
    const env = connectorEnv(id);
    const secrets = [
      { env: env.id, secret: assertSecretKey('connectors.oidc.clientId', options.clientId) },
      { env: env.secret, secret: assertSecretKey('connectors.oidc.clientSecret', options.clientSecret) },
    ];
    const scopes = [...(options.scopes ?? ['openid', 'profile', 'email'])];
    check(scopes.includes('openid'), 'connectors.oidc.scopes', scopes, "a list containing 'openid'");
    return new DexConnector('oidc', id, options.name, secrets, (issuer) => ({
      issuer: options.issuer, clientID: `$${env.id}`, clientSecret: `$${env.secret}`, redirectURI: `${issuer}/callback`, scopes,
    }));
  }

  private constructor(
    /** Dex's connector type. */
    public readonly type: string,
    /** The connector id. */
    public readonly id: string,
    /** The name on the login page. */
    public readonly name: string,
    /** The env the connector's config expands, from Secrets. */
    public readonly secretEnv: readonly ConnectorSecretEnv[],
    private readonly render: (issuer: string) => Record<string, unknown>,
  ) {}

  /** @internal The connector's entry of `connectors`. */
  public _toConfig(issuer: string): Record<string, unknown> {
    return { type: this.type, id: this.id, name: this.name, config: this.render(issuer) };
  }
}

function assertConnectorId(prop: string, id: string): string {
  check(typeof id === 'string' && /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(id), prop, id, "lowercase letters, digits and '-', at most 32 characters");
  return id;
}

function connectorEnv(id: string): { id: string; secret: string } {
  const base = `DEX_${id.toUpperCase().replace(/-/g, '_')}`;
  return { id: assertEnvName('connectors.id', `${base}_CLIENT_ID`), secret: `${base}_CLIENT_SECRET` };
}

/**
 * What the config file is rendered from.
 * @internal
 */
export interface DexConfigOptions {
  /** The issuer URL (checked with `assertIssuerUrl`). */
  readonly issuer: string;
  /** The static clients. */
  readonly staticClients: readonly DexStaticClient[];
  /** The upstream identity providers. */
  readonly connectors: readonly DexConnector[];
}

/**
 * Dex's `config.yaml`: issuer, sqlite3 storage on the pod's data directory, the three listeners, static clients whose
 * secrets Dex reads from env (`secretEnv`), connectors whose credentials it expands from env, no password database.
 * @internal
 */
export function renderDexConfig(o: DexConfigOptions): Record<string, unknown> {
  return {
    issuer: o.issuer,
    storage: { type: 'sqlite3', config: { file: `${DEX_DATA_DIR}/dex.db` } },
    web: { http: `0.0.0.0:${DEX_HTTP_PORT}` },
    grpc: { addr: `0.0.0.0:${DEX_GRPC_PORT}` },
    telemetry: { http: `0.0.0.0:${DEX_TELEMETRY_PORT}` },
    logger: { level: 'info', format: 'json' },
    oauth2: { skipApprovalScreen: true, responseTypes: ['code'] },
    enablePasswordDB: false,
    staticClients: o.staticClients.map((c) => ({ id: c.id, name: c.name, secretEnv: c.secretEnv, redirectURIs: [...c.redirectUris] })),
    connectors: o.connectors.map((c) => c._toConfig(o.issuer)),
  };
}

/**
 * The config as the file Dex reads.
 * @internal
 */
export function dexConfigYaml(config: Record<string, unknown>): string {
  return emitYaml12(config);
}
