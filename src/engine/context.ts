/**
 * Build context as a streamed tar: the context folder walked entry by entry, honouring
 * `.dockerignore` (contextIgnore.ts), with the Dockerfile text injected under its own name. Headers are encoded by node-tar
 * (`contextTar.ts`) into 1 MiB chunks; the stream applies back-pressure from the consumer (the
 * HTTP request to the engine): the walk only goes on when the consumer asks for more, so memory
 * stays flat whatever the context size.
 *
 * Like the docker CLI: entries are owned by uid/gid 0, directories are walked in lexical order,
 * an excluded directory is skipped entirely unless a `!exception` pattern could re-include
 * something inside it, sockets and FIFOs are left out, symlinks are stored as symlinks.
 *
 * Speed: the file system is read with synchronous calls, like `tar` does (an asynchronous call
 * costs about ten times its system call in thread-pool hand-offs and callbacks, which dominated
 * packing time for contexts of many small files: bench/build-context prints the breakdown). To
 * keep the event loop (the extension host) responsive the walk runs in slices of at most
 * {@link SLICE_MS} ms between event-loop turns, and stops whenever the consumer is full. The
 * walk itself is hand-written because it is the project's own semantics (.dockerignore
 * exceptions, the injected Dockerfile); tar-fs and node-tar's own packer walk the folder with
 * one asynchronous call per step and measured 8 to 10 times GNU tar's time here. What is left
 * is mostly node's synchronous fs calls themselves: bench/build-context prints their floor on the
 * same files (walk, lstat, open/read/close and nothing else), which alone took 1.3 to 1.7 times
 * tar's CPU time here; spawning GNU tar with our file list (a quick prototype) measured slower,
 * its output then passing through this process a second time. So past the first
 * {@link READ_AHEAD_AFTER} small files, the lstat of every entry and the open/read/close of
 * small files move to a worker thread (contextReadAhead.ts) that handles batches of them while
 * this thread lists folders, matches `.dockerignore` and writes the tar: the system calls run on
 * two cores, and the walk goes on (planning at most two batches ahead) while the consumer is
 * full. The walk descends by the file types of the listing (`readdir` with types), and an entry
 * whose lstat (the worker's, or this thread's for the first ones) finds a folder when the
 * listing said otherwise (or the other way round) fails the packing as changed. Files larger
 * than a chunk are still read here, piece by piece as the consumer asks (reading them on the
 * thread pool instead measured slower).
 */
import { promises as fsp, lstatSync, readdirSync, readlinkSync, type Dirent, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { TarChunkWriter, CHUNK_BYTES, readInOne, type TarEntryType } from './contextTar';
import { DOCKERIGNORE, loadDockerignore } from './contextIgnore';
import { ReadAheadQueue, type ReadyEntry } from './contextReadAhead';

export { parseDockerignore } from './contextIgnore';

/** Name the editor's Dockerfile text is sent under (chosen not to clash with user files). */
export const INJECTED_DOCKERFILE_NAME = '.container-lineage.Dockerfile';
/** Longest stretch (ms) the walk runs before letting the event loop take a turn. */
export const SLICE_MS = 8;
/**
 * Small files read on the packing thread before the rest are handed to the read-ahead worker
 * (contextReadAhead.ts): a context this small is packed before a worker would have started.
 */
export const READ_AHEAD_AFTER = 256;

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
  /** When given, filled with where the packing time went (for bench/build-context). */
  timings?: ContextTimings;
  /**
   * Small files read on the packing thread before the read-ahead worker takes over (default
   * {@link READ_AHEAD_AFTER}; `Infinity` never starts it). The tar is the same byte for byte.
   */
  readAheadAfter?: number;
}

/**
 * Where packing time went, in ms of wall time on the packing thread (each field summed over
 * the whole context). What is left of the total is event-loop turns and the consumer's own work.
 */
