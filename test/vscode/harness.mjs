// Shared plumbing for the VS Code level (scripts/test-vscode.mjs) and the activation benchmark
// (bench/activation.mjs): install code-server, package the extensions, make a fresh profile, start
// code-server on 127.0.0.1, open it in Debian's chromium through playwright-core, read the logs.
// Nothing here downloads a browser: chromium is /usr/bin/chromium (scripts/code-server.sh installs it).
// The helpers that drive the workbench's DOM are in workbench.mjs, re-exported here.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export * from './workbench.mjs';
import { sleep } from './workbench.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);

/** Runs scripts/code-server.sh (installs when missing) and returns its KEY=VALUE paths. */
export function ensureCodeServer() {
  const out = execFileSync('bash', [path.join(root, 'scripts/code-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const vars = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  for (const k of ['CL_NODE24', 'CL_CODE_SERVER', 'CL_CHROMIUM']) if (!vars[k]) throw new Error(`scripts/code-server.sh did not print ${k}`);
  return { node: vars.CL_NODE24, entry: vars.CL_CODE_SERVER, chromium: vars.CL_CHROMIUM, version: vars.CL_CODE_SERVER_VERSION, cache: vars.CL_CACHE };
}

/** `npm run package` (production bundle + vsce) → absolute path of dist/container-lineage.vsix. */
export function packageExtension() {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const vsix = path.join(root, 'dist/container-lineage.vsix');
  if (!fs.existsSync(vsix)) throw new Error('npm run package did not produce dist/container-lineage.vsix');
  return vsix;
}

/** Packages the folder `stage` (package.json + files) with vsce into `outFile`. */
function vscePackage(stage, outFile) {
  execFileSync(bin('vsce'), ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', outFile], {
    cwd: stage,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return outFile;
}

/**
 * Builds the test-runner extension (test/vscode/runner) with esbuild: the runner and mocha in
 * dist/runner.js, each test/vscode/suite/*.test.ts bundled to dist/suite/*.test.js (vscode external),
 * then packages it as a .vsix in `workDir`.
 * @param {{ workDir: string, variant?: 'test' | 'bench' }} options  'bench' drops the dependency on
 *   Container Lineage so that the benchmark, not VS Code, triggers its activation.
 * @returns {Promise<string>} path of the .vsix
 */
export async function packageRunner({ workDir, variant = 'test' }) {
  const esbuild = await import('esbuild');
  const stage = path.join(workDir, `runner-${variant}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(path.join(stage, 'dist/suite'), { recursive: true });
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'error', sourcemap: 'inline' };
  await esbuild.build({ ...common, entryPoints: [path.join(root, 'test/vscode/runner/runner.ts')], outfile: path.join(stage, 'dist/runner.js') });
  const suiteDir = path.join(root, 'test/vscode/suite');
  const suites = fs.readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(suiteDir, f));
  if (variant === 'test' && suites.length) {
    await esbuild.build({ ...common, entryPoints: suites, outdir: path.join(stage, 'dist/suite') });
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'test/vscode/runner/package.json'), 'utf8'));
  if (variant === 'bench') {
    manifest.name = 'bench-runner';
    delete manifest.extensionDependencies;
  }
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const f of ['README.md', '.vscodeignore']) fs.copyFileSync(path.join(root, 'test/vscode/runner', f), path.join(stage, f));
  return { vsix: vscePackage(stage, path.join(workDir, `${manifest.name}.vsix`)), suites: suites.map((s) => path.relative(root, s)) };
}

/** Packages bench/activation-baseline (a trivial extension) as a .vsix in `workDir`. */
export function packageBaseline(workDir) {
  const stage = path.join(workDir, 'baseline');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'bench/activation-baseline'), stage, { recursive: true });
  return vscePackage(stage, path.join(workDir, 'bench-baseline.vsix'));
}

/** Settings for a test profile: workspace trust off (else the extension silently stays disabled), no noise. */
export const PROFILE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.openRepositoryInParentFolders': 'never',
  // Sticky rows repeat a tree's ancestors over its top rows and hide the real rows under them: the
  // UI proofs read parents from the rows themselves, which a longer tree (other suites' images on
  // the shared engine) would scroll under the sticky copies.
  'workbench.tree.enableStickyScroll': false,
  // No animations: a quick pick that closes while the next one opens (the palette, then a command's
  // pick) is marked `inert` for its close animation, and code-server 4.139 sometimes leaves the
  // reopened widget inert (CI: "element is inert" for 30 s on the serve prompt). Without motion
  // there is no close animation.
  'workbench.reduceMotion': 'on',
};

/** Creates `<dir>/User/settings.json` with {@link PROFILE_SETTINGS}; returns `dir`. */
export function makeProfile(dir, extra = {}) {
  fs.mkdirSync(path.join(dir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'User/settings.json'), JSON.stringify({ ...PROFILE_SETTINGS, ...extra }, null, 2));
  return dir;
}

/** code-server's own CLI options shared by install and serve (own config file: never ~/.config). */
function baseArgs({ userDataDir, extensionsDir }) {
  const config = path.join(userDataDir, 'code-server.yaml');
  if (!fs.existsSync(config)) fs.writeFileSync(config, '# code-server config for this profile (other flags on the command line)\nauth: none\n');
  return ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
}

/** Installs .vsix files, one code-server CLI call each and in order (dependencies first). */
export function installExtensions(cs, { userDataDir, extensionsDir, vsixes }) {
  for (const vsix of vsixes) {
    execFileSync(cs.node, [cs.entry, ...baseArgs({ userDataDir, extensionsDir }), '--force', '--install-extension', vsix], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  }
  return execFileSync(cs.node, [cs.entry, ...baseArgs({ userDataDir, extensionsDir }), '--list-extensions', '--show-versions'], { encoding: 'utf8' })
    .trim()
    .split('\n');
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server in its own process group, bound to 127.0.0.1:port with no auth, and waits
 * until /healthz answers. `env` is added to the process environment (the extension host inherits it).
 * @returns {Promise<{ url: string, port: number, logFile: string, pid: number, exited: () => boolean, stop: () => Promise<void> }>}
 */
export async function startCodeServer(cs, { userDataDir, extensionsDir, folder, port, env = {}, logFile, extraArgs = [] }) {
  port = port ?? (await freePort());
  logFile = logFile ?? path.join(userDataDir, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  const args = [
    cs.entry,
    ...baseArgs({ userDataDir, extensionsDir }),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...extraArgs,
  ];
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const child = spawn(cs.node, args, { detached: true, stdio: ['ignore', out, out], env: childEnv });
  fs.closeSync(out);
  let exitedCode;
  child.on('exit', (code, signal) => (exitedCode = code ?? signal));
  const stop = async () => {
    if (exitedCode !== undefined) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    for (let i = 0; i < 50 && exitedCode === undefined; i++) await sleep(100);
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitedCode !== undefined) throw new Error(`code-server exited (${exitedCode}) before answering; log:\n${tail(logFile, 40)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on 127.0.0.1:${port} within 60 s; log:\n${tail(logFile, 40)}`);
    }
    await sleep(250);
  }
  const url = `http://127.0.0.1:${port}/` + (folder ? `?folder=${encodeURI(folder)}` : '');
  return { url, port, logFile, pid: child.pid, exited: () => exitedCode !== undefined, stop };
}

/** The last `lines` lines of a text file ('' when missing). */
export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Log files VS Code wrote under `<userDataDir>/logs` (newest session), e.g. the remote extension host's. */
export function vscodeLogs(userDataDir) {
  const found = [];
  const walk = (dir) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log')) found.push(p);
    }
  };
  walk(path.join(userDataDir, 'logs'));
  return found.sort();
}

/** A diagnostic block: the code-server log tail and the extension host log tails. */
export function diagnostics(userDataDir, logFile, lines = 40) {
  const parts = [`--- ${logFile} (last ${lines} lines)\n${tail(logFile, lines)}`];
  for (const f of vscodeLogs(userDataDir).filter((f) => /remoteexthost\.log$|container-lineage\./.test(f))) {
    parts.push(`--- ${f} (last ${lines} lines)\n${tail(f, lines)}`);
  }
  return parts.join('\n');
}

/**
 * Launches Debian's chromium through playwright-core with a fresh profile (never downloads a browser).
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, close: () => Promise<void> }>}
 */
export async function launchBrowser(cs, { profileDir, viewport = { width: 1440, height: 900 } } = {}) {
  const { chromium } = await import('playwright-core');
  profileDir = profileDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cl-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: cs.chromium,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => {});
      fs.rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Waits for VS Code's workbench in `page` (the extension host starts once the client connects). */
export async function openWorkbench(page, url, timeoutMs = 90_000) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page.locator('.monaco-workbench').first().waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Error entries in the remote extension host log that come from the given extension ids
 * (uncaught errors and failed activations name the extension or its install folder).
 * @returns {string[]} one string per log entry (first line plus its stack lines)
 */
export function extensionHostErrors(userDataDir, ids) {
  const entries = [];
  for (const file of vscodeLogs(userDataDir).filter((f) => f.endsWith('remoteexthost.log'))) {
    let current;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[(\w+)\]/.exec(line);
      if (m) entries.push((current = { level: m[1], text: line }));
      else if (current) current.text += '\n' + line;
    }
  }
  return entries.filter((e) => e.level === 'error' && ids.some((id) => e.text.includes(id))).map((e) => e.text);
}
