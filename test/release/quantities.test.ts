import { Size } from 'cdk8s';
import { synthesize } from '../../apps/main';
import { sizeQuantity } from '../../lib/core';

/** Every string that looks like a binary quantity (`512Mi`), with where it is. */
function binaryQuantities(value: unknown, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof value === 'string' && /^[0-9]+(Ki|Mi|Gi|Ti|Pi|Ei)$/.test(value)) out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => binaryQuantities(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) binaryQuantities(v, `${path}.${k}`, out);
  return out;
}

describe('quantities', () => {
  test('sizeQuantity picks the largest binary unit that divides the size, and rounds a fraction of a KiB up', () => {
    expect(sizeQuantity(Size.gibibytes(2))).toBe('2Gi');
    expect(sizeQuantity(Size.mebibytes(2048))).toBe('2Gi');
    expect(sizeQuantity(Size.mebibytes(1536))).toBe('1536Mi');
    expect(sizeQuantity(Size.kibibytes(100))).toBe('100Ki');
    expect(sizeQuantity(Size.kibibytes(0.5))).toBe('1Ki');
  });

  // The API server stores a quantity in canonical form (2048Mi is stored as 2Gi); a manifest that writes another form
  // never matches the live object field for field, so every diff (kubectl diff, Argo CD without normalization) shows
  // a change that is not one. The Graphistry Redis emptyDir limit was written as 2048Mi by hand until it used
  // sizeQuantity.
  test('every binary quantity the example apps render is in the canonical form the API server stores', () => {
    const odd: string[] = [];
    for (const r of synthesize()) {
      for (const o of r.objects) {
        for (const [path, q] of binaryQuantities(o, `${o.kind}/${o.metadata.name}`, [])) {
          const n = Number(q.slice(0, -2));
          if (!q.endsWith('Ei') && n % 1024 === 0) odd.push(`${r.name} ${path}: ${q}`);
        }
      }
    }
    expect(odd).toEqual([]);
  });
});
