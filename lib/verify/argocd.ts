/**
 * Reference checks of generated Argo CD delivery objects (Applications and AppProjects) against the dist/ tree they
 * deploy: every Application's path names a folder of dist/ that holds manifests, its destination namespace is its
 * release's, its project exists and allows its repository and destination, and the project's whitelists cover
 * exactly the kinds the releases render (cluster-scoped kinds, `Namespace` for `CreateNamespace=true`, namespaced
 * kinds). The schema check of the same objects is `verifyManifests` (the Argo CD CRDs ship with the package).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ARGOCD_APPLICATION_KIND, ARGOCD_GROUP, ARGOCD_PROJECT_KIND } from '../gitops/health';
import { loadManifestDir } from './load';
import { groupOf, isClusterScoped, Json, namespaceOf, objectId } from './objects';
import { enforcedLevelProblem, manifestWorkloads } from './pod-security';
import { KubeObject, VerifyOptions, VerifyReport, Violation } from './types';
import { verifyManifests } from './verify';

/** The folder of dist/ that holds the Argo CD delivery (root Applications, one folder per target). */
export const ARGOCD_DIR = 'argocd';

/** One generated delivery object and its file, relative to the dist/ root (`argocd/graphistry/application...yaml`). */
export interface ArgoCdObject {
  /** The file. */
  readonly file: string;
  /** The object. */
  readonly object: KubeObject;
}

/** What the checks compare the delivery objects with. */
export interface ArgoCdCheckInput {
  /** The delivery objects (everything under dist/argocd/ except `_` folders). */
  readonly objects: readonly ArgoCdObject[];
  /** The release folders of dist/ (every top folder but argocd/ and `_`/`.` folders), by name, with their objects. */
  readonly folders: ReadonlyMap<string, readonly KubeObject[]>;
  /**
   * Where dist/ is in the repository, per target (by root Application name), when known: the root Application's path
   * must then be `<distPath>/argocd/<target>`. Without it the prefix is read from the root Application's path.
   * @default - read from each root Application
   */
  readonly distPaths?: ReadonlyMap<string, string>;
}

/** One finding of the delivery checks. */
export interface ArgoCdFinding {
  /** The object at fault. */
  readonly object: KubeObject;
  /** Its file. */
  readonly file: string;
  /** Rule id (`argocd-path`, `argocd-namespace`, `argocd-project`, `argocd-whitelist`, `pod-security-level`). */
  readonly rule: string;
  /** What is wrong. */
  readonly message: string;
  /** What to do. */
  readonly fix: string;
  /** The field. */
  readonly path: string;
}

interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

const isArgo = (o: KubeObject, kind: string) => groupOf(String(o?.apiVersion ?? '')) === ARGOCD_GROUP && o?.kind === kind;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The regular expressions of the glob patterns seen, by pattern: an AppProject's entries are matched against every
 * object its Applications render (a few patterns, thousands of matches), and compiling one costs far more than a test.
 */
const globs = new Map<string, RegExp>();

/** Argo CD's glob match for project entries (`*` matches any run of characters). */
function glob(pattern: string, value: string): boolean {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    globs.set(pattern, re);
  }
  // Without the g and y flags, test() neither reads nor moves lastIndex: a kept expression answers as a new one.
  return re.test(value);
}

function kindListed(list: readonly Json[] | undefined, gk: GroupKind): boolean {
  return (list ?? []).some((e) => glob(String(e?.group ?? ''), gk.group) && glob(String(e?.kind ?? ''), gk.kind));
}

const gkOf = (o: KubeObject): GroupKind => ({ group: groupOf(String(o.apiVersion)), kind: o.kind });
const showGk = (gk: GroupKind) => (gk.group ? `${gk.group}/${gk.kind}` : gk.kind);

/** Custom kinds that CRDs in `objects` declare cluster-scoped, as `group/Kind`. */
function clusterScopedCustomKinds(objects: readonly KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o?.kind !== 'CustomResourceDefinition' || groupOf(String(o.apiVersion)) !== 'apiextensions.k8s.io') continue;
    const spec = (o as Json).spec;
    if (spec?.scope === 'Cluster' && spec.group && spec.names?.kind) out.add(`${spec.group}/${spec.names.kind}`);
  }
  return out;
}

