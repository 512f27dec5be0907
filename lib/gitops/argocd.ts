/**
 * The Argo CD delivery of an app: from the rendered releases and their `DeliveryTarget`s, the folder `dist/argocd/`:
 *
 *   argocd/application.argoproj.io-<target>.yaml          the root Application (app-of-apps) an operator applies once
 *   argocd/appproject.argoproj.io-<target>-root.yaml       its project: this repository, Argo CD's namespace,
 *                                                          Applications and AppProjects only
 *   argocd/<target>/appproject.argoproj.io-<project>.yaml  the releases' project, least privilege
 *   argocd/<target>/application.argoproj.io-<release>.yaml one Application per release, in sync waves
 *   argocd/_argocd-cm/<argocd namespace>.yaml              the argocd-cm health checks, a merge patch (not a manifest)
 *
 * Every folder an Application syncs holds manifests only, and `_argocd-cm/` is skipped by every directory read of the
 * toolchain (its name starts with `_`). The root is applied by hand, not synced by anything: a kubectl apply of the
 * whole folder would create every child Application at once, bypassing the waves.
 */
import { emitYaml12 } from '../release/yaml';
import { MANAGED_BY } from '../core/labels';
import { KEEP_SYNC_OPTIONS } from '../core/retention';
import { Manifest, manifestFileName, RenderedRelease, SynthError } from '../release/synth';
import { ARGOCD_DIR } from '../verify/argocd';
import { isClusterScoped } from '../verify/objects';
import { manifestWorkloads, podSecurityLabels, podSecurityRequirement, PodSecurityLevel } from '../verify/pod-security';
import { ARGOCD_GROUP, ArgoCdHealthCheck, argoCdHealthCustomizations } from './health';
import { apiGroup, isBuiltInGroup, releaseDependencies, releaseSyncWaves, SYNC_WAVE_ANNOTATION } from './ordering';
import { ARGOCD_IN_CLUSTER, DeliveryTarget } from './target';

export { ARGOCD_DIR } from '../verify/argocd';

/** The folder under dist/argocd/ holding the argocd-cm patches (a `_` folder: never read as manifests). */
export const ARGOCD_CM_DIR = '_argocd-cm';

/** Argo CD's finalizer: deleting the Application (or project) first deletes what it deployed (or waits for its apps). */
export const ARGOCD_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

const API_VERSION = `${ARGOCD_GROUP}/v1alpha1`;

/** The delivery of one release, for its notes and the tests. */
export interface ReleaseDelivery {
  /** The release. */
  readonly release: string;
  /** Its target. */
  readonly target: string;
  /** Its Application's sync wave in the target's app-of-apps. */
  readonly wave: number;
  /** The releases it waits for, with the reasons. */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  /** Whether its Application creates the namespace (`CreateNamespace=true`). */
  readonly createsNamespace: boolean;
  /** The Pod Security level its namespace is labelled with (when this Application creates it). */
  readonly podSecurity: PodSecurityLevel;
  /** The Application's file, relative to dist/. */
  readonly file: string;
}

/** What `renderArgoCd` produces. */
export interface ArgoCdOutput {
  /** Every generated object with its file, relative to dist/ (`argocd/...`). */
  readonly manifests: ReadonlyArray<{ readonly file: string; readonly object: Manifest }>;
  /** The argocd-cm patches, by file. */
  readonly patches: ReadonlyMap<string, string>;
  /** The delivery notes (`_reports/argocd/NOTES.txt`). */
  readonly notes: string;
  /** Each delivered release's delivery, by release name. */
  readonly releases: ReadonlyMap<string, ReleaseDelivery>;
  /** The repository path of dist/, by root Application (for the path checks). */
  readonly distPaths: ReadonlyMap<string, string>;
}

/** A release's own Namespace object, when it renders one. */
function rendersNamespace(r: RenderedRelease): boolean {
  return r.objects.some((o) => o.kind === 'Namespace' && o.apiVersion === 'v1' && o.metadata.name === r.namespace);
}

