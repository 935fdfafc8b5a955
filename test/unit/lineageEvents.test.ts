/**
 * EngineEventStream without an engine: a dropped connection and split chunks are what no engine
 * produces on demand, so the stream here is a PassThrough standing in for the socket.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { EngineEventStream, type EngineEvent } from '../../src/engine/events';

function fakeDocker(streams: PassThrough[], failures = 0): { docker: Docker; opened: () => number } {
  let opened = 0;
  let failed = 0;
  const docker = {
    getEvents: async (opts: { filters?: { type?: string[] } }) => {
      assert.deepEqual(opts.filters?.type, ['image', 'container']);
      if (failed < failures) {
        failed++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      const s = new PassThrough();
      streams.push(s);
      opened++;
      return s;
    },
  } as unknown as Docker;
  return { docker, opened: () => opened };
}

const until = async (pred: () => boolean) => {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(pred(), 'condition not reached');
};

describe('engine event stream (dropped connections, split chunks)', () => {
  it('parses events split across chunks and ignores blank lines', async () => {
    const streams: PassThrough[] = [];
    const { docker } = fakeDocker(streams);
    const es = new EngineEventStream({ docker: () => docker, initialBackoffMs: 1 });
    const got: EngineEvent[] = [];
    es.onEvent((e) => got.push(e));
    es.start();
    await until(() => streams.length === 1);
    streams[0].write('{"Type":"image","Action":"ta');
    streams[0].write('g"}\n\n{"Type":"container","Action":"start"}\n');
    await until(() => got.length === 2);
    assert.deepEqual(got.map((e) => `${e.Type}:${e.Action}`), ['image:tag', 'container:start']);
    es.dispose();
  });

  it('reconnects after the stream ends or errors, and after failed opens, announcing each connection', async () => {
    const streams: PassThrough[] = [];
    const { docker, opened } = fakeDocker(streams, 2);
    const es = new EngineEventStream({ docker: () => docker, initialBackoffMs: 1, maxBackoffMs: 4 });
    let connected = 0;
    es.onConnected(() => connected++);
    es.start();
    await until(() => opened() === 1);
    streams[0].end();
    await until(() => opened() === 2);
    streams[1].destroy(new Error('socket hang up'));
    await until(() => opened() === 3);
    assert.equal(connected, 3);
    assert.equal(es.connects, 3);
    es.stop();
    streams[2].end();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(opened(), 3, 'no reconnect after stop()');
    assert.equal(es.open, false);
  });

  it('waits while no client is available, then connects', async () => {
    const streams: PassThrough[] = [];
    const { docker } = fakeDocker(streams);
    let available = false;
    const es = new EngineEventStream({
      docker: () => {
        if (!available) throw new Error('No container engine is connected.');
        return docker;
      },
      initialBackoffMs: 1,
      maxBackoffMs: 2,
    });
    es.start();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(streams.length, 0);
    available = true;
    await until(() => streams.length === 1);
    es.dispose();
  });

  it('with a confirm hook: an ended stream asks once; "gone" waits without a request until reopen(), "alive" reopens', async () => {
    const streams: PassThrough[] = [];
    const { docker, opened } = fakeDocker(streams);
    const asked: string[] = [];
    let alive = false;
    const es = new EngineEventStream({ docker: () => docker, initialBackoffMs: 1, confirm: async (why) => (asked.push(why), alive) });
    const hold = es.acquire();
    await until(() => opened() === 1);
    streams[0].end();
    await until(() => asked.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(opened(), 1, 'the engine is gone: no reopen, no request');
    assert.equal(es.open, false);
    es.reopen();
    await until(() => opened() === 2 && es.open);
    alive = true;
    streams[1].destroy(new Error('socket hang up'));
    await until(() => opened() === 3 && es.open);
    assert.equal(asked.length, 2);
    assert.match(asked[1], /socket hang up/);
    hold.dispose();
    assert.equal(es.open, false, 'the last release closes the stream');
    es.dispose();
  });

  it('suspend() closes without asking and waits for reopen(); acquire() is reference-counted', async () => {
    const streams: PassThrough[] = [];
    const { docker, opened } = fakeDocker(streams);
    let asked = 0;
    const es = new EngineEventStream({ docker: () => docker, initialBackoffMs: 1, confirm: async () => (asked++, true) });
    const a = es.acquire();
    const b = es.acquire();
    await until(() => es.open);
    a.dispose();
    a.dispose();
    assert.equal(es.holds, 1);
    assert.ok(es.open, 'still held by b');
    es.suspend();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(es.open, false);
    assert.equal(opened(), 1);
    assert.equal(asked, 0, 'a suspended stream does not ask');
    es.reopen();
    await until(() => opened() === 2 && es.open);
    b.dispose();
    assert.equal(es.holds, 0);
    assert.equal(es.open, false);
    es.dispose();
  });
});
