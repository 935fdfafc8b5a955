// Shared plumbing for the VS Code level (scripts/test-vscode.mjs) and the activation benchmark
// (bench/activation.mjs): install code-server, package the extensions, make a fresh profile, start
// code-server on 127.0.0.1, open it in Debian's chromium through playwright-core, read the logs.
// Nothing here downloads a browser: chromium is /usr/bin/chromium (scripts/code-server.sh installs it).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

// ---- UI helpers (playwright against VS Code's workbench DOM) -----------------------------------

/** A CSS attribute-selector string literal for `value` (quotes and backslashes escaped). */
export const cssString = (value) => JSON.stringify(String(value));

/**
 * Opens a quick input (Quick Open with `Control+P`, the command palette with `Control+Shift+P`)
 * and returns its input box. Retries with the keyboard focus moved to the workbench first: a
 * webview or a notification can hold the focus and swallow the first key press.
 * @param {import('playwright-core').Page} page
 * @param {string} key  e.g. 'Control+P'
 */
export async function openQuickInput(page, key, attempts = 4) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  for (let i = 1; ; i++) {
    if (await widget.isVisible()) await page.keyboard.press('Escape');
    // The side bar's title (or the status bar) takes the focus without doing anything.
    const target = page.locator('.part.sidebar .composite.title').or(page.locator('.part.statusbar')).first();
    await target.click({ position: { x: 5, y: 5 }, timeout: 10_000 }).catch(() => {});
    await page.keyboard.press(key);
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      return input;
    } catch (err) {
      if (i >= attempts) throw new Error(`${key} opened no quick input after ${attempts} attempts: ${err.message}`);
    }
  }
}

/**
 * Runs a command by its palette title ("Container Lineage: Measure Overhead…") through the
 * command palette: types the title and presses Enter on the row whose label is exactly that title.
 */
export async function runFromPalette(page, title, timeoutMs = 15_000) {
  const input = await openQuickInput(page, 'Control+Shift+P');
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { has: page.locator('.label-name', { hasText: title }) });
  await row.first().waitFor({ state: 'visible', timeout: timeoutMs });
  const labels = await page.locator('.quick-input-widget .monaco-list-row .label-name').allInnerTexts();
  if (!labels.some((l) => l.trim() === title)) throw new Error(`the command palette lists no "${title}": ${JSON.stringify(labels)}`);
  await row.first().click();
}

/**
 * Opens a workspace file with Quick Open (Ctrl+P): types `query` and clicks the row whose file
 * name is `name` and whose description (the folder) is `folder`. The list re-sorts while results
 * arrive, so the caller should check which file the editor shows and try again if needed.
 */
export async function quickOpenFile(page, { query, name, folder }, timeoutMs = 20_000) {
  const input = await openQuickInput(page, 'Control+P');
  await input.fill(query);
  const exact = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exact(name) }) })
    .filter({ has: page.locator('.label-description', { hasText: exact(folder) }) })
    .first();
  try {
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    const shown = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
    throw new Error(`Quick Open "${query}" lists no ${folder}/${name}: ${JSON.stringify(shown)}`);
  }
  await sleep(300); // let the result list settle (file search results arrive after the history)
  await row.click({ timeout: 10_000 });
}

/** The pane (header + body) of a view in the side bar, by its name ("Images"). */
export const sidebarPane = (page, name) => page.locator('.part.sidebar .pane', { has: page.locator(`.pane-header[aria-label^=${cssString(`${name} Section`)}]`) });

/**
 * The tree row in `pane` whose label is `label` (VS Code's row aria-label is the label, a space,
 * then the description). The tree is virtual: rows outside the viewport are not in the DOM, so
 * this scrolls the tree (mouse wheel) until the row is rendered, then scrolls it into view. After
 * one sweep without it, collapsed rows are expanded on the next sweeps (a proof that ran before
 * may have folded the row's ancestor, and VS Code keeps that state).
 * @returns {Promise<import('playwright-core').Locator>}
 */
