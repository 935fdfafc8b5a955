// UI proof of the Container Overhead panel (issue 6) for the VS Code level
// (scripts/test-vscode.mjs): opened from the palette, a CPU workload run, charts and tables
// checked, no experiment container left (overhead.png in test-artifacts/vscode/).
import * as path from 'node:path';
import * as h from './harness.mjs';
import { ARTIFACTS, SAMPLE, docker, dockerAsync, sleep } from './ui.mjs';

/** Issue 6: the Container Overhead panel from the palette, the CPU workload on the sample base image. */
export async function overheadUi(page) {
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
