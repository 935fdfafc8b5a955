/**
 * Read-ahead of build-context file bodies on a worker thread (used by context.ts): while the
 * walk (readdir, lstat, `.dockerignore`, tar headers) goes on on the calling thread, a worker
 * opens, reads and closes the small files of the entries walked before, batch by batch, so the
 * two halves of the system calls run on two cores. Bodies come back in one transferred buffer
 * per batch (no copy on the way), in walk order; the caller writes them into the tar in order.
 * At most {@link MAX_IN_FLIGHT} batches of at most {@link BATCH_BYTES} bytes are out at a time,
 * so memory stays bounded whatever the context size.
 *
 * The worker's code is a few lines of plain `node:fs` calls, given to `new Worker` as source text
 * (`eval: true`) so it needs no file of its own in the extension bundle and no TypeScript loader
 * in tests. Why a worker and not the thread pool: an asynchronous fs call costs about ten times
 * its system call in hand-offs (see context.ts), one message per batch of hundreds does not.
 */
import { Worker } from 'node:worker_threads';
import type { TarEntryType } from './contextTar';

/** Most small files in one batch. */
export const BATCH_FILES = 512;
/** Most body bytes (sizes + 1 each) in one batch, unless one file alone is bigger. */
export const BATCH_BYTES = 1 << 20;
/** Most batches sent and not yet written. */
export const MAX_IN_FLIGHT = 2;

/** Reads the files of one message; posts back their bodies, each at its slot of size + 1 bytes. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
parentPort.on('message', ({ id, paths, sizes }) => {
  let total = 0;
  for (const size of sizes) total += size + 1;
  const ab = new ArrayBuffer(total);
  const buf = Buffer.from(ab);
  const got = new Float64Array(paths.length);
  const errors = [];
  let off = 0;
  for (let i = 0; i < paths.length; i++) {
    const size = sizes[i];
    let fd = -1;
    try {
      fd = openSync(paths[i], 'r');
      // one byte more than the size, to notice a file that grew; a short read is the end
      let n = readSync(fd, buf, off, size + 1, null);
      let g = n;
      while (g < size && n > 0) {
        n = readSync(fd, buf, off + g, size + 1 - g, null);
        g += n;
      }
      got[i] = g;
    } catch (err) {
      got[i] = -1;
      errors.push({ index: i, message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path });
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    off += size + 1;
  }
  parentPort.postMessage({ id, ab, got, errors }, [ab, got.buffer]);
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

/** One batch's bodies as read: `body(k)` is the k-th file's bytes, `got(k)` how many there were. */
export interface ReadBodies {
  /** Bytes read of the k-th file of the batch: its size when unchanged, size + 1 when it grew, less when it shrank. */
  got(k: number): number;
  /** The k-th file's body (`got(k)` bytes, at most its size + 1), a view into the batch buffer. */
  body(k: number): Buffer;
  /** The error opening or reading the k-th file (e.g. EACCES, ENOENT), or undefined. */
  error(k: number): Error | undefined;
}

interface Batch {
  id: number;
  sizes: number[];
  bodies?: ReadBodies;
}

/**
 * A worker that reads batches of small files ahead of the tar writer. {@link send} a batch
 * (absolute paths and their lstat sizes, bytes), later take its {@link ReadBodies} with
 * {@link take} in the order sent; `onArrive` is called when a batch has come back. Call
 * {@link dispose} when done (terminates the worker; batches out are dropped).
 * Errors of the worker itself (it could not start, or crashed) go to `onError`.
 */
export class BodyReadAhead {
  private readonly worker: Worker;
  private readonly out: Batch[] = [];
  private nextId = 0;
  private disposed = false;

