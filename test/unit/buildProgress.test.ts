import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildProgress } from '../../src/core/buildProgress';
import { instructionForVertex } from '../../src/core/buildSteps';
import { parseDockerfile } from '../../src/core/dockerfile';
import { FRONTEND_1_2_DIALECT } from '../../src/core/frontend';
import { JsonLineSplitter, messageError, type BuildMessage } from '../../src/engine/builders/request';
import { decodeTrace } from '../../src/engine/builders/trace';

const FIXTURES = join(__dirname, 'fixtures', 'buildkit');

interface Replay {
  lines: string[];
  progress: BuildProgress;
  imageId?: string;
  error?: string;
  /** n/N after each trace message */
  steps: string[];
}

/** Feed a recorded engine response (fixtures/buildkit/<name>.jsonl, see record.ts there) in `chunk`-byte pieces. */
function replay(name: string, chunk = 1 << 20): Replay {
  const bytes = readFileSync(join(FIXTURES, `${name}.jsonl`));
  const progress = new BuildProgress();
  const out: Replay = { lines: [], progress, steps: [] };
  const splitter = new JsonLineSplitter((m: BuildMessage) => {
    if (m.id === 'moby.buildkit.trace' && typeof m.aux === 'string') {
      out.lines.push(...progress.apply(decodeTrace(m.aux)));
      const c = progress.current();
      if (c) out.steps.push(`${c.done}/${c.total}`);
    } else if (m.id === 'moby.image.id') out.imageId = (m.aux as { ID: string }).ID;
    out.error ??= messageError(m);
  });
  for (let i = 0; i < bytes.length; i += chunk) splitter.push(bytes.subarray(i, i + chunk));
  splitter.end();
  out.lines.push(...progress.end());
  return out;
}

