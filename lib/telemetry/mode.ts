import { EnvSource, EnvValue } from '../core/env';
import { ExternalEndpoint, ExternalPeer } from '../core/endpoint';
import { check } from '../core/errors';
import { CollectorConfig, CollectorEnv } from './collector-config';
import { assertSecretDataKey, assertSecretName, parseHostPort } from './common';

/** An existing Secret holding Grafana's admin user name and password. The stack never generates or defaults them. */
export interface GrafanaAdminSecret {
  /** Name of the Secret (in the release namespace, created before the release is applied). */
  readonly secretName: string;
  /**
   * Key holding the admin user name.
   * @default 'admin-user'
   */
  readonly userKey?: string;
  /**
   * Key holding the admin password.
   * @default 'admin-password'
   */
  readonly passwordKey?: string;
}

/** Options of the self-hosted mode. */
export interface SelfHostedOptions {
  /** Where Grafana's admin credentials come from. */
  readonly grafanaAdmin: GrafanaAdminSecret;
}

/** Wire protocol to the cloud OTLP endpoint. */
export enum OtlpProtocol {
  /** OTLP over HTTP (protobuf); the endpoint is a base URL such as `https://otlp.example.com/otlp`. */
  HTTP = 'http',
  /** OTLP over gRPC; the endpoint is `https://host:port` or `host:port`. */
  GRPC = 'grpc',
}

/** The collector's env names for the cloud credentials (read from the Secret). */
const CLOUD_ENV = { username: 'OTEL_CLOUD_USERNAME', password: 'OTEL_CLOUD_PASSWORD', header: 'OTEL_CLOUD_AUTH_HEADER' } as const;

/**
 * How the collector authenticates to the cloud endpoint. Credentials are always read from an existing Secret. Each
 * alternative renders itself: the env the collector reads the Secret through, and the exporter settings.
 */
export abstract class CloudAuth {
  /**
   * HTTP basic auth (Grafana Cloud: the instance id and an access-policy token), through the collector's
   * `basicauth` extension.
   */
  public static basic(options: { readonly secretName: string; readonly usernameKey: string; readonly passwordKey: string }): CloudAuth {
    assertSecretName('mode.cloud.auth.secretName', options.secretName);
    assertSecretDataKey('mode.cloud.auth.usernameKey', options.usernameKey);
    assertSecretDataKey('mode.cloud.auth.passwordKey', options.passwordKey);
    return new BasicCloudAuth(options.secretName, options.usernameKey, options.passwordKey);
  }

  /**
   * One request header whose whole value is stored in the Secret (`Authorization: Bearer ...`, `api-key: ...`).
   */
  public static header(options: { readonly secretName: string; readonly key: string; readonly headerName?: string }): CloudAuth {
    assertSecretName('mode.cloud.auth.secretName', options.secretName);
    assertSecretDataKey('mode.cloud.auth.key', options.key);
    const headerName = options.headerName ?? 'Authorization';
    check(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(headerName), 'mode.cloud.auth.headerName', headerName, 'an HTTP header name (token characters only)');
    return new HeaderCloudAuth(options.secretName, options.key, headerName);
  }

  /** No authentication, for a gateway on a trusted network that authenticates by other means. */
  public static none(): CloudAuth {
    return new NoCloudAuth();
  }

  /**
   * The Secret the credentials come from.
   * @default - none (no authentication)
   */
  public abstract readonly secretName?: string;

  /** True when the collector sends credentials (the endpoint must then be https). */
  public get sendsCredentials(): boolean {
    return this.secretName !== undefined;
  }

  /**
   * The collector's env that reads the credentials from the Secret.
   * @internal
   */
  public abstract credentialEnv(): Record<string, EnvValue>;

  /**
   * Adds what the cloud exporter needs to authenticate to `exporter` (and `config`'s extensions).
   * @internal
   */
  public abstract configure(config: CollectorConfig, exporter: Record<string, unknown>): void;
}

class BasicCloudAuth extends CloudAuth {
  constructor(public readonly secretName: string, private readonly usernameKey: string, private readonly passwordKey: string) {
    super();
  }

  public credentialEnv(): Record<string, EnvValue> {
    return {
      [CLOUD_ENV.username]: EnvSource.secret(this.secretName, this.usernameKey),
      [CLOUD_ENV.password]: EnvSource.secret(this.secretName, this.passwordKey),
    };
  }

  public configure(config: CollectorConfig, exporter: Record<string, unknown>): void {
    config.addExtension('basicauth/cloud', { client_auth: { username: CollectorEnv.env(CLOUD_ENV.username), password: CollectorEnv.env(CLOUD_ENV.password) } });
    exporter.auth = { authenticator: 'basicauth/cloud' };
  }
}

class HeaderCloudAuth extends CloudAuth {
  constructor(public readonly secretName: string, private readonly key: string, private readonly headerName: string) {
    super();
  }

  public credentialEnv(): Record<string, EnvValue> {
    return { [CLOUD_ENV.header]: EnvSource.secret(this.secretName, this.key) };
  }

  public configure(_config: CollectorConfig, exporter: Record<string, unknown>): void {
    exporter.headers = { [this.headerName]: CollectorEnv.env(CLOUD_ENV.header) };
  }
}

class NoCloudAuth extends CloudAuth {
  public readonly secretName = undefined;

  public credentialEnv(): Record<string, EnvValue> {
    return {};
  }

