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
//      welcome text in the bad-input scenarios; in the default scenario also the proofs the issues
//      ask for, each through the UI only (clicks, keys, the palette) and each with a screenshot:
//      lineage.png (the sample family as a three-level tree with a container under its image),
//      build-lens.png + build-child.png (the code lens over FROM in samples/child/Dockerfile, a
//      click on "Build child image", the new image selected under lineage-sample/base:1.0),
//      build-cache-mount.png (samples/cache-mount/Dockerfile, RUN --mount=type=cache, built with
//      BuildKit from its lens: the image under busybox:latest, BuildKit's steps in the Build output),
//      overhead.png (the palette opens the Container Overhead panel, the CPU workload runs on
//      lineage-sample/base:1.0, charts and table shown, no experiment container left),
//      serve-two.png, serve.png + serve-browser-{a,b}.png (the palette serves lineage-sample/web:1.0 with a
//      container per session, two Chromium contexts log in and see two balances, the Sessions
//      view lists two sessions, one logs out, then one session; Stop Gateway removes the rest);
//      stale.png + stale-lens.png + rebuild.png (issue 13: a family of its own, left stale by the
//      stale suite after a base rebuild; the Images view marks it, the FROM lens says so, a click
//      on the lens runs Rebuild Descendants and the markers go); in the
//      podman scenario (code-server with DOCKER_HOST naming the private Podman of
//      scripts/podman.sh) the status bar names Podman and podman-images.png shows the sample
//      family under busybox:latest named as typed, a created container under its image and an
//      image with three tags marked +2, then (the container removed) containers-empty.png: the
//      Containers view's "No containers" welcome with Open Throwaway Shell;
//      saves screenshots to test-artifacts/vscode/;
//   6. checks that nothing from our extensions logged an error in the extension host log;
//   7. stops code-server (process group) and the browser.
// Prints the mocha spec output and UI checks, then `N passed, N failed`; exits 1 on any failure.
//
// Environment: CL_VSCODE_SCENARIOS=default,podman,bad-host,bad-context (subset to run),
//   CL_VSCODE_RESULTS_TIMEOUT_S (default 480: how long the suites of a scenario may take),
//   CL_VSCODE_KEEP=1 keeps the temporary profile folders, CONTAINER_LINEAGE_CACHE (see code-server.sh).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as h from '../test/vscode/harness.mjs';
import { ARTIFACTS, SAMPLES, SAMPLE, TEST_LABEL, docker, imageExists, openContainer, pane, screenshotOnFailure, sleep, viewsRender } from '../test/vscode/ui.mjs';
import { buildCacheMountUi, buildChildUi, buildLensUi } from '../test/vscode/ui-build.mjs';
import { lineageUi, rebuildUi, staleMarkerUi } from '../test/vscode/ui-lineage.mjs';
import { overheadUi } from '../test/vscode/ui-overhead.mjs';
import { podmanImagesUi, podmanSetup } from '../test/vscode/ui-podman.mjs';
import { serveUi } from '../test/vscode/ui-serve.mjs';
import * as ux from '../test/vscode/ux-ui.mjs';

// Every suite of a scenario must finish within this (they build images; the machine may be shared).
const RESULTS_TIMEOUT_MS = Number(process.env.CL_VSCODE_RESULTS_TIMEOUT_S ?? 480) * 1000;
const OUR_IDS = ['container-lineage.container-lineage', 'container-lineage.test-runner'];

