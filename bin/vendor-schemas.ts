/**
 * Regenerates the schemas the package ships (`schemas/`), offline, from files you give it:
 *
 *   npm run vendor-schemas -- --kubernetes <_definitions.json> --crds <dir-or-file> [--crds ...] [--out schemas]
 *
 * `--kubernetes` is the Kubernetes 1.28 OpenAPI definitions as JSON schema (`_definitions.json`, as published for
 * kubeconform); each `--crds` is a CRD file or a folder of them (Argo CD Application/AppProject, prometheus-operator
 * ServiceMonitor/PodMonitor). Documentation is removed and the rest kept as published; the output is gzipped JSON
 * recording the SHA-256 of every input, and the same inputs give the same bytes. Commit the result.
 * Exit codes: 0 written, 2 usage or read error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot, vendorSchemas } from '../lib/verify/schema-source';

const USAGE = 'usage: npm run vendor-schemas -- --kubernetes <_definitions.json> --crds <dir-or-file> [--crds ...] [--out <dir>]\n';

function crdFilesOf(p: string): string[] {
  if (!fs.existsSync(p)) throw new Error(`--crds ${p}: no such file or directory`);
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs.readdirSync(p).filter((n) => /\.(ya?ml|json)$/.test(n)).sort().map((n) => path.join(p, n));
}

/** Runs the command; returns the exit code. Output goes through `write` so tests can capture it. */
export function run(
  argv: readonly string[],
  write: (text: string) => void = (t) => process.stdout.write(t),
  writeErr: (text: string) => void = (t) => process.stderr.write(t),
): number {
  let kubernetes: string | undefined;
  const crds: string[] = [];
  let out = path.join(packageRoot(), 'schemas');
  try {
    const args = argv.filter((a) => a !== '--');
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const value = () => {
        const v = args[++i];
        if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
        return v;
      };
      if (a === '--kubernetes') kubernetes = value();
      else if (a === '--crds') crds.push(...crdFilesOf(value()));
      else if (a === '--out') out = value();
      else throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
    if (!kubernetes) throw new Error('--kubernetes is required');
    if (!crds.length) throw new Error('--crds is required (at least one CRD file)');
    const result = vendorSchemas({ kubernetes, crdFiles: crds, outDir: out });
    for (const f of result.files) write(`wrote ${path.relative(process.cwd(), f.path) || f.path} (${f.bytes} bytes)\n`);
    write(`${result.definitions} Kubernetes definitions; CRD versions: ${result.crdVersions.join(', ')}\n`);
    return 0;
  } catch (e) {
    writeErr(`vendor-schemas: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
}

if (require.main === module) process.exit(run(process.argv.slice(2)));
