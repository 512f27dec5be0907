import { App } from 'cdk8s';
import { Connection } from '../../lib/core/wiring';
import { renderApp, renderRelease } from '../../lib/release';
import { passMemo, passTake, renderPass } from '../../lib/release/pass';
import { renderApiObject, takeRenderedApiObject } from '../../lib/release/render';
import { DemoWorkload, newRelease } from '../support';

// A render pass computes the wiring graph's records once for the whole app instead of once per release and use; these
// tests state that it does, and that nothing it computed outlives the pass (a tree changed between two renders is
// read afresh).

function twoReleases(app: App) {
  const data = newRelease({ id: 'data', namespace: 'data' }, app);
  const cache = new DemoWorkload(data, 'Cache', { name: 'cache', ports: [{ name: 'redis', port: 6379 }], service: [{ name: 'redis', port: 6379 }] });
  const web = newRelease({ id: 'web', namespace: 'web' }, app);
  return { data, cache, web };
}

describe('render pass', () => {
  test('passMemo computes once inside a pass and every time outside one', () => {
    const owner = {};
    let n = 0;
    const compute = () => ++n;
    expect(passMemo(owner, 'k', compute)).toBe(1);
    expect(passMemo(owner, 'k', compute)).toBe(2);
    renderPass(() => {
      expect(passMemo(owner, 'k', compute)).toBe(3);
      expect(passMemo(owner, 'k', compute)).toBe(3);
      expect(passMemo(owner, 'other', compute)).toBe(4);
      expect(passMemo({}, 'k', compute)).toBe(5);
      // A nested pass is the same pass.
      renderPass(() => expect(passMemo(owner, 'k', compute)).toBe(3));
    });
    expect(passMemo(owner, 'k', compute)).toBe(6);
  });

  test('a pass ends when its function throws', () => {
    const owner = {};
    let n = 0;
    expect(() => renderPass(() => {
      passMemo(owner, 'k', () => ++n);
      throw new Error('boom');
    })).toThrow('boom');
    expect(passMemo(owner, 'k', () => ++n)).toBe(2);
  });

  test('renderApp converts each connection of the app to its record once, however many releases read the graph', () => {
    const app = new App();
    const { cache, web } = twoReleases(app);
    new DemoWorkload(web, 'Web', { name: 'web', ports: [{ name: 'http', port: 8080 }], connect: [(c) => c.connect(cache.endpoint!, 'redis', { purpose: 'cache' })] });
    const spy = jest.spyOn(Connection.prototype, 'toRecord');
    try {
      const out = renderApp(app);
      // The app holds one wired connection: one record for both releases and every use (plan, notes, report).
      expect(out.map((r) => r.name)).toEqual(['data', 'web']);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(out.map((r) => r.connections?.filter((c) => c.kind !== 'ingress').map((c) => `${c.from.type}->${c.to.type}:${c.purpose}`))).toEqual([
        ['workload->service:cache'],
        ['workload->service:cache'],
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  test('a connection added after a render is in the next render (nothing is kept between passes)', () => {
    const app = new App();
    const { cache, web } = twoReleases(app);
    const first = renderApp(app);
    expect(first.flatMap((r) => r.connections ?? [])).toEqual([]);
    new DemoWorkload(web, 'Web', { name: 'web', ports: [{ name: 'http', port: 8080 }], connect: [(c) => c.connect(cache.endpoint!, 'redis', { purpose: 'cache' })] });
    const second = renderApp(app);
    expect(second.find((r) => r.name === 'data')!.connections!.map((c) => c.purpose)).toEqual(['cache']);
    const cachePolicy = second.find((r) => r.name === 'data')!.objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'cache') as any;
    expect(cachePolicy.spec.ingress[0].ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
  });

  test('passTake hands the value over once and the pass forgets it', () => {
    const owner = {};
    let n = 0;
    const compute = () => ({ n: ++n });
    renderPass(() => {
      const shared = passMemo(owner, 'k', compute);
      expect(passTake(owner, 'k', compute)).toBe(shared);
      expect(passTake(owner, 'k', compute)).toEqual({ n: 2 });
      expect(passMemo(owner, 'k', compute)).toEqual({ n: 3 });
    });
    expect(passTake(owner, 'k', compute)).toEqual({ n: 4 });
  });

  test('inside a pass an object is rendered once for its readers; the release takes that JSON, and a later reader gets a fresh copy', () => {
    const app = new App();
    const { cache } = twoReleases(app);
    const service = cache.service!;
    renderPass(() => {
      const read = renderApiObject(service);
      expect(renderApiObject(service)).toBe(read);
      const owned = takeRenderedApiObject(service);
      expect(owned).toBe(read);
      owned.metadata.annotations = { changed: 'by its owner' };
      const again = renderApiObject(service);
      expect(again).not.toBe(owned);
      expect(again.metadata.annotations).toBeUndefined();
      expect(again).toEqual(service.toJson());
    });
    // Outside a pass every call renders.
    expect(renderApiObject(service)).not.toBe(renderApiObject(service));
    expect(takeRenderedApiObject(service)).toEqual(service.toJson());
  });
  test('lazy notes and warnings are produced once per pass, before the release takes its objects: they read the JSON the release writes', () => {
    const app = new App();
    const { data, cache } = twoReleases(app);
    const service = cache.service!;
    let produced = 0;
    let seen: unknown;
    data.addNote('first');
    data.addLazyNote(() => {
      produced++;
      seen = renderApiObject(service);
      return [`ports: ${(seen as any).spec.ports.map((p: { port: number }) => p.port).join(',')}`, ' ', 'after'];
    });
    data.addNote('last');
    data.addWarning('eager one');
    data.addLazyWarning(() => ({ text: 'lazy one ', fix: { scope: cache, prop: 'name', value: "'x'" } }));
    data.addLazyWarning(() => undefined);
    data.addLazyWarning(() => ({ text: 'eager one' }));
    data.addWarning('eager two');
    const out = renderRelease(data);
    // In the order added, empty paragraphs and undefined warnings dropped, the first of equal warnings kept.
    expect(out.notes.slice(0, 4)).toEqual(['first', 'ports: 6379', 'after', 'last']);
    expect(out.warnings).toEqual(['eager one', expect.stringMatching(/^lazy one Fix: in the props of DemoWorkload .*, set name: 'x'\.$/), 'eager two']);
    // Produced once for the notes and the warnings of the pass, from the JSON the release then took and wrote.
    expect(produced).toBe(1);
    expect(out.objects.find((o) => o.kind === 'Service')).toBe(seen);
    // Outside a pass every read produces them afresh.
    expect(data.notes.slice(0, 4)).toEqual(['first', 'ports: 6379', 'after', 'last']);
    expect(data.notes).toHaveLength(out.notes.length);
    expect(produced).toBe(3);
  });
});
