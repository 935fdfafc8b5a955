/**
 * Tar output for the build context: entries are encoded straight into large preallocated chunks
 * (one chunk, {@link CHUNK_BYTES}, is handed to the consumer at a time), headers by node-tar's
 * `Header` and `Pax` (ustar, with a PAX extended header for names or link targets that ustar
 * cannot hold: longer than its name/prefix split allows, or not ASCII). File bodies are read
 * synchronously into the chunk, so a small file costs its three system calls (open, read, close)
 * and no stream, promise or intermediate buffer; a large file is read piece by piece, one chunk
 * at a time, so memory stays bounded whatever its size.
 *
 * This module only writes; the walk and `.dockerignore` live in `context.ts`.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Header } from 'tar/header';
import { Pax } from 'tar/pax';
import { performance } from 'node:perf_hooks';

/** Size (bytes) of each chunk handed to the consumer; also the read size for large files. */
export const CHUNK_BYTES = 1 << 20;
const BLOCK = 512;
/** Largest file (bytes) read in one call into one chunk: its padded body and one byte more fit in {@link CHUNK_BYTES}. */
export const SMALL_FILE_MAX = CHUNK_BYTES - BLOCK;

/** Kinds of entry the build context contains (the engine ignores anything else). */
export type TarEntryType = 'File' | 'Directory' | 'SymbolicLink';

/** A file whose body is still being read (it spans chunks). */
interface OpenFile {
  fd: number;
  /** Bytes still to read, per the size in its header. */
  remaining: number;
  /** Size in its header (bytes). */
  size: number;
  /** Name in the context, for error messages. */
  rel: string;
}

/**
 * Writes tar entries into chunks and hands each full chunk to `emit`. `emit` returns false when
 * the consumer wants no more for now ({@link paused} then turns true; the caller stops and
 * calls {@link resume} when asked for more). Synchronous throughout.
 */
