// The layers show in the folders and data flows one way (developers' guide): src/core imports
// neither vscode nor the engine client; only src/engine (and the CLI's wiring) talks to an engine
// library; views, lenses and webviews never import commands. Read from the sources' import lines.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isDockerfileDocument } from '../../src/core/commandIds';

const SRC = join(__dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
    out.push(m[1] ?? m[2] ?? m[3]);
  }
  return out;
}

function offenders(folder: string, bad: (spec: string) => boolean): string[] {
  return sources(join(SRC, folder)).flatMap((f) => imports(f).filter(bad).map((s) => `${relative(SRC, f)} imports ${s}`));
}

describe('layers: imports follow the folders', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    assert.ok(imports(join(SRC, 'lenses', 'from.ts')).includes('vscode'));
    assert.ok(imports(join(SRC, 'lenses', 'from.ts')).includes('../core/commandIds'));
  });

  it('src/core imports no vscode, no engine client and nothing outside src/core', () => {
    assert.deepEqual(offenders('core', (s) => s === 'vscode' || s === 'dockerode' || s === 'docker-modem' || (s.startsWith('.') && !s.startsWith('./'))), []);
  });

  it('views, lenses and webviews never import commands', () => {
    const bad = (s: string) => /(^|\/)commands(\/|$)/.test(s);
    assert.deepEqual([...offenders('views', bad), ...offenders('lenses', bad), ...offenders('webview', bad)], []);
  });

  it('only src/engine imports dockerode', () => {
    const all = ['core', 'views', 'lenses', 'webview', 'commands'].flatMap((d) => offenders(d, (s) => s === 'dockerode'));
    assert.deepEqual(all, []);
  });
});

describe('isDockerfileDocument', () => {
  const doc = (path: string, languageId = 'plaintext') => ({ languageId, uri: { path } });
  it('knows Dockerfiles by language or name', () => {
    for (const p of ['/w/Dockerfile', '/w/dockerfile', '/w/Containerfile', '/w/Dockerfile.dev', '/w/app.dockerfile', '/w/x.Containerfile']) assert.equal(isDockerfileDocument(doc(p)), true, p);
    assert.equal(isDockerfileDocument(doc('/w/build.txt', 'dockerfile')), true);
    for (const p of ['/w/README.md', '/w/Dockerfile-notes/x.md', '/w/mydockerfile']) assert.equal(isDockerfileDocument(doc(p)), false, p);
  });
});
