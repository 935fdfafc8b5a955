/**
 * Recipes: how each image was built (Dockerfile path, build context folder, target stage, build
 * args, builder, tag, base at build time), so its stale descendants can be rebuilt exactly.
 * Pure data and its (de)serialisation; the file lives in the user's state folder
 * (src/store/recipeStore.ts), never in the image: no local path or build-arg value ends up in an
 * image that gets pushed.
 *
 * File shape (JSON, version 1):
 *   { "version": 1,
 *     "images": { "<image ID>": Recipe, … },     // keyed by image ID
 *     "tags":   { "<canonical tag>": "<image ID>", … } }  // the last build of each tag
 */
import { tryParseReference } from './reference';

/** The recipe file format version this code reads and writes. */
export const RECIPE_BOOK_VERSION = 1;
/** Recipes kept at most; the oldest (by `builtAt`) are dropped beyond this. */
export const MAX_RECIPES = 2000;

/** How one image was built. */
export interface Recipe {
  /** The built image's ID, "sha256:…". */
  imageId: string;
  /** The tag the build applied ("repo:tag" as given), if any. */
  tag?: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context folder. */
  context: string;
  /** Target stage; undefined = the last stage. */
  target?: string;
  /** Build args (names and values) the build was given. */
  buildArgs: Record<string, string>;
  /** Builder that ran the build: "classic", "buildkit", "buildah", … */
  builder: string;
  /** Extra labels the build was given (the base labels excluded: they are recomputed). */
  labels?: Record<string, string>;
  /** Network for RUN steps, when one was set. */
  network?: string;
  /** The base at build time: normalised reference and image ID; undefined for scratch or an unknown base. */
  base?: { name: string; id: string };
  /** Build end time, ISO 8601. */
  builtAt: string;
}

/** The whole store. */
export interface RecipeBook {
  version: typeof RECIPE_BOOK_VERSION;
  images: Record<string, Recipe>;
  tags: Record<string, string>;
}

/** An empty book. */
export function emptyRecipeBook(): RecipeBook {
  return { version: RECIPE_BOOK_VERSION, images: {}, tags: {} };
}

/** Canonical form of a tag for the `tags` index ("child:1" → "docker.io/library/child:1"); the text itself when it does not parse. */
export function tagKey(tag: string): string {
  return tryParseReference(tag)?.canonical ?? tag;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isString);

function validRecipe(id: string, v: unknown): v is Recipe {
  const r = v as Partial<Recipe> | null;
  return (
    typeof r === 'object' && r !== null &&
    r.imageId === id && isString(r.dockerfile) && isString(r.context) && isString(r.builder) && isString(r.builtAt) &&
    isStringMap(r.buildArgs) && (r.tag === undefined || isString(r.tag)) && (r.target === undefined || isString(r.target)) &&
    (r.network === undefined || isString(r.network)) && (r.labels === undefined || isStringMap(r.labels)) &&
    (r.base === undefined || (typeof r.base === 'object' && r.base !== null && isString(r.base.name) && isString(r.base.id)))
  );
}

/** Result of {@link parseRecipeBook}. */
export interface ParsedRecipeBook {
  book: RecipeBook;
  /** Why the text (or some entries) were ignored; undefined when everything was read. */
  problem?: string;
}

/**
 * Read a recipe file's text. Never throws: text that is not JSON or not a version-1 book gives an
 * empty book and a `problem`; invalid entries are dropped and counted in `problem`.
 */
export function parseRecipeBook(text: string): ParsedRecipeBook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { book: emptyRecipeBook(), problem: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const r = raw as Partial<RecipeBook> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return { book: emptyRecipeBook(), problem: 'not a JSON object' };
  if (r.version !== RECIPE_BOOK_VERSION) return { book: emptyRecipeBook(), problem: `unknown version ${JSON.stringify(r.version)} (this version reads ${RECIPE_BOOK_VERSION})` };
  const book = emptyRecipeBook();
  let dropped = 0;
  const images = typeof r.images === 'object' && r.images !== null ? (r.images as Record<string, unknown>) : {};
  for (const [id, v] of Object.entries(images)) {
    if (validRecipe(id, v)) book.images[id] = v;
    else dropped++;
  }
  const tags = typeof r.tags === 'object' && r.tags !== null ? (r.tags as Record<string, unknown>) : {};
  for (const [tag, id] of Object.entries(tags)) {
    if (isString(id) && book.images[id]) book.tags[tag] = id;
    else dropped++;
  }
  return { book, problem: dropped ? `${dropped} invalid entr${dropped === 1 ? 'y' : 'ies'} ignored` : undefined };
}

/** The book as file text (stable key order for readable diffs). */
export function serialiseRecipeBook(book: RecipeBook): string {
  return JSON.stringify(book, null, 2) + '\n';
}

/**
 * A copy of `book` with `recipe` recorded under its image ID and, when it has a tag, as the last
 * build of that tag. Beyond `max` recipes the oldest are dropped (with their tag entries).
 */
export function addRecipe(book: RecipeBook, recipe: Recipe, max = MAX_RECIPES): RecipeBook {
  const next: RecipeBook = { version: RECIPE_BOOK_VERSION, images: { ...book.images, [recipe.imageId]: recipe }, tags: { ...book.tags } };
  if (recipe.tag) next.tags[tagKey(recipe.tag)] = recipe.imageId;
  const ids = Object.keys(next.images);
  if (ids.length > max) {
    ids.sort((a, b) => (next.images[a]!.builtAt < next.images[b]!.builtAt ? -1 : 1));
    for (const id of ids.slice(0, ids.length - max)) delete next.images[id];
    for (const [t, id] of Object.entries(next.tags)) if (!next.images[id]) delete next.tags[t];
  }
  return next;
}

/** The recipe that built image `imageId`, if known. */
export function recipeForImage(book: RecipeBook, imageId: string): Recipe | undefined {
  return book.images[imageId];
}

/** The recipe of the last build tagged `tag` (any reference form), if known. */
export function recipeForTag(book: RecipeBook, tag: string): Recipe | undefined {
  const id = book.tags[tagKey(tag)];
  return id ? book.images[id] : undefined;
}

/** Recipes of the last build of each tag whose Dockerfile is `dockerfilePath` (the FROM lens). */
export function recipesForDockerfile(book: RecipeBook, dockerfilePath: string): Recipe[] {
  const out: Recipe[] = [];
  for (const id of new Set(Object.values(book.tags))) {
    const r = book.images[id];
    if (r && r.dockerfile === dockerfilePath) out.push(r);
  }
  return out;
}
