// Primitives the UI proofs of the VS Code level share (scripts/test-vscode.mjs and its proof
// modules): paths, the docker CLI against the engine the extension uses, side-bar panes and tree
// parent checks, screenshots on failure, opening our side bar and its views.
import { execFile, execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as h from './harness.mjs';

export const ARTIFACTS = path.join(h.root, 'test-artifacts/vscode');
export const SAMPLES = path.join(h.root, 'samples');
export const SAMPLE = { base: 'lineage-sample/base:1.0', child: 'lineage-sample/child:1.0', grandchild: 'lineage-sample/grandchild:1.0', web: 'lineage-sample/web:1.0' };
export const sleep = h.sleep;
/** Label on every engine resource the VS Code level creates (the engine is shared: clean up only ours). */
export const TEST_LABEL = 'io.container-lineage.test=vscode-ui';

/** The pane (header + body) of one of our views in the side bar. */
export const pane = (page, name) => page.locator('.part.sidebar .pane', { has: page.locator(`.pane-header[aria-label^="${name} Section"]`) });


/** Runs the docker CLI; returns its trimmed stdout; throws with its stderr. */
export function docker(...args) {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    throw new Error(`docker ${args.join(' ')}: ${String(err.stderr || err.message).trim()}`);
  }
}
export const dockerAsync = async (...args) => (await promisify(execFile)('docker', args, { encoding: 'utf8' })).stdout.trim();
export const imageExists = (ref) => {
  try {
    docker('image', 'inspect', '--format', '{{.Id}}', ref);
    return true;
  } catch {
    return false;
  }
};

/** Runs `fn`; on failure saves `<name>-failed.png` (what the UI showed) and rethrows. */
export async function screenshotOnFailure(page, name, fn) {
  try {
    await fn();
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failed.png`) }).catch(() => {});
    throw err;
  }
}

/** Asserts that `row`'s parent row in its tree is labelled `parent`. */
export async function assertParent(page, pane, row, parent) {
  // The view re-renders whenever the engine's images change (other suites share the engine):
  // read the parent again for a few seconds before deciding.
  const deadline = Date.now() + 10_000;
  for (let i = 0; ; i++) {
    const got = await h.treeParentLabel(row).catch(() => null);
    if (got?.startsWith(`${parent} `)) return;
    if (Date.now() > deadline) {
      const label = await row.getAttribute('aria-label');
      throw new Error(`the parent of ${JSON.stringify(label)} in the tree is ${JSON.stringify(got)}, not ${parent}`);
    }
    if (got === null) {
      // The parent row is scrolled out of the viewport: bring it in, then the child again.
      await (await h.treeRow(page, pane, parent)).scrollIntoViewIfNeeded().catch(() => {});
      await row.scrollIntoViewIfNeeded().catch(() => {});
    }
    await sleep(300);
  }
}

/** Clicks the Container Lineage activity-bar icon and waits for its side bar. */
export async function openContainer(page) {
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

/** Expands the Images and Containers panes (when collapsed) and waits for their bodies. */
export async function viewsRender(page) {
  for (const name of ['Images', 'Containers']) {
    const p = pane(page, name);
    await p.locator('.pane-header').waitFor({ state: 'visible', timeout: 15_000 });
    if ((await p.locator('.pane-header').getAttribute('aria-expanded')) !== 'true') await p.locator('.pane-header').click();
    await p.locator('.pane-body').waitFor({ state: 'visible', timeout: 15_000 });
  }
}
