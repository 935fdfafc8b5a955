/**
 * The session gateway against the real engine, on the sample web image (busybox httpd + CGI
 * account page, lineage-sample/web:1.0) and a WebSocket echo image built here: one private
 * container per login, logout / idle timeout / eviction remove it, a replayed cookie never
 * reaches an old container, a SIGKILLed gateway's containers are swept by the next start, 502 for
 * an image that never listens, 503 at the limit, WebSocket upgrades proxied, the hardening and the
 * private network applied. Everything carries this suite's test label and is removed in `after`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { join } from 'node:path';
import { LABEL_SERVE, LABEL_THROWAWAY } from '../../src/core/labels';
import type { Gateway } from '../../src/engine/serve/gateway';
import { startLocalGateway, type LocalGatewayOptions } from '../../src/engine/serve/local';
import { checkServeIsolation, execShell } from '../../src/engine/serve/isolation';
import { measureServeCost } from '../../src/engine/serve/cost';
import { findTracesScript, judgeFindings, leaveTracesScript, parseFindings } from '../../src/core/serveIsolation';
import type { TransactionRunner } from '../../src/engine/transaction';
import { throwawaySuite } from './helpers-throwaway';

const WEB = 'lineage-sample/web:1.0';
const TEST_LABEL = 'io.container-lineage.test';

/** One request; returns status, headers, body and the session cookie it set (name=value). */
async function get(url: string, cookie?: string): Promise<{ status: number; headers: Headers; body: string; cookie?: string }> {
  const r = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  const body = await r.text();
  const set = r.headers.get('set-cookie') ?? undefined;
  return { status: r.status, headers: r.headers, body, cookie: set?.split(';')[0] };
}

/** The container hostname and balance the sample's account page shows. */
function account(body: string): { container: string; balance: number } {
  const container = /id="container">([0-9a-f]+)</.exec(body)?.[1];
  const balance = /id="balance">(-?\d+)</.exec(body)?.[1];
  assert.ok(container && balance, `not the account page: ${body.slice(0, 300)}`);
  return { container, balance: Number(balance) };
}

