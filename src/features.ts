/**
 * The features loaded on first use (src/lazy.ts): their bundles (scripts/bundles.mjs FEATURES),
 * the commands each registers (stubs until loaded; the VS Code suite checks the list against
 * package.json and against what each registration really registers), and how to register them.
 * Only types are imported from the feature modules, so none of their code is in the start bundle.
 */
import type * as vscode from 'vscode';
import type * as BuildFeature from './commands/buildFeature';
import type * as Overhead from './commands/overhead';
import type * as Serve from './commands/serve/index';
import type * as Stale from './commands/staleFeature';
import type * as Throwaway from './commands/transactions';
import type { LazyFeature } from './lazy';

/** Build child images, the FROM lenses and their commands, commit as child. */
export const BUILD: LazyFeature<typeof BuildFeature> = {
  bundle: 'build',
  source: 'commands/buildFeature',
  commands: ['containerLineage.buildImage', 'containerLineage.commitContainer', 'containerLineage.showBaseInTree', 'containerLineage.goToStage'],
  register: (m, s) => m.registerBuildFeature(s),
};

/** The Container Overhead panel. */
export const OVERHEAD: LazyFeature<typeof Overhead> = {
  bundle: 'overhead',
  source: 'commands/overhead',
  commands: ['containerLineage.measureOverhead', 'containerLineage.cancelOverhead', 'containerLineage.overhead.testProbe'],
  register: (m, s) => m.registerOverhead(s),
};

/** Throwaway containers: transactions, throughput, warm pools, isolation check, the shell. */
export const THROWAWAY: LazyFeature<typeof Throwaway> = {
  bundle: 'transactions',
  source: 'commands/transactions',
  commands: [
    'containerLineage.transactions.run',
    'containerLineage.transactions.runOnce',
    'containerLineage.transactions.checkIsolation',
    'containerLineage.transactions.sweep',
    'containerLineage.transactions.drainPools',
    'containerLineage.transactions.openShell',
  ],
  register: (m, s) => m.registerThrowaway(s),
};

/** A container per session: gateways, the Sessions view, its reports. */
export const SERVE: LazyFeature<typeof Serve> = {
  bundle: 'serve',
  source: 'commands/serve/index',
  commands: [
    'containerLineage.serve.start',
    'containerLineage.serve.stopGateway',
    'containerLineage.serve.endSession',
    'containerLineage.serve.openInBrowser',
    'containerLineage.serve.checkIsolation',
    'containerLineage.serve.measureCost',
    'containerLineage.internal.serveState',
  ],
  register: (m, s) => m.registerServe(s),
};

/** Stale descendants: markers, the stale FROM lens, Rebuild Descendants…. */
export const STALE: LazyFeature<typeof Stale> = {
  bundle: 'stale',
  source: 'commands/staleFeature',
  commands: ['containerLineage.image.rebuildDescendants'],
  register: (m, s) => m.registerStaleFeature(s),
};

/** Every lazily loaded feature. */
export const LAZY_FEATURES: readonly LazyFeature<any>[] = [BUILD, OVERHEAD, THROWAWAY, SERVE, STALE];

/**
 * Documents the FROM lenses apply to: the same selector as `DOCKERFILE_SELECTOR` in
 * lenses/from.ts (kept here so the start bundle does not hold the lens code).
 */
export const DOCKERFILE_SELECTOR: vscode.DocumentSelector = [
  { language: 'dockerfile' },
  { pattern: '**/{Dockerfile,Containerfile,Dockerfile.*,Containerfile.*,*.Dockerfile,*.dockerfile,*.Containerfile}' },
];
