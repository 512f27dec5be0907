import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Release, synthRelease } from 'cdk8s-ops-kit';
import { buildFleet, buildGraphistry } from '../src/main';

// Runs from build/test; the project root is two folders up.
const ROOT = path.join(__dirname, '..', '..');

describe('the releases this project deploys', () => {
  const app = new App();
  const graphistry = synthRelease(Release.of(buildGraphistry(app)));
  const fleet = synthRelease(Release.of(buildFleet(app)));

  test('synthRelease gives exactly what the synth wrote to dist/ (run npm run synth first)', () => {
    for (const out of [graphistry, fleet]) {
      for (const [file, text] of Object.entries(out.files)) expect(fs.readFileSync(path.join(ROOT, 'dist', file), 'utf8')).toBe(text);
    }
  });

  test('the fleet renders its CRD without a namespace, and the CR targets the lab group', () => {
    const crd = fleet.manifests.find((o) => o.kind === 'CustomResourceDefinition');
    expect(crd?.metadata.namespace).toBeUndefined();
    expect(fleet.files['fleet/deployment.iot.nationtech.io-hello.yaml']).toContain('group: lab');
  });

  test('graphistry at the analytics tier runs the engine and names the Secrets to create', () => {
    expect(graphistry.manifests.some((o) => o.kind === 'DaemonSet')).toBe(true);
    expect(graphistry.report.externals.map((e) => e.ref)).toEqual(expect.arrayContaining([
      'Secret/graphistry/graphistry-caddy-cookie', 'Secret/graphistry/graphistry-jwt', 'Secret/graphistry/graphistry-postgres',
    ]));
  });

  test('the files match the snapshot', () => {
    expect({ graphistry: graphistry.files, fleet: fleet.files }).toMatchSnapshot();
  });
});
