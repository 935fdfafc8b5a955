// Bundles the extension and the CLI with esbuild, and copies the chart library into media/vendor.
// Usage: node scripts/build.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');

// ssh2 loads two optional native addons inside try/catch (cpu-features and its own
// sshcrypto.node) and falls back to pure JS when they are missing; keeping them external
// keeps native code out of the bundle without breaking ssh:// engine connections.
const external = ['vscode', 'cpu-features', '*.node'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  external,
  logLevel: 'warning',
  metafile: true,
};

await esbuild.build({ ...common, entryPoints: [join(root, 'src/extension.ts')], outfile: join(root, 'dist/extension.js') });
await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/cli.ts')],
  outfile: join(root, 'dist/cli.js'),
  banner: { js: '#!/usr/bin/env node' },
});

// dockerode loads its BuildKit protobuf schemas at run time from `${__dirname}/proto`; in the
// bundle __dirname is dist/, so ship them there (needed for BuildKit builds and their progress).
mkdirSync(join(root, 'dist/proto'), { recursive: true });
const protoDir = join(dirname(require.resolve('dockerode/package.json')), 'lib/proto');
for (const f of readdirSync(protoDir)) copyFileSync(join(protoDir, f), join(root, 'dist/proto', f));

// Chart library for the webview, served locally (no CDN).
mkdirSync(join(root, 'media/vendor'), { recursive: true });
copyFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), join(root, 'media/vendor/chart.umd.js'));
console.log(`built dist/extension.js and dist/cli.js${production ? ' (production)' : ''}`);
