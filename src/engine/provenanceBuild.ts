/**
 * Builds and commits that record where an image came from: the base labels in the image
 * (`org.opencontainers.image.base.name` / `.base.digest`, see core/provenance) and, for builds
 * from a Dockerfile on disk, a recipe in the shared recipe store (store/recipeStore). The editor's
 * Build command, Rebuild Descendants and the CLI all build through {@link buildWithProvenance}.
 *
 * The base is the build target's external base (FROM followed through in-file stage links),
 * looked up on the engine just before the build; its ID at that moment is the recorded digest.
 *
 * Builders: the build runs through the builder layer (`engine/builders`: `runBuild` chooses
 * classic, BuildKit or another registered builder). A recipe names the builder that ran it, and a
 * rebuild asks for the same one ({@link builderFor} checks it is available).
 */
import type Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import { parseDockerfile } from '../core/dockerfile';
import { buildBase, foundBaseName, normaliseBaseName, provenanceLabels } from '../core/provenance';
import type { NameRules } from '../core/reference';
import type { Recipe } from '../core/recipes';
import type { BuilderName } from '../core/frontend';
import type { RecipeStore } from '../store/recipeStore';
import { availableBuilders, runBuild, type BuildRequest, type BuildRun } from './builders';

/** Builder setting used when a build names none: BuildKit where the engine has it (core/builderChoice). */
export const DEFAULT_BUILDER = 'auto';

/**
 * Whether a builder name (a recipe's, or a setting: "auto" included) can run in this version.
 * @returns the name, or undefined when this version has no such builder (the caller reports it).
 */
export function builderFor(name: string): string | undefined {
  return name === 'auto' || availableBuilders().includes(name as BuilderName) ? name : undefined;
}

/** A build whose provenance is recorded. */
export interface ProvenanceBuildRequest extends Omit<BuildRequest, 'dockerfileText'> {
  /** Absolute path of the Dockerfile; without it no recipe is recorded (an unsaved, untitled buffer). */
  dockerfilePath?: string;
  /** Dockerfile text (e.g. the editor's unsaved buffer); read from `dockerfilePath` when undefined. */
  dockerfileText?: string;
  /** Builder setting ("auto", "buildkit", "classic", …); {@link DEFAULT_BUILDER} when undefined. */
  builder?: string;
  /** How the engine looks up names without a registry (core/dialect); Docker's when undefined. */
  names?: NameRules;
}

/** Outcome of {@link buildWithProvenance}. */
export interface ProvenanceBuildResult extends BuildRun {
  /** The recorded base (name normalised, ID at build time); undefined for scratch or a base not present. */
  base?: { name?: string; id: string };
  /** The recipe recorded (success with a Dockerfile path). */
  recipe?: Recipe;
  /** Why the recipe could not be stored (the build itself succeeded). */
  recipeError?: string;
}

function failed(started: number, builder: string, error: string): ProvenanceBuildResult {
  const name: BuilderName = availableBuilders().includes(builder as BuilderName) ? (builder as BuilderName) : 'classic';
  return { ok: false, builder: name, reason: 'not built', cancelled: false, error, stepImages: [], durations: { totalMs: Date.now() - started, steps: [] } };
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
 * in `store`. Never throws for build failures (see engine/builders/types.ts); a recipe that cannot be
 * stored is reported in `recipeError`, the build still counts as successful.
 */
export async function buildWithProvenance(docker: Docker, req: ProvenanceBuildRequest, store: RecipeStore | undefined): Promise<ProvenanceBuildResult> {
  const started = Date.now();
  const builderName = req.builder ?? DEFAULT_BUILDER;
  if (!builderFor(builderName)) return failed(started, builderName, `The ${builderName} builder is not available in this version of Container Lineage: build it once with an available builder.`);
  let text = req.dockerfileText;
  if (text === undefined) {
    if (!req.dockerfilePath) return failed(started, builderName, 'No Dockerfile: give its path or its text.');
    try {
      text = await readFile(req.dockerfilePath, 'utf8');
    } catch (err) {
      return failed(started, builderName, `Cannot read the Dockerfile ${req.dockerfilePath} (${(err as Error).message}): restore it, or build the image again from where its Dockerfile is now.`);
    }
  }
  let base: { name?: string; id: string } | undefined;
  try {
    base = await resolveBuildBase(docker, text, req.target, req.buildArgs, req.names);
  } catch (err) {
    return failed(started, builderName, `Cannot look up the base image: ${(err as Error).message}`);
  }
  const { dockerfileText: _text, names: _names, ...rest } = req;
  const result: ProvenanceBuildResult = await runBuild(docker, {
    ...rest,
    builder: builderName,
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
    // the builder that ran it (auto resolved), so a rebuild uses the same one
    builder: result.builder,
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
