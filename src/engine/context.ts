/**
 * Build context as a streamed tar: the context folder walked file by file into a `tar-stream`
 * pack, honouring `.dockerignore` (matched by `@balena/dockerignore`, which reproduces the
 * engine's pattern rules), with the Dockerfile text injected under its own name. Nothing is
 * buffered beyond one read chunk per file: the pack applies back-pressure from the consumer
 * (the HTTP request to the engine), so memory stays flat whatever the context size.
 *
 * Like the docker CLI: entries are owned by uid/gid 0, directories are walked in lexical order,
 * an excluded directory is skipped entirely unless a `!exception` pattern could re-include
 * something inside it, sockets and FIFOs are left out, symlinks are stored as symlinks.
 */
import createIgnore from '@balena/dockerignore';
import { promises as fsp, createReadStream, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { pack as createPack, type Pack } from 'tar-stream';
import type { Readable } from 'node:stream';

/** Name the editor's Dockerfile text is sent under (chosen not to clash with user files). */
export const INJECTED_DOCKERFILE_NAME = '.container-lineage.Dockerfile';
const DOCKERIGNORE = '.dockerignore';

/** Options of {@link packBuildContext}. */
export interface PackOptions {
  /** Absolute path of the build context folder. */
  contextDir: string;
  /**
   * Dockerfile text to send (e.g. an unsaved editor buffer). It is stored as
   * {@link INJECTED_DOCKERFILE_NAME} and always included; the engine removes it (and, when the
   * user has no .dockerignore, the generated .dockerignore) from the context after reading it,
   * so `COPY . /x` does not pick it up.
   */
  dockerfileText?: string;
  /** Stops the walk; the stream is destroyed with an AbortError. */
  signal?: AbortSignal;
}

/** Totals of a packed context. */
export interface ContextStats {
  /** Regular files sent (including the injected Dockerfile and .dockerignore). */
  files: number;
  /** Directories and symlinks sent. */
  others: number;
  /** Paths left out by .dockerignore (an excluded directory counts once). */
  excluded: number;
  /** Bytes of file content sent (tar headers and padding not counted). */
  bytes: number;
}

/** A packed context: the tar stream to send, and its totals once it has been fully read. */
export interface PackedContext {
  /** The tar stream (uncompressed). */
  stream: Readable;
  /** Resolves when the last entry has been written; rejects when the walk failed. */
  done: Promise<ContextStats>;
}

/** Read `.dockerignore` patterns the way the engine does: BOM and CRLF tolerated. */
export function parseDockerignore(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

async function readDockerignore(contextDir: string): Promise<{ text?: string; patterns: string[] }> {
  try {
    const text = await fsp.readFile(join(contextDir, DOCKERIGNORE), 'utf8');
    return { text, patterns: parseDockerignore(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { patterns: [] };
    throw err;
  }
}

function writeEntry(pack: Pack, header: Parameters<Pack['entry']>[0], body?: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, body ?? '', (err) => (err ? reject(err) : resolve()));
  });
}

function streamFile(pack: Pack, header: Parameters<Pack['entry']>[0], path: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    const rs = createReadStream(path, { signal });
    rs.on('error', (err) => {
      entry.destroy(err);
      reject(err);
    });
    rs.pipe(entry as unknown as NodeJS.WritableStream);
  });
}

/**
 * Start packing a build context. The walk runs as the consumer reads.
 * @returns the tar stream and a promise of its totals.
 * @throws nothing synchronously; a missing context folder or unreadable file destroys the
 *   stream with that error (and rejects `done`).
 */