/** Deep copy with object keys sorted, so generated YAML is deterministic and reads like the rendered manifests. */
function sorted<T>(v: T): T {
  if (Array.isArray(v)) return v.map(sorted) as unknown as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) as T;
  }
  return v;
}

const LEVELS: readonly PodSecurityLevel[] = ['restricted', 'baseline', 'privileged'];

/**
 * The Argo CD delivery of the releases that name a target (undefined when none does). Fails, writing nothing, when
 * two targets share a name, a release has the name of a target or of the argocd folder, a release declares a
 * dependency on one delivered by another target (waves order Applications only inside one app-of-apps), or the
 * dependencies form a cycle.
 */
export function renderArgoCd(releases: readonly RenderedRelease[]): ArgoCdOutput | undefined {
  const delivered = releases.filter((r) => r.delivery !== undefined);
  if (!delivered.length) return undefined;
  const errors: string[] = [];
  const targets = new Map<string, { readonly target: DeliveryTarget; readonly releases: RenderedRelease[] }>();
  for (const r of delivered) {
    const t = r.delivery!;
    const known = targets.get(t.name);
    if (known && known.target !== t) {
      errors.push(`[${r.name}] release.delivery: two delivery targets are named ${t.name}; create the target once (DeliveryTarget.argoCd({...})) and give that object to every release of the app`);
      continue;
    }
    if (!known) targets.set(t.name, { target: t, releases: [r] });
    else known.releases.push(r);
  }
  const byName = new Map(releases.map((r) => [r.name, r]));
  for (const r of releases) {
    if (r.name === ARGOCD_DIR) errors.push(`[${r.name}] release name ${r.name} is the folder the Argo CD delivery is written to (dist/${ARGOCD_DIR}/); rename the release`);
    const clash = targets.get(r.name);
    if (clash && clash.target.argoCd.namespace === r.delivery?.argoCd.namespace) {
      errors.push(`[${r.name}] release ${r.name} has the name of delivery target ${r.name}, whose root Application shares Argo CD's namespace with the release's Application; rename the target or the release`);
    }
  }
  const deps = releaseDependencies(releases);
  const crossTarget: string[] = [];
  for (const r of delivered) {
    for (const [d, reasons] of deps.get(r.name) ?? []) {
      const dep = byName.get(d);
      const declared = (r.dependsOn ?? []).includes(d);
      const sameTarget = dep?.delivery !== undefined && dep.delivery === r.delivery;
      if (sameTarget) continue;
      const where = !dep ? 'is not rendered by this synth' : dep.delivery ? `is delivered by target ${dep.delivery.name}` : 'is not delivered by Argo CD (no delivery prop)';
      if (declared) {
        errors.push(`[${r.name}] release.dependsOn: ${r.name} depends on ${d}, which ${where}; sync waves order Applications only inside one app-of-apps, so give both releases the same delivery target`);
      } else crossTarget.push(`${r.name} -> ${d} (${reasons.join('; ')}): ${d} ${where}, so Argo CD does not order them; init-container waits still hold ${r.name}'s pods until ${d} answers`);
    }
  }
  if (errors.length) throw new SynthError(errors);

  // The Pod Security level of each namespace: the loosest any release of the app needs there.
  const levels = new Map<string, PodSecurityLevel>();
  for (const r of releases) {
    const need = podSecurityRequirement(manifestWorkloads(r.objects)).level;
    const known = levels.get(r.namespace);
    if (!known || LEVELS.indexOf(need) > LEVELS.indexOf(known)) levels.set(r.namespace, need);
  }

  const manifests: Array<{ file: string; object: Manifest }> = [];
  const deliveries = new Map<string, ReleaseDelivery>();
  const distPaths = new Map<string, string>();
  const checksByNamespace = new Map<string, Map<string, ArgoCdHealthCheck>>();
  // Notes are written once every target is rendered: targets in one Argo CD namespace share the argocd-cm patch.
  const noteSections: Array<() => string> = [];
  for (const [name, { target, releases: own }] of [...targets].sort(([a], [b]) => (a < b ? -1 : 1))) {
    own.sort((a, b) => (a.name < b.name ? -1 : 1));
    const argo = target.argoCd;
    const names = own.map((r) => r.name);
    // One Application creates each namespace: the release rendering the Namespace, else the first to sync.
    const first = releaseSyncWaves(names, deps);
    const withNs = new Map<string, Map<string, readonly string[]>>();
    for (const [k, v] of deps) withNs.set(k, new Map(v));
    const creator = new Map<string, string>();
    for (const ns of [...new Set(own.map((r) => r.namespace))].sort()) {
      const inNs = own.filter((r) => r.namespace === ns);
      const owner = inNs.find(rendersNamespace) ?? [...inNs].sort((a, b) => first.get(a.name)! - first.get(b.name)! || (a.name < b.name ? -1 : 1))[0];
      if (!rendersNamespace(owner)) creator.set(ns, owner.name);
      for (const r of inNs) {
        if (r === owner) continue;
        const reason = rendersNamespace(owner) ? `namespace ${ns} is rendered by ${owner.name}` : `namespace ${ns} is created by ${owner.name}'s Application`;
        withNs.get(r.name)!.set(owner.name, [...(withNs.get(r.name)!.get(owner.name) ?? []), reason]);
      }
    }
    const waves = releaseSyncWaves(names, withNs);
    const retry = { limit: argo.retry.limit, backoff: { ...argo.retry.backoff } };
    const automated = argo.sync.automated ? { prune: argo.sync.automated.prune, selfHeal: argo.sync.automated.selfHeal } : undefined;
    const labels = { 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/part-of': name };
    const folder = `${ARGOCD_DIR}/${name}`;
    const rootProject = `${name}-root`;
    const add = (dir: string, object: Manifest) => {
      const file = `${dir}/${manifestFileName(object)}`;
      if (manifests.some((m) => m.file === file)) throw new SynthError([`two generated Argo CD objects are written to dist/${file}; give the targets distinct names and projects`]);
      manifests.push({ file, object: sorted(object) });
      return file;
    };

    // The releases' project: this repository, these namespaces, exactly the kinds rendered.
    const clusterKinds = new Map<string, { group: string; kind: string }>();
    const namespacedKinds = new Map<string, { group: string; kind: string }>();
    const clusterCustom = new Set<string>();
    for (const r of releases) {
      for (const o of r.objects) {
        const spec = (o as any).spec;
        if (o.kind === 'CustomResourceDefinition' && spec?.scope === 'Cluster') clusterCustom.add(`${spec.group}/${spec.names?.kind}`);
      }
    }
    for (const r of own) {
      for (const o of r.objects) {
        const group = apiGroup(o.apiVersion);
        const gk = { group, kind: o.kind };
        const cluster = isBuiltInGroup(group) ? isClusterScoped(o.kind) : clusterCustom.has(`${group}/${o.kind}`);
        (cluster ? clusterKinds : namespacedKinds).set(`${group}/${o.kind}`, gk);
      }
      if (creator.get(r.namespace) === r.name) clusterKinds.set('/Namespace', { group: '', kind: 'Namespace' });
    }
    const byKey = (m: Map<string, { group: string; kind: string }>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
    const namespaces = [...new Set(own.map((r) => r.namespace))].sort();
    add(folder, {
      apiVersion: API_VERSION,
      kind: 'AppProject',
      metadata: { name: argo.project, namespace: argo.namespace, labels, finalizers: [ARGOCD_FINALIZER], annotations: { [SYNC_WAVE_ANNOTATION]: '-1' } },
      spec: {
        description: projectDescription(name, names),
        sourceRepos: [argo.repoURL],
        destinations: namespaces.map((ns) => argo.destination.toJson(ns)),
        clusterResourceWhitelist: byKey(clusterKinds),
        namespaceResourceWhitelist: byKey(namespacedKinds),
      },
    });

    // One Application per release.
    for (const r of own) {
      const creates = creator.get(r.namespace) === r.name;
      const level = levels.get(r.namespace)!;
      const file = add(folder, {
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: {
          // The Application is named after the release: Argo CD's default tracking label (app.kubernetes.io/instance)
          // then carries the value the release's objects already have.
          name: r.name,
          namespace: argo.namespace,
          labels,
          annotations: { [SYNC_WAVE_ANNOTATION]: String(waves.get(r.name)) },
          finalizers: [ARGOCD_FINALIZER],
        },
        spec: {
          project: argo.project,
          source: { repoURL: argo.repoURL, targetRevision: argo.targetRevision, path: target.repoPath(r.name) },
          destination: argo.destination.toJson(r.namespace),
          syncPolicy: {
            ...(automated ? { automated } : {}),
            ...(creates ? { syncOptions: ['CreateNamespace=true'], managedNamespaceMetadata: { labels: podSecurityLabels(level) } } : {}),
            retry,
          },
        },
      });
      deliveries.set(r.name, {
        release: r.name,
        target: name,
        wave: waves.get(r.name)!,
        dependsOn: new Map([...(withNs.get(r.name) ?? [])].filter(([d]) => names.includes(d)).sort(([a], [b]) => (a < b ? -1 : 1))),
        createsNamespace: creates,
        podSecurity: level,
        file,
      });
    }

    // The root: its own project may create exactly Applications and AppProjects in Argo CD's namespace.
    const rootDestination = { namespace: argo.namespace, server: ARGOCD_IN_CLUSTER };
    const rootProjectFile = add(ARGOCD_DIR, {
      apiVersion: API_VERSION,
      kind: 'AppProject',
      metadata: { name: rootProject, namespace: argo.namespace, labels, finalizers: [ARGOCD_FINALIZER] },
      spec: {
        description: `The app-of-apps of ${name}, generated by cdk8s-ops-kit: it creates the Applications and the AppProject in ${folder}/ and nothing else.`,
        sourceRepos: [argo.repoURL],
        destinations: [rootDestination],
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: [{ group: ARGOCD_GROUP, kind: 'AppProject' }, { group: ARGOCD_GROUP, kind: 'Application' }],
      },
    });
    // No finalizer on the root: deleting it leaves the release Applications (and what they deployed) in place.
    const rootFile = add(ARGOCD_DIR, {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: argo.namespace, labels },
      spec: {
        project: rootProject,
        source: { repoURL: argo.repoURL, targetRevision: argo.targetRevision, path: target.repoPath(folder) },
        destination: rootDestination,
        syncPolicy: { ...(automated ? { automated } : {}), retry },
      },
    });
    distPaths.set(name, argo.distPath);

    // Health checks: the Application's (for the waves) and those of the kinds the releases render.
    const checks = checksByNamespace.get(argo.namespace) ?? new Map<string, ArgoCdHealthCheck>();
    checksByNamespace.set(argo.namespace, checks);
    const application = ArgoCdHealthCheck.argoCdApplication();
    checks.set(application.configKey, application);
    for (const c of ArgoCdHealthCheck.forRenderedKinds()) {
      if (own.some((r) => r.objects.some((o) => apiGroup(o.apiVersion) === c.group && o.kind === c.kind))) checks.set(c.configKey, c);
    }
    noteSections.push(() => targetNotes(target, own, deliveries, {
      rootFile,
      rootProjectFile,
      folder,
      patch: `${ARGOCD_DIR}/${ARGOCD_CM_DIR}/${argo.namespace}.yaml`,
      checks: [...checks.values()].sort((a, b) => (a.configKey < b.configKey ? -1 : 1)),
    }));
  }

  const patches = new Map<string, string>();
  for (const [ns, checks] of [...checksByNamespace].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const data = argoCdHealthCustomizations([...checks.values()].sort((a, b) => (a.configKey < b.configKey ? -1 : 1)));
    const header = [
      `# A merge patch for the ConfigMap argocd-cm in namespace ${ns}, generated by cdk8s-ops-kit (not a manifest: nothing`,
      '# syncs this folder). It adds the Lua health checks the delivery relies on, among them argoproj.io/Application:',
      '# without it Argo CD (since 1.8) does not wait for a child Application to be healthy before the next sync wave.',
      `#   kubectl -n ${ns} patch configmap argocd-cm --type merge --patch-file <this file>`,
      '# If argocd-cm is managed declaratively (Helm values configs.cm, or Git), add these keys there instead.',
      '',
    ].join('\n');
    patches.set(`${ARGOCD_DIR}/${ARGOCD_CM_DIR}/${ns}.yaml`, header + emitYaml12({ data }));
  }
  const notes = [
    '# Argo CD delivery',
    '',
    'Argo CD reads the committed dist/ from Git: each target below is an app-of-apps (its root Application creates one Application per release, in sync waves). Apply once per cluster, from the repository root, after Argo CD is installed; afterwards every change is a commit.',
    ...noteSections.map((n) => n()),
    ...(crossTarget.length ? ['', 'NOT ORDERED (dependencies across targets or outside Argo CD)', ...crossTarget.map((l) => `- ${l}`)] : []),
    '',
  ].join('\n');
  return { manifests, patches, notes, releases: deliveries, distPaths };
}

/** The notes of one target: the apply steps, the releases in wave order, the project. */
function targetNotes(
  target: DeliveryTarget,
  own: readonly RenderedRelease[],
  deliveries: ReadonlyMap<string, ReleaseDelivery>,
  files: {
    readonly rootFile: string;
    readonly rootProjectFile: string;
    readonly folder: string;
    readonly patch: string;
    readonly checks: readonly ArgoCdHealthCheck[];
  },
): string {
  const argo = target.argoCd;
  const lines: string[] = ['', `TARGET ${target.name} (repository ${argo.repoURL}, revision ${argo.targetRevision}, Argo CD namespace ${argo.namespace}, project ${argo.project})`];
  lines.push(
    `1. Health checks, once per Argo CD: ${argoCmStep(target, files.patch)}`,
    `   It adds the Lua health checks of ${files.checks.map((c) => `${c.group}/${c.kind}`).join(' and ')}. Without the argoproj.io/Application check Argo CD (since 1.8) does not wait for a child Application to be healthy before the next sync wave, so the waves below would only order when the Applications are created. If argocd-cm is managed declaratively (Helm values configs.cm, or Git), add the keys of that file there instead.`,
    `2. The app-of-apps: ${applyStep(target, files)}`,
    `   The root Application ${target.name} (project ${target.name}-root, allowed to create only Applications and AppProjects in ${argo.namespace}) then syncs ${target.repoPath(files.folder)}: AppProject ${argo.project} first (wave -1), then the release Applications by wave. Re-apply the root only when its own file changes (repository, revision, path); deleting it leaves the release Applications in place, while deleting a release Application deletes what it deployed except the objects marked ${KEEP_SYNC_OPTIONS.join(',')} (CRDs, claims, rendered Namespaces).`,
    `   Sync: ${argo.sync.automated ? `automated (prune ${argo.sync.automated.prune}, self-heal ${argo.sync.automated.selfHeal})` : 'manual (argocd app sync <name>)'}; a failed sync is retried ${argo.retry.limit} times, waiting ${argo.retry.backoff.duration} doubling by ${argo.retry.backoff.factor} up to ${argo.retry.backoff.maxDuration}.`,
    'Releases, in sync-wave order:',
  );
  const ordered = [...own].sort((a, b) => deliveries.get(a.name)!.wave - deliveries.get(b.name)!.wave || (a.name < b.name ? -1 : 1));
  for (const r of ordered) {
    const d = deliveries.get(r.name)!;
    const after = [...d.dependsOn].map(([dep, why]) => `${dep}: ${why.join('; ')}`);
    const ns = d.createsNamespace
      ? `creates namespace ${r.namespace} (Pod Security ${d.podSecurity})`
      : `namespace ${r.namespace}${rendersNamespace(r) ? ' (rendered by the release)' : ' (created by another Application of the target)'}`;
    lines.push(`- wave ${d.wave}: ${r.name}, ${ns}${after.length ? `; after ${after.join(', ')}` : ''}`);
  }
  return lines.join('\n');
}

/** The argocd-cm step, as a command run from the repository root. */
function argoCmStep(target: DeliveryTarget, patch: string): string {
  return `kubectl -n ${target.argoCd.namespace} patch configmap argocd-cm --type merge --patch-file ${target.repoPath(patch)}`;
}

/** The root apply step, as a command run from the repository root. */
function applyStep(target: DeliveryTarget, files: { readonly rootFile: string; readonly rootProjectFile: string }): string {
  return `kubectl apply -f ${target.repoPath(files.rootProjectFile)} -f ${target.repoPath(files.rootFile)}`;
}

/**
 * The delivery paragraph of one release's notes: its Application, wave, dependencies, namespace labels and the exact
 * apply steps.
 * @internal
 */
export function releaseDeliveryNote(r: RenderedRelease, d: ReleaseDelivery, output: ArgoCdOutput): string {
  const target = r.delivery!;
  const root = output.manifests.find((m) => m.object.kind === 'Application' && m.file.split('/').length === 2 && m.object.metadata.name === target.name)!;
  const rootProject = output.manifests.find((m) => m.object.kind === 'AppProject' && m.file.split('/').length === 2 && m.object.metadata.name === `${target.name}-root`)!;
  const patch = `${ARGOCD_DIR}/${ARGOCD_CM_DIR}/${target.argoCd.namespace}.yaml`;
  const after = [...d.dependsOn.keys()];
  const ns = d.createsNamespace
    ? `Argo CD creates namespace ${r.namespace} (CreateNamespace=true) labelled pod-security.kubernetes.io/enforce=${d.podSecurity}, the level its pods need (managedNamespaceMetadata).`
    : `Namespace ${r.namespace} is ${rendersNamespace(r) ? 'rendered by this release' : 'created by another Application of the target'}.`;
  return [
    'DELIVERY (Argo CD)',
    `- Application ${r.name} in project ${target.argoCd.project}, sync wave ${d.wave}${after.length ? ` (after ${after.join(', ')})` : ''}: ${target.repoPath(d.file)}, syncing ${target.repoPath(r.name)} at ${target.argoCd.targetRevision}.`,
    `- ${ns}`,
    `- Deploy the whole target ${target.name}, once per cluster, from the repository root: ${argoCmStep(target, patch)}, then ${applyStep(target, { rootFile: root.file, rootProjectFile: rootProject.file })}. Details: _reports/${ARGOCD_DIR}/NOTES.txt.`,
  ].join('\n');
}

/** Argo CD's limit on an AppProject's description (the CRD schema's maxLength). */
const PROJECT_DESCRIPTION_MAX = 255;

/**
 * The releases' AppProject description: the release names while they fit Argo CD's 255 characters, else their count
 * (the Applications list them anyway).
 * @internal
 */
export function projectDescription(name: string, releases: readonly string[]): string {
  const tail = 'generated by cdk8s-ops-kit: this repository only, their namespaces only, exactly the kinds they render.';
  const listed = `Releases of ${name} (${releases.join(', ')}), ${tail}`;
  return listed.length <= PROJECT_DESCRIPTION_MAX ? listed : `The ${releases.length} releases of ${name}, ${tail}`;
}