/** Scenarios: environment for code-server, which tagged suites run, and the UI checks. */
const SCENARIOS = [
  { name: 'default', env: {}, grep: '@scenario:', invert: true, setup: defaultSetup, ui: defaultUi },
  { name: 'podman', env: {}, grep: '@scenario:podman', setup: podmanSetup, ui: podmanUi },
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

/** The first non-empty line of an error's message, at most 300 characters (for the closing summary). */
function firstLine(err) {
  return (String(err?.message ?? err).split('\n').find((l) => l.trim()) ?? '').slice(0, 300);
}

async function check(scenario, title, fn) {
  try {
    await fn();
    outcomes.push({ scenario, state: 'passed' });
    console.log(`    ✓ ${title}`);
  } catch (err) {
    outcomes.push({ scenario, state: 'failed', title, error: firstLine(err) });
    console.log(`    ✗ ${title}\n      ${String(err?.stack ?? err).replace(/\n/g, '\n      ')}`);
  }
}


async function defaultUi({ page, results, scenario, fixture, cs }) {
  await check(scenario, 'UI: the activity bar icon opens the Container Lineage side bar', () => openContainer(page));
  await check(scenario, 'UI: the Images and Containers views render', () => viewsRender(page));
  await check(scenario, 'UI: the status bar item names the connected engine ("Docker Engine <version>", API version)', async () => {
    const info = results.engine?.kind === 'connected' ? results.engine.info : undefined;
    if (!info) throw new Error(`the extension reported no connected engine: ${JSON.stringify(results.engine)}`);
    const item = page.locator('.part.statusbar .statusbar-item[id^="container-lineage.container-lineage."]').filter({ hasText: info.version });
    await item.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await item.first().innerText();
    for (const part of [info.title ?? `${info.name} ${info.version}`, `(API ${info.apiVersion})`]) {
      if (!text.includes(part)) throw new Error(`status bar text ${JSON.stringify(text)} lacks ${JSON.stringify(part)}`);
    }
  });
  await page.screenshot({ path: path.join(ARTIFACTS, 'foundation.png') });
  // Readable labels in the screenshots below; the editor keeps the rest of the 1440 px.
  await h.setSidebarWidth(page, 560).catch(() => {});
  await check(scenario, `UI (issue 3): ${SAMPLE.base} → ${SAMPLE.child} → ${SAMPLE.grandchild} under busybox:latest, the container ${fixture.containerName} under its image (lineage.png)`, () =>
    screenshotOnFailure(page, 'lineage', () => lineageUi(page, fixture)),
  );
  await check(scenario, `UI (issue 4): the code lens over FROM in samples/child/Dockerfile names its base as present and offers "Build child image" (build-lens.png)`, () =>
    screenshotOnFailure(page, 'build-lens', () => buildLensUi(page)),
  );
  await check(scenario, `UI (issue 4): a click on "Build child image" builds it and the new image is selected under ${SAMPLE.base} in the Images view (build-child.png)`, () =>
    screenshotOnFailure(page, 'build-child', () => buildChildUi(page, fixture)),
  );
  await check(scenario, `UI (issue 10): the cache-mount Dockerfile built with BuildKit from its FROM lens: selected under busybox:latest, the Build output shows the steps (build-cache-mount.png)`, () =>
    screenshotOnFailure(page, 'build-cache-mount', () => buildCacheMountUi(page, fixture)),
  );
  await check(scenario, `UI (issue 6): the palette opens Container Overhead; the CPU workload on ${SAMPLE.base} shows charts and the table; no experiment container left (overhead.png)`, () =>
    screenshotOnFailure(page, 'overhead', () => overheadUi(page)),
  );
  await check(scenario, `UI (issue 14): the palette serves ${SAMPLE.web} with a container per session; two Chromium contexts log in and see two balances; the Sessions view lists two sessions, then one after a logout (serve.png)`, () =>
    screenshotOnFailure(page, 'serve', () => serveUi(page, cs)),
  );
  await check(scenario, `UI (issue 13): after a base rebuild the Images view marks ${fixture.stale.repo}/child:1 and /grandchild:1 stale with the reason in the tooltip and the count on the base (stale.png)`, () =>
    screenshotOnFailure(page, 'stale', () => staleMarkerUi(page, fixture)),
  );
  await check(scenario, `UI (issue 13): the FROM lens of the child's Dockerfile says "base rebuilt since … was built · Rebuild"; a click runs Rebuild Descendants, the summary opens and nothing is stale after (stale-lens.png, rebuild.png)`, () =>
    screenshotOnFailure(page, 'rebuild', () => rebuildUi(page, fixture)),
  );
  const uxContext = { docker, artifacts: ARTIFACTS, images: fixture.images };
  await check(scenario, 'UI (issue 15): Remove Image… on one of two tags untags on Enter, image and child stay (untag-dialog.png); the blocked, subtree (remove-descendants.png) and remove dialogs focus the safe button', () =>
    screenshotOnFailure(page, 'untag-dialog', () => ux.removalDialogsUi(page, uxContext)),
  );
  await check(scenario, 'UI (issue 15): Run Transactions is a titled multi-step input with Back, pool size = concurrency (multistep.png); its report is rendered read-only, named by image (report.png); answers remembered', () =>
    screenshotOnFailure(page, 'multistep', () => ux.multiStepUi(page, uxContext)),
  );
  await check(scenario, 'UI (issue 15): the FROM lens counts a child image built from the command line within seconds, and its removal', () =>
    screenshotOnFailure(page, 'lens-follows', () => ux.lensFollowsUi(page, uxContext)),
  );
}

// ---- engine fixtures (docker CLI: the same engine the extension connects to) -------------------

/**
 * Before the default scenario: the sample family (scripts/build-samples.sh, idempotent, when a
 * member is missing) and a created, never started container of lineage-sample/grandchild:1.0 with
 * a unique name and the label io.container-lineage.test=vscode-ui, for the lineage view to show.
 * @returns {{ containerName: string, cleanup: () => void }}
 */
function defaultSetup() {
  if (!Object.values(SAMPLE).every(imageExists)) {
    console.log('  the sample family is incomplete: bash scripts/build-samples.sh --quiet');
    execFileSync('bash', [path.join(h.root, 'scripts/build-samples.sh'), '--quiet'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const containerName = `cl-ui-instance-${randomBytes(4).toString('hex')}`;
  docker('create', '--name', containerName, '--label', TEST_LABEL, '--network', 'none', SAMPLE.grandchild, 'sleep', '600');
  console.log(`  created container ${containerName} (${SAMPLE.grandchild}, not started, ${TEST_LABEL})`);
  /** Tags of images built through the UI (removed here too: a build may finish after its check gave up). */
  const images = new Set();
  // Issue 13: the stale suite builds this family through the extension and leaves it stale.
  const stale = { repo: `cl-stale-ui-${randomBytes(4).toString('hex')}`, dir: fs.mkdtempSync(path.join(os.tmpdir(), 'cl-stale-ui-')) };
  return {
    containerName,
    images,
    stale,
    env: { CL_STALE_UI_REPO: stale.repo, CL_STALE_UI_DIR: stale.dir },
    /** After code-server has stopped (no build can still be running). */
    cleanup: () => {
      for (const tag of images) {
        if (!imageExists(tag)) continue;
        try {
          docker('rmi', tag);
        } catch (err) {
          console.log(`  could not remove ${tag}: ${err.message}`);
        }
      }
      try {
        docker('rm', '--force', containerName);
      } catch (err) {
        console.log(`  could not remove ${containerName}: ${err.message}`);
      }
      // Every image of the stale family (old versions included) carries the label =<repo>.
      for (let round = 0; round < 5; round++) {
        const ids = docker('images', '-a', '-q', '--filter', `label=io.container-lineage.test=${stale.repo}`).split('\n').filter(Boolean);
        if (!ids.length) break;
        for (const id of new Set(ids)) {
          try {
            docker('rmi', '--force', id);
          } catch {
            /* a child first; next round */
          }
        }
      }
      fs.rmSync(stale.dir, { recursive: true, force: true });
    },
  };
}





/** The podman scenario through the UI: status bar, the family tree, the container, +2 (podman-images.png). */
async function podmanUi({ page, results, scenario, fixture }) {
  await check(scenario, 'UI: the activity bar icon opens the Container Lineage side bar', () => openContainer(page));
  await check(scenario, 'UI: the Images and Containers views render', () => viewsRender(page));
  await check(scenario, 'UI: the status bar names Podman with its version and API version', async () => {
    const info = results.engine?.kind === 'connected' ? results.engine.info : undefined;
    if (info?.kind !== 'podman') throw new Error(`the extension is not connected to Podman: ${JSON.stringify(results.engine)}`);
    const item = page.locator('.part.statusbar .statusbar-item[id^="container-lineage.container-lineage."]').filter({ hasText: `Podman ${info.version}` });
    await item.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await item.first().innerText();
    if (!text.includes(`(API ${info.apiVersion})`)) throw new Error(`status bar text ${JSON.stringify(text)} lacks the API version`);
  });
  await h.setSidebarWidth(page, 560).catch(() => {});
  await check(scenario, `UI (issue 11): on Podman, ${SAMPLE.base} → ${SAMPLE.child} → ${SAMPLE.grandchild} under busybox:latest as typed, ${fixture.containerName} under its image, ${fixture.multi}:1 marked +2 (podman-images.png)`, () =>
    screenshotOnFailure(page, 'podman-images', () => podmanImagesUi(page, fixture)),
  );
  // Last: it removes the scenario's container (this private Podman holds no other).
  await check(scenario, 'UI: with no container left, the Containers view says "No containers" and offers Open Throwaway Shell (containers-empty.png)', () =>
    screenshotOnFailure(page, 'containers-empty', async () => {
      fixture.removeContainer();
      const body = pane(page, 'Containers').locator('.pane-body');
      await body.locator('.welcome-view-content').filter({ hasText: 'No containers' }).waitFor({ timeout: 30_000 }).catch(async () => {
        const left = docker('--host', fixture.env.DOCKER_HOST, 'ps', '-a', '--format', '{{.Names}}').trim();
        throw new Error(`no "No containers" welcome within 30 s; the view shows ${JSON.stringify(await body.innerText())}; Podman lists: ${JSON.stringify(left)}`);
      });
      await body.getByRole('button', { name: 'Open Throwaway Shell' }).waitFor({ timeout: 5_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'containers-empty.png') });
    }),
  );
}

async function welcomeUi({ page, scenario }, expected) {
  await check(scenario, 'UI: the activity bar icon opens the Container Lineage side bar', () => openContainer(page));
  await check(scenario, `UI: the Images view shows the welcome message listing ${expected}`, async () => {
    await viewsRender(page);
    const body = pane(page, 'Images').locator('.pane-body');
    await body.filter({ hasText: 'Open Settings' }).waitFor({ timeout: 30_000 });
    // The actions come first: a short side bar shows them without scrolling (the tree is virtual,
    // rows below the fold are not even rendered).
    let text = await body.innerText();
    for (const button of ['Retry', 'Open Settings', 'Show Log']) {
      if (!text.includes(button)) throw new Error(`"${button}" is not visible before scrolling: ${JSON.stringify(text)}`);
    }
    // The attempts follow the actions; the last rows render only once scrolled to.
    const box = await body.locator('.monaco-list').first().boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 20));
      for (let i = 0; i < 5; i++) {
        await page.mouse.wheel(0, 200);
        await sleep(200);
        text += `\n${await body.innerText()}`;
      }
    }
    if (!text.includes(expected)) throw new Error(`the view does not list ${expected} among the attempts: ${JSON.stringify(text)}`);
    if (text.indexOf('Show Log') > text.indexOf(expected)) throw new Error(`the attempts come before the actions: ${JSON.stringify(text)}`);
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

  let server;
  let browser;
  let fixture;
  try {
    fixture = scenario.setup?.();
    if (fixture) running.add(fixture.cleanup); // Ctrl-C removes them too
    // A setup may name the engine (the podman scenario's private socket) and its fixtures. The
    // recipe store (issue 13) lives in the scenario's own state folder, never the user's.
    const env = { XDG_STATE_HOME: path.join(dir, 'state'), ...scenario.env, ...fixture?.env, CL_TEST_RESULTS: resultsFile, CL_TEST_GREP: scenario.grep, CL_TEST_INVERT: scenario.invert ? '1' : '0' };
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
    for (const t of results.summary.tests) outcomes.push({ scenario: scenario.name, state: t.state, title: t.titlePath?.join(' › '), error: t.error && firstLine(t.error) });
    console.log('  UI');
    await scenario.ui({ page: browser.page, results, scenario: scenario.name, fixture, cs });
    await check(scenario.name, 'nothing from Container Lineage logged an error in the extension host log', async () => {
      const errors = h.extensionHostErrors(userDataDir, OUR_IDS);
      if (errors.length) throw new Error(errors.join('\n'));
    });
  } finally {
    await browser?.close();
    await server?.stop();
    running.delete(browser?.close);
    running.delete(server?.stop);
    if (fixture) {
      running.delete(fixture.cleanup);
      fixture.cleanup();
    }
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
      outcomes.push({ scenario: scenario.name, state: 'failed', title: 'scenario could not run', error: firstLine(err) });
      console.log(`  ✗ scenario ${scenario.name} could not run: ${String(err?.stack ?? err)}`);
    }
  }
  const passed = outcomes.filter((o) => o.state === 'passed').length;
  const failed = outcomes.filter((o) => o.state === 'failed').length;
  if (failed === 0 && !process.env.CL_VSCODE_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
  else console.log(`\nprofiles and logs kept in ${workDir}`);
  console.log(`\nscreenshots in ${path.relative(h.root, ARTIFACTS)}/`);
  console.log(`\nVS Code level (code-server ${cs.version}, ${SCENARIOS.filter((s) => wanted.includes(s.name)).length} scenarios):`);
  // Every failure named again just above the count: a CI log is often read from its tail only.
  for (const o of outcomes.filter((x) => x.state === 'failed')) {
    console.log(`  ✗ ${o.scenario}: ${o.title ?? '?'}${o.error ? ` -- ${o.error}` : ''}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || fatal > 0 ? 1 : 0;
}

// Run only as a script (importing it, e.g. to try one UI step against a running code-server, runs nothing).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err?.stack ?? err);
    process.exitCode = 1;
  });
}

// The proofs themselves are importable from test/vscode/ui-*.mjs (e.g. to try one against a running code-server).
export { defaultSetup };
