/**
 * MinIO and its client `mc` are not installable here (neither Debian nor npm ships them), so the bucket Job's script
 * runs under a real shell with a stand-in `mc` that implements the documented interface the script relies on: the
 * alias comes from `MC_HOST_<alias>` (`scheme://user:password@host:port`), `mc ready <alias>` returns once the
 * deployment is ready, and `mc mb` fails on an existing bucket unless `--ignore-existing` is given. What this proves:
 * the script is valid shell, takes the credentials from the env the Job sets (never argv), waits before creating, and
 * is idempotent (a second run, as after a Job retry, succeeds and creates nothing new).
 * @see https://min.io/docs/minio/linux/reference/minio-mc.html
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MinioServer } from '../../lib/object-storage';
import { renderRelease } from '../../lib/release';
import { newRelease, Obj, Template } from '../support';

const STAND_IN = `#!/bin/sh
# A stand-in for mc: logs its argv and the alias it was given, keeps buckets as directories.
state="$MC_STATE"
echo "argv: $*" >> "$state/log"
echo "host: \${MC_HOST_target:-unset}" >> "$state/log"
case "$1" in
  ready) exit 0 ;;
  mb)
    ignore=no
    for a in "$@"; do [ "$a" = "--ignore-existing" ] && ignore=yes; done
    eval "bucket=\\$$#"
    dir="$state/buckets/\${bucket#target/}"
    if [ -d "$dir" ]; then [ "$ignore" = yes ] && exit 0; echo "Bucket already exists" >&2; exit 1; fi
    mkdir -p "$dir"; echo "created \${bucket#target/}" >> "$state/log" ;;
  version) echo "versioned \${3#target/}" >> "$state/log" ;;
  *) echo "unexpected mc $*" >&2; exit 2 ;;
esac
`;

describe('the MinIO bucket Job script, run by a real shell against a stand-in mc (MinIO is not installable here)', () => {
  const r = newRelease();
  const server = new MinioServer(r, 'Minio', { rootCredentials: { secretName: 'minio-root' } });
  server.addBucket('semantic-explorer-files');
  server.addBucket('quickwit', { versioning: true });
  const job = new Template(renderRelease(r)).find('Job');
  const container: Obj = job.spec.template.spec.containers[0];
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minio-job-it-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'buckets'));
    fs.writeFileSync(path.join(dir, 'bin', 'mc'), STAND_IN, { mode: 0o755 });
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function run(): { status: number | null; stderr: string; log: string[] } {
    fs.rmSync(path.join(dir, 'log'), { force: true });
    const [shell, flag, script] = container.command as string[];
    const res = spawnSync(shell, [flag, script], {
      env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, MC_STATE: dir, MINIO_ROOT_USER: 'admin-1a2b', MINIO_ROOT_PASSWORD: 'c0ffee00deadbeef', MC_CONFIG_DIR: '/tmp/mc' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    return { status: res.status, stderr: res.stderr, log: fs.readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n') };
  }

  test('waits for MinIO, then creates each bucket with the credentials from the env, never from argv', () => {
    const { status, stderr, log } = run();
    expect([status, stderr]).toEqual([0, '']);
    expect(log.filter((l) => l.startsWith('argv:'))).toEqual([
      'argv: ready target',
      'argv: mb --ignore-existing target/semantic-explorer-files',
      'argv: mb --ignore-existing target/quickwit',
      'argv: version enable target/quickwit',
    ]);
    expect(new Set(log.filter((l) => l.startsWith('host:')))).toEqual(new Set(['host: http://admin-1a2b:c0ffee00deadbeef@r-minio.ns.svc:9000']));
    expect(log.filter((l) => l.startsWith('argv:')).join('\n')).not.toContain('c0ffee00deadbeef');
    expect(log.filter((l) => !l.startsWith('argv:') && !l.startsWith('host:'))).toEqual(['created semantic-explorer-files', 'created quickwit', 'versioned quickwit']);
  });

  test('a second run (a Job retry, or a new Job after a bucket was added) succeeds and creates nothing twice', () => {
    const { status, log } = run();
    expect(status).toBe(0);
    expect(log.filter((l) => l.startsWith('created'))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'buckets')).sort()).toEqual(['quickwit', 'semantic-explorer-files']);
  });

  test('the shell stops at the first failure (set -eu): without the credentials in the env, nothing is created', () => {
    const [shell, flag, script] = container.command as string[];
    const res = spawnSync(shell, [flag, script], { env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, MC_STATE: dir }, encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/MINIO_ROOT_USER/);
  });
});
