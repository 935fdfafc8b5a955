/**
 * Provenance of an image: the base it was built on, as recorded at build or commit time. Pure
 * logic (no engine, no `vscode`).
 *
 * Recorded two ways, both written by Container Lineage's builds and commits:
 *  - in the image, as the OCI labels `org.opencontainers.image.base.name` (the base reference,
 *    normalised) and `org.opencontainers.image.base.digest` (the base image's ID at build time);
 *  - in the recipe store (see ./recipes), which also knows how to rebuild the image.
 *
 * Labels are inherited by children, so a label equal to the one of the image's lineage parent
 * says nothing about this image (it was built elsewhere, e.g. by the docker CLI): only labels that
 * differ from the parent's count as the image's own. An image without its own labels and without a
 * recipe has no known base: staleness never guesses one.
 */
import { rootStage, targetStage, type DockerfileModel } from './dockerfile';
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL, type ImageRecord } from './lineage';
import { DOCKER_NAME_RULES, lookupCandidates, tryParseReference, type NameRules } from './reference';
import type { Recipe } from './recipes';

/** The base an image was built on, as recorded. */
export interface Provenance {
  /** Base reference, normalised (e.g. "docker.io/lineage-sample/base:1.0"); undefined when only the ID was recorded. */
  name?: string;
  /** Base image ID ("sha256:…") at build time. */
  id: string;
  /** Where the record comes from. */
  source: 'label' | 'recipe';
}

/**
 * The one place base references are normalised (the engine's rules, implemented by
 * core/reference): "busybox" → "docker.io/library/busybox:latest".
 * @returns the canonical reference, or undefined when `reference` is not a valid reference.
 */
export function normaliseBaseName(reference: string): string | undefined {
  return tryParseReference(reference.trim())?.canonical;
}

/**
 * The normalised name of the base a build found: the first name the engine tries for `written`
 * (its lookup candidates under `rules`, e.g. Podman's `localhost/` first) that is one of the base
 * image's tags; else `written` normalised.
 * @param tags the base image's tags as the engine lists them.
 */
export function foundBaseName(written: string, tags: readonly string[], rules: NameRules = DOCKER_NAME_RULES): string | undefined {
  const listed = new Set(tags.map((t) => normaliseBaseName(t)).filter((t): t is string => t !== undefined));
  const hit = lookupCandidates(written.trim(), rules).find((c) => listed.has(c.canonical));
  return hit?.canonical ?? normaliseBaseName(written);
}

/**
 * The short form of a normalised base name for people ("docker.io/library/busybox:latest" →
 * "busybox:latest"); the text unchanged when it does not parse.
 */
export function familiarBaseName(name: string): string {
  return tryParseReference(name)?.familiar ?? name;
}

/**
 * The labels that record `base` on a built or committed image.
 * @param base name (any reference form; normalised here, left out when invalid) and image ID.
 */
export function provenanceLabels(base: { name?: string; id: string }): Record<string, string> {
  const labels: Record<string, string> = { [BASE_DIGEST_LABEL]: base.id };
  const name = base.name ? normaliseBaseName(base.name) : undefined;
  if (name) labels[BASE_NAME_LABEL] = name;
  return labels;
}

/**
 * The image's own base labels: present and different from its lineage parent's (equal labels
 * are inherited, not recorded for this image). Needs the digest label; the name is optional.
 */
export function labelProvenance(image: ImageRecord, parent?: ImageRecord): Provenance | undefined {
  const id = image.labels[BASE_DIGEST_LABEL];
  if (!id) return undefined;
  const name = image.labels[BASE_NAME_LABEL];
  if (parent && parent.labels[BASE_DIGEST_LABEL] === id && (parent.labels[BASE_NAME_LABEL] ?? '') === (name ?? '')) return undefined;
  const normalised = name ? normaliseBaseName(name) : undefined;
  return { id, ...(normalised ? { name: normalised } : {}), source: 'label' };
}

/** The base a recipe recorded, or undefined when the build had none (scratch) or it was not local. */
export function recipeProvenance(recipe: Recipe | undefined): Provenance | undefined {
  if (!recipe?.base) return undefined;
  return { id: recipe.base.id, name: recipe.base.name, source: 'recipe' };
}

/** The external base of a build, as {@link buildBase} finds it in the Dockerfile model. */
export type BuildBase =
  /** An image reference to look up locally before the build: as written (args resolved), and normalised. */
  | { kind: 'image'; written: string; reference: string }
  /** A full image ID written in `FROM`. */
  | { kind: 'id'; id: string }
  /** No base image to record: scratch, an unresolved or invalid base, or no such target. */
  | { kind: 'none'; reason: string };

/**
 * The base image a build of `target` (the last stage when undefined) starts from: the target
 * stage's chain of in-file stage links followed to the first stage whose base is outside the file.
 * `model` must be parsed with the build's args so `FROM $BASE` is resolved.
 */
export function buildBase(model: DockerfileModel, target?: string): BuildBase {
  const stage = targetStage(model, target);
  if (!stage) return { kind: 'none', reason: target ? `no stage named "${target}"` : 'no FROM instruction' };
  const root = rootStage(model, stage);
  const b = root.base;
  if (b.kind === 'image') return { kind: 'image', written: root.baseResolved ?? b.reference.original, reference: b.reference.canonical };
  if (b.kind === 'id') return { kind: 'id', id: b.id };
  if (b.kind === 'scratch') return { kind: 'none', reason: 'built FROM scratch' };
  if (b.kind === 'unresolved' || b.kind === 'invalid') return { kind: 'none', reason: b.reason };
  return { kind: 'none', reason: 'the stage links form a cycle' };
}
