import * as path from 'path';
import { compareFileLists, intendedFiles } from '../../bin/package-check';

describe('package check', () => {
  const root = path.join(__dirname, '..', '..');

  test('the intended files are derived from the sources: every lib module compiled, with the schemas, CRDs and plugin', () => {
    const files = intendedFiles(root);
    expect(files).toEqual(expect.arrayContaining([
      'build/lib/index.js', 'build/lib/index.d.ts', 'build/lib/core/wiring.js', 'build/imports/iot.nationtech.io.d.ts',
      'imports/crds/iot.nationtech.io_deployments.yaml', 'schemas/kubernetes-1.28.0.json.gz', 'plugin.js', 'package.json',
    ]));
    // The generated schema validators ship too: the module and each part file it names, no other.
    const generated = files.filter((f) => f.startsWith('build/lib/verify/generated/'));
    expect(generated).toContain('build/lib/verify/generated/validators.js');
    const parts = Object.values((require(path.join(root, 'build/lib/verify/generated/validators.js')) as { parts: Record<string, string> }).parts);
    expect(generated.sort()).toEqual(['build/lib/verify/generated/validators.js', ...parts.map((f) => `build/lib/verify/generated/${f}`)].sort());
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('apps/') || f.startsWith('dist/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  test('fails when a module is missing from the dry run or a stray file is in it, naming each', () => {
    expect(compareFileLists(['a.js', 'b.js'], ['a.js', 'test/x.test.js'])).toEqual({ missing: ['b.js'], unexpected: ['test/x.test.js'] });
    expect(compareFileLists(['a.js'], ['a.js'])).toEqual({ missing: [], unexpected: [] });
  });
});
