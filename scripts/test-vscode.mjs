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
import { ARTIFACTS, SAMPLES, SAMPLE, assertParent, docker, dockerAsync, imageExists, pane, screenshotOnFailure, sleep } from '../test/vscode/ui.mjs';
import { buildCacheMountUi, buildChildUi, buildLensUi } from '../test/vscode/ui-build.mjs';
import * as ux from '../test/vscode/ux-ui.mjs';

// Every suite of a scenario must finish within this (they build images; the machine may be shared).
const RESULTS_TIMEOUT_MS = Number(process.env.CL_VSCODE_RESULTS_TIMEOUT_S ?? 480) * 1000;
const OUR_IDS = ['container-lineage.container-lineage', 'container-lineage.test-runner'];
/** Label on every engine resource this script creates (the engine is shared: clean up only ours). */
const TEST_LABEL = 'io.container-lineage.test=vscode-ui';

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

async function viewsRender(page) {
  for (const name of ['Images', 'Containers']) {
    const p = pane(page, name);
    await p.locator('.pane-header').waitFor({ state: 'visible', timeout: 15_000 });
    if ((await p.locator('.pane-header').getAttribute('aria-expanded')) !== 'true') await p.locator('.pane-header').click();
    await p.locator('.pane-body').waitFor({ state: 'visible', timeout: 15_000 });
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

/**
 * Expands busybox:latest → base → child → grandchild in the Images pane by clicking twisties, each
 * row under the one before, and returns the row of the created container `containerName` under
 * the grandchild (checked to show its state).
 */
async function sampleChainWithInstance(page, images, containerName) {
  const chain = ['busybox:latest', SAMPLE.base, SAMPLE.child, SAMPLE.grandchild];
  for (const [i, label] of chain.entries()) {
    const row = await h.treeRow(page, images, label);
    if (i > 0) await assertParent(page, images, row, chain[i - 1]);
    await h.expandRow(row);
  }
  // The container appears under its image when the view has caught the engine's event (or on first load).
  const instance = await h.treeRow(page, images, containerName, 30_000);
  await assertParent(page, images, instance, SAMPLE.grandchild);
  const text = await instance.innerText();
  if (!/created/i.test(text)) throw new Error(`the container row does not show its state "created": ${JSON.stringify(text)}`);
  return instance;
}

/** Issue 3: expand busybox:latest → base → child → grandchild by clicking twisties; the container under the grandchild. */
async function lineageUi(page, fixture) {
  // The suites' messages (e.g. their deliberately failing build) would cover the screenshots.
  await h.runFromPalette(page, 'Notifications: Clear All Notifications').catch((err) => console.log(`      (notifications not cleared: ${err.message})`));
  await openContainer(page);
  await viewsRender(page);
  const images = pane(page, 'Images');
  // Start from the roots: the proofs before this one expand other families (the stale fixture's
  // images, containers under busybox:latest), which can push the chain out of a short pane.
  await images.locator('.pane-header').hover().catch(() => {});
  await images.locator('.pane-header .action-label.codicon-collapse-all').first().click({ timeout: 5_000 }).catch((err) => console.log(`      (Collapse All not clicked: ${err.message.split('\n')[0]})`));
  await sleep(500);
  const instance = await sampleChainWithInstance(page, images, fixture.containerName);
  // The Containers view lists it too, naming its image.
  const inContainers = await h.treeRow(page, pane(page, 'Containers'), fixture.containerName, 15_000);
  if (!(await inContainers.innerText()).includes(SAMPLE.grandchild)) throw new Error(`the Containers view row does not name ${SAMPLE.grandchild}: ${JSON.stringify(await inContainers.innerText())}`);
  await (await h.treeRow(page, images, 'busybox:latest')).scrollIntoViewIfNeeded();
  await instance.hover(); // highlight the instance row in the screenshot
  await page.screenshot({ path: path.join(ARTIFACTS, 'lineage.png') });
}

/** The row's aria-label (label, then description), whitespace collapsed. */
const ariaOf = async (row) => ((await row.getAttribute('aria-label')) ?? '').replace(/\s+/g, ' ');

/** Issue 13: the stale family in the Images view: markers, tooltip, count on the base. */
async function staleMarkerUi(page, fixture) {
  const { repo } = fixture.stale;
  await h.runFromPalette(page, 'Notifications: Clear All Notifications').catch(() => {});
  await openContainer(page);
  await viewsRender(page);
  const images = pane(page, 'Images');
  const base = await h.treeRow(page, images, `${repo}/base:1`, 60_000);
  if (!/2 stale descendants/.test(await ariaOf(base))) throw new Error(`the base row does not count its stale descendants: ${await ariaOf(base)}`);
  const grand = await h.treeRow(page, images, `${repo}/grandchild:1`);
  if (!/· stale\b/.test(await ariaOf(grand))) throw new Error(`the grandchild row is not marked stale: ${await ariaOf(grand)}`);
  const child = await h.treeRow(page, images, `${repo}/child:1`);
  if (!/· stale\b/.test(await ariaOf(child))) throw new Error(`the child row is not marked stale: ${await ariaOf(child)}`);
  // File decorations are drawn as CSS ::after content, not as text, and arrive after the row.
  const hasBadge = () => child.evaluate((el) => [el, ...el.querySelectorAll('*')].some((e) => getComputedStyle(e, '::after').content.includes('↻')));
  for (let i = 0; !(await hasBadge()); i++) {
    if (i > 50) throw new Error(`the child row shows no ↻ decoration: ${JSON.stringify(await child.innerText())}`);
    await sleep(200);
  }
  await child.hover();
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'that tag now points to a newer image' });
  await hover.first().waitFor({ state: 'visible', timeout: 15_000 });
  const text = (await hover.first().innerText()).replace(/\s+/g, ' ');
  if (!text.includes(`built on ${repo}/base:1 as it was on`)) throw new Error(`the tooltip does not give the reason: ${JSON.stringify(text)}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'stale.png') });
}

/** Issue 13: the stale lens over the child's FROM; a click runs Rebuild Descendants (confirmed in its dialog). */
async function rebuildUi(page, fixture) {
  const { repo, dir } = fixture.stale;
  const file = path.join(dir, 'child', 'Dockerfile');
  const input = await h.openQuickInput(page, 'Control+P');
  await input.fill(file);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^\s*Dockerfile\s*$/ }) }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await sleep(300);
  await row.click();
  await page.mouse.move(1100, 700);
  const editor = page.locator('.part.editor .editor-instance .monaco-editor').first();
  const lens = editor.locator('.codelens-decoration').filter({ hasText: `base rebuilt since ${repo}/child:1 was built · Rebuild` });
  await lens.first().waitFor({ state: 'visible', timeout: 60_000 });
  await sleep(500);
  await page.screenshot({ path: path.join(ARTIFACTS, 'stale-lens.png') });
  await lens.first().locator('a', { hasText: 'Rebuild' }).click({ timeout: 15_000 });
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 30_000 });
  const plan = (await dialog.innerText()).replace(/\s+/g, ' ');
  for (const part of [`1/2 ${repo}/child:1`, `2/2 ${repo}/grandchild:1`]) if (!plan.includes(part)) throw new Error(`the confirmation does not show the plan step ${part}: ${JSON.stringify(plan)}`);
  await dialog.locator('.monaco-button', { hasText: 'Rebuild 2' }).click();
  const done = page.locator('.notification-toast').filter({ hasText: `Rebuild Descendants of ${repo}/base:1: 2 rebuilt` });
  await done.first().waitFor({ state: 'visible', timeout: 120_000 });
  const summaryTab = page.locator('.part.editor .tab').filter({ hasText: 'Rebuild-Descendants-of' });
  await summaryTab.first().waitFor({ state: 'visible', timeout: 15_000 });
  const images = pane(page, 'Images');
  // The rebuilt child now hangs under the base (it was a leaf before: VS Code shows it collapsed).
  await h.expandRow(await h.treeRow(page, images, `${repo}/base:1`));
  await h.expandRow(await h.treeRow(page, images, `${repo}/child:1`));
  const deadline = Date.now() + 30_000;
  for (const role of ['child', 'grandchild']) {
    for (;;) {
      const r = await h.treeRow(page, images, `${repo}/${role}:1`);
      const label = await ariaOf(r);
      if (!/· stale\b/.test(label)) break;
      if (Date.now() > deadline) throw new Error(`${repo}/${role}:1 is still marked stale: ${label}`);
      await sleep(300);
    }
  }
  await (await h.treeRow(page, images, `${repo}/child:1`)).hover();
  await page.screenshot({ path: path.join(ARTIFACTS, 'rebuild.png') });
}

/** Issue 6: the Container Overhead panel from the palette, the CPU workload on the sample base image. */
async function overheadUi(page) {
  const overheadLabel = 'io.container-lineage.overhead';
  /** Run IDs of experiment containers on the sample base image seen while the experiment runs. */
  const runIds = new Set();
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const out = await dockerAsync('ps', '-a', '--filter', `label=${overheadLabel}`, '--format', `{{.Image}}\t{{.Label "${overheadLabel}"}}`).catch(() => '');
      for (const line of out.split('\n').filter(Boolean)) {
        const [image, runId] = line.split('\t');
        if (image === SAMPLE.base && runId) runIds.add(runId);
      }
      await sleep(300);
    }
  })();
  try {
    await h.runFromPalette(page, 'Container Lineage: Measure Overhead…');
    const tab = page.locator('.part.editor .tab.active');
    await tab.filter({ hasText: 'Container Overhead' }).waitFor({ timeout: 30_000 });
    const f = await h.webviewFrame(page, 'Container Overhead', 90_000);
    await f.locator('#run:enabled').waitFor({ timeout: 30_000 });
    await f.locator('#image').fill(SAMPLE.base);
    await f.locator('#workload').selectOption('cpu');
    // 5 per series: the fewest that give a verdict with an interval (MIN_SAMPLES_FOR_VERDICT).
    await f.locator('#n').fill('5');
    await f.locator('#run').click();
    // Finished: the results name this run's image and the Run button is enabled again.
    await f.locator('#report-title').filter({ hasText: `CPU-bound loop on ${SAMPLE.base}` }).waitFor({ timeout: 150_000 });
    await f.locator('#run:enabled').waitFor({ timeout: 30_000 });
    const table = await f.locator('#series-table').innerText();
    for (const series of ['host', 'container']) {
      if (!new RegExp(`^${series}\\t5\\t`, 'm').test(table)) throw new Error(`the series table has no ${series} row with n = 5: ${JSON.stringify(table)}`);
    }
    if (!/^container\t.*\t\d+\.\d+ \(\d/m.test(table)) throw new Error(`the series table shows no container/host ratio with its interval: ${JSON.stringify(table)}`);
    const lifecycle = await f.locator('#lifecycle-table').innerText();
    for (const phase of ['create', 'start', 'remove']) if (!lifecycle.includes(phase)) throw new Error(`the lifecycle table lacks ${phase}: ${JSON.stringify(lifecycle)}`);
    // The charts are drawn: each canvas is on screen and has painted pixels.
    for (const id of ['chart-dist', 'chart-lifecycle']) {
      const canvas = f.locator(`canvas#${id}`);
      await canvas.waitFor({ state: 'visible', timeout: 15_000 });
      const painted = await canvas.evaluate((c) => {
        const ctx = c.getContext('2d');
        if (!ctx || !c.width || !c.height) return 0;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
        return n;
      });
      if (painted < 500) throw new Error(`the chart ${id} is blank (${painted} painted pixels)`);
    }
    // The page from its top: the form (image, workload, repetitions), the results, charts, table.
    await f.locator('h1').scrollIntoViewIfNeeded();
    await page.mouse.move(25, 650); // an empty spot of the activity bar: no hover anywhere
    await page.screenshot({ path: path.join(ARTIFACTS, 'overhead.png') });
  } finally {
    watching = false;
    await watch;
  }
  // Nothing of this experiment is left: no container of its run IDs, none with the label on the sample base image.
  const left = () =>
    docker('ps', '-a', '--filter', `label=${overheadLabel}`, '--format', `{{.ID}}\t{{.Image}}\t{{.Label "${overheadLabel}"}}`)
      .split('\n')
      .filter(Boolean)
      .filter((l) => {
        const [, image, runId] = l.split('\t');
        return image === SAMPLE.base || runIds.has(runId);
      });
  for (let i = 0; i < 20 && left().length; i++) await sleep(500);
  if (left().length) throw new Error(`experiment containers left on the engine: ${left().join('; ')}`);
  if (runIds.size === 0) console.log('      (no experiment container was seen while it ran; checked by label and image only)');
}

