/**
 * Image lineage model: which local image was built from which, with each image's containers as
 * its instances. Pure logic: no `vscode`, no dockerode. Input is plain engine JSON (image
 * inspect, image history, container list); output is a forest of {@link LineageNode}s.
 *
 * Parent choice for each image, most reliable first (each edge records its {@link ParentRule}):
 *  1. `parent-field`: the engine's `Parent` names an image in the input (legacy builder,
 *     `docker commit`). Empty for pulled and BuildKit-built images, so never relied on alone.
 *  2. `base-label`: `org.opencontainers.image.base.digest` (else `.base.name` when there is no
 *     digest label) resolves to a local image (Buildah, some official images, every build and
 *     commit of this extension). A label inherited unchanged from the structural parent is
 *     ignored (labels are inherited by children).
 *  3. `layer-prefix`: the nearest image whose diff-ID chain is a strict prefix of this chain.
 *  4. `same-layers-history`: an image with the *same* chain whose history is a strict prefix of
 *     this image's history (a child that only adds ENV/LABEL/CMD…). Same chain without such a
 *     history relation: siblings (both hang under the chain's structural parent).
 *  5. otherwise a root (`root`), or `base-not-present` when evidence says the image was built on
 *     a base that is not local (a base label or history that shows an earlier build).
 *
 * Index: a trie over diff IDs (one trie node per distinct chain prefix), so building is linear in
 * the total number of layers; no pairwise comparison. Same-chain groups are ordered with a
 * second trie over history entries, also linear.
 */

import { CONTAINER_STATE_GROUPS, containerStateGroup, normalizeImageId } from './dialect';
import { LocalImageIndex, type NameRules } from './reference';

/** Which rule chose a node's parent (or why it has none). */
export type ParentRule = 'parent-field' | 'base-label' | 'layer-prefix' | 'same-layers-history' | 'root' | 'base-not-present';

/** Human description of each rule, for tooltips and CLI output. */
export const RULE_DESCRIPTIONS: Record<ParentRule, string> = {
  'parent-field': 'engine Parent field (legacy builder / docker commit)',
  'base-label': 'OCI base image label',
  'layer-prefix': 'nearest image whose layer chain is a prefix of this one',
  'same-layers-history': 'same layer chain, parent history is a prefix of this history',
  root: 'root image (no local base)',
  'base-not-present': 'built on a base image that is not present locally',
};

/** One image history entry, oldest first after normalisation. */
export interface HistoryEntry {
  /** Creation time, seconds since the epoch (as the engine reports it). */
  created: number;
  /** The instruction that made the entry (e.g. `RUN /bin/sh -c …`, `/bin/sh -c #(nop)  CMD …`). */
  createdBy: string;
  /** Builder comment, e.g. `buildkit.dockerfile.v0`, `Imported from -`, a commit message. */
  comment: string;
  /** Bytes the entry's layer adds (0 for metadata-only entries). */
  size: number;
}

/** Normalised image: what the model needs from `GET /images/{id}/json` (+ history). */
export interface ImageRecord {
  /** Full image ID, `sha256:<64 hex>`. */
  id: string;
  /** Real tags (`<none>:<none>` removed); empty for dangling images. */
  repoTags: string[];
  /**
   * How to show each of {@link repoTags}, same order: the name as a user types it where that is
   * unambiguous on the engine (Podman's `localhost/team/base:1` → `team/base:1`; see
   * `LocalImageIndex.displayName`). Absent: the tags as listed.
   */
  names?: string[];
  /** Repo digests, `repo@sha256:…`. */
  repoDigests: string[];
  /** Engine `Parent` (image ID) or empty string. */
  parent: string;
  /** `RootFS.Layers`: diff IDs, base first. */
  layers: string[];
  /** `Config.Labels` (never null). */
  labels: Record<string, string>;
  /** Creation time, ms since the epoch (NaN if unparsable). */
  created: number;
  /** Total size in bytes, all layers included (`Size`). */
  size: number;
  /** History oldest first, when it was fetched (see {@link imagesNeedingHistory}). */
  history?: HistoryEntry[];
}

