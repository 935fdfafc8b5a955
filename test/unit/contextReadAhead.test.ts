import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { READ_AHEAD_AFTER, packBuildContext, type ContextTimings } from '../../src/engine/context';
import { BATCH_FILES, BodyReadAhead, liveReadAheadWorkers, type ReadBodies } from '../../src/engine/contextReadAhead';
import { CHUNK_BYTES, TarChunkWriter } from '../../src/engine/contextTar';

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

  it('reports a file that cannot be read with its code and path, and how many bytes each file had', async () => {
    writeFileSync(join(dir, 'same'), 'abc');
    writeFileSync(join(dir, 'grew'), 'abcdef');
    writeFileSync(join(dir, 'shrank'), 'a');
    mkdirSync(join(dir, 'folder'));
    const reader = await new Promise<ReadBodies>((resolve, reject) => {
      const r: BodyReadAhead = new BodyReadAhead(() => {
        const b = r.take();
        r.dispose();
        if (b) resolve(b);
        else reject(new Error('no batch'));
      }, reject);
      // sizes as an lstat taken before the files changed: 3, 3 (now 6), 4 (now 1); a removed file; a folder
      r.send([join(dir, 'same'), join(dir, 'grew'), join(dir, 'shrank'), join(dir, 'gone'), join(dir, 'folder')], [3, 3, 4, 2, 0]);
    });
    assert.equal(reader.got(0), 3);
    assert.equal(reader.body(0).toString(), 'abc');
    assert.equal(reader.got(1), 4, 'one byte past the size shows the file grew');
    assert.equal(reader.got(2), 1);
    assert.equal(reader.error(0), undefined);
    const gone = reader.error(3) as NodeJS.ErrnoException;
    assert.equal(gone.code, 'ENOENT');
    assert.equal(gone.path, join(dir, 'gone'));
    assert.match(gone.message, /no such file/);
    assert.equal((reader.error(4) as NodeJS.ErrnoException).code, 'EISDIR');

    // the tar writer refuses a body whose size changed, naming the file
    const writer = new TarChunkWriter(() => true);
    writer.writeHeader('File', 'grew', 0o644, 0, 3);
    assert.throws(() => writer.writeBody('grew', reader.body(1), 3, reader.got(1)), /grew/);
    writer.writeHeader('File', 'same', 0o644, 0, 3);
    writer.writeBody('same', reader.body(0), 3, reader.got(0));
  });
});