export interface ContextTimings {
  /** Listing directories (`readdir`) and sorting the names. */
  readdir: number;
  /** `.dockerignore` matching of each path. */
  match: number;
  /** `lstat` of each entry (and `readlink` of symlinks) taken on this thread: the first ones, before the read-ahead worker starts. */
  stat: number;
  /** Encoding tar headers into the chunk. */
  header: number;
  /** Reading the bodies of files that fit in a chunk (open, read, close), and opening larger ones. */
  read: number;
  /** Reading the bodies of files larger than a chunk (read piece by piece as the consumer asks). */
  readLarge: number;
  /** Waiting for the consumer to ask for more (back-pressure), from a full chunk to the next read. */
  wait: number;
  /** Waiting for the read-ahead worker's next batch of small-file bodies (the walk was ahead by {@link MAX_IN_FLIGHT} batches). */
  readAhead: number;
  /** Slices the walk ran in. */
  slices: number;
  /** Chunks handed to the consumer. */
  chunks: number;
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


/** One directory being walked: its names in lexical order and the next one to visit. */
interface Frame {
  /** Absolute path with a trailing slash. */
  dir: string;
  /** Path in the context ('' for the context folder itself). */
  rel: string;
  /** Its entries in lexical order of their names, with the file type the listing gave. */
  entries: Dirent[];
  next: number;
}

/** The error for an entry the listing called a folder that is not one any more, or the other way round (the walk has already gone into it, or past it). */
const replacedWhilePacking = (rel: string): Error => new Error(`${rel} was replaced while the build context was being packed; build again once it is written`);

const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Start packing a build context. The walk runs as the consumer reads (see the module comment
 * for how it shares the event loop).
 * @returns the tar stream and a promise of its totals.
 * @throws nothing synchronously; a missing context folder or unreadable file destroys the
 *   stream with that error (and rejects `done`); a file whose size changes while it is read
 *   fails it with a message naming the file; an abort rejects `done` with the signal's reason.
 */
export function packBuildContext(options: PackOptions): PackedContext {
  const { dockerfileText, signal, timings: t } = options;
  let readAheadAfter = options.readAheadAfter ?? READ_AHEAD_AFTER;
  const contextDir = resolve(options.contextDir);
  const stats: ContextStats = { files: 0, others: 0, excluded: 0, bytes: 0 };
  let resolveDone!: (s: ContextStats) => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<ContextStats>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined); // callers await it; never an unhandled rejection meanwhile
  let settled = false;
  let ready = false;
  let scheduled = false;
  let waitingSince = 0;
  const stack: Frame[] = [];
  // Read-ahead (contextReadAhead.ts), once READ_AHEAD_AFTER small files have been read here.
  let readAhead: ReadAheadQueue | undefined;
  let smallFiles = 0;
  let walkDone = false;
  let readWaitSince = 0;
  let matches: (rel: string) => boolean = () => false;
  let mayReinclude: (rel: string) => boolean = () => false;

