import * as assert from 'node:assert/strict';
import { buildReport, planRuns, verdict, type ExperimentResults } from '../../src/core/experiment';
import { csvCell, reportToCsv, reportToMarkdown, reportToText } from '../../src/core/overheadReport';
import { escapeMarkdown } from '../../src/core/markdown';
import { experimentResults } from './fixtures/experiment';
import { builtinWorkload, customWorkload, parseSelfTime, selfTimedScript } from '../../src/core/workloads';

const HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>|=cmd';

function results(over: Partial<ExperimentResults> = {}): ExperimentResults {
  return experimentResults({
    image: `evil:${HOSTILE}`,
    variants: [
      { id: 'host', label: 'host', side: 'host' },
      { id: 'container', label: `container ${HOSTILE}`, side: 'container' },
    ],
    runs: [100, 102, 98, 101, 99].flatMap((v, i) => [
      { variant: 'host', valueMs: v, wallMs: v + 3 },
      { variant: 'container', valueMs: v + (i % 2 ? 1 : -1), wallMs: v + 70 },
    ]),
    lifecycle: [
      { mode: 'cold', phases: { create: 20, start: 340, exec: 70, stop: 15, remove: 18 } },
      { mode: 'cold', phases: { create: 22, start: 350, exec: 75, stop: 16, remove: 19 } },
      { mode: 'warm', phases: { exec: 72, stop: 15, remove: 18 } },
    ],
    ...over,
  });
}

describe('experiment planning', () => {
  it('warm-ups first, then rounds with rotating order', () => {
    const plan = planRuns(['host', 'container'], 3, 1);
    assert.deepEqual(
      plan.map((p) => `${p.warmup ? 'w' : ''}${p.variant}${p.index}`),
      ['whost0', 'wcontainer0', 'container0', 'host0', 'host1', 'container1', 'container2', 'host2'],
    );
    const three = planRuns(['a', 'b', 'c'], 3, 0).map((p) => p.variant).join('');
    assert.equal(three, 'abcbcacab');
    for (const v of ['a', 'b', 'c']) assert.equal(planRuns(['a', 'b', 'c'], 4, 2).filter((p) => p.variant === v && !p.warmup).length, 4);
  });
  it('rejects bad repetition counts', () => {
    assert.throws(() => planRuns(['a'], 0, 0), RangeError);
    assert.throws(() => planRuns(['a'], 2, -1), RangeError);
    assert.throws(() => planRuns([], 2, 0), RangeError);
  });
});

describe('experiment report', () => {
  it('summaries, ratio with CI, plain words when within noise', () => {
    const rep = buildReport(results());
    assert.equal(rep.series[0].summary.p50, 100);
    assert.equal(rep.series[0].summary.min, 98);
    assert.equal(rep.comparisons.length, 1);
    const c = rep.comparisons[0];
    assert.equal(c.ratio, 0.99);
    assert.ok(c.withinNoise);
    assert.match(c.verdict, /within noise/);
    // Same seed → same report.
    assert.deepEqual(buildReport(results()), rep);
  });
  it('a real slowdown is called out with its size', () => {
    const r = results();
    r.runs = r.runs.map((x) => (x.variant === 'container' ? { ...x, valueMs: x.valueMs * 2 } : x));
    const c = buildReport(r).comparisons[0];
    assert.ok(!c.withinNoise);
    assert.match(c.verdict, /2\.0× the host time/);
    assert.match(verdict('c', 'host', { ratio: 1.2, low: 1.1, high: 1.3, confidence: 0.95 }), /20% slower than host/);
    assert.match(verdict('c', 'host', { ratio: 0.8, low: 0.7, high: 0.9, confidence: 0.95 }), /20% faster/);
  });
  it('lifecycle summaries per phase and mode, warm path excludes create/start', () => {
    const rep = buildReport(results());
    assert.equal(rep.lifecycle.find((l) => l.mode === 'cold' && l.phase === 'start')!.summary.p50, 345);
    assert.equal(rep.lifecycle.find((l) => l.mode === 'warm' && l.phase === 'start'), undefined);
    assert.deepEqual(rep.lifecycleTotals.map((t) => [t.mode, t.medianTotalMs]), [['cold', (463 + 482) / 2], ['warm', 105]]);
  });
});

