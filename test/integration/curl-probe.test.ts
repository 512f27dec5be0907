import { spawnSync } from 'child_process';
import { Probes } from '../../lib/core/probes';
import { freePort } from './support/net';

// The kubelet puts an exec probe's output into the Unhealthy event ("Readiness probe failed: <output>"). The core
// curl probe passes -S, so a failing probe says why; Caddy's probe used `curl -sf`, whose failures were silent.
describe('curl probe (real curl)', () => {
  test('a failing check exits non-zero and names the cause on stderr; -sf alone said nothing', async () => {
    const port = await freePort();
    const probe = Probes.curl({ host: '127.0.0.1', port, path: '/health' });
    const [cmd, ...args] = probe.exec!.command!;
    const run = spawnSync(cmd, [...args, '--max-time', '2'], { encoding: 'utf-8', timeout: 5000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Failed to connect|Couldn't connect/);
    const silent = spawnSync('curl', ['-sf', '-o', '/dev/null', `http://127.0.0.1:${port}/health`, '--max-time', '2'], { encoding: 'utf-8', timeout: 5000 });
    expect(silent.status).not.toBe(0);
    expect(silent.stderr).toBe('');
  });
});
