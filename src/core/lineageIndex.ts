/**
 * Lineage index (see lineage.ts): which images share a layer chain, and for each chain the
 * nearest image chain that is a strict prefix of it. Pure logic; the history rules that order
 * images with the same chain are in lineageHistory.ts.
 *
 * Chains live in a prefix trie over interned diff IDs: each distinct diff ID gets a small integer
 * once (one string-keyed map lookup per layer, which V8 answers from the string's cached hash),
 * and a trie node is the pair (parent node, layer number), found in an open-addressing table of
 * 32-bit integers (no per-node object or map). An image's chain is the node its last layer ends
 * on; images ending on the same node share a chain. The nearest image-chain ancestor of a chain
 * is the nearest trie ancestor (other than the empty root) where some image's chain ends, found
 * for every node in one pass in creation order (a parent is always created before its child).
 * Time: linear in the total number of layers; memory: a few 32-bit integers per distinct prefix.
 * Replaces a rolling hash of the diff-ID strings (which read every diff ID's characters, built
 * boxed numeric map keys and confirmed each hit by comparing strings).
 */

import type { ImageRecord } from './lineageRecords';

/**
 * The chain index of a list of images. Chains are numbered 0.. in order of first appearance;
 * images are named by their position in the indexed list. All arrays are read-only.
 */
export interface ChainIndex {
  /** Number of distinct chains. */
  readonly chains: number;
  /** Chain number of each image, by position. */
  readonly chainOf: Int32Array;
  /** First image (position) of each chain, by chain number. */
  readonly firstOf: Int32Array;
  /** Number of images whose whole chain is this one, by chain number. */
  readonly sizeOf: Int32Array;
  /** Each image's place among its chain's images ({@link membersOf} order; 0 for the first). */
  readonly slotOf: Int32Array;
  /** Positions of a chain's images, in input order (a new array). */
  membersOf(chain: number): number[];
  /**
   * Nearest chain strictly above `chain` (a strict, non-empty prefix of it) that is some image's
   * whole chain, or -1 when there is none.
   */
  nearestAncestor(chain: number): number;
  /** True when chain `a` is a prefix of (or equal to) chain `b`. O(depth difference). */
  isPrefix(a: number, b: number): boolean;
}

/** Hash of a diff ID or image ID: its length and last 8 characters (32 bits of the sha256 hex). */
export function tailHash(layer: string): number {
  const n = layer.length;
  let h = n | 0;
  for (let i = n > 8 ? n - 8 : 0; i < n; i++) h = Math.imul(h ^ layer.charCodeAt(i), 0x01000193);
  return h;
}

/** Trie slot hash of (parent node, diff-ID hash): multiplicative (Knuth), high bits used. */
function edgeHash(parent: number, layerHash: number): number {
  return Math.imul(parent ^ Math.imul(layerHash, 0x85ebca6b), 0x9e3779b1);
}

/**
 * Index the images' layer chains. Time and memory linear in the total number of layers (see the
 * module comment); throws nothing.
 */