export function packBuildContext(options: PackOptions): PackedContext {
  const pack = createPack();
  const { contextDir, dockerfileText, signal } = options;
  const stats: ContextStats = { files: 0, others: 0, excluded: 0, bytes: 0 };

  const run = async (): Promise<ContextStats> => {
    const st = await fsp.stat(contextDir);
    if (!st.isDirectory()) throw new Error(`build context ${contextDir} is not a folder`);
    const ignore = await readDockerignore(contextDir);
    const matcher = createIgnore({ ignorecase: false }).add(ignore.patterns);
    // Exception patterns ("!keep/this"), cleaned like the matcher does, for the docker CLI's
    // rule: an excluded directory is walked only when an exception starts with its path.
    const exceptions = ignore.patterns
      .filter((p) => p.startsWith('!'))
      .map((p) => posix.normalize(p.slice(1).trim().replace(/^\/+/, '')).replace(/\/+$/, ''));
    const mayReinclude = (rel: string): boolean => exceptions.some((e) => `${e}/`.startsWith(`${rel}/`));
    const now = new Date();

    if (dockerfileText !== undefined) {
      const body = Buffer.from(dockerfileText, 'utf8');
      await writeEntry(pack, { name: INJECTED_DOCKERFILE_NAME, size: body.length, mode: 0o644, mtime: now, uid: 0, gid: 0 }, body);
      stats.files++;
      stats.bytes += body.length;
      // The engine drops the Dockerfile and .dockerignore from the context when .dockerignore
      // lists them; list our injected name so COPY . never sees it, and when the user has no
      // .dockerignore, list the generated one too (the context then equals the folder).
      const lines = ignore.text === undefined
        ? `${INJECTED_DOCKERFILE_NAME}\n${DOCKERIGNORE}\n`
        : `${ignore.text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n')}\n${INJECTED_DOCKERFILE_NAME}\n`;
      const ig = Buffer.from(lines, 'utf8');
      await writeEntry(pack, { name: DOCKERIGNORE, size: ig.length, mode: 0o644, mtime: now, uid: 0, gid: 0 }, ig);
      stats.files++;
      stats.bytes += ig.length;
    }

    const walk = async (dirAbs: string, dirRel: string): Promise<void> => {
      const names: string[] = [];
      const dir = await fsp.opendir(dirAbs);
      for await (const d of dir) names.push(d.name);
      names.sort();
      for (const name of names) {
        signal?.throwIfAborted();
        const rel = dirRel === '' ? name : `${dirRel}/${name}`;
        if (dockerfileText !== undefined && dirRel === '' && (name === INJECTED_DOCKERFILE_NAME || name === DOCKERIGNORE)) continue;
        const abs = join(dirAbs, name);
        let s: Stats;
        try {
          s = await fsp.lstat(abs);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed while walking
          throw err;
        }
        const excluded = matcher.ignores(rel);
        const mode = s.mode & 0o7777;
        const base = { mtime: s.mtime, uid: 0, gid: 0, mode };
        if (s.isDirectory()) {
          if (excluded) {
            stats.excluded++;
            if (mayReinclude(rel)) await walk(abs, rel);
            continue;
          }
          await writeEntry(pack, { ...base, name: `${rel}/`, type: 'directory' });
          stats.others++;
          await walk(abs, rel);
          continue;
        }
        if (excluded) {
          stats.excluded++;
          continue;
        }
        if (s.isSymbolicLink()) {
          const target = await fsp.readlink(abs);
          await writeEntry(pack, { ...base, name: rel, type: 'symlink', linkname: target });
          stats.others++;
        } else if (s.isFile()) {
          await streamFile(pack, { ...base, name: rel, size: s.size, type: 'file' }, abs, signal);
          stats.files++;
          stats.bytes += s.size;
        }
        // sockets, FIFOs and devices are not part of a build context (the docker CLI skips them too)
      }
    };
    await walk(contextDir, '');
    pack.finalize();
    return stats;
  };

  // Errors reach the consumer through `done` and the stream's 'error' event; this listener only
  // keeps an error emitted before the consumer subscribed from becoming an uncaught exception.
  pack.on('error', () => undefined);
  const done = run();
  done.catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  return { stream: pack as unknown as Readable, done };
}