/** The sync options of an Application, trimmed. */
function syncOptions(app: Json): string[] {
  return ((app.spec?.syncPolicy?.syncOptions ?? []) as unknown[]).map((s) => String(s).trim());
}

/**
 * The delivery checks: `argocd-path`, `argocd-namespace`, `argocd-project`, `argocd-whitelist` and (for
 * `managedNamespaceMetadata`) `pod-security-level`. Pure: the input holds everything.
 */
export function argoCdFindings(input: ArgoCdCheckInput): ArgoCdFinding[] {
  const out: ArgoCdFinding[] = [];
  const apps = input.objects.filter((e) => isArgo(e.object, ARGOCD_APPLICATION_KIND));
  const projects = input.objects.filter((e) => isArgo(e.object, ARGOCD_PROJECT_KIND));
  const allObjects = [...input.folders.values()].flat();
  const clusterCustom = clusterScopedCustomKinds(allObjects);
  const clusterScoped = (o: KubeObject) => isClusterScoped(o.kind) || clusterCustom.has(`${groupOf(String(o.apiVersion))}/${o.kind}`);
  const add = (e: ArgoCdObject, rule: string, message: string, fix: string, at: string) =>
    out.push({ object: e.object, file: e.file, rule, message, fix, path: at });

  // Target folders: argocd/<target>/ and what they hold.
  const targetFolders = new Map<string, ArgoCdObject[]>();
  for (const e of input.objects) {
    const parts = e.file.split('/');
    if (parts.length === 3 && parts[0] === ARGOCD_DIR) targetFolders.set(parts[1], [...(targetFolders.get(parts[1]) ?? []), e]);
  }
  const roots = apps.filter((e) => e.file.split('/').length === 2);
  const children = apps.filter((e) => e.file.split('/').length === 3);
  /** dist/'s repository path by target folder, read from (or checked against) its root Application. */
  const prefixes = new Map<string, string>();
  const sources = new Map<string, ArgoCdObject>();

  for (const e of roots) {
    const app = e.object as Json;
    const p = String(app.spec?.source?.path ?? '');
    const m = /^(?:(.*)\/)?argocd\/([^/]+)$/.exec(p);
    const target = m?.[2];
    if (!m || !target || !targetFolders.has(target)) {
      add(e, 'argocd-path', `root Application ${app.metadata?.name} syncs path ${JSON.stringify(p)}, which is no folder of ${ARGOCD_DIR}/ holding Applications`, `point it at <dist path>/${ARGOCD_DIR}/<target> (the folder beside this file)`, 'spec.source.path');
      continue;
    }
    const prefix = m[1] ?? '.';
    const expected = input.distPaths?.get(app.metadata?.name);
    if (expected !== undefined && expected !== prefix) {
      add(e, 'argocd-path', `root Application ${app.metadata?.name} syncs ${JSON.stringify(p)}, but dist/ is at ${JSON.stringify(expected)} in the repository`, `set its path to ${expected === '.' ? '' : `${expected}/`}${ARGOCD_DIR}/${target}`, 'spec.source.path');
    }
    prefixes.set(target, prefix);
  }

  for (const e of children) {
    const app = e.object as Json;
    const name = String(app.metadata?.name);
    const target = e.file.split('/')[1];
    const p = String(app.spec?.source?.path ?? '');
    const prefix = prefixes.get(target);
    if (prefix === undefined) {
      add(e, 'argocd-path', `Application ${name} is in ${ARGOCD_DIR}/${target}/, which no root Application in ${ARGOCD_DIR}/ syncs`, `add the root Application of target ${target}, or move this Application`, 'metadata.name');
    }
    const folder = prefix === undefined ? p.split('/').pop()! : prefix === '.' ? p : p.startsWith(`${prefix}/`) ? p.slice(prefix.length + 1) : undefined;
    const objects = folder === undefined ? undefined : input.folders.get(folder);
    if (!objects || objects.length === 0) {
      add(
        e,
        'argocd-path',
        `Application ${name} syncs path ${JSON.stringify(p)}, which is no release folder of dist/ holding manifests${prefix !== undefined ? ` (dist/ is ${JSON.stringify(prefix)} in the repository)` : ''}`,
        'point it at the release folder it delivers (<dist path>/<release>)',
        'spec.source.path',
      );
    }
    const key = `${app.spec?.source?.repoURL}|${p}`;
    const other = sources.get(key);
    if (other) {
      add(e, 'argocd-path', `Application ${name} syncs the same path as ${other.object.metadata.name} (${JSON.stringify(p)}): two Applications would overwrite and prune each other`, 'deliver each release folder with one Application', 'spec.source.path');
    } else sources.set(key, e);

    // The project.
    const projectName = String(app.spec?.project ?? '');
    const project = projects.find((pr) => pr.object.metadata.name === projectName && namespaceOf(pr.object) === namespaceOf(e.object));
    if (!project) {
      add(e, 'argocd-project', `Application ${name} names project ${JSON.stringify(projectName)}, which no AppProject in ${ARGOCD_DIR}/ defines (in namespace ${namespaceOf(e.object)})`, 'generate the AppProject with the Applications (same target), or fix spec.project', 'spec.project');
    }
    const spec = (project?.object as Json | undefined)?.spec;
    const repo = String(app.spec?.source?.repoURL ?? '');
    if (spec && !(spec.sourceRepos ?? []).some((r: unknown) => glob(String(r), repo))) {
      add(e, 'argocd-project', `AppProject ${projectName} does not allow repository ${JSON.stringify(repo)} (sourceRepos ${JSON.stringify(spec.sourceRepos ?? [])}): Argo CD refuses the Application`, 'list the repository in the project\'s sourceRepos', 'spec.source.repoURL');
    }
    const dest = app.spec?.destination ?? {};
    const destNs = String(dest.namespace ?? '');
    const allowed = (spec?.destinations ?? []).some(
      (d: Json) =>
        glob(String(d.namespace ?? ''), destNs) &&
        (d.server !== undefined
          ? dest.server !== undefined && glob(String(d.server), String(dest.server))
          : d.name !== undefined && dest.name !== undefined && glob(String(d.name), String(dest.name))),
    );
    if (spec && !allowed) {
      add(e, 'argocd-project', `AppProject ${projectName} does not allow destination ${JSON.stringify(dest)}: Argo CD refuses the Application`, 'list the release namespace (with the same server or cluster name) in the project\'s destinations', 'spec.destination');
    }

    if (!objects) continue;
    // The destination namespace is the release's.
    const namespaced = objects.filter((o) => !clusterScoped(o) && o.metadata?.namespace);
    const namespaces = [...new Set(namespaced.map((o) => String(o.metadata.namespace)))].sort();
    const wrong = namespaces.filter((ns) => ns !== destNs);
    if (wrong.length) {
      add(e, 'argocd-namespace', `Application ${name} deploys into namespace ${JSON.stringify(destNs)}, but its release's objects are in ${wrong.join(', ')}`, `set spec.destination.namespace to the release namespace (${namespaces.join(', ')})`, 'spec.destination.namespace');
    }

    // The whitelists cover what the folder renders.
    if (spec) {
      const seen = new Set<string>();
      for (const o of objects) {
        const gk = gkOf(o);
        const id = `${clusterScoped(o)}|${gk.group}|${gk.kind}`;
        if (seen.has(id)) continue;
        seen.add(id);
        if (clusterScoped(o)) {
          if (!kindListed(spec.clusterResourceWhitelist, gk) || kindListed(spec.clusterResourceBlacklist, gk)) {
            add(project!, 'argocd-whitelist', `AppProject ${projectName} does not whitelist the cluster-scoped kind ${showGk(gk)}, which release ${folder} renders (${objectId(o)}): Argo CD refuses to sync it`, `add { group: '${gk.group}', kind: '${gk.kind}' } to clusterResourceWhitelist (regenerate dist/ with npm run synth)`, 'spec.clusterResourceWhitelist');
          }
        } else if (
          (spec.namespaceResourceWhitelist !== undefined && !kindListed(spec.namespaceResourceWhitelist, gk)) ||
          kindListed(spec.namespaceResourceBlacklist, gk)
        ) {
          add(project!, 'argocd-whitelist', `AppProject ${projectName} does not allow the namespaced kind ${showGk(gk)}, which release ${folder} renders (${objectId(o)}): Argo CD refuses to sync it`, `add { group: '${gk.group}', kind: '${gk.kind}' } to namespaceResourceWhitelist (regenerate dist/ with npm run synth)`, 'spec.namespaceResourceWhitelist');
        }
      }
      if (syncOptions(app).includes('CreateNamespace=true') && !kindListed(spec.clusterResourceWhitelist, { group: '', kind: 'Namespace' })) {
        add(project!, 'argocd-whitelist', `Application ${name} creates its namespace (CreateNamespace=true), but AppProject ${projectName} does not whitelist Namespace: Argo CD refuses to create it`, "add { group: '', kind: 'Namespace' } to clusterResourceWhitelist", 'spec.clusterResourceWhitelist');
      }
    }

    // The namespace labels Argo CD applies admit the release's pods.
    const labels = app.spec?.syncPolicy?.managedNamespaceMetadata?.labels;
    if (labels && typeof labels === 'object') {
      const problem = enforcedLevelProblem(labels, manifestWorkloads(objects.filter((o) => o.metadata?.namespace === destNs)), `Application ${name}'s managedNamespaceMetadata (namespace ${destNs})`);
      if (problem) add(e, 'pod-security-level', problem.message, problem.fix, 'spec.syncPolicy.managedNamespaceMetadata.labels');
    }
  }

  // Root Applications: their project lets them create exactly Applications and AppProjects in Argo CD's namespace.
  for (const e of roots) {
    const app = e.object as Json;
    const target = /argocd\/([^/]+)$/.exec(String(app.spec?.source?.path ?? ''))?.[1];
    const held = target ? targetFolders.get(target) ?? [] : [];
    const projectName = String(app.spec?.project ?? '');
    const project = projects.find((pr) => pr.object.metadata.name === projectName && namespaceOf(pr.object) === namespaceOf(e.object));
    if (!project) {
      add(e, 'argocd-project', `root Application ${app.metadata?.name} names project ${JSON.stringify(projectName)}, which no AppProject in ${ARGOCD_DIR}/ defines`, 'apply the root project with the root Application (both are in dist/argocd/)', 'spec.project');
      continue;
    }
    const spec = (project.object as Json).spec;
    for (const h of held) {
      const gk = gkOf(h.object);
      if (spec.namespaceResourceWhitelist !== undefined && !kindListed(spec.namespaceResourceWhitelist, gk)) {
        add(project, 'argocd-whitelist', `AppProject ${projectName} does not allow ${showGk(gk)}, which root Application ${app.metadata?.name} syncs (${h.file})`, `add { group: '${gk.group}', kind: '${gk.kind}' } to namespaceResourceWhitelist`, 'spec.namespaceResourceWhitelist');
      }
      if (namespaceOf(h.object) !== String(app.spec?.destination?.namespace ?? '')) {
        add(e, 'argocd-namespace', `root Application ${app.metadata?.name} deploys into ${JSON.stringify(app.spec?.destination?.namespace)}, but ${h.file} is in namespace ${namespaceOf(h.object)}`, 'deploy the root into Argo CD\'s namespace, where the Applications and AppProjects live', 'spec.destination.namespace');
      }
    }
  }

  // Least privilege: a generated project whitelists nothing its Applications do not render.
  for (const p of projects) {
    const spec = (p.object as Json).spec ?? {};
    const users = apps.filter((a) => (a.object as Json).spec?.project === p.object.metadata.name && namespaceOf(a.object) === namespaceOf(p.object));
    const rendered: Array<{ gk: GroupKind; cluster: boolean }> = [];
    for (const a of users) {
      const isRoot = a.file.split('/').length === 2;
      const p2 = String((a.object as Json).spec?.source?.path ?? '');
      if (isRoot) {
        const target = /argocd\/([^/]+)$/.exec(p2)?.[1];
        for (const h of (target && targetFolders.get(target)) || []) rendered.push({ gk: gkOf(h.object), cluster: false });
        continue;
      }
      const folder = p2.split('/').pop()!;
      for (const o of input.folders.get(folder) ?? []) rendered.push({ gk: gkOf(o), cluster: clusterScoped(o) });
      if (syncOptions(a.object).includes('CreateNamespace=true')) rendered.push({ gk: { group: '', kind: 'Namespace' }, cluster: true });
    }
    const unused = (list: readonly Json[] | undefined, cluster: boolean, field: string) => {
      for (const entry of list ?? []) {
        const used = rendered.some((r) => r.cluster === cluster && glob(String(entry?.group ?? ''), r.gk.group) && glob(String(entry?.kind ?? ''), r.gk.kind));
        const wildcard = String(entry?.group).includes('*') || String(entry?.kind).includes('*');
        if (!used || wildcard) {
          add(p, 'argocd-whitelist', `AppProject ${p.object.metadata.name} allows ${showGk({ group: String(entry?.group ?? ''), kind: String(entry?.kind ?? '') })}${wildcard ? ' (a wildcard)' : ''} in ${field}, which none of its Applications renders: it grants more than the releases need`, 'whitelist exactly the kinds the releases render (regenerate dist/ with npm run synth)', `spec.${field}`);
        }
      }
    };
    unused(spec.clusterResourceWhitelist, true, 'clusterResourceWhitelist');
    unused(spec.namespaceResourceWhitelist, false, 'namespaceResourceWhitelist');
  }
  return out;
}

