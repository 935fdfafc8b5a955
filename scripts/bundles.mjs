// The extension's bundle layout (issue 12 goal 1: activation loads only what the views need).
// Used by scripts/build.mjs; the layout is documented in README ("Install into desktop VS Code").
//
//   dist/extension.js   start bundle: activate(), the engine connection, the Images/Containers
//                       views and their commands, the status bar, the thin stubs of every other
//                       command (src/lazy.ts). Exports `__shared`: every src module and package
//                       it holds, so the feature bundles use the SAME instances (singletons such
//                       as imageItemDecorators, the shared lineage source) instead of copies.
//   dist/<feature>.js   one bundle per feature of FEATURES, required by src/lazy.ts on first use.
//                       Imports of a module the start bundle holds are rewritten to
//                       `require('./extension.js').__shared[...]` (no duplicated state).
//   dist/ssh.js         ssh2 (only for an ssh:// engine endpoint);
//   dist/dockerode.js   dockerode (the engine client; loaded by the first connection attempt);
//   dist/tar.js         tar-fs (dockerode's build-context packer);
//   dist/buildkit.js    @grpc/grpc-js, @grpc/proto-loader, protobufjs (only for BuildKit builds):
//                       every import of these packages is a stub whose properties are getters
//                       that require the vendor bundle on first access (LAZY_PACKAGES).
//
// Why hand-written: esbuild's own code splitting needs `format: 'esm'`, and a VS Code extension's
// main is loaded with require() (CommonJS) by the engines this extension supports (^1.90).
import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const require = createRequire(import.meta.url);

/** Feature bundles: dist/<name>.js built from the module that registers the feature. */
export const FEATURES = {
  build: 'src/commands/buildFeature.ts',
  overhead: 'src/commands/overhead.ts',
  transactions: 'src/commands/transactions.ts',
  serve: 'src/commands/serve/index.ts',
  stale: 'src/commands/staleFeature.ts',
};

/** Packages loaded only on first property access, from the vendor bundle named here. */
export const LAZY_PACKAGES = {
  ssh2: 'ssh',
  '@grpc/grpc-js': 'buildkit',
  '@grpc/proto-loader': 'buildkit',
  protobufjs: 'buildkit',
  // dockerode's build-context packer (dockerode/lib/util.js), used only when building.
  'tar-fs': 'tar',
};

/**
 * Modules that export one function (or constructor) and are only called later: the whole module
 * becomes a function that requires dist/<vendor>.js on first call (`new` works: the real
 * constructor's object is returned). docker-modem/lib/ssh.js reads ssh2's Client at load time,
 * so it is stubbed itself. Key: module path as required from the vendor bundle.
 */
export const LAZY_FUNCTIONS = {
  // The engine client: constructed for the connection (src/engine/dockerClient.ts, the only code
  // that constructs one), which activate() starts on the next tick.
  dockerode: { vendor: 'dockerode', importer: /[\\/]src[\\/]engine[\\/]dockerClient\.ts$/, request: /^dockerode$/ },
  'docker-modem/lib/ssh': { vendor: 'ssh', importer: /node_modules[\\/]docker-modem[\\/]lib[\\/]/, request: /^\.\/ssh(\.js)?$/ },
};

const lazyFilter = new RegExp(`^(${Object.keys(LAZY_PACKAGES).map((p) => p.replace(/[/.@-]/g, '\\$&')).join('|')})$`);

/**
 * esbuild plugin: each import of a LAZY_PACKAGES package becomes a module whose exports are
 * getters (names read from the real package at build time) that require dist/<vendor>.js once.
 * @param {string[]} own packages bundled for real (the vendor bundle that holds them)
 */