async function gone(docker: TransactionRunner['docker'], id: string): Promise<boolean> {
  return docker.getContainer(id).inspect().then(
    () => false,
    (err: { statusCode?: number }) => err.statusCode === 404,
  );
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('session gateway (real engine)', function () {
  this.timeout(180_000);
  const ctx = throwawaySuite('serve');
  const gateways: Gateway[] = [];
  const logs: string[] = [];
  let wsImage = '';

  async function gateway(o: Partial<LocalGatewayOptions> = {}): Promise<Gateway> {
    const gw = await startLocalGateway(ctx.runner, {
      image: WEB,
      containerPort: 8080,
      sweepLabels: [`${TEST_LABEL}=${ctx.suite}`],
      log: (level, m) => logs.push(`${level} ${m}`),
      ...o,
    });
    gateways.push(gw);
    return gw;
  }

  before(async () => {
    wsImage = `cl-test-ws-echo:${ctx.suite}`;
    const stream = await ctx.docker.buildImage({ context: join(__dirname, 'fixtures', 'ws-echo'), src: ['Dockerfile', 'ws.sh'] }, { t: wsImage, labels: { [TEST_LABEL]: ctx.suite } });
    await new Promise((resolve, reject) => ctx.docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : (out.some((m: { error?: string }) => m.error) ? reject(new Error(JSON.stringify(out))) : resolve(out)))));
  });

  afterEach(async () => {
    for (const gw of gateways.splice(0)) assert.deepEqual(await gw.stop(), []);
  });

  after(async () => {
    await ctx.docker.getImage(wsImage).remove({ force: true }).catch(() => undefined);
    const nets = await ctx.docker.listNetworks({ filters: { label: [`${TEST_LABEL}=${ctx.suite}`] } });
    assert.deepEqual(nets.map((n) => n.Name), [], 'every gateway network was removed');
  });

  it('20 concurrent logins each get their own container; each session keeps reaching it', async () => {
    const gw = await gateway({ limits: { maxSessions: 20 } });
    const first = await Promise.all(Array.from({ length: 20 }, () => get(`${gw.url}cgi-bin/account`)));
    assert.ok(first.every((r) => r.status === 200 && r.cookie), `statuses ${first.map((r) => r.status)}`);
    const containers = first.map((r) => account(r.body).container);
    assert.equal(new Set(containers).size, 20, 'twenty distinct containers');
    assert.equal(new Set(first.map((r) => r.cookie)).size, 20, 'twenty distinct cookies');
    assert.equal(gw.sessions().length, 20);
    // Each session deposits its own amount, concurrently, twice; each sees only its own balance.
    for (let round = 0; round < 2; round++) {
      const again = await Promise.all(first.map((r, i) => get(`${gw.url}cgi-bin/account?deposit=${i + 1}`, r.cookie)));
      again.forEach((r, i) => {
        assert.equal(r.cookie, undefined, 'no new cookie for a live session');
        const a = account(r.body);
        assert.equal(a.container, containers[i]);
        assert.equal(a.balance, 100 + (round + 1) * (i + 1));
      });
    }
    assert.ok(gw.sessions().every((s) => s.requests === 3 && s.bytesOut > 0 && s.loginMs > 0));
  });

  it('a session container has the hardening, the throwaway labels and the private network; its port is on 127.0.0.1 only', async () => {
    const gw = await gateway();
    const r = await get(`${gw.url}cgi-bin/account`);
    assert.equal(r.status, 200);
    const [s] = gw.sessions();
    const info = await ctx.docker.getContainer(s.target.containerId).inspect();
    const hc = info.HostConfig;
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
    assert.equal(hc.PidsLimit, 128);
    assert.equal(hc.Memory, 256 * 1024 * 1024);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.match(hc.Tmpfs?.['/tmp'] ?? '', /size=67108864/);
    assert.equal(info.Config.Labels[LABEL_THROWAWAY], ctx.runner.owner.sessionId);
    assert.equal(info.Config.Labels['io.container-lineage.kind'], 'session');
    assert.equal(info.Config.Labels[LABEL_SERVE]?.length, 12);
    const bindings = Object.values(info.NetworkSettings.Ports ?? {}).flat().filter(Boolean) as Array<{ HostIp: string }>;
    assert.ok(bindings.length > 0 && bindings.every((b) => b.HostIp === '127.0.0.1'), JSON.stringify(bindings));
    const nets = Object.keys(info.NetworkSettings.Networks);
    assert.equal(nets.length, 1);
    assert.match(nets[0], /^cl-serve-[0-9a-f]{12}$/);
    // The gateway reaches the container at its address on that network (a local Linux engine);
    // a client without the gateway would use the published port.
    assert.equal(s.target.host, info.NetworkSettings.Networks[nets[0]].IPAddress);
    assert.equal(s.target.port, 8080);
    assert.equal(s.target.published?.host, '127.0.0.1');
    assert.equal(String(s.target.published?.port), (info.NetworkSettings.Ports['8080/tcp'] as Array<{ HostPort: string }>)[0].HostPort);
    const viaPort = await gateway({ addressing: 'published' });
    assert.equal((await get(`${viaPort.url}cgi-bin/account`)).status, 200);
    assert.deepEqual(viaPort.sessions()[0].target.host, '127.0.0.1');
    const net = await ctx.docker.getNetwork(nets[0]).inspect();
    assert.equal(net.Options?.['com.docker.network.bridge.enable_icc'], 'false');
    assert.equal(net.Options?.['com.docker.network.bridge.enable_ip_masquerade'], 'false');
    assert.equal(net.Labels?.[LABEL_THROWAWAY], ctx.runner.owner.sessionId);
  });

  it('logout removes the container; the replayed cookie starts a new login and never reaches the old container', async () => {
    const gw = await gateway();
    const a = await get(`${gw.url}cgi-bin/account?deposit=900`);
    const old = account(a.body).container;
    const [s] = gw.sessions();
    const out = await get(`${gw.url}_logout`, a.cookie);
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.ok(await gone(ctx.docker, s.target.containerId), 'the container is removed when logout answers');
    assert.equal(gw.sessions().length, 0);
    // Replay the old cookie (as a stolen or stale cookie would be): a fresh login, never the old container.
    const replay = await get(`${gw.url}cgi-bin/account`, a.cookie);
    assert.equal(replay.status, 200);
    assert.ok(replay.cookie && replay.cookie !== a.cookie, 'a new session cookie');
    const now = account(replay.body);
    assert.notEqual(now.container, old);
    assert.equal(now.balance, 100, 'a fresh account, not the old one');
    assert.equal(gw.sessions().length, 1);
    assert.notEqual(gw.sessions()[0].target.containerId, s.target.containerId);
  });

  it('the idle timeout removes the container', async () => {
    const gw = await gateway({ limits: { idleMs: 1500 } });
    const a = await get(`${gw.url}cgi-bin/account`);
    assert.equal(a.status, 200);
    const [s] = gw.sessions();
    await until('the idle session to end', 20_000, async () => (gw.sessions().length === 0 ? true : undefined));
    await until('its container to be removed', 20_000, async () => ((await gone(ctx.docker, s.target.containerId)) ? true : undefined));
    assert.equal(gw.stats().ended.idle, 1);
    assert.ok(logs.some((l) => l.includes(`session ${s.id} ended (idle)`)));
  });

  it('a login whose client went away still ends at the idle timeout (its container is removed)', async () => {
    const gw = await gateway({ limits: { idleMs: 1500 } });
    const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/cgi-bin/account' });
    req.on('error', () => undefined);
    setTimeout(() => req.destroy(), 50); // long before the container answers
    const s = await until('the abandoned login to become a session', 30_000, async () => gw.sessions()[0]);
    await until('it to idle out', 20_000, async () => (gw.sessions().length === 0 ? true : undefined));
    await until('its container to be removed', 20_000, async () => ((await gone(ctx.docker, s.target.containerId)) ? true : undefined));
  });

  it('at the session limit a new login gets 503 with Retry-After; lru eviction ends the least recently used session instead', async () => {
    const gw = await gateway({ limits: { maxSessions: 2, idleMs: 30_000 } });
    const [a, b] = [await get(`${gw.url}cgi-bin/account`), await get(`${gw.url}cgi-bin/account`)];
    assert.equal(a.status + b.status, 400);
    const c = await get(`${gw.url}cgi-bin/account`);
    assert.equal(c.status, 503);
    const retry = Number(c.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 30, `Retry-After ${retry}`);
    assert.equal(c.cookie, undefined);
    assert.equal(gw.sessions().length, 2);
    assert.equal((await get(`${gw.url}cgi-bin/account`, a.cookie)).status, 200, 'existing sessions still served');

    const lru = await gateway({ limits: { maxSessions: 1, eviction: 'lru' } });
    const first = await get(`${lru.url}cgi-bin/account`);
    const [victim] = lru.sessions();
    const second = await get(`${lru.url}cgi-bin/account`);
    assert.equal(second.status, 200);
    assert.notEqual(account(second.body).container, account(first.body).container);
    await until('the evicted container to be removed', 20_000, async () => ((await gone(ctx.docker, victim.target.containerId)) ? true : undefined));
    assert.equal(lru.stats().ended.evicted, 1);
  });

  it('an image whose port never answers fails the login with 502 and a clear log line; its container is removed', async () => {
    const gw = await gateway({ image: 'busybox:latest', cmd: ['sleep', '600'], readyTimeoutMs: 2000 });
    const t0 = Date.now();
    const r = await get(gw.url);
    assert.equal(r.status, 502);
    assert.match(r.body, /did not answer HTTP within 2\.0 s/);
    assert.ok(Date.now() - t0 < 15_000);
    const line = logs.find((l) => l.startsWith('error login failed (502)'));
    assert.ok(line, logs.join('\n'));
    assert.match(line, /container cl-session-[0-9a-f]{8}-[0-9a-f]{8} of busybox:latest: port 8080 did not answer HTTP within 2\.0 s.*container removed$/);
    const left = await ctx.docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${ctx.suite}`, 'io.container-lineage.kind=session'] } });
    assert.deepEqual(left.filter((c) => c.Image === 'busybox:latest').map((c) => c.Id), []);
    assert.equal(gw.sessions().length, 0);
    assert.equal(gw.stats().failedLogins, 1);
    // An image whose server exits at once is told apart, quickly.
    const exits = await gateway({ image: 'busybox:latest', cmd: ['sh', '-c', 'echo no server here; exit 3'], readyTimeoutMs: 20_000 });
    const e = await get(exits.url);
    assert.equal(e.status, 502);
    assert.match(e.body, /exited with code 3 before its port 8080 answered \(last output: no server here\)/);
  });

  it('proxies WebSocket upgrades of a session to its container, and never forwards the session cookie', async () => {
    const gw = await gateway({ image: wsImage });
    const login = await get(`${gw.url}headers`, 'theme=dark');
    assert.equal(login.status, 200);
    assert.match(login.body, /^cookie: theme=dark$/im, login.body);
    const again = await get(`${gw.url}headers`, `${login.cookie}; theme=dark`);
    assert.doesNotMatch(again.body, /cl_session_/, 'the session cookie reaches no container');
    const key = randomBytes(16).toString('base64');
    const echoed = await new Promise<{ status: number; accept: string; data: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/ws', headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', Cookie: login.cookie! } });
      req.on('upgrade', (res, socket, head) => {
        let data = head.toString('latin1');
        socket.on('data', (d: Buffer) => {
          data += d.toString('latin1');
          if (data.includes('ping-from-client')) {
            socket.destroy();
            resolve({ status: res.statusCode ?? 0, accept: String(res.headers['sec-websocket-accept']), data });
          }
        });
        socket.write('ping-from-client');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(echoed.status, 101);
    assert.equal(echoed.accept, createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'));
    assert.ok(echoed.data.includes('hello') && echoed.data.includes('ping-from-client'));
    // Without a session an upgrade is refused.
    const refused = await new Promise<string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/ws', headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' } });
      req.on('response', (res) => resolve(String(res.statusCode)));
      req.on('upgrade', () => resolve('upgraded'));
      req.on('error', (e) => resolve(e.message));
      req.end();
    });
    assert.equal(refused, '403');
  });

  it('a container that stops by itself ends its session; the next request logs in anew', async () => {
    const gw = await gateway();
    const a = await get(`${gw.url}cgi-bin/account`);
    const [s] = gw.sessions();
    await ctx.docker.getContainer(s.target.containerId).kill();
    await until('the session to end', 20_000, async () => (gw.sessions().length === 0 ? true : undefined));
    assert.equal(gw.stats().ended['container-gone'], 1);
    const b = await get(`${gw.url}cgi-bin/account`, a.cookie);
    assert.equal(b.status, 200);
    assert.notEqual(account(b.body).container, account(a.body).container);
  });

  it('stopping the gateway removes every session container, the warm pool and the network', async () => {
    const gw = await gateway({ poolSize: 2 });
    await gw.poolReady();
    const r = await get(`${gw.url}cgi-bin/account`);
    assert.equal(gw.sessions()[0].mode, 'warm');
    assert.equal(r.status, 200);
    gateways.splice(gateways.indexOf(gw), 1);
    assert.deepEqual(await gw.stop(), []);
    const left = await ctx.docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${ctx.suite}`, 'io.container-lineage.kind=session'] } });
    assert.deepEqual(left.map((c) => c.Names[0]), []);
    assert.equal((await get(gw.url).catch((e: Error) => ({ status: e.message }))).status, 'fetch failed');
  });

  it("a gateway killed with SIGKILL: the next gateway's start sweeps its containers and network", async () => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'fixtures', 'serve-gateway.ts'), ctx.suite], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ready = await new Promise<{ pid: number; sessionId: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /READY (\d+) (\S+) (\d+)/.exec(out);
        if (m) resolve({ pid: Number(m[1]), sessionId: m[2] });
      });
      child.on('exit', (code) => reject(new Error(`the gateway child exited early (${code})`)));
    });
    const mine = { label: [`${LABEL_THROWAWAY}=${ready.sessionId}`] };
    const before = await ctx.docker.listContainers({ all: true, filters: mine });
    assert.equal(before.length, 3, 'two sessions and one warm-pool container');
    assert.equal((await ctx.docker.listNetworks({ filters: mine })).length, 1);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The next start (this process: another owner, alive) sweeps what the dead one left.
    const gw = await gateway();
    assert.ok(logs.some((l) => /sweep: removed 3 container\(s\) and 1 gateway network\(s\)/.test(l)), logs.join('\n'));
    assert.deepEqual(await ctx.docker.listContainers({ all: true, filters: mine }), []);
    assert.deepEqual(await ctx.docker.listNetworks({ filters: mine }), []);
    assert.equal((await get(`${gw.url}cgi-bin/account`)).status, 200, 'the new gateway works');
  });

  it('isolation check: B sees none of the file, environment value and background process A left; A still sees its own', async () => {
    const report = await checkServeIsolation(ctx.runner, { image: WEB, containerPort: 8080, path: '/cgi-bin/account', sweepLabels: [`${TEST_LABEL}=${ctx.suite}`] });
    assert.equal(report.passed, true, report.summary + '\n' + JSON.stringify(report.checks, null, 1));
    assert.notEqual(report.sessions.A.container, report.sessions.B.container);
    assert.equal(report.checks.filter((c) => c.expected === 'absent').length, 6);
    assert.equal(report.checks.filter((c) => c.expected === 'present').length, 10);
  });

  it('the isolation verdicts fail when two "sessions" share one container (the check can fail)', async () => {
    const gw = await gateway();
    const r = await get(`${gw.url}cgi-bin/account`);
    assert.equal(r.status, 200);
    const id = gw.sessions()[0].target.containerId;
    const run = async (script: string) => (await execShell(ctx.docker, id, script)).stdout;
    await run(leaveTracesScript('ashared1'));
    const seen = judgeFindings('A', 'B', 'ashared1', parseFindings(await run(findTracesScript('ashared1'))));
    assert.deepEqual(seen.map((c) => c.passed), [false, false, false], JSON.stringify(seen));
  });

  it('measures login and per-request costs (small N) with every series filled and nothing left', async () => {
    const report = await measureServeCost(ctx.runner, { image: WEB, containerPort: 8080, sessions: 2, requests: 2, path: '/cgi-bin/account', sweepLabels: [`${TEST_LABEL}=${ctx.suite}`] });
    for (const [k, d] of Object.entries(report.series)) assert.ok(d.n >= 2 && d.p50 > 0, `${k}: ${JSON.stringify(d)}`);
    assert.equal(report.series.requestGateway.n, 4);
    assert.ok(report.ratios.coldVsShared > 1, 'starting a container costs more than a request to a running one');
    assert.ok(Number.isFinite(report.ratios.gatewayVsDirect));
    const left = await ctx.docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${ctx.suite}`, 'io.container-lineage.kind=session'] } });
    assert.deepEqual(left.map((c) => c.Names[0]), []);
  });

  it('CLI: `serve` prints its URL, serves a session, and Ctrl-C removes its container and network (exit 0); bad usage exits 2', async () => {
    const cli = join(__dirname, '..', '..', 'src', 'cli.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', WEB, '--container-port', '8080', '--idle', '60', '--max', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /serving \S+ at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
    });
    const r = await get(`${url}cgi-bin/account`);
    assert.equal(r.status, 200);
    const container = account(r.body).container;
    const found = await ctx.docker.listContainers({ filters: { label: ['io.container-lineage.kind=session'] } });
    const mine = found.find((c) => c.Id.startsWith(container));
    assert.ok(mine, 'the session container runs');
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /session [0-9a-f]{8} ended \(gateway-stopped\)/);
    assert.ok(await gone(ctx.docker, mine.Id));
    const net = mine.HostConfig.NetworkMode;
    assert.equal((await ctx.docker.listNetworks({ filters: { name: [net] } })).length, 0, `network ${net} removed`);

    const usage = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', WEB], { stdio: ['ignore', 'ignore', 'pipe'] });
    let usageErr = '';
    usage.stderr.on('data', (b: Buffer) => (usageErr += b.toString()));
    assert.equal(await new Promise((r) => usage.once('exit', r)), 2);
    assert.match(usageErr, /--container-port is required/);
  });
});
