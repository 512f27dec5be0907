import { assertPinnedTag, LATEST_TAG_REASON } from '../../lib/core/images';

describe('assertPinnedTag (the one tag check behind every product image prop)', () => {
  test('accepts release tags and returns them', () => {
    expect(assertPinnedTag('image.tag', '4.2.0', { example: '4.2.0' })).toBe('4.2.0');
    expect(assertPinnedTag('image.tag', 'v2.50.7_rc-1', { example: 'v2.50.7' })).toBe('v2.50.7_rc-1');
  });

  test('fails when the tag is latest, naming the prop, the value, the reason and what is allowed', () => {
    expect(() => assertPinnedTag('images.tag', 'latest', { example: '0.4.1' })).toThrow(
      `'images.tag' is "latest", but ${LATEST_TAG_REASON}; allowed: a release tag such as 0.4.1`);
    expect(() => assertPinnedTag('tag', 'latest', { example: '1', latestReason: 'it moves' })).toThrow(/but it moves;/);
  });

  test('fails when the tag is missing or malformed', () => {
    for (const bad of ['', '-1.0', '.1', '1.0:x', 'a b', undefined as unknown as string]) {
      expect(() => assertPinnedTag('image.tag', bad, { example: '4.2.0' })).toThrow(
        /'image.tag' is .*allowed: a release tag such as 4.2.0 \(letters, digits, ".", "_", "-"; at most 128 characters\)/);
    }
    expect(() => assertPinnedTag('images.tag', undefined as unknown as string, { example: '0.4.1', missingReason: 'there is no default' }))
      .toThrow(/'images.tag' is undefined, but there is no default;/);
  });

  test('fails when the tag is longer than maxLength (a suffix appended to it must still fit)', () => {
    expect(assertPinnedTag('tag', 'a'.repeat(101), { example: 'v1', maxLength: 101 })).toHaveLength(101);
    expect(() => assertPinnedTag('tag', 'a'.repeat(102), { example: 'v1', maxLength: 101 })).toThrow(/at most 101 characters/);
    expect(() => assertPinnedTag('tag', 'a'.repeat(129), { example: 'v1' })).toThrow(/at most 128 characters/);
  });
});
