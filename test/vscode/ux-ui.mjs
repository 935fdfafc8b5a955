// Issue 15 checks through the UI of code-server (clicks and keys only), called by
// scripts/test-vscode.mjs in the default scenario:
//   removalDialogsUi: Remove Image… on one tag of a two-tag image opens the untag dialog
//     (untag-dialog.png) naming the other tag; Enter untags, the image and its child stay; on the
//     remaining only tag the dialog says what blocks it; Remove Image and Descendants… names every
//     tag (remove-descendants.png); on a childless image the dialog focuses "Keep Image": Enter
//     never deletes anything;
//   multiStepUi: Run Transactions from the palette as a titled multi-step input with step counts
//     and Back (multistep.png), the pool size defaulting to the concurrency, the report rendered
//     read-only and named by image (report.png), the answers remembered for the image;
//   lensFollowsUi: the FROM lens of an untitled Dockerfile counts a child image built from the
//     command line within seconds, and its removal (that the lens and the tree count from the
//     same snapshot is checked in suite/ux.test.ts).
// Every image made here carries the label `io.container-lineage.test=vscode-ui` and a unique tag.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as h from './harness.mjs';
import { TEST_LABEL, sleep } from './ui.mjs';

/** `docker build` of a Dockerfile given as text (no context); returns the image ID. */
function buildFromText(docker, tag, dockerfile) {
  execFileSync('docker', ['build', '-q', '--label', TEST_LABEL, '-t', tag, '-'], { input: dockerfile, stdio: ['pipe', 'pipe', 'pipe'] });
  return docker('image', 'inspect', '--format', '{{.Id}}', tag);
}
const exists = (docker, ref) => {
  try {
    docker('image', 'inspect', '--format', '{{.Id}}', ref);
    return true;
  } catch {
    return false;
  }
};

/**
 * Opens the context menu of the Images row labelled `label` and runs its item `item`, then
 * returns the modal dialog that must show `message`: its text and the label of the focused
 * button (what Enter would do). The row is selected first and the menu opened from the keyboard
 * (Shift+F10), so a tree that re-sorts under the mouse (other suites change the engine) cannot
 * put another row under the click; a dialog about another image is closed (Escape: nothing is
 * removed) and the whole try repeated.
 */
