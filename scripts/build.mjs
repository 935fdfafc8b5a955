// Bundles the extension (start bundle + feature and vendor bundles loaded on first use, see
// scripts/bundles.mjs) and the CLI with esbuild, and copies the chart library into media/vendor.
// Prints the size of each dist bundle and the packages that dominate the start bundle.
// Usage: node scripts/build.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { buildExtension, sizesByOrigin } from './bundles.mjs';
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

const { files, start } = await buildExtension(root, common);
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
const kb = (n) => `${(n / 1024).toFixed(1).padStart(7)} KB`;
console.log(`built dist/ (${production ? 'production' : 'development'}):`);
for (const [f, bytes] of Object.entries(files)) console.log(`  ${kb(bytes)}  ${f}`);
console.log('  start bundle by origin (largest first):');
for (const [origin, bytes] of sizesByOrigin(start, 'dist/extension.js').slice(0, 8)) console.log(`    ${kb(bytes)}  ${origin}`);
