import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { TransactionRunner } from '../../src/engine/transaction';
import { recordEngineCalls } from '../../src/engine/callTrace';
import { LABEL_OWNER_PID, LABEL_THROWAWAY } from '../../src/core/labels';
import { containersOfSession, IMAGE, suffix, throwawaySuite } from './helpers-throwaway';

describe('throwaway transactions (real engine)', function () {
  const ctx = throwawaySuite('transaction');
  const { suite } = ctx;
  let docker: Docker;
  let runner: TransactionRunner;
  before(() => {
    ({ docker, runner } = ctx);
  });

  it('separates stdout and stderr, returns exit code 3, leaves no container', async () => {
    const r = await runner.run({ image: IMAGE, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    assert.equal(r.status, 'exited', r.error);
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.removed, true);
    assert.ok(r.containerId.length > 0);
    for (const phase of ['create', 'start', 'run', 'remove', 'total'] as const) {
      assert.ok(r.timings[phase] >= 0, `${phase} = ${r.timings[phase]}`);
    }
    assert.ok(r.timings.total >= r.timings.create + r.timings.start + r.timings.run + r.timings.remove - 1);
    await assert.rejects(docker.getContainer(r.containerId).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
    assert.deepEqual(runner.live, []);
  });

  it('labels the container and applies the secure defaults', async () => {
    const r = await runner.run({
      image: IMAGE,
      cmd: ['sh', '-c', 'touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro; touch /tmp/y && echo tmp-ok; ip link 2>/dev/null | grep -c "^[0-9]"; grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status'],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /rootfs-ro/);
    assert.match(r.stdout, /tmp-ok/);
    assert.match(r.stdout, /CapEff:\s+0+\n/);
    assert.match(r.stdout, /NoNewPrivs:\s+1/);
  });

  it('the labels identify the session and the owner pid', async () => {
    let seen: Record<string, string> | undefined;
    const ac = new AbortController();
    const p = runner.run({ image: IMAGE, cmd: ['sleep', '30'], signal: ac.signal });
    for (let i = 0; i < 100 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_THROWAWAY}=${runner.owner.sessionId}`] } });
      if (list.length) seen = list[0].Labels;
    }
    ac.abort();
    const r = await p;
    assert.equal(r.status, 'cancelled');
    assert.ok(seen, 'container with our session label was listed');
    assert.equal(seen![LABEL_OWNER_PID], String(process.pid));
    assert.equal(seen!['io.container-lineage.test'], suite);
  });

  it('200 instant exits in a row: never a missed exit, never a leftover', async function () {
    this.timeout(600_000);
    for (let i = 0; i < 200; i++) {
      const r = await runner.run({ image: IMAGE, cmd: ['true'] });
      assert.equal(r.status, 'exited', `#${i}: ${r.error}`);
      assert.equal(r.exitCode, 0, `#${i}`);
      assert.equal(r.removed, true, `#${i}`);
    }
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('a transaction past its timeout is killed, removed and reported as timed out', async () => {
    const r = await runner.run({ image: IMAGE, cmd: ['sh', '-c', 'echo started; sleep 30'], timeoutMs: 1500 });
    assert.equal(r.status, 'timeout');
    assert.equal(r.removed, true);
    assert.equal(r.stdout, 'started\n');
    assert.match(r.error ?? '', /timed out after 1500 ms/);
    assert.ok(r.timings.run < 20_000);
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('cancel mid-run kills and removes', async () => {
    const ac = new AbortController();
    const p = runner.run({ image: IMAGE, cmd: ['sleep', '30'], signal: ac.signal });
    setTimeout(() => ac.abort(), 1200);
    const r = await p;
    assert.equal(r.status, 'cancelled');
    assert.equal(r.removed, true);
    assert.deepEqual(await containersOfSession(docker, runner.owner.sessionId), []);
  });

  it('an unknown image fails with a message that says what to do, and nothing is created', async () => {
    const r = await runner.run({ image: `container-lineage-missing-${suffix()}:nope`, cmd: ['true'] });
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /Build it or pull it first/);
    assert.equal(r.containerId, '');
  });

  it('5 MB of multi-byte output arrives byte-identical (streamed and collected)', async () => {
    // 5 × 1 MiB of a 7-byte multi-byte unit produced inside the container
    const chunks: Buffer[] = [];
    const r = await runner.run({
      image: IMAGE,
      cmd: ['sh', '-c', "i=0; while [ $i -lt 5 ]; do yes 'ab€𝄞' | head -c 1048576; i=$((i+1)); done"],
      onOutput: (s, b) => {
        if (s === 'stdout') chunks.push(Buffer.from(b));
      },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const expectedUnit = Buffer.from('ab€𝄞\n', 'utf8');
    const mib = Buffer.alloc(1048576);
    for (let i = 0; i < mib.length; i += expectedUnit.length) expectedUnit.copy(mib, i, 0, Math.min(expectedUnit.length, mib.length - i));
    const expected = Buffer.concat([mib, mib, mib, mib, mib]);
    const got = Buffer.concat(chunks);
    assert.equal(got.length, expected.length);
    assert.ok(got.equals(expected));
    assert.equal(r.stdout, new TextDecoder().decode(expected));
  });

  it("network 'disabled': own namespace with loopback only, no engine network setup (no localhost in /etc/hosts), removed", async () => {
    const probe = 'grep -c ":" /proc/net/dev; grep -o "^ *[a-z0-9]*:" /proc/net/dev | tr -d " :"; grep -qs localhost /etc/hosts && echo hosts || echo no-hosts';
    const disabled = await runner.run({ image: IMAGE, cmd: ['sh', '-c', probe], security: { network: 'disabled' } });
    assert.equal(disabled.exitCode, 0, disabled.stderr);
    assert.equal(disabled.stdout, '1\nlo\nno-hosts\n');
    assert.equal(disabled.removed, true);
    const none = await runner.run({ image: IMAGE, cmd: ['sh', '-c', probe] });
    assert.equal(none.stdout, '1\nlo\nhosts\n');
    assert.deepEqual(runner.live, []);
  });

  it('a cold transaction is five engine round trips: create, attach, start, wait, remove', async () => {
    const recorder = recordEngineCalls(docker);
    try {
      const r = await runner.run({ image: IMAGE, cmd: ['true'] });
      assert.equal(r.exitCode, 0);
      // Container calls only: the suite's connection may /_ping on the same client meanwhile.
      const own = recorder.calls.filter((c) => !c.kind.startsWith('GET /_ping'));
      assert.deepEqual(own.map((c) => c.kind).sort(), ['attach', 'create', 'remove', 'start', 'wait']);
      for (const c of own) assert.ok(c.ms >= 0 && c.failedStatus === undefined, `${c.kind} ${c.ms} ${c.failedStatus}`);
    } finally {
      recorder.stop();
    }
    // Stopped: the client is as before, later calls are not recorded.
    const n = recorder.calls.length;
    await docker.ping();
    assert.equal(recorder.calls.length, n);
  });

  it('TTY output is raw', async () => {
    const r = await runner.run({ image: IMAGE, cmd: ['sh', '-c', 'echo tty; echo e >&2'], tty: true });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.replace(/\r/g, ''), 'tty\ne\n');
    assert.equal(r.stderr, '');
  });

  it('dispose removes live containers and refuses new transactions', async () => {
    const own = new TransactionRunner(docker, { labels: { 'io.container-lineage.test': suite } });
    const p = own.run({ image: IMAGE, cmd: ['sleep', '30'] });
    for (let i = 0; i < 100 && own.live.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(own.live.length, 1);
    assert.deepEqual(await own.dispose(), []);
    const r = await p;
    assert.equal(r.status, 'cancelled');
    assert.equal(r.removed, true);
    assert.deepEqual(await containersOfSession(docker, own.owner.sessionId), []);
    await assert.rejects(own.run({ image: IMAGE, cmd: ['true'] }), /disposed/);
  });
});
