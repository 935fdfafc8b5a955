// UI helpers of the VS Code level (playwright against VS Code's workbench DOM): quick inputs and
// the palette, Quick Open, side-bar panes and tree rows, the side bar's width, webview frames.
// Re-exported by harness.mjs, where the tests and benches take them from.

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A CSS attribute-selector string literal for `value` (quotes and backslashes escaped). */
export const cssString = (value) => JSON.stringify(String(value));

/**
 * Opens a quick input (Quick Open with `Control+P`, the command palette with `Control+Shift+P`)
 * and returns its input box. Retries with the keyboard focus moved to the workbench first: a
 * webview or a notification can hold the focus and swallow the first key press.
 * @param {import('playwright-core').Page} page
 * @param {string} key  e.g. 'Control+P'
 */
export async function openQuickInput(page, key, attempts = 4) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  for (let i = 1; ; i++) {
    if (await widget.isVisible()) await page.keyboard.press('Escape');
    // The side bar's title (or the status bar) takes the focus without doing anything.
    const target = page.locator('.part.sidebar .composite.title').or(page.locator('.part.statusbar')).first();
    await target.click({ position: { x: 5, y: 5 }, timeout: 10_000 }).catch(() => {});
    await page.keyboard.press(key);
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      return input;
    } catch (err) {
      if (i >= attempts) throw new Error(`${key} opened no quick input after ${attempts} attempts: ${err.message}`);
    }
  }
}

/**
 * Runs a command by its palette title ("Container Lineage: Measure Overhead…") through the
 * command palette: types the title and presses Enter on the row whose label is exactly that title.
 */
export async function runFromPalette(page, title, timeoutMs = 15_000) {
  const input = await openQuickInput(page, 'Control+Shift+P');
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { has: page.locator('.label-name', { hasText: title }) });
  await row.first().waitFor({ state: 'visible', timeout: timeoutMs });
  const labels = await page.locator('.quick-input-widget .monaco-list-row .label-name').allInnerTexts();
  if (!labels.some((l) => l.trim() === title)) throw new Error(`the command palette lists no "${title}": ${JSON.stringify(labels)}`);
  await row.first().click();
}

/**
 * Opens a workspace file with Quick Open (Ctrl+P): types `query` and clicks the row whose file
 * name is `name` and whose description (the folder) is `folder`. The list re-sorts while results
 * arrive, so the caller should check which file the editor shows and try again if needed.
 */
export async function quickOpenFile(page, { query, name, folder }, timeoutMs = 20_000) {
  const input = await openQuickInput(page, 'Control+P');
  await input.fill(query);
  const exact = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exact(name) }) })
    .filter({ has: page.locator('.label-description', { hasText: exact(folder) }) })
    .first();
  try {
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    const shown = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
    throw new Error(`Quick Open "${query}" lists no ${folder}/${name}: ${JSON.stringify(shown)}`);
  }
  await sleep(300); // let the result list settle (file search results arrive after the history)
  await row.click({ timeout: 10_000 });
}

/** The pane (header + body) of a view in the side bar, by its name ("Images"). */
export const sidebarPane = (page, name) => page.locator('.part.sidebar .pane', { has: page.locator(`.pane-header[aria-label^=${cssString(`${name} Section`)}]`) });

/**
 * The tree row in `pane` whose label is `label` (VS Code's row aria-label is the label, a space,
 * then the description). The tree is virtual: rows outside the viewport are not in the DOM, so
 * this scrolls the tree (mouse wheel) until the row is rendered, then scrolls it into view. After
 * one sweep without it, collapsed rows are expanded on the next sweeps (a proof that ran before
 * may have folded the row's ancestor, and VS Code keeps that state).
 * @returns {Promise<import('playwright-core').Locator>}
 */
