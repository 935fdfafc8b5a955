// The "Container per session" section of the Container Overhead page: renders a session-gateway
// cost report (src/core/serveCost.ts) sent by the host as `serveCost` (or inside `state`).
// Every string is set with textContent (the image name is an engine string). Loaded after
// overhead.js, which owns the page state and the host protocol; this file only reads messages.
// @ts-check
(function () {
  'use strict';
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
  /** @param {any} x @param {number=} d */
  const num = (x, d) => (typeof x === 'number' && isFinite(x) ? x.toFixed(d === undefined ? 1 : d) : 'n/a');
  /** @param {string} tag @param {string[]} cells */
  function row(tag, cells) {
    const tr = document.createElement('tr');
    cells.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? 'th' : tag);
      if (i === 0) cell.setAttribute('scope', 'row');
      cell.textContent = text;
      tr.append(cell);
    });
    return tr;
  }
  /** @param {any} r */
  function render(r) {
    const section = $('serve-cost');
    if (!section) return;
    section.hidden = !r;
    if (!r) return;
    $('serve-cost-title').textContent = `${r.image} (port ${r.containerPort}), ${r.sessions} concurrent session${r.sessions === 1 ? '' : 's'}`;
    $('serve-cost-description').textContent = `${r.requestsPerSession} request(s) per session on ${r.path}; measured in ${num(r.durationMs / 1000)} s. ${(r.notes || []).join(' ')}`;
    const body = $('serve-cost-table').tBodies[0];
    // Rows in the order and with the labels the report gives (src/core/serveCost.ts).
    body.replaceChildren(...Object.entries(r.labels || {}).map(([key, label]) => {
      const d = (r.series || {})[key] || {};
      return row('td', [label, String(d.n ?? 0), num(d.p50), num(d.p95), num(d.min)]);
    }));
    const q = r.ratios || {};
    const items = [
      `Login through the gateway, fresh container: ×${num(q.coldVsShared, 2)} the shared container's first request (×${num(q.coldVsFreshDirect, 2)} a fresh container without the gateway).`,
      `Login from the warm pool: ×${num(q.warmVsShared, 2)} the shared container's first request (×${num(q.warmVsFreshDirect, 2)} a fresh container without the gateway).`,
      `Per request through the gateway: ×${num(q.gatewayVsDirect, 2)} a direct request to the same container.`,
    ];
    $('serve-cost-ratios').replaceChildren(...items.map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      return li;
    }));
  }
  window.addEventListener('message', (/** @type {MessageEvent} */ event) => {
    const m = event.data;
    if (!m || typeof m.type !== 'string') return;
    if (m.type === 'serveCost') render(m.report);
    else if (m.type === 'state' && m.state && m.state.serveCost) render(m.state.serveCost);
  });
})();