/** Normalised container, from `GET /containers/json?all=1`. */
export interface ContainerRecord {
  /** Full container ID. */
  id: string;
  /** Names without the leading slash. */
  names: string[];
  /** The image ID the container was created from (`ImageID`), `sha256:…`. */
  imageId: string;
  /** The image reference as the container was created (`Image`), may be a stale tag or an ID. */
  image: string;
  /** Engine state: created, running, paused, restarting, removing, exited, dead (or other). */
  state: string;
  /** Human status, e.g. "Up 5 minutes", "Exited (0) 2 hours ago". */
  status: string;
  /** Container labels (never null). */
  labels: Record<string, string>;
  /** Creation time, seconds since the epoch. */
  created: number;
}

/** One image in the forest. */
export interface LineageNode {
  readonly image: ImageRecord;
  /** Chosen parent, undefined for roots. */
  parent?: LineageNode;
  /** The rule that chose {@link parent} (or `root` / `base-not-present`). */
  rule: ParentRule;
  /** Extra explanation, e.g. which label or history evidence was used. */
  ruleDetail?: string;
  /** Child images, oldest first. */
  readonly children: LineageNode[];
  /** Containers created from this image (instances), by name. */
  readonly containers: ContainerRecord[];
  /** True when the image has no tag (`RepoTags` null, empty or `<none>:<none>`). */
  readonly dangling: boolean;
  /**
   * Bytes this image adds over its parent: `size - parent.size` when the parent's layer chain is
   * a prefix of (or equal to) this image's chain; otherwise (roots, parents by Parent field or
   * label whose chain is not a prefix) the full `size`. Never negative.
   */
  uniqueSize: number;
  /** 0 for roots. */
  depth: number;
}

/** The lineage forest. */
export interface LineageForest {
  /** Root images, oldest first. */
  readonly roots: LineageNode[];
  /** Every node by full image ID. */
  readonly byId: ReadonlyMap<string, LineageNode>;
  /** Containers whose image is not in the input (image deleted, or an intermediate image). */
  readonly orphanContainers: ContainerRecord[];
}

/** Engine JSON shapes accepted by the normalisers (a structural subset; nulls allowed). */
export interface EngineImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Parent?: string | null;
  Created?: string | number | null;
  Size?: number | null;
  RootFS?: { Layers?: string[] | null } | null;
  Config?: { Labels?: Record<string, string> | null } | null;
}

/** One entry of `GET /images/{id}/history` (newest first, as the engine returns it). */
export interface EngineHistoryEntry {
  Created?: number | null;
  CreatedBy?: string | null;
  Comment?: string | null;
  Size?: number | null;
}

/** One entry of `GET /containers/json`. */
export interface EngineContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string | null;
  ImageID?: string | null;
  State?: string | null;
  Status?: string | null;
  Labels?: Record<string, string> | null;
  Created?: number | null;
}

const NONE_TAG = '<none>:<none>';
const NONE_DIGEST = '<none>@<none>';
/** OCI annotation/label keys naming an image's base. */
export const BASE_DIGEST_LABEL = 'org.opencontainers.image.base.digest';
export const BASE_NAME_LABEL = 'org.opencontainers.image.base.name';

/**
 * Normalise engine inspect JSON (and optionally history, newest first as the engine returns it)
 * into an {@link ImageRecord}. Handles `RepoTags` null / empty / `<none>:<none>` (all mean
 * dangling across API versions) and null `Config.Labels`.
 */
export function imageFromInspect(inspect: EngineImageInspect, history?: EngineHistoryEntry[] | null): ImageRecord {
  const created = typeof inspect.Created === 'number' ? inspect.Created * 1000 : Date.parse(inspect.Created ?? '');
  const record: ImageRecord = {
    id: inspect.Id,
    repoTags: (inspect.RepoTags ?? []).filter((t) => t && t !== NONE_TAG),
    repoDigests: (inspect.RepoDigests ?? []).filter((d) => d && d !== NONE_DIGEST),
    parent: normalizeImageId(inspect.Parent ?? ''),
    layers: inspect.RootFS?.Layers ?? [],
    labels: inspect.Config?.Labels ?? {},
    created,
    size: inspect.Size ?? 0,
  };
  if (history) record.history = historyFromEngine(history);
  return record;
}

/** Engine history (newest first) → {@link HistoryEntry}[] oldest first. */
export function historyFromEngine(history: EngineHistoryEntry[]): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i];
    out.push({ created: h.Created ?? 0, createdBy: h.CreatedBy ?? '', comment: h.Comment ?? '', size: h.Size ?? 0 });
  }
  return out;
}

