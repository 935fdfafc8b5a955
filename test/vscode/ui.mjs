// Primitives the UI proofs of the VS Code level share (scripts/test-vscode.mjs and its proof
// modules): paths, the docker CLI against the engine the extension uses, side-bar panes and tree
// parent checks, screenshots on failure.
import { execFile, execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as h from './harness.mjs';

export const ARTIFACTS = path.join(h.root, 'test-artifacts/vscode');
export const SAMPLES = path.join(h.root, 'samples');
export const SAMPLE = { base: 'lineage-sample/base:1.0', child: 'lineage-sample/child:1.0', grandchild: 'lineage-sample/grandchild:1.0', web: 'lineage-sample/web:1.0' };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
