#!/usr/bin/env node
// The VS Code level of `npm test` (`npm run test:vscode`): Container Lineage inside a REAL VS Code.
//
// Desktop VS Code cannot be downloaded here (so @vscode/test-electron cannot run); code-server is
// the same workbench and extension host served to a browser. For each scenario this script:
//   1. packages dist/container-lineage.vsix (npm run package) and the test-runner extension
//      (test/vscode/runner + every test/vscode/suite/*.test.ts, bundled with mocha);
//   2. installs both into a fresh extensions dir with a fresh profile (workspace trust off);
//   3. starts code-server on a free port on 127.0.0.1 with samples/ open (own process group);
//   4. opens it in Debian's chromium via playwright-core (the extension host only starts when a
//      client connects); the runner runs mocha inside the extension host and writes JSON results;
//   5. drives the UI: activity bar icon, both views, the status bar item naming the engine, or the
//      welcome text in the bad-input scenarios; saves screenshots to test-artifacts/vscode/;
//   6. checks that nothing from our extensions logged an error in the extension host log;
//   7. stops code-server (process group) and the browser.
// Prints the mocha spec output and UI checks, then `N passed, N failed`; exits 1 on any failure.
//
// Environment: CL_VSCODE_SCENARIOS=default,bad-host,bad-context (subset to run),
//   CL_VSCODE_KEEP=1 keeps the temporary profile folders, CONTAINER_LINEAGE_CACHE (see code-server.sh).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as h from '../test/vscode/harness.mjs';

const ARTIFACTS = path.join(h.root, 'test-artifacts/vscode');
const SAMPLES = path.join(h.root, 'samples');
const RESULTS_TIMEOUT_MS = 240_000;
const OUR_IDS = ['container-lineage.container-lineage', 'container-lineage.test-runner'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Scenarios: environment for code-server, which tagged suites run, and the UI checks. */
const SCENARIOS = [
  { name: 'default', env: {}, grep: '@scenario:', invert: true, ui: defaultUi },
  {
    name: 'bad-host',
    env: { DOCKER_HOST: 'tcp://127.0.0.1:1' },
    grep: '@scenario:bad-host',
    ui: (ctx) => welcomeUi(ctx, 'tcp://127.0.0.1:1'),
  },
  {
    name: 'bad-context',
    env: { DOCKER_HOST: undefined, DOCKER_CONTEXT: 'cl-missing-context-7f3a' },
    grep: '@scenario:bad-context',
    ui: (ctx) => welcomeUi(ctx, 'cl-missing-context-7f3a'),
  },
];

/** Every check's outcome, mocha tests and UI checks alike. */
const outcomes = [];
/** Stops whatever is running now (code-server, browser); used on Ctrl-C too. */
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await Promise.all([...running].map((stop) => stop()));
    process.exit(130);
  });
}

async function check(scenario, title, fn) {
  try {
    await fn();
    outcomes.push({ scenario, state: 'passed' });
    console.log(`    ✓ ${title}`);
  } catch (err) {
    outcomes.push({ scenario, state: 'failed' });
    console.log(`    ✗ ${title}\n      ${String(err?.stack ?? err).replace(/\n/g, '\n      ')}`);
  }
}

/** Clicks the Container Lineage activity-bar icon and waits for its side bar. */
async function openContainer(page) {
  const ours = page.locator('.part.activitybar li.action-item', { has: page.locator('a.action-label[aria-label^="Container Lineage"]') });
  await ours.waitFor({ state: 'visible', timeout: 30_000 });
  // A click on the active icon would close the side bar: when ours is active already (the suites
  // may have opened it), switch to the Explorer first, so the click below really opens ours.
  if ((await ours.getAttribute('aria-selected')) === 'true') {
    await page.locator('.part.activitybar a.action-label[aria-label^="Explorer"]').click({ timeout: 30_000 });
    await page.locator('.part.sidebar .composite.title h2').filter({ hasText: /Explorer/i }).waitFor({ timeout: 15_000 });
  }
  await ours.click({ timeout: 30_000 });
  const title = page.locator('.part.sidebar .composite.title h2');
  await title.filter({ hasText: /Container Lineage/i }).waitFor({ timeout: 15_000 });
  if ((await ours.getAttribute('aria-selected')) !== 'true') throw new Error('the Container Lineage icon is not marked active after the click');
}

/** The pane (header + body) of one of our views in the side bar. */
const pane = (page, name) => page.locator('.part.sidebar .pane', { has: page.locator(`.pane-header[aria-label^="${name} Section"]`) });

async function viewsRender(page) {
  for (const name of ['Images', 'Containers']) {
    const p = pane(page, name);
    await p.locator('.pane-header').waitFor({ state: 'visible', timeout: 15_000 });
    if ((await p.locator('.pane-header').getAttribute('aria-expanded')) !== 'true') await p.locator('.pane-header').click();
    await p.locator('.pane-body').waitFor({ state: 'visible', timeout: 15_000 });
  }
}

async function defaultUi({ page, results, scenario }) {
  await check(scenario, 'UI: the activity bar icon opens the Container Lineage side bar', () => openContainer(page));
  await check(scenario, 'UI: the Images and Containers views render', () => viewsRender(page));
  await check(scenario, 'UI: the status bar item names the connected engine (name, version, API version)', async () => {
    const info = results.engine?.kind === 'connected' ? results.engine.info : undefined;
    if (!info) throw new Error(`the extension reported no connected engine: ${JSON.stringify(results.engine)}`);
    const item = page.locator('.part.statusbar .statusbar-item[id^="container-lineage.container-lineage."]').filter({ hasText: info.version });
    await item.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await item.first().innerText();
    for (const part of [info.name, info.version, info.apiVersion]) {
      if (!text.includes(part)) throw new Error(`status bar text ${JSON.stringify(text)} lacks ${JSON.stringify(part)}`);
    }
  });
  await page.screenshot({ path: path.join(ARTIFACTS, 'foundation.png') });
}

