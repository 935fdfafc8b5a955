/**
 * Staleness, never guessed. Pure logic over the local images, their lineage and the recipes.
 *
 * An image is **stale** when
 *  - its recorded base name (own label, else its recipe) now resolves to another local image than
 *    its recorded base ID: the base was rebuilt or re-tagged (`base-moved`); or
 *  - its recorded base image is itself stale (`base-stale`): rebuilding the base will move it.
 * Only tagged images are marked (a dangling image is a superseded version nobody names), and an
 * image whose base cannot be known (no own label, no recipe) is never marked. A base name that
 * no longer resolves to any local image proves nothing and marks nothing.
 *
 * Each stale image has a **root cause**: the image its moved base tag points to now (followed
 * through `base-stale` links); the Images view counts stale images on it, and Rebuild
 * Descendants of it rebuilds them.
 */
import { bestTag, buildLineage, type ImageRecord, type LineageForest } from './lineage';
import { familiarBaseName, labelProvenance, recipeProvenance, type Provenance } from './provenance';
import { recipeForImage, type RecipeBook } from './recipes';
import { DOCKER_NAME_RULES, LocalImageIndex, type NameRules } from './reference';

/** One stale image and why. */
export interface StaleImage {
  readonly image: ImageRecord;
  readonly kind: 'base-moved' | 'base-stale';
  /** The recorded base. */
  readonly provenance: Provenance;
  /** `base-moved`: the image the recorded base name resolves to now. */
  readonly baseNow?: ImageRecord;
  /** `base-stale`: the stale record of the recorded base image. */
  readonly staleBase?: StaleImage;
  /** The image whose tag moved, as it is now (see the file comment). */
  readonly rootCause: ImageRecord;
  /** When this image was built (ms since the epoch, from the image), for "as it was on <date>". */
  readonly builtAt: number;
}

/** The staleness of every local image. */
export interface StaleModel {
  /** Stale tagged images by image ID. */
  readonly byId: ReadonlyMap<string, StaleImage>;
  /** Stale tagged images by root-cause image ID (what the base shows as its count). */
  readonly byRootCause: ReadonlyMap<string, readonly StaleImage[]>;
  /** The known base of each image (own label, else recipe), by image ID. */
  readonly provenance: ReadonlyMap<string, Provenance>;
  /** The full lineage forest (dangling images included) the model was computed on. */
  readonly forest: LineageForest;
  /** Resolve a reference or image ID to a local image, as the engine would. */
  resolve(reference: string): ImageRecord | undefined;
}

/**
 * Compute staleness. Linear in the number of images (plus the lineage model's cost).
 * @param images every local image (dangling included), with labels.
 * @param book the recipe store's content.
 * @param names how the engine looks up names without a registry (core/dialect; default Docker's).
 */
export function computeStaleness(images: readonly ImageRecord[], book: RecipeBook, names: NameRules = DOCKER_NAME_RULES): StaleModel {
  const forest = buildLineage(images, [], { names });
  const byImageId = new Map(images.map((i) => [i.id, i]));
  const index = new LocalImageIndex(images, names);
  const resolveCache = new Map<string, ImageRecord | undefined>();
  const resolve = (reference: string): ImageRecord | undefined => {
    if (!resolveCache.has(reference)) resolveCache.set(reference, index.find(reference));
    return resolveCache.get(reference);
  };

  const provenance = new Map<string, Provenance>();
  for (const image of images) {
    const parent = forest.byId.get(image.id)?.parent?.image;
    const p = labelProvenance(image, parent) ?? recipeProvenance(recipeForImage(book, image.id));
    if (p) provenance.set(image.id, p);
  }

  // Raw staleness of every image (dangling ones too: a chain may pass through them), memoised.
  const raw = new Map<string, StaleImage | null>();
  const visiting = new Set<string>();
  const staleOf = (image: ImageRecord): StaleImage | undefined => {
    const known = raw.get(image.id);
    if (known !== undefined) return known ?? undefined;
    if (visiting.has(image.id)) return undefined; // contradictory records form a cycle: no claim
    visiting.add(image.id);
    let result: StaleImage | undefined;
    const p = provenance.get(image.id);
    if (p) {
      const now = p.name ? resolve(p.name) : undefined;
      if (now && now.id !== p.id) {
        result = { image, kind: 'base-moved', provenance: p, baseNow: now, rootCause: now, builtAt: image.created };
      } else {
        const recorded = byImageId.get(p.id);
        const s = recorded && recorded.id !== image.id ? staleOf(recorded) : undefined;
        if (s) result = { image, kind: 'base-stale', provenance: p, staleBase: s, rootCause: s.rootCause, builtAt: image.created };
      }
    }
    visiting.delete(image.id);
    raw.set(image.id, result ?? null);
    return result;
  };

  const byId = new Map<string, StaleImage>();
  const byRootCause = new Map<string, StaleImage[]>();
  for (const image of images) {
    const s = staleOf(image);
    if (!s || image.repoTags.length === 0) continue;
    byId.set(image.id, s);
    let list = byRootCause.get(s.rootCause.id);
    if (!list) byRootCause.set(s.rootCause.id, (list = []));
    list.push(s);
  }
  return { byId, byRootCause, provenance, forest, resolve };
}

/** "2024-05-01 14:03 UTC" for a time in ms; "an unknown date" when not finite. */
export function formatBuildDate(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown date';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Why an image is stale, for tooltips and the CLI, e.g. "built on lineage-sample/base:1.0 as it
 * was on 2024-05-01 14:03 UTC; that tag now points to a newer image".
 */
export function staleReason(s: StaleImage): string {
  if (s.kind === 'base-moved') {
    const name = familiarBaseName(s.provenance.name ?? s.provenance.id);
    const newer = s.baseNow && Number.isFinite(s.baseNow.created) && s.baseNow.created >= s.builtAt;
    return `built on ${name} as it was on ${formatBuildDate(s.builtAt)}; that tag now points to ${newer ? 'a newer' : 'another'} image`;
  }
  const base = s.staleBase!;
  return `built on ${bestTag(base.image)}, which is stale: ${staleReason(base)}`;
}

/** The FROM lens text for a stale image built from that Dockerfile, e.g. "base rebuilt since child:1.0 was built". */
export function staleLensTitle(s: StaleImage): string {
  const tag = bestTag(s.image);
  if (s.kind === 'base-moved') return `base rebuilt since ${tag} was built`;
  return `base ${bestTag(s.staleBase!.image)} is stale since ${tag} was built`;
}

/**
 * A memo of {@link computeStaleness} for its last inputs (compared by identity: an image list
 * snapshot and a recipe book are replaced, never changed in place).
 */
export function staleModelMemo(): (images: readonly ImageRecord[], book: RecipeBook, names?: NameRules) => StaleModel {
  let last: { images: readonly ImageRecord[]; book: RecipeBook; names?: NameRules; model: StaleModel } | undefined;
  return (images, book, names) => {
    if (last?.images !== images || last.book !== book || last.names !== names) last = { images, book, names, model: computeStaleness(images, book, names) };
    return last.model;
  };
}
