import { Probes, sized } from '../../lib/core';
import { WorkloadContainerProps } from '../../lib/workload';

/** A serving container: http on 8080 with readiness and liveness probes. */
export const HTTP_CONTAINER: WorkloadContainerProps = {
  image: 'nginx:1.27.2',
  ports: [{ name: 'http', port: 8080 }],
  resources: sized(100, 500, 128, 256),
  readinessProbe: Probes.http('/ready', 'http'),
  livenessProbe: Probes.http('/health', 'http'),
};

/** A batch container. */
export const BATCH_CONTAINER: WorkloadContainerProps = { image: 'busybox:1.36.1', command: ['sh', '-c', 'true'], resources: sized(100, 500, 128, 256) };
