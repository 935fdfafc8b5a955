/**
 * Engine commands: Retry (reconnect now), Show Log, and the `containerLineage.engineState`
 * context key that the viewsWelcome entries and menus use (`connecting` | `connected` | `disconnected`).
 */
import * as vscode from 'vscode';
import type { EngineState } from '../engine/connection';
import type { Services } from '../services';

/** Context key holding the engine state kind. */
export const ENGINE_STATE_KEY = 'containerLineage.engineState';

/** Register `containerLineage.engine.retry`, `containerLineage.engine.showLog` and the state context key. */
export function registerEngineCommands(services: Services): void {
  const { engine, log, context } = services;
  const setKey = (state: EngineState) => {
    void vscode.commands.executeCommand('setContext', ENGINE_STATE_KEY, state.kind).then(undefined, (err: unknown) => log.error(`setContext failed: ${String(err)}`));
  };
  setKey(engine.state);
  const sub = engine.onDidChangeState(setKey);

  context.subscriptions.push(
    new vscode.Disposable(() => sub.dispose()),
    vscode.commands.registerCommand('containerLineage.engine.retry', async () => {
      try {
        log.info('retrying the engine connection (user request)');
        const state = await engine.connect();
        if (state.kind === 'disconnected') log.show(true);
        return state.kind;
      } catch (err) {
        log.error(`retry failed: ${err instanceof Error ? err.message : String(err)}`);
        return 'disconnected';
      }
    }),
    vscode.commands.registerCommand('containerLineage.engine.showLog', () => log.show(true)),
  );
}
