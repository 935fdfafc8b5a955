import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageCache, serialiseImageCache, IMAGE_CACHE_VERSION, type CachedImageEntry, type ImageCacheEntries } from '../../src/core/imageCache';
import { imageCachePath, ImageCacheStore } from '../../src/store/imageCacheStore';
import { run } from '../../src/cli/tree';
import { captureCli } from './cliCapture';

const entry = (n: number, extra: Partial<CachedImageEntry> = {}): CachedImageEntry => ({ parent: '', layers: [`sha256:l${n}`], labels: { n: String(n) }, created: n, size: n * 10, ...extra });
const id = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
const delta = (upserts: Array<[string, CachedImageEntry]>, removed: string[] = []) => ({ upserts: new Map(upserts), removed: new Set(removed) });

function runWriter(path: string, prefix: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'fixtures/imageCache/writer.ts'), path, prefix, String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${prefix} exited ${code}: ${err}`))));
  });
}

describe('image cache (core/imageCache, store/imageCacheStore)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cl-imagecache-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips entries in order, histories included', () => {
    const entries: ImageCacheEntries = new Map([
      [id(2), entry(2, { history: [{ created: 1, createdBy: 'RUN x', comment: '', size: 5 }] })],
      [id(1), entry(1, { parent: id(2) })],
    ]);
    const { text, dropped } = serialiseImageCache(entries);
    assert.equal(dropped, 0);
    const back = parseImageCache(text);
    assert.equal(back.problem, undefined);
    assert.deepEqual([...back.entries], [...entries]);
  });

  it('bounds: the oldest entries go first, by count and by bytes', () => {
    const entries: ImageCacheEntries = new Map(Array.from({ length: 10 }, (_, n) => [id(n), entry(n)] as [string, CachedImageEntry]));
    const byCount = serialiseImageCache(entries, { maxEntries: 4, maxBytes: 1 << 20 });
    assert.equal(byCount.dropped, 6);
    assert.deepEqual([...parseImageCache(byCount.text).entries.keys()], [id(6), id(7), id(8), id(9)]);
    const whole = serialiseImageCache(entries).text;
    const maxBytes = Math.floor(Buffer.byteLength(whole) / 2);
    const bySize = serialiseImageCache(entries, { maxEntries: 100, maxBytes });
    assert.ok(Buffer.byteLength(bySize.text) <= maxBytes, `${Buffer.byteLength(bySize.text)} ≤ ${maxBytes} bytes`);
    const kept = [...parseImageCache(bySize.text).entries.keys()];
    assert.ok(kept.length >= 4 && kept.length < 10, `kept ${kept.length}`);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, k) => id(10 - kept.length + k)), 'the newest are kept');
  });

  it('the store keeps its bounds across saves', async () => {
    const store = new ImageCacheStore(join(dir, 'c.json'), { bounds: { maxEntries: 3, maxBytes: 1 << 20 } });
    for (let n = 0; n < 5; n++) await store.save(delta([[id(n), entry(n)]]));
    assert.deepEqual([...(await store.load()).keys()], [id(2), id(3), id(4)]);
  });

  it('entries of IDs gone from the engine are dropped; a later history completes an entry without moving it', async () => {
    const store = new ImageCacheStore(join(dir, 'c.json'));
    await store.save(delta([[id(1), entry(1)], [id(2), entry(2)], [id(3), entry(3)]]));
    await store.save(delta([], [id(2)]));
    const history = [{ created: 3, createdBy: 'COPY a b', comment: '', size: 1 }];
    await store.save(delta([[id(1), entry(1, { history })]]));
    const got = await store.load();
    assert.deepEqual([...got.keys()], [id(1), id(3)]);
    assert.deepEqual(got.get(id(1))?.history, history);
    await store.save(delta([[id(1), entry(1)]]));
    assert.deepEqual((await store.load()).get(id(1))?.history, history, 'a known history is kept');
  });

  it('a corrupt file, or one of another version, is ignored (warned once) and rewritten by the next save', async () => {
    const path = join(dir, 'c.json');
    const warnings: string[] = [];
    const store = new ImageCacheStore(path, { warn: (m) => warnings.push(m) });
    for (const bad of ['{"format":"container-lineage/image-cache","version":1,"entries":[["sha256:x",{"parent":1}]]}', '{not json', `{"format":"container-lineage/image-cache","version":${IMAGE_CACHE_VERSION + 1},"entries":[]}`]) {
      writeFileSync(path, bad);
      warnings.length = 0;
      assert.deepEqual(await store.load(), new Map());
      await store.load();
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /ignored and rewritten/);
      await store.save(delta([[id(7), entry(7)]]));
      assert.deepEqual([...(await store.load()).keys()], [id(7)]);
      assert.equal(parseImageCache(readFileSync(path, 'utf8')).problem, undefined);
    }
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('a missing file is an empty cache, without a warning; files are per engine', async () => {
    const warnings: string[] = [];
    const a = ImageCacheStore.forEngine(dir, 'docker unix:///var/run/docker.sock', { warn: (m) => warnings.push(m) });
    assert.deepEqual(await a.load(), new Map());
    assert.deepEqual(warnings, []);
    assert.notEqual(imageCachePath(dir, 'docker unix:///a'), imageCachePath(dir, 'podman unix:///a'));
  });

  it('two processes writing at once lose no entry and leave a whole file', async () => {
    const path = join(dir, 'shared.json');
    await Promise.all([runWriter(path, 'a', 40), runWriter(path, 'b', 40)]);
    const parsed = parseImageCache(readFileSync(path, 'utf8'));
    assert.equal(parsed.problem, undefined);
    const ids = [...parsed.entries.keys()];
    for (const p of ['a', 'b']) for (let i = 0; i < 40; i++) assert.ok(ids.includes(`sha256:${p}-${i}`), `sha256:${p}-${i} kept`);
    assert.equal(ids.length, 80);
  });
});

describe('CLI tree --cache-dir (usage)', () => {
  it('a missing folder is a usage error (exit 2) that says what is needed, before any engine call', async () => {
    for (const args of [['--cache-dir'], ['--cache-dir', '--json']]) {
      const r = await captureCli(run, args);
      assert.equal(r.code, 2);
      assert.match(r.err, /--cache-dir needs a folder/);
    }
    const help = await captureCli(run, ['--help']);
    assert.match(help.out, /--cache-dir DIR/);
  });
});
