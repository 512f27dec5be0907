import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { Json } from './objects';
import { KubeObject } from './types';

/** Objects read from disk, each with the file it came from. */
export interface LoadedManifests {
  /** The objects, in file order. */
  readonly objects: KubeObject[];
  /** File of each object (same order), relative to the directory that was loaded. */
  readonly files: string[];
}

const MANIFEST = /\.(ya?ml|json)$/;

/** Parses one manifest file's text (multi-document YAML or JSON; `List` kinds are flattened). */
export function parseManifests(text: string, file = '(text)'): KubeObject[] {
  const out: KubeObject[] = [];
  const docs = file.endsWith('.json') ? [JSON.parse(text) as Json] : YAML.parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJS() as Json;
  });
  for (const d of docs) {
    if (d === null || d === undefined) continue;
    if (typeof d !== 'object' || Array.isArray(d)) throw new Error(`${file}: a document is not a Kubernetes object`);
    if (typeof d.kind === 'string' && d.kind.endsWith('List') && Array.isArray(d.items)) out.push(...(d.items as KubeObject[]));
    else out.push(d as KubeObject);
  }
  return out;
}

/** Reads the given manifest files. File names in the result are as given. */
export function loadManifestFiles(files: readonly string[]): LoadedManifests {
  const objects: KubeObject[] = [];
  const names: string[] = [];
  for (const f of files) {
    for (const o of parseManifests(fs.readFileSync(f, 'utf-8'), f)) {
      objects.push(o);
      names.push(f);
    }
  }
  return { objects, files: names };
}

/**
 * Reads every manifest (`.yaml`, `.yml`, `.json`) under `dir`, recursively and in sorted order. Folders whose name
 * starts with `_` or `.` (such as `_reports`) hold no manifests and are skipped.
 */
export function loadManifestDir(dir: string): LoadedManifests {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (MANIFEST.test(e.name)) found.push(full);
    }
  };
  walk(dir);
  const loaded = loadManifestFiles(found);
  return { objects: loaded.objects, files: loaded.files.map((f) => path.relative(dir, f)) };
}
