/**
 * Lineage index (see lineage.ts): which images share a layer chain, and for each chain the
 * nearest image chain that is a strict prefix of it. Pure logic; the history rules that order
 * images with the same chain are in lineageHistory.ts.
 *
 * Chains live in a prefix trie over diff IDs: a trie node is the pair (parent node, diff ID), found
 * in one open-addressing table of 32-bit integers (no per-node object or map) whose slot holds the
 * node, its key (parent node, a 32-bit hash of the diff ID: its length and last 8 characters) and
 * the image that made the node, so a probe and its key test read one slot. Each image's chain is
 * walked by hashes alone as far as the trie goes; the walked prefix is then confirmed exactly,
 * each diff ID compared (as a string) with the same-depth diff ID of the image that made the last
 * node reached, whose chain passes through every node of the walk: one run over one image's
 * strings rather than one string per node in as many places (the cache misses that made the index
 * grow from 1,000 to 50,000 images). A hash collision fails that check, and the image is walked
 * again comparing every step's diff ID. Once a prefix is new, the rest of the chain is new nodes.
 * An image's chain is the node its last layer ends on; images ending on the same node share a
 * chain. The nearest image-chain ancestor of a chain is the nearest trie ancestor (other than the
 * empty root) where some image's chain ends, found for every node in one pass in creation order (a
 * parent is always created before its child).
 * Time: linear in the total number of layers; memory: up to nine 32-bit integers per distinct
 * prefix (two four-integer table slots, the table being at most half full, and its parent).
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
export function tailHash(s: string): number {
  const n = s.length;
  let h = n | 0;
  for (let i = n > 8 ? n - 8 : 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** True when `a` and `b` have the same first `k` diff IDs (compared last first). */
function samePrefix(a: readonly string[], b: readonly string[], k: number): boolean {
  if (a === b) return true;
  for (let j = k - 1; j >= 0; j--) if (a[j] !== b[j]) return false;
  return true;
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
  // Trie nodes 1.. (0 is the root, the empty chain): the parent node of each.
  let capacity = 1024;
  let up = new Int32Array(capacity);
  let count = 1;
  // Open-addressing table, at most half full, 4 integers per slot: node (0 = empty), parent node,
  // diff-ID hash, and the image that made the node (its chain passes through the node, so its
  // diff ID at the node's depth is the node's key).
  let bits = 11;
  let table = new Int32Array(4 << bits);
  let mask = (1 << bits) - 1;
  const grow = (): void => {
    capacity *= 2;
    const u = new Int32Array(capacity);
    u.set(up);
    up = u;
    const old = table;
    bits++;
    table = new Int32Array(4 << bits);
    mask = (1 << bits) - 1;
    const shift = 32 - bits;
    for (let o = 0; o < old.length; o += 4) {
      if (old[o] === 0) continue;
      let s = edgeHash(old[o + 1]!, old[o + 2]!) >>> shift;
      while (table[4 * s] !== 0) s = (s + 1) & mask;
      for (let f = 0; f < 4; f++) table[4 * s + f] = old[o + f]!;
    }
  };
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const layers = images[i]!.layers;
    // Walk the trie by hashes as far as it goes, then confirm the walked prefix exactly: each diff
    // ID compared with the same-depth diff ID of the image that made the last node reached (one
    // run over one image's strings, instead of one string per node in as many places). A hash
    // collision fails the check; the image is then walked again confirming every step.
    let node = 0;
    let k = 0;
    let maker = -1;
    for (; k < layers.length; k++) {
      const lh = tailHash(layers[k]!);
      let s = edgeHash(node, lh) >>> (32 - bits);
      let c = table[4 * s]!;
      while (c !== 0 && (table[4 * s + 1] !== node || table[4 * s + 2] !== lh)) {
        s = (s + 1) & mask;
        c = table[4 * s]!;
      }
      if (c === 0) break;
      node = c;
      maker = table[4 * s + 3]!;
    }
    if (k > 0 && !samePrefix(layers, images[maker]!.layers, k)) {
      node = 0;
      for (k = 0; k < layers.length; k++) {
        const layer = layers[k]!;
        const lh = tailHash(layer);
        let s = edgeHash(node, lh) >>> (32 - bits);
        let c = table[4 * s]!;
        while (c !== 0 && (table[4 * s + 1] !== node || table[4 * s + 2] !== lh || images[table[4 * s + 3]!]!.layers[k] !== layer)) {
          s = (s + 1) & mask;
          c = table[4 * s]!;
        }
        if (c === 0) break;
        node = c;
      }
    }
    // The rest of the chain is new (a prefix once new makes every longer one new): no lookups.
    for (; k < layers.length; k++) {
      if (count === capacity) grow();
      const lh = tailHash(layers[k]!);
      let s = edgeHash(node, lh) >>> (32 - bits);
      while (table[4 * s] !== 0) s = (s + 1) & mask;
      table[4 * s] = count;
      table[4 * s + 1] = node;
      table[4 * s + 2] = lh;
      table[4 * s + 3] = i;
      up[count] = node;
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