export async function treeRow(page, pane, label, timeoutMs = 30_000) {
  // Not the sticky copy VS Code keeps at the top for the ancestors of the first visible row: it
  // has no aria-level, so its place in the tree cannot be read.
  const row = pane.locator(`.monaco-list-row:not(.monaco-tree-sticky-row)[aria-label^=${cssString(`${label} `)}]`).first();
  const list = pane.locator('.monaco-list').first();
  const rowsStyle = () => list.locator('.monaco-list-rows').getAttribute('style').catch(() => null);
  const deadline = Date.now() + timeoutMs;
  let atTop = false;
  let sweeps = 0;
  for (;;) {
    if ((await row.count()) > 0) {
      await row.scrollIntoViewIfNeeded({ timeout: 5_000 }).catch(() => {});
      return row;
    }
    if (Date.now() > deadline) {
      const shown = await pane.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      throw new Error(`no row "${label}" in the tree within ${timeoutMs / 1000} s; rendered rows: ${JSON.stringify(shown)}`);
    }
    const box = await list.boundingBox();
    if (!box || box.height < 5) {
      await sleep(250);
      continue;
    }
    // Sweep: back to the top, then one viewport down per round until the bottom, then again.
    // From the second sweep on, expand the collapsed rows on the way: VS Code remembers what an
    // earlier proof folded, and the row may sit under one of them.
    if (sweeps > 0) {
      const collapsed = pane.locator('.monaco-list-row:not(.monaco-tree-sticky-row)[aria-expanded="false"] .monaco-tl-twistie');
      for (let i = await collapsed.count(); i > 0; i--) {
        await collapsed.first().click({ timeout: 2_000 }).catch(() => {});
        await sleep(150);
      }
    }
    await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 100));
    const before = await rowsStyle();
    await page.mouse.wheel(0, atTop ? Math.max(60, box.height - 40) : -1e6);
    await sleep(200);
    const moved = (await rowsStyle()) !== before;
    if (atTop && !moved) sweeps++;
    atTop = atTop ? moved : true; // reached the bottom (nothing moved): start over from the top
    if (!moved) await sleep(250); // nothing to scroll: the row may still be on its way
  }
}

/** Expands a tree row (clicks its twistie) unless it is expanded already; waits until it is. */
export async function expandRow(row, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await row.getAttribute('aria-expanded');
    if (state === 'true') return;
    if (state === null) throw new Error(`row ${JSON.stringify(await row.getAttribute('aria-label'))} has no children to expand`);
    await row.locator('.monaco-tl-twistie').click({ timeout: 5_000 }).catch(() => {});
    if (Date.now() > deadline) throw new Error(`row ${JSON.stringify(await row.getAttribute('aria-label'))} did not expand`);
    await sleep(300);
  }
}

/**
 * The label of a rendered row's parent in the tree: the nearest rendered row above it with
 * aria-level one less. undefined for a root; null when that row is not rendered (scrolled away).
 */
export async function treeParentLabel(row) {
  return row.evaluate((el) => {
    const level = Number(el.getAttribute('aria-level'));
    if (level <= 1) return undefined;
    const rows = Array.from(el.parentElement?.querySelectorAll('.monaco-list-row') ?? []);
    // Rows are absolutely positioned: order them by their top offset, not by DOM order.
    rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    for (let i = rows.indexOf(el) - 1; i >= 0; i--) {
      const l = Number(rows[i].getAttribute('aria-level'));
      if (l === level - 1) return rows[i].getAttribute('aria-label');
      if (l < level - 1) break;
    }
    return null;
  });
}

/** Drags the primary side bar's sash so the side bar is `width` px wide (labels readable in screenshots). */
export async function setSidebarWidth(page, width) {
  const sash = page.locator('.monaco-sash.vertical.primary-sidebar-sash');
  const sidebar = page.locator('.part.sidebar');
  const sb = await sidebar.boundingBox();
  const box = await sash.boundingBox();
  if (!sb || !box || Math.abs(sb.width - width) < 10) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  const target = sb.x + width;
  await page.mouse.move((box.x + target) / 2, y, { steps: 5 });
  await page.mouse.move(target, y, { steps: 5 });
  await page.mouse.up();
}

/**
 * A locator factory for the content of the visible webview whose page has an `<h1>` with
 * `heading` (VS Code nests two iframes: the host frame and the page's `#active-frame`).
 * @returns {Promise<import('playwright-core').FrameLocator>}
 */
export async function webviewFrame(page, heading, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hosts = page.locator('iframe.webview.ready');
    const n = await hosts.count();
    for (let i = 0; i < n; i++) {
      if (!(await hosts.nth(i).isVisible())) continue;
      const inner = hosts.nth(i).contentFrame().frameLocator('iframe#active-frame');
      const h1 = inner.locator('h1');
      if ((await h1.count().catch(() => 0)) > 0 && (await h1.first().innerText().catch(() => '')).includes(heading)) return inner;
    }
    if (Date.now() > deadline) throw new Error(`no visible webview with the heading "${heading}" within ${timeoutMs / 1000} s (${n} webview frames)`);
    await sleep(500);
  }
}