describe('report rendering escapes hostile engine strings', () => {
  const rep = buildReport(results());
  it('Markdown shows tags literally (no raw < or > or |)', () => {
    const md = reportToMarkdown(rep);
    assert.ok(!/(?<!\\)[<>]/.test(md), 'every < and > is backslash-escaped (CommonMark: shown literally)');
    assert.ok(md.includes('\\<img src=x onerror=alert(1)\\>\\</script\\>'), md);
    // Every table row keeps its 6 cells (a | in a label cannot add a column).
    for (const line of md.split('\n').filter((l) => l.startsWith('| container'))) {
      assert.equal(line.split(/(?<!\\)\|/).length - 2, 6, line);
    }
    assert.equal(escapeMarkdown('a\nb'), 'a b');
  });
  it('CSV quotes, doubles quotes and defuses formulas', () => {
    assert.equal(csvCell('=1+1'), `"'=1+1"`);
    assert.equal(csvCell('-2'), `"'-2"`);
    assert.equal(csvCell('a"b,c'), '"a""b,c"');
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell(-2.5), '-2.5');
    const csv = reportToCsv(rep);
    const lines = csv.trim().split('\r\n');
    assert.equal(lines[0].split(',').length, 16);
    assert.equal(lines.filter((l) => l.startsWith('sample,')).length, 10);
    // CSV is data, not markup: the tag is kept verbatim inside its cell, the row keeps 16 cells.
    assert.ok(csv.includes(',evil:<img src=x onerror=alert(1)></script><script>alert(2)</script>|=cmd,'));
    assert.equal(csvCell(`=HYPERLINK("http://x")`), `"'=HYPERLINK(""http://x"")"`);
  });
  it('text report replaces control characters', () => {
    const txt = reportToText(buildReport(results({ image: 'a\u001b[31mred\u0007' })));
    assert.ok(!/[\u001b\u0007]/.test(txt));
    assert.match(txt, /within noise/);
    assert.match(txt, /cold path total/);
  });
});

describe('workloads', () => {
  it('built-ins have a host baseline first and container variants', () => {
    for (const id of ['cpu', 'memory', 'io', 'net'] as const) {
      const w = builtinWorkload(id);
      assert.equal(w.variants[0].side, 'host');
      assert.ok(w.variants.slice(1).every((v) => v.side === 'container'));
    }
    assert.deepEqual(builtinWorkload('io').variants.map((v) => v.id), ['host', 'container', 'container-tmpfs', 'container-volume']);
    assert.throws(() => builtinWorkload('custom'), RangeError);
    assert.deepEqual(customWorkload(['true']).hostCommand, ['true']);
    assert.throws(() => customWorkload([]), RangeError);
  });
  it('parses adjtimex readings from a self-timed run', () => {
    const out = '    time.tv_sec:  100\n    time.tv_usec: 900000\n    return value: 5\n   time.tv_sec:  101\n    time.tv_usec: 150000\n';
    assert.equal(parseSelfTime(out), 250);
    assert.throws(() => parseSelfTime('nothing'), /busybox/);
    assert.match(selfTimedScript('true'), /^adjtimex; \{ true ; \}/);
  });
  it('reads tv_usec as nanoseconds when the adjtimex status has STA_NANO (0x2000), as on hosts running chronyd', () => {
    // busybox adjtimex output on a host whose kernel clock is in nanosecond mode (status 8256 =
    // STA_NANO | STA_UNSYNC): the field it labels tv_usec holds ns. Read as µs, this run across a
    // second boundary came out as -804073 ms; the interval of a ratio went negative.
    const block = (sec: number, frac: number) =>
      `    mode:         0\n    status:       8256 (UNSYNC | NANO)\n-t  tick:         10000 us\n    time.tv_sec:  ${sec}\n    time.tv_usec: ${frac}\n    return value: 5 (clock not synchronized)\n`;
    assert.equal(parseSelfTime(block(100, 900_000_000) + block(101, 150_000_000)), 250);
    // microsecond mode, same layout
    const usBlock = (sec: number, frac: number) => block(sec, frac).replace('8256 (UNSYNC | NANO)', '64 (UNSYNC)');
    assert.equal(parseSelfTime(usBlock(100, 900_000) + usBlock(101, 150_000)), 250);
  });
});
