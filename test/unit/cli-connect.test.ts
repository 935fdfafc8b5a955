import assert from 'node:assert/strict';
import { connectCli } from '../../src/cli/connect';

/** Every CLI subcommand connects through connectCli; a refused endpoint must be explained, not thrown. */
describe('CLI engine connection', () => {
  const saved = { host: process.env.DOCKER_HOST, cl: process.env.CONTAINER_LINEAGE_ENGINE_HOST };
  afterEach(() => {
    if (saved.host === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved.host;
    if (saved.cl === undefined) delete process.env.CONTAINER_LINEAGE_ENGINE_HOST;
    else process.env.CONTAINER_LINEAGE_ENGINE_HOST = saved.cl;
  });

  it('DOCKER_HOST=tcp://127.0.0.1:1 (nothing listening): undefined, and the message lists the attempt and what to do', async () => {
    delete process.env.CONTAINER_LINEAGE_ENGINE_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    let text = '';
    const engine = await connectCli('tree', (t) => (text += t));
    assert.equal(engine, undefined);
    assert.match(text, /^container-lineage tree: no container engine answered/);
    assert.match(text, /tcp:\/\/127\.0\.0\.1:1/);
    assert.match(text, /refused/);
    assert.match(text, /bash scripts\/engine\.sh/);
  });

  it('CONTAINER_LINEAGE_ENGINE_HOST stands in for the setting and wins over DOCKER_HOST', async () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:2';
    process.env.CONTAINER_LINEAGE_ENGINE_HOST = 'tcp://127.0.0.1:1';
    let text = '';
    assert.equal(await connectCli('run', (t) => (text += t)), undefined);
    assert.match(text, /^container-lineage run:/);
    assert.match(text, /  - \S.*tcp:\/\/127\.0\.0\.1:1: /);
    assert.doesNotMatch(text, /  - .*127\.0\.0\.1:2/, 'DOCKER_HOST must not be tried');
    assert.match(text, /DOCKER_HOST=tcp:\/\/127\.0\.0\.1:2 was not tried/);
  });
});
