// UI proofs of the build feature (issues 4 and 10) for the default scenario of the VS Code level:
// the FROM code lens of a sample, a click on "Build child image", the new image selected under
// its parent in the Images view, and for the cache-mount sample BuildKit's steps in the Build
// output. Each saves a screenshot in test-artifacts/vscode/.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from './harness.mjs';
import { ARTIFACTS, SAMPLES, SAMPLE, assertParent, docker, imageExists, pane, sleep } from './ui.mjs';

const CHILD_DOCKERFILE = path.join(SAMPLES, 'child/Dockerfile');
const CACHE_MOUNT_DOCKERFILE = path.join(SAMPLES, 'cache-mount/Dockerfile');
const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Quick Open samples/<folder>/Dockerfile; returns the code lens element over its FROM line. */
async function openSampleDockerfile(page, folder) {
  // The breadcrumbs name the folder, then the file (grandchild/Dockerfile matches "child/Dockerfile" too).
  const crumbs = page.locator('.part.editor .monaco-breadcrumbs').first();
  const shown = async () => (await crumbs.innerText().catch(() => '')).split('\n').map((p) => p.trim()).filter(Boolean).join('/');
  const want = `${folder}/Dockerfile`;
  for (let attempt = 1; ; attempt++) {
    await h.quickOpenFile(page, { query: want, name: 'Dockerfile', folder });
    const deadline = Date.now() + 10_000;
    while ((await shown()) !== want && Date.now() < deadline) await sleep(250);
    if ((await shown()) === want) break;
    if (attempt >= 3) throw new Error(`the editor shows ${JSON.stringify(await shown())}, not ${want}, after ${attempt} Quick Opens`);
  }
  await page.mouse.move(1100, 700); // off the tabs (a tab's hover would cover the breadcrumbs in screenshots)
  const editor = page.locator('.part.editor .editor-instance .monaco-editor').first();
  const lens = editor.locator('.codelens-decoration').filter({ hasText: 'Build child image' });
  await lens.first().waitFor({ state: 'visible', timeout: 60_000 });
  return lens.first();
}

/** Issue 4: the code lens over FROM in the sample child Dockerfile. */
export async function buildLensUi(page) {
  const before = sha256(CHILD_DOCKERFILE);
  const lens = await openSampleDockerfile(page, 'child');
  const text = (await lens.innerText()).replace(/\s+/g, ' ');
  for (const part of [`${SAMPLE.base} · present`, 'child image', 'Show in tree', 'Build child image']) {
    if (!text.includes(part)) throw new Error(`the code lens ${JSON.stringify(text)} lacks ${JSON.stringify(part)}`);
  }
  // The lens sits right above the FROM line.
  const from = page.locator('.part.editor .view-line').filter({ hasText: `FROM ${SAMPLE.base}` });
  await from.first().waitFor({ state: 'visible', timeout: 10_000 });
  const [lb, fb] = [await lens.boundingBox(), await from.first().boundingBox()];
  if (!lb || !fb || lb.y > fb.y || fb.y - lb.y > 40) throw new Error(`the lens (${JSON.stringify(lb)}) is not right above the FROM line (${JSON.stringify(fb)})`);
  await page.mouse.move(1100, 700); // no hover tooltip over the tab or the lens in the screenshot
  await sleep(500);
  await page.screenshot({ path: path.join(ARTIFACTS, 'build-lens.png') });
  if (sha256(CHILD_DOCKERFILE) !== before) throw new Error('samples/child/Dockerfile changed on disk');
}

/** Expand or collapse the named panes of the side bar (those that are there). */
async function setPanesExpanded(page, names, expanded) {
  for (const name of names) {
    const header = pane(page, name).locator('.pane-header');
    if (!(await header.count())) continue;
    if (((await header.first().getAttribute('aria-expanded')) === 'true') !== expanded) await header.first().click({ timeout: 5_000 }).catch(() => {});
  }
}

/**
 * Click "Build child image" over samples/<folder>/Dockerfile, give a unique tag, wait for the new
 * image selected under `parent` in the Images view, run `check` (the UI as built), save `shot`.
 */