/** Files of a folder tree (recursively, `_`/`.` folders skipped), relative to it, with their objects. */
function loadTree(dir: string): ArgoCdObject[] {
  const loaded = loadManifestDir(dir);
  return loaded.objects.map((o, i) => ({ object: o, file: `${ARGOCD_DIR}/${loaded.files[i].split(path.sep).join('/')}` }));
}

/**
 * The kinds the delivery objects are, whose CRDs Argo CD itself installs (for the crd-installed rule).
 * @internal
 */
export const ARGOCD_INSTALLED_CRDS: readonly string[] = ['Application.argoproj.io', 'AppProject.argoproj.io'];

/**
 * Verifies the Argo CD folder of a dist/ tree on disk: the Applications and AppProjects against the Argo CD CRD
 * schemas (`verifyManifests`) and the delivery checks (`argoCdFindings`) against the release folders beside it.
 * Returns one report named `argocd`.
 */
export function verifyArgoCdTree(distDir: string, options: Omit<VerifyOptions, 'name' | 'files'> & { readonly distPaths?: ReadonlyMap<string, string> } = {}): VerifyReport {
  const argoDir = path.join(distDir, ARGOCD_DIR);
  if (!fs.existsSync(argoDir)) throw new Error(`${argoDir} does not exist: the app has no delivery target (ReleaseProps.delivery)`);
  const objects = loadTree(argoDir);
  const folders = new Map<string, KubeObject[]>();
  for (const e of fs.readdirSync(distDir, { withFileTypes: true })) {
    if (!e.isDirectory() || /^[_.]/.test(e.name) || e.name === ARGOCD_DIR) continue;
    folders.set(e.name, loadManifestDir(path.join(distDir, e.name)).objects);
  }
  const { distPaths, ...verifyOptions } = options;
  return verifyArgoCd(objects, folders, { ...verifyOptions, distPaths });
}

