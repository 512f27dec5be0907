import { execFileSync, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort } from './net';

const BIN = ['/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) => fs.existsSync(path.join(d, 'initdb')));

/** The PostgreSQL server binaries (Debian's 15 here; the image runs 16). Fails, never skips, when they are missing. */
export function pgBin(): string {
  if (!BIN) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/{16,15}/bin; install the Debian package postgresql');
  return BIN;
}

/** What the official image's entrypoint is given: the server container's env and the mounted init scripts. */
export interface EntrypointInput {
  /** POSTGRES_USER. */
  readonly user: string;
  /** POSTGRES_DB. */
  readonly database: string;
  /** POSTGRES_PASSWORD. */
  readonly password: string;
  /** The init scripts by file name (the ConfigMap's data). */
  readonly scripts: Readonly<Record<string, string>>;
  /** The rest of the container's env the scripts read, with the Secrets' values filled in. */
  readonly env: Readonly<Record<string, string>>;
  /** The server settings (`-c k=v` pairs from the container's args). */
  readonly settings?: readonly string[];
}

/**
 * A real PostgreSQL initialized the way the official image's entrypoint does it: `initdb --username=$POSTGRES_USER
 * --pwfile` (local trust, host scram-sha-256), a temporary server on its Unix socket only, `CREATE DATABASE
 * $POSTGRES_DB`, every init script in name order with the container's env, then the real server on 127.0.0.1 and a
 * free port. Runs as the `postgres` user (initdb refuses root); the socket lives in a temp directory.
 */
export class EntrypointPostgres {
  /** Initializes and starts a server; `stop()` it in afterAll. */
  public static async start(input: EntrypointInput): Promise<EntrypointPostgres> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-entry-'));
    fs.chmodSync(dir, 0o755);
    const pg = new EntrypointPostgres(pgBin(), dir, input, await freePort());
    pg.init();
    return pg;
  }

  private readonly pgdata: string;
  private readonly sock: string;
  private readonly scriptDir: string;
  private running = false;

  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    private readonly input: EntrypointInput,
    /** The real server's port on 127.0.0.1. */
    public readonly port: number,
  ) {
    this.pgdata = path.join(dir, 'data', 'pgdata');
    this.sock = path.join(dir, 'sock');
    this.scriptDir = path.join(dir, 'initdb');
  }

  /** Runs a command as the postgres user with exactly `vars` added to a minimal environment. */
  public asPostgres(cmd: string, args: readonly string[], vars: Record<string, string> = {}, timeout = 30_000): SpawnSyncReturns<string> {
    const envArgs = Object.entries({ PATH: `${this.bin}:/usr/bin:/bin`, ...vars }).map(([k, v]) => `${k}=${v}`);
    return spawnSync('runuser', ['-u', 'postgres', '--', 'env', '-i', ...envArgs, cmd, ...args], { encoding: 'utf8', timeout, cwd: this.dir });
  }

  /** psql over TCP as `user` with `password`: what a client pod does. */
  public psql(user: string, password: string, database: string, sql: string): SpawnSyncReturns<string> {
    return this.asPostgres(`${this.bin}/psql`, ['-X', '-h', '127.0.0.1', '-p', String(this.port), '-U', user, '-d', database, '-tAc', sql], { PGPASSWORD: password });
  }

  /** psql over a libpq URL (`postgresql://user:password@127.0.0.1:<port>/db`), as a client reading EDEN_STORE_URL. */
  public psqlUrl(url: string, sql: string): SpawnSyncReturns<string> {
    return this.asPostgres(`${this.bin}/psql`, ['-X', url, '-tAc', sql]);
  }

  /** Runs every init script again on the running server, as an operator would with kubectl exec (`extra` overrides env). */
  public runScripts(extra: Record<string, string> = {}): void {
    for (const name of Object.keys(this.input.scripts).sort()) ok(this.runScript(name, extra));
  }

  /** Runs one init script with the container's env (`extra` overrides it) and returns what it did. */
  public runScript(name: string, extra: Record<string, string> = {}): SpawnSyncReturns<string> {
    const vars = this.containerEnv(extra);
    return this.asPostgres('sh', [path.join(this.scriptDir, name)], { ...vars, PGHOST: this.sock, ...(this.running ? { PGPORT: String(this.port) } : {}) });
  }

  /** Stops the server and removes its directory. */
  public stop(): void {
    if (fs.existsSync(path.join(this.pgdata, 'postmaster.pid'))) this.asPostgres(`${this.bin}/pg_ctl`, ['-D', this.pgdata, '-w', '-t', '20', '-m', 'immediate', 'stop']);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private containerEnv(extra: Record<string, string>): Record<string, string> {
    return { ...this.input.env, POSTGRES_USER: this.input.user, POSTGRES_DB: this.input.database, POSTGRES_PASSWORD: this.input.password, ...extra };
  }

  private init(): void {
    const { bin, pgdata, sock, scriptDir } = this;
    for (const d of [path.dirname(pgdata), sock, scriptDir]) fs.mkdirSync(d, { recursive: true });
    for (const [name, text] of Object.entries(this.input.scripts)) fs.writeFileSync(path.join(scriptDir, name), text, { mode: 0o555 });
    const pwfile = path.join(this.dir, 'pwfile');
    fs.writeFileSync(pwfile, `${this.input.password}\n`);
    execFileSync('chown', ['-R', 'postgres:postgres', this.dir]);
    ok(this.asPostgres(`${bin}/initdb`, ['-D', pgdata, `--username=${this.input.user}`, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256']));
    ok(this.asPostgres(`${bin}/pg_ctl`, ['-D', pgdata, '-w', '-t', '30', '-o', `-c listen_addresses='' -k ${sock}`, 'start']));
    ok(this.asPostgres(`${bin}/psql`, ['-X', '-v', 'ON_ERROR_STOP=1', '-h', sock, '-U', this.input.user, '-d', 'postgres', '-c', `CREATE DATABASE "${this.input.database}"`]));
    this.runScripts();
    ok(this.asPostgres(`${bin}/pg_ctl`, ['-D', pgdata, '-w', '-t', '30', '-m', 'fast', 'stop']));
    const settings = [...(this.input.settings ?? []), '-c', 'listen_addresses=127.0.0.1', '-c', `port=${this.port}`, '-k', sock];
    ok(this.asPostgres(`${bin}/pg_ctl`, ['-D', pgdata, '-w', '-t', '30', '-l', path.join(this.dir, 'server.log'), '-o', settings.join(' '), 'start']));
    this.running = true;
  }
}

/** The command's stdout, or an error with its exit status and output. */
export function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`exit ${r.status}${r.signal ? ` (${r.signal})` : ''}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
