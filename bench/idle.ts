/**
 * bench/idle: engine requests while nothing happens, at the connection layer, counted by proxy
 * sockets in front of the real engine (test/integration/countingProxy.ts), against the old
 * behaviour measured in the same run over the same windows:
 *  - ours: the connection as the extension sets it up (the event stream held: it is the health
 *    signal) with a LineageSource acquired (views open) for IDLE_SECONDS, then released (views
 *    hidden) for HIDDEN_SECONDS;
 *  - baseline: a connection with the old health ping (`healthIntervalMs: 10000`, the old default:
 *    one `/_ping` every 10 s, a new connection each) through its own proxy, over both windows.
 * The engine may be shared: events that arrive cause refreshes while the views are open; those are
 * told apart from unprompted requests by `classifyRequests` (countingProxy.ts). Goal 0: none unprompted.
 * Last, the proxy is killed and the time until the connection says `disconnected` is printed.
 * Run: npm run bench -- idle   (IDLE_SECONDS=60, HIDDEN_SECONDS=30; ENGINE=podman for the
 * private Podman of scripts/podman.sh)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineConnection } from '../src/engine/connection';
import { LineageSource } from '../src/engine/lineageSource';
import { classifyRequests as classify, startCountingProxy, type ProxiedRequest } from '../test/integration/countingProxy';
import { podmanHost } from '../test/integration/engines';

const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 60);
const HIDDEN_SECONDS = Number(process.env.HIDDEN_SECONDS ?? 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const show = (rs: ProxiedRequest[]) => (rs.length ? ` [${[...new Set(rs.map((r) => `${r.method} ${r.path}`))].join(', ')}]` : '');

async function main(): Promise<void> {
  const engineSocket = process.env.ENGINE === 'podman' ? (await podmanHost()).replace(/^unix:\/\//, '') : '/var/run/docker.sock';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-bench-idle-'));
  const ours = await startCountingProxy(path.join(dir, 'ours.sock'), engineSocket);
  const old = await startCountingProxy(path.join(dir, 'old.sock'), engineSocket);
  const engine = new EngineConnection({ env: { DOCKER_HOST: `unix://${ours.socketPath}` } });
  const baseline = new EngineConnection({ env: { DOCKER_HOST: `unix://${old.socketPath}` }, healthIntervalMs: 10_000 });
  const health = engine.events.acquire();
  const source = new LineageSource(engine);
  try {
    for (const c of [engine, baseline]) {
      const s = await c.connect();
      if (s.kind !== 'connected') throw new Error(`no engine at ${engineSocket}: ${JSON.stringify(s)}`);
    }
    const view = source.acquire();
    while (!source.snapshot || !engine.events.open) await sleep(50);
    await sleep(1000); // the first load's tail

    const t0 = Date.now();
    await sleep(IDLE_SECONDS * 1000);
    const t1 = Date.now();
    view.dispose();
    await sleep(HIDDEN_SECONDS * 1000);
    const t2 = Date.now();

    const open = classify(ours, t0, t1);
    const hidden = classify(ours, t1, t2);
    const oldOpen = old.requests.filter((r) => r.at >= t0 && r.at < t1).length;
    const oldHidden = old.requests.filter((r) => r.at >= t1 && r.at < t2).length;

    const gone = new Promise<number>((resolve) => {
      const sub = engine.onDidChangeState((s) => s.kind === 'disconnected' && (sub.dispose(), resolve(Date.now())));
    });
    const killedAt = Date.now();
    await ours.kill();
    const noticeMs = (await Promise.race([gone, sleep(30_000).then(() => Number.NaN)])) - killedAt;

    const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(3)}x`);
    console.log(`engine: ${engineSocket}`);
    console.log(`views open, ${IDLE_SECONDS} s idle:   ${open.all.length} requests (${open.unprompted.length} unprompted${show(open.unprompted)}; ${open.all.length - open.unprompted.length} after ${open.events} engine events)`);
    console.log(`  old ping baseline, same window:   ${oldOpen} requests → ours/baseline ${ratio(open.unprompted.length, oldOpen)} (unprompted)`);
    console.log(`views hidden, ${HIDDEN_SECONDS} s idle: ${hidden.all.length} requests${show(hidden.all)} (${hidden.events} engine events arrived, only noted)`);
    console.log(`  old ping baseline, same window:   ${oldHidden} requests → ours/baseline ${ratio(hidden.all.length, oldHidden)}`);
    console.log(`engine gone (proxy killed) → disconnected in ${noticeMs.toFixed(0)} ms (target ≤ 5000 ms)`);
    const met = open.unprompted.length === 0 && hidden.all.length === 0 && noticeMs <= 5000;
    console.log(`goal 0 at the connection layer (0 unprompted open, 0 hidden, notice ≤ 5 s): ${met ? 'MET' : 'NOT MET'}`);
    if (!met) process.exitCode = 1;
  } finally {
    source.dispose();
    health.dispose();
    engine.dispose();
    baseline.dispose();
    await ours.kill();
    await old.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