export function buildChainIndex(images: readonly ImageRecord[]): ChainIndex {
  const n = images.length;
  // Trie nodes 1.. (0 is the root, the empty chain): parent node, diff-ID hash and diff ID of each.
  let capacity = 1024;
  let up = new Int32Array(capacity);
  let hashOf = new Int32Array(capacity);
  const layerOf: string[] = [''];
  let count = 1;
  // Open-addressing table of node numbers (0 = empty), at most half full.
  let bits = 11;
  let table = new Int32Array(1 << bits);
  let mask = (1 << bits) - 1;
  const grow = (): void => {
    capacity *= 2;
    const u = new Int32Array(capacity);
    u.set(up);
    up = u;
    const h = new Int32Array(capacity);
    h.set(hashOf);
    hashOf = h;
    bits++;
    table = new Int32Array(1 << bits);
    mask = (1 << bits) - 1;
    const shift = 32 - bits;
    for (let c = 1; c < count; c++) {
      let s = edgeHash(up[c]!, hashOf[c]!) >>> shift;
      while (table[s] !== 0) s = (s + 1) & mask;
      table[s] = c;
    }
  };
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const layers = images[i]!.layers;
    let node = 0;
    // Once a prefix is new, every longer prefix of this chain is new too: no lookups.
    let fresh = false;
    for (let k = 0; k < layers.length; k++) {
      const layer = layers[k]!;
      const lh = tailHash(layer);
      let s = edgeHash(node, lh) >>> (32 - bits);
      if (!fresh) {
        let c = table[s]!;
        while (c !== 0 && (up[c] !== node || hashOf[c] !== lh || layerOf[c] !== layer)) {
          s = (s + 1) & mask;
          c = table[s]!;
        }
        if (c !== 0) {
          node = c;
          continue;
        }
        fresh = true;
      }
      if (count === capacity) {
        grow();
        s = edgeHash(node, lh) >>> (32 - bits);
      }
      while (table[s] !== 0) s = (s + 1) & mask;
      table[s] = count;
      up[count] = node;
      hashOf[count] = lh;
      layerOf.push(layer);
      node = count++;
    }
    ends[i] = node;
  }

  // Chains: one per trie node where some image's chain ends.
  const chainAt = new Int32Array(count).fill(-1);
  const chainOf = new Int32Array(n);
  const slotOf = new Int32Array(n);
  const firstOf = new Int32Array(n);
  const sizeOf = new Int32Array(n);
  const nodeOf = new Int32Array(n);
  const depthOf = new Int32Array(n);
  // Next image with the same chain (-1: none), and the last one so far of each chain.
  const nextOf = new Int32Array(n).fill(-1);
  const lastOf = new Int32Array(n);
  let chains = 0;
  for (let i = 0; i < n; i++) {
    const at = ends[i]!;
    let c = chainAt[at]!;
    if (c < 0) {
      c = chainAt[at] = chains++;
      firstOf[c] = i;
      nodeOf[c] = at;
      depthOf[c] = images[i]!.layers.length;
    } else {
      slotOf[i] = sizeOf[c]!;
      nextOf[lastOf[c]!] = i;
    }
    sizeOf[c]!++;
    lastOf[c] = i;
    chainOf[i] = c;
  }

  // Nearest chain-ending strict ancestor node of every node (0: none), on first use.
  let near: Int32Array | undefined;
  const nearestAncestor = (chain: number): number => {
    if (!near) {
      near = new Int32Array(count);
      for (let c = 1; c < count; c++) {
        const p = up[c]!;
        near[c] = p !== 0 && chainAt[p]! >= 0 ? p : near[p]!;
      }
    }
    const a = near[nodeOf[chain]!]!;
    return a === 0 ? -1 : chainAt[a]!;
  };
  const membersOf = (chain: number): number[] => {
    const out: number[] = [];
    for (let i = firstOf[chain]!; i >= 0; i = nextOf[i]!) out.push(i);
    return out;
  };
  const isPrefix = (a: number, b: number): boolean => {
    if (a === b) return true;
    let steps = depthOf[b]! - depthOf[a]!;
    if (steps < 0) return false;
    let node = nodeOf[b]!;
    while (steps-- > 0) node = up[node]!;
    return node === nodeOf[a];
  };
  return { chains, chainOf, firstOf: firstOf.subarray(0, chains), sizeOf: sizeOf.subarray(0, chains), slotOf, membersOf, nearestAncestor, isPrefix };
}

/**
 * IDs of images whose history the model needs for an exact answer (fetch with
 * `GET /images/{id}/history` and pass it in {@link ImageRecord.history}):
 * members of same-chain groups (rule 4), images whose nearest prefix ancestor is such a group,
 * and images without any local prefix ancestor (to detect a base that is not present).
 * Linear in the total number of layers.
 */
export function imagesNeedingHistory(images: readonly ImageRecord[]): Set<string> {
  const index = buildChainIndex(images);
  const need = new Set<string>();
  for (let i = 0; i < images.length; i++) {
    const image = images[i]!;
    const chain = index.chainOf[i]!;
    if (index.sizeOf[chain]! > 1) need.add(image.id);
    const anc = index.nearestAncestor(chain);
    if (anc < 0) need.add(image.id);
    else if (index.sizeOf[anc]! > 1) {
      need.add(image.id);
      for (const a of index.membersOf(anc)) need.add(images[a]!.id);
    }
  }
  return need;
}

