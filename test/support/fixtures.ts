import * as fs from 'fs';
import * as path from 'path';
import { ConnectionRecord } from '../../lib/core';
import { KubeObject, parseManifests } from '../../lib/verify';

/**
 * A corpus of fixture files under test/fixtures/<name>: broken/ holds files that break exactly the rule their name
 * starts with (`<rule>--<case>.yaml`, message in `# expect:`), clean/ files that pass. Each file holds manifests and one
 * WiringFixture document with its connection records.
 */
export function wiringCorpus(name: string) {
  const root = path.join(__dirname, '..', 'fixtures', name);
  return {
    list: (dir: string): string[] => fs.readdirSync(path.join(root, dir)).sort(),
    ruleOf: (file: string): string => file.split('--')[0],
    load(dir: string, file: string): { text: string; objects: KubeObject[]; connections: ConnectionRecord[] } {
      const full = path.join(root, dir, file);
      const text = fs.readFileSync(full, 'utf-8');
      const all = parseManifests(text, full);
      const fixture = all.find((o) => o.kind === 'WiringFixture') as unknown as { connections: ConnectionRecord[] };
      return { text, objects: all.filter((o) => o.kind !== 'WiringFixture'), connections: fixture.connections };
    },
  };
}
