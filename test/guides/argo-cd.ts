import { App } from 'cdk8s';
import { argoCdHealthCustomizations, ArgoCdHealthCheck, formatReport, synthesizeToDist } from 'cdk8s-ops-kit';
import { buildIotFleet } from './iot-fleet';

/**
 * Renders every release of the app into `outdir` (one folder per release, manifests only: one Argo CD Application
 * each) and returns the health checks to add to Argo CD's argocd-cm ConfigMap, so the Applications wait for what the
 * fleet operator reports instead of calling a custom resource healthy as soon as it exists.
 */
export function deliver(outdir: string): Record<string, string> {
  const app = new App();
  buildIotFleet(app);
  // Validates, renders and verifies every release; only then replaces outdir atomically. A failure leaves it as it was.
  const result = synthesizeToDist(app, outdir);
  if (!result.ok) throw new Error(result.reports.map(formatReport).join('\n'));
  return argoCdHealthCustomizations([ArgoCdHealthCheck.iotFleetDeployment()]);
}
