import { ApiObject, App, Duration, JsonPatch } from 'cdk8s';
import { renderApp } from '../../lib/release/synth';
import {
  ConfigError,
  DeploymentRollout,
  EnvSource,
  ExternalPeer,
  Gpu,
  HostForm,
  IConnectable,
  Probes,
  SecurityProfile,
  sized,
  WaitFor,
} from '../../lib/core';
import {
  DisruptionBudget,
  IngressTls,
  PreStop,
  Scaling,
  ScalingPolicy,
  ServiceExposure,
  Spread,
  WebService,
  Worker,
  WorkloadKind,
} from '../../lib/workload';
import { envOf, newRelease, Template } from '../support';
import { HTTP_CONTAINER } from './fixtures';

describe('WebService', () => {
  test('defaults: one Deployment (rolling, maxSurge 1 / maxUnavailable 0, 1 replica) and a ClusterIP Service on every named port', () => {
    const r = newRelease();
    const web = new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER });
    const t = Template.verified(r);
    expect(t.ids()).toEqual(['Deployment/web', 'NetworkPolicy/r-default-deny', 'NetworkPolicy/web', 'Service/web']);
    expect(t.find('Deployment', 'web').spec.replicas).toBe(1);
    expect(t.find('Deployment', 'web').spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(t.find('Service', 'web').spec).toEqual({ type: 'ClusterIP', selector: web.selector, ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }] });
    expect(web.endpoint.url('http', 'http', { form: HostForm.SHORT })).toBe('http://web:8080');
    expect(t.objects).toMatchSnapshot();
  });

  test('custom: autoscaler, budget, spread, Ingress with cert-manager, scrape annotations, preStop, priority, identity', () => {
    const r = newRelease();
    new WebService(r, 'Web', {
      name: 'api',
      identity: { name: 'shop', component: 'api', partOf: 'shop', version: '2.1.0' },
      container: { ...HTTP_CONTAINER, preStop: PreStop.sleep(Duration.seconds(5)) },
      terminationGracePeriod: Duration.seconds(45),
      priorityClassName: 'high',
      scaling: Scaling.autoscale({
        minReplicas: 3,
        maxReplicas: 10,
        cpuUtilization: 70,
        memoryUtilization: 80,
        scaleDown: {
          stabilizationWindow: Duration.seconds(300),
          policies: [ScalingPolicy.percent(50, Duration.seconds(60)), ScalingPolicy.pods(2, Duration.seconds(60))],
        },
        scaleUp: { stabilizationWindow: Duration.seconds(0), policies: [ScalingPolicy.percent(100, Duration.seconds(30))], selectPolicy: 'Max' },
      }),
      disruptionBudget: DisruptionBudget.minAvailable(1),
      spread: [Spread.acrossNodes(), Spread.acrossZones()],
      prometheusScrape: { port: 'http' },
      service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      ingress: { hosts: ['shop.example.com'], className: 'nginx', tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' }) },
    });
    const t = Template.verified(r);
    expect(t.ids()).toEqual(['Deployment/api', 'HorizontalPodAutoscaler/api', 'Ingress/api', 'NetworkPolicy/api', 'NetworkPolicy/r-default-deny', 'PodDisruptionBudget/api', 'Service/api']);
    expect(t.objects).toMatchSnapshot();
    const spec = t.podSpec('Deployment', 'api');
    expect(spec.priorityClassName).toBe('high');
    expect(spec.terminationGracePeriodSeconds).toBe(45);
    expect(spec.containers[0].lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
    expect(t.find('Deployment', 'api').spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
    // The Prometheus that reads the annotations (the release's prometheus peer, kube-prometheus-stack's by default) is
    // admitted on the annotated port and nowhere else.
    const scraperRules = t.find('NetworkPolicy', 'api').spec.ingress.filter((i: any) => JSON.stringify(i.from).includes('"app.kubernetes.io/name":"prometheus"'));
    expect(scraperRules).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    expect(t.find('Deployment', 'api').metadata.labels['app.kubernetes.io/version']).toBe('2.1.0');
    expect(t.find('Deployment', 'api').spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/instance': 'r', 'app.kubernetes.io/component': 'api' });
  });

  test('with an autoscaler the Deployment renders no replicas, and the autoscaler targets it by kind and name', () => {
    const r = newRelease();
    new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER, scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 5, cpuUtilization: 60 }) });
    const t = Template.verified(r);
    expect('replicas' in t.find('Deployment', 'web').spec).toBe(false);
    expect(t.find('HorizontalPodAutoscaler', 'web').apiVersion).toBe('autoscaling/v2');
    expect(t.find('HorizontalPodAutoscaler', 'web').spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
  });

  test('every spread rule and the disruption budget select exactly the pods of this workload', () => {
    const r = newRelease();
    const web = new WebService(r, 'Web', { name: 'web', identity: { component: 'frontend' }, container: HTTP_CONTAINER, scaling: Scaling.fixed(3), spread: [Spread.acrossNodes({ required: true }), Spread.acrossZones()], disruptionBudget: DisruptionBudget.maxUnavailable() });
    const t = Template.verified(r);
    const spec = t.podSpec('Deployment', 'web');
    const podLabels = t.podLabels('Deployment', 'web');
    const selectors = [
      spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels,
      spec.topologySpreadConstraints[0].labelSelector.matchLabels,
      t.find('PodDisruptionBudget', 'web').spec.selector.matchLabels,
    ];
    for (const s of selectors) {
      expect(s).toEqual(web.selector);
      for (const [k, v] of Object.entries(s)) expect(podLabels[k]).toBe(v);
    }
  });

  test('spread keeps the placement affinity (release-wide node affinity) and adds its terms', () => {
    const nodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['web'] }] }] } };
    const r = newRelease({ placement: { affinity: { nodeAffinity } } });
    new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER, scaling: Scaling.fixed(2), spread: [Spread.acrossNodes()] });
    const affinity = Template.verified(r).podSpec('Deployment', 'web').affinity;
    expect(affinity.nodeAffinity).toEqual(nodeAffinity);
    expect(affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  });

  test('the Service port resolves through its targetPort to the container port the probes use', () => {
    const r = newRelease();
    new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER, service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    const t = Template.verified(r);
    const target = t.find('Service', 'web').spec.ports[0].targetPort;
    const c = t.container('Deployment', 'web', 'web');
    const port = c.ports.find((p: { name: string }) => p.name === target);
    expect(port.containerPort).toBe(8080);
    expect(c.readinessProbe.httpGet.port).toBe(target);
  });

  test('Ingress TLS from an operator-created Secret is declared external; cert-manager adds its issuer annotation', () => {
    const r = newRelease();
    new WebService(r, 'A', { name: 'a', container: HTTP_CONTAINER, ingress: { hosts: ['a.example.com'], tls: IngressTls.secret('a-cert') } });
    new WebService(r, 'B', { name: 'b', container: HTTP_CONTAINER, ingress: { hosts: ['b.example.com'], tls: IngressTls.certManager({ issuer: 'internal-ca', secretName: 'b-cert' }) } });
    const t = Template.verified(r);
    expect(t.find('Ingress', 'a').spec.tls).toEqual([{ hosts: ['a.example.com'], secretName: 'a-cert' }]);
    expect(t.find('Ingress', 'a').metadata.annotations).toEqual({ 'refs.ops-kit.io/external': 'Secret/a-cert' });
    expect(t.find('Ingress', 'b').metadata.annotations).toEqual({ 'cert-manager.io/issuer': 'internal-ca', 'refs.ops-kit.io/external': 'Secret/b-cert' });
    expect(t.find('Ingress', 'b').spec.rules[0].http.paths[0].backend).toEqual({ service: { name: 'b', port: { name: 'http' } } });
  });

  test('an ingress controller peer is recorded in the wiring graph as an INGRESS connection', () => {
    const r = newRelease();
    new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER, ingress: { hosts: ['w.example.com'], controller: ExternalPeer.pods({ namespace: 'ingress-nginx', selector: { 'app.kubernetes.io/name': 'ingress-nginx' } }) } });
    const t = Template.verified(r);
    // The controller given here, beside the release-wide one the NetworkPolicies admit by default.
    const ingress = t.connections.filter((c) => c.kind === 'ingress');
    expect(ingress).toContainEqual(expect.objectContaining({ from: expect.objectContaining({ type: 'external', peer: expect.objectContaining({ namespace: 'ingress-nginx', selector: { 'app.kubernetes.io/name': 'ingress-nginx' } }) }), to: expect.objectContaining({ type: 'service', name: 'web' }) }));
  });

  test('a NodePort exposure carries its reason as a policy exception', () => {
    const r = newRelease();
    new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER, service: { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }], exposure: ServiceExposure.nodePort({ reason: 'the lab has no load balancer' }), externalClients: ExternalPeer.cidr({ cidrs: ['10.40.0.0/16'], reason: 'the lab network' }) } });
    const svc = Template.verified(r).find('Service', 'web');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports[0].nodePort).toBe(30080);
    expect(svc.metadata.annotations['policy.ops-kit.io/node-port']).toBe('the lab has no load balancer');
    expect(() => ServiceExposure.nodePort({ reason: '' })).toThrow(/'service.exposure.reason' is ""; allowed: why the Service must be reachable on every node/);
  });

  test('a LoadBalancer exposure carries its reason as a policy exception', () => {
    const r = newRelease();
    new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER, service: { exposure: ServiceExposure.loadBalancer({ reason: 'partners call it directly', sourceRanges: ['203.0.113.0/24'] }), externalClients: ExternalPeer.cidr({ cidrs: ['203.0.113.0/24'], reason: 'partners' }) } });
    const svc = Template.verified(r).find('Service', 'web');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24']);
    expect(svc.metadata.annotations['policy.ops-kit.io/load-balancer']).toBe('partners call it directly');
  });

  test('connections are wired through the client binding before the container is built (env, waits, mounts, graph)', () => {
    const r = newRelease();
    const db = new WebService(r, 'Db', { name: 'db', container: { ...HTTP_CONTAINER, ports: [{ name: 'pg', port: 5432 }], readinessProbe: Probes.tcp('pg'), livenessProbe: Probes.tcp('pg') } });
    const postgres: IConnectable = {
      connect(client) {
        const c = client.connect(db.endpoint, 'pg', { purpose: 'database' });
        client.setEnv('DATABASE_URL', c.url('postgresql', { path: '/app', form: HostForm.SHORT }), c.envHint()).setEnv('DATABASE_PASSWORD', EnvSource.secret('db-auth', 'password'), c.envHint());
        client.addWait(WaitFor.service(db.endpoint)).addExternalRef({ kind: 'Secret', name: 'db-auth' });
        client.mountSecret({ volume: 'db-ca', secretName: 'db-ca', mountPath: '/etc/db' });
      },
    };
    const web = new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER, connections: [postgres] });
    const t = Template.verified(r);
    const c = t.container('Deployment', 'web', 'web');
    expect(envOf(c)).toEqual({ DATABASE_URL: 'postgresql://db:5432/app', DATABASE_PASSWORD: { secretKeyRef: { name: 'db-auth', key: 'password' } } });
    expect(c.volumeMounts).toEqual([{ name: 'db-ca', mountPath: '/etc/db', readOnly: true }]);
    expect(t.podSpec('Deployment', 'web').initContainers.map((i: { name: string }) => i.name)).toEqual(['wait-for-db']);
    expect(t.has('Role', 'web') && t.has('RoleBinding', 'web') && t.has('ServiceAccount', 'web')).toBe(true);
    expect(t.find('Deployment', 'web').metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/db-auth,Secret/db-ca');
    expect(web.wiring.connections.map((x) => x.purpose)).toEqual(['database', 'init container wait-for-db reads the API']);
  });

  test('the ServiceAccount carries the workload-identity annotations, also when the waits bind it a Role', () => {
    const r = newRelease();
    const target = new WebService(r, 'T', { name: 't', container: HTTP_CONTAINER });
    new WebService(r, 'Web', {
      name: 'web',
      container: HTTP_CONTAINER,
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/web' } },
      connections: [{ connect: (c) => void c.addWait(WaitFor.service(target.endpoint)) }],
    });
    const t = Template.verified(r);
    expect(t.find('ServiceAccount', 'web').metadata.annotations).toEqual(expect.objectContaining({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/web' }));
    expect(t.find('ServiceAccount', 'web').automountServiceAccountToken).toBe(false);
    expect(t.podSpec('Deployment', 'web').serviceAccountName).toBe('web');
  });

  test('the escape hatch: the Deployment is the child `Resource` and a JSON patch reaches the output', () => {
    const r = newRelease();
    const web = new WebService(r, 'Web', { name: 'web', container: HTTP_CONTAINER });
    ApiObject.of(web.node.findChild('Resource')).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 10));
    expect(web.deployment).toBe(web.node.findChild('Resource'));
    expect(Template.verified(r).find('Deployment', 'web').spec.minReadySeconds).toBe(10);
  });

  test('a StatefulSet web service has its ClusterIP Service and the governing headless Service', () => {
    const r = newRelease();
    const web = new WebService(r, 'Web', { name: 'web', kind: WorkloadKind.statefulSet({ podManagementPolicy: 'Parallel' }), container: HTTP_CONTAINER, scaling: Scaling.fixed(2) });
    const t = Template.verified(r);
    expect(t.ids()).toEqual(['NetworkPolicy/r-default-deny', 'NetworkPolicy/web', 'Service/web', 'Service/web-headless', 'StatefulSet/web']);
    expect(t.find('StatefulSet', 'web').spec.serviceName).toBe('web-headless');
    expect(t.find('Service', 'web-headless').spec.clusterIP).toBe('None');
    expect(web.headlessEndpoint!.name).toBe('web-headless');
  });

  test('the release notes state what the cluster must provide: metrics API for the autoscaler, IngressClass, issuer or TLS Secret, GPU nodes', () => {
    const r = newRelease();
    new WebService(r, 'A', { name: 'a', container: HTTP_CONTAINER, scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 4, cpuUtilization: 70 }), ingress: { hosts: ['a.example.com'], className: 'nginx', tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' }) } });
    new WebService(r, 'B', { name: 'b', container: HTTP_CONTAINER, ingress: { hosts: ['b.example.com'], tls: IngressTls.secret('b-cert') }, gpu: Gpu.nvidia(1, { runtimeClassName: 'nvidia' }) });
    const notes = Template.verified(r).rendered.notes.join('\n');
    expect(notes).toMatch(/Deployment a is scaled by HorizontalPodAutoscaler a \(autoscaling\/v2: Kubernetes 1\.23 or later\) between 2 and 4 replicas; the cluster must serve the resource metrics API/);
    expect(notes).toMatch(/Ingress a serves https:\/\/a\.example\.com\/ .*the nginx IngressClass and its controller must exist.*cert-manager issues the certificate into Secret a-tls \(cluster-issuer letsencrypt-prod must exist/);
    expect(notes).toMatch(/Ingress b serves https:\/\/b\.example\.com\/ .*the cluster must have a default IngressClass\. Create the kubernetes\.io\/tls Secret b-cert first: kubectl -n ns create secret tls b-cert/);
    expect(notes).toMatch(/Deployment b requests 1 nvidia\.com\/gpu: its pods schedule only on nodes labelled nvidia\.com\/gpu\.present=true .*RuntimeClass nvidia must exist/);
  });

  describe('fails when', () => {
    test('a minAvailable budget is not below the autoscaler minReplicas (drains would hang)', () => {
      const run = () => new WebService(newRelease(), 'Web', { name: 'web', container: HTTP_CONTAINER, scaling: Scaling.autoscale({ minReplicas: 2, maxReplicas: 4, cpuUtilization: 70 }), disruptionBudget: DisruptionBudget.minAvailable(2) });
      expect(run).toThrow(ConfigError);
      expect(run).toThrow(/'disruptionBudget.minAvailable' is 2, but the autoscaler's minReplicas is 2, so no pod could ever be evicted and every node drain would hang; allowed: at most 1/);
    });

    test('a minAvailable budget guards a single replica', () => {
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: HTTP_CONTAINER, disruptionBudget: DisruptionBudget.minAvailable(1) })).toThrow(
        /'disruptionBudget.minAvailable' is 1, but the workload runs 1 replica\(s\).*allowed: DisruptionBudget.maxUnavailable/,
      );
    });

    test('the autoscaler has no metric, or maxReplicas below minReplicas', () => {
      expect(() => Scaling.autoscale({ minReplicas: 2, maxReplicas: 5 })).toThrow(/'scaling' is .*; allowed: at least one of cpuUtilization and memoryUtilization/);
      expect(() => Scaling.autoscale({ minReplicas: 3, maxReplicas: 2, cpuUtilization: 50 })).toThrow(/'scaling.maxReplicas' is 2, but it is below 3; allowed: a whole number >= minReplicas \(3\)/);
      expect(() => Scaling.autoscale({ minReplicas: 0, maxReplicas: 2, cpuUtilization: 50 })).toThrow(/'scaling.minReplicas' is 0/);
      expect(() => ScalingPolicy.pods(2, Duration.hours(1))).toThrow(/'scalingPolicy.period' is "3600s"; allowed: a whole number of seconds 1-1800/);
    });

    test('the grace period does not outlast the preStop sleep', () => {
      const run = () => new WebService(newRelease(), 'Web', { name: 'web', container: { ...HTTP_CONTAINER, preStop: PreStop.sleep(Duration.seconds(30)) } });
      expect(run).toThrow(/'terminationGracePeriod' is "30s", but the kubelet sends SIGKILL 30s after the pod starts stopping, preStop included; allowed: more than the preStop hook's 30s/);
    });

    test('the scrape port is not a named container port', () => {
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: HTTP_CONTAINER, prometheusScrape: { port: 'metrics' } })).toThrow(/'prometheusScrape.port' is "metrics"; allowed: a named port of the container \(http\)/);
    });

    test('the container has no named port to serve', () => {
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: { ...HTTP_CONTAINER, ports: [] } })).toThrow(/'container.ports' is \[\], but a WebService serves on its Service; allowed: at least one named port/);
    });

    test('an Ingress names a Service port that does not exist, or a host that is not a DNS name', () => {
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: HTTP_CONTAINER, ingress: { hosts: ['x.example.com'], port: 'grpc' } })).toThrow(/'ingress.port' is "grpc"; allowed: a port of Service ns\/web: http/);
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: HTTP_CONTAINER, ingress: { hosts: ['https://x.example.com'] } })).toThrow(/'ingress.hosts\[0\]' is "https:\/\/x.example.com"/);
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: HTTP_CONTAINER, ingress: { hosts: [] } })).toThrow(/'ingress.hosts' is \[\]; allowed: at least one host name/);
    });

    test('cert-manager TLS names both or neither issuer kind', () => {
      expect(() => IngressTls.certManager({})).toThrow(/'ingress.tls' is \{\}; allowed: exactly one of clusterIssuer and issuer/);
      expect(() => IngressTls.certManager({ issuer: 'a', clusterIssuer: 'b' })).toThrow(/exactly one of clusterIssuer and issuer/);
    });

    test('a LoadBalancer exposure has no reason, or is combined with an Ingress', () => {
      expect(() => ServiceExposure.loadBalancer({ reason: ' ' })).toThrow(/'service.exposure.reason' is " "/);
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: HTTP_CONTAINER, service: { exposure: ServiceExposure.loadBalancer({ reason: 'x' }), externalClients: ExternalPeer.anywhere({ reason: 'public API' }) }, ingress: { hosts: ['a.example.com'] } })).toThrow(/'ingress' is \["a.example.com"\], but the Service is already exposed by its own load balancer/);
    });

    test('two workloads of a release select each other\'s pods', () => {
      const r = newRelease();
      new WebService(r, 'A', { name: 'a', identity: { name: 'shop' }, container: HTTP_CONTAINER });
      new Worker(r, 'B', { name: 'b', identity: { name: 'shop', component: 'worker' }, container: HTTP_CONTAINER });
      expect(() => Template.verified(r)).toThrow(/WebService "r\/A": 'name' is "a", but its selector .* also selects the pods of Deployment b \(r\/B\).*; allowed: a distinct 'identity.name' or 'identity.component' for one of them/);
    });

    test('two workloads select each other\'s pods: found in a render pass and outside one, with a block added after a check', () => {
      const r = newRelease();
      const a = new WebService(r, 'A', { name: 'a', identity: { name: 'shop' }, container: HTTP_CONTAINER });
      expect(a.node.validate()).toEqual([]);
      new Worker(r, 'B', { name: 'b', identity: { name: 'shop', component: 'worker' }, container: HTTP_CONTAINER });
      // Outside a pass the release's blocks are listed afresh at every check, so the later block is seen.
      expect(a.node.validate()).toEqual([expect.stringMatching(/its selector .* also selects the pods of Deployment b \(r\/B\)/)]);
      // In a render pass (renderApp) the list is made once for the release and shared by its blocks' checks.
      expect(() => renderApp(r.node.root as App)).toThrow(/\[r\/A\] .*also selects the pods of Deployment b \(r\/B\)/);
    });

    test('the name is not a DNS label, or a StatefulSet name leaves no room for its revision label', () => {
      expect(() => new WebService(newRelease(), 'Web', { name: 'Web_1', container: HTTP_CONTAINER })).toThrow(/'name' is "Web_1"/);
      expect(() => new WebService(newRelease(), 'Web', { name: 'x'.repeat(53), kind: WorkloadKind.statefulSet(), container: HTTP_CONTAINER })).toThrow(/'name' is "x{53}", but it is 53 characters long; allowed: a DNS-1123 label.*at most 52 characters/);
    });

    test('the image is unpinned (the error names the block the user created)', () => {
      expect(() => new WebService(newRelease(), 'Web', { name: 'web', container: { ...HTTP_CONTAINER, image: 'nginx:latest' } })).toThrow(/^WebService "r\/Web": 'container.image' is "nginx:latest"/);
    });
  });

  test('a Recreate rollout and security exceptions reach the output', () => {
    const r = newRelease();
    new WebService(r, 'Web', {
      name: 'web',
      kind: WorkloadKind.deployment({ rollout: DeploymentRollout.recreate(), revisionHistoryLimit: 3 }),
      container: { ...HTTP_CONTAINER, resources: sized(10, 20, 16, 32) },
      security: SecurityProfile.restricted({ runAsUser: 1000, addCapabilities: { capabilities: ['NET_BIND_SERVICE'], reason: 'binds :80' } }),
    });
    const d = Template.verified(r).find('Deployment', 'web');
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.revisionHistoryLimit).toBe(3);
    expect(d.metadata.annotations['policy.ops-kit.io/capabilities-dropped']).toBe('binds :80');
  });
});

