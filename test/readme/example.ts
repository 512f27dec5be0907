import { App } from 'cdk8s';
import { NatsExposure, NatsServer, Release } from 'cdk8s-ops-kit';

export function buildMessaging(app: App): NatsServer {
  const release = new Release(app, 'messaging', {
    namespace: 'messaging',
    // air-gapped cluster: every image, init containers included, is pulled from the mirror
    images: { registry: 'mirror.corp.example:5000', pullSecrets: ['mirror-pull'] },
    // every workload lands on the infra pool unless it says otherwise
    placement: { nodeSelector: { 'node-role.corp.example/infra': 'true' } },
  });
  const nats = new NatsServer(release, 'Nats', { exposure: NatsExposure.nodePort(30422) });
  nats.addKeyValueBucket('orders', 'order state by id');
  return nats;
}
