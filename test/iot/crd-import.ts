/**
 * The CRD -> `cdk8s import` round trip, shared by the test that checks imports/ is current and by the regeneration
 * command:
 *
 *   npx tsx test/iot/crd-import.ts --write     rewrites imports/crds/iot.nationtech.io_deployments.yaml and
 *                                              imports/iot.nationtech.io.ts from lib/iot/crd.ts
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Yaml } from 'cdk8s';
import { IotDeploymentCrd } from '../../lib/iot';
import { Manifest, Release, renderRelease } from '../../lib/release';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CRD_YAML_PATH = path.join(ROOT, 'imports', 'crds', 'iot.nationtech.io_deployments.yaml');
export const IMPORTS_TS_PATH = path.join(ROOT, 'imports', 'iot.nationtech.io.ts');
const CDK8S_BIN = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');

/** The CRD exactly as the construct synthesizes it. */
export function renderCrdManifest(): Manifest {
  const release = new Release(new App(), 'crd', { namespace: 'default' });
  new IotDeploymentCrd(release, 'Crd');
  const objects = renderRelease(release).objects;
  if (objects.length !== 1) throw new Error(`expected one object, got ${objects.length}`);
  return objects[0];
}

/** The CRD as the YAML file `cdk8s import` reads. */
export function renderCrdYaml(): string {
  return Yaml.stringify(renderCrdManifest());
}

/** Runs `cdk8s import` (offline) on a CRD file and returns the generated TypeScript. */
export function importCrd(crdPath: string): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-import-'));
  try {
    // Run outside the project so the project's cdk8s.yaml (imports, validation plugins) does not take part.
    execFileSync(CDK8S_BIN, ['import', crdPath, '--language', 'typescript', '--output', out], {
      cwd: out,
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      stdio: 'pipe',
      timeout: 60_000,
    });
    return fs.readFileSync(path.join(out, 'iot.nationtech.io.ts'), 'utf8');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (!process.argv.includes('--write')) {
    process.stderr.write('usage: npx tsx test/iot/crd-import.ts --write\n');
    process.exit(2);
  }
  fs.mkdirSync(path.dirname(CRD_YAML_PATH), { recursive: true });
  fs.writeFileSync(CRD_YAML_PATH, renderCrdYaml());
  fs.writeFileSync(IMPORTS_TS_PATH, importCrd(CRD_YAML_PATH));
  process.stdout.write(`wrote ${path.relative(ROOT, CRD_YAML_PATH)} and ${path.relative(ROOT, IMPORTS_TS_PATH)}\n`);
}
