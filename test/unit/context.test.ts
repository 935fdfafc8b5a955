import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { INJECTED_DOCKERFILE_NAME, packBuildContext, parseDockerignore } from '../../src/engine/context';

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
