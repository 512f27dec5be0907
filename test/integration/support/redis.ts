/** The Debian redis-server the Valkey and Graphistry Redis integration tests run, and a RESP client over loopback. */
import * as fs from 'fs';
import * as net from 'net';

const SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => fs.existsSync(p));
const CLI = ['/usr/bin/redis-cli', '/usr/local/bin/redis-cli'].find((p) => fs.existsSync(p));

export function binaries(): { server: string; cli: string } {
  // Fail, never skip: a missing binary means the CI install step is broken.
  if (!SERVER || !CLI) throw new Error('redis-server / redis-cli not found; install the Debian package redis-server');
  return { server: SERVER, cli: CLI };
}

/** One RESP command over a fresh socket; resolves with the first reply line. */
export function resp(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no reply within 3 s')); }, 3000);
    s.on('data', (d) => {
      data += d.toString('utf8');
      if (data.includes('\r\n')) { clearTimeout(timer); s.destroy(); resolve(data.split('\r\n')[0]); }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

export async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await ok()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
