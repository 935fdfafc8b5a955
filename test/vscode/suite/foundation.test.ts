/**
 * Foundation: the extension activates in a real extension host, contributes its views, and
 * connects to the real engine. (The status bar text is checked through the UI by
 * scripts/test-vscode.mjs, since VS Code has no API to read another extension's status bar item.)
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Services } from '../../../src/services';
import type { LazyFeatures } from '../../../src/lazy';
import { LAZY_FEATURES, OVERHEAD } from '../../../src/features';
import { EXTENSION_ID, services, waitFor } from './helpers';

/** Command IDs in package.json `contributes.commands`. */
function contributedCommands(): string[] {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } };
  return pkg.contributes.commands.map((c) => c.command);
}

async function lazyFeatures(): Promise<LazyFeatures> {
  const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as { features: LazyFeatures };
  return api.features;
}


/** Polls `predicate` every 100 ms until it returns a value other than undefined, or throws after `timeoutMs`. */

describe('Foundation', () => {
  it('activates and returns { services } with a log and an engine connection', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    const api = (await ext.activate()) as { services?: Services };
    assert.ok(ext.isActive, 'extension is not active after activate()');
    assert.ok(api?.services, 'activate() did not return { services }');
    assert.equal(typeof api.services.engine.connect, 'function');
    assert.equal(typeof api.services.log.info, 'function');
    assert.equal(api.services.context.extension.id, EXTENSION_ID);
  });

  it('contributes the Container Lineage view container with the Images, Containers and Sessions views', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { viewsContainers: { activitybar: { id: string }[] }; views: Record<string, { id: string; name: string }[]> };
    };
    assert.ok(pkg.contributes.viewsContainers.activitybar.some((c) => c.id === 'containerLineage'));
    assert.deepEqual(
      pkg.contributes.views.containerLineage.map((v) => v.id),
      ['containerLineage.images', 'containerLineage.containers', 'containerLineage.sessions'],
    );
  });

  it('registers every contributed command at activation (features loaded on first use register stubs)', async () => {
    await services();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributedCommands().filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed commands not registered after activation: ${missing.join(', ')}`);
  });

  it('runs a lazily loaded command on its first call: the stub loads the feature and the real command answers', async () => {
    const features = await lazyFeatures();
    // The overhead feature has no trigger but its commands, and no earlier suite runs them.
    assert.ok(!features.loaded.includes(OVERHEAD.bundle), `the overhead feature is already loaded (${features.loaded.join(', ')}); this test needs its first call`);
    // The stub loads the bundle, which replaces it by the real command, and re-runs the call: with
    // no panel open the real command returns nothing. Had the bundle not registered it, the re-run
    // would reject with "command not found".
    assert.equal(await vscode.commands.executeCommand('containerLineage.cancelOverhead'), undefined);
    assert.ok(features.loaded.includes(OVERHEAD.bundle), 'the overhead bundle was not loaded by its first command');
  });

  it('each lazy feature, once loaded, registers every command its stubs stood for', async () => {
    const features = await lazyFeatures();
    for (const f of LAZY_FEATURES) assert.ok(features.ensure(f), `feature ${f.bundle} failed to load (see the Container Lineage log)`);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const f of LAZY_FEATURES) {
      const missing = f.commands.filter((id) => !registered.has(id));
      assert.deepEqual(missing, [], `${f.bundle}: listed in src/features.ts but not registered by the feature: ${missing.join(', ')}`);
    }
    const missing = contributedCommands().filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed commands not registered once every feature is loaded: ${missing.join(', ')}`);
  });

  it('opens the view container and focuses both views', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.containerLineage');
    await vscode.commands.executeCommand('containerLineage.images.focus');
    await vscode.commands.executeCommand('containerLineage.containers.focus');
  });

  it('connects to the real engine (state becomes connected with name, version and API version)', async () => {
    const { engine } = await services();
    const state = await waitFor('the engine connection to be connected', 30_000, () =>
      engine.state.kind === 'connected' ? engine.state : undefined,
    );
    assert.match(state.info.version, /^\d+\.\d+/, `unexpected engine version ${JSON.stringify(state.info.version)}`);
    assert.match(state.info.apiVersion, /^\d+\.\d+$/, `unexpected API version ${JSON.stringify(state.info.apiVersion)}`);
    assert.ok(state.info.name.length > 0, 'engine name is empty');
    // The client really talks to the engine: a ping answers OK.
    const ping = await engine.docker().ping();
    assert.equal(String(ping), 'OK');
  });
});
