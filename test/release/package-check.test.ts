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
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('apps/') || f.startsWith('dist/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  test('fails when a module is missing from the dry run or a stray file is in it, naming each', () => {
    expect(compareFileLists(['a.js', 'b.js'], ['a.js', 'test/x.test.js'])).toEqual({ missing: ['b.js'], unexpected: ['test/x.test.js'] });
    expect(compareFileLists(['a.js'], ['a.js'])).toEqual({ missing: [], unexpected: [] });
  });
});
