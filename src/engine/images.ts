/**
 * Engine side of the lineage: lists images and containers, inspects each image once (cache keyed
 * by image ID, kept as long as the image is listed: IDs are content-addressed, so an inspect
 * result never changes), fetches history only where the model needs it (also cached by ID), and
 * performs image operations (tag, remove, prune, history). No `vscode` import: the CLI reuses it.
 *
 * With a persistent store (core/imageCache, src/store/imageCacheStore) the cache outlives the
 * window: a reopened window on known images costs the list alone.
 *
 * Cost of one refresh: 1 image list + 1 inspect per image ID not seen before (+ 1 history call
 * for a new image that shares its layer chain with another image or has no local base);
 * container refreshes cost 1 container list.
 */
import type Docker from 'dockerode';
import {
  containerFromSummary,
  historyFromEngine,
  imagesNeedingHistory,
  type ContainerRecord,
  type EngineHistoryEntry,
  type HistoryEntry,
  type ImageRecord,
} from '../core/lineage';
import { runBounded } from '../core/schedule';
import { DOCKER_DIALECT, normalizeImageId, type EngineDialect } from '../core/dialect';
import { LocalImageIndex } from '../core/reference';
import { isEmptyDelta, type CachedImageEntry, type ImageCacheDelta, type ImageCachePersistence } from '../core/imageCache';

/** Parallel inspects per refresh (keeps the engine responsive on a 2-core machine). */
const INSPECT_CONCURRENCY = 6;

/** Options of {@link ImageCatalog}. */
export interface ImageCatalogOptions {
  /**
   * Where inspect and history results outlive the process (src/store/imageCacheStore, one file
   * per engine): loaded by the first {@link ImageCatalog.listImages}, updated after each list
   * that learnt or dropped something (in the background; see {@link ImageCatalog.saved}).
   */
  persistence?: ImageCachePersistence;
  /** Receives a failed save (the cache then only lives in memory until the next save works). */
  warn?: (message: string) => void;
}

/**
 * Image list + inspect/history cache. One instance per engine connection; call {@link clear}
 * (or {@link usePersistence} with the new engine's store) when the engine changes (another
 * engine has other images under the same IDs only by chance, but its tags differ and nothing is
 * cached across engines on purpose).
 */
export class ImageCatalog {
  /** Immutable part of each image (everything but tags/digests, which `docker tag` changes). */
  private readonly inspected = new Map<string, CachedImageEntry>();
  private readonly histories = new Map<string, HistoryEntry[]>();
  private persistence: ImageCachePersistence | undefined;
  private loaded: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly unsaved: ImageCacheDelta = { upserts: new Map(), removed: new Set() };

  constructor(private readonly options: ImageCatalogOptions = {}) {
    this.persistence = options.persistence;
  }

  /** Number of cached inspect results (for tests and benches). */
  get cachedInspects(): number {
    return this.inspected.size;
  }

  /** Forget everything (engine changed). The persistent store, if any, is kept. */
  clear(): void {
    this.inspected.clear();
    this.histories.clear();
    this.unsaved.upserts.clear();
    this.unsaved.removed.clear();
    this.loaded = undefined;
  }

  /** Forget everything and use `persistence` (the new engine's store; undefined: memory only) from now on. */
  usePersistence(persistence: ImageCachePersistence | undefined): void {
    this.clear();
    this.persistence = persistence;
  }

  /** Resolves when every save started so far has ended (failures are warned about, never thrown). */
  saved(): Promise<void> {
    return this.saving;
  }

