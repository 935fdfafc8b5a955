/**
 * Lineage index (see lineage.ts): which images share a layer chain, and for each chain the
 * nearest image chain that is a strict prefix of it; plus the history rules that order images
 * with the same chain. Pure logic.
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

import type { HistoryEntry, ImageRecord } from './lineageRecords';

/** Images that have exactly the same layer chain. */
export interface ChainNode {
  /** Number of layers in the chain. */
  readonly depth: number;
  /** The chain (the first member's `layers`). */
  readonly layers: readonly string[];
  /** Images whose whole chain is this one, in input order. */
  readonly images: ImageRecord[];
  /** Their positions in the indexed list, same order. */
  readonly members: number[];
  /** The chain's node in the index's prefix trie (0 is the empty chain). */
  readonly at: number;
}

/** The chain index of a list of images. */
export interface ChainIndex {
  /** Chain of each image, by its position in the indexed list. */
  readonly chainOf: readonly ChainNode[];
  /** Each image's place in its chain's {@link ChainNode.images} (and `members`), by position. */
  readonly slotOf: Int32Array;
  /**
   * Nearest chain strictly above `node` (a strict, non-empty prefix of it) that is some image's
   * whole chain; undefined when there is none.
   */
  nearestAncestor(node: ChainNode): ChainNode | undefined;
}

/** True when `a` and `b` agree on their first `depth` diff IDs. */
function sameLayers(a: readonly string[], b: readonly string[], depth: number): boolean {
  if (a === b) return true;
  for (let i = depth - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** Hash of one diff ID: its length and last 8 characters (32 bits of the sha256 hex). */
function layerHash(layer: string): number {
  const n = layer.length;
  let h = n | 0;
  for (let i = n > 8 ? n - 8 : 0; i < n; i++) h = Math.imul(h ^ layer.charCodeAt(i), 0x01000193);
  return h;
}

/** Trie slot hash of (parent node, layer number): multiplicative (Knuth), high bits used. */
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
      const lh = layerHash(layer);
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

  // Chains: one per trie node where some image's chain ends (numbered from 1 in chainAt).
  const chainAt = new Int32Array(count);
  const chains: ChainNode[] = [];
  const chainOf: ChainNode[] = new Array<ChainNode>(n);
  const slotOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = ends[i]!;
    const c = chainAt[at]!;
    let chain: ChainNode;
    if (c === 0) {
      const image = images[i]!;
      chain = { depth: image.layers.length, layers: image.layers, images: [image], members: [i], at };
      chains.push(chain);
      chainAt[at] = chains.length;
    } else {
      chain = chains[c - 1]!;
      slotOf[i] = chain.images.length;
      chain.images.push(images[i]!);
      chain.members.push(i);
    }
    chainOf[i] = chain;
  }

  // Nearest chain-ending strict ancestor of every node (0: none), on first use.
  let near: Int32Array | undefined;
  const nearestAncestor = (node: ChainNode): ChainNode | undefined => {
    if (!near) {
      near = new Int32Array(count);
      for (let c = 1; c < count; c++) {
        const p = up[c]!;
        near[c] = p !== 0 && chainAt[p] !== 0 ? p : near[p]!;
      }
    }
    const a = near[node.at]!;
    return a === 0 ? undefined : chains[chainAt[a]! - 1];
  };
  return { chainOf, slotOf, nearestAncestor };
}

/** True when `ancestor`'s chain is a prefix of (or equal to) `node`'s chain. O(ancestor depth). */
export function isChainPrefix(ancestor: ChainNode, node: ChainNode): boolean {
  return ancestor === node || (ancestor.depth <= node.depth && sameLayers(ancestor.layers, node.layers, ancestor.depth));
}

/** Groups up to this many members are ordered by pairwise comparison, larger ones by a trie. */
const SMALL_GROUP = 8;

function historyKey(h: HistoryEntry): string {
  return `${h.created}\u0000${h.createdBy}\u0000${h.comment}\u0000${h.size}`;
}

/** Same history entry (what {@link historyKey} encodes), compared without building strings. */
export function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return a === b || (a.created === b.created && a.size === b.size && a.createdBy === b.createdBy && a.comment === b.comment);
}

/**
 * Within one group of images sharing a trie node (same chain), find each member's history parent:
 * the member whose history is the longest strict prefix of its history. Linear in total history
 * length of the group. Members without history, or with identical histories, get no parent here.
 */
