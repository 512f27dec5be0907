import { check } from '../core/errors';
import { block, NginxDirective, renderNginxArg } from './directive';
import { NginxMap, NginxServer, serverNameCoverage } from './server';

/** Props of NginxConfFile. */
export interface NginxConfFileProps {
  /**
   * Comment lines at the top of the file (why it exists, who generates it).
   * @default - none
   */
  readonly comment?: readonly string[];
}

/**
 * A file of `http`-context configuration, the kind nginx images load from `/etc/nginx/conf.d/*.conf`: maps and
 * server blocks. Rendering checks what nginx itself would reject or silently mis-route: two maps defining one
 * variable, two default servers on one address, and one host name claimed by two servers on the same address
 * (nginx only warns about that and ignores the second server).
 */
export class NginxConfFile {
  private readonly comment: readonly string[];
  private readonly maps: NginxMap[] = [];
  private readonly servers: NginxServer[] = [];

  constructor(props: NginxConfFileProps = {}) {
    for (const line of props.comment ?? []) renderNginxArg('nginx.comment', line);
    this.comment = [...(props.comment ?? [])];
  }

  /** Adds a map; two maps defining one variable are refused. */
  public addMap(map: NginxMap): this {
    check(!this.maps.some((m) => m.variable === map.variable), 'nginx.map.variable', map.variable, 'a variable no other map defines', 'nginx refuses a duplicate variable');
    this.maps.push(map);
    return this;
  }

  /** Adds a server; a second default server or a host name claimed twice on one address is refused. */
  public addServer(server: NginxServer): this {
    for (const l of server.listen) {
      const rivals = this.servers.filter((s) => s.listen.some((o) => o.key === l.key));
      if (l.defaultServer) {
        check(!rivals.some((s) => s.listen.some((o) => o.key === l.key && o.defaultServer)), 'nginx.server.listen', l.key, 'one default server per address and port', 'nginx refuses a second default_server');
      }
      for (const name of server.serverNames) {
        const mine = serverNameCoverage(name);
        const rival = rivals.find((s) => s.serverNames.some((n) => serverNameCoverage(n).some((x) => mine.includes(x))));
        check(rival === undefined, 'nginx.server.serverNames', name, `a host name no other server on ${l.key} answers for`, 'nginx would ignore the second server for it');
      }
    }
    this.servers.push(server);
    return this;
  }

  /** The servers in order, for inspection. */
  public get serverBlocks(): readonly NginxServer[] {
    return [...this.servers];
  }

  /** The file's text: comment, maps, then servers, separated by blank lines, ending in a newline. */
  public render(): string {
    const parts: string[][] = [];
    if (this.comment.length) parts.push(this.comment.map((l) => (l ? `# ${l}` : '#')));
    for (const m of this.maps) parts.push(m.render());
    for (const s of this.servers) parts.push(s.render());
    return `${parts.map((p) => p.join('\n')).join('\n\n')}\n`;
  }
}

/** Props of NginxMainConfig. */
export interface NginxMainConfigProps {
  /**
   * Main-context directives (`pid`, `error_log`, `worker_processes`, `user`).
   * @default - none
   */
  readonly main?: readonly NginxDirective[];
  /**
   * Directives of the `events` block.
   * @default - none
   */
  readonly events?: readonly NginxDirective[];
  /**
   * Directives at the top of the `http` block (temp paths, `access_log`, `include mime.types`).
   * @default - none
   */
  readonly http?: readonly NginxDirective[];
  /**
   * Files whose contents are placed inside the `http` block, in order, as if included from conf.d.
   * @default - none
   */
  readonly files?: readonly NginxConfFile[];
}

/** A whole `nginx.conf`: main context, `events` and `http` with inlined http-context files. */
export class NginxMainConfig {
  constructor(private readonly props: NginxMainConfigProps) {}

  /** The whole `nginx.conf` text. */
  public render(): string {
    const http: string[] = (this.props.http ?? []).map((d) => d.render());
    for (const f of this.props.files ?? []) {
      if (http.length) http.push('');
      http.push(...f.render().replace(/\n$/, '').split('\n'));
    }
    const lines = [
      ...(this.props.main ?? []).map((d) => d.render()),
      ...block('events', (this.props.events ?? []).map((d) => d.render())),
      ...block('http', http),
    ];
    return `${lines.join('\n')}\n`;
  }
}
