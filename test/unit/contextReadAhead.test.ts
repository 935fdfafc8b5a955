import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { READ_AHEAD_AFTER, packBuildContext, type ContextTimings } from '../../src/engine/context';
import { BATCH_BYTES_MAX, BATCH_FILES, EntryReadAhead, liveReadAheadWorkers, type EntryResults } from '../../src/engine/contextReadAhead';
import { CHUNK_BYTES, SMALL_FILE_MAX, TarChunkWriter } from '../../src/engine/contextTar';

/** Read the whole stream, taking a pause now and then (so the walk runs ahead while the consumer is full). */
async function drain(stream: Readable, pauseEvery = 0, seen?: { workers: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c as Buffer);
    if (seen) seen.workers = Math.max(seen.workers, liveReadAheadWorkers());
    if (pauseEvery > 0 && chunks.length % pauseEvery === 0) await sleep(5);
  }
  return Buffer.concat(chunks);
}

const timings = (): ContextTimings => ({ readdir: 0, match: 0, stat: 0, header: 0, read: 0, readLarge: 0, wait: 0, readAhead: 0, slices: 0, chunks: 0 });

/** Bytes of file `i`: sizes around the 512-byte block and up to 40 KiB, content unique to the file. */
function bodyOf(i: number): Buffer {
  const sizes = [0, 1, 511, 512, 513, 1000, 4096, 40_000];
  const b = Buffer.alloc(sizes[i % sizes.length]!);
  for (let k = 0; k < b.length; k++) b[k] = (i * 7 + k) & 0xff;
  return b;
}

async function waitForWorkers(n: number): Promise<void> {
  for (let i = 0; i < 200 && liveReadAheadWorkers() !== n; i++) await sleep(10);
}