export class TarChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Start of the bytes written but not yet emitted. */
  private start = 0;
  /** End of the bytes written. */
  private off = 0;
  private readonly header = new Header();
  private readonly block = Buffer.alloc(BLOCK);
  private readonly probe = Buffer.alloc(1);
  private readonly mtime = new Date(0);
  private file?: OpenFile;
  /** True once `emit` returned false; cleared by {@link resume}. */
  paused = false;

  constructor(private readonly emit: (chunk: Buffer) => boolean) {}

  /** Clear {@link paused} (the consumer asked for more). */
  resume(): void {
    this.paused = false;
  }

  /** True while a large file's body is being read (call {@link continueFile}). */
  get reading(): boolean {
    return this.file !== undefined;
  }

  /** Hand what has been written so far to the consumer (a partial chunk), if anything. */
  flush(): void {
    if (this.off > this.start) {
      const chunk = this.buf.subarray(this.start, this.off);
      this.start = this.off;
      if (!this.emit(chunk)) this.paused = true;
    }
  }

  /** Make room for `bytes` contiguous bytes: emit what is pending and start a new chunk if needed. */
  private reserve(bytes: number): void {
    if (this.buf.length - this.off >= bytes) return;
    this.flush();
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    this.start = 0;
    this.off = 0;
  }

  /**
   * Write one entry's header (and a PAX header before it when needed).
   * @param mtimeMs modification time, ms since the epoch (stored as whole seconds).
   */
  writeHeader(type: TarEntryType, path: string, mode: number, mtimeMs: number, size = 0, linkpath?: string): void {
    const name = type === 'Directory' && !path.endsWith('/') ? `${path}/` : path;
    this.reserve(BLOCK);
    if (encodePlainHeader(this.buf, this.off, type, name, mode, mtimeMs, size, linkpath)) {
      this.off += BLOCK;
      return;
    }
    const h = this.header;
    h.path = name;
    h.type = type;
    h.mode = mode;
    h.uid = 0;
    h.gid = 0;
    h.size = size;
    this.mtime.setTime(mtimeMs);
    h.mtime = this.mtime;
    h.linkpath = linkpath;
    h.uname = '';
    h.gname = '';
    this.block.fill(0);
    if (h.encode(this.block, 0)) {
      // Name or link target too long for ustar, or not ASCII (or a size beyond 8 GiB): the PAX
      // extended header carries the exact values for the entry that follows.
      const pax = new Pax({ path: name, linkpath: linkpath || undefined, size: size > MAX_OCTAL_12 ? size : undefined });
      const ext = pax.encode();
      this.reserve(ext.length);
      ext.copy(this.buf, this.off);
      this.off += ext.length;
    }
    this.reserve(BLOCK);
    this.block.copy(this.buf, this.off);
    this.off += BLOCK;
  }

  /** Write an entry whose body is in memory. */
  writeBuffer(path: string, mode: number, mtimeMs: number, body: Buffer): void {
    this.writeHeader('File', path, mode, mtimeMs, body.length);
    this.reserve(padded(body.length));
    body.copy(this.buf, this.off);
    this.zero(this.off + body.length, this.off + padded(body.length));
    this.off += padded(body.length);
  }

  /**
   * Write the body of the regular file whose header was just written, `size` bytes (from its
   * lstat). A file that fits in a chunk is read in one call; a larger one is left open and read
   * by {@link continueFile}.
   * @throws the open/read error (e.g. EACCES), or an Error when the file's size is not `size`
   *   any more (it changed while the context was being packed).
   */
  readBody(path: string, abs: string, size: number): void {
    const fd = openSync(abs, 'r');
    const need = padded(size) + 1; // one byte more than the size, to notice a file that grew
    if (!readInOne(size)) {
      this.file = { fd, remaining: size, size, rel: path };
      return;
    }
    try {
      this.reserve(need);
      // A read that returns less than asked is the end of a regular file.
      let got = readSync(fd, this.buf, this.off, size + 1, null);
      while (got < size) {
        const n = readSync(fd, this.buf, this.off + got, size + 1 - got, null);
        if (n === 0) break;
        got += n;
      }
      if (got !== size) throw changedSize(path, size);
    } finally {
      closeSync(fd);
    }
    this.zero(this.off + size, this.off + padded(size));
    this.off += padded(size);
  }

  /**
   * Write the body of the regular file whose header was just written, already read (by the
   * read-ahead worker, contextReadAhead.ts): `body` holds the `got` bytes read when `size + 1`
   * were asked for.
   * @throws an Error when `got` is not `size` (the file changed size since its lstat).
   */
  writeBody(path: string, body: Buffer, size: number, got: number): void {
    if (got !== size) throw changedSize(path, size);
    this.reserve(padded(size));
    body.copy(this.buf, this.off, 0, size);
    this.zero(this.off + size, this.off + padded(size));
    this.off += padded(size);
  }

  /**
   * Read more of the large file opened by {@link readBody}, until it is done, the consumer
   * wants no more ({@link paused}), or `deadline` (a `performance.now()` time, ms) has passed.
   * @throws as {@link readBody}.
   */
  continueFile(deadline: number): void {
    const f = this.file;
    if (!f) return;
    while (f.remaining > 0) {
      if (this.off === this.buf.length) {
        this.reserve(Math.min(CHUNK_BYTES, f.remaining));
        if (this.paused || performance.now() > deadline) return;
      }
      const n = readSync(f.fd, this.buf, this.off, Math.min(this.buf.length - this.off, f.remaining), null);
      if (n === 0) throw changedSize(f.rel, -1);
      this.off += n;
      f.remaining -= n;
    }
    if (readSync(f.fd, this.probe, 0, 1, null) !== 0) throw changedSize(f.rel, -1);
    this.closeFile();
    const pad = padded(f.size) - f.size;
    this.reserve(pad);
    this.zero(this.off, this.off + pad);
    this.off += pad;
  }

  /** Write the end-of-archive marker (two zero blocks) and emit the rest. */
  finish(): void {
    this.reserve(2 * BLOCK);
    this.zero(this.off, this.off + 2 * BLOCK);
    this.off += 2 * BLOCK;
    this.flush();
  }

  /** Close a file left open (on error or when the stream is destroyed). */
  closeFile(): void {
    const f = this.file;
    this.file = undefined;
    if (f) closeSync(f.fd);
  }

  private zero(from: number, to: number): void {
    // the typed-array builtin: no Buffer.fill argument checks and native call for a few bytes
    if (to > from) fillBytes.call(this.buf, 0, from, to);
  }
}

