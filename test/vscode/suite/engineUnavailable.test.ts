/**
 * Bad input: no engine answers. These suites only run in the scenarios scripts/test-vscode.mjs
 * starts for them (their titles carry `@scenario:<name>`; the default run excludes them):
 * - `bad-host`: code-server started with DOCKER_HOST=tcp://127.0.0.1:1 (nothing listens there);
 * - `bad-context`: DOCKER_HOST unset and DOCKER_CONTEXT naming a context that does not exist.
 * The welcome text in the views is checked through the UI by the harness.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EngineState } from '../../../src/engine/connection';
import type { Services } from '../../../src/services';
import { EXTENSION_ID } from './helpers';


async function disconnectedState(timeoutMs = 30_000): Promise<Extract<EngineState, { kind: 'disconnected' }>> {
  const ext = vscode.extensions.getExtension<{ services: Services }>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  const { engine } = (await ext.activate()).services;
  const deadline = Date.now() + timeoutMs;
  while (engine.state.kind !== 'disconnected') {
    assert.notEqual(engine.state.kind, 'connected', `connected to ${JSON.stringify(engine.state)} although no engine should answer`);
    if (Date.now() > deadline) throw new Error(`state still ${engine.state.kind} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // docker() refuses by contract, naming what was tried.
  assert.throws(() => engine.docker(), (err: Error) => err.name === 'EngineUnavailableError');
  return engine.state;
}

describe('Engine unavailable: DOCKER_HOST=tcp://127.0.0.1:1 @scenario:bad-host', () => {
  it('ends disconnected and reports the DOCKER_HOST endpoint it tried with the reason', async () => {
    const state = await disconnectedState();
    const attempt = state.attempts.find((a) => a.endpoint.includes('tcp://127.0.0.1:1'));
    assert.ok(attempt, `tcp://127.0.0.1:1 is not among the attempts: ${JSON.stringify(state.attempts)}`);
    assert.match(attempt.source, /DOCKER_HOST/);
    assert.ok(attempt.error && attempt.error.length > 0, 'the attempt has no failure reason');
  });
});

describe('Engine unavailable: DOCKER_CONTEXT names a missing context @scenario:bad-context', () => {
  it('ends disconnected and names the missing context among the attempts', async () => {
    const name = process.env.DOCKER_CONTEXT;
    assert.ok(name, 'DOCKER_CONTEXT is not set in this extension host');
    const state = await disconnectedState();
    const text = JSON.stringify(state.attempts);
    assert.ok(text.includes(name), `the missing context ${name} is not mentioned in the attempts: ${text}`);
  });
});
