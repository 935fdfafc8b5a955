/**
 * Serve with a Container per Session in the real extension host against the real engine: the
 * command starts a gateway on the sample web image, two logins get two containers and two
 * balances, End Session and the logout path destroy a session's container, the isolation check
 * passes, the cost measurement lands in the Overhead panel's section, Stop Gateway removes
 * everything. Containers carry io.container-lineage.test=<suite>; nothing of ours is left.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Services } from '../../../src/services';
import type { SessionSnapshot } from '../../../src/core/sessions';
import type { ServeIsolationReport } from '../../../src/core/serveIsolation';
import type { ServeCostReport } from '../../../src/core/serveCost';
import { services as activate, waitFor } from './helpers';

const WEB = 'lineage-sample/web:1.0';
type State = Array<{ url: string; port: number; image: string; sessions: SessionSnapshot[] }>;

describe('Serve with a Container per Session', function () {
  this.timeout(180_000);
  const suite = `vscode-serve-${Math.random().toString(36).slice(2, 10)}`;
  const labels = { 'io.container-lineage.test': suite };
  let services: Services;
  let port = 0;

  const state = async () => (await vscode.commands.executeCommand<State>('containerLineage.internal.serveState')) ?? [];
  const ours = async () => (await services.engine.docker().listContainers({ all: true, filters: { label: [`io.container-lineage.test=${suite}`] } })).map((c) => c.Id);
  async function page(path: string, cookie?: string) {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: cookie ? { cookie } : {} });
    const body = await r.text();
    return { status: r.status, body, cookie: r.headers.get('set-cookie')?.split(';')[0], balance: Number(/id="balance">(-?\d+)/.exec(body)?.[1]), container: /id="container">([0-9a-f]+)/.exec(body)?.[1] };
  }

  before(async () => {
    services = await activate();
    await waitFor('engine connected', 30_000, () => (services.engine.state.kind === 'connected' ? true : undefined));
  });

  after(async () => {
    if (port) await vscode.commands.executeCommand('containerLineage.serve.stopGateway', port);
    const left = await ours();
    await Promise.all(left.map((id) => services.engine.docker().getContainer(id).remove({ force: true }).catch(() => undefined)));
    assert.deepEqual(left, [], 'the suite left no container');
  });

  it('starts a gateway on the sample web image; two logins get two containers with their own balances', async () => {
    const started = await vscode.commands.executeCommand<{ url: string; port: number }>('containerLineage.serve.start', { image: WEB, containerPort: 8080, labels, quiet: true });
    assert.ok(started, 'the command returns the gateway');
    port = started.port;
    assert.equal(started.url, `http://127.0.0.1:${port}/`);
    const a = await page('/cgi-bin/account?deposit=11');
    const b = await page('/cgi-bin/account?deposit=22');
    assert.equal(a.status, 200);
    assert.ok(a.cookie && b.cookie && a.cookie !== b.cookie);
    assert.notEqual(a.container, b.container);
    assert.equal((await page('/cgi-bin/account', a.cookie)).balance, 111);
    assert.equal((await page('/cgi-bin/account', b.cookie)).balance, 122);
    const [gw] = (await state()).filter((g) => g.port === port);
    assert.equal(gw.sessions.length, 2);
    assert.equal((await ours()).length, 2);
    // End Session (as from the view) on a's session: its container goes; its cookie logs in anew.
    const sa = gw.sessions.find((s) => a.container && s.target.containerId.startsWith(a.container))!;
    assert.equal(await vscode.commands.executeCommand('containerLineage.serve.endSession', { port, sessionId: sa.id }), true);
    assert.equal((await ours()).length, 1);
    const again = await page('/cgi-bin/account', a.cookie);
    assert.equal(again.balance, 100, 'a fresh container after End Session');
    assert.notEqual(again.container, a.container);
    // The logout path.
    const out = await page('/_logout', b.cookie);
    assert.match(out.body, /Logged out/);
    assert.equal((await state()).find((g) => g.port === port)?.sessions.length, 1);
  });

  it('Check Gateway Isolation passes on the sample web image', async () => {
    const report = await vscode.commands.executeCommand<ServeIsolationReport>('containerLineage.serve.checkIsolation', { image: WEB, containerPort: 8080, path: '/cgi-bin/account', labels, quiet: true });
    assert.ok(report);
    assert.equal(report.passed, true, report.summary);
  });

  it('Measure Gateway Cost shows its section in the Container Overhead panel', async () => {
    const report = await vscode.commands.executeCommand<ServeCostReport>('containerLineage.serve.measureCost', { image: WEB, containerPort: 8080, sessions: 2, requests: 2, path: '/cgi-bin/account', labels, quiet: true });
    assert.ok(report && report.series.loginCold.n === 2, JSON.stringify(report));
    const probe = await waitFor('the cost section rendered', 30_000, async () => {
      const p = await vscode.commands.executeCommand<{ text: string; injectedElements: number }>('containerLineage.overhead.testProbe');
      return p.text.includes(`Container per session: ${WEB} (port 8080), 2 concurrent sessions`) ? p : undefined;
    });
    assert.match(probe.text, /login: gateway, warm pool\t2\t/);
    assert.match(probe.text, /Per request through the gateway: ×\d+\.\d\d a direct request/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Stop Gateway removes the sessions and their containers', async () => {
    const problems = await vscode.commands.executeCommand<string[]>('containerLineage.serve.stopGateway', port);
    assert.deepEqual(problems, []);
    port = 0;
    assert.deepEqual(await state(), []);
    assert.deepEqual(await ours(), []);
  });
});
