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
import { promises as fsp, createReadStream, lstat, readFile, readlink, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { join, posix } from 'node:path';
import { pack as createPack, type Pack } from 'tar-stream';
import type { Readable } from 'node:stream';

/** Name the editor's Dockerfile text is sent under (chosen not to clash with user files). */
export const INJECTED_DOCKERFILE_NAME = '.container-lineage.Dockerfile';
const DOCKERIGNORE = '.dockerignore';
// The callback forms of fs, promisified: per call they cost a fraction of fs/promises (no
// FileHandle objects), which dominates packing time for contexts of many small files.
const lstatAsync = promisify(lstat);
const readFileAsync = promisify(readFile);
const readlinkAsync = promisify(readlink);
/** Files up to this size (bytes) are read in one call; larger ones are streamed in chunks. */
const SMALL_FILE_BYTES = 64 * 1024;
/** Read size for large files: small chunks let the garbage collector reclaim them sooner. */
const READ_CHUNK_BYTES = 16 * 1024;
/** Entries with in-memory bodies handed to the pack without waiting for each to settle. */
const IN_FLIGHT = 16;
/** Directory entries prepared (lstat, small-file read) ahead of the writer. */
const LOOKAHEAD = 16;

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
    const rs = createReadStream(path, { signal, highWaterMark: READ_CHUNK_BYTES });
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

    // Entries with an in-memory body are not awaited one by one (tar-stream settles each entry a
    // few ticks later, which would dominate the time for small files); at most IN_FLIGHT are
    // outstanding, each at most SMALL_FILE_BYTES, and the pack queues them in order and holds
    // their callbacks until the consumer drains, so back-pressure and the memory bound remain.
    const inflight: Array<Promise<void>> = [];
    const writeBuffered = async (header: Parameters<Pack['entry']>[0], body?: Buffer): Promise<void> => {
      const p = writeEntry(pack, header, body);
      p.catch(() => undefined); // awaited below
      inflight.push(p);
      if (inflight.length >= IN_FLIGHT) await inflight.shift();
    };

    /** What is known about one directory entry before it is written. */
    interface Prepared {
      name: string;
      rel: string;
      abs: string;
      stat?: Stats;
      excluded: boolean;
      /** Content of a small regular file (read ahead). */
      body?: Buffer;
      linkname?: string;
    }
    // lstat + small-file reads run ahead of the writer (at most LOOKAHEAD entries, so at most
    // LOOKAHEAD × SMALL_FILE_BYTES bytes are held); entries are still written in order.
    const prepare = async (dirAbs: string, dirRel: string, name: string): Promise<Prepared> => {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      const abs = join(dirAbs, name);
      const excluded = matcher.ignores(rel);
      let stat: Stats;
      try {
        stat = await lstatAsync(abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { name, rel, abs, excluded }; // removed while walking
        throw err;
      }
      const p: Prepared = { name, rel, abs, stat, excluded };
      if (!excluded && stat.isFile() && stat.size <= SMALL_FILE_BYTES) p.body = await readFileAsync(abs);
      if (!excluded && stat.isSymbolicLink()) p.linkname = await readlinkAsync(abs);
      return p;
    };

    const walk = async (dirAbs: string, dirRel: string): Promise<void> => {
      const names: string[] = [];
      const dir = await fsp.opendir(dirAbs);
      for await (const d of dir) {
        if (dockerfileText !== undefined && dirRel === '' && (d.name === INJECTED_DOCKERFILE_NAME || d.name === DOCKERIGNORE)) continue;
        names.push(d.name);
      }
      names.sort();
      const window: Array<Promise<Prepared>> = [];
      let next = 0;
      const fill = () => {
        while (window.length < LOOKAHEAD && next < names.length) {
          const pr = prepare(dirAbs, dirRel, names[next++]!);
          pr.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
          window.push(pr);
        }
      };
      fill();
      while (window.length > 0) {
        signal?.throwIfAborted();
        const e = await window.shift()!;
        fill();
        const s = e.stat;
        if (!s) continue;
        const mode = s.mode & 0o7777;
        const base = { mtime: s.mtime, uid: 0, gid: 0, mode };
        if (s.isDirectory()) {
          if (e.excluded) {
            stats.excluded++;
            if (mayReinclude(e.rel)) await walk(e.abs, e.rel);
            continue;
          }
          await writeBuffered({ ...base, name: `${e.rel}/`, type: 'directory' });
          stats.others++;
          await walk(e.abs, e.rel);
          continue;
        }
        if (e.excluded) {
          stats.excluded++;
          continue;
        }
        if (s.isSymbolicLink()) {
          await writeBuffered({ ...base, name: e.rel, type: 'symlink', linkname: e.linkname ?? '' });
          stats.others++;
        } else if (s.isFile()) {
          if (e.body) {
            if (e.body.length !== s.size) throw new Error(`${e.rel} changed size while the build context was being packed`);
            await writeBuffered({ ...base, name: e.rel, size: e.body.length, type: 'file' }, e.body);
          } else {
            await streamFile(pack, { ...base, name: e.rel, size: s.size, type: 'file' }, e.abs, signal);
          }
          stats.files++;
          stats.bytes += s.size;
        }
        // sockets, FIFOs and devices are not part of a build context (the docker CLI skips them too)
      }
    };
    await walk(contextDir, '');
    while (inflight.length > 0) await inflight.shift();
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
