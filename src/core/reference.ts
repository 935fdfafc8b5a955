/**
 * Image references, parsed and normalised the way the engine does before it looks up a local
 * image (the grammar of github.com/distribution/reference, `ParseNormalizedNamed` +
 * `TagNameOnly`): an implicit `latest` tag, the default registry `docker.io` (`index.docker.io`
 * is the same registry) and the `library/` prefix for single-component names on it.
 *
 * The engines differ only in where a name written without a registry is looked up
 * ({@link NameRules}): Docker takes it from docker.io; Podman first from `localhost/` (its name for
 * images made or loaded locally), then docker.io. {@link LocalImageIndex} applies those rules for
 * every consumer (base labels, FROM lenses, the names shown in the tree), so all agree.
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
  /** Whether the text named the registry (false for "busybox", "team/base:1"). */
  readonly domainExplicit: boolean;
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
function splitDomain(name: string): { domain: string; remainder: string; explicit: boolean } {
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
  const explicit = i !== -1 && remainder !== name;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder, explicit };
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
  const { domain, remainder, explicit } = splitDomain(rest);
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
    domainExplicit: explicit,
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

/** How an engine looks up a reference written without a registry (`busybox`, `team/base:1`). */
export interface NameRules {
  /**
   * Registries tried in order. Docker: ["docker.io"]. Podman: ["localhost", "docker.io"]
   * (libimage looks a short name up as `localhost/<name>` first; names made through the compat
   * API are stored as `docker.io/<name>`).
   */
  readonly shortNameDomains: readonly string[];
}

/** Docker's rule: a name without a registry is on docker.io. */
export const DOCKER_NAME_RULES: NameRules = { shortNameDomains: [DEFAULT_DOMAIN] };

/** The written repository path without the registry: "busybox" (not "library/busybox"), "team/base". */
function shortPath(ref: ImageReference): string {
  return ref.domain === DEFAULT_DOMAIN ? ref.familiarName : ref.path;
}

/**
 * The references the engine looks `text` up under, in its order: the reference itself when it
 * names a registry, else one per registry of `rules.shortNameDomains`.
 * @returns e.g. Podman, "team/base:1" → [localhost/team/base:1, docker.io/team/base:1]; [] for
 *   text that is not a reference.
 */
export function lookupCandidates(text: string, rules: NameRules = DOCKER_NAME_RULES): ImageReference[] {
  const ref = tryParseReference(text);
  if (!ref) return [];
  if (ref.domainExplicit) return [ref];
  const suffix = (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
  const out: ImageReference[] = [];
  for (const domain of rules.shortNameDomains) {
    const c = domain === DEFAULT_DOMAIN ? ref : tryParseReference(`${domain}/${shortPath(ref)}${suffix}`);
    if (c) out.push({ ...c, original: text });
  }
  return out;
}

/** What {@link LocalImageIndex} needs of an image. */
export interface LocalImageNames {
  /** "sha256:<hex>". */
  readonly id: string;
  /** As the engine lists them (Docker: "busybox:latest"; Podman: "localhost/busybox:latest"). */
  readonly repoTags: readonly string[];
  /** "name@sha256:…". */
  readonly repoDigests: readonly string[];
}

/**
 * The local images by every name the engine would find them under. Building is linear in the
 * number of tags and digests; {@link find} and {@link displayName} cost one lookup per candidate.
 */
export class LocalImageIndex<T extends LocalImageNames> {
  private readonly byId = new Map<string, T>();
  /** "domain/path:tag" → image (first listed wins). */
  private readonly byName = new Map<string, T>();
  /** "domain/path@digest" → image. */
  private readonly byDigest = new Map<string, T>();

  constructor(images: readonly T[], readonly rules: NameRules = DOCKER_NAME_RULES) {
    for (const image of images) {
      this.byId.set(image.id, image);
      for (const t of image.repoTags) {
        const r = t === '<none>:<none>' ? undefined : tryParseReference(t);
        if (r?.tag !== undefined && !this.byName.has(`${r.name}:${r.tag}`)) this.byName.set(`${r.name}:${r.tag}`, image);
      }
      for (const d of image.repoDigests) {
        const r = tryParseReference(d);
        if (r?.digest !== undefined) this.byDigest.set(`${r.name}@${r.digest}`, image);
      }
    }
  }

  /**
   * The image `reference` resolves to, as the engine resolves it: a full image ID (64 hex digits,
   * optionally "sha256:"-prefixed; short IDs are not accepted), else each lookup candidate in
   * order, by digest when the reference has one (its tag is then ignored, as the engine does),
   * else by name and tag.
   * @returns undefined when no local image answers to it (or it is not a reference).
   */
  find(reference: string): T | undefined {
    const id = parseImageId(reference);
    if (id) return this.byId.get(id.id);
    for (const c of lookupCandidates(reference, this.rules)) {
      const hit = c.digest !== undefined ? this.byDigest.get(`${c.name}@${c.digest}`) : this.byName.get(`${c.name}:${c.tag}`);
      if (hit) return hit;
    }
    return undefined;
  }

  /**
   * How to show a listed tag: the way a user types it (`team/base:1`, `busybox:latest`) when
   * that short name finds this very tag on this engine, else the full name
   * (`docker.io/library/x:1` on Podman while a `localhost/x:1` also exists). Tags on a registry
   * outside the rules keep their registry (`localhost:5000/app:1`; `localhost/x:1` on Docker).
   */
  displayName(tag: string): string {
    const r = tryParseReference(tag);
    if (!r || r.tag === undefined) return tag;
    if (!this.rules.shortNameDomains.includes(r.domain)) return r.familiar;
    const short = `${shortPath(r)}:${r.tag}`;
    const found = lookupCandidates(short, this.rules).find((c) => this.byName.has(`${c.name}:${c.tag}`));
    return found && found.name === r.name ? short : r.canonical;
  }
}

/**
 * Find the local image a reference resolves to ({@link LocalImageIndex.find}), from the engine's
 * image list. `rules`: the engine's name rules (default Docker's).
 * @returns the first matching image, or undefined when none is present locally.
 */
export function findLocalImage<T extends LocalImageSummary>(images: readonly T[], reference: string, rules: NameRules = DOCKER_NAME_RULES): T | undefined {
  const index = new LocalImageIndex(
    images.map((image) => ({ id: image.Id, repoTags: image.RepoTags ?? [], repoDigests: image.RepoDigests ?? [], image })),
    rules,
  );
  return index.find(reference)?.image;
}
