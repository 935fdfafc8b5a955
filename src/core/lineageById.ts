/**
 * The lineage forest's `byId` (see lineageTree.ts): a read-only map from full image ID to node,
 * answered from the position map the model builds anyway (one entry per distinct ID) and the
 * node array, instead of a second 50,000-entry map filled node by node. Pure logic.
 */

import type { LineageNode } from './lineageRecords';

/**
 * Read-only map image ID → node over `nodes` (by position) and `positionOf` (ID → position),
 * leaving out the positions `hidden` marks (1). Iteration is in position order, as a map filled
 * in that order would give. `size` is the number of nodes not hidden.
 */
export class NodesById implements ReadonlyMap<string, LineageNode> {
  readonly size: number;

  constructor(
    private readonly positionOf: ReadonlyMap<string, number>,
    private readonly nodes: readonly LineageNode[],
    private readonly hidden?: Uint8Array,
  ) {
    let size = nodes.length;
    if (hidden) for (let p = 0; p < nodes.length; p++) size -= hidden[p]!;
    this.size = size;
  }

  get(id: string): LineageNode | undefined {
    const p = this.positionOf.get(id);
    return p === undefined || this.hidden?.[p] ? undefined : this.nodes[p];
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
