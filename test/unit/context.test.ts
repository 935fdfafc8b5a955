import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { Header } from 'tar/header';
import { INJECTED_DOCKERFILE_NAME, packBuildContext, parseDockerignore } from '../../src/engine/context';
import { CHUNK_BYTES, encodePlainHeader, type TarEntryType } from '../../src/engine/contextTar';

interface Entry {
  name: string;
  type: string;
  body: string;
  uid: number;
  linkname?: string | null;
}

async function unpack(stream: NodeJS.ReadableStream): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const ex = extract();
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      body.on('end', () => {
        out.set(header.name, { name: header.name, type: header.type ?? 'file', body: Buffer.concat(chunks).toString('utf8'), uid: header.uid ?? -1, linkname: header.linkname });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
    stream.pipe(ex as unknown as NodeJS.WritableStream);
  });
  return out;
}

describe('build context tar (engine/context, no engine needed)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cl-ctx-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('honours .dockerignore (BOM + CRLF), skips an excluded folder, keeps exceptions, injects the Dockerfile', async () => {
    writeFileSync(join(dir, '.dockerignore'), '\uFEFF# comment\r\nbig\r\n*.log\r\n!keep.log\r\nDockerfile\r\n/secret.txt\r\nsrc/sub\r\n!src/sub/b.txt\r\n');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM on-disk\n');
    writeFileSync(join(dir, 'a.txt'), 'A');
    writeFileSync(join(dir, 'x.log'), 'no');
    writeFileSync(join(dir, 'keep.log'), 'yes');
    writeFileSync(join(dir, 'secret.txt'), 'no');
    mkdirSync(join(dir, 'big/deep'), { recursive: true });
    writeFileSync(join(dir, 'big/deep/file'), 'no');
    mkdirSync(join(dir, 'src/sub'), { recursive: true });
    writeFileSync(join(dir, 'src/sub/b.txt'), 'B');
    writeFileSync(join(dir, 'src/sub/c.txt'), 'no');
    symlinkSync('a.txt', join(dir, 'link'));

    const { stream, done } = packBuildContext({ contextDir: dir, dockerfileText: 'FROM busybox\nCOPY . /x\n' });
    const entries = await unpack(stream);
    const stats = await done;
    assert.deepEqual([...entries.keys()].sort(), [
      '.container-lineage.Dockerfile', '.dockerignore', 'a.txt', 'keep.log', 'link', 'src/', 'src/sub/b.txt',
    ]);
    assert.equal(entries.get(INJECTED_DOCKERFILE_NAME)!.body, 'FROM busybox\nCOPY . /x\n');
    assert.equal(entries.get('link')!.type, 'symlink');
    assert.equal(entries.get('link')!.linkname, 'a.txt');
    assert.equal(entries.get('src/sub/b.txt')!.uid, 0);
    // the sent .dockerignore is the user's (BOM and CR removed) plus the injected name
    const ig = entries.get('.dockerignore')!.body;
    assert.ok(!ig.includes('\r') && !ig.startsWith('\uFEFF'));
    assert.ok(parseDockerignore(ig).includes(INJECTED_DOCKERFILE_NAME));
    assert.ok(parseDockerignore(ig).includes('big'));
    assert.equal(stats.excluded, 6); // Dockerfile, big/ (not walked), secret.txt, x.log, src/sub/ (walked for the exception), src/sub/c.txt
    assert.equal(stats.files, 5);
  });

  it('without a .dockerignore, generates one that removes the injected Dockerfile and itself', async () => {
    writeFileSync(join(dir, INJECTED_DOCKERFILE_NAME), 'user file with our name is replaced');
    writeFileSync(join(dir, 'a'), 'A');
    const { stream } = packBuildContext({ contextDir: dir, dockerfileText: 'FROM busybox\n' });
    const entries = await unpack(stream);
    assert.deepEqual([...entries.keys()].sort(), ['.container-lineage.Dockerfile', '.dockerignore', 'a']);
    assert.equal(entries.get(INJECTED_DOCKERFILE_NAME)!.body, 'FROM busybox\n');
    assert.deepEqual(parseDockerignore(entries.get('.dockerignore')!.body), [INJECTED_DOCKERFILE_NAME, '.dockerignore']);
  });

  it('a missing context folder fails the stream with a clear error', async () => {
    const { stream, done } = packBuildContext({ contextDir: join(dir, 'nope') });
    await assert.rejects(done, /ENOENT/);
    assert.equal(stream.destroyed, true);
  });

  it('an abort signal stops the walk', async () => {
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, `f${i}`), 'x'.repeat(1000));
    const ac = new AbortController();
    ac.abort();
    const { done } = packBuildContext({ contextDir: dir, signal: ac.signal });
    await assert.rejects(done, /abort/i);
  });
});

