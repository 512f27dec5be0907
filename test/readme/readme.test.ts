import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { renderApp } from '../../lib/release';
import { buildMessaging, synth } from './example';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const EXAMPLE = fs.readFileSync(path.join(__dirname, 'example.ts'), 'utf8');

describe('README example', () => {
  test('the README quotes test/readme/example.ts verbatim', () => {
    const m = README.match(/<!-- README-EXAMPLE:START -->\n```ts\n([\s\S]*?)```\n<!-- README-EXAMPLE:END -->/);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(EXAMPLE);
  });

  test('the example synthesizes, with the mirror and placement applied', () => {
    const app = new App();
    const nats = buildMessaging(app);
    const [release] = renderApp(app);
    expect(release.name).toBe('messaging');
    const sts = release.objects.find((o) => o.kind === 'StatefulSet') as any;
    const pod = sts.spec.template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) expect(c.image.startsWith('mirror.corp.example:5000/')).toBe(true);
    expect(pod.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    expect(pod.nodeSelector).toEqual({ 'node-role.corp.example/infra': 'true' });
    const svc = release.objects.find((o) => o.kind === 'Service' && (o as any).spec.type === 'NodePort') as any;
    expect(svc.spec.ports.find((p: any) => p.nodePort === 30422)).toBeDefined();
    expect(nats.buckets.map((b) => b.name)).toEqual(['orders']);
  });

  test('the example writes one release folder of manifests and a verification report beside it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    try {
      expect(synth(dir)).toBe(true);
      expect(fs.readdirSync(dir).sort()).toEqual(['.ops-kit-output', '_reports', 'messaging']);
      expect(fs.readdirSync(path.join(dir, 'messaging')).every((f) => f.endsWith('.yaml'))).toBe(true);
      expect(fs.readFileSync(path.join(dir, '_reports', 'messaging', 'verify.txt'), 'utf8')).toContain('verify messaging');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
