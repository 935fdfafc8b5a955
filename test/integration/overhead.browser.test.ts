/**
 * The Container Overhead page rendered in real headless Chromium (Debian's /usr/bin/chromium via
 * playwright-core; never a downloaded browser), outside VS Code: the panel's HTML with its CSP,
 * served from a local origin, a stubbed `acquireVsCodeApi`, and a recorded report whose image,
 * series labels, notes and container names carry hostile markup. Asserts: the strings show
 * literally, no injected element exists, no script ran, no console error, no CSP violation, no
 * request outside the page's origin, charts drawn; saves a screenshot to test-artifacts/.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { OverheadReport } from '../../src/core/experiment';
import { overheadHtml } from '../../src/webview/overheadHtml';
import { summarizeServeCost } from '../../src/core/serveCost';

const ROOT = join(__dirname, '..', '..');
const HOSTILE = `<img src=x onerror="alert(1)"></script><script>alert(2)</script>`;
const CHROMIUM = '/usr/bin/chromium';

describe('Container Overhead page in headless Chromium', function () {
  this.timeout(60000);
  let server: http.Server;
  let origin = '';
  let browser: Browser | undefined;
  let html = '';

  before(async function () {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm test installs it (scripts/code-server.sh) before the test levels`);
    if (!existsSync(join(ROOT, 'media/vendor/chart.umd.js'))) throw new Error('run npm run build first (copies Chart.js to media/vendor)');
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(html);
      }
      const file = normalize(join(ROOT, url.pathname));
      if (!file.startsWith(join(ROOT, 'media')) || !existsSync(file)) {
        res.writeHead(404);
        return res.end();
      }
      const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    html = overheadHtml({
      cspSource: origin,
      nonce: 'bm9uY2UtZm9yLXRlc3Q=',
      chartUri: `${origin}/media/vendor/chart.umd.js`,
      scriptUri: `${origin}/media/overhead.js`,
      cssUri: `${origin}/media/overhead.css`,
      serveCostUri: `${origin}/media/serve-cost.js`,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  it('renders hostile engine strings as text, draws charts, runs nothing else', async () => {
    const report = JSON.parse(readFileSync(join(__dirname, 'fixtures/overhead-report-io.json'), 'utf8')) as OverheadReport;
    report.image = `evil:${HOSTILE}`;
    report.series[1].label = `layer ${HOSTILE}`;
    report.comparisons[0].label = report.series[1].label;
    report.comparisons[0].verdict = `${report.series[1].label} verdict`;
    report.notes.push(`note ${HOSTILE}`);

    const page = await browser!.newPage({ viewport: { width: 1100, height: 1400 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    // Page-side callbacks use globalThis (this tsconfig has no DOM lib).
    /* eslint-disable @typescript-eslint/no-explicit-any */
    // A string, not a function: tsx's name helpers (__name) do not exist inside the page.
    await page.addInitScript(`
      window.__posted = [];
      window.acquireVsCodeApi = function () {
        return {
          postMessage: function (m) { window.__posted.push(m); },
          // VS Code keeps webview state across hide/restore; sessionStorage survives a reload.
          getState: function () { var v = sessionStorage.getItem('state'); return v ? JSON.parse(v) : undefined; },
          setState: function (s) { sessionStorage.setItem('state', JSON.stringify(s)); },
        };
      };
      document.addEventListener('securitypolicyviolation', function (e) {
        window.__posted.push({ type: '__csp', directive: e.violatedDirective, blocked: e.blockedURI });
      });
    `);
    await page.goto(`${origin}/`);
    await page
      .waitForFunction(() => (globalThis as any).__posted.some((m: any) => m.type === 'ready'), undefined, { timeout: 15000 })
      .catch((err: Error) => {
        throw new Error(`the page never said ready: ${err.message}; ${problems.join('; ')}`);
      });
    const send = (m: unknown) => page.evaluate((msg) => (globalThis as any).postMessage(msg, '*'), m as object);
    await send({
      type: 'state',
      state: {
        form: { image: `evil:${HOSTILE}`, workload: 'io', n: 5 },
        running: false,
        report,
        containers: [{ id: 'a'.repeat(64), name: `web-${HOSTILE}`, image: `img-${HOSTILE}` }],
        watched: ['a'.repeat(64)],
        live: { ['a'.repeat(64)]: { name: `web-${HOSTILE}`, points: [{ t: 0, cpuPercent: 1, memoryBytes: 1e6 }, { t: 1000, cpuPercent: 3, memoryBytes: 2e6 }], ended: `ended ${HOSTILE}` } },
        // The session gateway's cost section (media/serve-cost.js).
        serveCost: summarizeServeCost(
          { image: `evil:${HOSTILE}`, containerPort: 8080, sessions: 2, requestsPerSession: 1, path: `/p${HOSTILE}`, startedAt: 0, durationMs: 1000, notes: [] },
          { loginCold: [400, 500], loginWarm: [20, 30], loginFreshDirect: [450, 460], loginShared: [5, 6], requestGateway: [3, 4], requestDirect: [2, 3] },
        ),
      },
    });
    await send({ type: 'error', message: `error ${HOSTILE}` });
    await send({ type: 'probe', requestId: 'p1' });
    const probe = await page.waitForFunction(() => (globalThis as any).__posted.find((m: any) => m.type === 'probeResult' && m.requestId === 'p1'));
    const result = (await probe.jsonValue()) as { text: string; injectedElements: number; charts: number; scriptRan: boolean };

    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts/overhead-panel-chromium.png'), fullPage: true });

    assert.equal(result.injectedElements, 0, 'no element was created from engine strings');
    assert.equal(result.scriptRan, false);
    assert.equal(result.charts, 3, 'distribution, lifecycle and live charts drawn');
    for (const where of ['evil:', 'layer ', 'note ', 'web-', 'ended ', 'error ', 'Container per session: evil:', 'request(s) per session on /p']) {
      assert.ok(result.text.includes(`${where}${HOSTILE}`), `"${where}<hostile>" shown literally`);
    }
    assert.equal(await page.inputValue('#image'), `evil:${HOSTILE}`);
    assert.match(result.text, /login: gateway, warm pool\t2\t25\.0\t/);
    assert.match(result.text, /Per request through the gateway: ×1\.40 a direct request/);
    const csp = ((await page.evaluate(() => (globalThis as any).__posted)) as Array<{ type: string }>).filter((m) => m.type === '__csp');
    assert.deepEqual(csp, [], 'no CSP violation');
    assert.deepEqual(problems, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith(origin)), [], 'no request outside the page origin');

    // Keyboard: Tab reaches the form controls and buttons in document order.
    await page.focus('#image');
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => (globalThis as any).document.activeElement?.id ?? ''));
    }
    assert.deepEqual(order, ['workload', 'n', 'run', 'export-json']);

    // State survives a reload (hidden and restored panel): the page re-renders from getState.
    await page.reload();
    await page.waitForSelector('#results:not([hidden])');
    assert.ok((await page.textContent('#report-title'))?.includes(`evil:${HOSTILE}`));
    await page.close();
  });
});