export async function treeRow(page, pane, label, timeoutMs = 30_000) {
  // Not the sticky copy VS Code keeps at the top for the ancestors of the first visible row: it
  // has no aria-level, so its place in the tree cannot be read.
  const row = pane.locator(`.monaco-list-row:not(.monaco-tree-sticky-row)[aria-label^=${cssString(`${label} `)}]`).first();
  const list = pane.locator('.monaco-list').first();
  const rowsStyle = () => list.locator('.monaco-list-rows').getAttribute('style').catch(() => null);
  const deadline = Date.now() + timeoutMs;
  let atTop = false;
  let sweeps = 0;
  for (;;) {
    if ((await row.count()) > 0) {
      await row.scrollIntoViewIfNeeded({ timeout: 5_000 }).catch(() => {});
      return row;
    }
    if (Date.now() > deadline) {
      const shown = await pane.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      throw new Error(`no row "${label}" in the tree within ${timeoutMs / 1000} s; rendered rows: ${JSON.stringify(shown)}`);
    }
    const box = await list.boundingBox();
    if (!box || box.height < 5) {
      await sleep(250);
      continue;
    }
    // Sweep: back to the top, then one viewport down per round until the bottom, then again.
    // From the second sweep on, expand the collapsed rows on the way: VS Code remembers what an
    // earlier proof folded, and the row may sit under one of them.
    if (sweeps > 0) {
      const collapsed = pane.locator('.monaco-list-row:not(.monaco-tree-sticky-row)[aria-expanded="false"] .monaco-tl-twistie');
      for (let i = await collapsed.count(); i > 0; i--) {
        await collapsed.first().click({ timeout: 2_000 }).catch(() => {});
        await sleep(150);
      }
    }
    await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 100));
    const before = await rowsStyle();
    await page.mouse.wheel(0, atTop ? Math.max(60, box.height - 40) : -1e6);
    await sleep(200);
    const moved = (await rowsStyle()) !== before;
    if (atTop && !moved) sweeps++;
    atTop = atTop ? moved : true; // reached the bottom (nothing moved): start over from the top
    if (!moved) await sleep(250); // nothing to scroll: the row may still be on its way
  }
}

/** Expands a tree row (clicks its twistie) unless it is expanded already; waits until it is. */
export async function expandRow(row, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await row.getAttribute('aria-expanded');
    if (state === 'true') return;
    if (state === null) throw new Error(`row ${JSON.stringify(await row.getAttribute('aria-label'))} has no children to expand`);
    await row.locator('.monaco-tl-twistie').click({ timeout: 5_000 }).catch(() => {});
    if (Date.now() > deadline) throw new Error(`row ${JSON.stringify(await row.getAttribute('aria-label'))} did not expand`);
    await sleep(300);
  }
}

/**
 * The label of a rendered row's parent in the tree: the nearest rendered row above it with
 * aria-level one less. undefined for a root; null when that row is not rendered (scrolled away).
 */
export async function treeParentLabel(row) {
  return row.evaluate((el) => {
    const level = Number(el.getAttribute('aria-level'));
    if (level <= 1) return undefined;
    const rows = Array.from(el.parentElement?.querySelectorAll('.monaco-list-row') ?? []);
    // Rows are absolutely positioned: order them by their top offset, not by DOM order.
    rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    for (let i = rows.indexOf(el) - 1; i >= 0; i--) {
      const l = Number(rows[i].getAttribute('aria-level'));
      if (l === level - 1) return rows[i].getAttribute('aria-label');
      if (l < level - 1) break;
    }
    return null;
  });
}

/** Drags the primary side bar's sash so the side bar is `width` px wide (labels readable in screenshots). */
export async function setSidebarWidth(page, width) {
  const sash = page.locator('.monaco-sash.vertical.primary-sidebar-sash');
  const sidebar = page.locator('.part.sidebar');
  const sb = await sidebar.boundingBox();
  const box = await sash.boundingBox();
  if (!sb || !box || Math.abs(sb.width - width) < 10) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  const target = sb.x + width;
  await page.mouse.move((box.x + target) / 2, y, { steps: 5 });
  await page.mouse.move(target, y, { steps: 5 });
  await page.mouse.up();
}

/**
 * A locator factory for the content of the visible webview whose page has an `<h1>` with
 * `heading` (VS Code nests two iframes: the host frame and the page's `#active-frame`).
 * @returns {Promise<import('playwright-core').FrameLocator>}
 */
export async function webviewFrame(page, heading, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hosts = page.locator('iframe.webview.ready');
    const n = await hosts.count();
    for (let i = 0; i < n; i++) {
      if (!(await hosts.nth(i).isVisible())) continue;
      const inner = hosts.nth(i).contentFrame().frameLocator('iframe#active-frame');
      const h1 = inner.locator('h1');
      if ((await h1.count().catch(() => 0)) > 0 && (await h1.first().innerText().catch(() => '')).includes(heading)) return inner;
    }
    if (Date.now() > deadline) throw new Error(`no visible webview with the heading "${heading}" within ${timeoutMs / 1000} s (${n} webview frames)`);
    await sleep(500);
  }
}
