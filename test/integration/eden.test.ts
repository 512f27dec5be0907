/**
 * The EDEN release's generated programs, run for real: the Postgres init scripts on a real PostgreSQL (initialized the
 * way the official image's entrypoint does it), and the git credential helper under a real git, pushing to and cloning
 * from a bare repository served by git-http-backend behind HTTP Basic authentication on loopback (what Forgejo asks of
 * the services).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { EDEN_PROFILES } from '../../apps/eden';
import { EDEN_POSTGRES_KEYS, EdenExperiment } from '../../lib/eden';
import { Release, renderApp } from '../../lib/release';
import { Obj } from '../support';
import { freePort } from './support/net';
import { EntrypointPostgres, ok } from './support/postgres';

const app = new App();
new EdenExperiment(new Release(app, 'eden', { namespace: 'eden' }), 'Eden', EDEN_PROFILES.eden());
const objects = renderApp(app)[0].objects as Obj[];
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};

/** The operator-created Secrets' values, by `<secret>/<key>`. */
const SECRETS: Record<string, string> = {
  [`eden-postgres/${EDEN_POSTGRES_KEYS.password}`]: 'su-5e1f0c2a',
  [`eden-postgres/${EDEN_POSTGRES_KEYS.controlPlanePassword}`]: 'cp-9a8b7c6d',
};

