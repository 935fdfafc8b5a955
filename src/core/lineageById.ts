/**
 * Image ID lookups of the lineage model (see lineageTree.ts): {@link IdTable}, the position of each
 * distinct image ID in the model's image list (an open-addressing table of 32-bit integers, sized
 * once, instead of a 50,000-entry Map whose growth the young-generation GC copied), and the
 * forest's `byId`, a read-only map from full image ID to node answered from that table and the
 * node array. Pure logic.
 */

import type { LineageNode } from './lineageRecords';
import { tailHash } from './lineageIndex';

/**
 * Positions of distinct strings (image IDs), 0..: string → position, exact (a hash match is
 * confirmed by comparing the strings). Holds at most `capacity` strings (given at construction,
 * never grows); memory: two 32-bit integers per slot, 2–4 slots per string, and the string's reference.
 */
export class IdTable {
  /** Number of strings added. */
  size = 0;
  private readonly ids: string[] = [];
  /** Per slot: position + 1 (0 = empty), then the string's hash. */
  private readonly slots: Int32Array;
  private readonly shift: number;
  private readonly mask: number;

  constructor(capacity: number) {
    let bits = 4;
    while (1 << bits < 2 * capacity) bits++;
    this.slots = new Int32Array(2 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
  }

  /** Position of `id`, or -1 when it was never added. */
  find(id: string): number {
    const h = tailHash(id);
    const slots = this.slots;
    for (let s = Math.imul(h, 0x9e3779b1) >>> this.shift; ; s = (s + 1) & this.mask) {
      const p = slots[2 * s]! - 1;
      if (p < 0) return -1;
      if (slots[2 * s + 1] === h && this.ids[p] === id) return p;
    }
  }

  /**
   * Add `id` at the next position ({@link size}) unless it is there already. Returns true when
   * added, false for a repeat. Throws RangeError past the capacity given at construction.
   */
  add(id: string): boolean {
    if (2 * this.size >= this.slots.length >> 1) throw new RangeError(`IdTable: more than its capacity of ${this.slots.length >> 2} IDs`);
    const h = tailHash(id);
    const slots = this.slots;
    let s = Math.imul(h, 0x9e3779b1) >>> this.shift;
    for (; slots[2 * s] !== 0; s = (s + 1) & this.mask) {
      if (slots[2 * s + 1] === h && this.ids[slots[2 * s]! - 1] === id) return false;
    }
    slots[2 * s] = this.size + 1;
    slots[2 * s + 1] = h;
    this.ids.push(id);
    this.size++;
    return true;
  }
}

/**
 * Read-only map image ID → node over `nodes` (by position) and `positionOf` (ID → position),
 * leaving out the positions `hidden` marks (1). Iteration is in position order, as a map filled
 * in that order would give. `size` is the number of nodes not hidden.
 */
export class NodesById implements ReadonlyMap<string, LineageNode> {
  readonly size: number;

  constructor(
    private readonly positionOf: Pick<IdTable, 'find'>,
    private readonly nodes: readonly LineageNode[],
    private readonly hidden?: Uint8Array,
  ) {
    let size = nodes.length;
    if (hidden) for (let p = 0; p < nodes.length; p++) size -= hidden[p]!;
    this.size = size;
  }

  get(id: string): LineageNode | undefined {
    const p = this.positionOf.find(id);
    return p < 0 || this.hidden?.[p] ? undefined : this.nodes[p];
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  forEach(callback: (value: LineageNode, key: string, map: ReadonlyMap<string, LineageNode>) => void, thisArg?: unknown): void {
    for (const node of this.values()) callback.call(thisArg, node, node.image.id, this);
  }

  *values(): MapIterator<LineageNode> {
    const hidden = this.hidden;
    for (let p = 0; p < this.nodes.length; p++) if (!hidden?.[p]) yield this.nodes[p]!;
  }

  *keys(): MapIterator<string> {
    for (const node of this.values()) yield node.image.id;
  }

  *entries(): MapIterator<[string, LineageNode]> {
    for (const node of this.values()) yield [node.image.id, node];
  }

  [Symbol.iterator](): MapIterator<[string, LineageNode]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'NodesById';
  }
}
