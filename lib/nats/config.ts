import { Size } from 'cdk8s';
import { check } from '../core/errors';
import { assertPort } from '../core/validate';

/** The port NATS clients connect to (the NATS default). */
export const NATS_CLIENT_PORT = 4222;
/** The HTTP monitoring port (`/healthz`, `/varz`, `/jsz`; the NATS convention). */
export const NATS_MONITOR_PORT = 8222;
/** Largest message payload NATS accepts at all (the server's hard limit). */
export const NATS_MAX_PAYLOAD_LIMIT = Size.mebibytes(64);

/** JetStream settings of a server. */
export interface NatsJetStreamSettings {
  /**
   * Directory JetStream keeps its streams (and therefore KV buckets) in; the server writes under `<storeDir>/jetstream`.
   */
  readonly storeDir: string;
  /** Upper bound for memory-backed streams. Keep it well under the container's memory limit. */
  readonly maxMemoryStore: Size;
  /** Upper bound for file-backed streams. Keep it under the size of the volume holding `storeDir`. */
  readonly maxFileStore: Size;
}

/** The port cluster routes use (the NATS convention). */
export const NATS_CLUSTER_PORT = 6222;

/** TLS of the client listener or of the cluster routes: files the server reads. */
export interface NatsTlsSettings {
  /** The certificate (PEM) path. */
  readonly certFile: string;
  /** The private key (PEM) path. */
  readonly keyFile: string;
  /**
   * The CA bundle the peer's certificate is verified against.
   * @default - none (the system roots)
   */
  readonly caFile?: string;
  /**
   * Require and verify the peer's certificate (mutual TLS).
   * @default false
   */
  readonly verify?: boolean;
}

/** Clustering: the routes port and the URLs of every server of the cluster (itself included; NATS skips itself). */
export interface NatsClusterSettings {
  /** `cluster.name`: the same on every server. */
  readonly name: string;
  /**
   * The routes port.
   * @default 6222
   */
  readonly port?: number;
  /** `nats://host:port` of every server. */
  readonly routes: readonly string[];
  /**
   * TLS between servers.
   * @default - none
   */
  readonly tls?: NatsTlsSettings;
}

/** What a NATS server configuration says. */
export interface NatsConfigProps {
  /** `server_name`: shows in monitoring and in JetStream meta data. Letters, digits, '.', '_' and '-'. */
  readonly serverName: string;
  /**
   * Take `server_name` from this environment variable instead (a cluster's pods are named by the StatefulSet, and
   * JetStream needs a distinct name per server). `serverName` still names the file in its header.
   * @default - `serverName`
   */
  readonly serverNameEnv?: string;
  /**
   * Address the client and monitoring listeners bind to.
   * @default '0.0.0.0'
   */
  readonly host?: string;
  /**
   * Client port.
   * @default 4222
   */
  readonly port?: number;
  /**
   * HTTP monitoring port; it binds to `host` as well.
   * @default 8222
   */
  readonly monitorPort?: number;
  /**
   * JetStream (streams, KV, object store).
   * @default - JetStream off
   */
  readonly jetstream?: NatsJetStreamSettings;
  /**
   * Largest message payload the server accepts (`max_payload`).
   * @default 1 MiB (the NATS default)
   */
  readonly maxPayload?: Size;
  /**
   * TLS on the client listener (the monitoring port stays plain HTTP for probes).
   * @default - none
   */
  readonly tls?: NatsTlsSettings;
  /**
   * Clustering.
   * @default - a single server
   */
  readonly cluster?: NatsClusterSettings;
  /**
   * Users authenticating with nkeys: their public keys (not secrets), in an `authorization` block.
   * @default - none
   */
  readonly nkeyUsers?: readonly string[];
  /**
   * A file included at the end, relative to this file's directory (NATS resolves includes that way, even a path starting
   * with '/'): the `authorization` block written at start from Secrets, which a ConfigMap must not hold.
   * @default - none
   */
  readonly include?: string;
}

/**
 * A list value (`[ ... ]`).
 * @internal
 */
export interface NatsConfList {
  /** The items. */
  readonly list: readonly NatsConfValue[];
}
/**
 * A reference to a variable or environment variable, rendered unquoted (`$POD_NAME`).
 * @internal
 */
export interface NatsConfVariable {
  /** The variable's name, without `$`. */
  readonly variable: string;
}
/**
 * A value in a NATS configuration file: the format is a relaxed JSON, so this is the subset we write.
 * @internal
 */
export type NatsConfValue = string | number | boolean | NatsConfBlock | NatsConfList | NatsConfVariable;
/**
 * An ordered block of `key: value` entries. Order is kept so output is byte-stable.
 * @internal
 */
export type NatsConfBlock = ReadonlyArray<readonly [string, NatsConfValue]>;

