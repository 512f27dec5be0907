import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import { httpGet } from './net';

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
