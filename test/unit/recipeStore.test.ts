import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recipeStorePath, RecipeStore } from '../../src/store/recipeStore';
import { recipeForImage, recipeForTag, recipesForDockerfile, type Recipe } from '../../src/core/recipes';

const recipe = (n: string, extra: Partial<Recipe> = {}): Recipe => ({
  imageId: `sha256:${n.padEnd(64, '0')}`,
  tag: `fam/${n}:1`,
  dockerfile: `/src/${n}/Dockerfile`,
  context: `/src/${n}`,
  buildArgs: { SECRETISH: 'value' },
  builder: 'classic',
  builtAt: new Date().toISOString(),
  ...extra,
});

function runWriter(path: string, prefix: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'fixtures/recipes/writer.ts'), path, prefix, String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${prefix} exited ${code}: ${err}`))));
  });
}

describe('recipe store (store/recipeStore)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cl-recipes-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives under $XDG_STATE_HOME/container-lineage, else ~/.local/state', () => {
    assert.equal(recipeStorePath({ XDG_STATE_HOME: '/s' }, '/home/u'), '/s/container-lineage/recipes.json');
    assert.equal(recipeStorePath({}, '/home/u'), '/home/u/.local/state/container-lineage/recipes.json');
    assert.equal(recipeStorePath({ XDG_STATE_HOME: 'relative' }, '/home/u'), '/home/u/.local/state/container-lineage/recipes.json');
  });

  it('writes a file only the user can read, keyed by image ID and by tag', async () => {
    const path = join(dir, 'state', 'container-lineage', 'recipes.json');
    const store = new RecipeStore(path);
    await store.record(recipe('a'));
    await store.record(recipe('b', { tag: 'fam/a:1' })); // b is now the last build of fam/a:1
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'state', 'container-lineage')).mode & 0o777, 0o700);
    const book = new RecipeStore(path).read();
    assert.equal(recipeForImage(book, recipe('a').imageId)?.dockerfile, '/src/a/Dockerfile');
    assert.equal(recipeForTag(book, 'docker.io/fam/a:1')?.imageId, recipe('b').imageId);
    assert.deepEqual(recipesForDockerfile(book, '/src/b/Dockerfile').map((r) => r.tag), ['fam/a:1']);
  });

  it('loses no recipe when two processes write at once', async () => {
    const path = join(dir, 'recipes.json');
    await Promise.all([runWriter(path, 'one', 25), runWriter(path, 'two', 25)]);
    const book = new RecipeStore(path).read();
    assert.equal(Object.keys(book.images).length, 50);
    assert.equal(Object.keys(book.tags).length, 50);
    assert.deepEqual(readdirSync(dir).sort(), ['recipes.json'], 'no lock or temp file left');
  });

  it('ignores a corrupt file with a warning, and keeps a copy when writing a fresh one', async () => {
    const path = join(dir, 'recipes.json');
    writeFileSync(path, '{"version": 1, "images": {');
    const warnings: string[] = [];
    const store = new RecipeStore(path, { warn: (m) => warnings.push(m) });
    assert.deepEqual(store.read().images, {});
    store.read();
    assert.equal(warnings.length, 1, 'warned once per version of the file');
    assert.match(warnings[0]!, /not valid JSON.*ignored/);
    await store.record(recipe('c'));
    assert.ok(readdirSync(dir).some((f) => f.startsWith('recipes.json.corrupt-')), readdirSync(dir).join(' '));
    assert.match(warnings[1]!, /kept a copy/);
    assert.equal(Object.keys(store.read().images).length, 1);
  });

  it('reads a missing file as empty, and notices another process writing', async () => {
    const path = join(dir, 'x', 'recipes.json');
    mkdirSync(join(dir, 'x'));
    const store = new RecipeStore(path);
    assert.deepEqual(store.read().images, {});
    let calls = 0;
    const w = store.watch(() => calls++);
    try {
      await runWriter(path, 'w', 1);
      for (let i = 0; i < 50 && calls === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(calls > 0, 'watch fired');
      assert.equal(Object.keys(store.read().images).length, 1);
      assert.ok(existsSync(path));
    } finally {
      w.dispose();
    }
  });
});
