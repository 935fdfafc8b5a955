/**
 * Lineage index (see lineage.ts): which images share a layer chain, and for each chain the
 * nearest image chain that is a strict prefix of it. Pure logic; the history rules that order
 * images with the same chain are in lineageHistory.ts.
 *
 * Chains live in a prefix trie whose nodes are numbered 1.. (0 is the empty chain) and kept in
 * typed arrays (no per-node object or map): each node's parent, its diff ID and a 32-bit hash of
 * that diff ID (its length and last 8 characters, {@link tailHash}). A node's first child is kept
 * with the node (the next layer of the image that made it, usually, so a walk down one image's
 * layers reads consecutive nodes); its other children are found in an open-addressing table keyed
 * by (parent, hash). Every step is confirmed by comparing the diff-ID strings, so a hash collision
 * costs a probe, never a wrong chain. An image's chain is the node its last layer ends on; images
 * ending on the same node share a chain. The nearest image-chain ancestor of a chain is the
 * nearest trie ancestor (other than the empty root) where some image's chain ends, found for
 * every node in one pass in creation order (a parent is always created before its child).
 * Time: linear in the total number of layers; memory: a few 32-bit integers per distinct prefix.
 * At 50,000 images most of the time is memory: each diff ID compared with the first record's
 * string for that prefix, wherever that record lies (bench/lineage prints the breakdown).
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
  const builder = new ChainIndexBuilder(images.length);
  for (const image of images) builder.add(image.layers);
  return builder.finish();
}

/**
 * {@link buildChainIndex} one image at a time (so a caller's single pass over the records can
 * index them while it reads the rest of each record): {@link add} each image's diff IDs in
 * order, at most `maxImages` of them, then {@link finish} once. Throws RangeError past
 * `maxImages`.
 */
export class ChainIndexBuilder {
  // Trie nodes 1.. (0 is the root, the empty chain): parent node, diff-ID hash, diff ID and first
  // child (0: none) of each.
  private capacity = 1024;
  private up = new Int32Array(this.capacity);
  private hashOf = new Int32Array(this.capacity);
  private firstChild = new Int32Array(this.capacity);
  private readonly layerOf: string[] = [''];
  private count = 1;
  // Open-addressing table of the other children (node numbers, 0 = empty), at most half full.
  private bits = 10;
  private table = new Int32Array(1 << this.bits);
  private inTable = 0;
  /** Per image added: its chain's last node, and its chain's length. */
  private readonly ends: Int32Array;
  private readonly depths: Int32Array;
  private n = 0;

  constructor(maxImages: number) {
    this.ends = new Int32Array(maxImages);
    this.depths = new Int32Array(maxImages);
  }

  /** Index the next image's chain (`layers`: its diff IDs, base first). */
  add(layers: readonly string[]): void {
    if (this.n === this.ends.length) throw new RangeError(`ChainIndexBuilder: more than ${this.ends.length} images`);
    const layerOf = this.layerOf;
    let { up, hashOf, firstChild, table } = this;
    let shift = 32 - this.bits;
    let mask = table.length - 1;
    let node = 0;
    // Once a prefix is new, every longer prefix of this chain is new too: no lookups.
    let fresh = false;
    for (let k = 0; k < layers.length; k++) {
      const layer = layers[k]!;
      const lh = tailHash(layer);
      const first = firstChild[node]!;
      if (!fresh) {
        // The first child (the next layer of the image that made this node, usually: nodes one
        // image makes are consecutive), else the table; a node without a first child has none.
        if (first === 0) fresh = true;
        else if (hashOf[first] === lh && layerOf[first] === layer) {
          node = first;
          continue;
        } else {
          let s = edgeHash(node, lh) >>> shift;
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
      }
      const made = this.count;
      if (made === this.capacity) {
        this.growNodes();
        ({ up, hashOf, firstChild } = this);
      }
      if (first === 0) firstChild[node] = made;
      else {
        if (2 * (this.inTable + 1) > table.length) {
          this.growTable();
          table = this.table;
          shift = 32 - this.bits;
          mask = table.length - 1;
        }
        let s = edgeHash(node, lh) >>> shift;
        while (table[s] !== 0) s = (s + 1) & mask;
        table[s] = made;
        this.inTable++;
      }
      up[made] = node;
      hashOf[made] = lh;
      layerOf.push(layer);
      node = made;
      this.count = made + 1;
    }
    this.ends[this.n] = node;
    this.depths[this.n++] = layers.length;
  }

  private growNodes(): void {
    const capacity = (this.capacity *= 2);
    const grown = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.up = grown(this.up);
    this.hashOf = grown(this.hashOf);
    this.firstChild = grown(this.firstChild);
  }

  private growTable(): void {
    const old = this.table;
    const table = (this.table = new Int32Array(2 * old.length));
    const shift = 32 - ++this.bits;
    const mask = table.length - 1;
    for (let t = 0; t < old.length; t++) {
      const c = old[t]!;
      if (c === 0) continue;
      let s = edgeHash(this.up[c]!, this.hashOf[c]!) >>> shift;
      while (table[s] !== 0) s = (s + 1) & mask;
      table[s] = c;
    }
  }

  /** The index of the images added (positions in the order they were added). Call once. */
  finish(): ChainIndex {
    const { n, ends, depths, count, up } = this;
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
        depthOf[c] = depths[i]!;
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

