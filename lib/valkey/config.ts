import { check } from '../core/errors';
import { assertInt, assertPort } from '../core/validate';

/** The port Valkey and Redis listen on. */
export const VALKEY_PORT = 6379;

/** What happens when memory reaches `maxmemory`. */
export type ValkeyEvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'allkeys-random'
  | 'volatile-lru'
  | 'volatile-lfu'
  | 'volatile-random'
  | 'volatile-ttl';

const POLICIES: readonly ValkeyEvictionPolicy[] = ['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'];

/** What a Valkey (or Redis 7) configuration file says. */
export interface ValkeyConfigProps {
  /** For the header comment. */
  readonly name: string;
  /**
   * The port.
   * @default 6379
   */
  readonly port?: number;
  /** The working directory (append-only files). */
  readonly dir: string;
  /** Keep an append-only file (AOF) in `dir`. */
  readonly appendOnly: boolean;
  /**
   * How often the AOF is fsynced (AOF only).
   * @default 'everysec'
   */
  readonly appendFsync?: 'always' | 'everysec' | 'no';
  /** `maxmemory` in bytes. */
  readonly maxMemoryBytes: number;
  /** `maxmemory-policy`. */
  readonly maxMemoryPolicy: ValkeyEvictionPolicy;
  /**
   * A file included last: the settings written at start from Secrets (`requirepass`, `masterauth`) and the pod's role
   * (`replicaof`), which a ConfigMap must not hold.
   * @default - none
   */
  readonly include?: string;
}

/**
 * A Valkey configuration file, rendered deterministically from typed settings. It never holds a credential: the
 * password reaches the server through the included runtime file, written from a Secret at start, never through argv.
 * @see https://valkey.io/topics/valkey.conf/
 */
export class ValkeyConfig {
  /** The port the server listens on. */
  public readonly port: number;

  constructor(public readonly props: ValkeyConfigProps) {
    this.port = props.port ?? VALKEY_PORT;
    assertPort('port', this.port);
    check(/^\/[A-Za-z0-9._/-]*$/.test(props.dir), 'dir', props.dir, 'an absolute path of letters, digits, . _ / -');
    assertInt('maxMemory', props.maxMemoryBytes, { min: 1024 * 1024, max: Number.MAX_SAFE_INTEGER }, 'at least 1 MiB');
    check(POLICIES.includes(props.maxMemoryPolicy), 'maxMemoryPolicy', props.maxMemoryPolicy, POLICIES.join(', '));
    if (props.appendFsync !== undefined) check(['always', 'everysec', 'no'].includes(props.appendFsync), 'appendFsync', props.appendFsync, 'always, everysec or no');
    if (props.include !== undefined) check(/^\/[A-Za-z0-9._/-]*$/.test(props.include), 'include', props.include, 'an absolute path of letters, digits, . _ / -');
  }

  /** The file content. */
  public render(): string {
    const p = this.props;
    const lines = [
      `# Valkey configuration for ${p.name}, rendered by cdk8s-ops-kit.`,
      '# Do not edit: change the construct props and synthesize again.',
      // Every IPv4 address, and IPv6 when the pod has it ('-' makes an address optional).
      'bind * -::*',
      // Protected mode only refuses remote clients of a server without a password; authentication is explicit here.
      'protected-mode no',
      `port ${this.port}`,
      `dir ${p.dir}`,
      // No RDB snapshots: the data is either a cache (nothing on disk) or kept in the append-only file.
      'save ""',
      `appendonly ${p.appendOnly ? 'yes' : 'no'}`,
    ];
    if (p.appendOnly) lines.push(`appendfsync ${p.appendFsync ?? 'everysec'}`);
    lines.push(`maxmemory ${p.maxMemoryBytes}`, `maxmemory-policy ${p.maxMemoryPolicy}`);
    if (p.include) lines.push(`include ${p.include}`);
    return `${lines.join('\n')}\n`;
  }
}
