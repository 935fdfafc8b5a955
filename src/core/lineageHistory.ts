/**
 * Lineage history rules (see lineage.ts): how images with the same layer chain are ordered by
 * their histories (rule 4), how a child picks among several same-chain parents, and the history
 * evidence of a base that is not present (rule 5). Pure logic.
 */

import type { HistoryEntry, ImageRecord } from './lineageRecords';

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
 * True when `prefix` is a prefix of (or equal to) `history`. Compares from the last entry of
 * `prefix` back: a sibling's history usually differs in its last entries, so a mismatch is found
 * at once; a real prefix costs one comparison per entry either way.
 */
function isHistoryPrefix(prefix: readonly HistoryEntry[], history: readonly HistoryEntry[]): boolean {
  if (prefix.length > history.length) return false;
  for (let i = prefix.length - 1; i >= 0; i--) if (!sameEntry(prefix[i]!, history[i]!)) return false;
  return true;
}

/**
 * Within one group of images with the same chain, find each member's history parent: the member
 * whose history is the longest strict prefix of its history (identical candidates: the oldest).
 * Returns, for each member by its index in `group`, the index of its parent in `group`, or -1
 * (no history, or no member's history is a strict prefix). Linear in the group's total history
 * length (a trie over history entries; pairwise for groups of up to 8).
 */
export function historyParents(group: readonly ImageRecord[]): Int32Array {
  const parents = new Int32Array(group.length).fill(-1);
  if (group.length <= SMALL_GROUP) {
    // Few members (the usual case: an image and its metadata-only children): compare histories
    // pairwise, which gives the trie's answer without building a key string per entry.
    for (let m = 0; m < group.length; m++) {
      const image = group[m]!;
      const h = image.history;
      if (!h) continue;
      let best = -1;
      for (let q = 0; q < group.length; q++) {
        const other = group[q]!;
        const o = other.history;
        if (q === m || !o || o.length >= h.length) continue;
        const bestLength = best < 0 ? -1 : group[best]!.history!.length;
        if (o.length < bestLength) continue;
        if (!isHistoryPrefix(o, h)) continue;
        // Same length as the best so far: identical histories, the oldest wins (as below).
        if (best < 0 || o.length > bestLength || compareImages(other, group[best]!) < 0) best = q;
      }
      parents[m] = best;
    }
    return parents;
  }
  interface HNode { next?: Map<string, HNode>; members?: number[]; up?: HNode }
  const root: HNode = {};
  const ends: Array<HNode | undefined> = new Array<HNode | undefined>(group.length);
  for (let m = 0; m < group.length; m++) {
    const history = group[m]!.history;
    if (!history) continue;
    let node = root;
    for (const h of history) {
      const key = historyKey(h);
      let next = node.next?.get(key);
      if (!next) {
        next = { up: node };
        (node.next ??= new Map()).set(key, next);
      }
      node = next;
    }
    (node.members ??= []).push(m);
    ends[m] = node;
  }
  for (let m = 0; m < group.length; m++) {
    for (let n = ends[m]?.up; n; n = n.up) {
      if (n.members && n.members.length > 0) {
        // Several images with identical history are ambiguous: pick the oldest deterministically.
        let best = n.members[0]!;
        for (const q of n.members) if (compareImages(group[q]!, group[best]!) < 0) best = q;
        parents[m] = best;
        break;
      }
    }
  }
  return parents;
}

/** The oldest of `images` ({@link compareImages}); `images` must not be empty. */
export function oldest(images: readonly ImageRecord[]): ImageRecord {
  let best = images[0]!;
  for (const i of images) if (compareImages(i, best) < 0) best = i;
  return best;
}

/** Oldest first: by `created` (ms; NaN counts as 0), then by ID. */
export function compareImages(a: ImageRecord, b: ImageRecord): number {
  const ca = Number.isNaN(a.created) ? 0 : a.created;
  const cb = Number.isNaN(b.created) ? 0 : b.created;
  return ca - cb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * History longest-prefix match of `image` among `candidates` (images whose chain is a prefix of
 * `image`'s chain): the index in `candidates` of the one whose history is the longest strict
 * prefix of `image`'s (the first such on ties), or -1 when histories are missing or none matches.
 */
export function historyPrefixMatch(image: ImageRecord, candidates: readonly ImageRecord[]): number {
  const history = image.history;
  if (!history) return -1;
  let best = -1;
  let bestLength = -1;
  for (let k = 0; k < candidates.length; k++) {
    const h = candidates[k]!.history;
    if (!h || h.length >= history.length || h.length <= bestLength) continue;
    if (isHistoryPrefix(h, history)) {
      best = k;
      bestLength = h.length;
    }
  }
  return best;
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
