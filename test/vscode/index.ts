/**
 * Mocha entry for the VS Code level (`test/vscode/suite/*.test.ts`).
 *
 * Two hosts load this module:
 * - here, code-server's extension host, through the test-runner extension (`test/vscode/runner/`),
 *   which calls {@link runSuites} and writes the summary to a file for `scripts/test-vscode.mjs`;
 * - elsewhere, `@vscode/test-electron` (desktop VS Code), which calls {@link run} by convention
 *   (`extensionTestsPath` points at the compiled `out/test/vscode/index.js`).
 *
 * In both cases the suites are the compiled `*.test.js` files in the `suite/` folder next to this
 * module's compiled file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type MochaType from 'mocha';

/** One test's outcome. */
export interface TestResult {
  /** Suite titles then the test title, outermost first. */
  titlePath: string[];
  state: 'passed' | 'failed' | 'pending';
  /** Wall time of the test in ms (absent for pending tests). */
  durationMs?: number;
  /** Failure message and stack (failed tests and failed hooks only). */
  error?: { message: string; stack?: string };
}

/** Summary of one mocha run. */
export interface RunSummary {
  passed: number;
  failed: number;
  pending: number;
  tests: TestResult[];
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
}

export interface RunOptions {
  /** Compiled suite files; default: every `suite/*.test.js` next to this module. */
  files?: string[];
  /** Per-test timeout in ms (default 60000: engine round trips inside a cold extension host). */
  timeoutMs?: number;
  /** Only tests whose full title matches this pattern (scenario tags look like `@scenario:bad-host`). */
  grep?: RegExp;
  /** Run the tests that do NOT match `grep` instead. */
  invert?: boolean;
}

/** Loads mocha whether the host's `require` sees its ESM entry (namespace with `default`) or CJS. */
function loadMocha(): typeof MochaType {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('mocha') as { default?: typeof MochaType } & typeof MochaType;
  return mod.default ?? mod;
}

/**
 * The compiled suite files in `dir` (`*.test.js`), sorted by name.
 * @param dir folder to list; default `<this module's folder>/suite`.
 */
export function suiteFiles(dir: string = path.join(__dirname, 'suite')): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Runs the suites with mocha (BDD) and collects every test's outcome. Never rejects for test
 * failures; a hook failure is reported as a failed entry named after the hook.
 * @returns the run summary (counts and per-test results).
 */
export function runSuites(options: RunOptions = {}): Promise<RunSummary> {
  const Mocha = loadMocha();
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: options.timeoutMs ?? 60_000, reporter: function () {} as never });
  if (options.grep) {
    mocha.grep(options.grep);
    if (options.invert) mocha.invert();
  }
  for (const file of options.files ?? suiteFiles()) mocha.addFile(file);

  const tests: TestResult[] = [];
  const startedAt = Date.now();
  const titlePath = (t: MochaType.Runnable): string[] => t.titlePath().filter((s) => s !== '');
  return new Promise((resolve, reject) => {
    let runner: MochaType.Runner;
    try {
      runner = mocha.run(() => {
        const count = (s: TestResult['state']) => tests.filter((t) => t.state === s).length;
        resolve({ passed: count('passed'), failed: count('failed'), pending: count('pending'), tests, startedAt, endedAt: Date.now() });
      });
    } catch (err) {
      reject(err);
      return;
    }
    runner.on('pass', (t) => tests.push({ titlePath: titlePath(t), state: 'passed', durationMs: t.duration }));
    runner.on('pending', (t) => tests.push({ titlePath: titlePath(t), state: 'pending' }));
    runner.on('fail', (t, err: Error) =>
      tests.push({
        titlePath: titlePath(t),
        state: 'failed',
        durationMs: t.duration,
        error: { message: String(err?.message ?? err), stack: err?.stack },
      }),
    );
  });
}

/** Formats a summary as spec-reporter-like text (indented titles, ✓/✗, failures at the end). */
export function formatSpec(summary: RunSummary): string {
  const lines: string[] = [];
  let previous: string[] = [];
  for (const t of summary.tests) {
    const suites = t.titlePath.slice(0, -1);
    let common = 0;
    while (common < suites.length && suites[common] === previous[common]) common++;
    for (let i = common; i < suites.length; i++) lines.push(`${'  '.repeat(i + 1)}${suites[i]}`);
    previous = suites;
    const mark = t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-';
    const ms = t.durationMs !== undefined ? ` (${t.durationMs} ms)` : '';
    lines.push(`${'  '.repeat(suites.length + 1)}${mark} ${t.titlePath[t.titlePath.length - 1]}${ms}`);
  }
  const failures = summary.tests.filter((t) => t.state === 'failed');
  failures.forEach((t, i) => {
    lines.push('', `  ${i + 1}) ${t.titlePath.join(' › ')}`, `     ${t.error?.stack ?? t.error?.message ?? ''}`.replace(/\n/g, '\n     '));
  });
  lines.push('', `${summary.passed} passed, ${summary.failed} failed${summary.pending ? `, ${summary.pending} pending` : ''}`);
  return lines.join('\n');
}

/**
 * `@vscode/test-electron` convention: resolve when every test passed, reject otherwise.
 * Prints the spec-style report to the console.
 */
export async function run(): Promise<void> {
  // Scenario suites need a specially started host (e.g. DOCKER_HOST pointing nowhere): skipped here.
  const summary = await runSuites({ grep: /@scenario:/, invert: true });
  console.log(formatSpec(summary));
  if (summary.failed > 0) throw new Error(`${summary.failed} VS Code test(s) failed`);
}
