import { App, Size } from 'cdk8s';
import { ExternalPeer, NetworkPolicies } from '../lib/core';
import { FleetRollout, IotFleet, OperatorScope } from '../lib/iot';
import { NatsExposure, NatsPersistence } from '../lib/nats';
import { Release } from '../lib/release';
import { iotDelivery } from './delivery';
import type { ExampleApp } from './registry';

/**
 * The network the device agents connect from: an example RFC 1918 device LAN. NATS has no client authentication yet
 * (the seed defers it to per-device auth), so the load balancer admits this network only; set it to your devices'
 * network (on k3d, the address range the host's port mapping forwards from).
 */
export const IOT_DEVICE_LAN_CIDR = '192.168.50.0/24';

/**
 * The example cluster's own addresses (a k3d cluster on its Docker network): the server node the API server runs on
 * (`kubectl get endpoints kubernetes -n default`) and the nodes, from which kube-proxy forwards the load balancer's
 * traffic to NATS (externalTrafficPolicy: Cluster shows NATS a node's address).
 */
export const IOT_EXAMPLE_NETWORK = NetworkPolicies.defaultDeny({
  apiServer: ExternalPeer.cidr({ cidrs: ['172.18.0.2/32'], ports: [6443], reason: 'the k3d server node (kube-apiserver on 6443)' }),
  nodes: ExternalPeer.cidr({ cidrs: ['172.18.0.0/16'], reason: 'the k3d nodes\' Docker network' }),
});

/** The namespace the example's fleet deployments live in, apart from the platform (seed 003's demo: `iot-demo`). */
export const IOT_DEMO_NAMESPACE = 'iot-demo';

/**
 * The IoT platform's cluster side, as seed 003's demo lays it out: release `iot-fleet` in `iot-system` holds the
 * fleet-deployment CRD, a NATS JetStream server that devices on the device LAN reach through a load balancer
 * restricted to that LAN, and the operator, which watches `iot-demo` only; release `iot-demo` holds the operator's
 * Role there and three fleet deployments that select devices by their `group` and `device` labels. Argo CD delivers
 * both (target `iot`), the platform first.
 */
export function buildIotFleet(app: App): Release {
  // Delivered by Argo CD from dist/argocd/iot/ (the root Application dist/argocd/application.argoproj.io-iot.yaml).
  const delivery = iotDelivery();
  const release = new Release(app, 'iot-fleet', { namespace: 'iot-system', networkPolicy: IOT_EXAMPLE_NETWORK, delivery });
  const fleet = new IotFleet(release, 'Fleet', {
    operator: { scope: OperatorScope.namespaces([IOT_DEMO_NAMESPACE]) },
    nats: {
      exposure: NatsExposure.loadBalancer({
        reason: 'device agents connect from the device LAN outside the cluster; the load balancer admits that LAN only',
        sourceRanges: [IOT_DEVICE_LAN_CIDR],
      }),
      persistence: NatsPersistence.volume({ size: Size.gibibytes(5) }),
    },
  });

  // The custom resources live in iot-demo, as in the seed's demo; the operator watches that namespace only.
  const demo = fleet.namespace(new Release(app, 'iot-demo', { namespace: IOT_DEMO_NAMESPACE, networkPolicy: IOT_EXAMPLE_NETWORK, delivery, dependsOn: [release] }));
  // Every device of the lab group serves a small web page on host port 8080.
  demo.addDeployment('hello-web', {
    targetSelector: { matchLabels: { group: 'lab' } },
    image: 'docker.io/library/nginx:1.27.2-alpine',
    ports: ['8080:80'],
  });
  // One named device runs a metrics exporter.
  demo.addDeployment('edge-exporter', {
    targetSelector: { matchLabels: { device: 'iot-smoke-vm' } },
    image: 'quay.io/prometheus/node-exporter:v1.8.2',
    ports: ['9100:9100'],
  });
  // Every device of the field group runs an HTTP echo server on host port 8081, ten devices at a time. traefik/whoami
  // listens on :80 with no configuration (it answers with the request and the container's name and addresses), so the
  // mapping works as shipped. matchLabels only: the operator (v0, per the seed) does not evaluate matchExpressions.
  demo.addDeployment('field-echo', {
    targetSelector: { matchLabels: { group: 'field' } },
    image: 'docker.io/traefik/whoami:v1.11.0',
    ports: ['8081:80'],
    env: { WHOAMI_NAME: 'field-echo' },
    rollout: FleetRollout.rolling({ maxConcurrent: 10 }),
  });
  return release;
}

export const iotFleetApp: ExampleApp = {
  name: 'iot-fleet',
  description: 'IoT fleet: fleet-deployment CRD, NATS JetStream behind a load balancer restricted to the device LAN and the operator in iot-system; three label-selected deployments in iot-demo, the namespace the operator watches',
  build: (app) => {
    buildIotFleet(app);
  },
};