/**
 * The `argocd` report: schema, policy and duplicate checks of the delivery objects (`verifyManifests`) plus the
 * delivery checks.
 * @internal
 */
export function verifyArgoCd(
  objects: readonly ArgoCdObject[],
  folders: ReadonlyMap<string, readonly KubeObject[]>,
  options: Omit<VerifyOptions, 'name' | 'files'> & { readonly distPaths?: ReadonlyMap<string, string> } = {},
): VerifyReport {
  const { distPaths, ...verifyOptions } = options;
  const installedCrds = [...(verifyOptions.installedCrds ?? []), ...ARGOCD_INSTALLED_CRDS];
  const files = objects.map((e) => e.file);
  const report = verifyManifests(objects.map((e) => e.object), { ...verifyOptions, installedCrds, name: ARGOCD_DIR, files });
  const findings = argoCdFindings({ objects, folders, distPaths });
  if (!findings.length) return report;
  const violations: Violation[] = [
    ...report.violations,
    ...findings.map((f) => ({ object: objectId(f.object), rule: f.rule, message: f.message, fix: f.fix, path: f.path, file: f.file })),
  ].sort((a, b) => cmp(a.object, b.object) || cmp(a.rule, b.rule) || cmp(a.message, b.message));
  return { ...report, violations, ok: false };
}
