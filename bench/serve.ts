/**
 * bench/serve: what a container per session costs, on the real engine, at 1 and 20 concurrent
 * sessions, as ratios to baselines measured in the same run:
 *   login p50, cold (fresh container) and warm pool, through the gateway
 *     ÷ `docker run -d -p 127.0.0.1::PORT IMAGE` through the docker CLI + the first successful
 *       request to it (the same image, the same concurrency)          — target: reported
 *   per-request p50 through the gateway ÷ direct to the same container — target ≤ 1.3×
 * plus the measurement's own series (one shared container, a fresh container without the gateway)
 * and a control: per session, the gateway, a minimal Node HTTP proxy (http.request + pipe, the
 * gateway's agent settings, no sessions, cookies or accounting) on this same thread and direct,
 * rotated in the same rounds. Gateway ≈ minimal proxy means the session logic costs nothing
 * measurable and what remains is the cost of any Node HTTP hop on this machine.
 * The simulated users run in a node process of their own, in its own session (see LoadClient: on
 * Linux a worker thread would take its CPU from the gateway's share), never on the proxies' loop.
 * At 1 session the whole measurement runs 5 times (its samples pooled), so its p50s are of 5 logins.
 * Usage: node --import tsx bench/serve.ts [REQUESTS]   (default 20 per session; BENCH_IMAGE, BENCH_PORT
 * override lineage-sample/web:1.0 and 8080; BENCH_PATH the path, default /cgi-bin/account)
 */
import { execFile } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { distribution, ratio, type Distribution } from '../src/core/stats';
import { EngineConnection } from '../src/engine/connection';
import { measureServeCost, timedGet } from '../src/engine/serve/cost';
import { summarizeServeCost, type ServeCostReport, type ServeCostSamples } from '../src/core/serveCost';
import { TransactionRunner } from '../src/engine/transaction';
import { LoadClient, type LoadRequest } from '../src/engine/serve/loadClient';
import { minimalProxy } from './lib/minimalProxy';
import { startLocalGateway } from '../src/engine/serve/local';

const REQUESTS = Number(process.argv[2] ?? process.env.BENCH_REQUESTS ?? 20);
const IMAGE = process.env.BENCH_IMAGE ?? 'lineage-sample/web:1.0';
const PORT = Number(process.env.BENCH_PORT ?? 8080);
const PATH = process.env.BENCH_PATH ?? '/cgi-bin/account';
const LABEL = 'io.container-lineage.test=bench-serve';
const run = promisify(execFile);

