/**
 * Measures what a container per session costs (see `core/serveCost.ts` for the series): one
 * shared container as the baseline, fresh containers without the gateway, a cold gateway and a
 * gateway with a warm pool of N, each with N concurrent logins; then per-request latency of the
 * N logged-in sessions through the gateway vs straight to each session's container, alternating
 * which goes first. The simulated users' requests are sent and timed from a worker thread
 * ({@link LoadClient}), not on the gateway's event loop. Everything it starts is removed before it
 * returns (or throws). No `vscode` import.
 */
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { sessionCookieName } from '../../core/sessionCookie';
import { summarizeServeCost, type ServeCostReport, type ServeCostSamples } from '../../core/serveCost';
import type { SecurityOptions } from '../security';
import type { TransactionRunner } from '../transaction';
import type { SessionContainer } from './backend';
import { DockerBackend } from './dockerBackend';
import type { Gateway } from './gateway';
import { LoadClient, type LoadClientMode, type LoadRequest } from './loadClient';
import { newGatewayId, startLocalGateway } from './local';

/** Options of {@link measureServeCost}. */
export interface ServeCostOptions {
  image: string;
  containerPort: number;
  /** Concurrent sessions N (default 20). */
  sessions?: number;
  /** Requests per session in the per-request series (default 10). */
  requests?: number;
  /** Path requested (default '/'). */
  path?: string;
  cmd?: string[];
  env?: string[];
  security?: Partial<SecurityOptions>;
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** Label filters for the gateways' sweep (tests). */
  sweepLabels?: string[];
  /** Where the simulated users run: 'thread' (default) or 'process' (see {@link LoadClient}). */
  client?: LoadClientMode;
}

