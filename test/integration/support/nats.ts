import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { freePort, httpGet } from './net';
import { stopProcess } from './process';

const CANDIDATES = [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server'].filter((p): p is string => !!p);

/** The nats-server binary (Debian's, or NATS_SERVER_BIN). Fails, never skips: a missing binary means CI's install step broke. */
export function natsServerBinary(): string {
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`nats-server not found (looked at ${CANDIDATES.join(', ')}); install the Debian package nats-server`);
  return found;
}

/** Waits until the monitoring `url` (/healthz) answers 200; fails at once when the process exits, and after `timeoutMs`. */
export async function waitNatsHealthy(url: string, proc: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}:\n${log()}`);
    try {
      if ((await httpGet(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-server not healthy within ${timeoutMs} ms (${url}):\n${log()}`);
}

/** A nats-server started on loopback from a rendered config whose JetStream store is moved into `dir`. */
export interface StartedNats {
  readonly proc: ChildProcess;
  readonly configPath: string;
  /** The JetStream store directory the config now names. */
  readonly storeDir: string;
  readonly clientPort: number;
  readonly monitorPort: number;
  /** `nats://127.0.0.1:<clientPort>`. */
  readonly url: string;
  /** Everything the server printed so far. */
  output(): string;
}

/** Where `startNatsServer` writes the config and the JetStream store. */
export interface NatsServerLayout {
  /**
   * The config file, relative to `dir` (a config with a relative `include` needs the pod's layout, e.g.
   * `etc/nats/nats.conf` beside `run/nats/auth.conf`).
   * @default 'nats.conf'
   */
  readonly configFile?: string;
  /** @default `dir/store` */
  readonly storeDir?: string;
}

/**
 * Writes the rendered `config` into `dir` with its `store_dir: "/data"` line pointing at the store directory, starts
 * nats-server on free loopback ports and waits until it is healthy (stop it with stopProcess; a server that does not
 * become healthy is stopped before the error is thrown).
 */
export async function startNatsServer(bin: string, config: string, dir: string, layout: NatsServerLayout = {}): Promise<StartedNats> {
  const storeDir = layout.storeDir ?? path.join(dir, 'store');
  const configPath = path.join(dir, layout.configFile ?? 'nats.conf');
  fs.writeFileSync(configPath, config.replace(/^ {2}store_dir: "\/data"$/m, `  store_dir: "${storeDir}"`));
  const clientPort = await freePort();
  const monitorPort = await freePort();
  let output = '';
  const proc = spawn(bin, ['-c', configPath, '-a', '127.0.0.1', '-p', String(clientPort), '-m', String(monitorPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  try {
    await waitNatsHealthy(`http://127.0.0.1:${monitorPort}/healthz`, proc, () => output);
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
  return { proc, configPath, storeDir, clientPort, monitorPort, url: `nats://127.0.0.1:${clientPort}`, output: () => output };
}
