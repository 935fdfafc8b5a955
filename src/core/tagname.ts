/**
 * Tag names for images built by the extension: validate what the user typed, and derive a
 * valid default from a folder name ("my app" → "my-app:latest"). Repository names must be
 * lower case (engine rule); tags keep their case (tags may contain upper case).
 */
import { DEFAULT_TAG, InvalidReferenceError, parseReference, type ImageReference, type LocalImageIndex, type LocalImageNames } from './reference';

/** Repository used when a folder name has no usable character at all. */
export const FALLBACK_REPOSITORY = 'image';

/**
 * Turn arbitrary text into a valid repository path component: lower case, every run of
 * characters outside [a-z0-9._-] becomes "-", runs of separators collapse to one "-", and
 * separators are trimmed from both ends. Never returns an empty string.
 */
export function sanitizeRepositoryComponent(text: string): string {
  const s = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return s.length > 0 ? s.slice(0, 128).replace(/[._-]+$/, '') : FALLBACK_REPOSITORY;
}

/**
 * Turn arbitrary text into a valid tag: characters outside [A-Za-z0-9_.-] become "-", the first
 * character must be a word character, at most 128 characters. Case is kept.
 * Returns "latest" when nothing usable remains.
 */
export function sanitizeTag(text: string): string {
  const s = text.replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 128);
  return s.length > 0 ? s : DEFAULT_TAG;
}

/**
 * Default image name for a build context folder: `<sanitized folder name>:latest`.
 * @param folderName the folder's base name, e.g. "my app".
 * @returns e.g. "my-app:latest".
 */
export function deriveImageName(folderName: string): string {
  return `${sanitizeRepositoryComponent(folderName)}:${DEFAULT_TAG}`;
}

/**
 * Make a user's almost-valid "repo:tag" valid: the repository part is lower-cased and
 * sanitised per path component (a registry host with port is kept), the tag keeps its case.
 * @returns a valid reference string, e.g. "MyApp:Dev" → "myapp:Dev".
 */
export function sanitizeImageName(text: string): string {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf('/');
  const colon = trimmed.lastIndexOf(':');
  const hasTag = colon > slash;
  const repo = hasTag ? trimmed.slice(0, colon) : trimmed;
  const tag = hasTag ? sanitizeTag(trimmed.slice(colon + 1)) : DEFAULT_TAG;
  const parts = repo.split('/');
  const first = parts[0] ?? '';
  const keepHost = parts.length > 1 && (/[.:]/.test(first) || first === 'localhost');
  const path = (keepHost ? parts.slice(1) : parts).map(sanitizeRepositoryComponent);
  const name = keepHost ? [first, ...path].join('/') : path.join('/');
  return `${name}:${tag}`;
}

/**
 * Split "repo[:tag]" into the repository and tag the engine's tag and commit APIs take
 * ("localhost:5000/app" has no tag: the colon belongs to the registry port).
 * @returns e.g. { repo: "localhost:5000/app", tag: "latest" }.
 */
export function splitRepoTag(name: string): { repo: string; tag: string } {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? { repo: name.slice(0, colon), tag: name.slice(colon + 1) } : { repo: name, tag: DEFAULT_TAG };
}

/** Result of {@link validateImageName}. */
export type ImageNameCheck =
  | { ok: true; reference: ImageReference }
  | { ok: false; message: string; suggestion: string };

/**
 * Check a name the user typed for tagging a built image. Digests are refused (a build produces
 * a tag, not a digest). The message says what to do and offers a valid suggestion.
 */
export function validateImageName(text: string): ImageNameCheck {
  const trimmed = text.trim();
  const suggestion = sanitizeImageName(trimmed.split('@')[0] ?? '');
  if (trimmed.length === 0) return { ok: false, message: 'Enter an image name such as my-app:latest.', suggestion };
  if (trimmed.includes('@')) {
    return { ok: false, message: 'A built image is tagged, not pinned by digest: remove the "@…" part.', suggestion };
  }
  try {
    return { ok: true, reference: parseReference(trimmed) };
  } catch (err) {
    const reason = err instanceof InvalidReferenceError ? err.message : String(err);
    return { ok: false, message: `${reason}. Try "${suggestion}".`, suggestion };
  }
}

/**
 * What tagging image `imageId` as `text` would take from another image: the name already finds
 * another local image the way the engine resolves names (`index`: Podman looks `team/base:1` up as
 * `localhost/team/base:1` too), so the tag moves. Undefined when the name is free, is already this
 * image's, or is not a valid name.
 * @param consequence the sentence's end (default for Tag Image…; Commit says the new image)
 * @returns e.g. 'team/base:1 now names team/base:1 (1a2b3c4d5e6f); tagging moves it to this image.'
 */
export function tagMoveWarning<T extends LocalImageNames>(
  text: string,
  index: LocalImageIndex<T>,
  imageId: string,
  label: (image: T) => string,
  consequence = 'tagging moves it to this image.',
): string | undefined {
  const name = text.trim();
  if (!name || name.includes('@')) return undefined;
  const other = index.find(name);
  if (!other || other.id === imageId) return undefined;
  return `${name} now names ${label(other)} (${other.id.replace(/^sha256:/, '').slice(0, 12)}); ${consequence}`;
}
