/**
 * bench/idle-vscode: the REAL extension (the production .vsix) in code-server, driven by Chromium,
 * connected through a counting proxy socket (DOCKER_HOST=unix://…/engine.sock, see
 * test/integration/countingProxy.ts) to the real engine. Counts every engine request:
 *  1. the Container Lineage views open, idle for IDLE_OPEN_SECONDS (default 300, the issue's 5 min);
 *  2. the views hidden (the Explorer shown instead; counting starts 1 s after the click, when a load
 *     begun while they were visible has ended), idle for IDLE_HIDDEN_SECONDS (default 120);
 *  3. the views shown again (what the refresh of the noted events costs, for information);
 *  4. the proxy killed (the engine "goes away"; the real engine is untouched): the time until the
 *     status bar says "No engine" and until the Images view says no engine answered.
 * Baseline in the same run over the same windows: a connection with the old health ping (one
 * `/_ping` every 10 s, the old default) through its own counting proxy, in this process.
 * On a shared engine other users' events cause refreshes while the views are open: those are told
 * apart from unprompted requests by `classifyRequests` (countingProxy.ts); goal 0 asks 0 unprompted requests open, 0 requests hidden, and the notice within 5 s.
 * Run: npm run bench -- idle-vscode   (ENGINE=podman: the private Podman of scripts/podman.sh,
 * a quiet engine; IDLE_OPEN_SECONDS / IDLE_HIDDEN_SECONDS shorten the windows)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EngineConnection } from '../src/engine/connection';
import { classifyRequests as classify, startCountingProxy, type ProxiedRequest } from '../test/integration/countingProxy';
import { podmanHost } from '../test/integration/engines';

const OPEN_S = Number(process.env.IDLE_OPEN_SECONDS ?? 300);
const HIDDEN_S = Number(process.env.IDLE_HIDDEN_SECONDS ?? 120);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const show = (rs: ProxiedRequest[]) => (rs.length ? ` [${[...new Set(rs.map((r) => `${r.method} ${r.path}`))].join(', ')}]` : '');

/* eslint-disable @typescript-eslint/no-explicit-any */
async function main(): Promise<void> {
  // The harness is plain ESM without types (shared with scripts/test-vscode.mjs).
  const h: any = await import(pathToFileURL(path.join(__dirname, '..', 'test', 'vscode', 'harness.mjs')).href);
  const engineSocket = process.env.ENGINE === 'podman' ? (await podmanHost()).replace(/^unix:\/\//, '') : '/var/run/docker.sock';
  const cs = h.ensureCodeServer();
  const vsix = h.packageExtension();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-bench-idle-vscode-'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-bench-idle-ws-'));
  const userDataDir = h.makeProfile(path.join(work, 'user-data'));
  const extensionsDir = path.join(work, 'extensions');
  h.installExtensions(cs, { userDataDir, extensionsDir, vsixes: [vsix] });
  const proxy = await startCountingProxy(path.join(work, 'engine.sock'), engineSocket);
  const oldProxy = await startCountingProxy(path.join(work, 'old.sock'), engineSocket);
  const old = new EngineConnection({ env: { DOCKER_HOST: `unix://${oldProxy.socketPath}` }, healthIntervalMs: 10_000 });
  let server: any;
  let browser: any;
  try {
    if ((await old.connect()).kind !== 'connected') throw new Error(`no engine at ${engineSocket}`);
    server = await h.startCodeServer(cs, { userDataDir, extensionsDir, folder: workspace, env: { DOCKER_HOST: `unix://${proxy.socketPath}`, DOCKER_CONTEXT: undefined } });
    browser = await h.launchBrowser(cs);
    const page = browser.page;
    await h.openWorkbench(page, server.url);
    const ours = page.locator('.part.activitybar li.action-item', { has: page.locator('a.action-label[aria-label^="Container Lineage"]') });
    const title = page.locator('.part.sidebar .composite.title h2');
    const openViews = async () => {
      await ours.waitFor({ state: 'visible', timeout: 60_000 });
      if ((await ours.getAttribute('aria-selected')) !== 'true') await ours.click({ timeout: 30_000 });
      await title.filter({ hasText: /Container Lineage/i }).waitFor({ timeout: 30_000 });
    };
    const hideViews = async () => {
      await page.locator('.part.activitybar a.action-label[aria-label^="Explorer"]').click({ timeout: 30_000 });
      await title.filter({ hasText: /Explorer/i }).waitFor({ timeout: 30_000 });
    };
    /** Until no request for `quietMs` (the loads after a change have ended), at most 60 s. */
    const settle = async (quietMs = 3000) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const last = proxy.requests.at(-1)?.at ?? 0;
        if (Date.now() - last >= quietMs && proxy.openEventStreams() > 0) return;
        await sleep(200);
      }
    };
    const status = page.locator('.part.statusbar .statusbar-item[id^="container-lineage."]');

    await openViews();
    await status.filter({ hasText: /Docker Engine|Podman/ }).first().waitFor({ timeout: 90_000 });
    const firstLoad = proxy.requests.length;
    await settle();

    const t0 = Date.now();
    await sleep(OPEN_S * 1000);
    const hiding = Date.now();
    await hideViews();
    // A load that started while the views were visible may still send its inspects.
    await sleep(1000);
    const t1 = Date.now();
    await sleep(HIDDEN_S * 1000);
    const t2 = Date.now();
    await openViews();
    await settle();
    const t3 = Date.now();

    const open = classify(proxy, t0, hiding);
    const transition = proxy.requests.filter((r) => r.at >= hiding && r.at < t1);
    const hidden = classify(proxy, t1, t2);
    const reshown = proxy.requests.filter((r) => r.at >= t2 && r.at < t3);
    const oldOpen = oldProxy.requests.filter((r) => r.at >= t0 && r.at < hiding).length;
    const oldHidden = oldProxy.requests.filter((r) => r.at >= t1 && r.at < t2).length;

    const killed = Date.now();
    await proxy.kill();
    let statusMs = Number.NaN;
    let viewMs = Number.NaN;
    const message = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header[aria-label^="Images Section"]') }).getByText(/No container engine answered/);
    while (Date.now() - killed < 30_000 && (Number.isNaN(statusMs) || Number.isNaN(viewMs))) {
      if (Number.isNaN(statusMs) && (await status.filter({ hasText: 'No engine' }).count()) > 0) statusMs = Date.now() - killed;
      if (Number.isNaN(viewMs) && (await message.count()) > 0) viewMs = Date.now() - killed;
      await sleep(100);
    }

    const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(3)}x`);
    console.log(`the real extension in code-server ${cs.version}, engine ${engineSocket} through a counting proxy`);
    console.log(`first load (views opened):          ${firstLoad} requests`);
    console.log(`views open, ${OPEN_S} s idle:            ${open.all.length} requests (${open.unprompted.length} unprompted${show(open.unprompted)}; ${open.all.length - open.unprompted.length} after ${open.events} engine events)`);
    console.log(`  old 10 s ping baseline, same window: ${oldOpen} requests → ours/baseline ${ratio(open.unprompted.length, oldOpen)} (unprompted)`);
    console.log(`hiding the views (click + 1 s):     ${transition.length} requests${show(transition)} (loads begun while visible)`);
    console.log(`views hidden, ${HIDDEN_S} s idle:          ${hidden.all.length} requests${show(hidden.all)} (${hidden.events} engine events arrived, only noted)`);
    console.log(`  old 10 s ping baseline, same window: ${oldHidden} requests → ours/baseline ${ratio(hidden.all.length, oldHidden)}`);
    if (hidden.all.length) console.log(`  hidden requests at (s after hiding): ${hidden.all.map((r) => ((r.at - t1) / 1000).toFixed(1)).join(', ')}`);
    console.log(`views shown again:                   ${reshown.length} requests${show(reshown)} (what the noted events made stale)`);
    console.log(`engine gone (proxy killed) → status bar "No engine" in ${statusMs.toFixed(0)} ms, Images view message in ${viewMs.toFixed(0)} ms (target ≤ 5000 ms)`);
    const met = open.unprompted.length === 0 && hidden.all.length === 0 && statusMs <= 5000 && viewMs <= 5000;
    console.log(`goal 0 (0 unprompted requests open, 0 hidden, engine loss shown within 5 s): ${met ? 'MET' : 'NOT MET'}`);
    if (!met) process.exitCode = 1;
  } catch (err) {
    console.error(h.diagnostics(userDataDir, server?.logFile ?? ''));
    throw err;
  } finally {
    await browser?.close();
    await server?.stop();
    old.dispose();
    await proxy.kill();
    await oldProxy.kill();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
