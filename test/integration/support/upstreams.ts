import * as http from 'http';

/** One request an upstream received. */
export interface UpstreamHit {
  /** `host:port` of the upstream that answered. */
  readonly upstream: string;
  readonly url: string;
}

/**
 * HTTP servers on several loopback addresses (127.0.0.1, 127.0.0.2, ...) sharing one port, as the pods behind a
 * headless Service would. Each answers with a JSON body naming itself and records every request.
 */
export class Upstreams {
  /** Starts one server per host on a port free on all of them. */
  public static async start(hosts: readonly string[], attempts = 20): Promise<Upstreams> {
    for (let a = 0; a < attempts; a++) {
      const port = 20000 + Math.floor(Math.random() * 40000);
      const hits: UpstreamHit[] = [];
      const servers: http.Server[] = [];
      try {
        for (const host of hosts) {
          const server = http.createServer((req, res) => {
            const upstream = `${host}:${port}`;
            hits.push({ upstream, url: req.url ?? '' });
            res.setHeader('content-type', 'application/json');
            res.setHeader('connection', 'close');
            res.end(JSON.stringify({ upstream, url: req.url }));
          });
          servers.push(server);
          await new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(port, host, () => resolve());
          });
        }
        return new Upstreams(port, hosts, servers, hits);
      } catch (e) {
        await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    throw new Error(`no port free on all of ${hosts.join(', ')} after ${attempts} attempts`);
  }

  private constructor(
    public readonly port: number,
    public readonly hosts: readonly string[],
    private readonly servers: http.Server[],
    /** Every request received, in order. */
    public readonly hits: UpstreamHit[],
  ) {}

  /** `host:port` of every upstream. */
  public get dials(): string[] {
    return this.hosts.map((h) => `${h}:${this.port}`);
  }

  public async close(): Promise<void> {
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  }
}

export { freePort } from './net';
