/**
 * Lineage records (see lineage.ts): the normalised image, history and container shapes the model
 * works on, the nodes and forest it returns, the engine JSON they are made from, and how an image
 * is named (best tag, short ID). Pure logic.
 */

import { normalizeImageId } from './dialect';

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
 * Index into `repoTags` (and `names`) of an image's best tag by its shown name ({@link
 * ImageRecord.names}, else the tag): a `:latest` tag first, then the shortest, then alphabetical;
 * -1 for a dangling image.
 */
function bestTagIndex(image: Pick<ImageRecord, 'repoTags' | 'names'>): number {
  if (image.repoTags.length === 0) return -1;
  const shown = image.names && image.names.length === image.repoTags.length ? image.names : image.repoTags;
  const better = (a: string, b: string): boolean => {
    const la = a.endsWith(':latest') ? 0 : 1;
    const lb = b.endsWith(':latest') ? 0 : 1;
    return la !== lb ? la < lb : a.length !== b.length ? a.length < b.length : a < b;
  };
  let best = 0;
  for (let i = 1; i < shown.length; i++) if (better(shown[i], shown[best])) best = i;
  return best;
}

/**
 * The repo tag behind the name an image's tree row shows ({@link bestTag}): the full name the
 * engine knows (Podman: `localhost/team/base:1` where the row says `team/base:1`), or undefined
 * for a dangling image. Commands started from a row use this, never `repoTags[0]` (the engine's
 * order, which may be another tag of the same image).
 */
export function bestRepoTag(image: Pick<ImageRecord, 'repoTags' | 'names'>): string | undefined {
  const i = bestTagIndex(image);
  return i < 0 ? undefined : image.repoTags[i];
}

/**
 * The label to show for an image: its best tag by its shown name ({@link ImageRecord.names}, else
 * the tag; a `:latest` tag first, then the shortest, then alphabetical), or for dangling images
 * `<none>@sha256:<12 hex>` from the first repo digest (`repo@sha256:…` shortened), or
 * `<none> <short ID>`.
 */
export function bestTag(image: Pick<ImageRecord, 'id' | 'repoTags' | 'repoDigests' | 'names'>): string {
  const i = bestTagIndex(image);
  if (i >= 0) return (image.names && image.names.length === image.repoTags.length ? image.names : image.repoTags)[i];
  const digest = image.repoDigests[0];
  if (digest) {
    const at = digest.indexOf('@');
    return `${digest.slice(0, at)}@${shortId(digest.slice(at + 1))}`;
  }
  return `<none> ${shortId(image.id)}`;
}