describe('build context tar format (engine/contextTar)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cl-ctx-fmt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('encodes plain headers byte for byte as node-tar does, and refuses the ones that need PAX', () => {
    const cases: Array<[TarEntryType, string, number, number, number, string?]> = [
      ['File', 'a.txt', 0o644, 1_700_000_000_123, 36],
      ['Directory', 'd0/', 0o755, 1_700_000_000_999, 0],
      ['SymbolicLink', 'link', 0o777, 0, 0, 'a.txt'],
      ['File', 'x'.repeat(99), 0o4755, 1000, 0o77777777777],
      ['SymbolicLink', 'l', 0o777, 5000, 0, 'y'.repeat(100)],
      ['File', 'sub/dir/file', 0o600, (8 ** 11 - 1) * 1000, 7],
      ['File', 'edges', 0o7777777, 2 ** 31 * 1000, 2 ** 31],
      ['File', 'edges2', 0, 0, 8 ** 10],
      ['File', 'edges3', 0o1000000, (2 ** 31 - 1) * 1000, 2 ** 31 - 1],
      ['File', 'edges4', 0, 2 ** 32 * 1000 + 999, 8 ** 10 - 1],
    ];
    for (const [type, path, mode, mtimeMs, size, linkpath] of cases) {
      const ours = Buffer.alloc(512);
      const theirs = Buffer.alloc(512);
      assert.equal(encodePlainHeader(ours, 0, type, path, mode, mtimeMs, size, linkpath), true, path);
      new Header({ path, type, mode, uid: 0, gid: 0, size, mtime: new Date(mtimeMs), linkpath, uname: '', gname: '' }).encode(theirs, 0);
      assert.deepEqual(ours, theirs, `${type} ${path.slice(0, 20)}`);
    }
    const scratch = Buffer.alloc(512);
    assert.equal(encodePlainHeader(scratch, 0, 'File', 'x'.repeat(100), 0o644, 0, 1), false);
    assert.equal(encodePlainHeader(scratch, 0, 'File', 'café', 0o644, 0, 1), false);
    assert.equal(encodePlainHeader(scratch, 0, 'File', 'big', 0o644, 0, 8 * 1024 ** 3), false);
    assert.equal(encodePlainHeader(scratch, 0, 'SymbolicLink', 'l', 0o777, 0, 0, 'z'.repeat(101)), false);
  });

  it('GNU tar extracts the context as it is on disk: long and non-ASCII names, modes, symlinks, a file spanning chunks', async () => {
    const src = join(dir, 'src');
    const deep = join(src, 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, `${'n'.repeat(120)}.txt`), 'long');
    writeFileSync(join(src, 'café ☕.txt'), 'unicode');
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    chmodSync(join(src, 'run.sh'), 0o755);
    mkdirSync(join(src, 'private'), { mode: 0o700 });
    chmodSync(join(src, 'private'), 0o700);
    writeFileSync(join(src, 'private', 'empty'), '');
    symlinkSync(`${'t'.repeat(150)}/target`, join(src, 'dangling-long-link'));
    const big = Buffer.alloc(CHUNK_BYTES * 2 + 777);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    writeFileSync(join(src, 'big.bin'), big);
    writeFileSync(join(src, 'exactly-512'), Buffer.alloc(512, 1));

    const { stream, done } = packBuildContext({ contextDir: src });
    const out = join(dir, 'out');
    mkdirSync(out);
    const tar = spawn('tar', ['-xf', '-', '-C', out], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    tar.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    stream.pipe(tar.stdin);
    const code = await new Promise<number | null>((res) => tar.on('close', res));
    assert.equal(code, 0, stderr);
    const stats = await done;
    assert.equal(stats.files, 6);
    assert.equal(readFileSync(join(out, deep.slice(src.length), `${'n'.repeat(120)}.txt`), 'utf8'), 'long');
    assert.equal(readFileSync(join(out, 'café ☕.txt'), 'utf8'), 'unicode');
    assert.equal(statSync(join(out, 'run.sh')).mode & 0o777, 0o755);
    assert.equal(statSync(join(out, 'private')).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(out, 'private', 'empty')).length, 0);
    assert.equal(readlinkSync(join(out, 'dangling-long-link')), `${'t'.repeat(150)}/target`);
    assert.deepEqual(readFileSync(join(out, 'big.bin')), big);
    assert.deepEqual(readFileSync(join(out, 'exactly-512')), Buffer.alloc(512, 1));
  });

  it('walks in lexical order with each folder before its entries', async () => {
    mkdirSync(join(dir, 'a', 'z'), { recursive: true });
    mkdirSync(join(dir, 'a', 'y'));
    writeFileSync(join(dir, 'b'), 'b');
    writeFileSync(join(dir, 'C'), 'C');
    writeFileSync(join(dir, 'a', 'file'), 'f');
    const { stream } = packBuildContext({ contextDir: dir });
    const names: string[] = [];
    const ex = extract();
    ex.on('entry', (header, body, next) => {
      names.push(header.name);
      body.resume();
      body.on('end', next);
    });
    stream.pipe(ex as unknown as NodeJS.WritableStream);
    await new Promise<void>((res) => ex.on('finish', () => res()));
    assert.deepEqual(names, ['C', 'a/', 'a/file', 'a/y/', 'a/z/', 'b']);
  });

  it('a consumer that stops reading mid-file settles `done` (rejected) instead of leaving it pending', async () => {
    writeFileSync(join(dir, 'big'), Buffer.alloc(CHUNK_BYTES * 4));
    const { stream, done } = packBuildContext({ contextDir: dir });
    await new Promise<void>((res) => stream.once('data', () => res()));
    stream.destroy();
    await assert.rejects(done, /closed before the whole context was read/);
  });
});
