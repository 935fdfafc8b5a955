import * as http from 'node:http';
import { spawn } from 'node:child_process';
import { createProxyServer } from 'http-proxy-3';
import { LoadClient } from '../src/engine/serve/loadClient';
import { distribution } from '../src/core/stats';
(async () => {
  const child = spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>{s.writeHead(200,{Connection:'close','Content-Type':'text/html'});s.end('x'.repeat(500))}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bport = await new Promise<number>((r) => child.stdout.once('data', (d) => r(Number(String(d).trim()))));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const proxy = createProxyServer({ xfwd: true, agent });
  const p1 = http.createServer((req, res) => proxy.web(req, res, { target: `http://127.0.0.1:${bport}` }));
  await new Promise<void>((r) => p1.listen(0, '127.0.0.1', r));
  const proxyNoX = createProxyServer({ agent });
  const p2 = http.createServer((req, res) => proxyNoX.web(req, res, { target: `http://127.0.0.1:${bport}` }));
  await new Promise<void>((r) => p2.listen(0, '127.0.0.1', r));
  const raw = http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: bport, path: req.url, method: req.method, headers: req.headers, agent }, (ur) => { res.writeHead(ur.statusCode!, ur.headers); ur.pipe(res); });
    req.pipe(up);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const c = new LoadClient();
  const port = (s: http.Server) => (s.address() as any).port;
  for (const n of [1, 20]) {
    const s: Record<string, number[]> = { direct: [], hp3: [], hp3noxfwd: [], raw: [] };
    for (let round = 0; round < 40; round++) {
      const order = [['direct', bport], ['hp3', port(p1)], ['hp3noxfwd', port(p2)], ['raw', port(raw)]] as const;
      const rot = [...order.slice(round % 4), ...order.slice(0, round % 4)];
      const plan = Array.from({ length: n }, () => rot.map(([, p]) => ({ host: '127.0.0.1', port: p, path: '/' })));
      const r = await c.run(plan);
      for (const seq of r) seq.forEach((x, i) => s[rot[i][0]].push(x.ms));
    }
    console.log(n, Object.entries(s).map(([k, v]) => `${k} p50 ${distribution(v).p50.toFixed(2)}`).join('  '));
  }
  await c.close(); child.kill(); process.exit(0);
})();
