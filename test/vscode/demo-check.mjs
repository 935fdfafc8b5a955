#!/usr/bin/env node
// UI check of a running `npm run demo` (scripts/test.sh check_demo calls it): in the demo's
// code-server, through chromium, opens child/Dockerfile of the demo workspace, types into it,
// waits past code-server's Auto Save delay, and checks that Auto Save is off (the editor stays
// dirty, the file on disk is unchanged), that the workspace is a copy outside the checkout, and
// that `git status` of the checkout is what it was before. Then reverts the edit.
//
//   node test/vscode/demo-check.mjs URL
//
// Prints one line per check and exits 1 when one fails. Screenshot: test-artifacts/vscode/demo-autosave.png.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from './harness.mjs';

const url = process.argv[2];
if (!url) {
  console.error('usage: node test/vscode/demo-check.mjs URL (as printed by npm run demo)');
  process.exit(2);
}
const workspace = decodeURIComponent(new URL(url).searchParams.get('folder') ?? '');
const dockerfile = path.join(workspace, 'child/Dockerfile');
const artifacts = path.join(h.root, 'test-artifacts/vscode');
const gitStatus = () => execFileSync('git', ['status', '--porcelain'], { cwd: h.root, encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? '✓' : '✗'} ${what}`);
  if (!ok) failed++;
};

const real = (p) => fs.realpathSync(p);
check(fs.existsSync(dockerfile), `the demo workspace has child/Dockerfile (${dockerfile})`);
check(!(real(workspace) + path.sep).startsWith(real(h.root) + path.sep), `the demo workspace ${workspace} is outside the checkout ${h.root}`);
const before = fs.readFileSync(dockerfile, 'utf8');
const statusBefore = gitStatus();

const cs = h.ensureCodeServer();
const browser = await h.launchBrowser(cs);
try {
  const { page } = browser;
  await h.openWorkbench(page, url);
  await h.quickOpenFile(page, { query: 'child/Dockerfile', name: 'Dockerfile', folder: 'child' });
  const editor = page.locator('.part.editor .editor-instance .monaco-editor').first();
  await editor.locator('.view-line').filter({ hasText: 'FROM' }).first().waitFor({ timeout: 30_000 });
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n# typed in the demo\n');
  // code-server's default Auto Save (afterDelay) writes after 1 s: wait well past it.
  await sleep(3000);
  const tab = page.locator('.part.editor .tab.active');
  check(((await tab.getAttribute('class')) ?? '').includes('dirty'), 'the edited Dockerfile stays unsaved (dirty tab): Auto Save is off');
  check(fs.readFileSync(dockerfile, 'utf8') === before, 'the file on disk is unchanged 3 s after typing');
  check(gitStatus() === statusBefore, 'git status of the checkout is unchanged');
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'demo-autosave.png') });
  await h.runFromPalette(page, 'File: Revert File');
  await sleep(500);
  check(!((await tab.getAttribute('class')) ?? '').includes('dirty'), 'Revert File leaves the editor clean');
} catch (err) {
  check(false, `the demo UI check ran: ${err?.stack ?? err}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
