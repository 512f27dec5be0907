import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ImageRef, Images, unpinnedImageException } from '../../lib/core/images';
import { policyExceptionAnnotations } from '../../lib/core/policy';
import { Release, renderRelease } from '../../lib/release';
import { verifyManifests } from '../../lib/verify';

describe('ImageRef.parse', () => {
  test.each([
    ['nginx:1.27.2', undefined, 'nginx', '1.27.2', undefined],
    ['graphistry/streamgl-gpu:v2.50.7', undefined, 'graphistry/streamgl-gpu', 'v2.50.7', undefined],
    ['ghcr.io/org/app:1.0', 'ghcr.io', 'org/app', '1.0', undefined],
    ['localhost/app:dev', 'localhost', 'app', 'dev', undefined],
    ['registry.corp:5000/team/app:1.2', 'registry.corp:5000', 'team/app', '1.2', undefined],
    ['myhost:5000/app', 'myhost:5000', 'app', undefined, undefined],
    [`nginx@sha256:${'a'.repeat(64)}`, undefined, 'nginx', undefined, `sha256:${'a'.repeat(64)}`],
    [`quay.io/x/y:1.0@sha256:${'b'.repeat(64)}`, 'quay.io', 'x/y', '1.0', `sha256:${'b'.repeat(64)}`],
  ])('%s', (ref, registry, repository, tag, digest) => {
    const img = ImageRef.parse(ref);
    expect([img.registry, img.repository, img.tag, img.digest]).toEqual([registry, repository, tag, digest]);
    expect(img.toString()).toBe(ref);
  });

  test('pinned means a digest or a tag other than latest', () => {
    expect(ImageRef.parse('nginx:1.27').pinned).toBe(true);
    expect(ImageRef.parse(`nginx@sha256:${'c'.repeat(64)}`).pinned).toBe(true);
    expect(ImageRef.parse('nginx').pinned).toBe(false);
    expect(ImageRef.parse('nginx:latest').pinned).toBe(false);
    expect(ImageRef.parse('registry:5000/nginx').pinned).toBe(false);
  });

  test.each(['', 'Nginx:1.0', 'nginx:', 'nginx:bad tag', 'nginx@sha256:xyz', 'a//b:1'])('fails when the reference is %j', (ref) => {
    expect(() => ImageRef.parse(ref, 'caddy.image')).toThrow(/'caddy.image'/);
  });
});

describe('Images', () => {
  function tree(settings?: Parameters<typeof Images.configure>[1]) {
    const app = new App();
    const chart = new Chart(app, 'c');
    if (settings) Images.configure(chart, settings);
    const child = new Construct(new Construct(chart, 'a'), 'b');
    return { app, chart, child };
  }

  test('resolves pinned images unchanged without a redirect', () => {
    const { child } = tree();
    expect(Images.of(child).resolve('image', 'nginx:1.27.2')).toBe('nginx:1.27.2');
  });

  test('the registry redirect applies to every image under the scope, Docker Hub ones included', () => {
    const { child } = tree({ registry: 'mirror.corp:5000/proxy' });
    const images = Images.of(child);
    expect(images.resolve('a', 'nginx:1.27.2')).toBe('mirror.corp:5000/proxy/library/nginx:1.27.2');
    expect(images.resolve('b', 'graphistry/nexus:v2.50.7')).toBe('mirror.corp:5000/proxy/graphistry/nexus:v2.50.7');
    expect(images.resolve('c', 'ghcr.io/org/app:1.0')).toBe('mirror.corp:5000/proxy/org/app:1.0');
    expect(images.resolve('d', 'groundnuty/k8s-wait-for:v2.0')).toBe('mirror.corp:5000/proxy/groundnuty/k8s-wait-for:v2.0');
  });

  test('an image already on the mirror is not redirected a second time', () => {
    const { child } = tree({ registry: 'mirror.corp:5000/proxy' });
    expect(Images.of(child).resolve('a', 'mirror.corp:5000/proxy/library/nginx:1.27.2')).toBe('mirror.corp:5000/proxy/library/nginx:1.27.2');
    // a registry that merely shares a prefix is still redirected
    expect(Images.of(child).resolve('b', 'mirror.corp:5000/proxy2/app:1.0')).toBe('mirror.corp:5000/proxy/proxy2/app:1.0');
  });

  test('the nearest configuration wins', () => {
    const { chart, child } = tree({ registry: 'outer.corp' });
    Images.configure(child.node.scope!, { registry: 'inner.corp' });
    expect(Images.of(child).resolve('i', 'nginx:1')).toBe('inner.corp/library/nginx:1');
    expect(Images.of(chart).resolve('i', 'nginx:1')).toBe('outer.corp/library/nginx:1');
  });

  test('pull secrets render as imagePullSecrets', () => {
    const { child } = tree({ pullSecrets: ['regcred'] });
    expect(Images.of(child).pullSecrets()).toEqual([{ name: 'regcred' }]);
    expect(Images.of(tree().child).pullSecrets()).toBeUndefined();
  });

  test('fails when an image is untagged or latest', () => {
    const { child } = tree();
    expect(() => Images.of(child).resolve('nats.image', 'nats')).toThrow(/'nats.image' is "nats", but an unpinned image changes under a running release; allowed: an image pinned by tag/);
    expect(() => Images.of(child).resolve('nats.image', 'nats:latest')).toThrow(/'nats.image' is "nats:latest"/);
  });

  test('an unpinned image is allowed only with a reason', () => {
    const { child } = tree();
    expect(Images.of(child).resolve('img', 'dev/app:latest', { reason: 'dev cluster tracks main' })).toBe('dev/app:latest');
    expect(() => Images.of(child).resolve('img', 'dev/app:latest', { reason: ' ' })).toThrow(/'img.allowUnpinned.reason'/);
  });

  test('an allowed unpinned image carries its reason into the output, and verification accepts it there', () => {
    const allowance = { reason: 'the dev cluster tracks main' };
    const render = (annotate: boolean) => {
      const release = new Release(new App(), 'dev', { namespace: 'dev' });
      const image = Images.of(release).resolve('web.image', 'corp/web:latest', allowance);
      new k8s.KubeDeployment(release, 'Web', {
        metadata: { name: 'web', annotations: annotate ? policyExceptionAnnotations([unpinnedImageException(allowance)]) : undefined },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
        },
      });
      const objects = renderRelease(release).objects;
      return verifyManifests(objects, { schema: false }).violations.filter((v) => v.rule === 'pinned-images');
    };
    expect(unpinnedImageException(allowance)).toEqual({ rule: 'pinned-images', reason: 'the dev cluster tracks main' });
    expect(render(false)).toHaveLength(1);
    expect(render(true)).toEqual([]);
  });

  test('fails when the registry has a scheme', () => {
    const { chart } = tree();
    expect(() => Images.configure(chart, { registry: 'https://mirror' })).toThrow(/'images.registry' is "https:\/\/mirror"/);
  });
});
