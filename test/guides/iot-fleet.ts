import { App, Size } from 'cdk8s';
import { FleetRollout, IotFleet, NatsExposure, NatsPersistence, Release } from 'cdk8s-ops-kit';

/** The IoT platform's cluster side with two fleet deployments. */
export function buildIotFleet(app: App): IotFleet {
  const release = new Release(app, 'iot-fleet', { namespace: 'iot-system' });
  const fleet = new IotFleet(release, 'Fleet', {
    nats: {
      // Devices connect from outside the cluster; the load balancer admits their network only, and the reason is
      // recorded in the output.
      exposure: NatsExposure.loadBalancer({
        reason: 'device agents connect from the device LAN outside the cluster',
        sourceRanges: ['192.168.50.0/24'],
      }),
      persistence: NatsPersistence.volume({ size: Size.gibibytes(5) }),
    },
    // The KV buckets are sized for 2,000 devices running up to 4 deployments each; they must fit the store.
    capacity: { devices: 2000, deploymentsPerDevice: 4 },
  });
  // Every device labelled group=lab serves a web page on host port 8080.
  fleet.addDeployment('hello-web', {
    targetSelector: { matchLabels: { group: 'lab' } },
    image: 'docker.io/library/nginx:1.27.2-alpine',
    ports: ['8080:80'],
  });
  // The field group updates ten devices at a time.
  fleet.addDeployment('field-echo', {
    targetSelector: { matchLabels: { group: 'field' } },
    image: 'docker.io/traefik/whoami:v1.11.0',
    ports: ['8081:80'],
    rollout: FleetRollout.rolling({ maxConcurrent: 10 }),
  });
  return fleet;
}
