/**
 * Read-ahead of build-context entries on a worker thread (used by context.ts): while the walk
 * (readdir, `.dockerignore`, tar headers) goes on on the calling thread, a worker takes the
 * `lstat` of the entries walked before (and `readlink` of symlinks), and opens, reads and closes
 * the small files among them, batch by batch, so the system calls run on two cores. The walk
 * knows from the directory listing (`readdir` with file types) which entries are folders to
 * descend into, so it needs no `lstat` of its own. Results come back in one transferred buffer
 * per batch (no copy on the way), in walk order; the caller writes them into the tar in order.
 * At most {@link MAX_IN_FLIGHT} batches are out at a time, and the worker reads at most
 * {@link BATCH_BYTES_MAX} bytes of bodies per batch (a file past that is read by the caller), so
 * memory stays bounded whatever the context size.
 *
 * The worker's code is a few lines of plain `node:fs` calls, given to `new Worker` as source text
 * (`eval: true`) so it needs no file of its own in the extension bundle and no TypeScript loader
 * in tests. Why a worker and not the thread pool: an asynchronous fs call costs about ten times
 * its system call in hand-offs (see context.ts), one message per batch of hundreds does not.
 */
import { Worker } from 'node:worker_threads';
import { SMALL_FILE_MAX } from './contextTar';

/** Most entries in one batch. */
export const BATCH_FILES = 512;
/** Body bytes (sizes + 1 each) a batch aims at: the walk seals a batch early when the files seen so far say it would hold more. */
export const BATCH_BYTES = 1 << 20;
/** Most body bytes the worker reads for one batch (unless one file alone is bigger); files past it are left to the caller. */
export const BATCH_BYTES_MAX = 2 * BATCH_BYTES;
/** Most batches sent and not yet written. */
export const MAX_IN_FLIGHT = 2;


/** Fields per entry in a batch's `meta`: kind, mode, size, mtimeMs, body offset (-1: not read), bytes read. */
const META = 6;
/** What the worker's `lstat` found, as numbered in `meta`. */
const KINDS = ['gone', 'File', 'Directory', 'SymbolicLink', 'other', 'error'] as const;
/** What an entry turned out to be: a tar entry type, `gone` (removed since the walk listed it), `other` (socket, FIFO, device), or `error` (see {@link EntryResults.error}). */
export type EntryKind = (typeof KINDS)[number];

/** lstats and reads the entries of one message; posts back their metadata and the small files' bodies, each at its offset with room for size + 1 bytes. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { lstatSync, openSync, readSync, closeSync, readlinkSync } = require('node:fs');
const { smallMax, bytesMax, META } = workerData;
const describe = (index, err) => ({ index, message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path });
parentPort.on('message', ({ id, joined }) => {
  const paths = joined.split('\\0');
  const n = paths.length;
  const meta = new Float64Array(n * META);
  const links = [];
  const errors = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = i * META;
    meta[m + 4] = -1;
    try {
      const s = lstatSync(paths[i], { throwIfNoEntry: false });
      if (s === undefined) continue; // kind 0: gone
      meta[m + 1] = s.mode & 0o7777;
      meta[m + 3] = s.mtimeMs;
      if (s.isFile()) {
        meta[m] = 1;
        meta[m + 2] = s.size;
        if (s.size <= smallMax && (total === 0 || total + s.size + 1 <= bytesMax)) {
          meta[m + 4] = total;
          total += s.size + 1;
        }
      } else if (s.isDirectory()) meta[m] = 2;
      else if (s.isSymbolicLink()) {
        meta[m] = 3;
        links.push(i, readlinkSync(paths[i]));
      } else meta[m] = 4;
    } catch (err) {
      meta[m] = 5;
      errors.push(describe(i, err));
    }
  }
  const ab = new ArrayBuffer(total);
  const buf = Buffer.from(ab);
  for (let i = 0; i < n; i++) {
    const m = i * META;
    const off = meta[m + 4];
    if (off < 0) continue;
    const size = meta[m + 2];
    let fd = -1;
    try {
      fd = openSync(paths[i], 'r');
      // one byte more than the size, to notice a file that grew; a short read is the end
      let r = readSync(fd, buf, off, size + 1, null);
      let g = r;
      while (g < size && r > 0) {
        r = readSync(fd, buf, off + g, size + 1 - g, null);
        g += r;
      }
      meta[m + 5] = g;
    } catch (err) {
      meta[m] = 5;
      meta[m + 4] = -1;
      errors.push(describe(i, err));
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  parentPort.postMessage({ id, ab, meta, links, errors }, [ab, meta.buffer]);
});
`;

let live = 0;
/** Read-ahead workers started and not yet exited (each packing uses at most one; tests check none is left behind). */
export function liveReadAheadWorkers(): number {
  return live;
}

