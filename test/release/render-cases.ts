import { ApiObject, App, JsonPatch, Lazy, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { buildApp } from '../../apps/main';
import { fleetApp } from '../../bench/fleet';
import { generatedApp } from '../../bench/scenarios';
import { CLUSTER_SCOPED_KINDS, distFiles, Manifest, Release, renderApp } from '../../lib/release';
import { renderApiObjectWithPath } from '../../lib/release/render';
import { withSyncWaves } from '../../lib/gitops/ordering';
import { rng } from './yaml-gen';


// The one-pass render must give exactly the JSON cdk8s's own toJson() gives (same keys, same order, same values),
// for every object, or use toJson() itself. These tests compare the two on every object the example apps and the
// benchmark render, and on objects built to hit each rule; they also check that the fast path is the one taken.
// They run twice: with the L1 shapes parsed from the converters at run time (render.test.ts) and with cdk8s-plus-28's
// k8s module carrying precomputed shapes, as the synth bundle's slice does (render-l1-shapes.test.ts).

const json = (x: unknown) => JSON.stringify(x);

export function apiObjects(app: App): ApiObject[] {
  return app.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

/** Every object's render against its toJson(); returns how many took each path. */
export function compareAll(app: App): Record<string, number> {
  const paths: Record<string, number> = {};
  for (const o of apiObjects(app)) {
    const r = renderApiObjectWithPath(o, app);
    expect({ path: o.node.path, json: json(r.json) }).toEqual({ path: o.node.path, json: json(o.toJson()) });
    paths[r.path] = (paths[r.path] ?? 0) + 1;
  }
  return paths;
}

function release(app = new App()): Release {
  return new Release(app, 'r', { namespace: 'ns' });
}

/** The suite; `title` names the configuration it runs in. */
export function renderEqualsToJsonSuite(title: string): void {
  describe(title, () => {
    test('every object of every example app, all in one pass', () => {
      const app = buildApp();
      const paths = compareAll(app);
      expect(paths).toEqual({ walk: apiObjects(app).length });
    });

    test('every object of the benchmark apps (generated workloads, an IoT fleet of typed custom resources)', () => {
      for (const app of [generatedApp(60), fleetApp(25)]) {
        expect(compareAll(app)).toEqual({ walk: apiObjects(app).length });
      }
    });

    test('the releases renderApp returns are what cdk8s Chart.toJson() gives, object for object, in its order', () => {
      const app = buildApp();
      for (const r of renderApp(app)) {
        const chart = app.node.findAll().find((c) => Release.isRelease(c) && c.releaseName === r.name) as Release;
        // The pipeline before the one-pass render: the chart's objects, cluster-scoped ones without a namespace, each
        // with its sync wave.
        const reference = withSyncWaves((chart.toJson() as Manifest[]).map((o) => {
          if (!CLUSTER_SCOPED_KINDS.has(o.kind) || o.metadata.namespace === undefined) return o;
          const { namespace: _ns, ...metadata } = o.metadata;
          return { ...o, metadata };
        }));
        // Pull-secret refs and a Namespace's Pod Security labels are added after the render, from the whole release.
        const labels = (o: Manifest) => {
          const l = o.metadata.labels as Record<string, string> | undefined;
          return l && Object.fromEntries(Object.entries(l).filter(([k]) => !k.startsWith('pod-security.kubernetes.io/')));
        };
        const strip = (o: Manifest) => json({ ...o, metadata: { ...o.metadata, labels: labels(o), annotations: { ...(o.metadata.annotations as object), 'refs.ops-kit.io/external': undefined } } });
        expect(r.objects.map(strip)).toEqual(reference.map(strip));
      }
    });

    test('the written files are byte-identical to Yaml.stringify of toJson()', () => {
      const app = generatedApp(30);
      const files = distFiles(renderApp(app));
      for (const o of apiObjects(app)) {
        const text = [...files.entries()].find(([f]) => f.endsWith(`-${o.name}.yaml`) && f.includes(o.kind.toLowerCase()))![1];
        // The object's sync wave is added after the render (lib/gitops/ordering.ts), as before the one-pass render.
        expect(text).toBe(Yaml.stringify(withSyncWaves([o.toJson() as Manifest])[0]));
      }
    });

    test('resolves Lazy values, objects with resolve(), and number-or-string unions, in one pass', () => {
      const r = release();
      new k8s.KubeConfigMap(r, 'Lazy', {
        metadata: { name: 'lazy', labels: { tier: Lazy.any({ produce: () => 'web' }) }, annotations: { n: { resolve: () => 'resolved' } as any } },
        data: { a: Lazy.any({ produce: () => Lazy.any({ produce: () => 'nested' }) }), b: '2' },
      });
      new k8s.KubeService(r, 'Svc', {
        metadata: { name: 'svc' },
        spec: { ports: [{ port: 80, targetPort: k8s.IntOrString.fromString('http') }, { port: 81, targetPort: k8s.IntOrString.fromNumber(8081) }] },
      });
      new k8s.KubeDeployment(r, 'Deploy', {
        metadata: { name: 'd' },
        spec: {
          replicas: { resolve: () => 3 } as any,
          selector: { matchLabels: { a: 'b' } },
          template: { spec: { containers: [{ name: 'c', resources: { limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromNumber(1) } } }] } },
        },
      });
      expect(compareAll(r.node.scope as App)).toEqual({ walk: 3 });
    });

    test('a plain ApiObject: apiVersion, kind and metadata first, the rest sorted, nulls dropped', () => {
      const r = release();
      new ApiObject(r, 'Raw', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, zeta: 1, alpha: { b: [1, null, { d: null, c: 2 }], a: null } } as any);
      expect(compareAll(r.node.scope as App)).toEqual({ walk: 1 });
    });

    test('a CustomResourceDefinition with the JSON-schema fields cdk8s renames ($ref, x-kubernetes-*) and any-typed defaults', () => {
      const r = release();
      new k8s.KubeCustomResourceDefinition(r, 'Crd', {
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          names: { kind: 'Widget', plural: 'widgets' },
          scope: 'Namespaced',
          versions: [{
            name: 'v1', served: true, storage: true,
            schema: {
              openApiv3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', xKubernetesPreserveUnknownFields: true, default: { z: 1, a: [2, { y: 3, b: 4 }] } },
                  port: { xKubernetesIntOrString: true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  tags: { type: 'array', items: { type: 'string' }, xKubernetesListType: 'set' },
                  ref: { ref: '#/definitions/x' },
                },
                required: ['spec'],
              },
            },
          }],
        },
      });
      expect(compareAll(r.node.scope as App)).toEqual({ walk: 1 });
    });

    test('property: random plain data under every field form renders as toJson() does', () => {
      const r0 = rng(11);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r0() * xs.length)];
      const value = (depth: number): any => {
        const x = r0();
        if (depth < 3 && x < 0.2) return Object.fromEntries(Array.from({ length: Math.floor(r0() * 4) }, () => [pick(['b', 'a', '10', '2', 'z-y', 'x.y/z', '']), value(depth + 1)]));
        if (depth < 3 && x < 0.3) return Array.from({ length: Math.floor(r0() * 3) }, () => value(depth + 1));
        if (x < 0.38) return null;
        if (x < 0.42) return undefined;
        if (x < 0.5) {
          const produced = value(depth + 1);
          return Lazy.any({ produce: () => produced });
        }
        if (x < 0.55) return k8s.IntOrString.fromNumber(Math.floor(r0() * 100));
        return pick(['s', '', 'true', 1, 0, false, -1.5]);
      };
      const paths: string[] = [];
      for (let i = 0; i < 400; i++) {
        const app = new App();
        const r = release(app);
        new ApiObject(r, 'Raw', { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'raw', labels: { a: 'b' } }, spec: value(0), data: value(0) } as any);
        new k8s.KubeConfigMap(r, 'Cm', { metadata: { name: 'cm', annotations: value(1) }, data: value(1), binaryData: value(1) });
        const out: string[] = [];
        for (const o of apiObjects(app)) {
          let expected: string;
          try {
            expected = json(o.toJson());
          } catch (e) {
            // cdk8s refuses the data (a value that is not plain): the render must refuse it the same way.
            expect(() => renderApiObjectWithPath(o, app)).toThrow((e as Error).message);
            continue;
          }
          out.push(renderApiObjectWithPath(o, app).path);
          expect(json(renderApiObjectWithPath(o, app).json)).toBe(expected);
        }
        paths.push(...out);
      }
      // Most of them in one pass (the rest hold data the ConfigMap type does not take, such as a number in `data`).
      expect(paths.filter((p) => p === 'walk').length).toBeGreaterThan(paths.length / 2);
    });

    test('property: typed fields written in any order and any subset come out in the converter order, as toJson() gives', () => {
      // The walk orders the props an object holds by the L1 type's field order (an insertion into one shared stack of
      // indices per nesting level): random subsets of Deployment, pod spec, container, probe and metadata fields, each
      // object's keys shuffled, nested several levels deep, several objects per release.
      const r0 = rng(29);
      const shuffled = (entries: Array<[string, unknown]>): Record<string, unknown> => {
        const kept = entries.filter(() => r0() < 0.7);
        for (let i = kept.length - 1; i > 0; i--) {
          const j = Math.floor(r0() * (i + 1));
          [kept[i], kept[j]] = [kept[j], kept[i]];
        }
        return Object.fromEntries(kept);
      };
      const probe = () => shuffled([['periodSeconds', 5], ['httpGet', shuffled([['path', '/healthz'], ['port', k8s.IntOrString.fromString('http')], ['scheme', 'HTTP']])], ['failureThreshold', 3], ['initialDelaySeconds', 1], ['timeoutSeconds', undefined]]);
      const container = (i: number) => ({
        name: `c${i}`,
        ...shuffled([
          ['image', 'nginx:1.27'], ['args', ['-a', 'b']], ['command', ['run']], ['workingDir', '/w'], ['imagePullPolicy', 'IfNotPresent'],
          ['env', [shuffled([['name', 'A'], ['value', '1']]), { name: 'B', valueFrom: shuffled([['fieldRef', { fieldPath: 'metadata.name' }], ['secretKeyRef', undefined]]) }]],
          ['ports', [shuffled([['containerPort', 80], ['name', 'http'], ['protocol', 'TCP']])]],
          ['resources', shuffled([['limits', { memory: k8s.Quantity.fromString('64Mi'), cpu: k8s.Quantity.fromString('1') }], ['requests', { cpu: k8s.Quantity.fromString('10m') }]])],
          ['securityContext', shuffled([['runAsNonRoot', true], ['readOnlyRootFilesystem', true], ['capabilities', shuffled([['drop', ['ALL']], ['add', []]])], ['runAsUser', 1000]])],
          ['readinessProbe', probe()], ['livenessProbe', probe()], ['stdin', false], ['tty', null],
        ]),
      });
      const paths: string[] = [];
      for (let n = 0; n < 150; n++) {
        const app = new App();
        const r = release(app);
        for (let d = 0; d < 3; d++) {
          const spec = shuffled([
            ['serviceAccountName', 'sa'], ['automountServiceAccountToken', false], ['nodeSelector', { 'kubernetes.io/os': 'linux', a: 'b' }],
            ['securityContext', shuffled([['fsGroup', 2000], ['runAsNonRoot', true], ['seccompProfile', { type: 'RuntimeDefault' }]])],
            ['initContainers', [container(9)]], ['volumes', [shuffled([['name', 'v'], ['emptyDir', shuffled([['medium', 'Memory'], ['sizeLimit', k8s.Quantity.fromString('1Mi')]])]])]],
            ['tolerations', [shuffled([['key', 'k'], ['operator', 'Exists'], ['effect', 'NoSchedule']])]], ['hostname', 'h'], ['priorityClassName', undefined],
          ]);
          new k8s.KubeDeployment(r, `D${d}`, {
            ...(shuffled([['spec', {
              ...shuffled([['replicas', 2], ['revisionHistoryLimit', 3], ['strategy', shuffled([['type', 'RollingUpdate'], ['rollingUpdate', shuffled([['maxSurge', k8s.IntOrString.fromNumber(1)], ['maxUnavailable', k8s.IntOrString.fromString('25%')]])]])]]),
              selector: { matchLabels: { app: 'a' } },
              template: shuffled([['metadata', shuffled([['labels', { app: 'a' }], ['annotations', { z: '1', a: '2' }]])], ['spec', { ...spec, containers: [container(0), container(1)] }]]) as any,
            }]]) as any),
            metadata: shuffled([['name', `d${d}`], ['labels', { b: '1', a: '2' }], ['annotations', { x: 'y' }], ['namespace', 'other']]) as any,
          });
        }
        const counted = compareAll(app);
        paths.push(...Object.entries(counted).flatMap(([p, k]) => Array(k).fill(p)));
      }
      expect(new Set(paths)).toEqual(new Set(['walk']));
    });

    test.each([
      ['JSON patches', (r: Release) => {
        const cm = new k8s.KubeConfigMap(r, 'Cm', { metadata: { name: 'cm' }, data: { a: '1' } });
        cm.addJsonPatch(JsonPatch.add('/data/b', '2'));
      }],
      ['a top-level field the L1 type does not know (bogus)', (r: Release) => {
        new k8s.KubeConfigMap(r, 'Cm', { metadata: { name: 'cm' }, ...({ bogus: 1 } as any) });
      }],
      ['a field the L1 type does not know (extra)', (r: Release) => {
        new k8s.KubeService(r, 'Svc', { metadata: { name: 's' }, spec: { ports: [{ port: 80, ...({ extra: true } as any) }] } });
      }],
      ['a toJson override below the L1 class', (r: Release) => {
        class Custom extends k8s.KubeConfigMap {
          public toJson(): any {
            return { ...super.toJson(), data: { custom: 'yes' } };
          }
        }
        new Custom(r, 'Custom', { metadata: { name: 'custom' } });
      }],
    ])('uses toJson() for %s, with the same result', (reason, build) => {
      const app = new App();
      const r = release(app);
      build(r);
      const o = apiObjects(app)[0];
      expect(renderApiObjectWithPath(o, app)).toEqual({ json: o.toJson(), path: 'toJson', reason });
    });

    test('uses toJson() for an app with custom resolvers, and under CDK8S_DISABLE_SORT', () => {
      const custom = new App({ resolvers: [{ resolve: () => undefined }] });
      new k8s.KubeConfigMap(release(custom), 'Cm', { metadata: { name: 'cm' }, data: { b: '1', a: '2' } });
      expect(renderApiObjectWithPath(apiObjects(custom)[0], custom)).toMatchObject({ path: 'toJson', reason: 'custom resolvers or CDK8S_DISABLE_SORT' });
      const app = new App();
      new k8s.KubeConfigMap(release(app), 'Cm', { metadata: { name: 'cm' }, data: { b: '1', a: '2' } });
      process.env.CDK8S_DISABLE_SORT = '1';
      try {
        const o = apiObjects(app)[0];
        expect(renderApiObjectWithPath(o, app)).toEqual({ json: o.toJson(), path: 'toJson', reason: 'custom resolvers or CDK8S_DISABLE_SORT' });
      } finally {
        delete process.env.CDK8S_DISABLE_SORT;
      }
    });

    test('a subclass of an L1 class that does not override toJson renders in one pass', () => {
      class MyConfig extends k8s.KubeConfigMap {}
      const app = new App();
      new MyConfig(release(app), 'Cm', { metadata: { name: 'cm' }, data: { a: '1' } });
      expect(compareAll(app)).toEqual({ walk: 1 });
    });

    test('fails as toJson() fails on data cdk8s cannot render (a class instance)', () => {
      const app = new App();
      new k8s.KubeConfigMap(release(app), 'Cm', { metadata: { name: 'cm' }, data: { when: new Date(0) as any } });
      const o = apiObjects(app)[0];
      expect(() => o.toJson()).toThrow(/can't render non-simple object of type 'Date'/);
      expect(() => renderApiObjectWithPath(o, app)).toThrow(/can't render non-simple object of type 'Date'/);
    });

    test('objects that declare dependencies keep cdk8s\'s topological order', () => {
      const app = new App();
      const r = release(app);
      const a = new k8s.KubeConfigMap(r, 'A', { metadata: { name: 'a' } });
      const b = new k8s.KubeConfigMap(r, 'B', { metadata: { name: 'b' } });
      a.addDependency(b);
      const [rendered] = renderApp(app);
      expect(rendered.objects.map((o) => o.metadata.name)).toEqual((r.toJson() as Manifest[]).map((o) => o.metadata.name));
      expect(rendered.objects.map((o) => o.metadata.name)).toEqual(['b', 'a']);
    });

    test('release folders are ordered by code unit: for DNS labels the order localeCompare gave here, on any machine', () => {
      const r = rng(5);
      const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-';
      const label = () => {
        const n = 1 + Math.floor(r() * 12);
        let s = alphabet[Math.floor(r() * 26)];
        for (let i = 1; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
        return s.replace(/-+$/, '') || 'a';
      };
      const names = Array.from({ length: 3000 }, label);
      const ordinal = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      // The default locale (which wrote dist/) and the root collation agree with code-unit order on DNS labels...
      for (const locale of [undefined, 'und', 'en-US', 'de-DE', 'ja-JP']) {
        expect([...names].sort((a, b) => a.localeCompare(b, locale))).toEqual(ordinal);
      }
      // ...but localeCompare follows the machine's locale, and in Danish "aa" sorts after "z": the order no longer does.
      expect(['aab', 'ab', 'z'].sort((a, b) => a.localeCompare(b, 'da-DK'))).toEqual(['ab', 'z', 'aab']);
      const app = new App();
      for (const n of ['b-2', 'b2', 'a-b', 'ab', 'b-10', 'a0']) new Release(app, n, { namespace: 'ns' });
      expect(renderApp(app).map((x) => x.name)).toEqual(['a-b', 'a0', 'ab', 'b-10', 'b-2', 'b2']);
    });
  });
}
