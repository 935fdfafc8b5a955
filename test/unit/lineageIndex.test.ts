import assert from 'node:assert/strict';
import { buildChainIndex, ChainIndexBuilder, tailHash } from '../../src/core/lineageIndex';
import type { ImageRecord } from '../../src/core/lineage';
import { seededRng } from '../../src/core/bootstrap';

/**
 * The chain index against a naive reference (chains compared as joined strings): same chain
 * numbers in order of first appearance, same nearest image-chain ancestor, same prefix relation.
 * The trie keys its edges by a 32-bit hash of a diff ID's last 8 characters; these inputs make
 * that hash collide on purpose, so every answer must come from the exact diff-ID comparison.
 */
let made = 0;
function image(layers: string[]): ImageRecord {
  return { id: `sha256:${(made++).toString(16).padStart(64, '0')}`, repoTags: [], repoDigests: [], parent: '', layers, labels: {}, created: 0, size: 0 };
}

function reference(images: readonly ImageRecord[]): { chainOf: number[]; nearest: number[] } {
  const key = (layers: readonly string[], k: number): string => layers.slice(0, k).join('\n');
  const chainOfKey = new Map<string, number>();
  const chainOf = images.map((i) => {
    const k = key(i.layers, i.layers.length);
    if (!chainOfKey.has(k)) chainOfKey.set(k, chainOfKey.size);
    return chainOfKey.get(k)!;
  });
  const firstImage = new Map<number, ImageRecord>();
  images.forEach((i, p) => firstImage.has(chainOf[p]!) || firstImage.set(chainOf[p]!, i));
  const nearest = [...firstImage.entries()].map(([, i]) => {
    for (let k = i.layers.length - 1; k >= 1; k--) {
      const c = chainOfKey.get(key(i.layers, k));
      if (c !== undefined) return c;
    }
    return -1;
  });
  return { chainOf, nearest };
}

describe('lineage chain index', () => {
  it('a diff ID whose hash equals the first child\'s but whose text differs takes its own node', () => {
    // Same length and last 8 characters: one tail hash for all three.
    const a = `sha256:${'a'.repeat(56)}deadbeef`;
    const b = `sha256:${'b'.repeat(56)}deadbeef`;
    const c = `sha256:${'c'.repeat(56)}deadbeef`;
    assert.equal(tailHash(a), tailHash(b));
    assert.equal(tailHash(a), tailHash(c));
    const images = [image([a]), image([a, b]), image([a, c]), image([a, b, c]), image([a, c, b]), image([b]), image([a, c])];
    const index = buildChainIndex(images);
    assert.deepEqual([...index.chainOf], [0, 1, 2, 3, 4, 5, 2]);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((ch) => index.nearestAncestor(ch)), [-1, 0, 0, 1, 2, -1]);
    assert.ok(index.isPrefix(1, 3) && !index.isPrefix(2, 3) && !index.isPrefix(1, 4) && index.isPrefix(2, 4));
    assert.deepEqual(index.membersOf(2), [2, 6]);
  });

  it('equals the naive reference on random forests whose diff IDs mostly collide', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRng(seed);
      // 40 distinct diff IDs, all with one tail hash, as chains that share prefixes.
      const ids = Array.from({ length: 40 }, (_, k) => `sha256:${k.toString(16).padStart(56, '0')}cafef00d`);
      const images: ImageRecord[] = [];
      for (let i = 0; i < 400; i++) {
        const base = i > 0 && random() < 0.8 ? images[Math.floor(random() * i)]!.layers : [];
        const layers = base.slice(0, Math.floor(random() * (base.length + 1)));
        const add = Math.floor(random() * 3);
        for (let k = 0; k < add; k++) layers.push(ids[Math.floor(random() * ids.length)]!);
        // Records as parsed from JSON: no diff ID string shared with another record.
        images.push(image(JSON.parse(JSON.stringify(layers)) as string[]));
      }
      const index = buildChainIndex(images);
      const ref = reference(images);
      assert.deepEqual([...index.chainOf], ref.chainOf, `seed ${seed}`);
      assert.deepEqual(ref.nearest.map((_, ch) => index.nearestAncestor(ch)), ref.nearest, `seed ${seed}`);
    }
  });

  it('the builder refuses more images than it was made for', () => {
    const builder = new ChainIndexBuilder(1);
    builder.add(['sha256:1']);
    assert.throws(() => builder.add(['sha256:2']), RangeError);
  });
});
