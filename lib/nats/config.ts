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

/** What a NATS server configuration says. Everything a single-node server needs; nothing cluster- or TLS-specific. */
export interface NatsConfigProps {
  /** `server_name`: shows in monitoring and in JetStream meta data. Letters, digits, '.', '_' and '-'. */
  readonly serverName: string;
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
}

/**
 * A value in a NATS configuration file: the format is a relaxed JSON, so this is the subset we write.
 * @internal
 */
export type NatsConfValue = string | number | boolean | NatsConfBlock;
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

function renderBlock(block: NatsConfBlock, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of block) {
    if (typeof value === 'object') {
      lines.push(`${indent}${key} {`, ...renderBlock(value, `${indent}  `), `${indent}}`);
    } else {
      lines.push(`${indent}${key}: ${typeof value === 'string' ? quote(value) : String(value)}`);
    }
  }
  return lines;
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
  }

  /**
   * The configuration as the ordered block it renders from (for tests and for derived configs).
   * @internal
   */
  public toBlock(): NatsConfBlock {
    const block: Array<readonly [string, NatsConfValue]> = [
      ['server_name', this.serverName],
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
    return block;
  }

  /** The file content. */
  public render(): string {
    const header = [
      `# NATS server configuration for ${this.serverName}, rendered by cdk8s-ops-kit.`,
      '# Do not edit: change the construct props and synthesize again.',
    ];
    return `${[...header, ...renderBlock(this.toBlock(), '')].join('\n')}\n`;
  }
}
