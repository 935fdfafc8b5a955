/**
 * Lineage index (see lineage.ts): which images share a layer chain, and for each chain the
 * nearest image chain that is a strict prefix of it; plus the history rules that order images
 * with the same chain. Pure logic.
 *
 * Chains are found by hash, not by walking a trie: each image's chain is hashed prefix by prefix
 * (a rolling hash over its diff IDs, one multiply per layer), every image's full chain goes into
 * one map by its hash, and the nearest image-chain ancestor of a chain is the first of its own
 * prefix hashes, longest first, that names a chain of that length with the same diff IDs. Every
 * hash hit is confirmed by comparing the diff IDs, so a collision costs time, never a wrong
 * answer. Time: linear in the total number of layers (each chain's prefixes are hashed once and
 * looked up at most once; a confirmed match compares at most the ancestor's layers once).
 * The trie this replaces cost one string-keyed map lookup per layer and one map per prefix.
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
  /** Offset of this chain's prefix hashes in the index's hash table. */
  readonly hashAt: number;
  /** Next chain with the same full-chain hash (a collision list, almost always empty). */
  sameHash?: ChainNode;
  /** Cache of {@link ChainIndex.nearestAncestor}: null when there is none. */
  ancestor?: ChainNode | null;
}

/** The chain index of a list of images. */
export interface ChainIndex {
  /** Chain of each image, by its position in the indexed list. */
  readonly chainOf: readonly ChainNode[];
  /**
   * Nearest chain strictly above `node` (a strict, non-empty prefix of it) that is some image's
   * whole chain; undefined when there is none.
   */
  nearestAncestor(node: ChainNode): ChainNode | undefined;
}

/** Hash of one diff ID: its length and last 8 characters (32 bits of the sha256 hex). */
function layerHash(layer: string): number {
  const n = layer.length;
  let h = n | 0;
  for (let i = n > 8 ? n - 8 : 0; i < n; i++) h = Math.imul(h ^ layer.charCodeAt(i), 0x01000193);
  return h;
}

/** Next prefix hash: the chain so far, then one more diff ID. */
function roll(h: number, layer: string): number {
  const x = Math.imul(h ^ layerHash(layer), 0x9e3779b1);
  return x ^ (x >>> 15);
}

const EMPTY_CHAIN_HASH = 0x2545f491;

/** True when `a` and `b` agree on their first `depth` diff IDs. */
function sameLayers(a: readonly string[], b: readonly string[], depth: number): boolean {
  if (a === b) return true;
  for (let i = depth - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Index the images' layer chains. Time and memory linear in the total number of layers (one
 * 32-bit hash per layer).
 */
export function buildChainIndex(images: readonly ImageRecord[]): ChainIndex {
  let total = 0;
  for (const image of images) total += image.layers.length + 1;
  const hashes = new Int32Array(total);
  const byHash = new Map<number, ChainNode>();
  const chainOf: ChainNode[] = new Array<ChainNode>(images.length);
  let at = 0;
  for (let i = 0; i < images.length; i++) {
    const image = images[i]!;
    const layers = image.layers;
    const depth = layers.length;
    let h = EMPTY_CHAIN_HASH;
    hashes[at] = h;
    for (let k = 0; k < depth; k++) hashes[at + k + 1] = h = roll(h, layers[k]!);
    let node = byHash.get(h);
    while (node && !(node.depth === depth && sameLayers(node.layers, layers, depth))) node = node.sameHash;
    if (node) {
      node.images.push(image);
      node.members.push(i);
    } else {
      node = { depth, layers, images: [image], members: [i], hashAt: at, sameHash: byHash.get(h) };
      byHash.set(h, node);
    }
    chainOf[i] = node;
    at += depth + 1;
  }
  const nearestAncestor = (node: ChainNode): ChainNode | undefined => {
    if (node.ancestor !== undefined) return node.ancestor ?? undefined;
    let found: ChainNode | undefined;
    for (let k = node.depth - 1; k >= 1 && !found; k--) {
      for (let c = byHash.get(hashes[node.hashAt + k]!); c; c = c.sameHash) {
        if (c.depth === k && sameLayers(c.layers, node.layers, k)) {
          found = c;
          break;
        }
      }
    }
    node.ancestor = found ?? null;
    return found;
  };
  return { chainOf, nearestAncestor };
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