async function buildFromLensUi(page, fixture, { folder, tagRepo, parent, shot, collapse = [], check = async () => {} }) {
  const file = path.join(SAMPLES, folder, 'Dockerfile');
  const before = sha256(file);
  const tag = `${tagRepo}:${randomBytes(4).toString('hex')}`;
  fixture.images.add(tag);
  try {
    const lens = await openSampleDockerfile(page, folder);
    await lens.locator('a', { hasText: 'Build child image' }).click({ timeout: 15_000 });
    // One stage and no ARG: the only prompt is the image name.
    const box = page.locator('.quick-input-widget');
    await box.filter({ hasText: 'image name' }).waitFor({ state: 'visible', timeout: 15_000 });
    const input = box.locator('input.input');
    if (!(await input.inputValue())) throw new Error('the image name prompt is not pre-filled');
    await input.fill(tag);
    await page.keyboard.press('Enter');
    const images = pane(page, 'Images');
    // Built, revealed and selected by the extension (the build itself takes seconds). The row is
    // labelled with the image's best tag: an identical build (same image ID, e.g. a concurrent run
    // of this level) may have given the image another tag, so any of its tags counts.
    const selected = images.locator('.monaco-list-row[aria-selected="true"]');
    const deadline = Date.now() + 90_000;
    let tags = [];
    for (;;) {
      if (!tags.length && imageExists(tag)) tags = JSON.parse(docker('image', 'inspect', '--format', '{{json .RepoTags}}', tag));
      const label = (await selected.count()) ? await selected.first().getAttribute('aria-label') : null;
      if (label && tags.some((t) => label.startsWith(`${t} `))) break;
      const failed = page.locator('.notification-toast').filter({ hasText: `Build of ${tag} failed` });
      if (await failed.count()) throw new Error(`the build failed: ${await failed.first().innerText()}`);
      if (Date.now() > deadline) throw new Error(`no selected row for ${tag} (tags ${JSON.stringify(tags)}) in the Images view within 90 s; selected: ${JSON.stringify(label)}`);
      await sleep(300);
    }
    // Rows between the image and its parent (subtrees the earlier proofs expanded) are folded and
    // the other views of the side bar collapsed, so both rows fit in the Images pane.
    await setPanesExpanded(page, ['Containers', 'Sessions'], false);
    for (const label of collapse) {
      const row = await h.treeRow(page, images, label).catch(() => undefined);
      if (row && (await row.getAttribute('aria-expanded')) === 'true') await row.locator('.monaco-tl-twistie').click({ timeout: 5_000 }).catch(() => {});
    }
    await selected.first().scrollIntoViewIfNeeded();
    await assertParent(page, images, selected.first(), parent);
    const tab = page.locator('.part.editor .tab.active');
    if ((await tab.getAttribute('class'))?.includes('dirty')) throw new Error('the Dockerfile editor became dirty');
    await check(tag);
    await page.screenshot({ path: path.join(ARTIFACTS, shot) });
    if (sha256(file) !== before) throw new Error(`samples/${folder}/Dockerfile changed on disk`);
    if (!imageExists(tag)) throw new Error(`the engine has no image ${tag}`);
  } finally {
    await setPanesExpanded(page, ['Containers'], true).catch(() => {});
    // A build still running (the check gave up early) would tag its image later: wait for its
    // progress notification to go, then remove the image (fixture.cleanup catches any late one).
    const progress = page.locator('.notification-toast').filter({ hasText: `Building ${tag}` });
    for (let i = 0; i < 120 && (await progress.count().catch(() => 0)) > 0; i++) await sleep(500);
    if (imageExists(tag)) {
      try {
        docker('rmi', tag);
      } catch (err) {
        console.log(`      could not remove ${tag}: ${err.message}`);
      }
    }
  }
}

/** Issue 4: "Build child image" on samples/child builds it under lineage-sample/base:1.0 (build-child.png). */
export function buildChildUi(page, fixture) {
  return buildFromLensUi(page, fixture, { folder: 'child', tagRepo: 'lineage-ui-test/child', parent: SAMPLE.base, shot: 'build-child.png' });
}

/**
 * Issue 10: the cache-mount Dockerfile (RUN --mount=type=cache) built from its FROM lens with
 * BuildKit: the image selected under busybox:latest, the Build output showing BuildKit's steps
 * (build-cache-mount.png).
 */
export async function buildCacheMountUi(page, fixture) {
  if (!fs.readFileSync(CACHE_MOUNT_DOCKERFILE, 'utf8').includes('RUN --mount=type=cache')) throw new Error('samples/cache-mount/Dockerfile has no cache mount');
  let maximized = false;
  try {
    await buildCacheMountFromLens(page, fixture, () => (maximized = true));
  } finally {
    // the next checks need the editor area back
    if (maximized) await h.runFromPalette(page, 'View: Toggle Maximized Panel').catch(() => {});
  }
}

function buildCacheMountFromLens(page, fixture, onMaximized) {
  return buildFromLensUi(page, fixture, {
    folder: 'cache-mount',
    tagRepo: 'lineage-ui-test/cache-mount',
    parent: 'busybox:latest',
    shot: 'build-cache-mount.png',
    collapse: [SAMPLE.base],
    check: async (tag) => {
      // The "Container Lineage: Build" output is open in the panel with BuildKit's plain steps;
      // the panel is maximised so the whole output shows next to the Images view.
      await h.runFromPalette(page, 'View: Toggle Maximized Panel');
      onMaximized();
      const out = page.locator('.part.panel .monaco-editor .view-lines');
      const wants = [/#\d+ \[stage-0 2\/3\] RUN --mount=type=cache/, /#\d+ (CACHED|\d+\.\d{3} cached)/, /#\d+ \[stage-0 3\/3\] COPY app\.txt \/app\.txt/, new RegExp(`Built ${tag.replace(/[.:/]/g, '\\$&')} = sha256:[0-9a-f]{64} with BuildKit`)];
      const deadline = Date.now() + 15_000;
      let text = '';
      while (Date.now() < deadline) {
        text = (await out.first().innerText().catch(() => '')).replace(/\u00a0/g, ' ').replace(/\n(?!#|Built|Builder|===|$)/g, '');
        if (wants.every((w) => w.test(text))) break;
        await sleep(300);
      }
      for (const want of wants) if (!want.test(text)) throw new Error(`the Build output does not show ${want}: ${JSON.stringify(text.slice(-2000))}`);
      await page.mouse.move(25, 650);
      await sleep(300);
    },
  });
}
