'use strict';
// Mocha reporter for scripts/test.sh: the normal `spec` output, plus one JSON line
// {"passed":N,"failed":N,"pending":N,"failures":[{"title","error"}]} appended to the file named by
// CL_TEST_SUMMARY_FILE (when set), so the script can add up the levels without parsing
// human-readable text and name every failed test again in its summary (a CI log is often read
// from its tail only).
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, pending: 0, failures: [] };
    runner.on(EVENT_TEST_PASS, () => counts.passed++);
    // Hook failures (before/after) arrive as 'fail' too: they count as failures.
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      counts.failed++;
      const message = String((err && err.message) || err || '').split('\n').find((l) => l.trim()) || '';
      counts.failures.push({ title: test.fullTitle(), error: message.slice(0, 300) });
    });
    runner.on(EVENT_TEST_PENDING, () => counts.pending++);
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.CL_TEST_SUMMARY_FILE;
      if (file) fs.appendFileSync(file, JSON.stringify(counts) + '\n');
    });
  }
}

module.exports = SummaryReporter;