const SERVER_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const SAFE_STRING = /^[A-Za-z0-9 ._:/@+=,-]*$/;
const HOST = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[a-z0-9]([-a-z0-9.]*[a-z0-9])?|::|::1)$/;

/** Quotes a string value. Only characters that need no escaping are allowed, so quoting is always exact. */
function quote(value: string): string {
  if (!SAFE_STRING.test(value)) throw new Error(`internal: NATS config string ${JSON.stringify(value)} needs escaping`);
  return `"${value}"`;
}

function scalar(value: string | number | boolean | NatsConfVariable): string {
  if (typeof value === 'object') return `$${value.variable}`;
  return typeof value === 'string' ? quote(value) : String(value);
}

function renderValue(value: NatsConfValue, indent: string): string[] {
  if (Array.isArray(value)) return ['{', ...renderBlock(value as NatsConfBlock, `${indent}  `), `${indent}}`];
  if (typeof value === 'object' && 'list' in value) {
    const items = value.list.map((v) => {
      const rendered = renderValue(v, `${indent}  `);
      return [`${indent}  ${rendered[0]}`, ...rendered.slice(1)];
    });
    return ['[', ...items.flat(), `${indent}]`];
  }
  return [scalar(value as string | number | boolean | NatsConfVariable)];
}

function renderBlock(block: NatsConfBlock, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of block) {
    if (Array.isArray(value)) {
      lines.push(`${indent}${key} {`, ...renderBlock(value as NatsConfBlock, `${indent}  `), `${indent}}`);
    } else {
      const rendered = renderValue(value, indent);
      lines.push(`${indent}${key}: ${rendered[0]}`, ...rendered.slice(1));
    }
  }
  return lines;
}

function tlsBlock(t: NatsTlsSettings): NatsConfBlock {
  const b: Array<readonly [string, NatsConfValue]> = [['cert_file', t.certFile], ['key_file', t.keyFile]];
  if (t.caFile) b.push(['ca_file', t.caFile]);
  if (t.verify) b.push(['verify', true]);
  return b;
}

function assertTls(prop: string, t: NatsTlsSettings): void {
  for (const [k, v] of [['certFile', t.certFile], ['keyFile', t.keyFile], ['caFile', t.caFile]] as const) {
    if (v === undefined && k === 'caFile') continue;
    check(typeof v === 'string' && v.startsWith('/') && SAFE_STRING.test(v) && !v.includes(' '), `${prop}.${k}`, v, 'an absolute path without spaces or quotes');
  }
  check(!t.verify || t.caFile !== undefined, `${prop}.verify`, t.verify, 'verify only with a caFile to verify peers against');
}

function bytes(s: Size): number {
  return Math.round(s.toKibibytes() * 1024);
}

/**
 * A NATS server configuration file (`nats-server -c`), built from typed settings and rendered deterministically.
 * The output uses only keys NATS 2.9 already understands, so the same file runs on 2.9 (Debian) and 2.10 (the image).
 * @see https://docs.nats.io/running-a-nats-service/configuration
 */
export class NatsConfig {
  /** The server name (`server_name`). */
  public readonly serverName: string;
  /** Address the client listener binds. */
  public readonly host: string;
  /** The client port. */
  public readonly port: number;
  /** The monitoring port (`/healthz`, `/varz`). */
  public readonly monitorPort: number;
  /** JetStream settings, when it is on. */
  public readonly jetstream?: NatsJetStreamSettings;
  /** Largest message payload. */
  public readonly maxPayload: Size;
  /** The environment variable `server_name` is read from, when set. */
  public readonly serverNameEnv?: string;
  /** TLS of the client listener, when on. */
  public readonly tls?: NatsTlsSettings;
  /** Clustering, when on. */
  public readonly cluster?: NatsClusterSettings;
  /** Public keys of the nkey users, when any. */
  public readonly nkeyUsers?: readonly string[];
  /** The included file, when any. */
  public readonly include?: string;

