/**
 * Issue 15, item 13, against the real engine: a container's logs (stdout and stderr apart, tail,
 * followed until the container stops, cancelled by the caller), exec into a running container
 * (exit code, stdin, a TTY shell that ends without stopping the container, refused on a stopped
 * one), and the same through the CLI (`container-lineage logs`, `container-lineage exec`).
 * Containers carry `io.container-lineage.test=logs-exec` and a unique name.
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { execInContainer, ATTACH_SHELL_COMMAND } from '../../src/engine/exec';
import { readLogs } from '../../src/engine/logs';
import type { EngineConnection } from '../../src/engine/connection';
import { connectEngine, removeByTestLabel, suffix as makeSuffix, IMAGE } from './helpers-throwaway';
import { cli } from './helpers-cli';

const SUITE = 'logs-exec';

describe('View Logs and Attach Shell engine side, and the CLI (real engine)', function () {
  this.timeout(120_000);
  const sfx = makeSuffix();
  let engine: EngineConnection;
  let docker: Docker;

  const start = async (name: string, script: string, tty = false): Promise<string> => {
    const c = await docker.createContainer({
      Image: IMAGE,
      name: `cl-${name}-${sfx}`,
      Cmd: ['sh', '-c', script],
      Tty: tty,
      Labels: { 'io.container-lineage.test': SUITE },
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    return c.id;
  };
  const collect = () => {
    const out = { stdout: '', stderr: '' };
    return { out, onData: (s: 'stdout' | 'stderr', b: Buffer) => (out[s] += b.toString()) };
  };

  before(async () => {
    ({ engine, docker } = await connectEngine());
  });
  after(async () => {
    if (docker) await removeByTestLabel(docker, SUITE);
    engine?.dispose();
  });

  it('logs: stdout and stderr apart, --tail, then the end', async () => {
    const id = await start('logs', 'for i in 1 2 3; do echo out$i; done; sleep 0.3; echo err1 >&2; exit 0');
    await docker.getContainer(id).wait();
    const all = collect();
    assert.deepEqual(await readLogs(docker, id, { onData: all.onData }), { reason: 'ended', tty: false });
    assert.equal(all.out.stdout, 'out1\nout2\nout3\n');
    assert.equal(all.out.stderr, 'err1\n');
    const tail = collect();
    await readLogs(docker, id, { tail: 1, onData: tail.onData });
    assert.equal(tail.out.stdout + tail.out.stderr, 'err1\n');
  });

  it('logs followed: new lines arrive while it runs; the stream ends when the container stops', async () => {
    const id = await start('follow', 'echo first; sleep 2; echo second; sleep 1');
    const got = collect();
    const t0 = Date.now();
    const end = await readLogs(docker, id, { follow: true, onData: got.onData });
    assert.equal(end.reason, 'ended');
    assert.equal(got.out.stdout, 'first\nsecond\n');
    assert.ok(Date.now() - t0 >= 1500, 'followed while the container ran');
  });

  it('logs followed: cancelling stops following and leaves the container running', async () => {
    const id = await start('cancel', 'while true; do echo tick; sleep 0.2; done');
    const ac = new AbortController();
    const got = collect();
    const done = readLogs(docker, id, { follow: true, signal: ac.signal, onData: got.onData });
    await new Promise((r) => setTimeout(r, 800));
    ac.abort();
    assert.equal((await done).reason, 'cancelled');
    assert.match(got.out.stdout, /tick\n/);
    assert.equal((await docker.getContainer(id).inspect()).State.Running, true);
  });

  it('logs of a TTY container are raw, and a missing container is said so', async () => {
    const id = await start('tty', 'echo hello-tty', true);
    await docker.getContainer(id).wait();
    const got = collect();
    const end = await readLogs(docker, id, { onData: got.onData });
    assert.equal(end.tty, true);
    assert.match(got.out.stdout, /hello-tty\r?\n/);
    await assert.rejects(readLogs(docker, `cl-no-such-${sfx}`, { onData: () => undefined }), /No such container/);
  });

  it('exec: exit code, stdout/stderr, stdin; the container keeps running', async () => {
    const id = await start('exec', 'sleep 120');
    const s = await execInContainer(docker, id, { cmd: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
    const got = collect();
    s.onData(got.onData);
    assert.equal(await new Promise((r) => s.onExit(r)), 7);
    assert.equal(got.out.stdout, 'out\n');
    assert.equal(got.out.stderr, 'err\n');
    const cat = await execInContainer(docker, id, { cmd: ['cat'], stdin: true });
    const echoed = collect();
    cat.onData(echoed.onData);
    cat.write('piped input\n');
    cat.endInput();
    assert.equal(await new Promise((r) => cat.onExit(r)), 0);
    assert.equal(echoed.out.stdout, 'piped input\n');
    assert.equal((await docker.getContainer(id).inspect()).State.Running, true);
  });

  it('Attach Shell: a TTY shell that runs commands; closing it ends the shell, not the container', async () => {
    const id = await start('shell', 'sleep 120');
    const s = await execInContainer(docker, id, { cmd: ATTACH_SHELL_COMMAND, tty: true, columns: 100, rows: 30 });
    let text = '';
    s.onData((_st, b) => (text += b.toString()));
    s.write('stty size; echo marker-$((6*7))\r');
    const deadline = Date.now() + 10_000;
    while (!/marker-42/.test(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(text, /30 100/, 'the terminal size was forwarded');
    assert.match(text, /marker-42/);
    s.write('exit 3\r');
    assert.equal(await new Promise((r) => s.onExit(r)), 3);
    assert.equal((await docker.getContainer(id).inspect()).State.Running, true, 'the container keeps running');
    // Closing the terminal (close) ends the shell process too, still not the container.
    const again = await execInContainer(docker, id, { cmd: ATTACH_SHELL_COMMAND, tty: true, endOnClose: true });
    again.write('sleep 300 & top\r'); // a foreground program and a background child
    await again.close();
    const deadline2 = Date.now() + 10_000;
    let running = true;
    while (running && Date.now() < deadline2) {
      running = (await docker.getExec(again.id).inspect()).Running;
      if (running) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(running, false, 'the shell ended when the terminal closed');
    const ps = await execInContainer(docker, id, { cmd: ['ps'] });
    let listed = '';
    ps.onData((_st, b) => (listed += b.toString()));
    await new Promise((r) => ps.onExit(r));
    // Killed processes of a container whose PID 1 does not reap them stay as zombies: "[top]".
    assert.doesNotMatch(listed, /^\s*\d+\s+\S+\s+(sleep 300|top)\b/m, `nothing the shell started is left running: ${listed}`);
    assert.equal((await docker.getContainer(id).inspect()).State.Running, true, 'the container keeps running');
  });

  it('exec into a stopped container says to start it', async () => {
    const c = await docker.createContainer({ Image: IMAGE, name: `cl-stopped-${sfx}`, Cmd: ['true'], Labels: { 'io.container-lineage.test': SUITE } });
    await assert.rejects(execInContainer(docker, c.id, { cmd: ['true'] }), /is not running: start it first/);
  });

  it('CLI: container-lineage logs [-f] [--tail N] and exec, with their exit codes', async () => {
    const id = await start('cli', 'echo cli-out; echo cli-err >&2; sleep 1; echo later');
    const followed = await cli(['logs', '-f', `cl-cli-${sfx}`]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'cli-out\nlater\n');
    assert.equal(followed.stderr, 'cli-err\n');
    const tail = await cli(['logs', '--tail', '1', id]);
    assert.equal(tail.stdout, 'later\n');
    assert.equal((await cli(['logs', `cl-no-such-${sfx}`])).code, 125);
    assert.equal((await cli(['logs'])).code, 2);

    const running = await start('cli-exec', 'sleep 120');
    const r = await cli(['exec', running, 'sh', '-c', 'echo in-container; exit 5']);
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.stdout, 'in-container\n');
    const piped = await cli(['exec', '-i', running, '--', 'tr', 'a-z', 'A-Z'], undefined, 'shout\n');
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'SHOUT\n');
    const stopped = await cli(['exec', `cl-stopped-${sfx}`, 'true']);
    assert.equal(stopped.code, 125);
    assert.match(stopped.stderr, /not running/);
    assert.equal((await cli(['exec', running])).code, 2);
  });
});
