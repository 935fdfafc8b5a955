'use strict';
// Mocha reporter for scripts/test.sh: the normal `spec` output, plus one JSON line
// {"passed":N,"failed":N,"pending":N,"failures":[{"title","error"}],"retried":[…same…]} appended to the file named by
// CL_TEST_SUMMARY_FILE (when set), so the script can add up the levels without parsing
// human-readable text and name every failed test again in its summary (a CI log is often read
// from its tail only).
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_TEST_RETRY } = Mocha.Runner.constants;

/** The first non-empty line of an error's message, at most 300 characters. */
function firstLine(err) {
  return (String((err && err.message) || err || '').split('\n').find((l) => l.trim()) || '').slice(0, 300);
}

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, pending: 0, failures: [], retried: [] };
    runner.on(EVENT_TEST_PASS, () => counts.passed++);
    // Hook failures (before/after) arrive as 'fail' too: they count as failures.
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      counts.failed++;
      counts.failures.push({ title: test.fullTitle(), error: firstLine(err) });
    });
    // A try that failed and is run again (the config's `retries`): never silent, the summary names it.
    runner.on(EVENT_TEST_RETRY, (test, err) => {
      const line = `  ↻ retrying "${test.fullTitle()}" after: ${firstLine(err)}`;
      process.stdout.write(line + '\n');
      counts.retried.push({ title: test.fullTitle(), error: firstLine(err) });
    });
    runner.on(EVENT_TEST_PENDING, () => counts.pending++);
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.CL_TEST_SUMMARY_FILE;
      if (file) fs.appendFileSync(file, JSON.stringify(counts) + '\n');
    });
  }
}

module.exports = SummaryReporter;