async function welcomeUi({ page, scenario }, expected) {
  await check(scenario, 'UI: the activity bar icon opens the Container Lineage side bar', () => openContainer(page));
  await check(scenario, `UI: the Images view shows the welcome message listing ${expected}`, async () => {
    await viewsRender(page);
    const body = pane(page, 'Images').locator('.pane-body');
    await body.filter({ hasText: expected }).waitFor({ timeout: 30_000 });
    const text = await body.innerText();
    for (const button of ['Retry', 'Open Settings']) {
      if (!text.includes(button)) throw new Error(`welcome text lacks "${button}": ${JSON.stringify(text)}`);
    }
  });
  await check(scenario, 'UI: no status bar item claims a connected engine', async () => {
    const text = await page.locator('.part.statusbar .statusbar-item[id^="container-lineage.container-lineage."]').allInnerTexts();
    if (text.some((t) => /\(API \d/.test(t))) throw new Error(`status bar shows ${JSON.stringify(text)}`);
  });
  await page.screenshot({ path: path.join(ARTIFACTS, `${scenario}.png`) });
}

async function waitForResults(file, server) {
  const deadline = Date.now() + RESULTS_TIMEOUT_MS;
  while (!fs.existsSync(file)) {
    if (server.exited()) throw new Error('code-server exited before the tests finished');
    if (Date.now() > deadline) throw new Error(`no test results after ${RESULTS_TIMEOUT_MS / 1000} s (is the runner extension enabled? workspace trust?)`);
    await sleep(250);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

async function runScenario(cs, scenario, { vsixes, workDir }) {
  console.log(`\nscenario ${scenario.name}${Object.keys(scenario.env).length ? ` (${Object.entries(scenario.env).map(([k, v]) => `${k}=${v ?? '<unset>'}`).join(' ')})` : ''}`);
  const dir = path.join(workDir, scenario.name);
  const userDataDir = h.makeProfile(path.join(dir, 'user-data'));
  const extensionsDir = path.join(dir, 'extensions');
  const resultsFile = path.join(dir, 'results.json');
  const installed = h.installExtensions(cs, { userDataDir, extensionsDir, vsixes });
  for (const id of OUR_IDS) if (!installed.some((l) => l.startsWith(id + '@'))) throw new Error(`${id} did not install: ${installed.join(', ')}`);

  const env = { ...scenario.env, CL_TEST_RESULTS: resultsFile, CL_TEST_GREP: scenario.grep, CL_TEST_INVERT: scenario.invert ? '1' : '0' };
  let server;
  let browser;
  try {
    server = await h.startCodeServer(cs, { userDataDir, extensionsDir, folder: SAMPLES, env });
    running.add(server.stop);
    console.log(`  code-server ${cs.version} at ${server.url} (pid ${server.pid})`);
    browser = await h.launchBrowser(cs, { profileDir: path.join(dir, 'chromium') });
    running.add(browser.close);
    await h.openWorkbench(browser.page, server.url);
    let results;
    try {
      results = await waitForResults(resultsFile, server);
    } catch (err) {
      await browser.page.screenshot({ path: path.join(ARTIFACTS, `${scenario.name}-timeout.png`) }).catch(() => {});
      throw new Error(`${err.message}\n${h.diagnostics(userDataDir, server.logFile)}`);
    }
    if (results.error) throw new Error(`the test runner failed: ${results.error}`);
    console.log(results.spec.replace(/^/gm, '  '));
    for (const t of results.summary.tests) outcomes.push({ scenario: scenario.name, state: t.state });
    console.log('  UI');
    await scenario.ui({ page: browser.page, results, scenario: scenario.name });
    await check(scenario.name, 'nothing from Container Lineage logged an error in the extension host log', async () => {
      const errors = h.extensionHostErrors(userDataDir, OUR_IDS);
      if (errors.length) throw new Error(errors.join('\n'));
    });
  } finally {
    await browser?.close();
    await server?.stop();
    running.delete(browser?.close);
    running.delete(server?.stop);
  }
}

async function main() {
  const wanted = (process.env.CL_VSCODE_SCENARIOS || SCENARIOS.map((s) => s.name).join(',')).split(',');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const cs = h.ensureCodeServer();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-test-vscode-'));
  console.log(`building dist/container-lineage.vsix and the test runner (work dir ${workDir})`);
  const vsix = h.packageExtension();
  const runner = await h.packageRunner({ workDir });
  console.log(`suites: ${runner.suites.join(', ')}`);
  let fatal = 0;
  for (const scenario of SCENARIOS.filter((s) => wanted.includes(s.name))) {
    try {
      await runScenario(cs, scenario, { vsixes: [vsix, runner.vsix], workDir });
    } catch (err) {
      fatal++;
      outcomes.push({ scenario: scenario.name, state: 'failed' });
      console.log(`  ✗ scenario ${scenario.name} could not run: ${String(err?.stack ?? err)}`);
    }
  }
  const passed = outcomes.filter((o) => o.state === 'passed').length;
  const failed = outcomes.filter((o) => o.state === 'failed').length;
  if (failed === 0 && !process.env.CL_VSCODE_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
  else console.log(`\nprofiles and logs kept in ${workDir}`);
  console.log(`\nscreenshots in ${path.relative(h.root, ARTIFACTS)}/`);
  console.log(`\nVS Code level (code-server ${cs.version}, ${SCENARIOS.filter((s) => wanted.includes(s.name)).length} scenarios):`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || fatal > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});