  /**
   * List images (`GET /images/json`, tagged and dangling, no intermediates) and return them as
   * {@link ImageRecord}s with layers and, where {@link imagesNeedingHistory} asks, history.
   * Images that disappear between the list and their inspect (removed meanwhile) are skipped.
   * `dialect` (default Docker's): the names shown for tags ({@link ImageRecord.names}) follow its
   * name rules, and a `Parent` the engine computes itself (Podman's layer tree) is left out —
   * the model weighs that evidence itself, after base labels (see core/dialect `parentField`).
   * With a persistent store: the first call reads it (at the same time as the list), so known
   * IDs cost no inspect or history call; what was learnt or found gone is saved afterwards.
   * @throws the engine error of the list call (connection lost…).
   */
  async listImages(docker: Docker, dialect: EngineDialect = DOCKER_DIALECT): Promise<ImageRecord[]> {
    const [list] = await Promise.all([docker.listImages(), this.load()]);
    const listed = new Set(list.map((i) => i.Id));
    for (const id of this.inspected.keys()) if (!listed.has(id)) this.forget(id);
    for (const id of this.histories.keys()) if (!listed.has(id)) this.forget(id);

    const missing = list.filter((i) => !this.inspected.has(i.Id));
    await runBounded(missing.length, INSPECT_CONCURRENCY, async (k) => {
      const id = missing[k].Id;
      try {
        const inspect = await docker.getImage(id).inspect();
        const entry: CachedImageEntry = {
          parent: normalizeImageId(inspect.Parent ?? ''),
          layers: inspect.RootFS?.Layers ?? [],
          labels: inspect.Config?.Labels ?? {},
          created: Date.parse(inspect.Created),
          size: inspect.Size ?? 0,
        };
        this.inspected.set(id, entry);
        this.unsaved.upserts.set(id, entry);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
    });

    const records: ImageRecord[] = [];
    for (const i of list) {
      const c = this.inspected.get(i.Id);
      if (!c) continue;
      records.push({
        id: i.Id,
        repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
        repoDigests: (i.RepoDigests ?? []).filter((d) => d !== '<none>@<none>'),
        parent: dialect.parentField === 'recorded' ? c.parent : '',
        layers: c.layers,
        labels: c.labels,
        created: c.created,
        size: c.size,
        history: this.histories.get(i.Id),
      });
    }

    const names = new LocalImageIndex(records, dialect.names);
    for (const r of records) r.names = r.repoTags.map((t) => names.displayName(t));

    const need = imagesNeedingHistory(records).values();
    const wanted = [...need].filter((id) => !this.histories.has(id));
    await runBounded(wanted.length, INSPECT_CONCURRENCY, async (k) => {
      try {
        const h = (await docker.getImage(wanted[k]).history()) as EngineHistoryEntry[];
        this.remember(wanted[k], historyFromEngine(h));
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
    });
    for (const r of records) if (!r.history) r.history = this.histories.get(r.id);
    this.save();
    return records;
  }

  /**
   * History of one image, oldest first (cached by ID, persisted with the image's inspect).
   * @throws engine errors (404 when the image is gone).
   */
  async history(docker: Docker, id: string): Promise<HistoryEntry[]> {
    let h = this.histories.get(id);
    if (!h) {
      h = historyFromEngine((await docker.getImage(id).history()) as EngineHistoryEntry[]);
      this.remember(id, h);
      this.save();
    }
    return h;
  }

  /** Read the persistent store once (per engine), keeping only what is consistent. */
  private load(): Promise<void> {
    const store = this.persistence;
    if (!store) return Promise.resolve();
    this.loaded ??= store.load().then((entries) => {
      if (store !== this.persistence) return;
      for (const [id, e] of entries) {
        if (this.inspected.has(id)) continue;
        const { history, ...inspect } = e;
        this.inspected.set(id, inspect);
        if (history && !this.histories.has(id)) this.histories.set(id, history);
      }
    });
    return this.loaded;
  }

  private forget(id: string): void {
    this.inspected.delete(id);
    this.histories.delete(id);
    this.unsaved.upserts.delete(id);
    if (this.persistence) this.unsaved.removed.add(id);
  }

  private remember(id: string, history: HistoryEntry[]): void {
    this.histories.set(id, history);
    const inspect = this.inspected.get(id);
    if (inspect) this.unsaved.upserts.set(id, { ...inspect, history });
  }

  /** Start saving what changed since the last save (one save at a time, in order). */
  private save(): void {
    const store = this.persistence;
    if (!store || isEmptyDelta(this.unsaved)) return;
    const delta: ImageCacheDelta = { upserts: new Map(this.unsaved.upserts), removed: new Set(this.unsaved.removed) };
    this.unsaved.upserts.clear();
    this.unsaved.removed.clear();
    this.saving = this.saving.then(() =>
      store.save(delta).catch((err: unknown) => this.options.warn?.(`image cache not saved: ${(err as Error).message}; images known only in this window`)),
    );
  }
}

/** All containers (`GET /containers/json?all=1`), normalised. One call. */
export async function listContainers(docker: Docker): Promise<ContainerRecord[]> {
  return (await docker.listContainers({ all: true })).map(containerFromSummary);
}

/** Raw inspect JSON of an image (for the read-only inspect document). */
export async function inspectImage(docker: Docker, id: string): Promise<unknown> {
  return docker.getImage(id).inspect();
}

/** A 409 from the engine on image removal, with the engine's own message. */
export class ImageConflictError extends Error {
  readonly statusCode = 409;
  constructor(
    readonly imageId: string,
    readonly engineMessage: string,
  ) {
    super(engineMessage);
    this.name = 'ImageConflictError';
  }
  /** True when the engine refused because several repositories reference the image. */
  get multipleReferences(): boolean {
    return /referenced in multiple repositories/i.test(this.engineMessage);
  }
}

/** The engine's own message of a failed call (`json.message` from the HTTP body), else the error text. */
export function engineErrorMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string } | undefined;
  return e?.json?.message ?? e?.message ?? String(err);
}