export function lazyPackagesPlugin(own = []) {
  return {
    name: 'lazy-packages',
    setup(build) {
      build.onResolve({ filter: lazyFilter }, (args) => (own.includes(args.path) ? undefined : { path: args.path, namespace: 'lazy-package' }));
      for (const [key, f] of Object.entries(LAZY_FUNCTIONS)) {
        build.onResolve({ filter: f.request }, (args) => (f.importer.test(args.importer) ? { path: key, namespace: 'lazy-function' } : undefined));
      }
      build.onLoad({ filter: /.*/, namespace: 'lazy-function' }, (args) => {
        const vendor = LAZY_FUNCTIONS[args.path].vendor;
        const contents = [
          `let real;`,
          `module.exports = function () {`,
          `  real ??= require(require('path').join(__dirname, ${JSON.stringify(`${vendor}.js`)}))[${JSON.stringify(args.path)}];`,
          `  return new.target ? new real(...arguments) : real.apply(this, arguments);`,
          `};`,
        ].join('\n');
        return { contents, loader: 'js', resolveDir: process.cwd() };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => {
        const names = Object.keys(require(args.path)).filter((n) => n !== '__esModule');
        const vendor = LAZY_PACKAGES[args.path];
        const contents = [
          `let real;`,
          `const load = () => (real ??= require(require('path').join(__dirname, ${JSON.stringify(`${vendor}.js`)}))[${JSON.stringify(args.path)}]);`,
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
        ].join('\n');
        return { contents, loader: 'js', resolveDir: process.cwd() };
      });
    },
  };
}

/** Key of a module in `__shared`: its path relative to the repository root, or `pkg:<name>`. */
const keyOf = (root, file) => relative(root, file).split('\\').join('/');

/**
 * What the start bundle holds, from its metafile: src modules (keys) and the bare package
 * specifiers src modules import (e.g. dockerode). Lazy packages excluded (they are stubs).
 */
export function sharedSet(root, metafile) {
  const modules = new Set();
  const packages = new Set();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (!file.startsWith('src/')) continue;
    modules.add(file);
    for (const imp of input.imports) {
      if (imp.external || !imp.original || imp.original.startsWith('.') || imp.original.startsWith('node:')) continue;
      if (imp.original in LAZY_PACKAGES || imp.original in LAZY_FUNCTIONS) continue;
      packages.add(imp.original);
    }
  }
  void root;
  return { modules, packages };
}

/**
 * Virtual entry of the start bundle: re-exports src/extension.ts and adds `__shared`, the
 * module objects of everything in `shared` (require(): the CommonJS view, `__esModule` set).
 */
export function startEntry(root, shared) {
  const lines = [`export * from './src/extension';`, `export const __shared = {`];
  for (const m of shared.modules) lines.push(`  ${JSON.stringify(m)}: require(${JSON.stringify(`./${m}`)}),`);
  for (const p of shared.packages) lines.push(`  ${JSON.stringify(`pkg:${p}`)}: require(${JSON.stringify(p)}),`);
  lines.push('};');
  return { contents: lines.join('\n'), resolveDir: root, sourcefile: 'start-entry.ts', loader: 'ts' };
}

/**
 * esbuild plugin for a feature bundle: an import of a module or package that a shared bundle
 * holds resolves to it in `require('./<bundle>.js').__shared` (the first table that has it).
 * @param {{ file: string, shared: { modules: Set<string>, packages: Set<string> } }[]} tables
 */
export function sharedModulesPlugin(root, tables) {
  const find = (key, pkg) => tables.find((t) => (pkg ? t.shared.packages : t.shared.modules).has(key));
  return {
    name: 'shared-modules',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.sharedSkip || args.kind === 'entry-point') return undefined;
        if (!args.importer.startsWith(join(root, 'src'))) return undefined;
        if (!args.path.startsWith('.')) {
          const t = find(args.path, true);
          return t ? { path: `${t.file}|pkg:${args.path}`, namespace: 'shared' } : undefined;
        }
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { sharedSkip: true } });
        if (r.errors.length || r.external) return undefined;
        const key = keyOf(root, r.path);
        const t = find(key, false);
        return t ? { path: `${t.file}|${key}`, namespace: 'shared' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => {
        const [file, key] = args.path.split('|');
        return {
          contents: `module.exports = require(require('path').join(__dirname, ${JSON.stringify(file)})).__shared[${JSON.stringify(key)}];`,
          loader: 'js',
          resolveDir: root,
        };
      });
    },
  };
}

/** What a feature bundle holds beyond `start` (src modules, bare packages imported from src). */
function featureSet(root, metafile, start) {
  const own = sharedSet(root, metafile);
  return {
    modules: new Set([...own.modules].filter((m) => !start.modules.has(m))),
    packages: new Set([...own.packages].filter((p) => !start.packages.has(p))),
  };
}

/** Entry holding `shared` as `__shared` (the common bundle). */
function sharedEntry(root, shared) {
  const lines = ['export const __shared = {'];
  for (const m of shared.modules) lines.push(`  ${JSON.stringify(m)}: require(${JSON.stringify(`./${m}`)}),`);
  for (const p of shared.packages) lines.push(`  ${JSON.stringify(`pkg:${p}`)}: require(${JSON.stringify(p)}),`);
  lines.push('};');
  return { contents: lines.join('\n'), resolveDir: root, sourcefile: 'common-entry.ts', loader: 'ts' };
}

