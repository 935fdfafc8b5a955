/**
 * The lineage forest (see lineage.ts for the parent rules): each image's parent chosen from the
 * chain index (lineageIndex.ts), base labels and the Parent field, cycles cut, dangling images
 * optionally hidden, containers attached. Pure logic.
 */

import { normalizeImageId } from './dialect';
import { LocalImageIndex, type NameRules } from './reference';
import {
  BASE_DIGEST_LABEL, BASE_NAME_LABEL, isDangling, shortId,
  type ContainerRecord, type ImageRecord, type LineageForest, type LineageNode, type ParentRule,
} from './lineageRecords';
import { NodesById } from './lineageById';
import { buildChainIndex } from './lineageIndex';
import { baseEvidenceFromHistory, compareImages, historyParents, historyPrefixMatch, oldest } from './lineageHistory';

/** Options for {@link buildLineage}. */
export interface LineageOptions {
  /** Drop dangling images; their children are lifted to the nearest kept ancestor. */
  hideDangling?: boolean;
  /** How the engine looks up names written without a registry (base labels); default Docker's. */
  names?: NameRules;
}

/**
 * Build the lineage forest. Time linear in the total number of layers (plus history entries of
 * same-chain groups); every image ID appears once. Containers attach to the node of their
 * `ImageID`; containers whose image is not in `images` go to {@link LineageForest.orphanContainers}.
 * Children and roots are sorted oldest first, containers by name.
 */
