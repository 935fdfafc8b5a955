/**
 * The layer rules of the code (README, "Layers"): `src/core/` is pure logic (no `vscode`, no
 * `src/engine/`), and views never import commands (the wiring of a feature's views and commands
 * is a feature module in `src/commands/`). Imports are read with TypeScript's own pre-processor
 * (`ts.preProcessFile`: static imports, re-exports, `import()` and `require()`), not a regex.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'src');

/** Every .ts file under `dir` (absolute paths). */
function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** A module a file imports: as written, and the file's src-relative target when it is relative. */
interface Import {
  spec: string;
  /** e.g. 'commands/images' (relative specifiers only). */
  target?: string;
}

/** The imports of `source`, a file at `file` (absolute). */
export function importsOf(file: string, source: string): Import[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map(({ fileName: spec }) => ({
    spec,
    target: spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep).join('/') : undefined,
  }));
}

/** Rule breaches of one file: `file: imports spec (why)`. */
export function violations(file: string, source: string): string[] {
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  const out: string[] = [];
  for (const imp of importsOf(file, source)) {
    const under = (dir: string) => imp.target !== undefined && (imp.target === dir || imp.target.startsWith(`${dir}/`));
    if (rel.startsWith('views/') && under('commands')) out.push(`${rel}: imports ${imp.spec} (views never import commands; wire them in a feature module under src/commands/)`);
    if (rel.startsWith('core/') && imp.spec === 'vscode') out.push(`${rel}: imports vscode (core is pure logic)`);
    if (rel.startsWith('core/') && under('engine')) out.push(`${rel}: imports ${imp.spec} (core never talks to an engine)`);
  }
  return out;
}

describe('layers', () => {
  const files = [...tsFiles(path.join(SRC, 'views')), ...tsFiles(path.join(SRC, 'core'))];

  it('scans the views and core (the walk finds their files)', () => {
    assert.ok(files.some((f) => f.endsWith(path.join('views', 'images.ts'))), 'src/views/images.ts is scanned');
    assert.ok(files.some((f) => f.endsWith(path.join('core', 'lineage.ts'))), 'src/core/lineage.ts is scanned');
  });

  it('no view imports commands; core imports neither vscode nor the engine', () => {
    const found = files.flatMap((f) => violations(f, fs.readFileSync(f, 'utf8')));
    assert.deepEqual(found, []);
  });

  it('the check catches each kind of breach (static, type-only, dynamic, require)', () => {
    const view = path.join(SRC, 'views', 'x.ts');
    const core = path.join(SRC, 'core', 'sub', 'y.ts');
    assert.equal(violations(view, `import { a } from '../commands/images';`).length, 1);
    assert.equal(violations(view, `import type { A } from '../commands';`).length, 1);
    assert.equal(violations(view, `export { a } from '../commands/serve/index';`).length, 1);
    assert.equal(violations(view, `const m = await import('../commands/images');`).length, 1);
    assert.equal(violations(view, `import { a } from '../engine/images'; import { b } from './commandsList';`).length, 0, 'engine and look-alike names are allowed in views');
    assert.equal(violations(core, `import * as vscode from 'vscode';`).length, 1);
    assert.equal(violations(core, `const d = require('../../engine/connection');`).length, 1);
    assert.equal(violations(core, `import { x } from '../format';`).length, 0);
  });
});
