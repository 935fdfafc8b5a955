/**
 * Container Overhead panel inside a real VS Code against the real engine: the palette command
 * opens the panel; a report with hostile image/label strings renders literally with no injected
 * element and no script run (read back through the panel's probe hook, a postMessage round trip
 * to the page); the CPU workload runs on the sample base image (busybox:latest) through the
 * panel's run path, the page draws its charts, and no experiment container is left.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OverheadReport } from '../../../src/core/experiment';
import { services } from './helpers';
import type { ProbeResult } from '../../../src/webview/protocol';

const HOSTILE = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>';
type Probe = ProbeResult & { report?: OverheadReport };


function overheadTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('containerLineage.overhead'));
}

function hostileReport(): OverheadReport {
  const d = { n: 3, min: 10, max: 12, mean: 11, p50: 11, p95: 12, p99: 12 };
  return {
    version: 1,
    runId: 'recorded',
    image: `evil:${HOSTILE}`,
    workload: 'cpu',
    title: 'CPU-bound loop',
    description: 'recorded',
    measure: 'self-timed',
    n: 3,
    warmups: 1,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:10Z',
    cancelled: false,
    environment: {},
    sampleCounts: `n = 3 per series after 1 warm-up round`,
    series: [
      { variant: 'host', label: 'host', side: 'host', samples: [10, 11, 12], wallSamples: [12, 13, 14], summary: d },
      { variant: 'container', label: `label ${HOSTILE}`, side: 'container', samples: [10, 11, 12], wallSamples: [80, 81, 82], summary: d },
    ],
    comparisons: [{ variant: 'container', label: `label ${HOSTILE}`, baseline: 'host', ratio: 1, low: 0.9, high: 1.1, confidence: 0.95, n: 5, baselineN: 5, kind: 'within-noise', withinNoise: true, verdict: `label ${HOSTILE} vs host: within noise` }],
    lifecycle: [{ mode: 'cold', phase: 'create', summary: d }],
    lifecycleTotals: [{ mode: 'cold', medianTotalMs: 11, n: 3 }],
    notes: [`note ${HOSTILE}`],
  };
}

describe('Container Overhead panel', function () {
  this.timeout(180000);

  it('opens from the palette command', async () => {
    await services();
    await vscode.commands.executeCommand('containerLineage.measureOverhead');
    const deadline = Date.now() + 10000;
    while (overheadTabs().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(overheadTabs().length, 1, 'one "Container Overhead" tab');
    assert.equal(overheadTabs()[0].label, 'Container Overhead');
    // Opening again reveals the same panel.
    await vscode.commands.executeCommand('containerLineage.measureOverhead', 'busybox:latest');
    assert.equal(overheadTabs().length, 1);
    // The page loaded (a webview's first load can be slow on a busy machine) and shows its form.
    const probe = await vscode.commands.executeCommand<Probe>('containerLineage.overhead.testProbe', { timeoutMs: 90000 });
    assert.ok(probe.text.includes('Run experiment') && probe.text.includes('Live CPU and memory'), probe.text.slice(0, 500));
    assert.equal(probe.injectedElements, 0);
  });

  it('shows hostile image and label strings literally and runs nothing', async () => {
    const probe = await vscode.commands.executeCommand<Probe>('containerLineage.overhead.testProbe', { report: hostileReport() });
    assert.equal(probe.injectedElements, 0);
    assert.equal(probe.scriptRan, false);
    assert.ok(probe.text.includes(`evil:${HOSTILE}`), `image shown literally; the page shows: ${probe.text.slice(0, 1500)}`);
    assert.ok(probe.text.includes(`label ${HOSTILE}`), 'label shown literally');
    assert.ok(probe.text.includes(`note ${HOSTILE}`), 'note shown literally');
    assert.ok(probe.charts >= 2, `charts drawn: ${probe.charts}`);
  });

  it('runs the CPU workload on the sample base image and shows charts', async () => {
    const s = await services();
    const probe = await vscode.commands.executeCommand<Probe>('containerLineage.overhead.testProbe', { run: { image: 'busybox:latest', workload: 'cpu', n: 3 } });
    const report = probe.report;
    assert.ok(report, 'a report was produced');
    assert.equal(report.workload, 'cpu');
    assert.equal(report.cancelled, false);
    assert.deepEqual(report.series.map((x) => x.summary.n), [3, 3]);
    assert.ok(report.comparisons[0].ratio > 0.2 && report.comparisons[0].ratio < 5, `CPU ratio ${report.comparisons[0].ratio}`);
    assert.ok(probe.text.includes('CPU-bound loop on busybox:latest'));
    assert.ok(probe.text.includes(report.comparisons[0].verdict));
    assert.ok(probe.charts >= 2);
    assert.equal(probe.injectedElements, 0);
    const left = await s.engine.docker().listContainers({ all: true, filters: { label: [`io.container-lineage.overhead=${report.runId}`] } });
    assert.equal(left.length, 0, 'no experiment container left');
    // The panel stays open so the harness screenshot shows it.
  });
});
