import { App } from 'cdk8s';
import { Probes, sized } from '../../lib/core';
import { Release, ReleaseProps } from '../../lib/release';
import { formatReport, verifyReleases } from '../../lib/verify';
import { WorkloadContainerProps } from '../../lib/workload';
import { Template } from '../support';

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

/** A fresh release (namespace `ns`). */
export function release(props: Partial<ReleaseProps> = {}, app = new App()): Release {
  return new Release(app, props.name ?? 'r', { namespace: 'ns', ...props });
}

/** Renders a release and fails with the report unless verification (schema, policy, references, wiring) is clean. */
export function verified(r: Release): Template {
  const t = Template.fromRelease(r);
  const [report] = verifyReleases([t.rendered]);
  if (!report.ok) throw new Error(formatReport(report));
  return t;
}
