/**
 * The lineage forest (see lineage.ts for the parent rules): each image's parent chosen from the
 * chain index (lineageIndex.ts), base labels and the Parent field; cycles cut, dangling images
 * optionally hidden and the nodes made in lineageLink.ts; containers attached. Image IDs are
 * looked up in lineageById.ts's IdTable. Pure logic.
 */

import { normalizeImageId } from './dialect';
import { LocalImageIndex, type NameRules } from './reference';
import {
  BASE_DIGEST_LABEL, BASE_NAME_LABEL,
  type ContainerRecord, type ImageRecord, type LineageForest, type LineageNode, type ParentRule,
} from './lineageRecords';
import { IdTable, NodesById } from './lineageById';
import { linkForest, type Edges } from './lineageLink';
import { ChainIndexBuilder, type ChainIndex } from './lineageIndex';
import { baseEvidenceFromHistory, compareImages, historyParents, historyPrefixMatch, oldest } from './lineageHistory';

/** Options for {@link buildLineage}. */
export interface LineageOptions {
  /** Drop dangling images; their children are lifted to the nearest kept ancestor. */
  hideDangling?: boolean;
  /** How the engine looks up names written without a registry (base labels); default Docker's. */
  names?: NameRules;
  /**
   * When given, receives the wall time (ms) of each phase, in order: scanImages, chooseEdges,
   * linkForest with NodesById, attachContainers (bench/lineage prints them per layer).
   */
  phaseMs?: number[];
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
  const times = options.phaseMs;
  let t = times ? performance.now() : 0;
  const mark = times
    ? (): void => {
        const now = performance.now();
        times.push(now - t);
        t = now;
      }
    : undefined;
  const scan = scanImages(images);
  mark?.();
  const edges = chooseEdges(scan, options.names);
  mark?.();
  // Cycles cut, dangling images hidden, ordering and the nodes: lineageLink.ts.
  const { nodes, roots, hidden } = linkForest(edges, options.hideDangling === true);
  const byId = new NodesById(scan.indexOf, nodes, hidden);
  mark?.();
  const orphanContainers = attachContainers(byId, containers);
  mark?.();
  return { roots, byId, orphanContainers };
}

/*
 * The phases of buildLineage, in its order (timed by its `phaseMs` option):
 * scanImages (with lineageIndex.ts's ChainIndexBuilder) → chooseEdges → linkForest
 * (lineageLink.ts) → NodesById (lineageById.ts) → attachContainers.
 */

/** What one pass over the records gathers (see {@link scanImages}); arrays by position in `all`. */
interface ImageScan {
  /** One record per image ID, first occurrence kept, in input order. */
  readonly all: ImageRecord[];
  /** Position of each image ID in `all`. */
  readonly indexOf: IdTable;
  /** The layer-chain index of `all`. */
  readonly index: ChainIndex;
  /** 1 for dangling images (no tag). */
  readonly danglingAt: Uint8Array;
  /** `created` (ms), NaN as 0. */
  readonly createdAt: Float64Array;
  /** `size` (bytes). */
  readonly sizeAt: Float64Array;
  /** 1 when the image has a Parent field or a base label (rules 1 and 2 must read it again). */
  readonly declaredAt: Uint8Array;
}

/**
 * One pass over the records: one per ID (the list can repeat an image under several filters),
 * each one's chain indexed and the per-image facts the rules and linking need copied into typed
 * arrays while the record is at hand. The model's work is kept in arrays by position (a map per
 * step, keyed by image ID, cost more than the rest of the model together at 50,000 images), and
 * later steps read a record again only where a rule needs more of it (histories, labels, the
 * Parent field): at 50,000 images the records are far bigger than the CPU caches, and each pass
 * over them cost about as much as the work it did. Linear in the total number of layers; throws
 * nothing.
 */
function scanImages(images: readonly ImageRecord[]): ImageScan {
  const max = images.length;
  const indexOf = new IdTable(max);
  const builder = new ChainIndexBuilder(max);
  const all: ImageRecord[] = [];
  const danglingAt = new Uint8Array(max);
  const createdAt = new Float64Array(max);
  const sizeAt = new Float64Array(max);
  const declaredAt = new Uint8Array(max);
  for (const image of images) {
    if (!indexOf.add(image.id)) continue;
    const i = all.push(image) - 1;
    builder.add(image.layers);
    danglingAt[i] = image.repoTags.length === 0 ? 1 : 0;
    createdAt[i] = Number.isNaN(image.created) ? 0 : image.created;
    sizeAt[i] = image.size;
    const labels = image.labels;
    declaredAt[i] = image.parent || labels[BASE_DIGEST_LABEL] || labels[BASE_NAME_LABEL] ? 1 : 0;
  }
  const n = all.length;
  return {
    all, indexOf, index: builder.finish(),
    danglingAt: danglingAt.subarray(0, n), createdAt: createdAt.subarray(0, n), sizeAt: sizeAt.subarray(0, n), declaredAt,
  };
}

