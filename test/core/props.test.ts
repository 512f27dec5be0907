import { Construct } from 'constructs';
import { forwardProps, userProp } from '../../lib/core';

describe('userProp', () => {
  const root = new Construct(undefined as unknown as Construct, '');
  const stack = new Construct(root, 'Stack');
  const telemetry = new Construct(stack, 'Telemetry');
  const prometheus = new Construct(telemetry, 'Prometheus');
  const caddy = new Construct(stack, 'Caddy');
  forwardProps(telemetry, { prefix: 'telemetry' });
  forwardProps(prometheus, { prefix: 'prometheus' });
  forwardProps(caddy, { prefix: 'caddy', renames: { 'stickyCookie.secret': 'caddy.cookieSecret' } });

  test('follows forwarded props up to the construct the user created', () => {
    expect(userProp(prometheus, 'retentionSize')).toEqual({ construct: stack, prop: 'telemetry.prometheus.retentionSize' });
    expect(userProp(telemetry, 'mode')).toEqual({ construct: stack, prop: 'telemetry.mode' });
    expect(userProp(stack, 'tier')).toEqual({ construct: stack, prop: 'tier' });
  });

  test('a renamed prop, and the paths below it, take the parent\'s name', () => {
    expect(userProp(caddy, 'stickyCookie.secret')).toEqual({ construct: stack, prop: 'caddy.cookieSecret' });
    expect(userProp(caddy, 'stickyCookie.secret.key')).toEqual({ construct: stack, prop: 'caddy.cookieSecret.key' });
    expect(userProp(caddy, 'stickyCookie.secretive')).toEqual({ construct: stack, prop: 'caddy.stickyCookie.secretive' });
    expect(userProp(caddy, 'replicas')).toEqual({ construct: stack, prop: 'caddy.replicas' });
  });
});
