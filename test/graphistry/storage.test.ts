import { Size } from 'cdk8s';
import { GraphistryStorage, GraphistryStorageProps, StorageAccessMode } from '../../lib/graphistry';
import { synthIn } from '../support';

type Obj = Record<string, any>;

function render(props: GraphistryStorageProps = {}) {
  const { construct: storage, template } = synthIn((r) => new GraphistryStorage(r, 'Storage', props), { id: 'gx', namespace: 'gx' });
  const objects = template.objects as Obj[];
  return { storage, objects, byName: Object.fromEntries(objects.map((o) => [o.metadata.name, o])) };
}

describe('GraphistryStorage', () => {
  const d = render();

  test('defaults snapshot', () => {
    expect(d.objects).toMatchSnapshot();
  });

  test('four claims, ReadWriteOnce on retain-sc, sized per purpose', () => {
    expect(d.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'PersistentVolumeClaim/data-mount',
      'PersistentVolumeClaim/local-media-mount',
      'PersistentVolumeClaim/gak-public',
      'PersistentVolumeClaim/gak-private',
    ]);
    for (const o of d.objects) {
      expect(o.spec.accessModes).toEqual(['ReadWriteOnce']);
      expect(o.spec.storageClassName).toBe('retain-sc');
      expect(o.spec.volumeName).toBeUndefined();
    }
    expect(d.byName['data-mount'].spec.resources.requests.storage).toBe('100Gi');
    expect(d.byName['local-media-mount'].spec.resources.requests.storage).toBe('10Gi');
    expect(d.byName['gak-public'].spec.resources.requests.storage).toBe('1Gi');
  });

  test('neither Argo CD (prune, Application deletion) nor Helm (uninstall) deletes a claim', () => {
    for (const o of d.objects) expect(o.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' });
  });

  test('ReadWriteMany, a class override and volumeName rebinding', () => {
    const c = render({
      accessMode: StorageAccessMode.READ_WRITE_MANY,
      storageClassName: 'retain-sc-nfs',
      dataMount: { size: Size.gibibytes(500), volumeName: 'pvc-0a1b2c' },
    });
    expect(c.byName['data-mount'].spec).toEqual({
      accessModes: ['ReadWriteMany'],
      storageClassName: 'retain-sc-nfs',
      volumeName: 'pvc-0a1b2c',
      resources: { requests: { storage: '500Gi' } },
    });
    expect(c.byName['gak-private'].spec.accessModes).toEqual(['ReadWriteMany']);
  });

  test('the gak claims follow only their enabled flags', () => {
    const c = render({ gakPublicEnabled: false });
    expect(Object.keys(c.byName)).toEqual(['data-mount', 'local-media-mount', 'gak-private']);
    expect(c.storage.has('gak-public')).toBe(false);
  });

  test('fails when two claims bind the same volume', () => {
    expect(() => render({ dataMount: { volumeName: 'pv-1' }, localMediaMount: { volumeName: 'pv-1' } })).toThrow(/'localMediaMount\.volumeName'.*data-mount already binds it/);
  });

  test('fails when a size is below 1 MiB', () => {
    expect(() => render({ gakPublic: { size: Size.kibibytes(10) } })).toThrow(/'gakPublic\.size'/);
  });

  test('fails when the class is not a StorageClass name', () => {
    expect(() => render({ storageClassName: 'Retain SC' })).toThrow(/'storageClassName'/);
  });
});
