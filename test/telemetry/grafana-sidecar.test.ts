import { parse } from 'yaml';
import { verifyManifests } from '../../lib/verify';
import { GRAFANA_DASHBOARD_SIDECAR_IMAGE } from '../../lib/telemetry';
import { find, render } from './helpers';

const withSidecar = () => render({ grafana: { dashboardSidecar: {} } });

describe('Grafana dashboard sidecar', () => {
  test('is off by default: one container, no account, no token, no Role, no API egress', () => {
    const { objects } = render();
    const pod = find(objects, 'Deployment', 'grafana').spec.template.spec;
    expect(pod.containers.map((c: any) => c.name)).toEqual(['grafana']);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(objects.filter((o: any) => o.kind === 'Role' && o.metadata.name === 'grafana')).toEqual([]);
    const policy = find(objects, 'NetworkPolicy', 'grafana');
    expect(JSON.stringify(policy.spec.egress ?? [])).not.toContain('6443');
  });

  test('watches ConfigMaps labelled grafana_dashboard=1 in its own namespace only, into the folder Grafana provisions from', () => {
    const { objects } = withSidecar();
    const pod = find(objects, 'Deployment', 'grafana').spec.template.spec;
    const sidecar = pod.containers.find((c: any) => c.name === 'dashboards');
    expect(sidecar.image).toBe(GRAFANA_DASHBOARD_SIDECAR_IMAGE);
    expect(sidecar.image).toMatch(/^kiwigrid\/k8s-sidecar:\d+\.\d+\.\d+$/);
    const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.LABEL).toBe('grafana_dashboard');
    expect(env.LABEL_VALUE).toBe('1');
    expect(env.RESOURCE).toBe('configmap');
    expect(env.METHOD).toBe('WATCH');
    expect(env.NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    // The folder the sidecar writes is a shared emptyDir that Grafana mounts and its file provider reads.
    const folder = env.FOLDER;
    const sidecarMount = sidecar.volumeMounts.find((m: any) => m.mountPath === folder);
    expect(pod.volumes.find((v: any) => v.name === sidecarMount.name).emptyDir).toBeDefined();
    const grafana = pod.containers.find((c: any) => c.name === 'grafana');
    expect(grafana.volumeMounts.find((m: any) => m.mountPath === folder).name).toBe(sidecarMount.name);
    const providerMount = grafana.volumeMounts.find((m: any) => m.mountPath === '/etc/grafana/provisioning/dashboards');
    const providerCm = pod.volumes.find((v: any) => v.name === providerMount.name).configMap.name;
    const provider = parse(find(objects, 'ConfigMap', providerCm).data['dashboards.yaml']);
    expect(provider.providers.map((p: any) => [p.type, p.options.path])).toEqual([['file', folder]]);
  });

  test('runs non-root with requests and limits', () => {
    const { objects } = withSidecar();
    const pod = find(objects, 'Deployment', 'grafana').spec.template.spec;
    const sidecar = pod.containers.find((c: any) => c.name === 'dashboards');
    expect(pod.securityContext.runAsNonRoot ?? sidecar.securityContext.runAsNonRoot).toBe(true);
    expect(sidecar.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(sidecar.resources.requests).toEqual({ cpu: '50m', memory: '64Mi' });
    expect(sidecar.resources.limits).toEqual({ cpu: '200m', memory: '128Mi' });
  });

  test('gets a Role of exactly get/list/watch on configmaps in the namespace, bound to the account the pod runs as', () => {
    const { objects } = withSidecar();
    const pod = find(objects, 'Deployment', 'grafana').spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(true);
    const role = find(objects, 'Role', 'grafana');
    expect(role.metadata.namespace).toBe('ns');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
    const binding = find(objects, 'RoleBinding', 'grafana');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'ns' }]);
    expect(find(objects, 'ServiceAccount', pod.serviceAccountName)).toBeDefined();
    expect(objects.filter((o: any) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  test("Grafana's NetworkPolicy lets it reach the API server", () => {
    const { objects } = withSidecar();
    const policy = find(objects, 'NetworkPolicy', 'grafana');
    const apiRule = policy.spec.egress.find((r: any) => r.ports?.some((p: any) => p.port === 6443));
    expect(apiRule.ports.map((p: any) => p.port)).toEqual([443, 6443]);
  });

  test('the release verifies clean with the sidecar on', () => {
    const report = verifyManifests(withSidecar().objects as any);
    expect(report.violations).toEqual([]);
    expect(report.exceptions.filter((e) => !e.used)).toEqual([]);
  });

  test('fails when dashboardSidecar.label is not a label key', () => {
    expect(() => render({ grafana: { dashboardSidecar: { label: 'grafana dashboard' } } })).toThrow(
      /'grafana\.dashboardSidecar\.label' is "grafana dashboard".*a label key/s,
    );
  });

  test('fails when dashboardSidecar.labelValue is not a label value', () => {
    expect(() => render({ grafana: { dashboardSidecar: { labelValue: 'yes please' } } })).toThrow(
      /'grafana\.dashboardSidecar\.labelValue' is "yes please".*a label value/s,
    );
  });
});
