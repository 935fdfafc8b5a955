/**
 * `.dockerignore` of a build context, as the engine reads it: patterns matched by
 * `@balena/dockerignore` (which reproduces the engine's pattern rules), BOM and CRLF tolerated,
 * and the docker CLI's rule for walking an excluded directory only when an exception could
 * re-include something inside it. Used by context.ts.
 */
import createIgnore from '@balena/dockerignore';
import { promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';

export const DOCKERIGNORE = '.dockerignore';

/** Read `.dockerignore` patterns the way the engine does: BOM and CRLF tolerated. */
export function parseDockerignore(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** A context's `.dockerignore`, ready to match paths in the context (posix, no leading slash). */
export interface LoadedDockerignore {
  /** The file's text, undefined when the context has none. */
  text?: string;
  patterns: string[];
  /** True when `rel` is excluded. */
  matches(rel: string): boolean;
  /** True when an exception pattern starts with the directory `rel`: walk it even though excluded. */
  mayReinclude(rel: string): boolean;
}

/**
 * Read and compile `<contextDir>/.dockerignore`.
 * @throws the read error when the file exists and cannot be read (a missing file is no patterns).
 */
export async function loadDockerignore(contextDir: string): Promise<LoadedDockerignore> {
  let text: string | undefined;
  try {
    text = await fsp.readFile(join(contextDir, DOCKERIGNORE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const patterns = text === undefined ? [] : parseDockerignore(text);
  let matches: (rel: string) => boolean = () => false;
  if (patterns.length > 0) {
    const matcher = createIgnore({ ignorecase: false }).add(patterns);
    // `ignores` keeps every path it was asked about in a cache that only grows (an object
    // keyed by path, one entry per file of the context); each path is asked once here, so
    // call the uncached test behind it when this version of the library has it.
    const test = (matcher as unknown as { _test?: (p: string) => boolean })._test;
    matches = typeof test === 'function' ? (rel) => !test.call(matcher, rel) : (rel) => matcher.ignores(rel);
  }
  // Exception patterns ("!keep/this"), cleaned like the matcher does, for the docker CLI's
  // rule: an excluded directory is walked only when an exception starts with its path.
  const exceptions = patterns
    .filter((p) => p.startsWith('!'))
    .map((p) => posix.normalize(p.slice(1).trim().replace(/^\/+/, '')).replace(/\/+$/, ''));
  const mayReinclude = (rel: string): boolean => exceptions.some((e) => `${e}/`.startsWith(`${rel}/`));
  return { text, patterns, matches, mayReinclude };
}