  constructor(props: NatsConfigProps) {
    check(SERVER_NAME.test(props.serverName), 'serverName', props.serverName, "letters, digits, '.', '_' and '-' (no spaces), at most 128 characters");
    this.serverName = props.serverName;
    this.host = props.host ?? '0.0.0.0';
    check(HOST.test(this.host), 'host', this.host, 'an IP address or host name to bind to, such as 0.0.0.0 or 127.0.0.1');
    this.port = assertPort('port', props.port ?? NATS_CLIENT_PORT);
    this.monitorPort = assertPort('monitorPort', props.monitorPort ?? NATS_MONITOR_PORT);
    check(this.monitorPort !== this.port, 'monitorPort', this.monitorPort, `a port other than the client port ${this.port}`);
    this.maxPayload = props.maxPayload ?? Size.mebibytes(1);
    const payload = bytes(this.maxPayload);
    check(payload >= 1024 && payload <= bytes(NATS_MAX_PAYLOAD_LIMIT), 'maxPayload', `${payload} bytes`, '1 KiB to 64 MiB (the NATS hard limit); above 8 MiB NATS itself warns');
    if (props.jetstream) {
      const js = props.jetstream;
      check(js.storeDir.startsWith('/') && SAFE_STRING.test(js.storeDir) && !js.storeDir.includes(' '), 'jetstream.storeDir', js.storeDir, 'an absolute path without spaces or quotes');
      check(bytes(js.maxMemoryStore) > 0, 'jetstream.maxMemoryStore', `${bytes(js.maxMemoryStore)} bytes`, 'more than 0');
      check(bytes(js.maxFileStore) > 0, 'jetstream.maxFileStore', `${bytes(js.maxFileStore)} bytes`, 'more than 0');
      this.jetstream = js;
    }
    if (props.serverNameEnv !== undefined) {
      check(/^[A-Z_][A-Z0-9_]*$/.test(props.serverNameEnv), 'serverNameEnv', props.serverNameEnv, 'an upper-case environment variable name');
      this.serverNameEnv = props.serverNameEnv;
    }
    if (props.tls) {
      assertTls('tls', props.tls);
      this.tls = props.tls;
    }
    if (props.cluster) {
      const c = props.cluster;
      check(SERVER_NAME.test(c.name), 'cluster.name', c.name, "letters, digits, '.', '_' and '-'");
      const port = assertPort('cluster.port', c.port ?? NATS_CLUSTER_PORT);
      check(![this.port, this.monitorPort].includes(port), 'cluster.port', port, `a port other than the client (${this.port}) and monitoring (${this.monitorPort}) ports`);
      check(c.routes.length > 0, 'cluster.routes', c.routes, 'at least one route');
      c.routes.forEach((r, i) => check(/^nats:\/\/[a-z0-9.-]+:[0-9]+$/.test(r), `cluster.routes[${i}]`, r, 'nats://host:port'));
      if (c.tls) assertTls('cluster.tls', c.tls);
      this.cluster = c;
    }
    if (props.nkeyUsers !== undefined) {
      check(props.nkeyUsers.length > 0, 'nkeyUsers', props.nkeyUsers, 'at least one public key');
      props.nkeyUsers.forEach((k, i) => check(/^U[A-Z2-7]{55}$/.test(k), `nkeyUsers[${i}]`, k, "a user's public nkey: 'U' and 55 base32 characters (the seed, starting with 'SU', stays with the client)"));
      check(props.include === undefined, 'include', props.include, 'no include with nkey users', 'the authorization block is rendered here');
      this.nkeyUsers = [...props.nkeyUsers];
    }
    if (props.include !== undefined) {
      check(/^[A-Za-z0-9._/-]+$/.test(props.include) && !props.include.startsWith('/'), 'include', props.include, "a relative path: NATS resolves includes against the including file's directory");
      this.include = props.include;
    }
  }

  /**
   * The configuration as the ordered block it renders from (for tests and for derived configs).
   * @internal
   */
  public toBlock(): NatsConfBlock {
    const block: Array<readonly [string, NatsConfValue]> = [
      ['server_name', this.serverNameEnv ? { variable: this.serverNameEnv } : this.serverName],
      ['host', this.host],
      ['port', this.port],
      // http_port (not `http: host:port`) so the monitor binds to `host` and `nats-server -a` moves both listeners.
      ['http_port', this.monitorPort],
      ['max_payload', bytes(this.maxPayload)],
    ];
    if (this.jetstream) {
      block.push([
        'jetstream',
        [
          ['store_dir', this.jetstream.storeDir],
          ['max_memory_store', bytes(this.jetstream.maxMemoryStore)],
          ['max_file_store', bytes(this.jetstream.maxFileStore)],
        ],
      ]);
    }
    if (this.tls) block.push(['tls', tlsBlock(this.tls)]);
    if (this.cluster) {
      const c: Array<readonly [string, NatsConfValue]> = [
        ['name', this.cluster.name],
        ['port', this.cluster.port ?? NATS_CLUSTER_PORT],
        // Clients reach the servers through the Service; pod addresses advertised to them would not survive a restart.
        ['no_advertise', true],
        ['routes', { list: [...this.cluster.routes] }],
      ];
      if (this.cluster.tls) c.push(['tls', tlsBlock(this.cluster.tls)]);
      block.push(['cluster', c]);
    }
    if (this.nkeyUsers) block.push(['authorization', [['users', { list: this.nkeyUsers.map((k) => [['nkey', k]] as NatsConfBlock) }]]]);
    return block;
  }

  /** The file content. */
  public render(): string {
    const header = [
      `# NATS server configuration for ${this.serverName}, rendered by cdk8s-ops-kit.`,
      '# Do not edit: change the construct props and synthesize again.',
    ];
    const include = this.include ? [`include "${this.include}"`] : [];
    return `${[...header, ...renderBlock(this.toBlock(), ''), ...include].join('\n')}\n`;
  }
}