/**
 * Remove an image by ID or reference (`DELETE /images/{name}`), without force unless asked.
 * Removing by a tag of a multi-tag image only untags it (engine behaviour).
 * @throws ImageConflictError on 409 (dependent child images, containers, several tags);
 *         other engine errors unchanged.
 */
export async function removeImage(docker: Docker, nameOrId: string, force = false): Promise<void> {
  try {
    await docker.getImage(nameOrId).remove({ force, noprune: false });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 409) throw new ImageConflictError(nameOrId, engineErrorMessage(err));
    throw err;
  }
}

/**
 * Remove one tag of an image that keeps at least one other tag (`docker rmi <tag>` on a
 * multi-tag image): the image, its children and its containers stay. Checks first that `tag`
 * still names `imageId` and that the image has another tag, so a race can never turn the untag
 * into a delete.
 * @throws Error "… has no other tag …" / "… now names another image …" when the check fails
 *   (nothing is changed); engine errors of the inspect or the delete (404 when the tag is gone).
 */
export async function untagImage(docker: Docker, tag: string, imageId: string): Promise<void> {
  const info = await docker.getImage(tag).inspect();
  if (info.Id !== imageId) throw new Error(`${tag} now names another image (${info.Id.slice(7, 19)}); refresh and try again.`);
  const others = (info.RepoTags ?? []).filter((t) => t !== tag && t !== '<none>:<none>');
  if (others.length === 0) throw new Error(`${tag} is the image's only tag: untagging would delete the image. Use Remove Image… to delete it.`);
  await docker.getImage(tag).remove({ force: false, noprune: true });
}

/**
 * Add a tag to an image (`POST /images/{id}/tag`). `reference` is `repo[:tag]` (tag defaults to
 * `latest`); validate it before calling (see core/reference).
 */
export async function tagImage(docker: Docker, id: string, reference: string): Promise<void> {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const hasTag = colon > slash;
  await docker.getImage(id).tag({ repo: hasTag ? reference.slice(0, colon) : reference, tag: hasTag ? reference.slice(colon + 1) : 'latest' });
}

/**
 * Prune dangling images (`POST /images/prune` with `dangling=true`), optionally restricted by a
 * label filter (`key=value`). Returns the deleted IDs and reclaimed bytes.
 */
export async function pruneDanglingImages(docker: Docker, label?: string): Promise<{ deleted: string[]; spaceReclaimed: number }> {
  const filters: Record<string, string[]> = { dangling: ['true'] };
  if (label) filters.label = [label];
  const r = (await docker.pruneImages({ filters })) as { ImagesDeleted?: Array<{ Deleted?: string; Untagged?: string }> | null; SpaceReclaimed?: number };
  return {
    deleted: (r.ImagesDeleted ?? []).map((d) => d.Deleted ?? '').filter(Boolean),
    spaceReclaimed: r.SpaceReclaimed ?? 0,
  };
}