  const onAbort = (): void => {
    stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('build context packing aborted'));
  };
  const settle = (err?: unknown): void => {
    if (settled) return;
    settled = true;
    signal?.removeEventListener('abort', onAbort);
    writer.closeFile();
    readAhead?.dispose();
    if (err === undefined) resolveDone(stats);
    else rejectDone(err);
  };

  const stream = new Readable({
    highWaterMark: 2 * CHUNK_BYTES,
    read() {
      if (t && waitingSince) {
        t.wait += performance.now() - waitingSince;
        waitingSince = 0;
      }
      writer.resume();
      schedule();
    },
    destroy(err, callback) {
      settle(err ?? new Error('the build context stream was closed before the whole context was read'));
      callback(err);
    },
  });
  // Errors reach the consumer through `done` and the stream's 'error' event; this listener only
  // keeps an error emitted before the consumer subscribed from becoming an uncaught exception.
  stream.on('error', () => undefined);
  const writer = new TarChunkWriter((chunk) => {
    if (t) t.chunks++;
    return stream.push(chunk);
  });

  const openFrame = (dir: string, rel: string): Frame => {
    const t0 = t ? performance.now() : 0;
    // with file types (d_type; node lstats the entries a file system leaves untyped): the walk
    // knows the folders to descend into without an lstat of its own
    let entries = readdirSync(dir, { withFileTypes: true });
    if (dockerfileText !== undefined && rel === '') entries = entries.filter((d) => d.name !== INJECTED_DOCKERFILE_NAME && d.name !== DOCKERIGNORE);
    entries.sort(byName); // code-unit order, as Array.prototype.sort orders names
    if (t) t.readdir += performance.now() - t0;
    return { dir: dir.endsWith('/') ? dir : `${dir}/`, rel, entries, next: 0 };
  };

  // Timings are taken only when asked for (bench/build-context); otherwise `clock` is a constant.
  const clock = t ? () => performance.now() : () => 0;
  const visit = (frame: Frame, d: Dirent): void => {
    const name = d.name;
    const rel = frame.rel === '' ? name : `${frame.rel}/${name}`;
    const abs = frame.dir + name;
    const t0 = clock();
    const excluded = matches(rel);
    if (t) t.match += clock() - t0;
    const dir = d.isDirectory();
    if (excluded) {
      stats.excluded++;
      if (dir && mayReinclude(rel)) stack.push(openFrame(abs, rel));
      return;
    }
    if (!dir && !d.isFile() && !d.isSymbolicLink()) return; // sockets, FIFOs and devices are not part of a build context (the docker CLI skips them too)
    if (!readAhead && smallFiles >= readAheadAfter) startReadAhead();
    if (readAhead) {
      readAhead.add({ rel, abs, dir }); // the worker takes its lstat (and reads it when small)
      if (dir) stack.push(openFrame(abs, rel));
      return;
    }
    const t1 = clock();
    const s: Stats | undefined = lstatSync(abs, { throwIfNoEntry: false });
    const t2 = clock();
    if (t) t.stat += t2 - t1;
    if (!s) return; // removed while walking
    if (s.isDirectory() !== dir) throw replacedWhilePacking(rel);
    const mode = s.mode & 0o7777;
    if (s.isDirectory()) {
      writeEntry('Directory', rel, abs, mode, s.mtimeMs, 0);
      stack.push(openFrame(abs, rel));
    } else if (s.isFile()) {
      if (readInOne(s.size)) smallFiles++;
      writeEntry('File', rel, abs, mode, s.mtimeMs, s.size);
    } else if (s.isSymbolicLink()) {
      const linkname = readlinkSync(abs);
      if (t) t.stat += clock() - t2;
      writeEntry('SymbolicLink', rel, abs, mode, s.mtimeMs, 0, linkname);
    }
  };
  /**
   * Write one entry and count it: its header, and a file's body (`body`, already read with
   * `got` bytes, or read here from `abs`: in one call when small, else piece by piece).
   */
  const writeEntry = (kind: TarEntryType, rel: string, abs: string, mode: number, mtimeMs: number, size: number, linkpath?: string, body?: Buffer, got = 0): void => {
    const t0 = clock();
    writer.writeHeader(kind, rel, mode, mtimeMs, size, linkpath);
    const t1 = clock();
    if (kind === 'File') {
      stats.files++;
      stats.bytes += size;
      if (body) writer.writeBody(rel, body, size, got);
      else writer.readBody(rel, abs, size);
    } else stats.others++;
    if (t) {
      t.header += t1 - t0;
      t.read += clock() - t1;
    }
  };

  const schedule = (): void => {
    if (scheduled || settled || !ready) return;
    scheduled = true;
    setImmediate(pump);
  };
  const startReadAhead = (): void => {
    try {
      readAhead = new ReadAheadQueue(
        () => {
          if (t && readWaitSince) {
            t.readAhead += performance.now() - readWaitSince;
            readWaitSince = 0;
          }
          schedule();
        },
        (err) => stream.destroy(err),
      );
    } catch {
      readAheadAfter = Infinity; // no thread could be started: go on reading here, as for a small context
    }
  };
  /**
   * Write an entry planned for the read-ahead, as the worker's lstat found it (its body from the
   * worker, or read here when it is large).
   * @throws the worker's error for it (e.g. EACCES), or an Error when a folder the walk went
   *   into is not one any more (or the other way round).
   */
  const writePlanned = ({ entry: e, results: r, slot }: ReadyEntry): void => {
    const kind = r.kind(slot);
    if (kind === 'error') throw r.error(slot);
    if (kind === 'gone' || kind === 'other') return; // removed (or replaced by a socket) since the listing
    if ((kind === 'Directory') !== e.dir) throw replacedWhilePacking(e.rel);
    // a file without a body from the worker is larger than a chunk, or past the batch's bytes
    writeEntry(kind, e.rel, e.abs, r.mode(slot), r.mtimeMs(slot), r.size(slot), r.linkpath(slot), r.body(slot), r.got(slot));
  };
  /**
   * One slice of the walk: until the consumer is full, the slice's time is up, the read-ahead
   * worker is behind, or the end. Each step writes the next entry whose body has been read, or
   * walks one more entry when the read-ahead has room.
   */
  const pump = (): void => {
    scheduled = false;
    if (settled) return;
    if (t) t.slices++;
    const deadline = performance.now() + SLICE_MS;
    let visited = 0;
    let behind = false;
    try {
      for (;;) {
        if (signal?.aborted) return onAbort();
        if (!writer.paused) {
          if (writer.reading) {
            const t0 = clock();
            writer.continueFile(deadline);
            if (t) t.readLarge += clock() - t0;
            if (writer.reading) break;
            continue;
          }
          const ready = readAhead?.next();
          if (ready) {
            writePlanned(ready);
            if ((++visited & 31) === 0 && performance.now() > deadline) break;
            continue;
          }
        }
        // Walk on: to write (without read-ahead), or to plan the next batch, even while the
        // consumer is full (the read-ahead then uses the time the consumer takes).
        const walk = readAhead ? readAhead.hasRoom : !writer.paused;
        if (!walkDone && walk) {
          const frame = stack[stack.length - 1];
          if (!frame) {
            walkDone = true;
            readAhead?.seal();
            continue;
          }
          if (frame.next === frame.entries.length) {
            stack.pop();
            continue;
          }
          visit(frame, frame.entries[frame.next++]!);
          // the clock every 32 entries (a few hundred µs of small files): reading it costs about
          // as much as a tar header
          if ((++visited & 31) === 0 && performance.now() > deadline) break;
          continue;
        }
        if (writer.paused) break; // the consumer's next read schedules the next slice
        if (readAhead?.pending) {
          behind = true; // the worker's reply schedules the next slice
          if (t) readWaitSince = performance.now();
          break;
        }
        writer.finish();
        stream.push(null);
        settle();
        return;
      }
      if (!writer.paused) writer.flush(); // the slice is over: hand over what is ready
      if (!writer.paused && !behind) schedule();
      else if (t && writer.paused) waitingSince = performance.now();
    } catch (err) {
      stream.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  };

  const setup = async (): Promise<void> => {
    signal?.throwIfAborted();
    signal?.addEventListener('abort', onAbort, { once: true });
    const st = await fsp.stat(contextDir);
    if (!st.isDirectory()) throw new Error(`build context ${contextDir} is not a folder`);
    const ignore = await loadDockerignore(contextDir);
    matches = ignore.matches;
    mayReinclude = ignore.mayReinclude;
    if (settled) return;
    const now = Date.now();
    if (dockerfileText !== undefined) {
      const body = Buffer.from(dockerfileText, 'utf8');
      writer.writeBuffer(INJECTED_DOCKERFILE_NAME, 0o644, now, body);
      // The engine drops the Dockerfile and .dockerignore from the context when .dockerignore
      // lists them; list our injected name so COPY . never sees it, and when the user has no
      // .dockerignore, list the generated one too (the context then equals the folder).
      const lines = ignore.text === undefined
        ? `${INJECTED_DOCKERFILE_NAME}\n${DOCKERIGNORE}\n`
        : `${ignore.text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n')}\n${INJECTED_DOCKERFILE_NAME}\n`;
      const ig = Buffer.from(lines, 'utf8');
      writer.writeBuffer(DOCKERIGNORE, 0o644, now, ig);
      stats.files += 2;
      stats.bytes += body.length + ig.length;
    }
    stack.push(openFrame(contextDir, ''));
    ready = true;
    schedule();
  };
  setup().catch((err: unknown) => stream.destroy(err instanceof Error ? err : new Error(String(err))));
  return { stream, done };
}