  public configure(): void {}
}

/** Options of the cloud mode. */
export interface CloudOptions {
  /** OTLP endpoint of the managed backend (Grafana Cloud, Honeycomb, an OTLP gateway). */
  readonly endpoint: string;
  /** How the collector authenticates. */
  readonly auth: CloudAuth;
  /**
   * Wire protocol.
   * @default OtlpProtocol.HTTP
   */
  readonly protocol?: OtlpProtocol;
  /**
   * Who answers at the endpoint, for the collector's NetworkPolicy egress rule: its addresses
   * (`ExternalPeer.cidr({ cidrs, reason })`), or, for a SaaS endpoint whose addresses change,
   * `ExternalPeer.anywhere({ reason })` (the rule still allows only the endpoint's port).
   * @default - undeclared: synth fails while the release renders NetworkPolicies
   */
  readonly peer?: ExternalPeer;
}

/** The cloud settings once validated. */
export interface ResolvedCloudOptions extends Required<Omit<CloudOptions, 'peer'>> {
  /** The collector's connection to the endpoint (host, port and peer), which its NetworkPolicy allows. */
  readonly target: ExternalEndpoint;
}

/** The cloud endpoint as the wiring graph records it: host and port from the URL (or host:port), and its peer. */
function cloudTarget(endpoint: string, protocol: OtlpProtocol, peer: ExternalPeer | undefined): ExternalEndpoint {
  let host: string;
  let port: number;
  if (protocol === OtlpProtocol.HTTP) {
    const url = new URL(endpoint);
    host = url.hostname.replace(/^\[|\]$/g, '');
    port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } else {
    const hp = parseHostPort('mode.cloud.endpoint', endpoint.replace(/^https?:\/\//, ''));
    host = hp.host.replace(/^\[|\]$/g, '');
    port = hp.port;
  }
  return ExternalEndpoint.of({ host, ports: [{ name: 'otlp', port }], peer, peerProp: 'mode.cloud.peer', description: 'cloud OTLP endpoint' });
}

/**
 * Where telemetry goes. Self-hosted renders the whole stack (collector, Prometheus, Jaeger, Grafana, exporters);
 * cloud renders only the per-node collector and the exporters, and the collector ships everything to a managed
 * backend.
 */
export class TelemetryMode {
  /** In-cluster backends: Prometheus for metrics, Jaeger for traces, Grafana on top. */
  public static selfHosted(options: SelfHostedOptions): TelemetryMode {
    const g = options.grafanaAdmin;
    assertSecretName('mode.selfHosted.grafanaAdmin.secretName', g.secretName);
    const userKey = assertSecretDataKey('mode.selfHosted.grafanaAdmin.userKey', g.userKey ?? 'admin-user');
    const passwordKey = assertSecretDataKey('mode.selfHosted.grafanaAdmin.passwordKey', g.passwordKey ?? 'admin-password');
    return new TelemetryMode({ secretName: g.secretName, userKey, passwordKey }, undefined);
  }

  /** A managed OTLP backend; no Prometheus, Jaeger or Grafana objects are rendered. */
  public static cloud(options: CloudOptions): TelemetryMode {
    check(options.auth instanceof CloudAuth, 'mode.cloud.auth', options.auth, 'CloudAuth.basic(...), CloudAuth.header(...) or CloudAuth.none()');
    const protocol = options.protocol ?? OtlpProtocol.HTTP;
    check(Object.values(OtlpProtocol).includes(protocol), 'mode.cloud.protocol', protocol, 'OtlpProtocol.HTTP or OtlpProtocol.GRPC');
    const endpoint = options.endpoint;
    if (protocol === OtlpProtocol.HTTP) {
      check(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(endpoint ?? ''), 'mode.cloud.endpoint', endpoint, 'an http(s) URL without query or fragment, for example https://otlp-gateway-prod-eu-west-2.grafana.net/otlp');
    } else {
      check(/^(https?:\/\/)?[^\s/?#:]+(:\d{1,5})$/.test(endpoint ?? ''), 'mode.cloud.endpoint', endpoint, 'host:port or https://host:port for OTLP/gRPC, for example api.honeycomb.io:443');
      parseHostPort('mode.cloud.endpoint', endpoint.replace(/^https?:\/\//, ''));
    }
    if (endpoint.startsWith('http://') && options.auth.sendsCredentials) {
      check(false, 'mode.cloud.endpoint', endpoint, 'an https URL when credentials are sent', 'the credentials would cross the network in clear text');
    }
    if (options.peer !== undefined) check(options.peer instanceof ExternalPeer, 'mode.cloud.peer', options.peer, 'ExternalPeer.cidr({ cidrs, reason }) or ExternalPeer.anywhere({ reason })');
    const target = cloudTarget(endpoint, protocol, options.peer);
    return new TelemetryMode(undefined, { endpoint, auth: options.auth, protocol, target });
  }

  private constructor(
    /** Grafana admin Secret (self-hosted); its presence is what makes the mode self-hosted. */
    public readonly grafanaAdmin: Required<GrafanaAdminSecret> | undefined,
    /** Cloud settings (cloud). */
    public readonly cloud: ResolvedCloudOptions | undefined,
  ) {}

  /** True in self-hosted mode. */
  public get selfHosted(): boolean {
    return this.grafanaAdmin !== undefined;
  }
}
