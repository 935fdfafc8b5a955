import { escapeMarkdown } from '../../src/core/markdown';
import assert from 'node:assert/strict';
import { formatBatchText, formatCommand, parseCommandInput, summarizeBatch, type TransactionOutcome } from '../../src/core/batch';
import { COMMON_OPTIONS, splitCommandLine, valueOptionNames } from '../../src/cli/throwaway-options';

const t = (total: number, extra: Partial<TransactionOutcome> = {}): TransactionOutcome => ({
  status: 'exited',
  exitCode: 0,
  removed: true,
  timings: { create: 10, start: 300, acquire: NaN, exec: NaN, run: 50, remove: 15, total },
  ...extra,
});

describe('throwaway: batch report and command lines', () => {
  it('summarizeBatch counts failures by kind and leaves cancelled ones out of the statistics', () => {
    const r = summarizeBatch(
      [t(400), t(500), t(600, { exitCode: 2 }), t(700, { status: 'timeout', exitCode: null, error: 'timed out' }), t(NaN, { status: 'cancelled', exitCode: null })],
      { image: 'busybox:latest', command: ['true'], requested: 10, concurrency: 2, wallMs: 2000, cancelled: true },
    );
    assert.equal(r.completed, 4);
    assert.equal(r.succeeded, 2);
    assert.equal(r.failures, 2);
    assert.equal(r.statuses.timeout, 1);
    assert.equal(r.statuses.cancelled, 1);
    assert.equal(r.throughput, 2);
    assert.equal(r.phases.total.n, 4);
    assert.equal(r.phases.total.p50, 550);
    assert.equal(r.phases.exec.n, 0);
    assert.deepEqual(r.sampleErrors, ['exit code 2', 'timed out']);
    assert.equal(r.mode, 'cold');
    const text = formatBatchText(r);
    assert.match(text, /completed 4\/10 \(cancelled\), succeeded 2, failures 2/);
    assert.match(text, /throughput 2\.00 transactions\/s/);
    assert.doesNotMatch(text, /^exec/m);
  });

  it('parseCommandInput: shell form by default, JSON array as exec form', () => {
    assert.deepEqual(parseCommandInput('echo hi && true'), ['/bin/sh', '-c', 'echo hi && true']);
    assert.deepEqual(parseCommandInput(' ["echo", "a b"] '), ['echo', 'a b']);
    assert.deepEqual(parseCommandInput('[ -f /x ] && echo y'), ['/bin/sh', '-c', '[ -f /x ] && echo y']);
    assert.equal(parseCommandInput('   '), undefined);
  });

  it('formatCommand quotes what a shell would split; escapeMarkdown neutralises engine strings', () => {
    assert.equal(formatCommand(['sh', '-c', "echo 'x' y"]), `sh -c 'echo '\\''x'\\'' y'`);
    assert.equal(escapeMarkdown('<img src=x onerror=alert(1)>'), '\\<img src=x onerror=alert(1)\\>');
  });

  it('splitCommandLine: options end at the image without --, everything before -- is ours with it', () => {
    const names = valueOptionNames({ ...COMMON_OPTIONS, n: { type: 'string', short: 'n' } });
    assert.deepEqual(splitCommandLine(['--timeout', '5', 'busybox', 'ls', '-la'], names), { ours: ['--timeout', '5', 'busybox'], cmd: ['ls', '-la'] });
    assert.deepEqual(splitCommandLine(['-e', 'A=1', 'busybox'], names), { ours: ['-e', 'A=1', 'busybox'], cmd: [] });
    assert.deepEqual(splitCommandLine(['busybox', '-n', '3', '--', 'sh', '-c', 'x'], names), { ours: ['busybox', '-n', '3'], cmd: ['sh', '-c', 'x'] });
    assert.deepEqual(splitCommandLine(['--tty'], names), { ours: ['--tty'], cmd: undefined });
  });
});
