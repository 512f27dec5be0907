import { ChildProcess, spawn } from 'child_process';
import { stopProcess } from './process';
import * as http from 'http';

/** One HTTP answer. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** GET `http://127.0.0.1:<port><urlPath>`, bounded to 5 s. */
export function get(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${urlPath}`)));
    req.on('error', reject);
  });
}

/**
 * Test-local, not one of the 2.6.2 substitutions: binds every listener to 127.0.0.1 (global `default_bind`), so the
 * Caddy under test is reachable on loopback only. In a pod Caddy must listen on the pod IP, so the rendered file binds
 * every interface.
 */
export function loopbackOnly(text: string): string {
  const lines = text.split('\n');
  const open = lines.indexOf('{');
  if (open < 0) throw new Error('loopbackOnly: the Caddyfile has no global options block');
  lines.splice(open + 1, 0, '\tdefault_bind 127.0.0.1');
  return lines.join('\n');
}

/** Options of `startCaddy`. */
export interface StartCaddyOptions {
  /** The caddy binary. */
  readonly bin: string;
  /** The Caddyfile to run. */
  readonly file: string;
  /** Environment of the process (HOME, XDG dirs, referenced variables). */
  readonly env: NodeJS.ProcessEnv;
  /** Port whose /caddy/health/ answers 200 once Caddy is up. */
  readonly healthPort: number;
  /** Collects the process output. */
  readonly log: { out: string; err: string };
}

/**
 * Runs `caddy run` and waits (at most 15 s) until its health path answers. On any failure the process is stopped
 * before the error is thrown: the caller never gets it, so its afterAll could not.
 */
export async function startCaddy(o: StartCaddyOptions): Promise<ChildProcess> {
  const proc = spawn(o.bin, ['run', '--config', o.file, '--adapter', 'caddyfile'], { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (o.log.out += d));
  proc.stderr!.on('data', (d) => (o.log.err += d));
  const deadline = Date.now() + 15_000;
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`caddy exited with ${proc.exitCode}:\n${o.log.err}`);
      try {
        if ((await get(o.healthPort, '/caddy/health/')).status === 200) return proc;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`caddy did not answer its health path within 15s:\n${o.log.err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
}

export { stopProcess } from './process';