/**
 * Each image's parent edge by the rules of lineage.ts, from a {@link scanImages} pass, with the
 * per-image facts linking needs. Linear in the number of images plus the history entries
 * compared in same-chain groups; throws nothing.
 */
function chooseEdges(scan: ImageScan, names?: NameRules): Edges {
  const { all, indexOf, index, danglingAt, createdAt, sizeAt, declaredAt } = scan;
  const n = all.length;
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

  // The chosen edge of each image: parent position (-1 for none), rule, detail; for a root, its
  // rule and detail. A record is read again only where a rule needs more than the scan copied.
  const parentAt = new Int32Array(n).fill(-1);
  const ruleAt: ParentRule[] = new Array<ParentRule>(n);
  const detailAt: Array<string | undefined> = new Array<string | undefined>(n);
  // Visit order (the answer does not depend on it): images whose edge reads a same-chain group's
  // histories (the group's members, and the images whose nearest ancestor chain is a group) one
  // group after another, the rest first, each in input order (a counting sort by group chain). A
  // group's records are then read from memory once for all its images, instead of once per image
  // far apart: at 50,000 images they have left the CPU caches by the time the next one comes.
  const ancOf = new Int32Array(n);
  const keyOf = new Int32Array(n);
  const start = new Int32Array(index.chains + 2);
  for (let i = 0; i < n; i++) {
    const chain = chainOf[i]!;
    const anc = (ancOf[i] = index.nearestAncestor(chain));
    const key = sizeOf[chain]! > 1 ? chain : anc >= 0 && sizeOf[anc]! > 1 ? anc : -1;
    keyOf[i] = key;
    start[key + 2]++;
  }
  for (let k = 1; k < start.length; k++) start[k] += start[k - 1]!;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[keyOf[i]! + 1]!++] = i;
  for (let v = 0; v < n; v++) {
    const i = order[v]!;
    ruleAt[i] = 'root';
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
      const anc = ancOf[i]!;
      if (anc >= 0) {
        if (sizeOf[anc] === 1) structural = firstOf[anc]!;
        else {
          const g = groupOf(anc);
          const byHistory = historyPrefixMatch(all[i]!, g.images);
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

    // Rules 1 and 2, for the images that declare a parent (the scan's declaredAt).
    if (declaredAt[i]) {
      const image = all[i]!;
      // Rule 1: Parent field.
      const pf = image.parent ? indexOf.find(normalizeImageId(image.parent)) : -1;
      if (pf >= 0 && pf !== i) {
        parentAt[i] = pf;
        ruleAt[i] = 'parent-field';
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
          const target = digestLabel ? findDigest(digestLabel) : nameLabel ? (byName ??= new LocalImageIndex(all, names)).find(nameLabel) : undefined;
          if (target && target.id !== image.id && target.layers.length <= image.layers.length) {
            parentAt[i] = indexOf.find(target.id);
            ruleAt[i] = 'base-label';
            detailAt[i] = digestLabel && findDigest(digestLabel) ? `${BASE_DIGEST_LABEL}=${digestLabel}` : `${BASE_NAME_LABEL}=${nameLabel}`;
            continue;
          }
          if (!target && structural < 0) {
            ruleAt[i] = 'base-not-present';
            detailAt[i] = `base ${nameLabel || digestLabel} (from label) is not present locally`;
            continue;
          }
        }
      }
    }
    if (structural >= 0) {
      parentAt[i] = structural;
      ruleAt[i] = structuralRule;
      detailAt[i] = structuralDetail;
      continue;
    }
    // Rule 5.
    const evidence = baseEvidenceFromHistory(all[i]!.history);
    if (evidence) {
      ruleAt[i] = 'base-not-present';
      detailAt[i] = evidence;
    }
  }

  return { all, parentAt, ruleAt, detailAt, danglingAt, createdAt, sizeAt, chainPrefix: (p, i) => index.isPrefix(chainOf[p]!, chainOf[i]!) };
}

/**
 * Attach each container to the node of its `ImageID` in `byId` (each node's containers sorted by
 * name); returns the containers whose image is not there (orphans), sorted by name. Linear plus
 * the sorts; throws nothing.
 */
function attachContainers(byId: ReadonlyMap<string, LineageNode>, containers: readonly ContainerRecord[]): ContainerRecord[] {
  const orphanContainers: ContainerRecord[] = [];
  const several: LineageNode[] = [];
  for (const c of containers) {
    // A container of a hidden (dangling) image is listed as an orphan, never re-parented.
    const node = byId.get(c.imageId);
    if (!node) orphanContainers.push(c);
    else if (node.containers.push(c) === 2) several.push(node);
  }
  for (const node of several) node.containers.sort(compareContainers);
  orphanContainers.sort(compareContainers);
  return orphanContainers;
}

export function compareContainers(a: ContainerRecord, b: ContainerRecord): number {
  const na = a.names[0] ?? a.id;
  const nb = b.names[0] ?? b.id;
  return na < nb ? -1 : na > nb ? 1 : 0;
}
