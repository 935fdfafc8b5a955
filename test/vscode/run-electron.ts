/**
 * Runs the VS Code level in a desktop VS Code through `@vscode/test-electron`, for machines where
 * VS Code can be downloaded (it cannot here: use `npm run test:vscode`, which runs the same suites in
 * code-server). Usage, from the repository root:
 *
 *   npm run build && npx tsc -p . && node out/test/vscode/run-electron.js
 *
 * `tsc` compiles this file, `index.ts` (the mocha entry exporting `run()`) and the suites to
 * `out/test/vscode/`; the development extension is the repository root (`dist/extension.js`).
 * Scenario suites (`@scenario:` in their titles) need a specially started host and are skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

/** The folder holding the extension's package.json, searched upwards from this file. */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(path.join(dir, 'src/extension.ts'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

async function main(): Promise<void> {
  const root = repositoryRoot();
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'index'),
    launchArgs: [path.join(root, 'samples'), '--disable-workspace-trust', '--disable-extensions'],
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