/** One GET, timed to the end of the body. @throws on a connection error or a status ≥ 400. */
export function timedGet(host: string, port: number, path: string, cookie?: string): Promise<{ ms: number; setCookie?: string; body: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, headers: cookie ? { cookie } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 400) return reject(new Error(`HTTP ${res.statusCode} from ${host}:${port}${path}: ${body.slice(0, 200)}`));
        const set = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
        resolve({ ms: performance.now() - t0, setCookie: set?.split(';')[0], body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** N concurrent first requests through a gateway; returns the latencies and the session cookies. */
async function loginAll(client: LoadClient, gw: Gateway, n: number, path: string): Promise<{ ms: number[]; cookies: string[] }> {
  const r = await client.all(Array.from({ length: n }, () => ({ host: '127.0.0.1', port: gw.port, path })));
  const name = sessionCookieName(gw.port);
  const cookies = r.map((x) => x.setCookie ?? '');
  if (cookies.some((c) => !c.startsWith(`${name}=`))) throw new Error('a login through the gateway set no session cookie');
  return { ms: r.map((x) => x.ms), cookies };
}

/**
 * Run the measurement.
 * @throws RangeError for N < 1 or requests < 1; Error when a container never answers (the
 *   message says which) or when cancelled.
 */
export async function measureServeCost(runner: TransactionRunner, o: ServeCostOptions): Promise<ServeCostReport> {
  const n = o.sessions ?? 20;
  const requests = o.requests ?? 10;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sessions must be a whole number ≥ 1, got ${n}`);
  if (!Number.isInteger(requests) || requests < 1) throw new RangeError(`requests must be a whole number ≥ 1, got ${requests}`);
  const path = o.path ?? '/';
  const startedAt = Date.now();
  const t0 = performance.now();
  const progress = o.onProgress ?? (() => undefined);
  const check = () => {
    if (o.signal?.aborted) throw new Error('cancelled');
  };
  const container = { image: o.image, containerPort: o.containerPort, cmd: o.cmd, env: o.env, security: o.security, readyTimeoutMs: o.readyTimeoutMs };
  const direct = new DockerBackend(runner, { ...container, gatewayId: newGatewayId() });
  const gateways: Gateway[] = [];
  const client = new LoadClient(o.client);
  let addressing = 'n/a';
  const problems: string[] = [];
  const samples: ServeCostSamples = { loginCold: [], loginWarm: [], loginFreshDirect: [], loginShared: [], requestGateway: [], requestDirect: [] };
  try {
    progress('one shared container: every new user is one more request to it');
    const shared = await direct.start(o.signal);
    const { host: sharedHost, port: sharedPort } = shared.published ?? shared;
    const sharedReq: LoadRequest = { host: sharedHost, port: sharedPort, path };
    await client.all([sharedReq]); // warm-up
    samples.loginShared = (await client.all(Array.from({ length: n }, () => sharedReq))).map((x) => x.ms);
    await direct.remove(shared.id);
    check();

    progress(`${n} fresh containers without the gateway (create + start + first request)`);
    const fresh = await Promise.all(
      Array.from({ length: n }, async () => {
        const t = performance.now();
        const c: SessionContainer = await direct.start(o.signal);
        const { host, port } = c.published ?? c;
        await client.all([{ host, port, path }]);
        return { ms: performance.now() - t, id: c.id };
      }),
    );
    samples.loginFreshDirect = fresh.map((x) => x.ms);
    await Promise.all(fresh.map((x) => direct.remove(x.id)));
    check();

    progress(`${n} concurrent logins through the gateway, fresh containers`);
    const common = { ...container, limits: { maxSessions: n, idleMs: 0 }, sweepLabels: o.sweepLabels, noSweep: true };
    const cold = await startLocalGateway(runner, { ...common, poolSize: 0 });
    gateways.push(cold);
    const logins = await loginAll(client, cold, n, path);
    samples.loginCold = logins.ms;
    check();

    progress(`${requests} requests per session: through the gateway vs straight to the session's container`);
    const byCookie = logins.cookies.map((cookie) => {
      const target = cold.sessionOf(cookie)?.target;
      if (!target) throw new Error('a session ended during the measurement');
      return { cookie, target };
    });
    const viaAddress = byCookie.some((x) => x.target.published && x.target.host !== x.target.published.host);
    addressing = viaAddress ? 'the containers\' private-network addresses' : 'the containers\' published ports';
    for (let round = 0; round < requests; round++) {
      check();
      const plan = byCookie.map((x, i) => {
        const user = `user-${i}`;
        const viaGateway: LoadRequest = { host: '127.0.0.1', port: cold.port, path, cookie: x.cookie, user };
        const { host, port } = x.target.published ?? x.target;
        const straight: LoadRequest = { host, port, path, user };
        return round % 2 === 0 ? [viaGateway, straight] : [straight, viaGateway];
      });
      const results = await client.run(plan);
      results.forEach((pair, i) => {
        const [g, d] = round % 2 === 0 ? pair : [pair[1], pair[0]];
        for (const r of [g, d]) if (r.error || r.status >= 400) throw new Error(`a request of session ${i + 1} failed: ${r.error ?? `HTTP ${r.status}`}`);
        samples.requestGateway.push(g.ms);
        samples.requestDirect.push(d.ms);
      });
    }
    problems.push(...(await cold.stop()));
    gateways.splice(0);

    progress(`${n} concurrent logins through the gateway from a warm pool of ${n}`);
    const warm = await startLocalGateway(runner, { ...common, poolSize: n });
    gateways.push(warm);
    await warm.poolReady();
    samples.loginWarm = (await loginAll(client, warm, n, path)).ms;
    problems.push(...(await warm.stop()));
    gateways.splice(0);
  } finally {
    problems.push(...(await Promise.all(gateways.map((g) => g.stop()))).flat(), ...(await direct.dispose()));
    await client.close();
  }
  return summarizeServeCost(
    {
      image: o.image,
      containerPort: o.containerPort,
      sessions: n,
      requestsPerSession: requests,
      path,
      startedAt,
      durationMs: performance.now() - t0,
      notes: [
        'Login = a new user\'s first response. The shared container is the baseline: one server for every session, no isolation.',
        'Per-request series: the same sessions and containers, direct and through the gateway in alternating order; each simulated user keeps its connections alive where the server allows it, as a browser does.',
        'Direct = the container\'s published port on 127.0.0.1 (what a client without the gateway uses); the gateway connects to the container\'s private-network address when it can, skipping the engine\'s port publisher.',
        o.client === 'process' ? 'The simulated users run in a process of their own (own session), not on the gateway\'s event loop.' : 'The simulated users run on a worker thread, not on the gateway\'s event loop.',
        `The gateway connected to ${addressing}.`,
        ...problems.map((p) => `Cleanup problem (the next start's sweep retries it): ${p}`),
      ],
    },
    samples,
  );
}
