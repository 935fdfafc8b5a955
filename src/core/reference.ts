/**
 * Image references, parsed and normalised the way the engine does before it looks up a local
 * image (the grammar of github.com/distribution/reference, `ParseNormalizedNamed` +
 * `TagNameOnly`): an implicit `latest` tag, the default registry `docker.io` (`index.docker.io`
 * is the same registry) and the `library/` prefix for single-component names on it.
 *
 * Hand-written because the grammar is a handful of regular expressions defined by that Go
 * package and no maintained npm package reproduces the normalisation (docker.io + library/ +
 * implicit latest) the engine applies; the expressions below follow the Go source one to one.
 */

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const ID_RE = /^(?:sha256:)?[a-f0-9]{64}$/;

/** The registry the engine assumes when a reference names none. */
export const DEFAULT_DOMAIN = 'docker.io';
/** Namespace prefixed to single-component names on the default registry. */
export const OFFICIAL_REPO_PREFIX = 'library/';
/** Tag the engine adds when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** Longest repository name (domain + path) the engine accepts, in characters. */
export const NAME_TOTAL_LENGTH_MAX = 255;

/** A normalised image reference. */
export interface ImageReference {
  /** The text that was parsed, unchanged. */
  readonly original: string;
  /** Registry host with optional port, e.g. "docker.io", "localhost:5000", "[::1]:5000". */
  readonly domain: string;
  /** Repository path on the registry, e.g. "library/busybox", "foo/bar". */
  readonly path: string;
  /** Tag; the implicit "latest" when neither tag nor digest was written. Undefined for digest-only references. */
  readonly tag?: string;
  /** Whether `tag` was written (false when it is the implicit "latest"). */
  readonly tagExplicit: boolean;
  /** Content digest, e.g. "sha256:…", when written. */
  readonly digest?: string;
  /** Fully qualified repository name: `domain/path`, e.g. "docker.io/library/busybox". */
  readonly name: string;
  /** The short form the docker CLI prints: "busybox", "foo/bar", "localhost:5000/foo". */
  readonly familiarName: string;
  /** Fully qualified reference: name plus ":tag" and/or "@digest". */
  readonly canonical: string;
  /** Familiar reference, e.g. "busybox:latest", "foo/bar@sha256:…". */
  readonly familiar: string;
}

/** A reference that is an image ID (64 hex digits, optionally prefixed with "sha256:"). */
export interface ImageIdReference {
  readonly original: string;
  /** "sha256:<64 hex>". */
  readonly id: string;
}

/** Thrown by {@link parseReference} for text that is not a valid image reference. */
export class InvalidReferenceError extends Error {
  constructor(readonly reference: string, reason: string) {
    super(`invalid image reference "${reference}": ${reason}`);
    this.name = 'InvalidReferenceError';
  }
}

/**
 * Split a repository name into domain and remainder like distribution/reference's
 * `splitDockerDomain`: the first component is a registry host only when it contains "." or ":",
 * is "localhost", or has upper-case letters; otherwise the default registry is used.
 */
function splitDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Parse and normalise an image reference as the engine does (`ParseNormalizedNamed`, then
 * `TagNameOnly`: "latest" is added when there is neither tag nor digest).
 *
 * @param text e.g. "busybox", "busybox:1.36", "localhost:5000/a/b:v1@sha256:<hex>".
 * @returns the normalised reference.
 * @throws InvalidReferenceError for empty text, upper-case repository names, 64-hex IDs
 *   (use {@link parseImageId}), bad tags or digests, or names longer than 255 characters.
 */
export function parseReference(text: string): ImageReference {
  if (text.length === 0) throw new InvalidReferenceError(text, 'empty');
  if (ID_RE.test(text) && !text.startsWith('sha256:')) {
    throw new InvalidReferenceError(text, 'cannot specify 64-byte hexadecimal strings');
  }
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw new InvalidReferenceError(text, `invalid digest "${digest}"`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new InvalidReferenceError(text, `invalid tag "${tag}"`);
  }
  if (rest.length === 0) throw new InvalidReferenceError(text, 'repository name is empty');
  const { domain, remainder } = splitDomain(rest);
  if (!DOMAIN_RE.test(domain)) throw new InvalidReferenceError(text, `invalid registry host "${domain}"`);
  if (remainder.toLowerCase() !== remainder) {
    throw new InvalidReferenceError(text, 'repository name must be lowercase');
  }
  if (!PATH_RE.test(remainder)) throw new InvalidReferenceError(text, `invalid repository name "${remainder}"`);
  const name = `${domain}/${remainder}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(text, `repository name longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const tagExplicit = tag !== undefined;
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  let familiarName = name;
  if (domain === DEFAULT_DOMAIN) {
    familiarName = remainder.startsWith(OFFICIAL_REPO_PREFIX) && remainder.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1
      ? remainder.slice(OFFICIAL_REPO_PREFIX.length)
      : remainder;
  }
  const suffix = (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  return {
    original: text,
    domain,
    path: remainder,
    tag,
    tagExplicit,
    digest,
    name,
    familiarName,
    canonical: name + suffix,
    familiar: familiarName + suffix,
  };
}

/** {@link parseReference} that returns undefined instead of throwing. */
export function tryParseReference(text: string): ImageReference | undefined {
  try {
    return parseReference(text);
  } catch {
    return undefined;
  }
}

/**
 * Recognise an image ID reference: 64 lower-case hex digits, optionally "sha256:"-prefixed.
 * @returns the ID in "sha256:<hex>" form, or undefined when `text` is not an ID.
 */
export function parseImageId(text: string): ImageIdReference | undefined {
  if (!ID_RE.test(text)) return undefined;
  return { original: text, id: text.startsWith('sha256:') ? text : `sha256:${text}` };
}

/** What {@link findLocalImage} needs from the engine's image list (`GET /images/json`). */
export interface LocalImageSummary {
  /** "sha256:<hex>". */
  Id: string;
  /** e.g. ["busybox:latest"]; null, empty or ["<none>:<none>"] for dangling images. */
  RepoTags?: string[] | null;
  /** e.g. ["busybox@sha256:<hex>"]. */
  RepoDigests?: string[] | null;
}

/**
 * Whether a local image answers to `ref` the way the engine resolves it: by digest when the
 * reference has one (the tag is then ignored, as the engine does), else by normalised
 * name:tag against each of the image's `RepoTags`.
 */
export function imageMatchesReference(image: LocalImageSummary, ref: ImageReference): boolean {
  if (ref.digest !== undefined) {
    return (image.RepoDigests ?? []).some((d) => {
      const r = tryParseReference(d);
      return r !== undefined && r.name === ref.name && r.digest === ref.digest;
    });
  }
  return (image.RepoTags ?? []).some((t) => {
    if (t === '<none>:<none>') return false;
    const r = tryParseReference(t);
    return r !== undefined && r.name === ref.name && r.tag === ref.tag;
  });
}

/**
 * Find the local image a reference resolves to. `reference` is an image reference
 * ("busybox", "docker.io/library/busybox:latest", "x@sha256:…") or a full image ID
 * (64 hex digits, optionally "sha256:"-prefixed; short IDs are not accepted).
 * @returns the first matching image, or undefined when none is present locally.
 */
export function findLocalImage<T extends LocalImageSummary>(images: readonly T[], reference: string): T | undefined {
  const id = parseImageId(reference);
  if (id) return images.find((i) => i.Id === id.id);
  const ref = tryParseReference(reference);
  if (!ref) return undefined;
  return images.find((i) => imageMatchesReference(i, ref));
}