describe('WebService.httpClient', () => {
  test('a client gets the URL of the rendered Service, the timeout in seconds and the TCP wait; the edge is in the graph', () => {
    const r = newRelease();
    const backend = new WebService(r, 'Backend', { name: 'backend', container: HTTP_CONTAINER });
    new Worker(r, 'Client', {
      name: 'client',
      container: HTTP_CONTAINER,
      connections: [backend.httpClient({ urlEnv: 'BACKEND_URL', timeout: Duration.minutes(2), timeoutEnv: 'BACKEND_TIMEOUT_SECS', path: '/v1' })],
    });
    const t = Template.verified(r);
    const env = envOf(t.container('Deployment', 'client', 'client'));
    expect(env.BACKEND_URL).toBe(`http://${backend.endpoint.host(HostForm.NAMESPACED)}:8080/v1`);
    expect(env.BACKEND_TIMEOUT_SECS).toBe('120');
    const init = t.find('Deployment', 'client').spec.template.spec.initContainers;
    expect(init.map((c: { name: string }) => c.name)).toEqual(['wait-for-backend']);
    expect(init[0].args[0]).toContain(`nc -z -w 2 ${backend.endpoint.host(HostForm.NAMESPACED)} 8080`);
    expect(t.connections.find((c) => c.to.type === 'service' && c.to.name === 'backend')).toBeDefined();
    // The backend's NetworkPolicy admits the client's pods on the port.
    const policy = t.find('NetworkPolicy', 'backend');
    expect(JSON.stringify(policy.spec.ingress)).toContain('"app.kubernetes.io/name":"client"');
  });

  test('without a wait there is no init container; the URL is still set', () => {
    const r = newRelease();
    const backend = new WebService(r, 'Backend', { name: 'backend', container: HTTP_CONTAINER });
    new Worker(r, 'Client', { name: 'client', container: HTTP_CONTAINER, connections: [backend.httpClient({ urlEnv: 'BACKEND_URL', wait: false })] });
    const t = Template.verified(r);
    expect(t.find('Deployment', 'client').spec.template.spec.initContainers).toBeUndefined();
    expect(envOf(t.container('Deployment', 'client', 'client')).BACKEND_URL).toMatch(/^http:\/\/backend\./);
  });

  test('fails when the env name is invalid, or the timeout comes without its env name', () => {
    const backend = new WebService(newRelease(), 'Backend', { name: 'backend', container: HTTP_CONTAINER });
    expect(() => backend.httpClient({ urlEnv: '1URL' })).toThrow("'httpClient.urlEnv' is \"1URL\"; allowed: an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit");
    expect(() => backend.httpClient({ urlEnv: 'URL', timeout: Duration.seconds(30) })).toThrow("'httpClient.timeoutEnv' is undefined, but the timeout and its env name come together; allowed: the env name the client reads the timeout from");
    expect(() => backend.httpClient({ urlEnv: 'URL', timeoutEnv: 'T' })).toThrow("'httpClient.timeout' is undefined, but the timeout and its env name (T) come together; allowed: a Duration");
  });
});