async function menuDialog(page, label, item, message) {
  const itemRe = new RegExp(`^${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const box = page.locator('.monaco-dialog-box');
  let seen = '';
  const tries = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const row = await h.treeRow(page, h.sidebarPane(page, 'Images'), label, 30_000);
    // The label, not the twistie: a click on a parent row also toggles it (single-click expand).
    await row.locator('.label-name').first().click();
    let selected = false;
    for (let i = 0; i < 10 && !selected; i++) {
      selected = (await row.getAttribute('aria-selected').catch(() => null)) === 'true' && (await row.getAttribute('aria-label').catch(() => ''))?.startsWith(`${label} `);
      if (!selected) await sleep(200);
    }
    if (!selected) {
      tries.push('row not selected');
      continue;
    }
    await page.keyboard.press('Shift+F10');
    const entry = page.locator('.monaco-menu .action-label').filter({ hasText: itemRe }).first();
    if (!(await entry.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false))) {
      tries.push('no menu item');
      await page.keyboard.press('Escape');
      continue;
    }
    // The menu closes when the tree re-renders under it (an engine event from another suite):
    // short timeouts, then the whole try again, instead of waiting 30 s on an item that is gone.
    const clicked = await entry.hover({ timeout: 5_000 }).then(() => entry.click({ timeout: 5_000 })).then(() => true, () => false);
    if (!clicked) {
      tries.push('menu closed before the click');
      await page.keyboard.press('Escape');
      continue;
    }
    if (!(await box.first().waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false))) {
      tries.push(`no dialog (menu ${(await page.locator('.monaco-menu').count()) ? 'still open' : 'closed'})`);
      await page.keyboard.press('Escape');
      continue;
    }
    await sleep(300); // the dialog focuses its button after it is shown
    const text = await box.first().innerText();
    if (!text.includes(message)) {
      seen = text;
      tries.push('another dialog');
      await page.keyboard.press('Escape');
      await box.first().waitFor({ state: 'hidden', timeout: 10_000 });
      continue;
    }
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return el && el.closest('.monaco-dialog-box') ? (el.textContent ?? '').trim() : null;
    });
    return { text, focused };
  }
  throw new Error(`${item} on ${label} opened no dialog saying ${JSON.stringify(message)} (tries: ${tries.join('; ')})${seen ? `; last seen: ${JSON.stringify(seen)}` : ''}`);
}

/** Presses Enter on the open dialog and waits until it is gone. */
async function enter(page) {
  await page.keyboard.press('Enter');
  await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: 15_000 });
}

export async function removalDialogsUi(page, { docker, artifacts, images }) {
  const id = randomBytes(4).toString('hex');
  const tagA = `cl-ui-untag-${id}:a`;
  const tagB = `cl-ui-untag-${id}:bb`;
  const kid = `cl-ui-untag-kid-${id}:1`;
  images.add(kid);
  images.add(tagB);
  images.add(tagA);
  const imageId = buildFromText(docker, tagA, `FROM busybox:latest\nLABEL ux-untag=${id}\n`);
  docker('tag', tagA, tagB);
  const kidId = buildFromText(docker, kid, `FROM ${tagA}\nLABEL ux-untag-kid=${id}\n`);

  // 1. Remove Image… on the row (labelled with its best tag, :a): the untag dialog.
  const untag = await menuDialog(page, tagA, 'Remove Image…', `Untag ${tagA}?`);
  for (const part of [tagB, 'stays', '1 child image']) if (!untag.text.includes(part)) throw new Error(`the untag dialog does not say ${JSON.stringify(part)}: ${JSON.stringify(untag.text)}`);
  await page.screenshot({ path: path.join(artifacts, 'untag-dialog.png') });
  // Enter keeps the tag (walk finding: Enter untagged busybox:latest); the Untag button untags.
  if (untag.focused !== 'Keep Tag') throw new Error(`the untag dialog focuses ${JSON.stringify(untag.focused)}, not "Keep Tag"`);
  await enter(page);
  await sleep(1000);
  if (!exists(docker, tagA)) throw new Error(`Enter on the untag dialog untagged ${tagA}`);
  await menuDialog(page, tagA, 'Remove Image…', `Untag ${tagA}?`);
  await page.locator('.monaco-dialog-box .monaco-button').filter({ hasText: /^Untag$/ }).first().click();
  await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: 15_000 });
  for (let i = 0; i < 40 && exists(docker, tagA); i++) await sleep(250);
  if (exists(docker, tagA)) throw new Error(`the Untag button did not untag ${tagA}`);
  if (!exists(docker, imageId) || !exists(docker, tagB)) throw new Error('Untag deleted the image');
  if (!exists(docker, kidId)) throw new Error('Untag deleted the child image');

  // 2. The remaining only tag: blocked by the child, named with every tag; Enter shows it in the tree.
  const blocked = await menuDialog(page, tagB, 'Remove Image…', `${tagB} cannot be removed on its own`);
  if (!blocked.text.includes(kid)) throw new Error(`the blocked dialog does not name the child ${kid}: ${JSON.stringify(blocked.text)}`);
  if (blocked.focused !== 'Show in Tree') throw new Error(`the blocked dialog focuses ${JSON.stringify(blocked.focused)}, not "Show in Tree"`);
  await enter(page);

  // 3. Remove Image and Descendants…: every image with all its tags; Enter keeps everything.
  docker('tag', kid, `cl-ui-untag-kid-${id}:alias`);
  images.add(`cl-ui-untag-kid-${id}:alias`);
  await sleep(1000); // the view catches the tag event
  const subtree = await menuDialog(page, tagB, 'Remove Image and Descendants…', `Remove ${tagB} and everything built on it: 2 images?`);
  for (const part of [tagB, kid, `cl-ui-untag-kid-${id}:alias`]) if (!subtree.text.includes(part)) throw new Error(`the subtree dialog does not name ${part}: ${JSON.stringify(subtree.text)}`);
  if (/and 0 containers/i.test(subtree.text)) throw new Error(`"and 0 containers" in ${JSON.stringify(subtree.text)}`);
  await page.screenshot({ path: path.join(artifacts, 'remove-descendants.png') });
  if (subtree.focused !== 'Show in Tree') throw new Error(`the subtree dialog focuses ${JSON.stringify(subtree.focused)}, not "Show in Tree"`);
  await enter(page);
  if (!exists(docker, imageId) || !exists(docker, kidId)) throw new Error('Enter on the subtree dialog removed images');

  // 4. An image nothing depends on: "Remove image …?" focuses Keep Image.
  docker('rmi', `cl-ui-untag-kid-${id}:alias`);
  await sleep(1000);
  const plain = await menuDialog(page, kid, 'Remove Image…', `Remove image ${kid}?`);
  if (plain.focused !== 'Keep Image') throw new Error(`the remove dialog focuses ${JSON.stringify(plain.focused)}, not "Keep Image"`);
  await enter(page);
  await sleep(1000);
  if (!exists(docker, kidId)) throw new Error('Enter on the remove dialog deleted the image');
}

/** The quick input's title bar text (title and "n/N"). */
const titleBar = (page) => page.locator('.quick-input-widget .quick-input-titlebar').innerText();
const quickInput = (page) => page.locator('.quick-input-widget input.input');

/** Waits until the quick input's title bar contains every part. */
async function step(page, ...parts) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const t = (await titleBar(page).catch(() => '')).replace(/\s+/g, ' ');
    if (parts.every((p) => t.includes(p))) return t;
    if (Date.now() > deadline) throw new Error(`the multi-step title ${JSON.stringify(t)} lacks ${JSON.stringify(parts)}`);
    await sleep(200);
  }
}

/**
 * Types `text` into a pick step and waits until the list shows a row for it (choices load
 * asynchronously; Enter on a list still loading accepts nothing), then accepts it with Enter.
 */
async function pick(page, text) {
  await quickInput(page).fill(text);
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await sleep(300);
  await page.keyboard.press('Enter');
}

export async function multiStepUi(page, { artifacts }) {
  const image = 'busybox:latest';
  await h.runFromPalette(page, 'Container Lineage: Run Transactions…');
  await step(page, 'Run Transactions', '1/');
  await pick(page, image);
  await step(page, `Run Transactions on ${image}`, '2/');
  await quickInput(page).fill('echo hello');
  await page.keyboard.press('Enter');
  await step(page, '3/');
  await quickInput(page).fill('6');
  await page.keyboard.press('Enter');
  await step(page, '4/');
  await quickInput(page).fill('3');
  await page.keyboard.press('Enter');
  await step(page, '5/');
  // Back: the concurrency step again, with the answer kept.
  await page.locator('.quick-input-widget .quick-input-titlebar .action-label.codicon-quick-input-back').click();
  await step(page, '4/');
  if ((await quickInput(page).inputValue()) !== '3') throw new Error(`Back lost the concurrency: ${JSON.stringify(await quickInput(page).inputValue())}`);
  await page.keyboard.press('Enter');
  // The count never grows: the mode step already counts the pool-size step (walk finding: 5/5 → 6/6).
  await step(page, '5/6');
  await pick(page, 'Warm pool');
  const last = await step(page, '6/6');
  const pool = await quickInput(page).inputValue();
  if (pool !== '3') throw new Error(`the pool size is not pre-filled with the concurrency (3): ${JSON.stringify(pool)}`);
  if (!(await page.locator('.quick-input-widget .quick-input-titlebar .action-label.codicon-quick-input-back').isVisible())) throw new Error('no Back button');
  await page.screenshot({ path: path.join(artifacts, 'multistep.png') });
  console.log(`      (multi-step title: ${JSON.stringify(last)})`);
  await page.keyboard.press('Enter');

  // The report: a Markdown preview named by image, rendered (no Markdown source, no escapes).
  const tab = page.locator('.part.editor .tab').filter({ hasText: `Preview Transactions on ${image}` });
  await tab.first().waitFor({ state: 'visible', timeout: 120_000 });
  const frame = await h.webviewFrame(page, `Transactions on ${image}`, 60_000);
  const body = (await frame.locator('body').innerText()).replace(/\s+/g, ' ');
  for (const part of ['warm (pool of 3)', "Command: /bin/sh -c 'echo hello'", 'transactions/s', 'p50']) if (!body.includes(part)) throw new Error(`the rendered report lacks ${JSON.stringify(part)}: ${body.slice(0, 400)}`);
  if (/\\[_>.(-]/.test(body)) throw new Error(`Markdown escapes show in the rendered report: ${body.slice(0, 400)}`);
  await page.mouse.move(25, 650);
  await page.screenshot({ path: path.join(artifacts, 'report.png') });
  await h.runFromPalette(page, 'Container Lineage: Drain Warm Pools');

  // Run Transactions again on the same image: the command step starts from the last answer.
  await h.runFromPalette(page, 'Container Lineage: Run Transactions…');
  await step(page, '1/');
  await pick(page, image);
  await step(page, '2/');
  const remembered = await quickInput(page).inputValue();
  await page.keyboard.press('Escape');
  if (remembered !== 'echo hello') throw new Error(`the command was not remembered for ${image}: ${JSON.stringify(remembered)}`);
}

/** The status lens text over FROM in the open editor, e.g. "… · present · 3 child images". */
async function lensText(page, base) {
  const lens = page.locator('.part.editor .codelens-decoration').filter({ hasText: base });
  return (await lens.first().innerText().catch(() => '')).replace(/\s+/g, ' ');
}
const childCount = (text) => Number(/(\d+) child images?/.exec(text)?.[1] ?? NaN);

/** Waits until the lens over FROM `base` says `n` child images; returns the ms it took. */
async function lensSays(page, base, n, timeoutMs = 15_000) {
  const t0 = Date.now();
  while (childCount(await lensText(page, base)) !== n) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`the lens still says ${JSON.stringify(await lensText(page, base))}, not ${n} child images, ${timeoutMs / 1000} s on`);
    await sleep(200);
  }
  return Date.now() - t0;
}

export async function lensFollowsUi(page, { docker, images }) {
  // A base of its own (other suites build on the sample images meanwhile), in an untitled
  // Dockerfile: nothing is written to the workspace.
  const id = randomBytes(4).toString('hex');
  const base = `cl-ui-lensbase-${id}:1`;
  const kid = `cl-ui-lenskid-${id}:1`;
  images.add(kid);
  images.add(base);
  buildFromText(docker, base, `FROM busybox:latest\nLABEL ux-lens-base=${id}\n`);
  await h.runFromPalette(page, 'File: New Untitled Text File');
  await page.locator('.part.editor .tab.active').filter({ hasText: /Untitled/ }).waitFor({ timeout: 15_000 });
  await page.locator('.part.editor .editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.type(`FROM ${base}\nRUN true\n`);
  await h.runFromPalette(page, 'Change Language Mode');
  await quickInput(page).fill('Dockerfile');
  await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: /^Docker/ }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await lensSays(page, base, 0, 30_000);
  buildFromText(docker, kid, `FROM ${base}\nLABEL ux-lens-kid=${id}\n`);
  const up = await lensSays(page, base, 1);
  docker('rmi', kid);
  const down = await lensSays(page, base, 0);
  console.log(`      (lens 0 → 1 child image ${up} ms after the build, back to 0 ${down} ms after its removal)`);
  // Close the untitled Dockerfile without saving anything.
  await page.locator('.part.editor .tab').filter({ hasText: /Untitled/ }).first().click();
  await h.runFromPalette(page, 'View: Revert and Close Editor');
  await page.locator('.part.editor .tab').filter({ hasText: /Untitled/ }).waitFor({ state: 'detached', timeout: 10_000 });
}
