/**
 * Test-runner extension for the VS Code level, loaded by code-server's real extension host beside
 * Container Lineage (see scripts/test-vscode.mjs and bench/activation.mjs). It does nothing unless
 * one of these environment variables (inherited from code-server) names an output file:
 *
 * - `CL_TEST_RESULTS`: run the mocha suites bundled next to this file (`dist/suite/*.test.js`),
 *   optionally filtered by the pattern `CL_TEST_GREP` (`CL_TEST_INVERT=1`: run the non-matching
 *   tests), and write `{ summary, spec, engine }` as JSON to that file
 *   (written to a temporary name, then renamed: the file appearing means "done").
 * - `CL_BENCH_RESULTS`: after `CL_BENCH_SETTLE_MS` (default 3000 ms) of start-up settling,
 *   activate Container Lineage and a trivial baseline extension, timing each
 *   `activate()` call (ms), and append one JSON line `{ ours, baseline, order }` to that file.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { formatSpec, runSuites } from '../index';

const EXTENSION_ID = 'container-lineage.container-lineage';
const BASELINE_ID = 'container-lineage.bench-baseline';

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

async function runTests(resultsFile: string): Promise<void> {
  let payload: unknown;
  try {
    const grep = process.env.CL_TEST_GREP ? new RegExp(process.env.CL_TEST_GREP) : undefined;
    const summary = await runSuites({ grep, invert: process.env.CL_TEST_INVERT === '1' });
    // The engine identity as the extension sees it, for the harness's status-bar check.
    const exports = vscode.extensions.getExtension(EXTENSION_ID)?.exports as
      | { services?: { engine?: { state?: unknown } } }
      | undefined;
    payload = { summary, spec: formatSpec(summary), engine: exports?.services?.engine?.state ?? null };
  } catch (err) {
    payload = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  writeAtomically(resultsFile, JSON.stringify(payload, null, 2));
}

/** Times one `activate()` call in ms; undefined when the extension is missing or already active. */
async function timeActivation(id: string): Promise<{ ms?: number; error?: string }> {
  const ext = vscode.extensions.getExtension(id);
  if (!ext) return { error: `${id} is not installed` };
  if (ext.isActive) return { error: `${id} was already active before the measurement` };
  const start = performance.now();
  try {
    await ext.activate();
  } catch (err) {
    return { error: `${id} failed to activate: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ms: performance.now() - start };
}

async function runBench(resultsFile: string): Promise<void> {
  // Let the start-up activations of built-in extensions (git, ...) finish first: activate() queues
  // behind them, which would measure the host's start-up instead of the extension.
  await new Promise((r) => setTimeout(r, Number(process.env.CL_BENCH_SETTLE_MS ?? 3000)));
  const previous = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).length : 0;
  // Alternate which extension goes first from one window to the next (warm file cache effects).
  const oursFirst = previous % 2 === 0;
  const first = await timeActivation(oursFirst ? EXTENSION_ID : BASELINE_ID);
  const second = await timeActivation(oursFirst ? BASELINE_ID : EXTENSION_ID);
  const [ours, baseline] = oursFirst ? [first, second] : [second, first];
  fs.appendFileSync(resultsFile, JSON.stringify({ ours, baseline, order: oursFirst ? 'ours-first' : 'baseline-first', pid: process.pid }) + '\n');
}

export function activate(): void {
  const tests = process.env.CL_TEST_RESULTS;
  const bench = process.env.CL_BENCH_RESULTS;
  // Never block the extension host's startup: run in the background.
  if (tests) void runTests(tests);
  else if (bench) void runBench(bench);
}

export function deactivate(): void {}