/** Bytes per package (node_modules/<pkg>) or src folder in one output of a metafile, largest first. */
export function sizesByOrigin(metafile, outfile) {
  const out = Object.entries(metafile.outputs).find(([f]) => f.endsWith(outfile))?.[1];
  if (!out) return [];
  const by = new Map();
  for (const [f, v] of Object.entries(out.inputs)) {
    const m = f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const k = m ? m[1] : f.replace(/\/[^/]+$/, '/');
    by.set(k, (by.get(k) ?? 0) + v.bytesInOutput);
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

/**
 * Builds dist/extension.js, the feature bundles and the vendor bundles.
 * @param {string} root repository root
 * @param {object} common esbuild options shared by every bundle
 * @returns {Promise<{ files: Record<string, number>, start: esbuild.Metafile }>} bytes per dist file
 */
export async function buildExtension(root, common) {
  const dist = join(root, 'dist');
  const opts = { ...common, absWorkingDir: root, plugins: [lazyPackagesPlugin()] };
  // Pass 1: what the start bundle holds (nothing written).
  const probe = await esbuild.build({ ...opts, entryPoints: ['src/extension.ts'], outfile: join(dist, 'extension.js'), write: false, sourcemap: false });
  const shared = sharedSet(root, probe.metafile);
  // Pass 2: the start bundle with its `__shared` table.
  const start = await esbuild.build({ ...opts, stdin: startEntry(root, shared), outfile: join(dist, 'extension.js') });
  const results = [start];
  // Modules two or more features hold go to dist/common.js (one instance, e.g. the FROM lens
  // contribution point that the build and stale features share); the rest stay in each feature.
  const startTable = { file: 'extension.js', shared };
  const sets = [];
  for (const entry of Object.values(FEATURES)) {
    const r = await esbuild.build({ ...opts, plugins: [sharedModulesPlugin(root, [startTable]), lazyPackagesPlugin()], entryPoints: [entry], outfile: join(dist, 'probe.js'), write: false, sourcemap: false });
    sets.push(featureSet(root, r.metafile, shared));
  }
  const twice = (pick) => new Set(sets.flatMap((s) => [...pick(s)]).filter((k, _, all) => all.filter((x) => x === k).length >= 2));
  const commonSet = { modules: twice((s) => s.modules), packages: twice((s) => s.packages) };
  const tables = [startTable];
  if (commonSet.modules.size || commonSet.packages.size) {
    results.push(await esbuild.build({ ...opts, plugins: [sharedModulesPlugin(root, [startTable]), lazyPackagesPlugin()], stdin: sharedEntry(root, commonSet), outfile: join(dist, 'common.js') }));
    tables.push({ file: 'common.js', shared: commonSet });
  }
  for (const [name, entry] of Object.entries(FEATURES)) {
    results.push(await esbuild.build({ ...opts, plugins: [sharedModulesPlugin(root, tables), lazyPackagesPlugin()], entryPoints: [entry], outfile: join(dist, `${name}.js`) }));
  }
  const vendors = {};
  for (const [pkg, vendor] of Object.entries(LAZY_PACKAGES)) (vendors[vendor] ??= []).push(pkg);
  for (const [mod, { vendor }] of Object.entries(LAZY_FUNCTIONS)) (vendors[vendor] ??= []).push(mod);
  for (const [vendor, pkgs] of Object.entries(vendors)) {
    const contents = `module.exports = {\n${pkgs.map((p) => `  ${JSON.stringify(p)}: require(${JSON.stringify(p)}),`).join('\n')}\n};`;
    // A vendor bundle holds its own packages; the other lazy ones stay stubs (dockerode → ssh2, grpc).
    results.push(await esbuild.build({ ...common, absWorkingDir: root, plugins: [lazyPackagesPlugin(pkgs)], stdin: { contents, resolveDir: root, sourcefile: `${vendor}-entry.js` }, outfile: join(dist, `${vendor}.js`) }));
  }
  const files = {};
  for (const r of results) for (const [f, o] of Object.entries(r.metafile.outputs)) if (f.endsWith('.js')) files[keyOf(root, join(root, f))] = o.bytes;
  return { files, start: start.metafile };
}
