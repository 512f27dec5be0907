import { App } from 'cdk8s';
import { Release, synthRelease } from 'cdk8s-ops-kit';
import { buildMessaging } from './example';

describe('messaging release', () => {
  const nats = buildMessaging(new App());
  // Exactly what synthesizeToDist writes for the release (manifests, notes, verification report), verified first.
  const output = synthRelease(Release.of(nats));

  test('the NATS server is reachable on node port 30422 and pulls through the mirror', () => {
    const service = output.manifests.find((o) => o.kind === 'Service' && o.metadata.name === nats.endpoint.name);
    expect(JSON.stringify(service)).toContain('"nodePort":30422');
    expect(output.files['messaging/statefulset-messaging-nats.yaml']).toContain('image: mirror.corp.example:5000/');
    expect(output.report.externals.map((e) => e.ref)).toContain('Secret/messaging/mirror-pull');
  });

  test('the unauthenticated node port is called out', () => {
    expect(output.warnings.join('\n')).toMatch(/reachable on port 30422 of every node/);
  });

  test('the files match the reviewed snapshot', () => {
    expect(output.files).toMatchSnapshot();
  });
});
