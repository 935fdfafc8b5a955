/**
 * The recipe store on disk, shared by the extension and the CLI: one JSON file (format in
 * core/recipes) in the user's state folder, `$XDG_STATE_HOME/container-lineage/recipes.json`
 * (default `~/.local/state/container-lineage/recipes.json`).
 *
 * - Readable only by the user: the folder is created 0700, the file written 0600.
 * - Two processes may write at once: every write takes an inter-process lock (proper-lockfile,
 *   a lock directory beside the file, stale after 10 s), re-reads the file, merges its change
 *   and replaces the file atomically (write-file-atomic: temp file + rename), so a reader never
 *   sees half a file and no writer's recipe is lost.
 * - A corrupt file is ignored with a warning (nothing is read from it); the next write keeps it
 *   as `recipes.json.corrupt-<time>` beside the new file, so nothing is lost.
 * No `vscode` import: the CLI uses it as is.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { addRecipe, emptyRecipeBook, parseRecipeBook, serialiseRecipeBook, type Recipe, type RecipeBook } from '../core/recipes';

/** File name of the store inside its folder. */
export const RECIPE_FILE = 'recipes.json';

/**
 * Path of the store: `$XDG_STATE_HOME/container-lineage/recipes.json`, with `XDG_STATE_HOME`
 * defaulting to `~/.local/state` when unset or not absolute (XDG Base Directory spec).
 */
export function recipeStorePath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(state, 'container-lineage', RECIPE_FILE);
}

/** Options of {@link RecipeStore}. */
export interface RecipeStoreOptions {
  /** Receives warnings (corrupt file, unreadable file). Default: none. */
  warn?: (message: string) => void;
}

/** The store. Cheap to create; reads are cached by the file's mtime and size. */
export class RecipeStore {
  private cached: { key: string; book: RecipeBook } | undefined;
  private warnedKey: string | undefined;

  constructor(
    readonly path: string = recipeStorePath(),
    private readonly options: RecipeStoreOptions = {},
  ) {}

  /**
   * The store's content now (an empty book when the file is missing, unreadable or corrupt; a
   * corrupt or unreadable file is warned about once per version of the file). Never throws.
   */
  read(): RecipeBook {
    let key: string;
    try {
      const st = statSync(this.path);
      key = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return emptyRecipeBook();
    }
    if (this.cached?.key === key) return this.cached.book;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.warnOnce(key, `Recipe store ${this.path} cannot be read (${(err as Error).message}); recipes are ignored until it can.`);
      return emptyRecipeBook();
    }
    const parsed = parseRecipeBook(text);
    if (parsed.problem) this.warnOnce(key, `Recipe store ${this.path}: ${parsed.problem}; ${Object.keys(parsed.book.images).length ? 'the rest is used' : 'it is ignored'}. The next build keeps a copy of it and writes a fresh store.`);
    this.cached = { key, book: parsed.book };
    return parsed.book;
  }

  /**
   * Record a recipe (under its image ID, and as the last build of its tag), merged with what
   * other processes wrote meanwhile.
   * @throws Error when the folder cannot be created, the lock cannot be taken within about 5 s, or the write fails.
   */
  async record(recipe: Recipe): Promise<void> {
    await this.update((book) => addRecipe(book, recipe));
  }

  /**
   * Apply `change` to the stored book under the lock and write the result atomically.
   * @throws as {@link record}.
   */
  async update(change: (book: RecipeBook) => RecipeBook): Promise<void> {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(this.path, { realpath: false, stale: 10_000, retries: { retries: 60, minTimeout: 10, maxTimeout: 100, factor: 1.3 } });
    try {
      let current = emptyRecipeBook();
      let text: string | undefined;
      try {
        text = readFileSync(this.path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (text !== undefined) {
        const parsed = parseRecipeBook(text);
        current = parsed.book;
        if (parsed.problem) {
          const copy = join(dir, `${basename(this.path)}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`);
          copyFileSync(this.path, copy);
          this.options.warn?.(`Recipe store ${this.path}: ${parsed.problem}; kept a copy as ${copy} and wrote a fresh store.`);
        }
      }
      await writeFileAtomic(this.path, serialiseRecipeBook(change(current)), { mode: 0o600 });
      this.cached = undefined;
    } finally {
      await release();
    }
  }

  /**
   * Call `listener` (debounced, 100 ms) when the store file changes, whoever wrote it.
   * Watches the folder (the file is replaced by rename). Returns a disposable; a missing folder
   * is created first so there is something to watch.
   */
  watch(listener: () => void): { dispose(): void } {
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      watcher = watch(dirname(this.path), (_event, file) => {
        if (file && file !== basename(this.path)) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(listener, 100);
      });
      watcher.on('error', () => watcher?.close());
    } catch (err) {
      this.options.warn?.(`Recipe store ${this.path}: cannot watch for changes (${(err as Error).message}); reopen the view to see other processes' builds.`);
    }
    return {
      dispose: () => {
        if (timer) clearTimeout(timer);
        watcher?.close();
      },
    };
  }

  private warnOnce(key: string, message: string): void {
    if (this.warnedKey === key) return;
    this.warnedKey = key;
    this.options.warn?.(message);
  }
}
