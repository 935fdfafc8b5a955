/**
 * Builds and commits that record where an image came from: the base labels in the image
 * (`org.opencontainers.image.base.name` / `.base.digest`, see core/provenance) and, for builds
 * from a Dockerfile on disk, a recipe in the shared recipe store (store/recipeStore). The editor's
 * Build command, Rebuild Descendants and the CLI all build through {@link buildWithProvenance}.
 *
 * The base is the build target's external base (FROM followed through in-file stage links),
 * looked up on the engine just before the build; its ID at that moment is the recorded digest.
 *
 * Builders: a recipe names the builder that ran it, and a rebuild uses the same one through
 * {@link builderFor}. Only the classic builder (engine/build.ts) exists in this version; the
 * builder interface of issue 10 (classic, BuildKit, Buildah) replaces this adapter when it lands.
 */
import type Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import { parseDockerfile } from '../core/dockerfile';
import { buildBase, foundBaseName, normaliseBaseName, provenanceLabels } from '../core/provenance';
import type { NameRules } from '../core/reference';
import type { Recipe } from '../core/recipes';
import type { RecipeStore } from '../store/recipeStore';
import { buildImage, type BuildRequest, type BuildResult } from './build';

/** Builder used when a build names none. */
export const DEFAULT_BUILDER = 'classic';

/** A function that runs one build (the shape of engine/build.ts `buildImage`). */
export type Builder = (docker: Docker, req: BuildRequest) => Promise<BuildResult>;

/**
 * The builder a recipe names.
 * @returns undefined when this version has no such builder (the caller reports it).
 */
export function builderFor(name: string): Builder | undefined {
  return name === 'classic' ? buildImage : undefined;
}

/** A build whose provenance is recorded. */
export interface ProvenanceBuildRequest extends Omit<BuildRequest, 'dockerfileText'> {
  /** Absolute path of the Dockerfile; without it no recipe is recorded (an unsaved, untitled buffer). */
  dockerfilePath?: string;
  /** Dockerfile text (e.g. the editor's unsaved buffer); read from `dockerfilePath` when undefined. */
  dockerfileText?: string;
  /** Builder name; {@link DEFAULT_BUILDER} when undefined. */
  builder?: string;
  /** How the engine looks up names without a registry (core/dialect); Docker's when undefined. */
  names?: NameRules;
}

/** Outcome of {@link buildWithProvenance}. */
export interface ProvenanceBuildResult extends BuildResult {
  /** The recorded base (name normalised, ID at build time); undefined for scratch or a base not present. */
  base?: { name?: string; id: string };
  /** The recipe recorded (success with a Dockerfile path). */
  recipe?: Recipe;
  /** Why the recipe could not be stored (the build itself succeeded). */
  recipeError?: string;
}

function failed(started: number, error: string): ProvenanceBuildResult {
  return { ok: false, cancelled: false, error, stepImages: [], durationMs: Date.now() - started };
}

/**
 * The base of a build as the engine sees it now: the target's external base reference and the
 * local image it names. Undefined when the build has no base image or the base is not local.
 */
export async function resolveBuildBase(docker: Docker, dockerfileText: string, target: string | undefined, buildArgs: Record<string, string> | undefined, names?: NameRules): Promise<{ name?: string; id: string } | undefined> {
  const base = buildBase(parseDockerfile(dockerfileText, { buildArgs }), target);
  if (base.kind === 'none') return undefined;
  // As written: the engine applies its own rules to a short name (Podman tries localhost/ first).
  const ref = base.kind === 'image' ? base.written : base.id;
  try {
    const image = await docker.getImage(ref).inspect();
    return base.kind === 'image' ? { name: foundBaseName(base.written, image.RepoTags ?? [], names), id: image.Id } : { id: image.Id };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * Build with the base labels added and, on success with a Dockerfile path, the recipe recorded
 * in `store`. Never throws for build failures (see engine/build.ts); a recipe that cannot be
 * stored is reported in `recipeError`, the build still counts as successful.
 */
export async function buildWithProvenance(docker: Docker, req: ProvenanceBuildRequest, store: RecipeStore | undefined): Promise<ProvenanceBuildResult> {
  const started = Date.now();
  const builderName = req.builder ?? DEFAULT_BUILDER;
  const builder = builderFor(builderName);
  if (!builder) return failed(started, `The ${builderName} builder is not available in this version of Container Lineage: build it once with an available builder.`);
  let text = req.dockerfileText;
  if (text === undefined) {
    if (!req.dockerfilePath) return failed(started, 'No Dockerfile: give its path or its text.');
    try {
      text = await readFile(req.dockerfilePath, 'utf8');
    } catch (err) {
      return failed(started, `Cannot read the Dockerfile ${req.dockerfilePath} (${(err as Error).message}): restore it, or build the image again from where its Dockerfile is now.`);
    }
  }
  let base: { name?: string; id: string } | undefined;
  try {
    base = await resolveBuildBase(docker, text, req.target, req.buildArgs, req.names);
  } catch (err) {
    return failed(started, `Cannot look up the base image: ${(err as Error).message}`);
  }
  const { dockerfilePath: _path, dockerfileText: _text, builder: _builder, names: _names, ...rest } = req;
  const result: ProvenanceBuildResult = await builder(docker, {
    ...rest,
    dockerfileText: text,
    labels: { ...(req.labels ?? {}), ...(base ? provenanceLabels(base) : {}) },
  });
  if (base) result.base = base;
  if (!result.ok || !req.dockerfilePath) return result;
  const recipe: Recipe = {
    imageId: result.imageId!,
    ...(req.tag ? { tag: req.tag } : {}),
    dockerfile: req.dockerfilePath,
    context: req.contextDir,
    ...(req.target ? { target: req.target } : {}),
    buildArgs: { ...(req.buildArgs ?? {}) },
    ...(req.labels && Object.keys(req.labels).length ? { labels: { ...req.labels } } : {}),
    builder: builderName,
    ...(req.networkMode ? { network: req.networkMode } : {}),
    ...(base?.name ? { base: { name: base.name, id: base.id } } : {}),
    builtAt: new Date().toISOString(),
  };
  result.recipe = recipe;
  if (store) {
    try {
      await store.record(recipe);
    } catch (err) {
      result.recipeError = `The image was built, but its recipe could not be stored in ${store.path} (${(err as Error).message}): Rebuild Descendants will not know how to rebuild it.`;
    }
  }
  return result;
}

/**
 * The commit change that records a committed container's base: a `LABEL` instruction naming the
 * container's image (the reference it was created from when that still names the same image,
 * else the image's first tag; only the ID for an untagged image) and its ID.
 * @param image the container's image ID (`Image` of container inspect).
 * @param createdFrom the reference the container was created from (`Config.Image`).
 */
export async function commitProvenanceChange(docker: Docker, image: string, createdFrom: string | undefined): Promise<string> {
  let name: string | undefined;
  const tags = ((await docker.getImage(image).inspect()).RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  const wanted = createdFrom ? normaliseBaseName(createdFrom) : undefined;
  if (wanted && tags.some((t) => normaliseBaseName(t) === wanted)) name = wanted;
  else if (tags.length > 0) name = tags[0];
  const labels = provenanceLabels({ name, id: image });
  return `LABEL ${Object.entries(labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`;
}
