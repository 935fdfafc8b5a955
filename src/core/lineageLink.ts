/**
 * Linking the lineage forest (see lineageTree.ts, which chooses each image's edge): cycles cut,
 * children of hidden dangling images lifted to the nearest kept ancestor, unique sizes, children
 * and roots ordered oldest first, and the nodes made. Works on image positions in typed arrays and
 * allocates only what it returns (each node, its children array at its final length): a sort per
 * parent (V8 copies the array it sorts) and arrays grown by push were most of the model's garbage
 * at 50,000 images, and the young-generation GC copied it. Pure logic.
 */

import { shortId, type ImageRecord, type LineageNode, type ParentRule } from './lineageRecords';

/** Each image's chosen edge and the per-image facts linking needs, by position. */
export interface Edges {
  readonly all: readonly ImageRecord[];
  /** Parent position, -1 for none. Cycles are cut in place. */
  readonly parentAt: Int32Array;
  /** With an edge, the rule that chose it; without, `root` or `base-not-present`. */
  readonly ruleAt: ParentRule[];
  /** With an edge, its detail; without, why the image is a root (or undefined). */
  readonly detailAt: Array<string | undefined>;
  /** 1 for dangling images. */
  readonly danglingAt: Uint8Array;
  /** `created` (ms) with NaN as 0, as {@link compareImages} orders them. */
  readonly createdAt: Float64Array;
  /** `size` (bytes). */
  readonly sizeAt: Float64Array;
  /** True when image `a`'s layer chain is a prefix of (or equal to) image `b`'s. */
  chainPrefix(a: number, b: number): boolean;
}

/** The linked forest: nodes by position (undefined where hidden), roots oldest first. */
export interface Linked {
  readonly nodes: LineageNode[];
  readonly roots: LineageNode[];
  /** 1 at hidden positions; undefined when nothing is hidden. */
  readonly hidden?: Uint8Array;
}

/**
 * Link `edges` into a forest (see the module comment). Linear in the number of images, plus
 * O(k log k) to order k children of one parent (k log k comparisons of two numbers, and of IDs
 * only on equal `created`). `hideDangling` drops dangling images. Throws nothing.
 */
export function linkForest(edges: Edges, hideDangling: boolean): Linked {
  const { all, parentAt, ruleAt, detailAt, danglingAt, createdAt, sizeAt } = edges;
  const n = all.length;
  cutCycles(parentAt, ruleAt, detailAt);

  // Final parent of each shown image (edges through hidden images lifted), children counted.
  const hidden = hideDangling ? danglingAt : undefined;
  const upAt = new Int32Array(n);
  const childCount = new Int32Array(n + 1);
  const uniqueAt = new Float64Array(n);
  let rootCount = 0;
  for (let i = 0; i < n; i++) {
    if (hidden?.[i]) continue;
    const edge = parentAt[i]!;
    let p = edge;
    while (p >= 0 && hidden?.[p]) p = parentAt[p]!;
    uniqueAt[i] = sizeAt[i]!;
    if (edge >= 0 && p >= 0) {
      const rule = ruleAt[i]!;
      // A structural parent's chain is a prefix by construction; others are checked.
      const prefix = (p === edge && (rule === 'layer-prefix' || rule === 'same-layers-history')) || edges.chainPrefix(p, i);
      if (prefix) uniqueAt[i] = Math.max(0, sizeAt[i]! - sizeAt[p]!);
      if (p !== edge) detailAt[i] = `${detailAt[i] ? detailAt[i] + '; ' : ''}hidden dangling parent ${shortId(all[edge]!.id)}`;
      childCount[p]++;
    } else {
      if (edge >= 0) {
        // Every ancestor is hidden: a root, as if it had no edge.
        ruleAt[i] = 'root';
        detailAt[i] = undefined;
      }
      p = -1;
      rootCount++;
    }
    upAt[i] = p;
  }

  // Children of each image as runs of one array (compressed rows), in position order, then sorted.
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i]! + childCount[i]!;
  const fill = start.slice(0, n);
  const childList = new Int32Array(start[n]!);
  const rootList = new Int32Array(rootCount);
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (hidden?.[i]) continue;
    const p = upAt[i]!;
    if (p >= 0) childList[fill[p]!++] = i;
    else rootList[r++] = i;
  }
  const order = new PositionOrder(all, createdAt);
  order.sort(rootList, 0, rootCount);
  for (let i = 0; i < n; i++) if (childCount[i]! > 1) order.sort(childList, start[i]!, start[i + 1]!);

  // Nodes, parents first (breadth first from the roots), each child put at its place.
  const nodes: LineageNode[] = new Array<LineageNode>(n);
  const make = (i: number, parent: LineageNode | undefined, depth: number): LineageNode => {
    const count = childCount[i]!;
    return (nodes[i] = {
      image: all[i]!,
      parent,
      rule: ruleAt[i]!,
      ruleDetail: detailAt[i],
      children: count > 0 ? new Array<LineageNode>(count) : [],
      containers: [],
      dangling: danglingAt[i] === 1,
      uniqueSize: uniqueAt[i]!,
      depth,
    });
  };
  const roots: LineageNode[] = new Array<LineageNode>(rootCount);
  const queue = new Int32Array(n);
  let tail = 0;
  for (let k = 0; k < rootCount; k++) {
    const i = rootList[k]!;
    roots[k] = make(i, undefined, 0);
    if (childCount[i]! > 0) queue[tail++] = i;
  }
  for (let head = 0; head < tail; head++) {
    const i = queue[head]!;
    const parent = nodes[i]!;
    const children = parent.children;
    const depth = parent.depth + 1;
    for (let j = start[i]!, k = 0; j < start[i + 1]!; j++, k++) {
      const c = childList[j]!;
      children[k] = make(c, parent, depth);
      if (childCount[c]! > 0) queue[tail++] = c;
    }
  }
  return { nodes, roots, hidden };
}

