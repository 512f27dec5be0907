import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { GraphistryStack } from '../../lib/graphistry';
import { CaddyIngress, CaddyUpstream } from '../../lib/ingress';
import { IotFleet } from '../../lib/iot';
import { NatsServer } from '../../lib/nats';
import { ConfigErrors } from '../../lib/core';
import { Release, renderApp, SynthError } from '../../lib/release';
import { TelemetryMode, TelemetryStack } from '../../lib/telemetry';
import { BASE } from '../graphistry/stack-fixtures';

// Every construct resolves its namespace, release name, image mirror and placement from the enclosing Release; a plain
// cdk8s Chart has none of them, so the library refuses it with one clear error instead of failing somewhere inside.
const constructs: Array<[string, (scope: Chart) => unknown]> = [
  ['IotFleet', (c) => new IotFleet(c, 'Fleet')],
  ['NatsServer', (c) => new NatsServer(c, 'Nats')],
  ['GraphistryStack', (c) => new GraphistryStack(c, 'Graphistry', BASE)],
  ['CaddyIngress', (c) => new CaddyIngress(c, 'Caddy', { upstream: CaddyUpstream.single('web.apps.svc.cluster.local:80') })],
  ['TelemetryStack', (c) => new TelemetryStack(c, 'Telemetry', { mode: TelemetryMode.selfHosted({ grafanaAdmin: { secretName: 'grafana-admin' } }) })],
];

describe('constructs outside a Release', () => {
  for (const [name, create] of constructs) {
    test(`fails when ${name} is created in a plain cdk8s Chart, naming the construct, the chart and the fix`, () => {
      const chart = new Chart(new App(), 'plain');
      let error: Error | undefined;
      try {
        create(chart);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.name).toBe('ConfigError');
      const id = chart.node.children[0].node.id;
      expect(error?.message).toBe(
        `'scope' is "plain/${id}", but ${name} "plain/${id}" is outside any Release (it is created in the cdk8s Chart "plain", which is not a Release); ` +
          'the library\'s constructs take their namespace, release name, image mirror and placement from the enclosing Release; ' +
          `allowed: a Release, or a construct inside one: const release = new Release(app, 'my-release', { namespace: 'my-namespace' }); new ${name}(release, '${id}', ...)`,
      );
    });
  }

  test('fails when a construct is created directly in the App', () => {
    expect(() => new NatsServer(new App(), 'Nats')).toThrow(/'scope' is "Nats", but NatsServer "Nats" is outside any Release \(it is not inside any chart\)/);
  });

  test('a construct in a chart nested in a Release resolves that Release', () => {
    const release = new Release(new App(), 'messaging', { namespace: 'msg' });
    const nats = new NatsServer(new Chart(release, 'Inner'), 'Nats');
    expect(Release.of(nats)).toBe(release);
    expect(nats.name).toBe('messaging-nats');
  });

  test('instanceof Release is true for releases only (cdk8s Chart answers instanceof for every chart)', () => {
    const app = new App();
    expect(new Chart(app, 'plain') instanceof Release).toBe(false);
    expect(new Release(app, 'r', { namespace: 'x' }) instanceof Release).toBe(true);
    expect(new Release(app, 'r2', { namespace: 'x' }) instanceof Chart).toBe(true);
  });

  test('fails when the app holds a plain Chart, whose objects would be written nowhere', () => {
    const app = new App();
    new Release(app, 'good', { namespace: 'x' });
    const stray = new Chart(app, 'stray');
    new k8s.KubeConfigMap(stray, 'Cfg', { metadata: { name: 'lost' } });
    expect(() => renderApp(app)).toThrow(SynthError);
    expect(() => renderApp(app)).toThrow(/\[stray\] is a cdk8s Chart, not a Release, so its objects would not be written to any dist\/ folder/);
  });
});

describe('Release fails when', () => {
  test('fails when several props are wrong, reporting every mistake in one error', () => {
    let error: unknown;
    try {
      new Release(new App(), 'Bad_Name', { namespace: 'Bad Namespace', images: { registry: 'https://mirror', pullSecrets: ['ok', 'Not OK'] } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).errors.map((e) => e.prop)).toEqual(['release.name', 'release.namespace', 'images.registry', 'images.pullSecrets[1]']);
  });
});