/** Issue 14: serve the sample web image from the palette, two browser contexts, the Sessions view, a logout. */
async function serveUi(page, cs) {
  const { chromium } = await import('playwright-core');
  /** Session containers seen (hostnames = short container IDs), removed in `finally` if still there. */
  const seen = new Set();
  let browser;
  const statusItem = page.locator('.part.statusbar .statusbar-item[id^="container-lineage.container-lineage."]').filter({ hasText: /127\.0\.0\.1:\d+/ });
  try {
    // The overhead panel of the proof before is a webview: closed first, so nothing in the editor
    // area can take the focus while the quick pick is open (a quick pick closes when it loses it).
    await h.runFromPalette(page, 'View: Close All Editors').catch(() => {});
    const box = page.locator('.quick-input-widget');
    const input = box.locator('input.input');
    for (let attempt = 1; ; attempt++) {
      await h.runFromPalette(page, 'Container Lineage: Serve with a Container per Session…');
      await box.locator('input[placeholder^="Image to serve"]').waitFor({ state: 'visible', timeout: 15_000 });
      try {
        await input.fill(SAMPLE.web, { timeout: 5_000 });
        break;
      } catch (err) {
        // A CI run once saw the pick shown, then hidden before typing (focus moved): said, tried once more.
        if (attempt >= 2) throw err;
        console.log(`      (the image pick closed before it was typed in: ${err.message.split('\n')[0]}; running the command again)`);
        await page.keyboard.press('Escape');
      }
    }
    const row = box.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${SAMPLE.web.replace(/[./]/g, '\\$&')}\\s*$`) }) }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    await box.filter({ hasText: 'Port the server in' }).waitFor({ state: 'visible', timeout: 15_000 });
    const prefilled = await input.inputValue();
    if (prefilled !== '8080') throw new Error(`the port prompt is pre-filled with ${JSON.stringify(prefilled)}, not the image's EXPOSE 8080`);
    await page.keyboard.press('Enter');
    await statusItem.first().waitFor({ state: 'visible', timeout: 60_000 });
    const url = `http://${/127\.0\.0\.1:\d+/.exec(await statusItem.first().innerText())[0]}/`;
    console.log(`      gateway at ${url}`);

    browser = await chromium.launch({ executablePath: cs.chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const users = [];
    for (const [name, amount] of [['a', 25], ['b', 40]]) {
      const context = await browser.newContext({ viewport: { width: 640, height: 420 } });
      const p = await context.newPage();
      await p.goto(url); // index.html refreshes to the account page
      await p.locator('#balance').waitFor({ timeout: 60_000 });
      await p.locator('input[name="deposit"]').fill(String(amount));
      await p.locator('button', { hasText: 'Deposit' }).click();
      await p.locator('#balance', { hasText: String(100 + amount) }).waitFor({ timeout: 15_000 });
      const container = await p.locator('#container').innerText();
      seen.add(container);
      users.push({ name, p, container, balance: 100 + amount });
    }
    if (users[0].container === users[1].container) throw new Error(`both browser contexts reached container ${users[0].container}`);
    for (const u of users) await u.p.screenshot({ path: path.join(ARTIFACTS, `serve-browser-${u.name}.png`) });

    await openContainer(page);
    const sessions = pane(page, 'Sessions');
    const header = sessions.locator('.pane-header');
    await header.waitFor({ state: 'visible', timeout: 15_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const sessionRows = async () => (await sessions.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))).filter((l) => /^[0-9a-f]{8} cl-session-/.test(l));
    const waitRows = async (n) => {
      const deadline = Date.now() + 20_000;
      while ((await sessionRows()).length !== n) {
        if (Date.now() > deadline) throw new Error(`the Sessions view shows ${JSON.stringify(await sessionRows())}, not ${n} session(s)`);
        await sleep(300);
      }
      return sessionRows();
    };
    await (await h.treeRow(page, sessions, SAMPLE.web)).waitFor();
    const two = await waitRows(2);
    for (const r of two) if (!/ req · .* · login \d+ ms \((cold|warm)\)/.test(r)) throw new Error(`a session row lacks requests, bytes or login latency: ${JSON.stringify(r)}`);

    await page.mouse.move(25, 650);
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve-two.png') });
    // User a logs out through the page's link: the gateway destroys a's container.
    await users[0].p.locator('a', { hasText: 'Log out' }).click();
    await users[0].p.locator('h1', { hasText: 'Logged out' }).waitFor({ timeout: 15_000 });
    await waitRows(1);
    // User b is untouched.
    await users[1].p.goto(`${url}cgi-bin/account`); // not reload(): that would repeat the deposit
    await users[1].p.locator('#balance', { hasText: String(users[1].balance) }).waitFor({ timeout: 15_000 });
    const gone = docker('ps', '-a', '--filter', `id=${users[0].container}`, '--format', '{{.ID}}');
    if (gone) throw new Error(`a's container ${users[0].container} still exists after the logout`);
    await page.mouse.move(25, 650);
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve.png') });

    // Stop Gateway from the gateway row's inline action: the status bar item goes, b's container too.
    const gwRow = await h.treeRow(page, sessions, SAMPLE.web);
    await gwRow.hover();
    await gwRow.locator('.action-label[aria-label="Stop Gateway"]').click({ timeout: 10_000 });
    await statusItem.first().waitFor({ state: 'hidden', timeout: 30_000 });
    const left = [...seen].filter((id) => docker('ps', '-a', '--filter', `id=${id}`, '--format', '{{.ID}}'));
    if (left.length) throw new Error(`session containers left after Stop Gateway: ${left.join(', ')}`);
  } finally {
    await browser?.close().catch(() => {});
    if (await statusItem.count().catch(() => 0)) await h.runFromPalette(page, 'Container Lineage: Stop Gateway').catch(() => {});
    for (const id of seen) {
      try {
        docker('rm', '--force', id);
      } catch {
        /* already gone */
      }
    }
  }
}

/**
 * Before the podman scenario: the private Podman (scripts/podman.sh: installed, started, the
 * Docker engine's base and sample images copied in), and on it a created, never started
 * container of the grandchild and an image with three tags (imported from a one-file tar), both
 * unique and labelled io.container-lineage.test=vscode-ui. Podman cannot start containers here.
 * @returns {{ env: Record<string, string>, containerName: string, multi: string, cleanup: () => void }}
 */
function podmanSetup() {
  const out = execFileSync('bash', [path.join(h.root, 'scripts/podman.sh'), '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const host = /^podman: ready at (unix:\/\/\S+?):/m.exec(out)?.[1];
  if (!host) throw new Error(`scripts/podman.sh printed no ready line: ${out}`);
  const pd = (...args) => docker('--host', host, ...args);
  const hex = randomBytes(4).toString('hex');
  const containerName = `cl-ui-podman-${hex}`;
  const multi = `cl-ui-podman/multi-${hex}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-ui-podman-'));
  try {
    fs.writeFileSync(path.join(dir, 'hello.txt'), `podman scenario ${hex}\n`);
    execFileSync('tar', ['-C', dir, '-cf', path.join(dir, 'root.tar'), 'hello.txt']);
    pd('import', '--change', `LABEL ${TEST_LABEL}`, path.join(dir, 'root.tar'), `${multi}:1`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  pd('tag', `${multi}:1`, `${multi}:2`);
  pd('tag', `${multi}:1`, `${multi}:3`);
  pd('create', '--name', containerName, '--label', TEST_LABEL, '--network', 'none', SAMPLE.grandchild, 'sleep', '600');
  let removed = false; // the last UI check removes the container itself
  console.log(`  Podman at ${host}: created container ${containerName} (${SAMPLE.grandchild}), image ${multi}:1 with tags :2 and :3`);
  return {
    env: { DOCKER_HOST: host, CL_PODMAN_CONTAINER: containerName, CL_PODMAN_MULTI: multi },
    containerName,
    multi,
    removeContainer: () => {
      pd('rm', '--force', containerName);
      removed = true;
    },
    cleanup: () => {
      for (const args of [...(removed ? [] : [['rm', '--force', containerName]]), ['rmi', `${multi}:1`, `${multi}:2`, `${multi}:3`]]) {
        try {
          pd(...args);
        } catch (err) {
          console.log(`  could not ${args[0]} on Podman: ${err.message}`);
        }
      }
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
    screenshotOnFailure(page, 'podman-images', async () => {
      const images = pane(page, 'Images');
      const instance = await sampleChainWithInstance(page, images, fixture.containerName);
      const multi = await h.treeRow(page, images, `${fixture.multi}:1`);
      if (!/\+2 · /.test(await multi.innerText())) throw new Error(`the three-tag image does not say +2: ${JSON.stringify(await multi.innerText())}`);
      const localhost = await images.locator('.monaco-list-row[aria-label^="localhost/"]').count();
      if (localhost) throw new Error(`${localhost} row(s) show the localhost/ prefix`);
      await (await h.treeRow(page, images, 'busybox:latest')).scrollIntoViewIfNeeded();
      await instance.hover();
      await page.screenshot({ path: path.join(ARTIFACTS, 'podman-images.png') });
    }),
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

export { buildCacheMountUi, buildChildUi, buildLensUi, defaultSetup, lineageUi, overheadUi, podmanSetup, podmanUi, serveUi };
