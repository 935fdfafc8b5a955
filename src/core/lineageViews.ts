/**
 * What the views and commands derive from the lineage forest (see lineage.ts): the depth-first
 * walk, removal plans and what blocks a removal, containers grouped by state, and the per-layer
 * rows of "show layers". Pure logic.
 */

import { CONTAINER_STATE_GROUPS, containerStateGroup } from './dialect';
import { bestTag, shortId, type ContainerRecord, type HistoryEntry, type ImageRecord, type LineageNode } from './lineageRecords';
import { sameEntry } from './lineageHistory';
import { compareContainers } from './lineageTree';

/** Depth-first walk (pre-order), iterative. */
export function* walk(roots: readonly LineageNode[]): Generator<LineageNode> {
  const stack = [...roots].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    yield n;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
}

/** What blocks removing an image: all descendant images and every container of the subtree. */
export interface RemovalPlan {
  /** The image asked for. */
  target: LineageNode;
  /** Descendant images (not the target), deepest first — the order to remove them in. */
  descendants: LineageNode[];
  /** Containers of the target and of every descendant (remove these first). */
  containers: ContainerRecord[];
  /** Images to remove, deepest first, ending with the target. */
  images: LineageNode[];
}

/**
 * Compute the removal plan for an image subtree from the model: containers first, then images
 * deepest first, the target last. Used to explain a 409 from the engine (which children and
 * containers block the removal) and to remove the subtree after confirmation.
 */
export function removalPlan(target: LineageNode): RemovalPlan {
  const order = [...walk([target])];
  const descendants = order.slice(1).sort((a, b) => b.depth - a.depth);
  const containers = order.flatMap((n) => n.containers);
  return { target, descendants, containers, images: [...descendants, target] };
}

/**
 * Describe what blocks removing `plan.target`, e.g. "3 child images built on it: a:1, b:2 (and 1 more
 * below them); 1 container: web (exited)". Empty string when nothing blocks it.
 */
export function describeRemovalBlockers(plan: RemovalPlan): string {
  const parts: string[] = [];
  const kids = plan.descendants;
  if (kids.length) {
    const direct = plan.target.children.map((c) => bestTag(c.image));
    const more = kids.length - direct.length;
    parts.push(`${kids.length} child image${kids.length === 1 ? '' : 's'} built on it: ${direct.join(', ')}${more > 0 ? ` (and ${more} more below them)` : ''}`);
  }
  if (plan.containers.length) {
    parts.push(
      `${plan.containers.length} container${plan.containers.length === 1 ? '' : 's'}: ${plan.containers.map((c) => `${c.names[0] ?? shortId(c.id)} (${c.state})`).join(', ')}`,
    );
  }
  return parts.join('; ');
}

/**
 * Group containers by state (core/dialect: Docker's states, Podman's mapped to them, `stopping`
 * its own group); anything else lands under `unknown`. Keys in display order.
 */
export function groupContainersByState(containers: readonly ContainerRecord[]): Map<string, ContainerRecord[]> {
  const groups = new Map<string, ContainerRecord[]>();
  for (const s of CONTAINER_STATE_GROUPS) groups.set(s, []);
  for (const c of containers) groups.get(containerStateGroup(c.state))!.push(c);
  for (const list of groups.values()) list.sort(compareContainers);
  return groups;
}

/** One row of the "show layers" list. */
export interface LayerRow {
  /** History entry (oldest first). */
  entry: HistoryEntry;
  /** Diff ID of the layer the entry made, undefined for metadata-only entries. */
  diffId?: string;
  /** `shared` when the parent image has this entry too, `own` when this image added it. */
  origin: 'shared' | 'own';
  /** True when the entry made no layer (ENV, LABEL, CMD…). */
  empty: boolean;
}

const METADATA_ONLY = /^(\/bin\/sh -c #\(nop\)\s+)?(ENV|LABEL|CMD|ENTRYPOINT|EXPOSE|USER|ARG|STOPSIGNAL|HEALTHCHECK|SHELL|ONBUILD|VOLUME|MAINTAINER|WORKDIR)\b/;

/**
 * Per-layer list for "show layers": history entries oldest first, each with its diff ID when it
 * made a layer, and whether it is shared with the parent or the image's own.
 * The history API does not say which entries are empty, so entries with size 0 whose instruction
 * is metadata-only are taken as empty; when that does not give exactly one entry per layer the
 * zero-size entries are assigned layers from the oldest until the counts match.
 * `parent` is the parent node's image (shared = entry index within parent's history length when
 * the parent history is a prefix, else shared = layer index within parent's layer count).
 */
export function layerRows(image: ImageRecord, parent?: ImageRecord): LayerRow[] {
  const history = image.history ?? [];
  let empty = history.map((h) => h.size === 0 && METADATA_ONLY.test(h.createdBy.trim()));
  let layered = empty.filter((e) => !e).length;
  if (layered > image.layers.length) {
    // Too many non-empty: mark zero-size entries empty, newest first.
    for (let i = history.length - 1; i >= 0 && layered > image.layers.length; i--) {
      if (!empty[i] && history[i].size === 0) {
        empty[i] = true;
        layered--;
      }
    }
  } else if (layered < image.layers.length) {
    empty = [...empty];
    for (let i = 0; i < history.length && layered < image.layers.length; i++) {
      if (empty[i]) {
        empty[i] = false;
        layered++;
      }
    }
  }
  const parentHistoryLen =
    parent?.history && parent.history.length <= history.length && parent.history.every((h, i) => sameEntry(h, history[i]))
      ? parent.history.length
      : undefined;
  const rows: LayerRow[] = [];
  let layerIndex = 0;
  for (let i = 0; i < history.length; i++) {
    const isEmpty = empty[i];
    const diffId = isEmpty ? undefined : image.layers[layerIndex];
    const shared =
      parentHistoryLen !== undefined
        ? i < parentHistoryLen
        : parent !== undefined && !isEmpty && layerIndex < parent.layers.length && parent.layers[layerIndex] === diffId;
    rows.push({ entry: history[i], diffId, origin: shared ? 'shared' : 'own', empty: isEmpty });
    if (!isEmpty) layerIndex++;
  }
  return rows;
}
