// Container Overhead webview page. Renders everything with textContent / DOM nodes (never
// innerHTML with data): image names, labels, commands and container names are engine strings.
// Messages to the host follow src/webview/protocol.ts; the host validates them.
// @ts-check
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  /** @type {any} */
  const ChartLib = /** @type {any} */ (window).Chart;
  const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

  /** Page state; persisted with vscode.setState so a hidden/restored panel keeps it. */
  let state = Object.assign(
    { form: { image: '', workload: 'cpu', n: 10 }, running: false, progress: undefined, report: undefined, containers: [], watched: [], live: {} },
    vscode.getState() || {},
  );
  let scriptRan = false;
  /** @type {Record<string, any>} */
  const charts = {};

  function save() {
    vscode.setState(state);
  }

  // ---------- helpers ----------
  /** @param {string} tag @param {Record<string,string>=} attrs @param {(string|Node)[]=} children */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children || []) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return node;
  }
  /** @param {number} x @param {number=} digits */
  function num(x, digits) {
    if (typeof x !== 'number' || !isFinite(x)) return 'n/a';
    if (Math.abs(x) < 1 && x !== 0) return x.toPrecision(3);
    return x.toFixed(digits === undefined ? 1 : digits);
  }
  function cssVar(/** @type {string} */ name, /** @type {string} */ fallback) {
    const v = getComputedStyle(document.body).getPropertyValue(name).trim();
    return v || fallback;
  }
  function palette() {
    return {
      fg: cssVar('--vscode-foreground', '#888'),
      grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)'),
      host: cssVar('--vscode-charts-blue', '#3794ff'),
      series: [
        cssVar('--vscode-charts-orange', '#d18616'),
        cssVar('--vscode-charts-green', '#89d185'),
        cssVar('--vscode-charts-purple', '#b180d7'),
        cssVar('--vscode-charts-red', '#f14c4c'),
        cssVar('--vscode-charts-yellow', '#cca700'),
      ],
    };
  }
  function post(/** @type {any} */ msg) {
    vscode.postMessage(msg);
  }

  // ---------- form ----------
  const form = $('run-form');
  function readForm() {
    /** @type {any} */
    const f = { image: $('image').value.trim(), workload: $('workload').value, n: Number($('n').value) };
    if (f.workload === 'custom') {
      f.command = $('command').value;
      f.hostCommand = $('hostCommand').value;
    }
    return f;
  }
  function writeForm() {
    $('image').value = state.form.image || '';
    $('workload').value = state.form.workload || 'cpu';
    $('n').value = String(state.form.n || 10);
    $('command').value = state.form.command || '';
    $('hostCommand').value = state.form.hostCommand || '';
    updateCustom();
  }
  function updateCustom() {
    const custom = $('workload').value === 'custom';
    for (const n of document.querySelectorAll('.custom-only')) /** @type {HTMLElement} */ (n).hidden = !custom;
    $('command').required = custom;
  }
  $('workload').addEventListener('change', () => {
    updateCustom();
    state.form = readForm();
    save();
  });
  form.addEventListener('input', () => {
    state.form = readForm();
    save();
  });
  form.addEventListener('submit', (/** @type {Event} */ e) => {
    e.preventDefault();
    const f = readForm();
    if (!f.image) return showError('Enter an image, e.g. busybox:latest.');
    if (!Number.isInteger(f.n) || f.n < 1 || f.n > 200) return showError('Repetitions must be a whole number from 1 to 200.');
    if (f.workload === 'custom' && !f.command.trim()) return showError('Enter the command to run in the container.');
    showError('');
    state.form = f;
    save();
    post(Object.assign({ type: 'run' }, f));
  });
  $('cancel').addEventListener('click', () => post({ type: 'cancel' }));
  $('export-json').addEventListener('click', () => post({ type: 'export', format: 'json' }));
  $('export-csv').addEventListener('click', () => post({ type: 'export', format: 'csv' }));
  $('copy-md').addEventListener('click', () => post({ type: 'copyMarkdown' }));
  $('refresh').addEventListener('click', () => post({ type: 'refreshContainers' }));

  function showError(/** @type {string} */ message) {
    const box = $('error');
    box.textContent = message;
    box.hidden = !message;
  }

  function renderRunning() {
    $('run').disabled = !!state.running;
    $('cancel').disabled = !state.running;
    const p = state.progress;
    const bar = $('progress');
    bar.hidden = !state.running;
    if (p && state.running) {
      bar.max = Math.max(1, p.total);
      bar.value = p.done;
      $('status-text').textContent = ` ${p.done}/${p.total} ${p.message}`;
    } else {
      $('status-text').textContent = state.running ? ' starting…' : '';
    }
  }

  // ---------- report ----------
  /** The table's verdict column, per ComparisonReport.kind (src/core/experiment.ts). */
  const VERDICT_WORDS = { 'too-few': 'too few samples', 'within-noise': 'within noise', inconclusive: 'no clear difference', slower: 'slower', faster: 'faster' };
  function renderReport() {
    const r = state.report;
    $('results').hidden = !r;
    if (!r) return;
    $('report-title').textContent = `${r.title} on ${r.image}${r.cancelled ? ' (cancelled, partial)' : ''}`;
    $('report-description').textContent = `${r.description}. ${r.sampleCounts || `n = ${r.n} per series`}.`;
    const verdicts = $('verdicts');
    verdicts.replaceChildren(...r.comparisons.map((/** @type {any} */ c) => el('li', { class: c.kind === 'slower' || c.kind === 'faster' ? 'diff' : 'noise' }, [c.verdict])));

    const tbody = $('series-table').tBodies[0];
    tbody.replaceChildren(
      ...r.series.map((/** @type {any} */ s) => {
        const c = r.comparisons.find((/** @type {any} */ x) => x.variant === s.variant);
        return el('tr', {}, [
          el('th', { scope: 'row' }, [s.label]),
          el('td', {}, [String(s.summary.n)]),
          el('td', {}, [num(s.summary.p50, 2)]),
          el('td', {}, [num(s.summary.p95, 2)]),
          el('td', {}, [num(s.summary.min, 2)]),
          el('td', {}, [!c ? 'baseline' : c.kind === 'too-few' ? `${num(c.ratio, 2)} (too few samples)` : `${num(c.ratio, 2)} (${num(c.low, 2)}–${num(c.high, 2)})`]),
          el('td', {}, [c ? VERDICT_WORDS[c.kind] || '' : '']),
        ]);
      }),
    );
    const lbody = $('lifecycle-table').tBodies[0];
    lbody.replaceChildren(
      ...r.lifecycle.map((/** @type {any} */ l) =>
        el('tr', {}, [el('th', { scope: 'row' }, [l.phase]), el('td', {}, [l.mode]), el('td', {}, [String(l.summary.n)]), el('td', {}, [num(l.summary.p50)]), el('td', {}, [num(l.summary.p95)]), el('td', {}, [num(l.summary.min)])]),
      ),
    );
    $('lifecycle-table').hidden = r.lifecycle.length === 0;
    $('notes').replaceChildren(...r.notes.map((/** @type {string} */ n) => el('li', {}, [n])));
    drawReportCharts();
  }

  function baseOptions(/** @type {any} */ extra) {
    const p = palette();
    const axis = { ticks: { color: p.fg }, grid: { color: p.grid }, title: { color: p.fg } };
    return Object.assign(
      {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { labels: { color: p.fg } } },
        scales: { x: JSON.parse(JSON.stringify(axis)), y: JSON.parse(JSON.stringify(axis)) },
      },
      extra || {},
    );
  }

  function replaceChart(/** @type {string} */ id, /** @type {any} */ config) {
    if (!ChartLib) return;
    if (charts[id]) charts[id].destroy();
    charts[id] = new ChartLib($(id), config);
  }

  function drawReportCharts() {
    const r = state.report;
    if (!r) return;
    const p = palette();
    const labels = r.series.map((/** @type {any} */ s) => s.label);
    const colors = r.series.map((/** @type {any} */ s, /** @type {number} */ i) => (s.side === 'host' ? p.host : p.series[(i - 1) % p.series.length]));
    const dots = [];
    for (const s of r.series) for (const v of s.samples) dots.push({ x: s.label, y: v });
    const distOptions = baseOptions();
    distOptions.scales.y.title = { display: true, text: 'ms', color: p.fg };
    distOptions.scales.y.beginAtZero = true;
    replaceChart('chart-dist', {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { type: 'bar', label: 'median', data: r.series.map((/** @type {any} */ s) => s.summary.p50), backgroundColor: colors.map((/** @type {string} */ c) => c), borderColor: colors, borderWidth: 1 },
          { type: 'scatter', label: 'repetitions', data: dots, backgroundColor: p.fg, borderColor: p.fg, pointRadius: 3 },
        ],
      },
      options: distOptions,
    });

    const rows = [];
    const cold = [];
    const warm = [];
    for (const mode of ['cold', 'warm']) {
      let t = 0;
      for (const l of r.lifecycle.filter((/** @type {any} */ x) => x.mode === mode)) {
        rows.push(`${mode} · ${l.phase}`);
        const span = [t, t + l.summary.p50];
        t += l.summary.p50;
        (mode === 'cold' ? cold : warm).push(span);
        (mode === 'cold' ? warm : cold).push(null);
      }
    }
    const lcOptions = baseOptions({ indexAxis: 'y' });
    lcOptions.scales.x.title = { display: true, text: 'ms from request', color: p.fg };
    replaceChart('chart-lifecycle', {
      type: 'bar',
      data: {
        labels: rows,
        datasets: [
          { label: 'cold (create → remove)', data: cold, backgroundColor: p.series[0], grouped: false },
          { label: 'warm pool (pre-started)', data: warm, backgroundColor: p.series[1], grouped: false },
        ],
      },
      options: lcOptions,
    });
  }

  // ---------- live ----------
  function renderContainers() {
    const list = $('container-list');
    if (!state.containers.length) {
      list.replaceChildren(el('p', {}, ['No running containers.']));
      return;
    }
    list.replaceChildren(
      ...state.containers.map((/** @type {any} */ c) => {
        const box = el('input', { type: 'checkbox', value: c.id, 'aria-label': `Watch ${c.name}` });
        /** @type {HTMLInputElement} */ (box).checked = state.watched.includes(c.id);
        box.addEventListener('change', () => {
          const ids = Array.from(list.querySelectorAll('input:checked')).map((/** @type {any} */ i) => i.value);
          post({ type: 'watch', containerIds: ids });
        });
        return el('label', { class: 'container-choice' }, [box, ` ${c.name} `, el('span', { class: 'muted' }, [`(${c.image})`])]);
      }),
    );
  }

  function drawLive() {
    const p = palette();
    const datasets = [];
    let i = 0;
    for (const [id, entry] of Object.entries(state.live)) {
      if (!state.watched.includes(id)) continue;
      const color = p.series[i++ % p.series.length];
      datasets.push({ label: `${entry.name} CPU %`, yAxisID: 'y', data: entry.points.map((/** @type {any} */ q) => ({ x: q.t / 1000, y: q.cpuPercent })), borderColor: color, backgroundColor: color, pointRadius: 0 });
      datasets.push({ label: `${entry.name} memory MiB`, yAxisID: 'y1', data: entry.points.map((/** @type {any} */ q) => ({ x: q.t / 1000, y: q.memoryBytes / 1048576 })), borderColor: color, backgroundColor: color, borderDash: [4, 3], pointRadius: 0 });
    }
    const o = baseOptions();
    o.scales.x.type = 'linear';
    o.scales.x.title = { display: true, text: 's', color: p.fg };
    o.scales.y.title = { display: true, text: 'CPU %', color: p.fg };
    o.scales.y.beginAtZero = true;
    o.scales.y1 = { position: 'right', beginAtZero: true, ticks: { color: p.fg }, grid: { drawOnChartArea: false }, title: { display: true, text: 'MiB', color: p.fg } };
    if (charts['chart-live']) {
      charts['chart-live'].data.datasets = datasets;
      charts['chart-live'].update('none');
    } else {
      replaceChart('chart-live', { type: 'line', data: { datasets }, options: o });
    }
    $('live-status').replaceChildren(
      ...Object.entries(state.live)
        .filter(([id, e]) => state.watched.includes(id) && e.ended)
        .map(([, e]) => el('li', {}, [e.ended])),
    );
  }

  function renderAll() {
    writeForm();
    renderRunning();
    renderReport();
    renderContainers();
    drawLive();
  }

  // Redraw charts with the new colours when the theme changes (body class vscode-light/dark/high-contrast).
  new MutationObserver(() => {
    drawReportCharts();
    if (charts['chart-live']) {
      charts['chart-live'].destroy();
      delete charts['chart-live'];
    }
    drawLive();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  // ---------- messages from the host ----------
  window.addEventListener('message', (/** @type {MessageEvent} */ event) => {
    const m = event.data;
    if (!m || typeof m.type !== 'string') return;
    switch (m.type) {
      case 'state':
        state = Object.assign({}, state, m.state);
        renderAll();
        break;
      case 'progress':
        state.progress = { done: m.done, total: m.total, message: m.message };
        renderRunning();
        break;
      case 'running':
        state.running = m.running;
        if (!m.running) state.progress = undefined;
        renderRunning();
        break;
      case 'report':
        state.report = m.report;
        showError('');
        renderReport();
        break;
      case 'containers':
        state.containers = m.containers;
        renderContainers();
        break;
      case 'live': {
        const entry = (state.live[m.containerId] = state.live[m.containerId] || { name: m.name, points: [] });
        entry.name = m.name;
        entry.points.push(m.point);
        if (entry.points.length > 120) entry.points.splice(0, entry.points.length - 120);
        drawLive();
        break;
      }
      case 'liveEnded':
        if (state.live[m.containerId]) state.live[m.containerId].ended = m.message;
        drawLive();
        break;
      case 'error':
        showError(m.message);
        break;
      case 'probe': {
        const injected = document.querySelectorAll('main img, main script, main iframe, main object, main embed, main svg, main style, main link').length;
        const drawn = Array.from(document.querySelectorAll('canvas')).filter((c) => charts[c.id]).length;
        post({ type: 'probeResult', requestId: m.requestId, text: document.body.innerText, injectedElements: injected, charts: drawn, scriptRan });
        return;
      }
      default:
        return;
    }
    save();
  });

  // A hostile payload that somehow ran would typically call alert(); record it for the probe.
  /** @type {any} */ (window).alert = () => {
    scriptRan = true;
  };

  renderAll();
  post({ type: 'ready' });
})();