export function historyParents(group: readonly ImageRecord[]): Map<string, ImageRecord> {
  const parents = new Map<string, ImageRecord>();
  if (group.length <= SMALL_GROUP) {
    // Few members (the usual case: an image and its metadata-only children): compare histories
    // pairwise, which gives the trie's answer without building a key string per entry.
    for (const image of group) {
      const h = image.history;
      if (!h) continue;
      let best: ImageRecord | undefined;
      for (const other of group) {
        const o = other.history;
        if (other === image || !o || o.length >= h.length) continue;
        if (best && o.length < best.history!.length) continue;
        let prefix = true;
        for (let i = 0; i < o.length && prefix; i++) prefix = sameEntry(o[i]!, h[i]!);
        if (!prefix) continue;
        // Same length as the best so far: identical histories, the oldest wins (as below).
        if (!best || o.length > best.history!.length || compareImages(other, best) < 0) best = other;
      }
      if (best) parents.set(image.id, best);
    }
    return parents;
  }
  interface HNode { next?: Map<string, HNode>; images?: ImageRecord[]; up?: HNode }
  const root: HNode = {};
  const ends = new Map<string, HNode>();
  for (const image of group) {
    if (!image.history) continue;
    let node = root;
    for (const h of image.history) {
      const key = historyKey(h);
      let next = node.next?.get(key);
      if (!next) {
        next = { up: node };
        (node.next ??= new Map()).set(key, next);
      }
      node = next;
    }
    (node.images ??= []).push(image);
    ends.set(image.id, node);
  }
  for (const image of group) {
    const endNode = ends.get(image.id);
    if (!endNode) continue;
    for (let n = endNode.up; n; n = n.up) {
      if (n.images && n.images.length > 0) {
        // Several images with identical history are ambiguous: pick the oldest deterministically.
        parents.set(image.id, oldest(n.images));
        break;
      }
    }
  }
  return parents;
}

export function oldest(images: readonly ImageRecord[]): ImageRecord {
  let best = images[0];
  for (const i of images) if (compareImages(i, best) < 0) best = i;
  return best;
}

export function compareImages(a: ImageRecord, b: ImageRecord): number {
  const ca = Number.isNaN(a.created) ? 0 : a.created;
  const cb = Number.isNaN(b.created) ? 0 : b.created;
  return ca - cb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * History longest-prefix match of `image` among `candidates` (images whose chain is a prefix of
 * `image`'s chain). Returns undefined when histories are missing or none matches.
 */
export function historyPrefixMatch(image: ImageRecord, candidates: readonly ImageRecord[]): ImageRecord | undefined {
  if (!image.history) return undefined;
  let best: ImageRecord | undefined;
  for (const c of candidates) {
    const h = c.history;
    if (!h || h.length >= image.history.length) continue;
    let ok = true;
    for (let i = 0; i < h.length && ok; i++) ok = sameEntry(h[i], image.history[i]);
    if (ok && (!best || h.length > best.history!.length)) best = c;
  }
  return best;
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
    const node = index.chainOf[i]!;
    if (node.images.length > 1) need.add(image.id);
    const anc = index.nearestAncestor(node);
    if (!anc) need.add(image.id);
    else if (anc.images.length > 1) {
      need.add(image.id);
      for (const a of anc.images) need.add(a.id);
    }
  }
  return need;
}

/**
 * Evidence, from history alone, that an image with no local ancestor was built on another image
 * (its base is not present). Signals (history oldest first):
 *  - an `Imported from …` entry (a `docker import` base) followed by more non-empty layers;
 *  - BuildKit Dockerfile steps (`buildkit.dockerfile.v0`) after non-empty layers that are not
 *    BuildKit steps (the base was made by another build);
 *  - a `CMD`/`ENTRYPOINT` entry followed by a later non-empty layer (bases usually end with
 *    CMD; a Dockerfile rarely adds layers after its CMD).
 * Returns a description of the evidence, or undefined.
 */
export function baseEvidenceFromHistory(history: readonly HistoryEntry[] | undefined): string | undefined {
  if (!history || history.length === 0) return undefined;
  let sawForeignLayer = false;
  let sawImport = false;
  let sawCmd = false;
  for (const h of history) {
    const buildkit = h.comment === 'buildkit.dockerfile.v0';
    const nonEmpty = h.size > 0;
    if (nonEmpty && (sawImport || sawCmd)) {
      return sawImport ? 'history starts with an imported base image' : 'history shows layers added after a base image CMD/ENTRYPOINT';
    }
    if (buildkit && nonEmpty && sawForeignLayer) return 'history shows base layers made by another build';
    if (/^Imported from /.test(h.comment)) sawImport = true;
    if (nonEmpty && !buildkit) sawForeignLayer = true;
    if (/(^|#\(nop\)\s+|^)(CMD|ENTRYPOINT)\s/.test(h.createdBy.trim())) sawCmd = true;
  }
  return undefined;
}
