/**
 * bench/serve-hop: what one forwarded request costs the gateway's thread, in CPU µs
 * (process.cpuUsage, user + system), against a minimal Node HTTP proxy in the same run — CPU, not
 * latency, because on a shared machine latency swings with the load while the CPU a request
 * takes barely does, and at 20 concurrent sessions that CPU is what queues in front of every
 * request on the gateway's one thread (bench/serve measures the latency on the real engine).
 * No engine: the "container" is a loopback server in a child process answering like the sample
 * image's busybox httpd CGI (200, no Content-Length, connection closed after the body).
 * Routes, rotated every repetition, the first repetition discarded:
 *   gateway   the session gateway (a fake backend whose containers are that server)
 *   minimal   http.request + pipe, same agent settings, no sessions, cookies or accounting
 *   hp3       bare http-proxy-3 (xfwd), the library the gateway used for plain HTTP before
 *   direct    the server itself (the load client's own cost; near 0 on this thread)
 * The simulated users run in a process of their own (LoadClient 'process').
 * Usage: node --import tsx bench/serve-hop.ts [SESSIONS=20] [REQUESTS=50]
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import { distribution, ratio } from '../src/core/stats';
import type { ContainerBackend, SessionContainer } from '../src/engine/serve/backend';
import { Gateway } from '../src/engine/serve/gateway';
import { LoadClient, type LoadRequest } from '../src/engine/serve/loadClient';
import { minimalProxy } from './lib/minimalProxy';

const N = Number(process.argv[2] ?? 20);
const R = Number(process.argv[3] ?? 50);
const REPS = 6;
const PATH = '/cgi-bin/account';

const UPSTREAM = `
const net = require('node:net');
const body = '<!DOCTYPE html>' + 'x'.repeat(500) + '\\n';
const s = net.createServer((sock) => {
  sock.once('data', () => sock.end('HTTP/1.1 200 OK\\r\\nContent-Type: text/html; charset=utf-8\\r\\nCache-Control: no-store\\r\\n\\r\\n' + body));
  sock.on('error', () => {});
});
s.listen(0, '127.0.0.1', () => process.send(s.address().port));
process.on('disconnect', () => process.exit(0));
`;

function listen(server: http.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

async function main(): Promise<void> {
  const up = spawn(process.execPath, ['-e', UPSTREAM], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const upPort: number = await new Promise((r) => up.once('message', (m) => r(m as number)));
  let k = 0;
  const backend: ContainerBackend = {
    description: 'loopback stand-in',
    prepare: async () => undefined,
    start: async (): Promise<SessionContainer> => ({ id: `c${++k}`, name: `stand-in-${k}`, host: '127.0.0.1', port: upPort, startMs: 0, readyMs: 0 }),
    remove: async () => undefined,
    dispose: async () => [],
  };
  const gw = await Gateway.start({ backend, image: 'stand-in', limits: { maxSessions: N, idleMs: 0 } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const minimal = minimalProxy('127.0.0.1', upPort, agent);
  const hp = createProxyServer({ xfwd: true, agent });
  const target = new URL(`http://127.0.0.1:${upPort}`);
  const hp3 = http.createServer((req, res) => hp.web(req, res, { target }, () => res.destroy()));
  const [mPort, hPort] = [await listen(minimal), await listen(hp3)];
  const client = new LoadClient('process');
  try {
    const logins = await client.all(Array.from({ length: N }, () => ({ host: '127.0.0.1', port: gw.port, path: '/' })));
    const routes: Record<string, (i: number) => LoadRequest> = {
      gateway: (i) => ({ host: '127.0.0.1', port: gw.port, path: PATH, cookie: logins[i].setCookie, user: `g${i}` }),
      minimal: (i) => ({ host: '127.0.0.1', port: mPort, path: PATH, user: `m${i}` }),
      hp3: (i) => ({ host: '127.0.0.1', port: hPort, path: PATH, user: `h${i}` }),
      direct: (i) => ({ host: '127.0.0.1', port: upPort, path: PATH, user: `d${i}` }),
    };
    const names = Object.keys(routes);
    const cpu = Object.fromEntries(names.map((n) => [n, 0]));
    const ms = Object.fromEntries(names.map((n) => [n, [] as number[]]));
    for (let rep = 0; rep < REPS; rep++) {
      for (let j = 0; j < names.length; j++) {
        const name = names[(j + rep) % names.length];
        const plan = Array.from({ length: N }, (_, i) => Array.from({ length: R }, () => routes[name](i)));
        const c0 = process.cpuUsage();
        const results = await client.run(plan);
        const c = process.cpuUsage(c0);
        if (rep === 0) continue; // warm-up (JIT, connections)
        cpu[name] += c.user + c.system;
        for (const s of results) {
          for (const r of s) {
            if (r.error || r.status >= 400) throw new Error(`${name}: ${r.error ?? `HTTP ${r.status}`}`);
            ms[name].push(r.ms);
          }
        }
      }
    }
    const per = (n: string) => cpu[n] / ms[n].length;
    console.log(`== ${N} concurrent session(s), ${R} requests each per repetition, ${REPS - 1} repetitions (CPU of this process per request; latency p50 for reference)`);
    for (const n of names) {
      const d = distribution(ms[n]);
      console.log(`${n.padEnd(8)} ${per(n).toFixed(0).padStart(5)} µs CPU/request  ×${ratio(per(n), per('minimal')).toFixed(2)} minimal   p50 ${d.p50.toFixed(2)} ms  p95 ${d.p95.toFixed(2)} ms`);
    }
    console.log(`\nN=${N}: gateway CPU per request ×${ratio(per('gateway'), per('minimal')).toFixed(2)} a minimal Node HTTP proxy's (bare http-proxy-3 ×${ratio(per('hp3'), per('minimal')).toFixed(2)})`);
  } finally {
    await client.close();
    minimal.close();
    hp3.close();
    agent.destroy();
    await gw.stop();
    up.kill();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