/**
 * Cut any cycle of `parentAt` (possible only with contradictory Parent fields / labels): the edge
 * leaving the image where a walk up meets its own path is removed, and that image becomes a root
 * saying so.
 */
function cutCycles(parentAt: Int32Array, ruleAt: ParentRule[], detailAt: Array<string | undefined>): void {
  const n = parentAt.length;
  const state = new Uint8Array(n); // 0 = not seen, 1 = on the current path, 2 = done
  const path = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let length = 0;
    let j = i;
    while (j >= 0 && state[j] === 0) {
      state[j] = 1;
      path[length++] = j;
      j = parentAt[j]!;
    }
    if (j >= 0 && state[j] === 1) {
      parentAt[j] = -1;
      ruleAt[j] = 'root';
      detailAt[j] = 'parent edge removed: it formed a cycle';
    }
    for (let k = 0; k < length; k++) state[path[k]!] = 2;
  }
}

/**
 * Oldest-first order of image positions ({@link compareImages}: `created`, then ID), sorting runs
 * of an Int32Array in place: insertion sort for short runs, merge sort (one shared scratch array)
 * for long ones. Stable, allocation-free per call.
 */
class PositionOrder {
  private scratch?: Int32Array;

  constructor(
    private readonly all: readonly ImageRecord[],
    private readonly createdAt: Float64Array,
  ) {}

  /** Negative when `a` comes first; as compareImages on the two images. */
  compare(a: number, b: number): number {
    const d = this.createdAt[a]! - this.createdAt[b]!;
    if (d) return d;
    const x = this.all[a]!.id;
    const y = this.all[b]!.id;
    return x < y ? -1 : x > y ? 1 : 0;
  }

  /** Sort `list[from..to)` oldest first. */
  sort(list: Int32Array, from: number, to: number): void {
    if (to - from <= 16) {
      this.insertion(list, from, to);
      return;
    }
    const scratch = this.scratch && this.scratch.length >= to - from ? this.scratch : (this.scratch = new Int32Array(Math.max(to - from, 64)));
    for (let lo = from; lo < to; lo += 16) this.insertion(list, lo, Math.min(lo + 16, to));
    for (let width = 16; width < to - from; width *= 2) {
      for (let lo = from; lo < to; lo += 2 * width) {
        const mid = Math.min(lo + width, to);
        const hi = Math.min(lo + 2 * width, to);
        if (mid >= hi) continue;
        // Merge list[lo..mid) and list[mid..hi) through the scratch array.
        for (let t = lo; t < mid; t++) scratch[t - lo] = list[t]!;
        let a = 0;
        const aEnd = mid - lo;
        let b = mid;
        let k = lo;
        while (a < aEnd && b < hi) list[k++] = this.compare(scratch[a]!, list[b]!) <= 0 ? scratch[a++]! : list[b++]!;
        while (a < aEnd) list[k++] = scratch[a++]!;
      }
    }
  }

  private insertion(list: Int32Array, from: number, to: number): void {
    for (let j = from + 1; j < to; j++) {
      const x = list[j]!;
      let k = j - 1;
      while (k >= from && this.compare(list[k]!, x) > 0) {
        list[k + 1] = list[k]!;
        k--;
      }
      list[k + 1] = x;
    }
  }
}
