/**
 * Qdrant is not installable here (neither Debian nor npm ships the server), so the start script of a clustered
 * QdrantServer runs under a real shell, in each pod's place, with a stand-in `./entrypoint.sh` that prints the
 * arguments it gets. Qdrant's documented cluster start: the first peer runs with `--uri <its own p2p URL>`, every other
 * with `--bootstrap <a running peer's p2p URL> --uri <its own>`; the URLs must be names the peers resolve, here the pod
 * DNS names the StatefulSet and its headless Service give.
 * @see https://qdrant.tech/documentation/guides/distributed_deployment/
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { QdrantAuth, QdrantServer } from '../../lib/qdrant';
import { renderRelease } from '../../lib/release';
import { newRelease, Template } from '../support';

describe('the start script of a 3-server Qdrant cluster, run by a real shell in each pod\'s place', () => {
  const r = newRelease();
  new QdrantServer(r, 'Qdrant', { replicas: 3, auth: QdrantAuth.apiKey({ name: 'qdrant-key', key: 'api-key' }) });
  const t = new Template(renderRelease(r));
  const sts = t.find('StatefulSet');
  const headless = t.find('Service', 'r-qdrant-headless');
  const [shell, flag, script] = t.container('StatefulSet', 'r-qdrant', 'qdrant').command as string[];
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qdrant-it-'));
    fs.writeFileSync(path.join(dir, 'entrypoint.sh'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const pods = Array.from({ length: 3 }, (_, i) => `${sts.metadata.name}-${i}`);
  const p2p = (pod: string) => `http://${pod}.${headless.metadata.name}.ns.svc.cluster.local:${headless.spec.ports.find((p: { name: string }) => p.name === 'p2p').port}`;

  test.each(pods.map((p, i) => [p, i]))('%s gets the arguments Qdrant documents for peer %i', (pod, i) => {
    const res = spawnSync(shell, [flag, script], { cwd: dir, env: { PATH: '/usr/bin:/bin', POD_NAME: pod as string }, encoding: 'utf8', timeout: 5000 });
    expect([res.status, res.stderr]).toEqual([0, '']);
    const args = res.stdout.trim().split('\n');
    expect(args).toEqual(i === 0 ? ['--uri', p2p(pods[0])] : ['--bootstrap', p2p(pods[0]), '--uri', p2p(pod as string)]);
  });

  test('the script refuses to start without POD_NAME (set -u), which the pod gets from its fieldRef', () => {
    const res = spawnSync(shell, [flag, script], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/POD_NAME/);
  });
});