describe('EDEN Postgres: the rendered init scripts on a real PostgreSQL', () => {
  const sts = find('StatefulSet', 'eden-postgres');
  const container = sts.spec.template.spec.containers.find((c: Obj) => c.name === 'postgres');
  // The container's env with each Secret reference resolved, as the kubelet would.
  const env: Record<string, string> = Object.fromEntries(container.env.map((e: Obj) => {
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) return [e.name, e.value];
    const v = SECRETS[`${ref.name}/${ref.key}`];
    if (v === undefined) throw new Error(`the test has no value for Secret ${ref.name} key ${ref.key}`);
    return [e.name, v];
  }));
  const scripts: Record<string, string> = find('ConfigMap', 'eden-postgres-initdb').data;
  let pg: EntrypointPostgres;

  beforeAll(async () => {
    pg = await EntrypointPostgres.start({
      user: env.POSTGRES_USER, database: env.POSTGRES_DB, password: env.POSTGRES_PASSWORD, scripts, env, settings: container.args.slice(1),
    });
  }, 90_000);

  afterAll(() => pg?.stop(), 30_000);

  test('the task store logs in with the DSN the notes print: eden on eden', () => {
    const url = `postgresql://eden:${SECRETS[`eden-postgres/${EDEN_POSTGRES_KEYS.password}`]}@127.0.0.1:${pg.port}/eden`;
    expect(ok(pg.psqlUrl(url, 'SELECT current_user || \'@\' || current_database()')).trim()).toBe('eden@eden');
  });

  test('the init scripts created eden_control_plane, owned by its own role, which the control plane logs in to', () => {
    const cp = SECRETS[`eden-postgres/${EDEN_POSTGRES_KEYS.controlPlanePassword}`];
    const url = `postgresql://eden_control_plane:${cp}@127.0.0.1:${pg.port}/eden_control_plane`;
    expect(ok(pg.psqlUrl(url, 'SELECT current_user || \'@\' || current_database()')).trim()).toBe('eden_control_plane@eden_control_plane');
    expect(ok(pg.psql('eden', env.POSTGRES_PASSWORD, 'eden', "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'eden_control_plane'")).trim()).toBe('eden_control_plane');
    // The control plane can create its lease tables in its own database (the public schema is its own).
    expect(ok(pg.psqlUrl(url, 'CREATE TABLE IF NOT EXISTS leases (id text PRIMARY KEY); SELECT 1'))).toMatch(/^1$/m);
  });

  test('the control-plane role is a plain login, no superuser', () => {
    const cp = SECRETS[`eden-postgres/${EDEN_POSTGRES_KEYS.controlPlanePassword}`];
    expect(ok(pg.psql('eden_control_plane', cp, 'eden_control_plane', "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).trim()).toBe('f');
  });

  test('running the scripts again on the initialized server (the notes\' recovery step) changes nothing and fails nothing', () => {
    pg.runScripts();
    expect(ok(pg.psql('eden', env.POSTGRES_PASSWORD, 'eden', "SELECT count(*) FROM pg_database WHERE datname = 'eden_control_plane'")).trim()).toBe('1');
  });
});

describe('EDEN git credential helper under a real git, against a bare repository behind HTTP Basic auth', () => {
  const helperText: string = find('ConfigMap', 'eden-orchestrator-git-helper').data['git-credential-helper'];
  const PASSWORD = 'forgejo-3c2b1a09';
  let dir: string;
  let helper: string;
  let server: http.Server;
  let url: string;
  const authorized: string[] = [];

  interface GitResult { readonly status: number | null; readonly stdout: string; readonly stderr: string }

  /**
   * git with the helper configured as the services configure it, no prompts, no user or system config. Asynchronous:
   * the HTTP server runs in this process, so a synchronous spawn would block it.
   */
  const git = (args: string[], opts: { cwd?: string; password?: string; input?: string } = {}): Promise<GitResult> => new Promise((resolve) => {
    const child = spawn('git', ['-c', `credential.helper=${helper}`, ...args], {
      cwd: opts.cwd ?? dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '',
        GIT_AUTHOR_NAME: 'eden', GIT_AUTHOR_EMAIL: 'eden@invalid', GIT_COMMITTER_NAME: 'eden', GIT_COMMITTER_EMAIL: 'eden@invalid',
        ...(opts.password !== undefined ? { FORGEJO_REMOTE_PASSWORD: opts.password } : {}),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
  const gitOk = async (args: string[], opts: { cwd?: string; password?: string; input?: string } = {}): Promise<string> => {
    const r = await git(args, opts);
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eden-git-'));
    helper = path.join(dir, 'git-credential-helper');
    fs.writeFileSync(helper, helperText, { mode: 0o555 });
    const root = path.join(dir, 'srv');
    fs.mkdirSync(path.join(root, 'eden'), { recursive: true });
    ok(spawnSync('git', ['init', '--bare', '-q', '-b', 'main', path.join(root, 'eden', 'exp.git')], { encoding: 'utf8' }) as any);
    ok(spawnSync('git', ['-C', path.join(root, 'eden', 'exp.git'), 'config', 'http.receivepack', 'true'], { encoding: 'utf8' }) as any);
    const expected = `Basic ${Buffer.from(`eden:${PASSWORD}`).toString('base64')}`;
    // git-http-backend as CGI behind Basic auth, on loopback.
    server = http.createServer((req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="forgejo"' }).end();
        return;
      }
      authorized.push(`${req.method} ${req.url}`);
      const u = new URL(req.url ?? '/', 'http://localhost');
      const cgi = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', REMOTE_USER: 'eden',
          REQUEST_METHOD: req.method ?? 'GET', PATH_INFO: u.pathname, QUERY_STRING: u.search.slice(1), CONTENT_TYPE: req.headers['content-type'] ?? '',
          ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        },
      });
      req.pipe(cgi.stdin);
      const chunks: Buffer[] = [];
      cgi.stdout.on('data', (d: Buffer) => chunks.push(d));
      cgi.on('close', () => {
        const out = Buffer.concat(chunks);
        const sep = out.indexOf('\r\n\r\n') >= 0 ? out.indexOf('\r\n\r\n') : out.indexOf('\n\n');
        const skip = out.indexOf('\r\n\r\n') >= 0 ? 4 : 2;
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of out.subarray(0, sep).toString().split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i < 0) continue;
          const k = line.slice(0, i).trim();
          const v = line.slice(i + 1).trim();
          if (k.toLowerCase() === 'status') status = parseInt(v, 10);
          else headers[k] = v;
        }
        res.writeHead(status, headers).end(out.subarray(sep + skip));
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${port}/eden/exp.git`;
  }, 30_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('git credential fill gets the eden user and the password from FORGEJO_REMOTE_PASSWORD', async () => {
    const out = await gitOk(['credential', 'fill'], { password: PASSWORD, input: 'protocol=http\nhost=eden-forgejo.eden.svc:3000\n\n' });
    expect(out).toBe(`protocol=http\nhost=eden-forgejo.eden.svc:3000\nusername=eden\npassword=${PASSWORD}\n`);
  });

  test('a seed pushed through the helper lands in the bare repository, and a clone into a child directory fetches it', async () => {
    const seed = path.join(dir, 'seed', 'repo');
    fs.mkdirSync(seed, { recursive: true });
    await gitOk(['init', '-q', '-b', 'main'], { cwd: seed });
    fs.writeFileSync(path.join(seed, 'README.md'), 'seed\n');
    await gitOk(['add', '.'], { cwd: seed });
    await gitOk(['commit', '-q', '-m', 'seed'], { cwd: seed });
    const sha = (await gitOk(['rev-parse', 'HEAD'], { cwd: seed })).trim();
    await gitOk(['push', '-q', url, 'main'], { cwd: seed, password: PASSWORD });
    // The services clone into the child `repo` of their mount (the mount's root may hold lost+found).
    const mount = path.join(dir, 'clone');
    fs.mkdirSync(path.join(mount, 'lost+found'), { recursive: true });
    await gitOk(['clone', '-q', url, path.join(mount, 'repo')], { password: PASSWORD });
    expect((await gitOk(['rev-parse', 'HEAD'], { cwd: path.join(mount, 'repo') })).trim()).toBe(sha);
    expect(authorized.some((a) => a.startsWith('POST /eden/exp.git/git-receive-pack'))).toBe(true);
  }, 60_000);

  test('a wrong password is refused, and an empty one stops the helper instead of letting git prompt', async () => {
    const wrong = await git(['ls-remote', url], { password: 'nope' });
    expect(wrong.status).not.toBe(0);
    const empty = await git(['ls-remote', url], { password: '' });
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain('FORGEJO_REMOTE_PASSWORD is empty');
  }, 60_000);
});
