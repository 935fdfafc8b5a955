import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  blockIo,
  cpuPercent,
  isZeroedSample,
  memoryPercent,
  memoryUsageBytes,
  networkIo,
  summarizeSample,
  type EngineStatsSample,
} from '../../src/core/statsFormulas';

function fixture(name: string): EngineStatsSample {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', 'stats', `${name}.json`), 'utf8')) as EngineStatsSample;
}

describe('statsFormulas (docker CLI stats_helpers.go)', () => {
  describe('cgroup v1 sample recorded from this engine (busy loop)', () => {
    const s = fixture('v1-running');
    it('CPU % = Δtotal / Δsystem × online_cpus × 100', () => {
      // Δtotal 993316675 ns over Δsystem 2000000000 ns on 2 online CPUs.
      assert.equal(cpuPercent(s.cpu_stats, s.precpu_stats), (993316675 / 2000000000) * 2 * 100);
      assert.ok(Math.abs(summarizeSample(s)!.cpuPercent - 99.33) < 0.01);
    });
    it('memory = usage − total_inactive_file, and memory %', () => {
      const m = summarizeSample(s)!;
      assert.equal(m.memoryBytes, 2830336 - 1085440);
      assert.equal(m.memoryLimitBytes, 25276510208);
      assert.equal(m.memoryPercent, ((2830336 - 1085440) / 25276510208) * 100);
    });
    it('network sums and PIDs', () => {
      const m = summarizeSample(s)!;
      assert.equal(m.netRxBytes, 736);
      assert.equal(m.netTxBytes, 0);
      assert.equal(m.pids, 1);
      assert.equal(m.blockReadBytes, 0);
      assert.equal(m.blockWriteBytes, 0);
    });
  });

  it('falls back to len(percpu_usage) when online_cpus is absent', () => {
    const s = fixture('v1-running');
    delete s.cpu_stats!.online_cpus;
    assert.equal(cpuPercent(s.cpu_stats, s.precpu_stats), (993316675 / 2000000000) * 2 * 100);
  });

  it('an idle v1 container shows a small, positive CPU %', () => {
    const m = summarizeSample(fixture('v1-idle'))!;
    assert.ok(m.cpuPercent > 0 && m.cpuPercent < 1, String(m.cpuPercent));
    assert.equal(m.memoryBytes, 7311360 - 6291456);
    assert.equal(m.pids, 2);
  });

  it('empty precpu_stats (one-shot) gives CPU 0 %, other columns still computed', () => {
    const s = fixture('v1-one-shot');
    assert.equal(s.precpu_stats?.system_cpu_usage, undefined);
    const m = summarizeSample(s)!;
    assert.equal(m.cpuPercent, 0);
    assert.equal(m.memoryBytes, 2850816 - 1085440);
    // With a previous reading supplied (streaming), the delta is used.
    const prev = { cpu_usage: { total_usage: s.cpu_stats!.cpu_usage!.total_usage! - 1e9 }, system_cpu_usage: s.cpu_stats!.system_cpu_usage! - 2e9 };
    assert.equal(summarizeSample(s, prev)!.cpuPercent, (1e9 / 2e9) * 2 * 100);
  });

  it('zeroed sample (stopped container) is recognised and ignored', () => {
    const s = fixture('v1-zeroed-stopped');
    assert.equal(isZeroedSample(s), true);
    assert.equal(summarizeSample(s), undefined);
    assert.equal(cpuPercent(s.cpu_stats, s.precpu_stats), 0);
    assert.equal(memoryUsageBytes(s.memory_stats), 0);
    assert.equal(memoryPercent(0, 0), 0);
    assert.deepEqual(blockIo(s.blkio_stats), { readBytes: 0, writeBytes: 0 });
    assert.deepEqual(networkIo(s.networks), { rxBytes: 0, txBytes: 0 });
    assert.equal(isZeroedSample(fixture('v1-running')), false);
  });

  describe('cgroup v2 sample (Engine API reference shape)', () => {
    const s = fixture('v2-running');
    it('CPU % uses online_cpus (no percpu_usage on v2)', () => {
      assert.equal(summarizeSample(s)!.cpuPercent, (500000000 / 4000000000) * 4 * 100);
    });
    it('memory = usage − inactive_file', () => {
      const m = summarizeSample(s)!;
      assert.equal(m.memoryBytes, 6537216 - 2056192);
      assert.equal(m.memoryPercent, ((6537216 - 2056192) / 8217579520) * 100);
    });
    it('block I/O sums lowercase ops over devices; network sums interfaces', () => {
      const m = summarizeSample(s)!;
      assert.equal(m.blockReadBytes, 7593984 + 4096);
      assert.equal(m.blockWriteBytes, 1048576);
      assert.equal(m.netRxBytes, 5338 + 4641);
      assert.equal(m.netTxBytes, 648 + 690);
      assert.equal(m.pids, 3);
    });
  });

  it('v1 block I/O ops are capitalised; Sync/Total entries are not counted', () => {
    const r = blockIo({
      io_service_bytes_recursive: [
        { op: 'Read', value: 10 },
        { op: 'Write', value: 20 },
        { op: 'Sync', value: 30 },
        { op: 'Async', value: 0 },
        { op: 'Total', value: 30 },
        { op: '', value: 99 },
      ],
    });
    assert.deepEqual(r, { readBytes: 10, writeBytes: 20 });
  });

  it('memory falls back to usage when inactive file is not smaller', () => {
    assert.equal(memoryUsageBytes({ usage: 100, stats: { total_inactive_file: 200 } }), 100);
    assert.equal(memoryUsageBytes({ usage: 100, stats: { inactive_file: 100 } }), 100);
    assert.equal(memoryUsageBytes({ usage: 100, stats: {} }), 100);
  });

  it('CPU % is 0 unless both deltas are positive', () => {
    const prev = { cpu_usage: { total_usage: 100 }, system_cpu_usage: 1000, online_cpus: 2 };
    assert.equal(cpuPercent({ cpu_usage: { total_usage: 100 }, system_cpu_usage: 2000, online_cpus: 2 }, prev), 0);
    assert.equal(cpuPercent({ cpu_usage: { total_usage: 200 }, system_cpu_usage: 1000, online_cpus: 2 }, prev), 0);
    assert.equal(cpuPercent({ cpu_usage: { total_usage: 200 }, system_cpu_usage: 2000, online_cpus: 2 }, prev), 20);
  });
});
