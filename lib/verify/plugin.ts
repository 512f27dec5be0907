import * as path from 'path';
import { loadManifestFiles } from './load';
import { ARGOCD_INSTALLED_CRDS } from './argocd';
import { formatReport, verifyReleases } from './verify';
import { VerifyReport } from './types';

/**
 * The part of cdk8s-cli's ValidationContext this plugin uses (declared here so the library does not depend on the
 * CLI package).
 */
export interface ValidationPluginContext {
  /** Paths of the synthesized manifest files. */
  readonly manifests: readonly string[];
  /** Where the plugin logs. */
  readonly logger: { log(message: string): void };
  /** Where the plugin files its violations and its verdict. */
  readonly report: {
    addViolation(violation: {
      readonly ruleName: string;
      readonly recommendation: string;
      readonly fix: string;
      readonly violatingResources: ReadonlyArray<{
        readonly resourceName: string;
        readonly locations: readonly string[];
        readonly manifestPath: string;
      }>;
    }): void;
    submit(status: 'success' | 'failure', metadata?: Readonly<Record<string, string>>): void;
  };
}

/** `properties` of the cdk8s.yaml `validations:` entry. */
export interface OpsKitValidationProperties {
  /**
   * Kubernetes schema definitions, relative to the working directory.
   * @default - as `verifyManifests` (`$OPS_KIT_K8S_SCHEMA`, else the definitions the package ships)
   */
  readonly schemaPath?: string;
  /**
   * CRD directories, relative to the working directory.
   * @default - as `verifyManifests` (`$OPS_KIT_CRD_DIRS`, else none; the CRDs the package knows are always searched after)
   */
  readonly crdDirs?: readonly string[];
  /**
   * Run the schema check.
   * @default true
   */
  readonly schema?: boolean;
}

/**
 * cdk8s validation plugin: runs the verification layer over the files `cdk8s synth` wrote. Each folder is verified
 * as one release (references must resolve inside it, and no object may be in two folders), exactly as `npm run synth`
 * does before writing.
 *
 * cdk8s.yaml:
 * ```yaml
 * validations:
 *   - package: ./verify-plugin.js
 *     version: 0.1.0
 *     class: OpsKitValidation
 * ```
 */
export class OpsKitValidation {
  constructor(private readonly properties: OpsKitValidationProperties = {}) {}

  /** Verifies what `cdk8s synth` wrote and reports every violation to the CLI. */
  public async validate(context: ValidationPluginContext): Promise<void> {
    const byDir = new Map<string, string[]>();
    for (const m of [...context.manifests].sort()) {
      const dir = path.dirname(m);
      // Folders such as _reports hold no manifests (the same rule as loadManifestDir).
      if (/^[_.]/.test(path.basename(dir))) continue;
      if (!byDir.has(dir)) byDir.set(dir, []);
      byDir.get(dir)!.push(m);
    }
    let reports: VerifyReport[];
    try {
      const releases = [...byDir].map(([dir, files]) => ({ name: path.basename(dir), ...loadManifestFiles(files) }));
      const { schemaPath, crdDirs, schema } = this.properties;
      // The delivery folders (dist/argocd/...) hold Argo CD's own kinds, whose CRDs Argo CD installs.
      reports = verifyReleases(releases, { schemaPath, crdDirs, schema, installedCrds: ARGOCD_INSTALLED_CRDS });
    } catch (e) {
      context.report.addViolation({
        ruleName: 'verify-error',
        recommendation: `verification could not run: ${(e as Error).message}`,
        fix: 'fix the manifests or the plugin properties in cdk8s.yaml',
        violatingResources: [],
      });
      context.report.submit('failure');
      return;
    }
    for (const r of reports) {
      for (const v of r.violations) {
        context.report.addViolation({
          ruleName: v.rule,
          recommendation: `${v.object}: ${v.message}`,
          fix: v.fix,
          violatingResources: [{ resourceName: v.object, locations: [v.path ?? '(object)'], manifestPath: v.file ?? '' }],
        });
      }
      if (r.ok && (r.exceptions.length || r.externals.length)) context.logger.log(formatReport(r).trimEnd());
    }
    const count = (f: (r: VerifyReport) => number) => String(reports.reduce((s, r) => s + f(r), 0));
    context.report.submit(reports.every((r) => r.ok) ? 'success' : 'failure', {
      releases: String(reports.length),
      objects: count((r) => r.objectCount),
      violations: count((r) => r.violations.length),
      exceptions: count((r) => r.exceptions.length),
      externals: count((r) => r.externals.length),
    });
  }
}
