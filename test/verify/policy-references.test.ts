import { declaredExternals, KubeObject, looksSecret, POLICY_RULES, policyFindings, RULES, verifyManifests } from '../../lib/verify';

const sc = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
const res = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

function cronJob(annotations: Record<string, string> = {}, container: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'backup', namespace: 'ns', annotations },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: { spec: { template: { metadata: { annotations: { 'policy.ops-kit.io/non-root': 'on the template, which does not count' } }, spec: {
        restartPolicy: 'OnFailure',
        containers: [{ name: 'backup', image: 'postgres:16.4-alpine3.20', resources: res, securityContext: sc, ...container }],
      } } } },
    },
  };
}

describe('policy', () => {
  test('every policy rule has a one-line rationale', () => {
    for (const id of POLICY_RULES) {
      const r = RULES.get(id)!;
      expect(r.category).toBe('policy');
      expect(r.rationale).toMatch(/^[a-z].{20,}[^.]$/);
      expect(r.rationale).not.toContain('\n');
    }
  });

  test.each([
    ['DB_PASSWORD', true], ['JWT_SECRET', true], ['apiKey', true], ['GITHUB_TOKEN', true], ['aws.secret.key', true], ['PASSWD', true],
    ['TLS_KEY_FILE', false], ['SECRET_PATH', false], ['BADGER_DIRECTORY_KEY', false], ['OAUTH_TOKEN_URL', false], ['jwtSecretName', false], ['KEYCLOAK_URL', false], ['MONKEY', false], ['TOKENIZER_MODEL', false], ['LOG_LEVEL', false],
    ['GOOGLE_APPLICATION_CREDENTIALS', false], ['GOOGLE_CREDENTIALS', true],
  ])('env name %s looks secret: %s', (name, expected) => {
    expect(looksSecret(name)).toBe(expected);
  });

  test('CronJob pods are checked, and need no probes', () => {
    expect(policyFindings(cronJob())).toEqual([]);
    expect(policyFindings(cronJob({}, { image: 'postgres' })).map((f) => [f.rule, f.path])).toEqual([['pinned-images', 'spec.jobTemplate.spec.template.spec.containers[0].image']]);
  });

  test('an exception counts on the workload metadata, not on the pod template', () => {
    const root = { securityContext: { ...sc, runAsNonRoot: undefined, runAsUser: 0 } };
    expect(verifyManifests([cronJob({}, root)]).violations.map((v) => v.rule)).toEqual(['non-root']);
    const r = verifyManifests([cronJob({ 'policy.ops-kit.io/non-root': 'pg_dump writes as postgres uid 0 on this NFS' }, root)]);
    expect(r.violations).toEqual([]);
    expect(r.exceptions).toEqual([{ object: 'CronJob/ns/backup', rule: 'non-root', reason: 'pg_dump writes as postgres uid 0 on this NFS', used: true }]);
  });

  test('an exception the object does not need is still listed, marked as not needed', () => {
    const r = verifyManifests([cronJob({ 'policy.ops-kit.io/no-privileged': 'copied from another chart' })]);
    expect(r.ok).toBe(true);
    expect(r.exceptions.map((e) => e.used)).toEqual([false]);
  });

  test('native sidecars (init containers with restartPolicy Always) need probes; plain init containers do not', () => {
    const dep: KubeObject = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: {
        initContainers: [
          { name: 'setup', image: 'busybox:1.36.1', resources: res, securityContext: sc },
          { name: 'proxy', image: 'envoyproxy/envoy:v1.31.2', restartPolicy: 'Always', resources: res, securityContext: sc },
        ],
        containers: [{ name: 'app', image: 'nginx:1.27.2', resources: res, securityContext: sc, readinessProbe: { exec: { command: ['true'] } }, livenessProbe: { exec: { command: ['true'] } } }],
      } } },
    };
    expect(policyFindings(dep).map((f) => f.message)).toEqual(['long-running init container "proxy" has no readinessProbe and livenessProbe']);
  });

  test('privileged, host and capability problems are reported per container with paths', () => {
    const pod: KubeObject = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
      spec: { restartPolicy: 'Never', hostIPC: true, containers: [{ name: 'c', image: 'busybox:1.36.1', resources: res, securityContext: { ...sc, privileged: true, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }] },
    };
    expect(policyFindings(pod).map((f) => [f.rule, f.path])).toEqual([
      ['no-host-access', 'spec.hostIPC'],
      ['no-privileged', 'spec.containers[0].securityContext.privileged'],
      ['capabilities-dropped', 'spec.containers[0].securityContext.capabilities.add'],
    ]);
  });
});

