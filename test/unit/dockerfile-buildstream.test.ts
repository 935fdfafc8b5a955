import * as assert from 'node:assert/strict';
import { BuildStreamInterpreter } from '../../src/engine/builders/classicStream';

const ok = [
  { stream: 'Step 1/3 : FROM busybox\n' },
  { stream: ' ---> cbc5df7f0a81\n' },
  { stream: 'Step 2/3 : RUN echo héllo ✓\n' },
  { stream: ' ---> Running in 47f36f59e495\n' },
  { stream: 'héllo ✓\n' },
  { stream: 'Removing intermediate container 47f36f59e495\n' },
  { stream: ' ---> 477148a91c8d\n' },
  { stream: 'Step 3/3 : CMD ["sh"]\n' },
  { stream: ' ---> fefbbd5ec60a\n' },
  { aux: { ID: 'sha256:' + 'f'.repeat(64) } },
  { stream: 'Successfully built fefbbd5ec60a\n' },
];

function feedInPieces(interp: BuildStreamInterpreter, messages: object[], size: number): void {
  const bytes = Buffer.from(messages.map((m) => JSON.stringify(m) + '\r\n').join(''), 'utf8');
  for (let i = 0; i < bytes.length; i += size) interp.push(bytes.subarray(i, i + size));
  interp.end();
}

describe('build stream interpreter (engine/build, recorded messages)', () => {
  for (const size of [1, 3, 7, 4096]) {
    it(`success in ${size}-byte chunks (splits lines and multi-byte characters)`, () => {
      let text = '';
      const interp = new BuildStreamInterpreter((t) => (text += t));
      feedInPieces(interp, ok, size);
      assert.equal(interp.failed, false);
      assert.equal(interp.imageId, 'sha256:' + 'f'.repeat(64));
      assert.equal(interp.step!.number, 3);
      assert.equal(interp.runningContainer, undefined);
      assert.ok(text.includes('héllo ✓\n'));
      // step images exclude the base image printed after FROM
      assert.deepEqual(interp.stepImages, ['477148a91c8d', 'fefbbd5ec60a']);
    });
  }

  it('any error message fails the build, even mid-stream and followed by more output', () => {
    const interp = new BuildStreamInterpreter();
    feedInPieces(interp, [
      ...ok.slice(0, 5),
      { errorDetail: { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" }, error: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" },
      { stream: 'Successfully built fefbbd5ec60a\n' },
    ], 5);
    assert.equal(interp.failed, true);
    assert.match(interp.error!, /non-zero code: 3/);
    assert.equal(interp.failedStep!.line, 'Step 2/3 : RUN echo héllo ✓');
    assert.equal(interp.runningContainer, '47f36f59e495');
  });

  it('errorDetail alone, or error alone, counts; garbage lines are kept, not thrown', () => {
    const a = new BuildStreamInterpreter();
    feedInPieces(a, [{ errorDetail: { message: 'only detail' } }], 64);
    assert.equal(a.error, 'only detail');
    const b = new BuildStreamInterpreter();
    b.push('not json\n{"error":"only error"}\n');
    b.end();
    assert.equal(b.error, 'only error');
    assert.deepEqual(b.garbage, ['not json']);
    assert.equal(b.failedStep, undefined);
  });

  it('a "Successfully built" short ID is used when no aux.ID came (older engines)', () => {
    const i = new BuildStreamInterpreter();
    feedInPieces(i, [{ stream: 'Successfully built 0123456789ab\n' }], 10);
    assert.equal(i.imageId, '0123456789ab');
  });
});
