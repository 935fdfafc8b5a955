// UI proofs of the lineage tree for the VS Code level (scripts/test-vscode.mjs): the sample
// family as a tree with a container under its image (issue 3), and the stale family's markers,
// lens and Rebuild Descendants (issue 13). Each saves a screenshot in test-artifacts/vscode/.
import * as path from 'node:path';
import * as h from './harness.mjs';
import { ARTIFACTS, SAMPLE, assertParent, openContainer, pane, sleep, viewsRender } from './ui.mjs';

/**
 * Expands busybox:latest → base → child → grandchild in the Images pane by clicking twisties, each
 * row under the one before, and returns the row of the created container `containerName` under
 * the grandchild (checked to show its state).
 */
export async function sampleChainWithInstance(page, images, containerName) {
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
export async function lineageUi(page, fixture) {
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
export async function staleMarkerUi(page, fixture) {
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
export async function rebuildUi(page, fixture) {
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