/** A file system error as the worker saw it, rebuilt as an Error with the same fields. */
interface WorkerError {
  index: number;
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/**
 * One batch as the worker found it, entry `k` in the order sent: what it is, its lstat fields,
 * and for a small file its body.
 */
export interface EntryResults {
  kind(k: number): EntryKind;
  /** Permission bits. */
  mode(k: number): number;
  /** Bytes (lstat size) of a file; 0 otherwise. */
  size(k: number): number;
  /** Modification time, ms since the epoch. */
  mtimeMs(k: number): number;
  /** Target of a symlink. */
  linkpath(k: number): string | undefined;
  /** The file's body (`got(k)` bytes, at most its size + 1), a view into the batch buffer; undefined when the worker did not read it (larger than a chunk, or past the batch's {@link BATCH_BYTES_MAX}). */
  body(k: number): Buffer | undefined;
  /** Bytes read of a file whose body was read: its size when unchanged, size + 1 when it grew, less when it shrank. */
  got(k: number): number;
  /** The error of an entry of kind `error` (its lstat, readlink, open or read failed: e.g. EACCES), rebuilt with the same code, errno, syscall and path. */
  error(k: number): Error | undefined;
  /** Body bytes the worker read for the whole batch (sizes + 1). */
  readonly bodyBytes: number;
}

interface Batch {
  id: number;
  results?: EntryResults;
}

interface Reply {
  id: number;
  ab: ArrayBuffer;
  meta: Float64Array;
  links: (number | string)[];
  errors: WorkerError[];
}

/**
 * A worker that lstats and reads batches of entries ahead of the tar writer. {@link send} a
 * batch (absolute paths), later take its {@link EntryResults} with {@link take} in the order
 * sent; `onArrive` is called when a batch has come back. Call {@link dispose} when done
 * (terminates the worker; batches out are dropped).
 * Errors of the worker itself (it could not start, or crashed) go to `onError`.
 * @throws from the constructor when no worker thread can be started.
 */
export class EntryReadAhead {
  private readonly worker: Worker;
  private readonly out: Batch[] = [];
  private nextId = 0;
  private disposed = false;

  constructor(onArrive: () => void, onError: (err: Error) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { smallMax: SMALL_FILE_MAX, bytesMax: BATCH_BYTES_MAX, META } });
    live++;
    this.worker.on('message', (m: Reply) => {
      const batch = this.out.find((b) => b.id === m.id);
      if (!batch || this.disposed) return;
      batch.results = resultsOf(m);
      onArrive();
    });
    this.worker.on('error', (err) => {
      if (!this.disposed) onError(err);
    });
    this.worker.on('exit', (code) => {
      live--;
      if (!this.disposed) onError(new Error(`the build context read-ahead worker stopped (exit code ${code})`));
    });
  }

  /** Batches sent and not yet taken. */
  get inFlight(): number {
    return this.out.length;
  }

  /** Send a batch of absolute paths. */
  send(paths: string[]): void {
    const id = this.nextId++;
    this.out.push({ id });
    // one string (a path cannot hold NUL): one clone on the way instead of one per path
    this.worker.postMessage({ id, joined: paths.join('\0') });
  }

  /** The oldest batch's results once they have arrived (removing it), else undefined. */
  take(): EntryResults | undefined {
    const head = this.out[0];
    if (!head?.results) return undefined;
    this.out.shift();
    return head.results;
  }

  /** Terminate the worker (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.out.length = 0;
    void this.worker.terminate();
  }
}

function resultsOf({ ab, meta, links, errors }: Reply): EntryResults {
  const buf = Buffer.from(ab);
  const targets = new Map<number, string>();
  for (let i = 0; i < links.length; i += 2) targets.set(links[i] as number, links[i + 1] as string);
  const failed = new Map(errors.map((e) => [e.index, e]));
  return {
    kind: (k) => KINDS[meta[k * META]!]!,
    mode: (k) => meta[k * META + 1]!,
    size: (k) => meta[k * META + 2]!,
    mtimeMs: (k) => meta[k * META + 3]!,
    linkpath: (k) => targets.get(k),
    body: (k) => {
      const off = meta[k * META + 4]!;
      return off < 0 ? undefined : buf.subarray(off, off + meta[k * META + 5]!);
    },
    got: (k) => meta[k * META + 5]!,
    error: (k) => {
      const e = failed.get(k);
      if (!e) return undefined;
      return Object.assign(new Error(e.message), { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path });
    },
    bodyBytes: ab.byteLength,
  };
}

/** An entry walked whose tar entry is not written yet. */
export interface PlannedEntry {
  /** Path in the context (the tar entry name). */
  rel: string;
  abs: string;
  /** True when the walk listed it as a folder (and descends into it). */
  dir: boolean;
}

