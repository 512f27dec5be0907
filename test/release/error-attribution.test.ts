import { App, Size } from 'cdk8s';
import { ConfigError, NodeSelection } from '../../lib/core';
import { GraphistryStack, Tier } from '../../lib/graphistry';
import { IotFleet } from '../../lib/iot';
import { NatsServer } from '../../lib/nats';
import { Release } from '../../lib/release';
import { TelemetryStack } from '../../lib/telemetry';
import { BASE, SELF_HOSTED } from '../graphistry/stack-fixtures';

// A ConfigError names the construct the user created and the prop as they wrote it in that construct's props: the
// same NatsServer check reads `name` for a NatsServer user and `nats.name` for an IotFleet user, with no prefix
// written by hand in NatsServer.
function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}
const release = (id = 'r') => new Release(new App(), id, { namespace: 'ns' });

describe('errors carry their construct and the prop as the user wrote it', () => {
  test('a NatsServer the user created names its own prop; inside an IotFleet the fleet\'s nats prop', () => {
    const own = errorOf(() => new NatsServer(release(), 'Bus', { name: 'Bad_Name' }));
    expect([own.construct, own.prop]).toEqual([{ type: 'NatsServer', path: 'r/Bus' }, 'name']);
    const fleet = errorOf(() => new IotFleet(release(), 'Fleet', { nats: { name: 'Bad_Name' } }));
    expect([fleet.construct, fleet.prop]).toEqual([{ type: 'IotFleet', path: 'r/Fleet' }, 'nats.name']);
    expect(fleet.message).toMatch(/^IotFleet "r\/Fleet": 'nats\.name' is "Bad_Name"/);
  });

  test('the operator of a fleet: operator.* in the fleet\'s props', () => {
    const e = errorOf(() => new IotFleet(release(), 'Fleet', { operator: { logLevel: 'info; rm -rf /' } }));
    expect([e.construct?.type, e.prop]).toEqual(['IotFleet', 'operator.logLevel']);
  });

  test('two levels down: a GraphistryStack user reads telemetry.prometheus.*, a TelemetryStack user prometheus.*', () => {
    const bad = { ...SELF_HOSTED, prometheus: { retentionSize: Size.gibibytes(100) } };
    const stack = errorOf(() => new GraphistryStack(release('graphistry'), 'Graphistry', { ...BASE, tier: Tier.ANALYTICS, telemetry: bad }));
    expect([stack.construct, stack.prop]).toEqual([{ type: 'GraphistryStack', path: 'graphistry/Graphistry' }, 'telemetry.prometheus.retentionSize']);
    const telemetry = errorOf(() => new TelemetryStack(release(), 'Telemetry', bad));
    expect([telemetry.construct?.type, telemetry.prop]).toEqual(['TelemetryStack', 'prometheus.retentionSize']);
  });

  test('a stack member\'s own checks and those of the core renderers are named in the stack\'s props', () => {
    const engine = errorOf(() => new GraphistryStack(release(), 'G', { ...BASE, tier: Tier.ANALYTICS, engine: { nginx: { env: { PORT: '1' } } } }));
    expect([engine.construct?.type, engine.prop]).toEqual(['GraphistryStack', 'engine.nginx.env.PORT']);
    const placement = errorOf(() => new GraphistryStack(release(), 'G', {
      ...BASE,
      tier: Tier.FULL,
      notebook: { placement: { nodeSelection: NodeSelection.inherit(), tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] } },
    }));
    expect([placement.construct?.type, placement.prop]).toEqual(['GraphistryStack', 'notebook.placement.tolerations[0].value']);
  });
});
