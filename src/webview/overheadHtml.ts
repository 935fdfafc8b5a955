/**
 * Static HTML of the Container Overhead panel (no `vscode` import, so a browser test can render
 * it). No data is ever interpolated here: only the CSP source, a nonce and resource URIs.
 */
/**
 * The panel's HTML: static markup only (no data), a CSP with a nonce, local resources only.
 * Used by the panel and by the browser test, which renders it outside VS Code.
 */
export function overheadHtml(o: { cspSource: string; nonce: string; chartUri: string; scriptUri: string; cssUri: string; serveCostUri?: string }): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${o.cssUri}">
<title>Container Overhead</title>
</head>
<body>
<main>
  <h1>Container Overhead</h1>
  <form id="run-form" aria-label="Experiment settings">
    <label>Image <input id="image" name="image" type="text" required spellcheck="false" autocomplete="off"></label>
    <label>Workload
      <select id="workload" name="workload">
        <option value="cpu">CPU-bound loop</option>
        <option value="memory">Memory-bandwidth copy</option>
        <option value="io">Small-file I/O (layer / tmpfs / volume)</option>
        <option value="net">Loopback request/response (NAT / bridge / host)</option>
        <option value="custom">Custom command</option>
      </select>
    </label>
    <label>Repetitions <input id="n" name="n" type="number" min="1" max="200" step="1"></label>
    <label class="custom-only">Container command (sh -c) <input id="command" name="command" type="text" spellcheck="false"></label>
    <label class="custom-only">Host command (sh -c, optional) <input id="hostCommand" name="hostCommand" type="text" spellcheck="false"></label>
    <div class="buttons">
      <button id="run" type="submit">Run experiment</button>
      <button id="cancel" type="button" class="secondary" disabled>Cancel</button>
    </div>
  </form>
  <div id="status" role="status" aria-live="polite"><progress id="progress" max="1" value="0" hidden aria-label="Experiment progress"></progress><span id="status-text"></span></div>
  <div id="error" role="alert" hidden></div>

  <section id="results" aria-labelledby="results-h" hidden>
    <h2 id="results-h">Results: <span id="report-title"></span></h2>
    <p id="report-description"></p>
    <ul id="verdicts"></ul>
    <div class="buttons" role="toolbar" aria-label="Export">
      <button id="export-json" type="button" class="secondary">Export JSON…</button>
      <button id="export-csv" type="button" class="secondary">Export CSV…</button>
      <button id="copy-md" type="button" class="secondary">Copy as Markdown</button>
    </div>
    <div class="charts">
      <figure><canvas id="chart-dist" role="img" aria-label="Host and container timings per series: medians as bars, each repetition as a dot"></canvas><figcaption>Host vs container per series (ms)</figcaption></figure>
      <figure><canvas id="chart-lifecycle" role="img" aria-label="Lifecycle waterfall: median milliseconds per phase, cold and warm pool"></canvas><figcaption>Lifecycle waterfall (median ms per phase)</figcaption></figure>
    </div>
    <table id="series-table">
      <caption>Series (ms)</caption>
      <thead><tr><th scope="col">Series</th><th scope="col">n</th><th scope="col">Median</th><th scope="col">p95</th><th scope="col">Min</th><th scope="col">Ratio to host (95% CI)</th><th scope="col">Verdict</th></tr></thead>
      <tbody></tbody>
    </table>
    <table id="lifecycle-table">
      <caption>Lifecycle phases (ms)</caption>
      <thead><tr><th scope="col">Phase</th><th scope="col">Mode</th><th scope="col">n</th><th scope="col">Median</th><th scope="col">p95</th><th scope="col">Min</th></tr></thead>
      <tbody></tbody>
    </table>
    <ul id="notes" class="notes"></ul>
  </section>

  <section id="serve-cost" aria-labelledby="serve-cost-h" hidden>
    <h2 id="serve-cost-h">Container per session: <span id="serve-cost-title"></span></h2>
    <p id="serve-cost-description"></p>
    <table id="serve-cost-table">
      <caption>Login and per-request latency (ms)</caption>
      <thead><tr><th scope="col">Series</th><th scope="col">n</th><th scope="col">Median</th><th scope="col">p95</th><th scope="col">Min</th></tr></thead>
      <tbody></tbody>
    </table>
    <ul id="serve-cost-ratios"></ul>
  </section>

  <section id="live" aria-labelledby="live-h">
    <h2 id="live-h">Live CPU and memory</h2>
    <fieldset>
      <legend>Running containers</legend>
      <div id="container-list"></div>
      <button id="refresh" type="button" class="secondary">Refresh list</button>
    </fieldset>
    <figure><canvas id="chart-live" role="img" aria-label="Live CPU percent and memory of the selected containers"></canvas><figcaption>CPU % (left axis) and memory MiB (right axis), one point per second</figcaption></figure>
    <ul id="live-status"></ul>
  </section>
</main>
<script nonce="${o.nonce}" src="${o.chartUri}"></script>
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
${o.serveCostUri ? `<script nonce="${o.nonce}" src="${o.serveCostUri}"></script>\n` : ''}</body>
</html>`;
}
