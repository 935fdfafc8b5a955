/**
 * The bundle layout of scripts/bundles.mjs (issue 12 goal 1): the start bundle holds no feature
 * code and none of the heavy packages, every lazily loaded feature's commands appear in that
 * feature's own code, and every contributed command is either registered by the start bundle's
 * code or stubbed by a lazy feature. Built for real with esbuild (nothing written to dist/).
 * That the commands are really registered in VS Code is checked by test/vscode/suite/foundation.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { LAZY_FEATURES } from '../../src/features';

const root = resolve(__dirname, '../..');
const common: esbuild.BuildOptions & { metafile: true } = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', external: ['vscode', 'cpu-features', '*.node'], metafile: true, write: false, logLevel: 'silent', absWorkingDir: root };

type Bundles = {
  FEATURES: Record<string, string>;
  lazyPackagesPlugin: () => esbuild.Plugin;
  sharedSet: (root: string, m: esbuild.Metafile) => { modules: Set<string>; packages: Set<string> };
  sharedModulesPlugin: (root: string, tables: { file: string; shared: { modules: Set<string>; packages: Set<string> } }[]) => esbuild.Plugin;
};

/** Source text of every src module in a metafile's inputs, concatenated. */
const sourceOf = (m: esbuild.Metafile) =>
  Object.keys(m.inputs)
    .filter((f) => f.startsWith('src/'))
    .map((f) => readFileSync(join(root, f), 'utf8'))
    .join('\n');

describe('bundle layout (scripts/bundles.mjs)', function () {
  this.timeout(60000);
  let b: Bundles;
  let start: esbuild.Metafile;

  before(async () => {
    b = (await import(join(root, 'scripts/bundles.mjs'))) as Bundles;
    start = (await esbuild.build({ ...common, plugins: [b.lazyPackagesPlugin()], entryPoints: ['src/extension.ts'], outfile: join(root, 'dist/extension.js') })).metafile;
  });

  it('keeps feature code and heavy packages out of the start bundle', () => {
    const inputs = Object.keys(start.inputs);
    for (const entry of Object.values(b.FEATURES)) assert.ok(!inputs.includes(entry), `${entry} is in the start bundle`);
    // dockerode too: the connection's first attempt, on the tick after activate(), loads it.
    for (const pkg of ['dockerode', 'docker-modem', 'ssh2', '@grpc/grpc-js', 'protobufjs', 'dockerfile-ast', 'http-proxy-3', 'tar-fs', 'tar-stream']) {
      const held = inputs.filter((f) => f.includes(`node_modules/${pkg}/`));
      assert.deepEqual(held, [], `${pkg} is in the start bundle`);
    }
    assert.ok(inputs.includes('src/views/images.ts') && inputs.includes('src/engine/connection.ts'), 'the start bundle holds the views and the connection');
  });

  it('names in src/features.ts only commands that the feature bundle registers, for features that exist', async () => {
    const shared = b.sharedSet(root, start);
    for (const f of LAZY_FEATURES) {
      const entry = b.FEATURES[f.bundle];
      assert.ok(entry, `src/features.ts names bundle ${f.bundle}, which scripts/bundles.mjs does not build`);
      const built = await esbuild.build({ ...common, plugins: [b.sharedModulesPlugin(root, [{ file: 'extension.js', shared }]), b.lazyPackagesPlugin()], entryPoints: [entry], outfile: join(root, `dist/${f.bundle}.js`) });
      const text = sourceOf(built.metafile);
      const absent = f.commands.filter((id) => !text.includes(`'${id}'`));
      assert.deepEqual(absent, [], `${f.bundle}: commands not found in its code`);
    }
  });

  it('registers or stubs every command of package.json contributes.commands', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };
    const startText = sourceOf(start);
    const lazy = new Set(LAZY_FEATURES.flatMap((f) => f.commands));
    const nowhere = pkg.contributes.commands.map((c) => c.command).filter((id) => !lazy.has(id) && !startText.includes(`'${id}'`));
    assert.deepEqual(nowhere, [], 'contributed commands neither in the start bundle nor in a lazy feature');
  });
});