describe('BuildKit progress model (core/buildProgress) on traces recorded from Docker Engine 20.10', () => {
  it('a cold multi-stage build renders like docker build --progress=plain: numbered vertexes, their output, DONE', () => {
    const r = replay('multistage-cold');
    const text = r.lines.join('\n');
    assert.match(r.imageId!, /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.error, undefined);
    // headers in first-seen order, each result after its header
    assert.match(text, /^#1 \[internal\] load remote build context\n#1 DONE \d+\.\ds$/m);
    assert.match(text, /\n\n#4 \[base 1\/4\] FROM docker\.io\/library\/busybox:latest\n#4 DONE/);
    assert.match(text, /#5 \[base 2\/4\] RUN echo hello-from-run && echo to-stderr >&2\n(#5 \d\.\d{3} (hello-from-run|to-stderr)\n){2}#5 DONE \d\.\ds/);
    assert.match(text, /#8 \[stage-1 1\/2\] RUN --mount=type=cache,target=\/root\/\.cache echo cached > \/root\/\.cache\/x && cat \/root\/\.cache\/x\n#8 \d\.\d{3} cached\n#8 DONE/);
    assert.match(text, /#10 exporting to image\n#10 exporting layers \d\.\ds done\n#10 writing image sha256:[0-9a-f]{64} \d\.\ds done\n#10 DONE/);
    // ENV and LABEL are not vertexes; six numbered steps, all done
    assert.deepEqual(r.progress.steps.map((s) => s.name.replace(/\].*/, ']')), ['[base 1/4]', '[base 2/4]', '[base 3/4]', '[base 4/4]', '[stage-1 1/2]', '[stage-1 2/2]']);
    assert.equal(r.steps[r.steps.length - 1], '6/6');
    assert.ok(r.steps.includes('1/6') || r.steps.includes('2/6'), r.steps.join(' '));
    const t = r.progress.timings();
    assert.equal(t.length, 6);
    assert.ok(t.every((s) => s.durationMs !== undefined && s.durationMs >= 0));
  });

  for (const chunk of [1, 7, 100]) {
    it(`the same bytes in ${chunk}-byte pieces give the same output (lines and multi-byte characters split anywhere)`, () => {
      assert.deepEqual(replay('multistage-cold', chunk).lines, replay('multistage-cold').lines);
    });
  }

  it('a warm rebuild says CACHED for every step and prints no step output', () => {
    const r = replay('multistage-warm');
    const text = r.lines.join('\n');
    for (const n of [5, 6, 7, 8, 9]) assert.match(text, new RegExp(`^#${n} CACHED$`, 'm'));
    assert.doesNotMatch(text, /hello-from-run$/m);
    assert.ok(r.progress.steps.slice(1).every((s) => s.cached));
  });

  it('a failing RUN in the second stage: its stdout and stderr, ERROR, and the vertex maps to line 5', () => {
    const r = replay('fail-stage2');
    const text = r.lines.join('\n');
    assert.match(r.error!, /exit code: 3/);
    assert.match(text, /#6 \[stage-1 1\/1\] RUN echo out; echo err >&2; exit 3\n(#6 \d\.\d{3} (out|err)\n){2}#6 ERROR: executor failed running \[\/bin\/sh -c echo out; echo err >&2; exit 3\]: exit code: 3/);
    const failed = r.progress.failed!;
    assert.equal(failed.name, '[stage-1 1/1] RUN echo out; echo err >&2; exit 3');
    const model = parseDockerfile('FROM busybox:latest AS one\nRUN echo first\n\nFROM one\nRUN echo out; echo err >&2; exit 3\n', { dialect: FRONTEND_1_2_DIALECT });
    assert.equal(instructionForVertex(model, failed.name)!.range.start.line, 4);
  });

  it('a parse error: no steps, the error names its line', () => {
    const r = replay('parse-error');
    assert.match(r.error!, /dockerfile parse error line 2: unknown instruction: FROB/);
    assert.deepEqual(r.progress.steps, []);
    assert.equal(r.progress.current(), undefined);
  });

  it('a cancelled build: the running step is current, not done', () => {
    const r = replay('cancelled');
    const c = r.progress.current()!;
    assert.equal(c.name, '[2/2] RUN echo going-to-sleep; sleep 300');
    assert.equal(c.done, 1);
    assert.equal(c.total, 2);
    assert.match(r.lines.join('\n'), /#5 \d\.\d{3} going-to-sleep$/m);
    assert.equal(r.imageId, undefined);
  });

  it('merges by digest: a later update replaces the state; statuses print once; a partial log line is kept until its newline', () => {
    const p = new BuildProgress();
    const d = 'sha256:' + 'a'.repeat(64);
    const t0 = 1_700_000_000_000;
    assert.deepEqual(p.apply({ vertexes: [{ digest: d, name: '[1/2] FROM x' }], statuses: [], logs: [], warnings: [] }), []);
    assert.deepEqual(p.apply({ vertexes: [{ digest: d, name: '[1/2] FROM x', started: t0 }], statuses: [], logs: [{ vertex: d, stream: 1, data: Buffer.from('par'), timestamp: t0 + 5 }], warnings: [] }), ['#1 [1/2] FROM x']);
    assert.deepEqual(p.apply({ vertexes: [], statuses: [{ id: 's1', vertex: d, name: 'extracting', started: t0, completed: t0 + 100 }], logs: [{ vertex: d, stream: 1, data: Buffer.from('tial\n'), timestamp: t0 + 250 }], warnings: [] }), [
      '#1 extracting 0.1s done',
      '#1 0.250 partial',
    ]);
    assert.deepEqual(p.apply({ vertexes: [], statuses: [{ id: 's1', vertex: d, name: 'extracting', started: t0, completed: t0 + 100 }], logs: [], warnings: [] }), []);
    assert.deepEqual(p.apply({ vertexes: [{ digest: d, name: '[1/2] FROM x', started: t0, completed: t0 + 1234 }], statuses: [], logs: [], warnings: [] }), ['#1 DONE 1.2s']);
  });
});
