/**
 * Features loaded on first use (issue 12 goal 1). Each feature is its own bundle, dist/<name>.js
 * (scripts/bundles.mjs), and its commands are registered at activation as thin stubs: the first
 * call of any of them removes the stubs, loads the bundle, runs the feature's registration (which
 * registers the real commands under the same IDs) and re-runs the call. Features with more than
 * commands (views, lenses, decorations, the sweep on connect) are also loaded by the triggers in
 * extension.ts. Run from source (tests with tsx), `load` falls back to the TypeScript module.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from './services';

/** A feature: the bundle name, the module to require, and every command its registration adds. */
export interface LazyFeature<M> {
  /** Bundle name: dist/<bundle>.js; also the name in logs and {@link LazyFeatures.loaded}. */
  readonly bundle: string;
  /** Source module (relative to src/) of the registration, used when running unbundled. */
  readonly source: string;
  /** Every command the feature registers (contributed or internal): each gets a stub. */
  readonly commands: readonly string[];
  /** Runs the feature's registration from its loaded module. */
  readonly register: (module: M, services: Services) => unknown;
}

/** The loaded module of `bundle` (dist/<bundle>.js next to this bundle, or the TypeScript source). */
function requireFeature(bundle: string, source: string): unknown {
  // Bundled: __dirname is dist/ and dist/<bundle>.js exists; from source (tsx) it is src/.
  // A computed require, so esbuild leaves it for run time.
  const bundled = path.join(__dirname, `${bundle}.js`);
  const req = require;
  try {
    return req(bundled);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !__filename.endsWith('.ts')) throw err;
    return req(path.join(__dirname, source));
  }
}

/** The lazily loaded features of one activation; `ensure` loads one (once) and returns its module. */
export class LazyFeatures {
  private readonly modules = new Map<string, unknown>();
  private readonly stubs = new Map<string, vscode.Disposable[]>();

  constructor(private readonly services: Services) {}

  /** Bundles loaded so far, in load order (tests, diagnostics). */
  get loaded(): string[] {
    return [...this.modules.keys()];
  }

  /** Register the stubs of `feature`'s commands (call once per feature, at activation). */
  add<M>(feature: LazyFeature<M>): void {
    const stubs = feature.commands.map((id) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        this.ensure(feature);
        return vscode.commands.executeCommand(id, ...args);
      }),
    );
    this.stubs.set(feature.bundle, stubs);
    this.services.context.subscriptions.push(...stubs);
  }

  /**
   * Load `feature` now (no-op when loaded): its stubs go, its registration runs. A registration
   * that throws is logged; the stubs stay removed (the error is not retried on every call).
   * @returns the feature's module, or undefined when loading failed
   */
  ensure<M>(feature: LazyFeature<M>): M | undefined {
    if (this.modules.has(feature.bundle)) return this.modules.get(feature.bundle) as M | undefined;
    for (const d of this.stubs.get(feature.bundle) ?? []) d.dispose();
    this.stubs.delete(feature.bundle);
    const started = Date.now();
    let mod: M | undefined;
    try {
      mod = requireFeature(feature.bundle, feature.source) as M;
      feature.register(mod, this.services);
      this.services.log.info(`${feature.bundle}: loaded on first use in ${Date.now() - started} ms`);
    } catch (err) {
      this.services.log.error(`${feature.bundle}: loading failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    this.modules.set(feature.bundle, mod);
    return mod;
  }

  /** The module of `feature` if it is loaded (deactivate: shut down only what ran). */
  ifLoaded<M>(feature: LazyFeature<M>): M | undefined {
    return this.modules.get(feature.bundle) as M | undefined;
  }

  /** Load `feature` soon, off the current call (activation must not wait for it). */
  soon<M>(feature: LazyFeature<M>): void {
    if (this.modules.has(feature.bundle)) return;
    setTimeout(() => this.ensure(feature), 0);
  }
}