/** A planned entry whose turn it is, with its batch's results (its own at `slot`). */
export interface ReadyEntry {
  entry: PlannedEntry;
  results: EntryResults;
  slot: number;
}

/** Entries walked in one batch, in walk order (all of them go to the worker). */
interface PlannedBatch {
  entries: PlannedEntry[];
  results?: EntryResults;
  next: number;
}

const newBatch = (): PlannedBatch => ({ entries: [], next: 0 });

/**
 * The walk's entries between their listing and their tar entry, in walk order: {@link add} them
 * as walked (a batch goes to the worker when it holds {@link BATCH_FILES} entries, or fewer when
 * the bodies of the batches back so far say it would hold more than {@link BATCH_BYTES}),
 * {@link seal} at the end of the walk, and write each {@link next} entry once its batch is
 * back. Walk only while {@link hasRoom}.
 */
export class ReadAheadQueue {
  private readonly reader: EntryReadAhead;
  private filling = newBatch();
  private readonly sent: PlannedBatch[] = [];
  /** Entries, and their body bytes, of the batches back so far (for the size of the next ones). */
  private seenEntries = 0;
  private seenBytes = 0;
  private batchLimit = BATCH_FILES;

  /** `onArrive` when a batch is back; `onError` when the worker fails (see {@link EntryReadAhead}). */
  constructor(onArrive: () => void, onError: (err: Error) => void) {
    this.reader = new EntryReadAhead(onArrive, onError);
  }

  /** True while fewer than {@link MAX_IN_FLIGHT} batches are out: the walk may go on. */
  get hasRoom(): boolean {
    return this.sent.length < MAX_IN_FLIGHT;
  }

  /** True while entries added are not all handed out by {@link next}. */
  get pending(): boolean {
    return this.sent.length > 0 || this.filling.entries.length > 0;
  }

  /** Add the next entry walked. */
  add(entry: PlannedEntry): void {
    if (this.filling.entries.push(entry) >= this.batchLimit) this.seal();
  }

  /** Send the batch being filled to the worker (when it holds anything). */
  seal(): void {
    if (this.filling.entries.length === 0) return;
    this.reader.send(this.filling.entries.map((e) => e.abs));
    this.sent.push(this.filling);
    this.filling = newBatch();
  }

  /** The oldest entry not yet handed out, once its batch is back; undefined while the worker is behind (or nothing is sent). */
  next(): ReadyEntry | undefined {
    const head = this.sent[0];
    if (!head) return undefined;
    if (!head.results) {
      const results = this.reader.take();
      if (!results) return undefined;
      head.results = results;
      this.seenEntries += head.entries.length;
      this.seenBytes += results.bodyBytes;
      const perEntry = this.seenBytes / this.seenEntries;
      this.batchLimit = Math.max(1, Math.min(BATCH_FILES, Math.floor(BATCH_BYTES / Math.max(perEntry, 1))));
    }
    const slot = head.next++;
    if (head.next === head.entries.length) this.sent.shift();
    return { entry: head.entries[slot]!, results: head.results, slot };
  }

  /** Terminate the worker (idempotent); entries not handed out are dropped. */
  dispose(): void {
    this.reader.dispose();
  }
}