/** Normalise a container list entry. */
export function containerFromSummary(c: EngineContainerSummary): ContainerRecord {
  return {
    id: c.Id,
    names: (c.Names ?? []).map((n) => n.replace(/^\//, '')),
    imageId: c.ImageID ?? '',
    image: c.Image ?? '',
    state: (c.State ?? '').toLowerCase(),
    status: c.Status ?? '',
    labels: c.Labels ?? {},
    created: c.Created ?? 0,
  };
}

/** True when an image has no real tag. */
export function isDangling(image: Pick<ImageRecord, 'repoTags'>): boolean {
  return image.repoTags.length === 0;
}

/** `sha256:0123456789ab…` → `0123456789ab` (12 hex digits, like the docker CLI). */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * The label to show for an image: its best tag by its shown name ({@link ImageRecord.names}, else
 * the tag; a `:latest` tag first, then the shortest, then alphabetical), or for dangling images
 * `<none>@sha256:<12 hex>` from the first repo digest (`repo@sha256:…` shortened), or
 * `<none> <short ID>`.
 */
export function bestTag(image: Pick<ImageRecord, 'id' | 'repoTags' | 'repoDigests' | 'names'>): string {
  if (image.repoTags.length > 0) {
    const shown = image.names && image.names.length === image.repoTags.length ? image.names : image.repoTags;
    return [...shown].sort((a, b) => {
      const la = a.endsWith(':latest') ? 0 : 1;
      const lb = b.endsWith(':latest') ? 0 : 1;
      return la - lb || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
    })[0];
  }
  const digest = image.repoDigests[0];
  if (digest) {
    const at = digest.indexOf('@');
    return `${digest.slice(0, at)}@${shortId(digest.slice(at + 1))}`;
  }
  return `<none> ${shortId(image.id)}`;
}

// ---------------------------------------------------------------------------------------------
// Index

interface TrieNode {
  readonly depth: number;
  readonly up?: TrieNode;
  next?: Map<string, TrieNode>;
  /** Images whose full chain ends here. */
  images?: ImageRecord[];
}

interface Index {
  trie: TrieNode;
  /** Trie node where each image's chain ends. */
  end: Map<string, TrieNode>;
}

function buildIndex(images: readonly ImageRecord[]): Index {
  const trie: TrieNode = { depth: 0 };
  const end = new Map<string, TrieNode>();
  for (const image of images) {
    let node = trie;
    for (const layer of image.layers) {
      let next = node.next?.get(layer);
      if (!next) {
        next = { depth: node.depth + 1, up: node };
        (node.next ??= new Map()).set(layer, next);
      }
      node = next;
    }
    (node.images ??= []).push(image);
    end.set(image.id, node);
  }
  return { trie, end };
}

/** Nearest trie node strictly above `node` that holds images (excluding the empty chain). */
function nearestAncestorWithImages(node: TrieNode): TrieNode | undefined {
  for (let n = node.up; n && n.depth > 0; n = n.up) if (n.images) return n;
  return undefined;
}

/** True when `ancestor`'s chain is a prefix of (or equal to) `node`'s chain. O(depth difference). */
function isChainPrefix(ancestor: TrieNode, node: TrieNode): boolean {
  if (ancestor.depth > node.depth) return false;
  let n: TrieNode | undefined = node;
  while (n && n.depth > ancestor.depth) n = n.up;
  return n === ancestor;
}

function historyKey(h: HistoryEntry): string {
  return `${h.created}\u0000${h.createdBy}\u0000${h.comment}\u0000${h.size}`;
}

/** Same history entry (what {@link historyKey} encodes), compared without building strings. */
function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return a === b || (a.created === b.created && a.size === b.size && a.createdBy === b.createdBy && a.comment === b.comment);
}

/**
 * Within one group of images sharing a trie node (same chain), find each member's history parent:
 * the member whose history is the longest strict prefix of its history. Linear in total history
 * length of the group. Members without history, or with identical histories, get no parent here.
 */
function historyParents(group: readonly ImageRecord[]): Map<string, ImageRecord> {
  const parents = new Map<string, ImageRecord>();
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

function oldest(images: readonly ImageRecord[]): ImageRecord {
  let best = images[0];
  for (const i of images) if (compareImages(i, best) < 0) best = i;
  return best;
}

function compareImages(a: ImageRecord, b: ImageRecord): number {
  const ca = Number.isNaN(a.created) ? 0 : a.created;
  const cb = Number.isNaN(b.created) ? 0 : b.created;
  return ca - cb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * History longest-prefix match of `image` among `candidates` (images whose chain is a prefix of
 * `image`'s chain). Returns undefined when histories are missing or none matches.
 */
function historyPrefixMatch(image: ImageRecord, candidates: readonly ImageRecord[]): ImageRecord | undefined {
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
  const { end } = buildIndex(images);
  const need = new Set<string>();
  for (const image of images) {
    const node = end.get(image.id)!;
    if (node.images!.length > 1) need.add(image.id);
    const anc = nearestAncestorWithImages(node);
    if (!anc) need.add(image.id);
    else if (anc.images!.length > 1) {
      need.add(image.id);
      for (const a of anc.images!) need.add(a.id);
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
  // One record per ID (the list can repeat an image under several filters).
  const unique = new Map<string, ImageRecord>();
  for (const i of images) if (!unique.has(i.id)) unique.set(i.id, i);
  const all = [...unique.values()];
  const { end } = buildIndex(all);

  // Same-chain groups: history parents, computed once per trie node.
  const groupParents = new Map<TrieNode, Map<string, ImageRecord>>();
  const historyParentOf = (node: TrieNode, id: string): ImageRecord | undefined => {
    if (!node.images || node.images.length < 2) return undefined;
    let m = groupParents.get(node);
    if (!m) groupParents.set(node, (m = historyParents(node.images)));
    return m.get(id);
  };
  // The group's heads: members without a history parent in their group.
  const groupHeads = (node: TrieNode): ImageRecord[] => node.images!.filter((i) => !historyParentOf(node, i.id));

  // Digest → image, and names as the engine resolves them (core/reference), for base labels.
  const byDigest = new Map<string, ImageRecord>();
  for (const i of all) {
    byDigest.set(i.id, i);
    for (const d of i.repoDigests) byDigest.set(d.slice(d.indexOf('@') + 1), i);
  }
  const byName = new LocalImageIndex(all, options.names);

  const nodes = new Map<string, LineageNode>();
  for (const image of all) {
    nodes.set(image.id, {
      image,
      rule: 'root',
      children: [],
      containers: [],
      dangling: isDangling(image),
      uniqueSize: image.size,
      depth: 0,
    });
  }

  const parentOf = new Map<string, { parent: ImageRecord; rule: ParentRule; detail?: string }>();
  for (const image of all) {
    const node = end.get(image.id)!;
    // Structural parent (rules 4 then 3).
    let structural: { parent: ImageRecord; rule: ParentRule; detail?: string } | undefined;
    const hp = historyParentOf(node, image.id);
    if (hp) structural = { parent: hp, rule: 'same-layers-history' };
    else {
      const anc = nearestAncestorWithImages(node);
      if (anc) {
        const members = anc.images!;
        let parent: ImageRecord;
        let detail: string | undefined;
        if (members.length === 1) parent = members[0];
        else {
          const byHistory = historyPrefixMatch(image, members);
          if (byHistory) {
            parent = byHistory;
            detail = 'chosen among images with the same layers by history';
          } else {
            const heads = groupHeads(anc);
            parent = oldest(heads.length > 0 ? heads : members);
            detail = 'several images share the parent layers and history does not decide; oldest chosen';
          }
        }
        structural = { parent, rule: 'layer-prefix', detail };
      }
    }

    // Rule 1: Parent field.
    const pf = image.parent ? unique.get(normalizeImageId(image.parent)) : undefined;
    if (pf && pf.id !== image.id) {
      parentOf.set(image.id, { parent: pf, rule: 'parent-field' });
      continue;
    }
    // Rule 2: base label, unless inherited from the structural parent.
    const digestLabel = image.labels[BASE_DIGEST_LABEL];
    const nameLabel = image.labels[BASE_NAME_LABEL];
    const inherited =
      structural &&
      (structural.parent.labels[BASE_DIGEST_LABEL] ?? '') === (digestLabel ?? '') &&
      (structural.parent.labels[BASE_NAME_LABEL] ?? '') === (nameLabel ?? '');
    if ((digestLabel || nameLabel) && !inherited) {
      // A digest that names no local image says the base was another version of that name (e.g. a
      // base rebuilt since): the name then must not stand in for it.
      const target = digestLabel ? byDigest.get(digestLabel) : nameLabel ? byName.find(nameLabel) : undefined;
      if (target && target.id !== image.id && target.layers.length <= image.layers.length) {
        parentOf.set(image.id, { parent: target, rule: 'base-label', detail: digestLabel && byDigest.get(digestLabel) ? `${BASE_DIGEST_LABEL}=${digestLabel}` : `${BASE_NAME_LABEL}=${nameLabel}` });
        continue;
      }
      if (!target && !structural) {
        nodes.get(image.id)!.rule = 'base-not-present';
        nodes.get(image.id)!.ruleDetail = `base ${nameLabel || digestLabel} (from label) is not present locally`;
        continue;
      }
    }
    if (structural) {
      parentOf.set(image.id, structural);
      continue;
    }
    // Rule 5.
    const evidence = baseEvidenceFromHistory(image.history);
    if (evidence) {
      nodes.get(image.id)!.rule = 'base-not-present';
      nodes.get(image.id)!.ruleDetail = evidence;
    }
  }

  // Link, breaking any cycle (possible only with contradictory Parent fields / labels).
  const state = new Map<string, 1 | 2>(); // 1 = on stack, 2 = done
  for (const image of all) {
    const path: string[] = [];
    let id: string | undefined = image.id;
    while (id && !state.has(id)) {
      state.set(id, 1);
      path.push(id);
      id = parentOf.get(id)?.parent.id;
    }
    if (id && state.get(id) === 1) {
      // `id` is on the current path: cut the edge leaving it.
      parentOf.delete(id);
      nodes.get(id)!.ruleDetail = 'parent edge removed: it formed a cycle';
    }
    for (const p of path) state.set(p, 2);
  }

  const hidden = (n: LineageNode): boolean => options.hideDangling === true && n.dangling;
  const visibleParent = (id: string): { node?: LineageNode; edge?: { parent: ImageRecord; rule: ParentRule; detail?: string } } => {
    const edge = parentOf.get(id);
    let p = edge ? nodes.get(edge.parent.id) : undefined;
    while (p && hidden(p)) {
      const e = parentOf.get(p.image.id);
      p = e ? nodes.get(e.parent.id) : undefined;
    }
    return { node: p, edge };
  };

  const roots: LineageNode[] = [];
  const byId = new Map<string, LineageNode>();
  for (const image of all) {
    const node = nodes.get(image.id)!;
    if (hidden(node)) continue;
    byId.set(image.id, node);
    const { node: parent, edge } = visibleParent(image.id);
    if (parent && edge) {
      node.parent = parent;
      node.rule = edge.rule;
      if (edge.detail) node.ruleDetail = edge.detail;
      if (parent.image.id !== edge.parent.id) node.ruleDetail = `${node.ruleDetail ? node.ruleDetail + '; ' : ''}hidden dangling parent ${shortId(edge.parent.id)}`;
      parent.children.push(node);
      const a = end.get(parent.image.id)!;
      const b = end.get(image.id)!;
      node.uniqueSize = isChainPrefix(a, b) ? Math.max(0, image.size - parent.image.size) : image.size;
    } else {
      roots.push(node);
    }
  }

  // Depths (iterative, parents first) and ordering.
  const byAge = (a: LineageNode, b: LineageNode) => compareImages(a.image, b.image);
  roots.sort(byAge);
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    n.children.sort(byAge);
    for (const c of n.children) {
      c.depth = n.depth + 1;
      stack.push(c);
    }
  }

  const orphanContainers: ContainerRecord[] = [];
  for (const c of containers) {
    // A container of a hidden (dangling) image is listed as an orphan, never re-parented.
    const n = byId.get(c.imageId);
    if (n) n.containers.push(c);
    else orphanContainers.push(c);
  }
  for (const n of byId.values()) if (n.containers.length > 1) n.containers.sort(compareContainers);
  orphanContainers.sort(compareContainers);
  return { roots, byId, orphanContainers };
}

function compareContainers(a: ContainerRecord, b: ContainerRecord): number {
  const na = a.names[0] ?? a.id;
  const nb = b.names[0] ?? b.id;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

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