export function buildLineage(
  images: readonly ImageRecord[],
  containers: readonly ContainerRecord[] = [],
  options: LineageOptions = {},
): LineageForest {
  // One record per ID (the list can repeat an image under several filters). The work below is
  // kept in arrays by position in `all` (a map per step, keyed by image ID, cost more than the
  // rest of the model together at 50,000 images).
  const indexOf = new Map<string, number>();
  const all: ImageRecord[] = [];
  for (const i of images) {
    if (indexOf.has(i.id)) continue;
    indexOf.set(i.id, all.length);
    all.push(i);
  }
  const n = all.length;
  const index = buildChainIndex(all);
  const { chainOf, sizeOf, firstOf, slotOf } = index;

  // Same-chain groups (chains of two images or more), built on first use: their members, the
  // history parent of each (by place in the group, -1 for none), and the oldest of the group's
  // heads (members without a history parent; all members when every one has one).
  interface Group { readonly at: number[]; readonly images: ImageRecord[]; readonly parents: Int32Array; head?: number }
  const groups = new Map<number, Group>();
  const groupOf = (chain: number): Group => {
    let g = groups.get(chain);
    if (!g) {
      const at = index.membersOf(chain);
      const images = at.map((p) => all[p]!);
      groups.set(chain, (g = { at, images, parents: historyParents(images) }));
    }
    return g;
  };
  const headOf = (g: Group): number => {
    if (g.head === undefined) {
      const heads = g.images.filter((_, k) => g.parents[k]! < 0);
      g.head = g.at[g.images.indexOf(oldest(heads.length > 0 ? heads : g.images))]!;
    }
    return g.head;
  };

  // Digest → image (built on first use: only base labels need it), and names as the engine
  // resolves them (core/reference, also on first use: only base-name labels need it).
  let byDigest: Map<string, ImageRecord> | undefined;
  const findDigest = (digest: string): ImageRecord | undefined => {
    if (!byDigest) {
      byDigest = new Map();
      for (const i of all) {
        byDigest.set(i.id, i);
        for (const d of i.repoDigests) byDigest.set(d.slice(d.indexOf('@') + 1), i);
      }
    }
    return byDigest.get(digest);
  };
  let byName: LocalImageIndex<ImageRecord> | undefined;

  const nodes: LineageNode[] = new Array<LineageNode>(n);
  for (let i = 0; i < n; i++) {
    const image = all[i]!;
    nodes[i] = { image, rule: 'root', children: [], containers: [], dangling: isDangling(image), uniqueSize: image.size, depth: 0 };
  }

  // The chosen edge of each image: parent position (-1 for none), rule, detail.
  const parentAt = new Int32Array(n).fill(-1);
  const edgeRule: ParentRule[] = new Array<ParentRule>(n);
  const edgeDetail: Array<string | undefined> = new Array<string | undefined>(n);
  for (let i = 0; i < n; i++) {
    const image = all[i]!;
    const chain = chainOf[i]!;
    // Structural parent (rules 4 then 3).
    let structural = -1;
    let structuralRule: ParentRule = 'layer-prefix';
    let structuralDetail: string | undefined;
    const own = sizeOf[chain]! > 1 ? groupOf(chain) : undefined;
    const hp = own ? own.parents[slotOf[i]!]! : -1;
    if (hp >= 0) {
      structural = own!.at[hp]!;
      structuralRule = 'same-layers-history';
    } else {
      const anc = index.nearestAncestor(chain);
      if (anc >= 0) {
        if (sizeOf[anc] === 1) structural = firstOf[anc]!;
        else {
          const g = groupOf(anc);
          const byHistory = historyPrefixMatch(image, g.images);
          if (byHistory >= 0) {
            structural = g.at[byHistory]!;
            structuralDetail = 'chosen among images with the same layers by history';
          } else {
            structural = headOf(g);
            structuralDetail = 'several images share the parent layers and history does not decide; oldest chosen';
          }
        }
      }
    }

    // Rule 1: Parent field.
    const pf = image.parent ? indexOf.get(normalizeImageId(image.parent)) : undefined;
    if (pf !== undefined && pf !== i) {
      parentAt[i] = pf;
      edgeRule[i] = 'parent-field';
      continue;
    }
    // Rule 2: base label, unless inherited from the structural parent.
    const digestLabel = image.labels[BASE_DIGEST_LABEL];
    const nameLabel = image.labels[BASE_NAME_LABEL];
    if (digestLabel || nameLabel) {
      const sp = structural >= 0 ? all[structural]! : undefined;
      const inherited =
        sp !== undefined &&
        (sp.labels[BASE_DIGEST_LABEL] ?? '') === (digestLabel ?? '') &&
        (sp.labels[BASE_NAME_LABEL] ?? '') === (nameLabel ?? '');
      if (!inherited) {
        // A digest that names no local image says the base was another version of that name (e.g.
        // a base rebuilt since): the name then must not stand in for it.
        const target = digestLabel ? findDigest(digestLabel) : nameLabel ? (byName ??= new LocalImageIndex(all, options.names)).find(nameLabel) : undefined;
        if (target && target.id !== image.id && target.layers.length <= image.layers.length) {
          parentAt[i] = indexOf.get(target.id)!;
          edgeRule[i] = 'base-label';
          edgeDetail[i] = digestLabel && findDigest(digestLabel) ? `${BASE_DIGEST_LABEL}=${digestLabel}` : `${BASE_NAME_LABEL}=${nameLabel}`;
          continue;
        }
        if (!target && structural < 0) {
          nodes[i]!.rule = 'base-not-present';
          nodes[i]!.ruleDetail = `base ${nameLabel || digestLabel} (from label) is not present locally`;
          continue;
        }
      }
    }
    if (structural >= 0) {
      parentAt[i] = structural;
      edgeRule[i] = structuralRule;
      edgeDetail[i] = structuralDetail;
      continue;
    }
    // Rule 5.
    const evidence = baseEvidenceFromHistory(image.history);
    if (evidence) {
      nodes[i]!.rule = 'base-not-present';
      nodes[i]!.ruleDetail = evidence;
    }
  }

  // Link, breaking any cycle (possible only with contradictory Parent fields / labels).
  const state = new Uint8Array(n); // 0 = not seen, 1 = on the current path, 2 = done
  const path: number[] = [];
  for (let i = 0; i < n; i++) {
    path.length = 0;
    let j = i;
    while (j >= 0 && state[j] === 0) {
      state[j] = 1;
      path.push(j);
      j = parentAt[j]!;
    }
    if (j >= 0 && state[j] === 1) {
      // `j` is on the current path: cut the edge leaving it.
      parentAt[j] = -1;
      nodes[j]!.ruleDetail = 'parent edge removed: it formed a cycle';
    }
    for (const p of path) state[p] = 2;
  }

  const hide = options.hideDangling === true;
  const roots: LineageNode[] = [];
  let hidden: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (hide && node.dangling) {
      (hidden ??= new Uint8Array(n))[i] = 1;
      continue;
    }
    const edge = parentAt[i]!;
    let p = edge;
    while (p >= 0 && hide && nodes[p]!.dangling) p = parentAt[p]!;
    if (edge >= 0 && p >= 0) {
      const parent = nodes[p]!;
      const rule = edgeRule[i]!;
      node.parent = parent;
      node.rule = rule;
      const detail = edgeDetail[i];
      if (detail) node.ruleDetail = detail;
      if (p !== edge) node.ruleDetail = `${node.ruleDetail ? node.ruleDetail + '; ' : ''}hidden dangling parent ${shortId(all[edge]!.id)}`;
      parent.children.push(node);
      // A structural parent's chain is a prefix by construction; others are checked.
      const prefix = (p === edge && (rule === 'layer-prefix' || rule === 'same-layers-history')) || index.isPrefix(chainOf[p]!, chainOf[i]!);
      node.uniqueSize = prefix ? Math.max(0, node.image.size - parent.image.size) : node.image.size;
    } else {
      roots.push(node);
    }
  }

  // Depths (iterative, parents first) and ordering.
  const byAge = (a: LineageNode, b: LineageNode) => compareImages(a.image, b.image);
  roots.sort(byAge);
  const stack = roots.slice();
  while (stack.length) {
    const node = stack.pop()!;
    const children = node.children;
    if (children.length > 1) children.sort(byAge);
    const depth = node.depth + 1;
    for (let k = 0; k < children.length; k++) {
      const c = children[k]!;
      c.depth = depth;
      if (c.children.length > 0) stack.push(c);
    }
  }
  const byId = new NodesById(indexOf, nodes, hidden);

  const orphanContainers: ContainerRecord[] = [];
  for (const c of containers) {
    // A container of a hidden (dangling) image is listed as an orphan, never re-parented.
    const n = byId.get(c.imageId);
    if (n) n.containers.push(c);
    else orphanContainers.push(c);
  }
  for (const node of nodes) if (node.containers.length > 1) node.containers.sort(compareContainers);
  orphanContainers.sort(compareContainers);
  return { roots, byId, orphanContainers };
}

export function compareContainers(a: ContainerRecord, b: ContainerRecord): number {
  const na = a.names[0] ?? a.id;
  const nb = b.names[0] ?? b.id;
  return na < nb ? -1 : na > nb ? 1 : 0;
}