describe('references', () => {
  const labels = { 'app.kubernetes.io/name': 'api' };
  const dep = (ns: string, annotations: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: ns, annotations },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: {
      containers: [{ name: 'api', image: 'nginx:1.27.2', ports: [{ name: 'http', containerPort: 8080 }], resources: res, securityContext: sc, readinessProbe: { tcpSocket: { port: 'http' } }, livenessProbe: { tcpSocket: { port: 8080 } },
        env: [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }] }],
    } } },
  });
  const svc = (ns: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: ns }, spec: { selector: labels, ports: [{ port: 80, targetPort: 'http' }] } });

  test('a Service only selects pod templates in its own namespace', () => {
    const r = verifyManifests([dep('a', { 'refs.ops-kit.io/external': 'Secret/api' }), svc('b')]);
    expect(r.violations.map((v) => [v.object, v.rule])).toEqual([['Service/b/api', 'service-selects-pods']]);
  });

  test('a Secret the release renders satisfies the reference, and its keys are checked', () => {
    const secret = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api', namespace: 'a', annotations: { 'policy.ops-kit.io/secret-literal-data': 'a test fixture' } }, stringData: data });
    expect(verifyManifests([dep('a'), svc('a'), secret({ token: 'x' })]).violations).toEqual([]);
    expect(verifyManifests([dep('a'), svc('a'), secret({ tokn: 'x' })]).violations.map((v) => v.message)).toEqual([
      'container "api" env API_TOKEN reads key "token" of Secret "api", which has no such key (it has tokn)',
    ]);
  });

  test('an undeclared Secret fails with the exact annotation to add', () => {
    const [v] = verifyManifests([dep('a'), svc('a')]).violations;
    expect(v).toMatchObject({ object: 'Deployment/a/api', rule: 'pod-references', path: 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name' });
    expect(v.message).toBe('container "api" env API_TOKEN reads Secret "api", which the release does not render and the object does not declare external');
    expect(v.fix).toContain("externalRefsAnnotation([{ kind: 'Secret', name: 'api' }])");
  });

  test('external declarations parse Kind/name lists and reject anything else', () => {
    const o = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { 'refs.ops-kit.io/external': v } } });
    expect(declaredExternals(o('PersistentVolumeClaim/data, Secret/jwt'))).toEqual({ refs: [{ kind: 'PersistentVolumeClaim', name: 'data' }, { kind: 'Secret', name: 'jwt' }], problems: [] });
    expect(declaredExternals(o('Secret/jwt/extra,Deployment/x,Secret/Bad_Name,ServiceAccount/Bad_NS/op,ServiceAccount/a/b/c')).problems).toHaveLength(5);
    expect(declaredExternals(o('ServiceAccount/iot-system/op')).refs).toEqual([{ kind: 'ServiceAccount', name: 'op', namespace: 'iot-system' }]);
  });

  test('a RoleBinding subject in another namespace is external only when declared with that namespace', () => {
    const binding = (external: string): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'op', namespace: 'demo', annotations: { 'refs.ops-kit.io/external': external } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'op' }, subjects: [{ kind: 'ServiceAccount', name: 'op', namespace: 'system' }],
    });
    const role: KubeObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'op', namespace: 'demo' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] };
    const ok = verifyManifests([role, binding('ServiceAccount/system/op')]);
    expect(ok.violations).toEqual([]);
    expect(ok.externals).toEqual([{ ref: 'ServiceAccount/system/op', referencedBy: ['RoleBinding/demo/op'] }]);
    // Declared without its namespace, the reference means demo/op: the subject system/op is undeclared.
    const wrong = verifyManifests([role, binding('ServiceAccount/op')]);
    expect(wrong.violations.map((v) => v.rule)).toEqual(['rbac-references']);
    const ref = wrong.violations.find((v) => v.rule === 'rbac-references')!;
    expect(ref.message).toBe('subject ServiceAccount "op" in namespace system is not rendered by the release and not declared external');
    expect(ref.fix).toContain("externalRefsAnnotation([{ kind: 'ServiceAccount', name: 'op', namespace: 'system' }])");
  });

  test('an HPA target must be scalable and match apiVersion', () => {
    const hpa = (kind: string, apiVersion: string): KubeObject => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'a' }, spec: { scaleTargetRef: { apiVersion, kind, name: 'api' }, maxReplicas: 3 } });
    const base = [dep('a', { 'refs.ops-kit.io/external': 'Secret/api' }), svc('a')];
    expect(verifyManifests([...base, hpa('Deployment', 'apps/v1')]).violations).toEqual([]);
    expect(verifyManifests([...base, hpa('Deployment', 'extensions/v1beta1')]).violations.map((v) => v.rule)).toEqual(['hpa-target']);
    expect(verifyManifests([...base, hpa('Service', 'v1')]).violations.map((v) => v.message)).toEqual(['scaleTargetRef names Service "api", which has no scale subresource']);
  });

  test('a ClusterRoleBinding subject needs a namespace', () => {
    const crb: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x', annotations: { 'policy.ops-kit.io/cluster-scope': 'reads nodes' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'api' }],
    };
    expect(verifyManifests([crb]).violations.map((v) => v.message)).toEqual(['subject ServiceAccount "api" has no namespace']);
  });
});
