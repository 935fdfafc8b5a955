/**
 * The image cache on disk (format in core/imageCache): one JSON file per engine in a cache
 * folder — the extension's global storage (`<globalStorage>/image-cache/`), so every window of
 * the user shares it. The file name is a hash of the engine key (kind and endpoint): another
 * engine never reads this engine's entries.
 *
 * - Two processes may write at once: a save takes an inter-process lock (proper-lockfile, a
 *   lock directory beside the file, stale after 10 s), re-reads the file, applies its delta
 *   (entries added, IDs gone) and replaces the file atomically (write-file-atomic: temp file +
 *   rename), so a reader never sees half a file and no writer's entries are lost.
 * - A corrupt file, or one of another version, is ignored (nothing is read from it) and replaced
 *   whole by the next save; a warning says so once.
 * - Bounded: at most {@link DEFAULT_IMAGE_CACHE_BOUNDS} (oldest dropped first) per file.
 * No `vscode` import: the CLI can use it as is.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import {
  applyImageCacheDelta,
  DEFAULT_IMAGE_CACHE_BOUNDS,
  isEmptyDelta,
  parseImageCache,
  serialiseImageCache,
  type ImageCacheBounds,
  type ImageCacheDelta,
  type ImageCacheEntries,
  type ImageCachePersistence,
} from '../core/imageCache';

/** Options of {@link ImageCacheStore}. */
export interface ImageCacheStoreOptions {
  /** Limits of the file. Default {@link DEFAULT_IMAGE_CACHE_BOUNDS}. */
  bounds?: ImageCacheBounds;
  /** Receives warnings (corrupt file, entries dropped over the bounds). Default: none. */
  warn?: (message: string) => void;
}

/** File of the engine `engineKey` (e.g. "docker unix:///var/run/docker.sock") inside `dir`. */
export function imageCachePath(dir: string, engineKey: string): string {
  return join(dir, `${createHash('sha256').update(engineKey).digest('hex').slice(0, 16)}.json`);
}

/** One engine's cache file. */
export class ImageCacheStore implements ImageCachePersistence {
  private warned = new Set<string>();

  constructor(
    readonly path: string,
    private readonly options: ImageCacheStoreOptions = {},
  ) {}

  /** The store of engine `engineKey` in folder `dir` (see {@link imageCachePath}). */
  static forEngine(dir: string, engineKey: string, options: ImageCacheStoreOptions = {}): ImageCacheStore {
    return new ImageCacheStore(imageCachePath(dir, engineKey), options);
  }

  /**
   * The stored entries, oldest first: empty when the file is missing, unreadable, corrupt or of
   * another version (warned once per problem). Reads without the lock: the file is only ever
   * replaced by rename, so it is whole. Never throws.
   */
  async load(): Promise<ImageCacheEntries> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warnOnce(`Image cache ${this.path} cannot be read (${(err as Error).message}); images are inspected again.`);
      return new Map();
    }
    const parsed = parseImageCache(text);
    if (parsed.problem) this.warnOnce(`Image cache ${this.path}: ${parsed.problem}; it is ignored and rewritten.`);
    return parsed.entries;
  }

  /**
   * Apply `delta` to the file under the lock (re-read first, so other processes' entries stay),
   * keep it within the bounds (oldest dropped) and replace it atomically. A corrupt or other-version
   * file is replaced by one holding the delta's entries only. Does nothing for an empty delta.
   * @throws Error when the folder cannot be created, the lock is not had within about 5 s, or the write fails.
   */
  async save(delta: ImageCacheDelta): Promise<void> {
    if (isEmptyDelta(delta)) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(this.path, { realpath: false, stale: 10_000, retries: { retries: 60, minTimeout: 10, maxTimeout: 100, factor: 1.3 } });
    try {
      let entries: ImageCacheEntries = new Map();
      try {
        entries = parseImageCache(await readFile(this.path, 'utf8')).entries;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const { text, dropped } = serialiseImageCache(applyImageCacheDelta(entries, delta), this.options.bounds ?? DEFAULT_IMAGE_CACHE_BOUNDS);
      if (dropped > 0) this.warnOnce(`Image cache ${this.path}: over its bounds, the oldest entries are dropped.`);
      await writeFileAtomic(this.path, text, { mode: 0o600 });
    } finally {
      await release();
    }
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.warn?.(message);
  }
}