/** `docker run -d` (CLI) + poll until the first successful request; the container is removed after. */
async function dockerRunFirstRequest(): Promise<{ ms: number; id: string }> {
  const t0 = performance.now();
  const { stdout } = await run('docker', ['run', '-d', '--label', LABEL, '-p', `127.0.0.1::${PORT}`, IMAGE]);
  const id = stdout.trim();
  const port = Number((await run('docker', ['port', id, `${PORT}/tcp`])).stdout.split('\n')[0].split(':').pop());
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    try {
      await timedGet('127.0.0.1', port, PATH);
      return { ms: performance.now() - t0, id };
    } catch {
      if (performance.now() - t0 > 30_000) throw new Error(`docker run ${IMAGE}: no answer on ${PORT} within 30 s`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function dockerRunBaseline(n: number): Promise<number[]> {
  const r = await Promise.all(Array.from({ length: n }, () => dockerRunFirstRequest()));
  await run('docker', ['rm', '-f', ...r.map((x) => x.id)]);
  return r.map((x) => x.ms);
}

/**
 * The control, paired: n logins through a gateway of its own, and for each session a minimal Node
 * HTTP proxy on this thread (hand-written on purpose: the yardstick without http-proxy-3 and the
 * session logic) to the same container; `requests` rounds of gateway / minimal proxy / direct
 * (published port) per user, the order rotated every round, so all three see the same load.
 * @returns latencies in ms per route; everything started is removed.
 */
async function pairedControl(runner: TransactionRunner, n: number, requests: number): Promise<Record<'gateway' | 'minimal' | 'direct', number[]>> {
  const gw = await startLocalGateway(runner, { image: IMAGE, containerPort: PORT, limits: { maxSessions: n, idleMs: 0 }, noSweep: true });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const servers: http.Server[] = [];
  const client = new LoadClient('process');
  const out = { gateway: [] as number[], minimal: [] as number[], direct: [] as number[] };
  try {
    const logins = await client.all(Array.from({ length: n }, () => ({ host: '127.0.0.1', port: gw.port, path: PATH })));
    const users = await Promise.all(
      logins.map(async (login, i) => {
        const cookie = login.setCookie ?? '';
        const t = gw.sessionOf(cookie)?.target;
        if (!t) throw new Error('control: a login set no session cookie');
        const server = minimalProxy(t.host, t.port, agent);
        servers.push(server);
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        const user = `user-${i}`;
        const direct = t.published ?? t;
        return {
          gateway: { host: '127.0.0.1', port: gw.port, path: PATH, cookie, user },
          minimal: { host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: PATH, user },
          direct: { host: direct.host, port: direct.port, path: PATH, user },
        } satisfies Record<keyof typeof out, LoadRequest>;
      }),
    );
    const routes = ['gateway', 'minimal', 'direct'] as const;
    for (let round = 0; round < requests; round++) {
      const order = routes.map((_, k) => routes[(k + round) % routes.length]);
      const results = await client.run(users.map((u) => order.map((route) => u[route])));
      for (const seq of results) {
        seq.forEach((r, k) => {
          if (r.error || r.status >= 400) throw new Error(`control: a ${order[k]} request failed: ${r.error ?? `HTTP ${r.status}`}`);
          out[order[k]].push(r.ms);
        });
      }
    }
  } finally {
    for (const s of servers) s.close();
    agent.destroy();
    await client.close();
    await gw.stop();
  }
  return out;
}

/** Pool the samples of several reports into one. */
function pooled(reports: ServeCostReport[]): ServeCostReport {
  const samples = Object.fromEntries(Object.keys(reports[0].samples).map((k) => [k, reports.flatMap((r) => r.samples[k as keyof ServeCostSamples])])) as ServeCostSamples;
  const { series: _s, samples: _x, labels: _l, ratios: _r, ...meta } = reports[0];
  return summarizeServeCost(meta, samples);
}

/** A ratio with enough digits to tell small ones apart. */
const x = (v: number) => `×${v < 0.1 ? v.toFixed(3) : v.toFixed(2)}`;

const fmt = (d: Distribution) => `p50 ${d.p50.toFixed(1).padStart(7)} ms  p95 ${d.p95.toFixed(1).padStart(7)} ms (n ${d.n})`;

async function main(): Promise<void> {
  const engine = new EngineConnection({ env: process.env, retry: false, healthIntervalMs: 0 });
  if ((await engine.connect()).kind !== 'connected') throw new Error('no engine answered');
  const runner = new TransactionRunner(engine.docker(), { labels: { 'io.container-lineage.test': 'bench-serve' } });
  const verdicts: string[] = [];
  try {
    await dockerRunBaseline(1); // warm-up
    for (const n of [1, 20]) {
      console.log(`\n== ${n} concurrent session(s), ${REQUESTS} requests each, ${IMAGE} port ${PORT} ${PATH} (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)`);
      const rounds = n === 1 ? 5 : 1;
      const baseSamples: number[] = [];
      const reports: ServeCostReport[] = [];
      const control = { gateway: [] as number[], minimal: [] as number[], direct: [] as number[] };
      for (let i = 0; i < rounds; i++) {
        baseSamples.push(...(await dockerRunBaseline(n)));
        reports.push(await measureServeCost(runner, { image: IMAGE, containerPort: PORT, sessions: n, requests: REQUESTS, path: PATH, client: 'process' }));
        const c = await pairedControl(runner, n, REQUESTS);
        for (const k of ['gateway', 'minimal', 'direct'] as const) control[k].push(...c[k]);
      }
      const [cg, cm, cd] = [control.gateway, control.minimal, control.direct].map(distribution);
      const controlRatio = ratio(cm.p50, cd.p50);
      const base = distribution(baseSamples);
      const r = pooled(reports);
      const s = r.series;
      console.log(`${'docker run + first request (CLI, baseline)'.padEnd(46)} ${fmt(base)}`);
      console.log(`${'login through the gateway, cold'.padEnd(46)} ${fmt(s.loginCold)}  ${x(ratio(s.loginCold.p50, base.p50))} baseline`);
      console.log(`${'login through the gateway, warm pool'.padEnd(46)} ${fmt(s.loginWarm)}  ${x(ratio(s.loginWarm.p50, base.p50))} baseline`);
      console.log(`${'fresh container via the API, no gateway'.padEnd(46)} ${fmt(s.loginFreshDirect)}  ${x(ratio(s.loginFreshDirect.p50, base.p50))} baseline`);
      console.log(`${'first request to one shared container'.padEnd(46)} ${fmt(s.loginShared)}`);
      console.log(`${'request, direct to the container'.padEnd(46)} ${fmt(s.requestDirect)}`);
      console.log(`${'request, through the gateway'.padEnd(46)} ${fmt(s.requestGateway)}  ${x(r.ratios.gatewayVsDirect)} direct`);
      console.log('control, the three routes rotated in the same rounds:');
      console.log(`${'  request, direct to the container'.padEnd(46)} ${fmt(cd)}`);
      console.log(`${'  request, through the gateway'.padEnd(46)} ${fmt(cg)}  ${x(ratio(cg.p50, cd.p50))} direct  ${x(ratio(cg.p50, cm.p50))} minimal`);
      console.log(`${'  request, minimal Node HTTP proxy'.padEnd(46)} ${fmt(cm)}  ${x(controlRatio)} direct`);
      verdicts.push(
        `N=${n}: login p50 cold ${x(ratio(s.loginCold.p50, base.p50))}, warm ${x(ratio(s.loginWarm.p50, base.p50))} of docker run + first request; ` +
          `per-request p50 ${x(r.ratios.gatewayVsDirect)} direct (target ≤ 1.3: ${r.ratios.gatewayVsDirect <= 1.3 ? 'met' : 'NOT met'}; control round: gateway ${x(ratio(cg.p50, cd.p50))}, a minimal Node HTTP proxy ${x(controlRatio)} direct)`,
      );
    }
  } finally {
    await runner.dispose();
    engine.dispose();
  }
  console.log('\n' + verdicts.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