describe('build context read-ahead worker (engine/contextReadAhead, no engine needed)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cl-ctxra-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A context of `files` small files in 20 folders, a few symlinks, a .dockerignore, and a file larger than a chunk among them. */
  function makeContext(files: number): { big: Buffer } {
    writeFileSync(join(dir, '.dockerignore'), 'd03\n**/*.skip\n!d05/keep.skip\n');
    for (let d = 0; d < 20; d++) mkdirSync(join(dir, `d${String(d).padStart(2, '0')}`));
    for (let i = 0; i < files; i++) {
      const name = i % 97 === 0 ? `f${i}.skip` : `f${i}`;
      writeFileSync(join(dir, `d${String(i % 20).padStart(2, '0')}`, name), bodyOf(i));
    }
    writeFileSync(join(dir, 'd05', 'keep.skip'), 'kept');
    symlinkSync('../d01/f1', join(dir, 'd07', 'link'));
    const big = Buffer.alloc(CHUNK_BYTES * 3 + 123);
    for (let k = 0; k < big.length; k++) big[k] = (k * 13) & 0xff;
    writeFileSync(join(dir, 'd11', 'zz-big.bin'), big); // walked after several batches of small files
    return { big };
  }

  it('packs the same tar byte for byte with and without the worker, with a slow consumer, and leaves no worker behind', async () => {
    makeContext(3000);
    const before = liveReadAheadWorkers();
    const plain = packBuildContext({ contextDir: dir, readAheadAfter: Infinity });
    const plainSeen = { workers: 0 };
    const plainTar = await drain(plain.stream, 0, plainSeen);
    assert.equal(plainSeen.workers, before, 'readAheadAfter: Infinity starts no worker');
    const plainStats = await plain.done;

    const t = timings();
    const ahead = packBuildContext({ contextDir: dir, timings: t });
    assert.equal(liveReadAheadWorkers(), before, 'no worker before the walk needs one');
    const seen = { workers: 0 };
    const aheadTar = await drain(ahead.stream, 3, seen);
    assert.equal(seen.workers, before + 1, 'a worker read ahead while the tar was consumed');
    const aheadStats = await ahead.done;

    assert.deepEqual(aheadStats, plainStats);
    assert.ok(aheadStats.files > READ_AHEAD_AFTER + 2 * BATCH_FILES, `${aheadStats.files} files: enough for several batches`);
    assert.equal(aheadTar.length, plainTar.length);
    assert.ok(aheadTar.equals(plainTar), 'the two tars differ');
    assert.ok(t.slices > 0 && t.chunks >= 4);
    await waitForWorkers(before);
    assert.equal(liveReadAheadWorkers(), before, 'the worker is terminated once the context is packed');
  });

  it('GNU tar extracts a read-ahead context as it is on disk, .dockerignore applied', async () => {
    const { big } = makeContext(1200);
    const out = join(dir, '..', `${join(dir).split('/').pop()}-out`);
    mkdirSync(out);
    try {
      const { stream, done } = packBuildContext({ contextDir: dir, readAheadAfter: 0 });
      const tar = spawn('tar', ['-xf', '-', '-C', out], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      tar.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      stream.pipe(tar.stdin);
      const code = await new Promise<number | null>((res) => tar.on('close', res));
      assert.equal(code, 0, stderr);
      await done;
      for (let i = 0; i < 1200; i++) {
        const d = `d${String(i % 20).padStart(2, '0')}`;
        const name = i % 97 === 0 ? `f${i}.skip` : `f${i}`;
        let got: Buffer | undefined;
        try {
          got = readFileSync(join(out, d, name));
        } catch {
          got = undefined;
        }
        if (d === 'd03' || name.endsWith('.skip')) assert.equal(got, undefined, `${d}/${name} is excluded`);
        else assert.ok(got?.equals(bodyOf(i)), `${d}/${name} differs`);
      }
      assert.equal(readFileSync(join(out, 'd05', 'keep.skip'), 'utf8'), 'kept');
      assert.ok(readFileSync(join(out, 'd11', 'zz-big.bin')).equals(big));
      assert.ok(readFileSync(join(out, 'd07', 'link')).equals(bodyOf(1)), 'the symlink resolves inside the extracted context');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('an abort while the worker is reading ahead rejects `done` and terminates the worker', async () => {
    makeContext(3000);
    const before = liveReadAheadWorkers();
    const ac = new AbortController();
    const { stream, done } = packBuildContext({ contextDir: dir, signal: ac.signal, readAheadAfter: 0 });
    await new Promise<void>((res) => stream.once('data', () => res()));
    stream.pause();
    assert.equal(liveReadAheadWorkers(), before + 1, 'the worker is reading ahead');
    ac.abort(new Error('cancelled by the test'));
    await assert.rejects(done, /cancelled by the test/);
    await waitForWorkers(before);
    assert.equal(liveReadAheadWorkers(), before);
  });

  it('takes each entry\'s lstat, reads the small files, leaves large ones and those past the batch bytes, and reports errors with code and path', async () => {
    writeFileSync(join(dir, 'small'), 'abc');
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'largest-small'), Buffer.alloc(SMALL_FILE_MAX, 1));
    writeFileSync(join(dir, 'large'), Buffer.alloc(SMALL_FILE_MAX + 1, 2));
    writeFileSync(join(dir, 'past-the-bytes'), Buffer.alloc(BATCH_BYTES_MAX - SMALL_FILE_MAX, 3)); // does not fit after largest-small
    writeFileSync(join(dir, 'still-fits'), 'x');
    mkdirSync(join(dir, 'folder'), { mode: 0o750 });
    symlinkSync('small', join(dir, 'link'));
    const names = ['small', 'empty', 'largest-small', 'large', 'past-the-bytes', 'still-fits', 'folder', 'link', 'gone', 'small/child'];
    const r = await new Promise<EntryResults>((resolve, reject) => {
      const reader: EntryReadAhead = new EntryReadAhead(() => {
        const b = reader.take();
        reader.dispose();
        if (b) resolve(b);
        else reject(new Error('no batch'));
      }, reject);
      reader.send(names.map((n) => join(dir, n)));
    });
    assert.deepEqual(names.map((_, k) => r.kind(k)), ['File', 'File', 'File', 'File', 'File', 'File', 'Directory', 'SymbolicLink', 'gone', 'error']);
    for (const k of [0, 3, 6, 7]) {
      const s = lstatSync(join(dir, names[k]!));
      assert.equal(r.mode(k), s.mode & 0o7777, `${names[k]}: mode`);
      assert.equal(r.mtimeMs(k), s.mtimeMs, `${names[k]}: mtime`);
    }
    assert.equal(r.size(0), 3);
    assert.equal(r.body(0)?.toString(), 'abc');
    assert.equal(r.got(0), 3, 'one byte more was asked for, and none was there');
    assert.equal(r.body(1)?.length, 0);
    assert.equal(r.got(2), SMALL_FILE_MAX);
    assert.ok(r.body(2)?.equals(Buffer.alloc(SMALL_FILE_MAX, 1)));
    assert.equal(r.size(3), SMALL_FILE_MAX + 1);
    assert.equal(r.body(3), undefined, 'a file larger than a chunk is left to the tar writer');
    assert.equal(r.body(4), undefined, 'a file past the batch\'s bytes is left to the tar writer');
    assert.equal(r.body(5)?.toString(), 'x', 'a small file that still fits is read');
    assert.equal(r.bodyBytes, 3 + 1 + 1 + SMALL_FILE_MAX + 1 + 1 + 1);
    assert.equal(r.linkpath(7), 'small');
    assert.equal(r.error(8), undefined, 'a removed entry is no error');
    const child = r.error(9) as NodeJS.ErrnoException;
    assert.equal(child.code, 'ENOTDIR');
    assert.equal(child.syscall, 'lstat');
    assert.equal(child.path, join(dir, 'small/child'));
    assert.match(child.message, /not a directory/);
  });

  it('the tar writer refuses a body whose size changed since its lstat, naming the file', () => {
    const writer = new TarChunkWriter(() => true);
    writer.writeHeader('File', 'grew', 0o644, 0, 3);
    assert.throws(() => writer.writeBody('grew', Buffer.from('abcd'), 3, 4), /grew changed size/);
    writer.writeHeader('File', 'shrank', 0o644, 0, 3);
    assert.throws(() => writer.writeBody('shrank', Buffer.from('a'), 3, 1), /shrank changed size/);
    writer.writeHeader('File', 'same', 0o644, 0, 3);
    writer.writeBody('same', Buffer.from('abc'), 3, 3);
  });

  // With the worker (readAheadAfter 0) its lstat finds the folder; without it (Infinity) this
  // thread's own lstat does, which used to pack it as a folder.
  for (const [readAheadAfter, whose] of [[0, 'the worker\'s lstat'], [Infinity, 'its lstat on the packing thread (no worker)']] as const) {
    it(`an entry replaced by a folder between the listing and ${whose} fails the packing, naming it`, async () => {
      for (let i = 0; i < 1100; i++) writeFileSync(join(dir, `a${String(i).padStart(4, '0')}`), Buffer.alloc(8192, i & 0xff));
      writeFileSync(join(dir, 'z-entry'), 'a file when the root folder is listed');
      const { stream, done } = packBuildContext({ contextDir: dir, readAheadAfter });
      // Nobody reads: the stream fills (2 MiB, fewer files than one batch) and the walk stops (with
      // the worker: two batches of 512 entries out) before it reaches z-entry. Then z-entry becomes a folder.
      for (let i = 0; i < 500 && stream.readableLength < 2 * CHUNK_BYTES; i++) await sleep(10);
      assert.ok(stream.readableLength >= 2 * CHUNK_BYTES, 'the stream filled up');
      rmSync(join(dir, 'z-entry'));
      mkdirSync(join(dir, 'z-entry'));
      await assert.rejects(drain(stream), /z-entry was replaced while the build context was being packed/);
      await assert.rejects(done, /z-entry was replaced/);
    });
  }
});
