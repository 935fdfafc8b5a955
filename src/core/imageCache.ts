/**
 * The persistent image cache: what an image inspect and history said, keyed by image ID, kept
 * across windows (src/store/imageCacheStore.ts holds the file). Image IDs are content-addressed
 * (the ID is the sha256 of the image config), so an entry never goes stale while its ID exists;
 * it is dropped when the ID is gone from the engine, or when the cache is over its bounds
 * (oldest first). Pure data and its (de)serialisation; no I/O.
 *
 * File shape (JSON, one file per engine):
 *   { "format": "container-lineage/image-cache", "version": 1,
 *     "entries": [ ["sha256:…", CachedImageEntry], … ] }   // oldest first
 */
import type { HistoryEntry } from './lineage';

/** The `format` field of the file. */
export const IMAGE_CACHE_FORMAT = 'container-lineage/image-cache';
/** The file version this code reads and writes; a file of another version is ignored and rewritten. */
export const IMAGE_CACHE_VERSION = 1;

/** What one image's inspect (and, when it was needed, its history) said. */
export interface CachedImageEntry {
  /** `Parent` as the engine recorded it, normalised (`sha256:…` or ''); the dialect decides whether it is used. */
  parent: string;
  /** `RootFS.Layers` (diff IDs), base first. */
  layers: string[];
  /** `Config.Labels`. */
  labels: Record<string, string>;
  /** `Created`, ms since the epoch. */
  created: number;
  /** `Size`, bytes. */
  size: number;
  /** History, oldest first, when it was fetched. */
  history?: HistoryEntry[];
}

/** Image ID → entry, in insertion order (oldest first). */
export type ImageCacheEntries = Map<string, CachedImageEntry>;

/** Limits of one cache file. */
export interface ImageCacheBounds {
  /** Entries at most. */
  maxEntries: number;
  /** Serialised size at most, bytes (UTF-8). */
  maxBytes: number;
}

/** 20 000 entries or 32 MiB, whichever is reached first. */
export const DEFAULT_IMAGE_CACHE_BOUNDS: ImageCacheBounds = { maxEntries: 20_000, maxBytes: 32 * 1024 * 1024 };

/** A change to apply to the file: entries added or completed, and IDs gone from the engine. */
export interface ImageCacheDelta {
  /** New entries, or a history for an existing one (merged into what the file holds). */
  upserts: ImageCacheEntries;
  /** IDs the engine no longer lists. */
  removed: Set<string>;
}

/** What the image catalog needs from a persistent cache (engine/images `ImageCatalog`); src/store/imageCacheStore implements it. */
export interface ImageCachePersistence {
  /** The stored entries (empty when there is no usable file). Never throws. */
  load(): Promise<ImageCacheEntries>;
  /** Merge `delta` into the stored file. @throws Error on lock or write failure. */
  save(delta: ImageCacheDelta): Promise<void>;
}

/** True when the delta changes nothing. */
export function isEmptyDelta(delta: ImageCacheDelta): boolean {
  return delta.upserts.size === 0 && delta.removed.size === 0;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function isHistory(v: unknown): v is HistoryEntry[] {
  return (
    Array.isArray(v) &&
    v.every((h) => typeof h === 'object' && h !== null && typeof h.created === 'number' && typeof h.createdBy === 'string' && typeof h.comment === 'string' && typeof h.size === 'number')
  );
}

function isEntry(v: unknown): v is CachedImageEntry {
  const e = v as CachedImageEntry;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.parent === 'string' &&
    Array.isArray(e.layers) &&
    e.layers.every((l) => typeof l === 'string') &&
    isStringRecord(e.labels) &&
    typeof e.created === 'number' &&
    typeof e.size === 'number' &&
    (e.history === undefined || isHistory(e.history))
  );
}

/**
 * Read a cache file's text. Never throws: a file that is not JSON, not this format, of another
 * version or with a malformed entry yields no entries and a `problem` (the caller ignores the
 * file and rewrites it whole on its next save; a cache loses nothing it cannot fetch again).
 */
export function parseImageCache(text: string): { entries: ImageCacheEntries; problem?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { entries: new Map(), problem: `not JSON (${(err as Error).message})` };
  }
  const d = data as { format?: unknown; version?: unknown; entries?: unknown };
  if (typeof d !== 'object' || d === null || d.format !== IMAGE_CACHE_FORMAT) return { entries: new Map(), problem: 'not an image cache file' };
  if (d.version !== IMAGE_CACHE_VERSION) return { entries: new Map(), problem: `version ${JSON.stringify(d.version)}, this version reads ${IMAGE_CACHE_VERSION}` };
  if (!Array.isArray(d.entries)) return { entries: new Map(), problem: 'no entry list' };
  const entries: ImageCacheEntries = new Map();
  for (const pair of d.entries as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || !isEntry(pair[1])) {
      return { entries: new Map(), problem: 'a malformed entry' };
    }
    entries.set(pair[0], pair[1]);
  }
  return { entries };
}

/**
 * Apply `delta` to `entries` (in place, returned): removed IDs go, upserts are added at the end
 * (newest) or merged into an existing entry (which keeps its age; a history, once known, is kept).
 */
export function applyImageCacheDelta(entries: ImageCacheEntries, delta: ImageCacheDelta): ImageCacheEntries {
  for (const id of delta.removed) entries.delete(id);
  for (const [id, e] of delta.upserts) {
    const old = entries.get(id);
    entries.set(id, old ? { ...old, ...e, history: e.history ?? old.history } : e);
  }
  return entries;
}

/**
 * Serialise `entries` within `bounds`, dropping the oldest entries first until both the entry
 * count and the UTF-8 size fit. Returns the text and how many entries were dropped.
 * Cost: one JSON.stringify per entry (linear in the file size).
 */
export function serialiseImageCache(entries: ImageCacheEntries, bounds: ImageCacheBounds = DEFAULT_IMAGE_CACHE_BOUNDS): { text: string; dropped: number } {
  const head = `{"format":${JSON.stringify(IMAGE_CACHE_FORMAT)},"version":${IMAGE_CACHE_VERSION},"entries":[`;
  const tail = ']}';
  const parts: string[] = [];
  const sizes: number[] = [];
  for (const [id, e] of entries) {
    const s = JSON.stringify([id, e]);
    parts.push(s);
    sizes.push(Buffer.byteLength(s));
  }
  let bytes = head.length + tail.length + sizes.reduce((a, b) => a + b, 0) + Math.max(0, parts.length - 1);
  let first = 0;
  while (first < parts.length && (parts.length - first > bounds.maxEntries || bytes > bounds.maxBytes)) {
    bytes -= sizes[first] + (parts.length - first > 1 ? 1 : 0);
    first++;
  }
  return { text: head + parts.slice(first).join(',') + tail, dropped: first };
}