const fillBytes = Uint8Array.prototype.fill;
const MAX_OCTAL_12 = 0o77777777777;
const MAX_OCTAL_8 = 0o7777777;
const TYPEFLAG: Record<TarEntryType, number> = { File: 0x30, Directory: 0x35, SymbolicLink: 0x32 };
/** A plain header's fixed fields (magic, version, uid/gid 0, empty user and group names, device 0), as node-tar encodes them. */
const TEMPLATE = ((): Buffer => {
  const block = Buffer.alloc(BLOCK);
  new Header({ path: '', type: 'File', mode: 0, uid: 0, gid: 0, size: 0, mtime: new Date(0), uname: '', gname: '' }).encode(block, 0);
  return block;
})();
/** Sum of {@link TEMPLATE}'s bytes outside the fields a plain header writes (name, mode, size, mtime, checksum, type, link target), with the checksum field as spaces. */
const TEMPLATE_SUM = ((): number => {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    const written = i < 100 || (i >= 100 && i < 108) || (i >= 124 && i < 257);
    if (!written) sum += TEMPLATE[i]!;
  }
  return sum;
})();

/**
 * Encode the header of a plain entry (ASCII name shorter than 100 bytes, ASCII link target of
 * at most 100, size and time that fit their octal fields) at `buf[off..off+512)`, byte for byte
 * as node-tar's `Header.encode` does (test/unit/context.test.ts checks this against it).
 * Hand-written because node-tar's general encoder (a string and a `Buffer.write` per field,
 * path splitting) measured a quarter of the packing time of a context of small files; every
 * other entry goes through node-tar.
 * @returns false, having written garbage, when the entry is not plain.
 */
export function encodePlainHeader(buf: Buffer, off: number, type: TarEntryType, name: string, mode: number, mtimeMs: number, size: number, linkpath?: string): boolean {
  const mtime = Math.floor(mtimeMs / 1000);
  if (name.length >= 100 || (linkpath !== undefined && linkpath.length > 100)) return false;
  if (!(size >= 0 && size <= MAX_OCTAL_12 && mtime >= 0 && mtime <= MAX_OCTAL_12 && mode >= 0 && mode <= MAX_OCTAL_8)) return false;
  // TypedArray.set: a plain memory copy, without Buffer.copy's argument checks and native call
  buf.set(TEMPLATE, off);
  // The checksum is the sum of the header's bytes with its own field as spaces: the fixed part's
  // sum is known, so only the bytes written here are added.
  let sum = TEMPLATE_SUM;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) return false;
    buf[off + i] = c;
    sum += c;
  }
  if (linkpath !== undefined) {
    for (let i = 0; i < linkpath.length; i++) {
      const c = linkpath.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[off + 157 + i] = c;
      sum += c;
    }
  }
  sum += octal(buf, off + 100, 8, mode) + octal(buf, off + 124, 12, size) + octal(buf, off + 136, 12, mtime);
  buf[off + 156] = TYPEFLAG[type];
  sum += TYPEFLAG[type];
  octal(buf, off + 148, 8, sum);
  return true;
}

/**
 * node-tar's number field: zero-padded octal in `width - 2` digits, a space and a NUL; a number
 * that needs `width - 1` digits takes them, then the NUL. (`value` fits: checked by the caller;
 * integer arithmetic below 2^31, division above, since a size or time may need 33 bits.)
 * @returns the sum of the bytes written (for the checksum).
 */
function octal(buf: Buffer, off: number, width: number, value: number): number {
  const field = value >= (width === 8 ? 8 ** 6 : 8 ** 10) ? width - 1 : width - 2;
  let sum = 0;
  let v = value;
  let i = off + field - 1;
  for (; v > 0x7fffffff; i--) {
    const digit = 0x30 + (v % 8);
    buf[i] = digit;
    sum += digit;
    v = Math.floor(v / 8);
  }
  for (; i >= off; i--) {
    const digit = 0x30 + (v & 7);
    buf[i] = digit;
    sum += digit;
    v >>>= 3;
  }
  if (field === width - 2) {
    buf[off + field] = 0x20;
    sum += 0x20;
  }
  buf[off + width - 1] = 0;
  return sum;
}

/** True when a file of `size` bytes is read in one call into one chunk (else piece by piece, {@link TarChunkWriter.continueFile}). */
export function readInOne(size: number): boolean {
  return size <= SMALL_FILE_MAX; // padded(size) + 1 <= CHUNK_BYTES, both multiples of 512
}

/** `n` rounded up to whole 512-byte tar blocks. */
function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function changedSize(rel: string, expected: number): Error {
  return new Error(`${rel} changed size while the build context was being packed${expected >= 0 ? ` (expected ${expected} bytes)` : ''}; build again once it is written`);
}
