import { Size } from 'cdk8s';
import { ConfigError } from '../../lib/core';
import { NatsConfig } from '../../lib/nats';

const js = { storeDir: '/data', maxMemoryStore: Size.mebibytes(128), maxFileStore: Size.gibibytes(1) };

describe('NatsConfig', () => {
  test('defaults snapshot', () => {
    expect(new NatsConfig({ serverName: 'bus' }).render()).toMatchSnapshot();
  });

  test('custom snapshot', () => {
    expect(new NatsConfig({ serverName: 'bus', host: '127.0.0.1', port: 14222, monitorPort: 18222, jetstream: js, maxPayload: Size.mebibytes(8) }).render()).toMatchSnapshot();
  });

  test('renders the listeners, payload limit and no JetStream block by default', () => {
    const text = new NatsConfig({ serverName: 'bus' }).render();
    const lines = text.split('\n');
    expect(lines).toContain('server_name: "bus"');
    expect(lines).toContain('host: "0.0.0.0"');
    expect(lines).toContain('port: 4222');
    // http_port rather than `http: host:port`, so the monitor follows `host`.
    expect(lines).toContain('http_port: 8222');
    expect(lines).toContain('max_payload: 1048576');
    expect(text).not.toMatch(/jetstream/);
    expect(text.endsWith('\n')).toBe(true);
  });

  test('renders JetStream limits in bytes inside a jetstream block', () => {
    const text = new NatsConfig({ serverName: 'bus', jetstream: js }).render();
    expect(text).toContain('jetstream {\n  store_dir: "/data"\n  max_memory_store: 134217728\n  max_file_store: 1073741824\n}\n');
  });

  test('is deterministic', () => {
    const a = new NatsConfig({ serverName: 'bus', jetstream: js }).render();
    const b = new NatsConfig({ serverName: 'bus', jetstream: { ...js } }).render();
    expect(a).toBe(b);
  });

  test('fails when the server name contains a space', () => {
    expect(() => new NatsConfig({ serverName: 'my bus' })).toThrow(ConfigError);
    expect(() => new NatsConfig({ serverName: 'my bus' })).toThrow(/'serverName'/);
  });

  test('fails when a port is out of range or the two ports collide', () => {
    expect(() => new NatsConfig({ serverName: 'bus', port: 70000 })).toThrow(/'port' is 70000/);
    expect(() => new NatsConfig({ serverName: 'bus', monitorPort: 4222 })).toThrow(/'monitorPort' is 4222/);
  });

  test('fails when max payload exceeds the NATS hard limit', () => {
    expect(() => new NatsConfig({ serverName: 'bus', maxPayload: Size.mebibytes(65) })).toThrow(/'maxPayload'/);
  });

  test('fails when the store dir is relative or needs quoting', () => {
    expect(() => new NatsConfig({ serverName: 'bus', jetstream: { ...js, storeDir: 'data' } })).toThrow(/'jetstream.storeDir'/);
    expect(() => new NatsConfig({ serverName: 'bus', jetstream: { ...js, storeDir: '/da"ta' } })).toThrow(/'jetstream.storeDir'/);
  });

  test('fails when the host is not an address', () => {
    expect(() => new NatsConfig({ serverName: 'bus', host: 'http://x' })).toThrow(/'host'/);
  });
});