  constructor(onArrive: () => void, onError: (err: Error) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    live++;
    this.worker.on('message', (m: { id: number; ab: ArrayBuffer; got: Float64Array; errors: WorkerError[] }) => {
      const batch = this.out.find((b) => b.id === m.id);
      if (!batch || this.disposed) return;
      batch.bodies = bodiesOf(batch.sizes, Buffer.from(m.ab), m.got, m.errors);
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

  /** Send a batch: `paths` absolute, `sizes` their lstat sizes (bytes), same length. */
  send(paths: string[], sizes: number[]): void {
    const id = this.nextId++;
    this.out.push({ id, sizes });
    this.worker.postMessage({ id, paths, sizes });
  }

  /** The oldest batch's bodies once they have arrived (removing it), else undefined. */
  take(): ReadBodies | undefined {
    const head = this.out[0];
    if (!head?.bodies) return undefined;
    this.out.shift();
    return head.bodies;
  }

  /** Terminate the worker (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.out.length = 0;
    void this.worker.terminate();
  }
}

function bodiesOf(sizes: number[], buf: Buffer, got: Float64Array, errors: WorkerError[]): ReadBodies {
  const offsets = new Float64Array(sizes.length);
  let off = 0;
  for (let k = 0; k < sizes.length; k++) {
    offsets[k] = off;
    off += sizes[k]! + 1;
  }
  const failed = new Map(errors.map((e) => [e.index, e]));
  return {
    got: (k) => got[k]!,
    body: (k) => buf.subarray(offsets[k]!, offsets[k]! + Math.max(0, got[k]!)),
    error: (k) => {
      const e = failed.get(k);
      if (!e) return undefined;
      return Object.assign(new Error(e.message), { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path });
    },
  };
}

/** An entry walked whose tar entry is not written yet. */
export interface PlannedEntry {
  type: TarEntryType;
  /** Path in the context (the tar entry name). */
  rel: string;
  abs: string;
  /** Permission bits. */
  mode: number;
  mtimeMs: number;
  /** Bytes (lstat size); 0 for a directory or symlink. */
  size: number;
  linkpath?: string;
  /** Its place among its batch's files read by the worker; -1 when none. */
  slot: number;
}

/** A planned entry whose turn it is: for a small file, its batch's bodies (its body at `entry.slot`). */
export interface ReadyEntry {
  entry: PlannedEntry;
  /** Undefined when the worker read nothing for it (a directory, symlink, or a file to read piece by piece). */
  bodies?: ReadBodies;
}

/** Entries walked in one batch, in walk order, and the files among them the worker is to read. */
interface PlannedBatch {
  entries: PlannedEntry[];
  paths: string[];
  sizes: number[];
  bytes: number;
  bodies?: ReadBodies;
  next: number;
}

const newBatch = (): PlannedBatch => ({ entries: [], paths: [], sizes: [], bytes: 0, next: 0 });

/**
 * The walk's entries between their lstat and their tar entry, in walk order: {@link add} them as
 * walked (a batch goes to the worker when it holds {@link BATCH_FILES} files or
 * {@link BATCH_BYTES} bytes), {@link seal} at the end of the walk, and write each {@link next}
 * entry once its batch's bodies are back. Walk only while {@link hasRoom}.
 */
export class ReadAheadQueue {
  private readonly reader: BodyReadAhead;
  private filling = newBatch();
  private readonly sent: PlannedBatch[] = [];

  /** `onArrive` when a batch's bodies are back; `onError` when the worker fails (see {@link BodyReadAhead}). */
  constructor(onArrive: () => void, onError: (err: Error) => void) {
    this.reader = new BodyReadAhead(onArrive, onError);
  }

  /** True while fewer than {@link MAX_IN_FLIGHT} batches are out: the walk may go on. */
  get hasRoom(): boolean {
    return this.sent.length < MAX_IN_FLIGHT;
  }

  /** True while entries added are not all handed out by {@link next}. */
  get pending(): boolean {
    return this.sent.length > 0 || this.filling.entries.length > 0;
  }

  /** Add the next entry walked; `readByWorker` for a small file whose body the worker is to read. */
  add(entry: Omit<PlannedEntry, 'slot'>, readByWorker: boolean): void {
    const b = this.filling;
    let slot = -1;
    if (readByWorker) {
      slot = b.paths.push(entry.abs) - 1;
      b.sizes.push(entry.size);
      b.bytes += entry.size + 1;
    }
    b.entries.push({ ...entry, slot });
    if (b.paths.length >= BATCH_FILES || b.bytes >= BATCH_BYTES || b.entries.length >= 2 * BATCH_FILES) this.seal();
  }

  /** Send the batch being filled to the worker (when it holds anything). */
  seal(): void {
    if (this.filling.entries.length === 0) return;
    this.reader.send(this.filling.paths, this.filling.sizes);
    this.sent.push(this.filling);
    this.filling = newBatch();
  }

  /** The oldest entry not yet handed out, once its batch is back; undefined while the worker is behind (or nothing is sent). */
  next(): ReadyEntry | undefined {
    const head = this.sent[0];
    if (!head) return undefined;
    head.bodies ??= this.reader.take();
    if (!head.bodies) return undefined;
    const entry = head.entries[head.next++]!;
    if (head.next === head.entries.length) this.sent.shift();
    return { entry, bodies: entry.slot < 0 ? undefined : head.bodies };
  }

  /** Terminate the worker (idempotent); entries not handed out are dropped. */
  dispose(): void {
    this.reader.dispose();
  }
}
